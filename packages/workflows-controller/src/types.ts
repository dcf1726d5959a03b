// Argo Workflows (argoproj.io/v1alpha1) shapes, with upstream's field names. Only what the operator reads is
// typed precisely; every object keeps unknown fields (`[k: string]: unknown`) so nothing is lost on a round trip.

export const GROUP = 'argoproj.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
  [k: string]: unknown;
}

export interface ValueFrom {
  path?: string;
  jsonPath?: string;
  jqFilter?: string;
  expression?: string;
  parameter?: string;
  event?: string;
  supplied?: Record<string, never>;
  default?: string;
  configMapKeyRef?: { name: string; key: string; optional?: boolean };
  [k: string]: unknown;
}

export interface Parameter {
  name: string;
  value?: string | number | boolean;
  default?: string | number | boolean;
  enum?: string[];
  description?: string;
  globalName?: string;
  valueFrom?: ValueFrom;
  [k: string]: unknown;
}

export interface Artifact {
  name: string;
  path?: string;
  from?: string;
  fromExpression?: string;
  optional?: boolean;
  globalName?: string;
  [k: string]: unknown;
}

export interface Arguments { parameters?: Parameter[]; artifacts?: Artifact[] }
export interface Inputs { parameters?: Parameter[]; artifacts?: Artifact[] }
export interface Outputs {
  parameters?: Parameter[];
  artifacts?: Artifact[];
  result?: string;
  exitCode?: string;
  [k: string]: unknown;
}

export interface TemplateRef { name: string; template: string; clusterScope?: boolean }

export interface Backoff { duration?: string | number; factor?: string | number; maxDuration?: string; cap?: string }
export interface RetryStrategy {
  limit?: string | number;
  retryPolicy?: 'Always' | 'OnFailure' | 'OnError' | 'OnTransientError';
  backoff?: Backoff;
  expression?: string;
  affinity?: unknown;
}
export interface ContinueOn { error?: boolean; failed?: boolean }
export type LifecycleHooks = Record<string, { template?: string; templateRef?: TemplateRef; arguments?: Arguments; expression?: string }>;

/** A step of a steps template, or a task of a dag template (they share most fields). */
export interface WorkflowStep {
  name: string;
  template?: string;
  templateRef?: TemplateRef;
  inline?: Template;
  arguments?: Arguments;
  when?: string;
  withItems?: unknown[];
  withParam?: string;
  withSequence?: { count?: string | number; start?: string | number; end?: string | number; format?: string };
  continueOn?: ContinueOn;
  onExit?: string;
  hooks?: LifecycleHooks;
  [k: string]: unknown;
}
export interface DAGTask extends WorkflowStep {
  dependencies?: string[];
  depends?: string;
}
export interface DAGTemplate { target?: string; failFast?: boolean; tasks: DAGTask[] }

export interface Container {
  name?: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: unknown[];
  [k: string]: unknown;
}
export interface ScriptTemplate extends Container { source: string }
export interface ResourceTemplate {
  action: 'get' | 'create' | 'apply' | 'delete' | 'replace' | 'patch';
  manifest?: string;
  manifestFrom?: { artifact: Artifact };
  successCondition?: string;
  failureCondition?: string;
  setOwnerReference?: boolean;
  mergeStrategy?: string;
  flags?: string[];
  [k: string]: unknown;
}
export interface SuspendTemplate { duration?: string | number }
export interface HTTPTemplate { url: string; method?: string; headers?: unknown[]; body?: string; successCondition?: string; timeoutSeconds?: number; [k: string]: unknown }
export interface DataTemplate { source: unknown; transformation: unknown[] }
export interface ContainerSetTemplate { containers: (Container & { dependencies?: string[] })[]; volumeMounts?: unknown[]; retryStrategy?: unknown }

export interface Template {
  name?: string;
  inputs?: Inputs;
  outputs?: Outputs;
  // kinds (exactly one)
  container?: Container;
  script?: ScriptTemplate;
  resource?: ResourceTemplate;
  suspend?: SuspendTemplate;
  steps?: WorkflowStep[][];
  dag?: DAGTemplate;
  data?: DataTemplate;
  http?: HTTPTemplate;
  containerSet?: ContainerSetTemplate;
  plugin?: unknown;
  // common
  retryStrategy?: RetryStrategy;
  activeDeadlineSeconds?: string | number;
  timeout?: string;
  parallelism?: number;
  failFast?: boolean;
  serviceAccountName?: string;
  nodeSelector?: Record<string, string>;
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  daemon?: boolean;
  memoize?: unknown;
  synchronization?: unknown;
  [k: string]: unknown;
}

export interface WorkflowSpec {
  entrypoint?: string;
  arguments?: Arguments;
  templates?: Template[];
  onExit?: string;
  hooks?: LifecycleHooks;
  parallelism?: number;
  activeDeadlineSeconds?: number;
  serviceAccountName?: string;
  podGC?: { strategy?: 'OnPodCompletion' | 'OnPodSuccess' | 'OnWorkflowCompletion' | 'OnWorkflowSuccess' | ''; labelSelector?: unknown; deleteDelayDuration?: string };
  ttlStrategy?: { secondsAfterCompletion?: number; secondsAfterSuccess?: number; secondsAfterFailure?: number };
  volumeClaimTemplates?: unknown[];
  volumes?: unknown[];
  workflowTemplateRef?: { name: string; clusterScope?: boolean };
  shutdown?: 'Stop' | 'Terminate' | '';
  suspend?: boolean;
  podSpecPatch?: string;
  workflowMetadata?: unknown;
  [k: string]: unknown;
}

export type WorkflowPhase = '' | 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Error';
export type NodePhase = 'Pending' | 'Running' | 'Succeeded' | 'Skipped' | 'Failed' | 'Error' | 'Omitted';
export type NodeType = 'Pod' | 'Container' | 'Steps' | 'StepGroup' | 'DAG' | 'TaskGroup' | 'Retry' | 'Skipped' | 'Suspend' | 'HTTP' | 'Plugin';

export interface NodeStatus {
  id: string;
  name: string;
  displayName: string;
  type: NodeType;
  templateName?: string;
  templateRef?: TemplateRef;
  templateScope?: string;
  phase: NodePhase;
  boundaryID?: string;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  progress?: string;
  inputs?: Inputs;
  outputs?: Outputs;
  children?: string[];
  outboundNodes?: string[];
  daemoned?: boolean;
  hostNodeName?: string;
  podIP?: string;
  resourcesDuration?: Record<string, number>;
  estimatedDuration?: number;
  [k: string]: unknown;
}

export interface Condition { type: string; status: 'True' | 'False' | 'Unknown'; message?: string }

export interface WorkflowStatus {
  phase?: WorkflowPhase;
  startedAt?: string;
  finishedAt?: string;
  progress?: string;
  message?: string;
  nodes?: Record<string, NodeStatus>;
  storedTemplates?: Record<string, Template>;
  storedWorkflowTemplateSpec?: WorkflowSpec;
  outputs?: Outputs;
  conditions?: Condition[];
  resourcesDuration?: Record<string, number>;
  artifactRepositoryRef?: unknown;
  taskResultsCompletionStatus?: Record<string, boolean>;
  estimatedDuration?: number;
  [k: string]: unknown;
}

export interface Workflow {
  apiVersion?: string;
  kind?: 'Workflow';
  metadata: ObjectMeta;
  spec: WorkflowSpec;
  status?: WorkflowStatus;
}

export interface WorkflowTemplate {
  apiVersion?: string;
  kind?: 'WorkflowTemplate' | 'ClusterWorkflowTemplate';
  metadata: ObjectMeta;
  spec: WorkflowSpec;
}
