/**
 * The controller skeleton (controller-runtime style): informer events enqueue object keys, N workers
 * reconcile one key at a time, errors and conflicts requeue with the queue's back-off, a reconcile
 * may ask to be called again after a delay, and everything is level-triggered — a reconcile reads
 * the whole current state from the informer caches.
 */
import type { Level as LogLevel } from './log.js';
import type { KubeObject, OwnerReference } from '@flotilla/apimachinery';
import { ApiError, isConflict, type KubeClient } from './client.js';
import type { Handler, Informer, InformerFactory } from './informer.js';
import { WorkQueue, type QueueOptions } from './queue.js';
import { metrics } from './metrics.js';
import { objKey, type Resource } from './resources.js';
import type { EventRecorder } from './events.js';

export type ReconcileResult = void | { requeueAfter?: number };

/** Reconciles one object, named by its key ("namespace/name" or "name"). */
export interface Reconciler {
  reconcile(key: string): Promise<ReconcileResult>;
}

/** What controllers share in one process: a client, the informer factory, a log, an event recorder. */
export interface RuntimeContext {
  client: KubeClient;
  informers: InformerFactory;
  log: (msg: string, level?: LogLevel) => void;
  events: EventRecorder;
}

/** Filters informer events before they enqueue (controller-runtime's predicates). */
export interface Predicate<T extends KubeObject = KubeObject> {
  create?(obj: T): boolean;
  update?(oldObj: T, newObj: T): boolean;
  delete?(obj: T): boolean;
}

/** Updates pass only when metadata.generation changed (spec edits; not status writes, not resyncs). */
export const generationChanged: Predicate = { update: (a, b) => a.metadata?.generation !== b.metadata?.generation };
/** Updates pass only when the resourceVersion changed (drops resyncs). */
export const resourceVersionChanged: Predicate = { update: (a, b) => a.metadata?.resourceVersion !== b.metadata?.resourceVersion };

/** The controller reference (ownerReferences[].controller) of an object. */
export function controllerRefOf(o: KubeObject): OwnerReference | undefined {
  return (o.metadata?.ownerReferences ?? []).find((r) => r.controller === true);
}

export interface ControllerOptions extends QueueOptions {
  /** workers reconciling at once (default 4) */
  workers?: number;
  /** re-enqueue every primary object this often, a safety net (default 5 min; 0 disables) */
  resyncMs?: number;
}

export abstract class Controller implements Reconciler {
  readonly queue: WorkQueue;
  private resyncTimer?: NodeJS.Timeout;
  protected stopped = false;
  protected readonly workers: number;
  protected readonly resyncMs: number;

  constructor(
    readonly name: string,
    protected readonly ctx: RuntimeContext,
    workers: number | ControllerOptions = 4,
    resyncMs = 5 * 60_000,
  ) {
    const o: ControllerOptions = typeof workers === 'number' ? { workers, resyncMs } : workers;
    this.workers = o.workers ?? 4;
    this.resyncMs = o.resyncMs ?? resyncMs;
    this.queue = new WorkQueue({ name, ...o });
  }

  /** The informer of the objects this controller reconciles. */
  protected abstract primary(): Informer;
  abstract reconcile(key: string): Promise<ReconcileResult>;

  private recorder?: EventRecorder;
  /** Events reported as coming from this controller (like "deployment-controller"). */
  protected get events(): EventRecorder {
    return (this.recorder ??= this.ctx.events.as(this.name));
  }

  protected log(msg: string, level?: LogLevel): void {
    this.ctx.log(`${this.name}: ${msg}`, level);
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
   * Enqueues the objects of an informer's events that pass the predicates ("For"). With `delayMs`, a key
   * is added after that many ms, and the events of that window make one reconcile (the queue keeps the
   * earliest pending add of a key).
   */
  protected watch<T extends KubeObject>(inf: Informer<T>, predicates: Predicate<T>[] = [], map: (o: T) => string | string[] | undefined = objKey, delayMs?: (key: string) => number): void {
    const put = (o: T) => {
      const k = map(o);
      if (k === undefined) return;
      for (const x of Array.isArray(k) ? k : [k]) {
        const ms = delayMs?.(x) ?? 0;
        if (ms > 0) this.queue.addAfter(x, ms);
        else this.enqueue(x);
      }
    };
    inf.on(filtered(predicates, { add: put, update: (_a, b) => put(b), delete: put }));
  }

  /** Enqueues the controlling owner (of `ownerKind`) of an informer's objects ("Owns"); an update that changed the controller enqueues both. */
  protected watchOwned<T extends KubeObject>(inf: Informer<T>, ownerKind: string, predicates: Predicate<T>[] = []): void {
    inf.on(
      filtered(predicates, {
        add: (o) => this.enqueueOwner(o, ownerKind),
        update: (a, b) => {
          if (controllerRefOf(a)?.uid !== controllerRefOf(b)?.uid) this.enqueueOwner(a, ownerKind);
          this.enqueueOwner(b, ownerKind);
        },
        delete: (o) => this.enqueueOwner(o, ownerKind),
      }),
    );
  }

  protected async handle(key: string): Promise<void> {
    const start = performance.now();
    let result = 'success';
    try {
      const r = await this.reconcile(key);
      this.queue.forget(key);
      if (r && r.requeueAfter !== undefined) {
        result = 'requeue_after';
        this.queue.addAfter(key, Math.max(1, Math.ceil(r.requeueAfter)));
      }
    } catch (e) {
      result = 'error';
      metrics.reconcileErrors.inc({ controller: this.name });
      if (this.stopped) return;
      const delay = this.queue.addRateLimited(key);
      // conflicts are routine (a cache a moment behind): retry quietly
      if (isConflict(e)) return;
      if (e instanceof ApiError && (e.code === 404 || e.code === 0)) this.log(`${key}: ${e.message} (requeued in ${delay} ms)`, 'warn');
      else this.log(`${key}: reconcile failed (requeued in ${delay} ms): ${(e as Error).stack ?? e}`, 'error');
    } finally {
      metrics.reconcileTotal.inc({ controller: this.name, result });
      metrics.reconcileTime.observe({ controller: this.name }, (performance.now() - start) / 1000);
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

function filtered<T extends KubeObject>(ps: Predicate<T>[], h: Required<Handler<T>>): Handler<T> {
  if (!ps.length) return h;
  return {
    add: (o) => ps.every((p) => p.create?.(o) ?? true) && h.add(o),
    update: (a, b) => ps.every((p) => p.update?.(a, b) ?? true) && h.update(a, b),
    delete: (o) => ps.every((p) => p.delete?.(o) ?? true) && h.delete(o),
  };
}

/** A controller from parts: the primary resource, owned resources, a reconcile function. */
export interface ControllerSpec {
  name: string;
  /** the primary resource (its objects' keys are reconciled) */
  for: Resource;
  forPredicates?: Predicate[];
  /** owned resources: an event on one enqueues its controlling owner of the primary kind */
  owns?: Resource[];
  reconcile: (key: string, c: Controller) => Promise<ReconcileResult>;
  options?: ControllerOptions;
}

export function newController(ctx: RuntimeContext, spec: ControllerSpec): Controller {
  class Built extends Controller {
    private readonly inf = ctx.informers.for(spec.for);
    constructor() {
      super(spec.name, ctx, spec.options ?? {});
      this.watch(this.inf, spec.forPredicates);
      for (const r of spec.owns ?? []) this.watchOwned(ctx.informers.for(r), spec.for.kind);
    }
    protected primary(): Informer {
      return this.inf;
    }
    reconcile(key: string): Promise<ReconcileResult> {
      return spec.reconcile(key, this);
    }
  }
  return new Built();
}

/**
 * Writes an object's status through /status. A status is derived from the world, not from the
 * object, so a conflict (the cached object is a version behind) is retried on the fresh object
 * (up to `retries` times); an object replaced under the same name is left alone.
 */
export async function writeStatus<T extends KubeObject>(client: KubeClient, r: Resource, obj: T, status: unknown, retries = 3): Promise<T> {
  let cur: T = obj;
  for (let i = 0; ; i++) {
    try {
      return await client.update<T>(r, { ...cur, status }, 'status');
    } catch (e) {
      if (!isConflict(e) || i >= retries) throw e;
    }
    const fresh = await client.get<T>(r, obj.metadata?.namespace, obj.metadata!.name!);
    if (fresh.metadata?.uid !== obj.metadata?.uid) return fresh;
    cur = fresh;
  }
}

/** Retries `fn` while it fails with a conflict (client-go's RetryOnConflict), with a short back-off. */
export async function retryOnConflict<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (!isConflict(e) || i + 1 >= attempts) throw e;
      await new Promise((r) => setTimeout(r, 10 * 2 ** i));
    }
  }
}
