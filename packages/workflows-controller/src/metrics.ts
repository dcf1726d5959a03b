// The controller's Prometheus metrics as upstream names them, in kube-runtime's registry (served on :9090).
import { createRequire } from 'node:module';
import { enableMetrics, type RequestObserver } from '@flotilla/kube-runtime';
import type { PlanMetric } from './operator/custom-metrics.js';

/** What collect()'s source reports on each scrape. */
export interface Collected {
  /** workflows by phase */
  workflows: Record<string, number>;
  /** pods by phase */
  pods: Record<string, number>;
  queueDepth: Record<string, number>;
  /** workers busy now, by queue (`workflow_queue`, …) */
  busy?: Record<string, number>;
  /** workflows by `status.conditions[]`, keyed `type=status` (`PodRunning=True`) */
  conditions?: Record<string, number>;
}

export type LogLevel = 'info' | 'warning' | 'error';

export interface WorkflowMetrics {
  /** one pass over a workflow (also counted as a workflow processed) */
  operation(seconds: number): void;
  /** a Kubernetes API request the controller made (kube-runtime's ClientOptions.onRequest), as
   * `argo_workflows_k8s_request_total{kind,status_code,verb}` */
  request: RequestObserver;
  /** a line the controller logged, as `argo_workflows_log_messages{level}` */
  logged(level: LogLevel): void;
  /** custom metrics of templates and workflows (operator/custom-metrics.ts), as `argo_workflows_<name>`; an error when a
   * name is already used by a metric of another type, help or labels */
  custom(list: PlanMetric[]): string[];
  finished(namespace: string, phase: string): void;
  error(cause: string): void;
  /** gauges computed on scrape */
  collect(fn: () => Collected): void;
}

const noop: WorkflowMetrics = { operation() {}, request() {}, logged() {}, custom: () => [], finished() {}, error() {}, collect() {} };
const WF_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Error'];
const POD_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed'];

let made: WorkflowMetrics | undefined;
export function workflowMetrics(enabled: boolean): WorkflowMetrics {
  if (!enabled) return noop;
  if (made) return made;
  const registers = [enableMetrics()];
  const prom = createRequire(import.meta.url)('prom-client') as typeof import('prom-client');
  let source: () => Collected = () => ({ workflows: {}, pods: {}, queueDepth: {} });
  const gauge = (name: string, help: string, label: string, pick: (s: Collected) => Record<string, number> | undefined, keys: string[]) =>
    new prom.Gauge({
      name, help, labelNames: [label], registers,
      collect() {
        const v = pick(source()) ?? {};
        for (const k of new Set([...keys, ...Object.keys(v)])) this.set({ [label]: k }, v[k] ?? 0);
      },
    });
  gauge('argo_workflows_count', 'Number of Workflows currently accessible by the controller by status', 'status', (s) => s.workflows, WF_PHASES);
  gauge('argo_workflows_gauge', 'Number of Workflows currently accessible by the controller by status', 'phase', (s) => s.workflows, WF_PHASES);
  gauge('argo_workflows_pods_count', 'Number of Pods from Workflows currently accessible by the controller by status', 'status', (s) => s.pods, POD_PHASES);
  gauge('argo_workflows_pods_gauge', 'Number of Pods from Workflows currently accessible by the controller by phase', 'phase', (s) => s.pods, POD_PHASES);
  gauge('argo_workflows_queue_depth_count', 'Depth of the queue', 'queue_name', (s) => s.queueDepth, ['workflow_queue', 'cron_wf_queue']);
  gauge('argo_workflows_queue_depth_gauge', 'Depth of the queue', 'queue_name', (s) => s.queueDepth, ['workflow_queue', 'cron_wf_queue']);
  gauge('argo_workflows_workers_busy_count', 'Number of workers currently busy', 'worker_type', (s) => s.busy, ['workflow_queue']);
  new prom.Gauge({
    name: 'argo_workflows_workflow_condition', help: 'Workflow condition', labelNames: ['type', 'status'], registers,
    collect() {
      const v = { 'PodRunning=True': 0, 'PodRunning=False': 0, ...source().conditions };
      for (const [k, n] of Object.entries(v)) {
        const i = k.indexOf('=');
        this.set({ type: k.slice(0, i), status: k.slice(i + 1) }, n);
      }
    },
  });
  const processed = new prom.Counter({ name: 'argo_workflows_workflows_processed_count', help: 'Number of workflow updates processed', registers });
  // one child per label set, kept: the controller makes thousands of requests a minute and logs often
  const requests = new prom.Counter({ name: 'argo_workflows_k8s_request_total', help: 'Number of kubernetes requests executed', labelNames: ['kind', 'status_code', 'verb'], registers });
  const requestChildren = new Map<string, import('prom-client').Counter.Internal>();
  const logs = new prom.Counter({ name: 'argo_workflows_log_messages', help: 'Total number of log messages', labelNames: ['level'], registers });
  const logChildren = new Map<LogLevel, import('prom-client').Counter.Internal>();
  for (const level of ['info', 'warning', 'error'] as const) {
    logs.inc({ level }, 0); // each level's series is there from the start, at 0
    logChildren.set(level, logs.labels({ level }));
  }
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
    operation: (s) => {
      op.observe(s);
      processed.inc();
    },
    request: (method, path, code, watch) => {
      const { kind, verb } = requestInfo(method, path, watch);
      const status = code ? String(code) : '<error>';
      const k = `${kind} ${verb} ${status}`;
      let c = requestChildren.get(k);
      if (!c) requestChildren.set(k, (c = requests.labels({ kind, status_code: status, verb })));
      c.inc();
    },
    logged: (level) => logChildren.get(level)?.inc(),
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

const VERBS: Record<string, string> = { POST: 'Create', PUT: 'Update', PATCH: 'Patch' };

/**
 * The resource (plural, as `kind`) and verb of an API request from its path: `/api/v1/[namespaces/NS/]PLURAL[/NAME[/SUB]]`
 * or `/apis/GROUP/VERSION/…`. A GET of a collection is a List, of one object a Get; DELETE of a collection DeleteCollection.
 */
export function requestInfo(method: string, path: string, watch: boolean): { kind: string; verb: string } {
  const p = path.split('/');
  let i = p[1] === 'api' ? 3 : p[1] === 'apis' ? 4 : p.length;
  // namespaced: /namespaces/NS/PLURAL… (but /namespaces and /namespaces/NS are the namespaces themselves)
  if (p[i] === 'namespaces' && p.length > i + 2) i += 2;
  const kind = p[i] ?? '';
  const named = !!p[i + 1];
  const verb = watch ? 'Watch' : method === 'GET' ? (named ? 'Get' : 'List') : method === 'DELETE' ? (named ? 'Delete' : 'DeleteCollection') : (VERBS[method] ?? method);
  return { kind, verb };
}
