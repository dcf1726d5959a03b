#!/usr/bin/env node
// Slow watchers (issue 18 item 5): 20 watch clients that never read while 20,000 ConfigMaps of
// 2 KB are written; one more watcher reads everything. Target: the server's RSS stays < 400 MB
// (before the per-watcher buffer limit it grew 450 MB → 1.5 GB), the reading watcher gets every
// event, and the non-reading ones are closed by the server.
// FLOTILLA_WATCH_BUFFER_BYTES=1000000000000 (passed to the server) shows the unbounded behaviour for comparison.
// The server runs as its own process (`flotilla up`), the clients here.
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leanHttpsConnection, rssMb, startFlotillaUp } from './lib.mjs';

const W = Number(process.env.BENCH_SLOW_WATCHERS ?? 20);
const N = Number(process.env.BENCH_WATCH_WRITES ?? 20000);
const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-watchers-'));
const { proc, url, token, ca } = await startFlotillaUp(dir);

/** A watch whose client reads nothing until resume(); counts events and whether the server ended it. */
function watch(path, { paused }) {
  return new Promise((resolve, reject) => {
    const st = { events: 0, ended: false, req: undefined, res: undefined };
    st.req = request(new URL(path, url), { ca, headers: { authorization: `Bearer ${token}` } }, (res) => {
      st.res = res;
      if (paused) {
        res.pause();
        res.socket.pause();
      }
      res.setEncoding('utf8');
      res.on('data', (d) => {
        for (let i = d.indexOf('\n'); i >= 0; i = d.indexOf('\n', i + 1)) st.events++;
      });
      const end = () => (st.ended = true);
      res.on('end', end).on('aborted', end).on('close', end).on('error', end);
      resolve(st);
    });
    st.req.on('error', (e) => (st.res ? (st.ended = true) : reject(e)));
    st.req.end();
  });
}

try {
  const admin = await leanHttpsConnection({ url, token, ca });
  await admin.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'slow' } });
  const rv = JSON.parse((await admin.call('GET', '/api/v1/namespaces/slow/configmaps')).text).metadata.resourceVersion;
  const path = `/api/v1/namespaces/slow/configmaps?watch=true&resourceVersion=${rv}`;
  const slow = await Promise.all(Array.from({ length: W }, () => watch(path, { paused: true })));
  const reader = await watch(path, { paused: false });
  await new Promise((r) => setTimeout(r, 500));
  const rss0 = rssMb(proc.pid);
  let peak = rss0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(proc.pid))), 100);

  const payload = 'x'.repeat(2048);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      const conn = await leanHttpsConnection({ url, token, ca });
      while (next < N) {
        const i = next++;
        const r = await conn.call('POST', '/api/v1/namespaces/slow/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `c${i}` }, data: { v: payload } });
        if (r.status !== 201) throw new Error(`create ${i}: ${r.status} ${r.text}`);
      }
      conn.close();
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  const deadline = Date.now() + 30_000;
  while (reader.events < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  clearInterval(sampler);
  peak = Math.max(peak, rssMb(proc.pid));
  // let the slow clients read what reached them: a closed watch shows its end
  for (const s of slow) {
    s.res.socket.resume();
    s.res.resume();
  }
  await new Promise((r) => setTimeout(r, 3000));
  const closed = slow.filter((s) => s.ended).length;
  const slowEvents = slow.map((s) => s.events);
  for (const s of [...slow, reader]) s.req.destroy();
  admin.close();
  const results = {
    slowWatchers: W,
    writes: N,
    writesPerSecond: Math.round(N / secs),
    rssBeforeMb: Math.round(rss0),
    rssPeakMb: Math.round(peak),
    readerEvents: reader.events,
    slowWatchersClosed: closed,
    slowWatcherEventsMax: Math.max(...slowEvents),
  };
  console.log(
    `slow watchers: ${W} non-reading watches during ${N} writes of 2 KB (${results.writesPerSecond}/s): server RSS ${results.rssBeforeMb} MB before, peak ${results.rssPeakMb} MB (target < 400 MB); ` +
      `the reading watcher got ${reader.events} events for ${N} writes (and the namespace's kube-root-ca.crt); ${closed}/${W} non-reading watchers were closed by the server (each had received at most ${results.slowWatcherEventsMax} events)`,
  );
  console.log(`RESULT ${JSON.stringify(results)}`);
} finally {
  proc.kill('SIGTERM');
  await new Promise((r) => proc.on('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
