#!/usr/bin/env node
// Argo CD application controller benchmark (issue 9 targets), against a real `flotilla up`, a real
// git server and argocd-repo-server, the controller as a process of its own:
//   1,000 Applications x 10 ConfigMaps, auto-sync, one repo: cold start → all Synced + Healthy  (target < 60 s)
//   controller RSS with them                                                                     (target < 600 MB)
//   CPU of a full reconciliation pass of the unchanged apps (all at once, after an argocd-cm change) (target < 10 s)
//   a commit to one app's path → synced, after a refresh request                                  (target < 3 s)
// BENCH_APPS (default 1000) and BENCH_CMS (default 10) scale it down for a quick look.
// Each phase also prints the CPU seconds of the controller, the repo server (with its git children) and
// the API server (`flotilla up` and its children), and the load average: wall time on the shared
// machine follows its load, CPU does not. BENCH_NODE_ARGS / BENCH_RS_NODE_ARGS (e.g. --cpu-prof
// --cpu-prof-dir=/tmp/prof) are node options of the controller / repo server processes.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEnv } from '../packages/argocd-controller/dist/testenv.js';
import { cpuMs, rssMb, treeCpuMs } from './lib.mjs';
import { Informer } from '../packages/kube-runtime/dist/index.js';

const N = Number(process.env.BENCH_APPS ?? 1000);
const CMS = Number(process.env.BENCH_CMS ?? 10);
const APPS = { group: 'argoproj.io', version: 'v1alpha1', plural: 'applications', kind: 'Application', namespaced: true };
const pad = (i) => String(i).padStart(4, '0');
const cm = (app, j, v = '1') => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${app}-cm-${j}\ndata:\n  value: "${v}"\n`;

const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');
const nodeArgs = (v) => (v ?? '').split(' ').filter(Boolean);

const scratch = mkdtempSync(join(tmpdir(), 'flotilla-bench-cd-'));
const env = await startEnv({ repos: { apps: null }, controller: false, repoServerNodeArgs: nodeArgs(process.env.BENCH_RS_NODE_ARGS) });
let proc;
/** {controller, repo server, API server, this process} CPU ms now */
const cpus = () => [proc ? cpuMs(proc.pid) : 0, treeCpuMs(env.repoServerProc.pid), treeCpuMs(env.up.proc.pid), process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000];
const phase = (name, a, b) => `${name}: CPU s controller ${((b[0] - a[0]) / 1000).toFixed(1)}, repo server ${((b[1] - a[1]) / 1000).toFixed(1)}, API server ${((b[2] - a[2]) / 1000).toFixed(1)}, bench ${((b[3] - a[3]) / 1000).toFixed(1)}`;
const lines = [];
try {
  const files = {};
  for (let i = 0; i < N; i++) for (let j = 0; j < CMS; j++) files[`apps/app-${pad(i)}/cm-${j}.yaml`] = cm(`app-${pad(i)}`, j);
  env.git.commit('apps', files, `${N} apps`);
  await env.k(['create', 'namespace', 'bench']);
  // the Applications exist before the controller starts: a cold start
  const mk = (i) => ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: `app-${pad(i)}`, namespace: 'argocd' },
    spec: { project: 'default', source: { repoURL: env.git.url('apps'), targetRevision: 'HEAD', path: `apps/app-${pad(i)}` }, destination: { server: 'https://kubernetes.default.svc', namespace: 'bench' }, syncPolicy: { automated: { prune: true } } },
  });
  for (let i = 0; i < N; i += 50) await Promise.all(Array.from({ length: Math.min(50, N - i) }, (_, k) => env.client.create(APPS, 'argocd', mk(i + k))));
  const load0 = load();
  const c00 = cpus();
  const t0 = performance.now();
  proc = await env.startControllerProcess(['--status-processors', '50', '--operation-processors', '50', '--kube-api-qps', '2000', '--kube-api-burst', '4000', '--kubectl-parallelism-limit', '50', '--app-resync', '180', '--app-resync-jitter', '0'], nodeArgs(process.env.BENCH_NODE_ARGS));
  let cold;
  // the Applications are watched (one stream), not listed every second: 30 lists of 1,000 apps cost the
  // API server seconds of CPU that a measurement of the controller should not add
  const watch = new Informer(env.client, APPS, { namespace: 'argocd' });
  watch.start();
  for (;;) {
    const l = { items: watch.list() };
    const ok = l.items.filter((a) => a.status?.sync?.status === 'Synced' && a.status?.health?.status === 'Healthy' && a.status?.operationState?.phase === 'Succeeded').length;
    if (ok === N) {
      cold = performance.now() - t0;
      if (process.env.BENCH_TIMELINE) {
        const wall0 = Date.now() - cold;
        const rel = (t) => ((Date.parse(t) - wall0) / 1000).toFixed(0);
        const st = l.items.map((a) => [rel(a.status.operationState.startedAt), rel(a.status.operationState.finishedAt)]).sort((x, y) => x[0] - y[0]);
        console.log('operation started/finished (s after the controller started):', st.filter((_, i) => i % Math.max(1, Math.floor(N / 20)) === 0).map((x) => x.join('/')).join(' '));
      }
      break;
    }
    if (performance.now() - t0 > 900_000) throw new Error(`only ${ok}/${N} apps Synced + Healthy after 900 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
  await watch.stop();
  if (process.env.BENCH_TIMELINE) {
    const url = [...env.logs.join('').matchAll(/metrics and health on (http:\/\/[0-9.:]+)/g)].at(-1)?.[1];
    const text = url ? await (await fetch(`${url}/metrics`)).text() : '';
    const val = (re) => Number(re.exec(text)?.[1] ?? NaN);
    for (const c of ['app-refresh', 'app-operation']) {
      const sum = val(new RegExp(`controller_runtime_reconcile_time_seconds_sum\\{controller="${c}"\\} (\\S+)`));
      const count = val(new RegExp(`controller_runtime_reconcile_time_seconds_count\\{controller="${c}"\\} (\\S+)`));
      console.log(`${c}: ${count} reconciles, mean ${((sum / count) * 1000).toFixed(0)} ms`);
    }
    const byMethod = {};
    for (const m of text.matchAll(/rest_client_requests_total\{([^}]*)\} (\S+)/g)) {
      const method = /method="([^"]*)"/.exec(m[1])?.[1];
      byMethod[method] = (byMethod[method] ?? 0) + Number(m[2]);
    }
    console.log('controller API requests during the cold start:', JSON.stringify(byMethod));
  }
  const rss = rssMb(proc.pid);
  const coldCpu = cpuMs(proc.pid);
  lines.push(phase(`cold start (load average before ${load0}, after ${load()})`, c00, cpus()));
  // steady state: a full reconciliation pass of the unchanged apps, started at once for all of them by a
  // change of argocd-cm (as the resync period would, spread over 180 s): CPU until it is done
  await new Promise((r) => setTimeout(r, 5000));
  const c0 = cpuMs(proc.pid);
  const p0 = cpus();
  const load1 = load();
  await env.k(['create', 'configmap', 'argocd-cm', '-n', 'argocd', '--from-literal=bench=1']);
  await new Promise((r) => setTimeout(r, 30_000));
  const pass = cpuMs(proc.pid) - c0;
  lines.push(phase(`full pass, 30 s window (load average before ${load1}, after ${load()})`, p0, cpus()));
  const rss2 = rssMb(proc.pid);
  // a commit to one app's path, then a refresh request
  const target = `app-${pad(Math.floor(N / 2))}`;
  const sha = env.git.commit('apps', { [`apps/${target}/cm-0.yaml`]: cm(target, 0, '2') }, 'change one app');
  const load2 = load();
  const q0 = cpus();
  const t1 = performance.now();
  await env.client.patch(APPS, 'argocd', target, { metadata: { annotations: { 'argocd.argoproj.io/refresh': 'normal' } } });
  const seen = [];
  for (;;) {
    const a = await env.client.get(APPS, 'argocd', target);
    const st = `sync ${a.status?.sync?.status}${a.status?.sync?.revision === sha ? ' (new)' : ''}, operation ${a.operation ? 'set' : 'none'}, ${a.status?.operationState?.syncResult?.revision === sha ? 'new ' : ''}operationState ${a.status?.operationState?.phase}, annotation ${a.metadata?.annotations?.['argocd.argoproj.io/refresh'] ?? 'none'}`;
    if (seen.at(-1)?.[1] !== st) seen.push([performance.now() - t1, st]);
    if (a.status?.sync?.status === 'Synced' && a.status?.sync?.revision === sha && a.status?.operationState?.phase === 'Succeeded' && a.status.operationState.syncResult?.revision === sha) break;
    if (performance.now() - t1 > 120_000) throw new Error('the changed app did not sync in 120 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  const commit = performance.now() - t1;
  if (process.env.BENCH_TIMELINE) for (const [t, st] of seen) console.log(`  +${t.toFixed(0)} ms: ${st}`);
  lines.push(phase(`commit → synced (load average before ${load2}, after ${load()})`, q0, cpus()));
  const v = (await env.k(['get', 'configmap', `${target}-cm-0`, '-n', 'bench', '-o', 'jsonpath={.data.value}'])).trim();
  if (v !== '2') throw new Error(`the change did not reach the cluster (value ${v})`);
  console.log(`argocd-controller: ${N} apps x ${CMS} ConfigMaps, cold start → all Synced + Healthy in ${(cold / 1000).toFixed(1)} s (target < 60 s)`);
  console.log(`argocd-controller: controller CPU during the cold start: ${(coldCpu / 1000).toFixed(1)} s`);
  console.log(`argocd-controller: controller RSS ${rss.toFixed(0)} MB after the sync, ${rss2.toFixed(0)} MB in steady state (target < 600 MB)`);
  console.log(`argocd-controller: CPU of one full reconciliation pass of unchanged apps (all at once, 30 s window): ${(pass / 1000).toFixed(1)} s (target < 10 s)`);
  console.log(`argocd-controller: commit → synced after a refresh request: ${commit.toFixed(0)} ms (target < 3000 ms)`);
  for (const l of lines) console.log(`argocd-controller: ${l}`);
} finally {
  if (process.env.BENCH_LOG) (await import('node:fs')).writeFileSync(process.env.BENCH_LOG, env.logs.join(''));
  await env.stop();
  rmSync(scratch, { recursive: true, force: true });
}
