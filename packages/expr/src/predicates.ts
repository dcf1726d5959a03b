// Builtins taking a closure: all any none one filter map count find findIndex findLast findLastIndex
// groupBy sortBy reduce sum.
import { fault } from './errors.js';
import { add } from './ops.js';
import { compare, describe, isMap, isNum, toStr } from './values.js';

/** Evaluation context: env, let-bound variables, and the closure's current element (`#`), index, accumulator. */
export interface Ctx {
  env: Record<string, unknown>;
  vars: Record<string, unknown> | null;
  ptr: unknown;
  index: bigint;
  acc: unknown;
  inClosure: boolean;
}

export type Fn = (c: Ctx) => unknown;

function items(v: unknown, fn: string): unknown[] {
  if (Array.isArray(v)) return v;
  if (isMap(v)) return Object.values(v);
  fault(`${fn}: cannot iterate over ${describe(v)}`);
}

function child(c: Ctx): Ctx {
  return { env: c.env, vars: c.vars, ptr: null, index: 0n, acc: null, inClosure: true };
}

function boolOf(v: unknown, fn: string): boolean {
  if (typeof v === 'boolean') return v;
  fault(`${fn}: the predicate must return a bool, got ${describe(v)}`);
}

export function runPredicate(name: string, c: Ctx, arg0: unknown, pred: Fn | undefined, rest: unknown[]): unknown {
  const a = items(arg0, name);
  const k = child(c);
  const test = (i: number): unknown => {
    k.ptr = a[i] ?? null;
    k.index = BigInt(i);
    return pred!(k);
  };
  switch (name) {
    case 'all':
      for (let i = 0; i < a.length; i++) if (!boolOf(test(i), name)) return false;
      return true;
    case 'any':
      for (let i = 0; i < a.length; i++) if (boolOf(test(i), name)) return true;
      return false;
    case 'none':
      for (let i = 0; i < a.length; i++) if (boolOf(test(i), name)) return false;
      return true;
    case 'one': {
      let n = 0;
      for (let i = 0; i < a.length; i++) if (boolOf(test(i), name) && ++n > 1) return false;
      return n === 1;
    }
    case 'filter': {
      const out: unknown[] = [];
      for (let i = 0; i < a.length; i++) if (boolOf(test(i), name)) out.push(a[i]);
      return out;
    }
    case 'map': {
      const out: unknown[] = new Array(a.length);
      for (let i = 0; i < a.length; i++) out[i] = test(i);
      return out;
    }
    case 'count': {
      let n = 0n;
      for (let i = 0; i < a.length; i++) if (pred ? boolOf(test(i), name) : boolOf(a[i], name)) n++;
      return n;
    }
    case 'find':
      for (let i = 0; i < a.length; i++) if (boolOf(test(i), name)) return a[i];
      return null;
    case 'findIndex':
      for (let i = 0; i < a.length; i++) if (boolOf(test(i), name)) return BigInt(i);
      return -1n;
    case 'findLast':
      for (let i = a.length - 1; i >= 0; i--) if (boolOf(test(i), name)) return a[i];
      return null;
    case 'findLastIndex':
      for (let i = a.length - 1; i >= 0; i--) if (boolOf(test(i), name)) return BigInt(i);
      return -1n;
    case 'groupBy': {
      const out: Record<string, unknown[]> = {};
      for (let i = 0; i < a.length; i++) {
        const key = toStr(test(i));
        (out[key] ??= []).push(a[i]);
      }
      return out;
    }
    case 'sortBy': {
      const order = rest[0] ?? 'asc';
      if (order !== 'asc' && order !== 'desc') fault(`sortBy: unknown order ${describe(order)}, use "asc" or "desc"`);
      const keyed = a.map((v, i) => ({ v, key: test(i) }));
      const sign = order === 'desc' ? -1 : 1;
      keyed.sort((x, y) => compare(x.key, y.key, '<') * sign);
      return keyed.map((x) => x.v);
    }
    case 'reduce': {
      let start = 0;
      if (rest.length > 0) k.acc = rest[0];
      else {
        if (a.length === 0) fault('reduce: empty array with no initial value');
        k.acc = a[0];
        start = 1;
      }
      for (let i = start; i < a.length; i++) k.acc = test(i);
      return k.acc;
    }
    case 'sum': {
      let s: unknown = 0n;
      for (let i = 0; i < a.length; i++) {
        const v = pred ? test(i) : a[i];
        if (!isNum(v)) fault(`sum: cannot add ${describe(v)}`);
        s = add(s, v);
      }
      return s;
    }
  }
  fault(`unknown builtin ${name}`);
}
