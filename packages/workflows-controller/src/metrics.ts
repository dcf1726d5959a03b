// The controller's Prometheus metrics as upstream names them, in kube-runtime's registry (served on :9090).
import { createRequire } from 'node:module';
import { enableMetrics } from '@flotilla/kube-runtime';
import type { PlanMetric } from './operator/custom-metrics.js';

export interface WorkflowMetrics {
  operation(seconds: number): void;
  /** custom metrics of templates and workflows (operator/custom-metrics.ts), as `argo_workflows_<name>`; an error when a
   * name is already used by a metric of another type, help or labels */
  custom(list: PlanMetric[]): string[];
  finished(namespace: string, phase: string): void;
  error(cause: string): void;
  /** gauges computed on scrape */
  collect(fn: () => { workflows: Record<string, number>; pods: Record<string, number>; queueDepth: Record<string, number> }): void;
}

const noop: WorkflowMetrics = { operation() {}, custom: () => [], finished() {}, error() {}, collect() {} };
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
  // custom metrics by name; a realtime gauge's series by name and labels → its run (seconds since start, until end)
  type Custom = { type: PlanMetric['type']; help: string; labelNames: string; metric: import('prom-client').Gauge | import('prom-client').Counter | import('prom-client').Histogram };
  const customs = new Map<string, Custom>();
  const runs = new Map<string, Map<string, { labels: Record<string, string>; startedAt: number; finishedAt?: number }>>();
  const customMetric = (m: PlanMetric): Custom | string => {
    const name = `argo_workflows_${m.name}`;
    const labelNames = Object.keys(m.labels).sort();
    let c = customs.get(name);
    if (!c) {
      const common = { name, help: m.help, labelNames, registers };
      let metric: Custom['metric'];
      if (m.type === 'counter') metric = new prom.Counter(common);
      else if (m.type === 'histogram') metric = new prom.Histogram({ ...common, buckets: m.buckets?.length ? m.buckets : [0.1, 1, 10] });
      else if (m.realtime) {
        const series = new Map<string, { labels: Record<string, string>; startedAt: number; finishedAt?: number }>();
        runs.set(name, series);
        metric = new prom.Gauge({ ...common, collect() { for (const r of series.values()) this.set(r.labels, ((r.finishedAt ?? Date.now()) - r.startedAt) / 1000); } });
      } else metric = new prom.Gauge(common);
      c = { type: m.type, help: m.help, labelNames: labelNames.join(','), metric };
      customs.set(name, c);
    }
    if (c.type !== m.type || c.labelNames !== labelNames.join(',')) return `metric '${m.name}' is already a ${c.type} with labels [${c.labelNames}]: not emitted as a ${m.type} with [${labelNames.join(',')}]`;
    return c;
  };
  made = {
    operation: (s) => op.observe(s),
    custom: (list) => {
      const errors: string[] = [];
      for (const given of list) {
        // labels in key order, as upstream prints them (prom-client keeps the order of the object it is given)
        const m = { ...given, labels: Object.fromEntries(Object.entries(given.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) };
        const c = customMetric(m);
        if (typeof c === 'string') {
          errors.push(c);
          continue;
        }
        if (m.realtime) {
          const series = runs.get(`argo_workflows_${m.name}`);
          if (!series) continue;
          const key = JSON.stringify(Object.entries(m.labels).sort());
          series.set(key, { labels: m.labels, startedAt: Date.parse(m.realtime.startedAt), ...(m.realtime.finishedAt ? { finishedAt: Date.parse(m.realtime.finishedAt) } : {}) });
        } else if (c.type === 'counter') (c.metric as import('prom-client').Counter).inc(m.labels, Math.max(0, m.value ?? 0));
        else if (c.type === 'histogram') (c.metric as import('prom-client').Histogram).observe(m.labels, m.value ?? 0);
        else {
          const g = c.metric as import('prom-client').Gauge;
          if (m.operation === 'Add') g.inc(m.labels, m.value ?? 0);
          else if (m.operation === 'Sub') g.dec(m.labels, m.value ?? 0);
          else g.set(m.labels, m.value ?? 0);
        }
      }
      return errors;
    },
    finished: (namespace, phase) => total.inc({ namespace, phase }),
    error: (cause) => errs.inc({ cause }),
    collect: (fn) => (source = fn),
  };
  return made;
}
