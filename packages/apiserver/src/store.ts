/**
 * Durable object storage: SQLite in WAL mode (an acknowledged write survives kill -9), one global
 * monotonic resourceVersion, an in-memory index of every object for fast reads, and an event log
 * (kept in SQLite too) so watches can resume from a resourceVersion even after a restart.
 */
import { parseJson, stringify } from './json-int.js';
import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { KubeObject } from '@flotilla/apimachinery';
import type { RowTransformer } from './encryption.js';

export interface StoredObject {
  rv: number;
  json: string;
  obj: KubeObject;
}

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: EventType;
  res: string;
  ns: string;
  name: string;
  rv: number;
  json: string;
  obj: KubeObject;
  /** the object before this change (MODIFIED/DELETED), when known; unknown for history reloaded at start */
  prev?: KubeObject;
}

export type Listener = (ev: StoreEvent) => void;

/** The WAL size beyond which the writer checkpoints and resets it (and cuts the file back to). */
export const WAL_LIMIT_BYTES = 64 * 1024 * 1024;

const key = (ns: string, name: string) => `${ns}/${name}`;

export class Store {
  private db: Database.Database;
  private data = new Map<string, Map<string, StoredObject>>();
  private ring: StoreEvent[] = [];
  private ringStart = 0; // index into ring of the oldest live event
  private listeners = new Set<Listener>();
  private stmtUpsert: Database.Statement;
  private stmtDelete: Database.Statement;
  private stmtEvent: Database.Statement;
  private stmtCompact: Database.Statement;
  private txPut!: (res: string, ns: string, name: string, rv: number, json: string, type: EventType) => void;
  private txRemove!: (res: string, ns: string, name: string, rv: number, json: string) => void;
  private writesSinceCompact = 0;
  private writesSinceCheckpoint = 0;
  private checkpointer?: Worker;
  private checkpointing = false;
  private checkpointTimer?: NodeJS.Timeout;
  /** writes since the WAL was last truncated (idle truncation is due when > 0) */
  private writesSinceTruncate = 0;
  /** The newest resourceVersion handed out. */
  rv = 0;
  /** Events newer than this are available for watch replay. */
  oldestEventRv = 0;

  constructor(
    file: string,
    private readonly opts: { eventWindow?: number; walLimitBytes?: number; transform?: RowTransformer } = {},
  ) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // a commit is written to the WAL before the write is acknowledged; NORMAL leaves the fsync to
    // checkpoints, which keeps every acknowledged write through a kill -9 of the process
    this.db.pragma('synchronous = NORMAL');
    // The WAL stays bounded (issue 18): a WAL that is reset after a checkpoint is cut back to this
    // size, a WAL left by a crash is checkpointed and truncated now (SQLite has recovered it on
    // open), and an idle store truncates it (see startCheckpointer).
    const limit = this.opts.walLimitBytes ?? WAL_LIMIT_BYTES;
    const pageSize = Number(this.db.pragma('page_size', { simple: true })) || 4096;
    this.db.pragma(`journal_size_limit = ${limit}`);
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    // Checkpoints (WAL -> database file, with an fsync) run on a worker thread's own connection,
    // so they never stall the event loop that serves requests and watches; under a sustained
    // write load they never find the WAL quiet enough to reset it, so this connection checkpoints
    // itself too once the WAL holds `limit` bytes (SQLite's autocheckpoint, a PASSIVE checkpoint
    // after a commit: the WAL is then reset and cut back by the next write).
    if (process.env.FLOTILLA_INLINE_CHECKPOINT) this.db.pragma('wal_autocheckpoint = 1000');
    else {
      this.db.pragma(`wal_autocheckpoint = ${Math.max(100, Math.floor(limit / pageSize))}`);
      this.startCheckpointer(file);
    }
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS objects (res TEXT NOT NULL, ns TEXT NOT NULL, name TEXT NOT NULL, rv INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (res, ns, name));
      CREATE TABLE IF NOT EXISTS events (rv INTEGER PRIMARY KEY, type TEXT NOT NULL, res TEXT NOT NULL, ns TEXT NOT NULL, name TEXT NOT NULL, data TEXT NOT NULL);
    `);
    this.stmtUpsert = this.db.prepare(
      'INSERT INTO objects(res, ns, name, rv, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT(res, ns, name) DO UPDATE SET rv = excluded.rv, data = excluded.data',
    );
    this.stmtDelete = this.db.prepare('DELETE FROM objects WHERE res = ? AND ns = ? AND name = ?');
    this.stmtEvent = this.db.prepare('INSERT INTO events(rv, type, res, ns, name, data) VALUES (?, ?, ?, ?, ?, ?)');
    this.stmtCompact = this.db.prepare('DELETE FROM events WHERE rv <= ?');
    // transactions compiled once: object row + event row commit together
    this.txPut = this.db.transaction((res: string, ns: string, name: string, rv: number, json: string, type: EventType) => {
      const data = this.opts.transform ? this.opts.transform.encode(res, json) : json;
      this.stmtUpsert.run(res, ns, name, rv, data);
      this.stmtEvent.run(rv, type, res, ns, name, data);
    });
    this.txRemove = this.db.transaction((res: string, ns: string, name: string, rv: number, json: string) => {
      this.stmtDelete.run(res, ns, name);
      this.stmtEvent.run(rv, 'DELETED', res, ns, name, this.opts.transform ? this.opts.transform.encode(res, json) : json);
    });
    this.load();
  }

  private get window(): number {
    return this.opts.eventWindow ?? 20000;
  }

  private load(): void {
    let max = 0;
    for (const row of this.db.prepare('SELECT res, ns, name, rv, data FROM objects').iterate() as IterableIterator<{
      res: string;
      ns: string;
      name: string;
      rv: number;
      data: string;
    }>) {
      const json = this.opts.transform ? this.opts.transform.decode(row.res, row.data) : row.data;
      this.bucket(row.res).set(key(row.ns, row.name), { rv: row.rv, json, obj: parseJson(json) });
      if (row.rv > max) max = row.rv;
    }
    const evMax = (this.db.prepare('SELECT MAX(rv) AS m FROM events').get() as { m: number | null }).m ?? 0;
    this.rv = Math.max(max, evMax);
    const rows = this.db
      .prepare('SELECT rv, type, res, ns, name, data FROM events WHERE rv > ? ORDER BY rv')
      .all(this.rv - this.window) as { rv: number; type: EventType; res: string; ns: string; name: string; data: string }[];
    for (const r of rows) {
      const json = this.opts.transform ? this.opts.transform.decode(r.res, r.data) : r.data;
      this.ring.push({ rv: r.rv, type: r.type, res: r.res, ns: r.ns, name: r.name, json, obj: parseJson(json) });
    }
    this.oldestEventRv = rows.length ? rows[0].rv : this.rv + 1;
  }

  private bucket(res: string): Map<string, StoredObject> {
    let b = this.data.get(res);
    if (!b) {
      b = new Map();
      this.data.set(res, b);
    }
    return b;
  }

  get(res: string, ns: string, name: string): StoredObject | undefined {
    return this.data.get(res)?.get(key(ns, name));
  }

  /** Objects of a resource, optionally in one namespace, sorted by namespace then name. */
  list(res: string, ns?: string): StoredObject[] {
    const b = this.data.get(res);
    if (!b) return [];
    const keys = [...b.keys()].sort();
    const out: StoredObject[] = [];
    const prefix = ns !== undefined ? `${ns}/` : undefined;
    for (const k of keys) if (!prefix || k.startsWith(prefix)) out.push(b.get(k)!);
    return out;
  }

  /** Objects of a resource in no particular order, without a copy (do not write the store while iterating). */
  values(res: string): Iterable<StoredObject> {
    return this.data.get(res)?.values() ?? [];
  }

  count(res: string): number {
    return this.data.get(res)?.size ?? 0;
  }

  resources(): string[] {
    return [...this.data.keys()];
  }

  /** Writes (creates or replaces) an object; assigns it the next resourceVersion. */
  put(res: string, ns: string, name: string, obj: KubeObject, maxBytes?: number): StoredObject {
    const prev = this.data.get(res)?.get(key(ns, name))?.obj;
    const existed = prev !== undefined;
    const rv = this.rv + 1;
    obj.metadata = obj.metadata ?? {};
    obj.metadata.resourceVersion = String(rv);
    const json = stringify(obj);
    if (maxBytes !== undefined && json.length > maxBytes) {
      if (prev) obj.metadata.resourceVersion = prev.metadata?.resourceVersion;
      else delete obj.metadata.resourceVersion;
      throw new RangeError(`object is too large: ${json.length} bytes exceeds the ${maxBytes}-byte limit`);
    }
    const type: EventType = existed ? 'MODIFIED' : 'ADDED';
    this.txPut(res, ns, name, rv, json, type);
    this.afterWrite();
    this.rv = rv;
    const so = { rv, json, obj };
    this.bucket(res).set(key(ns, name), so);
    this.emit({ type, res, ns, name, rv, json, obj, prev });
    return so;
  }

  /** Removes an object; the DELETED event carries its last state with a new resourceVersion. */
  remove(res: string, ns: string, name: string): StoredObject | undefined {
    const cur = this.get(res, ns, name);
    if (!cur) return undefined;
    const rv = this.rv + 1;
    const obj = cur.obj;
    obj.metadata = obj.metadata ?? {};
    obj.metadata.resourceVersion = String(rv);
    const json = stringify(obj);
    this.txRemove(res, ns, name, rv, json);
    this.afterWrite();
    this.rv = rv;
    this.data.get(res)!.delete(key(ns, name));
    const so = { rv, json, obj };
    this.emit({ type: 'DELETED', res, ns, name, rv, json, obj });
    return so;
  }

  private startCheckpointer(file: string): void {
    const mod = createRequire(import.meta.url).resolve('better-sqlite3');
    this.checkpointer = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const Database = require(workerData.mod);
       const db = new Database(workerData.file);
       db.pragma('busy_timeout = 10000');
       parentPort.on('message', (m) => {
         if (m === 'close') { db.close(); parentPort.postMessage('closed'); return; }
         try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (e) {}
         parentPort.postMessage('done');
       });`,
      { eval: true, workerData: { file, mod } },
    );
    this.checkpointer.unref();
    this.checkpointer.on('message', (m) => {
      if (m === 'done') this.checkpointing = false;
    });
    this.checkpointer.on('error', () => {
      this.checkpointer = undefined;
    });
    this.checkpointTimer = setInterval(() => {
      if (this.writesSinceCheckpoint > 0) this.checkpoint();
      else if (this.writesSinceTruncate > 0 && !this.checkpointing) this.truncateIdleWal();
    }, 2000);
    this.checkpointTimer.unref();
  }

  /**
   * No write since the last (background) checkpoint, which has copied the whole WAL: truncating
   * it here is cheap (nothing left to copy) and leaves a WAL of 0 bytes while the store is idle.
   */
  private truncateIdleWal(): void {
    try {
      const r = this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      if (!r[0]?.busy) this.writesSinceTruncate = 0;
    } catch {
      /* retried at the next tick */
    }
  }

  /** Size of the write-ahead log in bytes (0 when truncated or absent), for tests and benchmarks. */
  walBytes(): number {
    try {
      return statSync(`${this.db.name}-wal`).size;
    } catch {
      return 0;
    }
  }

  private checkpoint(): void {
    if (!this.checkpointer) {
      this.db.pragma('wal_checkpoint(PASSIVE)');
      this.writesSinceCheckpoint = 0;
      return;
    }
    if (this.checkpointing) return;
    this.checkpointing = true;
    this.writesSinceCheckpoint = 0;
    this.checkpointer.postMessage('checkpoint');
  }

  private afterWrite(): void {
    this.writesSinceTruncate++;
    if (++this.writesSinceCheckpoint >= 2000 && this.checkpointer) this.checkpoint();
    if (++this.writesSinceCompact >= 1000) {
      this.writesSinceCompact = 0;
      this.stmtCompact.run(this.rv + 1 - this.window);
    }
  }

  private emit(ev: StoreEvent): void {
    this.ring.push(ev);
    if (this.ring.length - this.ringStart > this.window) {
      this.ringStart++;
      if (this.ringStart > 4096) {
        this.ring = this.ring.slice(this.ringStart);
        this.ringStart = 0;
      }
    }
    this.oldestEventRv = this.ring[this.ringStart]?.rv ?? ev.rv;
    for (const l of this.listeners) {
      try {
        l(ev);
      } catch {
        /* a listener's failure never breaks a write */
      }
    }
  }

  /**
   * Events with rv > since, or 'gone' when some of them have been compacted away.
   */
  eventsSince(since: number): StoreEvent[] | 'gone' {
    if (since >= this.rv) return [];
    if (since + 1 < this.oldestEventRv) return 'gone';
    // binary search the ring
    let lo = this.ringStart;
    let hi = this.ring.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ring[mid].rv <= since) lo = mid + 1;
      else hi = mid;
    }
    return this.ring.slice(lo);
  }

  /** Subscribers (open watches and the server's own), for tests and metrics. */
  get listenerCount(): number {
    return this.listeners.size;
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    if (this.checkpointTimer) clearInterval(this.checkpointTimer);
    const w = this.checkpointer;
    this.checkpointer = undefined;
    if (w) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 5000);
        w.on('message', (m) => {
          if (m === 'closed') {
            clearTimeout(t);
            resolve();
          }
        });
        w.postMessage('close');
      });
      await w.terminate();
    }
    this.db.close();
  }
}
