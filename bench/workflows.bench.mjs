#!/usr/bin/env node
// Argo Workflows benchmark (issue 11 targets), end to end on `flotilla up` with manifests/argo-workflows/install.yaml:
//   single-pod workflows (busybox echo) per minute: BENCH_WORKFLOWS (default 120) submitted at once,
//     throughput = completed / wall time from the first submit to the last Succeeded      (target >= 600/min)
//     and the completions of each minute; the issue's "sustained for 3 minutes" takes BENCH_WORKFLOWS=3000 or so
//   a BENCH_DAG-task DAG (default 200) of `sh -c true` pods, wall time                     (target < 60 s)
//   controller CPU per node transition (the controller process's CPU time / node phase changes) (target < 2 ms)
//   BENCH_MANY (default 500; the issue's figure is 5,000) workflows submitted at once under the controller's
//     `parallelism: 20`: all Succeeded, none lost, the controller's RSS                       (target < 500 MB)
//   the floor: BENCH_PODS (default 60) bare pods of a workflow pod's shape, cluster CPU per pod (no Argo)
//   cluster CPU per workflow: CPU time of `flotilla up` and everything under it (API server, node agent, the
//     controller's and the workflows' pods) during the run / workflows — what bounds throughput on a small machine,
//     and steadier than wall time when other work shares the machine
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { treeCpuMs } from './lib.mjs';

const root = new URL('..', import.meta.url).pathname;
const { startUp, stopUp, kubectlFor, waitFor } = await import(join(root, 'packages/kube-runtime/dist/testkit.js'));
const { KubeClient, InformerFactory } = await import(join(root, 'packages/kube-runtime/dist/index.js'));
const N = Number(process.env.BENCH_WORKFLOWS ?? 120);
const DAG = Number(process.env.BENCH_DAG ?? 200);
const MANY = Number(process.env.BENCH_MANY ?? 500);
const POD = { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true };
const WF = { group: 'argoproj.io', version: 'v1alpha1', plural: 'workflows', kind: 'Workflow', namespaced: true };
const NS = 'argo';

const dir = mkdtempSync(join(tmpdir(), 'wf-bench-'));
const up = await startUp(join(dir, 'data'), 120_000, { components: [] });
const { k } = kubectlFor(dir, up.kubeconfig);
const client = new KubeClient(up.kubeconfig, { qps: 500, burst: 1000 });

/** The workflow-controller's process (it runs as a local process of its pod). */
function controllerPid() {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (cmd.includes('workflow-controller') && cmd.includes('--configmap') && /node/.test(cmd[0] ?? '')) return pid;
    } catch {
      /* gone */
    }
  }
  return undefined;
}

/** CPU ms of the workflow-controller process. */
function controllerCpuMs() {
  try {
    const f = readFileSync(`/proc/${controllerPid()}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

/** Resident memory of the workflow-controller process, MB. */
function controllerRssMb() {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${controllerPid()}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Says that the controller restarted, and why: its last state and the end of its previous log. */
async function whyRestarted(restarts) {
  console.log(`workflows: the controller restarted ${restarts} time(s) during the run: its CPU figure below covers only its last process`);
  for (const p of (await client.list(POD, NS)).items.filter((x) => x.metadata.name.startsWith('workflow-controller'))) {
    for (const c of p.status?.containerStatuses ?? []) if (c.restartCount) console.log(`workflows: ${p.metadata.name}/${c.name} last state ${JSON.stringify(c.lastState)}`);
    const prev = await k(['logs', '-n', NS, p.metadata.name, '--previous', '--tail=15']).catch((e) => String(e.message ?? e));
    console.log(prev.split('\n').map((l) => `workflows:   ${l}`).join('\n'));
    const evs = await k(['get', 'events', '-n', NS, '--field-selector', `involvedObject.name=${p.metadata.name}`, '-o', 'custom-columns=TIME:.lastTimestamp,REASON:.reason,COUNT:.count,MESSAGE:.message']).catch((e) => String(e.message ?? e));
    console.log(evs.split('\n').map((l) => `workflows:   ${l}`).join('\n'));
  }
}

// the bench follows the workflows and its pods with watches: listing every workflow each second would cost the API
// server more than the thing measured as a run grows (a list of 1,000 workflows is ~3.5 MB)
const informers = new InformerFactory(client, { stripManagedFields: true });
const wfs = informers.for(WF, { namespace: NS });
const floorPods = informers.for(POD, { namespace: NS, labelSelector: 'bench=floor' });
const done = async (names) => {
  const list = wfs.list(NS);
  const by = new Map(list.map((w) => [w.metadata.name, w.status?.phase]));
  return names.filter((n) => ['Succeeded', 'Failed', 'Error'].includes(by.get(n) ?? '')).length;
};
const transitions = async () => (await client.list(WF, NS)).items.reduce((s, w) => s + Object.keys(w.status?.nodes ?? {}).length * 2, 0);

try {
  await k(['create', 'namespace', NS]);
  await k(['apply', '-n', NS, '-f', join(root, 'manifests/argo-workflows/install.yaml')]);
  await k(['rollout', 'status', '-n', NS, 'deployment/workflow-controller', '--timeout=180s']);
  informers.start();
  await informers.waitForSync();

  // 0. the floor: bare pods of a workflow pod's shape (an init container, two containers; busybox, no Argo),
  // what the embedded cluster alone spends per pod — no workflow on this machine can cost less
  const PODS = Number(process.env.BENCH_PODS ?? 60);
  if (PODS > 0) {
    const c0 = treeCpuMs(up.proc.pid);
    const p0 = performance.now();
    await Promise.all(Array.from({ length: PODS }, (_, i) => client.create(POD, NS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: `floor-${i}`, labels: { bench: 'floor' } }, spec: { restartPolicy: 'Never', initContainers: [{ name: 'init', image: 'busybox', command: ['true'] }], containers: [{ name: 'wait', image: 'busybox', command: ['true'] }, { name: 'main', image: 'busybox', command: ['echo', `hello ${i}`] }] } })));
    await waitFor(`${PODS} bare pods to finish`, async () => floorPods.list(NS).filter((p) => ['Succeeded', 'Failed'].includes(p.status?.phase)).length === PODS || undefined, 30 * 60_000, 200);
    const ms = (treeCpuMs(up.proc.pid) - c0) / PODS;
    console.log(`workflows: floor — ${PODS} bare pods of a workflow pod's shape (3 containers, no Argo) in ${((performance.now() - p0) / 1000).toFixed(1)} s; cluster CPU ${ms.toFixed(0)} ms per pod (2 cores: at most ${Math.floor((2 * 60_000) / ms)} pods/min)`);
    await k(['delete', 'pods', '-l', 'bench=floor', '-n', NS, '--wait=false']);
  }

  // 1. single-pod workflows
  if (N > 0) {
    const cpu0 = controllerCpuMs();
    const all0 = treeCpuMs(up.proc.pid);
    const t0 = performance.now();
    // when each workflow was first seen finished: completions per minute show whether the rate holds (sustained) or
    // is a burst that slows down
    const finishedAt = new Map();
    const seenDone = (w) => {
      if (w?.metadata?.name?.startsWith('bench-') && ['Succeeded', 'Failed', 'Error'].includes(w.status?.phase) && !finishedAt.has(w.metadata.name)) finishedAt.set(w.metadata.name, performance.now() - t0);
    };
    wfs.on({ add: seenDone, update: (_a, b) => seenDone(b) });
    const names = await Promise.all(Array.from({ length: N }, async (_, i) => {
      const w = await client.create(WF, NS, { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: `bench-${i}` }, spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'busybox', command: ['echo', `hello ${i}`] } }] } });
      return w.metadata.name;
    }));
    await waitFor(`${N} workflows to finish`, async () => (await done(names)) === N || undefined, 30 * 60_000, 200);
    const secs = (performance.now() - t0) / 1000;
    const list = (await client.list(WF, NS)).items;
    const ok = list.filter((w) => w.status?.phase === 'Succeeded').length;
    const cpu = controllerCpuMs() - cpu0;
    const all = treeCpuMs(up.proc.pid) - all0;
    const trans = await transitions();
    const perMin = [];
    for (const ms of finishedAt.values()) perMin[Math.floor(ms / 60_000)] = (perMin[Math.floor(ms / 60_000)] ?? 0) + 1;
    const full = Array.from(perMin, (x) => x ?? 0);
    // (the last minute is partial: it is shown, not counted as a full minute)
    if (full.length > 1) console.log(`workflows: finished per minute since the first submit: ${full.map((x, i) => (i === full.length - 1 ? `${x} (last ${((secs - 60 * i)).toFixed(0)} s)` : String(x))).join(', ')}`);
    console.log(`workflows: ${N} single-pod workflows in ${secs.toFixed(1)} s = ${((N / secs) * 60).toFixed(0)}/min (${ok} Succeeded); controller CPU ${cpu.toFixed(0)} ms = ${(cpu / trans).toFixed(2)} ms per node transition; cluster CPU ${(all / N).toFixed(0)} ms per workflow`);
    const restarts = (await client.list(POD, NS)).items.filter((p) => p.metadata.name.startsWith('workflow-controller')).reduce((s, p) => s + (p.status?.containerStatuses ?? []).reduce((t, c) => t + (c.restartCount ?? 0), 0), 0);
    if (restarts) await whyRestarted(restarts);
    await k(['delete', 'workflows', '--all', '-n', NS, '--wait=false']);
    // the next measurement is of its own work: the deletions (workflows, then their pods by the garbage collector)
    // are over before it starts
    const d0 = performance.now();
    await waitFor('the workflows and their pods to be deleted', async () => wfs.list(NS).length === 0 && (await client.list(POD, NS, { labelSelector: 'workflows.argoproj.io/workflow', limit: 1 })).items.length === 0 || undefined, 30 * 60_000, 2000);
    console.log(`workflows: the ${N} workflows and their pods deleted in ${((performance.now() - d0) / 1000).toFixed(0)} s`);
  }

  // 2. a wide DAG
  // BENCH_DAG_RUNS (default 1) DAGs one after another: the controller's CPU per transition of each, and their median
  const perTransition = [];
  for (let run = 0; DAG > 0 && run < Number(process.env.BENCH_DAG_RUNS ?? 1); run++) {
    const name = run ? `bench-dag-${run}` : 'bench-dag';
    const tasks = Array.from({ length: DAG }, (_, i) => ({ name: `t${i}`, template: 'true' }));
    const t1 = performance.now();
    const dcpu0 = controllerCpuMs();
    await client.create(WF, NS, { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name }, spec: { entrypoint: 'main', templates: [{ name: 'main', dag: { tasks } }, { name: 'true', container: { image: 'busybox', command: ['sh', '-c', 'true'] } }] } });
    const w = await waitFor('the DAG to finish', async () => {
      const x = await client.get(WF, NS, name);
      return ['Succeeded', 'Failed', 'Error'].includes(x.status?.phase) ? x : undefined;
    }, 30 * 60_000, 1000);
    const dcpu = controllerCpuMs() - dcpu0;
    const dtrans = Object.keys(w.status.nodes ?? {}).length * 2;
    const restarts = (await client.list(POD, NS)).items.filter((p) => p.metadata.name.startsWith('workflow-controller')).reduce((s, p) => s + (p.status?.containerStatuses ?? []).reduce((t, c) => t + (c.restartCount ?? 0), 0), 0);
    if (restarts) await whyRestarted(restarts);
    console.log(`workflows: ${DAG}-task DAG ${w.status.phase} in ${((performance.now() - t1) / 1000).toFixed(1)} s; controller CPU ${dcpu.toFixed(0)} ms = ${(dcpu / dtrans).toFixed(2)} ms per node transition`);
    perTransition.push(dcpu / dtrans);
  }
  if (perTransition.length > 1) {
    const sorted = [...perTransition].sort((a, b) => a - b);
    console.log(`workflows: ${perTransition.length} DAGs: controller CPU per node transition median ${sorted[Math.floor(sorted.length / 2)].toFixed(2)} ms (${sorted.map((x) => x.toFixed(2)).join(', ')})`);
  }

  // 3. many workflows at once under the controller's `parallelism: 20` (issue 11: 5,000, all Succeeded, none lost,
  // controller RSS < 500 MB); BENCH_MANY=5000 for the issue's figure (about 40 min on 2 cores)
  if (MANY > 0) {
    await k(['patch', 'configmap', 'workflow-controller-configmap', '-n', NS, '--type=merge', '-p', JSON.stringify({ data: { parallelism: '20' } })]);
    await new Promise((r) => setTimeout(r, 2000));
    const t2 = performance.now();
    const rss0 = controllerRssMb();
    const made = [];
    for (let i = 0; i < MANY; i += 250) {
      made.push(...await Promise.all(Array.from({ length: Math.min(250, MANY - i) }, (_, j) => client.create(WF, NS, { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: `many-${i + j}`, labels: { bench: 'many' } }, spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'busybox', command: ['echo', `hello ${i + j}`] } }] } }))));
    }
    console.log(`workflows: ${made.length} workflows submitted in ${((performance.now() - t2) / 1000).toFixed(1)} s`);
    // (listing thousands of workflows costs the cluster CPU too: sampled less often for large runs)
    const POLL_MS = MANY > 1000 ? 15_000 : 5000;
    let maxRss = rss0, maxRunning = 0, finished = 0, phases = {}, firstDone;
    await waitFor(`${MANY} workflows to finish`, async () => {
      maxRss = Math.max(maxRss, controllerRssMb() || 0);
      const running = (await client.list(WF, NS, { labelSelector: 'bench=many,workflows.argoproj.io/phase=Running' })).items.length;
      maxRunning = Math.max(maxRunning, running);
      const items = (await client.list(WF, NS, { labelSelector: 'bench=many' })).items;
      phases = {};
      for (const w of items) phases[w.status?.phase ?? 'none'] = (phases[w.status?.phase ?? 'none'] ?? 0) + 1;
      finished = (phases.Succeeded ?? 0) + (phases.Failed ?? 0) + (phases.Error ?? 0);
      // (a controller that stalls while it holds the others back shows here: the first finished workflow comes late)
      if (finished && firstDone === undefined) firstDone = (performance.now() - t2) / 1000;
      return finished === MANY || undefined;
    }, 3 * 60 * 60_000, POLL_MS);
    const secs3 = (performance.now() - t2) / 1000;
    console.log(`workflows: ${MANY} workflows with parallelism 20 in ${secs3.toFixed(0)} s = ${((MANY / secs3) * 60).toFixed(0)}/min; phases ${JSON.stringify(phases)}; at most ${maxRunning} Running at once (sampled every ${POLL_MS / 1000} s); the first finished within ${firstDone?.toFixed(0)} s; controller RSS ${rss0.toFixed(0)} MB before, ${maxRss.toFixed(0)} MB at most (target < 500 MB)`);
  }
} finally {
  await informers.stop();
  client.close();
  await stopUp(up, 'SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
