// The predefined global functions of text/template, reimplemented from the package documentation.
import { goFunc, type FuncMap } from './funcs.js';
import { sprint, sprintf, sprintln, formatValue } from './fmt.js';
import { GoNum, basicKind, byteLength, byteSlice, hasOwn, intValue, isMap, truth, typeName, isStruct, deepEqual } from './values.js';

const indirect = (v: unknown): unknown => (v === null ? undefined : v);

function lengthOf(v: unknown): bigint {
  v = indirect(v);
  if (v === undefined) throw new Error('len of nil pointer');
  if (typeof v === 'string') return BigInt(byteLength(v));
  if (Array.isArray(v)) return BigInt(v.length);
  if (isMap(v)) return BigInt(Object.keys(v).length);
  throw new Error(`len of type ${typeName(v)}`);
}

function indexArg(index: unknown, cap: number): number {
  index = indirect(index);
  if (index === undefined) throw new Error('cannot index slice/array with nil');
  const x = intValue(index);
  if (x === undefined) throw new Error(`cannot index slice/array with type ${typeName(index)}`);
  if (x < 0n || x > BigInt(cap)) throw new Error(`index out of range: ${x}`);
  return Number(x);
}

function index(item: unknown, ...indexes: unknown[]): unknown {
  item = indirect(item);
  if (item === undefined) throw new Error('index of untyped nil');
  for (const idx of indexes) {
    if (item === undefined || item === null) throw new Error('index of nil pointer');
    if (typeof item === 'string') {
      const b = Buffer.from(item, 'utf8');
      const x = indexArg(idx, b.length);
      if (x === b.length) throw new Error(`index out of range: ${x}`);
      item = new GoNum('uint8', BigInt(b[x]!));
    } else if (Array.isArray(item)) {
      const x = indexArg(idx, item.length);
      if (x === item.length) throw new Error(`index out of range: ${x}`);
      const v = item[x];
      item = v === undefined ? null : v;
    } else if (isMap(item)) {
      const k = indirect(idx);
      if (typeof k !== 'string') {
        if (k === undefined) throw new Error('value is nil; should be of type string');
        throw new Error(`value has type ${typeName(k)}; should be string`);
      }
      item = hasOwn(item, k) ? (item[k] ?? null) : null;
    } else {
      throw new Error(`can't index item of type ${typeName(item)}`);
    }
  }
  return item;
}

function slice(item: unknown, ...indexes: unknown[]): unknown {
  item = indirect(item);
  if (item === undefined) throw new Error('slice of untyped nil');
  if (indexes.length > 3) throw new Error(`too many slice indexes: ${indexes.length}`);
  let len: number;
  if (typeof item === 'string') {
    if (indexes.length === 3) throw new Error('cannot 3-index slice a string');
    len = byteLength(item);
  } else if (Array.isArray(item)) len = item.length;
  else throw new Error(`can't slice item of type ${typeName(item)}`);
  const idx = [0, len, len];
  indexes.forEach((ix, i) => (idx[i] = indexArg(ix, len)));
  if (idx[0]! > idx[1]!) throw new Error(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  if (indexes.length === 3 && idx[1]! > idx[2]!) throw new Error(`invalid slice index: ${idx[1]} > ${idx[2]}`);
  if (typeof item === 'string') return byteSlice(item, idx[0]!, idx[1]!);
  return item.slice(idx[0], idx[1]);
}

// ---- comparison

const errBadComparisonType = 'invalid type for comparison';
const errBadComparison = 'incompatible types for comparison';
const errNoComparison = 'missing argument for comparison';

function isComparable(v: unknown): boolean {
  return !(Array.isArray(v) || isMap(v) || typeof v === 'function');
}

export function eq(arg1: unknown, ...arg2: unknown[]): boolean {
  arg1 = indirect(arg1);
  if (arg2.length === 0) throw new Error(errNoComparison);
  const k1 = basicKind(arg1);
  for (let arg of arg2) {
    arg = indirect(arg);
    const k2 = basicKind(arg);
    let t = false;
    if (k1 !== k2) {
      if (k1 === 'int' && k2 === 'uint') t = intValue(arg1)! === intValue(arg)!;
      else if (k1 === 'uint' && k2 === 'int') t = intValue(arg1)! === intValue(arg)!;
      else if (arg1 !== undefined && arg !== undefined) throw new Error(errBadComparison);
    } else {
      switch (k1) {
        case 'bool':
        case 'string':
          t = arg1 === arg;
          break;
        case 'int':
        case 'uint':
          t = intValue(arg1)! === intValue(arg)!;
          break;
        case 'float':
          t = (arg1 instanceof GoNum ? arg1.v : arg1) === (arg instanceof GoNum ? arg.v : arg);
          break;
        case 'invalid':
          t = true;
          break;
        default:
          if (typeName(arg1) !== typeName(arg)) throw new Error(`incompatible types for comparison`);
          if (!isComparable(arg1)) throw new Error(`non-comparable type ${formatValue(arg1)}: ${typeName(arg1)}`);
          t = isStruct(arg1) ? deepEqual(arg1, arg) : arg1 === arg;
      }
    }
    if (t) return true;
  }
  return false;
}

function numOf(v: unknown): bigint | number {
  if (v instanceof GoNum) return v.v;
  return v as bigint | number;
}

export function lt(arg1: unknown, arg2: unknown): boolean {
  arg1 = indirect(arg1);
  arg2 = indirect(arg2);
  const k1 = basicKind(arg1);
  const k2 = basicKind(arg2);
  if (k1 === 'invalid' || k1 === 'other' || k2 === 'invalid' || k2 === 'other') throw new Error(errBadComparisonType);
  if (k1 !== k2) {
    if ((k1 === 'int' && k2 === 'uint') || (k1 === 'uint' && k2 === 'int')) return intValue(arg1)! < intValue(arg2)!;
    throw new Error(errBadComparison);
  }
  switch (k1) {
    case 'bool':
      throw new Error(errBadComparisonType);
    case 'string':
      return (arg1 as string) < (arg2 as string);
    default:
      return numOf(arg1) < numOf(arg2);
  }
}

export const le = (a: unknown, b: unknown): boolean => lt(a, b) || eq(a, b);

// ---- escaping

function evalArgs(args: unknown[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(...args.map((a) => (a === undefined || a === null ? '<no value>' : a)));
}

export function htmlEscape(s: string): string {
  let out = '';
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    let r: string;
    switch (s.charCodeAt(i)) {
      case 0:
        r = '\uFFFD';
        break;
      case 34:
        r = '&#34;';
        break;
      case 39:
        r = '&#39;';
        break;
      case 38:
        r = '&amp;';
        break;
      case 60:
        r = '&lt;';
        break;
      case 62:
        r = '&gt;';
        break;
      default:
        continue;
    }
    out += s.slice(last, i) + r;
    last = i + 1;
  }
  return last === 0 ? s : out + s.slice(last);
}

const printableRe = /[\p{L}\p{M}\p{N}\p{P}\p{S} ]/u;
export function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    switch (ch) {
      case '\\':
        out += '\\\\';
        continue;
      case "'":
        out += "\\'";
        continue;
      case '"':
        out += '\\"';
        continue;
      case '<':
        out += '\\u003C';
        continue;
      case '>':
        out += '\\u003E';
        continue;
      case '&':
        out += '\\u0026';
        continue;
      case '=':
        out += '\\u003D';
        continue;
    }
    if (c < 0x20 || c === 0x7f || (c >= 0x80 && !printableRe.test(ch))) {
      out += '\\u' + c.toString(16).toUpperCase().padStart(4, '0');
    } else out += ch;
  }
  return out;
}

export function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    if ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2d || b === 0x5f || b === 0x2e || b === 0x7e) {
      out += String.fromCharCode(b);
    } else if (b === 0x20) out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

function call(fn: unknown, ...args: unknown[]): unknown {
  fn = indirect(fn);
  if (fn === undefined) throw new Error('call of nil');
  if (typeof fn !== 'function') throw new Error(`non-function of type ${typeName(fn)}`);
  const sig = (fn as { goSig?: { params: unknown[]; variadic?: unknown } }).goSig;
  if (sig) {
    const n = sig.params.length;
    if (sig.variadic ? args.length < n : args.length !== n) {
      throw new Error(`wrong number of args for fn: got ${args.length} want ${sig.variadic ? 'at least ' : ''}${n}`);
    }
  }
  const r = (fn as (...a: unknown[]) => unknown)(...args.map(indirect));
  return r === undefined ? null : r;
}

/** The builtin functions. `and` and `or` are special-cased (short-circuit) by the executor. */
export function builtins(): FuncMap {
  return {
    and: goFunc(['value'], 'value', (a: unknown, ...rest: unknown[]) => {
      if (!truth(indirect(a))) return a;
      for (const r of rest) if (!truth(indirect(r))) return r;
      return rest.length ? rest[rest.length - 1] : a;
    }),
    or: goFunc(['value'], 'value', (a: unknown, ...rest: unknown[]) => {
      if (truth(indirect(a))) return a;
      for (const r of rest) if (truth(indirect(r))) return r;
      return rest.length ? rest[rest.length - 1] : a;
    }),
    not: goFunc(['value'], null, (a: unknown) => !truth(indirect(a))),
    len: goFunc(['value'], null, lengthOf),
    index: goFunc(['value'], 'value', index),
    slice: goFunc(['value'], 'value', slice),
    print: goFunc([], 'any', (...a: unknown[]) => sprint(...a)),
    printf: goFunc(['string'], 'any', (f: string, ...a: unknown[]) => sprintf(f, ...a)),
    println: goFunc([], 'any', (...a: unknown[]) => sprintln(...a)),
    html: goFunc([], 'any', (...a: unknown[]) => htmlEscape(evalArgs(a))),
    js: goFunc([], 'any', (...a: unknown[]) => jsEscape(evalArgs(a))),
    urlquery: goFunc([], 'any', (...a: unknown[]) => queryEscape(evalArgs(a))),
    call: goFunc(['value'], 'value', call),
    eq: goFunc(['value'], 'value', eq),
    ne: goFunc(['value', 'value'], null, (a: unknown, b: unknown) => !eq(a, b)),
    lt: goFunc(['value', 'value'], null, lt),
    le: goFunc(['value', 'value'], null, le),
    gt: goFunc(['value', 'value'], null, (a: unknown, b: unknown) => !le(a, b)),
    ge: goFunc(['value', 'value'], null, (a: unknown, b: unknown) => !lt(a, b)),
  };
}
