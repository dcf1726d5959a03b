/**
 * Schema navigation for patching: resolves `$ref`/`allOf` wrappers (keeping the Kubernetes
 * `x-kubernetes-*` extensions found on the wrappers, which are more specific than the type's
 * own) and classifies lists and maps.
 */
import type { StructSchema, TypeSchema } from '@flotilla/apimachinery';
import { isObject } from './json.js';

const cache = new WeakMap<object, WeakMap<StructSchema, StructSchema | undefined>>();
const NO_TS = {};

/** Resolves a schema to a concrete one, carrying over extensions declared on `$ref`/`allOf` wrappers. */
export function resolve(schema: StructSchema | undefined, ts: TypeSchema | undefined): StructSchema | undefined {
  if (!schema) return undefined;
  const cacheKey = ts ?? NO_TS;
  let byTs = cache.get(cacheKey);
  if (!byTs) cache.set(cacheKey, (byTs = new WeakMap()));
  if (byTs.has(schema)) return byTs.get(schema);
  let s: StructSchema | undefined = schema;
  let ext: Record<string, unknown> | undefined;
  for (let i = 0; s && i < 32; i++) {
    let next: StructSchema | undefined;
    if (s.$ref) next = ts?.resolve(s.$ref);
    else if (s.allOf && s.allOf.length === 1 && !s.type && !s.properties && !s.items) next = s.allOf[0];
    else break;
    for (const [k, v] of Object.entries(s)) {
      if (k.startsWith('x-kubernetes-') && !(ext && k in ext)) (ext ??= {})[k] = v;
    }
    s = next;
  }
  let out = s;
  if (s && ext) {
    out = { ...s };
    for (const [k, v] of Object.entries(ext)) (out as Record<string, unknown>)[k] = v;
  }
  byTs.set(schema, out);
  return out;
}

export function rootSchema(ts: TypeSchema | undefined): StructSchema | undefined {
  return ts ? resolve(ts.root, ts) : undefined;
}

/** Schema of an object member: a declared property, else additionalProperties. */
export function propSchema(s: StructSchema | undefined, key: string, ts: TypeSchema | undefined): StructSchema | undefined {
  if (!s) return undefined;
  const p = s.properties && Object.prototype.hasOwnProperty.call(s.properties, key) ? s.properties[key] : undefined;
  if (p) return resolve(p, ts);
  if (isObject(s.additionalProperties)) return resolve(s.additionalProperties as StructSchema, ts);
  return undefined;
}

export function itemSchema(s: StructSchema | undefined, ts: TypeSchema | undefined): StructSchema | undefined {
  return s?.items ? resolve(s.items, ts) : undefined;
}

function strategies(s: StructSchema | undefined): string[] {
  const v = s?.['x-kubernetes-patch-strategy'];
  return typeof v === 'string' ? v.split(',').map((x) => x.trim()) : [];
}

/** How strategic merge patch treats a list: merged by key, merged as a set of primitives, or replaced. */
export type SmpList = { kind: 'replace' } | { kind: 'set' } | { kind: 'map'; key: string };

export function smpListKind(s: StructSchema | undefined): SmpList {
  if (!s) return { kind: 'replace' };
  const strat = strategies(s);
  if (strat.includes('replace')) return { kind: 'replace' };
  const mergeKey = s['x-kubernetes-patch-merge-key'];
  if (strat.includes('merge')) {
    if (typeof mergeKey === 'string' && mergeKey) return { kind: 'map', key: mergeKey };
    return { kind: 'set' };
  }
  if (s['x-kubernetes-list-type'] === 'map') {
    const keys = s['x-kubernetes-list-map-keys'];
    if (Array.isArray(keys) && keys.length > 0 && typeof keys[0] === 'string') return { kind: 'map', key: keys[0] };
    if (typeof mergeKey === 'string' && mergeKey) return { kind: 'map', key: mergeKey };
  }
  return { kind: 'replace' };
}

/** True when strategic merge patch must replace (not merge) a map field. */
export function smpReplacesMap(s: StructSchema | undefined): boolean {
  return strategies(s).includes('replace');
}

/** How server-side apply treats a list (Kubernetes "list-type", derived from patch metadata when absent). */
export type SsaList = { kind: 'atomic' } | { kind: 'set' } | { kind: 'map'; keys: string[] };

export function ssaListKind(s: StructSchema | undefined): SsaList {
  if (!s) return { kind: 'atomic' };
  const lt = s['x-kubernetes-list-type'];
  const mergeKey = s['x-kubernetes-patch-merge-key'];
  if (lt === 'map') {
    const keys = s['x-kubernetes-list-map-keys'];
    if (Array.isArray(keys) && keys.length > 0) return { kind: 'map', keys: keys.map(String) };
    if (typeof mergeKey === 'string' && mergeKey) return { kind: 'map', keys: [mergeKey] };
    return { kind: 'atomic' };
  }
  if (lt === 'set') return { kind: 'set' };
  if (lt === 'atomic') return { kind: 'atomic' };
  if (strategies(s).includes('merge')) {
    if (typeof mergeKey === 'string' && mergeKey) {
      const keys = s['x-kubernetes-list-map-keys'];
      if (Array.isArray(keys) && keys.length > 0) return { kind: 'map', keys: keys.map(String) };
      return { kind: 'map', keys: [mergeKey] };
    }
    return { kind: 'set' };
  }
  return { kind: 'atomic' };
}

/** Maps/structs marked `x-kubernetes-map-type: atomic` are owned and replaced as a whole. */
export function isAtomicMap(s: StructSchema | undefined): boolean {
  return s?.['x-kubernetes-map-type'] === 'atomic';
}
