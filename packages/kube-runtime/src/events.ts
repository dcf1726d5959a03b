/**
 * An event recorder (core/v1 Events) with Kubernetes' correlation: a repeat of the same event
 * (same object, reason, message, type, source) within 10 minutes bumps `count` and `lastTimestamp`
 * of the existing Event instead of creating another, and more than 10 different messages for the
 * same object and reason within the window are combined into one Event whose message starts with
 * "(combined from similar events): ". Events are posted in the background (a few at a time, after
 * status writes), best effort: a failure is logged, never thrown. What is correlated is kept in LRU
 * caches of CORRELATION_CACHE entries (O(1) per event, however many objects a process reports on).
 *
 * Repeats are written with their latest count, not one write per repeat: a repeat's patch waits up to
 * REPEAT_WRITE_MS, and the repeats of the same Event meanwhile (or before its create was sent) go in that
 * one write. A 200-task DAG's ~290 count patches become a few per second (client-go's events library
 * writes a series' count every 30 minutes). `flush()` writes what waits.
 */
import type { Level as LogLevel } from './log.js';
import type { KubeObject } from '@flotilla/apimachinery';
import type { KubeClient } from './client.js';
import { R } from './resources.js';

const MAX_QUEUE = 2000;
const WINDOW_MS = 10 * 60_000;
const SIMILAR_MAX = 10;
/** how long a repeat's count patch waits for more repeats of the same Event (ms) */
export const REPEAT_WRITE_MS = 1000;
/** events correlated at most (client-go's correlator keeps an LRU cache of 4096): the least recently seen go first */
export const CORRELATION_CACHE = 4096;

export interface EventOpts {
  /** the involved object's kind / apiVersion when the object does not carry them */
  kind?: string;
  apiVersion?: string;
  /** e.g. `spec.containers{app}` */
  fieldPath?: string;
  /** the Event's own annotations (Argo's `workflows.argoproj.io/node-name`, `…/node-type`) */
  annotations?: Record<string, string>;
}

export interface RecorderOptions {
  /** source.component / reportingComponent (e.g. "deployment-controller", "kubelet") */
  component: string;
  /** source.host (a node name) */
  host?: string;
  log?: (m: string, level?: LogLevel) => void;
  clock?: { now(): Date };
}

interface Seen {
  name: string;
  ns: string;
  count: number;
  at: number;
}

interface Pending {
  ns: string;
  create?: Record<string, unknown>;
  patch?: { name: string; body: Record<string, unknown> };
}

type Repeat = { count: number; lastTimestamp: string; message: string };

/** Shared by the recorders of one process (`as` copies share state). */
class Sink {
  readonly seen = new Map<string, Seen>();
  readonly similar = new Map<string, { messages: Set<string>; at: number }>();
  readonly queue: Pending[] = [];
  /** creates queued and not yet sent, by Event name: a repeat meanwhile goes into the create */
  readonly unsent = new Map<string, Pending>();
  /** repeats waiting to be written (by Event name), sent together by `repeatTimer` */
  readonly repeats = new Map<string, { ns: string; body: Repeat }>();
  repeatTimer?: NodeJS.Timeout;
  active = 0;
  stopped = false;
  timer?: NodeJS.Timeout;
  waiters: (() => void)[] = [];
  seq = 0;
  constructor(
    readonly client: KubeClient | undefined,
    readonly log: (m: string, level?: LogLevel) => void,
  ) {}

  push(p: Pending): void {
    if (this.stopped || this.queue.length >= MAX_QUEUE) return;
    if (p.create) this.unsent.set((p.create.metadata as { name: string }).name, p);
    this.queue.push(p);
    // events yield to status writes: sent a moment later, a few at a time
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, 20);
  }

  /** A repeat of Event `name`: into its create when that is not sent yet, else written with the next repeats. */
  repeat(ns: string, name: string, body: Repeat): void {
    if (this.stopped) return;
    const create = this.unsent.get(name)?.create;
    if (create) {
      Object.assign(create, body);
      return;
    }
    this.repeats.set(name, { ns, body });
    this.repeatTimer ??= setTimeout(() => this.writeRepeats(), REPEAT_WRITE_MS);
  }

  writeRepeats(): void {
    if (this.repeatTimer) clearTimeout(this.repeatTimer);
    this.repeatTimer = undefined;
    for (const [name, r] of this.repeats) this.push({ ns: r.ns, patch: { name, body: r.body } });
    this.repeats.clear();
  }

  pump(): void {
    while (this.active < 4 && this.queue.length) {
      const p = this.queue.shift()!;
      if (p.create) this.unsent.delete((p.create.metadata as { name: string }).name);
      this.active++;
      void this.send(p).finally(() => {
        this.active--;
        if (!this.active && !this.queue.length) for (const w of this.waiters.splice(0)) w();
        this.pump();
      });
    }
  }

  async send(p: Pending): Promise<void> {
    const c = this.client!;
    try {
      if (p.patch) await c.patch(R.events, p.ns, p.patch.name, p.patch.body, 'merge', undefined, { discard: true });
      else await c.create(R.events, p.ns, p.create as KubeObject, {}, { discard: true });
    } catch (e) {
      if (!this.stopped) this.log(`event in ${p.ns}: ${(e as Error).message}`, 'warn');
    }
  }

  /** An LRU lookup: a hit becomes the most recently used entry. */
  static touch<V>(m: Map<string, V>, key: string): V | undefined {
    const v = m.get(key);
    if (v !== undefined) {
      m.delete(key);
      m.set(key, v);
    }
    return v;
  }

  /** An LRU insert: the least recently used entry goes when the cache is full. */
  static put<V>(m: Map<string, V>, key: string, v: V): void {
    m.delete(key);
    m.set(key, v);
    if (m.size > CORRELATION_CACHE) m.delete(m.keys().next().value as string);
  }
}

const ts = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export class EventRecorder {
  private readonly sink: Sink;

  /** `client` undefined: a recorder that records nothing (events turned off). */
  constructor(
    client: KubeClient | undefined,
    private readonly opts: RecorderOptions,
    sink?: Sink,
  ) {
    this.sink = sink ?? new Sink(client, opts.log ?? (() => {}));
  }

  /** The same recorder reporting as another component. */
  as(component: string): EventRecorder {
    return new EventRecorder(this.sink.client, { ...this.opts, component }, this.sink);
  }

  event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, o: EventOpts = {}): void {
    const s = this.sink;
    if (!s.client || s.stopped) return;
    const m = obj.metadata ?? {};
    const ns = m.namespace || 'default';
    const nowMs = Date.now();
    const now = ts(this.opts.clock?.now() ?? new Date());
    const src = `${this.opts.component}|${this.opts.host ?? ''}`;
    const obj0 = `${m.uid ?? `${ns}/${m.name}`}|${o.fieldPath ?? ''}`;
    // similar events: many messages for one object and reason are combined into one Event
    const simKey = `${src}|${obj0}|${type}|${reason}`;
    let sim = Sink.touch(s.similar, simKey);
    if (!sim || nowMs - sim.at > WINDOW_MS) Sink.put(s.similar, simKey, (sim = { messages: new Set(), at: nowMs }));
    sim.messages.add(message);
    const combined = sim.messages.size > SIMILAR_MAX;
    const msg = combined ? `(combined from similar events): ${message}` : message;
    const key = combined ? `${simKey}|*` : `${simKey}|${message}`;
    const prev = Sink.touch(s.seen, key);
    if (prev && nowMs - prev.at < WINDOW_MS) {
      prev.count++;
      prev.at = nowMs;
      s.repeat(prev.ns, prev.name, { count: prev.count, lastTimestamp: now, message: msg });
      return;
    }
    const name = `${m.name}.${(nowMs * 1000 + (s.seq++ % 1000)).toString(16)}`;
    Sink.put(s.seen, key, { name, ns, count: 1, at: nowMs });
    s.push({
      ns,
      create: {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace: ns, ...(o.annotations ? { annotations: o.annotations } : {}) },
        involvedObject: {
          kind: o.kind ?? obj.kind,
          apiVersion: o.apiVersion ?? obj.apiVersion,
          namespace: m.namespace,
          name: m.name,
          uid: m.uid,
          resourceVersion: m.resourceVersion,
          ...(o.fieldPath ? { fieldPath: o.fieldPath } : {}),
        },
        reason,
        message: msg,
        type,
        source: { component: this.opts.component, ...(this.opts.host ? { host: this.opts.host } : {}) },
        reportingComponent: this.opts.component,
        reportingInstance: this.opts.host ?? this.opts.component,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    });
  }

  /** kubelet-style shorthand: `fieldPath` e.g. `spec.containers{app}`. */
  emit(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string): void {
    this.event(obj, type, reason, message, { fieldPath });
  }

  /** How many events and similar-event groups are being correlated (bounded by CORRELATION_CACHE each). */
  correlating(): { events: number; similar: number } {
    return { events: this.sink.seen.size, similar: this.sink.similar.size };
  }

  /** Resolves when every queued event has been sent (tests, shutdown). */
  flush(): Promise<void> {
    const s = this.sink;
    if (s.repeats.size) s.writeRepeats();
    if (!s.active && !s.queue.length) return Promise.resolve();
    if (s.timer) {
      clearTimeout(s.timer);
      s.timer = undefined;
      s.pump();
    }
    return new Promise((r) => s.waiters.push(r));
  }

  /** Drops what is queued and records nothing more. */
  stop(): void {
    const s = this.sink;
    s.stopped = true;
    if (s.timer) clearTimeout(s.timer);
    if (s.repeatTimer) clearTimeout(s.repeatTimer);
    s.queue.length = 0;
    s.unsent.clear();
    s.repeats.clear();
    for (const w of s.waiters.splice(0)) w();
  }
}
