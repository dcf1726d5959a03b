/**
 * The HTTP client of server-side requests to the identity provider (discovery, token, JWKS,
 * revocation): node's http/https with the provider's `rootCA` when one is configured, and — for
 * the bundled broker (`dex.config`) — requests to the public issuer URL sent to `--dex-server`
 * instead (the path is kept: the broker serves under the issuer's path).
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface FetchOptions {
  /** requests whose URL starts with `from` go to the same path on `to` (an origin) */
  rewrite?: { from: string; to: string };
  /** PEM bundle trusted for https (besides nothing else: as upstream, rootCA replaces the system pool) */
  ca?: string;
  timeoutMs?: number;
  /** https without verifying the certificate (the CLI's --insecure) */
  insecure?: boolean;
}

export type FetchFn = (url: string, init?: { method?: string; headers?: any; body?: any; signal?: AbortSignal | null; redirect?: string }) => Promise<Response>;

/** Maps a public issuer URL to the address it is fetched from. */
export function rewriteUrl(url: string, rw?: { from: string; to: string }): string {
  if (!rw || !url.startsWith(rw.from)) return url;
  const to = new URL(rw.to);
  const u = new URL(url);
  u.protocol = to.protocol;
  u.host = to.host;
  return u.toString();
}

function headersOf(h: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  if (h instanceof Headers) h.forEach((v, k) => (out[k] = v));
  else if (Array.isArray(h)) for (const [k, v] of h) out[String(k).toLowerCase()] = String(v);
  else for (const [k, v] of Object.entries(h as Record<string, string>)) out[k.toLowerCase()] = String(v);
  return out;
}

async function bodyOf(b: unknown): Promise<Buffer | undefined> {
  if (b === undefined || b === null) return undefined;
  if (typeof b === 'string') return Buffer.from(b);
  if (b instanceof URLSearchParams) return Buffer.from(b.toString());
  if (b instanceof Uint8Array) return Buffer.from(b);
  if (b instanceof ArrayBuffer) return Buffer.from(new Uint8Array(b));
  return Buffer.from(await new Response(b as any).arrayBuffer());
}

export function makeFetch(o: FetchOptions = {}): FetchFn {
  return async (url, init = {}) => {
    const target = new URL(rewriteUrl(url, o.rewrite));
    const headers = headersOf(init.headers);
    if (target.toString() !== url) {
      // as a reverse proxy would: the broker sees the public host it is known by
      const pub = new URL(url);
      headers.host = pub.host;
      headers['x-forwarded-host'] = pub.host;
      headers['x-forwarded-proto'] = pub.protocol.slice(0, -1);
    }
    const body = await bodyOf(init.body);
    if (body && headers['content-length'] === undefined) headers['content-length'] = String(body.length);
    const req = target.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<Response>((resolve, reject) => {
      const r = req(target, { method: init.method ?? 'GET', headers, ...(target.protocol === 'https:' && o.ca ? { ca: o.ca } : {}), ...(o.insecure ? { rejectUnauthorized: false } : {}), signal: init.signal ?? undefined, timeout: o.timeoutMs ?? 15_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            if (Array.isArray(v)) for (const x of v) h.append(k, x);
            else if (v !== undefined) h.set(k, String(v));
          }
          const status = res.statusCode ?? 502;
          const nobody = status === 204 || status === 304;
          const resp = new Response(nobody ? null : Buffer.concat(chunks), { status, headers: h });
          // openid-client and jose look at the URL of a response
          Object.defineProperty(resp, 'url', { value: url });
          resolve(resp);
        });
        res.on('error', reject);
      });
      r.on('timeout', () => r.destroy(new Error(`no answer from ${target.origin} in ${o.timeoutMs ?? 15_000} ms`)));
      r.on('error', (e) => reject(new Error(`${init.method ?? 'GET'} ${url}${target.toString() !== url ? ` (via ${target.origin})` : ''}: ${e.message}`)));
      r.end(body);
    });
  };
}
