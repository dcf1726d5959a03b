/**
 * `/api/dex/*` → the broker at `--dex-server`, path and query unchanged (the broker serves under
 * the issuer's path `<url>/api/dex`): the browser reaches the broker's login pages and endpoints
 * through argocd-server, as with upstream's bundled Dex.
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Logger } from '../log.js';
import { dexServerUrl } from './config.js';

const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-authorization', 'proxy-authenticate']);

export function proxyDex(raw: IncomingMessage, res: ServerResponse, dexServer: string, log: Logger): Promise<void> {
  const base = new URL(dexServerUrl(dexServer));
  const target = new URL(raw.url ?? '/', base);
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(raw.headers)) if (v !== undefined && !HOP.has(k)) headers[k] = v;
  const host = raw.headers.host ?? '';
  headers['x-forwarded-host'] = host;
  headers['x-forwarded-proto'] = (raw.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  headers['x-forwarded-for'] = [raw.headers['x-forwarded-for'], raw.socket.remoteAddress].filter(Boolean).join(', ');
  const req = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<void>((resolve) => {
    const up = req(target, { method: raw.method, headers, rejectUnauthorized: false, timeout: 30_000 }, (r) => {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(r.headers)) if (v !== undefined && !HOP.has(k)) out[k] = v;
      res.writeHead(r.statusCode ?? 502, out);
      r.pipe(res);
      r.on('end', () => resolve());
      r.on('error', () => {
        res.destroy();
        resolve();
      });
    });
    up.on('timeout', () => up.destroy(new Error('no answer in 30 s')));
    up.on('error', (e) => {
      log.warn('the Dex server is unreachable', { dexServer: base.origin, path: target.pathname, error: e.message });
      if (!res.headersSent) {
        const body = JSON.stringify({ error: 'dex_unavailable', message: `the Dex server at ${base.origin} is unreachable: ${e.message}` });
        res.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      } else res.destroy();
      resolve();
    });
    raw.pipe(up);
  });
}
