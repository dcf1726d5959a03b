/** Argo Workflows' resources as the Kubernetes client addresses them, and the labels argo-server reads and writes. */
import type { Resource } from '@flotilla/kube-runtime';

const argo = (plural: string, kind: string, namespaced = true): Resource => ({ group: 'argoproj.io', version: 'v1alpha1', plural, kind, namespaced });

export const AR = {
  workflows: argo('workflows', 'Workflow'),
  workflowTemplates: argo('workflowtemplates', 'WorkflowTemplate'),
  clusterWorkflowTemplates: argo('clusterworkflowtemplates', 'ClusterWorkflowTemplate', false),
  cronWorkflows: argo('cronworkflows', 'CronWorkflow'),
  eventBindings: argo('workfloweventbindings', 'WorkflowEventBinding'),
  taskResults: argo('workflowtaskresults', 'WorkflowTaskResult'),
} satisfies Record<string, Resource>;

export const LABEL = {
  workflow: 'workflows.argoproj.io/workflow',
  completed: 'workflows.argoproj.io/completed',
  phase: 'workflows.argoproj.io/phase',
  workflowTemplate: 'workflows.argoproj.io/workflow-template',
  clusterWorkflowTemplate: 'workflows.argoproj.io/cluster-workflow-template',
  cronWorkflow: 'workflows.argoproj.io/cron-workflow',
  creator: 'workflows.argoproj.io/creator',
  resubmittedFrom: 'workflows.argoproj.io/resubmitted-from-workflow',
  archivingStatus: 'workflows.argoproj.io/workflow-archiving-status',
  workflowEventBinding: 'workflows.argoproj.io/workflow-event-binding',
  controllerInstanceId: 'workflows.argoproj.io/controller-instanceid',
} as const;

export { ARGO_VERSION as VERSION } from '@flotilla/workflows-controller/version';
