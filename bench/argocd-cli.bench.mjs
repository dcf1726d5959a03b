#!/usr/bin/env node
// The argocd CLI (issue 10 targets), as a process through the launcher's runner:
//   `argocd version --client` process time (user + system CPU)                    (target < 150 ms)
//   `argocd app list` with 1,000 Applications, end to end against argocd-server   (target < 300 ms)
// and, to tell the CLI's share from the server's, the server's answer to the same request measured
// in-process (a fresh connection each time, TLS handshake included, as the CLI pays it).
// BENCH_APPS (default 1000) scales the list down for a quick look.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEnv } from '../packages/argocd-server/dist/testenv.js';
import { ApiClient } from '../packages/argocd-cli/dist/client.js';

const N = Number(process.env.BENCH_APPS ?? 1000);
const RUNNER = fileURLToPath(new URL('../packages/cli/dist/cli-runner.js', import.meta.url));
const CLI = new URL('../packages/argocd-cli/dist/cli.js', import.meta.url).href;
const APPS = { group: 'argoproj.io', version: 'v1alpha1', plural: 'applications', kind: 'Application', namespaced: true };
const home = mkdtempSync(join(tmpdir(), 'flotilla-bench-argocd-cli-'));

/** Runs argocd; resolves with wall time and the child's CPU time (ms). */
function run(args) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const argv = args[0] === '--node-baseline' ? ['--input-type=module', '-e', ''] : [RUNNER, CLI, ...args];
    const p = spawn('/usr/bin/time', ['-f', '%U %S', process.execPath, ...argv], { env: { ...process.env, HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => {
      const wall = performance.now() - t0;
      const m = /([\d.]+) ([\d.]+)\s*$/.exec(err);
      if (code !== 0) return reject(new Error(`argocd ${args.join(' ')} exited ${code}: ${err}`));
      resolve({ wall, cpu: m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN, out });
    });
  });
}

// the fields `argocd app list` asks for (commands/app.ts LIST_FIELDS)
const LIST_FIELDS = ['metadata.name', 'metadata.namespace', 'spec.project', 'spec.destination', 'spec.source', 'spec.sources', 'spec.syncPolicy', 'status.sync.status', 'status.health.status', 'status.conditions'].map((f) => `items.${f}`).join(',');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  // Node's own start-up on this machine now (an empty ES module): the floor under both figures
  // interleaved, so that both see the same load of the shared machine; the paired difference is the CLI's own share
  const base = [];
  const v = [];
  for (let i = 0; i < 15; i++) {
    base.push(await run(['--node-baseline']));
    v.push(await run(['version', '--client']));
  }
  console.log(`node (empty ES module): process CPU median ${median(base.map((x) => x.cpu)).toFixed(0)} ms, wall median ${median(base.map((x) => x.wall)).toFixed(0)} ms`);
  console.log(`argocd version --client: process CPU median ${median(v.map((x) => x.cpu)).toFixed(0)} ms (target < 150), wall median ${median(v.map((x) => x.wall)).toFixed(0)} ms; over Node's own start (paired): median ${median(v.map((x, i) => x.cpu - base[i].cpu)).toFixed(0)} ms CPU`);

  const env = await startEnv();
  try {
    const pad = (i) => String(i).padStart(4, '0');
    const mk = (i) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: `app-${pad(i)}`, namespace: 'argocd' }, spec: { project: 'default', source: { repoURL: 'https://example.com/apps.git', path: `apps/${i}`, targetRevision: 'HEAD' }, destination: { server: 'https://kubernetes.default.svc', namespace: 'bench' } } });
    for (let i = 0; i < N; i += 50) await Promise.all(Array.from({ length: Math.min(50, N - i) }, (_, k) => env.client.create(APPS, 'argocd', mk(i + k))));
    const host = new URL(env.server.url).host;
    await run(['login', host, '--username', 'admin', '--password', await env.adminPassword(), '--insecure']);
    const l = [];
    for (let i = 0; i < 9; i++) l.push(await run(['app', 'list']));
    const rows = l[0].out.trim().split('\n').length - 1;
    const server = [];
    const password = await env.adminPassword();
    for (let i = 0; i < 9; i++) {
      const c = new ApiClient({ server: host, insecure: true });
      try {
        c.token = (await c.post('/api/v1/session', { username: 'admin', password })).token;
        const t0 = performance.now();
        await c.get('/api/v1/applications', { fields: LIST_FIELDS });
        server.push(performance.now() - t0);
      } finally {
        c.close();
      }
    }
    console.log(`server answer to app list's request (/api/v1/applications?fields=…, fresh connection, JSON parsed): median ${median(server).toFixed(0)} ms`);
    console.log(`argocd app list with ${rows} apps: wall median ${median(l.map((x) => x.wall)).toFixed(0)} ms (target < 300), process CPU median ${median(l.map((x) => x.cpu)).toFixed(0)} ms`);
  } finally {
    await env.close();
  }
} finally {
  rmSync(home, { recursive: true, force: true });
}
