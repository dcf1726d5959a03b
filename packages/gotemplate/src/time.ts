// time.Time and time.Duration modelled after Go's documented behaviour (layout-based formatting).
import { goFunc } from './funcs.js';
import { GoNum } from './values.js';

export interface Loc {
  name: string;
  /** offset in seconds east of UTC and abbreviation at a unix time */
  at(sec: number): [number, string];
}

export const UTC: Loc = { name: 'UTC', at: () => [0, 'UTC'] };

export function fixedZone(name: string, offset: number): Loc {
  return { name, at: () => [offset, name] };
}

const zoneCache = new Map<string, Loc>();

function offsetName(off: number): string {
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  const h = Math.floor(a / 3600);
  const m = Math.floor((a % 3600) / 60);
  return sign + String(h).padStart(2, '0') + (m ? String(m).padStart(2, '0') : '');
}

function ianaZone(name: string, label = name): Loc {
  const key = name + '\u0000' + label;
  const c = zoneCache.get(key);
  if (c) return c;
  const offFmt = new Intl.DateTimeFormat('en-US', { timeZone: name, timeZoneName: 'longOffset' });
  const abbrFmt = new Intl.DateTimeFormat('en-US', { timeZone: name, timeZoneName: 'short' });
  const loc: Loc = {
    name: label,
    at(sec: number): [number, string] {
      const d = new Date(Math.max(Math.min(sec * 1000, 8.64e15), -8.64e15));
      const part = offFmt.formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
      const m = /GMT([+-])(\d\d):(\d\d)/.exec(part);
      const off = m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60) : 0;
      let abbr = abbrFmt.formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? 'UTC';
      if (/^(GMT|UTC)([+-]|$)/.test(abbr)) abbr = off === 0 ? (name === 'UTC' || name.startsWith('Etc/') ? 'UTC' : 'GMT') : offsetName(off);
      return [off, abbr];
    },
  };
  zoneCache.set(key, loc);
  return loc;
}

let localLoc: Loc | undefined;
export function local(): Loc {
  if (localLoc) return localLoc;
  const tz = process.env.TZ ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!tz || tz === 'UTC' || tz === 'Etc/UTC' || tz === 'UTC0' || tz === ':UTC') localLoc = { name: 'Local', at: () => [0, 'UTC'] };
  else {
    try {
      localLoc = ianaZone(tz, 'Local');
    } catch {
      localLoc = { name: 'Local', at: () => [0, 'UTC'] };
    }
  }
  return localLoc;
}

/** time.LoadLocation */
export function loadLocation(name: string): Loc {
  if (name === '' || name === 'UTC') return UTC;
  if (name === 'Local') return local();
  try {
    return ianaZone(name);
  } catch {
    throw new Error(`unknown time zone ${name}`);
  }
}

const NS = 1_000_000_000n;

/** A Go time.Time: unix seconds + nanoseconds, in a location. */
export class GoTime {
  static goType = 'time.Time';
  static goKind = 'struct';
  constructor(
    readonly sec: number,
    readonly nsec: number,
    readonly loc: Loc = UTC,
  ) {}

  static fromUnixNano(ns: bigint, loc: Loc = UTC): GoTime {
    let s = ns / NS;
    let n = ns % NS;
    if (n < 0n) {
      n += NS;
      s -= 1n;
    }
    return new GoTime(Number(s), Number(n), loc);
  }
  static now(): GoTime {
    const ms = Date.now();
    const sub = Number(process.hrtime.bigint() % 1_000_000n);
    return new GoTime(Math.floor(ms / 1000), (ms % 1000) * 1e6 + sub, local());
  }
  static zero(): GoTime {
    return new GoTime(-62135596800, 0, UTC);
  }
  unixNano(): bigint {
    return BigInt(this.sec) * NS + BigInt(this.nsec);
  }
  in(loc: Loc): GoTime {
    return new GoTime(this.sec, this.nsec, loc);
  }
  add(d: bigint): GoTime {
    return GoTime.fromUnixNano(this.unixNano() + d, this.loc);
  }
  goEqual(o: unknown): boolean {
    return o instanceof GoTime && o.sec === this.sec && o.nsec === this.nsec && o.loc.name === this.loc.name;
  }
  /** broken-down fields in the time's location */
  fields(): { year: number; month: number; day: number; hour: number; min: number; sec: number; wday: number; yday: number; off: number; abbr: string } {
    const [off, abbr] = this.loc.at(this.sec);
    const d = new Date((this.sec + off) * 1000);
    const year = d.getUTCFullYear();
    const start = Date.UTC(2000, 0, 1) - 0;
    void start;
    const jan1 = new Date(0);
    jan1.setUTCFullYear(year, 0, 1);
    jan1.setUTCHours(0, 0, 0, 0);
    const yday = Math.floor((d.getTime() - jan1.getTime()) / 86400000) + 1;
    return { year, month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), min: d.getUTCMinutes(), sec: d.getUTCSeconds(), wday: d.getUTCDay(), yday, off, abbr };
  }
  format(layout: string): string {
    return formatTime(this, layout);
  }
  String(): string {
    return formatTime(this, '2006-01-02 15:04:05.999999999 -0700 MST');
  }
  toJSON(): string {
    return formatTime(this, '2006-01-02T15:04:05.999999999Z07:00');
  }
}

// Methods callable from templates ({{ now.Year }}, {{ $t.Format "2006" }}, {{ $t.Unix }} ...)
const P = GoTime.prototype as unknown as Record<string, unknown>;
P['Format'] = goFunc(['string'], null, function (this: GoTime, l: string) {
  return this.format(l);
});
P['Unix'] = goFunc([], null, function (this: GoTime) {
  return new GoNum('int64', BigInt(this.sec));
});
P['UnixNano'] = goFunc([], null, function (this: GoTime) {
  return new GoNum('int64', this.unixNano());
});
P['UTC'] = goFunc([], null, function (this: GoTime) {
  return this.in(UTC);
});
P['Local'] = goFunc([], null, function (this: GoTime) {
  return this.in(local());
});
P['Year'] = goFunc([], null, function (this: GoTime) {
  return BigInt(this.fields().year);
});
P['Month'] = goFunc([], null, function (this: GoTime) {
  return longMonth[this.fields().month - 1];
});
P['Day'] = goFunc([], null, function (this: GoTime) {
  return BigInt(this.fields().day);
});
P['Hour'] = goFunc([], null, function (this: GoTime) {
  return BigInt(this.fields().hour);
});
P['Minute'] = goFunc([], null, function (this: GoTime) {
  return BigInt(this.fields().min);
});
P['Second'] = goFunc([], null, function (this: GoTime) {
  return BigInt(this.fields().sec);
});
P['Nanosecond'] = goFunc([], null, function (this: GoTime) {
  return BigInt(this.nsec);
});
P['Weekday'] = goFunc([], null, function (this: GoTime) {
  return longDay[this.fields().wday];
});
P['YearDay'] = goFunc([], null, function (this: GoTime) {
  return BigInt(this.fields().yday);
});
P['IsZero'] = goFunc([], null, function (this: GoTime) {
  return this.sec === -62135596800 && this.nsec === 0;
});

const longMonth = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const longDay = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

// ---- layouts

type Chunk =
  | 'January' | 'Jan' | '1' | '01' | 'Monday' | 'Mon' | '2' | '_2' | '02' | '__2' | '002'
  | '15' | '3' | '03' | '4' | '04' | '5' | '05' | '2006' | '06' | 'PM' | 'pm' | 'MST'
  | 'Z0700' | 'Z070000' | 'Z07' | 'Z07:00' | 'Z07:00:00' | '-0700' | '-070000' | '-07' | '-07:00' | '-07:00:00'
  | 'frac0' | 'frac9';

interface Tok {
  lit?: string;
  std?: Chunk;
  digits?: number;
  sep?: string;
}

const layoutCache = new Map<string, Tok[]>();

function isLowerAt(s: string, i: number): boolean {
  const c = s[i];
  return c !== undefined && c >= 'a' && c <= 'z';
}

/** Splits a Go layout string into literal text and standard chunks. */
export function tokenizeLayout(layout: string): Tok[] {
  const cached = layoutCache.get(layout);
  if (cached) return cached;
  const toks: Tok[] = [];
  let lit = '';
  const push = (t: Tok): void => {
    if (lit) toks.push({ lit });
    lit = '';
    toks.push(t);
  };
  let i = 0;
  while (i < layout.length) {
    const s = layout.slice(i);
    const c = layout[i]!;
    let m: Chunk | undefined;
    let len = 0;
    switch (c) {
      case 'J':
        if (s.startsWith('January')) (m = 'January'), (len = 7);
        else if (s.startsWith('Jan')) (m = 'Jan'), (len = 3);
        break;
      case 'M':
        if (s.startsWith('Monday')) (m = 'Monday'), (len = 6);
        else if (s.startsWith('Mon') && !isLowerAt(layout, i + 3)) (m = 'Mon'), (len = 3);
        else if (s.startsWith('MST')) (m = 'MST'), (len = 3);
        break;
      case '0':
        if (s.length > 1 && s[1]! >= '1' && s[1]! <= '6') (m = ('0' + s[1]) as Chunk), (len = 2);
        else if (s.startsWith('002')) (m = '002'), (len = 3);
        break;
      case '1':
        if (s.startsWith('15')) (m = '15'), (len = 2);
        else (m = '1'), (len = 1);
        break;
      case '2':
        if (s.startsWith('2006')) (m = '2006'), (len = 4);
        else (m = '2'), (len = 1);
        break;
      case '_':
        if (s.startsWith('_2')) {
          if (s.startsWith('_2006')) {
            lit += '_';
            i++;
            continue;
          }
          (m = '_2'), (len = 2);
        } else if (s.startsWith('__2')) (m = '__2'), (len = 3);
        break;
      case '3':
      case '4':
      case '5':
        (m = c as Chunk), (len = 1);
        break;
      case 'P':
        if (s.startsWith('PM')) (m = 'PM'), (len = 2);
        break;
      case 'p':
        if (s.startsWith('pm')) (m = 'pm'), (len = 2);
        break;
      case '-':
        for (const z of ['-07:00:00', '-070000', '-07:00', '-0700', '-07'] as const) {
          if (s.startsWith(z)) {
            (m = z), (len = z.length);
            break;
          }
        }
        break;
      case 'Z':
        for (const z of ['Z07:00:00', 'Z070000', 'Z07:00', 'Z0700', 'Z07'] as const) {
          if (s.startsWith(z)) {
            (m = z), (len = z.length);
            break;
          }
        }
        break;
      case '.':
      case ',':
        if (s[1] === '0' || s[1] === '9') {
          const ch = s[1];
          let j = 1;
          while (s[j] === ch) j++;
          if (!(s[j] !== undefined && s[j]! >= '0' && s[j]! <= '9')) {
            push({ std: ch === '0' ? 'frac0' : 'frac9', digits: j - 1, sep: c });
            i += j;
            continue;
          }
        }
        break;
    }
    if (m) {
      push({ std: m });
      i += len;
    } else {
      lit += c;
      i++;
    }
  }
  if (lit) toks.push({ lit });
  layoutCache.set(layout, toks);
  return toks;
}

const pad = (n: number, w: number): string => {
  const s = String(Math.abs(n));
  return (n < 0 ? '-' : '') + (s.length >= w ? s : '0'.repeat(w - s.length) + s);
};

function fmtZone(off: number, colon: boolean, secs: boolean, hoursOnly: boolean): string {
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  const h = Math.floor(a / 3600);
  const m = Math.floor((a % 3600) / 60);
  const s = a % 60;
  let out = sign + pad(h, 2);
  if (hoursOnly) return out;
  out += (colon ? ':' : '') + pad(m, 2);
  if (secs) out += (colon ? ':' : '') + pad(s, 2);
  return out;
}

export function formatTime(t: GoTime, layout: string): string {
  const f = t.fields();
  let out = '';
  for (const tok of tokenizeLayout(layout)) {
    if (tok.lit !== undefined) {
      out += tok.lit;
      continue;
    }
    switch (tok.std!) {
      case 'January':
        out += longMonth[f.month - 1];
        break;
      case 'Jan':
        out += longMonth[f.month - 1]!.slice(0, 3);
        break;
      case '1':
        out += f.month;
        break;
      case '01':
        out += pad(f.month, 2);
        break;
      case 'Monday':
        out += longDay[f.wday];
        break;
      case 'Mon':
        out += longDay[f.wday]!.slice(0, 3);
        break;
      case '2':
        out += f.day;
        break;
      case '_2':
        out += f.day < 10 ? ' ' + f.day : String(f.day);
        break;
      case '02':
        out += pad(f.day, 2);
        break;
      case '__2':
        out += String(f.yday).padStart(3, ' ');
        break;
      case '002':
        out += pad(f.yday, 3);
        break;
      case '15':
        out += pad(f.hour, 2);
        break;
      case '3':
        out += f.hour % 12 === 0 ? 12 : f.hour % 12;
        break;
      case '03':
        out += pad(f.hour % 12 === 0 ? 12 : f.hour % 12, 2);
        break;
      case '4':
        out += f.min;
        break;
      case '04':
        out += pad(f.min, 2);
        break;
      case '5':
        out += f.sec;
        break;
      case '05':
        out += pad(f.sec, 2);
        break;
      case '2006':
        out += pad(f.year, 4);
        break;
      case '06':
        out += pad(f.year % 100, 2);
        break;
      case 'PM':
        out += f.hour >= 12 ? 'PM' : 'AM';
        break;
      case 'pm':
        out += f.hour >= 12 ? 'pm' : 'am';
        break;
      case 'MST':
        out += f.abbr || fmtZone(f.off, false, false, false);
        break;
      case 'Z0700':
      case 'Z07:00':
      case 'Z07':
      case 'Z070000':
      case 'Z07:00:00':
      case '-0700':
      case '-07:00':
      case '-07':
      case '-070000':
      case '-07:00:00': {
        if (tok.std![0] === 'Z' && f.off === 0) {
          out += 'Z';
          break;
        }
        const z = tok.std!.slice(1);
        out += fmtZone(f.off, z.includes(':'), z.length >= 6, z === '07');
        break;
      }
      case 'frac0':
      case 'frac9': {
        let digits = String(t.nsec).padStart(9, '0').slice(0, tok.digits!);
        if (tok.std === 'frac9') {
          digits = digits.replace(/0+$/, '');
          if (digits === '') break;
        }
        out += tok.sep + digits;
        break;
      }
    }
  }
  return out;
}

// ---- parsing (time.ParseInLocation)

const shortMonth = longMonth.map((m) => m.slice(0, 3));

export function parseTime(layout: string, value: string, loc: Loc): GoTime {
  const orig = value;
  const fail = (valueElem: string, layoutElem: string, extra = ''): never => {
    throw new Error(`parsing time ${JSON.stringify(orig)} as ${JSON.stringify(layout)}: cannot parse ${JSON.stringify(valueElem)} as ${JSON.stringify(layoutElem)}${extra}`);
  };
  let year = 1;
  let month = 1;
  let day = 1;
  let hour = 0;
  let min = 0;
  let sec = 0;
  let nsec = 0;
  let pm = false;
  let pmSet = false;
  let zoneOff: number | undefined;
  let zoneName: string | undefined;
  let v = value;
  const num = (min: number, max: number, elem: string): number => {
    const m = new RegExp(`^\\d{${min},${max}}`).exec(v);
    if (!m) fail(v, elem);
    v = v.slice(m![0].length);
    return Number(m![0]);
  };
  const toks = tokenizeLayout(layout);
  for (let ti = 0; ti < toks.length; ti++) {
    const tok = toks[ti]!;
    if (tok.lit !== undefined) {
      if (!v.startsWith(tok.lit)) fail(v, tok.lit);
      v = v.slice(tok.lit.length);
      continue;
    }
    const std = tok.std!;
    switch (std) {
      case '2006':
        year = num(4, 4, std);
        break;
      case '06': {
        const y = num(2, 2, std);
        year = y >= 69 ? 1900 + y : 2000 + y;
        break;
      }
      case 'January':
      case 'Jan': {
        const names = std === 'January' ? longMonth : shortMonth;
        const k = names.findIndex((n) => v.toLowerCase().startsWith(n.toLowerCase()));
        if (k < 0) fail(v, std);
        month = k + 1;
        v = v.slice(names[k]!.length);
        break;
      }
      case '1':
      case '01':
        month = num(std === '01' ? 2 : 1, 2, std);
        if (month < 1 || month > 12) fail(String(month), std, ': month out of range');
        break;
      case 'Monday':
      case 'Mon': {
        const names = std === 'Monday' ? longDay : longDay.map((d) => d.slice(0, 3));
        const k = names.findIndex((n) => v.toLowerCase().startsWith(n.toLowerCase()));
        if (k < 0) fail(v, std);
        v = v.slice(names[k]!.length);
        break;
      }
      case '_2':
      case '2':
      case '02':
        if (std === '_2' && v.startsWith(' ')) v = v.slice(1);
        day = num(std === '02' ? 2 : 1, 2, std);
        break;
      case '__2':
      case '002':
        v = v.replace(/^ +/, '');
        num(1, 3, std);
        break;
      case '15':
        hour = num(2, 2, std);
        if (hour > 23) fail(String(hour), std, ': hour out of range');
        break;
      case '3':
      case '03':
        hour = num(std === '03' ? 2 : 1, 2, std);
        if (hour > 12) fail(String(hour), std, ': hour out of range');
        break;
      case '4':
      case '04':
        min = num(std === '04' ? 2 : 1, 2, std);
        if (min > 59) fail(String(min), std, ': minute out of range');
        break;
      case '5':
      case '05': {
        sec = num(std === '05' ? 2 : 1, 2, std);
        if (sec > 59) fail(String(sec), std, ': second out of range');
        // fractional seconds may follow even if the layout has none
        const next = toks[ti + 1];
        if ((v[0] === '.' || v[0] === ',') && !(next && next.std?.startsWith('frac')) && /^[.,]\d/.test(v)) {
          const m = /^[.,](\d+)/.exec(v)!;
          nsec = Number(m[1]!.slice(0, 9).padEnd(9, '0'));
          v = v.slice(m[0].length);
        }
        break;
      }
      case 'PM':
      case 'pm': {
        const a = v.slice(0, 2).toUpperCase();
        if (a !== 'AM' && a !== 'PM') fail(v, std);
        pm = a === 'PM';
        pmSet = true;
        v = v.slice(2);
        break;
      }
      case 'MST': {
        const m = /^(UTC|GMT([+-]\d{1,2})?|[A-Z]{3,5}|[+-]\d{2,4})/.exec(v);
        if (!m) fail(v, std);
        zoneName = m![0];
        v = v.slice(m![0].length);
        break;
      }
      case 'frac0':
      case 'frac9': {
        const m = /^[.,](\d+)/.exec(v);
        if (!m) {
          if (std === 'frac9') break;
          fail(v, tok.sep + '0'.repeat(tok.digits!));
        }
        if (std === 'frac0' && m![1]!.length !== tok.digits) fail(v, tok.sep + '0'.repeat(tok.digits!));
        nsec = Number(m![1]!.slice(0, 9).padEnd(9, '0'));
        v = v.slice(m![0].length);
        break;
      }
      default: {
        // numeric zones
        if (std[0] === 'Z' && v[0] === 'Z') {
          v = v.slice(1);
          zoneOff = 0;
          zoneName = 'UTC';
          break;
        }
        const z = std.slice(1);
        const re = z === '07' ? /^([+-])(\d\d)/ : z.includes(':') ? (z.length > 5 ? /^([+-])(\d\d):(\d\d):(\d\d)/ : /^([+-])(\d\d):(\d\d)/) : z.length > 4 ? /^([+-])(\d\d)(\d\d)(\d\d)/ : /^([+-])(\d\d)(\d\d)/;
        const m = re.exec(v);
        if (!m) fail(v, std);
        const off = Number(m![2]) * 3600 + Number(m![3] ?? 0) * 60 + Number(m![4] ?? 0);
        zoneOff = m![1] === '-' ? -off : off;
        v = v.slice(m![0].length);
      }
    }
  }
  if (v.length > 0) throw new Error(`parsing time ${JSON.stringify(orig)}: extra text: ${JSON.stringify(v)}`);
  if (pmSet) {
    if (pm && hour < 12) hour += 12;
    else if (!pm && hour === 12) hour = 0;
  }
  const dim = new Date(Date.UTC(2000, month, 0));
  dim.setUTCFullYear(year, month, 0);
  if (day < 1 || day > dim.getUTCDate()) fail(String(day).padStart(2, '0'), '02', ': day out of range');
  const base = new Date(0);
  base.setUTCFullYear(year, month - 1, day);
  base.setUTCHours(hour, min, sec, 0);
  const wall = Math.floor(base.getTime() / 1000);
  if (zoneOff !== undefined) {
    const t = new GoTime(wall - zoneOff, nsec, UTC);
    if (zoneOff === 0 && zoneName === 'UTC') return t;
    const [lo] = loc.at(t.sec);
    if (lo === zoneOff) return t.in(loc);
    return t.in(fixedZone('', zoneOff));
  }
  if (zoneName !== undefined) {
    if (zoneName === 'UTC') return new GoTime(wall, nsec, UTC);
    const [lo, la] = loc.at(wall - loc.at(wall)[0]);
    if (la === zoneName) return new GoTime(wall - lo, nsec, loc);
    const gm = /^GMT([+-]\d{1,2})$/.exec(zoneName);
    const off = gm ? Number(gm[1]) * 3600 : 0;
    return new GoTime(wall - off, nsec, fixedZone(zoneName, off));
  }
  // interpret in loc
  let [off] = loc.at(wall);
  [off] = loc.at(wall - off);
  return new GoTime(wall - off, nsec, loc);
}

// ---- durations

const unitNs: Record<string, bigint> = {
  ns: 1n,
  us: 1000n,
  µs: 1000n,
  μs: 1000n,
  ms: 1_000_000n,
  s: NS,
  m: 60n * NS,
  h: 3600n * NS,
};

/** time.ParseDuration, returning nanoseconds. */
export function parseDuration(s: string): bigint {
  const orig = s;
  const bad = (): never => {
    throw new Error(`time: invalid duration ${JSON.stringify(orig)}`);
  };
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') bad();
  let total = 0;
  let totalNs = 0n;
  while (s !== '') {
    const m = /^(\d*)(?:\.(\d*))?/.exec(s)!;
    if (m[0] === '' || m[0] === '.' || (m[1] === '' && (m[2] ?? '') === '')) bad();
    s = s.slice(m[0].length);
    const u = /^[^\d.]+/.exec(s);
    if (!u) throw new Error(`time: missing unit in duration ${JSON.stringify(orig)}`);
    const unit = unitNs[u[0]];
    if (unit === undefined) throw new Error(`time: unknown unit ${JSON.stringify(u[0])} in duration ${JSON.stringify(orig)}`);
    s = s.slice(u[0].length);
    const whole = BigInt(m[1] || '0') * unit;
    let frac = 0n;
    if (m[2]) {
      const scale = 10n ** BigInt(m[2].length);
      frac = (BigInt(m[2]) * unit) / scale;
    }
    totalNs += whole + frac;
    total++;
  }
  void total;
  if (totalNs > (1n << 63n) - 1n) throw new Error(`time: invalid duration ${JSON.stringify(orig)}`);
  return neg ? -totalNs : totalNs;
}

function fmtFrac(v: bigint, prec: number): [string, bigint] {
  // prints v/10^prec with trailing zeros removed
  let s = '';
  let print = false;
  for (let i = 0; i < prec; i++) {
    const digit = v % 10n;
    print = print || digit !== 0n;
    if (print) s = digit.toString() + s;
    v /= 10n;
  }
  if (print) s = '.' + s;
  return [s, v];
}

/** time.Duration.String() */
export function durationString(d: bigint): string {
  if (d === 0n) return '0s';
  const neg = d < 0n;
  let u = neg ? -d : d;
  let out: string;
  if (u < NS) {
    let prec: number;
    let unit: string;
    if (u < 1000n) return (neg ? '-' : '') + u.toString() + 'ns';
    if (u < 1_000_000n) {
      prec = 3;
      unit = 'µs';
    } else {
      prec = 6;
      unit = 'ms';
    }
    const [frac, w] = fmtFrac(u, prec);
    out = w.toString() + frac + unit;
  } else {
    const [frac, w0] = fmtFrac(u, 9);
    let w = w0;
    out = (w % 60n).toString() + frac + 's';
    w /= 60n;
    if (w > 0n) {
      out = (w % 60n).toString() + 'm' + out;
      w /= 60n;
      if (w > 0n) out = w.toString() + 'h' + out;
    }
    u = 0n;
  }
  return (neg ? '-' : '') + out;
}

/** Duration.Round(m) */
export function roundDuration(d: bigint, m: bigint): bigint {
  if (m <= 0n) return d;
  let r = d % m;
  if (d < 0n) {
    r = -r;
    if (r + r < m) return d + r;
    return d - m + r;
  }
  if (r + r < m) return d - r;
  return d + m - r;
}
