#!/usr/bin/env node
// The whole embedded cluster (issue 3's targets, measured end to end): `flotilla up` in its own
// process (API server, controllers, scheduler, node agent with per-pod network namespaces), this
// process the client.
//   a Deployment of 100 busybox `sleep` replicas: all Ready (readyReplicas = 100)    (target < 10 s)
//   pod created (ADDED on a watch) → Running, p50 over the burst and one at a time    (target < 200 ms)
//   node agent overhead: RSS of the flotilla up process per running pod               (target < 5 MB)
// BENCH_REPLICAS=N changes the size.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { apiCaller, cpuMs, rssMb, watchEvents } from './lib.mjs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'flotilla-upbench-'));
const N = Number(process.env.BENCH_REPLICAS ?? 100);

const up = spawn(process.execPath, [join(root, 'packages/cli/dist/main.js'), 'up', '--data-dir', join(dir, 'data'), '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
let upOut = '';
const upReady = new Promise((resolve, reject) => {
  const on = (d) => {
    upOut += d;
    const m = /export KUBECONFIG=(\S+)/.exec(upOut);
    const n = /network: (\w+)/.exec(upOut);
    if (m && n) resolve({ kubeconfig: m[1], network: n[1], sandbox: /sandbox: (\w+)/.exec(upOut)[1] });
  };
  up.stdout.on('data', on);
  up.stderr.on('data', on);
  up.on('exit', (c) => reject(new Error(`flotilla up exited (${c}): ${upOut}`)));
});
const { kubeconfig, network, sandbox } = await upReady;
const kc = readFileSync(kubeconfig, 'utf8');
const url = /server: (\S+)/.exec(kc)[1];
const token = /token: (\S+)/.exec(kc)[1];
const ca = Buffer.from(/certificate-authority-data: (\S+)/.exec(kc)[1], 'base64').toString();
const api = { url, token, ca };
const { call, close: closeCaller } = apiCaller(api);
const rssOf = rssMb;

const ns = 'bench';
await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
const added = new Map();
const running = new Map();
const bound = new Map();
const watchReq = watchEvents(api, `/api/v1/namespaces/${ns}/pods?watch=true`, (ev, now) => {
  const name = ev.object?.metadata?.name;
  if (!name) return;
  if (ev.type === 'ADDED' && !added.has(name)) added.set(name, now);
  if (ev.object.spec?.nodeName && !bound.has(name)) bound.set(name, now);
  if (ev.object.status?.phase === 'Running' && !running.has(name)) running.set(name, now);
});
await new Promise((r) => setTimeout(r, 500));

const deployment = (name, replicas) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: ns },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'sleep', image: 'busybox', command: ['sleep', '3600'] }] } },
  },
});
async function readyReplicas(name) {
  const r = await call('GET', `/apis/apps/v1/namespaces/${ns}/deployments/${name}`);
  return JSON.parse(r.body).status?.readyReplicas ?? 0;
}

// warm-up: one replica through the whole path
await call('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, deployment('warmup', 1));
while ((await readyReplicas('warmup')) < 1) await new Promise((r) => setTimeout(r, 50));
await new Promise((r) => setTimeout(r, 1000));
const agentPid = () => readFileSync(`/proc/${up.pid}/task/${up.pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number).find((c) => {
  try {
    return readFileSync(`/proc/${c}/cmdline`, 'utf8').includes('agent-child');
  } catch {
    return false;
  }
});
const rssAll = () => rssOf(up.pid) + (agentPid() ? rssOf(agentPid()) : 0);
const rssAgent = () => (agentPid() ? rssOf(agentPid()) : 0);
const rssBefore = rssAll();
const agentBefore = rssAgent();


const cpuTree = () => {
  // flotilla up and its node-agent process, when it runs as one
  let t = cpuMs(up.pid);
  for (const c of readFileSync(`/proc/${up.pid}/task/${up.pid}/children`, 'utf8').split(' ').filter(Boolean)) {
    try {
        if (readFileSync(`/proc/${c}/cmdline`, 'utf8').includes('agent-child')) t += cpuMs(Number(c));
    } catch {}
  }
  return t;
};
const cpu0 = cpuTree();
const t0 = performance.now();
const created = await call('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, deployment('sleepers', N));
if (created.status !== 201) throw new Error(`create: ${created.status} ${created.body}`);
const deadline = Date.now() + 120_000;
let ready = 0;
while ((ready = await readyReplicas('sleepers')) < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
const allReady = performance.now() - t0;
const cpuBurst = cpuTree() - cpu0;
const names = [...added.keys()].filter((n) => n.startsWith('sleepers-'));
const lat = names.map((n) => (running.get(n) ?? Infinity) - added.get(n)).sort((a, b) => a - b);
const pct = (q) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))];
await new Promise((r) => setTimeout(r, 1500));
const rssAfter = rssAll();
const agentAfter = rssAgent();

// one pod at a time: scale a Deployment up by one, 15 times (after the burst is gone: the node
// takes 110 pods)
await call('DELETE', `/apis/apps/v1/namespaces/${ns}/deployments/sleepers`, { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Foreground' });
const podCount = async () => JSON.parse((await call('GET', `/api/v1/namespaces/${ns}/pods`)).body).items.length;
while ((await podCount()) > 1) await new Promise((r) => setTimeout(r, 100));
await call('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, deployment('single', 0));
const seq = [];
for (let i = 1; i <= 15; i++) {
  const before = new Set(added.keys());
  await call('PATCH', `/apis/apps/v1/namespaces/${ns}/deployments/single/scale`, { spec: { replicas: i } }, 'application/merge-patch+json');
  let name;
  const t = performance.now();
  while (performance.now() - t < 15_000) {
    name = [...added.keys()].find((n) => n.startsWith('single-') && !before.has(n));
    if (name && running.has(name)) break;
    await new Promise((r) => setTimeout(r, 2));
  }
  if (name && running.has(name)) seq.push(running.get(name) - added.get(name));
  else seq.push(Infinity);
}
seq.sort((a, b) => a - b);

const ok = (v, target) => (v <= target ? 'ok' : 'MISSED');
console.log(`flotilla up (sandbox: ${sandbox}, network: ${network}); Deployment of ${N} busybox sleep replicas`);
console.log(`all ${N} replicas Ready (create → readyReplicas=${N}): ${(allReady / 1000).toFixed(2)} s   (target < 10 s) ${ok(allReady, 10_000)}${ready < N ? ` — only ${ready} ready` : ''}`);
console.log(`pod ADDED → Running, one at a time (15 scale-ups): p50 ${seq[7].toFixed(0)} ms, max ${seq[14].toFixed(0)} ms   (target p50 < 200 ms) ${ok(seq[7], 200)}`);
console.log(`CPU of flotilla up during the burst: ${(cpuBurst / 1000).toFixed(2)} s in ${(allReady / 1000).toFixed(2)} s`);
const addT = names.map((n) => added.get(n) - t0).sort((a, b) => a - b);
const bindT = names.map((n) => (bound.get(n) ?? Infinity) - t0).sort((a, b) => a - b);
console.log(`pods bound to the node between ${(bindT[0] / 1000).toFixed(2)} s and ${(bindT[bindT.length - 1] / 1000).toFixed(2)} s`);
const runT = names.map((n) => (running.get(n) ?? Infinity) - t0).sort((a, b) => a - b);
console.log(`pods created by the ReplicaSet between ${(addT[0] / 1000).toFixed(2)} s and ${(addT[addT.length - 1] / 1000).toFixed(2)} s; Running between ${(runT[0] / 1000).toFixed(2)} s and ${(runT[runT.length - 1] / 1000).toFixed(2)} s`);
console.log(`pod ADDED → Running in the burst of ${N}: p50 ${pct(0.5).toFixed(0)} ms, p90 ${pct(0.9).toFixed(0)} ms, max ${lat[lat.length - 1].toFixed(0)} ms`);
console.log(`node agent RSS: ${agentBefore.toFixed(1)} MB with 1 pod → ${agentAfter.toFixed(1)} MB with ${N + 1}: ${((agentAfter - agentBefore) / N).toFixed(2)} MB per pod   (target < 5 MB) ${ok((agentAfter - agentBefore) / N, 5)}`);
console.log(`all of flotilla up (API server, controllers, agent): ${rssBefore.toFixed(1)} MB → ${rssAfter.toFixed(1)} MB: ${((rssAfter - rssBefore) / N).toFixed(2)} MB per pod`);
console.log(`one-at-a-time samples (ms): ${seq.map((x) => x.toFixed(0)).join(' ')}`);

watchReq.destroy();
closeCaller();
up.kill('SIGTERM');
await new Promise((r) => up.on('exit', r));
rmSync(dir, { recursive: true, force: true });
