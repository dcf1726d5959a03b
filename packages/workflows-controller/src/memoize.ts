// memoize (pure): a template's `memoize: {key, maxAge, cache: {configMap: {name}}}` — a fresh entry in the cache
// ConfigMap answers the node without a pod; a node that succeeds stores its outputs there. Entries as upstream:
// data[<key>] = JSON {nodeID, outputs, creationTimestamp, lastHitTimestamp}; the ConfigMap is labelled
// `workflows.argoproj.io/configmap-type: Cache`.
import type { Outputs, Template } from './types.js';
import { parseDuration } from './operator/vars.js';

export const LABEL_CONFIGMAP_TYPE = 'workflows.argoproj.io/configmap-type';

export interface Memo { key: string; cacheName: string; maxAgeSeconds?: number }
export interface CacheEntry { nodeID: string; outputs?: Outputs; creationTimestamp: string; lastHitTimestamp?: string }

export function memoOf(t: Template): Memo | undefined {
  const m = t.memoize as { key?: string; maxAge?: string; cache?: { configMap?: { name?: string } } } | undefined;
  const name = m?.cache?.configMap?.name;
  if (!m || m.key === undefined || !name) return undefined;
  const maxAge = parseDuration(m.maxAge);
  return { key: String(m.key), cacheName: name, ...(maxAge !== undefined ? { maxAgeSeconds: maxAge } : {}) };
}

/** ConfigMap keys must match [-._a-zA-Z0-9]+ (upstream refuses others; we encode them). */
export function cacheKey(key: string): string {
  return /^[-._a-zA-Z0-9]+$/.test(key) && key.length <= 253 ? key : `k-${Buffer.from(key).toString('base64url')}`.slice(0, 253);
}

/** A fresh cache entry for the memo, or undefined (miss, stale or unreadable). */
export function lookup(memo: Memo, data: Record<string, string> | undefined, now: Date): CacheEntry | undefined {
  const raw = data?.[cacheKey(memo.key)];
  if (!raw) return undefined;
  let e: CacheEntry;
  try {
    e = JSON.parse(raw) as CacheEntry;
  } catch {
    return undefined;
  }
  const created = Date.parse(e.creationTimestamp);
  if (Number.isNaN(created)) return undefined;
  if (memo.maxAgeSeconds !== undefined && now.getTime() - created > memo.maxAgeSeconds * 1000) return undefined;
  return e;
}

export function entry(nodeID: string, outputs: Outputs | undefined, now: Date): string {
  const ts = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return JSON.stringify({ nodeID, outputs: outputs ?? {}, creationTimestamp: ts, lastHitTimestamp: ts });
}
