/**
 * Pure: what `resume`, `stop --node-field-selector` and `node set` do to a workflow's suspend nodes, as upstream's
 * server does it (exported from the package index for other callers of these rules):
 * - resume refuses a suspend node whose supplied output parameter (`valueFrom.supplied`) is unset and has no
 *   default, and notes who resumed it in the node's message (`<message>; Resumed by: map[User:<subject>]`);
 * - stop with a node selector fails only the selected running suspend nodes (the workflow goes on, its steps fail);
 * - set refuses output parameters on a suspend node whose template declares none, and a parameter already set.
 */
import { checkResumable, NodeActionError, resumeWorkflow, setNodeValues, stopSuspendNodes, type Workflow } from '@flotilla/workflows-controller';
import { ApiErr, Code, invalid, notFound } from './http.js';
import { parseNodeFieldSelector, type NodeLike } from './fields.js';

export { suppliedParameters } from '@flotilla/workflows-controller';

type Node = NonNullable<NonNullable<Workflow['status']>['nodes']>[string];
const COMPLETED = new Set(['Succeeded', 'Failed', 'Error']);

/** The shared rules' refusals as API errors (400, 404, 412), with the selector named where nothing matched. */
function answered<T>(f: () => T, selector?: string): T {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof NodeActionError)) throw e;
    if (e.kind === 'notFound') throw notFound(selector ? e.message.replace(/the node field selector$/, `node field selector "${selector}"`) : e.message);
    if (e.kind === 'precondition') throw new ApiErr(Code.FailedPrecondition, e.message);
    throw invalid(e.message);
  }
}

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
  answered(() => checkResumable(wf, select ? (n) => select(n as NodeLike) : undefined));
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
  return answered(() => stopSuspendNodes(wf, (n) => select(n as NodeLike), message), nodeFieldSelector);
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
  return answered(() => setNodeValues(wf, (n) => sel(n as NodeLike), { phase: b.phase, message: b.message, outputParameters: params }), b.nodeFieldSelector);
}
