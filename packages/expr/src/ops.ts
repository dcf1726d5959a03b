// Operators of the expr language on the value model (see values.ts).
import { GoTime } from '@flotilla/gotemplate';
import { fault } from './errors.js';
import { compare, describe, Duration, equal, hasOwn, isMap, isNum, toFloat, toIntIndex, typeOf } from './values.js';
import { compileRegex } from './regex.js';

const wrap = (v: bigint): bigint => BigInt.asIntN(64, v);

function mismatch(op: string, a: unknown, b: unknown): never {
  fault(`invalid operation: ${typeOf(a)} ${op} ${typeOf(b)} (${describe(a)} ${op} ${describe(b)})`);
}

export function add(a: unknown, b: unknown): unknown {
  if (typeof a === 'bigint' && typeof b === 'bigint') return wrap(a + b);
  if (isNum(a) && isNum(b)) return toFloat(a) + toFloat(b);
  if (typeof a === 'string' && typeof b === 'string') return a + b;
  if (a instanceof GoTime && b instanceof Duration) return a.add(b.ns);
  if (a instanceof Duration && b instanceof GoTime) return b.add(a.ns);
  if (a instanceof Duration && b instanceof Duration) return new Duration(wrap(a.ns + b.ns));
  mismatch('+', a, b);
}

export function sub(a: unknown, b: unknown): unknown {
  if (typeof a === 'bigint' && typeof b === 'bigint') return wrap(a - b);
  if (isNum(a) && isNum(b)) return toFloat(a) - toFloat(b);
  if (a instanceof GoTime && b instanceof GoTime) return new Duration(wrap(a.unixNano() - b.unixNano()));
  if (a instanceof GoTime && b instanceof Duration) return a.add(-b.ns);
  if (a instanceof Duration && b instanceof Duration) return new Duration(wrap(a.ns - b.ns));
  mismatch('-', a, b);
}

export function mul(a: unknown, b: unknown): unknown {
  if (typeof a === 'bigint' && typeof b === 'bigint') return wrap(a * b);
  if (isNum(a) && isNum(b)) return toFloat(a) * toFloat(b);
  if (a instanceof Duration && typeof b === 'bigint') return new Duration(wrap(a.ns * b));
  if (typeof a === 'bigint' && b instanceof Duration) return new Duration(wrap(a * b.ns));
  mismatch('*', a, b);
}

export function div(a: unknown, b: unknown): unknown {
  if (isNum(a) && isNum(b)) return toFloat(a) / toFloat(b);
  mismatch('/', a, b);
}

export function mod(a: unknown, b: unknown): unknown {
  if (typeof a === 'bigint' && typeof b === 'bigint') {
    if (b === 0n) fault('integer divide by zero');
    return a % b;
  }
  mismatch('%', a, b);
}

export function pow(a: unknown, b: unknown): unknown {
  if (isNum(a) && isNum(b)) return Math.pow(toFloat(a), toFloat(b));
  mismatch('**', a, b);
}

export function negate(a: unknown): unknown {
  if (typeof a === 'bigint') return wrap(-a);
  if (typeof a === 'number') return -a;
  if (a instanceof Duration) return new Duration(wrap(-a.ns));
  fault(`invalid operation: -${typeOf(a)} (-${describe(a)})`);
}

export function plus(a: unknown): unknown {
  if (isNum(a)) return a;
  fault(`invalid operation: +${typeOf(a)} (+${describe(a)})`);
}

export function bool(v: unknown, what: string): boolean {
  if (typeof v === 'boolean') return v;
  fault(`${what} needs a bool, got ${describe(v)}`);
}

export function inOp(a: unknown, b: unknown): boolean {
  if (Array.isArray(b)) {
    for (const x of b) if (equal(a, x)) return true;
    return false;
  }
  if (isMap(b)) {
    if (typeof a !== 'string') {
      if (a === null) return false;
      fault(`cannot use ${describe(a)} as a map key in "in" (map keys are strings)`);
    }
    return hasOwn(b, a);
  }
  if (b === null || b === undefined) return false;
  if (typeof b === 'object' && typeof a === 'string') return a in (b as object);
  fault(`invalid operation: ${typeOf(a)} in ${typeOf(b)} ("in" needs an array or a map on the right, got ${describe(b)})`);
}

function strings(op: string, a: unknown, b: unknown): [string, string] {
  if (typeof a === 'string' && typeof b === 'string') return [a, b];
  mismatch(op, a, b);
}

export const contains = (a: unknown, b: unknown): boolean => {
  const [x, y] = strings('contains', a, b);
  return x.includes(y);
};
export const startsWith = (a: unknown, b: unknown): boolean => {
  const [x, y] = strings('startsWith', a, b);
  return x.startsWith(y);
};
export const endsWith = (a: unknown, b: unknown): boolean => {
  const [x, y] = strings('endsWith', a, b);
  return x.endsWith(y);
};

export function matches(a: unknown, b: unknown, re?: RegExp): boolean {
  const [x, y] = strings('matches', a, b);
  return (re ?? compileRegex(y)).test(x);
}

export function range(a: unknown, b: unknown): bigint[] {
  if (typeof a !== 'bigint' || typeof b !== 'bigint') mismatch('..', a, b);
  const n = b - a + 1n;
  if (n > 10_000_000n) fault(`range ${a}..${b} is too large (more than 10,000,000 elements)`);
  const out: bigint[] = [];
  for (let i = a; i <= b; i++) out.push(i);
  return out;
}

export function cmp(op: '<' | '<=' | '>' | '>=', a: unknown, b: unknown): boolean {
  const c = compare(a, b, op);
  if (Number.isNaN(c)) return false;
  switch (op) {
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    default:
      return c >= 0;
  }
}

/** obj[key] / obj.key */
export function fetch(obj: unknown, key: unknown): unknown {
  if (isMap(obj)) {
    const k = typeof key === 'string' ? key : String(key);
    return hasOwn(obj, k) ? norm0(obj[k]) : null;
  }
  if (Array.isArray(obj)) {
    if (typeof key === 'string') fault(`cannot fetch ${JSON.stringify(key)} from array (arrays are indexed by integers)`);
    let i = toIntIndex(key, 'array index');
    if (i < 0) i += obj.length;
    if (i < 0 || i >= obj.length) fault(`index out of range: ${String(key)} (array length is ${obj.length})`);
    return norm0(obj[i]);
  }
  if (typeof obj === 'string') {
    const chars = Array.from(obj);
    let i = toIntIndex(key, 'string index');
    if (i < 0) i += chars.length;
    if (i < 0 || i >= chars.length) fault(`index out of range: ${String(key)} (string length is ${chars.length})`);
    return chars[i]!;
  }
  if (obj === null || obj === undefined) fault(`cannot fetch ${String(key)} from nil`);
  if (typeof obj === 'object' && typeof key === 'string' && !(obj instanceof GoTime) && !(obj instanceof Duration)) {
    const v = (obj as Record<string, unknown>)[key];
    if (typeof v !== 'function') return norm0(v);
  }
  fault(`cannot fetch ${typeof key === 'string' ? key : String(key)} from ${describe(obj)}`);
}

const norm0 = (v: unknown): unknown => (v === undefined ? null : v);

export function slice(obj: unknown, from: unknown, to: unknown): unknown {
  const isStr = typeof obj === 'string';
  if (!isStr && !Array.isArray(obj)) fault(`cannot slice ${describe(obj)}`);
  const items: unknown[] | string[] = isStr ? Array.from(obj as string) : (obj as unknown[]);
  const len = items.length;
  let a = from === undefined ? 0 : toIntIndex(from, 'slice index');
  let b = to === undefined ? len : toIntIndex(to, 'slice index');
  if (a < 0) a += len;
  if (b < 0) b += len;
  a = Math.min(Math.max(a, 0), len);
  b = Math.min(Math.max(b, a), len);
  const out = items.slice(a, b);
  return isStr ? (out as string[]).join('') : out;
}
