/**
 * `/healthz`, `/readyz` and `/metrics` for any component: a request handler to mount on a server
 * the component already has, or a small server of its own (loopback by default).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { enableMetrics, collectProcessMetrics } from './metrics.js';

export type Check = () => boolean | string | Promise<boolean | string>;

export interface HealthOptions {
  /** liveness checks by name: true passes, false or a string (the reason) fails */
  healthz?: Record<string, Check>;
  /** readiness checks (e.g. informers synced, leader elected) */
  readyz?: Record<string, Check>;
  /** add process metrics (CPU, memory, GC, event loop lag) to /metrics (default true) */
  processMetrics?: boolean;
}

async function runChecks(checks: Record<string, Check>, verbose: boolean): Promise<{ ok: boolean; text: string }> {
  const lines: string[] = [];
  let ok = true;
  for (const [name, c] of Object.entries(checks)) {
    let r: boolean | string;
    try {
      r = await c();
    } catch (e) {
      r = (e as Error).message;
    }
    if (r === true) lines.push(`[+]${name} ok`);
    else {
      ok = false;
      lines.push(`[-]${name} failed${typeof r === 'string' ? `: ${r}` : ''}`);
    }
  }
  const tail = ok ? 'ok' : 'check failed';
  return { ok, text: verbose || !ok ? `${lines.join('\n')}${lines.length ? '\n' : ''}${tail}\n` : `${tail}\n` };
}

/** Handles /healthz, /readyz (with ?verbose) and /metrics; returns false for other paths. */
export function healthHandler(opts: HealthOptions = {}): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const registry = enableMetrics();
  if (opts.processMetrics !== false) collectProcessMetrics();
  return async (req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname === '/metrics') {
      const body = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(body);
      return true;
    }
    const checks = u.pathname === '/healthz' || u.pathname === '/livez' ? opts.healthz : u.pathname === '/readyz' ? opts.readyz : undefined;
    if (!checks && u.pathname !== '/healthz' && u.pathname !== '/readyz') return false;
    const r = await runChecks(checks ?? {}, u.searchParams.has('verbose'));
    res.writeHead(r.ok ? 200 : 500, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
    res.end(r.text);
    return true;
  };
}

export interface HealthServer {
  server: Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** A server of its own for the endpoints (port 0: any free port). */
export async function serveHealth(opts: HealthOptions & { port?: number; host?: string } = {}): Promise<HealthServer> {
  const handle = healthHandler(opts);
  const server = createServer((req, res) => {
    handle(req, res).then(
      (done) => {
        if (!done) {
          res.writeHead(404, { 'content-type': 'text/plain' });
          res.end('not found\n');
        }
      },
      (e) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`${(e as Error).message}\n`);
      },
    );
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://${host}:${port}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
