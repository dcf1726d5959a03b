/** Connect subresources (pods exec, attach, portforward): checks, the kubelet target and the upgrade proxy. */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import { connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { ApiError, badRequest, notFound } from './errors.js';
import type { Objects } from './objects.js';
import type { Registry } from './registry.js';
import type { Store } from './store.js';

export interface ConnectDeps {
  objects: Objects;
  reg: Registry;
  store: Store;
}
export interface ConnectTarget {
  host: string;
  port: number;
  path: string;
  nodeName: string;
}

/** Where a connect request goes on the kubelet, with Kubernetes' checks and messages. */
export function connectTarget(d: ConnectDeps, ns: string, name: string, sub: string, q: URLSearchParams): ConnectTarget {
  const s = d.reg.find('', 'v1', 'pods')!;
  const p = d.objects.get(s, ns, name).obj as any;
  const fwd = new URLSearchParams();
  let kpath: string;
  if (sub === 'portforward') {
    const ports = q.getAll('ports').flatMap((x) => x.split(',')).filter(Boolean);
    for (const port of ports) {
      const n = Number(port);
      if (!Number.isInteger(n) || n < 1 || n > 65535) throw badRequest(`ports: Invalid value: ${JSON.stringify(port)}: must be between 1 and 65535, inclusive`);
    }
    if (ports.length) fwd.set('port', ports.join(','));
    kpath = `/portForward/${encodeURIComponent(ns)}/${encodeURIComponent(name)}`;
  } else {
    const containers = (p.spec?.containers ?? []).map((c: any) => c.name as string);
    const inits = (p.spec?.initContainers ?? []).map((c: any) => c.name as string);
    const ephemeral = (p.spec?.ephemeralContainers ?? []).map((c: any) => c.name as string);
    let c = q.get('container') ?? '';
    if (!c) {
      const annotated = p.metadata?.annotations?.['kubectl.kubernetes.io/default-container'];
      if (annotated && containers.includes(annotated)) c = annotated;
      else if (containers.length === 1) c = containers[0];
      else if (containers.length === 0) throw badRequest(`a container name must be specified for pod ${name}`);
      else
        throw badRequest(
          `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]${inits.length ? ` or one of the init containers: [${inits.join(' ')}]` : ''}`,
        );
    } else if (![...containers, ...inits, ...ephemeral].includes(c)) throw badRequest(`container ${c} is not valid for pod ${name}`);
    const bool = (k: string) => ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(q.get(k) ?? '');
    const stdin = bool('stdin');
    const stdout = bool('stdout');
    const stderr = bool('stderr');
    const tty = bool('tty');
    if (sub === 'exec') {
      const command = q.getAll('command');
      if (command.length === 0) throw badRequest('you must specify at least 1 command');
      for (const a of command) fwd.append('command', a);
    }
    if (!stdin && !stdout && !stderr) throw badRequest('you must specify at least one of stdin, stdout, stderr');
    if (stdin) fwd.set('stdin', '1');
    if (stdout) fwd.set('stdout', '1');
    if (stderr) fwd.set('stderr', '1');
    if (tty) fwd.set('tty', '1');
    kpath = `/${sub}/${encodeURIComponent(ns)}/${encodeURIComponent(name)}/${encodeURIComponent(c)}`;
  }
  const nodeName: string | undefined = p.spec?.nodeName;
  if (!nodeName) throw badRequest(`pod ${name} does not have a host assigned`);
  const node = d.store.get('core/nodes', '', nodeName)?.obj as any;
  if (!node) throw notFound('', 'nodes', nodeName);
  const port = Number(node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 0);
  const host = (node.status?.addresses ?? []).find((a: any) => a.type === 'InternalIP')?.address ?? '127.0.0.1';
  if (!port) throw new ApiError(500, 'InternalError', `Internal error occurred: node ${nodeName} has no kubelet endpoint (status.daemonEndpoints.kubeletEndpoint.Port)`);
  const qs = fwd.toString();
  return { host, port, path: qs ? `${kpath}?${qs}` : kpath, nodeName };
}

export function proxyUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, t: ConnectTarget, kubeletToken: string): void {
  let connected = false;
  const up = netConnect({ host: t.host, port: t.port, allowHalfOpen: true });
  up.setNoDelay(true);
  up.once('connect', () => {
    connected = true;
    const hostHeader = t.host.includes(':') ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;
    const lines = [`${req.method} ${t.path} HTTP/1.1`, `Host: ${hostHeader}`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const k = req.rawHeaders[i].toLowerCase();
      if (k === 'authorization' || k === 'host') continue;
      lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    }
    lines.push(`Authorization: Bearer ${kubeletToken}`);
    up.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length) up.write(head);
    socket.pipe(up);
    up.pipe(socket);
  });
  up.on('error', (e) => {
    if (!connected) upgradeError(socket, new ApiError(500, 'InternalError', `error dialing backend: ${e.message.replace(/^connect /, `dial tcp ${t.host}:${t.port}: connect: `)}`));
    else socket.destroy();
  });
  up.on('close', () => {
    if (connected) socket.destroy();
  });
  socket.on('close', () => up.destroy());
}

/** The subresources of pods that upgrade the connection (exec, attach, port-forward). */
export const CONNECT_SUBRESOURCES = ['exec', 'attach', 'portforward'];

/** A Status answer on a connection that asked to be upgraded: plain HTTP/1.1, then closed. */
export function upgradeError(socket: Duplex, e: unknown): void {
  if (socket.destroyed) return;
  const err = e instanceof ApiError ? e : new ApiError(500, 'InternalError', `Internal error occurred: ${(e as Error)?.message ?? String(e)}`);
  const body = JSON.stringify(err.toStatus());
  socket.end(
    `HTTP/1.1 ${err.code} ${STATUS_CODES[err.code] ?? ''}\r\nContent-Type: application/json\r\nCache-Control: no-cache, private\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
