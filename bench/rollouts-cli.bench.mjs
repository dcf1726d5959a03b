#!/usr/bin/env node
// The Argo Rollouts plugin (issue 12 target), as a process through the launcher's runner, against a
// real `flotilla up` holding the getting-started rollout at step 1/8 (a Rollout, 2 ReplicaSets, 5
// running pods; Argo Rollouts' CRDs from ../shared/upstream):
//   `kubectl argo rollouts get rollout rollouts-demo` end to end                 (target < 300 ms)
// printed with the process CPU time (user + system) and Node's own start-up on this machine now
// (an empty ES module), the floor under both figures. BENCH_PROFILE=1 writes a --cpu-prof of one run.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from '../node_modules/yaml/dist/index.js';
import { kubectlFor, startUp, stopUp, waitFor } from '../packages/kube-runtime/dist/testkit.js';
import { demoReplicaSet, demoRollout } from '../packages/rollouts-cli/dist/fixtures.js';

const INSTALL = fileURLToPath(new URL('../../shared/upstream/install-manifests/argo-rollouts/install.yaml', import.meta.url));
if (!existsSync(INSTALL)) {
  console.log(`skipped: ${INSTALL} not found (Argo Rollouts' CRDs come from there)`);
  process.exit(0);
}
const RUNNER = fileURLToPath(new URL('../packages/cli/dist/cli-runner.js', import.meta.url));
const CLI = new URL('../packages/rollouts-cli/dist/cli.js', import.meta.url).href;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-ro-cli-'));

function run(args, env, nodeArgs = []) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const argv = args[0] === '--node-baseline' ? ['--input-type=module', '-e', ''] : [...nodeArgs, RUNNER, CLI, ...args];
    const p = spawn('/usr/bin/time', ['-f', '%U %S', process.execPath, ...argv], { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => {
      const wall = performance.now() - t0;
      const m = /([\d.]+) ([\d.]+)\s*$/.exec(err);
      if (code !== 0) return reject(new Error(`kubectl-argo-rollouts ${args.join(' ')} exited ${code}: ${err}`));
      resolve({ wall, cpu: m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN, out });
    });
  });
}

const up = await startUp(join(dir, 'data'), 90_000, {});
try {
  const { k } = kubectlFor(join(dir, 'home'), up.kubeconfig);
  const env = { ...process.env, HOME: join(dir, 'home'), KUBECONFIG: up.kubeconfig };
  const crds = parseAllDocuments(readFileSync(INSTALL, 'utf8')).map((d) => d.toJS()).filter((o) => o?.kind === 'CustomResourceDefinition');
  await k(['apply', '--server-side', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: crds }) });
  await k(['wait', '--for=condition=Established', '--timeout=60s', 'crd/rollouts.argoproj.io']);
  const ro = demoRollout();
  delete ro.status;
  for (const f of ['uid', 'generation', 'creationTimestamp']) delete ro.metadata[f];
  await k(['create', '-f', '-'], { input: JSON.stringify(ro) });
  const uid = JSON.parse(await k(['get', 'rollouts.argoproj.io', 'rollouts-demo', '-o', 'json'])).metadata.uid;
  for (const [hash, color, revision, replicas] of [['6cf78c66c5', 'blue', 1, 4], ['789746c88d', 'yellow', 2, 1]]) {
    const rs = demoReplicaSet({ hash, color, revision, replicas, uid: '', age: 0, roUid: uid });
    delete rs.metadata.uid;
    delete rs.metadata.creationTimestamp;
    delete rs.status;
    await k(['create', '-f', '-'], { input: JSON.stringify(rs) });
  }
  await k(['patch', 'rollouts.argoproj.io', 'rollouts-demo', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { ...demoRollout().status, observedGeneration: String(JSON.parse(await k(['get', 'rollouts.argoproj.io', 'rollouts-demo', '-o', 'json'])).metadata.generation) } })]);
  await waitFor('5 pods running', async () => JSON.parse(await k(['get', 'pods', '-o', 'json'])).items.filter((p) => p.status?.phase === 'Running').length === 5, 90_000, 500);

  const base = [];
  for (let i = 0; i < 7; i++) base.push(await run(['--node-baseline'], env));
  console.log(`node (empty ES module): process CPU median ${median(base.map((x) => x.cpu)).toFixed(0)} ms, wall median ${median(base.map((x) => x.wall)).toFixed(0)} ms`);
  const v = [];
  for (let i = 0; i < 7; i++) v.push(await run(['version', '--short'], env));
  console.log(`kubectl argo rollouts version --short: process CPU median ${median(v.map((x) => x.cpu)).toFixed(0)} ms, wall median ${median(v.map((x) => x.wall)).toFixed(0)} ms`);
  const g = [];
  for (let i = 0; i < 9; i++) g.push(await run(['get', 'rollout', 'rollouts-demo'], env));
  if (!/Status: +. Paused/.test(g[0].out)) throw new Error(`unexpected output:\n${g[0].out}`);
  console.log(`kubectl argo rollouts get rollout (5 pods, 2 ReplicaSets): wall median ${median(g.map((x) => x.wall)).toFixed(0)} ms (target < 300), process CPU median ${median(g.map((x) => x.cpu)).toFixed(0)} ms`);
  if (process.env.BENCH_PROFILE) {
    await run(['get', 'rollout', 'rollouts-demo'], env, ['--cpu-prof', `--cpu-prof-dir=${process.cwd()}`]);
    console.log(`profile written to ${process.cwd()}`);
  }
} finally {
  await stopUp(up, 'SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
