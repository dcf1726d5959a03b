// Input and output of the pure operator.
import type { Condition, Inputs, NodePhase, NodeStatus, Outputs, Template, TemplateRef, Workflow, WorkflowPhase, WorkflowSpec, WorkflowTemplate } from '../types.js';
import type { PlanMetric } from './custom-metrics.js';

/** What the executor and the pod reported for a pod node (WorkflowTaskResult + pod status). */
export interface PodObservation {
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Error';
  exitCode?: number;
  message?: string;
  outputs?: Outputs;
  startedAt?: string;
  finishedAt?: string;
  hostNodeName?: string;
  podIP?: string;
  /** `N/M` the pod reported (its program writes it to $ARGO_PROGRESS_FILE; the executor passes it on). */
  progress?: string;
  /** the finished pod's resource use (resources-duration.ts) */
  resourcesDuration?: Record<string, number>;
}

/** A node's progress as [done, total]: a pod's own `N/M` (complete once it Succeeded), else 1/1 or 0/1. */
export function leafProgress(n: NodeStatus): [number, number] {
  const m = /^(\d+)\/(\d+)$/.exec(n.progress ?? '');
  const total = m ? Number(m[2]) : 1;
  if (n.phase === 'Succeeded') return [total, total];
  return [m ? Math.min(Number(m[1]), total) : 0, total];
}

/** templateRef / workflowTemplateRef lookup: a function, or a map of `name` (namespaced) and `cluster/name`. */
export type TemplateResolver =
  | ((name: string, clusterScope: boolean) => WorkflowTemplate | undefined)
  | Record<string, WorkflowTemplate>;

export interface ControllerConfig {
  /** Controller-wide cap of running pods for this workflow's namespace (workflow-controller-configmap `parallelism`). */
  parallelism?: number;
  /** Maximum nesting of templates before the recursion guard fails the node (default 100). */
  maxDepth?: number;
  /** workflow-controller-configmap `workflowDefaults`: merged under every workflow (the workflow's fields win). */
  workflowDefaults?: { metadata?: Record<string, unknown>; spec?: WorkflowSpec };
}

export interface OperateInput {
  workflow: Workflow;
  /** Observed pod / task-result states by node id. */
  pods?: Record<string, PodObservation>;
  templates?: TemplateResolver;
  /** ConfigMap data for `valueFrom.configMapKeyRef` (name → data). */
  configMaps?: Record<string, Record<string, string>>;
  now: Date | string;
  config?: ControllerConfig;
  /** `pods` lists every pod of the workflow: a Running pod node without one was deleted (the node errors). */
  observedAll?: boolean;
  /**
   * Template-level `synchronization`: takes (or confirms) a lock for a node, all in one synchronous call so that no
   * other pass can take it meanwhile; `held` is the number of holders after the call. Without it every lock is free.
   */
  acquireLock?: (lock: { name: string; limit: number; kind: 'semaphore' | 'mutex' }, nodeId: string) => { ok: boolean; held: number };
  /** Durations (seconds) of the workflow and of nodes by name, from an earlier run of the same template (estimate.ts). */
  estimates?: { workflow: number; nodes: Record<string, number> };
}

/** A template-level lock a node holds, or waits for. */
export interface NodeLock { lock: string; kind: 'semaphore' | 'mutex'; nodeId: string }

export interface PodToCreate {
  nodeId: string;
  nodeName: string;
  podName: string;
  templateName?: string;
  templateRef?: TemplateRef;
  /** The template with inputs and variables substituted — what the pod builder turns into containers. */
  template: Template;
  inputs?: Inputs;
  kind: 'container' | 'script' | 'resource' | 'data' | 'containerSet' | 'http' | 'plugin';
  /** Its stdout is wanted as `outputs.result` (its steps/DAG template references it): ARGO_INCLUDE_SCRIPT_OUTPUT. */
  includeScriptOutput?: boolean;
  serviceAccountName?: string;
  /** Seconds left before the template's / workflow's deadline, for the pod's activeDeadlineSeconds. */
  activeDeadlineSeconds?: number;
  /** A retry attempt's node affinity (retryStrategy.affinity.nodeAntiAffinity: not on the failed attempts' hosts). */
  affinity?: Record<string, unknown>;
  /** The workflow's podSpecPatch with its variables substituted (when it has any). */
  podSpecPatch?: string;
}

export interface PlanEvent { type: 'Normal' | 'Warning'; reason: string; message: string; nodeId?: string; nodeName?: string; nodeType?: string }

export interface Plan {
  podsToCreate: PodToCreate[];
  /** Pod names to delete (terminate, deadline, podGC). */
  podsToDelete: string[];
  nodes: Record<string, NodeStatus>;
  phase: WorkflowPhase;
  message?: string;
  progress: string;
  startedAt?: string;
  finishedAt?: string;
  outputs?: Outputs;
  storedTemplates?: Record<string, Template>;
  /** Ask to be called again after this many seconds (suspend duration, retry backoff, deadline). */
  requeueAfter?: number;
  /** True when anything differs from the input status. */
  changed: boolean;
  /** Kubernetes Events to record for this pass (reasons as upstream: WorkflowRunning, WorkflowSucceeded, WorkflowFailed,
   * WorkflowNodeRunning, WorkflowNodeSucceeded, WorkflowNodeFailed, WorkflowNodeError). */
  events: PlanEvent[];
  /** The WorkflowTemplate spec a `workflowTemplateRef` resolved to (stored so later passes do not depend on it). */
  storedWorkflowTemplateSpec?: WorkflowSpec;
  /** status.conditions as upstream: PodRunning, and Completed once finished. */
  conditions?: Condition[];
  /** Labels and annotations the workflow gets from `spec.workflowMetadata` (labels, annotations, labelsFrom). */
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  /** Template-level locks held by unfinished nodes, and those nodes wait for (status.synchronization). */
  locks?: { holding: NodeLock[]; waiting: NodeLock[] };
  /** status.estimatedDuration (seconds), set once, when the workflow starts. */
  estimatedDuration?: number;
  /** Custom metrics (templates' and the workflow's `metrics.prometheus`) to emit once this pass's status is written. */
  metrics?: PlanMetric[];
  /** Custom metrics that could not be evaluated, and why (logged). */
  metricErrors?: string[];
}

export const FULFILLED: ReadonlySet<NodePhase> = new Set(['Succeeded', 'Failed', 'Error', 'Skipped', 'Omitted']);
export const isFulfilled = (n: NodeStatus | undefined): boolean => !!n && FULFILLED.has(n.phase);
export const isPodType = (n: NodeStatus): boolean => n.type === 'Pod' || n.type === 'HTTP' || n.type === 'Plugin';

/** Fulfilled, or a daemon that is up (`daemon: true`): its step/task is done and the next may start. */
export const isDone = (n: NodeStatus | undefined): boolean => isFulfilled(n) || (!!n && !!n.daemoned && n.phase === 'Running');

/** Marks a node as upstream's `nodeFlag` does: `hooked` (made by a lifecycle hook or exit handler), `retried` (an attempt of a Retry node). */
export function flagNode(n: NodeStatus | undefined, flag: 'hooked' | 'retried'): void {
  if (!n) return;
  const f = n.nodeFlag as Record<string, boolean> | undefined;
  if (!f?.[flag]) n.nodeFlag = { ...(f ?? {}), [flag]: true };
}

/** A Retry node's attempts: its children but the nodes its hooks made (upstream links those under it too). */
export function attempts(nodes: Record<string, NodeStatus>, n: NodeStatus): string[] {
  return (n.children ?? []).filter((id) => !(nodes[id]?.nodeFlag as { hooked?: boolean } | undefined)?.hooked);
}
