/** Small pure helpers shared by the controllers. */
import { createHash } from 'node:crypto';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyObj = Record<string, any>;

export const GROUP = 'argoproj.io';
export const VERSION = 'v1alpha1';

export function ownerRef(o: AnyObj): AnyObj {
  return { apiVersion: `${GROUP}/${VERSION}`, kind: o.kind, name: o.metadata.name, uid: o.metadata.uid, controller: true, blockOwnerDeletion: true };
}

/** A stable JSON (sorted keys) of a value. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as AnyObj)
      .sort()
      .filter((k) => (v as AnyObj)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as AnyObj)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function hashOf(v: unknown): string {
  return createHash('sha256').update(stableJson(v)).digest('hex');
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/**
 * Conditions set as upstream's status helpers do: the given ones replace those of the same type,
 * keeping lastTransitionTime when the status did not change.
 */
export function setConditions(existing: Condition[] | undefined, next: Condition[], now = new Date()): Condition[] {
  const out: Condition[] = [];
  const prev = new Map((existing ?? []).map((c) => [c.type, c]));
  for (const c of next) {
    const p = prev.get(c.type);
    const keep = p && p.status === c.status;
    const o: Condition = { type: c.type, status: c.status, lastTransitionTime: keep && p.lastTransitionTime ? p.lastTransitionTime : now.toISOString().replace(/\.\d+Z$/, 'Z') };
    if (c.reason) o.reason = c.reason;
    if (c.message) o.message = c.message;
    out.push(o);
    prev.delete(c.type);
  }
  return [...prev.values(), ...out].sort((a, b) => a.type.localeCompare(b.type));
}

/** Status equal apart from lastTransitionTime (so an unchanged status is not written again). */
export function sameStatus(a: AnyObj | undefined, b: AnyObj | undefined): boolean {
  const strip = (s: AnyObj | undefined) => ({ ...(s ?? {}), conditions: (s?.conditions ?? []).map((c: Condition) => ({ ...c, lastTransitionTime: undefined })) });
  return stableJson(strip(a)) === stableJson(strip(b));
}

/** The object as the runtime gets it: no status, no managed fields. */
export function runtimeObject(o: AnyObj): AnyObj {
  const m = o.metadata ?? {};
  const annotations = { ...(m.annotations ?? {}) };
  delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
  const metadata: AnyObj = { name: m.name, namespace: m.namespace, uid: m.uid };
  if (m.labels) metadata.labels = m.labels;
  if (Object.keys(annotations).length) metadata.annotations = annotations;
  return { apiVersion: o.apiVersion, kind: o.kind, metadata, spec: o.spec };
}

export function b64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}
