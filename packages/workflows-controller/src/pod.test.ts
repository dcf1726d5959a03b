// The pod builder against the TEAM.md pod-shape contract (init/main/wait, emissary, env, volumes, metadata).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPod, claimsOf, commandLine, imageRepo, PodBuildError, reportsNothing, resultReferenced, type PodContainer } from './pod.js';
import { operate } from './operator/operate.js';
import { simulate } from './simulate.js';
import type { Workflow, WorkflowSpec } from './types.js';

const NOW = new Date('2026-01-01T00:00:00Z');
const wf = (spec: WorkflowSpec, name = 'hello'): Workflow => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name, namespace: 'argo', uid: 'uid-1' }, spec });
const firstPod = (w: Workflow, cfg = {}) => {
  const plan = operate({ workflow: w, now: NOW });
  assert.equal(plan.podsToCreate.length, 1, JSON.stringify(plan.message));
  return buildPod(plan.podsToCreate[0]!, w, { now: NOW, ...cfg });
};
const env = (c: PodContainer) => Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
const byName = (cs: PodContainer[]) => Object.fromEntries(cs.map((c) => [c.name, c]));

test('container template: init, wait and main with the emissary wrapping, env, var-run-argo, metadata', () => {
  const w = wf({ entrypoint: 'main', serviceAccountName: 'runner', templates: [{ name: 'main', metadata: { labels: { team: 'a' }, annotations: { note: 'x' } }, container: { image: 'busybox', command: ['echo'], args: ['hi {{workflow.name}}'], env: [{ name: 'X', value: '1' }] } }] });
  const pod = firstPod(w);
  assert.equal(pod.metadata.name, 'hello');
  assert.equal(pod.metadata.namespace, 'argo');
  assert.deepEqual(pod.metadata.labels, { team: 'a', 'workflows.argoproj.io/workflow': 'hello', 'workflows.argoproj.io/completed': 'false' });
  assert.equal(pod.metadata.annotations['workflows.argoproj.io/node-id'], 'hello');
  assert.equal(pod.metadata.annotations['workflows.argoproj.io/node-name'], 'hello');
  assert.equal(pod.metadata.annotations.note, 'x');
  assert.deepEqual(pod.metadata.ownerReferences, [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', name: 'hello', uid: 'uid-1', controller: true, blockOwnerDeletion: true }]);
  assert.equal(pod.spec.restartPolicy, 'Never');
  assert.equal(pod.spec.serviceAccountName, 'runner');
  assert.deepEqual(pod.spec.initContainers.map((c) => [c.name, c.image, c.command]), [['init', 'quay.io/argoproj/argoexec:latest', ['argoexec', 'init']]]);
  const cs = byName(pod.spec.containers);
  assert.deepEqual(Object.keys(cs), ['wait', 'main']);
  assert.deepEqual(cs.wait!.command, ['argoexec', 'wait']);
  assert.equal(cs.main!.image, 'busybox');
  assert.deepEqual(cs.main!.command, ['/var/run/argo/argoexec', 'emissary', '--', 'echo', 'hi hello']);
  assert.equal(cs.main!.args, undefined);
  assert.deepEqual(pod.spec.volumes, [{ name: 'var-run-argo', emptyDir: {} }]);
  for (const c of [...pod.spec.initContainers, ...pod.spec.containers]) {
    assert.ok(c.volumeMounts!.some((m) => m.name === 'var-run-argo' && m.mountPath === '/var/run/argo'), c.name);
    const e = env(c);
    assert.equal(e.ARGO_CONTAINER_NAME, c.name);
    assert.equal(e.ARGO_NODE_ID, 'hello');
    assert.equal(e.ARGO_WORKFLOW_NAME, 'hello');
    assert.equal(e.ARGO_WORKFLOW_UID, 'uid-1');
    assert.equal(e.ARGO_DEADLINE, '0001-01-01T00:00:00Z');
    assert.equal(e.ARGO_PROGRESS_FILE, '/var/run/argo/progress');
    assert.equal(e.ARGO_INCLUDE_SCRIPT_OUTPUT, 'false');
    assert.deepEqual(e.ARGO_POD_NAME, { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } });
    assert.deepEqual(e.ARGO_POD_UID, { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.uid' } });
    assert.deepEqual(JSON.parse(e.ARGO_TEMPLATE as string).container.args, ['hi hello']);
    assert.equal(e.ARGO_ARTIFACT_REPOSITORY, undefined);
  }
  assert.equal(env(cs.main!).X, '1');
});

test('a plain container with nothing to report: its wait and init are told so (wait waits in sh, main\'s emissary tees nothing; the controller does not wait for its task result)', () => {
  const told = (c: PodContainer) => env(c).FLOTILLA_NOTHING_TO_REPORT === 'true';
  // wait's word, after checking that the executor's init (the first init container) has the same and main never has it
  const waitOf = (spec: WorkflowSpec, cfg = {}) => {
    const pod = firstPod(wf(spec), cfg);
    const cs = byName(pod.spec.containers);
    const init = pod.spec.initContainers[0]!;
    assert.equal(init.name, 'init');
    assert.equal(told(init), told(cs.wait!), 'init is told whenever wait is, and only then');
    assert.equal(env(init).FLOTILLA_NOTHING_TO_REPORT === undefined, !told(cs.wait!));
    assert.equal(env(cs.main!).FLOTILLA_NOTHING_TO_REPORT, undefined, "main's environment is the user's");
    return cs.wait!;
  };
  const plain = { name: 'main', container: { image: 'busybox', command: ['echo', 'hi'] } };
  assert.equal(told(waitOf({ entrypoint: 'main', templates: [plain] })), true);
  assert.equal(reportsNothing(firstPod(wf({ entrypoint: 'main', templates: [plain] }))), true);
  // anything for wait to do: outputs, a result someone reads, a script, sidecars to stop, logs to archive
  for (const [why, spec, cfg] of [
    ['output parameter', { entrypoint: 'main', templates: [{ ...plain, outputs: { parameters: [{ name: 'p', valueFrom: { path: '/tmp/p' } }] } }] }, {}],
    ['output artifact', { entrypoint: 'main', templates: [{ ...plain, outputs: { artifacts: [{ name: 'a', path: '/tmp/a' }] } }] }, {}],
    ['script', { entrypoint: 'main', templates: [{ name: 'main', script: { image: 'busybox', source: 'echo' } }] }, {}],
    ['sidecar', { entrypoint: 'main', templates: [{ ...plain, sidecars: [{ name: 's', image: 'busybox' }] }] }, {}],
    ['archiveLogs (workflow)', { entrypoint: 'main', archiveLogs: true, templates: [plain] }, {}],
    ['archiveLogs (template)', { entrypoint: 'main', templates: [{ ...plain, archiveLocation: { archiveLogs: true } }] }, {}],
    ['archiveLogs (repository)', { entrypoint: 'main', templates: [plain] }, { artifactRepository: { archiveLogs: true, s3: { bucket: 'b' } } }],
    ['result referenced', { entrypoint: 'main', templates: [plain] }, { includeScriptOutput: true }],
  ] as [string, WorkflowSpec, object][]) {
    assert.equal(told(waitOf(spec, cfg)), false, why);
  }
});

test('script template: source staged at /argo/staging/script, command then args then the script (as upstream appends it to the args), result captured', () => {
  const w = wf({ entrypoint: 's', templates: [{ name: 's', script: { image: 'python:alpine3.23', command: ['python'], args: ['-u'], source: 'print(1)' } }] });
  const pod = firstPod(w, { executorImage: 'flotilla/flotilla', artifactRepository: { s3: { bucket: 'b' } } });
  const cs = byName(pod.spec.containers);
  assert.deepEqual(cs.main!.command, ['/var/run/argo/argoexec', 'emissary', '--', 'python', '-u', '/argo/staging/script']);
  // a script template whose args are the command (exit-handler-parameterized-global-artifacts): the script is sh -c's $0
  const shc = firstPod(wf({ entrypoint: 's', templates: [{ name: 's', script: { image: 'argoproj/argosay:v2', command: ['sh', '-c'], args: ['echo hi > /result.txt'] } as never }] }), { executorImage: 'flotilla/flotilla' });
  assert.deepEqual(byName(shc.spec.containers).main!.command, ['/var/run/argo/argoexec', 'emissary', '--', 'sh', '-c', 'echo hi > /result.txt', '/argo/staging/script']);
  assert.ok(cs.main!.volumeMounts!.some((m) => m.mountPath === '/argo/staging'));
  assert.ok(pod.spec.initContainers[0]!.volumeMounts!.some((m) => m.mountPath === '/argo/staging'));
  assert.equal(pod.spec.initContainers[0]!.image, 'flotilla/flotilla');
  assert.equal(env(cs.main!).ARGO_INCLUDE_SCRIPT_OUTPUT, 'true');
  assert.equal(JSON.parse(env(cs.wait!).ARGO_TEMPLATE as string).script.source, 'print(1)');
  assert.deepEqual(JSON.parse(env(cs.wait!).ARGO_ARTIFACT_REPOSITORY as string), { s3: { bucket: 'b' } });
  const withCreds = firstPod(w, { artifactRepository: { s3: { bucket: 'b', accessKeySecret: { name: 'my-minio-cred', key: 'accesskey' }, secretKeySecret: { name: 'my-minio-cred', key: 'secretkey' } } } });
  assert.deepEqual(withCreds.spec.volumes.filter((v) => v.secret), [{ name: 'argo-secret-my-minio-cred', secret: { secretName: 'my-minio-cred', optional: true } }]);
  for (const c of [withCreds.spec.initContainers[0]!, byName(withCreds.spec.containers).wait!]) assert.ok(c.volumeMounts!.some((m) => m.mountPath === '/argo/secret/my-minio-cred' && m.readOnly), c.name);
  assert.ok(!byName(withCreds.spec.containers).main!.volumeMounts!.some((m) => m.mountPath.startsWith('/argo/secret')));
});

test("data template: its main is the executor and has the Secrets of the repository and of the data source mounted", () => {
  const w = wf({ entrypoint: 'd', templates: [{ name: 'd', data: { source: { artifactPaths: { name: 'in', s3: { bucket: 'b', accessKeySecret: { name: 'src-cred', key: 'a' }, secretKeySecret: { name: 'src-cred', key: 's' } } } }, transformation: [{ expression: 'filter(data, {# endsWith ".log"})' }] } }] });
  const pod = firstPod(w, { artifactRepository: { s3: { bucket: 'b', accessKeySecret: { name: 'my-minio-cred', key: 'accesskey' }, secretKeySecret: { name: 'my-minio-cred', key: 'secretkey' } } } });
  const main = byName(pod.spec.containers).main!;
  assert.deepEqual(main.command, ['argoexec', 'data']);
  for (const s of ['my-minio-cred', 'src-cred']) {
    assert.ok(pod.spec.volumes.some((v) => (v.secret as { secretName?: string } | undefined)?.secretName === s), `volume of ${s}`);
    assert.ok(main.volumeMounts!.some((m) => m.mountPath === `/argo/secret/${s}` && m.readOnly), `main mounts ${s}`);
  }
});

test('image command: the template, then the configmap `images`, then the known images; an unknown image is an error naming it', () => {
  assert.deepEqual(commandLine({ image: 'x', command: ['a'], args: ['b'] }, {}), ['a', 'b']);
  assert.deepEqual(commandLine({ image: 'argoproj/argosay:v2', args: ['echo', 'hi'] }, {}), ['/argosay', 'echo', 'hi']);
  assert.deepEqual(commandLine({ image: 'argoproj/argosay:v1', args: ['hi'] }, { images: { 'argoproj/argosay:v1': { command: ['cowsay'] } } }), ['cowsay', 'hi']);
  assert.deepEqual(commandLine({ image: 'docker.io/library/busybox:1.36' }, {}), ['sh']);
  assert.deepEqual(commandLine({ image: 'argoproj/argocli:latest', args: ['version'] }, {}), ['argo', 'version']);
  assert.equal(imageRepo('docker.io/library/python:alpine3.23'), 'python');
  assert.throws(() => commandLine({ image: 'example.com/mystery:1' }, {}), (e: Error) => e instanceof PodBuildError && /example.com\/mystery:1/.test(e.message));
});

test('resultReferenced: a container whose result some template reads captures stdout', () => {
  const w = wf({ entrypoint: 'm', templates: [{ name: 'm', steps: [[{ name: 'a', template: 'c' }], [{ name: 'b', template: 'c', when: '{{steps.a.outputs.result}} == x' }]] }, { name: 'c', container: { image: 'busybox', command: ['echo', 'x'] } }] });
  assert.equal(resultReferenced(w), true);
  const plan = operate({ workflow: w, now: NOW });
  const pod = buildPod(plan.podsToCreate[0]!, w, { now: NOW, includeScriptOutput: resultReferenced(w) });
  assert.equal(env(pod.spec.containers[1]!).ARGO_INCLUDE_SCRIPT_OUTPUT, 'true');
  assert.equal(pod.metadata.name, `hello-c-${pod.metadata.annotations['workflows.argoproj.io/node-id']!.split('-').pop()}`);
});

test('deadline, nodeSelector, tolerations, volumes, claims, input artifacts, podSpecPatch (workflow then template)', () => {
  const w = wf({
    entrypoint: 'main', activeDeadlineSeconds: 60, nodeSelector: { disk: 'ssd' }, tolerations: [{ key: 'k', operator: 'Exists' }],
    volumes: [{ name: 'cfg', configMap: { name: 'c' } }],
    volumeClaimTemplates: [{ metadata: { name: 'work' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    podSpecPatch: '{"containers":[{"name":"main","resources":{"limits":{"cpu":"100m"}}}]}',
    templates: [{
      name: 'main', inputs: { artifacts: [{ name: 'src', path: '/src', raw: { data: 'x' } }] },
      podSpecPatch: 'containers:\n- name: main\n  env:\n  - name: P\n    value: "2"\n',
      container: { image: 'alpine:3.23', command: ['ls', '/src'], volumeMounts: [{ name: 'work', mountPath: '/work' }] },
    }],
  });
  const pod = firstPod(w);
  assert.equal(pod.spec.activeDeadlineSeconds, 60);
  const main = byName(pod.spec.containers).main!;
  assert.equal(env(main).ARGO_DEADLINE, '2026-01-01T00:01:00Z');
  assert.deepEqual(pod.spec.nodeSelector, { disk: 'ssd' });
  assert.deepEqual(pod.spec.tolerations, [{ key: 'k', operator: 'Exists' }]);
  assert.deepEqual(pod.spec.volumes.map((v) => v.name), ['var-run-argo', 'input-artifacts', 'cfg', 'work']);
  assert.deepEqual(pod.spec.volumes[3], { name: 'work', persistentVolumeClaim: { claimName: 'hello-work' } });
  assert.ok(main.volumeMounts!.some((m) => m.name === 'input-artifacts' && m.mountPath === '/src' && m.subPath === 'src'));
  assert.ok(pod.spec.initContainers[0]!.volumeMounts!.some((m) => m.name === 'input-artifacts' && m.mountPath === '/argo/inputs/artifacts'));
  assert.deepEqual(main.resources, { limits: { cpu: '100m' } });
  assert.equal(env(main).P, '2');
  assert.equal(env(main).ARGO_NODE_ID, 'hello', 'the patch merges env by name, keeping the ARGO_ variables');
  assert.deepEqual(claimsOf(w).map((c) => (c.metadata as { name: string }).name), ['hello-work']);
  assert.throws(() => firstPod({ ...w, spec: { ...w.spec, podSpecPatch: '[1' } }), /podSpecPatch/);
});

test('resource, data and containerSet templates; executor config and its service account', () => {
  const exec = { executor: { resources: { requests: { cpu: '10m' } }, serviceAccountName: 'exec-sa' }, executorImage: 'flotilla/flotilla' };
  const r = firstPod(wf({ entrypoint: 'r', templates: [{ name: 'r', resource: { action: 'create', manifest: 'kind: ConfigMap' } }] }), exec);
  const main = byName(r.spec.containers).main!;
  assert.deepEqual([main.image, main.command], ['flotilla/flotilla', ['argoexec', 'resource', 'create']]);
  assert.deepEqual(main.resources, { requests: { cpu: '10m' } });
  assert.equal(r.spec.serviceAccountName, 'exec-sa');
  const d = firstPod(wf({ entrypoint: 'd', templates: [{ name: 'd', data: { source: { artifactPaths: {} }, transformation: [] } }] }));
  assert.deepEqual(byName(d.spec.containers).main!.command, ['argoexec', 'data']);
  const cs = firstPod(wf({ entrypoint: 'c', templates: [{ name: 'c', containerSet: { containers: [{ name: 'a', image: 'busybox', command: ['true'] }, { name: 'b', image: 'busybox', command: ['echo', 'b'], dependencies: ['a'] }] } }] }));
  assert.deepEqual(cs.spec.containers.map((c) => [c.name, c.command?.slice(3)]), [['wait', []], ['a', ['true']], ['b', ['echo', 'b']]]);
  assert.ok(!('dependencies' in cs.spec.containers[2]!));
});

test('artifact passing: `from` a step output becomes the input artifact\'s location in the consumer pod', () => {
  const w = wf({
    entrypoint: 'main',
    templates: [
      { name: 'main', steps: [[{ name: 'gen', template: 'gen' }], [{ name: 'use', template: 'use', arguments: { artifacts: [{ name: 'message', from: '{{steps.gen.outputs.artifacts.hello-art}}' }] } }]] },
      { name: 'gen', container: { image: 'busybox', command: ['sh', '-c', 'echo hi > /tmp/h'] }, outputs: { artifacts: [{ name: 'hello-art', path: '/tmp/h' }] } },
      { name: 'use', inputs: { artifacts: [{ name: 'message', path: '/tmp/message' }] }, container: { image: 'busybox', command: ['cat', '/tmp/message'] } },
    ],
  });
  const { pods } = simulate(w, { run: (p) => ({ phase: 'Succeeded', exitCode: 0, outputs: p.templateName === 'gen' ? { artifacts: [{ name: 'hello-art', path: '/tmp/h', s3: { key: 'hello/gen/hello-art.tgz' } }] } : {} }) });
  const use = pods.find((p) => p.templateName === 'use')!;
  assert.deepEqual(use.inputs?.artifacts, [{ name: 'message', path: '/tmp/message', s3: { key: 'hello/gen/hello-art.tgz' } }]);
  const pod = buildPod(use, w, { now: NOW });
  assert.deepEqual(JSON.parse(env(pod.spec.initContainers[0]!).ARGO_TEMPLATE as string).inputs.artifacts, [{ name: 'message', path: '/tmp/message', s3: { key: 'hello/gen/hello-art.tgz' } }]);
});
