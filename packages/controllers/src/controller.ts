/**
 * What the built-in controllers add to kube-runtime's controller skeleton: a context with an
 * injectable clock, pod-owner wiring with adoption, and expectations (creations and deletions not
 * yet seen in the caches).
 */
import type { KubeObject } from '@flotilla/apimachinery';
import {
  Controller as RuntimeController,
  EventRecorder,
  InformerFactory,
  splitKey,
  type ControllerOptions,
  type Informer,
  type KubeClient,
  type RuntimeContext,
} from '@flotilla/kube-runtime';
import { type Clock, realClock, controllerRefOf, selectorFn, type LabelSelector } from './util.js';

export interface ControllerContext extends RuntimeContext {
  clock: Clock;
  /** restrict namespaced watches to one namespace */
  namespace?: string;
}

/** The built-in controllers' queue: per-key back-off capped at 30 s, a roomy global bucket. */
const QUEUE: ControllerOptions = { maxDelayMs: 30_000, qps: 50, burst: 300 };

export abstract class Controller extends RuntimeController {
  constructor(
    name: string,
    protected override readonly ctx: ControllerContext,
    workers = 4,
    resyncMs = 5 * 60_000,
  ) {
    super(name, ctx, { ...QUEUE, workers, resyncMs });
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
}

export { writeStatus, splitKey, type ReconcileResult } from '@flotilla/kube-runtime';

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

/** Builds a context over a client (shared informers, clock, events). */
export function makeContext(client: KubeClient, opts: { namespace?: string; log?: (m: string) => void; clock?: Clock; events?: boolean } = {}): ControllerContext {
  const log = opts.log ?? (() => {});
  const clock = opts.clock ?? realClock;
  return {
    client,
    informers: new InformerFactory(client, { namespace: opts.namespace, log }),
    log,
    clock,
    namespace: opts.namespace,
    events: new EventRecorder(opts.events === false ? undefined : client, { component: 'flotilla-controller-manager', log, clock }),
  };
}
