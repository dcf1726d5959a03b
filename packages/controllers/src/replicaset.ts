/**
 * ReplicaSet controller: keeps `spec.replicas` active pods from the template, adopting orphans that
 * match the selector, and reports replicas / fullyLabeledReplicas / readyReplicas /
 * availableReplicas / observedGeneration.
 */
import { ApiError, isNotFound, R } from '@flotilla/kube-runtime';
import { claim } from './claim.js';
import { Controller, writeStatus, Expectations, splitKey, type ControllerContext, type ReconcileResult } from './controller.js';
import type { Informer } from '@flotilla/kube-runtime';
import { podFromTemplate, rankPodsForDeletion, slowStartBatch } from './pods.js';
import {
  controllerRefOf,
  deepEqual,
  isPodActive,
  isPodReady,
  isTerminating,
  msUntilAvailable,
  omitEmpty,
  removeCondition,
  rfc3339,
  selectorFn,
  setCondition,
  type Condition,
  type Obj,
  type Pod,
} from './util.js';

export const BURST_REPLICAS = 500;

export interface ReplicaSetStatus {
  replicas: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  conditions?: Condition[];
}

/** Pure: the status of a ReplicaSet from the active pods it controls. */
export function replicaSetStatus(rs: Obj, pods: Pod[], now: number, failure?: { reason: string; message: string }): ReplicaSetStatus {
  const tplLabels: Record<string, string> = rs.spec?.template?.metadata?.labels ?? {};
  const minReady = Number(rs.spec?.minReadySeconds ?? 0);
  let fully = 0;
  let ready = 0;
  let available = 0;
  for (const p of pods) {
    const l = p.metadata?.labels ?? {};
    if (Object.entries(tplLabels).every(([k, v]) => l[k] === v)) fully++;
    if (isPodReady(p)) {
      ready++;
      if (msUntilAvailable(p, minReady, now) === 0) available++;
    }
  }
  let conditions: Condition[] | undefined = rs.status?.conditions;
  const nowIso = rfc3339(new Date(now));
  if (failure) conditions = setCondition(conditions, { type: 'ReplicaFailure', status: 'True', reason: failure.reason, message: failure.message }, nowIso);
  else conditions = removeCondition(conditions, 'ReplicaFailure');
  const s = omitEmpty({
    fullyLabeledReplicas: fully,
    readyReplicas: ready,
    availableReplicas: available,
    observedGeneration: rs.metadata?.generation,
    conditions,
  }) as ReplicaSetStatus;
  return { ...s, replicas: pods.length };
}

/** Pure: how many pods to create (>0) or delete (<0), capped at the burst size. */
export function replicaDiff(desired: number, active: number): number {
  const d = desired - active;
  return Math.max(-BURST_REPLICAS, Math.min(BURST_REPLICAS, d));
}

export class ReplicaSetController extends Controller {
  readonly rsInf: Informer<Obj>;
  readonly podInf: Informer<Pod>;
  readonly exp: Expectations;

  constructor(ctx: ControllerContext) {
    super('replicaset-controller', ctx, 5);
    this.rsInf = ctx.informers.for<Obj>(R.replicasets);
    this.podInf = ctx.informers.for<Pod>(R.pods);
    this.exp = new Expectations(this.podInf as Informer);
    this.rsInf.on({ add: (o) => this.enqueue(o), update: (_a, b) => this.enqueue(b), delete: (o) => this.enqueue(o) });
    this.podInf.on({
      add: (p) => {
        this.exp.observe(p, false);
        this.podChanged(p);
      },
      update: (a, b) => {
        if (b.metadata?.deletionTimestamp) this.exp.observe(b, false);
        const ra = controllerRefOf(a);
        const rb = controllerRefOf(b);
        if (ra && ra.uid !== rb?.uid) this.podChanged(a);
        this.podChanged(b);
      },
      delete: (p) => {
        this.exp.observe(p, true);
        this.podChanged(p);
      },
    });
  }

  protected primary(): Informer {
    return this.rsInf as Informer;
  }

  private podChanged(p: Pod): void {
    const ref = controllerRefOf(p);
    if (ref) {
      if (ref.kind === 'ReplicaSet') this.enqueue(`${p.metadata?.namespace}/${ref.name}`);
      return;
    }
    // an orphan: the ReplicaSets that could adopt it
    for (const rs of this.rsInf.list(p.metadata?.namespace)) if (selectorFn(rs.spec?.selector)(p.metadata?.labels)) this.enqueue(rs);
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const [ns, name] = splitKey(key);
    const rs = this.rsInf.get(ns, name);
    if (!rs) {
      this.exp.forget(key);
      return;
    }
    const now = this.ctx.clock.now().getTime();
    const matches = selectorFn(rs.spec?.selector);
    const candidates = this.podInf.list(ns).filter((p) => isPodActive(p));
    const pods = await claim({ client: this.ctx.client, owner: rs, ownerRes: R.replicasets, childRes: R.pods, matches: (p) => matches(p.metadata?.labels) }, candidates);

    let failure: { reason: string; message: string } | undefined;
    let err: unknown;
    if (!isTerminating(rs) && this.exp.satisfied(key)) {
      try {
        await this.manage(key, rs, pods);
      } catch (e) {
        err = e;
        failure = { reason: (e as Error & { op?: string }).op === 'delete' ? 'FailedDelete' : 'FailedCreate', message: (e as Error).message };
      }
    }
    const status = replicaSetStatus(rs, pods, now, failure);
    if (!deepEqual(status, rs.status ?? {})) {
      await writeStatus(this.ctx.client, R.replicasets, rs, status);
    }
    if (err) throw err;
    // pods ready but not yet available (minReadySeconds): look again when they become available
    const minReady = Number(rs.spec?.minReadySeconds ?? 0);
    if (minReady > 0) {
      let next: number | undefined;
      for (const p of pods) {
        const ms = msUntilAvailable(p, minReady, now);
        if (ms && (next === undefined || ms < next)) next = ms;
      }
      if (next !== undefined) return { requeueAfter: next + 50 };
    }
  }

  private async manage(key: string, rs: Obj, pods: Pod[]): Promise<void> {
    const ns = rs.metadata!.namespace!;
    const diff = replicaDiff(Number(rs.spec?.replicas ?? 1), pods.length);
    if (diff > 0) {
      const r = await slowStartBatch(diff, 1, async () => {
        const created = await this.ctx.client.create<Pod>(R.pods, ns, podFromTemplate(rs.spec?.template, rs, R.replicasets));
        this.exp.expectCreate(key, ns, created.metadata!.name!);
      });
      if (r.ok) this.events.event(rs, 'Normal', 'SuccessfulCreate', `Created ${r.ok} pod${r.ok > 1 ? 's' : ''}`);
      if (r.error) {
        // a terminating namespace refuses creations: nothing to report
        if (r.error instanceof ApiError && r.error.code === 403 && /terminat/i.test(r.error.message)) return;
        this.events.event(rs, 'Warning', 'FailedCreate', `Error creating: ${r.error.message}`);
        throw r.error;
      }
    } else if (diff < 0) {
      const victims = rankPodsForDeletion(pods).slice(0, -diff);
      const results = await Promise.allSettled(
        victims.map(async (p) => {
          this.exp.expectDelete(key, p);
          try {
            await this.ctx.client.delete(R.pods, ns, p.metadata!.name!, { uid: p.metadata?.uid });
          } catch (e) {
            if (!isNotFound(e) && !(e instanceof ApiError && e.code === 409)) throw e;
          }
        }),
      );
      const failed = results.find((x) => x.status === 'rejected') as PromiseRejectedResult | undefined;
      const ok = results.length - (failed ? results.filter((x) => x.status === 'rejected').length : 0);
      if (ok) this.events.event(rs, 'Normal', 'SuccessfulDelete', `Deleted ${ok} pod${ok > 1 ? 's' : ''}: ${victims.map((v) => v.metadata?.name).join(', ')}`);
      if (failed) {
        const e = failed.reason as Error & { op?: string };
        e.op = 'delete';
        throw e;
      }
    }
  }
}


