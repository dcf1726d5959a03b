/**
 * The controller skeleton every controller here shares (controller-runtime style): informer events
 * enqueue object keys, workers reconcile one key at a time, errors and conflicts requeue with
 * exponential backoff, a reconcile may ask to be called again after a delay, and everything is
 * level-triggered — a reconcile reads the whole current state from the informer caches.
 */
import type { KubeObject } from '@flotilla/apimachinery';
import { ApiError, isConflict, type KubeClient, type Resource, R } from './client.js';
import { InformerFactory, objKey, type Informer } from './informer.js';
import { WorkQueue } from './queue.js';
import { rfc3339, type Clock, realClock, controllerRefOf, selectorFn, type LabelSelector } from './util.js';

export interface ControllerContext {
  client: KubeClient;
  informers: InformerFactory;
  log: (msg: string) => void;
  clock: Clock;
  /** restrict namespaced watches to one namespace */
  namespace?: string;
  events: EventRecorder;
}

export type ReconcileResult = void | { requeueAfter?: number };

export abstract class Controller {
  readonly queue = new WorkQueue();
  private resyncTimer?: NodeJS.Timeout;
  protected stopped = false;

  constructor(
    readonly name: string,
    protected readonly ctx: ControllerContext,
    protected readonly workers = 4,
    /** a full re-enqueue of the primary objects every so often (a safety net; 0 disables) */
    protected readonly resyncMs = 5 * 60_000,
  ) {}

  /** The key of the primary objects this controller reconciles. */
  protected abstract primary(): Informer;
  abstract reconcile(key: string): Promise<ReconcileResult>;

  private recorder?: EventRecorder;
  /** Events reported as coming from this controller (like "deployment-controller"). */
  protected get events(): EventRecorder {
    return (this.recorder ??= this.ctx.events.as(this.name));
  }

  protected log(msg: string): void {
    this.ctx.log(`${this.name}: ${msg}`);
  }

  enqueue(o: KubeObject | string): void {
    this.queue.add(typeof o === 'string' ? o : objKey(o));
  }

  /** Enqueues the controller (of the given kind) of an object. */
  protected enqueueOwner(o: KubeObject, kind: string): void {
    const ref = controllerRefOf(o);
    if (ref && ref.kind === kind) this.enqueue(o.metadata?.namespace ? `${o.metadata.namespace}/${ref.name}` : ref.name);
  }

  /**
   * Wires a pod informer to an owner kind: a pod's controller is enqueued, an orphan pod enqueues
   * every owner whose selector matches it (adoption), and pod events settle the expectations.
   * With `requeueOldOwner`, an update that changed a pod's controller also enqueues the old one.
   */
  protected watchOwnedPods(
    podInf: Informer<KubeObject>,
    ownerInf: Informer<KubeObject>,
    exp: Expectations,
    kind: string,
    opts: { requeueOldOwner?: boolean } = {},
  ): void {
    const podEv = (p: KubeObject) => {
      const ref = controllerRefOf(p);
      if (ref) {
        if (ref.kind === kind) this.enqueue(`${p.metadata?.namespace}/${ref.name}`);
        return;
      }
      for (const o of ownerInf.list(p.metadata?.namespace))
        if (selectorFn((o.spec as { selector?: LabelSelector } | undefined)?.selector)(p.metadata?.labels)) this.enqueue(o);
    };
    podInf.on({
      add: (p) => {
        exp.observe(p, false);
        podEv(p);
      },
      update: (a, b) => {
        if (b.metadata?.deletionTimestamp) exp.observe(b, false);
        if (opts.requeueOldOwner && controllerRefOf(a)?.uid !== controllerRefOf(b)?.uid) podEv(a);
        podEv(b);
      },
      delete: (p) => {
        exp.observe(p, true);
        podEv(p);
      },
    });
  }

  protected async handle(key: string): Promise<void> {
    try {
      const r = await this.reconcile(key);
      this.queue.forget(key);
      if (r && r.requeueAfter !== undefined) this.queue.addAfter(key, Math.max(1, Math.ceil(r.requeueAfter)));
    } catch (e) {
      if (this.stopped) return;
      const delay = this.queue.addRateLimited(key);
      // conflicts are routine (a cache a moment behind): retry quietly
      if (isConflict(e)) return;
      if (e instanceof ApiError && e.code === 404) this.log(`${key}: ${e.message} (requeued in ${delay} ms)`);
      else this.log(`${key}: reconcile failed (requeued in ${delay} ms): ${(e as Error).stack ?? e}`);
    }
  }

  /** Waits for the caches, then starts the workers. */
  async start(): Promise<void> {
    await this.ctx.informers.waitForSync();
    if (this.stopped) return;
    for (const o of this.primary().list()) this.enqueue(o);
    this.queue.start(this.workers, (k) => this.handle(k));
    if (this.resyncMs > 0) {
      this.resyncTimer = setInterval(() => {
        for (const o of this.primary().list()) this.enqueue(o);
      }, this.resyncMs);
      this.resyncTimer.unref();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    await this.queue.shutdown();
  }
}

/**
 * Writes an object's status. The status is derived from the children, not from the object, so a
 * conflict (the cached object is a version behind) is retried once on the fresh object.
 */
export async function writeStatus<T extends KubeObject>(client: KubeClient, r: Resource, obj: T, status: unknown): Promise<T> {
  try {
    return await client.update<T>(r, { ...obj, status }, 'status');
  } catch (e) {
    if (!isConflict(e)) throw e;
  }
  const fresh = await client.get<T>(r, obj.metadata?.namespace, obj.metadata!.name!);
  if (fresh.metadata?.uid !== obj.metadata?.uid) return fresh;
  return client.update<T>(r, { ...fresh, status }, 'status');
}

export function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return i < 0 ? ['', key] : [key.slice(0, i), key.slice(i + 1)];
}

// ----------------------------------------------------------------------------------- expectations

/**
 * Expectations: the creations and deletions a controller has made whose effects its caches have not
 * shown yet. While any are outstanding the controller does not create or delete again (that would
 * count stale state and make duplicates). They are satisfied by what the informer shows — the
 * created object present, the deleted one gone or terminating — or expire after a TTL. They live in
 * memory only: after a restart the caches are re-listed before any work, so nothing is pending.
 */
export class Expectations {
  private readonly pending = new Map<string, { adds: Set<string>; dels: Map<string, string>; at: number }>();

  constructor(
    private readonly informer: Informer,
    private readonly ttlMs = 60_000,
  ) {}

  private entry(owner: string) {
    let e = this.pending.get(owner);
    if (!e) this.pending.set(owner, (e = { adds: new Set(), dels: new Map(), at: Date.now() }));
    e.at = Date.now();
    return e;
  }

  expectCreate(owner: string, ns: string, name: string): void {
    if (this.informer.get(ns, name)) return;
    this.entry(owner).adds.add(`${ns}/${name}`);
  }

  expectDelete(owner: string, o: KubeObject): void {
    const cur = this.informer.get(o.metadata?.namespace, o.metadata!.name!);
    if (!cur || cur.metadata?.uid !== o.metadata?.uid || cur.metadata?.deletionTimestamp) return;
    this.entry(owner).dels.set(`${o.metadata?.namespace ?? ''}/${o.metadata!.name}`, o.metadata!.uid!);
  }

  satisfied(owner: string): boolean {
    const e = this.pending.get(owner);
    if (!e) return true;
    for (const k of e.adds) {
      const [ns, name] = splitKey(k);
      if (this.informer.get(ns, name)) e.adds.delete(k);
    }
    for (const [k, uid] of e.dels) {
      const [ns, name] = splitKey(k);
      const cur = this.informer.get(ns, name);
      if (!cur || cur.metadata?.uid !== uid || cur.metadata?.deletionTimestamp) e.dels.delete(k);
    }
    if ((e.adds.size === 0 && e.dels.size === 0) || Date.now() - e.at > this.ttlMs) {
      this.pending.delete(owner);
      return true;
    }
    return false;
  }

  /** Called from informer events: an object we created appeared / one we deleted went. */
  observe(o: KubeObject, deleted: boolean): void {
    const k = `${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
    for (const [owner, e] of this.pending) {
      if (!deleted) e.adds.delete(k);
      if (deleted || o.metadata?.deletionTimestamp) {
        const uid = e.dels.get(k);
        if (uid === undefined || uid === o.metadata?.uid) e.dels.delete(k);
      }
      if (e.adds.size === 0 && e.dels.size === 0) this.pending.delete(owner);
    }
  }

  forget(owner: string): void {
    this.pending.delete(owner);
  }
}

// ------------------------------------------------------------------------------------------ events

/** Records core/v1 Events (best effort, like a real controller's event broadcaster). */
export class EventRecorder {
  private seq = 0;
  constructor(
    private readonly client: KubeClient | undefined,
    private readonly component: string,
    private readonly clock: Clock = realClock,
  ) {}

  /** The same recorder reporting as another component. */
  as(component: string): EventRecorder {
    return new EventRecorder(this.client, component, this.clock);
  }

  event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, kind?: string, apiVersion?: string): void {
    if (!this.client) return;
    const m = obj.metadata ?? {};
    const ns = m.namespace || 'default';
    const now = rfc3339(this.clock.now());
    const name = `${m.name}.${(Date.now() * 1000 + (this.seq++ % 1000)).toString(16)}`;
    const ev = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: ns },
      involvedObject: { kind: kind ?? obj.kind, apiVersion: apiVersion ?? obj.apiVersion, namespace: m.namespace, name: m.name, uid: m.uid, resourceVersion: m.resourceVersion },
      reason,
      message,
      type,
      source: { component: this.component },
      reportingComponent: this.component,
      reportingInstance: this.component,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    this.client.create(R.events, ns, ev).catch(() => undefined);
  }
}

/** Builds a context over a client (shared informers, clock, events). */
export function makeContext(client: KubeClient, opts: { namespace?: string; log?: (m: string) => void; clock?: Clock; events?: boolean } = {}): ControllerContext {
  const log = opts.log ?? (() => {});
  const clock = opts.clock ?? realClock;
  return {
    client,
    informers: new InformerFactory(client, opts.namespace, log),
    log,
    clock,
    namespace: opts.namespace,
    events: new EventRecorder(opts.events === false ? undefined : client, 'flotilla-controller-manager', clock),
  };
}

export type { Resource };
