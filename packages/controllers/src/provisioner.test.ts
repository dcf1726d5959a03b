/**
 * The local-path provisioner and the PV binder end to end (the real API server, the controllers as
 * API clients, a stand-in kubelet), and the scheduler waiting for claims.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startControllers, type RunningControllers } from './index.js';
import { R } from '@flotilla/kube-runtime';
import { PVS, STORAGE_CLASSES, findVolume, volumeMismatch } from './provisioner.js';
import { checkPodClaims, volumeNodeReasons } from './scheduling.js';
import { eventually, startCluster, startFakeKubelet, type Cluster, type FakeKubelet } from './testkit.js';
import type { Obj } from './util.js';

let c: Cluster;
let ctl: RunningControllers;
let kubelet: FakeKubelet;
let storageDir: string;

before(async () => {
  c = await startCluster();
  storageDir = join(c.dir, 'storage');
  ctl = await startControllers({
    kubeconfig: c.kubeconfig,
    controllers: ['statefulset', 'namespace-defaults', 'scheduler', 'provisioner'],
    scheduler: { createNode: { capacity: { cpu: '4', memory: '8Gi', pods: '110' } } },
    storageDir,
  });
  kubelet = startFakeKubelet(c.client);
});

after(async () => {
  await kubelet?.stop();
  await ctl?.stop();
  await c?.close();
});

const pvc = (name: string, spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): Obj => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name, ...meta },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec },
});
const hostPv = (name: string, path: string, spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): Obj => ({
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  metadata: { name, ...meta },
  spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path, type: 'DirectoryOrCreate' }, ...spec },
});
const getPvc = (ns: string, name: string) => c.client.get<Obj>(R.pvcs, ns, name);
const getPv = (name: string) => c.client.get<Obj>(PVS, undefined, name);
const gone = async (p: Promise<unknown>) => p.then(() => false, (e) => (e as { code?: number }).code === 404);
const bound = (ns: string, name: string, ms = 15_000): Promise<Obj> =>
  eventually(async () => {
    const p = await getPvc(ns, name);
    return p.status?.phase === 'Bound' && p.spec?.volumeName ? p : undefined;
  }, ms, `claim ${ns}/${name} Bound`) as Promise<Obj>;
const events = async (ns: string, name: string) =>
  ((await c.client.list<Obj>(R.events, ns)).items as any[]).filter((e) => e.involvedObject?.name === name);
const podUsing = (name: string, claim: string): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'nginx' }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim } }] },
});

test('pure: volume matching and claim checks', () => {
  const claim = pvc('c', { storageClassName: 'manual', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } });
  claim.metadata!.namespace = 'n';
  claim.metadata!.uid = 'u1';
  const big = hostPv('big', '/x', { storageClassName: 'manual', capacity: { storage: '10Gi' }, accessModes: ['ReadWriteOnce', 'ReadWriteMany'] });
  const fits = hostPv('fits', '/x', { storageClassName: 'manual', capacity: { storage: '2Gi' } });
  const small = hostPv('small', '/x', { storageClassName: 'manual', capacity: { storage: '1Gi' } });
  const other = hostPv('other', '/x', { storageClassName: 'fast', capacity: { storage: '5Gi' } });
  const rox = hostPv('rox', '/x', { storageClassName: 'manual', capacity: { storage: '5Gi' }, accessModes: ['ReadOnlyMany'] });
  assert.equal(volumeMismatch(small, claim), 'requested PV is too small');
  assert.equal(volumeMismatch(other, claim), 'storageClassName does not match');
  assert.equal(volumeMismatch(rox, claim), 'incompatible accessMode');
  assert.equal(findVolume(claim, [big, small, other, rox, fits])?.metadata?.name, 'fits', 'the smallest that fits');
  const pre = hostPv('pre', '/x', { storageClassName: 'manual', capacity: { storage: '10Gi' }, claimRef: { namespace: 'n', name: 'c' } });
  assert.equal(findVolume(claim, [fits, pre])?.metadata?.name, 'pre', 'pre-bound wins');
  const taken = hostPv('taken', '/x', { storageClassName: 'manual', capacity: { storage: '2Gi' }, claimRef: { namespace: 'n', name: 'other', uid: 'u2' } });
  assert.equal(findVolume(claim, [taken]), undefined);
  const labelled = { ...fits, metadata: { name: 'labelled', labels: { tier: 'gold' } } };
  assert.equal(findVolume({ ...claim, spec: { ...claim.spec, selector: { matchLabels: { tier: 'gold' } } } }, [fits, labelled])?.metadata?.name, 'labelled');

  const wait = { metadata: { name: 'wait' }, volumeBindingMode: 'WaitForFirstConsumer' } as Obj;
  const claims: Record<string, Obj> = {
    ok: { metadata: { name: 'ok' }, spec: { volumeName: 'pv1' }, status: { phase: 'Bound' } },
    pending: { metadata: { name: 'pending' }, spec: { storageClassName: 'x' }, status: { phase: 'Pending' } },
    later: { metadata: { name: 'later' }, spec: { storageClassName: 'wait' }, status: { phase: 'Pending' } },
  };
  const pod = (...names: string[]) => ({ spec: { volumes: names.map((n) => ({ name: n, persistentVolumeClaim: { claimName: n } })) } });
  const check = (...names: string[]) => checkPodClaims(pod(...names), (n) => claims[n], (n) => (n === 'pv1' ? hostPv('pv1', '/x') : undefined), (n) => (n === 'wait' ? wait : undefined));
  assert.equal(check('ok').blocking, undefined);
  assert.equal(check('missing').blocking, 'persistentvolumeclaim "missing" not found');
  assert.equal(check('ok', 'pending').blocking, 'pod has unbound immediate PersistentVolumeClaims');
  assert.deepEqual(check('later').delayed.map((x) => x.metadata?.name), ['later']);
  const node = { metadata: { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1' } } } as Obj;
  const pinned = hostPv('p', '/x', { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n2'] }] }] } } });
  assert.deepEqual(volumeNodeReasons([pinned], node), ['node(s) had volume node affinity conflict']);
  assert.deepEqual(volumeNodeReasons([undefined], node), ['node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)']);
  assert.deepEqual(volumeNodeReasons([hostPv('free', '/x')], node), []);
});

test('the local-path StorageClass exists and is the default', async () => {
  const sc = await c.client.get<Obj>(STORAGE_CLASSES, undefined, 'local-path');
  assert.equal((sc as any).provisioner, 'flotilla.dev/local-path');
  assert.equal((sc as any).reclaimPolicy, 'Delete');
  assert.equal((sc as any).volumeBindingMode, 'Immediate');
  assert.equal(sc.metadata?.annotations?.['storageclass.kubernetes.io/is-default-class'], 'true');
  assert.match(await c.k(['get', 'storageclass']), /local-path \(default\)\s+flotilla\.dev\/local-path\s+Delete\s+Immediate/);
});

test('a claim without a class gets local-path, a directory and a bound PersistentVolume', async () => {
  await c.k(['create', 'namespace', 'pv1']);
  const created = await c.client.create<Obj>(R.pvcs, 'pv1', pvc('data', { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } }));
  assert.equal(created.spec.storageClassName, 'local-path', 'DefaultStorageClass admission');
  const claim = await bound('pv1', 'data');
  const uid = claim.metadata!.uid!;
  assert.equal(claim.spec.volumeName, `pvc-${uid}`);
  assert.deepEqual(claim.status, { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '2Gi' } });
  assert.equal(claim.metadata?.annotations?.['pv.kubernetes.io/bind-completed'], 'yes');
  assert.equal(claim.metadata?.annotations?.['pv.kubernetes.io/bound-by-controller'], 'yes');
  assert.equal(claim.metadata?.annotations?.['volume.kubernetes.io/storage-provisioner'], 'flotilla.dev/local-path');
  const pv = await getPv(`pvc-${uid}`);
  const dir = join(storageDir, `pvc-${uid}_pv1_data`);
  assert.deepEqual(pv.spec.hostPath, { path: dir, type: 'DirectoryOrCreate' });
  assert.deepEqual(pv.spec.capacity, { storage: '2Gi' });
  assert.deepEqual(pv.spec.accessModes, ['ReadWriteOnce']);
  assert.equal(pv.spec.persistentVolumeReclaimPolicy, 'Delete');
  assert.equal(pv.spec.storageClassName, 'local-path');
  assert.deepEqual({ ...pv.spec.claimRef, resourceVersion: undefined }, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'pv1', name: 'data', uid, resourceVersion: undefined });
  assert.equal(pv.metadata?.annotations?.['pv.kubernetes.io/provisioned-by'], 'flotilla.dev/local-path');
  await eventually(async () => (await getPv(`pvc-${uid}`)).status?.phase === 'Bound', 10_000, 'PV Bound');
  assert.ok(statSync(dir).isDirectory());
  assert.equal(statSync(dir).mode & 0o777, 0o777);
  const ev = await eventually(async () => (await events('pv1', 'data')).find((e) => e.reason === 'ProvisioningSucceeded'), 10_000, 'ProvisioningSucceeded');
  assert.equal(ev.message, `Successfully provisioned volume pvc-${uid}`);
  assert.match(await c.k(['-n', 'pv1', 'get', 'pvc', 'data']), new RegExp(`data\\s+Bound\\s+pvc-${uid}\\s+2Gi\\s+RWO\\s+local-path`));

  // deleting the claim releases the volume; reclaimPolicy Delete removes it and its directory
  writeFileSync(join(dir, 'file'), 'x');
  await c.client.delete(R.pvcs, 'pv1', 'data');
  await eventually(() => gone(getPv(`pvc-${uid}`)), 15_000, 'the PV deleted');
  await eventually(() => !existsSync(dir), 5_000, 'the directory removed');
});

test('an unknown class leaves the claim Pending with a ProvisioningFailed event until the class exists', async () => {
  await c.k(['create', 'namespace', 'pv2']);
  await c.client.create(R.pvcs, 'pv2', pvc('c', { storageClassName: 'later' }));
  const ev = await eventually(async () => (await events('pv2', 'c')).find((e) => e.reason === 'ProvisioningFailed'), 10_000, 'ProvisioningFailed');
  assert.equal(ev.type, 'Warning');
  assert.equal(ev.message, 'storageclass.storage.k8s.io "later" not found');
  assert.equal((await getPvc('pv2', 'c')).status?.phase, 'Pending');
  // a class of another provisioner: waiting for it
  await c.client.create(R.pvcs, 'pv2', pvc('ext', { storageClassName: 'external' }));
  await c.client.create(STORAGE_CLASSES, undefined, { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'external' }, provisioner: 'example.com/elsewhere' } as Obj);
  const ext = await eventually(async () => (await events('pv2', 'ext')).find((e) => e.reason === 'ExternalProvisioning'), 10_000, 'ExternalProvisioning');
  assert.match(ext.message, /Waiting for a volume to be created either by the external provisioner 'example.com\/elsewhere'/);
  // the class appears (Retain this time): the claim is provisioned
  await c.client.create(STORAGE_CLASSES, undefined, {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'later' },
    provisioner: 'flotilla.dev/local-path',
    reclaimPolicy: 'Retain',
  } as Obj);
  const claim = await bound('pv2', 'c');
  const pvName = claim.spec.volumeName;
  const pv = await getPv(pvName);
  assert.equal(pv.spec.persistentVolumeReclaimPolicy, 'Retain');
  // Retain: the claim deleted, the volume stays Released with its data
  await c.client.delete(R.pvcs, 'pv2', 'c');
  const released = (await eventually(async () => {
    const v = await getPv(pvName);
    return v.status?.phase === 'Released' ? v : undefined;
  }, 10_000, 'Released')) as Obj;
  assert.ok(existsSync(released.spec.hostPath.path));
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await getPv(pvName)).status?.phase, 'Released');
  assert.equal((await getPvc('pv2', 'ext')).status?.phase, 'Pending');
});

test('static binding: a claim takes the smallest matching Available volume', async () => {
  await c.k(['create', 'namespace', 'pv3']);
  const dir = join(c.dir, 'static');
  mkdirSync(dir, { recursive: true });
  await c.client.create(PVS, undefined, hostPv('static-big', join(dir, 'big'), { storageClassName: 'manual', capacity: { storage: '10Gi' }, accessModes: ['ReadWriteOnce', 'ReadWriteMany'] }));
  await c.client.create(PVS, undefined, hostPv('static-small', join(dir, 'small'), { storageClassName: 'manual', capacity: { storage: '3Gi' } }));
  await c.client.create(PVS, undefined, hostPv('static-noclass', join(dir, 'none'), { capacity: { storage: '1Gi' } }));
  await eventually(async () => (await getPv('static-small')).status?.phase === 'Available', 10_000, 'Available');
  await c.client.create(R.pvcs, 'pv3', pvc('rwo', { storageClassName: 'manual', resources: { requests: { storage: '2Gi' } } }));
  const rwo = await bound('pv3', 'rwo');
  assert.equal(rwo.spec.volumeName, 'static-small');
  assert.deepEqual(rwo.status.capacity, { storage: '3Gi' }, 'the volume\'s capacity');
  await c.client.create(R.pvcs, 'pv3', pvc('rwx', { storageClassName: 'manual', accessModes: ['ReadWriteMany'], resources: { requests: { storage: '2Gi' } } }));
  assert.equal((await bound('pv3', 'rwx')).spec.volumeName, 'static-big');
  await c.client.create(R.pvcs, 'pv3', pvc('none', { storageClassName: '' }));
  assert.equal((await bound('pv3', 'none')).spec.volumeName, 'static-noclass');
  const pv = await eventually(async () => {
    const v = await getPv('static-small');
    return v.status?.phase === 'Bound' ? v : undefined;
  }, 10_000, 'PV Bound');
  assert.equal(pv!.spec.claimRef.uid, rwo.metadata?.uid);
  assert.equal(pv!.metadata?.annotations?.['pv.kubernetes.io/bound-by-controller'], 'yes');
  // nothing left: a further claim waits
  await c.client.create(R.pvcs, 'pv3', pvc('nothing', { storageClassName: 'manual', resources: { requests: { storage: '50Gi' } } }));
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await getPvc('pv3', 'nothing')).status?.phase, 'Pending');
  // a volume the user pre-binds to a claim by claimRef goes to that claim only
  await c.client.create(PVS, undefined, hostPv('prebound', join(dir, 'pre'), { storageClassName: 'manual', capacity: { storage: '50Gi' }, claimRef: { namespace: 'pv3', name: 'nothing' } }));
  assert.equal((await bound('pv3', 'nothing')).spec.volumeName, 'prebound');
  // a claim deleted: its static volume (Retain, the default) is Released and stays
  await c.client.delete(R.pvcs, 'pv3', 'rwo');
  await eventually(async () => (await getPv('static-small')).status?.phase === 'Released', 10_000, 'Released');
});

test('the scheduler holds a pod until its claim exists and is bound', async () => {
  await c.k(['create', 'namespace', 'pv4']);
  await c.client.create(R.pods, 'pv4', podUsing('waits', 'later'));
  const cond = async () => ((await c.client.get<Obj>(R.pods, 'pv4', 'waits')).status?.conditions ?? []).find((x: any) => x.type === 'PodScheduled');
  const missing = await eventually(async () => {
    const x = await cond();
    return x?.reason === 'Unschedulable' && /not found/.test(x.message) ? x : undefined;
  }, 10_000, 'Unschedulable (missing claim)');
  assert.equal(missing.status, 'False');
  assert.equal(missing.message, '0/1 nodes are available: persistentvolumeclaim "later" not found.');
  // the claim exists but cannot bind yet (a class nobody provisions)
  await c.client.create(R.pvcs, 'pv4', pvc('later', { storageClassName: 'manual-4' }));
  const unbound = await eventually(async () => {
    const x = await cond();
    return /unbound/.test(x?.message ?? '') ? x : undefined;
  }, 10_000, 'Unschedulable (unbound claim)');
  assert.equal(unbound.message, '0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims.');
  assert.equal((await c.client.get<Obj>(R.pods, 'pv4', 'waits')).spec.nodeName, undefined);
  const fs = await eventually(async () => (await events('pv4', 'waits')).find((e) => e.reason === 'FailedScheduling' && /unbound/.test(e.message)), 10_000, 'FailedScheduling');
  assert.equal(fs.type, 'Warning');
  // a volume for it appears: the claim binds, the pod is scheduled (without waiting for the retry period)
  await c.client.create(PVS, undefined, hostPv('for-later', join(c.dir, 'later'), { storageClassName: 'manual-4' }));
  await bound('pv4', 'later');
  const p = await eventually(async () => {
    const x = await c.client.get<Obj>(R.pods, 'pv4', 'waits');
    return x.spec.nodeName ? x : undefined;
  }, 10_000, 'scheduled');
  assert.equal(p!.spec.nodeName, 'flotilla-node');
});

test('WaitForFirstConsumer: provisioned for the node the scheduler chose, then the pod is bound', async () => {
  await c.k(['create', 'namespace', 'pv5']);
  await c.client.create(STORAGE_CLASSES, undefined, {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'local-wait' },
    provisioner: 'flotilla.dev/local-path',
    volumeBindingMode: 'WaitForFirstConsumer',
  } as Obj);
  await c.client.create(R.pvcs, 'pv5', pvc('w', { storageClassName: 'local-wait' }));
  const ev = await eventually(async () => (await events('pv5', 'w')).find((e) => e.reason === 'WaitForFirstConsumer'), 10_000, 'WaitForFirstConsumer');
  assert.equal(ev.message, 'waiting for first consumer to be created before binding');
  assert.equal((await getPvc('pv5', 'w')).status?.phase, 'Pending');
  await c.client.create(R.pods, 'pv5', podUsing('consumer', 'w'));
  const claim = await bound('pv5', 'w');
  assert.equal(claim.metadata?.annotations?.['volume.kubernetes.io/selected-node'], 'flotilla-node');
  const pv = await getPv(claim.spec.volumeName);
  assert.deepEqual(pv.spec.nodeAffinity.required.nodeSelectorTerms, [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['flotilla-node'] }] }]);
  const p = await eventually(async () => {
    const x = await c.client.get<Obj>(R.pods, 'pv5', 'consumer');
    return x.spec.nodeName ? x : undefined;
  }, 20_000, 'scheduled');
  assert.equal(p!.spec.nodeName, 'flotilla-node');
});

test('a StatefulSet with volumeClaimTemplates gets bound claims and running pods', async () => {
  await c.k(['create', 'namespace', 'pv6']);
  await c.k(['-n', 'pv6', 'apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db' },
      spec: {
        replicas: 2,
        serviceName: 'db',
        selector: { matchLabels: { app: 'db' } },
        // (no volumeMounts: k8s-builtins' StatefulSet validation does not count volumeClaimTemplates as volumes yet)
        template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'redis' }] } },
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      },
    }),
  });
  for (const n of ['data-db-0', 'data-db-1']) {
    const claim = await bound('pv6', n, 30_000);
    assert.equal(claim.spec.storageClassName, 'local-path');
    assert.ok(existsSync(join(storageDir, `pvc-${claim.metadata!.uid}_pv6_${n}`)));
  }
  await eventually(async () => {
    const sts = await c.client.get<Obj>(R.statefulsets, 'pv6', 'db');
    return sts.status?.readyReplicas === 2;
  }, 30_000, 'two ready replicas');
  const p0 = await c.client.get<Obj>(R.pods, 'pv6', 'db-0');
  assert.deepEqual(p0.spec.volumes.find((v: any) => v.name === 'data'), { name: 'data', persistentVolumeClaim: { claimName: 'data-db-0' } });
});

test('a claim made while no class is the default gets one when a default appears', async () => {
  await c.k(['create', 'namespace', 'pv7']);
  const sc = await c.client.get<Obj>(STORAGE_CLASSES, undefined, 'local-path');
  const setDefault = (v: string) => c.client.patch(STORAGE_CLASSES, undefined, 'local-path', { metadata: { annotations: { 'storageclass.kubernetes.io/is-default-class': v } } });
  await setDefault('false');
  try {
    const made = await c.client.create<Obj>(R.pvcs, 'pv7', pvc('classless'));
    assert.equal(made.spec.storageClassName, undefined);
    const ev = await eventually(async () => (await events('pv7', 'classless')).find((e) => e.reason === 'FailedBinding'), 10_000, 'FailedBinding');
    assert.equal(ev.message, 'no persistent volumes available for this claim and no storage class is set');
  } finally {
    await setDefault('true');
  }
  const claim = await bound('pv7', 'classless');
  assert.equal(claim.spec.storageClassName, 'local-path');
  assert.ok(sc.metadata?.uid);
});
