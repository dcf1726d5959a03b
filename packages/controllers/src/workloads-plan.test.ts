import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planStatefulSet, statefulPod, statefulSetStatus, ordinalOf, POD_NAME_LABEL, type RevisionInfo } from './statefulset.js';
import { planDaemonSet, nodeShouldRunDaemonPod, daemonPod } from './daemonset.js';
import { planJob, jobPod, formatIndexes, parseIndexes, COMPLETION_INDEX } from './job.js';
import { decideCronJob, jobFromCronJob, cronJobName, SCHEDULED_TIMESTAMP } from './cronjob.js';
import { CronSchedule, CronError } from './cron.js';
import { desiredEndpoints, desiredEndpointSlices, managesEndpoints } from './endpoints.js';
import { schedulePod } from './scheduler.js';
import { parseQuantity, podRequests, tolerates } from './scheduling.js';
import { REVISION_HASH_LABEL } from './history.js';
import { Expectations } from './controller.js';
import type { Obj, Pod } from './util.js';

const T0 = Date.parse('2024-05-01T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

// ----------------------------------------------------------------------------------- StatefulSet

const sts = (over: Record<string, any> = {}): Obj => ({
  metadata: { name: 'db', namespace: 'ns', uid: 'sts-uid', generation: 1 },
  spec: {
    replicas: 3,
    serviceName: 'db',
    selector: { matchLabels: { app: 'db' } },
    template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'c', image: 'pg:1' }] } },
    podManagementPolicy: 'OrderedReady',
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
    ...over,
  },
});
const rev = (name: string, image = 'pg:1'): RevisionInfo => ({ name, template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'c', image }] } } });
const stsPod = (set: Obj, ord: number, r: RevisionInfo, o: { ready?: boolean; phase?: string; deleting?: boolean } = {}): Pod => {
  const { pod } = statefulPod(set, ord, r);
  pod.metadata!.uid = `p${ord}`;
  if (o.deleting) pod.metadata!.deletionTimestamp = iso(T0);
  pod.status = { phase: o.phase ?? 'Running', conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: iso(T0 - 60_000) }] };
  return pod;
};

test('StatefulSet pods have stable names, identity labels, hostname/subdomain and claims', () => {
  const set = sts({ volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }] });
  const { pod, pvcs } = statefulPod(set, 2, rev('db-abc'));
  assert.equal(pod.metadata!.name, 'db-2');
  assert.equal(pod.metadata!.labels![POD_NAME_LABEL], 'db-2');
  assert.equal(pod.metadata!.labels!['apps.kubernetes.io/pod-index'], '2');
  assert.equal(pod.metadata!.labels![REVISION_HASH_LABEL], 'db-abc');
  assert.equal(pod.spec.hostname, 'db-2');
  assert.equal(pod.spec.subdomain, 'db');
  assert.deepEqual(pod.spec.volumes, [{ name: 'data', persistentVolumeClaim: { claimName: 'data-db-2' } }]);
  assert.equal(pvcs[0].metadata!.name, 'data-db-2');
  assert.deepEqual(pvcs[0].metadata!.labels, { app: 'db' });
  assert.equal(ordinalOf('db', 'db-10'), 10);
  assert.equal(ordinalOf('db', 'db-01'), undefined);
  assert.equal(ordinalOf('db', 'dbx-1'), undefined);
});

test('OrderedReady creates one pod at a time and waits for Running and Ready', () => {
  const set = sts();
  const r = rev('db-1');
  let a = planStatefulSet(set, [], r, r, () => false);
  assert.deepEqual(a.map((x) => [x.type, x.pod.metadata!.name]), [['createPod', 'db-0']]);
  a = planStatefulSet(set, [stsPod(set, 0, r, { ready: false })], r, r, () => false);
  assert.deepEqual(a, [], 'waits for db-0 to be ready');
  a = planStatefulSet(set, [stsPod(set, 0, r)], r, r, () => false);
  assert.deepEqual(a.map((x) => x.pod.metadata!.name), ['db-1']);
  // Parallel creates all at once
  a = planStatefulSet(sts({ podManagementPolicy: 'Parallel' }), [], r, r, () => false);
  assert.deepEqual(a.map((x) => x.pod.metadata!.name), ['db-0', 'db-1', 'db-2']);
});

test('StatefulSet scale-down removes the highest ordinal first, one at a time', () => {
  const set = sts({ replicas: 1 });
  const r = rev('db-1');
  const pods = [0, 1, 2].map((i) => stsPod(set, i, r));
  let a = planStatefulSet(set, pods, r, r, () => false);
  assert.deepEqual(a.map((x) => [x.type, x.pod.metadata!.name]), [['deletePod', 'db-2']]);
  a = planStatefulSet(set, [pods[0], pods[1], stsPod(set, 2, r, { deleting: true })], r, r, () => false);
  assert.deepEqual(a, [], 'waits for db-2 to go');
});

test('StatefulSet rolling update goes from the highest ordinal down to the partition; failed pods are replaced', () => {
  const set = sts({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } });
  const cur = rev('db-1');
  const upd = rev('db-2', 'pg:2');
  const pods = [0, 1, 2].map((i) => stsPod(set, i, cur));
  let a = planStatefulSet(set, pods, cur, upd, () => false);
  assert.deepEqual(a.map((x) => [x.type, x.pod.metadata!.name]), [['deletePod', 'db-2']]);
  a = planStatefulSet(set, [pods[0], pods[1], stsPod(set, 2, upd)], cur, upd, () => false);
  assert.deepEqual(a.map((x) => [x.type, x.pod.metadata!.name]), [['deletePod', 'db-1']]);
  a = planStatefulSet(set, [pods[0], stsPod(set, 1, upd), stsPod(set, 2, upd)], cur, upd, () => false);
  assert.deepEqual(a, [], 'ordinal 0 is below the partition');
  // a missing pod below the partition is recreated at the current revision
  a = planStatefulSet(set, [stsPod(set, 1, upd), stsPod(set, 2, upd)], cur, upd, () => false);
  assert.equal(a[0].type === 'createPod' && a[0].pod.metadata!.labels![REVISION_HASH_LABEL], 'db-1');
  a = planStatefulSet(set, [stsPod(set, 0, cur, { phase: 'Failed' })], cur, cur, () => false);
  assert.deepEqual(a.map((x) => [x.type, x.pod.metadata!.name]), [['deletePod', 'db-0']]);
  const st = statefulSetStatus(set, [stsPod(set, 0, cur), stsPod(set, 1, upd), stsPod(set, 2, upd, { ready: false })], cur, upd, 0, T0);
  assert.deepEqual(st, { replicas: 3, observedGeneration: 1, readyReplicas: 2, currentReplicas: 1, updatedReplicas: 2, availableReplicas: 2, currentRevision: 'db-1', updateRevision: 'db-2' });
  const done = statefulSetStatus(sts(), [0, 1, 2].map((i) => stsPod(set, i, upd)), cur, upd, 0, T0);
  assert.equal(done.currentRevision, 'db-2');
});

// ------------------------------------------------------------------------------------- DaemonSet

const node = (name: string, o: { labels?: Record<string, string>; taints?: any[]; unschedulable?: boolean } = {}): Obj => ({
  metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
  spec: { taints: o.taints, unschedulable: o.unschedulable },
  status: { allocatable: { cpu: '2', memory: '4Gi', pods: '10' } },
});

test('DaemonSet runs one pod per eligible node, honouring nodeSelector and taints', () => {
  const ds: Obj = {
    metadata: { name: 'agent', namespace: 'ns', uid: 'ds-uid', generation: 1 },
    spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { nodeSelector: { role: 'worker' }, containers: [{ name: 'c', image: 'a' }] } } },
  };
  const nodes = [
    node('n1', { labels: { role: 'worker' } }),
    node('n2', { labels: { role: 'worker' }, taints: [{ key: 'gpu', value: 'yes', effect: 'NoSchedule' }] }),
    node('n3', { labels: { role: 'other' } }),
    node('n4', { labels: { role: 'worker' }, unschedulable: true }),
  ];
  assert.deepEqual(nodeShouldRunDaemonPod(nodes[1], ds.spec.template), { shouldRun: false, shouldContinueRunning: true });
  const plan = planDaemonSet(ds, nodes, [], 'h1', T0);
  assert.deepEqual(plan.create, ['n1', 'n4'], 'unschedulable nodes still run daemons');
  assert.equal(plan.status.desiredNumberScheduled, 2);
  const pod = daemonPod(ds, 'n1', 'h1');
  assert.deepEqual(pod.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms, [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }]);
  assert.ok(pod.spec.tolerations.some((t: any) => t.key === 'node.kubernetes.io/unschedulable'));
  // a pod on n3 (not eligible) is removed; a duplicate on n1 too; a failed one is replaced later
  const mk = (n: string, name: string, o: { phase?: string; created?: number; hash?: string } = {}): Pod => ({
    metadata: { name, uid: name, creationTimestamp: iso(T0 + (o.created ?? 0)), labels: { app: 'agent', [REVISION_HASH_LABEL]: o.hash ?? 'h1' } },
    spec: { nodeName: n },
    status: { phase: o.phase ?? 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: iso(T0) }] },
  });
  const p2 = planDaemonSet(ds, nodes, [mk('n1', 'a'), mk('n1', 'b', { created: 5 }), mk('n3', 'c'), mk('n4', 'd', { phase: 'Failed' })], 'h1', T0);
  assert.deepEqual(p2.delete.map((p) => p.metadata!.name).sort(), ['b', 'c', 'd']);
  assert.deepEqual(p2.create, []);
  assert.deepEqual(p2.failedOn, ['n4']);
  assert.equal(p2.status.numberMisscheduled, 1);
  // rolling update: one available old pod at a time (maxUnavailable 1)
  const p3 = planDaemonSet(ds, nodes, [mk('n1', 'a', { hash: 'old' }), mk('n4', 'd', { hash: 'old' })], 'h1', T0);
  assert.equal(p3.delete.length, 1);
  assert.equal(p3.status.updatedNumberScheduled, undefined);
  assert.equal(p3.status.numberReady, 2);
});

// ------------------------------------------------------------------------------------------- Job

const job = (spec: Record<string, any> = {}, status: Record<string, any> = {}): Obj => ({
  metadata: { name: 'pi', namespace: 'ns', uid: 'job-uid' },
  spec: { completions: 3, parallelism: 2, backoffLimit: 2, completionMode: 'NonIndexed', template: { metadata: { labels: { 'job-name': 'pi' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'perl' }] } }, ...spec },
  status,
});
const jpod = (name: string, phase: string, finished = T0, o: { index?: number } = {}): Pod => ({
  metadata: { name, uid: name, creationTimestamp: iso(finished - 1000), annotations: o.index !== undefined ? { [COMPLETION_INDEX]: String(o.index) } : {} },
  status: {
    phase,
    conditions: [{ type: 'Ready', status: phase === 'Running' ? 'True' : 'False', lastTransitionTime: iso(finished) }],
    containerStatuses: phase === 'Running' || phase === 'Pending' ? [] : [{ name: 'c', state: { terminated: { exitCode: phase === 'Failed' ? 1 : 0, finishedAt: iso(finished) } } }],
  },
});

test('Job runs up to parallelism pods until completions succeed', () => {
  let p = planJob(job(), [], T0);
  assert.equal(p.create.length, 2);
  assert.equal(p.status.startTime, iso(T0));
  p = planJob(job({}, { startTime: iso(T0) }), [jpod('a', 'Succeeded'), jpod('b', 'Running')], T0);
  assert.equal(p.create.length, 1);
  assert.equal(p.status.succeeded, 1);
  p = planJob(job({}, { startTime: iso(T0) }), [jpod('a', 'Succeeded'), jpod('b', 'Succeeded'), jpod('c', 'Running')], T0);
  assert.equal(p.create.length, 0, 'only one more completion is needed');
  p = planJob(job({}, { startTime: iso(T0) }), [jpod('a', 'Succeeded'), jpod('b', 'Succeeded'), jpod('c', 'Succeeded')], T0 + 5000);
  assert.equal(p.finished, 'Complete');
  const complete = (p.status.conditions as any[]).find((c) => c.type === 'Complete');
  assert.equal(complete.status, 'True');
  assert.equal(p.status.completionTime, iso(T0 + 5000));
  assert.equal(p.status.succeeded, 3);
});

test('Job replaces failed pods after an exponential delay and fails past backoffLimit', () => {
  const opts = { backoffBaseMs: 10_000 };
  let p = planJob(job({ parallelism: 1, completions: 1 }, { startTime: iso(T0) }), [jpod('a', 'Failed', T0)], T0 + 1000, opts);
  assert.equal(p.create.length, 0, 'waits 10 s after the first failure');
  assert.equal(p.requeueAfter, 9000);
  p = planJob(job({ parallelism: 1, completions: 1 }, { startTime: iso(T0) }), [jpod('a', 'Failed', T0)], T0 + 10_000, opts);
  assert.equal(p.create.length, 1);
  p = planJob(job({ parallelism: 1, completions: 1 }, { startTime: iso(T0) }), [jpod('a', 'Failed', T0), jpod('b', 'Failed', T0 + 12_000)], T0 + 25_000, opts);
  assert.equal(p.create.length, 0, 'then 20 s');
  assert.equal(p.requeueAfter, 7000);
  p = planJob(job({ parallelism: 1, completions: 1 }, { startTime: iso(T0) }), [jpod('a', 'Failed'), jpod('b', 'Failed'), jpod('c', 'Failed'), jpod('d', 'Running')], T0, opts);
  assert.equal(p.finished, 'Failed');
  const failed = (p.status.conditions as any[]).find((c) => c.type === 'Failed');
  assert.deepEqual([failed.status, failed.reason, failed.message], ['True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit']);
  assert.deepEqual(p.delete.map((x) => x.metadata!.name), ['d']);
  assert.equal(p.status.failed, 3);
});

test('Job activeDeadlineSeconds, suspend and resume', () => {
  let p = planJob(job({ activeDeadlineSeconds: 30 }, { startTime: iso(T0) }), [jpod('a', 'Running')], T0 + 31_000);
  assert.equal(p.finished, 'Failed');
  assert.equal((p.status.conditions as any[]).find((c) => c.type === 'Failed').reason, 'DeadlineExceeded');
  p = planJob(job({ activeDeadlineSeconds: 30 }, { startTime: iso(T0) }), [jpod('a', 'Running')], T0 + 10_000);
  assert.equal(p.requeueAfter, 20_000);
  p = planJob(job({ suspend: true }, { startTime: iso(T0) }), [jpod('a', 'Running')], T0);
  assert.deepEqual(p.delete.map((x) => x.metadata!.name), ['a']);
  const s = (p.status.conditions as any[]).find((c) => c.type === 'Suspended');
  assert.deepEqual([s.status, s.reason], ['True', 'JobSuspended']);
  p = planJob(job({ suspend: false }, { startTime: iso(T0), conditions: p.status.conditions }), [], T0 + 60_000);
  assert.equal((p.status.conditions as any[]).find((c) => c.type === 'Suspended').status, 'False');
  assert.equal(p.status.startTime, iso(T0 + 60_000), 'startTime restarts on resume');
  assert.equal(p.create.length, 2);
});

test('Indexed Jobs run one pod per pending index and report completedIndexes', () => {
  const j = job({ completionMode: 'Indexed', completions: 4, parallelism: 2 });
  let p = planJob(j, [], T0);
  assert.deepEqual(p.create, [0, 1]);
  p = planJob(j, [jpod('a', 'Succeeded', T0, { index: 0 }), jpod('b', 'Running', T0, { index: 1 }), jpod('x', 'Succeeded', T0, { index: 3 })], T0);
  assert.deepEqual(p.create, [2]);
  assert.equal(p.status.completedIndexes, '0,3');
  assert.equal(formatIndexes(new Set([0, 1, 2, 5, 7, 8])), '0-2,5,7-8');
  assert.deepEqual([...parseIndexes('0-2,5')], [0, 1, 2, 5]);
  const pod = jobPod(j, 2);
  assert.equal(pod.metadata!.generateName, 'pi-2-');
  assert.equal(pod.metadata!.annotations![COMPLETION_INDEX], '2');
  assert.equal(pod.spec.hostname, 'pi-2');
  assert.equal(pod.spec.containers[0].env[0].name, 'JOB_COMPLETION_INDEX');
});

// ---------------------------------------------------------------------------------- cron/CronJob

test('cron schedules: fields, names, steps, descriptors, day-of-month OR day-of-week, time zones', () => {
  const at = (s: string) => Date.parse(s);
  const next = (spec: string, from: string, tz?: string) => new Date(new CronSchedule(spec, tz).next(at(from))!).toISOString();
  assert.equal(next('*/15 * * * *', '2024-05-01T10:07:00Z'), '2024-05-01T10:15:00.000Z');
  assert.equal(next('0 9 * * MON-FRI', '2024-05-03T10:00:00Z'), '2024-05-06T09:00:00.000Z'); // Friday → Monday
  assert.equal(next('@hourly', '2024-05-01T10:00:00Z'), '2024-05-01T11:00:00.000Z');
  assert.equal(next('@monthly', '2024-05-01T10:00:00Z'), '2024-06-01T00:00:00.000Z');
  assert.equal(next('0 0 13 * FRI', '2024-05-01T00:00:00Z'), '2024-05-03T00:00:00.000Z', 'either day matches');
  assert.equal(next('0 0 29 FEB *', '2024-03-01T00:00:00Z'), '2028-02-29T00:00:00.000Z');
  assert.equal(next('30 8 * * *', '2024-05-01T00:00:00Z', 'Europe/Berlin'), '2024-05-01T06:30:00.000Z');
  assert.equal(next('30 2 * * *', '2024-03-30T12:00:00Z', 'Europe/Berlin'), '2024-04-01T00:30:00.000Z', '02:30 does not exist on the DST day');
  const s = new CronSchedule('0 * * * *');
  assert.equal(new Date(s.prev(at('2024-05-01T10:59:59Z'))!).toISOString(), '2024-05-01T10:00:00.000Z');
  assert.deepEqual(s.missed(at('2024-05-01T07:30:00Z'), at('2024-05-01T10:10:00Z')), { latest: at('2024-05-01T10:00:00Z'), count: 3 });
  assert.equal(new CronSchedule('@every 90s').next(at('2024-05-01T10:00:00Z')), at('2024-05-01T10:01:30Z'));
  assert.throws(() => new CronSchedule('61 * * * *'), CronError);
  assert.throws(() => new CronSchedule('* * * *'), CronError);
  assert.throws(() => new CronSchedule('TZ=UTC * * * * *'), CronError);
});

test('CronJob decisions: latest missed time, startingDeadlineSeconds, concurrencyPolicy, suspend', () => {
  const cj = (spec: Record<string, any>, status: Record<string, any> = {}): Obj => ({
    metadata: { name: 'tick', namespace: 'ns', uid: 'cj-uid', creationTimestamp: '2024-05-01T09:58:30Z' },
    spec: { schedule: '* * * * *', jobTemplate: { metadata: { labels: { a: 'b' } }, spec: { template: { spec: { containers: [] } } } }, ...spec },
    status,
  });
  const now = Date.parse('2024-05-01T10:00:20Z');
  assert.equal(decideCronJob(cj({}), [], now).run, Date.parse('2024-05-01T10:00:00Z'));
  assert.equal(decideCronJob(cj({}, { lastScheduleTime: '2024-05-01T10:00:00Z' }), [], now).run, undefined);
  assert.equal(decideCronJob(cj({}), [], now).nextIn, 40_000);
  assert.equal(decideCronJob(cj({ suspend: true }), [], now).run, undefined);
  assert.equal(decideCronJob(cj({ startingDeadlineSeconds: 10 }), [], now).run, undefined, 'too late for 10:00');
  const active = [{ metadata: { name: 'tick-1' } }];
  assert.equal(decideCronJob(cj({ concurrencyPolicy: 'Forbid' }), active, now).skip?.reason, 'JobAlreadyActive');
  assert.deepEqual(decideCronJob(cj({ concurrencyPolicy: 'Replace' }), active, now).replace, active);
  assert.equal(decideCronJob(cj({ concurrencyPolicy: 'Allow' }), active, now).replace.length, 0);
  assert.equal(decideCronJob(cj({ schedule: 'bogus' }), [], now).skip?.reason, 'UnparseableSchedule');
  const j = jobFromCronJob(cj({}), Date.parse('2024-05-01T10:00:00Z'));
  assert.equal(j.metadata!.name, `tick-${Date.parse('2024-05-01T10:00:00Z') / 60000}`);
  assert.equal(cronJobName(cj({}), Date.parse('2024-05-01T10:00:00Z')), j.metadata!.name);
  assert.equal(j.metadata!.annotations![SCHEDULED_TIMESTAMP], '2024-05-01T10:00:00Z');
  assert.deepEqual(j.metadata!.labels, { a: 'b' });
  assert.equal(j.metadata!.ownerReferences![0].kind, 'CronJob');
});

// ------------------------------------------------------------------------------------- endpoints

test('Endpoints: ready pods as addresses, others as notReadyAddresses, named target ports resolved', () => {
  const svc: Obj = { metadata: { name: 'web', namespace: 'ns', uid: 's1', labels: { app: 'web' } }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'metrics', port: 9090, targetPort: 9090 }] } };
  const pod = (name: string, ip: string | undefined, ready: boolean, port = 8080, o: { deleting?: boolean } = {}): Pod => ({
    metadata: { name, namespace: 'ns', uid: name, labels: { app: 'web' }, deletionTimestamp: o.deleting ? iso(T0) : undefined },
    spec: { nodeName: 'n1', containers: [{ name: 'c', ports: [{ name: 'http', containerPort: port }] }] },
    status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
  const pods = [pod('a', '10.0.0.2', true), pod('b', '10.0.0.10', false), pod('c', undefined, true), pod('d', '10.0.0.3', true, 8081), pod('e', '10.0.0.4', true, 8080, { deleting: true })];
  const subsets = desiredEndpoints(svc, pods) as any[];
  assert.equal(subsets.length, 2);
  const s8080 = subsets.find((s) => s.ports.some((p: any) => p.port === 8080));
  assert.deepEqual(s8080.addresses.map((a: any) => a.ip), ['10.0.0.2']);
  assert.deepEqual(s8080.notReadyAddresses.map((a: any) => a.ip), ['10.0.0.10']);
  assert.deepEqual(s8080.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'metrics', port: 9090, protocol: 'TCP' }]);
  assert.deepEqual(s8080.addresses[0].targetRef, { kind: 'Pod', namespace: 'ns', name: 'a', uid: 'a' });
  const slices = desiredEndpointSlices(svc, pods);
  assert.equal(slices.length, 2);
  assert.equal(slices[0].metadata!.labels!['kubernetes.io/service-name'], 'web');
  const all = slices.flatMap((s) => s.endpoints as any[]);
  const e = all.find((x) => x.targetRef.name === 'e');
  assert.deepEqual(e.conditions, { ready: false, serving: true, terminating: true });
  assert.equal(all.find((x) => x.targetRef.name === 'b').conditions.ready, false);
  assert.ok(!managesEndpoints({ metadata: { name: 'kubernetes', namespace: 'default' }, spec: { selector: { a: 'b' } } }));
  assert.ok(!managesEndpoints({ metadata: { name: 'x', namespace: 'ns' }, spec: { ports: [] } }));
  assert.equal((desiredEndpointSlices({ ...svc, spec: { ...svc.spec, selector: { app: 'none' } } }, pods)[0].endpoints as unknown[]).length, 0, 'an empty placeholder slice');
});

// ------------------------------------------------------------------------------------- scheduler

test('scheduler: fits by selector, taints, unschedulable and resources, and explains misfits', () => {
  assert.equal(parseQuantity('100m'), 0.1);
  assert.equal(parseQuantity('1.5'), 1.5);
  assert.equal(parseQuantity('128Mi'), 128 * 2 ** 20);
  assert.equal(parseQuantity('1G'), 1e9);
  assert.equal(parseQuantity('2e3'), 2000);
  assert.ok(Number.isNaN(parseQuantity('12x')));
  const pod = (o: Record<string, any> = {}): Pod => ({ metadata: { name: 'p', namespace: 'ns' }, spec: { containers: [{ name: 'c', resources: { requests: { cpu: o.cpu ?? '500m', memory: '1Gi' } } }], initContainers: o.init, nodeSelector: o.sel, tolerations: o.tol } });
  assert.deepEqual(podRequests(pod({ init: [{ name: 'i', resources: { requests: { cpu: '3' } } }] })), { cpu: 3, memory: 2 ** 30 });
  const nodes = [node('n1'), node('n2', { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] })];
  const used = new Map([['n1', [pod({ cpu: '1800m' })]]]);
  assert.deepEqual(schedulePod(pod(), nodes, used), { message: '0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {dedicated: db}.' });
  assert.deepEqual(schedulePod(pod({ tol: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }] }), nodes, used), { node: 'n2' });
  assert.deepEqual(schedulePod(pod({ sel: { disk: 'ssd' } }), nodes, new Map()).message, "0/2 nodes are available: 1 node(s) had untolerated taint {dedicated: db}, 2 node(s) didn't match Pod's node affinity/selector.");
  assert.deepEqual(schedulePod(pod(), [node('n3', { unschedulable: true })], new Map()).message, '0/1 nodes are available: 1 node(s) were unschedulable.');
  assert.deepEqual(schedulePod(pod(), [], new Map()).message, 'no nodes available to schedule pods');
  assert.deepEqual(schedulePod(pod(), [node('a'), node('b')], new Map([['a', [pod()]]])), { node: 'b' }, 'least loaded');
  const withPort = (hp: number): Pod => ({ metadata: { name: 'hp' }, spec: { containers: [{ name: 'c', ports: [{ containerPort: 80, hostPort: hp }] }] } });
  assert.deepEqual(schedulePod(withPort(8080), [node('a')], new Map([['a', [withPort(8080)]]])).message, "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports.");
  assert.deepEqual(schedulePod(withPort(8081), [node('a')], new Map([['a', [withPort(8080)]]])), { node: 'a' });
  assert.ok(tolerates({ operator: 'Exists' }, { key: 'anything', effect: 'NoExecute' }));
  assert.ok(!tolerates({ key: 'k', value: 'v', effect: 'NoSchedule' }, { key: 'k', value: 'v', effect: 'NoExecute' }));
});

test('expectations hold back a controller until its creations and deletions show in the cache', () => {
  const cache = new Map<string, Pod>();
  const inf = { get: (ns: string | undefined, name: string) => cache.get(`${ns}/${name}`) };
  const exp = new Expectations(inf as any);
  const pod = (name: string, uid: string, deleting = false): Pod => ({ metadata: { name, namespace: 'ns', uid, deletionTimestamp: deleting ? iso(T0) : undefined } });
  assert.ok(exp.satisfied('ns/rs'));
  exp.expectCreate('ns/rs', 'ns', 'a');
  exp.expectCreate('ns/rs', 'ns', 'b');
  assert.ok(!exp.satisfied('ns/rs'));
  cache.set('ns/a', pod('a', '1'));
  assert.ok(!exp.satisfied('ns/rs'), 'b still missing');
  exp.observe(pod('b', '2'), false); // the watch event came first
  assert.ok(exp.satisfied('ns/rs'));
  // deletions: satisfied when gone or terminating in the cache
  cache.set('ns/b', pod('b', '2'));
  exp.expectDelete('ns/rs', pod('a', '1'));
  exp.expectDelete('ns/rs', pod('b', '2'));
  assert.ok(!exp.satisfied('ns/rs'));
  cache.delete('ns/a');
  cache.set('ns/b', pod('b', '2', true));
  assert.ok(exp.satisfied('ns/rs'));
  // an object already in the cache is not waited for
  exp.expectCreate('ns/x', 'ns', 'b');
  assert.ok(exp.satisfied('ns/x'));
});
