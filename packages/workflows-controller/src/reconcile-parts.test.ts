// Tables for the reconciler's pure parts: the controller ConfigMap, pod observations, CronWorkflow plans.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseControllerConfig, resolveArtifactRepository, retentionVictims } from './config.js';
import { observePod, observePodCached, podObservationChanged } from './observe.js';
import { cronPlan, dueTimes, workflowFor } from './cron.js';
import { leveledLog, parseFlags, UsageError } from './main.js';

test('controller ConfigMap: upstream keys parse from YAML text; garbage names the key', () => {
  const c = parseControllerConfig({
    parallelism: '10', namespaceParallelism: '"3"',
    executor: 'image: flotilla/flotilla\nresources:\n  requests:\n    cpu: 10m\n',
    images: 'argoproj/argosay:v2:\n  command: [/argosay]\n',
    workflowDefaults: 'spec:\n  ttlStrategy:\n    secondsAfterCompletion: 60\n',
    artifactRepository: 's3:\n  bucket: my-bucket\n  endpoint: minio:9000\n',
    metricsConfig: 'enabled: true\nport: 9090\n',
    links: '- name: x\n  url: y\n',
  });
  assert.equal(c.parallelism, 10);
  assert.equal(c.namespaceParallelism, 3);
  assert.equal(c.executor?.image, 'flotilla/flotilla');
  assert.deepEqual(c.images?.['argoproj/argosay:v2']?.command, ['/argosay']);
  assert.deepEqual(c.workflowDefaults?.spec?.ttlStrategy, { secondsAfterCompletion: 60 });
  assert.equal((c.artifactRepository?.s3 as { bucket: string }).bucket, 'my-bucket');
  assert.deepEqual(parseControllerConfig({ config: 'parallelism: 4\nexecutor:\n  image: x\n' }), { parallelism: 4, executor: { image: 'x' } });
  const bad: [Record<string, string>, RegExp][] = [
    [{ parallelism: 'many' }, /^parallelism: expected a non-negative number/],
    [{ executor: 'image: [unclosed' }, /^executor: /],
    [{ executor: '- a\n- b' }, /^executor: expected a map/],
    [{ images: 'busybox: 3' }, /^images: busybox/],
  ];
  for (const [data, re] of bad) assert.throws(() => parseControllerConfig(data), (e: Error) => e instanceof ConfigError && re.test(e.message), JSON.stringify(data));
});

test('artifact repository: the workflow ref, the namespace default (annotation), then the controller default', () => {
  const cms: Record<string, any> = {
    'artifact-repositories': { metadata: { annotations: { 'workflows.argoproj.io/default-artifact-repository': 'default-v1' } }, data: { 'default-v1': 's3:\n  bucket: a\n', 'my-key': 's3:\n  bucket: b\n' } },
  };
  const get = (n: string) => cms[n];
  assert.deepEqual(resolveArtifactRepository(undefined, 'argo', get, { s3: { bucket: 'c' } }).repository, { s3: { bucket: 'a' } });
  assert.deepEqual(resolveArtifactRepository({ key: 'my-key' }, 'argo', get, undefined).repository, { s3: { bucket: 'b' } });
  assert.deepEqual(resolveArtifactRepository(undefined, 'argo', () => undefined, { s3: { bucket: 'c' } }).repository, { s3: { bucket: 'c' } });
  assert.match(resolveArtifactRepository({ configMap: 'nope' }, 'argo', get, undefined).error!, /configmap argo\/nope not found/);
  assert.match(resolveArtifactRepository({ key: 'zz' }, 'argo', get, undefined).error!, /has no key "zz"/);
  assert.deepEqual(resolveArtifactRepository(undefined, 'argo', () => undefined, undefined), {});
});

const NOW = new Date('2026-01-01T00:00:30Z');
const pod = (phase: string, statuses: object[], extra: object = {}) => ({ metadata: { name: 'p' }, spec: { nodeName: 'n1', containers: [{ name: 'wait' }, { name: 'main' }] }, status: { phase, podIP: '10.0.0.9', containerStatuses: statuses, ...extra } });
const term = (name: string, exitCode: number, finishedAt = '2026-01-01T00:00:10Z') => ({ name, state: { terminated: { exitCode, finishedAt } } });
const result = (outputs: object, extra: object = {}) => ({ metadata: { name: 'n', labels: { 'workflows.argoproj.io/report-outputs-completed': 'true' } }, outputs, ...extra });

test('pod observations remembered per pod object: the same objects give the same answer; a new task result, or an answer that depends on the time, is worked out again', () => {
  const done = pod('Succeeded', [term('wait', 0), term('main', 0)]);
  const r1 = result({ result: 'a' });
  const first = observePodCached(done, r1, NOW);
  assert.equal(observePodCached(done, r1, new Date('2030-01-01T00:00:00Z')), first, 'the same pod and result: the same observation');
  assert.deepEqual(first, observePod(done, r1, NOW));
  const r2 = result({ result: 'b' });
  assert.equal(observePodCached(done, r2, NOW).obs.outputs?.result, 'b', 'a new task result is observed');
  // finished, its result not in: waiting for it depends on how long ago it finished
  const waiting = pod('Succeeded', [term('wait', 0), term('main', 0)]);
  assert.equal(observePodCached(waiting, undefined, NOW).awaitingResult, true);
  assert.equal(observePodCached(waiting, undefined, new Date('2026-01-01T01:00:00Z')).awaitingResult, undefined, 'the grace ran out: not the remembered answer');
  // an observation stamped with the time (a pod that cannot start) is not remembered
  const pull = pod('Pending', [{ name: 'main', state: { waiting: { reason: 'ErrImagePull', message: 'no such image' } } }]);
  assert.equal(observePodCached(pull, undefined, NOW).obs.finishedAt, NOW.toISOString());
  const later = new Date('2026-01-01T00:05:00Z');
  assert.equal(observePodCached(pull, undefined, later).obs.finishedAt, later.toISOString());
});

test("a failed main's termination message follows its reason and exit code (cannot-start-workflow: 'executable file not found')", () => {
  const said = 'exec: "invalid": executable file not found in $PATH';
  const o = observePod(pod('Failed', [term('wait', 0), { name: 'main', state: { terminated: { exitCode: 127, reason: 'Error', message: said, finishedAt: '2026-01-01T00:00:10Z' } } }], { }), result({}), NOW);
  assert.deepEqual([o.obs.phase, o.obs.exitCode, o.obs.message], ['Failed', 127, `Error (exit code 127): ${said}`]);
  // the task result's message comes first
  const t = observePod(pod('Failed', [term('wait', 0), { name: 'main', state: { terminated: { exitCode: 1, reason: 'Error', message: 'x', finishedAt: '2026-01-01T00:00:10Z' } } }]), result({}, { message: 'from wait' }), NOW);
  assert.equal(t.obs.message, 'from wait');
});

test('pod observations: phases, exit code of main, outputs from the task result, cannot-start reasons', () => {
  assert.deepEqual(observePod(pod('Pending', []), undefined, NOW).obs, { phase: 'Pending', hostNodeName: 'n1', podIP: '10.0.0.9' });
  assert.equal(observePod(pod('Running', [{ name: 'main', state: { running: {} } }]), undefined, NOW).obs.phase, 'Running');
  const ok = observePod(pod('Succeeded', [term('wait', 0), term('main', 0)]), result({ result: 'heads', parameters: [{ name: 'x', value: '1' }], exitCode: '0' }), NOW);
  assert.deepEqual(ok.obs, { phase: 'Succeeded', hostNodeName: 'n1', podIP: '10.0.0.9', exitCode: 0, finishedAt: '2026-01-01T00:00:10Z', outputs: { result: 'heads', parameters: [{ name: 'x', value: '1' }] } });
  const failed = observePod(pod('Failed', [term('wait', 0), term('main', 3)]), result({}), NOW);
  assert.deepEqual([failed.obs.phase, failed.obs.exitCode, failed.obs.message], ['Failed', 3, undefined]);
  // finished, result not in yet: wait for it (a while)
  const early = observePod(pod('Succeeded', [term('wait', 0, '2026-01-01T00:00:29Z'), term('main', 0, '2026-01-01T00:00:29Z')]), undefined, NOW);
  assert.deepEqual([early.obs.phase, early.awaitingResult], ['Running', true]);
  const waitOk = observePod(pod('Succeeded', [term('wait', 0), term('main', 0)]), undefined, NOW);
  assert.deepEqual([waitOk.obs.phase, waitOk.awaitingResult], ['Running', true], 'wait exited 0: its result is coming');
  // a pod whose `wait` reports nothing (the controller set FLOTILLA_NOTHING_TO_REPORT): done from its status alone
  const quiet = (phase: string, statuses: object[]) => {
    const p = pod(phase, statuses);
    p.spec.containers[0] = { name: 'wait', env: [{ name: 'FLOTILLA_NOTHING_TO_REPORT', value: 'true' }] } as any;
    return p;
  };
  const quietOk = observePod(quiet('Succeeded', [term('wait', 0, '2026-01-01T00:00:29Z'), term('main', 0, '2026-01-01T00:00:29Z')]), undefined, NOW);
  assert.deepEqual([quietOk.obs.phase, quietOk.obs.exitCode, quietOk.awaitingResult], ['Succeeded', 0, undefined]);
  const quietFailed = observePod(quiet('Failed', [term('wait', 0, '2026-01-01T00:00:29Z'), term('main', 2, '2026-01-01T00:00:29Z')]), undefined, NOW);
  assert.deepEqual([quietFailed.obs.phase, quietFailed.obs.exitCode, quietFailed.awaitingResult], ['Failed', 2, undefined]);
  const late = observePod(pod('Succeeded', [term('wait', 0, '2026-01-01T00:00:00Z'), term('main', 0, '2026-01-01T00:00:00Z')]), undefined, new Date('2026-01-01T00:01:01Z'));
  assert.equal(late.obs.phase, 'Succeeded');
  const noWait = observePod(pod('Succeeded', [term('main', 0)]), undefined, NOW);
  assert.equal(noWait.obs.phase, 'Succeeded', 'no wait container: 10 s grace');
  const waitFailed = observePod(pod('Failed', [term('wait', 1, '2026-01-01T00:00:29Z'), term('main', 0, '2026-01-01T00:00:29Z')]), undefined, NOW);
  assert.deepEqual([waitFailed.obs.phase, waitFailed.obs.message], ['Error', 'wait container failed (exit code 1)']);
  const pull = observePod(pod('Pending', [{ name: 'main', image: 'nope:1', state: { waiting: { reason: 'ErrImagePull', message: 'image "nope:1" is not in the image table' } } }]), undefined, NOW);
  assert.deepEqual([pull.obs.phase, pull.obs.message, pull.kill], ['Error', 'ErrImagePull: image "nope:1" is not in the image table', true]);
  const init = observePod(pod('Failed', [], { initContainerStatuses: [{ name: 'init', state: { terminated: { exitCode: 1, message: 'failed to load artifact: connect ECONNREFUSED minio:9000' } } }] }), undefined, NOW);
  assert.deepEqual([init.obs.phase, init.obs.message], ['Error', 'failed to load artifact: connect ECONNREFUSED minio:9000']);
  const trFailed = observePod(pod('Succeeded', [term('wait', 0), term('main', 0)]), result({}, { phase: 'Error', message: 'failed to save outputs: s3 endpoint minio:9000 unreachable' }), NOW);
  assert.deepEqual([trFailed.obs.phase, trFailed.obs.message], ['Error', 'failed to save outputs: s3 endpoint minio:9000 unreachable']);
  assert.equal(observePod(pod('Failed', [term('wait', 0), term('main', 0)], { reason: 'DeadlineExceeded' }), result({}), NOW).obs.message, 'Pod was active on the node longer than the specified deadline');
});

const cw = (spec: object, status: object = {}) => ({ metadata: { name: 'hello', namespace: 'argo', uid: 'c1', creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { workflowSpec: { entrypoint: 'm' }, ...spec }, status });
const child = (name: string, phase: string | undefined, finishedAt = '') => ({ metadata: { name, namespace: 'argo', uid: name, creationTimestamp: finishedAt }, status: phase ? { phase, finishedAt } : {} });

test('pod events worth a reconcile: a change of what the controller observes or a deletion; conditions, readiness and its own label are not', () => {
  let rv = 0;
  const pod = (status: Record<string, unknown>, meta: Record<string, unknown> = {}) => ({ metadata: { name: 'p', resourceVersion: String(++rv), labels: { 'workflows.argoproj.io/workflow': 'w' }, ...meta }, spec: { nodeName: 'n1', containers: [{ name: 'wait' }, { name: 'main' }] }, status });
  const waiting = { state: { waiting: { reason: 'PodInitializing' } } };
  const running = { state: { running: { startedAt: '2026-01-01T00:00:01Z' } } };
  const done = (exitCode: number) => ({ state: { terminated: { exitCode, finishedAt: '2026-01-01T00:00:03Z' } } });
  const pending = pod({ phase: 'Pending', initContainerStatuses: [{ name: 'init', ...waiting }], containerStatuses: [{ name: 'wait', ...waiting }, { name: 'main', ...waiting }] });
  const initRunning = pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }], initContainerStatuses: [{ name: 'init', ...running }], containerStatuses: [{ name: 'wait', ...waiting }, { name: 'main', ...waiting }] });
  const started = pod({ phase: 'Running', podIP: '10.0.0.5', startTime: '2026-01-01T00:00:00Z', initContainerStatuses: [{ name: 'init', ...done(0) }], containerStatuses: [{ name: 'wait', ...running }, { name: 'main', ...running }] });
  const ready = { ...started, metadata: { ...started.metadata, resourceVersion: String(++rv) }, status: { ...started.status, conditions: [{ type: 'Ready', status: 'True' }] } };
  const labelled = { ...ready, metadata: { ...ready.metadata, resourceVersion: String(++rv), labels: { ...ready.metadata.labels, 'workflows.argoproj.io/completed': 'true' } } };
  const mainDone = pod({ phase: 'Running', podIP: '10.0.0.5', startTime: '2026-01-01T00:00:00Z', initContainerStatuses: [{ name: 'init', ...done(0) }], containerStatuses: [{ name: 'wait', ...running }, { name: 'main', ...done(1) }] });
  const failed = pod({ ...mainDone.status, phase: 'Failed', containerStatuses: [{ name: 'wait', ...done(0) }, { name: 'main', ...done(1) }] });
  const deleting = { ...failed, metadata: { ...failed.metadata, resourceVersion: String(++rv), deletionTimestamp: '2026-01-01T00:00:04Z' } };
  assert.equal(podObservationChanged(pending, initRunning), false, 'init running, still Pending');
  assert.equal(podObservationChanged(initRunning, started), true, 'Running with an address');
  assert.equal(podObservationChanged(started, ready), false, 'Ready condition');
  assert.equal(podObservationChanged(ready, labelled), false, "the controller's completed label");
  assert.equal(podObservationChanged(labelled, mainDone), true, "main's exit code");
  assert.equal(podObservationChanged(mainDone, failed), true, 'the pod ended');
  assert.equal(podObservationChanged(failed, deleting), true, 'deleted');
  assert.equal(podObservationChanged(failed, failed), false, 'the same version (a resync)');
});

test('cron: due times with time zones and several schedules', () => {
  const { due, next } = dueTimes(['*/5 * * * *', '2 * * * *'], undefined, new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T00:06:00Z'));
  assert.deepEqual([due?.toISOString(), next?.toISOString()], ['2026-01-01T00:05:00.000Z', '2026-01-01T00:10:00.000Z']);
  const tz = dueTimes(['0 9 * * *'], 'America/Los_Angeles', new Date('2026-01-01T00:00:00Z'), new Date('2026-01-02T00:00:00Z'));
  assert.equal(tz.due?.toISOString(), '2026-01-01T17:00:00.000Z');
});

test('cron: runs when due, concurrencyPolicy, suspend, deadline, history limits, the workflow it starts', () => {
  const at = (s: string) => new Date(`2026-01-01T00:${s}Z`);
  const p = cronPlan(cw({ schedules: ['* * * * *'] }), [], at('01:02'));
  assert.equal(p.run?.toISOString(), '2026-01-01T00:01:00.000Z');
  assert.equal(p.status.lastScheduledTime, '2026-01-01T00:01:00Z');
  assert.equal(p.requeueAfterMs, 58_000 + 20);
  // a child the (stale) status does not show yet counts as scheduled: Replace does not replace it
  const seen = cronPlan(cw({ schedule: '* * * * *', concurrencyPolicy: 'Replace' }), [{ ...child('hello-1767225660', 'Running'), metadata: { name: 'hello-1767225660', namespace: 'argo', annotations: { 'workflows.argoproj.io/scheduled-time': '2026-01-01T00:01:00Z' } } }], at('01:02'));
  assert.deepEqual([seen.run, seen.delete], [undefined, []]);
  // already scheduled: nothing to do
  assert.equal(cronPlan(cw({ schedules: ['* * * * *'] }, { lastScheduledTime: '2026-01-01T00:01:00Z' }), [], at('01:30')).run, undefined);
  assert.equal(cronPlan(cw({ schedule: '* * * * *', suspend: true }), [], at('01:02')).run, undefined);
  const forbid = cronPlan(cw({ schedule: '* * * * *', concurrencyPolicy: 'Forbid' }), [child('hello-1', 'Running')], at('01:02'));
  assert.equal(forbid.run, undefined);
  assert.match(forbid.skipped!, /Forbid/);
  assert.equal(forbid.policy, 'Forbid', 'counted in cronworkflows_concurrencypolicy_triggered');
  // upstream's TestBasicForbid: a skipped schedule is not a scheduled time (lastScheduledTime stays), and it is not
  // run later once the running one ends: the next pass looks after it
  assert.equal(forbid.status.lastScheduledTime, undefined);
  assert.equal(forbid.considered?.toISOString(), '2026-01-01T00:01:00.000Z');
  assert.equal(cronPlan(cw({ schedule: '* * * * *', concurrencyPolicy: 'Forbid' }), [child('hello-1', 'Succeeded', 'x')], at('01:20'), forbid.considered!.getTime()).run, undefined);
  // a schedule passed while suspended is not run on resume
  const susp = cronPlan(cw({ schedule: '* * * * *', suspend: true }), [], at('01:02'));
  assert.equal(cronPlan(cw({ schedule: '* * * * *' }), [], at('01:03'), susp.considered!.getTime()).run, undefined);
  const replace = cronPlan(cw({ schedule: '* * * * *', concurrencyPolicy: 'Replace' }), [child('hello-1', 'Running')], at('01:02'));
  assert.equal(replace.policy, 'Replace');
  assert.equal(cronPlan(cw({ schedule: '* * * * *', concurrencyPolicy: 'Replace' }), [], at('01:02')).policy, undefined, 'nothing to replace');
  assert.deepEqual([!!replace.run, replace.delete], [true, ['hello-1']]);
  const late = cronPlan(cw({ schedule: '* * * * *', startingDeadlineSeconds: 5 }), [], at('01:10'));
  assert.equal(late.run, undefined);
  assert.match(late.skipped!, /missed the schedule/);
  const hist = cronPlan(cw({ schedule: '0 0 1 1 *', successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1 }), [child('a', 'Succeeded', '2026-01-01T00:00:01Z'), child('b', 'Succeeded', '2026-01-01T00:00:02Z'), child('c', 'Failed', '2026-01-01T00:00:03Z'), child('d', 'Error', '2026-01-01T00:00:04Z')], at('05:00'));
  assert.deepEqual(hist.delete.sort(), ['a', 'c']);
  assert.deepEqual([hist.status.succeeded, hist.status.failed], [2, 2]);
  const stop = cronPlan(cw({ schedule: '* * * * *', stopStrategy: { expression: 'cronworkflow.succeeded >= 2' } }), [child('a', 'Succeeded', 'x'), child('b', 'Succeeded', 'y')], at('01:02'));
  assert.equal(stop.status.phase, 'Stopped');
  const wf = workflowFor(cw({ schedule: '* * * * *', workflowMetadata: { labels: { a: 'b' } } }), at('01:00'));
  assert.equal(wf.metadata!.name, `hello-${Date.parse('2026-01-01T00:01:00Z') / 1000}`);
  assert.equal(wf.metadata!.annotations!['workflows.argoproj.io/scheduled-time'], '2026-01-01T00:01:00Z');
  assert.deepEqual(wf.metadata!.labels, { a: 'b', 'workflows.argoproj.io/cron-workflow': 'hello' });
  assert.equal((wf.metadata!.ownerReferences as { kind: string }[])[0]!.kind, 'CronWorkflow');
});

test("cron: the schedules used as upstream's annotation says them; a malformed CronWorkflow said as Go's decoder says it", async () => {
  const { scheduleString, cronShapeError } = await import('./cron.js');
  assert.equal(scheduleString(cw({ schedule: '* * * * *' })), '* * * * *');
  assert.equal(scheduleString(cw({ schedules: ['* * * * *', '0 1 * * *'], timezone: 'America/Los_Angeles' })), 'CRON_TZ=America/Los_Angeles * * * * *,CRON_TZ=America/Los_Angeles 0 1 * * *');
  assert.equal(cronShapeError(cw({ schedule: '* * * * *', workflowSpec: { arguments: { parameters: { someParam: 'Hello, world!' } } } })), 'spec.workflowSpec.arguments.parameters: cannot restore slice from map');
  assert.equal(cronShapeError(cw({ schedule: '* * * * *', workflowSpec: { entrypoint: 'main' } })), undefined);
});

test('flags: upstream names, --help, unknown flags are usage errors', () => {
  const f = parseFlags(['--namespaced', '--configmap', 'cm', '--executor-image=flotilla/flotilla', '--managed-namespace', 'ns1', '--workflow-workers', '4'], {});
  assert.deepEqual([f.namespaced, f.configmap, f.executorImage, f.managedNamespace, f.workflowWorkers, f.leaderElect], [true, 'cm', 'flotilla/flotilla', 'ns1', 4, true]);
  assert.equal(parseFlags(['--help'], {}).help, true);
  assert.equal(parseFlags([], { LEADER_ELECTION_DISABLE: 'true' }).leaderElect, false);
  assert.throws(() => parseFlags(['--nope'], {}), UsageError);
});

test("leader election timing from upstream's environment variables, with upstream's defaults (15s, 10s, 5s)", () => {
  const d = parseFlags([], {});
  assert.deepEqual([d.leaseDurationSeconds, d.renewDeadlineMs, d.retryPeriodMs], [15, 10_000, 5_000]);
  const e = parseFlags([], { LEADER_ELECTION_LEASE_DURATION: '1m', LEADER_ELECTION_RENEW_DEADLINE: '30s', LEADER_ELECTION_RETRY_PERIOD: '2500ms' });
  assert.deepEqual([e.leaseDurationSeconds, e.renewDeadlineMs, e.retryPeriodMs], [60, 30_000, 2_500]);
  assert.throws(() => parseFlags([], { LEADER_ELECTION_RETRY_PERIOD: 'soon' }), /LEADER_ELECTION_RETRY_PERIOD="soon" is not a positive duration/);
  assert.throws(() => parseFlags([], { LEADER_ELECTION_RENEW_DEADLINE: '20s' }), /must not be longer than LEADER_ELECTION_LEASE_DURATION \(15s\)/);
  assert.throws(() => parseFlags([], { LEADER_ELECTION_RETRY_PERIOD: '10s' }), /must be shorter than LEADER_ELECTION_RENEW_DEADLINE/);
});

test('memoize: key and cache from the template, fresh entries hit, stale or garbage miss', async () => {
  const { memoOf, lookup, entry, cacheKey } = await import('./memoize.js');
  const memo = memoOf({ name: 't', memoize: { key: 'cache-key', maxAge: '10s', cache: { configMap: { name: 'cache-config' } } }, container: { image: 'busybox' } })!;
  assert.deepEqual(memo, { key: 'cache-key', cacheName: 'cache-config', maxAgeSeconds: 10 });
  const t0 = new Date('2026-01-01T00:00:00Z');
  const data = { 'cache-key': entry('wf-1', { parameters: [{ name: 'hello', value: 'world' }] }, t0) };
  assert.deepEqual(lookup(memo, data, new Date(t0.getTime() + 5_000))?.outputs, { parameters: [{ name: 'hello', value: 'world' }] });
  assert.equal(lookup(memo, data, new Date(t0.getTime() + 11_000)), undefined, 'older than maxAge');
  assert.equal(lookup(memo, { 'cache-key': '{nope' }, t0), undefined);
  assert.equal(lookup(memo, undefined, t0), undefined);
  assert.equal(memoOf({ name: 't', container: { image: 'x' } }), undefined);
  assert.match(cacheKey('a key/with spaces'), /^k-[-_a-zA-Z0-9]+$/);
});

test('synchronization: semaphore limits from a ConfigMap, mutexes, holders from status, errors that keep it Pending', async () => {
  const { workflowLocks, blockedBy, heldLocks, holdingStatus } = await import('./sync.js');
  const cms: Record<string, { data?: Record<string, string> }> = { 'argo/my-config': { data: { workflow: '2', bad: 'x' } } };
  const get = (ns: string, n: string) => cms[`${ns}/${n}`];
  const { locks } = workflowLocks({ semaphores: [{ configMapKeyRef: { name: 'my-config', key: 'workflow' } }], mutex: { name: 'test' } }, 'argo', get);
  assert.deepEqual(locks, [{ name: 'argo/ConfigMap/my-config/workflow', limit: 2, kind: 'semaphore' }, { name: 'argo/Mutex/test', limit: 1, kind: 'mutex' }]);
  assert.match(workflowLocks({ semaphore: { configMapKeyRef: { name: 'nope', key: 'k' } } }, 'argo', get).error!, /configmap argo\/nope not found/);
  assert.match(workflowLocks({ semaphore: { configMapKeyRef: { name: 'my-config', key: 'bad' } } }, 'argo', get).error!, /is not a number/);
  const holders: Record<string, Set<string>> = { 'argo/ConfigMap/my-config/workflow': new Set(['argo/a']), 'argo/Mutex/test': new Set(['argo/b']) };
  assert.equal(blockedBy(locks, (l) => holders[l] ?? new Set(), 'argo/c')?.lock.name, 'argo/Mutex/test');
  assert.equal(blockedBy(locks, (l) => holders[l] ?? new Set(), 'argo/b'), undefined, 'its own hold does not block it');
  const st = holdingStatus(locks, 'c');
  assert.deepEqual(heldLocks({ synchronization: st }, 'c'), ['argo/ConfigMap/my-config/workflow', 'argo/Mutex/test']);
});

test('retentionPolicy: the oldest finished workflows beyond each limit', () => {
  const w = (name: string, phase: string, finishedAt: string) => ({ metadata: { name }, status: { phase, finishedAt } });
  const all = [w('s1', 'Succeeded', '2026-01-01T00:00:01Z'), w('s2', 'Succeeded', '2026-01-01T00:00:02Z'), w('s3', 'Succeeded', '2026-01-01T00:00:03Z'), w('f1', 'Failed', '2026-01-01T00:00:01Z'), w('f2', 'Failed', '2026-01-01T00:00:02Z'), w('r', 'Running', ''), w('e1', 'Error', 'x')];
  assert.deepEqual(retentionVictims(all, { completed: 2, failed: 1, errored: 3 }), ['s1', 'f1']);
  assert.deepEqual(retentionVictims(all, undefined), []);
  assert.deepEqual(retentionVictims(all, { completed: 0 }), ['s3', 's2', 's1']);
});

test('status writes: a node that only got its host and address waits for the next change; anything else is written at once', async () => {
  const { onlyInformationalChange } = await import('./status-coalesce.js');
  const pending = { phase: 'Running', nodes: { a: { id: 'a', phase: 'Pending', startedAt: 't0' } } };
  const bound = { phase: 'Running', nodes: { a: { id: 'a', phase: 'Pending', startedAt: 't0', hostNodeName: 'n1' } } };
  const addressed = { phase: 'Running', nodes: { a: { id: 'a', phase: 'Pending', startedAt: 't0', hostNodeName: 'n1', podIP: '10.0.0.1' } } };
  const running = { phase: 'Running', nodes: { a: { id: 'a', phase: 'Running', startedAt: 't0', hostNodeName: 'n1', podIP: '10.0.0.1' } } };
  assert.equal(onlyInformationalChange(pending, bound), true);
  assert.equal(onlyInformationalChange(bound, addressed), true);
  assert.equal(onlyInformationalChange(addressed, running), false, 'a phase change');
  assert.equal(onlyInformationalChange(pending, { ...bound, nodes: { ...bound.nodes, b: { id: 'b', phase: 'Pending' } } }), false, 'a new node');
  assert.equal(onlyInformationalChange(pending, { ...bound, progress: '0/2' }), false, 'a workflow field');
  assert.equal(onlyInformationalChange(undefined, bound), false, 'the first status');
  assert.equal(onlyInformationalChange({ nodes: { a: { id: 'a' } } }, { nodes: { c: { id: 'a' } } }), false, 'another node id');
});

test("{{=NAME}} that is just a variable's name substitutes it, hyphens and all (upstream's TestExprConditionalAndParameterPassing)", async () => {
  const { substitute } = await import('./operator/vars.js');
  const scope = { 'inputs.parameters.numeric-result': 'high', 'inputs.parameters.count': '42' };
  assert.equal(substitute('{{=inputs.parameters.numeric-result}} / {{= inputs.parameters.count }}', scope), 'high / 42');
  assert.equal(substitute('{{=int(inputs.parameters.count) + 8}}', scope), '50');
  assert.equal(substitute('{{=inputs.parameters.missing-one}}', scope), '{{=inputs.parameters.missing-one}}', 'unknown: left for later');
});


test('a pod deleted while main ran is not a success, whatever its exit code (nginx exits 0 on SIGTERM): Failed "pod deleted" — a pod that had finished before its deletion keeps its result (upstream retry TestRetryDaemonContainer)', () => {
  const done = (deletionTimestamp: string | undefined, finishedAt: string) => {
    const p: any = pod('Succeeded', [term('wait', 0, finishedAt), term('main', 0, finishedAt)]);
    if (deletionTimestamp) Object.assign(p.metadata, { deletionTimestamp, deletionGracePeriodSeconds: 30 });
    return observePod(p, { metadata: { labels: { 'workflows.argoproj.io/report-outputs-completed': 'true' } } }, NOW).obs;
  };
  // deleted at 00:00:05 (deletionTimestamp = request + 30 s grace), main ended at 00:00:06: killed
  assert.deepEqual([done('2026-01-01T00:00:35Z', '2026-01-01T00:00:06Z').phase, done('2026-01-01T00:00:35Z', '2026-01-01T00:00:06Z').message], ['Failed', 'pod deleted']);
  // main ended at 00:00:04, the deletion (podGC) came after: Succeeded
  assert.equal(done('2026-01-01T00:00:35Z', '2026-01-01T00:00:04Z').phase, 'Succeeded');
  assert.equal(done(undefined, '2026-01-01T00:00:06Z').phase, 'Succeeded');
});

test("a pending pod's node says why it waits (the scheduler's Unschedulable, a container's waiting reason), not the routine ContainerCreating", () => {
  const unsched = observePod(pod('Pending', [], { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector." }] }), undefined, NOW).obs;
  assert.deepEqual([unsched.phase, unsched.message], ['Pending', "Unschedulable: 0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector."]);
  const creating = observePod(pod('Pending', [{ name: 'main', state: { waiting: { reason: 'ContainerCreating' } } }]), undefined, NOW).obs;
  assert.equal(creating.message, undefined);
  const other = observePod(pod('Pending', [{ name: 'main', state: { waiting: { reason: 'SomethingOdd', message: 'details' } } }]), undefined, NOW).obs;
  assert.equal(other.message, 'SomethingOdd: details');
});

test("outputs.exitCode is main's: a containerSet of other names that all succeeded has none (upstream's TestContainersetLogs); a failed one gives its code", () => {
  const cs = (codes: Record<string, number>) => ({ metadata: { name: 'p' }, spec: { containers: [{ name: 'wait' }, ...Object.keys(codes).map((name) => ({ name }))] }, status: { phase: Object.values(codes).some((c) => c) ? 'Failed' : 'Succeeded', containerStatuses: [term('wait', 0), ...Object.entries(codes).map(([n, c]) => term(n, c))] } });
  const done = { metadata: { labels: { 'workflows.argoproj.io/report-outputs-completed': 'true' } } };
  assert.equal(observePod(cs({ a: 0, b: 0 }), done, NOW).obs.exitCode, undefined);
  assert.equal(observePod(cs({ a: 0, b: 3 }), done, NOW).obs.exitCode, 3);
  assert.equal(observePod(cs({ main: 0 }), done, NOW).obs.exitCode, 0);
});

test('--loglevel filters the log, and lines carry their level as upstream prints it (logrus text)', () => {
  const lines: string[] = [];
  const counted: string[] = [];
  const log = leveledLog(parseFlags(['--loglevel', 'warn'], {}).loglevel, (l) => counted.push(l), (l) => lines.push(l));
  log('a workflow Succeeded');
  log('invalid configuration, keeping the last good one', 'warn');
  log('reconcile failed', 'error');
  log('detail', 'debug');
  assert.deepEqual(lines.map((l) => /level=(\w+) msg="([^"]*)"/.exec(l)?.slice(1)), [['warning', 'invalid configuration, keeping the last good one'], ['error', 'reconcile failed']]);
  assert.deepEqual(counted, ['warn', 'error']);
  // the default is info; debug lines need --loglevel debug; upstream's `warning` and `fatal` are accepted
  const all: string[] = [];
  const dflt = leveledLog(parseFlags([], {}).loglevel, undefined, (l) => all.push(l));
  dflt('x');
  dflt('y', 'debug');
  assert.equal(all.length, 1);
  assert.match(all[0]!, /^time="[^"]+" level=info msg="x"\n$/);
  assert.equal(parseFlags(['--loglevel=warning'], {}).loglevel, 'warning');
  assert.equal(parseFlags(['--loglevel', 'fatal'], {}).loglevel, 'fatal');
  assert.throws(() => parseFlags(['--loglevel', 'loud'], {}), /invalid --loglevel "loud"/);
});
