/**
 * An AnalysisRun's bookkeeping, pure: which metrics are due a measurement, how a measured value is
 * judged (successCondition / failureCondition in expr, `result` bound to the value), when a
 * metric ends (count, failureLimit, inconclusiveLimit, consecutiveErrorLimit), the run's phase
 * (dry-run metrics do not count), terminate, measurementRetention.
 */
import { evaluateArgo } from '@flotilla/expr';
import { durationMs } from '../common.js';

export type Phase = 'Pending' | 'Running' | 'Successful' | 'Failed' | 'Error' | 'Inconclusive';
export const TERMINAL: Phase[] = ['Successful', 'Failed', 'Error', 'Inconclusive'];

export interface Measurement {
  phase: Phase;
  startedAt?: string;
  finishedAt?: string;
  value?: string;
  message?: string;
  metadata?: Record<string, string>;
  resumeAt?: string;
}

export interface MetricResult {
  name: string;
  phase: Phase;
  measurements?: Measurement[];
  message?: string;
  count?: number;
  successful?: number;
  failed?: number;
  inconclusive?: number;
  error?: number;
  consecutiveError?: number;
  dryRun?: boolean;
}

export interface Metric {
  name: string;
  interval?: string | number;
  initialDelay?: string | number;
  count?: number | string;
  successCondition?: string;
  failureCondition?: string;
  failureLimit?: number | string;
  inconclusiveLimit?: number | string;
  consecutiveErrorLimit?: number | string;
  provider?: Record<string, any>;
}

export interface RunStatus {
  phase?: Phase;
  message?: string;
  startedAt?: string;
  /** when the run reached its terminal phase (ttlStrategy counts from it) */
  completedAt?: string;
  metricResults?: MetricResult[];
  runSummary?: { count: number; successful: number; failed: number; inconclusive: number; error: number };
  dryRunSummary?: { count: number; successful: number; failed: number; inconclusive: number; error: number };
}

const num = (v: unknown, d: number) => (v === undefined || v === null || v === '' ? d : Number(v));

/** Parses a measured value for `result`: JSON when it parses, else the string. */
export function resultValue(v: string | undefined): unknown {
  if (v === undefined) return undefined;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

/** Judges one measured value: Successful, Failed or Inconclusive (throws on a bad expression). */
export function assess(m: Metric, value: unknown): Phase {
  const env = { result: value };
  const truthy = (src: string) => {
    const r = evaluateArgo(src, env);
    if (typeof r !== 'boolean') throw new Error(`expected bool, but got ${typeof r}`);
    return r;
  };
  if (m.failureCondition && truthy(m.failureCondition)) return 'Failed';
  if (m.successCondition) {
    if (truthy(m.successCondition)) return 'Successful';
    return m.failureCondition ? 'Inconclusive' : 'Failed';
  }
  return m.failureCondition ? 'Successful' : 'Successful';
}

/** When a metric is due its next measurement (undefined: never again). */
export function nextDue(m: Metric, r: MetricResult | undefined, startedAt: string): number | undefined {
  const last = r?.measurements?.[r.measurements.length - 1];
  if (last && !TERMINAL.includes(last.phase)) return last.resumeAt ? Date.parse(last.resumeAt) : 0;
  if (r && TERMINAL.includes(r.phase)) return undefined;
  if (!last) return Date.parse(startedAt) + (durationMs(m.initialDelay ?? 0) ?? 0);
  const interval = m.interval !== undefined ? durationMs(m.interval) : last.phase === 'Error' ? 10_000 : undefined;
  if (interval === undefined) return undefined;
  return Date.parse(last.finishedAt ?? last.startedAt ?? startedAt) + interval;
}

/** Records a finished measurement and decides whether the metric is over. */
export function record(m: Metric, prev: MetricResult | undefined, meas: Measurement, dryRun: boolean, retention?: number, fatal = false): MetricResult {
  const r: MetricResult = prev ? { ...prev, measurements: [...(prev.measurements ?? [])] } : { name: m.name, phase: 'Running', measurements: [], count: 0, successful: 0, failed: 0, inconclusive: 0, error: 0, consecutiveError: 0 };
  if (dryRun) r.dryRun = true;
  const ms = r.measurements!;
  if (ms.length && !TERMINAL.includes(ms[ms.length - 1].phase)) ms[ms.length - 1] = meas;
  else ms.push(meas);
  if (!TERMINAL.includes(meas.phase)) {
    r.phase = 'Running';
    return r;
  }
  // errors are retried (consecutiveErrorLimit); they do not use up the count
  if (meas.phase !== 'Error') r.count = (r.count ?? 0) + 1;
  if (meas.phase === 'Successful') r.successful = (r.successful ?? 0) + 1;
  if (meas.phase === 'Failed') r.failed = (r.failed ?? 0) + 1;
  if (meas.phase === 'Inconclusive') r.inconclusive = (r.inconclusive ?? 0) + 1;
  if (meas.phase === 'Error') {
    r.error = (r.error ?? 0) + 1;
    r.consecutiveError = (r.consecutiveError ?? 0) + 1;
  } else r.consecutiveError = 0;
  const keep = retention ?? 10;
  if (ms.length > keep) ms.splice(0, ms.length - keep);
  const failureLimit = num(m.failureLimit, 0);
  const inconclusiveLimit = num(m.inconclusiveLimit, 0);
  const errorLimit = num(m.consecutiveErrorLimit, 4);
  const count = m.count !== undefined ? num(m.count, 1) : m.interval !== undefined ? 0 : 1;
  if ((r.failed ?? 0) > failureLimit && failureLimit >= 0) {
    r.phase = 'Failed';
    r.message = `Metric "${m.name}" assessed Failed due to failed (${r.failed}) > failureLimit (${failureLimit})`;
  } else if ((r.inconclusive ?? 0) > inconclusiveLimit && inconclusiveLimit >= 0) {
    r.phase = 'Inconclusive';
    r.message = `Metric "${m.name}" assessed Inconclusive due to inconclusive (${r.inconclusive}) > inconclusiveLimit (${inconclusiveLimit})`;
  } else if (((r.consecutiveError ?? 0) > errorLimit && errorLimit >= 0) || (fatal && meas.phase === 'Error')) {
    r.phase = 'Error';
    r.message = `Metric "${m.name}" assessed Error due to consecutiveErrors (${r.consecutiveError}) > consecutiveErrorLimit (${errorLimit})${meas.message ? `: "Error Message: ${meas.message}"` : ''}`;
  } else if (count > 0 && (r.count ?? 0) >= count) {
    r.phase = 'Successful';
    delete r.message;
  } else r.phase = 'Running';
  return r;
}

const RANK: Record<Phase, number> = { Failed: 5, Error: 4, Inconclusive: 3, Running: 2, Pending: 1, Successful: 0 };

/** The run's phase and message from its metrics (terminated: whatever is still running counts as done). */
export function summarize(metrics: Metric[], results: MetricResult[], terminated: boolean): Pick<RunStatus, 'phase' | 'message' | 'runSummary' | 'dryRunSummary'> {
  const sum = () => ({ count: 0, successful: 0, failed: 0, inconclusive: 0, error: 0 });
  const real = sum();
  const dry = sum();
  let worst: Phase = 'Successful';
  let message: string | undefined;
  for (const m of metrics) {
    const r = results.find((x) => x.name === m.name);
    const ph: Phase = r?.phase ?? 'Pending';
    const s = r?.dryRun ? dry : real;
    s.count++;
    const eff: Phase = terminated && !TERMINAL.includes(ph) ? 'Successful' : ph;
    if (eff === 'Successful') s.successful++;
    if (eff === 'Failed') s.failed++;
    if (eff === 'Inconclusive') s.inconclusive++;
    if (eff === 'Error') s.error++;
    if (r?.dryRun) continue;
    if (RANK[eff] > RANK[worst]) {
      worst = eff;
      message = r?.message;
    }
  }
  let phase: Phase = worst === 'Pending' ? 'Running' : worst;
  if (terminated && !TERMINAL.includes(phase)) phase = 'Successful';
  if (terminated && phase === 'Successful') message = 'Run Terminated';
  return { phase, message, runSummary: real, ...(dry.count ? { dryRunSummary: dry } : {}) };
}

export interface TtlStrategy {
  secondsAfterCompletion?: number;
  secondsAfterSuccess?: number;
  secondsAfterFailure?: number;
}

/**
 * When a completed run is to be deleted (ms since the epoch), or undefined (keep it): the
 * specific `secondsAfterSuccess` (Successful) / `secondsAfterFailure` (Failed, Error,
 * Inconclusive) before `secondsAfterCompletion`, counted from `completedAt`.
 */
export function ttlDeadline(ttl: TtlStrategy | undefined, status: RunStatus): number | undefined {
  if (!ttl || !status.phase || !TERMINAL.includes(status.phase) || !status.completedAt) return undefined;
  const specific = status.phase === 'Successful' ? ttl.secondsAfterSuccess : ttl.secondsAfterFailure;
  const s = specific ?? ttl.secondsAfterCompletion;
  if (s === undefined || s === null || s < 0) return undefined;
  return Date.parse(status.completedAt) + s * 1000;
}
