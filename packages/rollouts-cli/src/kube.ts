/**
 * The plugin's connection to the cluster: kubectl's kubeconfig rules (--kubeconfig, $KUBECONFIG,
 * ~/.kube/config, in-cluster; --context; the context's namespace unless -n), the Argo Rollouts
 * resources, and reading a rollout with everything `get rollout` shows.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ApiError, KubeClient, R, inClusterConfig, kubeconfigFromText, type Resource } from '@flotilla/kube-runtime';
import type { Obj, Related } from './info.js';

const argo = (plural: string, kind: string, namespaced = true): Resource => ({ group: 'argoproj.io', version: 'v1alpha1', plural, kind, namespaced });

export const RO = {
  rollouts: argo('rollouts', 'Rollout'),
  experiments: argo('experiments', 'Experiment'),
  analysisruns: argo('analysisruns', 'AnalysisRun'),
  analysistemplates: argo('analysistemplates', 'AnalysisTemplate'),
  clusteranalysistemplates: argo('clusteranalysistemplates', 'ClusterAnalysisTemplate', false),
} as const;

/** A failure the plugin reports as `Error: <message>` with exit code 1, as upstream's cobra commands do. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code = 1,
  ) {
    super(message);
  }
}

export interface GlobalOpts {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

export interface Session {
  client: KubeClient;
  /** -n, else the context's namespace, else "default" */
  namespace: string;
}

function kubeconfigPath(o: GlobalOpts): string | undefined {
  const paths = o.kubeconfig ? [o.kubeconfig] : (process.env.KUBECONFIG ?? '').split(':').filter(Boolean);
  if (!paths.length) paths.push(join(process.env.HOME ?? homedir(), '.kube', 'config'));
  for (const p of paths) if (existsSync(p)) return p;
  if (o.kubeconfig) throw new CliError(`stat ${o.kubeconfig}: no such file or directory`);
  return undefined;
}

const unquote = (v: string) => v.trim().replace(/^(["'])(.*)\1$/, '$2');

/**
 * The current context's name and namespace from a block-style kubeconfig (what kubectl and
 * `flotilla up` write) without a YAML library (~100 ms to load); undefined when the text is in
 * another style, so that the caller parses it fully.
 */
export function quickContext(text: string, context?: string): { name: string; namespace?: string } | undefined {
  const lines = text.split(/\r?\n/);
  const cur = context ?? /^current-context:[ \t]*(.*)$/m.exec(text)?.[1];
  if (!cur) return undefined;
  const name = unquote(cur);
  const start = lines.findIndex((l) => /^contexts:\s*$/.test(l));
  if (start < 0) return undefined;
  let item: string[] = [];
  const items: string[][] = [];
  for (const l of lines.slice(start + 1)) {
    if (/^\S/.test(l) && !l.startsWith('-')) break;
    if (/^\s*#/.test(l) || !l.trim()) continue;
    if (/^\s{0,2}- /.test(l)) {
      if (item.length) items.push(item);
      item = [l.replace(/^(\s*)- /, '$1  ')];
    } else item.push(l);
  }
  if (item.length) items.push(item);
  for (const it of items) {
    if (it.some((l) => /[{}[\]]/.test(l.split('#')[0]))) return undefined;
    const base = it[0].length - it[0].trimStart().length;
    const own = (k: string) => it.find((l) => l.length - l.trimStart().length === base && l.trimStart().startsWith(`${k}:`));
    const n = own('name');
    if (!n || unquote(n.trimStart().slice(5)) !== name) continue;
    const ns = it.find((l) => l.length - l.trimStart().length > base && /^\s*namespace:/.test(l));
    return { name, namespace: ns ? unquote(ns.trimStart().slice(10)) || undefined : undefined };
  }
  return context ? undefined : { name };
}

/**
 * The client and namespace: the kubeconfig (kube-runtime parses it), the chosen context (--context
 * rewrites current-context) and its namespace (quickContext, or the `yaml` library for other styles).
 */
export async function session(o: GlobalOpts): Promise<Session> {
  const path = kubeconfigPath(o);
  if (!path) {
    const ic = inClusterConfig();
    if (!ic) throw new CliError('invalid configuration: no configuration has been provided, try setting KUBERNETES_MASTER environment variable');
    let ns = 'default';
    try {
      ns = readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8').trim() || 'default';
    } catch {
      /* default */
    }
    return { client: new KubeClient(ic), namespace: o.namespace || ns };
  }
  let text = readFileSync(path, 'utf8');
  let ctx = quickContext(text, o.context || undefined);
  if (!ctx) {
    let doc: any;
    try {
      doc = (await import('yaml')).parse(text);
    } catch (e) {
      throw new CliError(`error loading config file "${path}": ${(e as Error).message.split('\n')[0]}`);
    }
    const name = o.context || doc?.['current-context'];
    const c = (doc?.contexts ?? []).find((x: any) => x?.name === name);
    if (o.context && !c) throw new CliError(`context "${o.context}" does not exist`);
    ctx = { name, namespace: c?.context?.namespace };
    if (o.context) text = JSON.stringify({ ...doc, 'current-context': o.context });
  } else if (o.context) text = /^current-context:/m.test(text) ? text.replace(/^current-context:.*$/m, `current-context: ${o.context}`) : `${text}\ncurrent-context: ${o.context}\n`;
  try {
    return { client: new KubeClient(kubeconfigFromText(text, path, dirname(path))), namespace: o.namespace || ctx.namespace || 'default' };
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

/** The API's message for a failed call (`rollouts.argoproj.io "x" not found`). */
export function apiMessage(e: unknown): string {
  if (e instanceof ApiError) return e.status?.message ?? e.message;
  return (e as Error)?.message ?? String(e);
}

export async function getRollout(s: Session, name: string, ns = s.namespace): Promise<Obj> {
  try {
    return (await s.client.get(RO.rollouts, ns, name)) as unknown as Obj;
  } catch (e) {
    throw new CliError(apiMessage(e));
  }
}

async function listOr(s: Session, r: Resource, ns: string | undefined): Promise<Obj[]> {
  try {
    return (await s.client.list(r, ns)).items as unknown as Obj[];
  } catch (e) {
    // a cluster without the Experiment/AnalysisRun CRDs still shows its rollouts
    if (e instanceof ApiError && e.code === 404) return [];
    throw new CliError(apiMessage(e));
  }
}

/** The objects of a namespace a rollout's tree is made of. */
export async function related(s: Session, ns: string | undefined): Promise<Related> {
  const [replicaSets, pods, analysisRuns, experiments] = await Promise.all([listOr(s, R.replicasets, ns), listOr(s, R.pods, ns), listOr(s, RO.analysisruns, ns), listOr(s, RO.experiments, ns)]);
  return { replicaSets, pods, analysisRuns, experiments };
}

/**
 * Calls `onChange` (debounced by `settleMs`) whenever one of the watched collections changes, until
 * the signal aborts; watches are re-opened when the server ends them.
 */
export function watchChanges(s: Session, paths: string[], onChange: () => void, signal: AbortSignal, settleMs = 100): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const fire = () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      if (!signal.aborted) onChange();
    }, settleMs);
  };
  const loops = paths.map(async (p) => {
    let rv: string | undefined;
    while (!signal.aborted) {
      try {
        const list = await s.client.request<{ metadata?: { resourceVersion?: string } }>('GET', p);
        rv = list.metadata?.resourceVersion;
        await s.client.watch(p, { resourceVersion: rv, allowWatchBookmarks: 'true' }, (ev) => ev.type !== 'BOOKMARK' && fire(), signal);
      } catch (e) {
        if (signal.aborted) break;
        if (e instanceof ApiError && e.code === 404) return; // a CRD this cluster lacks
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  });
  return Promise.all(loops).then(() => {
    if (timer) clearTimeout(timer);
  });
}
