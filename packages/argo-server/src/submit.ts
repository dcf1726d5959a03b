/**
 * The Workflows argo-server creates, as pure functions: from a WorkflowTemplate / ClusterWorkflowTemplate /
 * CronWorkflow (`argo submit --from`), with submit options applied, and a resubmitted copy of a workflow.
 */
import { nodeId, retryWorkflow, type NodeStatus, type Workflow } from '@flotilla/workflows-controller';
import { ApiErr, Code } from './http.js';
import { LABEL } from './resources.js';
import { parseCommaKeyValues, parseKeyValues } from './fields.js';

export interface SubmitOpts {
  name?: string;
  generateName?: string;
  entryPoint?: string;
  parameters?: string[];
  labels?: string;
  annotations?: string;
  serviceAccount?: string;
  dryRun?: boolean;
  serverDryRun?: boolean;
  ownerReference?: Record<string, unknown>;
  podPriorityClassName?: string;
  priority?: number;
}

interface Obj {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; uid?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, any>;
}

/** The Workflow `argo submit --from <kind>/<name>` creates (before submit options). */
export function workflowFrom(kind: string, obj: Obj, namespace: string): Workflow {
  const name = obj.metadata?.name ?? '';
  switch (kind.toLowerCase()) {
    case 'workflowtemplate':
    case 'clusterworkflowtemplate': {
      const cluster = kind.toLowerCase() === 'clusterworkflowtemplate';
      const wm = (obj.spec?.workflowMetadata ?? {}) as { labels?: Record<string, string>; annotations?: Record<string, string> };
      return {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Workflow',
        metadata: {
          generateName: `${name}-`,
          namespace,
          labels: { ...(wm.labels ?? {}), [cluster ? LABEL.clusterWorkflowTemplate : LABEL.workflowTemplate]: name },
          ...(wm.annotations ? { annotations: { ...wm.annotations } } : {}),
        },
        spec: { workflowTemplateRef: cluster ? { name, clusterScope: true } : { name } },
      };
    }
    case 'cronworkflow': {
      const wm = (obj.spec?.workflowMetadata ?? {}) as { labels?: Record<string, string>; annotations?: Record<string, string> };
      return {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Workflow',
        metadata: {
          generateName: `${name}-`,
          namespace,
          labels: { ...(wm.labels ?? {}), [LABEL.cronWorkflow]: name },
          ...(wm.annotations ? { annotations: { ...wm.annotations } } : {}),
          ownerReferences: obj.metadata?.uid ? [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'CronWorkflow', name, uid: obj.metadata.uid, blockOwnerDeletion: true, controller: true }] : undefined,
        },
        spec: structuredClone(obj.spec?.workflowSpec ?? {}),
      };
    }
    default:
      throw new ApiErr(Code.InvalidArgument, `resourceKind "${kind}" is not supported: want WorkflowTemplate, ClusterWorkflowTemplate or CronWorkflow`);
  }
}

/** Submit options (`argo submit` flags) applied to a Workflow to be created. */
export function applySubmitOpts(wf: Workflow, o: SubmitOpts | undefined): Workflow {
  if (!o) return wf;
  const out = structuredClone(wf);
  const m = out.metadata;
  if (o.name) {
    m.name = o.name;
    delete m.generateName;
  }
  if (o.generateName) {
    m.generateName = o.generateName;
    if (!o.name) delete m.name;
  }
  if (o.labels) m.labels = { ...(m.labels ?? {}), ...parseCommaKeyValues(o.labels, 'label') };
  if (o.annotations) m.annotations = { ...(m.annotations ?? {}), ...parseCommaKeyValues(o.annotations, 'annotation') };
  if (o.ownerReference) m.ownerReferences = [...((m.ownerReferences as unknown[]) ?? []), o.ownerReference];
  if (o.entryPoint) out.spec.entrypoint = o.entryPoint;
  if (o.serviceAccount) out.spec.serviceAccountName = o.serviceAccount;
  if (o.podPriorityClassName) (out.spec as Record<string, unknown>).podPriorityClassName = o.podPriorityClassName;
  if (o.priority !== undefined) (out.spec as Record<string, unknown>).priority = o.priority;
  const params = parseKeyValues(o.parameters, 'parameter');
  if (Object.keys(params).length) {
    const list = ((out.spec.arguments ??= {}).parameters ??= []);
    for (const [name, value] of Object.entries(params)) {
      const p = list.find((x) => x.name === name);
      if (p) {
        p.value = value;
        delete p.valueFrom;
      } else list.push({ name, value });
    }
  }
  return out;
}

const CONTROLLER_LABELS = [LABEL.completed, LABEL.phase, LABEL.archivingStatus, LABEL.workflow];

/** `argo resubmit`: a new workflow (`<name>-` generated) with the old one's spec and labels, status dropped. */
export function resubmitOf(wf: Workflow, o: { parameters?: string[]; memoized?: boolean } = {}): Workflow {
  if (o.memoized) {
    const ph = wf.status?.phase;
    if (ph !== 'Failed' && ph !== 'Error') throw new ApiErr(Code.FailedPrecondition, `workflow must be Failed/Error to resubmit in memoized mode`);
  }
  const name = wf.metadata.name ?? '';
  const labels = { ...(wf.metadata.labels ?? {}) };
  for (const l of CONTROLLER_LABELS) delete labels[l];
  labels[LABEL.resubmittedFrom] = name;
  const annotations = wf.metadata.annotations ? { ...wf.metadata.annotations } : undefined;
  const spec = structuredClone(wf.spec);
  delete spec.shutdown;
  delete spec.suspend;
  const next: Workflow = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { generateName: `${name.replace(/-$/, '')}-`, namespace: wf.metadata.namespace, labels, ...(annotations ? { annotations } : {}) },
    spec,
  };
  if (wf.metadata.ownerReferences) next.metadata.ownerReferences = structuredClone(wf.metadata.ownerReferences);
  return applySubmitOpts(next, { parameters: o.parameters });
}

/**
 * `argo resubmit --memoized`: the new workflow (named `newName`) starts with the old one's successful nodes (their
 * outputs kept) and reruns the rest — the old status after `retryWorkflow`, node names and ids moved to the new name.
 */
export function memoizedResubmit(wf: Workflow, newName: string, o: { parameters?: string[] } = {}): Workflow {
  const fresh = resubmitOf(wf, { ...o, memoized: true });
  const oldName = wf.metadata.name ?? '';
  let retried: Workflow;
  try {
    retried = retryWorkflow(wf).workflow;
  } catch (e) {
    throw new ApiErr(Code.FailedPrecondition, (e as Error).message);
  }
  const rename = (n: string) => (n === oldName || n.startsWith(`${oldName}.`) || n.startsWith(`${oldName}[`) || n.startsWith(`${oldName}(`) ? newName + n.slice(oldName.length) : n);
  const ids = new Map<string, string>();
  for (const n of Object.values(retried.status?.nodes ?? {})) ids.set(n.id, nodeId(newName, rename(n.name)));
  const mapId = (id: string | undefined) => (id === undefined ? undefined : (ids.get(id) ?? id));
  const nodes: Record<string, NodeStatus> = {};
  for (const n of Object.values(retried.status?.nodes ?? {})) {
    const id = ids.get(n.id)!;
    const m: NodeStatus = { ...n, id, name: rename(n.name), displayName: n.name === oldName ? newName : n.displayName };
    if (n.children) m.children = n.children.map((c) => mapId(c)!);
    if (n.outboundNodes) m.outboundNodes = n.outboundNodes.map((c) => mapId(c)!);
    if (n.boundaryID) m.boundaryID = mapId(n.boundaryID);
    delete (m as Record<string, unknown>).podIP;
    delete (m as Record<string, unknown>).hostNodeName;
    nodes[id] = m;
  }
  const out: Workflow = { ...fresh, metadata: { ...fresh.metadata, name: newName } };
  delete out.metadata.generateName;
  out.status = { phase: 'Running', nodes, ...(retried.status?.storedTemplates ? { storedTemplates: retried.status.storedTemplates } : {}) } as Workflow['status'];
  return out;
}

/** A Workflow posted to the API: server-set metadata dropped (uid, resourceVersion, status stays as given). */
export function cleanForCreate<T extends { metadata?: Record<string, unknown> }>(o: T): T {
  const out = structuredClone(o);
  const m = (out.metadata ??= {});
  for (const k of ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields', 'selfLink', 'deletionTimestamp']) delete m[k];
  return out;
}
