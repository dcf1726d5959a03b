/**
 * The live state of one destination cluster: every resource kind it serves that can be listed and
 * watched (discovered; re-discovered when CustomResourceDefinitions come and go), one informer per
 * kind (per allowed namespace when the cluster Secret limits them), indexed by the Application that
 * tracks each object. Informer handlers only update indices and notify the controller.
 */
import type { KubeObject } from '@flotilla/apimachinery';
import { Informer, type KubeClient, type Resource } from '@flotilla/kube-runtime';
import { groupOf, trackedApp, type TrackingOpts } from './tracking.js';

export interface DiscoveredResource extends Resource {
  verbs: string[];
}

/** group/kind → the resource serving it (the group's preferred version). */
export type KindMap = Map<string, DiscoveredResource>;

export const gkKey = (group: string, kind: string) => `${group}/${kind}`;
/** The cache key of an object: `group/kind/namespace/name`. */
export const resKey = (group: string, kind: string, namespace: string | undefined, name: string) => `${group}/${kind}/${namespace ?? ''}/${name}`;
export const objResKey = (o: KubeObject) => resKey(groupOf(o.apiVersion), o.kind ?? '', o.metadata?.namespace, o.metadata?.name ?? '');

/** Kinds never watched (they cannot be managed or are pure noise), on top of argocd-cm's exclusions. */
const NEVER: Set<string> = new Set(['/Event', 'events.k8s.io/Event', '/Binding', '/ComponentStatus', 'coordination.k8s.io/Lease', 'authentication.k8s.io/TokenReview']);

export interface ClusterCacheOptions {
  server: string;
  tracking: () => TrackingOpts;
  /** excluded by argocd-cm resource.exclusions / inclusions */
  excluded?: (group: string, kind: string) => boolean;
  /** the cluster Secret's `namespaces` (empty: all) */
  namespaces?: string[];
  /** with namespaces: also cluster-scoped kinds */
  clusterResources?: boolean;
  log: (msg: string) => void;
  /** an object tracked by an app (or formerly tracked) changed */
  onAppResource?: (app: string, obj: KubeObject) => void;
  /** any object changed (e.g. children of managed objects, for the tree) */
  onObject?: (obj: KubeObject) => void;
  syncTimeoutMs?: number;
}

/** Discovery: every listable + watchable top-level resource, preferred version per group. */
export async function discover(client: KubeClient): Promise<DiscoveredResource[]> {
  type RL = { resources?: { name: string; kind: string; namespaced: boolean; verbs?: string[] }[] };
  const out: DiscoveredResource[] = [];
  const add = (group: string, version: string, l: RL) => {
    for (const r of l.resources ?? []) {
      if (r.name.includes('/')) continue;
      out.push({ group, version, plural: r.name, kind: r.kind, namespaced: r.namespaced, verbs: r.verbs ?? [] });
    }
  };
  add('', 'v1', await client.request<RL>('GET', '/api/v1'));
  const groups = await client.request<{ groups?: { name: string; preferredVersion?: { version: string }; versions?: { version: string }[] }[] }>('GET', '/apis');
  await Promise.all(
    (groups.groups ?? []).map(async (g) => {
      const v = g.preferredVersion?.version ?? g.versions?.[0]?.version;
      if (!v) return;
      try {
        add(g.name, v, await client.request<RL>('GET', `/apis/${g.name}/${v}`));
      } catch {
        /* a group whose version answers nothing (aggregated API down): skipped */
      }
    }),
  );
  return out;
}

export class ClusterCache {
  readonly kinds: KindMap = new Map();
  private readonly informers = new Map<string, Informer[]>();
  /** app instance name → object keys (objects without owner references: the app's own) */
  private readonly byApp = new Map<string, Set<string>>();
  private readonly appOf = new Map<string, string>();
  private readonly objects = new Map<string, KubeObject>();
  private rediscoverTimer?: NodeJS.Timeout;
  private stopped = false;
  /** the last discovery / sync failure (shown as the apps' ComparisonError) */
  error?: string;
  ready: Promise<void>;
  hasSynced = false;

  constructor(
    readonly client: KubeClient,
    private readonly opts: ClusterCacheOptions,
  ) {
    this.ready = this.start();
    this.ready.catch(() => {});
  }

  private async start(): Promise<void> {
    try {
      await this.sync();
      this.hasSynced = true;
      this.error = undefined;
    } catch (e) {
      this.error = `failed to sync cluster ${this.opts.server}: ${(e as Error).message}`;
      this.opts.log(this.error);
      if (!this.stopped) {
        // keep trying in the background
        setTimeout(() => {
          if (!this.stopped) this.ready = this.start();
        }, 10_000).unref();
      }
      throw new Error(this.error);
    }
  }

  /** Discovers and starts informers for kinds not watched yet; stops those no longer served. */
  async sync(): Promise<void> {
    const found = await discover(this.client);
    const want = new Map<string, DiscoveredResource>();
    for (const r of found) {
      const gk = gkKey(r.group, r.kind);
      if (NEVER.has(gk) || !r.verbs.includes('list') || !r.verbs.includes('watch')) continue;
      if (this.opts.excluded?.(r.group, r.kind)) continue;
      if (this.opts.namespaces?.length && !r.namespaced && !this.opts.clusterResources) continue;
      if (!want.has(gk)) want.set(gk, r);
    }
    const started: Informer[] = [];
    for (const [gk, r] of want) {
      this.kinds.set(gk, r);
      if (this.informers.has(gk)) continue;
      const nss = r.namespaced && this.opts.namespaces?.length ? this.opts.namespaces : [undefined];
      const infs = nss.map((ns) => new Informer(this.client, r, { namespace: ns, log: (m) => this.opts.log(`cluster ${this.opts.server}: ${m}`) }));
      for (const inf of infs) {
        inf.on({ add: (o) => this.put(o), update: (_a, b) => this.put(b), delete: (o) => this.drop(o) });
        if (r.group === 'apiextensions.k8s.io' && r.kind === 'CustomResourceDefinition')
          inf.on({ add: () => this.rediscoverSoon(), delete: () => this.rediscoverSoon(), update: (a, b) => a !== b && this.rediscoverSoon() });
        inf.start();
        started.push(inf);
      }
      this.informers.set(gk, infs);
    }
    for (const [gk, infs] of [...this.informers]) {
      if (want.has(gk)) continue;
      this.informers.delete(gk);
      this.kinds.delete(gk);
      for (const inf of infs) {
        for (const o of inf.list()) this.drop(o);
        void inf.stop();
      }
    }
    // kinds that cannot be listed (forbidden) must not hold the whole cluster back forever
    const timeout = this.opts.syncTimeoutMs ?? 60_000;
    await Promise.race([Promise.all(started.map((i) => i.synced)), new Promise((r) => setTimeout(r, timeout).unref())]);
    const unsynced = started.filter((i) => !i.hasSynced).map((i) => i.resource.plural);
    if (unsynced.length) this.opts.log(`cluster ${this.opts.server}: not synced after ${timeout} ms (still trying): ${unsynced.join(', ')}`);
  }

  private rediscoverSoon(): void {
    if (this.rediscoverTimer || this.stopped) return;
    this.rediscoverTimer = setTimeout(() => {
      this.rediscoverTimer = undefined;
      // discovery may lag a just-established CRD: ask again a little later too
      this.sync().catch((e) => this.opts.log(`cluster ${this.opts.server}: discovery failed: ${(e as Error).message}`));
      setTimeout(() => !this.stopped && this.sync().catch(() => {}), 2000).unref();
    }, 200);
    this.rediscoverTimer.unref();
  }

  private put(o: KubeObject): void {
    const key = objResKey(o);
    this.objects.set(key, o);
    const prev = this.appOf.get(key);
    const app = (o.metadata?.ownerReferences ?? []).length ? undefined : trackedApp(o, this.opts.tracking());
    if (prev !== app) {
      if (prev) {
        this.byApp.get(prev)?.delete(key);
        this.opts.onAppResource?.(prev, o);
      }
      if (app) {
        let s = this.byApp.get(app);
        if (!s) this.byApp.set(app, (s = new Set()));
        s.add(key);
        this.appOf.set(key, app);
      } else this.appOf.delete(key);
    }
    if (app) this.opts.onAppResource?.(app, o);
    this.opts.onObject?.(o);
  }

  private drop(o: KubeObject): void {
    const key = objResKey(o);
    this.objects.delete(key);
    const app = this.appOf.get(key);
    if (app) {
      this.byApp.get(app)?.delete(key);
      this.appOf.delete(key);
      this.opts.onAppResource?.(app, o);
    }
    this.opts.onObject?.(o);
  }

  /** Re-indexes every object (the tracking method or label key changed). */
  reindex(): void {
    for (const o of [...this.objects.values()]) this.put(o);
  }

  get(group: string, kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(resKey(group, kind, namespace, name));
  }

  /** The objects an app tracks (top-level: without owner references). */
  appObjects(app: string): KubeObject[] {
    const keys = this.byApp.get(app);
    if (!keys) return [];
    const out: KubeObject[] = [];
    for (const k of keys) {
      const o = this.objects.get(k);
      if (o) out.push(o);
    }
    return out;
  }

  /** Objects of a namespace (orphaned-resource detection). */
  namespaceObjects(ns: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const [gk, infs] of this.informers) {
      const r = this.kinds.get(gk);
      if (!r?.namespaced) continue;
      for (const inf of infs) for (const o of inf.list(ns)) out.push(o);
    }
    return out;
  }

  /** Objects owned (ownerReferences) by the given uid. */
  children(uid: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const infs of this.informers.values()) for (const inf of infs) for (const o of inf.byIndex('owner-uid', uid)) out.push(o);
    return out;
  }

  resourceFor(group: string, kind: string): DiscoveredResource | undefined {
    return this.kinds.get(gkKey(group, kind));
  }

  /** Asks discovery again now (a kind an app needs is not known yet). */
  async refreshKinds(): Promise<void> {
    await this.sync();
  }

  /** Objects per kind (argocd_cluster_api_resource_objects). */
  counts(): { objects: number; kinds: number } {
    return { objects: this.objects.size, kinds: this.informers.size };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.rediscoverTimer) clearTimeout(this.rediscoverTimer);
    await Promise.all([...this.informers.values()].flat().map((i) => i.stop()));
    this.client.close();
  }
}
