/**
 * persistentVolumeClaim volumes served from the claim's bound PersistentVolume (no controllers run
 * here: the tests make and bind the volumes through the API by hand), and the API server's
 * ServiceAccount admission volume as the agent mounts it.
 */
import { R } from '@flotilla/kube-runtime';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, createPod, cstatus, deletePod, ensureNamespace, events, getPod, kubeletGet, podManifest, podWhere, startEnv, waitFor, type Env } from './testutil.js';

let env: Env;
/** where the test's volumes live: hidden from containers, as `flotilla up` hides its data dir */
let storage: string;
const done = (p: any) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

async function volume(name: string, path: string, claim?: { ns: string; name: string }): Promise<any> {
  return create(env.api, '/api/v1/persistentvolumes', {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name },
    spec: {
      capacity: { storage: '1Gi' },
      accessModes: ['ReadWriteOnce'],
      storageClassName: '',
      hostPath: { path, type: 'DirectoryOrCreate' },
      ...(claim ? { claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: claim.ns, name: claim.name } } : {}),
    },
  });
}

async function claim(ns: string, name: string): Promise<any> {
  return create(env.api, `/api/v1/namespaces/${ns}/persistentvolumeclaims`, {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name },
    spec: { accessModes: ['ReadWriteOnce'], storageClassName: '', resources: { requests: { storage: '1Gi' } } },
  });
}

/** What the PV binder does: claim → volumeName + status Bound, volume → claimRef + status Bound. */
async function bindByHand(ns: string, name: string, pvName: string): Promise<void> {
  const pvc = await env.api.request('GET', `/api/v1/namespaces/${ns}/persistentvolumeclaims/${name}`);
  const pv = await env.api.request('GET', `/api/v1/persistentvolumes/${pvName}`);
  const pv2 = await env.api.update(R.pvs, {
    ...pv,
    spec: { ...pv.spec, claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name, uid: pvc.metadata.uid } },
  });
  await env.api.update(R.pvs, { ...pv2, status: { phase: 'Bound' } }, 'status');
  const pvc2 = await env.api.update(R.pvcs, {
    ...pvc,
    metadata: { ...pvc.metadata, annotations: { 'pv.kubernetes.io/bind-completed': 'yes' } },
    spec: { ...pvc.spec, volumeName: pvName },
  });
  await env.api.update(R.pvcs, {
    ...pvc2,
    status: { phase: 'Bound', accessModes: pv.spec.accessModes, capacity: pv.spec.capacity },
  }, 'status');
}

const shPod = (name: string, script: string, claimName: string) =>
  podManifest(name, {
    restartPolicy: 'Never',
    containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', script], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
    volumes: [{ name: 'data', persistentVolumeClaim: { claimName } }],
  });

function httpsGet(url: string, token: string, ca: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const r = request(url, { ca, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        let body: any;
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    r.on('error', reject);
    r.end();
  });
}

describe('persistent volume claims', { concurrency: true, timeout: 120_000 }, () => {
  before(async () => {
    storage = mkdtempSync(join(tmpdir(), 'flotilla-pv-'));
    env = await startEnv({ hidePaths: [storage] });
  });
  after(async () => {
    await env?.close();
    if (storage) rmSync(storage, { recursive: true, force: true });
  });

  it('a pod writes to its claim; the pod deleted and made again finds the data on the bound volume', async () => {
    const ns = 'pvc-data';
    await ensureNamespace(env.api, ns);
    const path = join(storage, 'pv-data');
    await volume('pv-data', path);
    await claim(ns, 'data');
    await bindByHand(ns, 'data', 'pv-data');
    await createPod(env.api, ns, shPod('user', 'echo "written by $HOSTNAME" > /data/file; ls /data', 'data'));
    const first = await podWhere(env.api, ns, 'user', done, 'completion');
    assert.equal(first.status.phase, 'Succeeded', (await kubeletGet(env, `/containerLogs/${ns}/user/c`)).body);
    assert.equal((await kubeletGet(env, `/containerLogs/${ns}/user/c`)).body, 'file\n');
    assert.equal(readFileSync(join(path, 'file'), 'utf8'), 'written by user\n', 'on the volume\'s host path (DirectoryOrCreate made it)');
    await deletePod(env.api, ns, 'user');
    await waitFor('pod gone', async () => !(await getPod(env.api, ns, 'user')));
    assert.ok(existsSync(join(path, 'file')), 'the volume outlives the pod');
    await createPod(env.api, ns, shPod('user', 'cat /data/file; echo again >> /data/file', 'data'));
    const second = await podWhere(env.api, ns, 'user', (p) => done(p) && p.metadata.uid !== first.metadata.uid, 'completion');
    assert.equal(second.status.phase, 'Succeeded');
    assert.equal((await kubeletGet(env, `/containerLogs/${ns}/user/c`)).body, 'written by user\n');
    assert.equal(readFileSync(join(path, 'file'), 'utf8'), 'written by user\nagain\n');
    assert.ok(!existsSync(join(env.agentOpts.dataDir, 'claims')), 'no per-claim directories of the agent any more');
  });

  it('an unbound claim is FailedMount ("PVC is not bound") until it is bound, then the pod runs', async () => {
    const ns = 'pvc-wait';
    await ensureNamespace(env.api, ns);
    await claim(ns, 'later');
    await createPod(env.api, ns, shPod('waiter', 'cat /data/hello', 'later'));
    const ev = await waitFor('FailedMount', async () => (await events(env.api, ns, 'waiter')).find((e) => e.reason === 'FailedMount'));
    assert.equal(ev.type, 'Warning');
    assert.equal(ev.message, `MountVolume.SetUp failed for volume "data" : error processing PVC ${ns}/later: PVC is not bound`);
    // (the status is written within STATUS_COALESCE_MS of the event, not with it)
    await podWhere(env.api, ns, 'waiter', (p) => cstatus(p, 'c')?.state?.waiting?.reason === 'ContainerCreating', 'ContainerCreating', 5_000);
    const path = join(storage, 'pv-later');
    await volume('pv-later', path, { ns, name: 'later' });
    await bindByHand(ns, 'later', 'pv-later');
    // the data was there before the pod mounted it
    mkdirSync(path, { recursive: true });
    writeFileSync(join(path, 'hello'), 'from the volume\n');
    const ran = await podWhere(env.api, ns, 'waiter', done, 'completion after binding', 60_000);
    assert.equal(ran.status.phase, 'Succeeded');
    assert.equal((await kubeletGet(env, `/containerLogs/${ns}/waiter/c`)).body, 'from the volume\n');
  });

  it('a missing claim is FailedMount with persistentvolumeclaim "x" not found', async () => {
    const ns = 'pvc-missing';
    await ensureNamespace(env.api, ns);
    await createPod(env.api, ns, shPod('orphan', 'true', 'nope'));
    const ev = await waitFor('FailedMount', async () => (await events(env.api, ns, 'orphan')).find((e) => e.reason === 'FailedMount'));
    assert.equal(ev.message, 'MountVolume.SetUp failed for volume "data" : persistentvolumeclaim "nope" not found');
    await deletePod(env.api, ns, 'orphan', 0);
  });
});

describe('the ServiceAccount admission volume', { timeout: 120_000 }, () => {
  let sa: Env;
  before(async () => {
    sa = await startEnv();
  });
  after(async () => {
    await sa?.close();
  });

  it('kube-api-access-* is mounted: its token is a JWT the API server accepts', async () => {
    const ns = 'sa-admitted';
    await ensureNamespace(sa.api, ns);
    const d = '/var/run/secrets/kubernetes.io/serviceaccount';
    const created = await createPod(sa.api, ns, podManifest('tok', { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', `cat ${d}/namespace; echo; cat ${d}/token; echo; test -s ${d}/ca.crt && echo has-ca`] }] }));
    const vol = created.spec.volumes.find((v: any) => v.name.startsWith('kube-api-access-'));
    assert.ok(vol?.projected, 'the API server added the projected volume');
    assert.deepEqual(created.spec.containers[0].volumeMounts, [{ name: vol.name, readOnly: true, mountPath: d }]);
    const p = await podWhere(sa.api, ns, 'tok', done, 'completion');
    const out = (await kubeletGet(sa, `/containerLogs/${ns}/tok/c`)).body;
    assert.equal(p.status.phase, 'Succeeded', out);
    const [nsLine, token, ca] = out.split('\n');
    assert.equal(nsLine, ns);
    assert.equal(ca, 'has-ca');
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'a JWT');
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    assert.equal(claims.sub, `system:serviceaccount:${ns}:default`);
    // authenticated (403, not 401) but allowed nothing until RBAC grants it, as in Kubernetes
    const denied = await httpsGet(`${sa.server.url}/api/v1/namespaces/${ns}/pods/tok`, token, sa.server.caPem);
    assert.equal(denied.status, 403, JSON.stringify(denied.body));
    await sa.api.request('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, { body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'read-pods' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] } });
    await sa.api.request('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, { body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'read-pods' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-pods' }, subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: ns }] } });
    const r = await httpsGet(`${sa.server.url}/api/v1/namespaces/${ns}/pods/tok`, token, sa.server.caPem);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.metadata.uid, p.metadata.uid);
    assert.equal((await httpsGet(`${sa.server.url}/api/v1/namespaces/${ns}/pods/tok`, `${token}x`, sa.server.caPem)).status, 401);
  });
});
