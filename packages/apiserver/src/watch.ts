/**
 * Watch streams: the initial ADDED events (or the events since a resourceVersion), then the
 * store's events for one resource, filtered by the caller's selectors, as JSON lines.
 */
import { stringify } from './json-int.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '@flotilla/apimachinery';
import { ApiError, badRequest } from './errors.js';
import type { Objects } from './objects.js';
import { apiVersionOf, type Served } from './registry.js';
import type { Store, StoreEvent } from './store.js';

const lineCache = new WeakMap<object, Record<string, string>>();

/** Under load a watcher's events are coalesced into one write per this many ms (fewer TLS records). */
const WATCH_FLUSH_MS = Number(process.env.FLOTILLA_WATCH_FLUSH_MS ?? 16);

/**
 * Bytes of events that may wait for one watcher (queued here plus what its response has not yet
 * handed to the kernel): a watcher whose buffer is full is closed, as Kubernetes closes a watcher
 * whose channel is full; the client re-watches from the last resourceVersion it saw. Read when a
 * watch starts (`FLOTILLA_WATCH_BUFFER_BYTES`, default 8 MiB).
 */
export function watchBufferBytes(): number {
  const v = Number(process.env.FLOTILLA_WATCH_BUFFER_BYTES);
  return Number.isFinite(v) && v > 0 ? v : 8 * 1024 * 1024;
}

/** Events are handed to the response while it holds less than this (the rest waits for 'drain'). */
const HIGH_WATER = 64 * 1024;

/** A watch that is over (closed for a full buffer, timed out, server stopping) is cut off if its client has not taken the rest within this. */
const END_GRACE_MS = 10_000;

/** One queued event: a line made already (live events, shared by every watcher), or a stored object whose line is made when written (initial list, replayed events). */
type Item = string | { type: string; so: { json: string; obj: KubeObject } };

/** What the caller's selectors decide about an object, and its Table row (as=Table). */
export interface WatchView {
  matches(obj: KubeObject): boolean;
  row(obj: KubeObject): Record<string, unknown>;
}

export class Watches {
  private watchers = new Map<ServerResponse, () => void>();

  constructor(
    private readonly store: Store,
    private readonly objects: Objects,
  ) {}

  /** Serves one watch of `s` (in namespace `nsFilter`, or all); errors before the stream starts throw. */
  serve(s: Served, nsFilter: string | undefined, q: URLSearchParams, accept: string, req: IncomingMessage, res: ServerResponse, view: WatchView): void {
    const asTable = accept.includes('as=Table');
    const bookmarks = q.get('allowWatchBookmarks') === 'true';
    const rvParam = q.get('resourceVersion') ?? '';
    const sendInitial = q.get('sendInitialEvents') === 'true';
    const timeout = Number(q.get('timeoutSeconds') ?? 0);
    const limit = watchBufferBytes();
    if (rvParam !== '' && rvParam !== '0' && !/^\d+$/.test(rvParam))
      throw badRequest(`resourceVersion: Invalid value: "${rvParam}": must be a non-negative integer`);
    const inScope = (ev: { res: string; ns: string }) => ev.res === s.key && (nsFilter === undefined || ev.ns === nsFilter);
    const since = rvParam === '' || rvParam === '0' || sendInitial ? undefined : Number(rvParam);
    const replay = since === undefined ? undefined : this.store.eventsSince(since);
    res.writeHead(200, {
      'Content-Type': asTable ? 'application/json;as=Table;v=v1;g=meta.k8s.io' : 'application/json',
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    res.flushHeaders();
    if (replay === 'gone') {
      res.end(
        JSON.stringify({
          type: 'ERROR',
          object: new ApiError(410, 'Expired', `too old resource version: ${since} (${this.store.oldestEventRv - 1})`).toStatus(),
        }) + '\n',
      );
      return;
    }

    // One FIFO per watcher. The initial list (or the replayed events) is queued as references to
    // the stored objects, which the store holds anyway: their lines are made as the client reads
    // them, so a large initial list costs a reference per object, not a copy. Live events are
    // lines shared by every watcher of that version; their bytes count against the buffer.
    const queue: Item[] = [];
    let head = 0;
    let queuedBytes = 0;
    let over = false; // no more events are taken: closed, timed out, or the client went away
    let ending = false; // end the response once the queue is written
    let gone = false; // the response is finished or destroyed
    let waitingDrain = false;
    let waiter: object | undefined;
    let pumpScheduled = false;
    let lastPump = 0;

    const line = (it: Item): string => {
      if (typeof it === 'string') return it;
      const { type, so } = it;
      if (asTable) {
        const p = s.printer();
        const objJson = stringify({
          kind: 'Table',
          apiVersion: 'meta.k8s.io/v1',
          metadata: { resourceVersion: so.obj.metadata?.resourceVersion },
          columnDefinitions: type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED' ? [] : p.columns,
          rows: [view.row(so.obj)],
        });
        return `{"type":"${type}","object":${objJson}}\n`;
      }
      // the same event line is shared by every watcher of this version (no per-watcher garbage)
      let lines = lineCache.get(so);
      if (!lines) lineCache.set(so, (lines = {}));
      const ck = `${type}:${s.info.version}`;
      return (lines[ck] ??= `{"type":"${type}","object":${this.objects.presentJson(s, so)}}\n`);
    };

    /** Writes queued events while the response holds less than HIGH_WATER; then waits for it to drain. */
    const pump = () => {
      pumpScheduled = false;
      lastPump = performance.now();
      if (gone || waitingDrain) return;
      while (head < queue.length && res.writableLength < HIGH_WATER) {
        let chunk = '';
        while (head < queue.length && chunk.length < HIGH_WATER) {
          const it = queue[head];
          queue[head++] = ''; // written: let it go
          const l = line(it);
          if (typeof it === 'string') queuedBytes -= it.length;
          chunk += l;
        }
        res.write(chunk);
      }
      if (head === queue.length) {
        queue.length = 0;
        head = 0;
        if (ending) finish();
        return;
      }
      if (head > 4096) {
        queue.splice(0, head);
        head = 0;
      }
      // the rest goes when the response has taken what it holds: one waiter at a time, woken by
      // the response's or the socket's 'drain', or by a poll in case neither comes
      const token = {};
      waiter = token;
      waitingDrain = true;
      const wake = () => {
        res.off('drain', wake);
        res.socket?.off('drain', wake);
        clearTimeout(poll);
        if (waiter !== token) return; // an earlier waiter, already woken
        waiter = undefined;
        waitingDrain = false;
        pump();
      };
      res.on('drain', wake);
      res.socket?.on('drain', wake);
      const poll = setTimeout(wake, 100);
    };
    const schedule = () => {
      if (pumpScheduled || waitingDrain || gone) return;
      pumpScheduled = true;
      // leading edge right away; under load at most one write per WATCH_FLUSH_MS per watcher
      const wait = lastPump + WATCH_FLUSH_MS - performance.now();
      if (wait <= 0) setImmediate(pump);
      else setTimeout(pump, wait);
    };
    const push = (l: string) => {
      if (over) return;
      queuedBytes += l.length;
      if (queuedBytes + res.writableLength > limit) return overflow();
      queue.push(l);
      schedule();
    };
    const enqueue = (type: string, so: { json: string; obj: KubeObject }) => queue.push({ type, so });

    const onEvent = (ev: StoreEvent, into: (type: string, so: StoreEvent) => void) => {
      if (!inScope(ev)) return;
      const m = view.matches(ev.obj);
      if (ev.type === 'ADDED') {
        if (m) into('ADDED', ev);
        return;
      }
      if (ev.type === 'DELETED') {
        if (m || (ev.prev && view.matches(ev.prev))) into('DELETED', ev);
        return;
      }
      // MODIFIED: an object entering the selection is ADDED, one leaving it DELETED
      const pm = ev.prev ? view.matches(ev.prev) : m;
      if (m && pm) into('MODIFIED', ev);
      else if (m) into('ADDED', ev);
      else if (pm) into('DELETED', ev);
    };
    const live = (ev: StoreEvent) => onEvent(ev, (type, so) => push(line({ type, so })));

    if (replay === undefined) {
      for (const so of this.store.list(s.key, nsFilter)) if (view.matches(so.obj)) enqueue('ADDED', so);
      if (sendInitial) {
        const bm = JSON.stringify({
          type: 'BOOKMARK',
          object: { kind: s.info.kind, apiVersion: apiVersionOf(s.info.group, s.info.version), metadata: { resourceVersion: String(this.store.rv), annotations: { 'k8s.io/initial-events-end': 'true' } } },
        });
        queue.push(bm + '\n');
        queuedBytes += bm.length + 1;
      }
    } else for (const ev of replay) onEvent(ev, enqueue);
    const unsub = this.store.subscribe(live);

    let bm: NodeJS.Timeout | undefined;
    let to: NodeJS.Timeout | undefined;
    let grace: NodeJS.Timeout | undefined;
    /** Takes no more events; what is queued is still written, then the response ends (or is cut off after END_GRACE_MS). */
    const stop = () => {
      if (over) return;
      over = true;
      unsub();
      if (bm) clearInterval(bm);
      if (to) clearTimeout(to);
      this.watchers.delete(res);
      ending = true;
      grace = setTimeout(() => res.destroy(), END_GRACE_MS);
      grace.unref();
      if (head === queue.length && !waitingDrain) finish();
      else schedule();
    };
    const finish = () => {
      if (gone) return;
      res.end();
    };
    /** Full buffer: what waits for this watcher is dropped and its stream ends; the client re-watches from its last resourceVersion. */
    const overflow = () => {
      queue.length = 0;
      head = 0;
      queuedBytes = 0;
      stop();
    };
    const cleanup = () => {
      gone = true;
      over = true;
      unsub();
      if (bm) clearInterval(bm);
      if (to) clearTimeout(to);
      if (grace) clearTimeout(grace);
      this.watchers.delete(res);
      queue.length = 0;
      head = 0;
    };
    res.on('close', cleanup);
    res.on('finish', () => (gone = true));
    req.on('close', () => {
      if (req.destroyed && !res.writableFinished) cleanup();
    });
    this.watchers.set(res, stop);
    if (bookmarks) {
      bm = setInterval(() => {
        push(
          JSON.stringify({
            type: 'BOOKMARK',
            object: { kind: s.info.kind, apiVersion: apiVersionOf(s.info.group, s.info.version), metadata: { resourceVersion: String(this.store.rv) } },
          }) + '\n',
        );
      }, 5000);
    }
    if (timeout > 0) to = setTimeout(stop, timeout * 1000);
    pump();
  }

  /** Ends every open watch (used at shutdown). */
  closeAll(): void {
    for (const stop of [...this.watchers.values()]) stop();
    this.watchers.clear();
  }
}
