// Sprig list and dict functions.
import { goFunc, type FuncMap } from '../funcs.js';
import { deepCopy, deepEqual, elemType, hasOwn, isMap, mapKeys, setKey, strList, tagged, truth, typeName, type GoMap } from '../values.js';
import { kindOfForError, nilPanic, strval, toInt64 } from './conv.js';

const isList = (v: unknown): v is unknown[] => Array.isArray(v);

function listOrThrow(v: unknown, what: string): unknown[] {
  if (v === null || v === undefined) throw nilPanic();
  if (!isList(v)) throw new Error(`${what} on type ${kindOfForError(v)}`);
  return v;
}

export const empty = (v: unknown): boolean => !truth(v);

function inList(needle: unknown, list: unknown[]): boolean {
  for (const x of list) if (deepEqual(needle, x)) return true;
  return false;
}

/** mergo-style merge of src into dst. */
function mergeInto(dst: GoMap, src: GoMap, overwrite: boolean): void {
  for (const key of Object.keys(src)) {
    const s = src[key];
    if (s === null || s === undefined) {
      if (overwrite) setKey(dst, key, null);
      continue;
    }
    const hasD = hasOwn(dst, key);
    const d = hasD ? dst[key] : undefined;
    if (isMap(s)) {
      if (isMap(d)) mergeInto(d, s, overwrite);
    } else if (isList(s)) {
      if (overwrite || !hasD || empty(d)) {
        setKey(dst, key, s);
        continue;
      }
    }
    if (hasD && !empty(d) && (isMap(s) || isList(s))) continue;
    if (overwrite || !hasD || empty(d)) setKey(dst, key, s);
  }
}

function digFromDict(dict: GoMap, def: unknown, ks: string[]): unknown {
  const [k, ...rest] = ks as [string, ...string[]];
  if (!hasOwn(dict, k)) return def;
  const step = dict[k];
  if (rest.length === 0) return step;
  if (!isMap(step)) throw new Error(`interface conversion: interface {} is ${typeName(step)}, not map[string]interface {}`);
  return digFromDict(step, def, rest);
}

function chunk(size: number, list: unknown): unknown[] {
  const l = listOrThrow(list, 'Cannot chunk type');
  const n = l.length;
  const cs = Math.floor((n - 1) / size) + 1;
  const out: unknown[] = [];
  for (let i = 0; i < cs; i++) {
    let clen = size;
    if (i === cs - 1) {
      clen = Math.floor(n % size);
      if (clen === 0) clen = size;
    }
    out.push(l.slice(i * size, i * size + clen));
  }
  return tagged(out, '[]interface {}');
}

export function collectionFuncs(): FuncMap {
  const A = 'any' as const;
  const M = 'map' as const;
  const S = 'string' as const;
  const first = (v: unknown): unknown => {
    const l = listOrThrow(v, 'Cannot find first');
    return l.length === 0 ? null : l[0];
  };
  const last = (v: unknown): unknown => {
    const l = listOrThrow(v, 'Cannot find last');
    return l.length === 0 ? null : l[l.length - 1];
  };
  const rest = (v: unknown): unknown => {
    const l = listOrThrow(v, 'Cannot find rest');
    return l.length === 0 ? null : l.slice(1);
  };
  const initial = (v: unknown): unknown => {
    const l = listOrThrow(v, 'Cannot find initial');
    return l.length === 0 ? null : l.slice(0, -1);
  };
  const push = (v: unknown, x: unknown): unknown[] => [...listOrThrow(v, 'Cannot push'), x];
  const prepend = (v: unknown, x: unknown): unknown[] => [x, ...listOrThrow(v, 'Cannot prepend')];
  const reverse = (v: unknown): unknown[] => [...listOrThrow(v, 'Cannot find reverse')].reverse();
  const uniq = (v: unknown): unknown[] => {
    const out: unknown[] = [];
    for (const x of listOrThrow(v, 'Cannot find uniq')) if (!inList(x, out)) out.push(x);
    return out;
  };
  const without = (v: unknown, ...omit: unknown[]): unknown[] => listOrThrow(v, 'Cannot find without').filter((x) => !inList(x, omit));
  const has = (needle: unknown, hay: unknown): boolean => {
    if (hay === null || hay === undefined) return false;
    if (!isList(hay)) throw new Error(`Cannot find has on type ${kindOfForError(hay)}`);
    return inList(needle, hay);
  };
  const slice = (v: unknown, ...idx: unknown[]): unknown => {
    if (v === null || v === undefined) throw nilPanic();
    if (!isList(v)) throw new Error(`list should be type of slice or array but ${kindOfForError(v)}`);
    if (v.length === 0) return null;
    const start = idx.length > 0 ? Number(toInt64(idx[0])) : 0;
    const end = idx.length > 1 ? Number(toInt64(idx[1])) : v.length;
    if (start < 0 || end > v.length || start > end) throw new Error('reflect: slice index out of range');
    const out = v.slice(start, end);
    const et = elemType(v);
    return et ? tagged(out, et) : out;
  };
  const concat = (...lists: unknown[]): unknown[] => {
    const out: unknown[] = [];
    for (const l of lists) {
      if (!isList(l)) throw new Error(`Cannot concat type ${kindOfForError(l)} as list`);
      out.push(...l);
    }
    return out;
  };
  const compact = (v: unknown): unknown[] => listOrThrow(v, 'Cannot compact').filter((x) => !empty(x));
  const merge = (overwrite: boolean) => (dst: GoMap | null, ...srcs: (GoMap | null)[]): GoMap => {
    const d = dst ?? {};
    for (const s of srcs) if (s) mergeInto(d, s, overwrite);
    return d;
  };
  const deepCopyFn = (v: unknown): unknown => (v === null || v === undefined ? null : deepCopy(v));
  return {
    list: goFunc([], A, (...a: unknown[]) => a),
    tuple: goFunc([], A, (...a: unknown[]) => a),
    first: goFunc([A], null, first),
    mustFirst: goFunc([A], null, first),
    last: goFunc([A], null, last),
    mustLast: goFunc([A], null, last),
    rest: goFunc([A], null, rest),
    mustRest: goFunc([A], null, rest),
    initial: goFunc([A], null, initial),
    mustInitial: goFunc([A], null, initial),
    append: goFunc([A, A], null, push),
    push: goFunc([A, A], null, push),
    mustAppend: goFunc([A, A], null, push),
    mustPush: goFunc([A, A], null, push),
    prepend: goFunc([A, A], null, prepend),
    mustPrepend: goFunc([A, A], null, prepend),
    concat: goFunc([], A, concat),
    reverse: goFunc([A], null, reverse),
    mustReverse: goFunc([A], null, reverse),
    uniq: goFunc([A], null, uniq),
    mustUniq: goFunc([A], null, uniq),
    without: goFunc([A], A, without),
    mustWithout: goFunc([A], A, without),
    has: goFunc([A, A], null, has),
    mustHas: goFunc([A, A], null, has),
    slice: goFunc([A], A, slice),
    mustSlice: goFunc([A], A, slice),
    chunk: goFunc(['int', A], null, chunk),
    mustChunk: goFunc(['int', A], null, chunk),
    compact: goFunc([A], null, compact),
    mustCompact: goFunc([A], null, compact),
    // dicts
    dict: goFunc([], A, (...v: unknown[]) => {
      const d: GoMap = {};
      for (let i = 0; i < v.length; i += 2) setKey(d, strval(v[i]), i + 1 < v.length ? v[i + 1] : '');
      return d;
    }),
    get: goFunc([M, S], null, (d: GoMap | null, k: string) => (d && hasOwn(d, k) ? d[k] : '')),
    set: goFunc([M, S, A], null, (d: GoMap | null, k: string, v: unknown) => {
      if (!d) throw new Error('assignment to entry in nil map');
      setKey(d, k, v);
      return d;
    }),
    unset: goFunc([M, S], null, (d: GoMap | null, k: string) => {
      if (d) delete d[k];
      return d;
    }),
    hasKey: goFunc([M, S], null, (d: GoMap | null, k: string) => !!d && hasOwn(d, k)),
    pluck: goFunc([S], M, (k: string, ...ds: (GoMap | null)[]) => ds.filter((d): d is GoMap => !!d && hasOwn(d, k)).map((d) => d[k])),
    keys: goFunc([], M, (...ds: (GoMap | null)[]) => strList(ds.flatMap((d) => (d ? Object.keys(d) : [])).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)))),
    values: goFunc([M], null, (d: GoMap | null) => (d ? mapKeys(d).map((k) => d[k]) : [])),
    pick: goFunc([M], S, (d: GoMap | null, ...ks: string[]) => {
      const out: GoMap = {};
      if (d) for (const k of ks) if (hasOwn(d, k)) setKey(out, k, d[k]);
      return out;
    }),
    omit: goFunc([M], S, (d: GoMap | null, ...ks: string[]) => {
      const out: GoMap = {};
      if (d) for (const k of Object.keys(d)) if (!ks.includes(k)) setKey(out, k, d[k]);
      return out;
    }),
    merge: goFunc([M], M, merge(false)),
    mustMerge: goFunc([M], M, merge(false)),
    mergeOverwrite: goFunc([M], M, merge(true)),
    mustMergeOverwrite: goFunc([M], M, merge(true)),
    dig: goFunc([], A, (...ps: unknown[]) => {
      if (ps.length < 3) throw new Error('dig needs at least three arguments');
      const dict = ps[ps.length - 1];
      if (!isMap(dict)) throw new Error(`interface conversion: interface {} is ${typeName(dict)}, not map[string]interface {}`);
      const def = ps[ps.length - 2];
      const ks = ps.slice(0, -2).map((k) => {
        if (typeof k !== 'string') throw new Error(`interface conversion: interface {} is ${typeName(k)}, not string`);
        return k;
      });
      return digFromDict(dict, def, ks);
    }),
    deepCopy: goFunc([A], null, deepCopyFn),
    mustDeepCopy: goFunc([A], null, (v: unknown) => {
      if (v === null || v === undefined) throw new Error('copy: must be given a non-nil value');
      return deepCopy(v);
    }),
  };
}
