#!/usr/bin/env node
// The pipeline demo (issue 17 target): push → new color fully rolled out < 60 s, with the canary's
// pauses set to 0 (`flotilla demo pipeline --pause-seconds 0`), and the time of each stage
// (git push, event → workflow, workflow, Argo CD sync, canary rollout). One `flotilla up` with
// Argo CD, Workflows, Rollouts and Events; the demo created through its API; then PUSHES pushes
// of a new color each, measured by the follower of `flotilla demo pipeline --push`.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { KubeClient } from '../packages/kube-runtime/dist/index.js';
import { FLOTILLA_MAIN, startUp, stopUp } from '../packages/kube-runtime/dist/testkit.js';
import { followPush } from '../packages/cli/dist/demo-follow.js';

const PUSHES = Number(process.env.BENCH_PIPELINE_PUSHES ?? 2);
const COLORS = ['green', 'purple', 'orange', 'yellow', 'red'];
const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-pipeline-'));
mkdirSync(join(dir, 'home'));
const t0 = Date.now();
const up = await startUp(join(dir, 'data'), 300_000, { components: ['argo-cd', 'argo-workflows', 'argo-rollouts', 'argo-events'] });
try {
  const tUp = Date.now() - t0;
  const t1 = Date.now();
  const r = spawnSync(process.execPath, [FLOTILLA_MAIN, 'demo', 'pipeline', '--data-dir', join(dir, 'data'), '--pause-seconds', '0'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`flotilla demo pipeline failed:\n${r.stdout}${r.stderr}`);
  const tDemo = Date.now() - t1;
  const client = new KubeClient(up.kubeconfig, { qps: 50, burst: 100 });
  const quiet = { stdout: () => {}, stderr: (t) => process.stderr.write(t) };
  const runs = [];
  for (let i = 0; i < PUSHES; i++) {
    const res = await followPush(client, quiet, COLORS[i % COLORS.length], 180_000);
    if (res.outcome !== 'healthy') throw new Error(`push ${i + 1}: ${res.outcome}`);
    runs.push(res.stages);
  }
  client.close?.();
  console.log(`pipeline: flotilla up (4 components) ${(tUp / 1000).toFixed(1)} s; flotilla demo pipeline ready in ${(tDemo / 1000).toFixed(1)} s`);
  runs.forEach((s, i) => {
    const stages = s.rows.map((x) => `${x.stage} ${(x.ms / 1000).toFixed(1)} s`).join(', ');
    console.log(`pipeline: push ${i + 1} (${COLORS[i % COLORS.length]}) → fully rolled out in ${(s.total() / 1000).toFixed(1)} s (target < 60 s; canary pauses 0): ${stages}`);
  });
} finally {
  await stopUp(up, 'SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
