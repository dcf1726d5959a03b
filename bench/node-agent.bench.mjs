#!/usr/bin/env node
// Node agent benchmark (issue 3 targets):
//   100 busybox `sleep` pods created at once: all Ready            (target < 10 s)
//   created → Running latency per pod (POST answered → phase Running seen on a watch), p50  (target < 200 ms)
//   agent RSS overhead per running pod                              (target < 5 MB)
// The API server and the node agent run as their own processes; this process is the client.
// BENCH_PODS=N changes the burst size, BENCH_SANDBOX=none measures plain processes, BENCH_NETWORK=host
// pods in the host network namespace.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { apiCaller, cpuMs, rssMb, watchEvents } from './lib.mjs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'flotilla-nabench-'));
const N = Number(process.env.BENCH_PODS ?? 100);
const NODE = 'bench-node';
const marker = `nabench-${process.pid}`;

function child(code, nodeArgs = []) {
  const p = spawn(process.execPath, [...nodeArgs, '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  return p;
}
function waitLine(p, re) {
  return new Promise((resolve, reject) => {
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
      const m = re.exec(out);
      if (m) resolve(m);
    });
    p.on('exit', (c) => reject(new Error(`child exited with ${c}: ${out}`)));
  });
}

const server = child(`
  import { startApiServer } from ${JSON.stringify(join(root, 'packages/apiserver/dist/index.js'))};
  const s = await startApiServer({ dataDir: ${JSON.stringify(join(dir, 'api'))}, port: 0 });
  s.writeKubeconfig(${JSON.stringify(join(dir, 'kubeconfig'))});
  console.log('URL ' + s.url);
  process.on('SIGTERM', async () => { await s.close(); process.exit(0); });
`);
const url = (await waitLine(server, /URL (\S+)\n/))[1];
const kc = readFileSync(join(dir, 'kubeconfig'), 'utf8');
const token = /token: (\S+)/.exec(kc)[1];
const ca = Buffer.from(/certificate-authority-data: (\S+)/.exec(kc)[1], 'base64').toString();

const agentProc = child(`
  import { startNodeAgent } from ${JSON.stringify(join(root, 'packages/node-agent/dist/index.js'))};
  const a = await startNodeAgent({ kubeconfig: ${JSON.stringify(join(dir, 'kubeconfig'))}, dataDir: ${JSON.stringify(join(dir, 'node'))}, nodeName: ${JSON.stringify(NODE)}, sandbox: ${JSON.stringify(process.env.BENCH_SANDBOX ?? 'auto')}, network: ${JSON.stringify(process.env.BENCH_NETWORK ?? 'auto')}, log: (m) => process.stderr.write('[agent] ' + m + '\\n') });
  console.log('READY ' + a.sandbox + '/' + a.network);
  process.on('SIGTERM', async () => { await a.stop(); process.exit(0); });
`, (process.env.BENCH_AGENT_NODE_ARGS ?? '').split(' ').filter(Boolean));
const sandbox = (await waitLine(agentProc, /READY (\S+)\n/))[1];
const rssOf = rssMb;
const api = { url, token, ca };
const { call, close: closeCaller } = apiCaller(api);

// warm-up: one pod through the whole path, then let the agent settle
const ns = 'bench';
await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
const pod = (name) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns },
  spec: { nodeName: NODE, terminationGracePeriodSeconds: 1, containers: [{ name: 'sleep', image: 'busybox', command: ['sh', '-c', `exec sleep 3600 # ${marker}`] }] },
});
const running = new Map();
const ready = new Map();
const watchReq = watchEvents(api, `/api/v1/namespaces/${ns}/pods?watch=true&resourceVersion=0`, (ev, now) => {
  const p = ev.object;
  const name = p.metadata?.name;
  if (!name) return;
  if (p.status?.phase === 'Running' && !running.has(name)) running.set(name, now);
  if ((p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True') && !ready.has(name)) ready.set(name, now);
});
await new Promise((r) => setTimeout(r, 300));
await call('POST', `/api/v1/namespaces/${ns}/pods`, pod('warmup'));
while (!ready.has('warmup')) await new Promise((r) => setTimeout(r, 20));
await new Promise((r) => setTimeout(r, 1000));
const rssBefore = rssOf(agentProc.pid);


const cpu0 = { agent: cpuMs(agentProc.pid), server: cpuMs(server.pid) };
const created = new Map();
const t0 = performance.now();
await Promise.all(
  Array.from({ length: N }, async (_, i) => {
    const name = `p${i}`;
    const r = await call('POST', `/api/v1/namespaces/${ns}/pods`, pod(name));
    if (r.status !== 201) throw new Error(`create ${name}: ${r.status} ${r.body}`);
    created.set(name, performance.now());
  }),
);
const deadline = Date.now() + 60_000;
while ([...created.keys()].some((n) => !ready.has(n)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
const allReady = Math.max(...[...created.keys()].map((n) => ready.get(n) ?? Infinity)) - t0;
const cpu1 = { agent: cpuMs(agentProc.pid), server: cpuMs(server.pid) };
const lat = [...created.keys()].map((n) => (running.get(n) ?? Infinity) - created.get(n)).sort((a, b) => a - b);
const pct = (q) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))];
await new Promise((r) => setTimeout(r, 1500));
const rssAfter = rssOf(agentProc.pid);
// container processes: `sleep` whose parent (bwrap, or the shim without a sandbox) carries the marker
const procs = () => readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
  try {
    if (readFileSync(`/proc/${p}/comm`, 'utf8').trim() !== 'sleep') return false;
    const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
    const ppid = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
    return readFileSync(`/proc/${ppid}/cmdline`, 'utf8').includes(marker);
  } catch {
    return false;
  }
}).length;
const sleeping = procs();

// one pod at a time: created → Running without a queue in front
const seqLat = [];
for (let i = 0; i < 20; i++) {
  const name = `s${i}`;
  const t = performance.now();
  const r = await call('POST', `/api/v1/namespaces/${ns}/pods`, pod(name));
  if (r.status !== 201) throw new Error(`create ${name}: ${r.status}`);
  const c = performance.now();
  created.set(name, c);
  while (!running.has(name) && performance.now() - t < 10_000) await new Promise((r) => setTimeout(r, 2));
  seqLat.push(running.get(name) - c);
}
seqLat.sort((a, b) => a - b);

// deletion: all pods, until no container process is left
const td = performance.now();
const total = created.size + 1;
await Promise.all([...created.keys(), 'warmup'].map((n) => call('DELETE', `/api/v1/namespaces/${ns}/pods/${n}`)));
while (procs() > 0 && performance.now() - td < 60_000) await new Promise((r) => setTimeout(r, 50));
const gone = performance.now() - td;
let left = total;
while (left > 0 && performance.now() - td < 60_000) {
  const l = JSON.parse((await call('GET', `/api/v1/namespaces/${ns}/pods`)).body);
  left = l.items.length;
  if (left) await new Promise((r) => setTimeout(r, 50));
}
const deleted = performance.now() - td;

const ok = (v, target) => (v <= target ? 'ok' : 'MISSED');
console.log(`sandbox/network: ${sandbox}, ${N} pods (busybox sleep), ${sandbox.startsWith('bwrap') ? '2 processes per pod besides the container (sh shim, bwrap)' : '1 process per pod besides the container (sh shim)'}`);
console.log(`all ${N} pods Ready:            ${(allReady / 1000).toFixed(2)} s   (target < 10 s) ${ok(allReady, 10_000)}`);
console.log(`created → Running, one at a time (20 pods): p50 ${seqLat[10].toFixed(0)} ms, max ${seqLat[19].toFixed(0)} ms   (target p50 < 200 ms) ${ok(seqLat[10], 200)}`);
console.log(`created → Running in the burst of ${N}: p50 ${pct(0.5).toFixed(0)} ms, p90 ${pct(0.9).toFixed(0)} ms, p99 ${pct(0.99).toFixed(0)} ms`);
console.log(`CPU during the burst: agent ${(cpu1.agent - cpu0.agent).toFixed(0)} ms, API server ${(cpu1.server - cpu0.server).toFixed(0)} ms`);
console.log(`agent RSS: ${rssBefore.toFixed(1)} MB idle → ${rssAfter.toFixed(1)} MB with ${N + 1} pods: ${((rssAfter - rssBefore) / N).toFixed(2)} MB per pod   (target < 5 MB) ${ok((rssAfter - rssBefore) / N, 5)}`);
console.log(`container processes running:    ${sleeping} of ${N + 1}`);
console.log(`delete all: processes gone in ${(gone / 1000).toFixed(2)} s, pods gone from the API in ${(deleted / 1000).toFixed(2)} s (grace period 1 s${sandbox.startsWith('bwrap') ? '; sleep as PID 1 ignores SIGTERM' : ''})`);

watchReq.destroy();
closeCaller();
agentProc.kill('SIGTERM');
await new Promise((r) => agentProc.on('exit', r));
server.kill('SIGTERM');
await new Promise((r) => server.on('exit', r));
rmSync(dir, { recursive: true, force: true });
