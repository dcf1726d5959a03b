// The controller's Prometheus metrics as upstream names them, in kube-runtime's registry (served on :9090).
import { createRequire } from 'node:module';
import { enableMetrics } from '@flotilla/kube-runtime';

export interface WorkflowMetrics {
  operation(seconds: number): void;
  finished(namespace: string, phase: string): void;
  error(cause: string): void;
  /** gauges computed on scrape */
  collect(fn: () => { workflows: Record<string, number>; pods: Record<string, number>; queueDepth: Record<string, number> }): void;
}

const noop: WorkflowMetrics = { operation() {}, finished() {}, error() {}, collect() {} };
const WF_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Error'];
const POD_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed'];

let made: WorkflowMetrics | undefined;
export function workflowMetrics(enabled: boolean): WorkflowMetrics {
  if (!enabled) return noop;
  if (made) return made;
  const registers = [enableMetrics()];
  const prom = createRequire(import.meta.url)('prom-client') as typeof import('prom-client');
  let source: Parameters<WorkflowMetrics['collect']>[0] = () => ({ workflows: {}, pods: {}, queueDepth: {} });
  const gauge = (name: string, help: string, label: string, pick: (s: ReturnType<typeof source>) => Record<string, number>, keys: string[]) =>
    new prom.Gauge({
      name, help, labelNames: [label], registers,
      collect() {
        const v = pick(source());
        for (const k of new Set([...keys, ...Object.keys(v)])) this.set({ [label]: k }, v[k] ?? 0);
      },
    });
  gauge('argo_workflows_count', 'Number of Workflows currently accessible by the controller by status', 'status', (s) => s.workflows, WF_PHASES);
  gauge('argo_workflows_gauge', 'Number of Workflows currently accessible by the controller by status', 'phase', (s) => s.workflows, WF_PHASES);
  gauge('argo_workflows_pods_count', 'Number of Pods from Workflows currently accessible by the controller by status', 'status', (s) => s.pods, POD_PHASES);
  gauge('argo_workflows_pods_gauge', 'Number of Pods from Workflows currently accessible by the controller by phase', 'phase', (s) => s.pods, POD_PHASES);
  gauge('argo_workflows_queue_depth_count', 'Depth of the queue', 'queue_name', (s) => s.queueDepth, ['workflow_queue', 'cron_wf_queue']);
  gauge('argo_workflows_queue_depth_gauge', 'Depth of the queue', 'queue_name', (s) => s.queueDepth, ['workflow_queue', 'cron_wf_queue']);
  const op = new prom.Histogram({ name: 'argo_workflows_operation_duration_seconds', help: 'Histogram of durations of operations', buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers });
  const total = new prom.Counter({ name: 'argo_workflows_total_count', help: 'Total number of workflows that finished, by phase', labelNames: ['phase', 'namespace'], registers });
  const errs = new prom.Counter({ name: 'argo_workflows_error_count', help: 'Number of errors encountered by the controller by cause', labelNames: ['cause'], registers });
  made = {
    operation: (s) => op.observe(s),
    finished: (namespace, phase) => total.inc({ namespace, phase }),
    error: (cause) => errs.inc({ cause }),
    collect: (fn) => (source = fn),
  };
  return made;
}
