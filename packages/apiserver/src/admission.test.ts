/** Built-in admission: ServiceAccount (pods), DefaultStorageClass (claims), the default ServiceAccount of each namespace. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCluster, type TestCluster } from './testutil.js';

const MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

let c: TestCluster;

const pod = (name: string, spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, ...meta },
  spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec },
});
const sa = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name }, ...extra });
const ns = async (name: string) => {
  const r = await c.req('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  assert.equal(r.status, 201, r.text);
};
const post = async (path: string, body: unknown, status = 201) => {
  const r = await c.req('POST', path, body);
  assert.equal(r.status, status, r.text);
  return r.body;
};
const tokenVolumes = (p: any) => ((p.spec.volumes ?? []) as any[]).filter((v) => String(v.name).startsWith('kube-api-access-'));
const saMounts = (ctr: any) => ((ctr.volumeMounts ?? []) as any[]).filter((m) => m.mountPath === MOUNT);

describe('admission', { timeout: 120_000 }, () => {
  before(async () => {
    c = await startTestCluster();
    await ns('adm');
  });
  after(async () => {
    await c?.close();
  });

  it('a new namespace has its ServiceAccount "default" at once, so pods can be created right away', async () => {
    await ns('fresh');
    const r = await c.req('GET', '/api/v1/namespaces/fresh/serviceaccounts/default');
    assert.equal(r.status, 200, r.text);
    assert.ok(r.body.metadata.uid);
    for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) assert.equal((await c.req('GET', `/api/v1/namespaces/${n}/serviceaccounts/default`)).status, 200, n);
    await post('/api/v1/namespaces/fresh/pods', pod('right-away'));
    // a dry-run namespace creates nothing
    await post('/api/v1/namespaces?dryRun=All', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dry' } });
    assert.equal((await c.req('GET', '/api/v1/namespaces/dry/serviceaccounts/default')).status, 404);
  });

  it('defaults serviceAccountName and mounts the kube-api-access projected volume in every container', async () => {
    const p = await post(
      '/api/v1/namespaces/adm/pods',
      pod('plain', {
        initContainers: [{ name: 'init', image: 'busybox' }],
        containers: [
          { name: 'a', image: 'busybox', volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }] },
          { name: 'b', image: 'busybox' },
        ],
        volumes: [{ name: 'scratch', emptyDir: {} }],
      }),
    );
    assert.equal(p.spec.serviceAccountName, 'default');
    assert.equal(p.spec.serviceAccount, 'default');
    assert.equal(p.spec.enableServiceLinks, true);
    const vols = tokenVolumes(p);
    assert.equal(vols.length, 1);
    assert.match(vols[0].name, /^kube-api-access-[a-z0-9]{5}$/);
    assert.deepEqual(vols[0], {
      name: vols[0].name,
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    });
    assert.equal(p.spec.volumes[0].name, 'scratch', 'the token volume is appended');
    for (const ctr of [...p.spec.initContainers, ...p.spec.containers]) assert.deepEqual(saMounts(ctr), [{ name: vols[0].name, readOnly: true, mountPath: MOUNT }], ctr.name);
    assert.deepEqual(p.spec.containers[0].volumeMounts[0], { name: 'scratch', mountPath: '/scratch' }, 'existing mounts first');
    // the stored object is what was answered
    const got = (await c.req('GET', '/api/v1/namespaces/adm/pods/plain')).body;
    assert.deepEqual(got.spec, p.spec);
    // each pod gets its own random name
    const q = await post('/api/v1/namespaces/adm/pods', pod('plain2'));
    assert.notEqual(tokenVolumes(q)[0].name, vols[0].name);
  });

  it('the deprecated serviceAccount field names the account when serviceAccountName is not set', async () => {
    await post('/api/v1/namespaces/adm/serviceaccounts', sa('old-style'));
    const p = await post('/api/v1/namespaces/adm/pods', pod('dep', { serviceAccount: 'old-style' }));
    assert.equal(p.spec.serviceAccountName, 'old-style');
    assert.equal(p.spec.serviceAccount, 'old-style');
  });

  it('automount opt-outs: the pod, the ServiceAccount, and the pod overriding its ServiceAccount', async () => {
    await post('/api/v1/namespaces/adm/serviceaccounts', sa('quiet', { automountServiceAccountToken: false }));
    await post('/api/v1/namespaces/adm/serviceaccounts', sa('loud', { automountServiceAccountToken: true }));
    const podOff = await post('/api/v1/namespaces/adm/pods', pod('pod-off', { automountServiceAccountToken: false }));
    assert.equal(tokenVolumes(podOff).length, 0);
    assert.equal(saMounts(podOff.spec.containers[0]).length, 0);
    assert.equal(podOff.spec.serviceAccountName, 'default', 'still defaulted');
    const saOff = await post('/api/v1/namespaces/adm/pods', pod('sa-off', { serviceAccountName: 'quiet' }));
    assert.equal(tokenVolumes(saOff).length, 0);
    assert.equal(saMounts(saOff.spec.containers[0]).length, 0);
    const podWins = await post('/api/v1/namespaces/adm/pods', pod('pod-wins', { serviceAccountName: 'quiet', automountServiceAccountToken: true }));
    assert.equal(tokenVolumes(podWins).length, 1);
    assert.equal(saMounts(podWins.spec.containers[0]).length, 1);
    const podOffSaOn = await post('/api/v1/namespaces/adm/pods', pod('pod-off-sa-on', { serviceAccountName: 'loud', automountServiceAccountToken: false }));
    assert.equal(tokenVolumes(podOffSaOn).length, 0);
  });

  it('a container that already mounts the token path keeps its own mount', async () => {
    const own = { name: 'own-token', mountPath: MOUNT, readOnly: true };
    const p = await post(
      '/api/v1/namespaces/adm/pods',
      pod('own', {
        containers: [
          { name: 'mine', image: 'busybox', volumeMounts: [own] },
          { name: 'other', image: 'busybox' },
        ],
        volumes: [{ name: 'own-token', secret: { secretName: 'x' } }],
      }),
    );
    assert.deepEqual(p.spec.containers[0].volumeMounts, [own]);
    const vols = tokenVolumes(p);
    assert.equal(vols.length, 1, 'still needed by the other container');
    assert.deepEqual(saMounts(p.spec.containers[1]), [{ name: vols[0].name, readOnly: true, mountPath: MOUNT }]);
    // every container mounting its own: nothing added
    const q = await post(
      '/api/v1/namespaces/adm/pods',
      pod('own-all', { containers: [{ name: 'mine', image: 'busybox', volumeMounts: [own] }], volumes: [{ name: 'own-token', secret: { secretName: 'x' } }] }),
    );
    assert.equal(tokenVolumes(q).length, 0);
    assert.deepEqual(q.spec.volumes.map((v: any) => v.name), ['own-token']);
    assert.deepEqual(q.spec.containers[0].volumeMounts, [own]);
    // a kube-api-access-* volume the pod brings along (a copied spec) is reused, not duplicated
    const r = await post(
      '/api/v1/namespaces/adm/pods',
      pod('copied', { containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'kube-api-access-abcde', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } }] }),
    );
    assert.deepEqual(tokenVolumes(r).map((v: any) => v.name), ['kube-api-access-abcde']);
    assert.deepEqual(saMounts(r.spec.containers[0]), [{ name: 'kube-api-access-abcde', readOnly: true, mountPath: MOUNT }]);
  });

  it('a missing ServiceAccount is 403 Forbidden with Kubernetes\' message (also for generateName and dry-run)', async () => {
    const r = await c.req('POST', '/api/v1/namespaces/adm/pods', pod('lost', { serviceAccountName: 'nobody' }));
    assert.equal(r.status, 403, r.text);
    assert.equal(r.body.reason, 'Forbidden');
    assert.equal(r.body.message, 'pods "lost" is forbidden: error looking up service account adm/nobody: serviceaccount "nobody" not found');
    assert.deepEqual(r.body.details, { name: 'lost', kind: 'pods' });
    assert.equal((await c.req('GET', '/api/v1/namespaces/adm/pods/lost')).status, 404);
    const g = await c.req('POST', '/api/v1/namespaces/adm/pods', { ...pod(''), metadata: { generateName: 'web-' }, spec: { serviceAccountName: 'nobody', containers: [{ name: 'c', image: 'busybox' }] } });
    assert.equal(g.status, 403);
    assert.equal(g.body.message, 'pods "web-" is forbidden: error looking up service account adm/nobody: serviceaccount "nobody" not found');
    const d = await c.req('POST', '/api/v1/namespaces/adm/pods?dryRun=All', pod('lost', { serviceAccountName: 'nobody' }));
    assert.equal(d.status, 403);
    // the default account deleted: pods wait for it to come back (the controllers recreate it), as in Kubernetes
    await ns('no-default');
    assert.equal((await c.req('DELETE', '/api/v1/namespaces/no-default/serviceaccounts/default')).status, 200);
    const nd = await c.req('POST', '/api/v1/namespaces/no-default/pods', pod('p'));
    assert.equal(nd.status, 403);
    assert.match(nd.body.message, /error looking up service account no-default\/default: serviceaccount "default" not found/);
    await post('/api/v1/namespaces/no-default/serviceaccounts', sa('default'));
    await post('/api/v1/namespaces/no-default/pods', pod('p'));
    // a missing namespace is still a 404 about the namespace
    const nn = await c.req('POST', '/api/v1/namespaces/nowhere/pods', pod('p'));
    assert.equal(nn.status, 404);
    assert.match(nn.body.message, /namespaces "nowhere" not found/);
  });

  it('updates do not add the volume again', async () => {
    const created = await post('/api/v1/namespaces/adm/pods', pod('upd'));
    const name = tokenVolumes(created)[0].name;
    const put = await c.req('PUT', '/api/v1/namespaces/adm/pods/upd', { ...created, metadata: { ...created.metadata, labels: { x: 'y' } } });
    assert.equal(put.status, 200, put.text);
    assert.deepEqual(tokenVolumes(put.body).map((v: any) => v.name), [name]);
    assert.equal(saMounts(put.body.spec.containers[0]).length, 1);
    const patched = await c.req('PATCH', '/api/v1/namespaces/adm/pods/upd', { metadata: { labels: { z: 'w' } } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(patched.status, 200, patched.text);
    assert.deepEqual(tokenVolumes(patched.body).map((v: any) => v.name), [name]);
    // a pod that opted out stays without one
    const off = await post('/api/v1/namespaces/adm/pods', pod('upd-off', { automountServiceAccountToken: false }));
    const put2 = await c.req('PUT', '/api/v1/namespaces/adm/pods/upd-off', { ...off, metadata: { ...off.metadata, labels: { x: 'y' } } });
    assert.equal(put2.status, 200, put2.text);
    assert.equal(tokenVolumes(put2.body).length, 0);
  });

  it('dry-run shows the admitted pod and stores nothing; server-side apply creates admitted pods', async () => {
    const d = await post('/api/v1/namespaces/adm/pods?dryRun=All', pod('dry'));
    assert.equal(d.spec.serviceAccountName, 'default');
    assert.equal(tokenVolumes(d).length, 1);
    assert.equal(saMounts(d.spec.containers[0]).length, 1);
    assert.equal((await c.req('GET', '/api/v1/namespaces/adm/pods/dry')).status, 404);
    const a = await c.req('PATCH', '/api/v1/namespaces/adm/pods/applied?fieldManager=test', JSON.stringify(pod('applied')), { 'content-type': 'application/apply-patch+yaml' });
    assert.equal(a.status, 201, a.text);
    assert.equal(tokenVolumes(a.body).length, 1);
    assert.equal(a.body.spec.serviceAccountName, 'default');
    // kubectl too
    const y = await c.k(['-n', 'adm', 'run', 'kc', '--image=busybox', '-o', 'json']);
    const kp = JSON.parse(y);
    assert.equal(tokenVolumes(kp).length, 1);
  });

  it('DefaultStorageClass: a claim without a class gets the default one (newest of several); "" and explicit classes are kept', async () => {
    const pvc = (name: string, spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}) => ({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name, ...meta },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec },
    });
    const sc = (name: string, isDefault: boolean) => ({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name, ...(isDefault ? { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } : {}) },
      provisioner: 'example.com/x',
    });
    const none = await post('/api/v1/namespaces/adm/persistentvolumeclaims', pvc('before'));
    assert.equal(none.spec.storageClassName, undefined, 'no default class yet');
    await post('/apis/storage.k8s.io/v1/storageclasses', sc('plain', false));
    assert.equal((await post('/api/v1/namespaces/adm/persistentvolumeclaims', pvc('still-none'))).spec.storageClassName, undefined);
    await post('/apis/storage.k8s.io/v1/storageclasses', sc('first-default', true));
    assert.equal((await post('/api/v1/namespaces/adm/persistentvolumeclaims', pvc('gets-default'))).spec.storageClassName, 'first-default');
    assert.equal((await post('/api/v1/namespaces/adm/persistentvolumeclaims', pvc('empty', { storageClassName: '' }))).spec.storageClassName, '');
    assert.equal((await post('/api/v1/namespaces/adm/persistentvolumeclaims', pvc('explicit', { storageClassName: 'plain' }))).spec.storageClassName, 'plain');
    const beta = await post('/api/v1/namespaces/adm/persistentvolumeclaims', pvc('beta', {}, { annotations: { 'volume.beta.kubernetes.io/storage-class': 'plain' } }));
    assert.equal(beta.spec.storageClassName, undefined);
    const dry = await post('/api/v1/namespaces/adm/persistentvolumeclaims?dryRun=All', pvc('dry'));
    assert.equal(dry.spec.storageClassName, 'first-default');
    // creation timestamps have a one-second resolution
    await new Promise((r) => setTimeout(r, 1100));
    await post('/apis/storage.k8s.io/v1/storageclasses', sc('second-default', true));
    assert.equal((await post('/api/v1/namespaces/adm/persistentvolumeclaims', pvc('newest'))).spec.storageClassName, 'second-default');
    // an existing claim is not changed by updates
    const put = await c.req('PUT', '/api/v1/namespaces/adm/persistentvolumeclaims/before', { ...none, metadata: { ...none.metadata, labels: { a: 'b' } } });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.body.spec.storageClassName, undefined);
  });
});

describe('the default ServiceAccount at start', { timeout: 60_000 }, () => {
  it('namespaces that lack it get it when the server starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-adm-'));
    try {
      let t = await startTestCluster({ dir });
      const r = await t.req('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'old' } });
      assert.equal(r.status, 201);
      assert.equal((await t.req('DELETE', '/api/v1/namespaces/old/serviceaccounts/default')).status, 200);
      const uid = (await t.req('GET', '/api/v1/namespaces/default/serviceaccounts/default')).body.metadata.uid;
      await t.close();
      t = await startTestCluster({ dir });
      try {
        assert.equal((await t.req('GET', '/api/v1/namespaces/old/serviceaccounts/default')).status, 200);
        assert.equal((await t.req('GET', '/api/v1/namespaces/default/serviceaccounts/default')).body.metadata.uid, uid, 'existing ones are kept');
      } finally {
        await t.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
