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
  /** a workflow's phase changed (`from` '' when it is new): `total_count{phase="Running"}` when it starts, and for a
   * workflow of a (Cluster)WorkflowTemplate `workflowtemplate_triggered_total{phase}` (New, then each phase) and, when it
   * ends, `workflowtemplate_runtime` (seconds) */
  phase(namespace: string, from: string, to: string, template?: { name: string; clusterScope: boolean }, runtimeSeconds?: number): void;
  /** a CronWorkflow started a workflow (`cronworkflows_triggered_total`), or its concurrencyPolicy (Forbid: skipped,
   * Replace: replaced) acted (`cronworkflows_concurrencypolicy_triggered`) */
  cron(namespace: string, name: string, policy?: 'Forbid' | 'Replace'): void;
  /** a pod was seen pending for a reason (`pod_pending_count{namespace,reason}`), once per pod and reason */
  podPending(namespace: string, reason: string): void;
  error(cause: string): void;
  /** gauges computed on scrape */
  collect(fn: () => Collected): void;
}

const noop: WorkflowMetrics = { operation() {}, request() {}, logged() {}, custom: () => [], finished() {}, phase() {}, cron() {}, podPending() {}, error() {}, collect() {} };
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
  const total = new prom.Counter({ name: 'argo_workflows_total_count', help: 'Total number of workflows by phase: started (Running) and finished', labelNames: ['phase', 'namespace'], registers });
  const tmplTriggered = new prom.Counter({ name: 'argo_workflows_workflowtemplate_triggered_total', help: 'Total number of workflow templates triggered by workflowTemplateRef', labelNames: ['cluster_scope', 'name', 'namespace', 'phase'], registers });
  const tmplRuntime = new prom.Histogram({ name: 'argo_workflows_workflowtemplate_runtime', help: 'Duration of workflow template runs run through workflowTemplateRefs', labelNames: ['cluster_scope', 'name', 'namespace'], buckets: [0, 1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600], registers });
  const cronTriggered = new prom.Counter({ name: 'argo_workflows_cronworkflows_triggered_total', help: 'Total number of cron workflows triggered', labelNames: ['name', 'namespace'], registers });
  const cronPolicy = new prom.Counter({ name: 'argo_workflows_cronworkflows_concurrencypolicy_triggered', help: 'A counter of the number of times a CronWorkflow has triggered its concurrencyPolicy to limit the number of workflows running', labelNames: ['concurrency_policy', 'name', 'namespace'], registers });
  const podPending = new prom.Counter({ name: 'argo_workflows_pod_pending_count', help: 'Total number of pods that started pending by reason', labelNames: ['namespace', 'reason'], registers });
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
    phase: (namespace, from, to, template, runtime) => {
      if (to === 'Running' && from !== 'Running') total.inc({ namespace, phase: 'Running' });
      if (!template) return;
      const l = { cluster_scope: String(template.clusterScope), name: template.name, namespace };
      if (!from) tmplTriggered.inc({ ...l, phase: 'New' });
      if (to && to !== from && to !== 'Pending') tmplTriggered.inc({ ...l, phase: to });
      if (runtime !== undefined && ['Succeeded', 'Failed', 'Error'].includes(to)) tmplRuntime.observe(l, runtime);
    },
    cron: (namespace, name, policy) => (policy ? cronPolicy.inc({ concurrency_policy: policy, name, namespace }) : cronTriggered.inc({ name, namespace })),
    podPending: (namespace, reason) => podPending.inc({ namespace, reason }),
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

/** A pass's phase change, once its status is written: WorkflowMetrics.phase with the workflow's template and run time. */
export function phaseChanged(m: WorkflowMetrics, ns: string, wf: Record<string, any>, plan: { phase: string; startedAt?: string; finishedAt?: string }): void {
  const from = (wf.status?.phase as string | undefined) ?? '';
  if (from === plan.phase) return;
  const ref = wf.spec?.workflowTemplateRef as { name?: string; clusterScope?: boolean } | undefined;
  const done = ['Succeeded', 'Failed', 'Error'].includes(plan.phase);
  const runtime = done && plan.startedAt && plan.finishedAt ? (Date.parse(plan.finishedAt) - Date.parse(plan.startedAt)) / 1000 : undefined;
  m.phase(ns, from, plan.phase, ref?.name ? { name: ref.name, clusterScope: !!ref.clusterScope } : undefined, runtime);
}

/** pod_pending_count: each pod counted once per reason it was seen pending for (`Unschedulable: …` → Unschedulable). */
export class PendingPods {
  private readonly counted = new Set<string>();
  constructor(private readonly m: WorkflowMetrics) {}
  seen(ns: string, uid: string | undefined, message: string): void {
    const reason = message.split(':')[0]!;
    const k = `${uid}/${reason}`;
    if (this.counted.has(k)) return;
    if (this.counted.size > 10_000) this.counted.clear();
    this.counted.add(k);
    this.m.podPending(ns, reason);
  }
}
