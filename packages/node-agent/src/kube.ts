/**
 * A thin Kubernetes API client over node:https with kubeconfig semantics (loading, TLS and
 * credentials are delegated to @kubernetes/client-node's KubeConfig): JSON requests, merge
 * patches, and watches that resume from the last resourceVersion and relist on 410 Gone.
 */
import { Agent, request as httpsRequest, type RequestOptions } from 'node:https';
import { request as httpRequest, Agent as HttpAgent } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: Record<string, any>;
  [k: string]: any;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly body?: any,
  ) {
    super(message);
  }
}

export interface RequestOpts {
  query?: Record<string, string | number | boolean | undefined>;
  contentType?: string;
  /** abort after this many ms (default 30 s) */
  timeoutMs?: number;
}

export type WatchEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'; object: KubeObject };

export class KubeClient {
  readonly server: URL;
  readonly caPem?: string;
  /** the bearer token of the kubeconfig user, if it has one */
  token?: string;
  private base: RequestOptions = {};
  private agent: Agent | HttpAgent;
  private authAt = 0;
  private closed = false;
  private readonly watches = new Set<{ stop(): void }>();

  private constructor(
    private readonly kc: KubeConfig,
  ) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig: no current cluster');
    this.server = new URL(cluster.server);
    this.agent = this.server.protocol === 'https:' ? new Agent({ keepAlive: true, maxSockets: 32 }) : new HttpAgent({ keepAlive: true, maxSockets: 32 });
    const ca = cluster.caData ? Buffer.from(cluster.caData, 'base64').toString() : undefined;
    this.caPem = ca;
  }

  static async fromKubeconfig(path: string): Promise<KubeClient> {
    const kc = new KubeConfig();
    kc.loadFromFile(path);
    const c = new KubeClient(kc);
    await c.refreshAuth();
    return c;
  }

  private async refreshAuth(): Promise<void> {
    const o: RequestOptions = {};
    await this.kc.applyToHTTPSOptions(o as any);
    delete (o as any).agent;
    this.base = o;
    const h = (o.headers ?? {}) as Record<string, string>;
    const auth = h.Authorization ?? h.authorization;
    if (typeof auth === 'string' && auth.startsWith('Bearer ')) this.token = auth.slice(7);
    this.authAt = Date.now();
  }

  private async options(method: string, path: string, query: RequestOpts['query'], headers: Record<string, string>): Promise<RequestOptions & { url: URL }> {
    // credentials from exec plugins / token files expire: re-read them every few minutes
    if (Date.now() - this.authAt > 4 * 60_000) await this.refreshAuth();
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return {
      ...this.base,
      url,
      method,
      agent: this.agent as Agent,
      headers: { ...((this.base.headers as Record<string, string>) ?? {}), accept: 'application/json', 'user-agent': 'flotilla-node-agent', ...headers },
    };
  }

  async request<T = any>(method: string, path: string, body?: unknown, opts: RequestOpts = {}): Promise<T> {
    if (this.closed) throw new ApiError(503, 'ServiceUnavailable', 'client closed');
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = {};
    if (data) {
      headers['content-type'] = opts.contentType ?? 'application/json';
      headers['content-length'] = String(data.length);
    }
    const o = await this.options(method, path, opts.query, headers);
    const req = o.url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<T>((resolve, reject) => {
      const r = req(o.url, o, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: any = undefined;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          const code = res.statusCode ?? 500;
          if (code >= 400) {
            reject(new ApiError(code, parsed?.reason ?? String(code), parsed?.message ?? (text.trim() || `HTTP ${code}`), parsed));
            return;
          }
          resolve(parsed as T);
        });
      });
      r.setTimeout(opts.timeoutMs ?? 30_000, () => r.destroy(new ApiError(504, 'Timeout', `${method} ${path}: timed out`)));
      r.on('error', (e) => reject(e instanceof ApiError ? e : new ApiError(503, 'ServiceUnavailable', `${method} ${path}: ${e.message}`)));
      r.end(data);
    });
  }

  get<T = any>(path: string, query?: RequestOpts['query']): Promise<T> {
    return this.request<T>('GET', path, undefined, { query });
  }
  /** JSON merge patch */
  mergePatch<T = any>(path: string, patch: unknown): Promise<T> {
    return this.request<T>('PATCH', path, patch, { contentType: 'application/merge-patch+json' });
  }

  /**
   * List + watch a collection; `onEvent` gets every object (the initial list as ADDED, with
   * `sync` set when a relist replaced the state). Reconnects forever until stopped.
   */
  informer(path: string, query: Record<string, string>, handlers: { onList(items: KubeObject[]): void; onEvent(e: WatchEvent): void; onError?(e: Error): void }): { stop(): void; synced: Promise<void> } {
    let stopped = false;
    let rv = '';
    let current: { destroy(): void } | undefined;
    let resolveSynced!: () => void;
    const synced = new Promise<void>((r) => (resolveSynced = r));
    let delay = 200;
    const self = this;
    const handle = {
      stop() {
        stopped = true;
        current?.destroy();
        self.watches.delete(handle);
      },
    };
    this.watches.add(handle);

    const list = async () => {
      const l = await this.get<{ items: KubeObject[]; metadata: { resourceVersion: string } }>(path, query);
      rv = l.metadata.resourceVersion;
      handlers.onList(l.items ?? []);
      resolveSynced();
    };

    const watchOnce = () =>
      new Promise<void>(async (resolve) => {
        let o;
        try {
          o = await this.options('GET', path, { ...query, watch: 'true', resourceVersion: rv, allowWatchBookmarks: 'true', timeoutSeconds: 600 }, {});
        } catch (e) {
          handlers.onError?.(e as Error);
          resolve();
          return;
        }
        if (stopped || this.closed) {
          resolve();
          return;
        }
        const req = o.url.protocol === 'https:' ? httpsRequest : httpRequest;
        const r = req(o.url, { ...o, agent: false }, (res) => {
          if ((res.statusCode ?? 500) >= 400) {
            if (res.statusCode === 410) rv = '';
            res.resume();
            res.on('end', resolve);
            return;
          }
          delay = 200;
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            buf += d;
            let i: number;
            while ((i = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, i);
              buf = buf.slice(i + 1);
              if (!line.trim()) continue;
              let ev: WatchEvent;
              try {
                ev = JSON.parse(line);
              } catch {
                continue;
              }
              if (ev.type === 'ERROR') {
                if ((ev.object as any)?.code === 410) rv = '';
                continue;
              }
              const nrv = ev.object?.metadata?.resourceVersion;
              if (nrv) rv = nrv;
              if (ev.type === 'BOOKMARK') continue;
              try {
                handlers.onEvent(ev);
              } catch (e) {
                handlers.onError?.(e as Error);
              }
            }
          });
          res.on('end', resolve);
          res.on('error', () => resolve());
          res.on('close', () => resolve());
        });
        current = r;
        r.on('error', () => resolve());
        r.end();
      });

    void (async () => {
      while (!stopped && !this.closed) {
        try {
          if (!rv) await list();
          if (stopped) break;
          await watchOnce();
        } catch (e) {
          handlers.onError?.(e as Error);
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(delay * 2, 5000);
        }
      }
    })();
    return { stop: handle.stop, synced };
  }

  close(): void {
    this.closed = true;
    for (const w of [...this.watches]) w.stop();
    this.agent.destroy();
  }
}

export function isNotFound(e: unknown): boolean {
  return e instanceof ApiError && e.code === 404;
}
export function isConflict(e: unknown): boolean {
  return e instanceof ApiError && e.code === 409;
}
