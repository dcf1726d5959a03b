#!/usr/bin/env node
// kube-runtime benchmark: the heap one informer needs to hold 10,000 objects (target < 60 MB), and
// how long a no-op reconciler driven by the runtime's workers takes for 1,000 keys (target < 1 s).
// The API server runs as a process of its own, so only the informer's memory is in this heap.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

if (typeof globalThis.gc !== 'function') {
  // heap figures need a full collection first: run again with --expose-gc
  const r = spawnSync(process.execPath, ['--expose-gc', new URL(import.meta.url).pathname], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const { KubeClient, Informer, InformerFactory, EventRecorder, R, newController } = await import('../packages/kube-runtime/dist/index.js');
const { startApiServerProcess } = await import('../packages/kube-runtime/dist/testkit.js');

const N = Number(process.env.BENCH_N ?? 10_000);
const KEYS = Number(process.env.BENCH_KEYS ?? 1_000);
const ok = (v, max) => (v < max ? 'ok' : 'OVER TARGET');
const mb = (b) => b / 1024 / 1024;
const heap = () => {
  for (let i = 0; i < 3; i++) globalThis.gc();
  return process.memoryUsage().heapUsed;
};

const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-rt-'));
const server = await startApiServerProcess(join(dir, 'data'));
const client = new KubeClient(server.kubeconfig, { qps: 0 });
try {
  // 10,000 ConfigMaps like a controller's (labels, an owner, a few data keys), 1,000 in another namespace
  let t = performance.now();
  await client.create(R.namespaces, undefined, { metadata: { name: 'bench-r' } });
  const make = (ns, i) => ({
    metadata: { name: `cm-${i}`, labels: { app: 'bench', shard: String(i % 16) } },
    data: { 'config.yaml': `replicas: ${i}\nimage: nginx:1.${i % 30}\n`, index: String(i) },
  });
  const jobs = [...Array.from({ length: N }, (_, i) => ['default', i]), ...Array.from({ length: KEYS }, (_, i) => ['bench-r', i])];
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < jobs.length) {
        const [ns, i] = jobs[next++];
        await client.create(R.configmaps, ns, make(ns, i));
      }
    }),
  );
  console.log(`created ${jobs.length} ConfigMaps in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  // one informer holding 10,000 objects
  const before = heap();
  const inf = new Informer(client, R.configmaps, { namespace: 'default' });
  t = performance.now();
  inf.start();
  await inf.synced;
  const listMs = performance.now() - t;
  const after = heap();
  const used = mb(after - before);
  console.log(`informer: ${inf.size} objects listed in ${listMs.toFixed(0)} ms; heap ${used.toFixed(1)} MB (${mb(after).toFixed(1)} MB in all)   (target < 60 MB) ${ok(used, 60)}`);
  await inf.stop();

  // 1,000 keys through a no-op reconciler (4 workers, the default), timed from the start of the workers
  const factory = new InformerFactory(client, { namespace: 'bench-r' });
  let done = 0;
  let finished;
  const all = new Promise((r) => (finished = r));
  const ctrl = newController(
    { client, informers: factory, log: () => {}, events: new EventRecorder(undefined, { component: 'bench' }) },
    {
      name: 'bench-noop',
      for: R.configmaps,
      reconcile: async () => {
        if (++done === KEYS) finished();
      },
    },
  );
  factory.start();
  await factory.waitForSync();
  t = performance.now();
  await ctrl.start();
  await all;
  const recMs = performance.now() - t;
  console.log(`reconciler: ${done} keys reconciled by a no-op reconciler in ${recMs.toFixed(1)} ms   (target < 1000 ms) ${ok(recMs, 1000)}`);
  await ctrl.stop();
  await factory.stop();
} finally {
  client.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
