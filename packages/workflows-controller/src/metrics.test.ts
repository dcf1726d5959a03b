// The controller's registry (kube-runtime's, served on :9090) with custom metrics in it, as Prometheus reads them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { enableMetrics } from '@flotilla/kube-runtime';
import { workflowMetrics } from './metrics.js';

test('custom metrics are served as argo_workflows_<name>: counters add, gauges set/add, histograms observe, realtime gauges follow the run; a clash is an error', async () => {
  const m = workflowMetrics(true);
  const text = () => enableMetrics().metrics();
  const errs = m.custom([
    { name: 'runs_exit_status_counter', help: 'Count of runs by exit code', type: 'counter', labels: { status: 'Failed', exit_code: '1' }, value: 1 },
    { name: 'runs_exit_status_counter', help: 'Count of runs by exit code', type: 'counter', labels: { status: 'Failed', exit_code: '1' }, value: 1 },
    { name: 'runs_exit_status_counter', help: 'Count of runs by exit code', type: 'counter', labels: { exit_code: '1', status: 'Failed' }, value: 1 },
    { name: 'queue_size', help: 'q', type: 'gauge', labels: {}, value: 5 },
    { name: 'queue_size', help: 'q', type: 'gauge', labels: {}, value: 2, operation: 'Add' },
    { name: 'step_seconds', help: 's', type: 'histogram', labels: {}, value: 3, buckets: [1, 5] },
    { name: 'live_seconds', help: 'l', type: 'gauge', labels: { wf: 'a' }, realtime: { startedAt: new Date(Date.now() - 10_000).toISOString() } },
    { name: 'queue_size', help: 'q', type: 'counter', labels: {}, value: 1 },
  ]);
  assert.deepEqual(errs, ["metric 'queue_size' is already a gauge with labels []: not emitted as a counter with []"]);
  const t = await text();
  assert.match(t, /# HELP argo_workflows_runs_exit_status_counter Count of runs by exit code\n# TYPE argo_workflows_runs_exit_status_counter counter\n/);
  assert.match(t, /argo_workflows_runs_exit_status_counter\{exit_code="1",status="Failed"\} 3\n/);
  assert.match(t, /argo_workflows_queue_size 7\n/);
  assert.match(t, /argo_workflows_step_seconds_bucket\{le="1"\} 0\nargo_workflows_step_seconds_bucket\{le="5"\} 1\n/);
  const live = Number(/argo_workflows_live_seconds\{wf="a"\} ([\d.]+)/.exec(t)?.[1]);
  assert.ok(live >= 10 && live < 60, String(live));
  // the run ends: the gauge stays at its duration
  m.custom([{ name: 'live_seconds', help: 'l', type: 'gauge', labels: { wf: 'a' }, realtime: { startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:04Z' } }]);
  assert.match(await text(), /argo_workflows_live_seconds\{wf="a"\} 4\n/);
});

test("upstream's newer counters: total_count Running, workflowtemplate_triggered_total and _runtime, cronworkflows_*, pod_pending_count", async () => {
  const m = workflowMetrics(true);
  const { phaseChanged, PendingPods } = await import('./metrics.js');
  const wf = { spec: { workflowTemplateRef: { name: 'basic' } }, status: {} as Record<string, unknown> };
  phaseChanged(m, 'argo', wf, { phase: 'Running' });
  phaseChanged(m, 'argo', { ...wf, status: { phase: 'Running' } }, { phase: 'Running' }); // no change: nothing
  phaseChanged(m, 'argo', { ...wf, status: { phase: 'Running' } }, { phase: 'Succeeded', startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:07Z' });
  phaseChanged(m, 'argo', { spec: { workflowTemplateRef: { name: 'c', clusterScope: true } } }, { phase: 'Pending' });
  m.cron('argo', 'test-cron-metric-forbid');
  m.cron('argo', 'test-cron-metric-forbid', 'Forbid');
  const pending = new PendingPods(m);
  pending.seen('argo', 'u1', "Unschedulable: 0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.");
  pending.seen('argo', 'u1', 'Unschedulable: again');
  const t = await enableMetrics().metrics();
  assert.match(t, /argo_workflows_total_count\{namespace="argo",phase="Running"\} 1\n/);
  for (const ph of ['New', 'Running', 'Succeeded']) assert.match(t, new RegExp(`argo_workflows_workflowtemplate_triggered_total\\{cluster_scope="false",name="basic",namespace="argo",phase="${ph}"\\} 1\\n`));
  assert.match(t, /argo_workflows_workflowtemplate_triggered_total\{cluster_scope="true",name="c",namespace="argo",phase="New"\} 1\n/);
  assert.match(t, /argo_workflows_workflowtemplate_runtime_count\{cluster_scope="false",name="basic",namespace="argo"\} 1\n/);
  assert.match(t, /argo_workflows_workflowtemplate_runtime_sum\{cluster_scope="false",name="basic",namespace="argo"\} 7\n/);
  assert.match(t, /argo_workflows_cronworkflows_triggered_total\{name="test-cron-metric-forbid",namespace="argo"\} 1\n/);
  assert.match(t, /argo_workflows_cronworkflows_concurrencypolicy_triggered\{concurrency_policy="Forbid",name="test-cron-metric-forbid",namespace="argo"\} 1\n/);
  assert.match(t, /argo_workflows_pod_pending_count\{namespace="argo",reason="Unschedulable"\} 1\n/);
});
