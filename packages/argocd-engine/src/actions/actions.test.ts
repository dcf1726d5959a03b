// Resource actions: the built-ins from their documented behaviour, and Lua actions from an
// argocd-cm written for these tests (testdata/argocd-cm.yaml), through real Lua.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { listActions, runAction, ActionError } from './index.js';
import type { KubeObject } from '../types.js';

const CM = parse(readFileSync(fileURLToPath(new URL('../../src/actions/testdata/argocd-cm.yaml', import.meta.url)), 'utf8')) as { data: Record<string, string> };
const overrides = new Map(
  Object.entries(CM.data).map(([k, v]) => {
    const gk = k.slice('resource.customizations.actions.'.length);
    const i = gk.lastIndexOf('_');
    return [`${gk.slice(0, i)}/${gk.slice(i + 1)}`, { actions: v }];
  }),
);
const NOW = new Date('2026-03-04T05:06:07.890Z');
const names = (l: { name: string; disabled?: boolean }[]) => l.map((a) => `${a.name}${a.disabled ? ' (disabled)' : ''}`);

const deployment = (extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop', uid: 'u-web' },
  spec: { replicas: 2, template: { spec: { containers: [{ name: 'web', image: 'nginx' }] } }, ...extra },
});
const rollout = (status: Record<string, unknown>, spec: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'demo', namespace: 'shop', uid: 'u-demo' },
  spec: { replicas: 2, ...spec },
  status,
});
const cronJob: KubeObject = {
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'nightly', namespace: 'shop', uid: 'u-nightly' },
  spec: { schedule: '0 3 * * *', jobTemplate: { metadata: { labels: { team: 'ops' } }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'b', image: 'busybox' }] } } } } },
};

test('built-in Deployment actions: restart, pause/resume by state, scale with a parameter', async () => {
  assert.deepEqual(names(await listActions(deployment())), ['pause', 'restart', 'resume (disabled)', 'scale']);
  assert.deepEqual(names(await listActions(deployment({ paused: true }))), ['pause (disabled)', 'restart', 'resume', 'scale']);
  const { impacted } = await runAction(deployment(), 'restart', undefined, undefined, { now: NOW });
  assert.equal(impacted.length, 1);
  assert.equal(impacted[0]!.operation, 'patch');
  assert.deepEqual((impacted[0]!.obj.spec as any).template.metadata.annotations, { 'kubectl.kubernetes.io/restartedAt': '2026-03-04T05:06:07Z' });
  assert.equal((await runAction(deployment(), 'pause')).impacted[0]!.obj.spec!['paused' as never], true);
  assert.equal(((await runAction(deployment({ paused: true }), 'resume')).impacted[0]!.obj.spec as any).paused, undefined);
  await assert.rejects(runAction(deployment(), 'resume'), /action resume is disabled for apps\/Deployment web/);
  assert.equal(((await runAction(deployment(), 'scale', undefined, [{ name: 'replicas', value: '5' }])).impacted[0]!.obj.spec as any).replicas, 5);
  await assert.rejects(runAction(deployment(), 'scale', undefined, { replicas: '-1' }), /replicas as a whole number >= 0 \(got "-1"\)/);
  await assert.rejects(runAction(deployment(), 'explode'), (e) => e instanceof ActionError && /"explode" is not available for apps\/Deployment web/.test(e.message));
});

test('built-in StatefulSet/DaemonSet restart', async () => {
  for (const kind of ['StatefulSet', 'DaemonSet']) {
    const o: KubeObject = { apiVersion: 'apps/v1', kind, metadata: { name: 'x', namespace: 'n' }, spec: { template: { metadata: { annotations: { keep: 'me' } } } } };
    assert.ok(names(await listActions(o)).includes('restart'));
    const out = (await runAction(o, 'restart', undefined, undefined, { now: NOW })).impacted[0]!.obj;
    assert.deepEqual((out.spec as any).template.metadata.annotations, { keep: 'me', 'kubectl.kubernetes.io/restartedAt': '2026-03-04T05:06:07Z' });
    assert.deepEqual((o.spec as any).template.metadata.annotations, { keep: 'me' }, 'the input is not modified');
  }
});

test('built-in Rollout actions', async () => {
  const paused = rollout({ phase: 'Paused', pauseConditions: [{ reason: 'CanaryPauseStep' }] });
  assert.deepEqual(names(await listActions(paused)), ['abort', 'pause', 'promote-full', 'restart', 'resume', 'retry (disabled)', 'skip-current-step (disabled)']);
  const resumed = (await runAction(paused, 'resume')).impacted[0]!.obj;
  assert.equal((resumed.status as any).pauseConditions, undefined);
  const aborted = (await runAction(paused, 'abort')).impacted[0]!.obj;
  assert.equal((aborted.status as any).abort, true);
  assert.deepEqual(names(await listActions(aborted)), ['abort (disabled)', 'pause', 'promote-full (disabled)', 'restart', 'resume', 'retry', 'skip-current-step (disabled)']);
  assert.equal(((await runAction(aborted, 'retry')).impacted[0]!.obj.status as any).abort, false);
  assert.equal(((await runAction(paused, 'promote-full')).impacted[0]!.obj.status as any).promoteFull, true);
  assert.equal(((await runAction(paused, 'restart', undefined, undefined, { now: NOW })).impacted[0]!.obj.spec as any).restartAt, '2026-03-04T05:06:07Z');
  await assert.rejects(runAction(rollout({ phase: 'Healthy' }), 'resume'), /disabled/);
  const canary = rollout({ phase: 'Paused', currentStepIndex: 1, pauseConditions: [{ reason: 'CanaryPauseStep' }] }, { strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 60 }] } } });
  assert.ok(names(await listActions(canary)).includes('skip-current-step'));
  const skipped = (await runAction(canary, 'skip-current-step')).impacted[0]!.obj.status as any;
  assert.equal(skipped.currentStepIndex, 2);
  assert.equal(skipped.pauseConditions, undefined);
  const last = rollout({ phase: 'Healthy', currentStepIndex: 3 }, { strategy: { canary: { steps: [{}, {}, {}] } } });
  assert.ok(names(await listActions(last)).includes('skip-current-step (disabled)'), 'nothing to skip after the last step');
});

test('built-in CronJob create-job, CronWorkflow/WorkflowTemplate create-workflow', async () => {
  const { impacted } = await runAction(cronJob, 'create-job', undefined, undefined, { now: NOW });
  assert.equal(impacted.length, 1);
  assert.equal(impacted[0]!.operation, 'create');
  assert.deepEqual(impacted[0]!.obj, {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: 'nightly-202603040506',
      namespace: 'shop',
      labels: { team: 'ops' },
      annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly', uid: 'u-nightly', controller: true, blockOwnerDeletion: true }],
    },
    spec: (cronJob.spec as any).jobTemplate.spec,
  });
  const cwf: KubeObject = { apiVersion: 'argoproj.io/v1alpha1', kind: 'CronWorkflow', metadata: { name: 'hello', namespace: 'argo', uid: 'u-h' }, spec: { schedule: '* * * * *', workflowSpec: { entrypoint: 'main' } } };
  const wf = (await runAction(cwf, 'create-workflow', undefined, undefined, { now: NOW })).impacted[0]!;
  assert.equal(wf.operation, 'create');
  assert.equal(wf.obj.kind, 'Workflow');
  assert.deepEqual(wf.obj.spec, { entrypoint: 'main' });
  assert.equal(wf.obj.metadata!.labels!['workflows.argoproj.io/cron-workflow'], 'hello');
  const tpl: KubeObject = { apiVersion: 'argoproj.io/v1alpha1', kind: 'WorkflowTemplate', metadata: { name: 'build', namespace: 'argo' }, spec: {} };
  assert.deepEqual((await runAction(tpl, 'create-workflow', undefined, undefined, { now: NOW })).impacted[0]!.obj.spec, { workflowTemplateRef: { name: 'build' } });
});

test('Lua actions replace the built-ins of a kind; discovery decides what is enabled', async () => {
  assert.deepEqual(names(await listActions(cronJob)), ['create-job', 'resume (disabled)', 'suspend']);
  const list = await listActions(cronJob, overrides);
  assert.deepEqual(names(list), ['resume (disabled)', 'run-now', 'suspend']);
  assert.deepEqual(list.find((a) => a.name === 'suspend'), { name: 'suspend', disabled: false, iconClass: 'fa fa-fw fa-pause' });
  assert.equal(list.find((a) => a.name === 'run-now')?.displayName, 'Run now');
  const suspended = (await runAction(cronJob, 'suspend', overrides)).impacted;
  assert.deepEqual(suspended.map((i) => i.operation), ['patch']);
  assert.equal((suspended[0]!.obj.spec as any).suspend, true);
  await assert.rejects(runAction(cronJob, 'create-job', overrides), /"create-job" is not available for batch\/CronJob nightly/);
});

test('Lua actions returning impacted resources (create + patch)', async () => {
  const { impacted } = await runAction(cronJob, 'run-now', overrides);
  assert.deepEqual(impacted.map((i) => `${i.operation} ${i.obj.kind}/${i.obj.metadata!.name}`), ['create Job/nightly-manual-202601010000', 'patch CronJob/nightly']);
  const job = impacted[0]!.obj;
  assert.equal(job.metadata!.namespace, 'shop', 'a created resource defaults to the namespace of the source');
  assert.deepEqual(job.spec, (cronJob.spec as any).jobTemplate.spec);
  assert.deepEqual(impacted[1]!.obj.metadata!.annotations, { 'flotilla.dev/last-manual-run': 'nightly-manual-202601010000' });
});

test('mergeBuiltinActions keeps the built-ins next to Lua ones; parameters reach actionParams', async () => {
  assert.deepEqual(names(await listActions(deployment(), overrides)), ['pause', 'restart', 'resume (disabled)', 'scale', 'scale-to-zero']);
  assert.equal(((await runAction(deployment(), 'scale-to-zero', overrides)).impacted[0]!.obj.spec as any).replicas, 0);
  assert.ok((await runAction(deployment(), 'restart', overrides)).impacted.length === 1);
  const widget: KubeObject = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'n' }, spec: { rpm: 1 } };
  assert.deepEqual(await listActions(widget, overrides), [{ name: 'set-speed', params: [{ name: 'rpm', type: 'number', default: '10' }] }]);
  assert.equal(((await runAction(widget, 'set-speed', overrides, { rpm: '42' })).impacted[0]!.obj.spec as any).rpm, 42);
});

test('bad scripts and bad customisations give clear ActionErrors', async () => {
  const broken: KubeObject = { apiVersion: 'example.com/v1', kind: 'Broken', metadata: { name: 'b', namespace: 'n' }, spec: {} };
  await assert.rejects(listActions(broken, overrides), (e) => e instanceof ActionError && e.message === 'discovery.lua:1: discovery exploded');
  await assert.rejects(runAction(broken, 'spin', overrides, undefined, { timeoutMs: 100 }), /spin\/action\.lua: lua script timeout exceeded/);
  await assert.rejects(runAction(broken, 'bad-op', overrides), /impacted resource 1 has operation "delete" \(expected "create" or "patch"\)/);
  await assert.rejects(runAction(broken, 'nothing', overrides), /action nothing must return the modified object or a list of impacted resources, not nil/);
  await assert.rejects(listActions(broken, { 'example.com/Broken': { actions: 'definitions: [' } }), /actions customization of example.com\/Broken is not valid YAML/);
  await assert.rejects(listActions(broken, { 'example.com/Broken': { actions: '- a' } }), /must be a mapping/);
  assert.deepEqual(await listActions({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }), []);
});
