// Conversions used throughout Sprig (spf13/cast-like semantics, errors yield zero values).
import { formatValue } from '../fmt.js';
import { parseGoFloat, parseGoInt } from '../parse.js';
import { GoNum, isMap, strList, typeName } from '../values.js';

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

function trimZeroDecimal(s: string): string {
  const m = /^([+-]?\d+)\.0+$/.exec(s);
  return m ? m[1]! : s;
}

/** cast.ToInt64: numbers truncate, strings parse (base prefixes allowed), bools 1/0, other 0. */
export function toInt64(v: unknown): bigint {
  switch (typeof v) {
    case 'bigint':
      return BigInt.asIntN(64, v);
    case 'number':
      if (!Number.isFinite(v)) return Number.isNaN(v) ? 0n : v > 0 ? I64_MAX : I64_MIN;
      if (v >= 9.2233720368547758e18) return I64_MAX;
      if (v <= -9.2233720368547758e18) return I64_MIN;
      return BigInt(Math.trunc(v));
    case 'boolean':
      return v ? 1n : 0n;
    case 'string': {
      const i = parseGoInt(trimZeroDecimal(v));
      if (i === undefined || i < I64_MIN || i > I64_MAX) return 0n;
      return i;
    }
    case 'object':
      if (v instanceof GoNum) return v.isFloat ? toInt64(v.v as number) : BigInt.asIntN(64, v.v as bigint);
      return 0n;
    default:
      return 0n;
  }
}

/** cast.ToFloat64. */
export function toFloat64(v: unknown): number {
  switch (typeof v) {
    case 'number':
      return v;
    case 'bigint':
      return Number(v);
    case 'boolean':
      return v ? 1 : 0;
    case 'string': {
      const f = parseGoFloat(v);
      return f === undefined ? 0 : f;
    }
    case 'object':
      if (v instanceof GoNum) return Number(v.v);
      return 0;
    default:
      return 0;
  }
}

/** Sprig's strval: strings as-is, errors/Stringers via their methods, else fmt %v. */
export function strval(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Error) return v.message;
  return formatValue(v);
}

/** Sprig's strslice: lists become []string (nil elements dropped), scalars a one-element list. */
export function strslice(v: unknown): string[] {
  if (Array.isArray(v)) return strList(v.filter((x) => x !== null && x !== undefined).map(strval));
  if (v === null || v === undefined) return strList([]);
  return strList([strval(v)]);
}

/** reflect Kind name used in Sprig error messages ("Cannot find first on type string"). */
export function kindOfForError(v: unknown): string {
  if (v === null || v === undefined) return 'invalid';
  if (Array.isArray(v)) return 'slice';
  if (isMap(v)) return 'map';
  const t = typeName(v);
  if (t.startsWith('*')) return 'ptr';
  if (typeof v === 'object' && !(v instanceof GoNum)) return 'struct';
  return t;
}

export function nilPanic(): Error {
  return new Error('runtime error: invalid memory address or nil pointer dereference');
}
