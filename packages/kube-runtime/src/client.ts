/**
 * The Kubernetes API client every component uses: raw JSON objects kept exactly as the server sent
 * them (an update never drops a field this client does not know), the usual verbs, subresources,
 * any resource discovered at run time, a client-side token bucket (QPS/burst), a retry of idempotent
 * requests whose reused keep-alive socket the server had closed, and request metrics.
 */
import { Agent, request as httpsRequest, type RequestOptions } from 'node:https';
import { request as httpRequest, Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { readFileSync } from 'node:fs';
import type { KubeObject } from '@flotilla/apimachinery';
import { resolveConfig, type ClientConfig, type KubeConfigLike } from './kubeconfig.js';
import { TokenBucket } from './ratelimit.js';
import { metrics } from './metrics.js';
import { apiVersionOf, parseApiVersion, resourcePath, type GVK, type Resource } from './resources.js';

/** An error answered by the API server (a Status), or a transport failure (code 0). */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly status?: Record<string, any>,
  ) {
    super(message);
  }
}

export const isNotFound = (e: unknown) => e instanceof ApiError && e.code === 404;
export const isConflict = (e: unknown) => e instanceof ApiError && e.code === 409 && e.reason !== 'AlreadyExists';
export const isAlreadyExists = (e: unknown) => e instanceof ApiError && e.code === 409 && e.reason === 'AlreadyExists';
export const isGone = (e: unknown) => e instanceof ApiError && e.code === 410;

export interface ClientOptions {
  /** fieldManager sent with writes (default "flotilla") */
  fieldManager?: string;
  userAgent?: string;
  /** a request without an answer for this long fails (default 60 s) */
  timeoutMs?: number;
  /** client-side rate limit: requests a second (default 5, as client-go; 0 or Infinity: none) */
  qps?: number;
  /** requests allowed at once above qps (default 10, as client-go) */
  burst?: number;
  /**
   * where a request held over 1 s by the rate limit is reported, as client-go does (at most once every 10 s;
   * default: standard error) — the sign that qps and burst are too low for the load
   */
  warn?: (message: string) => void;
  /**
   * called once per request answered (and per failed one, code 0), after the answer's status line: the HTTP method,
   * the request's path (no query) and its status code; `watch` for a watch. Runs on every request: keep it cheap.
   * Clients made by derive() share it.
   */
  onRequest?: RequestObserver;
}

/** See ClientOptions.onRequest. */
export type RequestObserver = (method: string, path: string, code: number, watch: boolean) => void;

export interface RequestOpts {
  body?: unknown;
  contentType?: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** abort a long request */
  signal?: AbortSignal;
  timeoutMs?: number;
  /** the body as text, not JSON (logs) */
  text?: boolean;
  /** a write whose answer the caller does not use: a success's body is not read or parsed (resolves undefined) */
  discard?: boolean;
}

/** Options of a write (create, patch). */
export interface WriteOpts {
  /** the caller does not use the object the server answers with: not parsed, the call resolves undefined */
  discard?: boolean;
}

export interface WatchEvent<T = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export interface ObjectList<T> {
  apiVersion?: string;
  kind?: string;
  metadata: { resourceVersion: string; continue?: string };
  items: T[];
}

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';
export const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface DeleteOpts {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
  uid?: string;
  resourceVersion?: string;
}

/**
 * Requests that may be sent twice: after a reused socket failed before an answer, the server may or
 * may not have seen the first. Merge-style patches and server-side apply converge to the same
 * object; POST and JSON patches (e.g. "add" to a list) do not.
 */
export function isIdempotent(method: string, contentType?: string): boolean {
  if (['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'].includes(method)) return true;
  return method === 'PATCH' && contentType !== PATCH_CONTENT_TYPES.json;
}

/** a request's target: the parts of its URL that requests and messages use */
interface Target {
  origin: string;
  host: string;
  pathname: string;
  /** pathname and query */
  path: string;
  href: string;
}
/** a path of only characters that need no escaping (no query, no fragment), not starting with `//` */
const PLAIN_PATH = /^\/(?!\/)[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/;
/** a `.` or `..` segment, which URL would resolve */
const DOT_SEGMENT = /\/\.\.?(?:\/|$)/;

const AUTH_REFRESH_MS = 60_000;
/** how long after its timeoutSeconds a watch is ended by the client when the server has not ended it */
const WATCH_END_GRACE_MS = 5_000;

export class KubeClient {
  readonly config: ClientConfig;
  readonly server: URL;
  /** the cluster CA bundle (PEM), when the configuration has one */
  readonly caPem: string | undefined;
  /** the bearer token currently sent, if any */
  token: string | undefined;
  readonly fieldManager: string;
  private readonly userAgent: string;
  private readonly timeoutMs: number;
  private readonly bucket: TokenBucket;
  private readonly warn: (message: string) => void;
  private readonly onRequest: RequestObserver | undefined;
  private lastThrottleWarning = -Infinity;
  private readonly agent: Agent | HttpAgent;
  private tls: RequestOptions = {};
  private headers: Record<string, string> = {};
  private authAt = 0;
  private authing?: Promise<void>;
  private closed = false;
  private readonly discovery = new Map<string, Promise<Resource[]>>();
  /** the server URL's path prefix (no trailing slash) and host name (IPv6 without brackets) */
  private readonly prefix: string;
  private readonly hostname: string;
  /** no credentials in the server URL (those go through URL parsing, as before) */
  private readonly plainServer: boolean;

  constructor(src?: KubeConfigLike, opts: ClientOptions = {}) {
    this.config = resolveConfig(src);
    this.server = new URL(this.config.server);
    this.prefix = this.server.pathname.replace(/\/$/, '');
    this.hostname = this.server.hostname.startsWith('[') ? this.server.hostname.slice(1, -1) : this.server.hostname;
    this.plainServer = !this.server.username && !this.server.password && !this.server.search && !this.server.hash;
    this.caPem = this.config.ca;
    this.fieldManager = opts.fieldManager ?? 'flotilla';
    this.userAgent = opts.userAgent ?? `${this.fieldManager}/0.1 (flotilla kube-runtime)`;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.bucket = new TokenBucket(opts.qps ?? 5, opts.burst ?? 10);
    this.warn = opts.warn ?? ((m) => process.stderr.write(`${m}\n`));
    this.onRequest = opts.onRequest;
    this.agent = this.server.protocol === 'http:' ? new HttpAgent({ keepAlive: true, maxSockets: 32 }) : new Agent({ keepAlive: true, maxSockets: 32 });
    if (!this.config.dynamic) this.applyAuth();
  }

  /** Static credentials now; token files and plugins re-read every minute. */
  private applyAuth(dyn?: Awaited<ReturnType<NonNullable<ClientConfig['dynamic']>>>): void {
    const k = this.config;
    const tls: RequestOptions = {};
    const headers: Record<string, string> = {};
    if (k.ca) tls.ca = k.ca;
    if (k.cert) tls.cert = k.cert;
    if (k.key) tls.key = k.key;
    if (k.insecure) tls.rejectUnauthorized = false;
    if (k.servername) tls.servername = k.servername;
    let token = k.token;
    if (!token && k.tokenFile) {
      try {
        token = readFileSync(k.tokenFile, 'utf8').trim();
      } catch (e) {
        throw new ApiError(0, 'ConfigError', `${k.source}: reading token file ${k.tokenFile}: ${(e as Error).message}`);
      }
    }
    if (token) headers.authorization = `Bearer ${token}`;
    else if (k.basicAuth) headers.authorization = `Basic ${Buffer.from(k.basicAuth).toString('base64')}`;
    if (dyn) {
      for (const [h, v] of Object.entries(dyn.headers)) headers[h.toLowerCase()] = v;
      if (dyn.ca) tls.ca = dyn.ca;
      if (dyn.cert) tls.cert = dyn.cert;
      if (dyn.key) tls.key = dyn.key;
      if (dyn.insecure) tls.rejectUnauthorized = false;
    }
    const auth = headers.authorization;
    this.token = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
    this.tls = tls;
    this.headers = headers;
    this.authAt = Date.now();
  }

  private async auth(): Promise<void> {
    const k = this.config;
    if (this.authAt && (!(k.dynamic || k.tokenFile) || Date.now() - this.authAt < AUTH_REFRESH_MS)) return;
    this.authing ??= (async () => this.applyAuth(k.dynamic ? await k.dynamic() : undefined))().finally(() => (this.authing = undefined));
    await this.authing;
  }

  /** Resolves the credentials now (runs an exec plugin, reads a token file): a bad configuration fails here, naming its file. */
  async ready(): Promise<void> {
    await this.auth();
  }

  /** The absolute URL of an API path (the server URL's own path prefix kept). */
  url(path: string, query?: RequestOpts['query']): URL {
    const prefix = this.server.pathname.replace(/\/$/, '');
    const u = new URL(prefix + path, this.server);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') u.searchParams.set(k, String(v));
    return u;
  }

  /**
   * Where a request goes. A plain path (the resource paths every verb makes) is joined as text, without parsing a
   * URL on every request; anything else (a query in the path, dot segments, characters to escape) goes through URL.
   */
  private target(path: string, query?: RequestOpts['query']): Target {
    if (!this.plainServer || !PLAIN_PATH.test(path) || DOT_SEGMENT.test(path)) {
      const u = this.url(path, query);
      return { origin: u.origin, host: u.host, pathname: u.pathname, path: u.pathname + u.search, href: u.href };
    }
    const pathname = this.prefix + path;
    let qs = '';
    if (query) {
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') p.set(k, String(v));
      qs = p.toString();
      if (qs) qs = `?${qs}`;
    }
    const origin = this.server.origin;
    return { origin, host: this.server.host, pathname, path: pathname + qs, href: origin + pathname + qs };
  }

  /** One request; resolves with the parsed JSON body, rejects with ApiError on a non-2xx answer or a transport error. */
  async request<T = any>(method: string, path: string, opts: RequestOpts = {}): Promise<T> {
    if (this.closed) throw new ApiError(0, 'ClientClosed', `${method} ${path}: client closed`);
    await this.auth();
    const waitStart = performance.now();
    await this.bucket.take();
    const waited = (performance.now() - waitStart) / 1000;
    if (waited > 0.001) metrics.rateLimiterWait.observe({ verb: method }, waited);
    const u = this.target(path, opts.query);
    if (waited >= 1 && performance.now() - this.lastThrottleWarning >= 10_000) {
      this.lastThrottleWarning = performance.now();
      this.warn(`Waited for ${waited.toFixed(3)}s due to client-side throttling (qps ${this.bucket.qps}, burst ${this.bucket.burst}), request: ${method}:${u.href}`);
    }
    const data = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    const start = performance.now();
    try {
      return await this.send<T>(method, u, data, opts, false);
    } finally {
      metrics.requestLatency.observe({ verb: method, host: u.host }, (performance.now() - start) / 1000);
    }
  }

  /** the observer's failure is not the request's */
  private observe(method: string, path: string, code: number, watch: boolean): void {
    try {
      this.onRequest!(method, path, code, watch);
    } catch {
      /* ignored */
    }
  }

  private send<T>(method: string, u: Target, data: string | undefined, opts: RequestOpts, retried: boolean): Promise<T> {
    const headers: Record<string, string> = { ...this.headers, accept: opts.text ? '*/*' : 'application/json', 'user-agent': this.userAgent };
    if (data !== undefined) {
      headers['content-type'] = opts.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(data));
    }
    const req = this.server.protocol === 'http:' ? httpRequest : httpsRequest;
    const timeout = opts.timeoutMs ?? this.timeoutMs;
    return new Promise<T>((resolve, reject) => {
      const r = req({ ...this.tls, protocol: this.server.protocol, hostname: this.hostname, port: this.server.port, path: u.path, ...(this.server.username ? { auth: `${decodeURIComponent(this.server.username)}:${decodeURIComponent(this.server.password)}` } : {}), method, headers, agent: this.agent, signal: opts.signal }, (res) => {
        const code = res.statusCode ?? 0;
        metrics.requests.inc({ code: String(code), method, host: u.host });
        if (this.onRequest) this.observe(method, u.pathname, code, false);
        if (opts.discard && code >= 200 && code < 300) {
          res.on('end', () => resolve(undefined as T));
          res.on('error', (e) => reject(new ApiError(0, 'TransportError', `${method} ${u.origin}${u.pathname}: ${e.message}`)));
          res.resume();
          return;
        }
        readBody(res).then((text) => {
          if (code >= 200 && code < 300) return resolve((opts.text ? text : parseJson(text)) as T);
          const body = parseJson(text) as Record<string, any> | undefined;
          const msg = body?.message ?? (text.trim() || `HTTP ${code}`);
          reject(new ApiError(code, body?.reason ?? String(code), `${method} ${u.pathname}: ${msg}`, body));
        }, (e) => reject(new ApiError(0, 'TransportError', `${method} ${u.origin}${u.pathname}: ${(e as Error).message}`)));
      });
      r.on('error', (e: NodeJS.ErrnoException) => {
        // a kept-alive socket the server closed (idle timeout, restart) fails before any answer:
        // Node's documented case for retrying once on a fresh connection — for requests that may be repeated
        if (r.reusedSocket && !retried && !opts.signal?.aborted && isIdempotent(method, headers['content-type']) && (e.code === 'ECONNRESET' || e.code === 'EPIPE' || /socket hang up/.test(e.message))) {
          this.send<T>(method, u, data, opts, true).then(resolve, reject);
          return;
        }
        metrics.requests.inc({ code: '<error>', method, host: u.host });
        if (this.onRequest) this.observe(method, u.pathname, 0, false);
        reject(new ApiError(0, 'TransportError', `${method} ${u.origin}${u.pathname}: ${e.message}`));
      });
      // a hung server must not hang a component forever. r.setTimeout is the socket's idle timeout and
      // starts only once it is connected — a connect whose packets are dropped (SYNs unanswered)
      // would wait for the kernel's retries (~2 min) — so the answer also has a deadline from the start
      const noAnswer = () => r.destroy(new Error(`no answer in ${timeout} ms`));
      const deadline = setTimeout(noAnswer, timeout);
      r.once('response', () => clearTimeout(deadline));
      r.once('close', () => clearTimeout(deadline));
      r.setTimeout(timeout, noAnswer);
      r.end(data);
    });
  }

  // ------------------------------------------------------------------------------------ verbs

  get<T extends KubeObject = KubeObject>(r: Resource, ns: string | undefined, name: string, sub?: string): Promise<T> {
    return this.request('GET', resourcePath(r, ns, name, sub));
  }

  list<T extends KubeObject = KubeObject>(r: Resource, ns?: string, query: RequestOpts['query'] = {}): Promise<ObjectList<T>> {
    return this.request('GET', resourcePath(r, ns), { query });
  }

  create<T extends KubeObject = KubeObject>(r: Resource, ns: string | undefined, obj: KubeObject, query: RequestOpts['query'] = {}, o: WriteOpts = {}): Promise<T> {
    return this.request('POST', resourcePath(r, ns), { body: { apiVersion: apiVersionOf(r), kind: r.kind, ...obj }, query: { fieldManager: this.fieldManager, ...query }, discard: o.discard });
  }

  /** POST to a subresource (pods/binding, serviceaccounts/token, pods/eviction). */
  createSub<T = any>(r: Resource, ns: string | undefined, name: string, sub: string, body: unknown): Promise<T> {
    return this.request('POST', resourcePath(r, ns, name, sub), { body, query: { fieldManager: this.fieldManager } });
  }

  /** PUT (optimistic concurrency through metadata.resourceVersion); `sub` e.g. "status", "scale". */
  update<T extends KubeObject = KubeObject>(r: Resource, obj: KubeObject, sub?: string): Promise<T> {
    const m = obj.metadata!;
    return this.request('PUT', resourcePath(r, m.namespace, m.name!, sub), { body: obj, query: { fieldManager: this.fieldManager } });
  }

  patch<T extends KubeObject = KubeObject>(r: Resource, ns: string | undefined, name: string, patch: unknown, type: PatchType = 'merge', sub?: string, o: WriteOpts = {}): Promise<T> {
    return this.request('PATCH', resourcePath(r, ns, name, sub), { body: patch, contentType: PATCH_CONTENT_TYPES[type], query: { fieldManager: this.fieldManager }, discard: o.discard });
  }

  /** Server-side apply of a (partial) object: the fields this field manager owns become exactly these. */
  apply<T extends KubeObject = KubeObject>(r: Resource, obj: KubeObject, opts: { fieldManager?: string; force?: boolean; sub?: string } = {}): Promise<T> {
    const m = obj.metadata ?? {};
    if (!m.name) throw new ApiError(422, 'Invalid', `apply ${r.kind}: metadata.name is required`);
    return this.request('PATCH', resourcePath(r, m.namespace, m.name, opts.sub), {
      body: { apiVersion: apiVersionOf(r), kind: r.kind, ...obj },
      contentType: PATCH_CONTENT_TYPES.apply,
      query: { fieldManager: opts.fieldManager ?? this.fieldManager, force: opts.force ? 'true' : undefined },
    });
  }

  delete(r: Resource, ns: string | undefined, name: string, opts: DeleteOpts = {}): Promise<unknown> {
    const body: Record<string, unknown> = { apiVersion: 'v1', kind: 'DeleteOptions' };
    if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
    if (opts.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = opts.gracePeriodSeconds;
    if (opts.uid || opts.resourceVersion) body.preconditions = { uid: opts.uid, resourceVersion: opts.resourceVersion };
    return this.request('DELETE', resourcePath(r, ns, name), { body });
  }

  /** The scale subresource (autoscaling/v1 Scale). */
  getScale(r: Resource, ns: string | undefined, name: string): Promise<KubeObject & { spec?: { replicas?: number }; status?: { replicas?: number; selector?: string } }> {
    return this.request('GET', resourcePath(r, ns, name, 'scale'));
  }

  scale(r: Resource, ns: string | undefined, name: string, replicas: number): Promise<KubeObject> {
    return this.patch(r, ns, name, { spec: { replicas } }, 'merge', 'scale');
  }

  /** A container's log (pods/log) as text. */
  logs(ns: string, pod: string, opts: { container?: string; tailLines?: number; previous?: boolean; sinceSeconds?: number; timestamps?: boolean } = {}): Promise<string> {
    return this.request('GET', `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(pod)}/log`, { query: { ...opts }, text: true });
  }

  // ------------------------------------------------------------------------------- discovery

  /** The resources of one group/version, from discovery (cached; `refresh` asks again). */
  async resources(group: string, version: string, refresh = false): Promise<Resource[]> {
    const key = `${group}/${version}`;
    let p = refresh ? undefined : this.discovery.get(key);
    if (!p) {
      p = this.request<{ resources?: { name: string; kind: string; namespaced: boolean }[] }>('GET', group ? `/apis/${group}/${version}` : `/api/${version}`).then((l) =>
        (l.resources ?? []).filter((x) => !x.name.includes('/')).map((x) => ({ group, version, plural: x.name, kind: x.kind, namespaced: x.namespaced })),
      );
      this.discovery.set(key, p);
      p.catch(() => this.discovery.delete(key));
    }
    return p;
  }

  /** The resource serving a kind (any CRD), discovered at run time; asks again once on a miss (a CRD just created). */
  async resourceFor(gvk: GVK): Promise<Resource> {
    const find = (l: Resource[]) => l.find((x) => x.kind === gvk.kind);
    let found: Resource | undefined;
    try {
      found = find(await this.resources(gvk.group, gvk.version));
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    if (!found) {
      try {
        found = find(await this.resources(gvk.group, gvk.version, true));
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    if (!found) throw new ApiError(404, 'NotFound', `no resource for kind ${gvk.kind} in ${apiVersionOf(gvk)} on ${this.server.origin}`);
    return found;
  }

  /** The resource of an object (from its apiVersion and kind). */
  resourceOf(obj: KubeObject): Promise<Resource> {
    if (!obj.apiVersion || !obj.kind) return Promise.reject(new ApiError(422, 'Invalid', 'object has no apiVersion/kind'));
    return this.resourceFor({ ...parseApiVersion(obj.apiVersion), kind: obj.kind });
  }

  // ----------------------------------------------------------------------------------- watch

  /**
   * Opens a watch and calls onEvent for each event until the server ends the stream (resolves), the
   * signal aborts (resolves), or the request fails (rejects with ApiError). A watch has a connection
   * of its own: a long-lived stream must not hold a pooled keep-alive socket.
   */
  async watch(path: string, query: RequestOpts['query'], onEvent: (ev: WatchEvent) => void, signal: AbortSignal): Promise<void> {
    if (this.closed) return;
    await this.auth();
    await this.bucket.take();
    // stopped while getting ready: the abort event has passed already
    if (signal.aborted || this.closed) return;
    const u = this.url(path, { ...query, watch: 'true' });
    const req = u.protocol === 'http:' ? httpRequest : httpsRequest;
    // the response must start within the request timeout, and a watch asked to end after
    // timeoutSeconds ends then at the latest (as client-go's request timeout does) even if the
    // server's end never arrives: the caller watches again from its resourceVersion
    const headerMs = this.timeoutMs;
    const endMs = Number(query?.timeoutSeconds ?? 0) * 1000;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let endTimer: NodeJS.Timeout | undefined;
      const headerTimer = setTimeout(() => r.destroy(new Error(`no answer in ${headerMs} ms`)), headerMs);
      const done = (e?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(headerTimer);
        if (endTimer) clearTimeout(endTimer);
        signal.removeEventListener('abort', onAbort);
        if (e && !signal.aborted) reject(e);
        else resolve();
      };
      const onAbort = () => {
        r.destroy();
        done();
      };
      const r = req(u, { ...this.tls, agent: false, method: 'GET', headers: { ...this.headers, accept: 'application/json', 'user-agent': this.userAgent } }, (res) => {
        clearTimeout(headerTimer);
        if (this.onRequest) this.observe('GET', u.pathname, res.statusCode ?? 0, true);
        if (endMs > 0 && !settled)
          endTimer = setTimeout(() => {
            r.destroy();
            done();
          }, endMs + WATCH_END_GRACE_MS);
        const code = res.statusCode ?? 0;
        if (code < 200 || code >= 300) {
          readBody(res).then((text) => {
            const body = parseJson(text) as Record<string, any> | undefined;
            done(new ApiError(code, body?.reason ?? String(code), `watch ${u.pathname}: ${body?.message ?? text}`, body));
          }, done);
          return;
        }
        res.socket?.setKeepAlive?.(true, 30_000);
        // a line (one event) may come in many chunks: only each new chunk is searched for its end, and the parts
        // are joined once (a 200 KB workflow in 16 KB chunks is not re-scanned and re-copied chunk after chunk)
        let parts: string[] = [];
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          let start = 0;
          let i: number;
          while ((i = d.indexOf('\n', start)) >= 0) {
            parts.push(d.slice(start, i));
            const line = (parts.length === 1 ? parts[0]! : parts.join('')).trim();
            parts = [];
            start = i + 1;
            if (!line) continue;
            const ev = parseJson(line) as WatchEvent | undefined;
            if (!ev) continue;
            try {
              onEvent(ev);
            } catch (e) {
              r.destroy();
              done(e as Error);
              return;
            }
          }
          if (start < d.length) parts.push(start ? d.slice(start) : d);
        });
        res.on('end', () => done());
        res.on('close', () => done());
        res.on('error', (e) => done(new ApiError(0, 'TransportError', `watch ${u.origin}${u.pathname}: ${e.message}`)));
      });
      signal.addEventListener('abort', onAbort);
      r.on('error', (e) => done(new ApiError(0, 'TransportError', `watch ${u.origin}${u.pathname}: ${e.message}`)));
      r.end();
    });
  }

  /**
   * A client of the same cluster and credentials with its own connections and rate limit (the options
   * given override this one's): for traffic that must not wait behind this client's, as leader election.
   */
  derive(opts: ClientOptions = {}): KubeClient {
    return new KubeClient(this.config, { fieldManager: this.fieldManager, userAgent: this.userAgent, timeoutMs: this.timeoutMs, onRequest: this.onRequest, ...opts });
  }

  /** Releases pooled connections; later requests fail. */
  close(): void {
    this.closed = true;
    this.agent.destroy();
  }
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (d: Buffer) => chunks.push(d));
    res.on('error', reject);
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
