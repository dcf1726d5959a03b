// Sprig math functions.
import { randomInt } from 'node:crypto';
import { goFunc, type FuncMap } from '../funcs.js';
import { formatValue } from '../fmt.js';
import { int64, int, intList } from '../values.js';
import { toFloat64, toInt64 } from './conv.js';

// ---- decimal arithmetic (shopspring/decimal-like) for addf/subf/mulf/divf

interface Dec {
  c: bigint;
  e: number;
}

function decFromFloat(x: number): Dec {
  if (!Number.isFinite(x)) throw new Error(`Cannot create a Decimal from ${x}`);
  if (x === 0) return { c: 0n, e: 0 };
  const s = x.toExponential(); // shortest round-trip digits
  const [m, ex] = s.split('e') as [string, string];
  const neg = m.startsWith('-');
  const digits = m.replace('-', '').replace('.', '');
  const fracLen = digits.length - 1;
  const c = BigInt(digits) * (neg ? -1n : 1n);
  return { c, e: Number(ex) - fracLen };
}

function align(a: Dec, b: Dec): [bigint, bigint, number] {
  if (a.e === b.e) return [a.c, b.c, a.e];
  if (a.e < b.e) return [a.c, b.c * 10n ** BigInt(b.e - a.e), a.e];
  return [a.c * 10n ** BigInt(a.e - b.e), b.c, b.e];
}

const decAdd = (a: Dec, b: Dec): Dec => {
  const [x, y, e] = align(a, b);
  return { c: x + y, e };
};
const decSub = (a: Dec, b: Dec): Dec => {
  const [x, y, e] = align(a, b);
  return { c: x - y, e };
};
const decMul = (a: Dec, b: Dec): Dec => ({ c: a.c * b.c, e: a.e + b.e });
function decDiv(a: Dec, b: Dec): Dec {
  if (b.c === 0n) throw new Error('decimal division by zero');
  const prec = 16;
  // result * 10^prec = a.c / b.c * 10^(a.e - b.e + prec)
  const k = a.e - b.e + prec;
  let num = a.c;
  let den = b.c;
  if (k >= 0) num *= 10n ** BigInt(k);
  else den *= 10n ** BigInt(-k);
  const neg = num < 0n !== den < 0n;
  if (num < 0n) num = -num;
  if (den < 0n) den = -den;
  let q = num / den;
  if ((num % den) * 2n >= den) q += 1n; // round half away from zero
  return { c: neg ? -q : q, e: -prec };
}
const decToFloat = (d: Dec): number => Number(`${d.c}e${d.e}`);

function decimalOp(a: unknown, rest: unknown[], op: (x: Dec, y: Dec) => Dec): number {
  let acc = decFromFloat(toFloat64(a));
  for (const v of rest) acc = op(acc, decFromFloat(toFloat64(v)));
  return decToFloat(acc);
}

// ---- integer helpers

const wrap = (v: bigint): bigint => BigInt.asIntN(64, v);

export function untilStep(start: number, stop: number, step: number): number[] {
  const v: number[] = [];
  if (stop < start) {
    if (step >= 0) return v;
    for (let i = start; i > stop; i += step) v.push(i);
    return v;
  }
  if (step <= 0) return v;
  for (let i = start; i < stop; i += step) v.push(i);
  return v;
}

function seq(...params: number[]): string {
  let inc = 1;
  switch (params.length) {
    case 0:
      return '';
    case 1: {
      const start = 1;
      const end = params[0]!;
      if (end < start) inc = -1;
      return untilStep(start, end + inc, inc).join(' ');
    }
    case 2: {
      const [start, end] = params as [number, number];
      const step = end < start ? -1 : 1;
      return untilStep(start, end + step, step).join(' ');
    }
    case 3: {
      const [start, step, end] = params as [number, number, number];
      if (end < start) {
        inc = -1;
        if (step > 0) return '';
      }
      return untilStep(start, end + inc, step).join(' ');
    }
    default:
      return '';
  }
}

function round(a: unknown, p: number, ...rOpt: number[]): number {
  const roundOn = rOpt.length > 0 ? rOpt[0]! : 0.5;
  const val = toFloat64(a);
  const pow = Math.pow(10, p);
  const digit = pow * val;
  const frac = digit - Math.trunc(digit);
  const r = frac >= roundOn ? Math.ceil(digit) : Math.floor(digit);
  return r / pow;
}

export function mathFuncs(): FuncMap {
  const A = 'any' as const;
  return {
    add: goFunc([], A, (...a: unknown[]) => int64(wrap(a.reduce<bigint>((s, v) => s + toInt64(v), 0n)))),
    add1: goFunc([A], null, (a: unknown) => int64(wrap(toInt64(a) + 1n))),
    sub: goFunc([A, A], null, (a: unknown, b: unknown) => int64(wrap(toInt64(a) - toInt64(b)))),
    div: goFunc([A, A], null, (a: unknown, b: unknown) => {
      const d = toInt64(b);
      if (d === 0n) throw new Error('runtime error: integer divide by zero');
      return int64(wrap(toInt64(a) / d));
    }),
    mod: goFunc([A, A], null, (a: unknown, b: unknown) => {
      const d = toInt64(b);
      if (d === 0n) throw new Error('runtime error: integer divide by zero');
      return int64(toInt64(a) % d);
    }),
    mul: goFunc([A], A, (a: unknown, ...v: unknown[]) => int64(v.reduce<bigint>((s, x) => wrap(s * toInt64(x)), toInt64(a)))),
    max: goFunc([A], A, (a: unknown, ...v: unknown[]) => int64(v.reduce<bigint>((m, x) => (toInt64(x) > m ? toInt64(x) : m), toInt64(a)))),
    biggest: goFunc([A], A, (a: unknown, ...v: unknown[]) => int64(v.reduce<bigint>((m, x) => (toInt64(x) > m ? toInt64(x) : m), toInt64(a)))),
    min: goFunc([A], A, (a: unknown, ...v: unknown[]) => int64(v.reduce<bigint>((m, x) => (toInt64(x) < m ? toInt64(x) : m), toInt64(a)))),
    maxf: goFunc([A], A, (a: unknown, ...v: unknown[]) => v.reduce<number>((m, x) => Math.max(m, toFloat64(x)), toFloat64(a))),
    minf: goFunc([A], A, (a: unknown, ...v: unknown[]) => v.reduce<number>((m, x) => Math.min(m, toFloat64(x)), toFloat64(a))),
    floor: goFunc([A], null, (a: unknown) => Math.floor(toFloat64(a))),
    ceil: goFunc([A], null, (a: unknown) => Math.ceil(toFloat64(a))),
    round: goFunc([A, 'int'], 'float64', round),
    addf: goFunc([], A, (...a: unknown[]) => decimalOp(0, a, decAdd)),
    add1f: goFunc([A], null, (a: unknown) => decimalOp(a, [1], decAdd)),
    subf: goFunc([A], A, (a: unknown, ...v: unknown[]) => decimalOp(a, v, decSub)),
    mulf: goFunc([A], A, (a: unknown, ...v: unknown[]) => decimalOp(a, v, decMul)),
    divf: goFunc([A], A, (a: unknown, ...v: unknown[]) => decimalOp(a, v, decDiv)),
    int: goFunc([A], null, (a: unknown) => int(toInt64(a))),
    int64: goFunc([A], null, (a: unknown) => int64(toInt64(a))),
    float64: goFunc([A], null, (a: unknown) => toFloat64(a)),
    atoi: goFunc(['string'], null, (s: string) => {
      if (!/^[+-]?\d+$/.test(s)) return 0n;
      const v = BigInt(s);
      return v >= -(1n << 63n) && v < 1n << 63n ? v : 0n;
    }),
    toDecimal: goFunc([A], null, (v: unknown) => {
      const s = formatValue(v);
      if (!/^[+-]?[0-7]+$/.test(s)) return int64(0n);
      const r = BigInt(s.replace(/^([+-]?)/, '$10o'));
      return int64(r >= -(1n << 63n) && r < 1n << 63n ? r : 0n);
    }),
    seq: goFunc([], 'int', seq),
    until: goFunc(['int'], null, (n: number) => intList(untilStep(0, n, n < 0 ? -1 : 1).map((x) => BigInt(x)))),
    untilStep: goFunc(['int', 'int', 'int'], null, (a: number, b: number, c: number) => intList(untilStep(a, b, c).map((x) => BigInt(x)))),
    randInt: goFunc(['int', 'int'], null, (min: number, max: number) => {
      if (max - min <= 0) throw new Error('invalid argument to Intn');
      return BigInt(randomInt(max - min) + min);
    }),
  };
}
