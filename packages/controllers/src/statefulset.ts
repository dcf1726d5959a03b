/**
 * StatefulSet controller: pods with stable names `<set>-<ordinal>`, created in order (OrderedReady:
 * ordinal N+1 only once N is Running and Ready) or all at once (Parallel), removed in reverse order,
 * PersistentVolumeClaims from volumeClaimTemplates, rolling updates from the highest ordinal down to
 * the partition, OnDelete, revisions as ControllerRevisions (currentRevision / updateRevision).
 *
 * `planStatefulSet` is the pure core: one pass's actions and the status.
 */
import { isAlreadyExists, isNotFound, R } from '@flotilla/kube-runtime';
import { claim } from './claim.js';
import { Controller, writeStatus, Expectations, splitKey, type ControllerContext, type ReconcileResult } from './controller.js';
import { ensureUpdateRevision, REVISION_HASH_LABEL, templateOfRevision, truncateHistory } from './history.js';
import type { Informer } from '@flotilla/kube-runtime';
import { podFromTemplate } from './pods.js';
import {
  clone,
  controllerRefOf,
  deepEqual,
  isPodReady,
  isPodTerminal,
  isTerminating,
  msUntilAvailable,
  omitEmpty,
  ownerRef,
  selectorFn,
  type Obj,
  type Pod,
} from './util.js';

export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

export interface RevisionInfo {
  name: string;
  template: any;
}

export type StatefulSetAction =
  | { type: 'createPod'; pod: Pod; pvcs: Obj[] }
  | { type: 'deletePod'; pod: Pod; pvcs?: string[] }
  | { type: 'updatePod'; pod: Pod };

export interface StatefulSetStatus {
  observedGeneration?: number;
  replicas: number;
  readyReplicas?: number;
  currentReplicas?: number;
  updatedReplicas?: number;
  availableReplicas?: number;
  currentRevision?: string;
  updateRevision?: string;
  collisionCount?: number;
}

export function ordinalOf(setName: string, podName: string | undefined): number | undefined {
  if (!podName || !podName.startsWith(`${setName}-`)) return undefined;
  const rest = podName.slice(setName.length + 1);
  return /^(0|[1-9][0-9]*)$/.test(rest) ? Number(rest) : undefined;
}

const runningAndReady = (p: Pod) => p.status?.phase === 'Running' && isPodReady(p);

function pvcName(vct: Obj, podName: string): string {
  return `${vct.metadata?.name}-${podName}`;
}

/** Pure: the pod (and its claims) for an ordinal at a revision. */
export function statefulPod(sts: Obj, ordinal: number, rev: RevisionInfo): { pod: Pod; pvcs: Obj[] } {
  const name = `${sts.metadata!.name}-${ordinal}`;
  const pod = podFromTemplate(rev.template, sts, R.statefulsets, {
    name,
    labels: { [REVISION_HASH_LABEL]: rev.name, [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal) },
  });
  pod.spec.hostname = name;
  if (sts.spec?.serviceName) pod.spec.subdomain = sts.spec.serviceName;
  const pvcs: Obj[] = [];
  const policy = sts.spec?.persistentVolumeClaimRetentionPolicy ?? {};
  for (const vct of (sts.spec?.volumeClaimTemplates ?? []) as Obj[]) {
    const claimName = pvcName(vct, name);
    const vols: any[] = (pod.spec.volumes ??= []);
    const i = vols.findIndex((v) => v.name === vct.metadata?.name);
    const vol = { name: vct.metadata?.name, persistentVolumeClaim: { claimName } };
    if (i >= 0) vols[i] = vol;
    else vols.push(vol);
    const meta: Record<string, unknown> = {
      name: claimName,
      namespace: sts.metadata!.namespace,
      labels: { ...(vct.metadata?.labels ?? {}), ...(sts.spec?.selector?.matchLabels ?? {}) },
    };
    if (vct.metadata?.annotations) meta.annotations = vct.metadata.annotations;
    // with whenDeleted: Delete the claims go with the StatefulSet (garbage collection)
    if (policy.whenDeleted === 'Delete') meta.ownerReferences = [ownerRef(sts, R.statefulsets)];
    pvcs.push({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta, spec: clone(vct.spec ?? {}) });
  }
  return { pod, pvcs };
}

export function statefulSetStatus(sts: Obj, pods: Pod[], current: RevisionInfo, update: RevisionInfo, collisionCount: number, now: number): StatefulSetStatus {
  const minReady = Number(sts.spec?.minReadySeconds ?? 0);
  let replicas = 0;
  let ready = 0;
  let available = 0;
  let cur = 0;
  let upd = 0;
  for (const p of pods) {
    if (isTerminating(p)) continue;
    replicas++;
    if (runningAndReady(p)) {
      ready++;
      if (msUntilAvailable(p, minReady, now) === 0) available++;
    }
    const h = p.metadata?.labels?.[REVISION_HASH_LABEL];
    if (h === current.name) cur++;
    if (h === update.name) upd++;
  }
  let currentRevision = current.name;
  if (upd === replicas && ready === replicas && replicas === Number(sts.spec?.replicas ?? 1)) {
    currentRevision = update.name;
    cur = upd;
  }
  return {
    replicas,
    ...omitEmpty({
      observedGeneration: sts.metadata?.generation,
      readyReplicas: ready,
      currentReplicas: cur,
      updatedReplicas: upd,
      availableReplicas: available,
      currentRevision,
      updateRevision: update.name,
      collisionCount,
    }),
  };
}

/** Pure: one pass over a StatefulSet's pods. `pvcExists` tells whether a claim is already there. */
export function planStatefulSet(sts: Obj, pods: Pod[], current: RevisionInfo, update: RevisionInfo, pvcExists: (name: string) => boolean): StatefulSetAction[] {
  const actions: StatefulSetAction[] = [];
  const setName = sts.metadata!.name!;
  const replicas = Number(sts.spec?.replicas ?? 1);
  const start = Number(sts.spec?.ordinals?.start ?? 0);
  const monotonic = (sts.spec?.podManagementPolicy ?? 'OrderedReady') !== 'Parallel';
  const rolling = (sts.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
  const partition = rolling ? Number(sts.spec?.updateStrategy?.rollingUpdate?.partition ?? 0) : 0;
  const byOrd = new Map<number, Pod>();
  const condemned: Pod[] = [];
  for (const p of pods) {
    const ord = ordinalOf(setName, p.metadata?.name);
    if (ord === undefined) continue;
    if (ord >= start && ord < start + replicas) byOrd.set(ord, p);
    else condemned.push(p);
  }
  condemned.sort((a, b) => ordinalOf(setName, b.metadata?.name)! - ordinalOf(setName, a.metadata?.name)!);
  const policy = sts.spec?.persistentVolumeClaimRetentionPolicy ?? {};

  // 1. every ordinal in range exists, healthy, in order
  for (let ord = start; ord < start + replicas; ord++) {
    const p = byOrd.get(ord);
    if (!p) {
      const rev = rolling && ord < partition ? current : update;
      const { pod, pvcs } = statefulPod(sts, ord, rev);
      actions.push({ type: 'createPod', pod, pvcs: pvcs.filter((c) => !pvcExists(c.metadata!.name!)) });
      if (monotonic) return actions;
      continue;
    }
    if (isTerminating(p)) {
      if (monotonic) return actions;
      continue;
    }
    if (isPodTerminal(p)) {
      // a failed (or finished) pod is replaced under the same name
      actions.push({ type: 'deletePod', pod: p });
      if (monotonic) return actions;
      continue;
    }
    const name = p.metadata!.name!;
    const l = p.metadata?.labels ?? {};
    if (l[POD_NAME_LABEL] !== name || l[POD_INDEX_LABEL] !== String(ord)) {
      const next = clone(p);
      next.metadata!.labels = { ...l, [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ord) };
      actions.push({ type: 'updatePod', pod: next });
    }
    if (!runningAndReady(p) && monotonic) return actions;
  }
  if (actions.length && monotonic) return actions;

  // 2. ordinals out of range go, highest first
  for (const p of condemned) {
    if (isTerminating(p)) {
      if (monotonic) return actions;
      continue;
    }
    const pvcs = policy.whenScaled === 'Delete' ? ((sts.spec?.volumeClaimTemplates ?? []) as Obj[]).map((v) => pvcName(v, p.metadata!.name!)) : undefined;
    actions.push({ type: 'deletePod', pod: p, pvcs });
    if (monotonic) return actions;
  }
  if (actions.length) return actions;

  // 3. rolling update: from the highest ordinal down to the partition, one unavailable pod at a time
  if (rolling) {
    const maxUnavailable = Math.max(1, Number(sts.spec?.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1) || 1);
    let unavailable = 0;
    for (let ord = start; ord < start + replicas; ord++) {
      const p = byOrd.get(ord);
      if (!p || isTerminating(p) || !runningAndReady(p)) unavailable++;
    }
    for (let ord = start + replicas - 1; ord >= Math.max(start, partition); ord--) {
      const p = byOrd.get(ord);
      if (!p) continue;
      if (unavailable >= maxUnavailable) break;
      if (p.metadata?.labels?.[REVISION_HASH_LABEL] !== update.name && !isTerminating(p)) {
        actions.push({ type: 'deletePod', pod: p });
        unavailable++;
      }
    }
  }
  return actions;
}

export class StatefulSetController extends Controller {
  readonly stsInf: Informer<Obj>;
  readonly podInf: Informer<Pod>;
  readonly crInf: Informer<Obj>;
  readonly pvcInf: Informer<Obj>;
  readonly exp: Expectations;

  constructor(ctx: ControllerContext) {
    super('statefulset-controller', ctx, 5);
    this.stsInf = ctx.informers.for<Obj>(R.statefulsets);
    this.podInf = ctx.informers.for<Pod>(R.pods);
    this.crInf = ctx.informers.for<Obj>(R.controllerrevisions);
    this.pvcInf = ctx.informers.for<Obj>(R.pvcs);
    this.exp = new Expectations(this.podInf as any);
    this.stsInf.on({ add: (o) => this.enqueue(o), update: (_a, b) => this.enqueue(b), delete: (o) => this.enqueue(o) });
    this.watchOwnedPods(this.podInf as any, this.stsInf as any, this.exp, 'StatefulSet', { requeueOldOwner: true });
    this.crInf.on({ delete: (cr) => this.enqueueOwner(cr, 'StatefulSet') });
  }

  protected primary(): Informer {
    return this.stsInf as Informer;
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const [ns, name] = splitKey(key);
    const sts = this.stsInf.get(ns, name);
    if (!sts) {
      this.exp.forget(key);
      return;
    }
    const client = this.ctx.client;
    const matches = selectorFn(sts.spec?.selector);
    const pods = (await claim({ client, owner: sts, ownerRes: R.statefulsets, childRes: R.pods, matches: (p) => matches(p.metadata?.labels) }, this.podInf.list(ns))).filter(
      (p) => ordinalOf(name, p.metadata?.name) !== undefined,
    );
    const revisions = await claim({ client, owner: sts, ownerRes: R.statefulsets, childRes: R.controllerrevisions, matches: (r) => matches(r.metadata?.labels) }, this.crInf.list(ns));
    if (isTerminating(sts)) return;

    const ensured = await ensureUpdateRevision(client, sts, R.statefulsets, revisions, sts.spec?.template);
    const all = ensured.created ? [...revisions, ensured.revision] : revisions.map((r) => (r.metadata?.name === ensured.revision.metadata?.name ? ensured.revision : r));
    const update: RevisionInfo = { name: ensured.revision.metadata!.name!, template: sts.spec?.template };
    const curObj = all.find((r) => r.metadata?.name === sts.status?.currentRevision);
    const current: RevisionInfo = curObj ? { name: curObj.metadata!.name!, template: templateOfRevision(curObj) } : update;
    const now = this.ctx.clock.now().getTime();

    if (this.exp.satisfied(key)) {
      const actions = planStatefulSet(sts, pods, current, update, (n) => !!this.pvcInf.get(ns, n));
      for (const a of actions) await this.apply(key, sts, a);
    }

    const live = new Set<string>([current.name, update.name]);
    for (const p of pods) {
      const h = p.metadata?.labels?.[REVISION_HASH_LABEL];
      if (h) live.add(h);
    }
    await truncateHistory(client, sts, all, live);

    const status = statefulSetStatus(sts, pods, current, update, ensured.collisionCount, now);
    const keep = { ...(sts.status ?? {}) };
    const merged = { ...status, ...(keep.conditions ? { conditions: keep.conditions } : {}) };
    if (!deepEqual(merged, sts.status ?? {})) await writeStatus(client, R.statefulsets, sts, merged);

    const minReady = Number(sts.spec?.minReadySeconds ?? 0);
    if (minReady > 0) {
      let next: number | undefined;
      for (const p of pods) {
        const ms = msUntilAvailable(p, minReady, now);
        if (ms && (next === undefined || ms < next)) next = ms;
      }
      if (next !== undefined) return { requeueAfter: next + 50 };
    }
  }

  private async apply(key: string, sts: Obj, a: StatefulSetAction): Promise<void> {
    const client = this.ctx.client;
    const ns = sts.metadata!.namespace!;
    if (a.type === 'createPod') {
      for (const pvc of a.pvcs) {
        try {
          await client.create(R.pvcs, ns, pvc);
        } catch (e) {
          if (!isAlreadyExists(e)) throw e;
        }
      }
      try {
        await client.create(R.pods, ns, a.pod);
        this.exp.expectCreate(key, ns, a.pod.metadata!.name!);
        this.events.event(sts, 'Normal', 'SuccessfulCreate', `create Pod ${a.pod.metadata!.name} in StatefulSet ${sts.metadata!.name} successful`);
      } catch (e) {
        if (!isAlreadyExists(e)) {
          this.events.event(sts, 'Warning', 'FailedCreate', `create Pod ${a.pod.metadata!.name} in StatefulSet ${sts.metadata!.name} failed error: ${(e as Error).message}`);
          throw e;
        }
      }
    } else if (a.type === 'deletePod') {
      this.exp.expectDelete(key, a.pod);
      try {
        await client.delete(R.pods, ns, a.pod.metadata!.name!, { uid: a.pod.metadata?.uid });
        this.events.event(sts, 'Normal', 'SuccessfulDelete', `delete Pod ${a.pod.metadata!.name} in StatefulSet ${sts.metadata!.name} successful`);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      for (const n of a.pvcs ?? []) {
        try {
          await client.delete(R.pvcs, ns, n);
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }
    } else {
      await client.update(R.pods, a.pod);
    }
  }
}


