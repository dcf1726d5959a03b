/**
 * A pod's status as a pure function of what the worker observed: its containers, whether it was
 * prepared and initialized, its terminal outcome. pod-core.ts takes the observation and publishes
 * the result; the transition times of the conditions are carried from one computation to the next.
 */
import type { PodState } from './pod-types.js';

/** One container as seen by the status computation. */
export interface ObservedContainer {
  name: string;
  kind: 'init' | 'sidecar' | 'regular';
  spec: any;
  state: any;
  lastState: any;
  restartCount: number;
  runs: number;
  imageID?: string;
  containerID?: string;
  /** the image of the latest run */
  lastImage?: string;
  /** init containers: exited 0 */
  succeeded: boolean;
  /** a run is in progress (not yet exited) */
  alive: boolean;
  /** its startup probe passed (or it has none) */
  started: boolean;
  /** being started right now */
  starting: boolean;
  /** the latest readiness probe result; undefined before the first one */
  readiness?: boolean;
}

export interface ObservedPod {
  pod: any;
  containers: ObservedContainer[];
  prepared: boolean;
  /** ran on this node before an agent restart */
  wasPrepared: boolean;
  initDone: boolean;
  terminal?: PodState['terminal'];
  prepareError?: string;
  hostIP: string;
  ip: string;
  startTime: string;
}

export type ConditionTimes = ReadonlyMap<string, { status: string; time: string }>;

export function containerReady(c: ObservedContainer): boolean {
  if (c.kind === 'init') return c.succeeded;
  if (!c.alive || !c.started) return false;
  if (c.spec.readinessProbe) return c.readiness === true;
  return true;
}

export function containerStatus(c: ObservedContainer): any {
  return {
    name: c.name,
    state: c.state,
    lastState: c.lastState ?? {},
    ready: containerReady(c),
    restartCount: c.restartCount,
    image: c.lastImage ?? c.spec.image,
    imageID: c.runs > 0 ? c.imageID ?? '' : '',
    ...(c.containerID ? { containerID: c.containerID } : {}),
    started: c.alive && c.started,
  };
}

export function podPhase(o: ObservedPod): string {
  // terminal once every container (sidecars included) has stopped
  if (o.terminal && !o.containers.some((c) => c.alive || c.starting)) return o.terminal.phase;
  if ((!o.prepared && !o.wasPrepared) || !o.initDone) return 'Pending';
  const regular = o.containers.filter((c) => c.kind === 'regular');
  if (regular.some((c) => c.runs === 0)) return 'Pending';
  return 'Running';
}

/**
 * The status of the pod, and the conditions' transition times to pass to the next computation
 * (a condition keeps its time until its status changes; `now` stamps the ones that changed).
 */
export function buildPodStatus(o: ObservedPod, times: ConditionTimes, now: string): { status: any; times: Map<string, { status: string; time: string }> } {
  const next = new Map(times);
  const condition = (type: string, ok: boolean, reason?: string, message?: string): any => {
    const status = ok ? 'True' : 'False';
    const prev = next.get(type);
    let time = prev?.time;
    if (!prev || prev.status !== status) {
      time = now;
      next.set(type, { status, time });
    }
    return { type, status, lastProbeTime: null, lastTransitionTime: time, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
  };
  const phase = podPhase(o);
  const inits = o.containers.filter((c) => c.kind !== 'regular');
  const regular = o.containers.filter((c) => c.kind === 'regular');
  const incompleteInit = inits.filter((c) => (c.kind === 'init' ? !c.succeeded : !(c.alive && c.started))).map((c) => c.name);
  const initialized = o.initDone || incompleteInit.length === 0 || (!!o.terminal && inits.every((c) => c.kind === 'sidecar' || c.succeeded));
  const readyCtrs = [...regular, ...inits.filter((c) => c.kind === 'sidecar')];
  const unready = readyCtrs.filter((c) => !containerReady(c)).map((c) => c.name);
  const completed = phase === 'Succeeded' || phase === 'Failed';
  const allReady = !completed && unready.length === 0;
  const readyReason = completed ? 'PodCompleted' : 'ContainersNotReady';
  const readyMessage = completed ? undefined : `containers with unready status: [${unready.join(' ')}]`;
  const gates: string[] = (o.pod.spec?.readinessGates ?? []).map((g: any) => g.conditionType);
  const foreign = (o.pod.status?.conditions ?? []).filter((x: any) => !['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].includes(x.type));
  const gatesOk = gates.every((g) => foreign.some((x: any) => x.type === g && x.status === 'True'));
  const conditions = [
    condition('PodReadyToStartContainers', o.prepared && !completed),
    condition('Initialized', initialized, initialized ? undefined : 'ContainersNotInitialized', initialized ? undefined : `containers with incomplete status: [${incompleteInit.join(' ')}]`),
    condition('Ready', allReady && gatesOk, allReady && gatesOk ? undefined : allReady ? 'ReadinessGatesNotReady' : readyReason, allReady && gatesOk ? undefined : allReady ? `corresponding condition of pod readiness gate "${gates.find((g) => !foreign.some((x: any) => x.type === g && x.status === 'True'))}" does not exist.` : readyMessage),
    condition('ContainersReady', allReady, allReady ? undefined : readyReason, allReady ? undefined : readyMessage),
    condition('PodScheduled', true),
    ...foreign,
  ];
  const st: any = {
    phase,
    conditions,
    hostIP: o.hostIP,
    hostIPs: [{ ip: o.hostIP }],
    podIP: o.ip,
    podIPs: [{ ip: o.ip }],
    startTime: o.startTime,
    // as kubelet's: the regular containers' statuses sorted by name (init containers' stay in spec order) — kubectl's
    // STATUS column takes the reason of the first one it finds, so a pod [wait, main] whose main failed shows Error
    containerStatuses: [...regular].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map(containerStatus),
  };
  if (inits.length) st.initContainerStatuses = inits.map(containerStatus);
  if (o.terminal?.reason) st.reason = o.terminal.reason;
  if (o.terminal?.message) st.message = o.terminal.message;
  else if (o.prepareError && !o.prepared) st.message = o.prepareError;
  return { status: st, times: next };
}
