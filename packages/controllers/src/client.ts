/**
 * A thin Kubernetes API client over node:https that speaks raw JSON (objects are kept exactly as the
 * server sent them, so updates never drop fields this client does not know about).
 *
 * Kubeconfig semantics (contexts, CA/client certificates, tokens, exec/auth-provider plugins,
 * in-cluster config) come from @kubernetes/client-node's KubeConfig.
 */
import { Agent, request as httpsRequest, type RequestOptions } from 'node:https';
import { request as httpRequest, Agent as HttpAgent } from 'node:http';
import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '@flotilla/apimachinery';

/** A resource as the client addresses it. */
export interface Resource {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

export const R = {
  pods: { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true },
  nodes: { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false },
  namespaces: { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false },
  services: { group: '', version: 'v1', plural: 'services', kind: 'Service', namespaced: true },
  endpoints: { group: '', version: 'v1', plural: 'endpoints', kind: 'Endpoints', namespaced: true },
  serviceaccounts: { group: '', version: 'v1', plural: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true },
  configmaps: { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true },
  events: { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true },
  pvcs: { group: '', version: 'v1', plural: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', namespaced: true },
  deployments: { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true },
  replicasets: { group: 'apps', version: 'v1', plural: 'replicasets', kind: 'ReplicaSet', namespaced: true },
  statefulsets: { group: 'apps', version: 'v1', plural: 'statefulsets', kind: 'StatefulSet', namespaced: true },
  daemonsets: { group: 'apps', version: 'v1', plural: 'daemonsets', kind: 'DaemonSet', namespaced: true },
  controllerrevisions: { group: 'apps', version: 'v1', plural: 'controllerrevisions', kind: 'ControllerRevision', namespaced: true },
  jobs: { group: 'batch', version: 'v1', plural: 'jobs', kind: 'Job', namespaced: true },
  cronjobs: { group: 'batch', version: 'v1', plural: 'cronjobs', kind: 'CronJob', namespaced: true },
  endpointslices: { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', kind: 'EndpointSlice', namespaced: true },
} satisfies Record<string, Resource>;

export function apiVersionOf(r: Resource): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** The URL path of a collection or object. */
export function resourcePath(r: Resource, namespace?: string, name?: string, sub?: string): string {
  let p = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  if (r.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${r.plural}`;
  if (name !== undefined) p += `/${encodeURIComponent(name)}`;
  if (sub) p += `/${sub}`;
  return p;
}

/** An error answered by the API server (a Status), or a transport failure (code 0). */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly status?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const isNotFound = (e: unknown) => e instanceof ApiError && e.code === 404;
export const isConflict = (e: unknown) => e instanceof ApiError && e.code === 409 && e.reason !== 'AlreadyExists';
export const isAlreadyExists = (e: unknown) => e instanceof ApiError && e.code === 409 && e.reason === 'AlreadyExists';

/** Something that can be turned into a KubeConfig: a path, kubeconfig YAML text, a KubeConfig, or a server handle. */
export type KubeConfigLike =
  | string
  | KubeConfig
  | { url: string; caPem?: string; token?: string; insecureSkipTlsVerify?: boolean };

export function loadKubeConfig(src?: KubeConfigLike): KubeConfig {
  if (src instanceof KubeConfig) return src;
  const kc = new KubeConfig();
  if (src === undefined) {
    kc.loadFromDefault();
  } else if (typeof src === 'string') {
    // one line: a path (a missing file is an error); several lines: kubeconfig YAML
    if (!src.includes('\n')) {
      if (!existsSync(src)) throw new Error(`kubeconfig ${src}: no such file`);
      kc.loadFromFile(src);
    } else kc.loadFromString(src);
  } else if (typeof (src as unknown as KubeConfig).getCurrentCluster === 'function') {
    return src as unknown as KubeConfig;
  } else {
    const s = src as { url: string; caPem?: string; token?: string; insecureSkipTlsVerify?: boolean };
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: s.url, caData: s.caPem ? Buffer.from(s.caPem).toString('base64') : undefined, skipTLSVerify: !!s.insecureSkipTlsVerify }],
      users: [{ name: 'u', token: s.token }],
      contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
      currentContext: 'ctx',
    });
  }
  return kc;
}

export interface RequestOpts {
  body?: unknown;
  contentType?: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** abort a long request (watch) */
  signal?: AbortSignal;
}

export interface WatchEvent<T = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export type PatchType = 'merge' | 'json' | 'strategic';
const PATCH_CT: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

export class KubeClient {
  readonly kc: KubeConfig;
  readonly server: URL;
  private agent: Agent | HttpAgent | undefined;
  private tlsReady: Promise<void> | undefined;
  private readonly fieldManager: string;
  /** the CA bundle of the current cluster (PEM), when the kubeconfig has one */
  readonly caPem: string | undefined;

  private readonly timeoutMs: number;

  constructor(src?: KubeConfigLike, opts: { fieldManager?: string; timeoutMs?: number } = {}) {
    this.kc = loadKubeConfig(src);
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
    this.fieldManager = opts.fieldManager ?? 'flotilla-controllers';
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    let ca: string | undefined;
    if (cluster.caData) ca = Buffer.from(cluster.caData, 'base64').toString();
    this.caPem = ca;
  }

  private async baseOptions(): Promise<RequestOptions> {
    const o: RequestOptions = { headers: {} };
    await this.kc.applyToHTTPSOptions(o);
    if (!this.tlsReady) {
      this.tlsReady = Promise.resolve();
      const tls = {
        keepAlive: true,
        maxSockets: 32,
        ca: o.ca,
        cert: o.cert,
        key: o.key,
        pfx: o.pfx,
        passphrase: o.passphrase,
        servername: o.servername,
        ...(o.rejectUnauthorized !== undefined ? { rejectUnauthorized: o.rejectUnauthorized } : {}),
      };
      this.agent = this.server.protocol === 'http:' ? new HttpAgent({ keepAlive: true, maxSockets: 32 }) : new Agent(tls);
    }
    const headers = { ...(o.headers as Record<string, string>) };
    const out: RequestOptions = { headers, agent: this.agent };
    if (o.auth) out.auth = o.auth;
    return out;
  }

  private url(path: string, query?: RequestOpts['query']): URL {
    const prefix = this.server.pathname.replace(/\/$/, '');
    const u = new URL(prefix + path, this.server);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') u.searchParams.set(k, String(v));
    return u;
  }

  /** One request; resolves with the parsed JSON body, rejects with ApiError on a non-2xx answer. */
  async request<T = any>(method: string, path: string, opts: RequestOpts = {}, retried = false): Promise<T> {
    const base = await this.baseOptions();
    const u = this.url(path, opts.query);
    const data = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    const headers: Record<string, string> = {
      ...(base.headers as Record<string, string>),
      accept: 'application/json',
      'user-agent': 'flotilla-controllers/0.1',
    };
    if (data !== undefined) {
      headers['content-type'] = opts.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(data));
    }
    const req = u.protocol === 'http:' ? httpRequest : httpsRequest;
    return new Promise<T>((resolve, reject) => {
      const r = req(u, { ...base, method, headers, signal: opts.signal }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('error', (e) => reject(new ApiError(0, 'TransportError', e.message)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: any;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            body = undefined;
          }
          const code = res.statusCode ?? 0;
          if (code >= 200 && code < 300) return resolve(body as T);
          const msg = body?.message ?? (text || `HTTP ${code}`);
          reject(new ApiError(code, body?.reason ?? String(code), `${method} ${u.pathname}: ${msg}`, body));
        });
      });
      r.on('error', (e: NodeJS.ErrnoException) => {
        // a kept-alive socket the server closed (e.g. it restarted) fails before any answer:
        // Node's documented case for retrying once on a fresh connection
        if (r.reusedSocket && !retried && (e.code === 'ECONNRESET' || /socket hang up/.test(e.message))) {
          this.request<T>(method, path, opts, true).then(resolve, reject);
          return;
        }
        reject(new ApiError(0, 'TransportError', `${method} ${u.pathname}: ${e.message}`));
      });
      // a hung server must not hang a controller forever
      r.setTimeout(this.timeoutMs, () => r.destroy(new Error(`no answer in ${this.timeoutMs} ms`)));
      if (data !== undefined) r.write(data);
      r.end();
    });
  }

  get<T extends KubeObject = KubeObject>(r: Resource, ns: string | undefined, name: string): Promise<T> {
    return this.request('GET', resourcePath(r, ns, name));
  }

  list<T extends KubeObject = KubeObject>(
    r: Resource,
    ns?: string,
    query: RequestOpts['query'] = {},
  ): Promise<{ metadata: { resourceVersion: string; continue?: string }; items: T[] }> {
    return this.request('GET', resourcePath(r, ns), { query });
  }

  create<T extends KubeObject = KubeObject>(r: Resource, ns: string | undefined, obj: KubeObject): Promise<T> {
    return this.request('POST', resourcePath(r, ns), { body: { apiVersion: apiVersionOf(r), kind: r.kind, ...obj }, query: { fieldManager: this.fieldManager } });
  }

  /** PUT (optimistic concurrency through metadata.resourceVersion). */
  update<T extends KubeObject = KubeObject>(r: Resource, obj: KubeObject, sub?: string): Promise<T> {
    const m = obj.metadata!;
    return this.request('PUT', resourcePath(r, m.namespace, m.name!, sub), { body: obj, query: { fieldManager: this.fieldManager } });
  }

  patch<T extends KubeObject = KubeObject>(r: Resource, ns: string | undefined, name: string, patch: unknown, type: PatchType = 'merge', sub?: string): Promise<T> {
    return this.request('PATCH', resourcePath(r, ns, name, sub), { body: patch, contentType: PATCH_CT[type], query: { fieldManager: this.fieldManager } });
  }

  delete(
    r: Resource,
    ns: string | undefined,
    name: string,
    opts: { propagationPolicy?: 'Background' | 'Foreground' | 'Orphan'; gracePeriodSeconds?: number; uid?: string; resourceVersion?: string } = {},
  ): Promise<unknown> {
    const body: Record<string, unknown> = { apiVersion: 'v1', kind: 'DeleteOptions' };
    if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
    if (opts.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = opts.gracePeriodSeconds;
    if (opts.uid || opts.resourceVersion) body.preconditions = { uid: opts.uid, resourceVersion: opts.resourceVersion };
    return this.request('DELETE', resourcePath(r, ns, name), { body });
  }

  /**
   * Opens a watch and calls onEvent for each event until the server ends the stream (resolves), the
   * signal aborts (resolves), or the request fails (rejects with ApiError).
   */
  async watch(path: string, query: RequestOpts['query'], onEvent: (ev: WatchEvent) => void, signal: AbortSignal): Promise<void> {
    const base = await this.baseOptions();
    const u = this.url(path, { ...query, watch: 'true' });
    const req = u.protocol === 'http:' ? httpRequest : httpsRequest;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const done = (e?: Error) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        if (e && !signal.aborted) reject(e);
        else resolve();
      };
      const onAbort = () => {
        r.destroy();
        done();
      };
      // watches get their own connection: a long-lived stream must not hold a pooled keep-alive socket
      const r = req(
        u,
        { ...base, agent: undefined, ...this.tlsOnly(), method: 'GET', headers: { ...(base.headers as Record<string, string>), accept: 'application/json', 'user-agent': 'flotilla-controllers/0.1' } },
        (res) => {
          const code = res.statusCode ?? 0;
          if (code < 200 || code >= 300) {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d) => (text += d));
            res.on('end', () => {
              let body: any;
              try {
                body = JSON.parse(text);
              } catch {
                body = undefined;
              }
              done(new ApiError(code, body?.reason ?? String(code), `watch ${u.pathname}: ${body?.message ?? text}`, body));
            });
            return;
          }
          res.socket?.setKeepAlive?.(true, 30_000);
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            buf += d;
            let i: number;
            while ((i = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, i).trim();
              buf = buf.slice(i + 1);
              if (!line) continue;
              let ev: WatchEvent;
              try {
                ev = JSON.parse(line);
              } catch {
                continue;
              }
              try {
                onEvent(ev);
              } catch (e) {
                r.destroy();
                done(e as Error);
                return;
              }
            }
          });
          res.on('end', () => done());
          res.on('close', () => done());
          res.on('error', (e) => done(new ApiError(0, 'TransportError', e.message)));
        },
      );
      signal.addEventListener('abort', onAbort);
      r.on('error', (e) => done(new ApiError(0, 'TransportError', `watch ${u.pathname}: ${e.message}`)));
      r.end();
    });
  }

  private tlsOnly(): RequestOptions {
    const a = this.agent as Agent | undefined;
    const o = (a as unknown as { options?: RequestOptions })?.options ?? {};
    return { ca: o.ca, cert: o.cert, key: o.key, pfx: o.pfx, passphrase: o.passphrase, servername: o.servername, rejectUnauthorized: o.rejectUnauthorized };
  }

  /** Releases pooled connections. */
  close(): void {
    this.agent?.destroy();
  }
}
