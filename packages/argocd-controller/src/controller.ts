/**
 * argocd-application-controller: informers on Applications, AppProjects, cluster Secrets and
 * argocd-cm in Argo CD's namespace; two work queues as upstream (status refresh:
 * --status-processors workers; operations: --operation-processors workers); a live-state cache per
 * destination cluster whose changes re-compare the apps that track the changed objects.
 */
import type { KubeObject } from '@flotilla/apimachinery';
import { Controller, InformerFactory, type EventRecorder, type Informer, type KubeClient, type ReconcileResult, type Resource, type RuntimeContext } from '@flotilla/kube-runtime';
import { ANNOTATIONS, LABELS, type AppProject, type Application } from '@flotilla/argocd-engine';
import { isExcluded, parseSettings, type ArgoSettings } from '@flotilla/argocd-engine/settings';
import { globMatch } from '@flotilla/repo-server';
import { Clusters, shardOf, type ClusterInfo } from './clusters.js';
import { controllerMetrics, type ControllerMetrics } from './metrics.js';
import { RenderCache, type RepoAPI } from './repo.js';
import { instanceName, type TrackingOpts } from './tracking.js';
import { refreshApp, type AppMemo } from './refresh.js';
import { operateApp } from './sync-op.js';
import { finalizeApp } from './finalize.js';

import { APPLICATIONS, APPPROJECTS } from './resources.js';
export { APPLICATIONS, APPPROJECTS };
const CONFIGMAPS: Resource = { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true };
const SECRETS: Resource = { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true };

export interface AppControllerOptions {
  /** a client of the control-plane cluster (Applications, AppProjects, Secrets, argocd-cm) */
  client: KubeClient;
  /** a fresh client of the in-cluster destination (its own connection pool; closed with its cache) */
  inClusterClient: () => KubeClient;
  /** Argo CD's namespace */
  namespace: string;
  applicationNamespaces?: string[];
  repo: RepoAPI;
  events: EventRecorder;
  log: (msg: string) => void;
  resyncSeconds?: number;
  jitterSeconds?: number;
  selfHealTimeoutSeconds?: number;
  statusProcessors?: number;
  operationProcessors?: number;
  kubectlParallelism?: number;
  replicas?: number;
  shard?: number;
  metrics?: boolean;
  /** revision cache time of the shared render cache (ms) */
  revisionTtlMs?: number;
  qps?: number;
  burst?: number;
}

/** Everything the refresh, operation and deletion code shares. */
export interface Shared {
  opts: AppControllerOptions;
  client: KubeClient;
  apps: Informer<Application>;
  projects: Informer<AppProject>;
  clusters: Clusters;
  render: RenderCache;
  metrics: ControllerMetrics;
  events: EventRecorder;
  memo: Map<string, AppMemo>;
  settings(): ArgoSettings;
  tracking(): TrackingOpts;
  instance(app: Application): string;
  project(app: Application): AppProject | undefined;
  log: (msg: string) => void;
  enqueueRefresh(key: string, afterMs?: number): void;
  enqueueOperation(key: string, afterMs?: number): void;
}

class Loop extends Controller {
  constructor(
    name: string,
    ctx: RuntimeContext,
    workers: number,
    private readonly inf: Informer,
    private readonly fn: (key: string) => Promise<ReconcileResult>,
    /** enqueue every app at start (false: only what is added later) */
    private readonly initial = true,
  ) {
    super(name, ctx, { workers, resyncMs: 0, maxDelayMs: 30_000 });
  }
  override async start(): Promise<void> {
    if (this.initial) return super.start();
    await this.ctx.informers.waitForSync();
    if (!this.stopped) this.queue.start(this.workers, (k) => this.handle(k));
  }
  protected primary(): Informer {
    return this.inf;
  }
  reconcile(key: string): Promise<ReconcileResult> {
    return this.fn(key);
  }
}

/** What in an Application makes a refresh necessary (not status writes, which the controller makes itself). */
function refreshRelevant(a: Application): string {
  return JSON.stringify([a.spec, a.metadata?.annotations?.[ANNOTATIONS.refresh], a.metadata?.deletionTimestamp, a.metadata?.finalizers]);
}
function operationRelevant(a: Application): boolean {
  const ph = a.status?.operationState?.phase;
  return !!a.operation || ph === 'Terminating' || (ph === 'Running' && !!a.operation);
}

export class AppController {
  readonly informers: InformerFactory;
  readonly shared: Shared;
  private readonly refreshLoop: Loop;
  /** refresh requests (the annotation) do not wait behind a full resync pass */
  private readonly requestedLoop: Loop;
  private readonly refreshing = new Map<string, Promise<unknown>>();
  private readonly opLoop: Loop;
  private settingsCache?: { rv: string; s: ArgoSettings };
  private metricsTimer?: NodeJS.Timeout;

  constructor(readonly opts: AppControllerOptions) {
    const ns = opts.namespace;
    const allNs = (opts.applicationNamespaces ?? []).length > 0;
    this.informers = new InformerFactory(opts.client, { log: opts.log });
    const apps = this.informers.for<Application>(APPLICATIONS, allNs ? { namespace: '' } : { namespace: ns });
    const projects = this.informers.for<AppProject>(APPPROJECTS, { namespace: ns });
    const secrets = this.informers.for(SECRETS, { namespace: ns, labelSelector: `${LABELS.secretType}=cluster` });
    const cms = this.informers.for(CONFIGMAPS, { namespace: ns, fieldSelector: 'metadata.name=argocd-cm' });
    const metrics = controllerMetrics(opts.metrics !== false);
    const self = this;
    const memo = new Map<string, AppMemo>();
    const clusters = new Clusters(opts.inClusterClient, {
      tracking: () => this.shared.tracking(),
      excluded: (group, kind) => isExcluded({ group, kind }, this.shared.settings()),
      log: opts.log,
      onAppResource: (instance) => this.onResource(instance),
    }, { qps: opts.qps, burst: opts.burst });
    this.shared = {
      opts,
      client: opts.client,
      apps,
      projects,
      clusters,
      render: new RenderCache(opts.repo, { revisionTtlMs: opts.revisionTtlMs, counters: { request: (repo, type) => metrics.gitRequest(repo, type) } }),
      metrics,
      events: opts.events,
      memo,
      settings: () => self.settings(cms),
      tracking: () => {
        const s = self.settings(cms);
        return { trackingMethod: s.trackingMethod, appInstanceLabelKey: s.appInstanceLabelKey || LABELS.instance, installationID: s.installationID };
      },
      instance: (app) => instanceName(app, ns),
      project: (app) => projects.get(ns, app.spec?.project || 'default'),
      log: opts.log,
      enqueueRefresh: (key, after) => (after ? this.refreshLoop.queue.addAfter(key, after) : this.refreshLoop.queue.add(key)),
      enqueueOperation: (key, after) => (after ? this.opLoop.queue.addAfter(key, after) : this.opLoop.queue.add(key)),
    };
    const ctx: RuntimeContext = { client: opts.client, informers: this.informers, log: opts.log, events: opts.events };
    this.refreshLoop = new Loop('app-refresh', ctx, opts.statusProcessors ?? 20, apps, (k) => this.refresh(k));
    // the regular queue keeps each app's periodic schedule; this one only answers requests
    this.requestedLoop = new Loop('app-refresh-requested', ctx, 4, apps, async (k) => void (await this.refresh(k)), false);
    this.opLoop = new Loop('app-operation', ctx, opts.operationProcessors ?? 10, apps, (k) => this.operate(k));
    const managedNs = (a: Application) => {
      const n = a.metadata?.namespace ?? '';
      return n === ns || (opts.applicationNamespaces ?? []).some((p) => globMatch(p, n));
    };
    apps.on({
      add: (a) => {
        if (!managedNs(a)) return;
        this.refreshLoop.enqueue(a);
        if (operationRelevant(a)) this.opLoop.enqueue(a);
      },
      update: (o, a) => {
        if (!managedNs(a)) return;
        if (a.metadata?.annotations?.[ANNOTATIONS.refresh] && !o.metadata?.annotations?.[ANNOTATIONS.refresh]) this.requestedLoop.enqueue(a);
        else if (o === a || refreshRelevant(o) !== refreshRelevant(a)) this.refreshLoop.enqueue(a);
        if (operationRelevant(a) && (o.status?.operationState?.phase !== a.status?.operationState?.phase || JSON.stringify(o.operation) !== JSON.stringify(a.operation) || !a.status?.operationState)) this.opLoop.enqueue(a);
      },
      delete: (a) => {
        memo.delete(`${a.metadata?.namespace}/${a.metadata?.name}`);
      },
    });
    projects.on({
      add: (p) => this.enqueueProject(p),
      update: (o, p) => o !== p && this.enqueueProject(p),
      delete: (p) => this.enqueueProject(p),
    });
    const resetClusters = () => {
      clusters.setSecrets(secrets.list());
      for (const a of apps.list()) this.refreshLoop.enqueue(a);
    };
    secrets.on({ add: resetClusters, update: (o, n) => o !== n && resetClusters(), delete: resetClusters });
    cms.on({
      add: () => this.settingsChanged(),
      update: (o, n) => o !== n && this.settingsChanged(),
      delete: () => this.settingsChanged(),
    });
  }

  private settings(cms: Informer): ArgoSettings {
    const cm = cms.get(this.opts.namespace, 'argocd-cm') as (KubeObject & { data?: Record<string, string> }) | undefined;
    const rv = cm?.metadata?.resourceVersion ?? '';
    if (this.settingsCache?.rv !== rv || !this.settingsCache) this.settingsCache = { rv, s: parseSettings(cm?.data ?? {}) };
    return this.settingsCache.s;
  }

  private settingsChanged(): void {
    this.settingsCache = undefined;
    for (const c of this.shared.clusters.started()) c.reindex();
    for (const m of this.shared.memo.values()) m.renderedAt = 0;
    for (const a of this.shared.apps.list()) this.refreshLoop.enqueue(a);
  }

  private enqueueProject(p: AppProject): void {
    for (const a of this.shared.apps.list()) if ((a.spec?.project || 'default') === p.metadata?.name) this.refreshLoop.enqueue(a);
  }

  /** An object an app tracks changed: compare again (and move a running operation on). */
  private onResource(instance: string): void {
    const i = instance.indexOf('_');
    const key = i < 0 ? `${this.opts.namespace}/${instance}` : `${instance.slice(0, i)}/${instance.slice(i + 1)}`;
    // a burst of changes (a sync applying many objects) makes one comparison, not one per object
    this.refreshLoop.queue.addAfter(key, 1000);
    const [ns, name] = key.split('/');
    const a = this.shared.apps.get(ns, name);
    if (a?.operation) this.opLoop.queue.addAfter(key, 100);
  }

  /** Whether this replica handles the app (shard of its destination cluster). */
  ownsCluster(c: ClusterInfo | { error: string }): boolean {
    const replicas = this.opts.replicas ?? 1;
    if (replicas <= 1 || 'error' in c) return replicas <= 1 || (this.opts.shard ?? 0) === 0;
    return shardOf(c, replicas) === (this.opts.shard ?? 0);
  }

  private split(key: string): Application | undefined {
    const i = key.indexOf('/');
    return this.shared.apps.get(key.slice(0, i), key.slice(i + 1));
  }

  /** One refresh of an app at a time (the regular and the requested queue may both hold it). */
  private async refresh(key: string): Promise<ReconcileResult> {
    for (let prev = this.refreshing.get(key); prev; prev = this.refreshing.get(key)) await prev.catch(() => {});
    const p = this.refreshOnce(key);
    this.refreshing.set(key, p);
    try {
      return await p;
    } finally {
      if (this.refreshing.get(key) === p) this.refreshing.delete(key);
    }
  }

  private async refreshOnce(key: string): Promise<ReconcileResult> {
    const app = this.split(key);
    if (!app) {
      this.shared.memo.delete(key);
      return;
    }
    if (!this.ownsCluster(this.shared.clusters.resolve(app.spec?.destination ?? {}))) return;
    if (app.metadata?.deletionTimestamp) return finalizeApp(this.shared, app);
    return refreshApp(this.shared, app, key);
  }

  private async operate(key: string): Promise<ReconcileResult> {
    const app = this.split(key);
    if (!app || app.metadata?.deletionTimestamp) return;
    if (!this.ownsCluster(this.shared.clusters.resolve(app.spec?.destination ?? {}))) return;
    return operateApp(this.shared, app, key);
  }

  /** Creates the `default` AppProject when it is missing (as upstream's controller and server do at start). */
  async ensureDefaultProject(): Promise<void> {
    const ns = this.opts.namespace;
    try {
      await this.opts.client.get(APPPROJECTS, ns, 'default');
    } catch (e) {
      if ((e as { code?: number }).code !== 404) throw e;
      try {
        await this.opts.client.create(APPPROJECTS, ns, {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'AppProject',
          metadata: { name: 'default', namespace: ns },
          spec: { sourceRepos: ['*'], destinations: [{ namespace: '*', server: '*' }], clusterResourceWhitelist: [{ group: '*', kind: '*' }] },
        } as KubeObject);
        this.opts.log(`created the default AppProject in ${ns}`);
      } catch (e2) {
        if ((e2 as { code?: number }).code !== 409) throw e2;
      }
    }
  }

  async start(): Promise<void> {
    await this.ensureDefaultProject().catch((e) => this.opts.log(`ensuring the default AppProject: ${(e as Error).message}`));
    this.informers.start();
    await this.informers.waitForSync();
    this.shared.clusters.setSecrets(this.informers.for(SECRETS, { namespace: this.opts.namespace, labelSelector: `${LABELS.secretType}=cluster` }).list());
    await Promise.all([this.refreshLoop.start(), this.requestedLoop.start(), this.opLoop.start()]);
    // operations recorded as running (a restart mid-sync) continue
    for (const a of this.shared.apps.list()) if (operationRelevant(a)) this.opLoop.enqueue(a);
    this.metricsTimer = setInterval(() => {
      this.shared.metrics.setApps(this.shared.apps.list());
      for (const c of this.shared.clusters.started()) {
        const n = c.counts();
        this.shared.metrics.setClusterObjects(c.client.server.origin, n.objects, n.kinds);
      }
    }, 5000);
    this.metricsTimer.unref();
  }

  /** Informers synced and the in-cluster cache ready (readiness). */
  ready(): boolean {
    return this.shared.apps.hasSynced;
  }

  async stop(): Promise<void> {
    if (this.metricsTimer) clearInterval(this.metricsTimer);
    await Promise.all([this.refreshLoop.stop(), this.requestedLoop.stop(), this.opLoop.stop()]);
    await this.informers.stop();
    await this.shared.clusters.stop();
  }
}
