#!/usr/bin/env node
// events-runtime benchmark (both services as processes, a real nats-server, an API server process):
//  1. webhook → eventsource-service → core NATS → sensor-service → k8s trigger (create a ConfigMap) at
//     50 events/s for 10 s: latency from the POST to the ConfigMap appearing in a watch
//     (targets p50 < 100 ms, p99 < 500 ms);
//  2. 10,000 events through a JetStream bus (published as fast as the publisher's acks allow) → sensor
//     http trigger (atLeastOnce): every event triggers exactly once (count), events/s.
// Skipped with the reason when nats-server is absent. BENCH_RATE, BENCH_SECONDS, BENCH_N override.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

if (spawnSync('sh', ['-c', 'command -v nats-server']).status !== 0) {
  console.log('skipped: nats-server is not installed');
  process.exit(0);
}
const T = await import('../packages/events-runtime/dist/testutil.js');
const { connectBus } = await import('../packages/events-runtime/dist/bus/index.js');
const { KubeClient, R } = await import('../packages/kube-runtime/dist/index.js');
const { startApiServerProcess } = await import('../packages/kube-runtime/dist/testkit.js');

const RATE = Number(process.env.BENCH_RATE ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const N = Number(process.env.BENCH_N ?? 10_000);
const pct = (xs, p) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];
const ok = (v, max) => (v < max ? 'ok' : 'OVER TARGET');
const { loadavg, cpus } = await import('node:os');
console.log(`load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores (figures are only meaningful on a quiet machine)`);
const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-events-'));
const stops = [];
try {
  // ---------------------------------------------------------------- 1. webhook → k8s trigger latency
  const api = await startApiServerProcess(join(dir, 'data'));
  stops.push(() => api.stop());
  const kube = new KubeClient(api.kubeconfig, { qps: 0 });
  await kube.create(R.namespaces, undefined, { metadata: { name: 'bench' } });
  const nats = await T.startNatsServer({ token: 'tok' });
  stops.push(() => nats.stop());
  const secrets = T.writeSecrets({ bus: { token: 'tok' } });
  const port = await T.freePort();
  const common = { KUBECONFIG: api.kubeconfig, EVENTBUS_CONFIG: T.b64({ nats: { url: nats.url, auth: 'token', accessSecret: { name: 'bus', key: 'token' } } }), EVENT_BUS_SUBJECT: 'eventbus-bench', EVENTS_BUS_AUTH_DIR: secrets, METRICS_PORT: '0', LOG_LEVEL: 'warn', SENSOR_EVENTS: 'false' };
  const es = T.startService('eventsource-service', { ...common, EVENTSOURCE_NAMESPACE: 'bench', EVENTSOURCE_OBJECT: T.b64({ metadata: { name: 'wh', namespace: 'bench' }, spec: { webhook: { ex: { port: String(port), endpoint: '/ex', method: 'POST' } } } }) });
  stops.push(() => es.stop());
  const sensor = T.startService('sensor-service', {
    ...common,
    SENSOR_NAMESPACE: 'bench',
    SENSOR_OBJECT: T.b64({ metadata: { name: 'wh', namespace: 'bench' }, spec: { dependencies: [{ name: 'd', eventSourceName: 'wh', eventName: 'ex' }], triggers: [{ template: { name: 'cm', k8s: { operation: 'create', source: { resource: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: {} } }, parameters: [{ src: { dependencyName: 'd', dataKey: 'body.name' }, dest: 'metadata.name' }, { src: { dependencyName: 'd', dataKey: 'body.i' }, dest: 'data.i' }] } } }] } }),
  });
  stops.push(() => sensor.stop());
  await T.waitPort(port, 30_000);
  await T.sleep(1000); // the sensor's subscription
  const seen = new Map();
  const ac = new AbortController();
  void kube.watch('/api/v1/namespaces/bench/configmaps', { watch: 'true' }, (ev) => {
    if (ev.type === 'ADDED' && ev.object?.metadata?.name?.startsWith('ev-')) seen.set(ev.object.metadata.name, performance.now());
  }, ac.signal).catch(() => {});
  await T.sleep(300);
  // warm-up: discovery, connections, JIT
  for (let i = 0; i < 5; i++) {
    await fetch(`http://127.0.0.1:${port}/ex`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: `warm-${i}`, i }) });
    await T.until('the warm-up ConfigMap', async () => kube.get(R.configmaps, 'bench', `warm-${i}`).then(() => true, () => false), 30_000);
  }
  const sent = new Map();
  const total = RATE * SECONDS;
  const t0 = performance.now();
  const posts = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await T.sleep(wait);
    const name = `ev-${i}`;
    sent.set(name, performance.now());
    posts.push(fetch(`http://127.0.0.1:${port}/ex`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, i }) }).then((r) => r.status));
  }
  const statuses = await Promise.all(posts);
  await T.until('every ConfigMap', () => seen.size >= total, 60_000).catch(() => {});
  ac.abort();
  const lat = [...sent].filter(([n]) => seen.has(n)).map(([n, t]) => seen.get(n) - t);
  const p50 = pct(lat, 50);
  const p99 = pct(lat, 99);
  console.log(`webhook → sensor → k8s create at ${RATE}/s for ${SECONDS} s: ${lat.length}/${total} ConfigMaps (${statuses.filter((s) => s !== 200).length} non-200 answers)`);
  console.log(`  latency p50 ${p50.toFixed(1)} ms (target < 100: ${ok(p50, 100)}), p99 ${p99.toFixed(1)} ms (target < 500: ${ok(p99, 500)}), max ${Math.max(...lat).toFixed(1)} ms`);
  for (const s of stops.splice(0).reverse()) await s();
  kube.close();

  // --------------------------------------------------------------- 2. 10,000 events through JetStream
  const js = await T.startNatsServer({ jetstream: true, user: 'u', pass: 'p', storeDir: join(dir, 'js') });
  stops.push(() => js.stop());
  const rcv = await T.startReceiver();
  stops.push(() => rcv.close());
  const jsSecrets = T.writeSecrets({ js: { 'client-auth': 'username: u\npassword: p\n' } });
  const cfg = { jetstream: { url: js.url, accessSecret: { name: 'js', key: 'client-auth' }, streamConfig: 'maxMsgs: 100000\nmaxAge: 1h\nreplicas: 1\nduplicates: 300s\n' } };
  const s2 = T.startService('sensor-service', {
    EVENTBUS_CONFIG: T.b64(cfg), EVENTS_BUS_AUTH_DIR: jsSecrets, METRICS_PORT: '0', LOG_LEVEL: 'warn', SENSOR_EVENTS: 'false',
    SENSOR_OBJECT: T.b64({ metadata: { name: 'bulk', namespace: 'bench' }, spec: { dependencies: [{ name: 'd', eventSourceName: 'src', eventName: 'bulk' }], triggers: [{ atLeastOnce: true, template: { name: 'count', http: { url: `http://127.0.0.1:${rcv.port}/n`, payload: [{ src: { dependencyName: 'd', contextKey: 'id' }, dest: 'id' }] } } }] } }),
  });
  stops.push(() => s2.stop());
  const bus = await connectBus({ config: cfg, subject: 'x', log: () => {}, name: 'bench-publisher', env: { EVENTS_BUS_AUTH_DIR: jsSecrets }, maxAttempts: 10 });
  stops.push(() => bus.close());
  await T.until('the sensor consumer', async () => {
    const { connect } = await import('nats');
    const nc = await connect({ servers: js.url, user: 'u', pass: 'p' });
    try {
      const jsm = await nc.jetstreamManager();
      return await jsm.consumers.info('default', 'bulk-d').then(() => true, () => false);
    } finally {
      await nc.close();
    }
  }, 30_000);
  const t1 = performance.now();
  const ids = [];
  for (let i = 0; i < N; i += 200) {
    const batch = [];
    for (let j = i; j < Math.min(N, i + 200); j++) {
      const id = randomUUID();
      ids.push(id);
      batch.push(bus.publish({ specversion: '1.0', id, source: 'src', type: 'webhook', subject: 'bulk', time: new Date().toISOString(), datacontenttype: 'application/json', data: { j } }));
    }
    await Promise.all(batch);
  }
  const pubMs = performance.now() - t1;
  await T.until('every trigger', () => rcv.got.length >= N, 300_000).catch(() => {});
  const allMs = performance.now() - t1;
  await T.sleep(1000);
  const counts = new Map();
  for (const g of rcv.got) counts.set(g.body.id, (counts.get(g.body.id) ?? 0) + 1);
  const missing = ids.filter((id) => !counts.has(id)).length;
  const dups = [...counts.values()].filter((c) => c > 1).length;
  console.log(`JetStream: ${N} events published in ${(pubMs / 1000).toFixed(1)} s (${Math.round(N / (pubMs / 1000))}/s); all triggered in ${(allMs / 1000).toFixed(1)} s → ${Math.round(N / (allMs / 1000))} events/s end to end`);
  console.log(`  exactly once: ${missing} missing, ${dups} triggered more than once (${missing === 0 && dups === 0 ? 'ok' : 'NOT EXACTLY ONCE'})`);
} finally {
  for (const s of stops.reverse()) await s().catch?.(() => {});
  rmSync(dir, { recursive: true, force: true });
}
