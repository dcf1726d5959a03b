// workflow-controller-configmap → the controller's configuration (pure). Every key holds YAML text as upstream
// (`parallelism: "10"`, `executor: |\n  image: …`); the legacy single `config` key holds them all. A value that does
// not parse is an error naming the key: the controller keeps its last good configuration and logs it.
import { parse as parseYaml } from 'yaml';
import type { WorkflowSpec } from './types.js';
import type { ExecutorConfig } from './pod.js';

export interface WorkflowControllerConfig {
  parallelism?: number;
  namespaceParallelism?: number;
  executor?: ExecutorConfig;
  images?: Record<string, { command?: string[]; args?: string[] }>;
  workflowDefaults?: { metadata?: Record<string, unknown>; spec?: WorkflowSpec };
  artifactRepository?: Record<string, unknown>;
  instanceID?: string;
  /** podGC settings of the controller (upstream: `podGCGracePeriodSeconds`, `podGCDeleteDelayDuration`) */
  podGCGracePeriodSeconds?: number;
  podGCDeleteDelayDuration?: string;
  retentionPolicy?: { completed?: number; failed?: number; errored?: number };
  nodeEvents?: { enabled?: boolean; sendAsPod?: boolean };
  metricsConfig?: { enabled?: boolean; path?: string; port?: number };
  links?: unknown[];
  persistence?: unknown;
  sso?: unknown;
  namespace?: string;
  /** keys Flotilla reads but does not act on, or does not know */
  [k: string]: unknown;
}

const NUMBER_KEYS = new Set(['parallelism', 'namespaceParallelism', 'podGCGracePeriodSeconds']);
const OBJECT_KEYS = new Set(['executor', 'images', 'workflowDefaults', 'artifactRepository', 'retentionPolicy', 'nodeEvents', 'metricsConfig', 'persistence', 'sso', 'mainContainer', 'kubeConfig', 'workflowRestrictions', 'initialDelay', 'podSpecLogStrategy', 'resourceRateLimit', 'synchronization', 'artifactRepositoryRef']);
const LIST_KEYS = new Set(['links', 'columns', 'navColor']);

export class ConfigError extends Error {}

/** Parses the ConfigMap's data; throws ConfigError naming the first bad key. */
export function parseControllerConfig(data: Record<string, string> | undefined): WorkflowControllerConfig {
  const out: WorkflowControllerConfig = {};
  let entries = Object.entries(data ?? {});
  if (data?.config !== undefined) {
    const whole = parseKey('config', data.config);
    if (whole !== null && (typeof whole !== 'object' || Array.isArray(whole))) throw new ConfigError('config: expected a map of settings');
    entries = [...Object.entries((whole ?? {}) as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)] as [string, string]), ...entries.filter(([k]) => k !== 'config')];
  }
  for (const [k, raw] of entries) {
    const v = parseKey(k, raw);
    if (v === null || v === undefined || v === '') continue;
    if (NUMBER_KEYS.has(k)) {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new ConfigError(`${k}: expected a non-negative number, got ${JSON.stringify(raw)}`);
      out[k] = n;
    } else if (OBJECT_KEYS.has(k)) {
      if (typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(`${k}: expected a map, got ${JSON.stringify(raw).slice(0, 80)}`);
      out[k] = v;
    } else if (LIST_KEYS.has(k)) {
      out[k] = v;
    } else out[k] = v;
  }
  if (out.images) {
    for (const [img, spec] of Object.entries(out.images)) {
      if (!spec || typeof spec !== 'object' || (spec.command !== undefined && !Array.isArray(spec.command))) throw new ConfigError(`images: ${img}: expected {command: [..]}`);
    }
  }
  if (out.executor && out.executor.image !== undefined && typeof out.executor.image !== 'string') throw new ConfigError('executor.image: expected a string');
  return out;
}

function parseKey(k: string, raw: string): unknown {
  try {
    return parseYaml(raw);
  } catch (e) {
    throw new ConfigError(`${k}: ${(e as Error).message.split('\n')[0]}`);
  }
}

/**
 * The artifact repository of a workflow, as upstream resolves it: `spec.artifactRepositoryRef` (ConfigMap, default
 * `artifact-repositories`, and key, default the ConfigMap's `workflows.argoproj.io/default-artifact-repository`
 * annotation), else the namespace's `artifact-repositories` ConfigMap with that annotation, else the controller's
 * `artifactRepository`. Returns the repository and the ref to record in status.artifactRepositoryRef.
 */
export function resolveArtifactRepository(
  ref: { configMap?: string; key?: string } | undefined,
  namespace: string,
  getConfigMap: (name: string) => { data?: Record<string, string>; metadata?: { annotations?: Record<string, string> } } | undefined,
  controllerDefault: Record<string, unknown> | undefined,
): { repository?: Record<string, unknown>; ref?: Record<string, unknown>; error?: string } {
  const cmName = ref?.configMap ?? 'artifact-repositories';
  const cm = getConfigMap(cmName);
  if (ref && !cm) return { error: `error getting artifact repository: configmap ${namespace}/${cmName} not found` };
  if (cm) {
    const key = ref?.key ?? cm.metadata?.annotations?.['workflows.argoproj.io/default-artifact-repository'];
    if (key) {
      const text = cm.data?.[key];
      if (text === undefined) return { error: `error getting artifact repository: config map ${namespace}/${cmName} has no key "${key}"` };
      try {
        const repo = parseYaml(text) as Record<string, unknown>;
        return { repository: repo ?? {}, ref: { configMap: cmName, key, namespace, artifactRepository: repo ?? {} } };
      } catch (e) {
        return { error: `error getting artifact repository: ${namespace}/${cmName} key ${key}: ${(e as Error).message}` };
      }
    }
  }
  if (controllerDefault && Object.keys(controllerDefault).length) return { repository: controllerDefault, ref: { default: true, artifactRepository: controllerDefault } };
  return {};
}

/**
 * `retentionPolicy: {completed, failed, errored}`: the finished workflows of one namespace beyond the limits, oldest
 * first (Succeeded count against `completed`, Failed against `failed`, Error against `errored`).
 */
export function retentionVictims(workflows: { metadata?: { name?: string; creationTimestamp?: string }; status?: { phase?: string; finishedAt?: string } }[], policy: WorkflowControllerConfig['retentionPolicy']): string[] {
  if (!policy) return [];
  const out: string[] = [];
  for (const [phase, limit] of [['Succeeded', policy.completed], ['Failed', policy.failed], ['Error', policy.errored]] as const) {
    if (limit === undefined || limit === null || !Number.isFinite(Number(limit))) continue;
    const done = workflows
      .filter((w) => w.status?.phase === phase)
      .sort((a, b) => String(b.status?.finishedAt ?? b.metadata?.creationTimestamp ?? '').localeCompare(String(a.status?.finishedAt ?? a.metadata?.creationTimestamp ?? '')));
    out.push(...done.slice(Number(limit)).map((w) => w.metadata?.name ?? '').filter(Boolean));
  }
  return out;
}
