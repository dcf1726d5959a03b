/**
 * The AnalysisRun controller: each reconcile takes the measurements that are due (one per metric),
 * judges them, writes status.metricResults / phase / message, and requeues for the next one.
 * Args with valueFrom.secretKeyRef are read from Secrets; a bad expression is an Error measurement.
 */
import { Controller, isConflict, isNotFound, R, type Informer, type RuntimeContext } from '@flotilla/kube-runtime';
import { ANALYSIS_RUNS } from '../resources.js';
import { BUILD_ERROR_ANNOTATION } from './build.js';
import { measure, substituteArgs } from './providers.js';
import { assess, nextDue, record, summarize, TERMINAL, ttlDeadline, type Measurement, type Metric, type MetricResult, type RunStatus, type TtlStrategy } from './run.js';

type Run = {
  metadata: { name?: string; namespace?: string; uid?: string; annotations?: Record<string, string>; creationTimestamp?: string; deletionTimestamp?: string; resourceVersion?: string; [k: string]: unknown };
  spec?: { metrics?: Metric[]; args?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[]; terminate?: boolean; dryRun?: { metricName: string }[]; measurementRetention?: { metricName: string; limit: number }[] };
  status?: RunStatus;
  [k: string]: unknown;
};

const iso = (d: Date) => d.toISOString().replace(/\.\d+Z$/, 'Z');

export class AnalysisRunController extends Controller {
  readonly runs: Informer<Run>;
  constructor(
    ctx: RuntimeContext,
    private readonly o: { workers?: number; now?: () => Date; onRun?: () => void; fetch?: typeof fetch } = {},
  ) {
    super('analysisrun-controller', ctx, { workers: o.workers ?? 4, maxDelayMs: 10_000 });
    this.runs = ctx.informers.for<Run>(ANALYSIS_RUNS);
    this.watch(this.runs);
  }

  protected primary(): Informer {
    return this.runs as unknown as Informer;
  }

  private async args(run: Run): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const a of run.spec?.args ?? []) {
      if (a.value !== undefined) out[a.name] = a.value;
      else if (a.valueFrom?.secretKeyRef) {
        const s = await this.ctx.client.get<{ metadata: Record<string, unknown>; data?: Record<string, string> }>(R.secrets, run.metadata.namespace, a.valueFrom.secretKeyRef.name);
        const v = s.data?.[a.valueFrom.secretKeyRef.key];
        if (v === undefined) throw new Error(`key ${a.valueFrom.secretKeyRef.key} not found in secret ${a.valueFrom.secretKeyRef.name}`);
        out[a.name] = Buffer.from(v, 'base64').toString('utf8');
      }
    }
    return out;
  }

  async reconcile(key: string): Promise<{ requeueAfter?: number } | void> {
    const [ns, name] = key.split('/');
    const run = this.runs.get(ns, name);
    if (!run || run.metadata.deletionTimestamp) return;
    this.o.onRun?.();
    const old = run.status ?? {};
    if (old.phase && TERMINAL.includes(old.phase)) return this.expire(run);
    if (!old.phase) this.log(`${key}: started (${(run.spec?.metrics ?? []).length} metrics)`);
    const now = this.o.now?.() ?? new Date();
    const status: RunStatus = JSON.parse(JSON.stringify(old));
    status.startedAt ??= iso(now);
    const metrics = run.spec?.metrics ?? [];
    const buildError = run.metadata.annotations?.[BUILD_ERROR_ANNOTATION];
    if (buildError || !metrics.length) {
      return this.write(run, { ...status, phase: 'Error', message: buildError ?? 'analysis run has no metrics' });
    }
    let args: Record<string, string>;
    try {
      args = await this.args(run);
    } catch (e) {
      return this.write(run, { ...status, phase: 'Error', message: (e as Error).message });
    }
    const terminated = !!run.spec?.terminate;
    const results: MetricResult[] = [...(status.metricResults ?? [])];
    let next: number | undefined;
    const dry = new Set((run.spec?.dryRun ?? []).map((d) => d.metricName));
    const failedAlready = metrics.some((m) => !dry.has(m.name) && !dry.has('*') && ['Failed', 'Error', 'Inconclusive'].includes(results.find((r) => r.name === m.name)?.phase ?? ''));
    if (!terminated && !failedAlready) {
      for (const raw of metrics) {
        const m = substituteArgs(raw, args);
        const i = results.findIndex((r) => r.name === m.name);
        const prev = i >= 0 ? results[i] : undefined;
        const due = nextDue(m, prev, status.startedAt);
        if (due === undefined) continue;
        if (due > now.getTime()) {
          next = Math.min(next ?? Infinity, due);
          continue;
        }
        const last = prev?.measurements?.[prev.measurements.length - 1];
        const running = last && !TERMINAL.includes(last.phase) ? last : undefined;
        const meas: Measurement = { phase: 'Running', startedAt: running?.startedAt ?? iso(now) };
        let fatal = false;
        try {
          const out = await withTimeout(measure(m, { client: this.ctx.client, namespace: ns, runName: name, runUid: run.metadata.uid!, now, fetch: this.o.fetch }, running), 60_000, `metric ${m.name}: measurement timed out`);
          this.log(`${key}: metric ${m.name}: ${out.phase ?? 'value'} ${out.value ?? out.message ?? ''}`);
          if (out.metadata) meas.metadata = out.metadata;
          fatal = !!out.fatal;
          if (out.phase === 'Running') {
            meas.resumeAt = iso(new Date(now.getTime() + (out.resumeAfterMs ?? 1000)));
            next = Math.min(next ?? Infinity, now.getTime() + (out.resumeAfterMs ?? 1000));
          } else {
            meas.finishedAt = iso(now);
            if (out.phase) {
              meas.phase = out.phase;
              if (out.message) meas.message = out.message;
            } else {
              meas.value = out.value;
              meas.phase = assess(m, parse(out.value));
            }
          }
        } catch (e) {
          this.log(`${key}: metric ${m.name}: error ${(e as Error).message}${(e as { cause?: Error }).cause ? ` (${(e as { cause?: Error }).cause!.message})` : ''}`);
          meas.phase = 'Error';
          meas.finishedAt = iso(now);
          meas.message = (e as Error).message;
        }
        const limit = run.spec?.measurementRetention?.find((x) => x.metricName === m.name || x.metricName === '*')?.limit;
        const r = record(m, prev, meas, dry.has(m.name) || dry.has('*'), limit, fatal);
        if (i >= 0) results[i] = r;
        else results.push(r);
        const again = nextDue(m, r, status.startedAt);
        if (again !== undefined) next = Math.min(next ?? Infinity, Math.max(again, now.getTime() + 100));
      }
    }
    status.metricResults = results;
    Object.assign(status, summarize(metrics, results, terminated));
    if (!status.message) delete status.message;
    if (status.phase && TERMINAL.includes(status.phase)) next = undefined;
    const retry = await this.write(run, status);
    if (retry) return retry;
    return next !== undefined ? { requeueAfter: Math.max(50, next - now.getTime()) } : undefined;
  }

  /** ttlStrategy: a completed run is deleted once its time is up (looked at again then). */
  private async expire(run: Run): Promise<{ requeueAfter: number } | void> {
    const status = (run.status ?? {}) as RunStatus;
    const ttl = (run.spec as { ttlStrategy?: TtlStrategy } | undefined)?.ttlStrategy;
    if (!ttl) return;
    // completed before completedAt was written: count from now
    if (!status.completedAt) return this.write(run, { ...status, completedAt: iso(this.o.now?.() ?? new Date()) });
    const at = ttlDeadline(ttl, status);
    if (at === undefined) return;
    const left = at - (this.o.now?.() ?? new Date()).getTime();
    if (left > 0) return { requeueAfter: left + 50 };
    await this.ctx.client.delete(ANALYSIS_RUNS, run.metadata.namespace, run.metadata.name!).catch((e) => {
      if (!isNotFound(e)) throw e;
    });
    this.log(`${run.metadata.namespace}/${run.metadata.name}: deleted (ttlStrategy)`);
  }

  private async write(run: Run, status: RunStatus): Promise<{ requeueAfter: number } | void> {
    if (status.phase && TERMINAL.includes(status.phase) && !status.completedAt) status = { ...status, completedAt: iso(this.o.now?.() ?? new Date()) };
    if (JSON.stringify(status) === JSON.stringify(run.status ?? {})) return;
    try {
      // upstream's AnalysisRun has no status subresource (nor RBAC for one): the object is updated
      await this.ctx.client.update(ANALYSIS_RUNS, { ...run, status } as never);
    } catch (e) {
      // a copy behind the server (our last write, or terminate): measure again from the fresh one shortly
      if (isConflict(e)) return { requeueAfter: 200 };
      throw e;
    }
  }
}

function parse(v: string | undefined): unknown {
  if (v === undefined) return undefined;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (t = setTimeout(() => reject(new Error(message)), ms)))]).finally(() => clearTimeout(t));
}
