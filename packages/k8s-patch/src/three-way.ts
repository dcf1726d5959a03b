/**
 * The client side of `kubectl apply` (client-side apply): the patch from the configuration applied
 * last time (`original`, from the last-applied-configuration annotation) to the new one
 * (`modified`). Every field the new configuration sets is sent; a field the old one set and the new
 * one does not is deleted (`null`). For built-in kinds (a schema given) lists follow strategic
 * merge: a list merged by key gets each item as its own three-way patch, `{<key>: …, $patch: delete}`
 * for items the old configuration had and the new one drops, and `$setElementOrder/<field>` for
 * the order; a merged list of primitives gets `$deleteFromPrimitiveList/<field>`; other lists are
 * sent whole. Without a schema (JSON merge patch, custom resources) lists are sent whole.
 *
 * Only the configurations are compared (as kubectl does): fields that others set on the live object
 * stay untouched.
 */
import type { StructSchema, TypeSchema } from '@flotilla/apimachinery';
import { deepEqual, isObject, type JsonObject } from './json.js';
import { itemSchema, propSchema, rootSchema, smpListKind } from './schema.js';

export function threeWayPatch(original: unknown, modified: unknown, schema?: TypeSchema): unknown {
  if (!isObject(modified)) return modified;
  return mapPatch(isObject(original) ? original : undefined, modified, schema ? rootSchema(schema) : undefined, schema);
}

function mapPatch(original: JsonObject | undefined, modified: JsonObject, s: StructSchema | undefined, ts: TypeSchema | undefined): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(modified)) {
    const o = original?.[k];
    const ps = ts ? propSchema(s, k, ts) : undefined;
    if (isObject(v)) {
      out[k] = isObject(o) ? mapPatch(o, v, ps, ts) : v;
    } else if (Array.isArray(v) && ts) {
      Object.assign(out, listPatch(k, Array.isArray(o) ? o : undefined, v, ps, ts));
    } else {
      out[k] = v;
    }
  }
  if (original) for (const k of Object.keys(original)) if (!(k in modified)) out[k] = null;
  return out;
}

/** The patch entries for list field `k` (the field itself plus its directives). */
function listPatch(k: string, original: unknown[] | undefined, modified: unknown[], s: StructSchema | undefined, ts: TypeSchema): JsonObject {
  const kind = smpListKind(s);
  if (kind.kind === 'set') {
    const out: JsonObject = { [k]: modified };
    const gone = (original ?? []).filter((x) => !modified.some((m) => deepEqual(m, x)));
    if (gone.length) out[`$deleteFromPrimitiveList/${k}`] = gone;
    return out;
  }
  if (kind.kind !== 'map' || !modified.every((m) => isObject(m) && kind.key in m)) return { [k]: modified };
  const key = kind.key;
  const is = itemSchema(s, ts);
  const prev = new Map<string, JsonObject>();
  for (const o of original ?? []) if (isObject(o) && key in o) prev.set(JSON.stringify(o[key]), o);
  const items: unknown[] = [];
  for (const m of modified as JsonObject[]) {
    const o = prev.get(JSON.stringify(m[key]));
    prev.delete(JSON.stringify(m[key]));
    items.push(o ? { ...mapPatch(o, m, is, ts), [key]: m[key] } : m);
  }
  for (const o of prev.values()) items.push({ [key]: o[key], $patch: 'delete' });
  return { [`$setElementOrder/${k}`]: (modified as JsonObject[]).map((m) => ({ [key]: m[key] })), [k]: items };
}
