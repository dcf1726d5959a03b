/**
 * Watch streams: the initial ADDED events (or the events since a resourceVersion), then the
 * store's events for one resource, filtered by the caller's selectors, as JSON lines.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '@flotilla/apimachinery';
import { ApiError, badRequest } from './errors.js';
import type { Objects } from './objects.js';
import { apiVersionOf, type Served } from './registry.js';
import type { Store, StoreEvent } from './store.js';

const lineCache = new WeakMap<object, Record<string, string>>();

/** Under load a watcher's events are coalesced into one write per this many ms (fewer TLS records). */
const WATCH_FLUSH_MS = Number(process.env.FLOTILLA_WATCH_FLUSH_MS ?? 16);

/** What the caller's selectors decide about an object, and its Table row (as=Table). */
export interface WatchView {
  matches(obj: KubeObject): boolean;
  row(obj: KubeObject): Record<string, unknown>;
}

export class Watches {
  private watchers = new Set<ServerResponse>();

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
    let since: number;
    if (rvParam !== '' && rvParam !== '0' && !/^\d+$/.test(rvParam))
      throw badRequest(`resourceVersion: Invalid value: "${rvParam}": must be a non-negative integer`);
    const inScope = (ev: { res: string; ns: string }) => ev.res === s.key && (nsFilter === undefined || ev.ns === nsFilter);
    res.writeHead(200, {
      'Content-Type': asTable ? 'application/json;as=Table;v=v1;g=meta.k8s.io' : 'application/json',
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    res.flushHeaders();
    // events are coalesced per event-loop turn: one TLS record for many events under load
    let pending: string[] = [];
    let flushScheduled = false;
    let lastFlush = 0;
    const flush = () => {
      flushScheduled = false;
      lastFlush = performance.now();
      if (pending.length === 0 || res.writableEnded) return;
      const chunk = pending.length === 1 ? pending[0] : pending.join('');
      pending = [];
      res.write(chunk);
    };
    const push = (line: string) => {
      pending.push(line);
      if (flushScheduled) return;
      flushScheduled = true;
      // leading edge right away; under load at most one write per WATCH_FLUSH_MS per watcher
      const wait = lastFlush + WATCH_FLUSH_MS - performance.now();
      if (wait <= 0) setImmediate(flush);
      else setTimeout(flush, wait);
    };
    const write = (type: string, so: { json: string; obj: KubeObject }) => {
      let objJson: string;
      if (asTable) {
        const p = s.printer();
        objJson = JSON.stringify({
          kind: 'Table',
          apiVersion: 'meta.k8s.io/v1',
          metadata: { resourceVersion: so.obj.metadata?.resourceVersion },
          columnDefinitions: type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED' ? [] : p.columns,
          rows: [view.row(so.obj)],
        });
        push(`{"type":"${type}","object":${objJson}}\n`);
        return;
      }
      // the same event line is shared by every watcher of this version (no per-watcher garbage)
      let lines = lineCache.get(so);
      if (!lines) lineCache.set(so, (lines = {}));
      const ck = `${type}:${s.info.version}`;
      push((lines[ck] ??= `{"type":"${type}","object":${this.objects.presentJson(s, so)}}\n`));
    };
    const onEvent = (ev: StoreEvent) => {
      if (!inScope(ev)) return;
      const m = view.matches(ev.obj);
      if (ev.type === 'ADDED') {
        if (m) write('ADDED', ev);
        return;
      }
      if (ev.type === 'DELETED') {
        if (m || (ev.prev && view.matches(ev.prev))) write('DELETED', ev);
        return;
      }
      // MODIFIED: an object entering the selection is ADDED, one leaving it DELETED
      const pm = ev.prev ? view.matches(ev.prev) : m;
      if (m && pm) write('MODIFIED', ev);
      else if (m) write('ADDED', ev);
      else if (pm) write('DELETED', ev);
    };
    if (rvParam === '' || rvParam === '0' || sendInitial) {
      for (const so of this.store.list(s.key, nsFilter)) {
        if (!view.matches(so.obj)) continue;
        write('ADDED', so);
      }
      since = this.store.rv;
      if (sendInitial) {
        push(
          JSON.stringify({
            type: 'BOOKMARK',
            object: { kind: s.info.kind, apiVersion: apiVersionOf(s.info.group, s.info.version), metadata: { resourceVersion: String(since), annotations: { 'k8s.io/initial-events-end': 'true' } } },
          }) + '\n',
        );
      }
    } else {
      since = Number(rvParam);
      const evs = this.store.eventsSince(since);
      if (evs === 'gone') {
        res.end(
          JSON.stringify({
            type: 'ERROR',
            object: new ApiError(410, 'Expired', `too old resource version: ${since} (${this.store.oldestEventRv - 1})`).toStatus(),
          }) + '\n',
        );
        return;
      }
      for (const ev of evs) onEvent(ev);
    }
    const unsub = this.store.subscribe(onEvent);
    this.watchers.add(res);
    let bm: NodeJS.Timeout | undefined;
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
    let to: NodeJS.Timeout | undefined;
    const done = () => {
      unsub();
      if (bm) clearInterval(bm);
      if (to) clearTimeout(to);
      this.watchers.delete(res);
    };
    if (timeout > 0)
      to = setTimeout(() => {
        flush();
        res.end();
      }, timeout * 1000);
    res.on('close', done);
    req.on('close', done);
  }

  /** Ends every open watch (used at shutdown). */
  closeAll(): void {
    for (const w of this.watchers) w.end();
    this.watchers.clear();
  }
}
