/**
 * Deployment controller.
 *
 * The heart is `planDeployment(deployment, replicaSets, pods, now)`, a pure function returning the
 * actions of one reconcile pass (create / scale / annotate / delete ReplicaSets, annotate the
 * Deployment) and the status to write. The controller class applies them through the API.
 *
 * Behaviour follows the Kubernetes documentation of Deployments: RollingUpdate bounded by maxSurge
 * (percentages round up) and maxUnavailable (round down; both 0 means 1 unavailable), Recreate,
 * proportional scaling of several live ReplicaSets, `pod-template-hash` labels and selectors,
 * `deployment.kubernetes.io/revision` (+ revision-history on rollbacks), revisionHistoryLimit,
 * pause/resume, progressDeadlineSeconds and the Available/Progressing conditions that
 * `kubectl rollout status` reads.
 */
import type { KubeObject } from '@flotilla/apimachinery';
import { isAlreadyExists, isNotFound, R } from '@flotilla/kube-runtime';
import { claim } from './claim.js';
import { Controller, writeStatus, splitKey, type ControllerContext, type ReconcileResult } from './controller.js';
import type { Informer } from '@flotilla/kube-runtime';
import {
  byCreation,
  clone,
  computeHash,
  controllerRefOf,
  deepEqual,
  getCondition,
  intAnnotation,
  isControlledBy,
  isPodTerminal,
  isTerminating,
  omitEmpty,
  ownerRef,
  parseTime,
  rfc3339,
  scaledValue,
  selectorFn,
  semanticJson,
  selectorIsEmpty,
  type Condition,
  type Obj,
  type Pod,
} from './util.js';

export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
export const HASH_LABEL = 'pod-template-hash';
/** Deployment annotations that are not copied onto its ReplicaSets. */
export const ANNOTATIONS_NOT_COPIED = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  REVISION_HISTORY,
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  'deprecated.deployment.rollback.to',
]);

export type DeploymentAction =
  | { type: 'create'; rs: Obj }
  | { type: 'update'; rs: Obj }
  | { type: 'delete'; rs: Obj }
  | { type: 'annotateDeployment'; annotations: Record<string, string> };

export interface PlanEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  collisionCount?: number;
  conditions?: Condition[];
}

export interface DeploymentPlan {
  actions: DeploymentAction[];
  status: DeploymentStatus;
  events: PlanEvent[];
  /** look again after this many ms (progress deadline) */
  requeueAfter?: number;
  /** the name of the new ReplicaSet (current template), if any */
  newReplicaSet?: string;
}

// -------------------------------------------------------------------------------- small helpers

const replicasOf = (o: Obj): number => Number(o.spec?.replicas ?? 1);
const specReplicas = (rs: Obj): number => Number(rs.spec?.replicas ?? 0);
const st = (rs: Obj, f: string): number => Number(rs.status?.[f] ?? 0);
export const revisionOf = (rs: KubeObject): number => intAnnotation(rs, REVISION) ?? 0;

function isRolling(d: Obj): boolean {
  return (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

/** maxSurge and maxUnavailable as numbers (surge rounds up, unavailable down; never both 0). */
export function resolveFenceposts(d: Obj): { maxSurge: number; maxUnavailable: number } {
  if (!isRolling(d)) return { maxSurge: 0, maxUnavailable: 0 };
  const replicas = replicasOf(d);
  const ru = d.spec?.strategy?.rollingUpdate ?? {};
  const maxSurge = scaledValue(ru.maxSurge, replicas, true, '25%');
  let maxUnavailable = scaledValue(ru.maxUnavailable, replicas, false, '25%');
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable: Math.min(maxUnavailable, replicas) };
}

/** A pod template in comparable form: no pod-template-hash label, no creationTimestamp, zero values dropped. */
function templateWithoutHash(t: any): any {
  const c = clone(t ?? {});
  if (c.metadata) {
    delete c.metadata.creationTimestamp;
    if (c.metadata.labels) delete c.metadata.labels[HASH_LABEL];
  }
  return JSON.parse(semanticJson(c)) ?? {};
}

/** Whether two pod templates are equal once the pod-template-hash label is ignored. */
export function equalIgnoreHash(a: unknown, b: unknown): boolean {
  return semanticJson(templateWithoutHash(a)) === semanticJson(templateWithoutHash(b));
}

/** The pod-template-hash of a Deployment's current template. */
export function podTemplateHash(d: Obj): string {
  return computeHash(templateWithoutHash(d.spec?.template), d.status?.collisionCount);
}

/** Sets a Deployment condition the way Kubernetes does: unchanged when status and reason are. */
function setDeploymentCondition(conds: Condition[], c: Omit<Condition, 'lastUpdateTime' | 'lastTransitionTime'>, nowIso: string): Condition[] {
  const cur = getCondition(conds, c.type);
  if (cur && cur.status === c.status && cur.reason === c.reason) return conds;
  const next: Condition = { type: c.type, status: c.status, lastUpdateTime: nowIso, lastTransitionTime: cur && cur.status === c.status ? cur.lastTransitionTime ?? nowIso : nowIso, reason: c.reason, message: c.message };
  return cur ? conds.map((x) => (x.type === c.type ? next : x)) : [...conds, next];
}

function copyableAnnotations(d: Obj): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) if (!ANNOTATIONS_NOT_COPIED.has(k)) out[k] = v;
  return out;
}

export function deploymentComplete(d: Obj, s: DeploymentStatus): boolean {
  const r = replicasOf(d);
  return (s.updatedReplicas ?? 0) === r && (s.replicas ?? 0) === r && (s.availableReplicas ?? 0) === r && (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
}

/** Progress since the last status: more updated/ready/available pods, or fewer old ones. */
export function deploymentProgressing(old: DeploymentStatus, s: DeploymentStatus): boolean {
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

function hasProgressDeadline(d: Obj): boolean {
  const p = d.spec?.progressDeadlineSeconds;
  return p !== undefined && p !== null && p !== 2147483647;
}

// ------------------------------------------------------------------------------------ the planner

class Planner {
  readonly actions: DeploymentAction[] = [];
  readonly events: PlanEvent[] = [];
  readonly d: Obj;
  readonly replicas: number;
  readonly nowIso: string;
  readonly fp: { maxSurge: number; maxUnavailable: number };
  newRS?: Obj;
  oldRSs: Obj[];
  conditions: Condition[];
  private readonly updated = new Set<Obj>();

  constructor(
    d: Obj,
    rss: Obj[],
    readonly pods: Pod[],
    readonly now: number,
  ) {
    this.d = d;
    this.replicas = replicasOf(d);
    this.nowIso = rfc3339(new Date(now));
    this.fp = resolveFenceposts(d);
    const work = rss.map((r) => clone(r)).sort(byCreation);
    this.newRS = work.find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
    this.oldRSs = work.filter((rs) => rs !== this.newRS);
    this.conditions = clone(d.status?.conditions ?? []);
  }

  get all(): Obj[] {
    return this.newRS ? [...this.oldRSs, this.newRS] : [...this.oldRSs];
  }

  private markUpdated(rs: Obj): void {
    if (this.updated.has(rs)) return;
    this.updated.add(rs);
    if (rs.metadata?.uid) this.actions.push({ type: 'update', rs });
  }

  /** Scales a ReplicaSet (and refreshes its desired/max annotations); true when the size changed. */
  scale(rs: Obj, size: number): boolean {
    const from = specReplicas(rs);
    const ann = (rs.metadata!.annotations ??= {});
    const desired = String(this.replicas);
    const max = String(this.replicas + this.fp.maxSurge);
    const annChanged = ann[DESIRED_REPLICAS] !== desired || ann[MAX_REPLICAS] !== max;
    if (from === size && !annChanged) return false;
    rs.spec.replicas = size;
    ann[DESIRED_REPLICAS] = desired;
    ann[MAX_REPLICAS] = max;
    this.markUpdated(rs);
    if (from !== size)
      this.events.push({ type: 'Normal', reason: 'ScalingReplicaSet', message: `Scaled ${size > from ? 'up' : 'down'} replica set ${rs.metadata!.name} from ${from} to ${size}` });
    return from !== size;
  }

  /** Keeps the new ReplicaSet's annotations, revision and minReadySeconds in step with the Deployment. */
  syncNewRS(): void {
    const rs = this.newRS;
    if (!rs) return;
    const newRevision = Math.max(0, ...this.oldRSs.map(revisionOf)) + 1;
    const ann = { ...(rs.metadata!.annotations ?? {}) };
    Object.assign(ann, copyableAnnotations(this.d));
    const oldRev = intAnnotation(rs, REVISION);
    if (oldRev === undefined || oldRev < newRevision) {
      ann[REVISION] = String(newRevision);
      if (oldRev !== undefined) ann[REVISION_HISTORY] = ann[REVISION_HISTORY] ? `${ann[REVISION_HISTORY]},${oldRev}` : String(oldRev);
    }
    const minReady = Number(this.d.spec?.minReadySeconds ?? 0);
    if (!deepEqual(ann, rs.metadata!.annotations ?? {}) || Number(rs.spec?.minReadySeconds ?? 0) !== minReady) {
      rs.metadata!.annotations = ann;
      rs.spec.minReadySeconds = minReady;
      this.markUpdated(rs);
    }
  }

  syncDeploymentRevision(): void {
    const rev = this.newRS?.metadata?.annotations?.[REVISION];
    if (rev === undefined) return;
    const cur = this.d.metadata?.annotations?.[REVISION];
    if (cur !== rev) this.actions.push({ type: 'annotateDeployment', annotations: { ...(this.d.metadata?.annotations ?? {}), [REVISION]: rev } });
  }

  createNewRS(replicas: number): Obj {
    const d = this.d;
    const hash = podTemplateHash(d);
    const tpl = clone(d.spec?.template ?? {});
    tpl.metadata ??= {};
    tpl.metadata.labels = { ...(tpl.metadata.labels ?? {}), [HASH_LABEL]: hash };
    const revision = Math.max(0, ...this.oldRSs.map(revisionOf)) + 1;
    const sel = clone(d.spec?.selector ?? {});
    sel.matchLabels = { ...(sel.matchLabels ?? {}), [HASH_LABEL]: hash };
    const rs: Obj = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata!.name}-${hash}`,
        namespace: d.metadata!.namespace,
        labels: { ...tpl.metadata.labels },
        annotations: {
          ...copyableAnnotations(d),
          [REVISION]: String(revision),
          [DESIRED_REPLICAS]: String(this.replicas),
          [MAX_REPLICAS]: String(this.replicas + this.fp.maxSurge),
        },
        ownerReferences: [ownerRef(d, R.deployments)],
      },
      spec: { replicas, minReadySeconds: Number(d.spec?.minReadySeconds ?? 0), selector: sel, template: tpl },
      status: { replicas: 0 },
    };
    this.actions.push({ type: 'create', rs });
    this.newRS = rs;
    this.events.push({ type: 'Normal', reason: 'ScalingReplicaSet', message: `Scaled up replica set ${rs.metadata!.name} from 0 to ${replicas}` });
    if (hasProgressDeadline(d))
      this.conditions = this.setProgressing('True', 'NewReplicaSetCreated', `Created new replica set "${rs.metadata!.name}"`, true);
    return rs;
  }

  setProgressing(status: Condition['status'], reason: string, message: string, touch = false): Condition[] {
    const cur = getCondition(this.conditions, 'Progressing');
    if (cur && cur.status === status && cur.reason === reason && !touch) return this.conditions;
    const next: Condition = {
      type: 'Progressing',
      status,
      lastUpdateTime: this.nowIso,
      lastTransitionTime: cur && cur.status === status ? cur.lastTransitionTime ?? this.nowIso : this.nowIso,
      reason,
      message,
    };
    return cur ? this.conditions.map((x) => (x.type === 'Progressing' ? next : x)) : [...this.conditions, next];
  }

  isScalingEvent(): boolean {
    for (const rs of this.all) {
      if (specReplicas(rs) <= 0) continue;
      const desired = intAnnotation(rs, DESIRED_REPLICAS);
      if (desired !== undefined && desired !== this.replicas) return true;
    }
    return false;
  }

  /** Scaling without a rollout: the live ReplicaSets grow or shrink in proportion to their sizes. */
  proportionalScale(): void {
    const active = this.all.filter((rs) => specReplicas(rs) > 0);
    if (active.length <= 1) {
      // one live ReplicaSet (or none: the newest) takes the whole count
      const target = active[0] ?? this.newRS ?? [...this.oldRSs].sort(byCreation).pop();
      if (target) this.scale(target, this.replicas);
      return;
    }
    if (this.newRS && specReplicas(this.newRS) === this.replicas && st(this.newRS, 'availableReplicas') === this.replicas) {
      for (const rs of this.oldRSs) if (specReplicas(rs) > 0) this.scale(rs, 0);
      return;
    }
    const allowed = this.replicas + (isRolling(this.d) ? this.fp.maxSurge : 0);
    const current = this.all.reduce((n, rs) => n + specReplicas(rs), 0);
    const toAdd = allowed - current;
    const sorted = [...active].sort((a, b) => {
      const s = specReplicas(b) - specReplicas(a);
      if (s) return s;
      return toAdd > 0 ? byCreation(b, a) : byCreation(a, b);
    });
    const sizes = new Map<Obj, number>(sorted.map((rs) => [rs, specReplicas(rs)]));
    if (toAdd !== 0 && current > 0) {
      let added = 0;
      for (const rs of sorted) {
        let share = Math.trunc((specReplicas(rs) * toAdd) / current);
        if (Math.abs(added + share) > Math.abs(toAdd)) share = toAdd - added;
        if (specReplicas(rs) + share < 0) share = -specReplicas(rs);
        sizes.set(rs, specReplicas(rs) + share);
        added += share;
      }
      // the remainder goes to the largest (for scale-up: newest on ties; for scale-down: oldest)
      let left = toAdd - added;
      for (const rs of sorted) {
        if (left === 0) break;
        const cur = sizes.get(rs)!;
        const step = left > 0 ? left : Math.max(left, -cur);
        sizes.set(rs, cur + step);
        left -= step;
      }
    }
    for (const rs of sorted) this.scale(rs, sizes.get(rs)!);
  }

  newRSNewReplicas(): number {
    const newRS = this.newRS;
    const cur = newRS ? specReplicas(newRS) : 0;
    if (!isRolling(this.d)) return this.replicas;
    const current = this.all.reduce((n, rs) => n + specReplicas(rs), 0);
    const maxTotal = this.replicas + this.fp.maxSurge;
    if (current >= maxTotal) return cur;
    const up = Math.max(0, Math.min(maxTotal - current, this.replicas - cur));
    return cur + up;
  }

  reconcileNewRS(): boolean {
    const rs = this.newRS!;
    const cur = specReplicas(rs);
    if (cur === this.replicas) return false;
    if (cur > this.replicas) return this.scale(rs, this.replicas);
    return this.scale(rs, this.newRSNewReplicas());
  }

  reconcileOldRSs(): boolean {
    const old = this.oldRSs.filter((rs) => specReplicas(rs) > 0).sort(byCreation);
    if (!old.length) return false;
    const all = this.all;
    const allPods = all.reduce((n, rs) => n + specReplicas(rs), 0);
    const minAvailable = this.replicas - this.fp.maxUnavailable;
    const newRSUnavailable = this.newRS ? Math.max(0, specReplicas(this.newRS) - st(this.newRS, 'availableReplicas')) : 0;
    const maxScaledDown = allPods - minAvailable - newRSUnavailable;
    if (maxScaledDown <= 0) return false;
    let changed = false;
    // first the old pods that are not available anyway
    let cleaned = 0;
    for (const rs of old) {
      if (cleaned >= maxScaledDown) break;
      const unhealthy = specReplicas(rs) - st(rs, 'availableReplicas');
      if (specReplicas(rs) === 0 || unhealthy <= 0) continue;
      const n = Math.min(maxScaledDown - cleaned, unhealthy);
      if (this.scale(rs, specReplicas(rs) - n)) changed = true;
      cleaned += n;
    }
    // then available old pods, keeping minAvailable
    const available = all.reduce((n, rs) => n + st(rs, 'availableReplicas'), 0);
    if (available > minAvailable) {
      const total = available - minAvailable;
      let done = 0;
      for (const rs of old) {
        if (done >= total) break;
        if (specReplicas(rs) === 0) continue;
        const n = Math.min(specReplicas(rs), total - done);
        if (this.scale(rs, specReplicas(rs) - n)) changed = true;
        done += n;
      }
    }
    return changed;
  }

  /** revisionHistoryLimit: delete the oldest fully scaled-down old ReplicaSets beyond the limit. */
  cleanup(): void {
    const limit = this.d.spec?.revisionHistoryLimit;
    if (limit === undefined || limit === null) return;
    const alive = this.oldRSs.filter((rs) => !isTerminating(rs) && rs.metadata?.uid);
    const diff = alive.length - Number(limit);
    if (diff <= 0) return;
    const sorted = [...alive].sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
    for (let i = 0; i < diff; i++) {
      const rs = sorted[i];
      if (st(rs, 'replicas') !== 0 || specReplicas(rs) !== 0 || (rs.metadata?.generation ?? 0) > st(rs, 'observedGeneration')) continue;
      if (this.updated.has(rs)) continue;
      this.actions.push({ type: 'delete', rs });
    }
  }

  oldPodsRunning(): boolean {
    const uids = new Set(this.oldRSs.map((rs) => rs.metadata?.uid));
    for (const p of this.pods) {
      if (!uids.has(controllerRefOf(p)?.uid)) continue;
      if (!isPodTerminal(p)) return true;
    }
    return false;
  }

  calculateStatus(): DeploymentStatus {
    const all = this.all;
    const available = all.reduce((n, rs) => n + st(rs, 'availableReplicas'), 0);
    const totalSpec = all.reduce((n, rs) => n + specReplicas(rs), 0);
    const minAvailable = this.replicas - this.fp.maxUnavailable;
    let conditions = this.conditions;
    if (available >= minAvailable) conditions = setDeploymentCondition(conditions, { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }, this.nowIso);
    else conditions = setDeploymentCondition(conditions, { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' }, this.nowIso);
    // a ReplicaSet that cannot create pods makes the Deployment report ReplicaFailure
    const failing = all.map((rs) => getCondition(rs.status?.conditions, 'ReplicaFailure')).find((c) => c?.status === 'True');
    if (failing) conditions = setDeploymentCondition(conditions, { type: 'ReplicaFailure', status: 'True', reason: failing.reason, message: failing.message }, this.nowIso);
    else conditions = conditions.filter((c) => c.type !== 'ReplicaFailure');
    this.conditions = conditions;
    // Available first, Progressing second, as kubectl describe shows them
    const order = (t: string) => (t === 'Available' ? 0 : t === 'Progressing' ? 1 : 2);
    conditions = [...conditions].sort((a, b) => order(a.type) - order(b.type));
    return omitEmpty({
      observedGeneration: this.d.metadata?.generation,
      replicas: all.reduce((n, rs) => n + st(rs, 'replicas'), 0),
      updatedReplicas: this.newRS ? st(this.newRS, 'replicas') : 0,
      readyReplicas: all.reduce((n, rs) => n + st(rs, 'readyReplicas'), 0),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, totalSpec - available),
      collisionCount: this.d.status?.collisionCount,
      conditions,
    });
  }

  /** Status with the Progressing condition estimated; also when to look again for the deadline. */
  rolloutStatus(): { status: DeploymentStatus; requeueAfter?: number } {
    let status = this.calculateStatus();
    let requeueAfter: number | undefined;
    const cur = getCondition(this.conditions, 'Progressing');
    // a finished rollout that is merely resynced (or scaled) is not estimated again
    const finished = status.replicas === status.updatedReplicas && cur?.reason === 'NewReplicaSetAvailable';
    if (hasProgressDeadline(this.d) && !finished) {
      const name = this.newRS?.metadata?.name;
      const deadlineMs = Number(this.d.spec.progressDeadlineSeconds) * 1000;
      if (deploymentComplete(this.d, status)) {
        this.conditions = this.setProgressing('True', 'NewReplicaSetAvailable', `ReplicaSet "${name}" has successfully progressed.`);
      } else if (deploymentProgressing(this.d.status ?? {}, status)) {
        this.conditions = this.setProgressing('True', 'ReplicaSetUpdated', name ? `ReplicaSet "${name}" is progressing.` : 'Deployment is progressing.', true);
      } else if (!cur) {
        if (name) this.conditions = this.setProgressing('True', 'FoundNewReplicaSet', `Found new replica set "${name}"`);
      } else if (cur.reason !== 'ProgressDeadlineExceeded') {
        const from = parseTime(cur.lastUpdateTime) ?? parseTime(cur.lastTransitionTime) ?? this.now;
        if (this.now > from + deadlineMs) {
          this.conditions = this.setProgressing('False', 'ProgressDeadlineExceeded', `ReplicaSet "${name}" has timed out progressing.`);
          this.events.push({ type: 'Warning', reason: 'ProgressDeadlineExceeded', message: `Deployment "${this.d.metadata?.name}" has timed out progressing.` });
        }
      }
      const after = getCondition(this.conditions, 'Progressing');
      if (after && after.reason !== 'NewReplicaSetAvailable' && after.reason !== 'ProgressDeadlineExceeded') {
        const from = parseTime(after.lastUpdateTime) ?? this.now;
        requeueAfter = Math.max(0, from + deadlineMs - this.now) + 1000;
      }
      status = this.calculateStatus();
    }
    return { status, requeueAfter };
  }
}

/** Pure: one reconcile pass of a Deployment over the ReplicaSets it controls (and, for Recreate, their pods). */
export function planDeployment(d: Obj, replicaSets: Obj[], pods: Pod[], now: number): DeploymentPlan {
  const p = new Planner(d, replicaSets, pods, now);
  const paused = !!d.spec?.paused;
  const finish = (rollout: boolean): DeploymentPlan => {
    const { status, requeueAfter } = rollout ? p.rolloutStatus() : { status: p.calculateStatus(), requeueAfter: undefined };
    return { actions: p.actions, status, events: p.events, requeueAfter, newReplicaSet: p.newRS?.metadata?.name };
  };

  if (isTerminating(d)) return finish(false);

  if (hasProgressDeadline(d)) {
    const cur = getCondition(p.conditions, 'Progressing');
    if (paused && cur?.reason !== 'DeploymentPaused') p.conditions = p.setProgressing('Unknown', 'DeploymentPaused', 'Deployment is paused');
    else if (!paused && cur?.reason === 'DeploymentPaused') p.conditions = p.setProgressing('Unknown', 'DeploymentResumed', 'Deployment is resumed');
  }

  p.syncNewRS();
  p.syncDeploymentRevision();

  if (paused || p.isScalingEvent()) {
    p.proportionalScale();
    if (paused) p.cleanup();
    return finish(false);
  }

  if (!isRolling(d)) {
    // Recreate: all old pods go first, then the new ReplicaSet comes up at full size
    let scaledDown = false;
    for (const rs of p.oldRSs) if (specReplicas(rs) > 0 && p.scale(rs, 0)) scaledDown = true;
    if (scaledDown || p.oldPodsRunning()) return finish(true);
    if (!p.newRS) {
      p.createNewRS(p.replicas);
      p.syncDeploymentRevision();
    } else p.scale(p.newRS, p.replicas);
    const out = finish(true);
    if (deploymentComplete(d, out.status)) p.cleanup();
    return out;
  }

  if (!p.newRS) {
    p.createNewRS(p.newRSNewReplicas());
    p.syncDeploymentRevision();
  } else if (p.reconcileNewRS()) return finish(true);
  if (p.reconcileOldRSs()) return finish(true);
  const out = finish(true);
  if (deploymentComplete(d, out.status)) p.cleanup();
  return out;
}

// ------------------------------------------------------------------------------------ controller

export class DeploymentController extends Controller {
  readonly dInf: Informer<Obj>;
  readonly rsInf: Informer<Obj>;
  readonly podInf: Informer<Pod>;

  constructor(ctx: ControllerContext) {
    super('deployment-controller', ctx, 5);
    this.dInf = ctx.informers.for<Obj>(R.deployments);
    this.rsInf = ctx.informers.for<Obj>(R.replicasets);
    this.podInf = ctx.informers.for<Pod>(R.pods);
    this.dInf.on({ add: (o) => this.enqueue(o), update: (_a, b) => this.enqueue(b), delete: (o) => this.enqueue(o) });
    this.rsInf.on({
      add: (rs) => this.rsChanged(rs),
      update: (a, b) => {
        if (controllerRefOf(a)?.uid !== controllerRefOf(b)?.uid) this.rsChanged(a);
        this.rsChanged(b);
      },
      delete: (rs) => this.rsChanged(rs),
    });
    const podGone = (p: Pod) => {
      const ref = controllerRefOf(p);
      if (ref?.kind !== 'ReplicaSet') return;
      const rs = this.rsInf.get(p.metadata?.namespace, ref.name);
      const dref = rs && controllerRefOf(rs);
      if (dref?.kind !== 'Deployment') return;
      const d = this.dInf.get(p.metadata?.namespace, dref.name);
      if (d && d.spec?.strategy?.type === 'Recreate') this.enqueue(d);
    };
    this.podInf.on({ delete: podGone, update: (_a, b) => (isPodTerminal(b) ? podGone(b) : undefined) });
  }

  protected primary(): Informer {
    return this.dInf as Informer;
  }

  private rsChanged(rs: Obj): void {
    const ref = controllerRefOf(rs);
    if (ref) {
      if (ref.kind === 'Deployment') this.enqueue(`${rs.metadata?.namespace}/${ref.name}`);
      return;
    }
    for (const d of this.dInf.list(rs.metadata?.namespace)) if (selectorFn(d.spec?.selector)(rs.metadata?.labels)) this.enqueue(d);
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const [ns, name] = splitKey(key);
    let d = this.dInf.get(ns, name);
    if (!d) return;
    const client = this.ctx.client;
    if (selectorIsEmpty(d.spec?.selector)) {
      this.events.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      return;
    }
    const matches = selectorFn(d.spec?.selector);
    const rss = await claim({ client, owner: d, ownerRes: R.deployments, childRes: R.replicasets, matches: (rs) => matches(rs.metadata?.labels) }, this.rsInf.list(ns));
    const uids = new Set(rss.map((rs) => rs.metadata?.uid));
    const pods = d.spec?.strategy?.type === 'Recreate' ? this.podInf.list(ns).filter((p) => uids.has(controllerRefOf(p)?.uid)) : [];
    const plan = planDeployment(d, rss, pods, this.ctx.clock.now().getTime());

    for (const a of plan.actions) {
      if (a.type === 'create') {
        try {
          await client.create(R.replicasets, ns, a.rs);
        } catch (e) {
          if (!isAlreadyExists(e)) throw e;
          const existing = await client.get<Obj>(R.replicasets, ns, a.rs.metadata!.name!);
          if (isControlledBy(existing, d) && equalIgnoreHash(existing.spec?.template, d.spec?.template)) return { requeueAfter: 50 };
          // a hash collision with a ReplicaSet that is not this template's: bump collisionCount
          const status = { ...(d.status ?? {}), collisionCount: Number(d.status?.collisionCount ?? 0) + 1 };
          await client.update(R.deployments, { ...d, status }, 'status');
          return { requeueAfter: 1 };
        }
      } else if (a.type === 'update') {
        await client.update(R.replicasets, a.rs);
      } else if (a.type === 'delete') {
        try {
          await client.delete(R.replicasets, ns, a.rs.metadata!.name!, { propagationPolicy: 'Background', uid: a.rs.metadata?.uid });
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      } else if (a.type === 'annotateDeployment') {
        d = await client.update<Obj>(R.deployments, { ...d, metadata: { ...d.metadata, annotations: a.annotations } });
      }
    }
    for (const ev of plan.events) this.events.event(d, ev.type, ev.reason, ev.message);
    if (!deepEqual(plan.status, d.status ?? {})) await writeStatus(client, R.deployments, d, plan.status);
    return plan.requeueAfter !== undefined ? { requeueAfter: plan.requeueAfter } : undefined;
  }
}
