/**
 * `flotilla up` installs components from `<manifests-dir>/<component>/install.yaml`: a real
 * component made here (its namespace, CRD and a custom resource of it, RBAC, a Deployment of
 * Flotilla's own image running its `pause` entry point, a second namespace with a ConfigMap) is
 * applied server-side, becomes available, is re-applied at the next start (drift undone) and idempotently (nothing changes when nothing
 * drifted). With the real kubectl and `flotilla up` as a process.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMPONENTS, listComponents, selectComponents } from './components.js';
import { applyOrder, deploymentAvailable, loadManifest } from './components-install.js';
import { flotilla, kubectl as kubectlIn, startUp, stopUp, type Up } from './testkit.js';

const DEMO = `# a component as its install manifest: namespaced objects carry no namespace (applied like kubectl apply -n demo)
# except those that name theirs
apiVersion: v1
kind: ConfigMap
metadata: {name: demo-settings, namespace: demo-extra}
data: {mode: test}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: demo-server
spec:
  replicas: 1
  selector: {matchLabels: {app: demo-server}}
  template:
    metadata: {labels: {app: demo-server}}
    spec:
      serviceAccountName: demo
      containers:
      - name: server
        image: flotilla/flotilla:latest
        args: [pause]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: demo}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: demo}
rules:
- apiGroups: [demo.flotilla.dev]
  resources: [widgets]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: demo}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: demo}
subjects: [{kind: ServiceAccount, name: demo, namespace: demo}]
---
# a custom resource before its CRD in the file: the CRD is applied (and established) first
apiVersion: demo.flotilla.dev/v1
kind: Widget
metadata: {name: default-widget}
spec: {size: 3}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.demo.flotilla.dev}
spec:
  group: demo.flotilla.dev
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: integer}}}
---
apiVersion: v1
kind: Namespace
metadata: {name: demo-extra}
`;

let dir: string;
let manifests: string;
let up: Up | undefined;
const env = () => ({ FLOTILLA_MANIFESTS_DIR: manifests });
const kubectl = (args: string[], input?: string) => kubectlIn(dir, up!.kubeconfig, args, { input });
async function ok(args: string[]): Promise<string> {
  const r = await kubectl(args);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
const deployment = async () => JSON.parse(await ok(['get', 'deployment', 'demo-server', '-n', 'demo', '-o', 'json']));
const start = async (args: string[] = []) => {
  up = await startUp(join(dir, 'data'), 300_000, { args, env: env(), components: 'all' });
  return up;
};

describe('components: the table, selection and manifests', () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-comp-'));
    manifests = join(dir, 'manifests');
    mkdirSync(join(manifests, 'demo'), { recursive: true });
    writeFileSync(join(manifests, 'demo', 'install.yaml'), DEMO);
  });
  after(async () => {
    if (up) await stopUp(up, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the Argo components (without manifests in this build) and the ones found in the directory; --components picks, names unknown ones', () => {
    const all = listComponents(manifests);
    assert.deepEqual(
      all.map((c) => [c.name, c.namespace, !!c.manifest]),
      [...COMPONENTS.map((c) => [c.name, c.namespace, false]), ['demo', 'demo', true]],
    );
    assert.deepEqual(selectComponents(all, 'demo', false).map((c) => c.name), ['demo']);
    assert.deepEqual(selectComponents(all, undefined, true), []);
    assert.throws(() => selectComponents(all, 'demo,argo-nope', false), /--components: unknown component "argo-nope" \(known: argo-cd, argo-workflows, argo-rollouts, argo-events, demo\)/);
    assert.deepEqual(listComponents(join(dir, 'nowhere')).map((c) => c.manifest), [undefined, undefined, undefined, undefined]);
    const objs = applyOrder(loadManifest(join(manifests, 'demo', 'install.yaml')));
    assert.deepEqual(objs.map((o) => o.kind), ['Namespace', 'CustomResourceDefinition', 'ConfigMap', 'Deployment', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Widget']);
    writeFileSync(join(dir, 'bad.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n');
    assert.throws(() => loadManifest(join(dir, 'bad.yaml')), /bad\.yaml:\d+: invalid YAML/);
    writeFileSync(join(dir, 'noname.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n');
    assert.throws(() => loadManifest(join(dir, 'noname.yaml')), /noname\.yaml: ConfigMap has no metadata\.name/);
    assert.equal(deploymentAvailable({ metadata: { generation: 2 }, spec: { replicas: 1 }, status: { observedGeneration: 1, updatedReplicas: 1, availableReplicas: 1 } }), false);
    assert.equal(deploymentAvailable({ metadata: { generation: 2 }, spec: { replicas: 1 }, status: { observedGeneration: 2, updatedReplicas: 1, availableReplicas: 1 } }), true);
  });

  it('a bad --components is refused before anything is started', async () => {
    const r = await flotilla(['up', '--data-dir', join(dir, 'never'), '--components', 'argo-nope'], { env: env() });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unknown component "argo-nope"/);
    const both = await flotilla(['up', '--data-dir', join(dir, 'never'), '--components', 'demo', '--no-components'], { env: env() });
    assert.equal(both.code, 1);
    assert.match(both.stderr, /--components and --no-components cannot be used together/);
  });

  it('up applies the component server-side, waits for its Deployment, and reports the Argo components this build does not have yet', async () => {
    await start();
    const out = up!.output();
    assert.match(out, /flotilla: not part of this build yet \(no manifests\/<component>\/install\.yaml\): argo-cd, argo-workflows, argo-rollouts, argo-events\n/);
    assert.match(out, /flotilla: demo: applying 8 objects from .*demo\/install\.yaml \(server-side, field manager flotilla\)/);
    assert.match(out, /flotilla: demo: available \(1\/1 Deployments, [\d.]+s\)\n/);
    // the export lines come once the components are available
    assert.ok(out.indexOf('demo: available') < out.indexOf('export KUBECONFIG='));
    const d = JSON.parse(await ok(['get', 'deployment', 'demo-server', '-n', 'demo', '-o', 'json', '--show-managed-fields']));
    assert.equal(d.status.availableReplicas, 1);
    assert.ok(d.metadata.managedFields.some((f: any) => f.manager === 'flotilla' && f.operation === 'Apply'));
    const pod = JSON.parse(await ok(['get', 'pods', '-n', 'demo', '-l', 'app=demo-server', '-o', 'json'])).items[0];
    assert.equal(pod.spec.containers[0].image, 'flotilla/flotilla:latest');
    assert.equal(pod.status.phase, 'Running');
    assert.equal(JSON.parse(await ok(['get', 'widget', 'default-widget', '-n', 'demo', '-o', 'json'])).spec.size, 3);
    assert.match(await ok(['get', 'clusterrolebinding', 'demo', '-o', 'name']), /demo/);
    assert.equal(JSON.parse(await ok(['get', 'configmap', 'demo-settings', '-n', 'demo-extra', '-o', 'json'])).data.mode, 'test');
    assert.match(await ok(['get', 'serviceaccount', 'demo', '-n', 'demo', '-o', 'name']), /serviceaccount\/demo/);
    const st = await flotilla(['status', '--data-dir', join(dir, 'data')]);
    assert.equal(st.code, 0, st.stderr);
    assert.match(st.stdout, /argo-cd\s+not part of this build yet/);
    assert.match(st.stdout, /demo\s+available \(namespace demo, 1 Deployment\)\n\s+deployment demo\/demo-server: available 1\/1/);
  });

  it('a Deployment whose template label is not a string, or does not match the selector, is refused as Kubernetes does (was a 500 "s is not iterable")', async () => {
    const manifest = (value: string) =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: bad-labels}\nspec:\n  selector: {matchLabels: {app: x}}\n  template:\n    metadata: {labels: {app: ${value}}}\n    spec: {containers: [{name: c, image: nginx}]}\n`;
    // a label value of the wrong JSON type is a decoding error (400), named by its Go field
    for (const [value, type] of [['1', 'number'], ['{x: y}', 'object']]) {
      const r = await kubectl(['apply', '-f', '-'], manifest(value));
      assert.equal(r.code, 1);
      assert.doesNotMatch(r.stderr, /not iterable|InternalError/);
      assert.match(r.stderr, new RegExp(`Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal ${type} into Go struct field Deployment\\.spec\\.template\\.metadata\\.labels\\.app of type string`));
    }
    // a string that does not match the selector is a field error
    const r = await kubectl(['apply', '-f', '-'], manifest('web'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /The Deployment "bad-labels" is invalid/);
    assert.match(r.stderr, /spec\.template\.metadata\.labels: Invalid value: map\[string\]string\{"app":"web"\}: `selector` does not match template `labels`/);
  });

  it('the next start re-applies the manifest (drift undone) and a start without drift changes nothing', async () => {
    await ok(['scale', 'deployment', 'demo-server', '-n', 'demo', '--replicas=2']);
    assert.equal((await deployment()).metadata.generation, 2);
    assert.equal(await stopUp(up!, 'SIGTERM'), 0);
    await start();
    assert.match(up!.output(), /flotilla: demo: available/);
    const d = await deployment();
    assert.equal(d.spec.replicas, 1, 'the manifest owns spec.replicas: re-applied');
    const gen = d.metadata.generation;
    const widgetRv = JSON.parse(await ok(['get', 'widget', 'default-widget', '-n', 'demo', '-o', 'json'])).metadata.resourceVersion;
    const crbRv = JSON.parse(await ok(['get', 'clusterrolebinding', 'demo', '-o', 'json'])).metadata.resourceVersion;
    assert.equal(await stopUp(up!, 'SIGTERM'), 0);
    await start();
    assert.match(up!.output(), /flotilla: demo: available/);
    assert.equal((await deployment()).metadata.generation, gen, 'an unchanged manifest does not change the Deployment');
    assert.equal(JSON.parse(await ok(['get', 'widget', 'default-widget', '-n', 'demo', '-o', 'json'])).metadata.resourceVersion, widgetRv);
    assert.equal(JSON.parse(await ok(['get', 'clusterrolebinding', 'demo', '-o', 'json'])).metadata.resourceVersion, crbRv);
  });

  it('--no-components applies nothing; a broken manifest or a Deployment that never becomes available is reported and the cluster stays up', async () => {
    assert.equal(await stopUp(up!, 'SIGTERM'), 0);
    mkdirSync(join(manifests, 'broken'), { recursive: true });
    writeFileSync(join(manifests, 'broken', 'install.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n');
    mkdirSync(join(manifests, 'stuck'), { recursive: true });
    writeFileSync(
      join(manifests, 'stuck', 'install.yaml'),
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: never}\nspec:\n  selector: {matchLabels: {app: never}}\n  template:\n    metadata: {labels: {app: never}}\n    spec:\n      nodeSelector: {no-such-node: "true"}\n      containers: [{name: c, image: flotilla/flotilla, args: [pause]}]\n',
    );
    await start(['--no-components']);
    assert.doesNotMatch(up!.output(), /applying|not part of this build/);
    assert.equal(await stopUp(up!, 'SIGTERM'), 0);
    await start(['--components-timeout', '5']);
    const out = up!.output();
    assert.match(out, /flotilla: broken: install failed: .*broken\/install\.yaml:\d+: invalid YAML/);
    assert.match(out, /flotilla: demo: available/);
    assert.match(out, /flotilla: stuck: not available after \d+s: stuck\/never \(progressing 0\/1\); the cluster stays up/);
    assert.match(await ok(['get', 'ns', 'demo', '-o', 'name']), /namespace\/demo/);
    const st = await flotilla(['status', '--data-dir', join(dir, 'data')]);
    assert.match(st.stdout, /stuck\s+not available \(namespace stuck, 1 Deployment\)\n\s+deployment stuck\/never: progressing 0\/1/);
    assert.match(st.stdout, /\n  broken\s+install failed: .*broken\/install\.yaml:\d+: invalid YAML/);
    const bad = await flotilla(['up', '--data-dir', join(dir, 'never'), '--components-timeout', 'soon'], { env: env() });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--components-timeout: "soon" is not a number of seconds/);
  });
});
