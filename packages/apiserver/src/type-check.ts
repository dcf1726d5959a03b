/**
 * Values of the wrong JSON type (`replicas: "3"`, `metadata.name: {}`) are refused as Kubernetes
 * refuses them: while decoding, with a 400 that names the field and both types, before any
 * validation could report a misleading message ("must be greater than or equal to 0",
 * "[object Object]"). Walks the object along its schema without recursion.
 */
import { deref, type KubeObject, type StructSchema, type TypeSchema } from '@flotilla/apimachinery';
import { badRequest } from './errors.js';
import type { Served } from './registry.js';

const jsonType = (v: unknown): string => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v === 'boolean' ? 'bool' : typeof v);

function goType(s: StructSchema): string {
  if (s.type === 'integer') return s.format === 'int32' ? 'int32' : 'int64';
  if (s.type === 'number') return 'float64';
  if (s.type === 'boolean') return 'bool';
  if (s.type === 'array') return '[]' + (s.items?.type ?? 'interface {}');
  if (s.type === 'object') return s.properties ? 'struct' : 'map[string]string';
  return s.type ?? 'interface {}';
}

const INT32 = 2 ** 31;
const INT64 = 2 ** 63;

/** A whole number within its field's range (int32, or int64 for every other integer), as Go's decoder requires. */
function intFits(s: StructSchema, v: number | bigint): boolean {
  if (typeof v === 'bigint') {
    // beyond 2^53 (json-int.ts keeps those exactly): only an int64 field, within int64
    const bound = s.format === 'int32' ? 2n ** 31n : 2n ** 63n;
    return v >= -bound && v < bound;
  }
  if (!Number.isInteger(v)) return false;
  const bound = s.format === 'int32' ? INT32 : INT64;
  return v >= -bound && v < bound;
}

/** What Go's decoder names the value: a number that did not fit is quoted with its literal. */
const described = (v: unknown): string => (typeof v === 'number' || typeof v === 'bigint' ? `number ${String(v)}` : jsonType(v));

function fits(s: StructSchema, v: unknown): boolean {
  if (v === null || v === undefined || !s.type) return true;
  if (s['x-kubernetes-int-or-string']) return typeof v === 'number' || typeof v === 'string';
  switch (s.type) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return (typeof v === 'bigint' || typeof v === 'number') && intFits(s, v);
    case 'number':
      return typeof v === 'number' || typeof v === 'bigint';
    case 'boolean':
      return typeof v === 'boolean';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return typeof v === 'object' && !Array.isArray(v);
  }
  return true;
}

/** The first field whose JSON type does not fit the schema, as Kubernetes' decoder reports it (400). */
export function checkTypes(s: Served, obj: KubeObject): void {
  const meta = obj.metadata as Record<string, unknown> | undefined;
  for (const k of ['name', 'generateName', 'namespace', 'uid', 'resourceVersion'])
    if (meta && meta[k] !== undefined && meta[k] !== null && typeof meta[k] !== 'string')
      throw badRequest(`${s.info.kind} in version "${s.info.version}" cannot be handled as a ${s.info.kind}: json: cannot unmarshal ${jsonType(meta[k])} into Go struct field ObjectMeta.metadata.${k} of type string`);
  // custom resources: their schema reports wrong types as validation errors (422)
  const ts: TypeSchema | undefined = s.builtin ? s.schema() : undefined;
  if (!ts) return;
  const todo: { schema: StructSchema | undefined; v: unknown; path: string }[] = [{ schema: ts.root, v: obj, path: '' }];
  let steps = 0;
  while (todo.length && steps++ < 200_000) {
    const { schema, v, path } = todo.pop()!;
    const sc = deref(schema, ts);
    if (!sc || sc['x-kubernetes-preserve-unknown-fields'] && !sc.properties) continue;
    if (!fits(sc, v)) {
      const field = path.replace(/^\./, '');
      throw badRequest(
        `${s.info.kind} in version "${s.info.version}" cannot be handled as a ${s.info.kind}: json: cannot unmarshal ${sc.type === 'integer' ? described(v) : jsonType(v)} into Go struct field ${s.info.kind}.${field} of type ${goType(sc)}`,
      );
    }
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      if (sc.items) v.forEach((x, i) => todo.push({ schema: sc.items, v: x, path: `${path}[${i}]` }));
      continue;
    }
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const sub = sc.properties?.[k] ?? (typeof sc.additionalProperties === 'object' ? sc.additionalProperties : undefined);
      if (sub) todo.push({ schema: sub, v: x, path: `${path}.${k}` });
    }
  }
}
