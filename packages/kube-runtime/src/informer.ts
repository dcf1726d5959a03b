/**
 * Shared informers: a local cache of one resource kept current by list + watch.
 *
 * - The first list fills the cache; `synced` resolves after it.
 * - Watches resume from the last seen resourceVersion (bookmarks advance it); a closed stream or a
 *   transport error reconnects with exponential backoff (logged, naming the server); `410 Gone` (an
 *   ERROR event or an HTTP 410) re-lists and reports the difference to the handlers as adds,
 *   updates and deletes.
 * - Indexers (namespace and owner uid built in, custom ones by name) answer `byIndex` from the cache.
 * - A resync period re-delivers every cached object as an update (old === new), as client-go does.
 * - Handlers run synchronously and should only enqueue keys.
 */
import type { Level as LogLevel } from './log.js';
import type { KubeObject } from '@flotilla/apimachinery';
import { ApiError, type KubeClient } from './client.js';
import { apiVersionOf, objKey, resourcePath, type Resource } from './resources.js';

export interface Handler<T extends KubeObject = KubeObject> {
  add?(obj: T): void;
  /** also called by a resync, with oldObj === newObj */
  update?(oldObj: T, newObj: T): void;
  delete?(obj: T): void;
}

/** An index function: the index values of an object. */
export type IndexFunc<T extends KubeObject = KubeObject> = (obj: T) => string[];

export const NAMESPACE_INDEX = 'namespace';
export const OWNER_UID_INDEX = 'owner-uid';

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** re-deliver every cached object as an update this often (0: never, the default) */
  resyncMs?: number;
  /**
   * drop `metadata.managedFields` from what is cached (client-go's TransformStripManagedFields): for a process
   * that never reads them, the cache holds about half the bytes of a pod, and garbage collection copies less
   */
  stripManagedFields?: boolean;
  log?: (msg: string, level?: LogLevel) => void;
}

export class Informer<T extends KubeObject = KubeObject> {
  private readonly byKey = new Map<string, T>();
  private readonly handlers: Handler<T>[] = [];
  private readonly indexers = new Map<string, IndexFunc<T>>();
  /** index name → value → keys */
  private readonly indices = new Map<string, Map<string, Set<string>>>();
  private rv = '';
  private abort?: AbortController;
  private stopped = true;
  private resolveSynced!: () => void;
  readonly synced: Promise<void>;
  hasSynced = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private resyncTimer?: NodeJS.Timeout;
  /** lists done (the first one and every relist), for tests and metrics */
  lists = 0;

  constructor(
    private readonly client: KubeClient,
    readonly resource: Resource,
    private readonly opts: InformerOptions = {},
  ) {
    this.synced = new Promise((r) => (this.resolveSynced = r));
    this.addIndexer(NAMESPACE_INDEX, (o) => [o.metadata?.namespace ?? '']);
    this.addIndexer(OWNER_UID_INDEX, (o) => ((o.metadata?.ownerReferences ?? []) as { uid?: string }[]).map((r) => r.uid ?? '').filter(Boolean));
  }

  /** The resourceVersion the next watch resumes from. */
  get resourceVersion(): string {
    return this.rv;
  }

  on(h: Handler<T>): void {
    this.handlers.push(h);
    // late subscribers see the current contents as adds
    if (this.hasSynced) for (const o of this.list()) h.add?.(o);
  }

  /** Adds an index (before or after the cache filled). */
  addIndexer(name: string, fn: IndexFunc<T>): void {
    this.indexers.set(name, fn);
    const idx = new Map<string, Set<string>>();
    this.indices.set(name, idx);
    for (const [k, o] of this.byKey) for (const v of fn(o)) addTo(idx, v, k);
  }

  /** The cached objects whose index `name` has `value`. */
  byIndex(name: string, value: string): T[] {
    const idx = this.indices.get(name);
    if (!idx) throw new Error(`informer ${this.resource.plural}: no index "${name}"`);
    return [...(idx.get(value) ?? [])].map((k) => this.byKey.get(k)!).filter(Boolean);
  }

  get(ns: string | undefined, name: string): T | undefined {
    return this.byKey.get(ns ? `${ns}/${name}` : name);
  }

  list(ns?: string): T[] {
    if (ns !== undefined) return this.byIndex(NAMESPACE_INDEX, ns);
    return [...this.byKey.values()];
  }

  get size(): number {
    return this.byKey.size;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
    if (this.opts.resyncMs && this.opts.resyncMs > 0) {
      this.resyncTimer = setInterval(() => this.resync(), this.opts.resyncMs);
      this.resyncTimer.unref();
    }
  }

  /** Re-delivers every cached object to the handlers as an update. */
  resync(): void {
    for (const o of this.byKey.values()) this.notify((h) => h.update?.(o, o));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.abort?.abort();
    this.wake?.();
    await this.loop;
  }

  private log(msg: string, level?: LogLevel): void {
    this.opts.log?.(`informer ${this.resource.plural}: ${msg}`, level);
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

  /** Calls every handler; one that throws is logged and does not stop the others or the watch. */
  private notify(call: (h: Handler<T>) => void): void {
    for (const h of this.handlers) {
      try {
        call(h);
      } catch (e) {
        this.log(`event handler failed: ${(e as Error).stack ?? e}`, 'error');
      }
    }
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
    this.lists++;
  }

  private replace(items: T[]): void {
    const seen = new Set<string>();
    const apiVersion = apiVersionOf(this.resource);
    for (const it of items) {
      if (!it.kind) it.kind = this.resource.kind;
      if (!it.apiVersion) it.apiVersion = apiVersion;
      seen.add(objKey(it));
      this.upsert(it);
    }
    for (const [k, o] of [...this.byKey]) if (!seen.has(k)) this.remove(o);
  }

  private index(key: string, obj: T | undefined, add: boolean): void {
    if (!obj) return;
    for (const [name, fn] of this.indexers) {
      const idx = this.indices.get(name)!;
      for (const v of fn(obj)) (add ? addTo : delFrom)(idx, v, key);
    }
  }

  private upsert(obj: T): void {
    if (this.opts.stripManagedFields && obj.metadata?.managedFields) delete obj.metadata.managedFields;
    const key = objKey(obj);
    const old = this.byKey.get(key);
    this.index(key, old, false);
    this.byKey.set(key, obj);
    this.index(key, obj, true);
    if (!old) this.notify((h) => h.add?.(obj));
    else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion || old.metadata?.uid !== obj.metadata?.uid) {
      if (old.metadata?.uid !== obj.metadata?.uid) {
        // replaced under the same name: a delete and an add
        this.notify((h) => h.delete?.(old));
        this.notify((h) => h.add?.(obj));
      } else this.notify((h) => h.update?.(old, obj));
    }
  }

  private remove(obj: T): void {
    const key = objKey(obj);
    const old = this.byKey.get(key);
    if (!old) return;
    this.index(key, old, false);
    this.byKey.delete(key);
    this.notify((h) => h.delete?.(obj.metadata?.resourceVersion ? obj : old));
  }

  private async run(): Promise<void> {
    let backoff = 100;
    let needList = true;
    let failures = 0;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
          if (failures) this.log(`connected again to ${this.client.server.origin}`);
          failures = 0;
          if (!this.hasSynced) {
            this.hasSynced = true;
            this.resolveSynced();
          }
        }
        this.abort = new AbortController();
        if (this.stopped) break;
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
              else this.log(`watch error: ${st.message ?? JSON.stringify(st)}`, 'warn');
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
        failures++;
        // the first failures and then every tenth: a server that is down is said, not spammed
        if (failures <= 3 || failures % 10 === 0) this.log(`${needList ? 'list' : 'watch'} failed (retrying in ${backoff} ms): ${(e as Error).message}`, 'warn');
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }
}

function addTo(idx: Map<string, Set<string>>, v: string, k: string): void {
  let s = idx.get(v);
  if (!s) idx.set(v, (s = new Set()));
  s.add(k);
}

function delFrom(idx: Map<string, Set<string>>, v: string, k: string): void {
  const s = idx.get(v);
  if (!s) return;
  s.delete(k);
  if (!s.size) idx.delete(v);
}

/** One informer per (resource, namespace, selectors) per process, shared by every controller that asks. */
export class InformerFactory {
  private readonly informers = new Map<string, Informer>();
  private started = false;

  constructor(
    readonly client: KubeClient,
    private readonly opts: { namespace?: string; log?: (msg: string, level?: LogLevel) => void; resyncMs?: number; stripManagedFields?: boolean } = {},
  ) {}

  for<T extends KubeObject = KubeObject>(r: Resource, sel: { labelSelector?: string; fieldSelector?: string; namespace?: string } = {}): Informer<T> {
    const ns = r.namespaced ? (sel.namespace ?? this.opts.namespace) : undefined;
    const key = `${r.group}/${r.version}/${r.plural}/${ns ?? ''}?${sel.labelSelector ?? ''}&${sel.fieldSelector ?? ''}`;
    let inf = this.informers.get(key);
    if (!inf) {
      inf = new Informer(this.client, r, { log: this.opts.log, resyncMs: this.opts.resyncMs, stripManagedFields: this.opts.stripManagedFields, labelSelector: sel.labelSelector, fieldSelector: sel.fieldSelector, namespace: ns });
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
    this.started = false;
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }
}
