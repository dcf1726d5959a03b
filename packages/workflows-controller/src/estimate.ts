// Estimated duration (pure), as upstream documents it: a workflow submitted from a WorkflowTemplate, a
// ClusterWorkflowTemplate or a CronWorkflow is estimated from the most recent Succeeded workflow of the same one — the
// whole workflow, and each node by its name (the baseline's workflow name replaced by this one's).
import type { Workflow } from './types.js';

export const LABEL_WORKFLOW_TEMPLATE = 'workflows.argoproj.io/workflow-template';
export const LABEL_CLUSTER_WORKFLOW_TEMPLATE = 'workflows.argoproj.io/cluster-workflow-template';
const LABEL_CRON = 'workflows.argoproj.io/cron-workflow';

export interface Estimates { workflow: number; nodes: Record<string, number> }

/** The label naming where a workflow came from (set by `argo submit --from`, the cron controller, or from its
 * workflowTemplateRef), or undefined. */
export function originLabel(wf: Pick<Workflow, 'metadata' | 'spec'>): [string, string] | undefined {
  const l = wf.metadata?.labels ?? {};
  for (const k of [LABEL_CRON, LABEL_WORKFLOW_TEMPLATE, LABEL_CLUSTER_WORKFLOW_TEMPLATE]) if (l[k]) return [k, l[k]!];
  const ref = wf.spec?.workflowTemplateRef;
  if (ref?.name) return [ref.clusterScope ? LABEL_CLUSTER_WORKFLOW_TEMPLATE : LABEL_WORKFLOW_TEMPLATE, ref.name];
  return undefined;
}

const seconds = (from?: string, to?: string): number | undefined => {
  const a = Date.parse(from ?? ''), b = Date.parse(to ?? '');
  return Number.isFinite(a) && Number.isFinite(b) && b >= a ? Math.round((b - a) / 1000) : undefined;
};

/** Estimates for `wf` from the most recent Succeeded workflow among `candidates` with the same origin, if any. */
export function estimate(wf: Workflow, candidates: Iterable<Workflow>): Estimates | undefined {
  const origin = originLabel(wf);
  if (!origin) return undefined;
  let best: Workflow | undefined;
  for (const c of candidates) {
    if (c.metadata.name === wf.metadata.name || c.status?.phase !== 'Succeeded' || c.metadata.namespace !== wf.metadata.namespace) continue;
    const o = originLabel(c);
    if (!o || o[0] !== origin[0] || o[1] !== origin[1]) continue;
    if (!best || Date.parse(c.status.finishedAt ?? '') > Date.parse(best.status!.finishedAt ?? '')) best = c;
  }
  const total = best && seconds(best.status?.startedAt, best.status?.finishedAt);
  if (!best || total === undefined) return undefined;
  const nodes: Record<string, number> = {};
  const from = best.metadata.name ?? '', to = wf.metadata.name ?? '';
  for (const n of Object.values(best.status?.nodes ?? {})) {
    const d = seconds(n.startedAt, n.finishedAt);
    if (d !== undefined && n.name) nodes[n.name.startsWith(from) ? to + n.name.slice(from.length) : n.name] = d;
  }
  return { workflow: total, nodes };
}
