// What `argo retry`, `argo resume`, `argo suspend` do to a workflow's status, as pure functions (the server and the
// CLI write the result; the next operate() carries on from it).
import type { NodeStatus, Workflow } from '../types.js';
import { isPodType } from './model.js';
import { podName } from './ids.js';

const CONTAINERS = new Set(['Steps', 'StepGroup', 'DAG', 'TaskGroup']);

/**
 * `argo retry`: failed/errored pod-like nodes (and Retry nodes holding them, and the exit handler) are removed so they
 * run again; steps/dag nodes above them go back to Running; succeeded nodes keep their results.
 * `restartSuccessful` with `nodeFieldSelector` (a predicate here) also reruns the succeeded nodes it selects.
 */
export function retryWorkflow(wf: Workflow, opts: { restartSuccessful?: boolean; select?: (n: NodeStatus) => boolean; parameters?: Record<string, string> } = {}): { workflow: Workflow; podsToDelete: string[] } {
  const phase = wf.status?.phase;
  if (phase !== 'Failed' && phase !== 'Error') throw new Error(`workflow must be Failed/Error to retry (phase is ${phase || 'empty'})`);
  const nodes = structuredClone(wf.status?.nodes ?? {});
  const name = wf.metadata.name ?? '';
  const parentOf = new Map<string, string>();
  for (const n of Object.values(nodes)) for (const c of n.children ?? []) if (!parentOf.has(c)) parentOf.set(c, n.id);
  const remove = new Set<string>();
  const podsToDelete: string[] = [];
  const rerun = (n: NodeStatus) => n.phase === 'Failed' || n.phase === 'Error' || (!!opts.restartSuccessful && !!opts.select?.(n) && n.phase === 'Succeeded');
  for (const n of Object.values(nodes)) {
    if (n.name.endsWith('.onExit') || n.name.includes('.onExit[') || n.name.includes('.onExit.')) { remove.add(n.id); continue; }
    if ((isPodType(n) || n.type === 'Suspend' || n.type === 'Retry') && rerun(n)) remove.add(n.id);
    if (n.phase === 'Omitted') remove.add(n.id); // decided by a result that is about to change
  }
  // a removed Retry node takes its attempts with it; a removed attempt takes its Retry node
  for (const id of [...remove]) {
    const n = nodes[id]!;
    if (n.type === 'Retry') for (const c of n.children ?? []) remove.add(c);
    const p = parentOf.get(id);
    if (p && nodes[p]?.type === 'Retry') { remove.add(p); for (const c of nodes[p]!.children ?? []) remove.add(c); }
  }
  // boundaries (and their groups) containing removed nodes run again
  const reopen = new Set<string>();
  for (const id of remove) {
    let b = nodes[id]?.boundaryID;
    while (b && nodes[b] && !reopen.has(b)) { reopen.add(b); b = nodes[b]!.boundaryID; }
  }
  for (const n of Object.values(nodes)) {
    if (n.type === 'StepGroup' && n.boundaryID && reopen.has(n.boundaryID) && n.phase !== 'Succeeded') reopen.add(n.id);
    if (n.type === 'TaskGroup' && (n.children ?? []).some((c) => remove.has(c))) reopen.add(n.id);
  }
  for (const id of remove) {
    const n = nodes[id]!;
    if (isPodType(n) && n.type === 'Pod') podsToDelete.push(podName(name, n.name, n.templateName ?? n.templateRef?.template));
    delete nodes[id];
  }
  for (const n of Object.values(nodes)) {
    if (n.children) n.children = n.children.filter((c) => !remove.has(c));
    if (reopen.has(n.id) && CONTAINERS.has(n.type)) {
      n.phase = 'Running';
      delete n.finishedAt;
      delete n.message;
      delete n.outboundNodes;
    }
  }
  const status = { ...(wf.status ?? {}), phase: 'Running' as const, nodes };
  delete status.finishedAt;
  delete status.message;
  const spec = structuredClone(wf.spec);
  if (opts.parameters) {
    for (const [k, v] of Object.entries(opts.parameters)) {
      const p = spec.arguments?.parameters?.find((x) => x.name === k);
      if (p) p.value = v;
      else ((spec.arguments ??= {}).parameters ??= []).push({ name: k, value: v });
    }
  }
  delete spec.shutdown;
  return { workflow: { ...wf, spec, status }, podsToDelete };
}

/** `argo resume`: suspended nodes (optionally selected) succeed, with supplied output parameters; spec.suspend cleared. */
export function resumeWorkflow(wf: Workflow, opts: { select?: (n: NodeStatus) => boolean; outputParameters?: Record<string, string>; now?: Date } = {}): Workflow {
  const nodes = structuredClone(wf.status?.nodes ?? {});
  const at = (opts.now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  for (const n of Object.values(nodes)) {
    if (n.type !== 'Suspend' || n.phase !== 'Running' || (opts.select && !opts.select(n))) continue;
    n.phase = 'Succeeded';
    n.finishedAt = at;
    if (opts.outputParameters) n.outputs = { ...(n.outputs ?? {}), parameters: Object.entries(opts.outputParameters).map(([name, value]) => ({ name, value })) };
  }
  const spec = { ...wf.spec };
  delete spec.suspend;
  return { ...wf, spec, status: { ...(wf.status ?? {}), nodes } };
}

/** `argo suspend`: no new pods start until resumed. */
export function suspendWorkflow(wf: Workflow): Workflow {
  return { ...wf, spec: { ...wf.spec, suspend: true } };
}
