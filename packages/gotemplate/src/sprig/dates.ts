// Sprig date functions.
import { goFunc, type FuncMap } from '../funcs.js';
import { GoNum } from '../values.js';
import { GoTime, UTC, durationString, loadLocation, local, parseDuration, parseTime, roundDuration } from '../time.js';

export interface Clock {
  now(): GoTime;
}

function toTime(date: unknown, clock: Clock): GoTime {
  if (date instanceof GoTime) return date;
  if (typeof date === 'bigint') return new GoTime(Number(date), 0, local());
  if (date instanceof GoNum && (date.type === 'int64' || date.type === 'int32')) return new GoTime(Number(date.v), 0, local());
  return clock.now();
}

function dateInZone(fmt: string, date: unknown, zone: string, clock: Clock): string {
  const t = toTime(date, clock);
  let loc;
  try {
    loc = loadLocation(zone);
  } catch {
    loc = UTC;
  }
  return t.in(loc).format(fmt);
}

export function dateFuncs(clock: Clock): FuncMap {
  const S = 'string' as const;
  const A = 'any' as const;
  const since = (t: GoTime): bigint => clock.now().unixNano() - t.unixNano();
  const date = (fmt: string, d: unknown): string => dateInZone(fmt, d, 'Local', clock);
  const dz = (fmt: string, d: unknown, z: string): string => dateInZone(fmt, d, z, clock);
  const modify = (fmt: string, d: GoTime): GoTime => {
    try {
      return d.add(parseDuration(fmt));
    } catch {
      return d;
    }
  };
  const mustModify = (fmt: string, d: GoTime): GoTime => d.add(parseDuration(fmt));
  const toDate = (fmt: string, s: string): GoTime => {
    try {
      return parseTime(fmt, s, local());
    } catch {
      return GoTime.zero();
    }
  };
  return {
    now: goFunc([], null, () => clock.now()),
    date: goFunc([S, A], null, date),
    dateInZone: goFunc([S, A, S], null, dz),
    date_in_zone: goFunc([S, A, S], null, dz),
    htmlDate: goFunc([A], null, (d: unknown) => dateInZone('2006-01-02', d, 'Local', clock)),
    htmlDateInZone: goFunc([A, S], null, (d: unknown, z: string) => dateInZone('2006-01-02', d, z, clock)),
    dateModify: goFunc([S, 'time'], null, modify),
    date_modify: goFunc([S, 'time'], null, modify),
    mustDateModify: goFunc([S, 'time'], null, mustModify),
    ago: goFunc([A], null, (d: unknown) => {
      let t: GoTime;
      if (d instanceof GoTime) t = d;
      else if (typeof d === 'bigint') t = new GoTime(Number(d), 0);
      else if (d instanceof GoNum && d.type === 'int64') t = new GoTime(Number(d.v), 0);
      else t = clock.now();
      return durationString(roundDuration(since(t), 1_000_000_000n));
    }),
    toDate: goFunc([S, S], null, toDate),
    mustToDate: goFunc([S, S], null, (fmt: string, s: string) => parseTime(fmt, s, local())),
    unixEpoch: goFunc(['time'], null, (t: GoTime) => String(t.sec)),
    duration: goFunc([A], null, (sec: unknown) => {
      let n = 0n;
      if (typeof sec === 'string') n = /^[+-]?\d+$/.test(sec) ? BigInt(sec) : 0n;
      else if (sec instanceof GoNum && sec.type === 'int64') n = sec.v as bigint;
      return durationString(BigInt.asIntN(64, n * 1_000_000_000n));
    }),
    durationRound: goFunc([A], null, (v: unknown) => {
      let d = 0n;
      if (typeof v === 'string') {
        try {
          d = parseDuration(v);
        } catch {
          d = 0n;
        }
      } else if (v instanceof GoNum && v.type === 'int64') d = v.v as bigint;
      else if (v instanceof GoTime) d = since(v);
      const u = d < 0n ? -d : d;
      const second = 1_000_000_000n;
      const minute = 60n * second;
      const hour = 60n * minute;
      const day = 24n * hour;
      const month = 30n * day;
      const year = 365n * day;
      if (u > year) return `${u / year}y`;
      if (u > month) return `${u / month}mo`;
      if (u > day) return `${u / day}d`;
      if (u > hour) return `${u / hour}h`;
      if (u > minute) return `${u / minute}m`;
      if (u > second) return `${u / second}s`;
      return '0s';
    }),
  };
}
