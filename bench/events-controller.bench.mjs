#!/usr/bin/env node
// Argo Events controller-manager benchmark, against a real API server (in-process): N EventSources
// and N Sensors on a native EventBus exist before the controller starts; measures the cold start
// until every one is Deployed (Deployments created, status written), then the time for a change of
// the bus (every Deployment rolls) to reach all of them. BENCH_EVENTS_N (default 200) scales it.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeClient } from '../packages/kube-runtime/dist/index.js';
import { startTestCluster } from '../packages/kube-runtime/dist/testkit.js';
import { startManager } from '../packages/events/dist/manager.js';
import { RES } from '../packages/events/dist/controllers.js';
import { cpuMs, rssMb } from './lib.mjs';

const N = Number(process.env.BENCH_EVENTS_N ?? 200);
const NS = 'bench';
const root = fileURLToPath(new URL('..', import.meta.url));
const c = await startTestCluster({ prefix: 'flotilla-bench-events-' });
const client = new KubeClient(c.kubeconfig, { fieldManager: 'bench', qps: 2000, burst: 4000 });
try {
  await c.k(['create', 'namespace', NS]);
  await c.k(['create', 'namespace', 'argo-events']);
  await c.k(['apply', '-n', 'argo-events', '-f', join(root, 'manifests', 'argo-events', 'install.yaml')]);
  await c.k(['wait', '--for=condition=Established', 'crd/eventbus.argoproj.io', 'crd/eventsources.argoproj.io', 'crd/sensors.argoproj.io']);
  await client.create(RES.eventbus, NS, { metadata: { name: 'default', namespace: NS }, spec: { nats: { native: { auth: 'token' } } } });
  const pad = (i) => String(i).padStart(4, '0');
  for (let i = 0; i < N; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, N - i) }, (_, k) => [
        client.create(RES.eventsources, NS, { metadata: { name: `es-${pad(i + k)}`, namespace: NS }, spec: { service: { ports: [{ port: 12000 }] }, webhook: { e: { port: '12000', endpoint: '/e', method: 'POST' } } } }),
        client.create(RES.sensors, NS, { metadata: { name: `sn-${pad(i + k)}`, namespace: NS }, spec: { dependencies: [{ name: 'd', eventSourceName: `es-${pad(i + k)}`, eventName: 'e' }], triggers: [{ template: { name: 't', log: {} } }] } }),
      ]).flat(),
    );
  }
  const cpu0 = cpuMs(process.pid);
  const t0 = performance.now();
  const mgr = await startManager({ client: new KubeClient(c.kubeconfig, { fieldManager: 'argo-events-controller', qps: 2000, burst: 4000 }), image: 'flotilla/flotilla:bench', log: (m) => process.env.BENCH_LOG && console.error(((performance.now() - t0) / 1000).toFixed(2), m), workers: 16 });
  const deployed = async (pred) => {
    for (;;) {
      const [es, sn] = await Promise.all([client.list(RES.eventsources, NS), client.list(RES.sensors, NS)]);
      const ok = [...es.items, ...sn.items].filter(pred).length;
      if (ok === 2 * N) return performance.now();
      if (performance.now() - t0 > 600_000) throw new Error(`only ${ok}/${2 * N} deployed after 600 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const isDeployed = (o) => o.status?.conditions?.some((x) => x.type === 'Deployed' && x.status === 'True');
  const cold = (await deployed(isDeployed)) - t0;
  if (process.env.BENCH_LOG) {
    const [es, sn, eb] = await Promise.all([client.list(RES.eventsources, NS), client.list(RES.sensors, NS), client.get(RES.eventbus, NS, 'default')]);
    const ts = (o) => o.status.conditions.find((x) => x.type === 'Deployed').lastTransitionTime;
    const all = [...es.items, ...sn.items].map(ts).sort();
    console.error('bus deployed', ts(eb), 'objects first/median/last', all[0], all[all.length >> 1], all.at(-1), 'started', new Date(Date.now() - (performance.now() - t0)).toISOString());
    const ev = await c.k(['get', 'events', '-n', NS, '--no-headers']);
    console.error('events by reason', JSON.stringify(ev.split('\n').reduce((m, l) => { const r = l.split(/\s+/)[2]; if (r) m[r] = (m[r] ?? 0) + 1; return m; }, {})));
  }
  const cpuCold = cpuMs(process.pid) - cpu0;
  // then one EventSource edited: latency until its Deployment carries the new spec
  const t1 = performance.now();
  await client.patch(RES.eventsources, NS, 'es-0000', { spec: { webhook: { e: { port: '12000', endpoint: '/changed', method: 'POST' } } } });
  const DEP = { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true };
  for (;;) {
    const d = await client.get(DEP, NS, 'es-0000-eventsource');
    const env = d.spec.template.spec.containers[0].env.find((e) => e.name === 'EVENTSOURCE_OBJECT');
    if (Buffer.from(env.value, 'base64').toString().includes('/changed')) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const edit = performance.now() - t1;
  console.log(`events controller-manager, ${N} EventSources + ${N} Sensors (in-process API server):`);
  console.log(`  cold start → all ${2 * N} Deployed: ${(cold / 1000).toFixed(2)} s (${((2 * N) / (cold / 1000)).toFixed(0)} objects/s), CPU ${(cpuCold / 1000).toFixed(2)} s and RSS ${rssMb(process.pid).toFixed(0)} MB (controller and API server in one process)`);
  console.log(`  one EventSource edited → its Deployment updated: ${edit.toFixed(0)} ms`);
  await mgr.stop();
} finally {
  client.close();
  await c.close();
}
