/** Small pure helpers shared by the controllers. */
import { labelSelectorRequirements, matchLabels, type KubeObject, type OwnerReference } from '@flotilla/apimachinery';
import type { Resource } from '@flotilla/kube-runtime';
import { apiVersionOf, controllerRefOf } from '@flotilla/kube-runtime';

// ----------------------------------------------------------------------------------------- types

/** Loose JSON shapes of the fields the controllers read. */
export type Obj = KubeObject & { spec?: any; status?: any };
export type Pod = Obj;

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastUpdateTime?: string;
  lastProbeTime?: string | null;
}

export interface Clock {
  now(): Date;
}
export const realClock: Clock = { now: () => new Date() };

/** RFC 3339 with second precision, as Kubernetes writes metav1.Time. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function parseTime(s: unknown): number | undefined {
  if (typeof s !== 'string' || !s) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

// ------------------------------------------------------------------------------- owner references

export function ownerRef(owner: KubeObject, r: Resource): OwnerReference {
  return {
    apiVersion: apiVersionOf(r),
    kind: r.kind,
    name: owner.metadata!.name!,
    uid: owner.metadata!.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export { controllerRefOf };

export function isControlledBy(o: KubeObject, owner: KubeObject): boolean {
  return controllerRefOf(o)?.uid === owner.metadata?.uid;
}

// -------------------------------------------------------------------------------------- selectors

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** A metav1.LabelSelector as a predicate: undefined selects nothing, {} selects everything. */
export function selectorFn(sel: LabelSelector | undefined | null): (labels: Record<string, string> | undefined) => boolean {
  if (!sel) return () => false;
  let reqs: ReturnType<typeof labelSelectorRequirements>;
  try {
    reqs = labelSelectorRequirements(sel);
  } catch {
    return () => false;
  }
  return (labels) => matchLabels(reqs, labels);
}

export function selectorIsEmpty(sel: LabelSelector | undefined | null): boolean {
  return !sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0);
}

/** The selector in the string form list calls and `status.selector` use. */
export function selectorString(sel: LabelSelector | undefined): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(sel?.matchLabels ?? {})) parts.push(`${k}=${v}`);
  for (const e of sel?.matchExpressions ?? []) {
    if (e.operator === 'In') parts.push(`${e.key} in (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

// ------------------------------------------------------------------------------------- JSON values

function canon(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canon);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x === null || x === undefined) continue;
      out[k] = canon(x);
    }
    return out;
  }
  return v;
}

/** JSON with sorted keys and null/undefined members dropped (a canonical form for comparisons and hashes). */
export function stableJson(v: unknown): string {
  return JSON.stringify(canon(v)) ?? 'null';
}

function semantic(v: unknown): unknown {
  if (Array.isArray(v)) {
    const a = v.map(semantic);
    return a.length ? a : undefined;
  }
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = semantic((v as Record<string, unknown>)[k]);
      if (x === undefined) continue;
      out[k] = x;
    }
    return Object.keys(out).length ? out : undefined;
  }
  if (v === null || v === '' || v === false || v === 0) return undefined;
  return v;
}

/**
 * Equality the way Kubernetes compares typed objects: a member set to its zero value ("", false, 0,
 * empty list or map, null) equals a missing one. (Objects decoded from protobuf carry zero values
 * that JSON clients omit.)
 */
export function semanticJson(v: unknown): string {
  return JSON.stringify(semantic(v)) ?? 'null';
}

export function deepEqual(a: unknown, b: unknown): boolean {
  return stableJson(a) === stableJson(b);
}

export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

// ------------------------------------------------------------------------------------------ hashes

/** 32-bit FNV-1a over the UTF-8 bytes of a string. */
export function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

/** Maps each character onto an alphabet without vowels (no accidental words) and without 0/1/3. */
export function safeEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE[s.charCodeAt(i) % SAFE.length];
  return out;
}

/** A short stable hash of a value (and a collision count), in the form label values use. */
export function computeHash(value: unknown, collisionCount?: number): string {
  let s = stableJson(value);
  if (collisionCount) s += `#${collisionCount}`;
  return safeEncode(String(fnv32a(s)));
}

// ---------------------------------------------------------------------------------------- int/str

/** Resolves an IntOrString ("25%" or 3) against a total; percentages round up or down. */
export function scaledValue(v: unknown, total: number, roundUp: boolean, dflt: number | string = 0): number {
  const x = v === undefined || v === null ? dflt : v;
  if (typeof x === 'number') return Math.max(0, Math.trunc(x));
  const s = String(x).trim();
  if (s.endsWith('%')) {
    const p = Number(s.slice(0, -1));
    if (!Number.isFinite(p)) return 0;
    const raw = (p * total) / 100;
    return Math.max(0, roundUp ? Math.ceil(raw - 1e-9) : Math.floor(raw + 1e-9));
  }
  const n = Number(s);
  return Number.isFinite(n) ? Math.max(0, Math.trunc(n)) : 0;
}

// ------------------------------------------------------------------------------------------ pods

export function podConditions(p: Pod): Condition[] {
  return (p.status?.conditions ?? []) as Condition[];
}

export function getCondition(conds: Condition[] | undefined, type: string): Condition | undefined {
  return (conds ?? []).find((c) => c.type === type);
}

export function isPodReady(p: Pod): boolean {
  return getCondition(podConditions(p), 'Ready')?.status === 'True';
}

export function isPodTerminal(p: Pod): boolean {
  return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
}

export function isTerminating(o: KubeObject): boolean {
  return !!o.metadata?.deletionTimestamp;
}

/** Active: not finished and not being deleted (what ReplicaSets and Jobs count as running). */
export function isPodActive(p: Pod): boolean {
  return !isPodTerminal(p) && !isTerminating(p);
}

/** Ready for at least minReadySeconds. */
export function isPodAvailable(p: Pod, minReadySeconds: number, now: number): boolean {
  const c = getCondition(podConditions(p), 'Ready');
  if (c?.status !== 'True') return false;
  if (!minReadySeconds) return true;
  const t = parseTime(c.lastTransitionTime);
  return t === undefined || t + minReadySeconds * 1000 <= now;
}

/** Milliseconds until a ready pod becomes available (0 when it is, undefined when it is not ready). */
export function msUntilAvailable(p: Pod, minReadySeconds: number, now: number): number | undefined {
  const c = getCondition(podConditions(p), 'Ready');
  if (c?.status !== 'True') return undefined;
  const t = parseTime(c.lastTransitionTime);
  if (!minReadySeconds || t === undefined) return 0;
  return Math.max(0, t + minReadySeconds * 1000 - now);
}

export function podRestarts(p: Pod): number {
  let n = 0;
  for (const cs of p.status?.containerStatuses ?? []) n += Number(cs.restartCount ?? 0);
  return n;
}

export function creationMs(o: KubeObject): number {
  return parseTime(o.metadata?.creationTimestamp) ?? 0;
}

/** Sorts by creation time, then name (oldest first). */
export function byCreation<T extends KubeObject>(a: T, b: T): number {
  return creationMs(a) - creationMs(b) || String(a.metadata?.name).localeCompare(String(b.metadata?.name));
}

// ------------------------------------------------------------------------------------ conditions

/**
 * Sets a condition in a list (returns a new list): lastTransitionTime changes only when the status
 * does; an identical condition is left untouched.
 */
export function setCondition(conds: Condition[] | undefined, c: Condition, nowIso: string, opts: { updateTime?: boolean } = {}): Condition[] {
  const list = [...(conds ?? [])];
  const i = list.findIndex((x) => x.type === c.type);
  const old = i >= 0 ? list[i] : undefined;
  if (old && old.status === c.status && old.reason === c.reason && old.message === c.message && !opts.updateTime) return list;
  const next: Condition = { ...c };
  next.lastTransitionTime = old && old.status === c.status ? old.lastTransitionTime ?? nowIso : nowIso;
  if (opts.updateTime !== undefined || 'lastUpdateTime' in c) next.lastUpdateTime = nowIso;
  if (i >= 0) list[i] = next;
  else list.push(next);
  return list;
}

export function removeCondition(conds: Condition[] | undefined, type: string): Condition[] {
  return (conds ?? []).filter((c) => c.type !== type);
}

/** Drops zero and empty members, as Kubernetes' `omitempty` does for status counters. */
export function omitEmpty<T extends Record<string, unknown>>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || v === null || v === 0 || v === '') continue;
    if (Array.isArray(v) && v.length === 0) continue;
    out[k] = v;
  }
  return out as T;
}

export function intAnnotation(o: KubeObject, key: string): number | undefined {
  const v = o.metadata?.annotations?.[key];
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isInteger(n) ? n : undefined;
}
