/**
 * Issue 18 item 5: the bytes queued for one watcher are bounded. A watcher that never reads is
 * closed when its buffer is full (the others keep receiving); a client whose watch was closed
 * re-watches from the last resourceVersion it saw and misses nothing. The initial list of a watch
 * is written as the client reads it: a client that pauses in the middle of a large initial list and
 * then resumes gets all of it and the events after it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { TestCluster } from './testutil.js';

// a small per-watcher buffer so the test needs few writes (read when a watch starts)
process.env.FLOTILLA_WATCH_BUFFER_BYTES = String(512 * 1024);
const { startTestCluster, sleep } = await import('./testutil.js');

let c: TestCluster;
const BIG = 'x'.repeat(32 * 1024);
const cm = (name: string, v = BIG) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { v } });

/** A watch whose reading the test controls: events parsed as they arrive, pause()/resume(), ended. */
interface Watch {
  req: ClientRequest;
  events: any[];
  ended: boolean;
  pause(): void;
  resume(): void;
  /** resolves once `n` events arrived or the stream ended (or after `ms`) */
  until(n: number, ms: number): Promise<void>;
  close(): void;
}

function openWatch(path: string, opts: { paused?: boolean } = {}): Promise<Watch> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, c.server.url), { ca: c.server.caPem, headers: { authorization: `Bearer ${c.server.token}` } }, (res: IncomingMessage) => {
      let buf = '';
      const waiters = new Set<() => void>();
      const wake = () => {
        for (const w of waiters) w();
      };
      const w: Watch = {
        req,
        events: [],
        ended: false,
        pause() {
          res.pause();
          res.socket.pause();
        },
        resume() {
          res.socket.resume();
          res.resume();
        },
        until(n, ms) {
          return new Promise<void>((done) => {
            const check = () => {
              if (w.events.length >= n || w.ended) {
                waiters.delete(check);
                clearTimeout(t);
                done();
              }
            };
            const t = setTimeout(() => {
              waiters.delete(check);
              done();
            }, ms);
            waiters.add(check);
            check();
          });
        },
        close() {
          req.destroy();
        },
      };
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (line.trim()) w.events.push(JSON.parse(line));
        }
        wake();
      });
      const end = () => {
        w.ended = true;
        wake();
      };
      res.on('end', end);
      res.on('aborted', end);
      res.on('error', end);
      res.on('close', end);
      if (opts.paused) w.pause();
      resolve(w);
    });
    req.on('error', (e) => (e.message.includes('socket hang up') || (e as any).code === 'ECONNRESET' ? undefined : reject(e)));
    req.end();
  });
}

const names = (evs: any[]) => evs.map((e) => e.object.metadata.name);

describe('watch buffers are bounded (issue 18 item 5)', { timeout: 280_000 }, () => {
  before(async () => {
    c = await startTestCluster();
    for (const ns of ['w', 'p']) await c.req('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  });
  after(async () => {
    await c?.close();
  });

  it('a client that pauses in the middle of a 400-object initial list and resumes gets all 400 and the events after', async () => {
    const N = 400; // 400 × 32 KB = 12.8 MB: more than the 512 KB buffer plus what loopback sockets hold
    for (let i = 0; i < N; i++) assert.equal((await c.req('POST', '/api/v1/namespaces/p/configmaps', cm(`c${i}`))).status, 201);
    const w = await openWatch('/api/v1/namespaces/p/configmaps?watch=true');
    await w.until(50, 60_000);
    w.pause();
    await sleep(1500);
    // small events while the client reads nothing: queued, well under the buffer
    for (let i = 0; i < 3; i++) assert.equal((await c.req('POST', '/api/v1/namespaces/p/configmaps', cm(`during${i}`, 'small'))).status, 201);
    await sleep(1500);
    const seenAtPause = w.events.length;
    w.resume();
    await w.until(N + 3, 60_000);
    for (let i = 0; i < 3; i++) assert.equal((await c.req('POST', '/api/v1/namespaces/p/configmaps', cm(`later${i}`, 'small'))).status, 201);
    await w.until(N + 6, 60_000);
    w.close();
    assert.ok(seenAtPause < N, `the client paused inside the initial list (it had ${seenAtPause} of ${N})`);
    assert.equal(w.events.length, N + 6, `every event arrived (got ${w.events.length}, ended: ${w.ended})`);
    assert.deepEqual(new Set(names(w.events.slice(0, N))), new Set(Array.from({ length: N }, (_, i) => `c${i}`)));
    assert.ok(w.events.slice(0, N).every((e) => e.type === 'ADDED'));
    assert.deepEqual(names(w.events.slice(N)), ['during0', 'during1', 'during2', 'later0', 'later1', 'later2']);
  });

  it('drops a watcher that never reads; the others keep receiving; the dropped client resumes from its last resourceVersion', async () => {
    const rv0 = (await c.req('GET', '/api/v1/namespaces/w/configmaps')).body.metadata.resourceVersion;
    const base = `/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=${rv0}`;
    const stalled = await openWatch(base, { paused: true });
    const N = 400;
    const reading = await openWatch(base);
    // (the writer waits for the reading watcher to have each event: under a loaded machine a reader that fell 16 events
    // behind would be over the 512 KB buffer and rightly dropped too — this test is about one that keeps up)
    for (let i = 0; i < N; i++) {
      assert.equal((await c.req('POST', '/api/v1/namespaces/w/configmaps', cm(`c${i}`))).status, 201);
      await reading.until(i + 1, 30_000);
    }
    await reading.until(N, 120_000);
    reading.close();
    const got = reading.events;
    assert.equal(got.length, N, 'the reading watcher received every event');
    assert.equal(got[N - 1].object.metadata.name, `c${N - 1}`);
    await sleep(200);
    stalled.resume();
    await stalled.until(N, 30_000);
    assert.equal(stalled.ended, true, `the non-reading watcher was closed by the server (it received ${stalled.events.length} of ${N})`);
    assert.ok(stalled.events.length < N, `the stalled watcher was dropped before the end (it received ${stalled.events.length} of ${N})`);
    // a client re-watches from the last resourceVersion it saw and misses nothing
    const first = stalled.events;
    const lastRv = first.length ? first[first.length - 1].object.metadata.resourceVersion : rv0;
    const again = await openWatch(`/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=${lastRv}`);
    await again.until(N - first.length, 60_000);
    again.close();
    const rest = again.events;
    assert.deepEqual(names([...first, ...rest]), Array.from({ length: N }, (_, i) => `c${i}`));
  });

  it('a watch whose timeoutSeconds pass while its client is paused in the initial list still delivers the whole list, then ends', async () => {
    // (h18-limits ended the response at the timeout with the rest of the initial list unwritten:
    // the client saw a clean end after a part of the list)
    const w = await openWatch('/api/v1/namespaces/p/configmaps?watch=true&timeoutSeconds=2', { paused: true });
    await sleep(4000);
    w.resume();
    await w.until(10_000, 60_000);
    assert.equal(w.ended, true, 'the watch ended after its timeout');
    assert.equal(w.events.filter((e) => e.type === 'ADDED').length, 406, `the whole initial list arrived before the end (got ${w.events.length})`);
  });

  it('a watcher that goes away in the middle of its initial list stops costing anything (no writes, no listener)', async () => {
    const store = c.server.internals.store;
    const before = store.listenerCount;
    const w = await openWatch('/api/v1/namespaces/p/configmaps?watch=true');
    await w.until(20, 30_000);
    assert.equal(store.listenerCount, before + 1);
    w.close();
    await sleep(500);
    assert.equal(store.listenerCount, before, 'the watch unsubscribed when its client went away');
  });
});
