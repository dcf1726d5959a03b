/** Pruning of unknown fields (CRD structural pruning) and unknown-field detection (fieldValidation=Strict/Warn). */
import type { StructSchema, TypeSchema } from '@flotilla/apimachinery';
import { additionalSchema, hasOwn, isObject, cachedMetaSchema, propertiesOf, resolve } from './schema.js';

interface Ctx {
  ts: TypeSchema;
  mutate: boolean;
  out: string[];
}

function walk(schema: StructSchema | undefined, v: unknown, path: string, ctx: Ctx, resourceRoot: boolean, depth: number): void {
  const { schema: s, viaRef } = resolve(schema, ctx.ts);
  if (!s || depth > 300) return; // no schema: unknown territory that is preserved
  if (isObject(v)) {
    if (s.type !== undefined && s.type !== 'object') return; // a type error, reported by validation
    const props = propertiesOf(s, ctx.ts);
    const ap = additionalSchema(s);
    const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
    const embedded = s['x-kubernetes-embedded-resource'] === true;
    const metaRoot = resourceRoot || embedded;
    // A named ($ref'd) or untyped object schema that says nothing about its fields (e.g. RawExtension) is opaque.
    const opaque = !props && !ap && (viaRef || s.type === undefined);
    for (const k of Object.keys(v)) {
      const p = `${path}.${k}`;
      if (metaRoot && k === 'metadata') {
        walk(cachedMetaSchema(resolve(props?.metadata, ctx.ts).schema), v[k], p, ctx, false, depth + 1);
        continue;
      }
      if (props && hasOwn(props, k)) {
        walk(props[k], v[k], p, ctx, false, depth + 1);
        continue;
      }
      if (metaRoot && (k === 'apiVersion' || k === 'kind')) continue;
      if (ap === true) continue;
      if (ap) {
        walk(ap, v[k], `${path}[${k}]`, ctx, false, depth + 1);
        continue;
      }
      if (preserve || opaque) continue;
      ctx.out.push(p);
      if (ctx.mutate) delete v[k];
    }
  } else if (Array.isArray(v)) {
    if (s.type !== undefined && s.type !== 'array') return;
    if (!s.items || Array.isArray(s.items)) return;
    for (let i = 0; i < v.length; i++) walk(s.items, v[i], `${path}[${i}]`, ctx, false, depth + 1);
  }
}

/**
 * Removes (in place) every field the schema does not specify, unless `x-kubernetes-preserve-unknown-fields: true`
 * applies at that level. apiVersion/kind/metadata of the root and of embedded resources are kept; metadata is
 * pruned to ObjectMeta's fields. Returns the pruned paths like `.spec.foo`, `.spec.containers[0].bogus`, `.spec.map[key].x`.
 */
export function pruneUnknownFields(schema: TypeSchema, obj: unknown): string[] {
  const ctx: Ctx = { ts: schema, mutate: true, out: [] };
  walk(schema.root, obj, '', ctx, true, 0);
  return ctx.out;
}

/** Like pruneUnknownFields but without modifying `obj`: the unknown fields for fieldValidation=Strict/Warn. */
export function findUnknownFields(schema: TypeSchema, obj: unknown): string[] {
  const ctx: Ctx = { ts: schema, mutate: false, out: [] };
  walk(schema.root, obj, '', ctx, true, 0);
  return ctx.out;
}

/** `strict decoding error: unknown field "spec.foo", unknown field "spec.bar"` for a list of unknown-field paths. */
export function strictDecodingError(paths: string[]): string {
  return `strict decoding error: ${paths.map((p) => `unknown field ${JSON.stringify(p.replace(/^\./, ''))}`).join(', ')}`;
}

/** Unknown fields of `value` against one node of a TypeSchema (paths relative to that node). */
export function findUnknownAt(schema: TypeSchema, node: StructSchema, value: unknown, resourceRoot: boolean): string[] {
  const ctx: Ctx = { ts: schema, mutate: false, out: [] };
  walk(node, value, '', ctx, resourceRoot, 0);
  return ctx.out;
}
