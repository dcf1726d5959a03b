// What `argo resume`, `argo stop --node-field-selector` and `argo node set` do to a workflow's nodes, as upstream's
// server does it (pure; argo-server and the argo CLI's Kubernetes-API mode both use these and word their own errors):
// - resume refuses a suspend node whose supplied output parameter (`valueFrom.supplied`) is unset and has no default;
// - stop with a node selector fails only the selected running suspend nodes (the workflow goes on, its steps fail);
// - set refuses output parameters on a suspend node whose template declares none, one it does not declare, and one
//   already set.
import type { NodeStatus, Workflow } from '../types.js';

/** Why a node action is refused: `kind` says how a caller answers it (bad request, nothing matched, wrong state). */
export class NodeActionError extends Error {
  constructor(message: string, readonly kind: 'invalid' | 'notFound' | 'precondition') {
    super(message);
  }
}

type Select = (n: NodeStatus) => boolean;
const isSet = (v: unknown) => v !== undefined && v !== null;
const nowSeconds = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const DONE = new Set(['Succeeded', 'Failed', 'Error', 'Skipped', 'Omitted']);

/** The template a node ran: a templateRef's stored copy, the workflow's own, or the stored WorkflowTemplate's. */
function templateOf(wf: Workflow, n: NodeStatus): any {
  const st: any = wf.status ?? {};
  const ref = (n as any).templateRef;
  if (ref?.name) {
    const hit = st.storedTemplates?.[`${ref.clusterScope ? 'cluster' : 'namespaced'}/${ref.name}/${ref.template}`];
    if (hit) return hit;
  }
  const name = n.templateName ?? ref?.template;
  return [...(((wf.spec as any)?.templates ?? []) as any[]), ...((st.storedWorkflowTemplateSpec?.templates ?? []) as any[])].find((t) => t.name === name);
}

/** The output parameters a suspend node expects to be supplied (`valueFrom.supplied`). */
export function suppliedParameters(wf: Workflow, n: NodeStatus): { name: string; valueFrom?: { default?: unknown } }[] {
  return ((templateOf(wf, n)?.outputs?.parameters ?? []) as any[]).filter((p) => p.valueFrom && 'supplied' in p.valueFrom);
}

/** Running suspend nodes (all, or those `select` picks) may resume only with their supplied outputs set or defaulted. */
export function checkResumable(wf: Workflow, select?: Select): void {
  for (const n of Object.values(wf.status?.nodes ?? {})) {
    if (n.type !== 'Suspend' || n.phase !== 'Running' || (select && !select(n))) continue;
    for (const p of suppliedParameters(wf, n)) {
      const set = n.outputs?.parameters?.find((x) => x.name === p.name);
      if (!isSet(set?.value) && !isSet(p.valueFrom?.default)) {
        throw new NodeActionError(`output parameter '${p.name}' of node ${n.displayName ?? n.name} has not been set and does not have a default value`, 'precondition');
      }
    }
  }
}

/** `stop` with a node selector: the selected running suspend nodes fail (with the message); none selected is notFound. */
export function stopSuspendNodes(wf: Workflow, select: Select, message?: string): Workflow {
  const nodes = structuredClone(wf.status?.nodes ?? {});
  const hits = Object.values(nodes).filter((n) => n.type === 'Suspend' && n.phase === 'Running' && select(n));
  if (!hits.length) throw new NodeActionError(`no running suspend node of workflow ${wf.metadata.name} matches the node field selector`, 'notFound');
  const at = nowSeconds();
  for (const n of hits) {
    n.phase = 'Failed';
    n.finishedAt = at;
    if (message) n.message = message;
  }
  return { ...wf, status: { ...(wf.status ?? {}), nodes } } as Workflow;
}

/** `node set`: phase, message and (suspend nodes) supplied output parameters of the nodes `select` picks. */
export function setNodeValues(wf: Workflow, select: Select, o: { phase?: string; message?: string; outputParameters?: Record<string, unknown> }): Workflow {
  const nodes = structuredClone(wf.status?.nodes ?? {});
  const hits = Object.values(nodes).filter((n) => select(n));
  if (!hits.length) throw new NodeActionError(`no node of workflow ${wf.metadata.name} matches the node field selector`, 'notFound');
  for (const n of hits) {
    if (o.outputParameters && Object.keys(o.outputParameters).length) {
      if (n.type !== 'Suspend') throw new NodeActionError(`cannot set output parameters of node ${n.displayName}: it is not a suspend node`, 'invalid');
      const supplied = suppliedParameters(wf, n).map((p) => p.name);
      if (!supplied.length) throw new NodeActionError('cannot set output parameters because node is not expecting any raw parameters', 'invalid');
      const list = [...((n.outputs?.parameters ?? []) as { name: string; value?: unknown }[])];
      for (const [k, v] of Object.entries(o.outputParameters)) {
        if (!supplied.includes(k)) throw new NodeActionError(`node is not expecting output parameter '${k}'`, 'invalid');
        const p = list.find((x) => x.name === k);
        if (isSet(p?.value)) throw new NodeActionError(`cannot set output parameter '${k}' because it was already set`, 'invalid');
        if (p) p.value = String(v);
        else list.push({ name: k, value: String(v) });
      }
      n.outputs = { ...(n.outputs ?? {}), parameters: list as any };
    }
    if (o.phase) {
      n.phase = o.phase as NodeStatus['phase'];
      if (DONE.has(o.phase)) n.finishedAt ??= nowSeconds();
    }
    if (o.message) n.message = o.message;
  }
  return { ...wf, status: { ...(wf.status ?? {}), nodes } } as Workflow;
}
