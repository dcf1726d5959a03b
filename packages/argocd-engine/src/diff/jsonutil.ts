/** Plain-JSON helpers for the comparison (objects are JSON: no cycles, no undefined). */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = Record<string, unknown>;

export function isObj(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function clone<T>(v: T): T {
  if (Array.isArray(v)) return v.map(clone) as T;
  if (isObj(v)) {
    const o: JsonObject = {};
    for (const k of Object.keys(v)) if (v[k] !== undefined) o[k] = clone(v[k]);
    return o as T;
  }
  return v;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (isObj(a)) {
    if (!isObj(b)) return false;
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    if (ka.length !== kb.length) return false;
    for (const k of ka) if (!Object.prototype.hasOwnProperty.call(b, k) || !deepEqual(a[k], b[k])) return false;
    return true;
  }
  return false;
}

/** A copy with object keys sorted (stable YAML output, as kubectl prints). */
export function sortKeys<T>(v: T): T {
  if (Array.isArray(v)) return v.map(sortKeys) as T;
  if (isObj(v)) {
    const o: JsonObject = {};
    for (const k of Object.keys(v).sort()) if (v[k] !== undefined) o[k] = sortKeys(v[k]);
    return o as T;
  }
  return v;
}

/** Deletes the value at `path` (keys and array indices); returns whether something was removed. */
export function deletePath(root: unknown, path: (string | number)[]): boolean {
  if (path.length === 0) return false;
  let cur: unknown = root;
  for (let i = 0; i < path.length - 1; i++) {
    const p = path[i];
    if (Array.isArray(cur) && typeof p === 'number') cur = cur[p];
    else if (isObj(cur) && typeof p === 'string') cur = cur[p];
    else return false;
  }
  const last = path[path.length - 1];
  if (Array.isArray(cur) && typeof last === 'number') {
    if (last < 0 || last >= cur.length) return false;
    cur.splice(last, 1);
    return true;
  }
  if (isObj(cur) && typeof last === 'string' && Object.prototype.hasOwnProperty.call(cur, last)) {
    delete cur[last];
    return true;
  }
  return false;
}

export function getPath(root: unknown, path: (string | number)[]): unknown {
  let cur: unknown = root;
  for (const p of path) {
    if (Array.isArray(cur) && typeof p === 'number') cur = cur[p];
    else if (isObj(cur) && typeof p === 'string') cur = cur[p];
    else return undefined;
  }
  return cur;
}

/** Sets the value at `path`, creating maps on the way; returns false when an array or scalar is in the way. */
export function setPath(root: JsonObject, path: (string | number)[], value: unknown): boolean {
  let cur: unknown = root;
  for (let i = 0; i < path.length - 1; i++) {
    const p = path[i];
    if (Array.isArray(cur) && typeof p === 'number') {
      if (p >= cur.length) return false;
      cur = cur[p];
    } else if (isObj(cur) && typeof p === 'string') {
      if (cur[p] === undefined) cur[p] = typeof path[i + 1] === 'number' ? [] : {};
      cur = cur[p];
    } else return false;
  }
  const last = path[path.length - 1];
  if (Array.isArray(cur) && typeof last === 'number' && last < cur.length) cur[last] = value;
  else if (isObj(cur) && typeof last === 'string') cur[last] = value;
  else return false;
  return true;
}
