/**
 * The streams: workflow logs (`/log`, grpc-gateway's newline-delimited `{"result": {podName, content}}`),
 * workflow watch (`/api/v1/workflow-events/{ns}`: `{"result": {type, object}}`) and Kubernetes events
 * (`/api/v1/stream/events/{ns}`: `{"result": <Event>}`). Each holds its upstream Kubernetes request open for
 * as long as the client stays.
 */
import { request as httpsRequest } from 'node:https';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { KubeClient, Resource } from '@flotilla/kube-runtime';
import { R } from '@flotilla/kube-runtime';
import { fromKube, qbool, STREAMED, Stream, type Router } from '../http.js';
import type { Caller, Ctx } from '../context.js';
import { listNamespace } from '../context.js';
import { AR, LABEL } from '../resources.js';
import { filterFields } from '../fields.js';
import { kcall } from './common.js';

/** Opens a streamed GET on the Kubernetes API with the client's credentials (pods/log?follow=true). */
function openStream(kube: KubeClient, path: string, query: Record<string, string | undefined>, signal: AbortSignal): Promise<IncomingMessage> {
  const u = kube.url(path, query);
  const cfg = kube.config;
  const headers: Record<string, string> = { accept: '*/*' };
  if (kube.token) headers.authorization = `Bearer ${kube.token}`;
  const req = u.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const r = req(u, { method: 'GET', headers, ca: kube.caPem, cert: cfg.cert, key: cfg.key, rejectUnauthorized: !cfg.insecure, agent: false, signal }, (res) => {
      if ((res.statusCode ?? 500) >= 300) {
        let t = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (t += d));
        res.on('end', () => {
          let msg = t;
          try {
            msg = JSON.parse(t).message ?? t;
          } catch {
            /* text */
          }
          reject(fromKube({ code: res.statusCode, message: msg.trim() }));
        });
        return;
      }
      resolve(res);
    });
    r.on('error', reject);
    r.end();
  });
}

export interface LogOpts {
  container: string;
  follow: boolean;
  sinceSeconds?: string;
  sinceTime?: string;
  tailLines?: string;
  timestamps?: boolean;
  previous?: boolean;
  grep?: RegExp;
}

export function logOpts(q: URLSearchParams, prefix = 'logOptions'): LogOpts {
  const g = (k: string) => q.get(`${prefix}.${k}`) || undefined;
  const grep = q.get('grep');
  return { container: g('container') ?? 'main', follow: qbool(q, `${prefix}.follow`) ?? false, sinceSeconds: g('sinceSeconds'), sinceTime: g('sinceTime.seconds') ? new Date(Number(g('sinceTime.seconds')) * 1000).toISOString() : undefined, tailLines: g('tailLines'), timestamps: qbool(q, `${prefix}.timestamps`), previous: qbool(q, `${prefix}.previous`), grep: grep ? new RegExp(grep) : undefined };
}

/** Streams one pod's container log, a `{podName, content}` result a line (or `shape(line)`). */
export async function podLog(kube: KubeClient, ns: string, pod: string, o: LogOpts, out: Stream, signal: AbortSignal, shape: (line: string) => unknown = (content) => ({ podName: pod, content })): Promise<void> {
  const res = await openStream(kube, `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(pod)}/log`, {
    container: o.container, follow: o.follow ? 'true' : undefined, sinceSeconds: o.sinceSeconds, sinceTime: o.sinceTime, tailLines: o.tailLines, timestamps: o.timestamps ? 'true' : undefined, previous: o.previous ? 'true' : undefined,
  }, signal);
  await new Promise<void>((resolve) => {
    let buf = '';
    const emit = (line: string) => {
      if (o.grep && !o.grep.test(line)) return;
      const v = shape(line);
      if (v !== undefined) out.send(v);
    };
    res.setEncoding('utf8');
    res.on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        emit(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
    const done = () => {
      if (buf) emit(buf);
      buf = '';
      resolve();
    };
    res.on('end', done);
    res.on('close', done);
    res.on('error', done);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function workflowLogs(kube: KubeClient, ns: string, name: string, onlyPod: string | undefined, o: LogOpts, out: Stream, signal: AbortSignal): Promise<void> {
  const wf = await kcall(kube.get<any>(AR.workflows, ns, name));
  const started = new Set<string>();
  const running: Promise<void>[] = [];
  const startPods = async () => {
    const pods = (await kcall(kube.list<any>(R.pods, ns, { labelSelector: `${LABEL.workflow}=${name}` }))).items
      .sort((a, b) => String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)) || a.metadata.name.localeCompare(b.metadata.name));
    for (const p of pods) {
      const pn = p.metadata.name as string;
      if (started.has(pn) || (onlyPod && pn !== onlyPod)) continue;
      if (!(p.spec?.containers ?? []).some((c: any) => c.name === o.container)) continue;
      // a pod whose container has not started yet has no log: try again on the next round
      const st = (p.status?.containerStatuses ?? []).find((c: any) => c.name === o.container);
      if (!st || (!st.state?.running && !st.state?.terminated)) continue;
      started.add(pn);
      const pr = podLog(kube, ns, pn, o, out, signal).catch((e) => {
        if (!signal.aborted) out.send({ podName: pn, content: `(log of ${pn}: ${(e as Error).message})` });
      });
      if (o.follow) running.push(pr);
      else await pr;
    }
  };
  await startPods();
  if (!o.follow) return;
  let done = ['Succeeded', 'Failed', 'Error'].includes(wf.status?.phase);
  while (!done && !signal.aborted) {
    await sleep(1000);
    await startPods().catch(() => {});
    const cur = await kube.get<any>(AR.workflows, ns, name).catch(() => undefined);
    done = !cur || ['Succeeded', 'Failed', 'Error'].includes(cur.status?.phase);
  }
  await startPods().catch(() => {});
  await Promise.all(running);
}

/** A Kubernetes watch relayed as `{"result": …}` lines until the client goes away; re-watched when the API server ends it. */
export async function relayWatch(kube: KubeClient, r: Resource, ns: string | undefined, q: Record<string, string | undefined>, out: Stream, signal: AbortSignal, shape: (ev: { type: string; object: any }) => unknown): Promise<void> {
  let rv = q.resourceVersion;
  out.start();
  while (!signal.aborted && !out.closed) {
    const path = `${r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`}${ns ? `/namespaces/${encodeURIComponent(ns)}` : ''}/${r.plural}`;
    try {
      await kube.watch(path, { ...q, resourceVersion: rv, allowWatchBookmarks: 'true' }, (ev) => {
        const o = ev.object as any;
        if (o?.metadata?.resourceVersion) rv = o.metadata.resourceVersion;
        if (ev.type === 'BOOKMARK') return;
        if (ev.type === 'ERROR') {
          rv = undefined;
          return;
        }
        out.send(shape(ev as { type: string; object: any }));
      }, signal);
    } catch (e) {
      if (signal.aborted) return;
      const err = fromKube(e);
      if ((e as { code?: number }).code === 410) {
        rv = undefined;
        continue;
      }
      out.fail(err);
      return;
    }
    if (!signal.aborted) await sleep(200);
  }
}

export function registerStreams(router: Router<Caller>, ctx: Ctx): void {
  const logs = (pod: boolean) => async (r: Parameters<Parameters<Router<Caller>['add']>[2]>[0]) => {
    const out = new Stream(r.res);
    const ac = new AbortController();
    r.res.on('close', () => ac.abort());
    try {
      await workflowLogs(r.ctx.kube, r.params.namespace!, r.params.name!, pod ? r.params.podName : r.query.get('podName') || undefined, logOpts(r.query), out, ac.signal);
      out.end();
    } catch (e) {
      out.fail(fromKube(e));
      if (!r.res.writableEnded) r.res.end();
    }
    return STREAMED;
  };
  router.add('GET', '/api/v1/workflows/{namespace}/{name}/log', logs(false));
  router.add('GET', '/api/v1/workflows/{namespace}/{name}/{podName}/log', logs(true));

  const watch = (res: Resource, shape: (ev: { type: string; object: any }, q: URLSearchParams) => unknown) => async (r: Parameters<Parameters<Router<Caller>['add']>[2]>[0]) => {
    const out = new Stream(r.res);
    const ac = new AbortController();
    r.res.on('close', () => ac.abort());
    const g = (k: string) => r.query.get(`listOptions.${k}`) || undefined;
    await relayWatch(r.ctx.kube, res, listNamespace(ctx, r.params.namespace), { labelSelector: g('labelSelector'), fieldSelector: g('fieldSelector'), resourceVersion: g('resourceVersion') }, out, ac.signal, (ev) => shape(ev, r.query));
    if (!r.res.writableEnded) r.res.end();
    return STREAMED;
  };
  // `fields` names paths below the stream's envelope, as upstream's UI sends them: result.type,result.object.metadata.name
  const wfShape = (ev: { type: string; object: any }, q: URLSearchParams) => filterFields({ result: { type: ev.type, object: { ...ev.object, apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow' } } }, q.get('fields')).result ?? {};
  router.add('GET', '/api/v1/workflow-events/{namespace}', watch(AR.workflows, wfShape));
  router.add('GET', '/api/v1/workflow-events', watch(AR.workflows, wfShape));
  router.add('GET', '/api/v1/stream/events/{namespace}', watch(R.events, (ev) => ({ ...ev.object, apiVersion: 'v1', kind: 'Event' })));
  router.add('GET', '/api/v1/stream/events', watch(R.events, (ev) => ({ ...ev.object, apiVersion: 'v1', kind: 'Event' })));
}
