// Custom Prometheus metrics of templates and workflows (`metrics.prometheus`), as upstream's metrics.md describes them
// (pure: what to emit; the controller's metrics.ts registers and serves them):
//  - a template's metrics when its node is fulfilled (each attempt of a retried template: its own node), a workflow's
//    (`spec.metrics`) when it finishes; `when` (a govaluate condition after substitution) decides whether to emit;
//  - variables: `{{status}}`, `{{duration}}` (seconds), `{{exitCode}}`, `{{inputs.parameters.X}}`,
//    `{{outputs.parameters.X}}`, `{{outputs.result}}`, `{{resourcesDuration.cpu|memory}}`, `{{retries}}`, and the
//    workflow's (`{{workflow.status}}`, `{{workflow.duration}}`, …);
//  - a realtime gauge (`gauge.realtime: true`, value `{{duration}}` / `{{workflow.duration}}`) follows the run time while
//    the node or workflow runs.
import { evaluateWhen } from '@flotilla/expr';
import type { NodeStatus } from '../types.js';
import { substitute, type Scope } from './vars.js';

export interface PrometheusMetric {
  name: string;
  help?: string;
  labels?: { key: string; value: string }[];
  when?: string;
  gauge?: { value?: string; realtime?: boolean; operation?: 'Set' | 'Add' | 'Sub' };
  counter?: { value?: string };
  histogram?: { value?: string; buckets?: (number | string)[] };
}

/** One emission: a metric's series (name, labels) and its value, or a realtime gauge's run. */
export interface PlanMetric {
  name: string;
  help: string;
  type: 'gauge' | 'counter' | 'histogram';
  labels: Record<string, string>;
  value?: number;
  operation?: 'Set' | 'Add' | 'Sub';
  buckets?: number[];
  /** realtime gauge: seconds since `startedAt`, until `finishedAt` */
  realtime?: { startedAt: string; finishedAt?: string };
}

export const METRIC_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Why a template's or workflow's `metrics` cannot be used (validation), or undefined. */
export function metricsError(metrics: unknown): string | undefined {
  if (metrics === undefined || metrics === null) return undefined;
  const list = (metrics as { prometheus?: unknown }).prometheus;
  if (list === undefined) return undefined;
  if (!Array.isArray(list)) return 'metrics.prometheus must be a list';
  for (const m of list as PrometheusMetric[]) {
    if (!m || typeof m.name !== 'string' || !METRIC_NAME.test(m.name)) return `metric name '${m?.name ?? ''}' is invalid. Metric names must contain alphanumeric characters or '_'`;
    if (!m.help) return `metric '${m.name}' must contain a help string under 'help: ' field`;
    const kinds = [m.gauge, m.counter, m.histogram].filter((k) => k !== undefined).length;
    if (kinds !== 1) return `metric '${m.name}' must have exactly one of gauge, counter or histogram`;
    for (const l of m.labels ?? []) if (!l?.key || l.value === undefined || l.value === '') return `metric '${m.name}' cannot contain a label with an empty key or value`;
    if (m.gauge?.realtime && !/\{\{\s*(workflow\.)?duration\s*\}\}/.test(String(m.gauge.value ?? ''))) return `metric '${m.name}' is realtime: its value must be '{{duration}}' (or '{{workflow.duration}}')`;
    if (m.histogram && !m.histogram.buckets?.length) return `metric '${m.name}' is a histogram: it must have buckets`;
  }
  return undefined;
}

const seconds = (from?: string, to?: string, nowMs?: number) => {
  const a = Date.parse(from ?? '');
  const b = to ? Date.parse(to) : nowMs ?? Date.now();
  return Number.isNaN(a) || Number.isNaN(b) ? 0 : Math.max(0, (b - a) / 1000);
};

/** The variables of a node's metrics, over its template's scope. */
export function nodeMetricScope(node: NodeStatus, base: Scope, nowMs: number): Scope {
  const s: Scope = { ...base, status: node.phase, duration: String(seconds(node.startedAt, node.finishedAt, nowMs)) };
  const out = node.outputs;
  if (out?.exitCode !== undefined) s.exitCode = String(out.exitCode);
  if (out?.result !== undefined) s['outputs.result'] = out.result;
  for (const p of out?.parameters ?? []) if (p.value !== undefined) s[`outputs.parameters.${p.name}`] = p.value;
  for (const p of node.inputs?.parameters ?? []) if (p.value !== undefined) s[`inputs.parameters.${p.name}`] = p.value;
  for (const [k, v] of Object.entries(node.resourcesDuration ?? {})) s[`resourcesDuration.${k}`] = String(v);
  return s;
}

/**
 * What `metrics` emit in `scope`: the fulfilled run's figures, or (`running`) only the realtime gauges' start.
 * Metrics that cannot be evaluated are left out, with the reason in `errors`.
 */
export function evaluateMetrics(metrics: unknown, scope: Scope, run: { startedAt?: string; finishedAt?: string }, running: boolean): { emit: PlanMetric[]; errors: string[] } {
  const emit: PlanMetric[] = [];
  const errors: string[] = [];
  const list = ((metrics as { prometheus?: unknown } | undefined)?.prometheus ?? []) as PrometheusMetric[];
  if (!Array.isArray(list)) return { emit, errors };
  for (const m of list) {
    if (!m || typeof m.name !== 'string' || !METRIC_NAME.test(m.name)) continue;
    const realtime = !!m.gauge?.realtime;
    if (running && !realtime) continue;
    try {
      if (m.when) {
        const w = substitute(m.when, scope, { strict: true });
        if (!evaluateWhen(w)) continue;
      }
      const labels: Record<string, string> = {};
      for (const l of m.labels ?? []) labels[l.key] = substitute(String(l.value), scope, { strict: true });
      const type = m.gauge ? 'gauge' : m.counter ? 'counter' : 'histogram';
      const pm: PlanMetric = { name: m.name, help: m.help ?? m.name, type, labels };
      if (realtime) {
        if (!run.startedAt) continue;
        pm.realtime = { startedAt: run.startedAt, ...(running ? {} : { finishedAt: run.finishedAt ?? new Date().toISOString() }) };
      } else {
        const raw = substitute(String((m.gauge ?? m.counter ?? m.histogram)?.value ?? ''), scope, { strict: true });
        const value = Number(raw);
        if (raw.trim() === '' || !Number.isFinite(value)) throw new Error(`value '${raw}' is not a number`);
        pm.value = value;
        if (m.gauge?.operation) pm.operation = m.gauge.operation;
        if (m.histogram) pm.buckets = (m.histogram.buckets ?? []).map(Number).filter(Number.isFinite);
      }
      emit.push(pm);
    } catch (e) {
      errors.push(`metric '${m.name}': ${(e as Error).message}`);
    }
  }
  return { emit, errors };
}
