/** The cells `kubectl get pods` shows: READY, STATUS (the reason logic), RESTARTS, and wide columns. */
import type { KubeObject } from '@flotilla/apimachinery';
import { humanAge } from '@flotilla/apimachinery';

type Obj = Record<string, unknown>;

function o(v: unknown): Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {};
}

function arr(v: unknown): Obj[] {
  return Array.isArray(v) ? (v.filter((x) => x !== null && typeof x === 'object' && !Array.isArray(x)) as Obj[]) : [];
}

function s(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function n(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

export interface PodSummary {
  ready: string;
  status: string;
  restarts: string;
  restartCount: number;
  lastRestart?: string;
}

function laterTime(a: string | undefined, b: unknown): string | undefined {
  const t = s(b);
  if (!t) return a;
  if (!a) return t;
  return Date.parse(t) > Date.parse(a) ? t : a;
}

function conditionTrue(status: Obj, type: string): boolean {
  return arr(status.conditions).some((c) => c.type === type && c.status === 'True');
}

/** Computes READY / STATUS / RESTARTS of a pod as kubectl shows them. */
export function summarizePod(pod: KubeObject, now: Date): PodSummary {
  const spec = o(pod.spec);
  const status = o(pod.status);
  const meta = o(pod.metadata);
  const initSpecs = arr(spec.initContainers);
  const sidecarNames = new Set(initSpecs.filter((c) => c.restartPolicy === 'Always').map((c) => s(c.name)));
  const totalContainers = arr(spec.containers).length + sidecarNames.size;
  let readyContainers = 0;
  let restarts = 0;
  let lastRestart: string | undefined;
  let sidecarRestarts = 0;
  let sidecarLastRestart: string | undefined;

  let reason = s(status.phase);
  if (s(status.reason) !== '') reason = s(status.reason);
  for (const c of arr(status.conditions))
    if (c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';

  const initStatuses = arr(status.initContainerStatuses);
  let initializing = false;
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i];
    const state = o(cs.state);
    const terminated = state.terminated === undefined ? undefined : o(state.terminated);
    const waiting = state.waiting === undefined ? undefined : o(state.waiting);
    const lastTerm = o(o(cs.lastState).terminated);
    restarts += n(cs.restartCount);
    lastRestart = laterTime(lastRestart, lastTerm.finishedAt);
    const isSidecar = sidecarNames.has(s(cs.name));
    if (isSidecar) {
      sidecarRestarts += n(cs.restartCount);
      sidecarLastRestart = laterTime(sidecarLastRestart, lastTerm.finishedAt);
      if (cs.ready === true) readyContainers++;
    }
    if (terminated && n(terminated.exitCode) === 0) continue;
    if (isSidecar && cs.started === true) continue;
    if (terminated) {
      if (s(terminated.reason) !== '') reason = `Init:${s(terminated.reason)}`;
      else if (n(terminated.signal) !== 0) reason = `Init:Signal:${n(terminated.signal)}`;
      else reason = `Init:ExitCode:${n(terminated.exitCode)}`;
    } else if (waiting && s(waiting.reason) !== '' && waiting.reason !== 'PodInitializing') {
      reason = `Init:${s(waiting.reason)}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || conditionTrue(status, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestart = sidecarLastRestart;
    let hasRunning = false;
    const statuses = arr(status.containerStatuses);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      const state = o(cs.state);
      const terminated = state.terminated === undefined ? undefined : o(state.terminated);
      const waiting = state.waiting === undefined ? undefined : o(state.waiting);
      restarts += n(cs.restartCount);
      lastRestart = laterTime(lastRestart, o(o(cs.lastState).terminated).finishedAt);
      if (waiting && s(waiting.reason) !== '') reason = s(waiting.reason);
      else if (terminated && s(terminated.reason) !== '') reason = s(terminated.reason);
      else if (terminated) reason = n(terminated.signal) !== 0 ? `Signal:${n(terminated.signal)}` : `ExitCode:${n(terminated.exitCode)}`;
      else if (cs.ready === true && state.running !== undefined) {
        hasRunning = true;
        readyContainers++;
      }
    }
    if (reason === 'Completed' && hasRunning) reason = conditionTrue(status, 'Ready') ? 'Running' : 'NotReady';
  }

  const phase = s(status.phase);
  if (meta.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (meta.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  const restartsStr = lastRestart ? `${restarts} (${humanAge(lastRestart, now)} ago)` : String(restarts);
  return {
    ready: `${readyContainers}/${totalContainers}`,
    status: reason,
    restarts: restartsStr,
    restartCount: restarts,
    lastRestart,
  };
}

/** READINESS GATES cell: "<none>" or "trueCount/total". */
export function podReadinessGates(pod: KubeObject): string {
  const gates = arr(o(pod.spec).readinessGates);
  if (gates.length === 0) return '<none>';
  const conds = arr(o(pod.status).conditions);
  let trueCount = 0;
  for (const g of gates) if (conds.some((c) => c.type === g.conditionType && c.status === 'True')) trueCount++;
  return `${trueCount}/${gates.length}`;
}
