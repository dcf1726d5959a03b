// Value model: how Go values are represented in JavaScript.
//
//   Go                          JS
//   ------------------------    -----------------------------------------------
//   invalid reflect.Value       undefined   ("no value": missing map key, nil data)
//   nil interface{}             null
//   bool                        boolean
//   string                      string (Go strings are bytes: len/substr/trunc use UTF-8 byte offsets)
//   int                         bigint      (template literals `3`, len, range indexes, `int`, `atoi`)
//   float64                     number      (JSON/YAML data, `1.5`, `1e3`, `float64`, addf ...)
//   int64, uint8, ... float32   GoNum       (e.g. Sprig add/sub/mul/div return int64)
//   []interface{}               Array       (tagged with GO_ELEM for []string, []int)
//   map[string]interface{}      plain object (prototype Object.prototype or null); keys iterate sorted
//   struct / pointer            class instance (fields = properties, methods = functions)
//   time.Time                   GoTime (see time.ts)
//   func                        JS function
//
// Data coming from JSON therefore behaves exactly like Helm values (all numbers float64).

export type NumType =
  | 'int8' | 'int16' | 'int32' | 'int64'
  | 'uint' | 'uint8' | 'uint16' | 'uint32' | 'uint64'
  | 'float32';

/** A Go number of a non-default type (default types are bigint = int and number = float64). */
export class GoNum {
  constructor(readonly type: NumType, readonly v: bigint | number) {}
  get isFloat(): boolean {
    return this.type === 'float32';
  }
  get isUnsigned(): boolean {
    return this.type[0] === 'u';
  }
  toString(): string {
    return String(this.v);
  }
}

export const int64 = (v: bigint | number): GoNum =>
  new GoNum('int64', BigInt.asIntN(64, typeof v === 'bigint' ? v : BigInt(Math.trunc(v))));
export const int = (v: bigint | number): bigint => BigInt.asIntN(64, typeof v === 'bigint' ? v : BigInt(Math.trunc(v)));

/** Symbol tagging an array with its Go element type when it is not interface{} (e.g. 'string' for []string). */
export const GO_ELEM: unique symbol = Symbol.for('flotilla.gotemplate.elem');
/** Symbol tagging a plain object with its Go type when it is not map[string]interface{}. */
export const GO_TYPE: unique symbol = Symbol.for('flotilla.gotemplate.type');

export function tagged<T extends unknown[]>(arr: T, elem: string): T {
  Object.defineProperty(arr, GO_ELEM, { value: elem, enumerable: false });
  return arr;
}
export function strList(arr: string[]): string[] {
  return tagged(arr, 'string');
}
export function intList(arr: bigint[]): bigint[] {
  return tagged(arr, 'int');
}
export function elemType(arr: unknown[]): string | undefined {
  return (arr as unknown as { [GO_ELEM]?: string })[GO_ELEM];
}

export type GoMap = Record<string, unknown>;

export function isMap(v: unknown): v is GoMap {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

/** Class instances (not plain objects, arrays, GoNum) are treated as Go structs. */
export function isStruct(v: unknown): v is object {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof GoNum) && !isMap(v);
}

export const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

export function mapKeys(m: GoMap): string[] {
  return Object.keys(m).sort(compareStrings);
}

/** Byte-wise (UTF-8) ordering is approximated by code point ordering. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function newMap(): GoMap {
  return {};
}

/** Go's %T-style type name. */
export function typeName(v: unknown): string {
  switch (typeof v) {
    case 'undefined':
      return '<nil>';
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int';
    case 'number':
      return 'float64';
    case 'function':
      return 'func(...interface {}) (interface {}, error)';
    case 'object': {
      if (v === null) return '<nil>';
      if (v instanceof GoNum) return v.type;
      if (Array.isArray(v)) return '[]' + (elemType(v) ?? 'interface {}');
      if (isMap(v)) return (v as { [GO_TYPE]?: string })[GO_TYPE] ?? 'map[string]interface {}';
      const ctor = (v as { constructor?: { goType?: string; name?: string } }).constructor;
      if (ctor?.goType) return ctor.goType;
      if (v instanceof Error) return '*errors.errorString';
      return 'struct {}';
    }
    default:
      return 'interface {}';
  }
}

/** reflect.Kind name. */
export function kindName(v: unknown): string {
  switch (typeof v) {
    case 'undefined':
      return 'invalid';
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int';
    case 'number':
      return 'float64';
    case 'function':
      return 'func';
    case 'object': {
      if (v === null) return 'invalid';
      if (v instanceof GoNum) return v.type;
      if (Array.isArray(v)) return 'slice';
      if (isMap(v)) return 'map';
      const ctor = (v as { constructor?: { goKind?: string } }).constructor;
      if (ctor?.goKind) return ctor.goKind;
      return 'struct';
    }
    default:
      return 'invalid';
  }
}

/** Truth as defined by text/template: false, 0, nil, empty string/slice/map are false. */
export function truth(v: unknown): boolean {
  switch (typeof v) {
    case 'undefined':
      return false;
    case 'boolean':
      return v;
    case 'string':
      return v.length > 0;
    case 'bigint':
      return v !== 0n;
    case 'number':
      return v !== 0;
    case 'function':
      return true;
    case 'object':
      if (v === null) return false;
      if (Array.isArray(v)) return v.length > 0;
      if (v instanceof GoNum) return v.v != 0;
      if (isMap(v)) {
        for (const _ in v) return true;
        return false;
      }
      return true;
    default:
      return true;
  }
}

/** Is this value an integer of any Go integer type? Returns the bigint value or undefined. */
export function intValue(v: unknown): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (v instanceof GoNum && !v.isFloat) return v.v as bigint;
  return undefined;
}

export function floatValue(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (v instanceof GoNum && v.isFloat) return v.v as number;
  return undefined;
}

export type BasicKind = 'invalid' | 'bool' | 'int' | 'uint' | 'float' | 'string' | 'other';

export function basicKind(v: unknown): BasicKind {
  switch (typeof v) {
    case 'undefined':
      return 'invalid';
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int';
    case 'number':
      return 'float';
    case 'string':
      return 'string';
    case 'object':
      if (v === null) return 'invalid';
      if (v instanceof GoNum) return v.isFloat ? 'float' : v.isUnsigned ? 'uint' : 'int';
      return 'other';
    default:
      return 'other';
  }
}

/** UTF-8 byte length of a string (fast path for ASCII). */
export function byteLength(s: string): number {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s, 'utf8');
  }
  return s.length;
}

export function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Go's s[start:end] on a string (byte offsets). */
export function byteSlice(s: string, start: number, end?: number): string {
  if (isAscii(s)) return s.slice(start, end);
  const b = Buffer.from(s, 'utf8');
  return b.subarray(start, end ?? b.length).toString('utf8');
}

/** Go reflect.DeepEqual over the JS value model. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || a === null) return b === undefined || b === null;
  if (typeof a !== typeof b) return false;
  if (typeof a === 'number') return false; // NaN !== NaN as in Go
  if (typeof a !== 'object' || b === null || typeof b !== 'object') return false;
  if (a instanceof GoNum) return b instanceof GoNum && a.type === b.type && a.v === b.v;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length || elemType(a) !== elemType(b)) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (isMap(a)) {
    if (!isMap(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    for (const k of ka) if (!hasOwn(b, k) || !deepEqual(a[k], b[k])) return false;
    return true;
  }
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const eq = (a as { goEqual?: (o: unknown) => boolean }).goEqual;
  if (typeof eq === 'function') return eq.call(a, b);
  const ka = Object.keys(a);
  for (const k of ka) if (!deepEqual((a as GoMap)[k], (b as GoMap)[k])) return false;
  return true;
}

/** Deep copy of maps and slices (copystructure-like). */
export function deepCopy(v: unknown): unknown {
  if (Array.isArray(v)) {
    const out = v.map(deepCopy);
    const et = elemType(v);
    return et ? tagged(out, et) : out;
  }
  if (isMap(v)) {
    const out: GoMap = {};
    for (const k of Object.keys(v)) setKey(out, k, deepCopy(v[k]));
    return out;
  }
  return v;
}

/** Set a map entry safely (no prototype pollution via "__proto__"). */
export function setKey(m: GoMap, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(m, k, { value: v, enumerable: true, writable: true, configurable: true });
  else m[k] = v;
}
