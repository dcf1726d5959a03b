// Methods callable on values: time.Time and time.Duration (as Go's), and function-valued map members
// (e.g. Argo's `sprig.trim(x)`).
import { GoTime } from '@flotilla/gotemplate';
import { fault } from './errors.js';
import { describe, Duration, isMap, norm } from './values.js';

const NS = 1_000_000_000n;

function durArg(v: unknown, m: string): Duration {
  if (v instanceof Duration) return v;
  if (typeof v === 'bigint') return new Duration(v);
  fault(`${m}: argument must be a duration, got ${describe(v)}`);
}
function timeArg(v: unknown, m: string): GoTime {
  if (v instanceof GoTime) return v;
  fault(`${m}: argument must be a time, got ${describe(v)}`);
}

const DURATION: Record<string, (d: Duration, args: unknown[]) => unknown> = {
  Hours: (d) => Number(d.ns) / 3.6e12,
  Minutes: (d) => Number(d.ns) / 6e10,
  Seconds: (d) => Number(d.ns / NS) + Number(d.ns % NS) / 1e9,
  Milliseconds: (d) => d.ns / 1_000_000n,
  Microseconds: (d) => d.ns / 1_000n,
  Nanoseconds: (d) => d.ns,
  String: (d) => d.toString(),
  Abs: (d) => new Duration(d.ns < 0n ? -d.ns : d.ns),
  Round: (d, [m]) => {
    const u = durArg(m, 'Round').ns;
    if (u <= 0n) return d;
    const r = ((d.ns % u) + u) % u;
    return new Duration(r + r < u ? d.ns - r : d.ns + u - r);
  },
  Truncate: (d, [m]) => {
    const u = durArg(m, 'Truncate').ns;
    return u <= 0n ? d : new Duration(d.ns - (d.ns % u));
  },
};

const TIME: Record<string, (t: GoTime, args: unknown[]) => unknown> = {
  Sub: (t, [o]) => new Duration(t.unixNano() - timeArg(o, 'Sub').unixNano()),
  Add: (t, [d]) => t.add(durArg(d, 'Add').ns),
  Before: (t, [o]) => t.unixNano() < timeArg(o, 'Before').unixNano(),
  After: (t, [o]) => t.unixNano() > timeArg(o, 'After').unixNano(),
  Equal: (t, [o]) => t.unixNano() === timeArg(o, 'Equal').unixNano(),
  String: (t) => t.String(),
};

export function callMethod(obj: unknown, name: string, args: unknown[]): unknown {
  if (obj instanceof Duration) {
    const m = DURATION[name];
    if (m) return m(obj, args);
  } else if (obj instanceof GoTime) {
    const m = TIME[name];
    if (m) return m(obj, args);
    const g = (GoTime.prototype as unknown as Record<string, unknown>)[name];
    if (typeof g === 'function' && /^[A-Z]/.test(name)) return norm((g as (...a: unknown[]) => unknown).apply(obj, args));
  } else if (isMap(obj)) {
    const f = Object.prototype.hasOwnProperty.call(obj, name) ? obj[name] : undefined;
    if (typeof f === 'function') return norm((f as (...a: unknown[]) => unknown)(...args));
    if (f === undefined) fault(`unknown function ${name} in map`);
    fault(`${name} is not a function (it is ${describe(f)})`);
  } else if (obj !== null && typeof obj === 'object') {
    const f = (obj as Record<string, unknown>)[name];
    if (typeof f === 'function') return norm((f as (...a: unknown[]) => unknown).apply(obj, args));
  }
  fault(`cannot call method ${name} on ${describe(obj)}`);
}
