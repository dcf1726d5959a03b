/**
 * Resource health as Argo CD assesses it: built-in checks per kind (one file per kind), custom
 * Lua health from resource overrides (`resource.customizations.health.<group_kind>`), Argo's
 * order of badness for aggregating an app's health.
 */
import { runLua, LuaError } from '@flotilla/lua';
import type { HealthStatusCode, KubeObject } from '../types.js';
import { groupOf, health, str, type HealthStatus } from './common.js';
import { findOverride, healthScript, type ResourceOverridesLike } from './overrides.js';
import { deploymentHealth } from './deployment.js';
import { statefulSetHealth } from './statefulset.js';
import { daemonSetHealth } from './daemonset.js';
import { replicaSetHealth } from './replicaset.js';
import { podHealth } from './pod.js';
import { ingressHealth, serviceHealth } from './service.js';
import { pvcHealth } from './pvc.js';
import { cronJobHealth, jobHealth } from './job.js';
import { hpaHealth } from './hpa.js';
import { apiServiceHealth } from './apiservice.js';
import { analysisRunHealth, experimentHealth, rolloutHealth, workflowHealth } from './argo.js';

export type { HealthStatus } from './common.js';
export * from './overrides.js';
export { applicationHealth } from './argo.js';

/** Best to worst, as Argo CD orders them: an app's health is its worst resource's. */
export const HEALTH_ORDER: readonly HealthStatusCode[] = ['Healthy', 'Suspended', 'Progressing', 'Missing', 'Degraded', 'Unknown'];
const RANK = new Map(HEALTH_ORDER.map((c, i) => [c, i]));
const rank = (c: HealthStatusCode | undefined): number => (c === undefined ? -1 : RANK.get(c) ?? RANK.get('Unknown')!);

export function isHealthStatusCode(v: unknown): v is HealthStatusCode {
  return typeof v === 'string' && RANK.has(v as HealthStatusCode);
}

/** True when `next` is worse than `current`. */
export function isWorse(current: HealthStatusCode, next: HealthStatusCode): boolean {
  return rank(next) > rank(current);
}

/** The worst of `codes` (Healthy for none). */
export function worstHealth(codes: Iterable<HealthStatusCode | undefined>): HealthStatusCode {
  let worst: HealthStatusCode = 'Healthy';
  for (const c of codes) if (c !== undefined && rank(c) > rank(worst)) worst = c;
  return worst;
}

type Check = (o: KubeObject) => HealthStatus;
const BUILTIN = new Map<string, Check>([
  ['apps/Deployment', deploymentHealth],
  ['extensions/Deployment', deploymentHealth],
  ['apps/StatefulSet', statefulSetHealth],
  ['apps/DaemonSet', daemonSetHealth],
  ['extensions/DaemonSet', daemonSetHealth],
  ['apps/ReplicaSet', replicaSetHealth],
  ['extensions/ReplicaSet', replicaSetHealth],
  ['/Pod', podHealth],
  ['/Service', serviceHealth],
  ['/PersistentVolumeClaim', pvcHealth],
  ['networking.k8s.io/Ingress', ingressHealth],
  ['extensions/Ingress', ingressHealth],
  ['batch/Job', jobHealth],
  ['batch/CronJob', cronJobHealth],
  ['autoscaling/HorizontalPodAutoscaler', hpaHealth],
  ['apiregistration.k8s.io/APIService', apiServiceHealth],
  ['argoproj.io/Rollout', rolloutHealth],
  ['argoproj.io/Workflow', workflowHealth],
  ['argoproj.io/AnalysisRun', analysisRunHealth],
  ['argoproj.io/Experiment', experimentHealth],
]);

/** Group/kinds with a built-in assessment ("group/Kind", core as "/Kind"). */
export const BUILTIN_HEALTH_KINDS: readonly string[] = [...BUILTIN.keys()];

function isHook(o: KubeObject): boolean {
  const a = o.metadata?.annotations ?? {};
  return a['argocd.argoproj.io/hook'] !== undefined || a['helm.sh/hook'] !== undefined || (o.metadata?.finalizers ?? []).includes('argocd.argoproj.io/hook-finalizer');
}

/** The built-in assessment only (synchronous); undefined when the kind has none. */
export function builtinHealth(o: KubeObject): HealthStatus | undefined {
  const check = BUILTIN.get(`${groupOf(o)}/${str(o.kind)}`);
  if (!check) return undefined;
  try {
    return check(o);
  } catch (e) {
    return health('Unknown', `cannot assess the health of ${str(o.kind)} ${str(o.metadata?.name)}: ${(e as Error).message}`);
  }
}

export interface HealthOptions {
  overrides?: ResourceOverridesLike;
  timeoutMs?: number;
  memoryBytes?: number;
}

/** Runs a Lua health script (Argo's `obj` in, `hs` out); errors and bad output become Unknown. */
export async function luaHealth(o: KubeObject, script: { lua: string; useOpenLibs?: boolean }, opts: Omit<HealthOptions, 'overrides'> = {}): Promise<HealthStatus> {
  let out: unknown;
  try {
    out = await runLua(script.lua, { globals: { obj: o }, openLibs: script.useOpenLibs, timeoutMs: opts.timeoutMs, memoryBytes: opts.memoryBytes, chunkName: 'health.lua' });
  } catch (e) {
    return health('Unknown', e instanceof LuaError ? e.message : `health.lua: ${(e as Error).message}`);
  }
  if (out === null || typeof out !== 'object' || Array.isArray(out)) {
    return health('Unknown', `health.lua must return a table with a status (like hs = {status = "Healthy"}), not ${out === undefined ? 'nil' : Array.isArray(out) ? 'a list' : typeof out}`);
  }
  const hs = out as { status?: unknown; message?: unknown };
  if (!isHealthStatusCode(hs.status)) {
    return health('Unknown', `health.lua returned an invalid health status ${JSON.stringify(hs.status ?? null)} (expected one of ${HEALTH_ORDER.join(', ')})`);
  }
  const message = hs.message === undefined || hs.message === null ? '' : typeof hs.message === 'string' ? hs.message : JSON.stringify(hs.message);
  return health(hs.status, message);
}

/**
 * The health of `obj`: a Lua override for its group/kind first, then the built-in check;
 * undefined when the kind has neither (ConfigMaps, most CRDs). An object being deleted (and not a
 * hook) is Progressing "Pending deletion".
 */
export async function getHealth(o: KubeObject, opts: HealthOptions = {}): Promise<HealthStatus | undefined> {
  if (o === null || typeof o !== 'object') return health('Unknown', 'not a Kubernetes object');
  if (o.metadata?.deletionTimestamp && !isHook(o)) return health('Progressing', 'Pending deletion');
  const script = healthScript(findOverride(opts.overrides, groupOf(o), str(o.kind)));
  if (script) return luaHealth(o, script, opts);
  return builtinHealth(o);
}
