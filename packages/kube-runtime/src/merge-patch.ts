// The JSON merge patch (RFC 7386) from one version of an object to the next: what a controller sends instead
// of the whole object when it changed a few fields of a large one (a workflow's status of hundreds of nodes).

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

/** What `mergePatchOf` returns when `to` sets a key to null, which a merge patch cannot say (null deletes). */
export const NOT_MERGEABLE: unique symbol = Symbol('not expressible as a JSON merge patch');

function equalJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equalJson(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => k in b && equalJson(a[k], b[k]));
  }
  return false;
}

/**
 * The merge patch turning `from` into `to`: changed and added keys, removed keys as null, objects compared key
 * by key, arrays and scalars replaced whole. `undefined` when nothing changed. Values shared by reference are
 * not walked (a controller that copies only what it changes pays only for that). With `strict`, a key that `to`
 * sets to null makes the answer NOT_MERGEABLE (without it, such a key reads as removed, as the patch has it).
 */
export function mergePatchOf(from: unknown, to: unknown, strict = false): unknown {
  if (from === to) return undefined;
  if (!isObj(from) || !isObj(to)) {
    if (equalJson(from, to)) return undefined;
    return strict && to === null ? NOT_MERGEABLE : to;
  }
  const out: Obj = {};
  for (const k of Object.keys(from)) if (!(k in to) || to[k] === undefined) if (from[k] !== undefined) out[k] = null;
  for (const [k, v] of Object.entries(to)) {
    if (v === undefined) continue;
    const d = from[k] === undefined ? (strict && v === null ? NOT_MERGEABLE : v) : mergePatchOf(from[k], v, strict);
    if (d === NOT_MERGEABLE) return NOT_MERGEABLE;
    if (d !== undefined) out[k] = d;
  }
  return Object.keys(out).length ? out : undefined;
}
