/**
 * Job controller: runs pods until `completions` succeed (NonIndexed, or Indexed with one success per
 * index), at most `parallelism` at a time; replaces failed pods with an exponential delay (10 s,
 * 20 s, 40 s … capped at 6 min by default) until more than `backoffLimit` have failed
 * (Failed/BackoffLimitExceeded); activeDeadlineSeconds (Failed/DeadlineExceeded); suspend/resume;
 * ttlSecondsAfterFinished deletes finished Jobs; status active/ready/succeeded/failed/terminating,
 * startTime/completionTime, Complete and Failed conditions, completedIndexes.
 *
 * Pods are counted from the pods themselves (finished pods are kept until the Job goes), so a restart
 * of the controller loses nothing. `planJob` is the pure core.
 */
import { isNotFound, R } from '@flotilla/kube-runtime';
import { claim } from './claim.js';
import { Controller, writeStatus, Expectations, splitKey, type ControllerContext, type ReconcileResult } from './controller.js';
import type { Informer } from '@flotilla/kube-runtime';
import { podFromTemplate, rankPodsForDeletion } from './pods.js';
import {
  controllerRefOf,
  creationMs,
  deepEqual,
  getCondition,
  isPodActive,
  isPodReady,
  isTerminating,
  omitEmpty,
  parseTime,
  podRestarts,
  rfc3339,
  selectorFn,
  setCondition,
  type Condition,
  type Obj,
  type Pod,
} from './util.js';

export const COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';

export interface JobOptions {
  /** first delay before replacing a failed pod (ms, default 10 s); doubles per failure */
  backoffBaseMs?: number;
  /** cap of that delay (ms, default 6 min) */
  backoffMaxMs?: number;
}

export interface JobPlan {
  /** pods to create: an index for Indexed Jobs, null otherwise */
  create: (number | null)[];
  delete: Pod[];
  status: Record<string, unknown>;
  requeueAfter?: number;
  events: { type: 'Normal' | 'Warning'; reason: string; message: string }[];
  /** the Job finished in this pass */
  finished?: 'Complete' | 'Failed';
}

export function jobFinished(job: Obj): 'Complete' | 'Failed' | undefined {
  for (const c of (job.status?.conditions ?? []) as Condition[]) {
    if (c.status !== 'True') continue;
    if (c.type === 'Complete') return 'Complete';
    if (c.type === 'Failed') return 'Failed';
  }
  return undefined;
}

/** "1,3-5,7" ⇄ a set of indexes. */
export function parseIndexes(s: unknown): Set<number> {
  const out = new Set<number>();
  if (typeof s !== 'string' || !s) return out;
  for (const part of s.split(',')) {
    const [a, b] = part.split('-').map(Number);
    if (!Number.isInteger(a)) continue;
    const end = Number.isInteger(b) ? b : a;
    for (let i = a; i <= end; i++) out.add(i);
  }
  return out;
}

export function formatIndexes(set: Set<number>): string {
  const xs = [...set].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < xs.length; ) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j] + 1) j++;
    parts.push(i === j ? `${xs[i]}` : `${xs[i]}-${xs[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

function podIndex(p: Pod): number | undefined {
  const v = p.metadata?.annotations?.[COMPLETION_INDEX] ?? p.metadata?.labels?.[COMPLETION_INDEX];
  const n = Number(v);
  return v !== undefined && Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** When a pod finished: its containers' finishedAt, else its last condition change, else creation. */
export function podFinishedAt(p: Pod): number {
  let t = 0;
  for (const cs of p.status?.containerStatuses ?? []) {
    const f = parseTime(cs.state?.terminated?.finishedAt);
    if (f && f > t) t = f;
  }
  if (t) return t;
  for (const c of (p.status?.conditions ?? []) as Condition[]) {
    const x = parseTime(c.lastTransitionTime);
    if (x && x > t) t = x;
  }
  return t || creationMs(p);
}

/** Pure: one reconcile pass of a Job over its pods. */
export function planJob(job: Obj, pods: Pod[], now: number, opts: JobOptions = {}): JobPlan {
  const spec = job.spec ?? {};
  const st = job.status ?? {};
  const nowIso = rfc3339(new Date(now));
  const events: JobPlan['events'] = [];
  const base = opts.backoffBaseMs ?? 10_000;
  const cap = opts.backoffMaxMs ?? 6 * 60_000;
  const indexed = spec.completionMode === 'Indexed';
  const completions: number | undefined = spec.completions === undefined || spec.completions === null ? undefined : Number(spec.completions);
  const parallelism = Number(spec.parallelism ?? 1);
  const backoffLimit = Number(spec.backoffLimit ?? 6);

  const active = pods.filter(isPodActive);
  const terminating = pods.filter((p) => isTerminating(p) && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
  const succeededPods = pods.filter((p) => p.status?.phase === 'Succeeded');
  const failedPods = pods.filter((p) => p.status?.phase === 'Failed');
  let conditions: Condition[] = [...((st.conditions ?? []) as Condition[])];
  const completedIdx = indexed ? parseIndexes(st.completedIndexes) : new Set<number>();
  if (indexed) for (const p of succeededPods) {
    const i = podIndex(p);
    if (i !== undefined && (completions === undefined || i < completions)) completedIdx.add(i);
  }
  const succeeded = indexed ? Math.max(completedIdx.size, Number(st.succeeded ?? 0)) : Math.max(succeededPods.length, Number(st.succeeded ?? 0));
  const failed = Math.max(failedPods.length, Number(st.failed ?? 0));
  const create: (number | null)[] = [];
  const del: Pod[] = [];
  let startTime: string | undefined = st.startTime;
  let completionTime: string | undefined = st.completionTime;
  let requeueAfter: number | undefined;
  const already = jobFinished(job);

  const status = (activeCount: number) =>
    omitEmpty({
      conditions: conditions.length ? conditions : undefined,
      startTime,
      completionTime,
      active: activeCount,
      succeeded,
      failed,
      terminating: terminating.length,
      completedIndexes: indexed ? formatIndexes(completedIdx) : undefined,
    });
  const withReady = (s: Record<string, unknown>, activePods: Pod[]) => ({ ...s, ready: activePods.filter(isPodReady).length });

  if (already) {
    // a finished Job keeps no running pods
    del.push(...active);
    return { create, delete: del, status: withReady(status(active.length), active), events };
  }

  if (spec.suspend === true) {
    del.push(...active);
    if (getCondition(conditions, 'Suspended')?.status !== 'True') {
      conditions = setCondition(conditions, { type: 'Suspended', status: 'True', reason: 'JobSuspended', message: 'Job suspended', lastProbeTime: nowIso }, nowIso);
      events.push({ type: 'Normal', reason: 'Suspended', message: 'Job suspended' });
    }
    return { create, delete: del, status: withReady(status(0), []), events };
  }
  if (getCondition(conditions, 'Suspended')?.status === 'True') {
    conditions = setCondition(conditions, { type: 'Suspended', status: 'False', reason: 'JobResumed', message: 'Job resumed', lastProbeTime: nowIso }, nowIso);
    events.push({ type: 'Normal', reason: 'Resumed', message: 'Job resumed' });
    startTime = nowIso; // the deadline counts from the resumption
  }
  if (!startTime) startTime = nowIso;

  const fail = (reason: string, message: string): JobPlan => {
    del.push(...active);
    conditions = setCondition(conditions, { type: 'FailureTarget', status: 'True', reason, message, lastProbeTime: nowIso }, nowIso);
    conditions = setCondition(conditions, { type: 'Failed', status: 'True', reason, message, lastProbeTime: nowIso }, nowIso);
    events.push({ type: 'Warning', reason, message });
    return { create, delete: del, status: withReady(status(0), []), events, finished: 'Failed' };
  };

  const ads = spec.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null) {
    const deadline = (parseTime(startTime) ?? now) + Number(ads) * 1000;
    if (now >= deadline) return fail('DeadlineExceeded', 'Job was active longer than specified deadline');
    requeueAfter = deadline - now;
  }
  const onFailure = spec.template?.spec?.restartPolicy === 'OnFailure';
  const retries = failed + (onFailure ? active.reduce((n, p) => n + podRestarts(p), 0) : 0);
  if (retries > backoffLimit) return fail('BackoffLimitExceeded', 'Job has reached the specified backoff limit');

  // completion
  let complete = false;
  if (completions !== undefined) complete = succeeded >= completions;
  else complete = succeeded > 0 && active.length === 0;
  if (complete) {
    del.push(...active);
    conditions = setCondition(conditions, { type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastProbeTime: nowIso }, nowIso);
    conditions = setCondition(conditions, { type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastProbeTime: nowIso }, nowIso);
    completionTime = nowIso;
    events.push({ type: 'Normal', reason: 'Completed', message: 'Job completed' });
    return { create, delete: del, status: withReady(status(0), []), events, finished: 'Complete' };
  }

  // how many should run
  let want: number;
  if (completions !== undefined) want = Math.max(0, Math.min(parallelism, completions - succeeded));
  else want = succeeded > 0 ? Math.min(active.length, parallelism) : parallelism;

  let keep = active;
  if (indexed && completions !== undefined) {
    // one active pod per pending index; duplicates and pods for finished or out-of-range indexes go
    const byIdx = new Map<number, Pod[]>();
    for (const p of active) {
      const i = podIndex(p);
      if (i === undefined || i >= completions || completedIdx.has(i)) {
        del.push(p);
        continue;
      }
      const l = byIdx.get(i) ?? [];
      l.push(p);
      byIdx.set(i, l);
    }
    keep = [];
    for (const l of byIdx.values()) {
      const ranked = rankPodsForDeletion(l);
      del.push(...ranked.slice(0, ranked.length - 1));
      keep.push(ranked[ranked.length - 1]);
    }
    if (keep.length > want) {
      const extra = [...keep].sort((a, b) => podIndex(b)! - podIndex(a)!).slice(0, keep.length - want);
      del.push(...extra);
      keep = keep.filter((p) => !extra.includes(p));
    }
    const busy = new Set(keep.map((p) => podIndex(p)!));
    for (let i = 0; i < completions && keep.length + create.length < want; i++) if (!completedIdx.has(i) && !busy.has(i)) create.push(i);
  } else {
    if (active.length > want) {
      const extra = rankPodsForDeletion(active).slice(0, active.length - want);
      del.push(...extra);
      keep = active.filter((p) => !extra.includes(p));
    }
    for (let i = keep.length; i < want; i++) create.push(null);
  }

  // failed pods are replaced after an exponential delay
  if (create.length && failedPods.length) {
    const last = Math.max(...failedPods.map(podFinishedAt));
    const lastSuccess = Math.max(0, ...succeededPods.map(podFinishedAt));
    const consecutive = failedPods.filter((p) => podFinishedAt(p) > lastSuccess).length;
    if (consecutive > 0) {
      const delay = Math.min(base * 2 ** (consecutive - 1), cap);
      if (now < last + delay) {
        const wait = last + delay - now;
        requeueAfter = requeueAfter === undefined ? wait : Math.min(requeueAfter, wait);
        create.length = 0;
      }
    }
  }

  return { create, delete: del, status: withReady(status(keep.length), keep), events, requeueAfter };
}

/** Pure: a pod for a Job (and a completion index). */
export function jobPod(job: Obj, index: number | null): Pod {
  const name = job.metadata!.name!;
  if (index === null) return podFromTemplate(job.spec?.template, job, R.jobs, { generateName: `${name}-` });
  const pod = podFromTemplate(job.spec?.template, job, R.jobs, {
    generateName: `${name}-${index}-`,
    annotations: { [COMPLETION_INDEX]: String(index) },
    labels: { [COMPLETION_INDEX]: String(index) },
  });
  pod.spec.hostname ??= `${name}-${index}`;
  const env = { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: `metadata.labels['${COMPLETION_INDEX}']` } } };
  for (const key of ['containers', 'initContainers']) for (const c of pod.spec[key] ?? []) c.env = [...(c.env ?? []).filter((e: any) => e.name !== 'JOB_COMPLETION_INDEX'), env];
  return pod;
}

export class JobController extends Controller {
  readonly jobInf: Informer<Obj>;
  readonly podInf: Informer<Pod>;
  readonly exp: Expectations;

  constructor(
    ctx: ControllerContext,
    private readonly opts: JobOptions = {},
  ) {
    super('job-controller', ctx, 5);
    this.jobInf = ctx.informers.for<Obj>(R.jobs);
    this.podInf = ctx.informers.for<Pod>(R.pods);
    this.exp = new Expectations(this.podInf as any);
    this.jobInf.on({ add: (o) => this.enqueue(o), update: (_a, b) => this.enqueue(b), delete: (o) => this.enqueue(o) });
    this.watchOwnedPods(this.podInf as any, this.jobInf as any, this.exp, 'Job');
  }

  protected primary(): Informer {
    return this.jobInf as Informer;
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const [ns, name] = splitKey(key);
    const job = this.jobInf.get(ns, name);
    if (!job) {
      this.exp.forget(key);
      return;
    }
    const client = this.ctx.client;
    const now = this.ctx.clock.now().getTime();
    const done = jobFinished(job);
    let ttlRequeue: number | undefined;
    if (done && job.spec?.ttlSecondsAfterFinished !== undefined && job.spec?.ttlSecondsAfterFinished !== null) {
      const cond = getCondition(job.status?.conditions, done);
      const finishedAt = parseTime(job.status?.completionTime) ?? parseTime(cond?.lastTransitionTime) ?? now;
      const expire = finishedAt + Number(job.spec.ttlSecondsAfterFinished) * 1000;
      if (now >= expire) {
        try {
          await client.delete(R.jobs, ns, name, { propagationPolicy: 'Foreground', uid: job.metadata?.uid });
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
        return;
      }
      // fall through to keep status current; come back at expiry
      ttlRequeue = expire - now;
    }
    if (isTerminating(job)) return;
    const matches = selectorFn(job.spec?.selector);
    const pods = await claim({ client, owner: job, ownerRes: R.jobs, childRes: R.pods, matches: (p) => matches(p.metadata?.labels) }, this.podInf.list(ns));
    const plan = planJob(job, pods, now, this.opts);
    const satisfied = this.exp.satisfied(key);
    if (satisfied || plan.finished) {
      for (const p of plan.delete) {
        this.exp.expectDelete(key, p);
        try {
          await client.delete(R.pods, ns, p.metadata!.name!, { uid: p.metadata?.uid });
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }
      if (satisfied && plan.create.length) {
        const results = await Promise.allSettled(
          plan.create.map(async (i) => {
            const created = await client.create<Pod>(R.pods, ns, jobPod(job, i));
            this.exp.expectCreate(key, ns, created.metadata!.name!);
            return created;
          }),
        );
        const ok = results.filter((r) => r.status === 'fulfilled') as PromiseFulfilledResult<Pod>[];
        for (const r of ok) this.events.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${r.value.metadata!.name}`);
        const bad = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
        if (bad) {
          this.events.event(job, 'Warning', 'FailedCreate', `Error creating: ${(bad.reason as Error).message}`);
          throw bad.reason;
        }
        // the pods just created count as active right away
        plan.status.active = Number(plan.status.active ?? 0) + ok.length;
      }
    }
    for (const e of plan.events) this.events.event(job, e.type, e.reason, e.message);
    if (!deepEqual(plan.status, job.status ?? {})) await writeStatus(client, R.jobs, job, plan.status);
    let requeueAfter = plan.requeueAfter;
    if (plan.finished && job.spec?.ttlSecondsAfterFinished !== undefined && job.spec?.ttlSecondsAfterFinished !== null)
      requeueAfter = Math.min(requeueAfter ?? Infinity, Number(job.spec.ttlSecondsAfterFinished) * 1000);
    if (ttlRequeue !== undefined) requeueAfter = Math.min(requeueAfter ?? Infinity, ttlRequeue);
    return requeueAfter !== undefined && Number.isFinite(requeueAfter) ? { requeueAfter: requeueAfter + 10 } : undefined;
  }
}
