// expr's builtin functions (not the closure ones — see predicates.ts).
import { GoTime, UTC, loadLocation, parseDuration, parseTime } from '@flotilla/gotemplate';
import { fault } from './errors.js';
import { compare, describe, Duration, equal, isMap, isNum, toFloat, toIntIndex, toJSONString, toStr, typeOf } from './values.js';

export interface Builtin {
  fn: (...args: unknown[]) => unknown;
  min: number;
  max: number;
}

const b = (min: number, max: number, fn: (...args: any[]) => unknown): Builtin => ({ fn, min, max }); // eslint-disable-line @typescript-eslint/no-explicit-any

function str(v: unknown, fn: string, n = 1): string {
  if (typeof v === 'string') return v;
  fault(`${fn}: argument ${n} must be a string, got ${describe(v)}`);
}
function arr(v: unknown, fn: string): unknown[] {
  if (Array.isArray(v)) return v;
  fault(`${fn}: argument must be an array, got ${describe(v)}`);
}
function map(v: unknown, fn: string): Record<string, unknown> {
  if (isMap(v)) return v;
  fault(`${fn}: argument must be a map, got ${describe(v)}`);
}
function num(v: unknown, fn: string): bigint | number {
  if (isNum(v)) return v;
  fault(`${fn}: argument must be a number, got ${describe(v)}`);
}
function int(v: unknown, fn: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  fault(`${fn}: argument must be an integer, got ${describe(v)}`);
}

/** Go's strings.Index semantics in bytes (UTF-8), expr's indexOf. */
function byteIndex(s: string, cu: number): number {
  if (cu < 0) return -1;
  return Buffer.byteLength(s.slice(0, cu));
}

function trimChars(s: string, chars: string, left: boolean, right: boolean): string {
  const set = new Set(Array.from(chars));
  const cs = Array.from(s);
  let a = 0;
  let z = cs.length;
  if (left) while (a < z && set.has(cs[a]!)) a++;
  if (right) while (z > a && set.has(cs[z - 1]!)) z--;
  return cs.slice(a, z).join('');
}

function split(s: string, sep: string, n: number, after: boolean): string[] {
  if (n === 0) return [];
  const parts: string[] = [];
  if (sep === '') {
    const cs = Array.from(s);
    if (n < 0 || n >= cs.length) return cs;
    return [...cs.slice(0, n - 1), cs.slice(n - 1).join('')];
  }
  let start = 0;
  while (n < 0 || parts.length < n - 1) {
    const i = s.indexOf(sep, start);
    if (i < 0) break;
    parts.push(s.slice(start, after ? i + sep.length : i));
    start = i + sep.length;
  }
  parts.push(s.slice(start));
  return parts;
}

function parseIntStr(s: string, fn: string): bigint {
  const t = s.trim();
  if (!/^[+-]?\d+$/.test(t)) fault(`${fn}: strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  const v = BigInt(t);
  if (v !== BigInt.asIntN(64, v)) fault(`${fn}: strconv.Atoi: parsing ${JSON.stringify(s)}: value out of range`);
  return v;
}

export function parseFloatStr(s: string, fn: string): number {
  const t = s.trim();
  if (!/^[+-]?(\d[\d_]*\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|[Ii]nf(inity)?|NaN|0[xX][0-9a-fA-F]+)$/.test(t)) fault(`${fn}: strconv.ParseFloat: parsing ${JSON.stringify(s)}: invalid syntax`);
  if (/inf/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  return Number(t.replace(/_/g, ''));
}

function minmax(fn: string, args: unknown[], sign: 1 | -1): unknown {
  const items: unknown[] = [];
  const collect = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(collect);
    else if (isNum(v)) items.push(v);
    else fault(`${fn}: invalid argument ${describe(v)} (numbers or arrays of numbers expected)`);
  };
  args.forEach(collect);
  if (items.length === 0) return null;
  let best = items[0];
  for (const v of items.slice(1)) if (compare(v, best, '<') * sign > 0) best = v;
  return best;
}

function flatten(v: unknown[], out: unknown[] = []): unknown[] {
  for (const x of v) if (Array.isArray(x)) flatten(x, out);
  else out.push(x);
  return out;
}

function sortValues(a: unknown[], order: unknown, fn: string): unknown[] {
  if (order !== 'asc' && order !== 'desc') fault(`${fn}: unknown order ${describe(order)}, use "asc" or "desc"`);
  const sign = order === 'desc' ? -1 : 1;
  return [...a].sort((x, y) => compare(x, y, '<') * sign);
}

export function timeOf(s: string, layout: string | undefined, tz: unknown, fn: string): GoTime {
  const loc = tz === undefined ? UTC : loadLocation(str(tz, fn, 3));
  if (layout !== undefined) {
    try {
      return parseTime(layout, s, loc);
    } catch (e) {
      fault(`${fn}: ${(e as Error).message}`);
    }
  }
  const layouts = [
    '2006-01-02T15:04:05Z07:00', '2006-01-02T15:04:05.999999999Z07:00', '2006-01-02 15:04:05 -0700', '2006-01-02 15:04:05 -0700 MST',
    '2006-01-02T15:04:05', '2006-01-02 15:04:05', '2006-01-02', 'Mon Jan _2 15:04:05 2006', 'Mon Jan _2 15:04:05 MST 2006',
    'Mon, 02 Jan 2006 15:04:05 MST', 'Mon, 02 Jan 2006 15:04:05 -0700', '02 Jan 06 15:04 MST', '02 Jan 06 15:04 -0700',
    'Monday, 02-Jan-06 15:04:05 MST', '15:04:05',
  ];
  for (const l of layouts) {
    try {
      return parseTime(l, s, loc);
    } catch {
      /* next */
    }
  }
  fault(`${fn}: cannot parse ${JSON.stringify(s)} as a date`);
}

export const BUILTINS: Record<string, Builtin> = {
  len: b(1, 1, (v) => {
    if (typeof v === 'string') return BigInt(Array.from(v).length);
    if (Array.isArray(v)) return BigInt(v.length);
    if (isMap(v)) return BigInt(Object.keys(v).length);
    fault(`invalid argument for len (type ${typeOf(v)})`);
  }),
  abs: b(1, 1, (v) => {
    const x = num(v, 'abs');
    return typeof x === 'bigint' ? (x < 0n ? -x : x) : Math.abs(x);
  }),
  ceil: b(1, 1, (v) => Math.ceil(toFloat(num(v, 'ceil')))),
  floor: b(1, 1, (v) => Math.floor(toFloat(num(v, 'floor')))),
  round: b(1, 1, (v) => {
    const x = toFloat(num(v, 'round'));
    return x < 0 ? -Math.round(-x) : Math.round(x);
  }),
  max: b(1, Infinity, (...a) => minmax('max', a, 1)),
  min: b(1, Infinity, (...a) => minmax('min', a, -1)),
  int: b(1, 1, (v) => {
    if (typeof v === 'bigint') return v;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) fault(`int: cannot convert ${describe(v)} to int`);
      return BigInt.asIntN(64, BigInt(Math.trunc(v)));
    }
    if (typeof v === 'string') return parseIntStr(v, 'int');
    if (v instanceof Duration) return v.ns;
    fault(`invalid operation: int(${typeOf(v)})`);
  }),
  float: b(1, 1, (v) => {
    if (isNum(v)) return toFloat(v);
    if (typeof v === 'string') return parseFloatStr(v, 'float');
    fault(`invalid operation: float(${typeOf(v)})`);
  }),
  string: b(1, 1, (v) => toStr(v)),
  trim: b(1, 2, (s, c) => (c === undefined ? str(s, 'trim').replace(/^[\s\u0085]+|[\s\u0085]+$/gu, '') : trimChars(str(s, 'trim'), str(c, 'trim', 2), true, true))),
  trimPrefix: b(2, 2, (s, p) => {
    const x = str(s, 'trimPrefix');
    const y = str(p, 'trimPrefix', 2);
    return x.startsWith(y) ? x.slice(y.length) : x;
  }),
  trimSuffix: b(2, 2, (s, p) => {
    const x = str(s, 'trimSuffix');
    const y = str(p, 'trimSuffix', 2);
    return y && x.endsWith(y) ? x.slice(0, x.length - y.length) : x;
  }),
  upper: b(1, 1, (s) => str(s, 'upper').toUpperCase()),
  lower: b(1, 1, (s) => str(s, 'lower').toLowerCase()),
  split: b(2, 3, (s, sep, n) => split(str(s, 'split'), str(sep, 'split', 2), n === undefined ? -1 : Number(int(n, 'split')), false)),
  splitAfter: b(2, 3, (s, sep, n) => split(str(s, 'splitAfter'), str(sep, 'splitAfter', 2), n === undefined ? -1 : Number(int(n, 'splitAfter')), true)),
  replace: b(3, 3, (s, o, n) => str(s, 'replace').split(str(o, 'replace', 2)).join(str(n, 'replace', 3))),
  repeat: b(2, 2, (s, n) => {
    const k = Number(int(n, 'repeat'));
    if (k < 0) fault('repeat: negative repeat count');
    const x = str(s, 'repeat');
    if (x.length * k > 10_000_000) fault('repeat: result longer than 10,000,000 characters');
    return x.repeat(k);
  }),
  indexOf: b(2, 2, (s, sub) => {
    const x = str(s, 'indexOf');
    return BigInt(byteIndex(x, x.indexOf(str(sub, 'indexOf', 2))));
  }),
  lastIndexOf: b(2, 2, (s, sub) => {
    const x = str(s, 'lastIndexOf');
    return BigInt(byteIndex(x, x.lastIndexOf(str(sub, 'lastIndexOf', 2))));
  }),
  hasPrefix: b(2, 2, (s, p) => str(s, 'hasPrefix').startsWith(str(p, 'hasPrefix', 2))),
  hasSuffix: b(2, 2, (s, p) => str(s, 'hasSuffix').endsWith(str(p, 'hasSuffix', 2))),
  keys: b(1, 1, (m) => Object.keys(map(m, 'keys'))),
  values: b(1, 1, (m) => Object.values(map(m, 'values'))),
  toPairs: b(1, 1, (m) => Object.entries(map(m, 'toPairs')).map(([k, v]) => [k, v])),
  fromPairs: b(1, 1, (a) => {
    const o: Record<string, unknown> = {};
    for (const p of arr(a, 'fromPairs')) {
      if (!Array.isArray(p) || p.length !== 2) fault(`fromPairs: each element must be a [key, value] pair, got ${describe(p)}`);
      o[toStr(p[0])] = p[1];
    }
    return o;
  }),
  toJSON: b(1, 1, (v) => toJSONString(v, '  ')),
  fromJSON: b(1, 1, (s) => {
    try {
      return fromJSONText(str(s, 'fromJSON'));
    } catch (e) {
      fault(`fromJSON: ${(e as Error).message}`);
    }
  }),
  toBase64: b(1, 1, (s) => Buffer.from(str(s, 'toBase64')).toString('base64')),
  fromBase64: b(1, 1, (s) => {
    const x = str(s, 'fromBase64');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(x) || x.length % 4 !== 0) fault(`fromBase64: illegal base64 data in ${JSON.stringify(x)}`);
    return Buffer.from(x, 'base64').toString('utf8');
  }),
  now: b(0, 0, () => GoTime.now()),
  duration: b(1, 1, (s) => {
    try {
      return new Duration(parseDuration(str(s, 'duration')));
    } catch (e) {
      fault(`duration: ${(e as Error).message}`);
    }
  }),
  date: b(1, 3, (s, layout, tz) => {
    if (s instanceof GoTime) return s;
    return timeOf(str(s, 'date'), layout === undefined ? undefined : str(layout, 'date', 2), tz, 'date');
  }),
  timezone: b(1, 1, (s) => loadLocation(str(s, 'timezone'))),
  first: b(1, 1, (a) => (Array.isArray(a) ? (a.length ? a[0] : null) : a === null ? null : fault(`first: argument must be an array, got ${describe(a)}`))),
  last: b(1, 1, (a) => (Array.isArray(a) ? (a.length ? a[a.length - 1] : null) : a === null ? null : fault(`last: argument must be an array, got ${describe(a)}`))),
  get: b(2, 2, (o, k) => {
    if (Array.isArray(o)) {
      if (!isNum(k)) return null;
      let i = toIntIndex(k, 'get index');
      if (i < 0) i += o.length;
      return i >= 0 && i < o.length ? o[i] ?? null : null;
    }
    if (isMap(o)) return Object.prototype.hasOwnProperty.call(o, toStr(k)) ? o[toStr(k)] ?? null : null;
    return null;
  }),
  take: b(2, 2, (a, n) => arr(a, 'take').slice(0, Math.max(0, Number(int(n, 'take'))))),
  reverse: b(1, 1, (a) => [...arr(a, 'reverse')].reverse()),
  uniq: b(1, 1, (a) => {
    const out: unknown[] = [];
    for (const x of arr(a, 'uniq')) if (!out.some((y) => equal(x, y))) out.push(x);
    return out;
  }),
  concat: b(1, Infinity, (...as) => as.flatMap((a) => arr(a, 'concat'))),
  flatten: b(1, 1, (a) => flatten(arr(a, 'flatten'))),
  sort: b(1, 2, (a, o) => sortValues(arr(a, 'sort'), o ?? 'asc', 'sort')),
  join: b(1, 2, (a, sep) => arr(a, 'join').map((x) => (typeof x === 'string' ? x : fault(`join: elements must be strings, got ${describe(x)}`))).join(sep === undefined ? '' : str(sep, 'join', 2))),
  type: b(1, 1, (v) => typeOf(v)),
  mean: b(1, 1, (a) => {
    const xs = flatten(arr(a, 'mean')).map((x) => toFloat(num(x, 'mean')));
    return xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0;
  }),
  median: b(1, 1, (a) => {
    const xs = flatten(arr(a, 'median')).map((x) => toFloat(num(x, 'median'))).sort((x, y) => x - y);
    if (!xs.length) return 0;
    const m = xs.length >> 1;
    return xs.length % 2 ? xs[m]! : (xs[m - 1]! + xs[m]!) / 2;
  }),
  bitand: b(2, 2, (x, y) => int(x, 'bitand') & int(y, 'bitand')),
  bitor: b(2, 2, (x, y) => int(x, 'bitor') | int(y, 'bitor')),
  bitxor: b(2, 2, (x, y) => int(x, 'bitxor') ^ int(y, 'bitxor')),
  bitnand: b(2, 2, (x, y) => int(x, 'bitnand') & ~int(y, 'bitnand')),
  bitnot: b(1, 1, (x) => ~int(x, 'bitnot')),
  bitshl: b(2, 2, (x, y) => BigInt.asIntN(64, int(x, 'bitshl') << int(y, 'bitshl'))),
  bitshr: b(2, 2, (x, y) => int(x, 'bitshr') >> int(y, 'bitshr')),
  bitushr: b(2, 2, (x, y) => BigInt.asIntN(64, BigInt.asUintN(64, int(x, 'bitushr')) >> int(y, 'bitushr'))),
};

/** JSON text → values: numbers are float64, as Go's encoding/json decodes into interface{}. */
export function fromJSONText(s: string): unknown {
  return JSON.parse(s) as unknown;
}
