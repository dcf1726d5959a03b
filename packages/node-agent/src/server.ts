/**
 * The kubelet's HTTP endpoint on 127.0.0.1: `GET /containerLogs/{namespace}/{pod}/{container}`
 * (what the API server proxies `pods/{name}/log` to), `/healthz`, `/pods`, `/stats/summary`
 * (resource usage, for metrics.k8s.io), and the streaming
 * upgrades `/exec/{namespace}/{pod}/{container}`, `/attach/…` and `/portForward/{namespace}/{pod}`
 * (WebSocket or SPDY/3.1, see streaming.ts), and `/dial/{podIP}/{port}` (a TCP connection into a pod,
 * for the API server's admission webhook calls).
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { formatRecord, selectRecords, type LogQuery } from './logs.js';
import type { PodWorker } from './pod.js';
import { splice } from './sockets.js';
import {
  channelProtocol,
  runAttach,
  runExec,
  servePortForward,
  SpdySession,
  spdyStreams,
  webSocketPortForward,
  webSocketStreams,
  type StreamIO,
  type StreamOptions,
} from './streaming.js';

export interface KubeletServerOptions {
  host: string;
  port: number;
  /** bearer tokens accepted */
  tokens: () => Set<string>;
  findPod(ns: string, name: string): PodWorker | undefined;
  pods(): PodWorker[];
  log: (m: string) => void;
  /** the Summary API document (`/stats/summary`, resource usage; see stats.ts) */
  summary?(): Promise<unknown>;
  /** a TCP connection to `port` inside the pod's network (port-forward); default: the pod IP from here */
  dialPod?(w: PodWorker, port: number): Promise<Duplex>;
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
  // upgraded connections (exec, attach, port-forward) are not the HTTP server's: closed on close()
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    upgraded.add(socket);
    socket.on('close', () => upgraded.delete(socket));
    socket.on('error', () => {});
    try {
      upgrade(o, req, socket, head);
    } catch (e) {
      o.log(`kubelet server: ${(e as Error).stack ?? e}`);
      rawError(socket, 500, (e as Error).message);
    }
  });
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
        for (const s of upgraded) s.destroy();
      }),
  };
}

function handle(o: KubeletServerOptions, req: IncomingMessage, res: ServerResponse): void {
  const u = new URL(req.url ?? '/', 'http://kubelet');
  if (u.pathname === '/healthz') return text(res, 200, 'ok');
  const auth = String(req.headers.authorization ?? '');
  const token = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
  if (!token || !o.tokens().has(token)) return text(res, 401, 'Unauthorized');
  if (/^\/(exec|attach|portForward)\//.test(u.pathname) && (req.method === 'GET' || req.method === 'POST')) return text(res, 400, 'Upgrade request required');
  if (req.method !== 'GET') return text(res, 405, 'method not allowed');
  if (u.pathname === '/pods' || u.pathname === '/pods/') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: o.pods().map((w) => ({ ...w.pod, status: w.buildStatus() })) }));
    return;
  }
  if (/^\/(exec|attach|portForward)\//.test(u.pathname)) return text(res, 400, 'Upgrade request required');
  if ((u.pathname === '/stats/summary' || u.pathname === '/stats/summary/') && o.summary) {
    o.summary().then(
      (doc) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(doc));
      },
      (e: Error) => text(res, 500, `reading resource usage: ${e.message}`),
    );
    return;
  }
  if (/^\/run\//.test(u.pathname)) return text(res, 501, 'run is not implemented by the flotilla node agent (use exec)');
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

// ------------------------------------------------------------------ streaming upgrades

/** the subprotocol chosen for a WebSocket upgrade request (ws asks handleProtocols) */
const chosen = new WeakMap<IncomingMessage, string>();
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false, handleProtocols: (_offered, req) => chosen.get(req) ?? false });
const EXEC_SPDY_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];
const PF_SPDY_PROTOCOL = 'portforward.k8s.io';
const PF_TUNNEL_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';

function rawError(socket: Duplex, code: number, msg: string): void {
  if (socket.destroyed) return;
  const body = msg.endsWith('\n') ? msg : `${msg}\n`;
  socket.end(`HTTP/1.1 ${code} ${STATUS_CODES[code] ?? ''}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

const listHeader = (v: string | string[] | undefined): string[] =>
  (Array.isArray(v) ? v.join(',') : v ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

const flag = (q: URLSearchParams, k: string) => ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(q.get(k) ?? '');

function defaultDial(w: PodWorker, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: w.ip, port, allowHalfOpen: true });
    s.once('connect', () => {
      s.removeListener('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/**
 * `/dial/{podIP}/{port}` (`Upgrade: tcp`): a raw TCP connection to a pod of this node, for the API
 * server, which lives outside the pod network (admission webhooks served by pods). Only the pods
 * of this node are dialed.
 */
function dialUpgrade(o: KubeletServerOptions, ip: string, port: number, socket: Socket, head: Buffer): void {
  const w = o.pods().find((p) => p.ip === ip);
  if (!w) return rawError(socket, 404, `no pod with IP ${ip} on this node`);
  if (!(port >= 1 && port <= 65535)) return rawError(socket, 400, `port ${port} is not between 1 and 65535`);
  (o.dialPod ?? defaultDial)(w, port).then(
    (s) => {
      if (socket.destroyed) return s.destroy();
      socket.setNoDelay(true);
      socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
      if (head.length) s.write(head);
      splice(socket, s);
    },
    (e: Error) => rawError(socket, 502, `dial tcp ${ip}:${port}: ${e.message}`),
  );
}

function upgrade(o: KubeletServerOptions, req: IncomingMessage, socket: Socket, head: Buffer): void {
  const u = new URL(req.url ?? '/', 'http://kubelet');
  const auth = String(req.headers.authorization ?? '');
  const token = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
  if (!token || !o.tokens().has(token)) return rawError(socket, 401, 'Unauthorized');
  const d = /^\/dial\/([^/]+)\/(\d+)$/.exec(u.pathname);
  if (d) return dialUpgrade(o, decodeURIComponent(d[1]), Number(d[2]), socket, head);
  const m = /^\/(exec|attach|portForward)\/([^/]+)\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?\/?$/.exec(u.pathname);
  if (!m) return rawError(socket, 404, `404 page not found: ${u.pathname}`);
  const kind = m[1];
  const [ns, podName] = [m[2], m[3]].map(decodeURIComponent);
  const w = o.findPod(ns, podName);
  if (!w) return rawError(socket, 404, 'pod does not exist');
  const up = String(req.headers.upgrade ?? '').toLowerCase();
  const isWs = up === 'websocket';
  const isSpdy = up.startsWith('spdy/3');
  if (!isWs && !isSpdy) return rawError(socket, 400, `unable to upgrade: unsupported protocol ${JSON.stringify(req.headers.upgrade ?? '')}`);
  const q = u.searchParams;
  const dial = (port: number) => (o.dialPod ?? defaultDial)(w, port);

  if (kind === 'portForward') {
    // /portForward/{ns}/{pod}[/{uid}]
    const uid = m[4] ? decodeURIComponent(m[4]) : undefined;
    if (uid && uid !== w.uid) return rawError(socket, 404, 'pod does not exist');
    if (isSpdy) {
      const offered = listHeader(req.headers['x-stream-protocol-version']);
      if (offered.length && !offered.includes(PF_SPDY_PROTOCOL))
        return rawError(socket, 403, `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server supports [${PF_SPDY_PROTOCOL}]`);
      socket.setNoDelay(true);
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${PF_SPDY_PROTOCOL}\r\n\r\n`);
      if (head.length) socket.unshift(head);
      servePortForward(new SpdySession(socket), w, dial, o.log);
      return;
    }
    const offered = listHeader(req.headers['sec-websocket-protocol']);
    const proto = offered.find((p) => p === PF_TUNNEL_PROTOCOL || p === PF_SPDY_PROTOCOL || /^(v4\.)?(base64\.)?channel\.k8s\.io$/.test(p));
    if (offered.length && !proto) return rawError(socket, 400, `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server supports [${PF_TUNNEL_PROTOCOL} v4.channel.k8s.io]`);
    const ports = q
      .getAll('port')
      .concat(q.getAll('ports'))
      .flatMap((p) => p.split(','))
      .map(Number);
    if (proto !== PF_TUNNEL_PROTOCOL) {
      if (!ports.length || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) return rawError(socket, 400, 'query parameter "port" is required');
    }
    socket.setNoDelay(true);
    if (proto) chosen.set(req, proto);
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (proto === PF_TUNNEL_PROTOCOL) {
        // binary messages carry the SPDY byte stream
        servePortForward(new SpdySession(createWebSocketStream(ws)), w, dial, o.log);
      } else webSocketPortForward(ws, proto ?? '', ports, w, dial, o.log);
    });
    return;
  }

  // exec / attach: /{kind}/{ns}/{pod}/{container}
  const container = m[4] ? decodeURIComponent(m[4]) : '';
  if (!container || m[5]) return rawError(socket, 404, `404 page not found: ${u.pathname}`);
  if (!w.containerInfo(container)) return rawError(socket, 404, `container not found (${JSON.stringify(container)})`);
  if (!w.containerInfo(container)!.running) return rawError(socket, 500, `container not found (${JSON.stringify(container)})`);
  const opts: StreamOptions = { stdin: flag(q, 'input') || flag(q, 'stdin'), stdout: flag(q, 'output') || flag(q, 'stdout'), stderr: flag(q, 'error') || flag(q, 'stderr'), tty: flag(q, 'tty') };
  if (!opts.stdin && !opts.stdout && !opts.stderr) return rawError(socket, 400, 'you must specify at least one of stdin, stdout, stderr');
  const argv = q.getAll('command');
  if (kind === 'exec' && argv.length === 0) return rawError(socket, 400, 'you must specify at least 1 command');
  const start = (io: StreamIO) => {
    if (kind === 'exec') runExec(w, container, argv, opts, io);
    else runAttach(w, container, opts, io);
  };
  if (isSpdy) {
    const offered = listHeader(req.headers['x-stream-protocol-version']);
    const proto = offered.length ? offered.find((p) => EXEC_SPDY_PROTOCOLS.includes(p)) : 'channel.k8s.io';
    if (!proto) return rawError(socket, 403, `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server supports [${EXEC_SPDY_PROTOCOLS.join(' ')}]`);
    socket.setNoDelay(true);
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n${offered.length ? `X-Stream-Protocol-Version: ${proto}\r\n` : ''}\r\n`);
    if (head.length) socket.unshift(head);
    const session = new SpdySession(socket);
    spdyStreams(session, channelProtocol(proto)!.version, opts, (io) => {
      if (io) start(io);
      else session.destroy();
    });
    return;
  }
  const offered = listHeader(req.headers['sec-websocket-protocol']);
  const proto = offered.find((p) => channelProtocol(p));
  if (offered.length && !proto) return rawError(socket, 400, `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server supports [${EXEC_SPDY_PROTOCOLS.join(' ')} and their base64 variants]`);
  socket.setNoDelay(true);
  if (proto) chosen.set(req, proto);
  wss.handleUpgrade(req, socket, head, (ws) => start(webSocketStreams(ws, proto ?? 'channel.k8s.io', opts)));
}
