/**
 * Jobs, CronJobs, StatefulSets, DaemonSets, Endpoints, the scheduler and namespace defaults end to
 * end: the real API server, the real kubectl, the controllers as API clients, and a stand-in kubelet
 * that writes pod status through the API.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startControllers, type RunningControllers } from './index.js';
import { R } from '@flotilla/kube-runtime';
import { defaultBehaviour, eventually, listPods, setPodReady, sleep, startCluster, startFakeKubelet, type Cluster, type FakeKubelet } from './testkit.js';
import type { Obj, Pod } from './util.js';

let c: Cluster;
let ctl: RunningControllers;
let kubelet: FakeKubelet;
/** pod names the kubelet must not start yet */
const holdNames = new Set<string>();

before(async () => {
  c = await startCluster();
  ctl = await startControllers({
    kubeconfig: c.kubeconfig,
    // the provisioner binds the StatefulSet's claims (the scheduler holds pods with unbound claims)
    controllers: ['deployment', 'replicaset', 'statefulset', 'daemonset', 'job', 'endpoints', 'namespace-defaults', 'scheduler', 'provisioner'],
    storageDir: `${c.dir}/storage`,
    scheduler: { createNode: { capacity: { cpu: '4', memory: '8Gi', pods: '110' } } },
    job: { backoffBaseMs: 100 },
  });
  kubelet = startFakeKubelet(c.client, { behave: (p) => (holdNames.has(String(p.metadata?.name)) ? 'ignore' : defaultBehaviour(p)) });
});

after(async () => {
  await kubelet?.stop();
  await ctl?.stop();
  await c?.close();
});

const get = (r: typeof R.jobs, ns: string, name: string) => c.client.get<Obj>(r, ns, name);
const cond = (o: Obj, type: string) => ((o.status?.conditions ?? []) as any[]).find((x) => x.type === type);
const apply = (ns: string, obj: unknown) => c.k(['-n', ns, 'apply', '-f', '-'], { input: JSON.stringify(obj) });

// ------------------------------------------------------------------------------------------- Jobs

test('kubectl create job runs to completion', async () => {
  await c.k(['create', 'namespace', 'j1']);
  await c.k(['-n', 'j1', 'create', 'job', 'hello', '--image=busybox', '--', 'echo', 'hi']);
  await c.k(['-n', 'j1', 'wait', '--for=condition=complete', 'job/hello', '--timeout=30s']);
  const j = await get(R.jobs, 'j1', 'hello');
  assert.equal(j.status.succeeded, 1);
  assert.ok(j.status.startTime && j.status.completionTime);
  assert.equal(cond(j, 'Complete').status, 'True');
  const pods = await listPods(c.client, 'j1');
  assert.equal(pods.length, 1);
  assert.match(pods[0].metadata!.name!, /^hello-[a-z0-9]{5}$/);
  assert.equal(pods[0].metadata!.ownerReferences![0].kind, 'Job');
  assert.equal(pods[0].metadata!.labels!['job-name'], 'hello');
  assert.match(await c.k(['-n', 'j1', 'get', 'job', 'hello']), /hello\s+Complete\s+1\/1/);
});

test('a Job whose pods keep failing exhausts backoffLimit: Failed / BackoffLimitExceeded', async () => {
  await c.k(['create', 'namespace', 'j2']);
  await apply('j2', {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'flaky' },
    spec: { backoffLimit: 2, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'always-fail' }] } } },
  });
  await c.k(['-n', 'j2', 'wait', '--for=condition=failed', 'job/flaky', '--timeout=30s']);
  const j = await get(R.jobs, 'j2', 'flaky');
  const f = cond(j, 'Failed');
  assert.deepEqual([f.status, f.reason, f.message], ['True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit']);
  assert.equal(j.status.failed, 3);
  assert.equal(j.status.active, undefined);
  await sleep(300);
  const pods = await listPods(c.client, 'j2');
  assert.equal(pods.length, 3, 'backoffLimit 2: three failed pods, no fourth');
  assert.ok(pods.every((p) => p.status.phase === 'Failed'));
});

test('completions with parallelism, then ttlSecondsAfterFinished deletes the Job', async () => {
  await c.k(['create', 'namespace', 'j3']);
  await apply('j3', {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'batch' },
    spec: { completions: 3, parallelism: 2, ttlSecondsAfterFinished: 1, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'succeed' }] } } },
  });
  await eventually(async () => (await get(R.jobs, 'j3', 'batch')).status?.succeeded === 3, 15_000, '3 completions');
  assert.equal((await listPods(c.client, 'j3')).length, 3);
  await eventually(async () => (await c.client.list(R.jobs, 'j3')).items.length === 0, 15_000, 'the Job deleted after its TTL');
});

test('a suspended Job starts no pods until resumed', async () => {
  await c.k(['create', 'namespace', 'j4']);
  await apply('j4', {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'later' },
    spec: { suspend: true, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'succeed' }] } } },
  });
  await eventually(async () => cond(await get(R.jobs, 'j4', 'later'), 'Suspended')?.status === 'True', 10_000, 'Suspended');
  assert.equal((await listPods(c.client, 'j4')).length, 0);
  await c.k(['-n', 'j4', 'patch', 'job/later', '-p', '{"spec":{"suspend":false}}']);
  await c.k(['-n', 'j4', 'wait', '--for=condition=complete', 'job/later', '--timeout=30s']);
  assert.equal(cond(await get(R.jobs, 'j4', 'later'), 'Suspended').status, 'False');
});

// --------------------------------------------------------------------------------------- CronJob

test('a CronJob fires on its schedule with an injected clock, tracks active jobs and trims history', async () => {
  await c.k(['create', 'namespace', 'cj']);
  // a frozen clock at the present (the CronJob's creationTimestamp is real time); it only moves when told
  let now = Date.now();
  const FIVE = 5 * 60_000;
  let b1 = Math.ceil(now / FIVE) * FIVE;
  if (b1 - now < 5000) b1 += FIVE;
  const b2 = b1 + FIVE;
  const iso = (t: number) => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const clock = { now: () => new Date(now) };
  const cron = await startControllers({ kubeconfig: c.kubeconfig, namespace: 'cj', controllers: ['cronjob'], clock, cronJob: { maxWaitMs: 100 } });
  try {
    await apply('cj', {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'tick' },
      spec: {
        schedule: '*/5 * * * *',
        successfulJobsHistoryLimit: 1,
        jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'succeed' }] } } } },
      },
    });
    await sleep(400);
    assert.equal((await c.client.list(R.jobs, 'cj')).items.length, 0, 'nothing before the first schedule time');

    now = b1 + 10_000;
    const first = `tick-${b1 / 60000}`;
    await eventually(async () => (await c.client.list(R.jobs, 'cj')).items.some((j) => j.metadata?.name === first), 10_000, 'the first job');
    const job = await get(R.jobs, 'cj', first);
    assert.equal(job.metadata!.ownerReferences![0].kind, 'CronJob');
    assert.equal(job.metadata!.annotations!['batch.kubernetes.io/cronjob-scheduled-timestamp'], iso(b1));
    await eventually(async () => (await get(R.cronjobs, 'cj', 'tick')).status?.lastScheduleTime === iso(b1), 10_000, 'lastScheduleTime');
    // the job completes (job controller + kubelet), the CronJob sees it finish
    await eventually(async () => {
      const s = (await get(R.cronjobs, 'cj', 'tick')).status ?? {};
      return !s.active && s.lastSuccessfulTime;
    }, 15_000, 'active cleared and lastSuccessfulTime');

    now = b2 + 5000;
    const second = `tick-${b2 / 60000}`;
    await eventually(async () => (await c.client.list(R.jobs, 'cj')).items.some((j) => j.metadata?.name === second), 10_000, 'the second job');
    await eventually(async () => {
      const names = (await c.client.list(R.jobs, 'cj')).items.map((j) => j.metadata?.name);
      return names.length === 1 && names[0] === second;
    }, 15_000, 'history trimmed to one successful job');
    assert.match(await c.k(['-n', 'cj', 'get', 'cronjob', 'tick']), /tick\s+\*\/5 \* \* \* \*/);
  } finally {
    await cron.stop();
  }
});

// ------------------------------------------------------------------------------------ StatefulSet

test('a StatefulSet starts its pods in order, with claims, scales down in reverse and rolls out', async () => {
  await c.k(['create', 'namespace', 's1']);
  for (const n of ['db-0', 'db-1', 'db-2']) holdNames.add(n);
  await apply('s1', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'db' }, spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ port: 5432 }] } });
  await apply('s1', {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db' },
    spec: {
      serviceName: 'db',
      replicas: 3,
      selector: { matchLabels: { app: 'db' } },
      template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'pg', image: 'postgres:1' }] } },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    },
  });
  const names = async () => (await listPods(c.client, 's1')).map((p) => p.metadata!.name).sort();
  await eventually(async () => (await names()).includes('db-0'), 10_000, 'db-0');
  await sleep(400);
  assert.deepEqual(await names(), ['db-0'], 'db-1 waits for db-0 to be Running and Ready');
  holdNames.delete('db-0');
  kubelet.resync();
  await eventually(async () => (await names()).includes('db-1'), 10_000, 'db-1');
  await sleep(300);
  assert.deepEqual(await names(), ['db-0', 'db-1']);
  holdNames.delete('db-1');
  holdNames.delete('db-2');
  kubelet.resync();
  assert.match(await c.k(['-n', 's1', 'rollout', 'status', 'statefulset/db', '--timeout=30s']), /roll(ing update|ed out)|complete/);
  const pvcs = (await c.client.list(R.pvcs, 's1')).items.map((p) => p.metadata!.name).sort();
  assert.deepEqual(pvcs, ['data-db-0', 'data-db-1', 'data-db-2']);
  const pod1 = await c.client.get<Pod>(R.pods, 's1', 'db-1');
  assert.equal(pod1.spec.hostname, 'db-1');
  assert.equal(pod1.spec.subdomain, 'db');
  assert.deepEqual(pod1.spec.volumes.find((v: any) => v.name === 'data'), { name: 'data', persistentVolumeClaim: { claimName: 'data-db-1' } });
  let sts = await get(R.statefulsets, 's1', 'db');
  assert.equal(sts.status.readyReplicas, 3);
  assert.equal(sts.status.currentRevision, sts.status.updateRevision);
  const revs = (await c.client.list(R.controllerrevisions, 's1')).items;
  assert.equal(revs.length, 1);
  assert.equal(pod1.metadata!.labels!['controller-revision-hash'], revs[0].metadata!.name);

  // rolling update, highest ordinal first
  await c.k(['-n', 's1', 'set', 'image', 'statefulset/db', 'pg=postgres:2']);
  assert.match(await c.k(['-n', 's1', 'rollout', 'status', 'statefulset/db', '--timeout=30s']), /(partitioned roll out complete: 3 new pods|rolling update complete 3 pods)/);
  sts = await get(R.statefulsets, 's1', 'db');
  assert.equal(sts.status.updatedReplicas, 3);
  assert.equal(sts.status.currentRevision, sts.status.updateRevision);
  const pods = await listPods(c.client, 's1');
  assert.ok(pods.every((p) => p.spec.containers[0].image === 'postgres:2'));
  assert.match(await c.k(['-n', 's1', 'rollout', 'history', 'statefulset/db']), /1\s+<none>\s+2\s+<none>/s);

  await c.k(['-n', 's1', 'scale', 'statefulset/db', '--replicas=1']);
  await eventually(async () => JSON.stringify(await names()) === '["db-0"]', 15_000, 'scaled down to db-0');
  assert.equal((await c.client.list(R.pvcs, 's1')).items.length, 3, 'claims are retained');
});

// -------------------------------------------------------------------------------------- DaemonSet

test('a DaemonSet runs one pod per eligible node and reports it', async () => {
  await c.k(['create', 'namespace', 'ds']);
  await apply('ds', {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent' },
    spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'agent:1' }] } } },
  });
  assert.match(await c.k(['-n', 'ds', 'rollout', 'status', 'daemonset/agent', '--timeout=30s']), /successfully rolled out/);
  const pods = await listPods(c.client, 'ds');
  assert.equal(pods.length, 1);
  assert.equal(pods[0].spec.nodeName, 'flotilla-node');
  const ds = await get(R.daemonsets, 'ds', 'agent');
  assert.deepEqual(
    [ds.status.desiredNumberScheduled, ds.status.currentNumberScheduled, ds.status.numberReady, ds.status.numberAvailable, ds.status.updatedNumberScheduled, ds.status.numberMisscheduled],
    [1, 1, 1, 1, 1, 0],
  );
  // a selector no node matches: the pod goes
  await c.k(['-n', 'ds', 'patch', 'daemonset/agent', '-p', '{"spec":{"template":{"spec":{"nodeSelector":{"gpu":"yes"}}}}}']);
  await eventually(async () => (await listPods(c.client, 'ds')).filter((p) => !p.metadata?.deletionTimestamp).length === 0, 15_000, 'no daemon pod');
  await eventually(async () => (await get(R.daemonsets, 'ds', 'agent')).status?.desiredNumberScheduled === 0, 10_000, 'desired 0');
});

// -------------------------------------------------------------------------------------- Endpoints

test('Endpoints and EndpointSlices follow pod readiness; named target ports resolve', async () => {
  await c.k(['create', 'namespace', 'ep']);
  await apply('ep', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }] }] } },
    },
  });
  await apply('ep', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
  await c.k(['-n', 'ep', 'rollout', 'status', 'deployment/web', '--timeout=30s']);
  const pods = (await listPods(c.client, 'ep')).filter((p) => !p.metadata?.deletionTimestamp);
  const ips = pods.map((p) => p.status.podIP).sort();
  const epOf = async () => c.client.get<any>(R.endpoints, 'ep', 'web');
  const ready = async () => ((await epOf()).subsets?.[0]?.addresses ?? []).map((a: any) => a.ip).sort();
  await eventually(async () => JSON.stringify(await ready()) === JSON.stringify(ips), 10_000, 'both pods ready in Endpoints');
  const ep = await epOf();
  assert.deepEqual(ep.subsets[0].ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  assert.match(await c.k(['-n', 'ep', 'get', 'endpoints', 'web']), new RegExp(`${ips[0].replace(/\./g, '\\.')}:8080`));

  await setPodReady(c.client, 'ep', pods[0].metadata!.name!, false);
  await eventually(async () => {
    const s = (await epOf()).subsets?.[0] ?? {};
    return (s.addresses ?? []).length === 1 && (s.notReadyAddresses ?? [])[0]?.ip === pods[0].status.podIP;
  }, 10_000, 'the unready pod moves to notReadyAddresses');
  await eventually(async () => {
    const slices = (await c.client.list<Obj>(R.endpointslices, 'ep', { labelSelector: 'kubernetes.io/service-name=web' })).items;
    const eps = slices.flatMap((s) => (s.endpoints ?? []) as any[]);
    return eps.length === 2 && eps.find((e) => e.addresses[0] === pods[0].status.podIP)?.conditions.ready === false;
  }, 10_000, 'EndpointSlice ready=false');
  await setPodReady(c.client, 'ep', pods[0].metadata!.name!, true);
  await eventually(async () => (await ready()).length === 2, 10_000, 'ready again');

  await c.k(['-n', 'ep', 'delete', 'service', 'web']);
  await eventually(async () => (await c.client.list(R.endpoints, 'ep')).items.length === 0, 10_000, 'Endpoints removed with the Service');
  // the API server keeps default/kubernetes pointing at itself; the controller leaves it alone
  const kube = (await c.client.get<Obj>(R.endpoints, 'default', 'kubernetes')) as any;
  assert.equal(kube.metadata.labels?.['endpointslice.kubernetes.io/skip-mirror'], 'true');
  assert.equal(kube.subsets?.[0]?.ports?.[0]?.name, 'https');
  assert.equal(kube.metadata.managedFields, undefined, 'no controller wrote it');
});

// -------------------------------------------------------------------------------------- scheduler

test('the scheduler leaves an unschedulable pod Pending with a reason, and binds it once a node fits', async () => {
  await c.k(['create', 'namespace', 'sch']);
  await apply('sch', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'picky' }, spec: { nodeSelector: { disk: 'ssd' }, containers: [{ name: 'c', image: 'nginx' }] } });
  await apply('sch', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'hungry' }, spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '64' } } }] } });
  const reason = async (name: string) => cond(await c.client.get<Pod>(R.pods, 'sch', name), 'PodScheduled');
  await eventually(async () => (await reason('picky'))?.reason === 'Unschedulable', 10_000, 'picky unschedulable');
  assert.equal((await reason('picky')).message, "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.");
  await eventually(async () => (await reason('hungry'))?.reason === 'Unschedulable', 10_000, 'hungry unschedulable');
  assert.equal((await reason('hungry')).message, '0/1 nodes are available: 1 Insufficient cpu.');
  const picky = await c.client.get<Pod>(R.pods, 'sch', 'picky');
  assert.equal(picky.status.phase, 'Pending');
  assert.ok(!picky.spec.nodeName);
  assert.match(await c.k(['-n', 'sch', 'get', 'events', '--field-selector', 'reason=FailedScheduling']), /didn't match Pod's node affinity\/selector/);

  await c.k(['label', 'node', 'flotilla-node', 'disk=ssd']);
  await eventually(async () => (await c.client.get<Pod>(R.pods, 'sch', 'picky')).spec.nodeName === 'flotilla-node', 10_000, 'picky bound');
  await eventually(async () => (await c.client.get<Pod>(R.pods, 'sch', 'picky')).status.phase === 'Running', 10_000, 'picky running');
  assert.ok(!(await c.client.get<Pod>(R.pods, 'sch', 'hungry')).spec.nodeName);
  // a taint nobody tolerates keeps new pods off the node
  await c.k(['taint', 'node', 'flotilla-node', 'maintenance=now:NoSchedule']);
  try {
    await apply('sch', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'late' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    await eventually(async () => (await reason('late'))?.message === '0/1 nodes are available: 1 node(s) had untolerated taint {maintenance: now}.', 10_000, 'late unschedulable (taint)');
  } finally {
    await c.k(['taint', 'node', 'flotilla-node', 'maintenance=now:NoSchedule-']);
  }
  await eventually(async () => !!(await c.client.get<Pod>(R.pods, 'sch', 'late')).spec.nodeName, 10_000, 'late bound after the taint went');
});

// ---------------------------------------------------------------------------- namespace defaults

test('every namespace gets ServiceAccount "default" and ConfigMap kube-root-ca.crt with the API server CA', async () => {
  await c.k(['create', 'namespace', 'fresh']);
  await eventually(async () => !!(await c.client.get(R.serviceaccounts, 'fresh', 'default').catch(() => undefined)), 10_000, 'default SA');
  const cm = await eventually(async () => c.client.get<Obj>(R.configmaps, 'fresh', 'kube-root-ca.crt').catch(() => undefined), 10_000, 'root CA');
  assert.equal((cm!.data as Record<string, string>)['ca.crt'], c.server.caPem);
  await c.k(['-n', 'fresh', 'delete', 'configmap', 'kube-root-ca.crt']);
  await c.k(['-n', 'fresh', 'delete', 'serviceaccount', 'default']);
  await eventually(async () => !!(await c.client.get(R.configmaps, 'fresh', 'kube-root-ca.crt').catch(() => undefined)), 10_000, 'root CA recreated');
  await eventually(async () => !!(await c.client.get(R.serviceaccounts, 'fresh', 'default').catch(() => undefined)), 10_000, 'default SA recreated');
  for (const ns of ['default', 'kube-system']) assert.ok(await c.client.get(R.serviceaccounts, ns, 'default'));
});
