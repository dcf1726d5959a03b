/**
 * What the commands need from Argo, behind one interface with two implementations: the Kubernetes API
 * (kube.ts, the default, as upstream's "Kubernetes API mode") and argo-server's REST API (rest.ts, when
 * ARGO_SERVER is set). Kinds are addressed by a short name: workflows, workflowtemplates,
 * clusterworkflowtemplates, cronworkflows.
 */
import type { Workflow } from '@flotilla/workflows-controller';
import { CliError, kubeClient, namespaceOf, onCleanup, serverMode } from './session.js';

export type Kind = 'workflows' | 'workflowtemplates' | 'clusterworkflowtemplates' | 'cronworkflows';

export const KINDS: Record<Kind, { kind: string; namespaced: boolean }> = {
  workflows: { kind: 'Workflow', namespaced: true },
  workflowtemplates: { kind: 'WorkflowTemplate', namespaced: true },
  clusterworkflowtemplates: { kind: 'ClusterWorkflowTemplate', namespaced: false },
  cronworkflows: { kind: 'CronWorkflow', namespaced: true },
};

export const kindOf = (k: string): Kind | undefined => (Object.keys(KINDS) as Kind[]).find((x) => KINDS[x].kind === k);

export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
}

export interface LogOptions {
  container: string;
  follow?: boolean;
  sinceSeconds?: number;
  sinceTime?: string;
  tailLines?: number;
  timestamps?: boolean;
  grep?: string;
  previous?: boolean;
  /** -l: only the pods with these labels */
  selector?: string;
}

export interface LogLine {
  podName: string;
  content: string;
  /** RFC 3339 time of the line, when known (to merge pods' lines in time order) */
  time?: string;
}

export interface SubmitOpts {
  entryPoint?: string;
  parameters?: string[];
  serviceAccount?: string;
  generateName?: string;
  name?: string;
  labels?: string;
  dryRun?: boolean;
  serverDryRun?: boolean;
  priority?: number;
}

export interface Backend {
  readonly mode: 'kube' | 'server';
  /** the namespace of the command (-n, the kubeconfig's, ARGO_NAMESPACE) */
  readonly namespace: string;
  create(kind: Kind, ns: string, obj: any, o?: { serverDryRun?: boolean }): Promise<any>;
  list(kind: Kind, ns: string, q?: ListQuery): Promise<any[]>;
  get(kind: Kind, ns: string, name: string): Promise<any>;
  delete(kind: Kind, ns: string, name: string): Promise<void>;
  /** replaces an object (`template|cluster-template|cron update`): the body carries the current resourceVersion */
  update(kind: Kind, ns: string, obj: any): Promise<any>;
  /** calls onWf at every change (the first call: the current state) until it returns true or the signal aborts */
  watchWorkflow(ns: string, name: string, onWf: (wf: Workflow) => boolean | void, signal: AbortSignal): Promise<void>;
  /** lifecycle actions on a workflow (`argo retry|resubmit|suspend|resume|stop|terminate`) */
  action(action: Action, ns: string, name: string, o?: ActionOpts): Promise<Workflow>;
  /** a workflow from a WorkflowTemplate / ClusterWorkflowTemplate / CronWorkflow */
  submitFrom(kind: Kind, ns: string, name: string, o: SubmitOpts): Promise<Workflow>;
  /** the lines of a workflow's pods (all, or one), in order; follows with o.follow until the workflow completes */
  logs(ns: string, workflow: string, pod: string | undefined, o: LogOptions, onLine: (l: LogLine) => void, signal: AbortSignal): Promise<void>;
  cronAction(action: 'suspend' | 'resume', ns: string, name: string): Promise<any>;
  /** server-side lint (server mode); undefined when the CLI lints locally */
  lint?(kind: Kind, ns: string, obj: any): Promise<string | undefined>;
  /** GET on argo-server (archive, version, userinfo); server mode only */
  raw?(method: string, path: string, body?: unknown): Promise<any>;
  /** the token the CLI authenticates with */
  token(): Promise<string | undefined>;
}

export type Action = 'retry' | 'resubmit' | 'suspend' | 'resume' | 'stop' | 'terminate' | 'set';

export interface ActionOpts {
  /** `argo node set`: the nodes' new phase, message, output parameters (suspend nodes) */
  phase?: string;
  outputParameters?: Record<string, string>;
  nodeFieldSelector?: string;
  restartSuccessful?: boolean;
  memoized?: boolean;
  parameters?: string[];
  message?: string;
}

let cached: Backend | undefined;

/** The backend for the command's flags (one per process). */
export async function backend(o: Record<string, any>): Promise<Backend> {
  if (cached) return cached;
  const ns = namespaceOf(o);
  onCleanup(() => (cached = undefined));
  if (serverMode(o)) {
    const { RestBackend } = await import('./rest.js');
    cached = new RestBackend(o, ns);
  } else {
    const { KubeBackend } = await import('./kube.js');
    cached = new KubeBackend(await kubeClient(o), ns, o);
  }
  return cached;
}

/** Resolves `@latest` to the newest workflow's name in the namespace. */
export async function resolveName(b: Backend, ns: string, name: string): Promise<string> {
  if (name !== '@latest') return name;
  const wfs = await b.list('workflows', ns);
  if (!wfs.length) throw new CliError('No workflows found');
  wfs.sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') || (b.metadata.name ?? '').localeCompare(a.metadata.name ?? ''));
  return wfs[0].metadata.name;
}

/** "k=v" pairs → {k: v}; a pair without "=" is an error as upstream's. */
export function parsePairs(pairs: string[], what = 'parameter'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new CliError(`Expected ${what} of the form: NAME=VALUE. Received: ${p}`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

/** A 404 from the Kubernetes API or argo-server (the error's status/code, else its message). */
export function isNotFound(e: unknown): boolean {
  const x = e as { status?: number; code?: number; message?: string };
  if (x?.status === 404 || x?.code === 404) return true;
  return /\bnot found$/.test(x?.message ?? '');
}

export function isCompletedPhase(p: string | undefined): boolean {
  return p === 'Succeeded' || p === 'Failed' || p === 'Error';
}

/** A node predicate from a field selector (`displayName=a,phase!=Succeeded`, `templateRef.name=x`, `inputs.parameters.p.value=v`). */
export function nodeSelector(sel: string | undefined): ((n: any) => boolean) | undefined {
  if (!sel) return undefined;
  const terms = sel.split(',').map((t) => {
    const m = /^([^!=]+)(!=|==|=)(.*)$/.exec(t.trim());
    if (!m) throw new CliError(`invalid node field selector: ${t}`);
    return { path: m[1], neg: m[2] === '!=', value: m[3] };
  });
  const field = (n: any, path: string): string => {
    const p = /^inputs\.parameters\.(.+)\.value$/.exec(path);
    if (p) return n.inputs?.parameters?.find((x: any) => x.name === p[1])?.value ?? '';
    let v: any = n;
    for (const k of path.split('.')) v = v?.[k];
    return v === undefined || v === null ? '' : String(v);
  };
  return (n) => terms.every((t) => (field(n, t.path) === t.value) !== t.neg);
}
