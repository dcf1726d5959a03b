/**
 * The kubelet's HTTP endpoint on 127.0.0.1: `GET /containerLogs/{namespace}/{pod}/{container}`
 * (what the API server proxies `pods/{name}/log` to), `/healthz`, `/pods`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatRecord, selectRecords, type LogQuery } from './logs.js';
import type { PodWorker } from './pod.js';

export interface KubeletServerOptions {
  host: string;
  port: number;
  /** bearer tokens accepted */
  tokens: () => Set<string>;
  findPod(ns: string, name: string): PodWorker | undefined;
  pods(): PodWorker[];
  log: (m: string) => void;
}

function text(res: ServerResponse, code: number, msg: string): void {
  res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(msg.endsWith('\n') ? msg : `${msg}\n`);
}

function intParam(v: string | null): number | undefined {
  if (v === null || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? Math.floor(n) : undefined;
}

export async function startKubeletServer(o: KubeletServerOptions): Promise<{ server: Server; url: string; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    try {
      handle(o, req, res);
    } catch (e) {
      o.log(`kubelet server: ${(e as Error).stack ?? e}`);
      if (!res.headersSent) text(res, 500, (e as Error).message);
      else res.end();
    }
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://${o.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function handle(o: KubeletServerOptions, req: IncomingMessage, res: ServerResponse): void {
  const u = new URL(req.url ?? '/', 'http://kubelet');
  if (u.pathname === '/healthz') return text(res, 200, 'ok');
  const auth = String(req.headers.authorization ?? '');
  const token = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
  if (!token || !o.tokens().has(token)) return text(res, 401, 'Unauthorized');
  if (req.method !== 'GET') return text(res, 405, 'method not allowed');
  if (u.pathname === '/pods' || u.pathname === '/pods/') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: o.pods().map((w) => ({ ...w.pod, status: w.buildStatus() })) }));
    return;
  }
  if (/^\/(exec|attach|portForward|run)\//.test(u.pathname)) return text(res, 501, `${u.pathname.split('/')[1]} is not implemented by the flotilla node agent yet (see docs/node-agent.md)`);
  const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)\/?$/.exec(u.pathname);
  if (!m) return text(res, 404, `404 page not found: ${u.pathname}`);
  const [ns, pod, container] = m.slice(1).map(decodeURIComponent);
  return containerLogs(o, ns, pod, container, u.searchParams, req, res);
}

function containerLogs(o: KubeletServerOptions, ns: string, podName: string, container: string, q: URLSearchParams, _req: IncomingMessage, res: ServerResponse): void {
  const w = o.findPod(ns, podName);
  if (!w) return text(res, 404, `pod "${podName}" in namespace "${ns}" is not on this node`);
  const info = w.containerInfo(container);
  const log = w.containerLog(container);
  if (!info || !log) return text(res, 404, `container ${container} is not valid for pod ${podName}`);
  const previous = q.get('previous') === 'true';
  const current = info.runs - 1;
  const run = previous ? current - 1 : current;
  if (previous && run < 0) return text(res, 400, `previous terminated container "${container}" in pod "${podName}" not found`);
  if (run < 0) {
    const why = info.waiting === 'ErrImagePull' || info.waiting === 'ImagePullBackOff' ? 'trying and failing to pull image' : info.waiting ?? 'ContainerCreating';
    return text(res, 400, `container "${container}" in pod "${podName}" is waiting to start: ${why}`);
  }
  const query: LogQuery = { timestamps: q.get('timestamps') === 'true', tailLines: intParam(q.get('tailLines')), limitBytes: intParam(q.get('limitBytes')) };
  const since = intParam(q.get('sinceSeconds'));
  if (since !== undefined) query.sinceMs = Date.now() - since * 1000;
  const sinceTime = q.get('sinceTime');
  if (sinceTime) {
    const t = Date.parse(sinceTime);
    if (!Number.isNaN(t)) query.sinceMs = t;
  }
  const follow = q.get('follow') === 'true' && !previous;
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache, private' });
  let budget = query.limitBytes && query.limitBytes > 0 ? query.limitBytes : Infinity;
  const write = (s: string): boolean => {
    if (budget <= 0) return false;
    if (Buffer.byteLength(s) > budget) {
      res.write(Buffer.from(s).subarray(0, budget));
      budget = 0;
      return false;
    }
    budget -= Buffer.byteLength(s);
    res.write(s);
    return true;
  };
  // read and subscribe in the same tick: no line can fall between them
  const records = selectRecords(log.read(run), query);
  let more = true;
  let chunk = '';
  for (const r of records) {
    chunk += formatRecord(r, !!query.timestamps);
    if (chunk.length > 64 * 1024) {
      more = write(chunk);
      chunk = '';
      if (!more) break;
    }
  }
  if (more && chunk) more = write(chunk);
  if (!follow || !more || !(log.running && log.currentRun === run)) {
    res.end();
    return;
  }
  const unsubscribe = log.follow(run, {
    onRecord: (r) => {
      if (!write(formatRecord(r, !!query.timestamps))) {
        unsubscribe();
        res.end();
      }
    },
    onEnd: () => {
      unsubscribe();
      res.end();
    },
  });
  res.on('close', unsubscribe);
}
