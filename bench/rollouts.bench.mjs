#!/usr/bin/env node
// The Argo Rollouts controller (issue 12 target): 50 Rollouts × 5 replicas progressing through 4
// timed steps at once — each step transition < 1 s (p99) after its pause ends; controller RSS < 300 MB.
// A real API server in this process (Flotilla's CRDs from manifests/argo-rollouts) and the controller
// in this process too (its RSS is reported as the process's, an upper bound). The steps are pauses
// (no pods run here, so setWeight steps could not complete).
//
// What is measured, per step transition: from the pause's end — its condition's startTime as the API
// server stored it (second resolution) + the duration; the end upstream's controller and this one
// compute, so a pause may last up to 1 s less than its duration, never more — to the moment a watch
// event showing the next step reaches this process. That moment is after the status write committed
// (watch delivery is included), so the figure is an upper bound of the controller's delay, not
// polled (no 50 ms sampling, no full lists loading the API server) and not rounded.
import { fileURLToPath } from 'node:url';
import { KubeClient, resourcePath } from '../packages/kube-runtime/dist/index.js';
import { startTestCluster, waitFor } from '../packages/kube-runtime/dist/testkit.js';
import { parseArgs, startControllers } from '../packages/rollouts/dist/main.js';
import { ROLLOUTS } from '../packages/rollouts/dist/resources.js';

const N = Number(process.env.BENCH_ROLLOUTS ?? 50);
const STEPS = 4;
const PAUSE = 2;
const MANIFEST = fileURLToPath(new URL('../manifests/argo-rollouts/install.yaml', import.meta.url));
const c = await startTestCluster({ prefix: 'flotilla-bench-rollouts-' });
const rssMB = () => process.memoryUsage().rss / 2 ** 20;
try {
  await c.k(['create', 'namespace', 'argo-rollouts']);
  await c.k(['apply', '-n', 'argo-rollouts', '-f', MANIFEST]);
  await waitFor('CRDs', async () => (await c.kubectl(['get', 'rollouts'])).code === 0, 30_000, 200);
  const running = await startControllers(parseArgs(['--kubeconfig', c.kubeconfig, '--metricsport', '-1', '--healthzPort', '-1']), { log: () => {} });
  const client = new KubeClient(c.kubeconfig, { qps: 1000, burst: 2000 });
  const steps = Array.from({ length: STEPS }, () => ({ pause: { duration: PAUSE } }));
  const ro = (i) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name: `r${i}`, namespace: 'default' }, spec: { replicas: 5, selector: { matchLabels: { app: `r${i}` } }, template: { metadata: { labels: { app: `r${i}` } }, spec: { containers: [{ name: 'c', image: 'argoproj/rollouts-demo:blue' }] } }, strategy: { canary: { steps } } } });
  await Promise.all(Array.from({ length: N }, (_, i) => client.create(ROLLOUTS, 'default', ro(i))));
  await waitFor('stable revisions', async () => (await client.list(ROLLOUTS, 'default')).items.filter((r) => r.status?.stableRS).length === N, 60_000, 200);
  const rv = (await client.list(ROLLOUTS, 'default')).metadata.resourceVersion;
  // every Rollout's status as the watch delivers it, with the arrival time of each step change
  const delays = [];
  const seen = new Map(); // name -> { step, pauseStart, done }
  let updating = false;
  const abort = new AbortController();
  const watching = client.watch(resourcePath(ROLLOUTS, 'default'), { resourceVersion: rv }, (ev) => {
    const at = Date.now();
    const r = ev.object;
    if (!updating || ev.type !== 'MODIFIED') return;
    const st = r.status ?? {};
    // still on the old template (the controller has not seen the change yet)
    if (st.currentPodHash === st.stableRS || String(r.metadata.generation) !== st.observedGeneration) return;
    const prev = seen.get(r.metadata.name);
    const step = st.currentStepIndex ?? 0;
    if (prev && step > prev.step && prev.pauseStart) delays.push(at - (Date.parse(prev.pauseStart) + PAUSE * 1000));
    const pauseStart = st.pauseConditions?.find((p) => p.reason === 'CanaryPauseStep')?.startTime;
    seen.set(r.metadata.name, { step, pauseStart: step === prev?.step ? prev?.pauseStart ?? pauseStart : pauseStart, done: step >= STEPS });
  }, abort.signal);
  let peak = rssMB();
  const sampler = setInterval(() => (peak = Math.max(peak, rssMB())), 100);
  const t0 = Date.now();
  updating = true;
  await Promise.all(Array.from({ length: N }, (_, i) => client.patch(ROLLOUTS, 'default', `r${i}`, [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'argoproj/rollouts-demo:yellow' }], 'json')));
  await waitFor('all rollouts past their steps', async () => seen.size === N && [...seen.values()].every((s) => s.done), 120_000, 20);
  const total = Date.now() - t0;
  clearInterval(sampler);
  abort.abort();
  await watching.catch(() => {});
  delays.sort((a, b) => a - b);
  const p = (q) => delays[Math.min(delays.length - 1, Math.floor(q * delays.length))];
  console.log(`rollouts: ${N} rollouts × ${STEPS} paused steps of ${PAUSE} s: ${delays.length} transitions, from the pause end (stored startTime + duration) to the watch event of the next step: p50 ${p(0.5)} ms, p99 ${p(0.99)} ms, max ${delays.at(-1)} ms, min ${delays[0]} ms (target p99 < 1000 ms); all done in ${(total / 1000).toFixed(1)} s; process RSS peak ${peak.toFixed(0)} MB (API server + controller; target controller < 300 MB)`);
  client.close();
  await running.stop();
} finally {
  await c.close();
}
