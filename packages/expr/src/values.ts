// Value model shared with @flotilla/gotemplate:
//   nil → null (undefined from JS is read as nil), bool → boolean, int → bigint (int64, wraps),
//   float → number (float64; every JS number coming from an env or JSON is a float64, as Go's JSON is),
//   string → string, array → Array, map → plain object, time.Time → GoTime, time.Duration → Duration.
import { GoTime, GoNum, formatValue, durationString, toJSON as goJSON } from '@flotilla/gotemplate';
import { fault } from './errors.js';

/** time.Duration: int64 nanoseconds. */
export class Duration {
  constructor(readonly ns: bigint) {}
  toString(): string {
    return durationString(this.ns);
  }
  toJSON(): string {
    return this.ns.toString();
  }
}

export type ExprFunc = ((...args: unknown[]) => unknown) & { exprName?: string };

export function isMap(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

export const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** Normalises foreign numbers (GoNum from Sprig) into the model. */
export function norm(v: unknown): unknown {
  if (v === undefined) return null;
  if (v instanceof GoNum) return v.isFloat ? Number(v.v) : BigInt(v.v);
  return v;
}

/** Name of a value's type as expr's type() reports it. */
export function typeOf(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int';
    case 'number':
      return 'float';
    case 'string':
      return 'string';
    case 'function':
      return 'func';
  }
  if (Array.isArray(v)) return 'array';
  if (v instanceof GoTime) return 'time.Time';
  if (v instanceof Duration) return 'time.Duration';
  if (v instanceof GoNum) return v.isFloat ? 'float' : 'int';
  if (isMap(v)) return 'map';
  return 'struct';
}

export const isNum = (v: unknown): v is bigint | number => typeof v === 'bigint' || typeof v === 'number';

export function toFloat(v: bigint | number): number {
  return typeof v === 'number' ? v : Number(v);
}

/** An int value of an index/count argument: ints, and floats without a fraction (Go converts both). */
export function toIntIndex(v: unknown, what: string): number {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  fault(`${what} must be an integer, got ${describe(v)}`);
}

/** `type value` for messages, e.g. `string "abc"`. */
export function describe(v: unknown): string {
  const t = typeOf(v);
  if (t === 'nil') return 'nil';
  if (t === 'string') {
    const s = v as string;
    return `string ${JSON.stringify(s.length > 40 ? s.slice(0, 40) + '…' : s)}`;
  }
  if (t === 'int' || t === 'float' || t === 'bool') return `${t} ${String(v)}`;
  return t;
}

/** expr's == : numbers compare by value across int/float, times by instant, everything else deeply. */
export function equal(a: unknown, b: unknown): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (a === b) return true;
  if (isNum(a) && isNum(b)) return typeof a === typeof b ? a === b : toFloat(a) === toFloat(b);
  if (a === null || b === null) return false;
  if (a instanceof GoTime && b instanceof GoTime) return a.unixNano() === b.unixNano();
  if (a instanceof Duration && b instanceof Duration) return a.ns === b.ns;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!equal(a[i], b[i])) return false;
    return true;
  }
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    for (const k of ka) if (!hasOwn(b, k) || !equal(a[k], b[k])) return false;
    return true;
  }
  return false;
}

/** <, <=, >, >= ; returns negative/0/positive or faults on types that do not order. */
export function compare(a: unknown, b: unknown, op: string): number {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (isNum(a) && isNum(b)) {
    const x = toFloat(a);
    const y = toFloat(b);
    if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (a instanceof GoTime && b instanceof GoTime) {
    const x = a.unixNano();
    const y = b.unixNano();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a instanceof Duration && b instanceof Duration) return a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0;
  fault(`invalid operation: ${typeOf(a)} ${op} ${typeOf(b)} (${describe(a)} ${op} ${describe(b)})`);
}

/** Go's fmt %v of a value (what string() returns). */
export function toStr(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '<nil>';
  if (v instanceof Duration) return v.toString();
  if (Array.isArray(v)) return '[' + v.map(toStr).join(' ') + ']';
  if (isMap(v)) return 'map[' + Object.keys(v).sort().map((k) => `${k}:${toStr(v[k])}`).join(' ') + ']';
  return formatValue(v);
}

/** Go's encoding/json of a value (sorted keys, HTML-safe), optionally indented. */
export function toJSONString(v: unknown, indent = ''): string {
  return goJSON(jsonable(v), true, indent);
}

function jsonable(v: unknown): unknown {
  if (v instanceof Duration) return v.ns;
  if (v instanceof GoTime) return v.toJSON();
  if (Array.isArray(v)) return v.map(jsonable);
  if (isMap(v)) {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v)) o[k] = jsonable(v[k]);
    return o;
  }
  return v === undefined ? null : v;
}

/** Converts an expr result into plain JSON-compatible JS (ints become numbers when they fit, times RFC 3339 strings). */
export function toPlain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v === undefined) return null;
  if (v instanceof GoTime) return v.toJSON();
  if (v instanceof Duration) return v.toString();
  if (Array.isArray(v)) return v.map(toPlain);
  if (isMap(v)) {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v)) o[k] = toPlain(v[k]);
    return o;
  }
  return v;
}
