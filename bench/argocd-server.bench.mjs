#!/usr/bin/env node
// argocd-server benchmark (issue 10 targets), the server as a process of its own against a real API
// server holding BENCH_APPS (default 1,000) Applications:
//   GET /api/v1/applications (all of them, RBAC-filtered) over HTTP     (CLI end-to-end target < 300 ms)
//   server RSS with them                                              (target < 300 MB)
//   50 concurrent /api/v1/stream/applications watchers: a status write → every watcher has it, p99  (target < 200 ms)
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { KubeClient } from '../packages/kube-runtime/dist/index.js';
import { startEnv, freePort, call } from '../packages/argocd-server/dist/testenv.js';
import { rssMb } from './lib.mjs';

const N = Number(process.env.BENCH_APPS ?? 1000);
const WATCHERS = Number(process.env.BENCH_WATCHERS ?? 50);
const APPS = { group: 'argoproj.io', version: 'v1alpha1', plural: 'applications', kind: 'Application', namespaced: true };
const pad = (i) => String(i).padStart(4, '0');
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

// the in-process server of the env only bootstraps argocd-secret (keys, initial password); the measured one is a process
const env = await startEnv({});
let proc;
try {
  const client = new KubeClient(env.cluster.kubeconfig, { qps: 2000, burst: 4000 });
  const mk = (i) => ({
    apiVersion: 'argoproj.io/v1alpha1', kind: 'Application',
    metadata: { name: `app-${pad(i)}`, namespace: 'argocd', labels: { team: `t${i % 10}` } },
    spec: { project: 'default', source: { repoURL: 'https://git.example.test/apps.git', targetRevision: 'HEAD', path: `apps/app-${pad(i)}` }, destination: { server: 'https://kubernetes.default.svc', namespace: 'bench' } },
    status: { sync: { status: 'Synced', revision: 'a'.repeat(40) }, health: { status: 'Healthy' }, resources: Array.from({ length: 5 }, (_, j) => ({ version: 'v1', kind: 'ConfigMap', namespace: 'bench', name: `app-${pad(i)}-cm-${j}`, status: 'Synced' })) },
  });
  for (let i = 0; i < N; i += 50) await Promise.all(Array.from({ length: Math.min(50, N - i) }, (_, k) => client.create(APPS, 'argocd', mk(i + k))));
  const password = await env.adminPassword();
  await env.server.close();
  const port = await freePort();
  const mport = await freePort();
  const script = `import('@flotilla/argocd-server/main').then((m) => m.main(process.argv.slice(1))).then((c) => process.exit(c ?? 0));`;
  proc = spawn(process.execPath, ['--input-type=module', '-e', script, '--', '--insecure', '--port', String(port), '--address', '127.0.0.1', '--metrics-port', String(mport), '--metrics-address', '127.0.0.1', '--kubeconfig', env.cluster.kubeconfig, '-n', 'argocd', '--loglevel', 'warn'], { cwd: new URL('../packages/argocd-server/', import.meta.url).pathname, stdio: ['ignore', 'inherit', 'inherit'] });
  const base = `http://127.0.0.1:${port}`;
  for (let t = 0; ; t++) {
    const r = await call(base, 'GET', '/api/version').catch(() => undefined);
    if (r?.status === 200) break;
    if (t > 600) throw new Error('argocd-server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const token = (await call(base, 'POST', '/api/v1/session', { body: { username: 'admin', password } })).body.token;
  for (let t = 0; ; t++) {
    const l = await call(base, 'GET', '/api/v1/applications', { token });
    if (l.body?.items?.length === N) break;
    if (t > 600) throw new Error(`server lists ${l.body?.items?.length} of ${N} apps`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const lat = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    const r = await call(base, 'GET', '/api/v1/applications', { token });
    if (r.body.items.length !== N) throw new Error('short list');
    lat.push(performance.now() - t0);
  }
  const rss = rssMb(proc.pid);

  // watchers
  const seen = Array.from({ length: WATCHERS }, () => new Map());
  const reqs = [];
  let ready = 0;
  for (let w = 0; w < WATCHERS; w++) {
    const req = request(`${base}/api/v1/stream/applications`, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      let buf = '';
      let adds = 0;
      res.setEncoding('utf8');
      res.on('data', (d) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const ev = JSON.parse(buf.slice(0, i)).result;
          buf = buf.slice(i + 1);
          if (ev.type === 'ADDED' && ++adds === N) ready++;
          const tag = ev.application?.metadata?.annotations?.['bench/tag'];
          if (ev.type === 'MODIFIED' && tag && !seen[w].has(tag)) seen[w].set(tag, performance.now());
        }
      });
    });
    req.on('error', () => undefined);
    req.end();
    reqs.push(req);
  }
  for (let t = 0; ready < WATCHERS; t++) {
    if (t > 1200) throw new Error(`${ready}/${WATCHERS} watchers got the initial list`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const delays = [];
  for (let k = 0; k < 20; k++) {
    const name = `app-${pad((k * 37) % N)}`;
    const tag = `w${k}`;
    const t0 = performance.now();
    await client.patch(APPS, 'argocd', name, { metadata: { annotations: { 'bench/tag': tag } }, status: { reconciledAt: new Date().toISOString() } }, 'merge');
    for (let t = 0; seen.some((m) => !m.has(tag)); t++) {
      if (t > 1000) throw new Error(`update ${tag} did not reach every watcher`);
      await new Promise((r) => setTimeout(r, 5));
    }
    for (const m of seen) delays.push(m.get(tag) - t0);
  }
  for (const r of reqs) r.destroy();
  console.log(`argocd-server: GET /api/v1/applications with ${N} apps: median ${pct(lat, 50).toFixed(0)} ms, p99 ${pct(lat, 99).toFixed(0)} ms (CLI end-to-end target < 300 ms)`);
  console.log(`argocd-server: server RSS with ${N} apps: ${rss.toFixed(0)} MB (target < 300 MB)`);
  console.log(`argocd-server: ${WATCHERS} stream watchers, status write → received: p50 ${pct(delays, 50).toFixed(0)} ms, p99 ${pct(delays, 99).toFixed(0)} ms (target < 200 ms)`);
} finally {
  proc?.kill('SIGTERM');
  await env.close();
}
