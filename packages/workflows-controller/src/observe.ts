// What a pod and its WorkflowTaskResult say about a node (pure): pod phase, the exit code of `main`, outputs and
// progress from the task result, messages for pods that cannot start (ErrImagePull …) or were killed.
import type { Outputs } from './types.js';
import type { PodObservation } from './operator/model.js';
import { reportsNothing } from './pod.js';
import { podResourcesDuration } from './resources-duration.js';

type Obj = Record<string, any>;
export const LABEL_REPORT_COMPLETED = 'workflows.argoproj.io/report-outputs-completed';
const CANNOT_START = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError', 'ErrImageNeverPull', 'RunContainerError']);
/** How long a finished pod's node waits for its task result (the executor writes it before `wait` exits). */
export const RESULT_GRACE_MS = 10_000;
/** …and when `wait` exited 0 (it wrote the result before it exited). */
export const RESULT_WAIT_OK_MS = 60_000;

export interface Observed {
  obs: PodObservation;
  /** the pod finished but its task result is not in yet: look again soon */
  awaitingResult?: boolean;
  /** the pod will never run (image pull error): delete it */
  kill?: boolean;
  progress?: string;
}

const terminated = (s: Obj | undefined) => s?.state?.terminated as { exitCode?: number; reason?: string; message?: string; finishedAt?: string; startedAt?: string } | undefined;

/** What a pod object (and task result object) were last made into, when that did not depend on the time. */
const seen = new WeakMap<Obj, { tr: Obj | undefined; out: Observed }>();

/**
 * observePod, remembered per pod object: the informer's objects do not change (an update is a new object), and a
 * reconcile of a large workflow observes all its pods, most of them as they were at the last one. The result is
 * shared: callers do not change it.
 */
export function observePodCached(pod: Obj, taskResult: Obj | undefined, now: Date = new Date()): Observed {
  const m = seen.get(pod);
  if (m && m.tr === taskResult) return m.out;
  let timed = false;
  const out = observeAt(pod, taskResult, () => {
    timed = true;
    return now;
  });
  if (!timed && !out.awaitingResult) seen.set(pod, { tr: taskResult, out });
  return out;
}

/** Task results made from pods' annotations, kept per pod object (so observePodCached still finds them the same). */
const fromAnnotations = new WeakMap<Obj, Obj>();

/**
 * The task result of upstream's fallback, when the pod's ServiceAccount may not write WorkflowTaskResults: `wait`
 * puts the outputs in the pod's `workflows.argoproj.io/outputs` annotation instead. Undefined when it has none.
 */
export function resultFromPod(pod: Obj): Obj | undefined {
  const ann = pod.metadata?.annotations as Record<string, string> | undefined;
  const raw = ann?.['workflows.argoproj.io/outputs'];
  if (raw === undefined) return undefined;
  let r = fromAnnotations.get(pod);
  if (!r) {
    let outputs: unknown = {};
    try {
      outputs = JSON.parse(raw);
    } catch {
      /* not JSON: no outputs */
    }
    r = { outputs, metadata: { labels: { [LABEL_REPORT_COMPLETED]: pod.metadata?.labels?.[LABEL_REPORT_COMPLETED] ?? 'true' } } };
    if (ann?.['workflows.argoproj.io/progress']) r.progress = ann['workflows.argoproj.io/progress'];
    fromAnnotations.set(pod, r);
  }
  return r;
}

export function observePod(pod: Obj, taskResult: Obj | undefined, now: Date = new Date()): Observed {
  return observeAt(pod, taskResult, () => now);
}

function observeAt(pod: Obj, taskResult: Obj | undefined, clock: () => Date): Observed {
  const st: Obj = pod.status ?? {};
  const statuses: Obj[] = st.containerStatuses ?? [];
  const inits: Obj[] = st.initContainerStatuses ?? [];
  const base: PodObservation = { phase: 'Pending' };
  if (pod.spec?.nodeName) base.hostNodeName = pod.spec.nodeName;
  if (st.podIP) base.podIP = st.podIP;
  if (st.startTime) base.startedAt = st.startTime;
  const out: Observed = { obs: base };
  const tr = taskResult;
  const outputs = tr ? ((tr.outputs ?? tr.spec?.outputs) as Outputs | undefined) : undefined;
  if (outputs && Object.keys(outputs).length) {
    const { exitCode: _e, ...rest } = outputs;
    if (Object.keys(rest).length) base.outputs = rest;
  }
  if (tr?.progress) base.progress = out.progress = String(tr.progress);

  const mainNames = new Set(((pod.spec?.containers ?? []) as Obj[]).map((c) => c.name as string).filter((n) => n !== 'wait'));
  const main = statuses.find((s) => s.name === 'main') ?? statuses.find((s) => mainNames.has(s.name));
  const mainTerm = terminated(main);
  const failedMain = statuses.filter((s) => mainNames.has(s.name) && (terminated(s)?.exitCode ?? 0) !== 0)[0];
  const exitTerm = terminated(failedMain) ?? mainTerm;
  // outputs.exitCode is the `main` container's, as upstream's; a containerSet of other names has none (unless one failed)
  const named = terminated(statuses.find((s) => s.name === 'main'));
  const code = named?.exitCode !== undefined && !failedMain ? named.exitCode : terminated(failedMain)?.exitCode;
  if (code !== undefined) base.exitCode = code;

  for (const s of [...inits, ...statuses]) {
    const w = s.state?.waiting as { reason?: string; message?: string } | undefined;
    if (w?.reason && CANNOT_START.has(w.reason)) {
      return { obs: { ...base, phase: 'Error', message: `${w.reason}: ${w.message ?? s.image ?? ''}`.trim(), finishedAt: clock().toISOString() }, kill: true };
    }
  }
  const init = inits.find((s) => (terminated(s)?.exitCode ?? 0) !== 0);
  if (init) {
    const t = terminated(init)!;
    const rd = podResourcesDuration(pod);
    if (rd) base.resourcesDuration = rd;
    return { obs: { ...base, phase: 'Error', message: t.message?.trim() || `init container ${init.name} failed (exit code ${t.exitCode})`, finishedAt: t.finishedAt ?? clock().toISOString() } };
  }

  const phase = st.phase as string | undefined;
  if (phase === 'Running' || phase === 'Pending' || !phase) {
    if (phase === 'Running') base.phase = 'Running';
    else {
      const why = pendingReason(st, [...inits, ...statuses]);
      if (why) base.message = why;
    }
    return out;
  }
  // finished: outputs come from the task result, which `wait` writes before it exits
  const finishedAt = [...statuses].map((s) => terminated(s)?.finishedAt).filter(Boolean).sort().pop() ?? clock().toISOString();
  base.finishedAt = finishedAt;
  const rd = podResourcesDuration(pod);
  if (rd) base.resourcesDuration = rd;
  const completed = tr?.metadata?.labels?.[LABEL_REPORT_COMPLETED] === 'true' || tr?.phase !== undefined || reportsNothing(pod);
  if (!completed) {
    const waitTerm = terminated(statuses.find((s) => s.name === 'wait'));
    const age = clock().getTime() - Date.parse(finishedAt);
    // `wait` failed: no result is coming; `wait` succeeded: it wrote the result, which must show up (a minute at most)
    const grace = waitTerm?.exitCode === 0 ? RESULT_WAIT_OK_MS : RESULT_GRACE_MS;
    if (!(waitTerm && waitTerm.exitCode !== 0) && age < grace) return { obs: { ...base, phase: 'Running' }, awaitingResult: true, progress: out.progress };
  }
  if (tr && (tr.phase === 'Failed' || tr.phase === 'Error')) return { ...out, obs: { ...base, phase: tr.phase, message: tr.message || undefined } };
  // a pod deleted while its main container ran (`kubectl delete pod`, a node drained) ended because it was killed,
  // however its program took the signal (nginx exits 0): not a success, so a retryStrategy runs it again, as upstream's
  if (phase === 'Succeeded' && killedByDeletion(pod, mainTerm)) return { ...out, obs: { ...base, phase: 'Failed', message: 'pod deleted' } };
  if (phase === 'Succeeded') return { ...out, obs: { ...base, phase: 'Succeeded', ...(tr?.message ? { message: tr.message } : {}) } };
  // Failed
  if (exitTerm && (exitTerm.exitCode ?? 0) !== 0) {
    // the container's termination message (an emissary that could not start the command says why) follows
    // its reason and exit code, as upstream shows it
    const said = exitTerm.message?.trim();
    const msg = exitTerm.reason === 'OOMKilled' ? 'OOMKilled (exit code 137)' : tr?.message || (said ? `${exitTerm.reason || 'Error'} (exit code ${exitTerm.exitCode}): ${said}` : undefined);
    return { ...out, obs: { ...base, phase: 'Failed', ...(msg ? { message: msg } : {}) } };
  }
  if (st.reason === 'DeadlineExceeded') return { ...out, obs: { ...base, phase: 'Failed', message: 'Pod was active on the node longer than the specified deadline' } };
  const waitTerm = terminated(statuses.find((s) => s.name === 'wait'));
  const msg = st.message || (waitTerm && waitTerm.exitCode !== 0 ? `wait container failed (exit code ${waitTerm.exitCode})${waitTerm.message ? `: ${waitTerm.message.trim()}` : ''}` : 'pod failed');
  return { ...out, obs: { ...base, phase: 'Error', message: msg } };
}

/** Container waiting reasons every pod passes through: not worth a node message (nor a status write each). */
const ROUTINE_WAITING = new Set(['ContainerCreating', 'PodInitializing']);

/**
 * Why a pending pod waits, as upstream shows it on the node: a container's waiting reason (and message), else the
 * scheduler's `Unschedulable: <why>` from the PodScheduled condition.
 */
export function pendingReason(st: Obj, statuses: Obj[]): string | undefined {
  for (const s of statuses) {
    const w = s.state?.waiting as { reason?: string; message?: string } | undefined;
    if (w?.reason && !ROUTINE_WAITING.has(w.reason)) return w.message ? `${w.reason}: ${w.message}` : w.reason;
  }
  const c = ((st.conditions ?? []) as Obj[]).find((x) => x.type === 'PodScheduled' && x.status === 'False' && x.reason === 'Unschedulable');
  return c ? (c.message ? `Unschedulable: ${c.message}` : 'Unschedulable') : undefined;
}

/**
 * Whether the pod's main container ended after someone asked to delete the pod (its deletionTimestamp is the request's
 * time plus the grace period): a pod that had finished before (podGC, `argo delete`) is not.
 */
function killedByDeletion(pod: Obj, mainTerm: ReturnType<typeof terminated>): boolean {
  const del = Date.parse(pod.metadata?.deletionTimestamp ?? '');
  if (Number.isNaN(del)) return false;
  const asked = del - (Number(pod.metadata?.deletionGracePeriodSeconds) || 0) * 1000;
  const ended = Date.parse(mainTerm?.finishedAt ?? '');
  // (timestamps are whole seconds: a main that ended in the second of the request counts as killed)
  return Number.isNaN(ended) || ended >= Math.floor(asked / 1000) * 1000;
}

const EPOCH = new Date(0);
/**
 * Whether a pod's update can change what the controller makes of it: its observation (phase, exit code,
 * outputs' timing, address, node, start and end), or its deletion. A pod's other updates (conditions and
 * readiness, an init container going from waiting to running, the controller's own `completed` label) are
 * not worth a reconcile of the whole workflow.
 */
export function podObservationChanged(a: Obj, b: Obj): boolean {
  if (a.metadata?.resourceVersion === b.metadata?.resourceVersion) return false;
  if (a.metadata?.deletionTimestamp !== b.metadata?.deletionTimestamp) return true;
  const x = observePodCached(a, undefined, EPOCH), y = observePodCached(b, undefined, EPOCH);
  return x !== y && JSON.stringify(x) !== JSON.stringify(y);
}
