/**
 * End to end on one `flotilla up`: pods shaped as the workflow controller builds them (init /
 * main / wait, the emissary wrapping a busybox main, upstream's quick-start RBAC and minio), made
 * by hand. Checks the WorkflowTaskResult (labels, owner, parameters, result, exit code, artifact
 * key), `kubectl logs -c main`, an output artifact saved to the minio image and loaded by the next
 * pod as a key-only artifact (with raw and HTTP inputs and a script template), and a resource
 * template with a success condition and a jsonPath output.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { KubeClient } from '@flotilla/kube-runtime';
import { kubectlFor, startUp, stopUp, waitFor, type Up } from '@flotilla/kube-runtime/testkit';
import { TASK_RESULTS } from './kube.js';

const QUICK_START = fileURLToPath(new URL('../../../../shared/upstream/install-manifests/argo-workflows/quick-start-minimal.yaml', import.meta.url));
const skip = !existsSync(QUICK_START) ? `upstream quick-start-minimal.yaml not found at ${QUICK_START} (CRDs, RBAC and minio come from there)` : !existsSync('/usr/bin/kubectl') ? 'kubectl not installed' : undefined;
if (skip) process.stdout.write(`# skipped: ${skip}\n`);

const NS = 'argo';
const EXEC_IMAGE = 'quay.io/argoproj/argoexec:latest';
const REPO = { s3: { bucket: 'my-bucket', endpoint: 'minio:9000', insecure: true, accessKeySecret: { name: 'my-minio-cred', key: 'accesskey' }, secretKeySecret: { name: 'my-minio-cred', key: 'secretkey' } } };

/** What the executor needs from upstream's quick start: CRDs, the executor Role + binding, minio and its Secret. */
function quickStartParts(): string {
  const wanted = (o: any) =>
    (o.kind === 'CustomResourceDefinition' && /^(workflows|workflowtaskresults)\.argoproj\.io$/.test(o.metadata.name)) ||
    (o.kind === 'Role' && o.metadata.name === 'executor') ||
    (o.kind === 'RoleBinding' && o.metadata.name === 'executor-default') ||
    (o.kind === 'Secret' && o.metadata.name === 'my-minio-cred') ||
    ((o.kind === 'Service' || o.kind === 'Deployment') && o.metadata.name === 'minio');
  const items = parseAllDocuments(readFileSync(QUICK_START, 'utf8')).map((d) => d.toJS()).filter((o) => o && wanted(o));
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}

/** A pod as the controller builds it (TEAM.md contract): init, main (emissary), wait. */
function workflowPod(o: { name: string; wf: { name: string; uid: string }; nodeId: string; template: Record<string, unknown>; image: string; command: string[]; includeResult?: boolean; deadline?: string }) {
  const env = (container: string) => [
    { name: 'ARGO_POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'ARGO_POD_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
    { name: 'ARGO_NODE_ID', value: o.nodeId },
    { name: 'ARGO_WORKFLOW_NAME', value: o.wf.name },
    { name: 'ARGO_WORKFLOW_UID', value: o.wf.uid },
    { name: 'ARGO_CONTAINER_NAME', value: container },
    { name: 'ARGO_TEMPLATE', value: JSON.stringify(o.template) },
    { name: 'ARGO_INCLUDE_SCRIPT_OUTPUT', value: String(!!o.includeResult) },
    { name: 'ARGO_DEADLINE', value: o.deadline ?? '0001-01-01T00:00:00Z' },
    { name: 'ARGO_PROGRESS_FILE', value: '/var/run/argo/progress' },
    { name: 'ARGO_ARTIFACT_REPOSITORY', value: JSON.stringify(REPO) },
  ];
  const varRun = { name: 'var-run-argo', mountPath: '/var/run/argo' };
  const secret = { name: 'my-minio-cred', mountPath: '/argo/secret/my-minio-cred', readOnly: true };
  // upstream's layout, as the controller's pod builder makes it: the script in an emptyDir at
  // /argo/staging, input artifacts in an emptyDir at /argo/inputs/artifacts mounted at each path
  const volumes: object[] = [{ name: 'var-run-argo', emptyDir: {} }, { name: 'my-minio-cred', secret: { secretName: 'my-minio-cred' } }];
  const initMounts: object[] = [varRun, secret];
  const mainMounts: object[] = [varRun];
  if (o.template.script) {
    volumes.push({ name: 'argo-staging', emptyDir: {} });
    initMounts.push({ name: 'argo-staging', mountPath: '/argo/staging' });
    mainMounts.push({ name: 'argo-staging', mountPath: '/argo/staging' });
  }
  const inArts = ((o.template.inputs as { artifacts?: { name: string; path: string }[] } | undefined)?.artifacts ?? []);
  if (inArts.length) {
    volumes.push({ name: 'input-artifacts', emptyDir: {} });
    initMounts.push({ name: 'input-artifacts', mountPath: '/argo/inputs/artifacts' });
    for (const a of inArts) mainMounts.push({ name: 'input-artifacts', mountPath: a.path, subPath: a.name });
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: o.name,
      namespace: NS,
      labels: { 'workflows.argoproj.io/workflow': o.wf.name, 'workflows.argoproj.io/completed': 'false' },
      annotations: { 'workflows.argoproj.io/node-id': o.nodeId, 'workflows.argoproj.io/node-name': `${o.wf.name}.${o.name}` },
      ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', name: o.wf.name, uid: o.wf.uid, controller: true }],
    },
    spec: {
      restartPolicy: 'Never',
      volumes,
      initContainers: [{ name: 'init', image: EXEC_IMAGE, command: ['argoexec', 'init'], env: env('init'), volumeMounts: initMounts }],
      containers: [
        { name: 'wait', image: EXEC_IMAGE, command: ['argoexec', 'wait'], env: env('wait'), volumeMounts: [varRun, secret] },
        { name: 'main', image: o.image, command: ['/var/run/argo/argoexec', 'emissary', '--', ...o.command], env: env('main'), volumeMounts: mainMounts },
        ...((o.template.sidecars as { name: string; image: string; command: string[] }[] | undefined) ?? []).map((c) => ({ name: c.name, image: c.image, command: ['/var/run/argo/argoexec', 'emissary', '--', ...c.command], env: env(c.name), volumeMounts: [varRun] })),
      ],
    },
  };
}

describe('argoexec in workflow pods on flotilla up', { skip, timeout: 300_000, concurrency: false }, () => {
  let dir: string;
  let up: Up;
  let client: KubeClient;
  let k: (args: string[], o?: { input?: string }) => Promise<string>;
  let kubectl: ReturnType<typeof kubectlFor>['kubectl'];
  let wf: { name: string; uid: string };
  let artifactKey = '';

  const taskResultOf = (nodeId: string) =>
    waitFor(`task result ${nodeId}`, async () => {
      try {
        const r = await client.get<any>(TASK_RESULTS, NS, nodeId);
        return r.metadata.labels?.['workflows.argoproj.io/report-outputs-completed'] === 'true' ? r : undefined;
      } catch {
        return undefined;
      }
    }, 120_000, 500);
  const podDone = (name: string) =>
    waitFor(`pod ${name} finished`, async () => {
      const p = await client.get<any>({ group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true }, NS, name);
      return ['Succeeded', 'Failed'].includes(p.status?.phase) ? p : undefined;
    }, 120_000, 500);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-argoexec-'));
    up = await startUp(join(dir, 'up'), 120_000, {});
    ({ k, kubectl } = kubectlFor(join(dir, 'home'), up.kubeconfig));
    client = new KubeClient(up.kubeconfig);
    await k(['create', 'namespace', NS]);
    await k(['apply', '-n', NS, '-f', '-'], { input: quickStartParts() });
    await k(['run', 'echo', '-n', NS, '--image=hashicorp/http-echo', '--port=5678', '--expose', '--', '-text=from-http', '-listen=:5678']);
    await waitFor('workflows CRD', async () => (await kubectl(['get', 'workflows', '-n', NS])).code === 0, 30_000, 300);
    const w = JSON.parse(await k(['create', '-n', NS, '-o', 'json', '-f', '-'], { input: JSON.stringify({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'wf-exec' }, spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'busybox' } }] } }) }));
    wf = { name: w.metadata.name, uid: w.metadata.uid };
    await k(['rollout', 'status', 'deployment/minio', '-n', NS, '--timeout=90s']);
  });
  after(async () => {
    if (up) await stopUp(up, 'SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs a busybox main through the emissary: logs, output parameters, result, exit code, an artifact in minio; its sidecar is stopped', async () => {
    const template = {
      name: 'produce',
      container: { image: 'busybox', command: ['sh', '-c'] },
      outputs: {
        parameters: [
          { name: 'answer', valueFrom: { path: '/tmp/answer' } },
          { name: 'fallback', valueFrom: { path: '/tmp/missing', default: 'dflt' } },
        ],
        artifacts: [{ name: 'art', path: '/tmp/art' }],
      },
      // a sidecar that would run for ever: wait stops it once main is done, so the pod completes
      sidecars: [{ name: 'side', image: 'busybox', command: ['sh', '-c', 'echo side up; exec sleep 300'] }],
    };
    const script = 'echo hello from main; echo oops >&2; echo 42 > /tmp/answer; mkdir -p /tmp/art/sub; echo payload > /tmp/art/sub/f.txt; echo 3/4 > /var/run/argo/progress';
    await k(['apply', '-f', '-'], { input: JSON.stringify(workflowPod({ name: 'wf-exec-produce', wf, nodeId: 'wf-exec-1', template, image: 'busybox', command: ['sh', '-c', script], includeResult: true })) });
    const tr = await taskResultOf('wf-exec-1');
    assert.equal(tr.metadata.labels['workflows.argoproj.io/workflow'], 'wf-exec');
    assert.deepEqual(tr.metadata.ownerReferences.map((r: any) => `${r.kind}/${r.name}/${r.uid}`), [`Workflow/wf-exec/${wf.uid}`]);
    assert.deepEqual(tr.outputs.parameters.map((p: any) => `${p.name}=${p.value}`), ['answer=42', 'fallback=dflt']);
    assert.equal(tr.outputs.result, 'hello from main');
    assert.equal(tr.outputs.exitCode, '0');
    assert.equal(tr.progress, '3/4');
    assert.equal(tr.outputs.artifacts.length, 1);
    artifactKey = tr.outputs.artifacts[0].s3.key;
    assert.equal(artifactKey, 'wf-exec/wf-exec-produce/art.tgz');
    assert.deepEqual(Object.keys(tr.outputs.artifacts[0].s3), ['key'], 'key-only, resolved against the repository');
    const pod = await podDone('wf-exec-produce');
    assert.equal(pod.status.phase, 'Succeeded', JSON.stringify(pod.status.containerStatuses));
    const logs = await k(['logs', 'wf-exec-produce', '-n', NS, '-c', 'main']);
    assert.match(logs, /hello from main/);
    assert.match(logs, /oops/);
    assert.match(await k(['logs', 'wf-exec-produce', '-n', NS, '-c', 'wait']), /task result argo\/wf-exec-1 written/);
    assert.equal(pod.status.containerStatuses.find((c: any) => c.name === 'side').state.terminated.exitCode, 0);
    assert.match(await k(['logs', 'wf-exec-produce', '-n', NS, '-c', 'side']), /side up/);
  });

  it('loads key-only, raw and HTTP input artifacts, runs a script template and reports a failing exit code', async () => {
    assert.ok(artifactKey, 'needs the artifact of the first test');
    const template = {
      name: 'consume',
      inputs: {
        parameters: [{ name: 'p', value: 'v' }],
        artifacts: [
          { name: 'art', path: '/tmp/in', s3: { key: artifactKey } },
          { name: 'note', path: '/tmp/note.txt', raw: { data: 'raw data' }, mode: 0o600 },
          { name: 'web', path: '/tmp/web.txt', http: { url: 'http://echo:5678/' } },
          { name: 'gone', path: '/tmp/gone', optional: true, s3: { key: 'no/such/key.tgz' } },
        ],
      },
      script: { image: 'busybox', command: ['sh'], source: 'cat /tmp/in/sub/f.txt /tmp/note.txt /tmp/web.txt; stat -c %a /tmp/note.txt; [ -z \"$(ls -A /tmp/gone 2>/dev/null)\" ] && echo no-gone; exit 3' },
    };
    await k(['apply', '-f', '-'], { input: JSON.stringify(workflowPod({ name: 'wf-exec-consume', wf, nodeId: 'wf-exec-2', template, image: 'busybox', command: ['sh', '/argo/staging/script'], includeResult: true })) });
    const tr = await taskResultOf('wf-exec-2');
    assert.equal(tr.outputs.exitCode, '3');
    assert.equal(tr.outputs.result, 'payload\nraw datafrom-http\n600\nno-gone');
    const pod = await podDone('wf-exec-consume');
    assert.equal(pod.status.phase, 'Failed');
    const main = pod.status.containerStatuses.find((c: any) => c.name === 'main');
    assert.equal(main.state.terminated.exitCode, 3);
    assert.match(await k(['logs', 'wf-exec-consume', '-n', NS, '-c', 'main']), /payload/);
  });

  it('stops main at the pod deadline (an upstream image through its program name): exit code and reason in the task result', async () => {
    const template = { name: 'slow', container: { image: 'argoproj/argosay:v2', command: ['/argosay'], args: ['sleep', '300s'] } };
    const deadline = new Date(Date.now() + 8000).toISOString();
    await k(['apply', '-f', '-'], { input: JSON.stringify(workflowPod({ name: 'wf-exec-slow', wf, nodeId: 'wf-exec-4', template, image: 'argoproj/argosay:v2', command: ['/argosay', 'sleep', '300s'], deadline })) });
    const tr = await taskResultOf('wf-exec-4');
    assert.match(tr.message, /Pod was active on the node longer than the specified deadline/);
    assert.equal(tr.outputs.exitCode, '143');
    const pod = await podDone('wf-exec-slow');
    assert.equal(pod.status.phase, 'Failed');
    assert.ok(Date.now() - Date.parse(deadline) < 60_000);
  });

  it('reports what main did when the pod is deleted (the controller\'s stop/terminate)', async () => {
    const template = { name: 'stopped', container: { image: 'busybox', command: ['sh', '-c'] }, outputs: { parameters: [{ name: 'p', valueFrom: { path: '/tmp/p' } }] } };
    await k(['apply', '-f', '-'], { input: JSON.stringify(workflowPod({ name: 'wf-exec-stop', wf, nodeId: 'wf-exec-6', template, image: 'busybox', command: ['sh', '-c', 'echo before > /tmp/p; echo started; exec sleep 300'] })) });
    await waitFor('main started', async () => /started/.test((await kubectl(['logs', 'wf-exec-stop', '-n', NS, '-c', 'main'])).stdout), 60_000, 300);
    await k(['delete', 'pod', 'wf-exec-stop', '-n', NS, '--wait=false']);
    const tr = await taskResultOf('wf-exec-6');
    assert.equal(tr.outputs.exitCode, '143');
    assert.deepEqual(tr.outputs.parameters.map((p: any) => `${p.name}=${p.value}`), ['p=before']);
  });

  it('runs resource templates: creates a ConfigMap owned by the workflow, waits for its condition, outputs by jsonPath and jqFilter; a JSON patch', async () => {
    // unquoted label values, as upstream's functional/resource-template.yaml writes them: created with string values
    const manifest = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: made-by-argoexec\n  labels:\n    workflows.argoproj.io/test: true\n    n: 3\ndata:\n  state: ready\n';
    const template = {
      name: 'res',
      resource: { action: 'create', manifest, setOwnerReference: true, successCondition: 'data.state == ready', failureCondition: 'data.state in (broken, failed)' },
      outputs: { parameters: [{ name: 'uid', valueFrom: { jsonPath: '{.metadata.uid}' } }, { name: 'state', valueFrom: { jqFilter: '.data.state' } }] },
    };
    const pod = workflowPod({ name: 'wf-exec-res', wf, nodeId: 'wf-exec-3', template, image: EXEC_IMAGE, command: [] });
    (pod.spec.containers[1] as any).command = ['argoexec', 'resource', 'create'];
    // the resource's RBAC: configmaps for the default service account
    await k(['create', 'role', 'cm', '-n', NS, '--verb=create,get,list,patch', '--resource=configmaps']);
    await k(['create', 'rolebinding', 'cm', '-n', NS, '--role=cm', '--serviceaccount=argo:default']);
    await k(['apply', '-f', '-'], { input: JSON.stringify(pod) });
    const tr = await taskResultOf('wf-exec-3');
    const cm = JSON.parse(await k(['get', 'configmap', 'made-by-argoexec', '-n', NS, '-o', 'json']));
    assert.deepEqual(tr.outputs.parameters.map((p: any) => `${p.name}=${p.value}`), [`uid=${cm.metadata.uid}`, 'state=ready']);
    assert.equal(cm.metadata.ownerReferences[0].uid, wf.uid);
    assert.deepEqual(cm.metadata.labels, { 'workflows.argoproj.io/test': 'true', n: '3' });
    assert.equal((await podDone('wf-exec-res')).status.phase, 'Succeeded');
    // a JSON patch names its target in flags, as upstream's k8s-patch-json-pod example does
    const patch = { name: 'patch', resource: { action: 'patch', mergeStrategy: 'json', flags: ['configmap', 'made-by-argoexec'], manifest: '- op: add\n  path: /data/patched\n  value: "yes"\n' } };
    const pp = workflowPod({ name: 'wf-exec-patch', wf, nodeId: 'wf-exec-5', template: patch, image: EXEC_IMAGE, command: [] });
    (pp.spec.containers[1] as any).command = ['argoexec', 'resource', 'patch'];
    await k(['apply', '-f', '-'], { input: JSON.stringify(pp) });
    const tr2 = await taskResultOf('wf-exec-5');
    assert.equal(tr2.message, undefined, tr2.message);
    assert.equal(JSON.parse(await k(['get', 'configmap', 'made-by-argoexec', '-n', NS, '-o', 'json'])).data.patched, 'yes');
  });

  it('an artifact-GC pod (the controller\'s shape) deletes the artifacts in ARGO_ARTIFACTS and reports each in its termination message', async () => {
    assert.ok(artifactKey, 'the first test saved an artifact');
    const arts = [
      { name: 'art', s3: { key: artifactKey } },
      { name: 'elsewhere', s3: { key: 'x', bucket: 'no-such-bucket' } },
    ];
    const pod = {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'wf-exec-artgc-wfcomp-1', namespace: NS, labels: { 'workflows.argoproj.io/artifact-gc-pod': wf.name } },
      spec: {
        restartPolicy: 'Never',
        volumes: [{ name: 'my-minio-cred', secret: { secretName: 'my-minio-cred' } }],
        containers: [{
          name: 'main', image: EXEC_IMAGE, command: ['argoexec', 'artifact', 'delete'],
          env: [{ name: 'ARGO_ARTIFACTS', value: JSON.stringify(arts) }, { name: 'ARGO_NAMESPACE', value: NS }, { name: 'ARGO_ARTIFACT_REPOSITORY', value: JSON.stringify(REPO) }],
          volumeMounts: [{ name: 'my-minio-cred', mountPath: '/argo/secret/my-minio-cred', readOnly: true }],
        }],
      },
    };
    await k(['apply', '-f', '-'], { input: JSON.stringify(pod) });
    const done = await podDone('wf-exec-artgc-wfcomp-1');
    assert.equal(done.status.phase, 'Failed', 'one artifact could not be deleted');
    const lines = String(done.status.containerStatuses[0].state.terminated.message).split('\n').map((l) => JSON.parse(l));
    assert.equal(lines[0].name, 'elsewhere', 'failures first');
    assert.match(lines[0].error, /no-such-bucket|NoSuchBucket/);
    assert.deepEqual(lines[1], { name: 'art', key: artifactKey, deleted: 1 });
    // the object is gone: loading it key-only now fails
    const loader = workflowPod({ name: 'wf-exec-after-gc', wf, nodeId: 'wf-exec-6', template: { name: 'l', inputs: { artifacts: [{ name: 'in', path: '/tmp/in', s3: { key: artifactKey } }] }, container: { image: 'busybox' } }, image: 'busybox', command: ['true'] });
    await k(['apply', '-f', '-'], { input: JSON.stringify(loader) });
    const after = await podDone('wf-exec-after-gc');
    assert.equal(after.status.phase, 'Failed');
    assert.match(JSON.stringify(after.status.initContainerStatuses), /no such key/);
  });
});
