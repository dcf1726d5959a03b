// The pod builder (pure): a Plan.podsToCreate entry + its workflow + the controller's configuration → the Pod
// object, in upstream's emissary layout (TEAM.md "Workflows pod shape"): init container `init` (argoexec init),
// `main` (the template's image, its command wrapped by `/var/run/argo/argoexec emissary --`), sidecar `wait`
// (argoexec wait), the `var-run-argo` emptyDir at /var/run/argo everywhere, ARGO_* env on every container.
import { parse as parseYaml } from 'yaml';
import type { Container, Template, Workflow } from './types.js';
import { API_VERSION } from './types.js';
import type { PodToCreate } from './operator/model.js';

export const LABEL_WORKFLOW = 'workflows.argoproj.io/workflow';
export const LABEL_COMPLETED = 'workflows.argoproj.io/completed';
export const LABEL_PHASE = 'workflows.argoproj.io/phase';
export const ANN_NODE_ID = 'workflows.argoproj.io/node-id';
export const ANN_NODE_NAME = 'workflows.argoproj.io/node-name';
export const DEFAULT_EXECUTOR_IMAGE = 'quay.io/argoproj/argoexec:latest';
export const VAR_RUN_ARGO = '/var/run/argo';
export const EMISSARY = `${VAR_RUN_ARGO}/argoexec`;
export const STAGING = '/argo/staging';
export const INPUT_ARTIFACTS = '/argo/inputs/artifacts';
export const SECRETS = '/argo/secret';
const NO_DEADLINE = '0001-01-01T00:00:00Z';

type Obj = Record<string, unknown>;
export interface EnvVar { name: string; value?: string; valueFrom?: unknown }
export interface VolumeMount { name: string; mountPath: string; subPath?: string; readOnly?: boolean }
export interface PodContainer extends Container {
  name: string;
  env?: EnvVar[];
  volumeMounts?: VolumeMount[];
}

/** The `executor` key of workflow-controller-configmap (a container template for init/wait). */
export interface ExecutorConfig {
  image?: string;
  imagePullPolicy?: string;
  resources?: unknown;
  env?: EnvVar[];
  args?: string[];
  securityContext?: unknown;
  serviceAccountName?: string;
  [k: string]: unknown;
}

export interface PodBuildConfig {
  /** `--executor-image`, else `executor.image`, else quay.io/argoproj/argoexec:latest */
  executorImage?: string;
  executor?: ExecutorConfig;
  /** configmap `images`: image → {command, args} (the command of an image a template gives none for) */
  images?: Record<string, { command?: string[]; cmd?: string[]; args?: string[]; entrypoint?: string[] }>;
  /** fallback when neither the template nor `images` says: the image's command from the image table */
  imageCommand?: (image: string) => string[] | undefined;
  /** the resolved artifact repository (ARGO_ARTIFACT_REPOSITORY) */
  artifactRepository?: unknown;
  /** when the pod must be done by (workflow/template deadline); default: now + activeDeadlineSeconds */
  now?: Date;
  /** ARGO_INCLUDE_SCRIPT_OUTPUT for non-script templates (the node's `result` is referenced somewhere) */
  includeScriptOutput?: boolean;
  /** controller instance id (label workflows.argoproj.io/controller-instanceid) */
  instanceID?: string;
}

export interface Pod {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: { name: string; namespace?: string; labels: Record<string, string>; annotations: Record<string, string>; ownerReferences: Obj[] };
  spec: Obj & { containers: PodContainer[]; initContainers: PodContainer[]; volumes: Obj[] };
}

export class PodBuildError extends Error {}

const lookupImage = (images: PodBuildConfig['images'], image: string) => {
  if (!images) return undefined;
  if (images[image]) return images[image];
  const noTag = image.replace(/(:[^/:]+)?(@.*)?$/, '');
  return images[noTag] ?? images[`${noTag}:latest`];
};

/** The command line of a container: its command (or the image's) followed by its args. */
export function commandLine(c: Container, cfg: PodBuildConfig): string[] {
  if (c.command?.length) return [...c.command, ...(c.args ?? [])];
  const image = c.image ?? '';
  const known = lookupImage(cfg.images, image);
  const cmd = known?.command ?? known?.entrypoint ?? known?.cmd ?? (cfg.imageCommand ?? knownImageCommand)(image);
  if (!cmd) throw new PodBuildError(`failed to look-up entrypoint/cmd for image "${image}", you must either explicitly specify the command, or list the image's command in the index: https://argo-workflows.readthedocs.io/en/latest/workflow-executors/#emissary-emissary`);
  return [...cmd, ...(c.args ?? known?.args ?? [])];
}

/** Parses a podSpecPatch (JSON or YAML text, or an object). */
function parsePatch(p: unknown, where: string): Obj | undefined {
  if (p === undefined || p === null || p === '') return undefined;
  if (typeof p === 'object') return p as Obj;
  try {
    const v = parseYaml(String(p)) as unknown;
    if (v === null || v === undefined) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Obj;
  } catch (e) {
    throw new PodBuildError(`${where}: invalid podSpecPatch: ${(e as Error).message}`);
  }
}

/** Strategic merge of a pod spec patch (containers/initContainers/volumes/env/volumeMounts merge by name). */
export function mergePodSpec(base: Obj, patch: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    const cur = out[k];
    if (v === null) delete out[k];
    else if (Array.isArray(v) && Array.isArray(cur) && BY_NAME.has(k)) out[k] = mergeByName(cur as Obj[], v as Obj[], k === 'volumeMounts' ? 'mountPath' : 'name');
    else if (isObj(v) && isObj(cur)) out[k] = mergePodSpec(cur, v);
    else out[k] = v;
  }
  return out;
}
const BY_NAME = new Set(['containers', 'initContainers', 'volumes', 'env', 'volumeMounts', 'ports', 'tolerations_']);
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
function mergeByName(base: Obj[], patch: Obj[], key: string): Obj[] {
  const out = base.map((x) => ({ ...x }));
  for (const p of patch) {
    const i = out.findIndex((x) => x[key] === p[key]);
    if (i >= 0) out[i] = mergePodSpec(out[i]!, p);
    else out.push(p);
  }
  return out;
}

/** Does any template of the workflow read `<step|task>.outputs.result`? (then every container captures stdout) */
export function resultReferenced(wf: Workflow): boolean {
  return /outputs\.result\b/.test(JSON.stringify(wf.spec.templates ?? []) + JSON.stringify(wf.status?.storedTemplates ?? {}) + JSON.stringify(wf.status?.storedWorkflowTemplateSpec ?? {}));
}

/**
 * Set on the `wait` container of a pod that has nothing for `wait` to report: a plain container with no outputs, no
 * `result` referenced, no sidecars to stop and no logs to archive. Flotilla's argoexec then waits for main in sh
 * and writes no task result (no Node.js start and no connection to the API: the largest part of such a pod's CPU;
 * the task result is the channel of outputs from the executor to the controller, and there are none), and the
 * controller completes
 * the node from the pod's status alone. The pod's deadline is the node agent's (activeDeadlineSeconds).
 * Set on the executor's `init` container too: the launcher it writes then runs main's command with the
 * container's own stdout and stderr, teeing nothing to files nobody reads (argoexec.sh). Never on main (its
 * environment is the user's).
 */
export const ENV_NOTHING_TO_REPORT = 'FLOTILLA_NOTHING_TO_REPORT';

function nothingToReport(p: PodToCreate, t: Template, spec: Workflow['spec'], cfg: PodBuildConfig, includeScript: boolean): boolean {
  if (p.kind !== 'container' || includeScript) return false;
  const outputs = t.outputs as { parameters?: unknown[]; artifacts?: unknown[]; result?: unknown } | undefined;
  if (outputs?.parameters?.length || outputs?.artifacts?.length || outputs?.result !== undefined) return false;
  if ((t.sidecars as unknown[] | undefined)?.length) return false;
  if (t.archiveLocation || spec.archiveLogs || (cfg.artifactRepository as { archiveLogs?: boolean } | undefined)?.archiveLogs) return false;
  return true;
}

/** Whether a pod's `wait` reports nothing (so its task result is not waited for). */
export function reportsNothing(pod: { spec?: { containers?: { name?: string; env?: { name: string; value?: string }[] }[] } }): boolean {
  return !!pod.spec?.containers?.find((c) => c.name === 'wait')?.env?.some((e) => e.name === ENV_NOTHING_TO_REPORT && e.value === 'true');
}

export function buildPod(p: PodToCreate, wf: Workflow, cfg: PodBuildConfig = {}): Pod {
  // the executor sees the template with its inputs bound (parameter values, artifact locations)
  const t: Template = p.inputs ? { ...p.template, inputs: { ...p.template.inputs, ...p.inputs } } : p.template;
  const spec = wf.spec;
  const wfName = wf.metadata.name ?? '';
  const executorImage = cfg.executorImage || cfg.executor?.image || DEFAULT_EXECUTOR_IMAGE;
  const now = cfg.now ?? new Date();
  let ads = p.activeDeadlineSeconds;
  if (spec.activeDeadlineSeconds !== undefined && !Number.isNaN(Number(spec.activeDeadlineSeconds))) {
    // the workflow's deadline bounds every pod (what is left of it)
    const start = wf.status?.startedAt ? Date.parse(wf.status.startedAt) : now.getTime();
    const left = (start + Number(spec.activeDeadlineSeconds) * 1000 - now.getTime()) / 1000;
    ads = ads === undefined ? left : Math.min(ads, left);
  }
  const deadline = ads !== undefined ? new Date(now.getTime() + ads * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') : NO_DEADLINE;
  const includeScript = p.kind === 'script' || p.kind === 'containerSet' || !!cfg.includeScriptOutput;

  const argoEnv = (container: string): EnvVar[] => {
    const env: EnvVar[] = [
      { name: 'ARGO_POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
      { name: 'ARGO_POD_UID', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.uid' } } },
      { name: 'ARGO_CONTAINER_NAME', value: container },
      { name: 'ARGO_TEMPLATE', value: JSON.stringify(t) },
      { name: 'ARGO_NODE_ID', value: p.nodeId },
      { name: 'ARGO_INCLUDE_SCRIPT_OUTPUT', value: String(includeScript) },
      { name: 'ARGO_DEADLINE', value: deadline },
      { name: 'ARGO_PROGRESS_FILE', value: `${VAR_RUN_ARGO}/progress` },
      { name: 'ARGO_WORKFLOW_NAME', value: wfName },
      { name: 'ARGO_WORKFLOW_UID', value: wf.metadata.uid ?? '' },
    ];
    if (cfg.artifactRepository !== undefined) env.push({ name: 'ARGO_ARTIFACT_REPOSITORY', value: JSON.stringify(cfg.artifactRepository) });
    return env;
  };
  const withEnv = (c: PodContainer, extraMounts: VolumeMount[] = []): PodContainer => {
    const own = (c.env ?? []).filter((e) => !e.name.startsWith('ARGO_'));
    const mounts = [...(c.volumeMounts ?? []), ...extraMounts];
    if (!mounts.some((m) => m.mountPath === VAR_RUN_ARGO)) mounts.push({ name: 'var-run-argo', mountPath: VAR_RUN_ARGO });
    return { ...c, env: [...own, ...argoEnv(c.name)], volumeMounts: mounts };
  };
  const emissary = (c: Container, name: string, extra: string[] = []): PodContainer => {
    const { args: _a, ...rest } = c;
    return { ...rest, name, command: [EMISSARY, 'emissary', '--', ...commandLine(c, cfg), ...extra] } as PodContainer;
  };
  const exec = cfg.executor ?? {};
  const executorContainer = (name: string, args: string[]): PodContainer => {
    const c: PodContainer = { name, image: executorImage, command: ['argoexec', ...args] };
    if (exec.imagePullPolicy) c.imagePullPolicy = exec.imagePullPolicy;
    if (exec.resources) c.resources = exec.resources;
    if (exec.securityContext) c.securityContext = exec.securityContext;
    if (exec.args?.length) c.args = exec.args;
    if (exec.env?.length) c.env = exec.env;
    return c;
  };

  const volumes: Obj[] = [{ name: 'var-run-argo', emptyDir: {} }];
  const initMounts: VolumeMount[] = [];
  const mainMounts: VolumeMount[] = [];
  if (p.kind === 'script') {
    volumes.push({ name: 'argo-staging', emptyDir: {} });
    initMounts.push({ name: 'argo-staging', mountPath: STAGING });
    mainMounts.push({ name: 'argo-staging', mountPath: STAGING });
  }
  const inArts = (p.inputs?.artifacts ?? t.inputs?.artifacts ?? []).filter((a) => a.path);
  if (inArts.length) {
    volumes.push({ name: 'input-artifacts', emptyDir: {} });
    initMounts.push({ name: 'input-artifacts', mountPath: INPUT_ARTIFACTS });
    for (const a of inArts) mainMounts.push({ name: 'input-artifacts', mountPath: a.path!, subPath: a.name });
  }
  // volumes of the workflow and template; volumeClaimTemplates become claims named <wf>-<name>
  const userVolumes: Obj[] = [...((spec.volumes ?? []) as Obj[]), ...((t.volumes as Obj[] | undefined) ?? [])];
  for (const v of (spec.volumeClaimTemplates ?? []) as { metadata?: { name?: string } }[]) {
    const n = v.metadata?.name;
    if (n) userVolumes.push({ name: n, persistentVolumeClaim: { claimName: `${wfName}-${n}` } });
  }
  for (const v of userVolumes) if (!volumes.some((x) => x.name === v.name)) volumes.push(v);
  // Secrets the artifact repository and the template's artifacts name are mounted into init and wait at
  // /argo/secret/<secret name>/<key> (upstream's layout: the executor needs no RBAC on Secrets). They are
  // optional: a workflow in a namespace without the repository's Secret still runs its pods (one that
  // needs the credentials fails in the executor naming the Secret, which it then reads through the API)
  const execMounts: VolumeMount[] = [];
  for (const secret of secretNames([cfg.artifactRepository, t.inputs?.artifacts, t.outputs?.artifacts, t.archiveLocation, t.data?.source])) {
    const vol = `argo-secret-${secret}`.slice(0, 63).replace(/[^a-z0-9-]/g, '-').replace(/-+$/, '');
    if (volumes.some((x) => x.name === vol)) continue;
    volumes.push({ name: vol, secret: { secretName: secret, optional: true } });
    execMounts.push({ name: vol, mountPath: `${SECRETS}/${secret}`, readOnly: true });
  }
  initMounts.push(...execMounts);

  const main: PodContainer[] = [];
  switch (p.kind) {
    case 'container':
      main.push(emissary({ ...t.container! }, 'main'));
      break;
    case 'script': {
      // the script file is appended to the args, as upstream does (`command: [python], args: [-u]` runs `python -u
      // SCRIPT`; `command: [sh, -c], args: [CMD]` runs CMD, the script path its $0)
      const { source: _s, args, ...c } = t.script!;
      main.push(emissary({ ...c, command: [...(c.command?.length ? c.command : ['sh']), ...(args ?? []), `${STAGING}/script`] }, 'main'));
      break;
    }
    case 'containerSet':
      for (const c of t.containerSet!.containers) {
        const { dependencies: _d, ...rest } = c;
        main.push({ ...emissary(rest, c.name ?? 'main'), volumeMounts: [...((rest.volumeMounts as VolumeMount[] | undefined) ?? []), ...((t.containerSet!.volumeMounts as VolumeMount[] | undefined) ?? [])] });
      }
      break;
    case 'resource':
      main.push({ ...executorContainer('main', ['resource', t.resource!.action]) });
      break;
    case 'data':
      main.push(executorContainer('main', ['data']));
      break;
    case 'http':
    case 'plugin':
      main.push(executorContainer('main', ['agent']));
      break;
  }
  const sidecars = ((t.sidecars as Container[] | undefined) ?? []).map((s) => {
    try {
      return emissary(s, s.name ?? 'sidecar');
    } catch {
      return { ...s, name: s.name ?? 'sidecar' } as PodContainer;
    }
  });
  const userInit = ((t.initContainers as PodContainer[] | undefined) ?? []).map((c) => withEnv(c));

  const labels: Record<string, string> = {
    ...((spec.podMetadata as { labels?: Record<string, string> } | undefined)?.labels ?? {}),
    ...(t.metadata?.labels ?? {}),
    [LABEL_WORKFLOW]: wfName,
    [LABEL_COMPLETED]: 'false',
  };
  if (cfg.instanceID) labels['workflows.argoproj.io/controller-instanceid'] = cfg.instanceID;
  const annotations: Record<string, string> = {
    ...((spec.podMetadata as { annotations?: Record<string, string> } | undefined)?.annotations ?? {}),
    ...(t.metadata?.annotations ?? {}),
    [ANN_NODE_ID]: p.nodeId,
    [ANN_NODE_NAME]: p.nodeName,
  };
  if (p.templateName) annotations['workflows.argoproj.io/template'] = JSON.stringify({ name: p.templateName });

  const wait = withEnv(executorContainer('wait', ['wait']), execMounts);
  const init = withEnv(executorContainer('init', ['init']), initMounts);
  if (nothingToReport(p, t, spec, cfg, includeScript)) {
    for (const c of [wait, init]) c.env = [...(c.env ?? []), { name: ENV_NOTHING_TO_REPORT, value: 'true' }];
  }
  let podSpec: Obj = {
    restartPolicy: 'Never',
    initContainers: [init, ...userInit],
    // a data or resource template's main is the executor itself: it reads the artifacts' Secrets as init and wait do
    containers: [wait, ...main.map((c, i) => withEnv(c, [...(i === 0 || p.kind === 'containerSet' ? mainMounts : []), ...(p.kind === 'data' || p.kind === 'resource' ? execMounts : [])])), ...sidecars.map((c) => withEnv(c))],
    volumes,
  };
  const sa = p.serviceAccountName ?? t.serviceAccountName ?? spec.serviceAccountName;
  if (sa) podSpec.serviceAccountName = sa;
  const automount = t.automountServiceAccountToken ?? spec.automountServiceAccountToken;
  if (automount !== undefined) podSpec.automountServiceAccountToken = automount;
  const execSA = (t.executor as { serviceAccountName?: string } | undefined)?.serviceAccountName ?? (spec.executor as { serviceAccountName?: string } | undefined)?.serviceAccountName ?? exec.serviceAccountName;
  if (execSA && !sa) podSpec.serviceAccountName = execSA; // the executor's identity when the workflow names none
  const pick = (k: string) => (t[k] !== undefined ? t[k] : spec[k]);
  for (const k of ['nodeSelector', 'tolerations', 'affinity', 'priorityClassName', 'schedulerName', 'securityContext', 'hostAliases', 'dnsConfig', 'dnsPolicy', 'imagePullSecrets', 'hostNetwork', 'runtimeClassName', 'terminationGracePeriodSeconds']) {
    const v = k === 'terminationGracePeriodSeconds' || k === 'runtimeClassName' || k === 'dnsConfig' || k === 'dnsPolicy' || k === 'hostAliases' || k === 'imagePullSecrets' || k === 'hostNetwork' ? spec[k] ?? t[k] : pick(k);
    if (v !== undefined && v !== null) podSpec[k] = v;
  }
  if (t.priority !== undefined) podSpec.priority = t.priority;
  if (p.affinity) podSpec.affinity = mergeAffinity(podSpec.affinity as Obj | undefined, p.affinity as Obj);
  if (ads !== undefined) podSpec.activeDeadlineSeconds = Math.max(1, Math.ceil(ads));
  for (const [where, patch] of [['spec.podSpecPatch', p.podSpecPatch ?? spec.podSpecPatch], [`templates.${p.templateName ?? ''}.podSpecPatch`, t.podSpecPatch]] as const) {
    const parsed = parsePatch(patch, where);
    if (parsed) podSpec = mergePodSpec(podSpec, parsed);
  }

  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.podName,
      ...(wf.metadata.namespace ? { namespace: wf.metadata.namespace } : {}),
      labels,
      annotations,
      ownerReferences: [{ apiVersion: API_VERSION, kind: 'Workflow', name: wfName, uid: wf.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }],
    },
    spec: podSpec as Pod['spec'],
  };
}

/** The PersistentVolumeClaims of a workflow's volumeClaimTemplates (named `<wf>-<name>`, owned by the workflow). */
/** The PersistentVolumeClaims of a workflow's volumeClaimTemplates, each with the volume name its pods mount it by. */
export function claimsOf(wf: Workflow): (Obj & { volumeName: string })[] {
  const wfName = wf.metadata.name ?? '';
  return ((wf.spec.volumeClaimTemplates ?? []) as { metadata?: { name?: string; labels?: Record<string, string> }; spec?: unknown }[])
    .filter((v) => v.metadata?.name)
    .map((v) => ({
      volumeName: v.metadata!.name!,
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name: `${wfName}-${v.metadata!.name}`,
        namespace: wf.metadata.namespace,
        labels: { ...(v.metadata!.labels ?? {}), [LABEL_WORKFLOW]: wfName },
        ownerReferences: [{ apiVersion: API_VERSION, kind: 'Workflow', name: wfName, uid: wf.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }],
      },
      spec: v.spec,
    }));
}

/**
 * The command of well-known images (their ENTRYPOINT/CMD as the node agent's image table runs them), for
 * templates that give only `args` and images the configmap's `images` does not list.
 */
const KNOWN_IMAGE_COMMANDS: Record<string, string[]> = {
  'argoproj/argosay': ['/argosay'],
  'docker/whalesay': ['cowsay'],
  busybox: ['sh'], alpine: ['sh'], debian: ['bash'], ubuntu: ['bash'], golang: ['bash'],
  python: ['python3'], node: ['node'],
  'curlimages/curl': ['curl'], 'stedolan/jq': ['jq'], 'alpine/git': ['git'], 'bitnami/kubectl': ['kubectl'],
  nginx: ['nginx', '-g', 'daemon off;'],
  'quay.io/argoproj/argoexec': ['argoexec'], 'flotilla/flotilla': ['flotilla'],
  'quay.io/argoproj/argocli': ['argo'], 'argoproj/argocli': ['argo'],
};

/** `docker.io/library/busybox:1.36` → `busybox`. */
export function imageRepo(image: string): string {
  let r = image.trim().split('@')[0]!.toLowerCase();
  const slash = r.lastIndexOf('/');
  const colon = r.lastIndexOf(':');
  if (colon > slash) r = r.slice(0, colon);
  for (const p of ['docker.io/', 'index.docker.io/', 'registry-1.docker.io/']) if (r.startsWith(p)) r = r.slice(p.length);
  if (r.startsWith('library/')) r = r.slice(8);
  return r;
}

export function knownImageCommand(image: string): string[] | undefined {
  return KNOWN_IMAGE_COMMANDS[imageRepo(image)];
}

/** Names of the Secrets referenced (`{name, key}` under a key ending in `Secret`) anywhere in the given values. */
export function secretNames(values: unknown[]): string[] {
  const out = new Set<string>();
  const walk = (v: unknown, key: string) => {
    if (Array.isArray(v)) return v.forEach((x) => walk(x, ''));
    if (!v || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    if (/Secret$/.test(key) && typeof o.name === 'string' && o.name) out.add(o.name);
    for (const [k, x] of Object.entries(o)) walk(x, k);
  };
  for (const v of values) walk(v, '');
  return [...out];
}

/** A retry attempt's node affinity added to the template's: its required terms each get the attempt's expressions. */
function mergeAffinity(base: Obj | undefined, extra: Obj): Obj {
  type Term = { matchExpressions?: unknown[] };
  type NA = { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: Term[] } };
  const add = (extra.nodeAffinity as NA).requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms?.[0]?.matchExpressions ?? [];
  const baseNA = (base?.nodeAffinity ?? {}) as NA & Obj;
  const terms = baseNA.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  const merged = terms.length ? terms.map((t) => ({ ...t, matchExpressions: [...(t.matchExpressions ?? []), ...add] })) : [{ matchExpressions: add }];
  return { ...(base ?? {}), nodeAffinity: { ...baseNA, requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: merged } } };
}
