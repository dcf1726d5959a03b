// The write-ahead log under a long write burst (issue 18 item 7): the store takes BENCH_WAL_WRITES
// writes of 2 KB ConfigMaps (the event loop turning between batches of 50, as a server's does) and
// the WAL size is sampled throughout; then the store idles until the WAL is truncated.
// Prints the largest WAL seen (target: within a few times the 64 MiB limit), writes/s, and how
// long the idle truncation took.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const { Store, WAL_LIMIT_BYTES } = await import(join(root, 'packages/apiserver/dist/store.js'));
const N = Number(process.env.BENCH_WAL_WRITES ?? 60000);
const MiB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-wal-'));
const store = new Store(join(dir, 'state.db'));
try {
  const payload = 'x'.repeat(2048);
  let max = 0;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const name = `c${i % 5000}`;
    store.put('core/configmaps', 'default', name, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', uid: `u${i}` }, data: { v: payload + i } });
    if (i % 50 === 49) {
      max = Math.max(max, store.walBytes());
      await new Promise((r) => setImmediate(r));
    }
  }
  const secs = (performance.now() - t0) / 1000;
  max = Math.max(max, store.walBytes());
  const t1 = performance.now();
  while (store.walBytes() > 0 && performance.now() - t1 < 30_000) await new Promise((r) => setTimeout(r, 100));
  const idle = store.walBytes();
  const results = {
    walWrites: N,
    walWritesPerSecond: Math.round(N / secs),
    walMaxMiB: Number((max / MiB).toFixed(1)),
    walLimitMiB: WAL_LIMIT_BYTES / MiB,
    walIdleBytes: idle,
    walIdleTruncateSeconds: Number(((performance.now() - t1) / 1000).toFixed(1)),
  };
  console.log(
    `wal: ${N} writes of 2 KB at ${results.walWritesPerSecond}/s; largest WAL ${results.walMaxMiB} MiB (limit ${results.walLimitMiB} MiB); ` +
      `idle: ${idle} bytes after ${results.walIdleTruncateSeconds} s`,
  );
  console.log(`RESULT ${JSON.stringify(results)}`);
  if (max > 4 * WAL_LIMIT_BYTES || idle !== 0) process.exitCode = 1;
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
