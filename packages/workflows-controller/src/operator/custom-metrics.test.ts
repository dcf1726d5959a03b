import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate } from '../simulate.js';
import { validateWorkflow } from '../validate.js';
import { evaluateMetrics, metricsError } from './custom-metrics.js';
import type { Workflow } from '../types.js';

const all = (r: ReturnType<typeof simulate>) => r.plans.flatMap((p) => p.metrics ?? []);

test("upstream's TestRetryMetrics: a retried template's metric is emitted per attempt, with {{exitCode}} and {{status}}", () => {
  const wf = {
    metadata: { name: 'workflow-retry-metrics' },
    spec: {
      entrypoint: 'main',
      templates: [
        { name: 'main', steps: [[{ name: 'runTest', template: 'run-test', continueOn: { error: true, failed: true } }]] },
        {
          name: 'run-test', retryStrategy: { limit: '2' }, container: { image: 'argoproj/argosay:v2', command: ['sh', '-c'], args: ['exit 1'] },
          metrics: { prometheus: [{ name: 'runs_exit_status_counter', help: 'Count of runs by exit code', labels: [{ key: 'exit_code', value: '{{exitCode}}' }, { key: 'status', value: '{{status}}' }], counter: { value: '1' } }] },
        },
      ],
    },
  } as unknown as Workflow;
  const r = simulate(wf, { run: () => ({ phase: 'Failed', exitCode: 1 }) });
  assert.equal(r.workflow.status!.phase, 'Succeeded');
  assert.deepEqual(all(r), Array(3).fill({ name: 'runs_exit_status_counter', help: 'Count of runs by exit code', type: 'counter', labels: { exit_code: '1', status: 'Failed' }, value: 1 }));
});

test("upstream's TestFailedMetric: a DAG template's metric with `when: '{{status}} == Failed'`; a workflow's spec.metrics at its end", () => {
  const wf = {
    metadata: { name: 'failed-metric' },
    spec: {
      entrypoint: 'dag-task',
      metrics: { prometheus: [{ name: 'wf_duration', help: 'how long', labels: [{ key: 'phase', value: '{{workflow.status}}' }], gauge: { value: '{{workflow.duration}}' } }] },
      templates: [
        { name: 'dag-task', dag: { tasks: [{ name: 'a', template: 'fail', withItems: [1, 2] }] }, metrics: { prometheus: [{ name: 'dagtask_workflow_failure', help: 'DAG Task Workflow failed', when: '{{status}} == Failed', counter: { value: '1' } }] } },
        { name: 'fail', container: { image: 'alpine', command: ['false'] } },
      ],
    },
  } as unknown as Workflow;
  const r = simulate(wf, { run: () => ({ phase: 'Failed', exitCode: 1 }) });
  assert.equal(r.workflow.status!.phase, 'Failed');
  const m = all(r);
  assert.deepEqual(m.filter((x) => x.name === 'dagtask_workflow_failure').map((x) => [x.labels, x.value]), [[{}, 1]]);
  const d = m.filter((x) => x.name === 'wf_duration');
  assert.equal(d.length, 1);
  assert.deepEqual(d[0]!.labels, { phase: 'Failed' });
  assert.ok(Number.isFinite(d[0]!.value) && d[0]!.value! >= 0, String(d[0]!.value));
  // when false: nothing
  const ok = simulate(wf, { run: () => ({ phase: 'Succeeded' }) });
  assert.deepEqual(all(ok).filter((x) => x.name === 'dagtask_workflow_failure'), []);
});

test('gauges, histograms, outputs and inputs in values; realtime gauges while running; bad values are errors, not emissions', () => {
  const scope = { status: 'Succeeded', duration: '2.5', 'outputs.result': '7', 'inputs.parameters.x': 'hello' };
  const metrics = { prometheus: [
    { name: 'result_gauge', help: 'h', labels: [{ key: 'x', value: '{{inputs.parameters.x}}' }], gauge: { value: '{{outputs.result}}', operation: 'Add' } },
    { name: 'dur', help: 'h', histogram: { value: '{{duration}}', buckets: [1, '5', 10] } },
    { name: 'live', help: 'h', gauge: { value: '{{duration}}', realtime: true } },
    { name: 'bad', help: 'h', counter: { value: '{{outputs.result}}x' } },
    { name: 'unknown', help: 'h', counter: { value: '{{outputs.parameters.nope}}' } },
  ] };
  const done = evaluateMetrics(metrics, scope, { startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:02Z' }, false);
  assert.deepEqual(done.emit.map((m) => [m.name, m.type, m.value, m.labels, m.operation, m.buckets, m.realtime]), [
    ['result_gauge', 'gauge', 7, { x: 'hello' }, 'Add', undefined, undefined],
    ['dur', 'histogram', 2.5, {}, undefined, [1, 5, 10], undefined],
    ['live', 'gauge', undefined, {}, undefined, undefined, { startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:02Z' }],
  ]);
  assert.deepEqual(done.errors, ["metric 'bad': value '7x' is not a number", "metric 'unknown': failed to resolve {{outputs.parameters.nope}}"]);
  const running = evaluateMetrics(metrics, scope, { startedAt: '2026-01-01T00:00:00Z' }, true);
  assert.deepEqual(running.emit.map((m) => [m.name, m.realtime]), [['live', { startedAt: '2026-01-01T00:00:00Z' }]]);
});

test('validation: a bad metric name, no help, two kinds, a realtime gauge whose value is not the duration', () => {
  assert.equal(metricsError({ prometheus: [{ name: 'ok_name', help: 'h', counter: { value: '1' } }] }), undefined);
  assert.match(metricsError({ prometheus: [{ name: 'bad-name', help: 'h', counter: { value: '1' } }] })!, /metric name 'bad-name' is invalid/);
  assert.match(metricsError({ prometheus: [{ name: 'x', counter: { value: '1' } }] })!, /must contain a help string/);
  assert.match(metricsError({ prometheus: [{ name: 'x', help: 'h', counter: { value: '1' }, gauge: { value: '1' } }] })!, /exactly one of gauge, counter or histogram/);
  assert.match(metricsError({ prometheus: [{ name: 'x', help: 'h', gauge: { value: '1', realtime: true } }] })!, /is realtime/);
  const wf = { metadata: { name: 'v' }, spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'a' }, metrics: { prometheus: [{ name: 'a b', help: 'h', counter: { value: '1' } }] } }] } } as unknown as Workflow;
  assert.match(validateWorkflow(wf).map((e) => e.message).join('\n'), /templates\.main\.metrics: metric name 'a b' is invalid/);
});
