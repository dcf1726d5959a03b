/**
 * The notifications controller on kube-runtime, for any kind of object (Argo CD Applications with
 * their AppProjects; Argo Rollouts' Rollouts): informers on the objects, the ConfigMap and the Secret;
 * reconcile(key) runs one engine pass over the object and writes the "already notified" state back
 * into its `notified.notifications.argoproj.io` annotation (merge patch). Level-triggered: every
 * change of the object, its project, the ConfigMap or the Secret re-evaluates.
 */
import type { KubeObject } from '@flotilla/apimachinery';
import { Controller, EventRecorder, InformerFactory, objKey, type Informer, type KubeClient, type ReconcileResult, type Resource } from '@flotilla/kube-runtime';
import { ConfigError, parseConfig, secretData, type NotifConfig } from './config.js';
import { processObject, type PassInput, type Sender } from './engine.js';
import { serviceSender } from './services/index.js';
import { NOTIFIED_ANNOTATION } from './subscriptions.js';
import { parseState, serializeState, type NotifiedState } from './state.js';

const CONFIGMAPS: Resource = { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true };
const SECRETS: Resource = { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true };

export interface NotificationsOptions {
  client: KubeClient;
  /** the namespace of the ConfigMap and Secret */
  namespace: string;
  /** the objects notified about */
  resource: Resource;
  /** namespaces of the objects ('' = all); default: the namespace */
  objectNamespaces?: string[];
  /** the variable the object is known by in triggers and templates (`app`, `rollout`) */
  varName: string;
  /** all the variables of triggers and templates (default: `{[varName]: obj}`) */
  vars?: (obj: KubeObject) => Record<string, unknown>;
  configMapName: string;
  secretName: string;
  /** a project resource whose objects' annotations subscribe too (AppProjects) */
  project?: { resource: Resource; nameOf(obj: KubeObject): string | undefined };
  /** unix seconds before which plain (not oncePer) state keys are stale (Argo CD: the operation's startedAt) */
  since?: (obj: KubeObject) => number | undefined;
  /** default `.context` entries (Argo CD: argocdUrl) */
  defaultContext?: Record<string, string>;
  labelSelector?: string;
  workers?: number;
  log: (level: 'debug' | 'info' | 'warn' | 'error', msg: string) => void;
  /** the sender (default: the real services) */
  send?: (cfg: NotifConfig) => Sender;
  /** metrics (argocd_notifications_*) */
  observe?: PassInput['observe'];
  /** called after each delivery (benchmarks and tests) */
  onSent?: (key: string, trigger: string, service: string) => void;
}

class Loop extends Controller {
  constructor(
    ctx: ConstructorParameters<typeof Controller>[1],
    workers: number,
    private readonly inf: Informer,
    private readonly fn: (key: string) => Promise<ReconcileResult>,
  ) {
    super('notifications-controller', ctx, { workers, resyncMs: 60_000 });
  }
  protected primary(): Informer {
    return this.inf;
  }
  reconcile(key: string): Promise<ReconcileResult> {
    return this.fn(key);
  }
  add(key: string): void {
    this.enqueue(key);
  }
}

export class NotificationsController {
  readonly informers: InformerFactory;
  private readonly objects: Informer[];
  private readonly projects?: Informer;
  private readonly cm: Informer;
  private readonly secret: Informer;
  private readonly loop: Loop;
  private readonly events: EventRecorder;
  private cfgCache?: { key: string; cfg?: NotifConfig; error?: string };
  /** state written but not yet seen back through the informer (the cache may be a moment behind) */
  private readonly written = new Map<string, { value: string; state: NotifiedState }>();
  private lastConfigError = '';

  constructor(readonly opts: NotificationsOptions) {
    this.informers = new InformerFactory(opts.client, { log: (m) => opts.log('info', m) });
    const nss = opts.objectNamespaces?.length ? opts.objectNamespaces : [opts.namespace];
    const sel = opts.labelSelector ? { labelSelector: opts.labelSelector } : {};
    this.objects = (nss.includes('') ? [''] : [...new Set(nss)]).map((ns) => this.informers.for(opts.resource, { namespace: ns, ...sel }));
    this.cm = this.informers.for(CONFIGMAPS, { namespace: opts.namespace, fieldSelector: `metadata.name=${opts.configMapName}` });
    this.secret = this.informers.for(SECRETS, { namespace: opts.namespace, fieldSelector: `metadata.name=${opts.secretName}` });
    if (opts.project) this.projects = this.informers.for(opts.project.resource, { namespace: opts.namespace });
    this.events = new EventRecorder(opts.client, { component: 'argocd-notifications-controller', log: (m) => opts.log('warn', m) });
    const ctx = { client: opts.client, informers: this.informers, log: (m: string) => opts.log('warn', m), events: this.events };
    this.loop = new Loop(ctx, opts.workers ?? 1, this.objects[0]!, (k) => this.reconcile(k));
    const all = () => {
      for (const inf of this.objects) for (const o of inf.list()) this.loop.add(objKey(o));
    };
    for (const inf of this.objects) {
      inf.on({
        add: (o) => this.loop.add(objKey(o)),
        update: (a, b) => {
          const w = this.written.get(objKey(b));
          if (w && b.metadata?.annotations?.[NOTIFIED_ANNOTATION] === w.value) this.written.delete(objKey(b));
          if (a.metadata?.resourceVersion !== b.metadata?.resourceVersion) this.loop.add(objKey(b));
        },
        delete: (o) => this.written.delete(objKey(o)),
      });
    }
    for (const inf of [this.cm, this.secret]) inf.on({ add: all, update: all, delete: all });
    this.projects?.on({
      add: all,
      update: (a, b) => {
        if (JSON.stringify(a.metadata?.annotations) !== JSON.stringify(b.metadata?.annotations)) all();
      },
      delete: all,
    });
  }

  async start(): Promise<void> {
    this.informers.start();
    await this.informers.waitForSync();
    for (const inf of this.objects.slice(1)) for (const o of inf.list()) this.loop.add(objKey(o));
    await this.loop.start();
    this.synced = true;
  }

  private synced = false;
  /** the caches are synced and the workers run */
  ready(): boolean {
    return this.synced;
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.informers.stop();
    this.events.stop();
  }

  /** The parsed configuration (cached by the ConfigMap's and Secret's resourceVersions). */
  config(): { cfg?: NotifConfig; error?: string } {
    const cm = this.cm.get(this.opts.namespace, this.opts.configMapName) as (KubeObject & { data?: Record<string, string> }) | undefined;
    const sec = this.secret.get(this.opts.namespace, this.opts.secretName) as (KubeObject & { data?: Record<string, string> }) | undefined;
    const key = `${cm?.metadata?.resourceVersion ?? '-'}/${sec?.metadata?.resourceVersion ?? '-'}`;
    if (this.cfgCache?.key === key) return this.cfgCache;
    try {
      const cfg = parseConfig(cm?.data ?? {}, secretData(sec));
      cfg.context = { ...this.opts.defaultContext, ...cfg.context };
      this.cfgCache = { key, cfg };
    } catch (e) {
      this.cfgCache = { key, error: e instanceof ConfigError ? `${this.opts.configMapName}: ${e.message}` : String(e) };
    }
    return this.cfgCache;
  }

  private find(key: string): KubeObject | undefined {
    const i = key.indexOf('/');
    const [ns, name] = i < 0 ? [undefined, key] : [key.slice(0, i), key.slice(i + 1)];
    for (const inf of this.objects) {
      const o = inf.get(ns, name);
      if (o) return o;
    }
    return undefined;
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const obj = this.find(key);
    if (!obj || obj.metadata?.deletionTimestamp) return;
    const { cfg, error } = this.config();
    if (!cfg) {
      if (error !== this.lastConfigError) this.opts.log('error', `invalid notifications configuration: ${error}`);
      this.lastConfigError = error ?? '';
      return;
    }
    this.lastConfigError = '';
    const w = this.written.get(key);
    const annotations = obj.metadata?.annotations ?? {};
    const state = w ? { ...w.state } : parseState(annotations[NOTIFIED_ANNOTATION]);
    const pname = this.opts.project?.nameOf(obj);
    const project = pname !== undefined ? this.projects?.get(this.opts.namespace, pname) : undefined;
    const send = (this.opts.send ?? serviceSender)(cfg);
    const res = await processObject({
      cfg,
      obj,
      project,
      vars: this.opts.vars ? this.opts.vars(obj) : { [this.opts.varName]: obj },
      state,
      since: this.opts.since?.(obj),
      observe: this.opts.observe,
      send: async (d) => {
        await send(d);
        this.opts.log('info', `${this.opts.resource.kind} ${key}: sent ${d.trigger} (template ${d.template}) to ${d.destination.service}${d.destination.recipient ? ':' + d.destination.recipient : ''}`);
        this.opts.onSent?.(key, d.trigger, d.destination.service);
      },
    });
    for (const e of res.errors) this.opts.log('warn', `${this.opts.resource.kind} ${key}: ${e}`);
    if (res.changed) {
      const value = serializeState(state);
      await this.opts.client.patch(this.opts.resource, obj.metadata?.namespace, obj.metadata!.name!, { metadata: { annotations: { [NOTIFIED_ANNOTATION]: value } } }, 'merge');
      this.written.set(key, { value, state });
    }
    // failed deliveries are retried
    if (res.errors.some((e) => e.startsWith('sending '))) return { requeueAfter: 10_000 };
  }
}
