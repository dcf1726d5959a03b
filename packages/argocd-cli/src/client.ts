/**
 * The HTTP client of argocd-server's REST API (the grpc-gateway paths of upstream's swagger):
 * TLS or plain text, `--insecure`, bearer token, extra headers, the grpc-web root path prefix,
 * newline-delimited JSON streams, and errors turned into upstream's `rpc error: code = … desc = …`.
 */
import type { Agent as HttpAgent, IncomingMessage } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { createRequire } from 'node:module';
import { CertError, RpcError } from './rpc-error.js';

export { CertError, GRPC_CODES, RpcError } from './rpc-error.js';

// node:http / node:https (and TLS behind it) are loaded when a client is made, not when the CLI starts:
// `argocd version --client` and `--help` never talk to a server.
const req = createRequire(import.meta.url);
const http = (): typeof import('node:http') => req('node:http');
const https = (): typeof import('node:https') => req('node:https');

const HTTP_TO_GRPC: Record<number, number> = { 400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 412: 9, 429: 8, 499: 1, 500: 2, 501: 12, 503: 14, 504: 4 };

export interface ClientOptions {
  /** host:port (a scheme is tolerated and decides TLS when --plaintext is not given) */
  server: string;
  insecure?: boolean;
  plaintext?: boolean;
  grpcWeb?: boolean;
  grpcWebRootPath?: string;
  authToken?: string;
  headers?: string[];
  /** PEM of a client certificate / key (`--client-crt`, `--client-crt-key`) */
  clientCert?: string;
  clientKey?: string;
  timeoutMs?: number;
}

export class ApiClient {
  readonly base: URL;
  private readonly agent: HttpAgent | HttpsAgent;
  private readonly tls: boolean;
  private readonly extraHeaders: Record<string, string> = {};
  token?: string;

  constructor(readonly o: ClientOptions) {
    let server = o.server.trim();
    let tls = !o.plaintext;
    const m = /^(https?):\/\/(.*)$/.exec(server);
    if (m) {
      if (!o.plaintext) tls = m[1] === 'https';
      server = m[2];
    }
    server = server.replace(/\/+$/, '');
    const root = (o.grpcWebRootPath ?? '').replace(/^\/+|\/+$/g, '');
    this.tls = tls;
    this.base = new URL(`${tls ? 'https' : 'http'}://${server}/${root ? root + '/' : ''}`);
    this.agent = tls
      ? new (https().Agent)({ keepAlive: true, rejectUnauthorized: !o.insecure, cert: o.clientCert, key: o.clientKey })
      : new (http().Agent)({ keepAlive: true });
    this.token = o.authToken;
    for (const h of o.headers ?? []) {
      const i = h.indexOf(':');
      if (i > 0) this.extraHeaders[h.slice(0, i).trim()] = h.slice(i + 1).trim();
    }
  }

  close(): void {
    this.agent.destroy();
  }

  url(path: string, query?: Record<string, unknown>): URL {
    const u = new URL(path.replace(/^\//, ''), this.base);
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v === undefined || v === null || v === '') continue;
      if (Array.isArray(v)) for (const x of v) u.searchParams.append(k, String(x));
      else u.searchParams.set(k, String(v));
    }
    return u;
  }

  private open(method: string, path: string, opts: { query?: Record<string, unknown>; body?: unknown; signal?: AbortSignal; timeoutMs?: number }): Promise<IncomingMessage> {
    const u = this.url(path, opts.query);
    const data = opts.body === undefined ? undefined : typeof opts.body === 'string' && opts.body.startsWith('"') ? opts.body : JSON.stringify(opts.body);
    const headers: Record<string, string> = { Accept: 'application/json', ...this.extraHeaders };
    if (data !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(data));
    }
    if (this.token) {
      headers.Authorization = `Bearer ${this.token}`;
      headers.Cookie = `argocd.token=${this.token}`;
    }
    const req = (this.tls ? https().request : http().request)(u, { method, headers, agent: this.agent as any, signal: opts.signal });
    return new Promise((resolve, reject) => {
      const t = opts.timeoutMs ?? this.o.timeoutMs;
      if (t) req.setTimeout(t, () => req.destroy(new Error(`context deadline exceeded (no answer from ${u.host} within ${t} ms)`)));
      req.on('response', resolve);
      req.on('error', (e: NodeJS.ErrnoException) => reject(transportError(e, u)));
      req.end(data);
    });
  }

  async request<T = any>(method: string, path: string, opts: { query?: Record<string, unknown>; body?: unknown; timeoutMs?: number } = {}): Promise<T> {
    const res = await this.open(method, path, opts);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) {
      if (!text.trim()) return {} as T;
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new RpcError(13, `error unmarshaling response of ${method} ${path}: not JSON (${text.slice(0, 80)})`, status);
      }
    }
    throw errorFromBody(status, text, res.headers['content-type']);
  }

  get<T = any>(path: string, query?: Record<string, unknown>): Promise<T> {
    return this.request<T>('GET', path, { query });
  }
  post<T = any>(path: string, body?: unknown, query?: Record<string, unknown>): Promise<T> {
    return this.request<T>('POST', path, { body: body ?? {}, query });
  }
  put<T = any>(path: string, body?: unknown, query?: Record<string, unknown>): Promise<T> {
    return this.request<T>('PUT', path, { body: body ?? {}, query });
  }
  patch<T = any>(path: string, body?: unknown, query?: Record<string, unknown>): Promise<T> {
    return this.request<T>('PATCH', path, { body: body ?? {}, query });
  }
  delete<T = any>(path: string, query?: Record<string, unknown>): Promise<T> {
    return this.request<T>('DELETE', path, { query });
  }

  /**
   * A server stream (grpc-gateway: one JSON object a line, `{"result": …}` or `{"error": …}`):
   * calls onItem for every result until the stream ends, the signal aborts or onItem returns false.
   */
  async stream<T = any>(path: string, query: Record<string, unknown>, onItem: (item: T) => boolean | void | Promise<boolean | void>, signal?: AbortSignal): Promise<void> {
    let res: IncomingMessage;
    try {
      res = await this.open('GET', path, { query, signal });
    } catch (e) {
      if (signal?.aborted) return;
      throw e;
    }
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      throw errorFromBody(status, Buffer.concat(chunks).toString('utf8'), res.headers['content-type']);
    }
    let buf = '';
    try {
      for await (const c of res) {
        buf += (c as Buffer).toString('utf8');
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i).trim();
          buf = buf.slice(i + 1);
          if (!line) continue;
          const msg = parseStreamLine(line, status);
          if (msg === undefined) continue;
          if ((await onItem(msg as T)) === false) {
            res.destroy();
            return;
          }
        }
      }
      const last = buf.trim();
      if (last) {
        const msg = parseStreamLine(last, status);
        if (msg !== undefined) await onItem(msg as T);
      }
    } catch (e) {
      if (signal?.aborted || (e as NodeJS.ErrnoException).code === 'ABORT_ERR') return;
      throw e;
    }
  }
}

function parseStreamLine(line: string, status: number): unknown {
  let obj: any;
  try {
    obj = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (obj && obj.error) {
    const e = obj.error;
    throw new RpcError(typeof e.code === 'number' ? e.code : (HTTP_TO_GRPC[e.http_code] ?? 2), e.message ?? String(e), status);
  }
  return obj && 'result' in obj ? obj.result : obj;
}

export function errorFromBody(status: number, text: string, contentType?: string): RpcError {
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  const fallback = HTTP_TO_GRPC[status] ?? (status >= 500 ? 2 : 2);
  if (body && typeof body === 'object') {
    const code = typeof body.code === 'number' && body.code >= 0 && body.code <= 16 ? body.code : fallback;
    const msg = body.message ?? body.error ?? text;
    return new RpcError(code, typeof msg === 'string' ? msg : JSON.stringify(msg), status);
  }
  if (contentType && !/json/.test(contentType) && status !== 401 && status !== 403) {
    return new RpcError(fallback, `unexpected HTTP status code received from server: ${status} (${statusText(status)}); transport: received unexpected content-type ${JSON.stringify(contentType)}`, status);
  }
  return new RpcError(fallback, text.trim() || statusText(status), status);
}

function statusText(status: number): string {
  return ({ 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' } as Record<number, string>)[status] ?? `HTTP ${status}`;
}

function transportError(e: NodeJS.ErrnoException, u: URL): RpcError {
  const host = u.host;
  switch (e.code) {
    case 'ECONNREFUSED':
      return new RpcError(14, `connection error: desc = "transport: Error while dialing: dial tcp ${host}: connect: connection refused"`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new RpcError(14, `connection error: desc = "transport: Error while dialing: dial tcp: lookup ${u.hostname}: no such host"`);
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return new CertError(`x509: certificate signed by unknown authority (${e.code}); use --insecure to skip verification`);
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return new CertError(`x509: certificate is not valid for ${u.hostname}; use --insecure to skip verification`);
    case 'EPROTO':
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      return new RpcError(14, `connection error: desc = "transport: authentication handshake failed: tls: first record does not look like a TLS handshake" (is the server plain HTTP? use --plaintext)`);
    case 'ECONNRESET':
      return new RpcError(14, `connection error: desc = "transport: ${host}: connection reset by peer"`);
    default:
      return new RpcError(14, `connection error: desc = "transport: ${e.message}"`);
  }
}
