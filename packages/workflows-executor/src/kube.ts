/** The executor's I/O with the cluster: the in-cluster client, Secrets, the WorkflowTaskResult. */
import { KubeClient, R, isAlreadyExists, type Resource } from '@flotilla/kube-runtime';

export { R };

export const TASK_RESULTS: Resource = { group: 'argoproj.io', version: 'v1alpha1', plural: 'workflowtaskresults', kind: 'WorkflowTaskResult', namespaced: true };

let client: KubeClient | undefined;
/** The client (KUBECONFIG when set, else the pod's service account), made on first use. */
export function kube(): KubeClient {
  return (client ??= new KubeClient());
}

/** Creates the task result, or patches it when it exists (the executor Role allows create and patch only). */
export async function upsertTaskResult(obj: Record<string, any>): Promise<void> {
  const ns = obj.metadata.namespace as string;
  try {
    await kube().create(TASK_RESULTS, ns, obj as never);
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
    const { apiVersion: _a, kind: _k, ...rest } = obj;
    await kube().patch(TASK_RESULTS, ns, obj.metadata.name, { ...rest, metadata: { labels: obj.metadata.labels } }, 'merge');
  }
}
