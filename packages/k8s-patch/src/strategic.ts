/**
 * Kubernetes strategic merge patch (application side), reimplemented from the documented
 * semantics: maps merge and `null` deletes; lists merge by their patch merge key or as primitive
 * sets when the schema says so (`x-kubernetes-patch-strategy: merge`, or
 * `x-kubernetes-list-type: map`), and are replaced otherwise; directives `$patch`,
 * `$retainKeys`, `$deleteFromPrimitiveList/<field>` and `$setElementOrder/<field>`.
 */
import type { KubeObject, StructSchema, TypeSchema } from '@flotilla/apimachinery';
import { PatchError } from './errors.js';
import { deepClone, deepEqual, isObject, setOwn, typeName, type JsonObject } from './json.js';
import { itemSchema, propSchema, rootSchema, smpListKind, smpReplacesMap } from './schema.js';

const DELETE = Symbol('delete');
type Merged<T> = T | typeof DELETE;

const PATCH = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';
const SET_ELEMENT_ORDER = '$setElementOrder/';

function isDirectiveKey(k: string): boolean {
  return k === PATCH || k === RETAIN_KEYS || k.startsWith(DELETE_FROM_PRIMITIVE_LIST) || k.startsWith(SET_ELEMENT_ORDER);
}

function where(path: string): string {
  return path === '' ? 'the top level' : path;
}

/**
 * Applies a strategic merge patch to `original` following `schema` (a path with no schema is
 * merged with JSON-merge-patch semantics: lists are replaced). Inputs are not mutated; the
 * result carries no directive keys. Throws PatchError for malformed patches.
 */
export function strategicMergePatch(original: KubeObject, patch: unknown, schema: TypeSchema | undefined): KubeObject {
  if (!isObject(patch)) {
    throw new PatchError(`strategic merge patch must be a JSON object, got ${typeName(patch)}`, 400);
  }
  const base: JsonObject = isObject(original) ? deepClone(original) : {};
  const r = new Smp(schema).mergeMap(base, patch, rootSchema(schema), '');
  return (r === DELETE ? {} : r) as KubeObject;
}

class Smp {
  constructor(private readonly ts: TypeSchema | undefined) {}

  /** Merges `patch` into `out` (owned by the caller and mutated). */
  mergeMap(out: JsonObject, patch: JsonObject, s: StructSchema | undefined, path: string, literal = false): Merged<JsonObject> {
    const directive = patch[PATCH];
    if (directive !== undefined) {
      if (directive === 'delete') return DELETE;
      if (directive === 'replace') return this.fresh(withoutKey(patch, PATCH), s, path) as JsonObject;
      if (directive !== 'merge') {
        throw new PatchError(`unknown $patch directive ${JSON.stringify(directive)} at ${where(path)}`);
      }
    } else if (!literal && path !== '' && smpReplacesMap(s)) {
      return this.fresh(patch, s, path) as JsonObject;
    }

    // $retainKeys: validated first, applied after merging.
    let retain: Set<string> | undefined;
    if (patch[RETAIN_KEYS] !== undefined) {
      const rk = patch[RETAIN_KEYS];
      if (!Array.isArray(rk) || rk.some((x) => typeof x !== 'string')) {
        throw new PatchError(`$retainKeys at ${where(path)} must be a list of strings`);
      }
      retain = new Set(rk as string[]);
      for (const [k, v] of Object.entries(patch)) {
        if (!isDirectiveKey(k) && v !== null && !retain.has(k)) {
          throw new PatchError(`field "${k}" at ${where(path)} is set by the patch but missing from $retainKeys`);
        }
      }
    }

    // $deleteFromPrimitiveList/<field>
    for (const [k, v] of Object.entries(patch)) {
      if (!k.startsWith(DELETE_FROM_PRIMITIVE_LIST)) continue;
      const field = k.slice(DELETE_FROM_PRIMITIVE_LIST.length);
      if (!Array.isArray(v)) throw new PatchError(`${k} at ${where(path)} must be a list`);
      const cur = out[field];
      if (Array.isArray(cur)) {
        const kept = cur.filter((x) => !v.some((d) => deepEqual(d, x)));
        out[field] = kept;
      }
    }

    for (const [k, v] of Object.entries(patch)) {
      if (isDirectiveKey(k) || v === undefined) continue;
      const childPath = `${path}.${k}`;
      if (v === null) {
        delete out[k];
        continue;
      }
      const cs = propSchema(s, k, this.ts);
      const cur = Object.prototype.hasOwnProperty.call(out, k) ? out[k] : undefined;
      let r: unknown;
      if (isObject(v)) {
        r = this.mergeMap(isObject(cur) ? cur : {}, v, cs, childPath);
      } else if (Array.isArray(v)) {
        r = this.mergeList(Array.isArray(cur) ? cur : [], v, cs, childPath);
      } else {
        r = v;
      }
      if (r === DELETE) delete out[k];
      else setOwn(out, k, r);
    }

    // $setElementOrder/<field>
    for (const [k, v] of Object.entries(patch)) {
      if (!k.startsWith(SET_ELEMENT_ORDER)) continue;
      const field = k.slice(SET_ELEMENT_ORDER.length);
      if (!Array.isArray(v)) throw new PatchError(`${k} at ${where(path)} must be a list`);
      const cur = out[field];
      if (Array.isArray(cur)) out[field] = this.reorder(cur, v, propSchema(s, field, this.ts), `${path}.${field}`);
    }

    if (retain) {
      for (const k of Object.keys(out)) if (!retain.has(k)) delete out[k];
    }
    return out;
  }

  /** A patch value placed where nothing was before: directives are interpreted against emptiness. */
  private fresh(v: unknown, s: StructSchema | undefined, path: string): unknown {
    if (isObject(v)) {
      const out: JsonObject = {};
      // A replaced map is taken literally, apart from directives.
      const r = this.mergeMap(out, withoutKey(v, PATCH), s, path, true);
      return r === DELETE ? {} : r;
    }
    if (Array.isArray(v)) return this.mergeList([], v, s, path);
    return v;
  }

  mergeList(orig: unknown[], patch: unknown[], s: StructSchema | undefined, path: string): unknown[] {
    const kind = smpListKind(s);
    const items = itemSchema(s, this.ts);

    let replaceAll = false;
    for (const e of patch) {
      if (!isObject(e) || e[PATCH] === undefined) continue;
      const d = e[PATCH];
      if (d === 'replace') replaceAll = true;
      else if (d !== 'delete' && d !== 'merge') {
        throw new PatchError(`unknown $patch directive ${JSON.stringify(d)} in list ${where(path)}`);
      }
    }

    if (replaceAll || kind.kind === 'replace') {
      // The list is taken literally (as JSON merge patch does), minus directive markers.
      return patch.filter((e) => !(isObject(e) && (e[PATCH] === 'replace' || e[PATCH] === 'delete'))).map(stripDirectives);
    }

    if (kind.kind === 'set') {
      const out: unknown[] = [];
      for (const x of orig) if (!out.some((y) => deepEqual(x, y))) out.push(x);
      for (const e of patch) {
        if (isObject(e) && e[PATCH] !== undefined) {
          throw new PatchError(`$patch directive is not allowed in the list of primitives ${where(path)}`);
        }
        if (!out.some((y) => deepEqual(e, y))) out.push(deepClone(e));
      }
      return out;
    }

    const key = kind.key;
    let out = orig.slice();
    for (const e of patch) {
      if (!isObject(e)) {
        throw new PatchError(`element of ${where(path)} must be an object (merge key "${key}"), got ${typeName(e)}`);
      }
      if (!Object.prototype.hasOwnProperty.call(e, key) || e[key] === null) {
        throw new PatchError(`element of ${where(path)} does not contain its merge key "${key}"`);
      }
      const kv = e[key];
      const matches = (x: unknown) => isObject(x) && deepEqual(x[key], kv);
      if (e[PATCH] === 'delete') {
        out = out.filter((x) => !matches(x));
        continue;
      }
      const elemPath = `${path}[${key}=${JSON.stringify(kv)}]`;
      const i = out.findIndex(matches);
      if (i >= 0) {
        const r = this.mergeMap(out[i] as JsonObject, e, items, elemPath);
        if (r === DELETE) out.splice(i, 1);
        else out[i] = r;
      } else {
        const r = this.mergeMap({}, e, items, elemPath);
        if (r !== DELETE) out.push(r);
      }
    }
    return out;
  }

  /**
   * `$setElementOrder`: elements named by the directive come first, in its order; the others
   * keep their relative order after them.
   */
  private reorder(list: unknown[], order: unknown[], s: StructSchema | undefined, path: string): unknown[] {
    const kind = smpListKind(s);
    let identify: (x: unknown) => unknown;
    let orderIds: unknown[];
    if (kind.kind === 'map') {
      const key = kind.key;
      orderIds = order.map((o) => {
        if (!isObject(o) || !Object.prototype.hasOwnProperty.call(o, key)) {
          throw new PatchError(`$setElementOrder for ${where(path)} entries must be objects with the merge key "${key}"`);
        }
        return o[key];
      });
      identify = (x) => (isObject(x) ? x[key] : undefined);
    } else {
      if (order.some((o) => o !== null && typeof o === 'object')) {
        // Not a list we know how to identify: leave it as merged.
        return list;
      }
      orderIds = order;
      identify = (x) => x;
    }
    const used = new Array<boolean>(list.length).fill(false);
    const out: unknown[] = [];
    for (const id of orderIds) {
      for (let i = 0; i < list.length; i++) {
        if (!used[i] && identify(list[i]) !== undefined && deepEqual(identify(list[i]), id)) {
          used[i] = true;
          out.push(list[i]);
        }
      }
    }
    for (let i = 0; i < list.length; i++) if (!used[i]) out.push(list[i]);
    return out;
  }
}

/** A literal copy of a patch value without directive keys (nulls are kept). */
function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) if (!isDirectiveKey(k)) setOwn(out, k, stripDirectives(x));
  return out;
}

function withoutKey(o: JsonObject, key: string): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(o)) if (k !== key) setOwn(out, k, v);
  return out;
}
