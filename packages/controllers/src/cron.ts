/**
 * Cron schedules as CronJobs use them: five fields (minute hour day-of-month month day-of-week) with
 * lists, ranges, steps, `*`/`?` and month/day names; descriptors (@yearly, @monthly, @weekly, @daily,
 * @midnight, @hourly, @every <duration>); evaluated in an IANA time zone (default UTC). When both
 * day-of-month and day-of-week are restricted a day matching either runs.
 */

export class CronError extends Error {}

interface Field {
  values: Set<number>;
  star: boolean;
}

const MONTHS: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const DAYS: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const BOUNDS: [number, number, Record<string, number>?][] = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12, MONTHS],
  [0, 6, DAYS],
];
const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

function num(s: string, names: Record<string, number> | undefined, expr: string): number {
  const n = names?.[s.toLowerCase()];
  if (n !== undefined) return n;
  if (!/^[0-9]+$/.test(s)) throw new CronError(`invalid value "${s}" in "${expr}"`);
  return Number(s);
}

function parseField(text: string, [min, max, names]: [number, number, Record<string, number>?]): Field {
  const values = new Set<number>();
  let star = false;
  for (const part of text.split(',')) {
    const [range, stepText, extra] = part.split('/');
    if (extra !== undefined) throw new CronError(`too many slashes: ${part}`);
    let lo: number;
    let hi: number;
    let isStar = false;
    if (range === '*' || range === '?') {
      lo = min;
      hi = max;
      isStar = true;
    } else {
      const [a, b, c] = range.split('-');
      if (c !== undefined) throw new CronError(`too many hyphens: ${part}`);
      lo = num(a, names, part);
      hi = b === undefined ? (stepText !== undefined ? max : lo) : num(b, names, part);
    }
    const step = stepText === undefined ? 1 : num(stepText, undefined, part);
    if (step <= 0) throw new CronError(`step of range should be a positive number: ${part}`);
    if (lo < min || hi > max || lo > hi) throw new CronError(`value out of range [${min}-${max}]: ${part}`);
    if (isStar && step === 1) star = true;
    for (let i = lo; i <= hi; i += step) values.add(i);
  }
  return { values, star };
}

/** Parses a Go duration ("1h30m", "90s") into milliseconds. */
export function parseDuration(s: string): number | undefined {
  const re = /([0-9]*\.?[0-9]+)(ns|us|µs|ms|s|m|h)/y;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let pos = 0;
  let total = 0;
  if (!s) return undefined;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * unit[m[2]];
    pos = re.lastIndex;
  }
  return total;
}

// ------------------------------------------------------------------------------ wall-clock time

interface Wall {
  y: number;
  mo: number; // 1-12
  d: number;
  h: number;
  mi: number;
}

const fmtCache = new Map<string, Intl.DateTimeFormat>();
function fmt(tz: string): Intl.DateTimeFormat {
  let f = fmtCache.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    fmtCache.set(tz, f);
  }
  return f;
}

function wallOf(ms: number, tz: string): Wall {
  if (tz === 'UTC') {
    const d = new Date(ms);
    return { y: d.getUTCFullYear(), mo: d.getUTCMonth() + 1, d: d.getUTCDate(), h: d.getUTCHours(), mi: d.getUTCMinutes() };
  }
  const parts: Record<string, number> = {};
  for (const p of fmt(tz).formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { y: parts.year, mo: parts.month, d: parts.day, h: parts.hour % 24, mi: parts.minute };
}

const naive = (w: Wall) => Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi);
function fromNaive(ms: number): Wall {
  const d = new Date(ms);
  return { y: d.getUTCFullYear(), mo: d.getUTCMonth() + 1, d: d.getUTCDate(), h: d.getUTCHours(), mi: d.getUTCMinutes() };
}

/** The instant a wall-clock minute names in a zone (undefined inside a DST gap). */
function instantOf(w: Wall, tz: string): number | undefined {
  const guess = naive(w);
  if (tz === 'UTC') return guess;
  const off1 = naive(wallOf(guess, tz)) - guess;
  let t = guess - off1;
  const off2 = naive(wallOf(t, tz)) - t;
  if (off2 !== off1) t = guess - off2;
  const back = wallOf(t, tz);
  if (back.y !== w.y || back.mo !== w.mo || back.d !== w.d || back.h !== w.h || back.mi !== w.mi) return undefined;
  return t;
}

// --------------------------------------------------------------------------------------- schedule

export class CronSchedule {
  readonly everyMs?: number;
  private readonly f: Field[] = [];

  constructor(
    readonly spec: string,
    readonly timeZone = 'UTC',
  ) {
    const s = spec.trim();
    if (/(^|\s)(CRON_)?TZ=/.test(s)) throw new CronError('cannot use TZ or CRON_TZ in schedule, use timeZone field instead');
    try {
      fmt(timeZone);
    } catch {
      throw new CronError(`unknown time zone ${timeZone}`);
    }
    if (s.startsWith('@every ')) {
      const ms = parseDuration(s.slice(7).trim());
      if (ms === undefined || ms <= 0) throw new CronError(`failed to parse duration ${s}`);
      this.everyMs = Math.max(1000, Math.floor(ms / 1000) * 1000);
      return;
    }
    const expanded = s.startsWith('@') ? DESCRIPTORS[s.toLowerCase()] : s;
    if (!expanded) throw new CronError(`unrecognized descriptor: ${s}`);
    const fields = expanded.split(/\s+/);
    if (fields.length !== 5) throw new CronError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
    this.f = fields.map((t, i) => parseField(t, BOUNDS[i]));
  }

  private dayMatches(w: Wall): boolean {
    const dom = this.f[2];
    const dow = this.f[4];
    const wd = new Date(Date.UTC(w.y, w.mo - 1, w.d)).getUTCDay();
    const a = dom.values.has(w.d);
    const b = dow.values.has(wd);
    return dom.star || dow.star ? a && b : a || b;
  }

  /** The first scheduled instant strictly after `after`. */
  next(after: number): number | undefined {
    if (this.everyMs) return Math.floor((after + this.everyMs) / 1000) * 1000;
    let w = fromNaive(naive(wallOf(after, this.timeZone)) + 60_000);
    const limit = naive(w) + 5 * 366 * 86_400_000;
    while (naive(w) < limit) {
      if (!this.f[3].values.has(w.mo)) {
        w = fromNaive(Date.UTC(w.y, w.mo, 1));
        continue;
      }
      if (!this.dayMatches(w)) {
        w = fromNaive(Date.UTC(w.y, w.mo - 1, w.d + 1));
        continue;
      }
      if (!this.f[1].values.has(w.h)) {
        w = fromNaive(Date.UTC(w.y, w.mo - 1, w.d, w.h + 1));
        continue;
      }
      if (!this.f[0].values.has(w.mi)) {
        w = fromNaive(naive(w) + 60_000);
        continue;
      }
      const t = instantOf(w, this.timeZone);
      if (t !== undefined && t > after) return t;
      w = fromNaive(naive(w) + 60_000);
    }
    return undefined;
  }

  /** The last scheduled instant at or before `t` (not for @every schedules). */
  prev(t: number): number | undefined {
    if (this.everyMs) return undefined;
    let w = wallOf(t, this.timeZone);
    const limit = naive(w) - 5 * 366 * 86_400_000;
    while (naive(w) > limit) {
      if (!this.f[3].values.has(w.mo)) {
        w = fromNaive(Date.UTC(w.y, w.mo - 1, 1) - 60_000);
        continue;
      }
      if (!this.dayMatches(w)) {
        w = fromNaive(Date.UTC(w.y, w.mo - 1, w.d) - 60_000);
        continue;
      }
      if (!this.f[1].values.has(w.h)) {
        w = fromNaive(Date.UTC(w.y, w.mo - 1, w.d, w.h) - 60_000);
        continue;
      }
      if (!this.f[0].values.has(w.mi)) {
        w = fromNaive(naive(w) - 60_000);
        continue;
      }
      const x = instantOf(w, this.timeZone);
      if (x !== undefined && x <= t) return x;
      w = fromNaive(naive(w) - 60_000);
    }
    return undefined;
  }

  /**
   * The schedule times in (earliest, now]: the latest, and how many there were (counted up to `cap`
   * — more than that only matters as "too many").
   */
  missed(earliest: number, now: number, cap = 101): { latest?: number; count: number } {
    if (now <= earliest) return { count: 0 };
    if (this.everyMs) {
      const n = Math.floor((now - earliest) / this.everyMs);
      return n > 0 ? { latest: earliest + n * this.everyMs, count: n } : { count: 0 };
    }
    const latest = this.prev(now);
    if (latest === undefined || latest <= earliest) return { count: 0 };
    let count = 0;
    for (let t = this.next(earliest); t !== undefined && t <= now && count < cap; t = this.next(t)) count++;
    return { latest, count };
  }
}
