#!/usr/bin/env node
// The argo CLI, as a process through the launcher's runner (what `<data-dir>/bin/argo` runs):
//   `argo version` process time (user + system CPU) and wall time, next to Node's own start-up
//   `argo list` with 1,000 finished Workflows, end to end against the API server of `flotilla up`
//   `argo get` of one of them
// The Workflow CRD comes from manifests/argo-workflows/install.yaml (CRDs only: no controller runs, so the
// workflows are created with their status, as a controller would have left them). BENCH_WORKFLOWS scales N.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { startUp, stopUp } from '../packages/kube-runtime/dist/testkit.js';
import { KubeClient } from '../packages/kube-runtime/dist/index.js';

const N = Number(process.env.BENCH_WORKFLOWS ?? 1000);
const RUNNER = fileURLToPath(new URL('../packages/cli/dist/cli-runner.js', import.meta.url));
const CLI = new URL('../packages/argo-cli/dist/cli.js', import.meta.url).href;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-argo-cli-'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs argo (or an empty module); resolves with wall time and the child's CPU time (ms). */
function run(args, env = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const argv = args[0] === '--node-baseline' ? ['--input-type=module', '-e', ''] : [RUNNER, CLI, ...args];
    const p = spawn('/usr/bin/time', ['-f', '%U %S', process.execPath, ...argv], { env: { ...process.env, HOME: dir, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => {
      const wall = performance.now() - t0;
      const m = /([\d.]+) ([\d.]+)\s*$/.exec(err);
      if (code !== 0) return reject(new Error(`argo ${args.join(' ')} exited ${code}: ${err}`));
      resolve({ wall, cpu: m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN, out });
    });
  });
}

let up;
try {
  const base = [];
  for (let i = 0; i < 7; i++) base.push(await run(['--node-baseline']));
  console.log(`node (empty ES module): process CPU median ${median(base.map((x) => x.cpu)).toFixed(0)} ms, wall median ${median(base.map((x) => x.wall)).toFixed(0)} ms`);
  const v = [];
  for (let i = 0; i < 7; i++) v.push(await run(['version']));
  console.log(`argo version: process CPU median ${median(v.map((x) => x.cpu)).toFixed(0)} ms, wall median ${median(v.map((x) => x.wall)).toFixed(0)} ms`);

  up = await startUp(join(dir, 'data'), 300_000);
  const client = new KubeClient(up.kubeconfig, { qps: 500, burst: 500 });
  const crds = parseAllDocuments(readFileSync(join(ROOT, 'manifests/argo-workflows/install.yaml'), 'utf8')).map((d) => d.toJS()).filter((o) => o?.kind === 'CustomResourceDefinition');
  const CRD = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions', kind: 'CustomResourceDefinition', namespaced: false };
  for (const c of crds) await client.create(CRD, undefined, c);
  await client.create({ group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false }, undefined, { metadata: { name: 'bench' } });
  const WF = { group: 'argoproj.io', version: 'v1alpha1', plural: 'workflows', kind: 'Workflow', namespaced: true };
  for (let t = 0; t < 50; t++) {
    try {
      await client.list(WF, 'bench');
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const at = (s) => new Date(Date.now() - 3600_000 + s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  const mk = (i) => {
    const name = `hello-${String(i).padStart(5, '0')}`;
    return {
      metadata: { name, namespace: 'bench', labels: { 'workflows.argoproj.io/completed': 'true', 'workflows.argoproj.io/phase': 'Succeeded' } },
      spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'busybox', command: ['echo', 'hi'] } }] },
      status: { phase: 'Succeeded', startedAt: at(i), finishedAt: at(i + 5), progress: '1/1', nodes: { [name]: { id: name, name, displayName: name, type: 'Pod', templateName: 'main', phase: 'Succeeded', startedAt: at(i), finishedAt: at(i + 5) } } },
    };
  };
  for (let i = 0; i < N; i += 50) await Promise.all(Array.from({ length: Math.min(50, N - i) }, (_, k) => client.create(WF, 'bench', mk(i + k))));
  client.close();
  const env = { KUBECONFIG: up.kubeconfig };
  const l = [];
  for (let i = 0; i < 5; i++) l.push(await run(['list', '-n', 'bench'], env));
  const rows = l[0].out.trim().split('\n').length - 1;
  console.log(`argo list with ${rows} workflows: wall median ${median(l.map((x) => x.wall)).toFixed(0)} ms, process CPU median ${median(l.map((x) => x.cpu)).toFixed(0)} ms`);
  const g = [];
  for (let i = 0; i < 5; i++) g.push(await run(['get', '-n', 'bench', 'hello-00001'], env));
  console.log(`argo get: wall median ${median(g.map((x) => x.wall)).toFixed(0)} ms, process CPU median ${median(g.map((x) => x.cpu)).toFixed(0)} ms`);
} finally {
  if (up) await stopUp(up, 'SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
