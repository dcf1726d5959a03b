/**
 * Cluster-internal control loops that a real control plane runs beside the API server:
 * the garbage collector (ownerReferences, background/foreground/orphan deletion), namespace
 * lifecycle (a terminating namespace deletes its contents, then itself), and CRD lifecycle
 * (served within a second of creation; deleting a CRD deletes its objects).
 * Each pass is level-triggered over the store's current state, so a restart loses nothing.
 */
import type { KubeObject } from '@flotilla/apimachinery';
import { clone } from './json-int.js';
import type { Objects } from './objects.js';
import type { Registry } from './registry.js';
import type { Store, StoreEvent } from './store.js';

const CRD_KEY = 'apiextensions.k8s.io/customresourcedefinitions';
const NS_KEY = 'core/namespaces';
const CRD_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

export class Controllers {
  private timer?: NodeJS.Timeout;
  private periodic?: NodeJS.Timeout;
  private running = false;
  /** true while the last pass saw objects being deleted (work may remain) */
  private busy = true;
  private again = false;
  private unsub?: () => void;

  constructor(
    private readonly store: Store,
    private readonly reg: Registry,
    private readonly objects: Objects,
  ) {}

  start(): void {
    for (const so of this.store.list(CRD_KEY)) this.syncCrd(so.obj);
    this.unsub = this.store.subscribe((ev) => this.onEvent(ev));
    // a safety net while deletions are in flight; idle clusters are not rescanned
    this.periodic = setInterval(() => {
      if (this.busy) this.kick();
    }, 1000);
    this.kick();
  }

  stop(): void {
    this.unsub?.();
    if (this.timer) clearTimeout(this.timer);
    if (this.periodic) clearInterval(this.periodic);
  }

  private onEvent(ev: StoreEvent): void {
    if (ev.res === CRD_KEY) {
      if (ev.type === 'DELETED') this.reg.removeCrd(ev.name);
      else this.syncCrd(ev.obj);
    }
    const refs = ev.obj.metadata?.ownerReferences;
    const refsChanged =
      ev.type === 'ADDED' ? !!refs?.length : ev.prev === undefined || JSON.stringify(ev.prev.metadata?.ownerReferences) !== JSON.stringify(refs);
    if (ev.type === 'DELETED' || ev.obj.metadata?.deletionTimestamp) this.kick();
    // a dependent whose owners are all there and not being deleted needs no pass (a pass scans everything: with
    // thousands of objects, a pass for every pod a controller creates was a quarter of the server's CPU)
    else if (refsChanged && !this.ownersLive(ev)) this.kick();
  }

  /** Whether every owner an object references exists with that uid and is not being deleted. */
  private ownersLive(ev: StoreEvent): boolean {
    for (const r of ev.obj.metadata?.ownerReferences ?? []) {
      const s = this.reg.findKind(r.apiVersion, r.kind);
      if (!s) return false;
      const owner = this.store.get(s.key, s.info.namespaced ? ev.ns : '', r.name)?.obj.metadata;
      if (!owner || owner.uid !== r.uid || owner.deletionTimestamp) return false;
    }
    return true;
  }

  private syncCrd(crd: KubeObject): void {
    try {
      this.reg.setCrd(crd);
    } catch (e) {
      console.error(`apiserver: cannot serve CRD ${crd.metadata?.name}: ${(e as Error).message}`);
    }
  }

  /** Schedules a pass soon (debounced). */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = true;
      try {
        this.pass();
      } catch (e) {
        console.error('apiserver: controller pass failed:', e);
      } finally {
        this.running = false;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      }
    }, 20);
  }

  private pass(): void {
    this.namespaces();
    this.crds();
    this.busy = this.gc();
  }

  private namespaces(): void {
    for (const so of this.store.list(NS_KEY)) {
      const ns = so.obj;
      if (!ns.metadata?.deletionTimestamp) continue;
      const name = ns.metadata.name!;
      let remaining = 0;
      for (const key of this.store.resources()) {
        const s = this.reg.byKey(key);
        if (!s || !s.info.namespaced) continue;
        for (const o of this.store.list(key, name)) {
          remaining++;
          if (!o.obj.metadata?.deletionTimestamp) {
            try {
              this.objects.delete(s, name, o.obj.metadata!.name!, { dryRun: false, propagationPolicy: 'Background', gracePeriodSeconds: undefined });
            } catch {
              /* gone already */
            }
          }
        }
      }
      if (remaining === 0) {
        const spec = (ns.spec as { finalizers?: string[] }) ?? {};
        if (spec.finalizers?.length) {
          const next = clone(ns);
          (next.spec as { finalizers?: string[] }).finalizers = spec.finalizers.filter((f) => f !== 'kubernetes');
          if (!(next.spec as { finalizers?: string[] }).finalizers!.length) delete (next.spec as { finalizers?: string[] }).finalizers;
          if ((next.spec as { finalizers?: string[] }).finalizers?.length) {
            this.objects.putInternal(NS_KEY, '', name, next);
            continue;
          }
          if (!(next.metadata?.finalizers ?? []).length) {
            this.store.put(NS_KEY, '', name, next);
            this.store.remove(NS_KEY, '', name);
          } else this.objects.putInternal(NS_KEY, '', name, next);
        } else if (!(ns.metadata.finalizers ?? []).length) this.store.remove(NS_KEY, '', name);
      }
    }
  }

  private crds(): void {
    for (const so of this.store.list(CRD_KEY)) {
      const crd = so.obj;
      if (!crd.metadata?.deletionTimestamp || !(crd.metadata.finalizers ?? []).includes(CRD_FINALIZER)) continue;
      const spec = crd.spec as { group: string; names: { plural: string } };
      const key = `${spec.group}/${spec.names.plural}`;
      const items = this.store.list(key);
      for (const o of items) this.store.remove(key, o.obj.metadata?.namespace ?? '', o.obj.metadata!.name!);
      this.objects.removeFinalizer(CRD_KEY, '', crd.metadata.name!, CRD_FINALIZER);
    }
  }

  /** One garbage-collection pass; returns whether anything is still being deleted. */
  private gc(): boolean {
    let deleting = false;
    // uid -> object, over everything stored
    const byUid = new Map<string, { key: string; obj: KubeObject }>();
    const dependents: { key: string; obj: KubeObject }[] = [];
    for (const key of this.store.resources()) {
      for (const so of this.store.values(key)) {
        const uid = so.obj.metadata?.uid;
        if (so.obj.metadata?.deletionTimestamp) deleting = true;
        if (uid) byUid.set(uid, { key, obj: so.obj });
        if (so.obj.metadata?.ownerReferences?.length) dependents.push({ key, obj: so.obj });
      }
    }
    for (const d of dependents) {
      const refs = d.obj.metadata!.ownerReferences!;
      const ns = d.obj.metadata?.namespace ?? '';
      const name = d.obj.metadata!.name!;
      const s = this.reg.byKey(d.key);
      if (!s) continue;
      const live = refs.filter((r) => byUid.has(r.uid));
      // owners being deleted with "orphan": drop the reference
      const orphaning = live.filter((r) => {
        const o = byUid.get(r.uid)!.obj.metadata!;
        return !!o.deletionTimestamp && (o.finalizers ?? []).includes('orphan');
      });
      if (orphaning.length) {
        const next = clone(d.obj);
        next.metadata!.ownerReferences = refs.filter((r) => !orphaning.some((o) => o.uid === r.uid));
        if (!next.metadata!.ownerReferences.length) delete next.metadata!.ownerReferences;
        this.objects.putInternal(d.key, ns, name, next);
        continue;
      }
      if (d.obj.metadata?.deletionTimestamp) continue;
      const foreground = live.some((r) => {
        const o = byUid.get(r.uid)!.obj.metadata!;
        return !!o.deletionTimestamp && (o.finalizers ?? []).includes('foregroundDeletion');
      });
      const allGone = live.length === 0;
      if (allGone || (foreground && live.every((r) => !!byUid.get(r.uid)!.obj.metadata!.deletionTimestamp))) {
        try {
          this.objects.delete(s, ns, name, { dryRun: false, propagationPolicy: foreground ? 'Foreground' : 'Background' });
        } catch {
          /* already gone */
        }
      }
    }
    // owners waiting on foreground deletion / orphaning (references as they are now, after the loop above)
    const referenced = new Set<string>();
    for (const key of this.store.resources())
      for (const so of this.store.values(key)) for (const r of so.obj.metadata?.ownerReferences ?? []) referenced.add(r.uid);
    for (const [uid, o] of byUid) {
      const m = o.obj.metadata!;
      if (!m.deletionTimestamp) continue;
      const fins = m.finalizers ?? [];
      if (fins.includes('orphan')) {
        if (!referenced.has(uid)) this.objects.removeFinalizer(o.key, m.namespace ?? '', m.name!, 'orphan');
      } else if (fins.includes('foregroundDeletion')) {
        if (!referenced.has(uid)) this.objects.removeFinalizer(o.key, m.namespace ?? '', m.name!, 'foregroundDeletion');
      }
    }
    return deleting;
  }
}
