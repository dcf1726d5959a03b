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

function readKubeconfig(o: GlobalOpts): { doc: any; path: string } | undefined {
  const paths = o.kubeconfig ? [o.kubeconfig] : (process.env.KUBECONFIG ?? '').split(':').filter(Boolean);
  if (!paths.length) paths.push(join(process.env.HOME ?? homedir(), '.kube', 'config'));
  for (const p of paths) {
    if (!existsSync(p)) {
      if (o.kubeconfig) throw new CliError(`stat ${p}: no such file or directory`);
      continue;
    }
    const text = readFileSync(p, 'utf8');
    let doc: any;
    try {
      doc = JSON.parse(text);
    } catch {
      doc = undefined;
    }
    return { doc, path: p };
  }
  return undefined;
}

export async function session(o: GlobalOpts): Promise<Session> {
  const found = readKubeconfig(o);
  let doc = found?.doc;
  if (found && !doc) doc = (await import('yaml')).parse(readFileSync(found.path, 'utf8'));
  let client: KubeClient;
  let ns = 'default';
  if (found) {
    if (o.context) {
      if (!(doc.contexts ?? []).some((c: any) => c?.name === o.context)) throw new CliError(`context "${o.context}" does not exist`);
      doc = { ...doc, 'current-context': o.context };
    }
    const ctx = (doc.contexts ?? []).find((c: any) => c?.name === doc['current-context']);
    ns = ctx?.context?.namespace || 'default';
    client = new KubeClient(kubeconfigFromText(JSON.stringify(doc), found.path, dirname(found.path)));
  } else {
    const ic = inClusterConfig();
    if (!ic) throw new CliError('invalid configuration: no configuration has been provided, try setting KUBERNETES_MASTER environment variable');
    client = new KubeClient(ic);
    try {
      ns = readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8').trim() || 'default';
    } catch {
      /* default */
    }
  }
  return { client, namespace: o.namespace || ns };
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
