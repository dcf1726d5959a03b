/** Pods from templates, and which pods go first when scaling down. */
import type { KubeObject } from '@flotilla/apimachinery';
import type { Resource } from '@flotilla/kube-runtime';
import { clone, creationMs, getCondition, isPodReady, ownerRef, parseTime, podConditions, podRestarts, type Pod } from './util.js';

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[]; name?: string; generateName?: string };
  spec?: any;
}

/** A Pod object for a template, controlled by `owner`. */
export function podFromTemplate(template: PodTemplate, owner: KubeObject, ownerRes: Resource, opts: { name?: string; generateName?: string; labels?: Record<string, string>; annotations?: Record<string, string> } = {}): Pod {
  const t = clone(template ?? {});
  const meta: Record<string, unknown> = {
    namespace: owner.metadata?.namespace,
    labels: { ...(t.metadata?.labels ?? {}), ...(opts.labels ?? {}) },
    ownerReferences: [ownerRef(owner, ownerRes)],
  };
  const ann = { ...(t.metadata?.annotations ?? {}), ...(opts.annotations ?? {}) };
  if (Object.keys(ann).length) meta.annotations = ann;
  if (t.metadata?.finalizers?.length) meta.finalizers = t.metadata.finalizers;
  if (opts.name) meta.name = opts.name;
  else meta.generateName = opts.generateName ?? `${owner.metadata!.name}-`;
  return { apiVersion: 'v1', kind: 'Pod', metadata: meta, spec: t.spec ?? {} };
}

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/**
 * Orders pods so that the ones to delete first come first: unscheduled before scheduled, Pending
 * before Unknown before Running, not ready before ready, lower pod-deletion-cost first, pods on
 * nodes crowded with replicas first, recently ready before long ready, more restarts first, newer
 * before older.
 */
export function rankPodsForDeletion(pods: Pod[]): Pod[] {
  const perNode = new Map<string, number>();
  for (const p of pods) {
    const n = p.spec?.nodeName;
    if (n) perNode.set(n, (perNode.get(n) ?? 0) + 1);
  }
  const cost = (p: Pod) => {
    const v = Number(p.metadata?.annotations?.['controller.kubernetes.io/pod-deletion-cost'] ?? 0);
    return Number.isFinite(v) ? v : 0;
  };
  const readySince = (p: Pod) => parseTime(getCondition(podConditions(p), 'Ready')?.lastTransitionTime) ?? 0;
  return [...pods].sort((a, b) => {
    const sa = a.spec?.nodeName ? 1 : 0;
    const sb = b.spec?.nodeName ? 1 : 0;
    if (sa !== sb) return sa - sb;
    const pa = PHASE_RANK[a.status?.phase ?? 'Pending'] ?? 0;
    const pb = PHASE_RANK[b.status?.phase ?? 'Pending'] ?? 0;
    if (pa !== pb) return pa - pb;
    const ra = isPodReady(a) ? 1 : 0;
    const rb = isPodReady(b) ? 1 : 0;
    if (ra !== rb) return ra - rb;
    if (cost(a) !== cost(b)) return cost(a) - cost(b);
    const na = perNode.get(a.spec?.nodeName) ?? 0;
    const nb = perNode.get(b.spec?.nodeName) ?? 0;
    if (na !== nb) return nb - na;
    if (ra && rb && readySince(a) !== readySince(b)) return readySince(b) - readySince(a);
    if (podRestarts(a) !== podRestarts(b)) return podRestarts(b) - podRestarts(a);
    if (creationMs(a) !== creationMs(b)) return creationMs(b) - creationMs(a);
    return String(b.metadata?.name).localeCompare(String(a.metadata?.name));
  });
}

/** Creates in slow-start batches (1, 2, 4, …): a failing create stops before flooding the server. */
export async function slowStartBatch(count: number, initial: number, fn: () => Promise<void>): Promise<{ ok: number; error?: Error }> {
  let remaining = count;
  let ok = 0;
  let batch = Math.min(remaining, initial);
  while (batch > 0) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
    ok += results.filter((r) => r.status === 'fulfilled').length;
    if (failed) return { ok, error: failed.reason as Error };
    remaining -= batch;
    batch = Math.min(remaining, batch * 2);
  }
  return { ok };
}
