/**
 * Calling a webhook over HTTPS: a `url`, or a `service` reached through the pod network. The API
 * server runs in the host's network namespace and pods in the node agent's, so a Service-backed
 * webhook is resolved Service → Endpoints → a ready address (ip:port) on a node, and dialed
 * through that node's kubelet (`/dial/{ip}/{port}` upgrade, authenticated with the API server's
 * kubelet token); TLS is then run over that connection with the webhook's caBundle and the
 * server name `<service>.<namespace>.svc`. Connections are kept alive per webhook.
 */
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type AgentOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { KubeObject } from '@flotilla/apimachinery';
import type { Hook } from './match.js';

/** What the client needs from the cluster state. */
export interface ClusterView {
  service(ns: string, name: string): KubeObject | undefined;
  endpoints(ns: string, name: string): KubeObject | undefined;
  /** the kubelet of a node: host, port (Node InternalIP + daemonEndpoints.kubeletEndpoint.Port) */
  kubelet(nodeName: string | undefined): { host: string; port: number } | undefined;
  kubeletToken(): string;
}

export class CallError extends Error {}

/** Pure: Service + Endpoints → the ready addresses (ip, port, node) for a service port. */
export function serviceBackends(svcName: string, svc: KubeObject | undefined, ep: KubeObject | undefined, port: number): { ip: string; port: number; nodeName?: string }[] {
  if (!svc) throw new CallError(`service "${svcName}" not found`);
  const sp = (((svc.spec as any)?.ports ?? []) as any[]).find((p) => Number(p.port) === port && (p.protocol ?? 'TCP') === 'TCP');
  if (!sp) throw new CallError(`no service port ${port} found for service "${svcName}"`);
  const out: { ip: string; port: number; nodeName?: string }[] = [];
  for (const s of ((ep as any)?.subsets ?? []) as any[]) {
    const ports = (s.ports ?? []) as any[];
    const p = ports.find((x) => (x.name ?? '') === (sp.name ?? '') && (x.protocol ?? 'TCP') === 'TCP') ?? (ports.length === 1 ? ports[0] : undefined);
    if (!p) continue;
    for (const a of (s.addresses ?? []) as any[]) if (a?.ip) out.push({ ip: a.ip, port: Number(p.port), nodeName: a.nodeName });
  }
  if (!out.length) throw new CallError(`no endpoints available for service "${svcName}"`);
  return out;
}

/** A raw TCP connection to ip:port in the pod network, through the kubelet's /dial upgrade. */
export function dialThroughKubelet(k: { host: string; port: number }, token: string, ip: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ host: k.host, port: k.port });
    let head = Buffer.alloc(0);
    const fail = (e: Error) => {
      s.destroy();
      reject(e);
    };
    s.once('error', fail);
    s.once('connect', () => {
      s.write(`GET /dial/${encodeURIComponent(ip)}/${port} HTTP/1.1\r\nHost: ${k.host}:${k.port}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    });
    const onData = (d: Buffer) => {
      head = Buffer.concat([head, d]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > 16384) fail(new CallError('the kubelet answered with oversized headers'));
        return;
      }
      s.removeListener('data', onData);
      s.pause();
      const status = head.subarray(0, head.indexOf('\r\n')).toString('latin1');
      if (!/^HTTP\/1\.1 101 /.test(status)) {
        const body = head.subarray(end + 4).toString('utf8').trim();
        return fail(new CallError(`dial tcp ${ip}:${port} through node ${k.host}:${k.port}: ${body || status}`));
      }
      s.removeListener('error', fail);
      const rest = head.subarray(end + 4);
      if (rest.length) s.unshift(rest);
      resolve(s);
    };
    s.on('data', onData);
    s.once('end', () => fail(new CallError(`the kubelet at ${k.host}:${k.port} closed the connection`)));
  });
}

/** An agent whose connections go to a Service's endpoints through the pod network, in TLS. */
class ServiceAgent extends HttpAgent {
  private rr = 0;
  constructor(
    private readonly hook: Hook,
    private readonly view: ClusterView,
    opts: AgentOptions,
  ) {
    super(opts);
  }

  override createConnection(_opts: unknown, cb?: (err: Error | null, s: Duplex) => void): Duplex | null | undefined {
    const ref = this.hook.clientConfig.service!;
    void (async () => {
      const backends = serviceBackends(ref.name, this.view.service(ref.namespace, ref.name), this.view.endpoints(ref.namespace, ref.name), ref.port);
      const b = backends[this.rr++ % backends.length];
      const k = this.view.kubelet(b.nodeName);
      if (!k) throw new CallError(`endpoint ${b.ip}:${b.port} of service "${ref.name}" is on a node without a kubelet endpoint`);
      const raw = await dialThroughKubelet(k, this.view.kubeletToken(), b.ip, b.port);
      return await new Promise<Duplex>((resolve, reject) => {
        const t = tlsConnect({ socket: raw, servername: `${ref.name}.${ref.namespace}.svc`, ca: this.hook.clientConfig.ca, ALPNProtocols: ['http/1.1'] });
        t.once('secureConnect', () => {
          t.removeListener('error', reject);
          resolve(t);
        });
        t.once('error', (e) => {
          raw.destroy();
          reject(e);
        });
      });
    })().then(
      (s) => cb!(null, s),
      (e) => cb!(e, undefined as unknown as Duplex),
    );
    return undefined;
  }
}

export type WebhookAgent = HttpAgent;

/** The keep-alive agent for one webhook (one per webhook per configuration generation). */
export function agentFor(h: Hook, view: ClusterView): WebhookAgent {
  // idle connections are dropped after 4 s, before a Node server's default 5 s keep-alive ends them
  const opts = { keepAlive: true, maxSockets: 64, maxFreeSockets: 16, keepAliveMsecs: 30_000, timeout: 4000 };
  if (h.clientConfig.service) return new ServiceAgent(h, view, opts);
  return new HttpsAgent({ ...opts, ca: h.clientConfig.ca });
}

/** The URL a webhook is called at (`?timeout=Ns` added, as Kubernetes does), and how errors show it. */
export function webhookUrl(h: Hook): { url: URL; shown: string } {
  const c = h.clientConfig;
  const q = `timeout=${h.timeoutSeconds}s`;
  if (c.url) {
    const url = new URL(c.url);
    url.searchParams.set('timeout', `${h.timeoutSeconds}s`);
    return { url, shown: url.toString() };
  }
  const s = c.service!;
  const path = s.path ?? '/';
  const shown = `https://${s.name}.${s.namespace}.svc:${s.port}${path}?${q}`;
  return { url: new URL(shown), shown };
}

/**
 * POSTs the review and returns the answer's body text. Errors are `Post "<url>": <reason>` as
 * Kubernetes reports them (a timeout is `context deadline exceeded`).
 */
export function post(h: Hook, agent: WebhookAgent, body: string): Promise<string> {
  const w = webhookUrl(h);
  const u = w.url;
  const shown = `Post ${JSON.stringify(w.shown)}`;
  const deadline = Date.now() + h.timeoutSeconds * 1000;
  const attempt = (retry: boolean): Promise<string> => new Promise((resolve, reject) => {
    if (u.protocol !== 'https:') return reject(new CallError(`${shown}: unsupported protocol scheme ${JSON.stringify(u.protocol.replace(/:$/, ''))} (webhooks are called over https)`));
    let done = false;
    const finish = (e: Error | null, text?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // a kept-alive connection the server closed just as it was reused: once more on a new one
      if (e && retry && req.reusedSocket && !(e instanceof CallError) && ((e as NodeJS.ErrnoException).code === 'ECONNRESET' || e.message === 'socket hang up'))
        attempt(false).then(resolve, reject);
      else if (e) reject(e instanceof CallError && e.message.startsWith('Post ') ? e : new CallError(`${shown}: ${e.message}`));
      else resolve(text!);
    };
    const opts = {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', accept: 'application/json, */*', 'content-length': Buffer.byteLength(body) },
    };
    const target = { protocol: 'http:', hostname: u.hostname, port: u.port || 443, path: `${u.pathname}${u.search}` };
    const req: ClientRequest = h.clientConfig.service
      ? httpRequest({ ...target, ...opts })
      : httpsRequest(u, opts);
    const timer = setTimeout(() => {
      finish(new CallError(`${shown}: context deadline exceeded`));
      req.destroy();
    }, Math.max(0, deadline - Date.now()));
    req.on('error', (e) => finish(e));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > 3 * 1024 * 1024) {
          finish(new CallError(`${shown}: the response is larger than 3 MiB`));
          req.destroy();
          return;
        }
        chunks.push(c);
      });
      res.on('error', (e) => finish(e));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) finish(new CallError(`${shown}: the server responded with status ${res.statusCode}${text.trim() ? `: ${text.trim().slice(0, 200)}` : ''}`));
        else finish(null, text);
      });
    });
    req.end(body);
  });
  return attempt(true);
}
