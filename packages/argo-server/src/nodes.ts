/**
 * Pure: what `resume`, `stop --node-field-selector` and `node set` do to a workflow's suspend nodes, as upstream's
 * server does it (exported from the package index for other callers of these rules):
 * - resume refuses a suspend node whose supplied output parameter (`valueFrom.supplied`) is unset and has no
 *   default, and notes who resumed it in the node's message (`<message>; Resumed by: map[User:<subject>]`);
 * - stop with a node selector fails only the selected running suspend nodes (the workflow goes on, its steps fail);
 * - set refuses output parameters on a suspend node whose template declares none, and a parameter already set.
 */
import { resumeWorkflow, type Workflow } from '@flotilla/workflows-controller';
import { ApiErr, Code, invalid, notFound } from './http.js';
import { parseNodeFieldSelector, type NodeLike } from './fields.js';

type Node = NonNullable<NonNullable<Workflow['status']>['nodes']>[string];
const COMPLETED = new Set(['Succeeded', 'Failed', 'Error']);
const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The template a node ran: a templateRef's stored copy, the workflow's own, or the stored WorkflowTemplate's. */
function templateOf(wf: Workflow, n: Node): any {
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
export function suppliedParameters(wf: Workflow, n: Node): { name: string; valueFrom?: { default?: unknown } }[] {
  return ((templateOf(wf, n)?.outputs?.parameters ?? []) as any[]).filter((p) => p.valueFrom && 'supplied' in p.valueFrom);
}

const isSet = (v: unknown) => v !== undefined && v !== null;

/** Identity of a caller as upstream prints it: Go's `map[Email:… PreferredUsername:… User:…]` (keys sorted). */
export function userInfoMap(u: { user?: string; email?: string; preferredUsername?: string } | undefined): string | undefined {
  if (!u?.user && !u?.email && !u?.preferredUsername) return undefined;
  const m: Record<string, string> = {};
  if (u.email) m.Email = u.email;
  if (u.preferredUsername) m.PreferredUsername = u.preferredUsername;
  m.User = u.user ?? '';
  return `map[${Object.keys(m).sort().map((k) => `${k}:${m[k]}`).join(' ')}]`;
}

/**
 * `resume`: refuses when a running suspend node it would resume (all, or those the selector picks) has a supplied
 * output parameter that is unset and has no default; else resumes them (phase Succeeded, spec.suspend cleared),
 * each resumed node's message ending with `Resumed by: <who>` when the caller is known.
 */
export function resumeNodes(wf: Workflow, o: { nodeFieldSelector?: string; who?: string } = {}): Workflow {
  const select = parseNodeFieldSelector(o.nodeFieldSelector);
  const picked = (n: Node) => n.type === 'Suspend' && n.phase === 'Running' && (!select || select(n as NodeLike));
  for (const n of Object.values(wf.status?.nodes ?? {})) {
    if (!picked(n)) continue;
    for (const p of suppliedParameters(wf, n)) {
      const set = n.outputs?.parameters?.find((x) => x.name === p.name);
      if (!isSet(set?.value) && !isSet(p.valueFrom?.default)) {
        throw new ApiErr(Code.FailedPrecondition, `output parameter '${p.name}' of node ${n.displayName ?? n.name} has not been set and does not have a default value`);
      }
    }
  }
  const ids = Object.values(wf.status?.nodes ?? {}).filter(picked).map((n) => n.id);
  const out = resumeWorkflow(wf, { select: select as any });
  if (o.who) {
    for (const id of ids) {
      const n = out.status?.nodes?.[id];
      if (n) n.message = n.message ? `${n.message}; Resumed by: ${o.who}` : `Resumed by: ${o.who}`;
    }
  }
  return out;
}

/** `stop` with a node selector: the selected running suspend nodes fail (with the message); the workflow goes on. */
export function stopNodes(wf: Workflow, nodeFieldSelector: string, message?: string): Workflow {
  const select = parseNodeFieldSelector(nodeFieldSelector);
  if (!select) throw invalid('nodeFieldSelector is required');
  if (COMPLETED.has(wf.status?.phase ?? '')) throw new ApiErr(Code.FailedPrecondition, 'cannot shutdown a completed workflow');
  const nodes = structuredClone(wf.status?.nodes ?? {});
  const hits = Object.values(nodes).filter((n) => n.type === 'Suspend' && n.phase === 'Running' && select(n as NodeLike));
  if (!hits.length) throw notFound(`no running suspend node of workflow ${wf.metadata.name} matches node field selector "${nodeFieldSelector}"`);
  const at = now();
  for (const n of hits) {
    n.phase = 'Failed';
    n.finishedAt = at;
    if (message) n.message = message;
  }
  return { ...wf, status: { ...(wf.status ?? {}), nodes } };
}

/** `node set`: phase / message / supplied output parameters of the nodes a selector picks. */
export function setNodes(wf: Workflow, b: { nodeFieldSelector?: string; phase?: string; message?: string; outputParameters?: string }): Workflow {
  const sel = parseNodeFieldSelector(b.nodeFieldSelector);
  if (!sel) throw invalid('nodeFieldSelector is required');
  let params: Record<string, unknown> | undefined;
  if (b.outputParameters) {
    try {
      params = JSON.parse(b.outputParameters) as Record<string, unknown>;
    } catch (e) {
      throw invalid(`outputParameters: not a JSON object: ${(e as Error).message}`);
    }
    if (!params || typeof params !== 'object' || Array.isArray(params)) throw invalid('outputParameters: not a JSON object');
  }
  const phases = ['Succeeded', 'Failed', 'Error', 'Running', 'Pending', 'Skipped', 'Omitted'];
  if (b.phase && !phases.includes(b.phase)) throw invalid(`phase "${b.phase}": want one of ${phases.join(', ')}`);
  const nodes = structuredClone(wf.status?.nodes ?? {});
  const hits = Object.values(nodes).filter((n) => sel(n as NodeLike));
  if (!hits.length) throw notFound(`no node of workflow ${wf.metadata.name} matches node field selector "${b.nodeFieldSelector}"`);
  for (const n of hits) {
    if (params && Object.keys(params).length) {
      if (n.type !== 'Suspend') throw invalid(`cannot set output parameters of node ${n.displayName}: it is not a suspend node`);
      const supplied = suppliedParameters(wf, n).map((p) => p.name);
      if (!supplied.length) throw invalid('cannot set output parameters because node is not expecting any raw parameters');
      const list = [...((n.outputs?.parameters ?? []) as { name: string; value?: unknown }[])];
      for (const [k, v] of Object.entries(params)) {
        if (!supplied.includes(k)) throw invalid(`node is not expecting output parameter '${k}'`);
        const p = list.find((x) => x.name === k);
        if (isSet(p?.value)) throw invalid(`cannot set output parameter '${k}' because it was already set`);
        if (p) p.value = String(v);
        else list.push({ name: k, value: String(v) });
      }
      n.outputs = { ...(n.outputs ?? {}), parameters: list as any };
    }
    if (b.phase) {
      n.phase = b.phase as any;
      if (COMPLETED.has(b.phase) || b.phase === 'Skipped' || b.phase === 'Omitted') n.finishedAt ??= now();
    }
    if (b.message) n.message = b.message;
  }
  return { ...wf, status: { ...(wf.status ?? {}), nodes } };
}
