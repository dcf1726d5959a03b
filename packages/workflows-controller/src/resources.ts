// argoproj.io/v1alpha1 resources the controller reads and writes.
import type { Resource } from '@flotilla/kube-runtime';

const argo = (plural: string, kind: string, namespaced = true): Resource => ({ group: 'argoproj.io', version: 'v1alpha1', plural, kind, namespaced });
export const WORKFLOWS = argo('workflows', 'Workflow');
export const WORKFLOW_TEMPLATES = argo('workflowtemplates', 'WorkflowTemplate');
export const CLUSTER_WORKFLOW_TEMPLATES = argo('clusterworkflowtemplates', 'ClusterWorkflowTemplate', false);
export const CRON_WORKFLOWS = argo('cronworkflows', 'CronWorkflow');
export const TASK_RESULTS = argo('workflowtaskresults', 'WorkflowTaskResult');
export const TASK_SETS = argo('workflowtasksets', 'WorkflowTaskSet');
