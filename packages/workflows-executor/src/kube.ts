/** The executor's I/O with the cluster: the in-cluster client, Secrets, the WorkflowTaskResult. */
import { existsSync, readFileSync } from 'node:fs';
import { KubeClient, R, isAlreadyExists, type Resource } from '@flotilla/kube-runtime';
import { SECRETS_DIR, local } from './paths.js';
import type { SecretKeySelector, SecretReader } from './artifacts/types.js';

export const TASK_RESULTS: Resource = { group: 'argoproj.io', version: 'v1alpha1', plural: 'workflowtaskresults', kind: 'WorkflowTaskResult', namespaced: true };

let client: KubeClient | undefined;
/** The client (KUBECONFIG when set, else the pod's service account), made on first use. */
export function kube(): KubeClient {
  return (client ??= new KubeClient());
}

/**
 * Reads a Secret's key: the file the controller mounted (upstream's /argo/secret/<name>/<key>,
 * which needs no RBAC), else the Secret through the API with the pod's service account.
 */
export function secretReader(namespace: string): SecretReader {
  const cache = new Map<string, Record<string, string>>();
  return async (sel: SecretKeySelector) => {
    const file = local(`${SECRETS_DIR}/${sel.name}/${sel.key}`);
    if (existsSync(file)) return readFileSync(file, 'utf8');
    let data = cache.get(sel.name);
    if (!data) {
      try {
        const s = await kube().get<{ data?: Record<string, string>; stringData?: Record<string, string> } & Record<string, any>>(R.secrets, namespace, sel.name);
        data = Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
        cache.set(sel.name, data);
      } catch (e) {
        throw new Error(`failed to read secret ${namespace}/${sel.name}: ${(e as Error).message}`);
      }
    }
    if (data[sel.key] === undefined) {
      if (sel.optional) return '';
      throw new Error(`secret ${namespace}/${sel.name} has no key ${sel.key}`);
    }
    return data[sel.key];
  };
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
