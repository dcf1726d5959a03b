/**
 * A thin Kubernetes API client over node:https with kubeconfig semantics (loading, TLS and
 * credentials as kubectl reads them, see kubeconfig.ts): JSON requests, merge
 * patches, and watches that resume from the last resourceVersion and relist on 410 Gone.
 */
import { Agent, request as httpsRequest, type RequestOptions } from 'node:https';
import { request as httpRequest, Agent as HttpAgent } from 'node:http';
import { readFileSync } from 'node:fs';
import { loadKubeconfig, type ResolvedKubeconfig } from './kubeconfig.js';

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

  private constructor(private readonly kc: ResolvedKubeconfig) {
    this.server = new URL(kc.server);
    this.agent = this.server.protocol === 'https:' ? new Agent({ keepAlive: true, maxSockets: 32 }) : new HttpAgent({ keepAlive: true, maxSockets: 32 });
    this.caPem = kc.ca;
  }

  static async fromKubeconfig(path: string): Promise<KubeClient> {
    const c = new KubeClient(await loadKubeconfig(path));
    await c.refreshAuth();
    return c;
  }

  private async refreshAuth(): Promise<void> {
    const k = this.kc;
    const headers: Record<string, string> = {};
    const o: RequestOptions = {};
    if (k.ca) o.ca = k.ca;
    if (k.cert) o.cert = k.cert;
    if (k.key) o.key = k.key;
    if (k.insecure) o.rejectUnauthorized = false;
    if (k.servername) o.servername = k.servername;
    let token = k.token;
    if (!token && k.tokenFile) token = readFileSync(k.tokenFile, 'utf8').trim();
    if (token) headers.authorization = `Bearer ${token}`;
    else if (k.basicAuth) headers.authorization = `Basic ${Buffer.from(k.basicAuth).toString('base64')}`;
    if (k.dynamic) {
      const d = await k.dynamic();
      for (const [h, v] of Object.entries(d.headers)) headers[h.toLowerCase()] = v;
      if (d.ca) o.ca = d.ca;
      if (d.cert) o.cert = d.cert;
      if (d.key) o.key = d.key;
      if (d.insecure) o.rejectUnauthorized = false;
    }
    o.headers = headers;
    this.base = o;
    const auth = headers.authorization;
    if (typeof auth === 'string' && auth.startsWith('Bearer ')) this.token = auth.slice(7);
    if (!this.caPem && typeof o.ca === 'string') (this as { caPem?: string }).caPem = o.ca;
    this.authAt = Date.now();
  }

  private async options(method: string, path: string, query: RequestOpts['query'], headers: Record<string, string>): Promise<RequestOptions & { url: URL }> {
    // credentials from exec plugins / token files expire: re-read them every few minutes
    if ((this.kc.dynamic || this.kc.tokenFile) && Date.now() - this.authAt > 60_000) await this.refreshAuth();
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

    /** resolves true when the server accepted the watch (it ended later), false on failure */
    const watchOnce = () =>
      new Promise<boolean>(async (resolve) => {
        let o;
        try {
          o = await this.options('GET', path, { ...query, watch: 'true', resourceVersion: rv, allowWatchBookmarks: 'true', timeoutSeconds: 600 }, {});
        } catch (e) {
          handlers.onError?.(e as Error);
          resolve(false);
          return;
        }
        if (stopped || this.closed) {
          resolve(true);
          return;
        }
        const req = o.url.protocol === 'https:' ? httpsRequest : httpRequest;
        const r = req(o.url, { ...o, agent: false }, (res) => {
          if ((res.statusCode ?? 500) >= 400) {
            if (res.statusCode === 410) rv = '';
            res.resume();
            res.on('end', () => resolve(res.statusCode === 410));
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
          res.on('end', () => resolve(true));
          res.on('error', () => resolve(true));
          res.on('close', () => resolve(true));
        });
        current = r;
        r.on('error', () => resolve(false));
        r.end();
      });

    void (async () => {
      while (!stopped && !this.closed) {
        try {
          if (!rv) await list();
          if (stopped) break;
          if (!(await watchOnce()) && !stopped) {
            await new Promise((r) => setTimeout(r, delay));
            delay = Math.min(delay * 2, 5000);
          }
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
