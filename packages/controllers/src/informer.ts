/**
 * Informers: a local cache of one resource kept current by list + watch.
 *
 * - The first list fills the cache; `synced` resolves after it.
 * - Watches resume from the last seen resourceVersion (bookmarks advance it); a closed stream or a
 *   transport error reconnects with exponential backoff; `410 Gone` (an ERROR event or an HTTP 410)
 *   re-lists and reports the difference to the handlers as adds, updates and deletes.
 * - Handlers run synchronously and should only enqueue keys.
 */
import type { KubeObject } from '@flotilla/apimachinery';
import { ApiError, type KubeClient, type Resource, resourcePath } from './client.js';

export interface Handler<T extends KubeObject = KubeObject> {
  add?(obj: T): void;
  update?(oldObj: T, newObj: T): void;
  delete?(obj: T): void;
}

export function objKey(o: KubeObject): string {
  const m = o.metadata ?? {};
  return m.namespace ? `${m.namespace}/${m.name}` : String(m.name);
}

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  log?: (msg: string) => void;
}

export class Informer<T extends KubeObject = KubeObject> {
  private readonly byNs = new Map<string, Map<string, T>>();
  private readonly handlers: Handler<T>[] = [];
  private rv = '';
  private abort?: AbortController;
  private stopped = true;
  private resolveSynced!: () => void;
  readonly synced: Promise<void>;
  hasSynced = false;
  private loop?: Promise<void>;
  private wake?: () => void;

  constructor(
    private readonly client: KubeClient,
    readonly resource: Resource,
    private readonly opts: InformerOptions = {},
  ) {
    this.synced = new Promise((r) => (this.resolveSynced = r));
  }

  on(h: Handler<T>): void {
    this.handlers.push(h);
    // late subscribers see the current contents as adds
    if (this.hasSynced) for (const o of this.list()) h.add?.(o);
  }

  get(ns: string | undefined, name: string): T | undefined {
    return this.byNs.get(ns ?? '')?.get(name);
  }

  list(ns?: string): T[] {
    if (ns !== undefined) return [...(this.byNs.get(ns)?.values() ?? [])];
    const out: T[] = [];
    for (const m of this.byNs.values()) for (const o of m.values()) out.push(o);
    return out;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    this.wake?.();
    await this.loop;
  }

  private log(msg: string): void {
    this.opts.log?.(`informer ${this.resource.plural}: ${msg}`);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private query(): Record<string, string | undefined> {
    return { labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector };
  }

  private async relist(): Promise<void> {
    const items: T[] = [];
    let cont: string | undefined;
    let rv = '';
    do {
      const l = await this.client.list<T>(this.resource, this.opts.namespace, { ...this.query(), limit: 500, continue: cont });
      for (const it of l.items ?? []) items.push(it);
      cont = l.metadata?.continue || undefined;
      rv = l.metadata?.resourceVersion ?? '';
    } while (cont);
    this.replace(items);
    this.rv = rv;
  }

  private replace(items: T[]): void {
    const seen = new Set<string>();
    const kindName = this.resource.kind;
    for (const it of items) {
      if (!it.kind) it.kind = kindName;
      if (!it.apiVersion) it.apiVersion = this.resource.group ? `${this.resource.group}/${this.resource.version}` : this.resource.version;
      seen.add(objKey(it));
      this.upsert(it);
    }
    for (const o of this.list()) if (!seen.has(objKey(o))) this.remove(o);
  }

  private upsert(obj: T): void {
    const ns = obj.metadata?.namespace ?? '';
    const name = obj.metadata?.name ?? '';
    let m = this.byNs.get(ns);
    if (!m) this.byNs.set(ns, (m = new Map()));
    const old = m.get(name);
    m.set(name, obj);
    if (!old) for (const h of this.handlers) h.add?.(obj);
    else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion || old.metadata?.uid !== obj.metadata?.uid) {
      if (old.metadata?.uid !== obj.metadata?.uid) {
        // replaced under the same name: a delete and an add
        for (const h of this.handlers) h.delete?.(old);
        for (const h of this.handlers) h.add?.(obj);
      } else for (const h of this.handlers) h.update?.(old, obj);
    }
  }

  private remove(obj: T): void {
    const ns = obj.metadata?.namespace ?? '';
    const m = this.byNs.get(ns);
    const old = m?.get(obj.metadata?.name ?? '');
    if (!old) return;
    m!.delete(obj.metadata?.name ?? '');
    if (m!.size === 0) this.byNs.delete(ns);
    for (const h of this.handlers) h.delete?.(obj.metadata?.resourceVersion ? obj : old);
  }

  private async run(): Promise<void> {
    let backoff = 100;
    let needList = true;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
          if (!this.hasSynced) {
            this.hasSynced = true;
            this.resolveSynced();
          }
        }
        this.abort = new AbortController();
        let gone = false;
        let got = false;
        await this.client.watch(
          resourcePath(this.resource, this.opts.namespace),
          { ...this.query(), resourceVersion: this.rv, allowWatchBookmarks: 'true', timeoutSeconds: String(240 + Math.floor(Math.random() * 120)) },
          (ev) => {
            got = true;
            if (ev.type === 'ERROR') {
              const st = ev.object as unknown as { code?: number; message?: string };
              if (st.code === 410) gone = true;
              else this.log(`watch error: ${st.message ?? JSON.stringify(st)}`);
              throw new ApiError(st.code ?? 500, 'WatchError', st.message ?? 'watch error');
            }
            const o = ev.object as T;
            const rv = o?.metadata?.resourceVersion;
            if (rv) this.rv = rv;
            if (ev.type === 'BOOKMARK') return;
            if (!o.kind) o.kind = this.resource.kind;
            if (ev.type === 'DELETED') this.remove(o);
            else this.upsert(o);
          },
          this.abort.signal,
        );
        if (gone) needList = true;
        if (got) backoff = 100;
      } catch (e) {
        if (this.stopped) break;
        if (e instanceof ApiError && e.code === 410) {
          needList = true;
          continue;
        }
        this.log(`${needList ? 'list' : 'watch'} failed (retrying in ${backoff} ms): ${(e as Error).message}`);
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }
}

/** Shares one informer per (resource, namespace) among controllers. */
export class InformerFactory {
  private readonly informers = new Map<string, Informer>();
  private started = false;

  constructor(
    private readonly client: KubeClient,
    private readonly namespace?: string,
    private readonly log?: (msg: string) => void,
  ) {}

  for<T extends KubeObject = KubeObject>(r: Resource, sel: { labelSelector?: string; fieldSelector?: string } = {}): Informer<T> {
    const ns = r.namespaced ? this.namespace : undefined;
    const key = `${r.group}/${r.plural}/${ns ?? ''}?${sel.labelSelector ?? ''}&${sel.fieldSelector ?? ''}`;
    let inf = this.informers.get(key);
    if (!inf) {
      inf = new Informer(this.client, r, { namespace: ns, log: this.log, ...sel });
      this.informers.set(key, inf);
      if (this.started) inf.start();
    }
    return inf as unknown as Informer<T>;
  }

  start(): void {
    this.started = true;
    for (const i of this.informers.values()) i.start();
  }

  async waitForSync(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.synced));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }
}
