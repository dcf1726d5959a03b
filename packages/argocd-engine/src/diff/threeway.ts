/**
 * Predicting what the live object becomes when the target is applied.
 *
 * - three-way (the live object carries `kubectl.kubernetes.io/last-applied-configuration`): as
 *   `kubectl apply` merges — fields the configuration sets take its values, fields it no longer sets
 *   but the last applied configuration did are removed, and fields it never set (server defaults,
 *   other writers) stay as they are live. Lists merge by their strategic-merge key for built-in
 *   kinds (containers by name, ports by containerPort, …) and are replaced otherwise.
 * - two-way (no last-applied configuration): the live object loses the fields the configuration
 *   does not mention, and is compared with the configuration.
 */
import type { StructSchema, TypeSchema } from '@flotilla/apimachinery';
import { builtinSchema } from '@flotilla/k8s-builtins';
import { itemSchema, propSchema, rootSchema, smpListKind } from '@flotilla/k8s-patch';
import type { KubeObject } from '../types.js';
import { clone, deepEqual, isObj, type JsonObject } from './jsonutil.js';

const schemaCache = new Map<string, TypeSchema | null>();

/** The built-in schema of an object's kind (undefined for custom resources). */
export function schemaOf(obj: KubeObject): TypeSchema | undefined {
  const apiVersion = obj.apiVersion ?? '';
  const kind = obj.kind ?? '';
  const key = `${apiVersion}/${kind}`;
  let s = schemaCache.get(key);
  if (s === undefined) {
    const i = apiVersion.indexOf('/');
    const group = i < 0 ? '' : apiVersion.slice(0, i);
    const version = i < 0 ? apiVersion : apiVersion.slice(i + 1);
    try {
      s = builtinSchema(group, version, kind) ?? null;
    } catch {
      s = null;
    }
    schemaCache.set(key, s);
  }
  return s ?? undefined;
}

type Known = Map<string, TypeSchema>;

/** knownTypeFields (`{field: "spec.template.spec", type: "core/v1/PodSpec"}`) → field path → built-in type schema. */
export function knownTypeSchemas(fields: { field: string; type: string }[] | undefined): Known | undefined {
  if (!fields || fields.length === 0) return undefined;
  const out: Known = new Map();
  for (const f of fields) {
    const parts = f.type.split('/');
    if (parts.length !== 3) continue;
    const group = parts[0] === 'core' ? '' : parts[0];
    try {
      const ts = builtinSchema(group, parts[1], parts[2]);
      if (ts) out.set(f.field, ts);
    } catch {
      // an unknown type leaves the field untyped
    }
  }
  return out.size ? out : undefined;
}

class Merger {
  constructor(private readonly known: Known | undefined) {}

  merge(orig: unknown, config: unknown, live: unknown, s: StructSchema | undefined, ts: TypeSchema | undefined, path: string): unknown {
    if (this.known && path) {
      const k = this.known.get(path);
      if (k) {
        ts = k;
        s = rootSchema(k);
      }
    }
    if (isObj(config)) {
      if (!isObj(live)) return clone(config);
      const out: JsonObject = { ...live };
      const o = isObj(orig) ? orig : undefined;
      for (const k of Object.keys(config)) {
        const cv = config[k];
        if (cv === null || cv === undefined) {
          delete out[k];
          continue;
        }
        out[k] = this.merge(o?.[k], cv, live[k], propSchema(s, k, ts), ts, path === '' ? k : `${path}.${k}`);
      }
      if (o) for (const k of Object.keys(o)) if (!(k in config)) delete out[k];
      return out;
    }
    if (Array.isArray(config)) {
      if (!Array.isArray(live)) return clone(config);
      const kind = smpListKind(s);
      if (kind.kind === 'map') return this.mergeKeyed(orig, config, live, kind.key, itemSchema(s, ts), ts);
      if (kind.kind === 'set') {
        const origItems = Array.isArray(orig) ? orig : [];
        const out = config.map(clone);
        for (const v of live) {
          if (out.some((x) => deepEqual(x, v))) continue;
          if (origItems.some((x) => deepEqual(x, v))) continue;
          out.push(clone(v));
        }
        return out;
      }
      return clone(config);
    }
    return config;
  }

  private mergeKeyed(orig: unknown, config: unknown[], live: unknown[], key: string, s: StructSchema | undefined, ts: TypeSchema | undefined): unknown[] {
    const keyOf = (v: unknown) => (isObj(v) && v[key] !== undefined ? JSON.stringify(v[key]) : undefined);
    const liveBy = new Map<string, unknown>();
    for (const v of live) {
      const k = keyOf(v);
      if (k !== undefined && !liveBy.has(k)) liveBy.set(k, v);
    }
    const origBy = new Map<string, unknown>();
    if (Array.isArray(orig)) for (const v of orig) {
      const k = keyOf(v);
      if (k !== undefined) origBy.set(k, v);
    }
    const out: unknown[] = [];
    const used = new Set<string>();
    for (const cv of config) {
      const k = keyOf(cv);
      if (k === undefined) {
        out.push(clone(cv));
        continue;
      }
      used.add(k);
      // list elements are below the reach of knownTypeFields paths (map keys only)
      out.push(liveBy.has(k) ? this.merge(origBy.get(k), cv, liveBy.get(k), s, ts, '\0') : clone(cv));
    }
    // elements the server (or another writer) added stay; those the configuration dropped go
    for (const lv of live) {
      const k = keyOf(lv);
      if (k === undefined || used.has(k) || origBy.has(k)) continue;
      used.add(k);
      out.push(clone(lv));
    }
    return out;
  }
}

/**
 * Three-way merge of `config` into `live`, `lastApplied` being the configuration applied before.
 * `knownTypeFields` (argocd-cm) give custom resources' embedded built-in types their merge keys.
 */
export function threeWayMerge(lastApplied: KubeObject | undefined, config: KubeObject, live: KubeObject, knownTypeFields?: { field: string; type: string }[]): KubeObject {
  const ts = schemaOf(config);
  return new Merger(ts ? undefined : knownTypeSchemas(knownTypeFields)).merge(lastApplied, config, live, rootSchema(ts), ts, '') as KubeObject;
}

/** The live object without the fields the configuration does not mention (two-way comparison). */
export function removeMapFields(config: unknown, live: unknown): unknown {
  if (isObj(config) && isObj(live)) {
    const out: JsonObject = {};
    for (const k of Object.keys(config)) {
      if (!(k in live)) continue;
      out[k] = removeMapFields(config[k], live[k]);
    }
    return out;
  }
  if (Array.isArray(config) && Array.isArray(live) && config.length === live.length) {
    return live.map((v, i) => removeMapFields(config[i], v));
  }
  return live;
}

/** Parses the last-applied-configuration annotation; undefined when absent or not a JSON object. */
export function lastAppliedOf(live: KubeObject, annotation: string): KubeObject | undefined {
  const raw = live.metadata?.annotations?.[annotation];
  if (typeof raw !== 'string' || raw === '') return undefined;
  try {
    const v = JSON.parse(raw);
    return isObj(v) ? (v as KubeObject) : undefined;
  } catch {
    return undefined;
  }
}
