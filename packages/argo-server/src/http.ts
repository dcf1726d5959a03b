/**
 * HTTP plumbing of argo-server: a router over `{param}` path templates, JSON bodies, and errors shaped as
 * grpc-gateway answers them (`{"code", "message"}`, HTTP status from the gRPC code), newline-delimited
 * `{"result": …}` streams.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export const Code = {
  OK: 0, Canceled: 1, Unknown: 2, InvalidArgument: 3, DeadlineExceeded: 4, NotFound: 5, AlreadyExists: 6,
  PermissionDenied: 7, ResourceExhausted: 8, FailedPrecondition: 9, Aborted: 10, OutOfRange: 11,
  Unimplemented: 12, Internal: 13, Unavailable: 14, DataLoss: 15, Unauthenticated: 16,
} as const;
export type GrpcCode = (typeof Code)[keyof typeof Code];

/** grpc-gateway's HTTP status for a gRPC code. */
export function httpStatus(code: number): number {
  switch (code) {
    case Code.OK: return 200;
    case Code.Canceled: return 499;
    case Code.InvalidArgument: case Code.FailedPrecondition: case Code.OutOfRange: return 400;
    case Code.DeadlineExceeded: return 504;
    case Code.NotFound: return 404;
    case Code.AlreadyExists: case Code.Aborted: return 409;
    case Code.PermissionDenied: return 403;
    case Code.Unauthenticated: return 401;
    case Code.ResourceExhausted: return 429;
    case Code.Unimplemented: return 501;
    case Code.Unavailable: return 503;
    default: return 500;
  }
}

export class ApiErr extends Error {
  constructor(readonly code: GrpcCode, message: string) {
    super(message);
  }
}
export const notFound = (m: string) => new ApiErr(Code.NotFound, m);
export const invalid = (m: string) => new ApiErr(Code.InvalidArgument, m);
export const denied = (m: string) => new ApiErr(Code.PermissionDenied, m);
export const unauthenticated = (m: string) => new ApiErr(Code.Unauthenticated, m);
export const precondition = (m: string) => new ApiErr(Code.FailedPrecondition, m);

/** A Kubernetes API error as the gRPC error argo-server answers with (message of the API server kept). */
export function fromKube(e: unknown): ApiErr {
  if (e instanceof ApiErr) return e;
  // the API server's Status message only (kube-runtime's ApiError message carries the request line too)
  const err = e as { code?: number; message?: string; status?: { message?: unknown }; body?: { message?: string } };
  const msg = (typeof err.status?.message === 'string' && err.status.message) || err.body?.message || err.message || String(e);
  switch (err.code) {
    case 400: case 422: return new ApiErr(Code.InvalidArgument, msg);
    case 401: return new ApiErr(Code.Unauthenticated, msg);
    case 403: return new ApiErr(Code.PermissionDenied, msg);
    case 404: return new ApiErr(Code.NotFound, msg);
    case 409: return new ApiErr(/AlreadyExists|already exists/.test(msg) ? Code.AlreadyExists : Code.Aborted, msg);
    case 410: return new ApiErr(Code.OutOfRange, msg);
    case 429: return new ApiErr(Code.ResourceExhausted, msg);
    case 503: return new ApiErr(Code.Unavailable, msg);
    default: return new ApiErr(Code.Unknown, msg);
  }
}

export function errorBody(e: ApiErr): { code: number; message: string } {
  return { code: e.code, message: e.message };
}

export interface Req<C = unknown> {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  raw: IncomingMessage;
  res: ServerResponse;
  body: any;
  rawBody: Buffer;
  /** per-request context (the Kubernetes client of the caller, its identity) */
  ctx: C;
}

export const STREAMED = Symbol('streamed');
export type Handler<C> = (req: Req<C>) => Promise<unknown>;

interface Route<C> {
  method: string;
  path: string;
  parts: string[];
  handler: Handler<C>;
}

export class Router<C> {
  private readonly routes: Route<C>[] = [];

  add(method: string, path: string, handler: Handler<C>): this {
    this.routes.push({ method, path, parts: path.split('/').filter(Boolean), handler });
    return this;
  }

  match(method: string, path: string): { route: Route<C>; params: Record<string, string> } | 'methodMismatch' | undefined {
    const segs = path.split('/').filter(Boolean);
    let mismatch = false;
    for (const r of this.routes) {
      const params = matchParts(r.parts, segs);
      if (!params) continue;
      if (r.method !== method) {
        mismatch = true;
        continue;
      }
      return { route: r, params };
    }
    return mismatch ? 'methodMismatch' : undefined;
  }
}

/** `{name}` matches one segment; a last `{name*}` matches one or more (the rest of the path, `/`-joined). */
function matchParts(parts: string[], segs: string[]): Record<string, string> | undefined {
  const rest = parts.length > 0 && parts[parts.length - 1]!.endsWith('*}');
  if (rest ? segs.length < parts.length : parts.length !== segs.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (rest && i === parts.length - 1) params[p.slice(1, -2)] = segs.slice(i).map(safeDecode).join('/');
    else if (p.startsWith('{') && p.endsWith('}')) params[p.slice(1, -1)] = safeDecode(segs[i]!);
    else if (p !== segs[i]) return undefined;
  }
  return params;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > max) {
        reject(new ApiErr(Code.ResourceExhausted, `request body too large: more than ${max} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * A grpc-gateway server stream: one `{"result": …}` JSON object a line; an error ends it with `{"error": …}`.
 * A client that asks for `Accept: text/event-stream` (the web UI's EventSource) gets the same objects as
 * server-sent events: `data: {"result": …}\n\n`.
 */
export class Stream {
  private started = false;
  closed = false;
  readonly sse: boolean;
  constructor(readonly res: ServerResponse) {
    res.on('close', () => (this.closed = true));
    this.sse = /\btext\/event-stream\b/i.test(String(res.req?.headers.accept ?? ''));
  }
  start(): void {
    if (this.started) return;
    this.started = true;
    this.res.writeHead(200, { 'content-type': this.sse ? 'text/event-stream' : 'application/json', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
    this.res.flushHeaders();
  }
  private write(o: unknown): void {
    const j = JSON.stringify(o);
    this.res.write(this.sse ? `data: ${j}\n\n` : j + '\n');
  }
  send(result: unknown): void {
    if (this.closed) return;
    this.start();
    this.write({ result });
  }
  fail(e: ApiErr): void {
    if (this.closed) return;
    if (!this.started) return sendJson(this.res, httpStatus(e.code), errorBody(e));
    this.write({ error: { ...errorBody(e), http_code: httpStatus(e.code), http_status: '' } });
  }
  end(): void {
    if (this.closed) return;
    this.start();
    this.res.end();
  }
}

/** Query booleans as grpc-gateway parses them. */
export function qbool(q: URLSearchParams, name: string): boolean | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  return v === 'true' || v === '1';
}

/**
 * Upstream's API rate limiter (--api-rate-limit): each client IP address may make `limit` requests a second.
 * Every answer carries X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset (the end of the current
 * second, an HTTP date); past the limit the answer is 429 Too Many Requests with Retry-After.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  private readonly sweep: NodeJS.Timeout;
  constructor(readonly limit: number, private readonly intervalMs = 1000) {
    this.sweep = setInterval(() => {
      const now = Date.now();
      for (const [k, w] of this.windows) if (now - w.start >= this.intervalMs) this.windows.delete(k);
    }, 10 * this.intervalMs);
    this.sweep.unref();
  }

  /** Counts the request, sets the headers; false: refused (the 429 answer sent). */
  take(req: IncomingMessage, res: ServerResponse): boolean {
    const key = req.socket.remoteAddress ?? '';
    const now = Date.now();
    let w = this.windows.get(key);
    if (!w || now - w.start >= this.intervalMs) this.windows.set(key, (w = { start: now, count: 0 }));
    const reset = w.start + this.intervalMs;
    res.setHeader('x-ratelimit-limit', String(this.limit));
    res.setHeader('x-ratelimit-reset', new Date(reset).toUTCString());
    if (w.count >= this.limit) {
      res.setHeader('x-ratelimit-remaining', '0');
      res.writeHead(429, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': new Date(reset).toUTCString(), 'x-content-type-options': 'nosniff' });
      res.end('Too Many Requests\n');
      return false;
    }
    w.count++;
    res.setHeader('x-ratelimit-remaining', String(this.limit - w.count));
    return true;
  }

  close(): void {
    clearInterval(this.sweep);
    this.windows.clear();
  }
}
