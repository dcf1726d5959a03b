#!/usr/bin/env node
// API server benchmark (issue 2 targets):
//   creates/s of small ConfigMaps over HTTPS with 8 concurrent clients  (target >= 2000/s)
//   list of 10,000 objects in one namespace                               (target < 300 ms)
//   server RSS with 10,000 objects                                        (target < 300 MB)
//   100 watchers, 500 writes/s: every event delivered, p99 latency        (target < 50 ms)
//   creates/s by a ServiceAccount through the RBAC authorizer (issue 8: within 10 % of the admin figure)
// The server runs as its own process (`flotilla up`), the clients here.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leanHttpsConnection, startFlotillaUp } from './lib.mjs';

const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-'));
const N = Number(process.env.BENCH_OBJECTS ?? 10000);

const { proc, url, token, ca } = await startFlotillaUp(dir, (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean));
if (process.env.BENCH_SHOW_SERVER) proc.stdout.on('data', (d) => process.stderr.write(d));
const serverCpuMs = () => {
  const f = readFileSync(`/proc/${proc.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime+stime in clock ticks (100/s)
};
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'))[1]) / 1024;

function call(agent, method, path, body) {
  return new Promise((resolve, reject) => {
    const r = request(new URL(path, url), { method, agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
    });
    r.on('error', reject);
    r.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
const leanConnection = (bearer = token) => leanHttpsConnection({ url, token: bearer, ca });

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

const results = {};
try {
  await call(new Agent({ ca }), 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });

  // 1. creates/s, 8 clients (and the server's CPU time per create, which other load on the machine disturbs less)
  let next = 0;
  const cpuCreate0 = serverCpuMs();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      const conn = await leanConnection();
      while (next < N) {
        const i = next++;
        const r = await conn.call('POST', '/api/v1/namespaces/bench/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, labels: { app: 'bench' } }, data: { index: String(i) } });
        if (r.status !== 201) throw new Error(`create ${i}: ${r.status} ${r.text}`);
      }
      conn.close();
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  results.createsPerSecond = Math.round(N / secs);
  results.serverCpuUsPerCreate = Math.round(((serverCpuMs() - cpuCreate0) * 1000) / N);
  console.log(`creates: ${N} ConfigMaps in ${secs.toFixed(2)} s with 8 clients = ${results.createsPerSecond}/s (target >= 2000/s); server CPU ${results.serverCpuUsPerCreate} µs per create`);

  // 2. list 10,000 in one namespace
  const agent = new Agent({ ca, keepAlive: true });
  const times = [];
  let items = 0;
  for (let i = 0; i < 7; i++) {
    const s = performance.now();
    const r = await call(agent, 'GET', '/api/v1/namespaces/bench/configmaps');
    times.push(performance.now() - s);
    items = JSON.parse(r.text).items.length;
  }
  results.listMsP50 = Math.round(pct(times, 50));
  console.log(`list: ${items} objects, p50 ${results.listMsP50} ms, max ${Math.round(Math.max(...times))} ms (target < 300 ms)`);
  global.gc?.();
  await new Promise((r) => setTimeout(r, 500));
  results.rssMb = Math.round(rss());
  console.log(`memory: server RSS ${results.rssMb} MB with ${N + 10} objects (target < 300 MB)`);

  // 3. 100 watchers, 500 writes/s
  const W = 100;
  const RATE = 500;
  const DURATION_S = 6;
  const total = RATE * DURATION_S;
  const got = new Array(W).fill(0);
  const lat = [];
  const watchReqs = [];
  const rv = JSON.parse((await call(agent, 'GET', '/api/v1/namespaces/bench/configmaps?limit=1')).text).metadata.resourceVersion;
  await Promise.all(
    Array.from({ length: W }, (_, w) =>
      new Promise((resolve) => {
        const wa = new Agent({ ca, keepAlive: true });
        const r = request(new URL(`/api/v1/namespaces/bench/configmaps?watch=true&resourceVersion=${rv}&labelSelector=kind%3Dwatched`, url), { agent: wa, headers: { authorization: `Bearer ${token}` } }, (res) => {
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (d) => {
            buf += d;
            let i;
            while ((i = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, i);
              buf = buf.slice(i + 1);
              const m = /"t":"([\d.]+)"/.exec(line);
              if (m) {
                got[w]++;
                lat.push(performance.now() - Number(m[1]));
              }
            }
          });
          resolve();
        });
        watchReqs.push(r);
        r.end();
      }),
    ),
  );
  await new Promise((r) => setTimeout(r, 300));
  // enough writer connections that no write waits in a client-side queue: the timestamp in each
  // object is taken when its request goes out, so latency = write + commit + fan-out + delivery
  const pool = await Promise.all(Array.from({ length: 16 }, () => leanConnection()));
  const idle = [...pool];
  const waiting = [];
  const send = async (body) => {
    const conn = idle.pop() ?? (await new Promise((r) => waiting.push(r)));
    body.data.t = String(performance.now());
    const r = await conn.call('POST', '/api/v1/namespaces/bench/configmaps', body);
    const w = waiting.shift();
    if (w) w(conn);
    else idle.push(conn);
    if (r.status !== 201) throw new Error(`write: ${r.status} ${r.text}`);
  };
  const start = performance.now();
  const cpu0 = { server: serverCpuMs(), bench: process.cpuUsage() };
  let sent = 0;
  const inflight = [];
  while (sent < total) {
    const due = Math.floor(((performance.now() - start) / 1000) * RATE);
    while (sent < Math.min(due, total)) {
      const i = sent++;
      inflight.push(send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `w-${i}`, labels: { kind: 'watched' } }, data: { t: '' } }));
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  await Promise.all(inflight);
  for (const c of pool) c.close();
  const wall = (performance.now() - start) / 1000;
  const benchCpu = process.cpuUsage(cpu0.bench);
  results.serverCpuPct = Math.round((serverCpuMs() - cpu0.server) / (wall * 10));
  results.benchCpuPct = Math.round((benchCpu.user + benchCpu.system) / 1000 / (wall * 10));
  const deadline = Date.now() + 10_000;
  while (got.some((g) => g < total) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const r of watchReqs) r.destroy();
  const complete = got.filter((g) => g === total).length;
  results.watchersComplete = complete;
  results.watchP50 = +pct(lat, 50).toFixed(1);
  results.watchP99 = +pct(lat, 99).toFixed(1);
  console.log(`watch: ${W} watchers, ${total} writes at ${Math.round(total / wall)}/s; ${complete}/${W} watchers got every event; delivery latency p50 ${results.watchP50} ms, p99 ${results.watchP99} ms (target < 50 ms); CPU during the run: server ${results.serverCpuPct}%, this client process ${results.benchCpuPct}% of one core`);

  // 4. creates/s by a ServiceAccount whose RoleBinding allows them: every request goes through the
  // RBAC authorizer (the admin above is in system:masters, which skips it)
  const admin = new Agent({ ca, keepAlive: true });
  const rbacYaml = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench-rbac' } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'writer', namespace: 'bench-rbac' } },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'writer', namespace: 'bench-rbac' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'get', 'list'] }] },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'writer', namespace: 'bench-rbac' }, subjects: [{ kind: 'ServiceAccount', name: 'writer', namespace: 'bench-rbac' }], roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'writer' } },
  ];
  for (const o of rbacYaml) {
    const plural = { Namespace: 'namespaces', ServiceAccount: 'serviceaccounts', Role: 'roles', RoleBinding: 'rolebindings' }[o.kind];
    const base = o.apiVersion === 'v1' ? '/api/v1' : `/apis/${o.apiVersion}`;
    const r = await call(admin, 'POST', `${base}${o.metadata.namespace ? `/namespaces/${o.metadata.namespace}` : ''}/${plural}`, o);
    if (r.status !== 201) throw new Error(`setting up the ServiceAccount: ${r.status} ${r.text}`);
  }
  const tr = await call(admin, 'POST', '/api/v1/namespaces/bench-rbac/serviceaccounts/writer/token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} });
  const saToken = JSON.parse(tr.text).status.token;
  const NS = Math.min(N, 5000);
  let nextSa = 0;
  const cpuSa0 = serverCpuMs();
  const t1 = performance.now();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      const conn = await leanConnection(saToken);
      while (nextSa < NS) {
        const i = nextSa++;
        const r = await conn.call('POST', '/api/v1/namespaces/bench-rbac/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { index: String(i) } });
        if (r.status !== 201) throw new Error(`create ${i} as the ServiceAccount: ${r.status} ${r.text}`);
      }
      conn.close();
    }),
  );
  const secsSa = (performance.now() - t1) / 1000;
  results.createsPerSecondServiceAccount = Math.round(NS / secsSa);
  results.serverCpuUsPerCreateServiceAccount = Math.round(((serverCpuMs() - cpuSa0) * 1000) / NS);
  console.log(`creates by a ServiceAccount (RBAC-authorized): ${NS} ConfigMaps in ${secsSa.toFixed(2)} s with 8 clients = ${results.createsPerSecondServiceAccount}/s; server CPU ${results.serverCpuUsPerCreateServiceAccount} µs per create`);
  console.log(`RESULT ${JSON.stringify(results)}`);
} finally {
  proc.kill('SIGTERM');
  await new Promise((r) => proc.on('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
