/** End-to-end: the real kubectl against a fresh embedded API server. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { startTestCluster, writeTemp, eventually, sleep, type TestCluster } from './testutil.js';

let c: TestCluster;

const multiDoc = `apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
  labels: {app: shop, tier: backend}
data:
  color: blue
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: shop}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 80
`;

describe('kubectl against the embedded API server', { timeout: 300_000 }, () => {
  before(async () => {
    c = await startTestCluster();
  });
  after(async () => {
    await c?.close();
  });

  it('creates, lists and deletes namespaces', async () => {
    assert.match(await c.k(['create', 'namespace', 'team-a']), /namespace\/team-a created/);
    const out = await c.k(['get', 'namespaces']);
    assert.match(out, /^NAME\s+STATUS\s+AGE/m);
    assert.match(out, /^team-a\s+Active\s+\d+s/m);
    assert.match(out, /^default\s+Active/m);
    const dup = await c.kubectl(['create', 'namespace', 'team-a']);
    assert.notEqual(dup.code, 0);
    assert.match(dup.stderr, /AlreadyExists|already exists/);
    assert.match(await c.k(['delete', 'namespace', 'team-a']), /namespace "team-a" deleted/);
    const gone = await c.kubectl(['get', 'namespace', 'team-a']);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /NotFound|not found/);
  });

  it('applies a multi-document file twice; the second apply is unchanged', async () => {
    const f = writeTemp(c.dir, 'shop.yaml', multiDoc);
    const first = await c.k(['apply', '-f', f]);
    assert.match(first, /namespace\/shop created/);
    assert.match(first, /configmap\/settings created/);
    assert.match(first, /deployment.apps\/web created/);
    assert.match(first, /service\/web created/);
    const second = await c.k(['apply', '-f', f]);
    assert.match(second, /namespace\/shop unchanged/);
    assert.match(second, /configmap\/settings unchanged/);
    assert.match(second, /deployment.apps\/web unchanged/);
    assert.match(second, /service\/web unchanged/);
    // an edit to one document is configured, the rest unchanged
    const third = await c.k(['apply', '-f', writeTemp(c.dir, 'shop2.yaml', multiDoc.replace('color: blue', 'color: green'))]);
    assert.match(third, /configmap\/settings configured/);
    assert.match(third, /deployment.apps\/web unchanged/);
    assert.equal(JSON.parse(await c.k(['get', 'cm', 'settings', '-n', 'shop', '-o', 'json'])).data.color, 'green');
  });

  it('prints -o yaml, json, wide and name, filters with -l and --field-selector', async () => {
    const y = await c.k(['get', 'deployment', 'web', '-n', 'shop', '-o', 'yaml']);
    assert.match(y, /^kind: Deployment$/m);
    assert.match(y, /strategy:\n\s+rollingUpdate:\n\s+maxSurge: 25%/);
    const j = JSON.parse(await c.k(['get', 'deployment', 'web', '-n', 'shop', '-o', 'json']));
    assert.equal(j.spec.replicas, 2);
    assert.equal(j.metadata.generation, 1);
    assert.ok(j.metadata.uid);
    const wide = await c.k(['get', 'deploy', '-n', 'shop', '-o', 'wide']);
    assert.match(wide, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR/m);
    assert.match(wide, /^web\s+0\/2\s+0\s+0\s+\S+\s+web\s+nginx:1.25\s+app=web/m);
    const svc = await c.k(['get', 'svc', '-n', 'shop']);
    assert.match(svc, /^web\s+ClusterIP\s+10\.96\.\d+\.\d+\s+<none>\s+80\/TCP/m);
    assert.equal((await c.k(['get', 'cm,svc', '-n', 'shop', '-o', 'name'])).trim().split('\n').sort().join(' '), 'configmap/settings service/web');
    assert.equal((await c.k(['get', 'cm', '-A', '-l', 'tier=backend', '-o', 'name'])).trim(), 'configmap/settings');
    assert.equal((await c.k(['get', 'cm', '-A', '-l', 'tier in (frontend)', '-o', 'name'])).trim(), '');
    assert.equal((await c.k(['get', 'svc', '-A', '--field-selector', 'metadata.namespace=shop', '-o', 'name'])).trim(), 'service/web');
    assert.match(await c.k(['get', 'svc', '-A', '--field-selector', 'metadata.name!=web', '-o', 'name']), /service\/kubernetes/);
    const bad = await c.kubectl(['get', 'pods', '--field-selector', 'spec.bogus=1']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /field label not supported: spec.bogus/);
  });

  it('get -w sees a change made by another client', async () => {
    const child = spawn('kubectl', ['get', 'configmaps', '-n', 'shop', '-w', '-o', 'name'], {
      env: { PATH: process.env.PATH!, HOME: `${c.dir}/home`, KUBECONFIG: c.kubeconfig },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    try {
      await eventually(() => out.includes('configmap/settings'), 15_000, 'initial list');
      const r = await c.req('POST', '/api/v1/namespaces/shop/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'watched' }, data: { a: '1' } });
      assert.equal(r.status, 201);
      await eventually(() => out.includes('configmap/watched'), 15_000, 'watch event from kubectl get -w');
    } finally {
      child.kill();
    }
  });

  it('patches with strategic, merge and JSON patches', async () => {
    await c.k(['patch', 'deployment', 'web', '-n', 'shop', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.26"}]}}}}']);
    let d = JSON.parse(await c.k(['get', 'deploy', 'web', '-n', 'shop', '-o', 'json']));
    assert.equal(d.spec.template.spec.containers.length, 1, 'strategic merge keeps the list merged by name');
    assert.equal(d.spec.template.spec.containers[0].image, 'nginx:1.26');
    assert.equal(d.spec.template.spec.containers[0].ports[0].containerPort, 80);
    assert.equal(d.metadata.generation, 2);
    await c.k(['patch', 'deployment', 'web', '-n', 'shop', '--type', 'merge', '-p', '{"metadata":{"labels":{"patched":"merge"}}}']);
    await c.k(['patch', 'deployment', 'web', '-n', 'shop', '--type', 'json', '-p', '[{"op":"replace","path":"/spec/replicas","value":3}]']);
    d = JSON.parse(await c.k(['get', 'deploy', 'web', '-n', 'shop', '-o', 'json']));
    assert.equal(d.metadata.labels.patched, 'merge');
    assert.equal(d.spec.replicas, 3);
    assert.equal(d.metadata.generation, 3, 'a label change does not bump generation');
    const bad = await c.kubectl(['patch', 'deployment', 'web', '-n', 'shop', '--type', 'json', '-p', '[{"op":"test","path":"/spec/replicas","value":9}]']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /test|replicas/i);
  });

  it('apply --server-side: a conflict, then --force-conflicts', async () => {
    const cm = (v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: shop\ndata:\n  key: ${v}\n`;
    assert.match(await c.k(['apply', '--server-side', '--field-manager', 'alice', '-f', writeTemp(c.dir, 'ssa1.yaml', cm('a'))]), /configmap\/ssa serverside-applied/);
    const conflict = await c.kubectl(['apply', '--server-side', '--field-manager', 'bob', '-f', writeTemp(c.dir, 'ssa2.yaml', cm('b'))]);
    assert.notEqual(conflict.code, 0);
    assert.match(conflict.stderr, /conflict/i);
    assert.match(conflict.stderr, /alice/);
    assert.match(conflict.stderr, /\.data\.key/);
    assert.match(await c.k(['apply', '--server-side', '--field-manager', 'bob', '--force-conflicts', '-f', writeTemp(c.dir, 'ssa2.yaml', cm('b'))]), /serverside-applied/);
    const got = JSON.parse(await c.k(['get', 'cm', 'ssa', '-n', 'shop', '-o', 'json', '--show-managed-fields']));
    assert.equal(got.data.key, 'b');
    const managers = got.metadata.managedFields.map((m: any) => `${m.manager}:${m.operation}`);
    assert.ok(managers.includes('bob:Apply'), managers.join(','));
  });

  it('diff shows a pending change and exits 1; no change exits 0', async () => {
    const settings = (color: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: shop\n  labels: {app: shop, tier: backend}\ndata:\n  color: ${color}\n`;
    const same = await c.kubectl(['diff', '-f', writeTemp(c.dir, 'diff.yaml', settings('green'))]);
    assert.equal(same.code, 0, same.stderr + same.stdout);
    const changed = await c.kubectl(['diff', '-f', writeTemp(c.dir, 'diff2.yaml', settings('purple'))]);
    assert.equal(changed.code, 1, changed.stderr);
    assert.match(changed.stdout, /-\s+color: green/);
    assert.match(changed.stdout, /\+\s+color: purple/);
    // the diff is a dry run: nothing changed
    assert.equal(JSON.parse(await c.k(['get', 'cm', 'settings', '-n', 'shop', '-o', 'json'])).data.color, 'green');
  });

  it('label, annotate, scale and edit', async () => {
    await c.k(['label', 'cm', 'settings', '-n', 'shop', 'owner=ops']);
    await c.k(['annotate', 'cm', 'settings', '-n', 'shop', 'note=hello']);
    let cm = JSON.parse(await c.k(['get', 'cm', 'settings', '-n', 'shop', '-o', 'json']));
    assert.equal(cm.metadata.labels.owner, 'ops');
    assert.equal(cm.metadata.annotations.note, 'hello');
    const relabel = await c.kubectl(['label', 'cm', 'settings', '-n', 'shop', 'owner=dev']);
    assert.notEqual(relabel.code, 0, 'relabel without --overwrite fails');
    await c.k(['label', 'cm', 'settings', '-n', 'shop', 'owner-']);
    cm = JSON.parse(await c.k(['get', 'cm', 'settings', '-n', 'shop', '-o', 'json']));
    assert.equal(cm.metadata.labels.owner, undefined);
    assert.match(await c.k(['scale', 'deployment', 'web', '-n', 'shop', '--replicas', '5']), /scaled/);
    assert.equal(JSON.parse(await c.k(['get', 'deploy', 'web', '-n', 'shop', '-o', 'json'])).spec.replicas, 5);
    const editor = writeTemp(c.dir, 'editor.sh', '#!/bin/sh\nsed -i "s/color: green/color: edited/" "$1"\n');
    chmodSync(editor, 0o755);
    assert.match(await c.k(['edit', 'cm', 'settings', '-n', 'shop'], { env: { KUBE_EDITOR: editor } }), /edited/);
    assert.equal(JSON.parse(await c.k(['get', 'cm', 'settings', '-n', 'shop', '-o', 'json'])).data.color, 'edited');
  });

  it('delete --cascade=foreground removes dependents first; wait --for=delete returns', async () => {
    const owner = await c.req('POST', '/api/v1/namespaces/shop/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owner' } });
    assert.equal(owner.status, 201);
    const dep = await c.req('POST', '/api/v1/namespaces/shop/configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'dependent', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.body.metadata.uid, blockOwnerDeletion: true }] },
    });
    assert.equal(dep.status, 201);
    const waiter = c.kubectl(['wait', '--for=delete', 'configmap/owner', '-n', 'shop', '--timeout=30s']);
    await sleep(300);
    assert.match(await c.k(['delete', 'configmap', 'owner', '-n', 'shop', '--cascade=foreground']), /deleted/);
    const w = await waiter;
    assert.equal(w.code, 0, w.stderr);
    assert.equal((await c.req('GET', '/api/v1/namespaces/shop/configmaps/dependent')).status, 404);
    assert.equal((await c.req('GET', '/api/v1/namespaces/shop/configmaps/owner')).status, 404);
  });

  it('auth can-i, can-i --list and whoami', async () => {
    assert.equal((await c.k(['auth', 'can-i', 'create', 'deployments'])).trim(), 'yes');
    assert.match(await c.k(['auth', 'can-i', '--list']), /^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]/m);
    const who = await c.k(['auth', 'whoami']);
    assert.match(who, /Username\s+admin/);
    assert.match(who, /system:masters/);
  });

  it('explain and api-resources', async () => {
    const ex = await c.k(['explain', 'deployment.spec.replicas']);
    assert.match(ex, /KIND:\s+Deployment/);
    assert.match(ex, /FIELD:\s+replicas\s+<integer>/);
    const res = await c.k(['api-resources']);
    assert.match(res, /^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND/m);
    assert.match(res, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment/m);
    assert.match(res, /^namespaces\s+ns\s+v1\s+false\s+Namespace/m);
    assert.match(res, /^customresourcedefinitions\s+crd,crds\s+apiextensions.k8s.io\/v1\s+false\s+CustomResourceDefinition/m);
  });

  it('a CRD is served at once and kubectl get prints its printer columns', async () => {
    const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crontabs.stable.example.com
spec:
  group: stable.example.com
  scope: Namespaced
  names: {plural: crontabs, singular: crontab, kind: CronTab, shortNames: [ct]}
  versions:
  - name: v1
    served: true
    storage: true
    additionalPrinterColumns:
    - {name: Spec, type: string, jsonPath: .spec.cronSpec}
    - {name: Replicas, type: integer, jsonPath: .spec.replicas}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              cronSpec: {type: string}
              image: {type: string}
              replicas: {type: integer, default: 1}
`;
    await c.k(['apply', '-f', writeTemp(c.dir, 'crd.yaml', crd)]);
    await c.k(['wait', '--for=condition=Established', 'crd/crontabs.stable.example.com', '--timeout=10s']);
    const ct = `apiVersion: stable.example.com/v1\nkind: CronTab\nmetadata:\n  name: my-cron\n  namespace: shop\nspec:\n  cronSpec: "* * * * */5"\n  image: my-awesome-cron-image\n`;
    assert.match(await c.k(['apply', '-f', writeTemp(c.dir, 'ct.yaml', ct)]), /crontab.stable.example.com\/my-cron created/);
    const out = await c.k(['get', 'ct', '-n', 'shop']);
    assert.match(out, /^NAME\s+SPEC\s+REPLICAS\s+AGE/m);
    assert.match(out, /^my-cron\s+\* \* \* \* \*\/5\s+1\s+\d+s/m);
    const bad = await c.kubectl(['apply', '-f', writeTemp(c.dir, 'ct-bad.yaml', ct.replace('image: my-awesome-cron-image', 'image: 42\n  bogus: true'))]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /bogus|spec.image/);
    // deleting the CRD deletes its objects
    await c.k(['delete', 'crd', 'crontabs.stable.example.com']);
    await eventually(async () => (await c.req('GET', '/apis/stable.example.com/v1/namespaces/shop/crontabs/my-cron')).status === 404, 10_000, 'CR gone');
  });
});
