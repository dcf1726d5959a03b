/**
 * What the plugin shows about a Rollout, computed from the objects alone (pure): its status, strategy,
 * step and weights, the ReplicaSets of each revision with their pods, AnalysisRuns and Experiments.
 * The shape follows upstream's RolloutInfo (the dashboard's JSON uses it as is).
 */

export type Obj = { apiVersion?: string; kind?: string; metadata: Meta; spec?: any; status?: any };
export interface Meta {
  name: string;
  namespace?: string;
  uid?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { uid: string; kind: string; name: string; controller?: boolean }[];
  generation?: number;
  resourceVersion?: string;
}

export const ICON = {
  waiting: '◷',
  progressing: '◌',
  warning: '⚠',
  unknown: '?',
  ok: '✔',
  bad: '✖',
  paused: '॥',
  neutral: '•',
  rollout: '⟳',
  revision: '#',
  replicaSet: '⧉',
  pod: '□',
  service: '⑃',
  experiment: 'Σ',
  analysis: 'α',
  job: '⊞',
} as const;

export const HASH_LABEL = 'rollouts-pod-template-hash';
export const REVISION_ANNOTATION = 'rollout.argoproj.io/revision';

export interface PodInfo {
  objectMeta: Meta;
  status: string;
  icon: string;
  ready: string;
  restarts: number;
}

export interface ReplicaSetInfo {
  objectMeta: Meta;
  status: string;
  icon: string;
  revision: number;
  stable: boolean;
  canary: boolean;
  active: boolean;
  preview: boolean;
  replicas: number;
  available: number;
  scaleDownDeadline?: string;
  images: string[];
  pods: PodInfo[];
}

export interface AnalysisRunInfo {
  objectMeta: Meta;
  status: string;
  icon: string;
  revision: number;
  successful: number;
  failed: number;
  inconclusive: number;
  error: number;
  jobs: { objectMeta: Meta; status: string; icon: string }[];
}

export interface ExperimentInfo {
  objectMeta: Meta;
  status: string;
  icon: string;
  revision: number;
  message?: string;
  replicaSets: ReplicaSetInfo[];
  analysisRuns: AnalysisRunInfo[];
}

export interface RolloutInfo {
  objectMeta: Meta;
  status: string;
  icon: string;
  message: string;
  strategy: string;
  step: string;
  setWeight: string;
  actualWeight: string;
  ready: number;
  current: number;
  desired: number;
  updated: number;
  available: number;
  restartedAt: string;
  generation: string;
  containers: { name: string; image: string }[];
  initContainers: { name: string; image: string }[];
  replicaSets: ReplicaSetInfo[];
  experiments: ExperimentInfo[];
  analysisRuns: AnalysisRunInfo[];
  steps: unknown[];
}

export interface Related {
  replicaSets: Obj[];
  pods: Obj[];
  analysisRuns: Obj[];
  experiments: Obj[];
}

const ownedBy = (o: Obj, uid?: string) => !!uid && (o.metadata.ownerReferences ?? []).some((r) => r.uid === uid);
const num = (v: unknown) => (typeof v === 'number' ? v : Number(v ?? 0) || 0);
const revisionOf = (o: Obj) => parseInt(o.metadata.annotations?.[REVISION_ANNOTATION] ?? '0', 10) || 0;

/** Upstream's status and message of a rollout: the controller's phase, unless the spec is not yet observed. */
export function rolloutStatus(ro: Obj): { status: string; message: string } {
  const st = ro.status ?? {};
  const gen = ro.metadata.generation;
  if (st.observedGeneration !== undefined && gen !== undefined && String(st.observedGeneration) !== String(gen) && !/^[0-9a-f]{8,}$/.test(String(st.observedGeneration))) {
    return { status: 'Progressing', message: 'waiting for rollout spec update to be observed' };
  }
  if (st.phase) return { status: st.phase, message: st.message ?? '' };
  if (ro.spec?.paused) return { status: 'Paused', message: 'manually paused' };
  return { status: 'Progressing', message: st.message ?? 'waiting for rollout to be observed' };
}

export function statusIcon(status: string): string {
  switch (status) {
    case 'Healthy':
    case 'Successful':
    case 'Running':
    case 'Completed':
    case 'Succeeded':
      return ICON.ok;
    case 'Paused':
      return ICON.paused;
    case 'Progressing':
    case 'Pending':
    case 'ContainerCreating':
    case 'Terminating':
      return ICON.progressing;
    case 'Degraded':
    case 'Failed':
    case 'Error':
    case 'Aborted':
      return ICON.bad;
    case 'ScaledDown':
      return ICON.neutral;
    case 'Inconclusive':
      return ICON.warning;
    default:
      return /BackOff|Err|Invalid|OOM/.test(status) ? ICON.bad : ICON.unknown;
  }
}

/** The canary step the rollout is at (undefined past the last step or without steps) and its index. */
export function currentStep(ro: Obj): { step?: any; index?: number } {
  const steps: any[] = ro.spec?.strategy?.canary?.steps ?? [];
  if (!steps.length) return {};
  const index = ro.status?.currentStepIndex ?? 0;
  return index >= steps.length ? { index } : { step: steps[index], index };
}

/** The weight the current step sets (upstream's GetCurrentSetWeight): 0 when aborted, 100 past the steps. */
export function currentSetWeight(ro: Obj): number {
  if (ro.status?.abort) return 0;
  const { step, index } = currentStep(ro);
  if (!step || index === undefined) return 100;
  const steps: any[] = ro.spec.strategy.canary.steps;
  for (let i = index; i >= 0; i--) if (steps[i]?.setWeight !== undefined) return num(steps[i].setWeight);
  return 0;
}

/** A pod's status as kubectl prints it (Running, Pending, ContainerCreating, CrashLoopBackOff, Completed, Error, Terminating). */
export function podStatus(pod: Obj): { status: string; icon: string; ready: string; restarts: number } {
  const st = pod.status ?? {};
  const cs: any[] = st.containerStatuses ?? [];
  const total = (pod.spec?.containers ?? []).length || cs.length;
  const readyN = cs.filter((c) => c.ready).length;
  const restarts = cs.reduce((n, c) => n + num(c.restartCount), 0);
  let reason: string = st.reason ?? st.phase ?? 'Unknown';
  for (const c of cs) {
    if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
    else if (c.state?.terminated) reason = c.state.terminated.reason ?? (c.state.terminated.exitCode ? 'Error' : 'Completed');
  }
  if (st.phase === 'Running' && cs.every((c) => c.state?.running || c.ready)) reason = 'Running';
  if (st.phase === 'Succeeded') reason = 'Completed';
  if (pod.metadata.deletionTimestamp) reason = 'Terminating';
  let icon = statusIcon(reason);
  if (reason === 'Running' && readyN < total) icon = ICON.progressing;
  return { status: reason, icon, ready: `${readyN}/${total}`, restarts };
}

function rsStatus(rs: Obj): { status: string; icon: string } {
  const want = num(rs.spec?.replicas);
  const have = num(rs.status?.replicas);
  const avail = num(rs.status?.availableReplicas);
  let status: string;
  if (want === 0 && have === 0) status = 'ScaledDown';
  else if (want === avail && have === want) status = 'Healthy';
  else status = 'Progressing';
  return { status, icon: statusIcon(status) };
}

const images = (tpl: any) => [...(tpl?.spec?.containers ?? []), ...(tpl?.spec?.initContainers ?? [])].map((c: any) => String(c.image));

export function replicaSetInfo(ro: Obj, rs: Obj, pods: Obj[]): ReplicaSetInfo {
  const hash = rs.metadata.labels?.[HASH_LABEL] ?? '';
  const st = ro.status ?? {};
  const canaryStrategy = !!ro.spec?.strategy?.canary;
  const bg = !!ro.spec?.strategy?.blueGreen;
  const stable = !!hash && hash === st.stableRS;
  const active = bg && !!hash && hash === st.blueGreen?.activeSelector;
  const rsPods = pods
    .filter((p) => ownedBy(p, rs.metadata.uid))
    .map((p) => ({ objectMeta: p.metadata, ...podStatus(p) }))
    .sort((a, b) => (a.objectMeta.name < b.objectMeta.name ? -1 : 1));
  return {
    objectMeta: rs.metadata,
    ...rsStatus(rs),
    revision: revisionOf(rs),
    stable,
    canary: canaryStrategy && !!hash && hash === st.currentPodHash && !stable,
    active,
    preview: bg && !!hash && hash === st.blueGreen?.previewSelector && !active,
    replicas: num(rs.status?.replicas),
    available: num(rs.status?.availableReplicas),
    scaleDownDeadline: rs.metadata.annotations?.['scale-down-deadline'],
    images: images(rs.spec?.template),
    pods: rsPods,
  };
}

/** Icons of AnalysisRun/Experiment/measurement phases. */
export function phaseIcon(phase: string): string {
  switch (phase) {
    case 'Pending':
      return ICON.waiting;
    case 'Running':
      return ICON.progressing;
    case 'Successful':
      return ICON.ok;
    case 'Failed':
      return ICON.bad;
    case 'Error':
    case 'Inconclusive':
      return ICON.warning;
    default:
      return ICON.unknown;
  }
}

export function analysisRunInfo(ar: Obj): AnalysisRunInfo {
  const status = ar.status?.phase || 'Pending';
  const info: AnalysisRunInfo = { objectMeta: ar.metadata, status, icon: phaseIcon(status), revision: revisionOf(ar), successful: 0, failed: 0, inconclusive: 0, error: 0, jobs: [] };
  for (const m of ar.status?.metricResults ?? []) {
    info.successful += num(m.successful);
    info.failed += num(m.failed);
    info.inconclusive += num(m.inconclusive);
    info.error += num(m.error);
    for (const me of m.measurements ?? []) {
      const job = me.metadata?.['job-name'];
      if (job) info.jobs.push({ objectMeta: { name: job, namespace: ar.metadata.namespace, creationTimestamp: me.startedAt }, status: me.phase, icon: phaseIcon(me.phase) });
    }
  }
  return info;
}

export function experimentInfo(ex: Obj, rel: Related): ExperimentInfo {
  const status = ex.status?.phase || 'Pending';
  const rss = rel.replicaSets.filter((rs) => ownedBy(rs, ex.metadata.uid)).map((rs) => ({ ...replicaSetInfo({ metadata: { name: '' } }, rs, rel.pods) }));
  return {
    objectMeta: ex.metadata,
    status,
    icon: phaseIcon(status),
    revision: revisionOf(ex),
    message: ex.status?.message,
    replicaSets: rss,
    analysisRuns: rel.analysisRuns.filter((a) => ownedBy(a, ex.metadata.uid)).map(analysisRunInfo),
  };
}

const byRevisionDesc = <T extends { revision: number; objectMeta: Meta }>(a: T, b: T) => b.revision - a.revision || (a.objectMeta.name < b.objectMeta.name ? -1 : 1);

/** Everything `get rollout` shows, from the rollout and the objects of its namespace. */
export function rolloutInfo(ro: Obj, rel: Related): RolloutInfo {
  const { status, message } = rolloutStatus(ro);
  const st = ro.status ?? {};
  const canary = ro.spec?.strategy?.canary;
  const replicaSets = rel.replicaSets.filter((rs) => ownedBy(rs, ro.metadata.uid)).map((rs) => replicaSetInfo(ro, rs, rel.pods)).sort(byRevisionDesc);
  const info: RolloutInfo = {
    objectMeta: ro.metadata,
    status,
    icon: statusIcon(status),
    message,
    strategy: ro.spec?.strategy?.blueGreen ? 'BlueGreen' : 'Canary',
    step: '',
    setWeight: '',
    actualWeight: '',
    ready: num(st.readyReplicas),
    current: num(st.replicas),
    desired: ro.spec?.replicas === undefined ? 1 : num(ro.spec.replicas),
    updated: num(st.updatedReplicas),
    available: num(st.availableReplicas),
    restartedAt: st.restartedAt ?? ro.spec?.restartAt ?? '',
    generation: String(st.observedGeneration ?? ''),
    containers: (ro.spec?.template?.spec?.containers ?? []).map((c: any) => ({ name: c.name, image: c.image })),
    initContainers: (ro.spec?.template?.spec?.initContainers ?? []).map((c: any) => ({ name: c.name, image: c.image })),
    replicaSets,
    experiments: rel.experiments.filter((e) => ownedBy(e, ro.metadata.uid)).map((e) => experimentInfo(e, rel)).sort(byRevisionDesc),
    analysisRuns: rel.analysisRuns.filter((a) => ownedBy(a, ro.metadata.uid)).map(analysisRunInfo).sort(byRevisionDesc),
    steps: canary?.steps ?? [],
  };
  if (canary) {
    const steps: any[] = canary.steps ?? [];
    if (steps.length && st.currentStepIndex !== undefined && st.currentStepIndex !== null) info.step = `${st.currentStepIndex}/${steps.length}`;
    info.setWeight = String(currentSetWeight(ro));
    info.actualWeight = '0';
    const { step } = currentStep(ro);
    if (!step) info.actualWeight = '100';
    else if (info.available > 0) {
      if (st.canary?.weights?.canary?.weight !== undefined) info.actualWeight = String(st.canary.weights.canary.weight);
      else if (!canary.trafficRouting) {
        const c = replicaSets.find((r) => r.canary);
        if (c) info.actualWeight = String(Math.floor((c.available * 100) / info.available));
      } else info.actualWeight = info.setWeight;
    }
  }
  return info;
}

export interface ImageInfo {
  image: string;
  tags: string[];
}

/** The images of the stable/canary/active/preview ReplicaSets that have pods, with their roles. */
export function rolloutImages(info: RolloutInfo): ImageInfo[] {
  const out: ImageInfo[] = [];
  // oldest revision first: the stable image, then the canary's
  for (const rs of [...info.replicaSets].reverse()) {
    if (!(rs.stable || rs.canary || rs.active || rs.preview) || rs.replicas === 0) continue;
    const tags = [rs.canary && 'canary', rs.stable && 'stable', rs.active && 'active', rs.preview && 'preview'].filter((t): t is string => !!t);
    for (const image of rs.images) {
      const seen = out.find((i) => i.image === image);
      if (!seen) out.push({ image, tags: [...tags] });
      else for (const t of tags) if (!seen.tags.includes(t)) seen.tags.push(t);
    }
  }
  return out;
}
