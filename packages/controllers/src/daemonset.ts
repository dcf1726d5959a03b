/**
 * DaemonSet controller: one pod per eligible Node (nodeSelector, required node affinity, taints vs
 * tolerations — a DaemonSet's pods also tolerate the usual node-condition taints), pinned to the node
 * with a `metadata.name` node-affinity term for the scheduler to bind. Failed pods are replaced (with
 * a per-node backoff), extra pods removed, RollingUpdate (maxUnavailable) and OnDelete updates,
 * revisions as ControllerRevisions, and the DaemonSet status counters.
 */
import { isNotFound, R } from '@flotilla/kube-runtime';
import { claim } from './claim.js';
import { Controller, writeStatus, Expectations, splitKey, type ControllerContext, type ReconcileResult } from './controller.js';
import { ensureUpdateRevision, REVISION_HASH_LABEL, truncateHistory } from './history.js';
import type { Informer } from '@flotilla/kube-runtime';
import { podFromTemplate } from './pods.js';
import { matchesNodeSelectorAndAffinity, untoleratedTaint, type Toleration } from './scheduling.js';
import {
  byCreation,
  clone,
  controllerRefOf,
  deepEqual,
  isPodReady,
  isPodTerminal,
  isTerminating,
  msUntilAvailable,
  omitEmpty,
  scaledValue,
  selectorFn,
  type Obj,
  type Pod,
} from './util.js';

/** Tolerations every DaemonSet pod gets (node conditions must not evict or block daemons). */
export function daemonTolerations(spec: any): Toleration[] {
  const t: Toleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (spec?.hostNetwork) t.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
  return t;
}

function withDaemonTolerations(spec: any): Toleration[] {
  const own: Toleration[] = spec?.tolerations ?? [];
  const out = [...own];
  for (const d of daemonTolerations(spec)) if (!own.some((t) => t.key === d.key && t.effect === d.effect)) out.push(d);
  return out;
}

/** Pure: should a daemon pod run on a node, and may an existing one keep running. */
export function nodeShouldRunDaemonPod(node: Obj, template: any): { shouldRun: boolean; shouldContinueRunning: boolean } {
  const spec = template?.spec ?? {};
  if (!matchesNodeSelectorAndAffinity(spec, node)) return { shouldRun: false, shouldContinueRunning: false };
  const tol = withDaemonTolerations(spec);
  if (untoleratedTaint(node, tol, ['NoExecute'])) return { shouldRun: false, shouldContinueRunning: false };
  if (untoleratedTaint(node, tol, ['NoSchedule'])) return { shouldRun: false, shouldContinueRunning: true };
  return { shouldRun: true, shouldContinueRunning: true };
}

/** The node a daemon pod is for: its nodeName, or the node its affinity pins it to. */
export function daemonPodNode(p: Pod): string | undefined {
  if (p.spec?.nodeName) return p.spec.nodeName;
  for (const term of p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    for (const f of term.matchFields ?? []) if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
  }
  return undefined;
}

/** Pure: a daemon pod for a node. */
export function daemonPod(ds: Obj, node: string, hash: string): Pod {
  const pod = podFromTemplate(ds.spec?.template, ds, R.daemonsets, {
    labels: { [REVISION_HASH_LABEL]: hash, 'pod-template-generation': String(ds.metadata?.generation ?? 1) },
  });
  const spec = pod.spec;
  spec.tolerations = withDaemonTolerations(spec);
  spec.affinity = clone(spec.affinity ?? {});
  spec.affinity.nodeAffinity ??= {};
  spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = {
    nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }],
  };
  return pod;
}

export interface DaemonSetPlan {
  create: string[];
  delete: Pod[];
  status: Record<string, unknown>;
  /** nodes whose failed pod was just deleted (replacement waits for a backoff) */
  failedOn: string[];
}

/** Pure: one pass of a DaemonSet over the nodes and its pods. */
export function planDaemonSet(ds: Obj, nodes: Obj[], pods: Pod[], hash: string, now: number, collisionCount = 0): DaemonSetPlan {
  const create: string[] = [];
  const del: Pod[] = [];
  const failedOn: string[] = [];
  const minReady = Number(ds.spec?.minReadySeconds ?? 0);
  const byNode = new Map<string, Pod[]>();
  const orphaned: Pod[] = [];
  const nodeNames = new Set(nodes.map((n) => n.metadata!.name!));
  for (const p of pods) {
    if (isTerminating(p)) continue;
    const n = daemonPodNode(p);
    if (!n || !nodeNames.has(n)) {
      orphaned.push(p);
      continue;
    }
    let l = byNode.get(n);
    if (!l) byNode.set(n, (l = []));
    l.push(p);
  }
  // pods for nodes that no longer exist
  del.push(...orphaned);

  let desired = 0;
  let current = 0;
  let misscheduled = 0;
  let ready = 0;
  let available = 0;
  let updated = 0;
  const rolling = (ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
  const oldAvailable: Pod[] = [];
  const oldUnavailable: Pod[] = [];
  let unavailableNow = 0;

  for (const node of [...nodes].sort((a, b) => String(a.metadata?.name).localeCompare(String(b.metadata?.name)))) {
    const name = node.metadata!.name!;
    const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds.spec?.template);
    const on = (byNode.get(name) ?? []).sort(byCreation);
    if (shouldRun) desired++;
    if (on.length && shouldRun) current++;
    if (on.length && !shouldRun) misscheduled++;
    if (!shouldContinueRunning) {
      del.push(...on);
      continue;
    }
    const failed = on.filter((p) => isPodTerminal(p));
    const live = on.filter((p) => !isPodTerminal(p));
    if (failed.length) {
      del.push(...failed);
      failedOn.push(name);
    }
    if (!live.length) {
      if (shouldRun && !failed.length) create.push(name);
      if (shouldRun) unavailableNow++;
      continue;
    }
    // keep the oldest; duplicates go
    const keep = live[0];
    del.push(...live.slice(1));
    const isReady = isPodReady(keep);
    const isAvail = isReady && msUntilAvailable(keep, minReady, now) === 0;
    if (isReady) ready++;
    if (isAvail) available++;
    else if (shouldRun) unavailableNow++;
    const upToDate = keep.metadata?.labels?.[REVISION_HASH_LABEL] === hash;
    if (upToDate) updated++;
    else if (isAvail) oldAvailable.push(keep);
    else oldUnavailable.push(keep);
  }

  if (rolling) {
    const maxUnavailable = Math.max(1, scaledValue(ds.spec?.updateStrategy?.rollingUpdate?.maxUnavailable, desired, false, 1)) || 1;
    // old pods that are not available anyway go first; then available ones within the budget
    del.push(...oldUnavailable);
    let budget = maxUnavailable - unavailableNow;
    for (const p of oldAvailable) {
      if (budget <= 0) break;
      del.push(p);
      budget--;
    }
  }

  const status = {
    currentNumberScheduled: current,
    numberMisscheduled: misscheduled,
    desiredNumberScheduled: desired,
    numberReady: ready,
    ...omitEmpty({
      observedGeneration: ds.metadata?.generation,
      updatedNumberScheduled: updated,
      numberAvailable: available,
      numberUnavailable: Math.max(0, desired - available),
      collisionCount,
    }),
  };
  const seen = new Set<string>();
  const uniq = del.filter((p) => (seen.has(p.metadata!.uid!) ? false : (seen.add(p.metadata!.uid!), true)));
  return { create, delete: uniq, status, failedOn };
}

export class DaemonSetController extends Controller {
  readonly dsInf: Informer<Obj>;
  readonly podInf: Informer<Pod>;
  readonly nodeInf: Informer<Obj>;
  readonly crInf: Informer<Obj>;
  readonly exp: Expectations;
  /** node backoff after a failed daemon pod: `${ds}/${node}` → { until, delay } */
  private readonly backoff = new Map<string, { until: number; delay: number }>();

  constructor(ctx: ControllerContext) {
    super('daemonset-controller', ctx, 2);
    this.dsInf = ctx.informers.for<Obj>(R.daemonsets);
    this.podInf = ctx.informers.for<Pod>(R.pods);
    this.nodeInf = ctx.informers.for<Obj>(R.nodes);
    this.crInf = ctx.informers.for<Obj>(R.controllerrevisions);
    this.exp = new Expectations(this.podInf as any);
    this.dsInf.on({ add: (o) => this.enqueue(o), update: (_a, b) => this.enqueue(b), delete: (o) => this.enqueue(o) });
    this.watchOwnedPods(this.podInf as any, this.dsInf as any, this.exp, 'DaemonSet');
    const all = () => {
      for (const d of this.dsInf.list()) this.enqueue(d);
    };
    this.nodeInf.on({ add: all, update: (a, b) => (deepEqual([a.metadata?.labels, a.spec], [b.metadata?.labels, b.spec]) ? undefined : all()), delete: all });
  }

  protected primary(): Informer {
    return this.dsInf as Informer;
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const [ns, name] = splitKey(key);
    const ds = this.dsInf.get(ns, name);
    if (!ds) {
      this.exp.forget(key);
      return;
    }
    const client = this.ctx.client;
    const matches = selectorFn(ds.spec?.selector);
    const pods = await claim({ client, owner: ds, ownerRes: R.daemonsets, childRes: R.pods, matches: (p) => matches(p.metadata?.labels) }, this.podInf.list(ns));
    const revisions = await claim({ client, owner: ds, ownerRes: R.daemonsets, childRes: R.controllerrevisions, matches: (r) => matches(r.metadata?.labels) }, this.crInf.list(ns));
    if (isTerminating(ds)) return;
    const ensured = await ensureUpdateRevision(client, ds, R.daemonsets, revisions, ds.spec?.template);
    const hash = ensured.revision.metadata?.labels?.[REVISION_HASH_LABEL] ?? ensured.revision.metadata!.name!.slice(name.length + 1);
    const now = this.ctx.clock.now().getTime();
    const plan = planDaemonSet(ds, this.nodeInf.list(), pods, hash, now, ensured.collisionCount);
    let requeueAfter: number | undefined;
    if (this.exp.satisfied(key)) {
      for (const p of plan.delete) {
        this.exp.expectDelete(key, p);
        try {
          await client.delete(R.pods, ns, p.metadata!.name!, { uid: p.metadata?.uid });
          this.events.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata!.name}`);
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }
      for (const n of plan.failedOn) {
        const k = `${key}/${n}`;
        const prev = this.backoff.get(k);
        const delay = Math.min(prev ? prev.delay * 2 : 1000, 5 * 60_000);
        this.backoff.set(k, { until: Date.now() + delay, delay });
        this.events.event(ds, 'Warning', 'FailedDaemonPod', `Found failed daemon pod on node ${n}, will try to kill it`);
      }
      for (const n of plan.create) {
        const b = this.backoff.get(`${key}/${n}`);
        if (b && b.until > Date.now()) {
          requeueAfter = Math.min(requeueAfter ?? Infinity, b.until - Date.now() + 10);
          continue;
        }
        const created = await client.create<Pod>(R.pods, ns, daemonPod(ds, n, hash));
        this.exp.expectCreate(key, ns, created.metadata!.name!);
        this.events.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata!.name}`);
      }
      for (const n of plan.failedOn) {
        const b = this.backoff.get(`${key}/${n}`)!;
        requeueAfter = Math.min(requeueAfter ?? Infinity, b.until - Date.now() + 10);
      }
    }
    const live = new Set<string>([ensured.revision.metadata!.name!]);
    for (const p of pods) {
      const h = p.metadata?.labels?.[REVISION_HASH_LABEL];
      const r = revisions.find((x) => x.metadata?.labels?.[REVISION_HASH_LABEL] === h);
      if (r) live.add(r.metadata!.name!);
    }
    await truncateHistory(client, ds, ensured.created ? [...revisions, ensured.revision] : revisions, live);
    if (!deepEqual(plan.status, ds.status ?? {})) await writeStatus(client, R.daemonsets, ds, plan.status);
    const minReady = Number(ds.spec?.minReadySeconds ?? 0);
    if (minReady > 0) {
      for (const p of pods) {
        const ms = msUntilAvailable(p, minReady, now);
        if (ms) requeueAfter = Math.min(requeueAfter ?? Infinity, ms + 50);
      }
    }
    return requeueAfter !== undefined && Number.isFinite(requeueAfter) ? { requeueAfter } : undefined;
  }
}
