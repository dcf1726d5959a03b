/**
 * What both strategies share: the plan a reconcile carries out, the pod-template hash, spec
 * validation (InvalidSpec), conditions, replica counts, phase and message as upstream reports them.
 * Pure: the controller supplies the objects and the clock.
 */
import { computeHash, scaledValue } from '@flotilla/controllers';
import { HASH_LABEL, REVISION_ANNOTATION, rsView, type Condition, type ReplicaSet, type Rollout, type RolloutAnalysis, type RolloutStatus, type RSView, type Service } from './types.js';
import { validateRoutes, type HeaderRoute } from './canary/routes.js';
import type { EphemeralChange } from './metadata.js';

export interface AnalysisRunLike {
  metadata: { name?: string; labels?: Record<string, string>; creationTimestamp?: string };
  spec?: { terminate?: boolean };
  status?: { phase?: string; message?: string };
}

export interface PlanInput {
  rollout: Rollout;
  /** the ReplicaSets the Rollout controls */
  replicaSets: ReplicaSet[];
  /** the Services the strategy names, by name (missing: undefined) */
  services: Record<string, Service | undefined>;
  /** the AnalysisRuns the Rollout controls */
  analysisRuns?: AnalysisRunLike[];
  /** the Experiments the Rollout controls */
  experiments?: AnalysisRunLike[];
  /** the pods of its ReplicaSets (restartAt) */
  pods?: PodLike[];
  /** blue-green: the preview Service's ready endpoints are all pods of the new ReplicaSet */
  previewSettled?: boolean;
  now: Date;
}

export interface PodLike {
  metadata: { name?: string; creationTimestamp?: string; deletionTimestamp?: string; labels?: Record<string, string> };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

/** An AnalysisRun the rollout needs: the controller builds it from the templates. */
export interface WantedRun {
  name: string;
  /** step | background | pre | post */
  kind: 'step' | 'background' | 'pre' | 'post';
  analysis: RolloutAnalysis;
  podHash: string;
  stableHash?: string;
}

export interface Plan {
  newHash: string;
  /** a ReplicaSet to create (the current template's) */
  create?: { replicas: number; revision: number; /** antiAffinity: avoid the nodes of this (the stable) hash's pods */ antiAffinityTo?: string };
  /** spec.replicas changes */
  scale: { name: string; replicas: number }[];
  /** annotation changes (null removes) */
  annotate: { name: string; annotations: Record<string, string | null> }[];
  deleteRS: string[];
  /** Service selectors to point at a pod-template hash */
  services: { name: string; hash: string }[];
  runs: WantedRun[];
  /** AnalysisRuns to terminate (spec.terminate) */
  terminateRuns: string[];
  /** pods to evict (restartAt) */
  restartPods: string[];
  /** with a traffic router: the canary's share of requests */
  traffic?: { weight: number; headerRoutes?: HeaderRoute[] };
  /** role metadata (canaryMetadata …) to apply to ReplicaSets and their pods */
  ephemeral: EphemeralChange[];
  /** Experiments a canary `experiment` step needs (the controller builds them) */
  experiments: { name: string; step: Record<string, any>; podHash: string; stableHash?: string }[];
  terminateExperiments: string[];
  status: RolloutStatus;
  requeueAfterMs?: number;
  events: { type: 'Normal' | 'Warning'; reason: string; message: string }[];
}

export function emptyPlan(newHash: string, status: RolloutStatus): Plan {
  return { newHash, scale: [], annotate: [], deleteRS: [], services: [], runs: [], terminateRuns: [], restartPods: [], experiments: [], terminateExperiments: [], ephemeral: [], status, events: [] };
}

/** The pod template without the hash label, in canonical form (what the hash is computed from). */
export function podTemplateHash(ro: Rollout): string {
  const t = JSON.parse(JSON.stringify(ro.spec.template ?? {}));
  if (t.metadata?.labels) delete t.metadata.labels[HASH_LABEL];
  if (t.metadata) delete t.metadata.creationTimestamp;
  return computeHash(t, ro.status?.collisionCount);
}

export const replicasOf = (ro: Rollout) => (ro.spec.replicas === undefined || ro.spec.replicas === null ? 1 : Math.max(0, ro.spec.replicas));

export function resolveSurge(ro: Rollout, R: number): { maxSurge: number; maxUnavailable: number } {
  const c = ro.spec.strategy?.canary ?? {};
  const maxSurge = scaledValue(c.maxSurge, R, true, '25%');
  let maxUnavailable = scaledValue(c.maxUnavailable, R, false, '25%');
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable: Math.min(maxUnavailable, R) };
}

/** Duration "10", 10, "30s", "5m", "1h" → milliseconds (undefined when invalid). */
export function durationMs(d: unknown): number | undefined {
  if (typeof d === 'number') return d * 1000;
  if (typeof d !== 'string') return undefined;
  const m = /^(\d+)(s|m|h)?$/.exec(d.trim());
  if (!m) return undefined;
  return Number(m[1]) * ({ s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 's' | 'm' | 'h']);
}

// ----------------------------------------------------------------------------------- validation

const ROUTERS_SUPPORTED = ['nginx'];
const ROUTERS_KNOWN = ['istio', 'smi', 'alb', 'ambassador', 'traefik', 'apisix', 'appMesh', 'nginx', 'plugins', 'managedRoutes'];

/** a Service the strategy names that the controller looked up and did not find */
const missing = (services: Record<string, Service | undefined>, name: string) => Object.prototype.hasOwnProperty.call(services, name) && !services[name];

function labelsMatch(sel: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(sel).every(([k, v]) => labels[k] === v);
}

/**
 * Experiment template `weight` (traffic to the experiment's pods through the router): a percentage,
 * only with traffic routing (as upstream), and — as upstream documents it — only with routers that
 * split traffic among more than two destinations (SMI, ALB, Istio). The nginx router cannot:
 * ingress-nginx applies one canary Ingress per host and path, so a second canary for the
 * experiment's Service would be ignored by a real ingress-nginx. The step is refused rather than
 * its weight silently dropped.
 */
export function validateExperimentWeights(exp: unknown, field: string, tr: Record<string, unknown> | undefined): [string, unknown, string] | undefined {
  const templates = (exp as { templates?: { name?: string; weight?: unknown }[] } | undefined)?.templates ?? [];
  let total = 0;
  const weighted = templates.map((t, j) => [t, j] as const).filter(([t]) => t.weight !== undefined && t.weight !== null);
  for (const [t, j] of weighted) {
    if (typeof t.weight !== 'number' || !Number.isInteger(t.weight) || t.weight < 0 || t.weight > 100) return [`${field}.templates[${j}].weight`, t.weight, 'Experiment template weight needs to be an integer between 0 and 100'];
    total += t.weight;
  }
  if (total > 100) return [`${field}.templates`, total, 'the experiment templates\' weights add up to more than 100'];
  const [first, j] = weighted[0] ?? [];
  if (first && !tr) return [`${field}.templates[${j}].weight`, first.weight, 'Experiment template weight cannot be set unless TrafficRouting is enabled'];
  if (first && tr?.nginx)
    return [`${field}.templates[${j}].weight`, first.weight, 'Experiment template weight (traffic to the experiment\'s pods) is supported by upstream only with the SMI, ALB and Istio traffic routers; the nginx router cannot send it (ingress-nginx applies one canary Ingress per host and path, which carries the canary weight), and no other router is available in this installation. Remove the weight (the experiment runs without traffic from the router; templates[].service gives its pods a Service)'];
  return undefined;
}

/** The InvalidSpec message (upstream's field-error wording), or undefined when the spec is valid. */
export function validate(ro: Rollout, services: Record<string, Service | undefined> = {}): string | undefined {
  const name = ro.metadata.name;
  const inv = (field: string, value: unknown, why: string) => `The Rollout "${name}" is invalid: ${field}: Invalid value: ${JSON.stringify(value)}: ${why}`;
  const s = ro.spec;
  const sel = s.selector?.matchLabels;
  if (!s.selector || (!sel && !s.selector.matchExpressions)) return inv('spec.selector', s.selector ?? null, 'Rollout has missing field \'.spec.selector\'');
  const labels = s.template?.metadata?.labels ?? {};
  if (sel && !labelsMatch(sel, labels)) return inv('spec.template.metadata.labels', labels, '`selector` does not match template `labels`');
  if (!s.template?.spec?.containers?.length) return inv('spec.template.spec.containers', s.template?.spec?.containers ?? null, 'Rollout has no containers');
  const st = s.strategy ?? {};
  if (st.canary && st.blueGreen) return inv('spec.strategy', 'both', 'Multiple Strategies can not be listed');
  if (!st.canary && !st.blueGreen) return inv('spec.strategy', 'none', 'No strategy listed');
  if (s.replicas !== undefined && s.replicas < 0) return inv('spec.replicas', s.replicas, 'must be greater than or equal to 0');
  if (st.canary) {
    const c = st.canary;
    const { maxSurge, maxUnavailable } = { maxSurge: scaledValue(c.maxSurge, 100, true, '25%'), maxUnavailable: scaledValue(c.maxUnavailable, 100, false, '25%') };
    if (c.maxSurge !== undefined && c.maxUnavailable !== undefined && maxSurge === 0 && maxUnavailable === 0) return inv('spec.strategy.canary.maxSurge', c.maxSurge, 'MaxSurge and MaxUnavailable both can not be zero');
    for (const [i, step] of (c.steps ?? []).entries()) {
      const keys = Object.keys(step).filter((k) => (step as Record<string, unknown>)[k] !== undefined && (step as Record<string, unknown>)[k] !== null);
      const known = ['setWeight', 'pause', 'setCanaryScale', 'analysis', 'experiment', 'setHeaderRoute', 'setMirrorRoute', 'plugin'];
      const unknown = keys.filter((k) => !known.includes(k));
      if (unknown.length) return inv(`spec.strategy.canary.steps[${i}]`, unknown[0], 'unknown step field');
      // one action per step; a route step (setHeaderRoute, setMirrorRoute) may ride along, as upstream's examples do
      const actions = keys.filter((k) => !['setHeaderRoute', 'setMirrorRoute'].includes(k));
      if (!keys.length || actions.length > 1) return inv(`spec.strategy.canary.steps[${i}]`, keys, 'Step must have one of the following set: experiment, setWeight, setCanaryScale or pause');
      if (step.setWeight !== undefined && (typeof step.setWeight !== 'number' || step.setWeight < 0 || step.setWeight > 100)) return inv(`spec.strategy.canary.steps[${i}].setWeight`, step.setWeight, 'SetWeight needs to be between 0 and 100');
      if (step.pause?.duration !== undefined && durationMs(step.pause.duration) === undefined) return inv(`spec.strategy.canary.steps[${i}].pause.duration`, step.pause.duration, 'Pause duration needs to be an integer (seconds) or a duration string');
      const scale = step.setCanaryScale;
      if (scale && scale.weight !== undefined && (scale.weight < 0 || scale.weight > 100)) return inv(`spec.strategy.canary.steps[${i}].setCanaryScale.weight`, scale.weight, 'SetCanaryScale weight needs to be between 0 and 100');
      if (step.analysis && !step.analysis.templates?.length) return inv(`spec.strategy.canary.steps[${i}].analysis.templates`, [], 'must have at least one template');
      const expErr = validateExperimentWeights(step.experiment, `spec.strategy.canary.steps[${i}].experiment`, c.trafficRouting);
      if (expErr) return inv(...expErr);
    }
    if (c.canaryService && c.stableService && c.canaryService === c.stableService) return inv('spec.strategy.canary.stableService', c.stableService, 'This rollout uses the same service for the stable and canary services, but two different services are required.');
    const tr = c.trafficRouting;
    if (tr) {
      const routers = Object.keys(tr).filter((k) => ROUTERS_KNOWN.includes(k) && k !== 'managedRoutes');
      const unsupported = routers.filter((k) => !ROUTERS_SUPPORTED.includes(k));
      if (unsupported[0] === 'plugins') return inv('spec.strategy.canary.trafficRouting.plugins', Object.keys(tr.plugins ?? {}).join(','), 'traffic router plugins are not available in this installation (supported: nginx)');
      if (unsupported.length) return inv(`spec.strategy.canary.trafficRouting.${unsupported[0]}`, unsupported[0], 'traffic router not available in this installation (supported: nginx)');
      if (tr.nginx && !tr.nginx.stableIngress && !tr.nginx.stableIngresses?.length) return inv('spec.strategy.canary.trafficRouting.nginx.stableIngress', '', 'stableIngress or stableIngresses must be set');
      if (!c.canaryService || !c.stableService) return inv('spec.strategy.canary.trafficRouting', 'nginx', 'Invalid value for trafficRouting: canary service and stable service are required');
    }
    const routeErr = validateRoutes(c);
    if (routeErr) return inv(...routeErr);
    for (const [f, svc] of [['canaryService', c.canaryService], ['stableService', c.stableService]] as const) {
      if (svc && missing(services, svc)) return inv(`spec.strategy.canary.${f}`, svc, `service "${svc}" not found`);
    }
  }
  if (st.blueGreen) {
    const b = st.blueGreen;
    if (!b.activeService) return inv('spec.strategy.blueGreen.activeService', '', 'Active service must be set');
    if (b.activeService === b.previewService) return inv('spec.strategy.blueGreen.previewService', b.previewService, 'This rollout uses the same service for the active and preview services, but two different services are required.');
    if (b.autoPromotionSeconds !== undefined && b.autoPromotionEnabled === false) return inv('spec.strategy.blueGreen.autoPromotionSeconds', b.autoPromotionSeconds, 'autoPromotionSeconds can not be set if autoPromotionEnabled is false');
    for (const [f, svc] of [['activeService', b.activeService], ['previewService', b.previewService]] as const) {
      if (svc && missing(services, svc)) return inv(`spec.strategy.blueGreen.${f}`, svc, `service "${svc}" not found`);
    }
    if (b.previewReplicaCount !== undefined && b.previewReplicaCount < 0) return inv('spec.strategy.blueGreen.previewReplicaCount', b.previewReplicaCount, 'must be greater than or equal to 0');
  }
  return undefined;
}

// ----------------------------------------------------------------------------------- conditions

export function setCondition(conds: Condition[], c: Omit<Condition, 'lastUpdateTime' | 'lastTransitionTime'>, nowIso: string, touch = false): Condition[] {
  const cur = conds.find((x) => x.type === c.type);
  if (cur && cur.status === c.status && cur.reason === c.reason && cur.message === c.message && !touch) return conds;
  const next: Condition = {
    type: c.type,
    status: c.status,
    reason: c.reason,
    message: c.message,
    lastUpdateTime: nowIso,
    lastTransitionTime: cur && cur.status === c.status ? cur.lastTransitionTime ?? nowIso : nowIso,
  };
  return cur ? conds.map((x) => (x.type === c.type ? next : x)) : [...conds, next];
}

export const removeCondition = (conds: Condition[], type: string) => conds.filter((c) => c.type !== type);

// ----------------------------------------------------------------------------------- the shared context

/** What a strategy planner works with. */
export interface Ctx {
  ro: Rollout;
  R: number;
  now: Date;
  nowIso: string;
  newHash: string;
  /** the current template's ReplicaSet (a zero view when it does not exist yet) */
  newRS: RSView;
  newExists: boolean;
  stableHash?: string;
  stableRS?: RSView;
  /** the other ReplicaSets (neither the current template's nor the stable one) */
  others: RSView[];
  all: RSView[];
  services: Record<string, Service | undefined>;
  runs: AnalysisRunLike[];
  experiments: AnalysisRunLike[];
  pods: PodLike[];
  previewSettled: boolean;
  /** the template changed since the last reconcile (a new revision): steps start over */
  newRevision: boolean;
  plan: Plan;
  /** the ReplicaSet scales the plan ends with */
  target: Map<string, number>;
}

export function makeCtx(inp: PlanInput): Ctx {
  const ro = inp.rollout;
  const newHash = podTemplateHash(ro);
  const old = ro.status ?? {};
  const all = inp.replicaSets.filter((r) => !r.metadata.deletionTimestamp).map(rsView);
  const existing = all.find((r) => r.hash === newHash);
  const maxRev = Math.max(0, ...all.map((r) => r.revision));
  const newRS: RSView = existing ?? { name: `${ro.metadata.name}-${newHash}`, hash: newHash, replicas: 0, current: 0, ready: 0, available: 0, revision: maxRev + 1, created: inp.now.toISOString(), annotations: {} };
  let stableHash = old.stableRS;
  let stableRS = stableHash ? all.find((r) => r.hash === stableHash) : undefined;
  if (stableHash && !stableRS && stableHash !== newHash) stableHash = undefined; // its ReplicaSet is gone: start over
  if (stableHash === newHash) stableRS = existing;
  // rollbackWindow: back to a recent revision is a rollback too (fast path: steps and analysis skipped)
  if (existing && stableRS && stableHash !== newHash && old.currentPodHash !== newHash && withinRollbackWindow(ro.spec.rollbackWindow?.revisions, existing, stableRS, all)) {
    stableHash = newHash;
    stableRS = existing;
  }
  const status: RolloutStatus = JSON.parse(JSON.stringify(old));
  const plan = emptyPlan(newHash, status);
  const ctx: Ctx = {
    ro,
    R: replicasOf(ro),
    now: inp.now,
    nowIso: inp.now.toISOString().replace(/\.\d+Z$/, 'Z'),
    newHash,
    newRS,
    newExists: !!existing,
    stableHash,
    stableRS,
    others: all.filter((r) => r.hash !== newHash && r.hash !== stableHash),
    all,
    services: inp.services,
    runs: inp.analysisRuns ?? [],
    experiments: inp.experiments ?? [],
    pods: inp.pods ?? [],
    previewSettled: inp.previewSettled ?? true,
    newRevision: old.currentPodHash !== newHash,
    plan,
    target: new Map(all.map((r) => [r.name, r.replicas])),
  };
  // the current template's ReplicaSet carries the highest revision (a rollback to an older one bumps it)
  if (existing && all.some((r) => r !== existing && r.revision >= existing.revision)) {
    plan.annotate.push({ name: existing.name, annotations: { [REVISION_ANNOTATION]: String(maxRev + 1) } });
    existing.revision = maxRev + 1;
  }
  return ctx;
}

/**
 * Whether going back to `target` (an older ReplicaSet) is within `rollbackWindow.revisions`: fewer
 * than that many ReplicaSets lie between its revision and the stable one's.
 */
export function withinRollbackWindow(revisions: number | undefined, target: RSView, stable: RSView, all: RSView[]): boolean {
  if (!revisions || revisions <= 0 || target.revision >= stable.revision) return false;
  const between = all.filter((r) => r !== stable && r.revision > target.revision && r.revision < stable.revision).length;
  return between < revisions;
}

/** Asks for a ReplicaSet's spec.replicas (the new one is created when it does not exist). */
export function setScale(ctx: Ctx, rs: RSView, replicas: number): void {
  ctx.target.set(rs.name, replicas);
}

export const targetOf = (ctx: Ctx, rs: RSView | undefined) => (rs ? ctx.target.get(rs.name) ?? rs.replicas : 0);

/** Turns the targets into create/scale actions. */
export function emitScales(ctx: Ctx): void {
  const t = ctx.target.get(ctx.newRS.name);
  if (!ctx.newExists) {
    const anti = (ctx.ro.spec.strategy?.canary ?? ctx.ro.spec.strategy?.blueGreen)?.antiAffinity;
    const avoid = anti && ctx.stableHash && ctx.stableHash !== ctx.newHash ? { antiAffinityTo: ctx.stableHash } : {};
    if (t !== undefined) ctx.plan.create = { replicas: t, revision: ctx.newRS.revision, ...avoid };
  }
  for (const rs of ctx.all) {
    const want = ctx.target.get(rs.name);
    if (want !== undefined && want !== rs.replicas) ctx.plan.scale.push({ name: rs.name, replicas: want });
  }
}

/** Scaled-down ReplicaSets beyond revisionHistoryLimit (oldest first) are deleted. */
export function pruneHistory(ctx: Ctx): void {
  const limit = ctx.ro.spec.revisionHistoryLimit ?? 10;
  const idle = ctx.others.filter((r) => (ctx.target.get(r.name) ?? r.replicas) === 0 && r.current === 0).sort((a, b) => a.revision - b.revision);
  const extra = idle.length - limit;
  for (let i = 0; i < extra; i++) ctx.plan.deleteRS.push(idle[i].name);
}

/** Replica counts of the status (from the ReplicaSets' own status). */
export function replicaCounts(ctx: Ctx): Partial<RolloutStatus> {
  const sum = (f: (r: RSView) => number) => ctx.all.reduce((n, r) => n + f(r), 0);
  const sel = { ...(ctx.ro.spec.selector?.matchLabels ?? {}) };
  return {
    replicas: sum((r) => r.current),
    updatedReplicas: ctx.newExists ? ctx.newRS.current : 0,
    readyReplicas: sum((r) => r.ready),
    availableReplicas: sum((r) => r.available),
    HPAReplicas: sum((r) => r.current),
    selector: Object.entries(sel)
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
  };
}

/**
 * Look again when a deadline that starts now ends. The deadline is counted from what is stored (the
 * API's second-resolution time, `nowIso`, up to 1 s before `now`), as the next reconcile will count it:
 * `ms` after `now` would look up to a second after the stored deadline has passed.
 */
export function requeueFromNow(ctx: Ctx, ms: number): void {
  requeue(ctx, Date.parse(ctx.nowIso) + ms - ctx.now.getTime());
}

export function requeue(ctx: Ctx, ms: number): void {
  const p = ctx.plan;
  const v = Math.max(0, Math.ceil(ms));
  p.requeueAfterMs = p.requeueAfterMs === undefined ? v : Math.min(p.requeueAfterMs, v);
}

/** Status of an AnalysisRun by name ('' when it does not exist yet). */
export function runPhase(ctx: Ctx, name: string): { phase: string; message?: string } {
  const r = ctx.runs.find((x) => x.metadata.name === name);
  return r ? { phase: r.status?.phase || 'Pending', message: r.status?.message } : { phase: '' };
}

export const runName = (ro: Rollout, hash: string, suffix: string) => `${ro.metadata.name}-${hash}-${suffix}`;

/**
 * `spec.restartAt`: pods created before it are evicted one at a time while no other pod is
 * unavailable (at most maxUnavailable, at least one at a time); when none is left,
 * status.restartedAt = restartAt.
 */
export function planRestart(ctx: Ctx): void {
  const at = ctx.ro.spec.restartAt;
  const st = ctx.plan.status;
  if (!at || Number.isNaN(Date.parse(at))) return;
  const when = Date.parse(at);
  if (when > ctx.now.getTime()) {
    requeue(ctx, when - ctx.now.getTime());
    return;
  }
  if (st.restartedAt && Date.parse(st.restartedAt) >= when) return;
  const live = ctx.pods.filter((p) => !p.metadata.deletionTimestamp);
  const old = live.filter((p) => Date.parse(p.metadata.creationTimestamp ?? '') < when);
  if (!old.length) {
    st.restartedAt = at;
    return;
  }
  const ready = (p: PodLike) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  const unavailable = Math.max(0, ctx.R - live.filter(ready).length) + (ctx.pods.length - live.length);
  const { maxUnavailable } = resolveSurge(ctx.ro, ctx.R);
  if (unavailable >= Math.max(1, maxUnavailable)) return;
  ctx.plan.restartPods.push(old.sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)))[0].metadata.name!);
}
