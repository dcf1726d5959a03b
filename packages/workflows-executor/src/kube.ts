/** The executor's I/O with the cluster: the in-cluster client, Secrets, the WorkflowTaskResult. */
import { ApiError, KubeClient, R, isAlreadyExists, isNotFound, type Resource } from '@flotilla/kube-runtime';
import { logWarning } from './log.js';
import { withRetries } from './artifacts/retry.js';

export { R };

export const TASK_RESULTS: Resource = { group: 'argoproj.io', version: 'v1alpha1', plural: 'workflowtaskresults', kind: 'WorkflowTaskResult', namespaced: true };

let client: KubeClient | undefined;
/** The client (KUBECONFIG when set, else the pod's service account), made on first use. */
export function kube(): KubeClient {
  return (client ??= new KubeClient());
}

/** task results this process created or found (`ns/name`): later writes patch them at once */
const known = new Set<string>();

/**
 * Creates the task result, or patches it when it exists (the executor Role allows create and patch only).
 * A result this process already wrote is patched directly (one request instead of a refused create and a
 * patch); one that disappeared meanwhile is created again.
 */
export async function upsertTaskResult(obj: Record<string, any>, c: KubeClient = kube(), attempts = RESULT_ATTEMPTS, podName = process.env.ARGO_POD_NAME || process.env.HOSTNAME): Promise<void> {
  // the API may be away a moment (the node's relay restarting, the server restarting): tried again on network
  // errors and 5xx/429 answers, waiting 1, 2, 4, 8, 8… s
  try {
    await withRetries(() => upsertOnce(obj, c), attempts);
  } catch (e) {
    if (!(e instanceof ApiError && e.code === 403) || !podName) throw e;
    // the pod's ServiceAccount may not write task results: upstream's fallback, the outputs in the pod's annotation
    // (the controller reads them there when no task result comes); refused too, it fails naming both
    logWarning(`failed to write the task result, falling back to patching the pod (see the workflow RBAC docs): ${e.message}`);
    const md = { annotations: { [ANN_OUTPUTS]: JSON.stringify(obj.outputs ?? {}), ...(obj.progress ? { [ANN_PROGRESS]: obj.progress } : {}) }, labels: { [LABEL_REPORTED]: obj.metadata?.labels?.[LABEL_REPORTED] ?? 'true' } };
    try {
      await withRetries(() => c.patch(R.pods, obj.metadata.namespace, podName, { metadata: md }, 'merge'), attempts);
    } catch (e2) {
      throw new Error(`${e.message}; and the fallback, patching pod ${podName}: ${(e2 as Error).message}`);
    }
  }
}

/** The pod annotations of upstream's fallback when task results may not be written. */
export const ANN_OUTPUTS = 'workflows.argoproj.io/outputs';
export const ANN_PROGRESS = 'workflows.argoproj.io/progress';
const LABEL_REPORTED = 'workflows.argoproj.io/report-outputs-completed';

/** How many times a task result write is tried (about 40 s in all). */
export const RESULT_ATTEMPTS = 8;

async function upsertOnce(obj: Record<string, any>, c: KubeClient): Promise<void> {
  const ns = obj.metadata.namespace as string;
  const key = `${ns}/${obj.metadata.name}`;
  const { apiVersion: _a, kind: _k, ...rest } = obj;
  const patch = () => c.patch(TASK_RESULTS, ns, obj.metadata.name, { ...rest, metadata: { labels: obj.metadata.labels } }, 'merge');
  if (known.has(key)) {
    try {
      await patch();
      return;
    } catch (e) {
      if (!isNotFound(e)) throw e;
      known.delete(key);
    }
  }
  try {
    await c.create(TASK_RESULTS, ns, obj as never);
    known.add(key);
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
    await patch();
    known.add(key);
  }
}
