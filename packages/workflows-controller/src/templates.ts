// The (Cluster)WorkflowTemplates a pass resolves references with: the informers' caches, and for a starting workflow
// whose workflowTemplateRef the cache does not have yet (`kubectl apply` of both at once) the API server.
import { isNotFound, type Informer, type KubeClient, type KubeObject } from '@flotilla/kube-runtime';
import { CLUSTER_WORKFLOW_TEMPLATES, WORKFLOW_TEMPLATES } from './resources.js';
import type { WorkflowTemplate } from './types.js';

type Obj = KubeObject & Record<string, any>;
export type Lookup = (name: string, cluster: boolean) => WorkflowTemplate | undefined;

export async function templatesFor(client: KubeClient, templates: Informer<Obj>, clusterTemplates: Informer<Obj>, ns: string, wf: Obj): Promise<Lookup> {
  const lookup: Lookup = (name, cluster) => (cluster ? clusterTemplates.get(undefined, name) : templates.get(ns, name)) as unknown as WorkflowTemplate | undefined;
  const ref = wf.spec?.workflowTemplateRef as { name?: string; clusterScope?: boolean } | undefined;
  const phase = wf.status?.phase;
  if (!ref?.name || (phase && phase !== 'Pending') || lookup(ref.name, !!ref.clusterScope)) return lookup;
  let got: WorkflowTemplate | undefined;
  try {
    got = ref.clusterScope
      ? await client.get<WorkflowTemplate & KubeObject>(CLUSTER_WORKFLOW_TEMPLATES, undefined, ref.name)
      : await client.get<WorkflowTemplate & KubeObject>(WORKFLOW_TEMPLATES, ns, ref.name);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  if (!got) return lookup;
  return (name, cluster) => (name === ref.name && cluster === !!ref.clusterScope ? got : lookup(name, cluster));
}
