/**
 * Events expire, as kube-apiserver's `--event-ttl` (default 1 h) makes them: an Event (core/v1 or
 * events.k8s.io/v1) not written for the TTL is removed from the store, and watchers see it DELETED.
 * Kubernetes does it with an etcd lease renewed on every write, so the TTL counts from the last write;
 * here the time of each Event's last write is kept in memory, and an Event stored before this process
 * started counts from the newest time it carries (lastTimestamp, eventTime, series.lastObservedTime,
 * creationTimestamp, its managedFields' times); what expired while the server was down goes at its start.
 * Without this, every workflow, pod and sync adds Events that stay forever.
 */
import type { KubeObject } from '@flotilla/apimachinery';
import type { Store, StoreEvent } from './store.js';

export const EVENT_KEYS = ['core/events', 'events.k8s.io/events'] as const;
/** kube-apiserver's default */
export const DEFAULT_EVENT_TTL_SECONDS = 3600;

const ms = (s: unknown): number => {
  const t = typeof s === 'string' ? Date.parse(s) : NaN;
  return Number.isNaN(t) ? 0 : t;
};

/** The newest time an Event carries: its last write as far as it says (its managers' write times included). */
export function eventTime(o: KubeObject): number {
  const e = o as Record<string, any>;
  let t = Math.max(ms(e.lastTimestamp), ms(e.eventTime), ms(e.series?.lastObservedTime), ms(e.deprecatedLastTimestamp), ms(e.firstTimestamp), ms(o.metadata?.creationTimestamp));
  for (const f of (o.metadata?.managedFields ?? []) as { time?: string }[]) t = Math.max(t, ms(f.time));
  return t;
}

export class EventTtl {
  /** "<key>\0<namespace>\0<name>" → time of the last write */
  private readonly written = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private unsub?: () => void;

  constructor(
    private readonly store: Store,
    readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    if (this.ttlMs <= 0) return;
    for (const key of EVENT_KEYS) for (const so of this.store.list(key)) this.written.set(idOf(key, so.obj.metadata?.namespace ?? '', so.obj.metadata?.name ?? ''), eventTime(so.obj) || this.now());
    this.unsub = this.store.subscribe((ev) => this.onEvent(ev));
    // what expired while the server was down goes now
    this.sweep();
    // swept at a quarter of the TTL (once a minute at most): an Event lives between TTL and 1.25 × TTL, at most
    // a minute over it
    const every = Math.max(1000, Math.min(60_000, Math.floor(this.ttlMs / 4)));
    this.timer = setInterval(() => this.sweep(), every);
    this.timer.unref();
  }

  stop(): void {
    this.unsub?.();
    if (this.timer) clearInterval(this.timer);
  }

  private onEvent(ev: StoreEvent): void {
    if (ev.res !== EVENT_KEYS[0] && ev.res !== EVENT_KEYS[1]) return;
    const k = idOf(ev.res, ev.ns, ev.name);
    if (ev.type === 'DELETED') this.written.delete(k);
    else this.written.set(k, this.now());
  }

  /** Removes the Events not written for the TTL; returns how many. */
  sweep(): number {
    const before = this.now() - this.ttlMs;
    let n = 0;
    for (const [k, t] of [...this.written]) {
      if (t > before) continue;
      const [key, ns, name] = k.split('\0') as [string, string, string];
      this.written.delete(k);
      if (this.store.remove(key, ns, name)) n++;
    }
    return n;
  }
}

function idOf(key: string, ns: string, name: string): string {
  return `${key}\0${ns}\0${name}`;
}
