/**
 * The HTTP plumbing of argocd-server: a small router over `{param}` path templates, JSON bodies,
 * and errors shaped as grpc-gateway answers them (`{"error", "code", "message"}` with the gRPC code
 * and grpc-gateway's HTTP status for it).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** gRPC status codes (the `code` field of an error body). */
export const Code = {
  OK: 0, Canceled: 1, Unknown: 2, InvalidArgument: 3, DeadlineExceeded: 4, NotFound: 5, AlreadyExists: 6,
  PermissionDenied: 7, ResourceExhausted: 8, FailedPrecondition: 9, Aborted: 10, OutOfRange: 11,
  Unimplemented: 12, Internal: 13, Unavailable: 14, DataLoss: 15, Unauthenticated: 16,
} as const;
export type GrpcCode = (typeof Code)[keyof typeof Code];

/** grpc-gateway's mapping of a gRPC code to an HTTP status. */
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

/** An error an API handler answers with. */
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

/** A Kubernetes API error (from the client) as the gRPC error upstream's server returns for it. */
export function fromKube(e: unknown): ApiErr {
  if (e instanceof ApiErr) return e;
  const err = e as { code?: number; message?: string; body?: { message?: string } };
  const msg = err.body?.message ?? err.message ?? String(e);
  switch (err.code) {
    case 400: case 422: return new ApiErr(Code.InvalidArgument, msg);
    case 401: return new ApiErr(Code.Unauthenticated, msg);
    case 403: return new ApiErr(Code.PermissionDenied, msg);
    case 404: return new ApiErr(Code.NotFound, msg);
    case 409: return new ApiErr(/AlreadyExists|already exists/.test(msg) ? Code.AlreadyExists : Code.Aborted, msg);
    case 429: return new ApiErr(Code.ResourceExhausted, msg);
    case 503: return new ApiErr(Code.Unavailable, msg);
    default: return new ApiErr(Code.Unknown, msg);
  }
}

export function errorBody(e: ApiErr): { error: string; code: number; message: string } {
  return { error: e.message, code: e.code, message: e.message };
}

/** What a handler gets. */
export interface Req {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  raw: IncomingMessage;
  res: ServerResponse;
  /** the parsed JSON body ({} when empty) */
  body: any;
  rawBody: Buffer;
  /** set by the auth layer */
  claims?: import('./session.js').Claims;
}

/** A handler answers with a value (sent as JSON), or takes over the response itself (streams) and answers `STREAMED`. */
export const STREAMED = Symbol('streamed');
export type Handler = (req: Req) => Promise<unknown>;

interface Route {
  method: string;
  /** the template, e.g. `/api/v1/applications/{name}` */
  path: string;
  parts: string[];
  handler: Handler;
  auth: boolean;
  rawBody?: boolean;
}

export class Router {
  private readonly routes: Route[] = [];

  /** `path` like `/api/v1/applications/{name}/resource`; a `{param=**}` segment takes the rest of the path. */
  add(method: string, path: string, handler: Handler, opts: { auth?: boolean; rawBody?: boolean } = {}): this {
    this.routes.push({ method, path, parts: path.split('/').filter(Boolean), handler, auth: opts.auth !== false, rawBody: opts.rawBody });
    return this;
  }

  /** The route for a method and decoded path segments, with its parameters. `methodMismatch` when only the verb differs. */
  match(method: string, path: string): { route: Route; params: Record<string, string> } | 'methodMismatch' | undefined {
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

function matchParts(parts: string[], segs: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p.startsWith('{') && p.endsWith('=**}')) {
      if (i >= segs.length) return undefined;
      params[p.slice(1, -4)] = segs.slice(i).map(safeDecode).join('/');
      return params;
    }
    if (i >= segs.length) return undefined;
    if (p.startsWith('{') && p.endsWith('}')) params[p.slice(1, -1)] = safeDecode(segs[i]);
    else if (p !== segs[i]) return undefined;
  }
  return parts.length === segs.length ? params : undefined;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Reads a request body up to `max` bytes (413-style error past it). */
export function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > max) {
        reject(new ApiErr(Code.InvalidArgument, `request body too large: more than ${max} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** A body already serialised (big lists built from per-object cached JSON). */
export class RawJson {
  constructor(readonly text: string) {}
}

const jsonCache = new WeakMap<object, string>();
/** JSON of an object that does not change once made (informer cache entries are replaced, never mutated). */
export function cachedJson(o: object): string {
  let t = jsonCache.get(o);
  if (t === undefined) {
    t = JSON.stringify(o);
    jsonCache.set(o, t);
  }
  return t;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = body instanceof RawJson ? body.text : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Query booleans as grpc-gateway parses them. */
export function qbool(q: URLSearchParams, name: string): boolean | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  return v === 'true' || v === '1';
}

/** Repeated query values (`?projects=a&projects=b`, also comma-joined). */
export function qlist(q: URLSearchParams, name: string): string[] {
  return q.getAll(name).flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
}
