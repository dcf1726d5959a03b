/** Structural defaulting of custom resources (OpenAPI `default`), as the API server applies it. */
import type { StructSchema, TypeSchema } from '@flotilla/apimachinery';
import { additionalSchema, hasOwn, isObject, cachedMetaSchema, propertiesOf, r } from './schema.js';

function cloneJson<T>(v: T): T {
  return v === undefined || v === null || typeof v !== 'object' ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/**
 * Sets or clears one field of an object per its schema: missing → default; null on a non-nullable
 * field → default, or removed when there is no default (nullable fields keep null).
 */
function defaultField(obj: Record<string, unknown>, key: string, ps: StructSchema | undefined): void {
  if (!ps) return;
  if (!hasOwn(obj, key)) {
    if (ps.default !== undefined) obj[key] = cloneJson(ps.default);
    return;
  }
  if (obj[key] === null && !ps.nullable) {
    if (ps.default !== undefined && ps.default !== null) obj[key] = cloneJson(ps.default);
    else delete obj[key];
  }
}

function walk(schema: StructSchema | undefined, v: unknown, ts: TypeSchema, resourceRoot: boolean, depth: number): void {
  const s = r(schema, ts);
  if (!s || depth > 200) return;
  if (isObject(v)) {
    const props = propertiesOf(s, ts);
    const ap = additionalSchema(s);
    const metaRoot = resourceRoot || s['x-kubernetes-embedded-resource'] === true;
    if (props) {
      for (const k of Object.keys(props)) {
        if (metaRoot && k === 'metadata') continue;
        defaultField(v, k, r(props[k], ts));
      }
    }
    for (const k of Object.keys(v)) {
      if (metaRoot && k === 'metadata') {
        if (props?.metadata) walk(cachedMetaSchema(r(props.metadata, ts)), v[k], ts, false, depth + 1);
        continue;
      }
      let child: StructSchema | undefined;
      if (props && hasOwn(props, k)) child = props[k];
      else if (ap && ap !== true) {
        child = ap;
        defaultField(v, k, r(ap, ts));
        if (!hasOwn(v, k)) continue;
      }
      if (child) walk(child, v[k], ts, false, depth + 1);
    }
  } else if (Array.isArray(v)) {
    if (!s.items || Array.isArray(s.items)) return;
    const is = r(s.items, ts);
    if (!is) return;
    for (let i = 0; i < v.length; i++) {
      if (v[i] === null && !is.nullable && is.default !== undefined && is.default !== null) v[i] = cloneJson(is.default);
      walk(is, v[i], ts, false, depth + 1);
    }
  }
}

/**
 * Applies schema defaults to `obj` in place: missing fields get their `default` (deep-copied, then
 * defaulted themselves), recursively through properties, array items and additionalProperties.
 * Null values of non-nullable fields are replaced by the default or dropped (Kubernetes ≥ 1.20);
 * `nullable: true` keeps null. Nothing below a preserve-unknown-fields node without properties is touched.
 */
export function applySchemaDefaults(schema: TypeSchema, obj: unknown): void {
  walk(schema.root, obj, schema, true, 0);
}
