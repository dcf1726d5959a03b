/** Helpers shared by validation, defaulting and pruning: $ref resolution, JSON type names, ObjectMeta. */
import { deref, type StructSchema, type TypeSchema } from '@flotilla/apimachinery';

export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The JSON type name of a value as OpenAPI validators report it ("null", "integer", "number", ...). */
export function jsonTypeOf(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'number':
      return Number.isInteger(v) ? 'integer' : 'number';
    case 'bigint':
      return 'integer';
    case 'object':
      return 'object';
    default:
      return typeof v;
  }
}

const OBJECT_META_REF = /(^|[./])ObjectMeta$/;
const metaCache = new WeakMap<StructSchema, StructSchema>();

/**
 * Resolves `$ref`s / single-`allOf` wrappers; also reports whether a `$ref` was followed. A schema reached
 * through a `$ref` to an ObjectMeta definition is completed to the full ObjectMeta (see mergedMetaSchema).
 */
export function resolve(s: StructSchema | undefined, ts: TypeSchema): { schema: StructSchema | undefined; viaRef: boolean } {
  if (!s) return { schema: undefined, viaRef: false };
  let viaRef = false;
  let lastRef = '';
  let cur: StructSchema | undefined = s;
  for (let i = 0; cur && i < 32; i++) {
    if (cur.$ref) {
      viaRef = true;
      lastRef = cur.$ref;
      cur = ts.resolve(cur.$ref);
      continue;
    }
    if (cur.allOf && cur.allOf.length === 1 && !cur.type && !cur.properties && !cur.items && !cur.additionalProperties) {
      cur = cur.allOf[0];
      continue;
    }
    break;
  }
  let out = deref(cur, ts) ?? cur;
  if (out && lastRef && OBJECT_META_REF.test(lastRef)) {
    let m = metaCache.get(out);
    if (!m) {
      m = mergedMetaSchema(out);
      metaCache.set(out, m);
    }
    out = m;
  }
  return { schema: out, viaRef };
}

export function r(s: StructSchema | undefined, ts: TypeSchema): StructSchema | undefined {
  return resolve(s, ts).schema;
}

/** The schema for `additionalProperties` when it is a schema (true means "anything"). */
export function additionalSchema(s: StructSchema): StructSchema | true | undefined {
  const ap = s.additionalProperties;
  if (ap === true) return true;
  if (ap && typeof ap === 'object') return ap;
  return undefined;
}

export const OBJECT_META_FIELDS = [
  'name',
  'generateName',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'finalizers',
  'ownerReferences',
  'managedFields',
  'selfLink',
] as const;

const str: StructSchema = { type: 'string' };
const stringMap: StructSchema = { type: 'object', additionalProperties: { type: 'string' } };
const time: StructSchema = { type: 'string', format: 'date-time', nullable: true };

/** metav1.ObjectMeta as a self-contained structural schema (what CRDs get implicitly). */
export function objectMetaSchema(): StructSchema {
  return {
    type: 'object',
    properties: {
      name: { ...str },
      generateName: { ...str },
      namespace: { ...str },
      uid: { ...str },
      resourceVersion: { ...str },
      generation: { type: 'integer', format: 'int64' },
      creationTimestamp: { ...time },
      deletionTimestamp: { ...time },
      deletionGracePeriodSeconds: { type: 'integer', format: 'int64', nullable: true },
      labels: { ...stringMap, additionalProperties: { type: 'string' } },
      annotations: { ...stringMap, additionalProperties: { type: 'string' } },
      finalizers: { type: 'array', items: { type: 'string' } },
      ownerReferences: {
        type: 'array',
        items: {
          type: 'object',
          required: ['apiVersion', 'kind', 'name', 'uid'],
          properties: {
            apiVersion: { ...str },
            kind: { ...str },
            name: { ...str },
            uid: { ...str },
            controller: { type: 'boolean' },
            blockOwnerDeletion: { type: 'boolean' },
          },
        },
      },
      managedFields: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            manager: { ...str },
            operation: { ...str },
            apiVersion: { ...str },
            time: { ...time },
            fieldsType: { ...str },
            fieldsV1: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
            subresource: { ...str },
          },
        },
      },
      selfLink: { ...str },
    },
  };
}

/**
 * ObjectMeta merged with whatever a schema says about `metadata` (CRDs may restrict name/generateName,
 * built-in schemas describe it fully). Unknown metadata fields are never allowed, known ones never pruned.
 */
export function mergedMetaSchema(given: StructSchema | undefined): StructSchema {
  const base = objectMetaSchema();
  if (!given) return base;
  if (given.description) base.description = given.description;
  for (const [k, v] of Object.entries(given.properties ?? {})) {
    const b = base.properties![k];
    if (!b) base.properties![k] = v;
    else if (k === 'name' || k === 'generateName') base.properties![k] = v.$ref ? b : { ...b, ...v, type: 'string' };
  }
  return base;
}

const givenMetaCache = new WeakMap<StructSchema, StructSchema>();
let plainMeta: StructSchema | undefined;

/** mergedMetaSchema, memoized per input schema (the result must not be modified). */
export function cachedMetaSchema(given: StructSchema | undefined): StructSchema {
  if (!given) return (plainMeta ??= objectMetaSchema());
  let m = givenMetaCache.get(given);
  if (!m) {
    m = mergedMetaSchema(given);
    givenMetaCache.set(given, m);
  }
  return m;
}

/** Does the schema (or one of its junctors) describe this property name? */
export function describesProperty(s: StructSchema, name: string, ts: TypeSchema): boolean {
  if (s.properties && Object.prototype.hasOwnProperty.call(s.properties, name)) return true;
  for (const j of [...(s.allOf ?? []), ...(s.anyOf ?? []), ...(s.oneOf ?? [])]) {
    const d = r(j, ts);
    if (d && d !== s && d.properties && Object.prototype.hasOwnProperty.call(d.properties, name)) return true;
  }
  return false;
}

/** Collects properties from the node itself and from `allOf` members (used for built-in schemas that compose with allOf). */
export function propertiesOf(s: StructSchema, ts: TypeSchema): Record<string, StructSchema> | undefined {
  if (!s.allOf || s.allOf.length === 0) return s.properties;
  let out: Record<string, StructSchema> | undefined = s.properties ? { ...s.properties } : undefined;
  for (const j of s.allOf ?? []) {
    const d = r(j, ts);
    if (d && d !== s && d.properties && (d.type === undefined || d.type === 'object')) {
      out = out ?? {};
      for (const [k, v] of Object.entries(d.properties)) if (!(k in out)) out[k] = v;
    }
  }
  return out;
}

export function hasOwn(o: object, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

/** A path helper: child property of a dotted field path. */
export function child(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}
