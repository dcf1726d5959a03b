/**
 * Metric providers: web (HTTP, JSON path), prometheus (instant query API), job (a Kubernetes Job:
 * success = Complete). The other upstream providers parse and fail with
 * "provider not available in this installation".
 */
import { JSONPath } from 'jsonpath-plus';
import type { KubeClient } from '@flotilla/kube-runtime';
import { R, isAlreadyExists, isNotFound } from '@flotilla/kube-runtime';
import { request as httpReq } from 'node:http';
import { request as httpsReq } from 'node:https';
import type { Measurement, Metric } from './run.js';

function httpRequest(url: string, o: { method: string; headers: Record<string, string>; body?: string; timeoutMs: number; insecure?: boolean }): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = (u.protocol === 'https:' ? httpsReq : httpReq)(u, { method: o.method, headers: { ...o.headers, connection: 'close' }, agent: false, timeout: o.timeoutMs, ...(o.insecure ? { rejectUnauthorized: false } : {}) }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`Get "${url}": timeout after ${o.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(o.body);
  });
}

export const UNAVAILABLE = ['datadog', 'newRelic', 'wavefront', 'cloudWatch', 'graphite', 'influxdb', 'kayenta', 'skywalking', 'plugin'];

/** `{{args.x}}` / `{{ args.x }}` substituted everywhere in a metric (JSON-escaped). */
export function substituteArgs<T>(v: T, args: Record<string, string>): T {
  const s = JSON.stringify(v).replace(/\{\{\s*args\.([A-Za-z0-9_.-]+)\s*\}\}/g, (all, name: string) => (name in args ? JSON.stringify(args[name]).slice(1, -1) : all));
  return JSON.parse(s) as T;
}

export interface ProviderCtx {
  client: KubeClient;
  namespace: string;
  runName: string;
  runUid: string;
  now: Date;
  fetch?: typeof fetch;
}

export type Outcome = { value?: string; phase?: Measurement['phase']; message?: string; metadata?: Record<string, string>; resumeAfterMs?: number; fatal?: boolean };

/** Takes (or resumes) one measurement: a value to judge, or a phase decided by the provider. */
export async function measure(m: Metric, ctx: ProviderCtx, running?: Measurement): Promise<Outcome> {
  const p = m.provider ?? {};
  const kind = Object.keys(p)[0];
  if (!kind) return { phase: 'Error', message: 'no provider' };
  if (kind === 'web') return web(p.web, ctx);
  if (kind === 'prometheus') return prometheus(p.prometheus, ctx);
  if (kind === 'job') return job(m, p.job, ctx, running);
  return { phase: 'Error', message: `${kind}: provider not available in this installation`, fatal: true };
}

async function web(w: { url?: string; method?: string; headers?: { key: string; value: string }[]; body?: string; jsonBody?: unknown; timeoutSeconds?: number; jsonPath?: string; insecure?: boolean }, ctx: ProviderCtx): Promise<Outcome> {
  if (!w?.url) return { phase: 'Error', message: 'web: url is required' };
  const headers: Record<string, string> = {};
  for (const h of w.headers ?? []) headers[h.key] = h.value;
  let body: string | undefined = w.body;
  if (w.jsonBody !== undefined) {
    body = JSON.stringify(w.jsonBody);
    headers['Content-Type'] ??= 'application/json';
  }
  // a fresh connection per measurement: a kept-alive one would still reach the pod a Service sent it to
  // before its selector changed (blue-green's preview Service right after the switch)
  const res = await httpRequest(w.url, { method: w.method ?? 'GET', headers, body, timeoutMs: (w.timeoutSeconds ?? 10) * 1000, insecure: !!w.insecure });
  const text = res.text;
  if (res.status < 200 || res.status >= 300) return { phase: 'Error', message: `received non 2xx response code: ${res.status}` };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { phase: 'Error', message: 'Could not parse JSON body' };
  }
  const path = (w.jsonPath ?? '{$}').replace(/^\{(.*)\}$/, '$1');
  const out = JSONPath({ path, json: data as object, wrap: false });
  return { value: typeof out === 'string' ? out : JSON.stringify(out ?? null) };
}

async function prometheus(p: { address?: string; query?: string; timeout?: number }, ctx: ProviderCtx): Promise<Outcome> {
  if (!p?.address || !p.query) return { phase: 'Error', message: 'prometheus: address and query are required' };
  const u = new URL('/api/v1/query', p.address.endsWith('/') ? p.address : p.address + '/');
  u.pathname = new URL(p.address).pathname.replace(/\/$/, '') + '/api/v1/query';
  u.searchParams.set('query', p.query);
  u.searchParams.set('time', String(ctx.now.getTime() / 1000));
  const f = ctx.fetch ?? fetch;
  const res = await f(u, { signal: AbortSignal.timeout((p.timeout ?? 30) * 1000) });
  const body = (await res.json().catch(() => ({}))) as { status?: string; error?: string; data?: { resultType?: string; result?: any } };
  if (body.status !== 'success') return { phase: 'Error', message: body.error ?? `prometheus answered ${res.status}` };
  const d = body.data ?? {};
  if (d.resultType === 'scalar') return { value: String(Number(d.result[1])) };
  if (d.resultType === 'vector') {
    const vals = (d.result as { value: [number, string] }[]).map((x) => Number(x.value[1]));
    return { value: JSON.stringify(vals.map((v) => (Number.isFinite(v) ? v : String(v)))) };
  }
  return { phase: 'Error', message: `unsupported prometheus result type ${d.resultType}` };
}

async function job(m: Metric, j: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Record<string, any> }, ctx: ProviderCtx, running?: Measurement): Promise<Outcome> {
  if (!j?.spec) return { phase: 'Error', message: 'job: spec is required' };
  let name = running?.metadata?.['job-name'];
  if (!name) {
    const n = Date.now().toString(36);
    name = `${ctx.runName}-${m.name}`.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 50) + `-${n}`;
    const obj = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name,
        namespace: ctx.namespace,
        labels: { ...(j.metadata?.labels ?? {}), 'analysisrun.argoproj.io/name': ctx.runName.slice(0, 63), 'analysisrun.argoproj.io/metric-name': m.name.slice(0, 63) },
        annotations: { ...(j.metadata?.annotations ?? {}), 'analysisrun.argoproj.io/name': ctx.runName, 'analysisrun.argoproj.io/metric-name': m.name },
        ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'AnalysisRun', name: ctx.runName, uid: ctx.runUid, controller: true, blockOwnerDeletion: true }],
      },
      spec: j.spec,
    };
    try {
      await ctx.client.create(R.jobs, ctx.namespace, obj as never);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
    return { phase: 'Running', metadata: { 'job-name': name }, resumeAfterMs: 1000 };
  }
  let jobObj: any;
  try {
    jobObj = await ctx.client.get(R.jobs, ctx.namespace, name);
  } catch (e) {
    if (isNotFound(e)) return { phase: 'Error', message: `job ${name} not found` };
    throw e;
  }
  const conds: { type: string; status: string; message?: string }[] = jobObj.status?.conditions ?? [];
  if (conds.some((c) => c.type === 'Complete' && c.status === 'True')) return { phase: 'Successful', metadata: { 'job-name': name } };
  const failed = conds.find((c) => c.type === 'Failed' && c.status === 'True');
  if (failed) return { phase: 'Failed', message: failed.message ?? 'job failed', metadata: { 'job-name': name } };
  return { phase: 'Running', metadata: { 'job-name': name }, resumeAfterMs: 1000 };
}
