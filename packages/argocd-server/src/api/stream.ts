/**
 * Streams, newline-delimited JSON as grpc-gateway sends server streams: `GET /api/v1/stream/applications`
 * (`{"result":{"type":"ADDED|MODIFIED|DELETED","application":{…}}}`), `…/{name}/resource-tree`
 * (`{"result":{nodes,…}}` on every change), and pod logs of an app (`{"result":{content,timeStamp,podName}}`).
 */
import type { ServerResponse } from 'node:http';
import { parseLabelSelector, matchLabels } from '@flotilla/apimachinery';
import type { Application } from '@flotilla/argocd-engine/types';
import { cachedJson, invalid, qbool, qlist, STREAMED, notFound, type Router, type Req } from '../http.js';
import { enforce, subjects, type Ctx } from '../context.js';
import { getApp, appObj } from './applications.js';
import { destClient, resourceTree } from '../live.js';

type Listener = (type: 'ADDED' | 'MODIFIED' | 'DELETED', a: Application) => void;
const listeners = new WeakMap<Ctx, Set<Listener>>();

/** One informer handler per server fans out to every open stream. */
function subscribe(ctx: Ctx, l: Listener): () => void {
  let set = listeners.get(ctx);
  if (!set) {
    const s = new Set<Listener>();
    set = s;
    listeners.set(ctx, s);
    let synced = false;
    ctx.store.apps.on({
      add: (a) => synced && s.forEach((f) => f('ADDED', a)),
      update: (_o, a) => s.forEach((f) => f('MODIFIED', a)),
      delete: (a) => s.forEach((f) => f('DELETED', a)),
    });
    synced = true;
  }
  set.add(l);
  return () => set!.delete(l);
}

function startStream(res: ServerResponse): (obj: unknown) => void {
  const write = startLines(res);
  return (obj) => write(JSON.stringify(obj) + '\n');
}

/** Starts a stream answer; the function writes lines already serialised. */
function startLines(res: ServerResponse): (line: string) => void {
  res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
  res.flushHeaders();
  return (line) => {
    if (!res.writableEnded) res.write(line);
  };
}

/**
 * The stream line of an application event, `{"result":{"type":…,"application":…}}`: the application's
 * JSON is made once (cachedJson: informer entries are replaced, never mutated) for every watcher it
 * goes to, and for the initial ADDED lines of every stream that opens.
 */
export function appEventLine(type: 'ADDED' | 'MODIFIED' | 'DELETED', a: Application): string {
  return `{"result":{"type":"${type}","application":${cachedJson(a)}}}\n`;
}

export function registerStreams(r: Router, ctx: Ctx): void {
  r.add('GET', '/api/v1/stream/applications', async (req) => {
    const q = req.query;
    const name = q.get('name');
    const projects = [...qlist(q, 'projects'), ...qlist(q, 'project')];
    const ns = q.get('appNamespace') || ctx.store.namespace;
    const sel = q.get('selector');
    let reqs: ReturnType<typeof parseLabelSelector> | undefined;
    if (sel) {
      try {
        reqs = parseLabelSelector(sel);
      } catch (e) {
        throw invalid(`error parsing the selector '${sel}': ${(e as Error).message}`);
      }
    }
    if (name) await getApp(ctx, req, name);
    const rbac = await ctx.store.rbac();
    const { sub, groups } = subjects(req.claims, rbac.cfg.scopes);
    const wanted = (a: Application) =>
      a.metadata?.namespace === ns && (!name || a.metadata?.name === name) && (!projects.length || projects.includes(a.spec?.project || 'default')) && (!reqs || matchLabels(reqs, a.metadata?.labels as Record<string, string>));
    const send = startLines(req.res);
    const emit = async (type: 'ADDED' | 'MODIFIED' | 'DELETED', a: Application) => {
      if (!wanted(a)) return;
      const cur = await ctx.store.rbac();
      if (!cur.enforce(sub, groups, 'applications', 'get', appObj(a))) return;
      send(appEventLine(type, a));
    };
    if (!q.get('resourceVersion')) for (const a of ctx.store.apps.list(ns)) if (wanted(a) && rbac.enforce(sub, groups, 'applications', 'get', appObj(a))) send(appEventLine('ADDED', a));
    const off = subscribe(ctx, (t, a) => void emit(t, a).catch((e) => ctx.log.warn('application stream', { error: (e as Error).message })));
    req.raw.on('close', off);
    req.res.on('close', off);
    return STREAMED;
  });

  r.add('GET', '/api/v1/stream/applications/{name}/resource-tree', async (req) => {
    const a0 = await getApp(ctx, req, req.params.name);
    const ns = a0.metadata!.namespace!;
    const send = startStream(req.res);
    let last = '';
    let busy = false;
    let again = false;
    const push = async () => {
      if (busy) return void (again = true);
      busy = true;
      try {
        const a = ctx.store.app(req.params.name, ns);
        if (!a) return;
        const tree = await resourceTree(ctx, a);
        const text = JSON.stringify(tree);
        if (text !== last) {
          last = text;
          send({ result: tree });
        }
      } catch (e) {
        ctx.log.warn('resource-tree stream', { app: req.params.name, error: (e as Error).message });
      } finally {
        busy = false;
        if (again) {
          again = false;
          void push();
        }
      }
    };
    await push();
    const off = subscribe(ctx, (_t, a) => {
      if (a.metadata?.name === req.params.name && a.metadata?.namespace === ns) void push();
    });
    const timer = setInterval(() => void push(), 5000);
    const stop = () => {
      off();
      clearInterval(timer);
    };
    req.res.on('close', stop);
    return STREAMED;
  });

  const logs = async (req: Req) => {
    const a = await getApp(ctx, req, req.params.name);
    await enforce(ctx, req, 'logs', 'get', appObj(a));
    const q = req.query;
    const podName = req.params.podName || q.get('podName') || '';
    const kind = q.get('kind') || (podName ? 'Pod' : '');
    const resName = q.get('resourceName') || podName;
    const tree = await resourceTree(ctx, a);
    const byUid = new Map(tree.nodes.map((n) => [n.uid, n]));
    const underTarget = (n: (typeof tree.nodes)[number]): boolean => {
      if (!kind || !resName) return true;
      if (n.kind === kind && n.name === resName && (!q.get('group') || (n.group ?? '') === q.get('group'))) return true;
      return (n.parentRefs ?? []).some((p) => {
        const parent = p.uid ? byUid.get(p.uid) : undefined;
        return parent ? underTarget(parent) : p.kind === kind && p.name === resName;
      });
    };
    const pods = tree.nodes.filter((n) => n.kind === 'Pod' && (!q.get('namespace') || n.namespace === q.get('namespace')) && underTarget(n));
    if (podName && !pods.length) throw notFound(`pod ${podName} not found as part of application ${a.metadata?.name}`);
    const client = destClient(ctx, a);
    const follow = qbool(q, 'follow') === true;
    const filter = q.get('filter') ?? '';
    const match = (line: string) => !filter || (filter.startsWith('!') ? !line.includes(filter.slice(1)) : line.includes(filter));
    const send = startStream(req.res);
    const since = new Map<string, string>();
    let closed = false;
    req.res.on('close', () => (closed = true));
    const fetchPod = async (pod: { name: string; namespace?: string }, first: boolean) => {
      const query: Record<string, string | number | boolean | undefined> = { timestamps: true, container: q.get('container') || undefined, previous: qbool(q, 'previous') || undefined };
      const last = since.get(pod.name);
      if (last) query.sinceTime = last;
      else if (first) {
        if (q.get('tailLines')) query.tailLines = Number(q.get('tailLines'));
        if (q.get('sinceSeconds')) query.sinceSeconds = Number(q.get('sinceSeconds'));
      }
      let text = '';
      try {
        text = await client.request<string>('GET', `/api/v1/namespaces/${encodeURIComponent(pod.namespace ?? '')}/pods/${encodeURIComponent(pod.name)}/log`, { query, text: true });
      } catch (e) {
        if (first) send({ result: { content: `error reading logs of ${pod.name}: ${(e as Error).message}`, podName: pod.name, timeStamp: new Date().toISOString() } });
        return;
      }
      for (const line of text.split('\n')) {
        if (!line) continue;
        const sp = line.indexOf(' ');
        const ts = sp > 0 ? line.slice(0, sp) : '';
        const content = sp > 0 ? line.slice(sp + 1) : line;
        if (last && ts <= last) continue;
        since.set(pod.name, ts);
        if (match(content)) send({ result: { content, timeStamp: ts, timeStampStr: ts, podName: pod.name } });
      }
    };
    for (const p of pods) await fetchPod(p, true);
    if (!follow) {
      send({ result: { last: true, podName: '', content: '' } });
      req.res.end();
      return STREAMED;
    }
    void (async () => {
      while (!closed) {
        await new Promise((r) => setTimeout(r, 1000));
        for (const p of pods) if (!closed) await fetchPod(p, false);
      }
    })();
    return STREAMED;
  };
  r.add('GET', '/api/v1/applications/{name}/logs', logs);
  r.add('GET', '/api/v1/applications/{name}/pods/{podName}/logs', logs);
}
