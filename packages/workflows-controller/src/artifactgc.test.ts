// Artifact GC: the pure parts as tables, then the reconciler alone against a real API server (no node agent: the
// test plays the workflow controller — it writes the workflow's status — and the kubelet of the GC pods).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventRecorder, InformerFactory, KubeClient, R, type KubeObject } from '@flotilla/kube-runtime';
import { startTestCluster, waitFor } from '@flotilla/kube-runtime/testkit';
import { ArtifactGCController, FINALIZER_ARTIFACT_GC, LABEL_GC_POD, deletedAtCompletion, gcItems, groupPods, parseResults, strategyOf, templatesHaveGC } from './artifactgc.js';
import { WORKFLOWS } from './resources.js';

test('strategies: the artifact\'s over the workflow\'s; which are deleted at completion', () => {
  assert.equal(strategyOf({}, undefined), 'Never');
  assert.equal(strategyOf({}, { strategy: 'OnWorkflowDeletion' }), 'OnWorkflowDeletion');
  assert.equal(strategyOf({ artifactGC: { strategy: 'Never' } }, { strategy: 'OnWorkflowDeletion' }), 'Never');
  assert.equal(strategyOf({ artifactGC: { serviceAccountName: 'x' } }, { strategy: 'OnWorkflowCompletion' }), 'OnWorkflowCompletion');
  const table: [string, string, boolean][] = [
    ['OnWorkflowCompletion', 'Failed', true], ['OnWorkflowDeletion', 'Succeeded', false],
    ['OnWorkflowSuccessOrDeletion', 'Succeeded', true], ['OnWorkflowSuccessOrDeletion', 'Failed', false],
    ['OnWorkflowFailureOrDeletion', 'Error', true], ['OnWorkflowFailureOrDeletion', 'Succeeded', false], ['Never', 'Succeeded', false],
  ];
  for (const [s, phase, want] of table) assert.equal(deletedAtCompletion(s as never, phase), want, `${s} ${phase}`);
  // a workflow-level strategy every artifact overrides with Never: nothing to collect (no finalizer)
  const never = [{ name: 't', outputs: { artifacts: [{ name: 'a', artifactGC: { strategy: 'Never' } }] } }];
  assert.equal(templatesHaveGC(never, { strategy: 'OnWorkflowDeletion' }), false);
  assert.equal(templatesHaveGC([{ name: 't', outputs: { artifacts: [{ name: 'a' }] } }], { strategy: 'OnWorkflowDeletion' }), true);
  assert.equal(templatesHaveGC([{ name: 't', outputs: { artifacts: [{ name: 'a' }] } }], undefined), false);
});

test('GC items and pods: saved artifacts not deleted yet, one pod per service account and pod metadata', () => {
  const wf: any = {
    spec: { artifactGC: { strategy: 'OnWorkflowCompletion', serviceAccountName: 'wf-sa' } },
    status: {
      nodes: {
        n1: { outputs: { artifacts: [
          { name: 'a', s3: { key: 'a' }, artifactGC: { strategy: 'OnWorkflowCompletion', podMetadata: { annotations: { x: '1' } } } },
          { name: 'b', s3: { key: 'b' } },
          { name: 'c', s3: { key: 'c' }, artifactGC: { strategy: 'OnWorkflowDeletion' } },
          { name: 'd', s3: { key: 'd' }, deleted: true },
          { name: 'e', s3: { key: 'e' }, artifactGC: { strategy: 'Never' } },
          { name: 'p', path: '/x' },
        ] } },
      },
    },
  };
  const items = gcItems(wf, (s) => deletedAtCompletion(s, 'Succeeded'), () => ({ s3: { bucket: 'b' } }));
  assert.deepEqual(items.map((i) => [i.artifact.name, i.serviceAccountName]), [['a', 'wf-sa'], ['b', 'wf-sa']]);
  assert.deepEqual(items[0].artifactRepository, { s3: { bucket: 'b' } });
  const pods = groupPods('wf', 'completion', items);
  assert.equal(pods.length, 2);
  assert.ok(pods.every((p) => /^wf-artgc-wfcomp-[0-9a-f]{8}$/.test(p.name)), pods.map((p) => p.name).join());
  assert.deepEqual(pods.map((p) => p.items.length).sort(), [1, 1]);
  assert.match(groupPods('wf', 'deletion', items)[0].name, /^wf-artgc-wfdel-/);
  assert.deepEqual([...parseResults('log line\n{"name":"a","key":"k","deleted":1}\n{"name":"b","key":"j","error":"no"}\n{bad').values()], [{ name: 'a', key: 'k', deleted: 1 }, { name: 'b', key: 'j', error: 'no' }]);
});

const NS = 'argo';
const crd = (plural: string, kind: string) => ({
  apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `${plural}.argoproj.io` },
  spec: { group: 'argoproj.io', scope: 'Namespaced', names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() }, versions: [{ name: 'v1alpha1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
});

/** The kubelet's write: the GC pod's container ended with this exit code and termination message. */
function endPod(client: KubeClient, name: string, code: number, message: string) {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return client.patch(R.pods, NS, name, { status: { phase: code ? 'Failed' : 'Succeeded', containerStatuses: [{ name: 'main', ready: false, restartCount: 0, image: 'argoexec', imageID: '', state: { terminated: { exitCode: code, message, reason: code ? 'Error' : 'Completed', startedAt: now, finishedAt: now } } }] } }, 'merge', 'status');
}

test('the finalizer, the GC pods at completion and deletion, artifactGCStatus, ArtifactGCError and forceFinalizerRemoval', async () => {
  const cluster = await startTestCluster({ prefix: 'wf-artgc-' });
  const client = new KubeClient(cluster.kubeconfig, { qps: 200, burst: 400 });
  const informers = new InformerFactory(client, { log: () => {} });
  const events = new EventRecorder(client, { component: 'workflow-controller', log: () => {} });
  const gc = new ArtifactGCController({ client, informers, events, log: (m) => { if (process.env.GC_DEBUG) console.error(m); }, managedNamespace: NS, executorImage: () => 'quay.io/argoproj/argoexec:test' });
  try {
    await client.create(R.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } as KubeObject);
    for (const [p, k] of [['workflows', 'Workflow'], ['workflowtemplates', 'WorkflowTemplate']]) await client.create(R.crds, undefined, crd(p, k) as KubeObject);
    await client.create(R.crds, undefined, { ...crd('clusterworkflowtemplates', 'ClusterWorkflowTemplate'), spec: { ...crd('clusterworkflowtemplates', 'ClusterWorkflowTemplate').spec, scope: 'Cluster' } } as KubeObject);
    await waitFor('the CRDs to be served', async () => { try { return (await client.list(WORKFLOWS, NS)) && true; } catch { return undefined; } }, 20_000, 100);
    await client.create(R.serviceaccounts, NS, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'gc-sa' } } as KubeObject);
    informers.start();
    await gc.start();

    const s3 = (key: string) => ({ key, bucket: 'my-bucket', endpoint: 'minio:9000', accessKeySecret: { name: 'cred', key: 'a' }, secretKeySecret: { name: 'cred', key: 's' } });
    const outputs = [
      { name: 'on-completion', path: '/tmp/m', s3: s3('on-completion'), artifactGC: { strategy: 'OnWorkflowCompletion', serviceAccountName: 'gc-sa', podMetadata: { labels: { team: 'x' }, annotations: { note: 'y' } } } },
      { name: 'on-deletion', path: '/tmp/m', s3: s3('on-deletion'), artifactGC: { strategy: 'OnWorkflowDeletion' } },
      { name: 'never', path: '/tmp/m', s3: s3('never'), artifactGC: { strategy: 'Never' } },
    ];
    const wfObj = (name: string, force = false) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name }, spec: { entrypoint: 'main', artifactGC: { forceFinalizerRemoval: force, podSpecPatch: 'containers:\n- name: main\n  resources: {limits: {memory: 64Mi}}\n' }, templates: [{ name: 'main', container: { image: 'busybox' }, outputs: { artifacts: outputs } }] }, status: { phase: 'Running' } });
    const get = (name: string) => client.get<any>(WORKFLOWS, NS, name);
    const complete = (name: string) => client.patch(WORKFLOWS, NS, name, { status: { phase: 'Succeeded', nodes: { [name]: { id: name, name, type: 'Pod', templateName: 'main', phase: 'Succeeded', outputs: { artifacts: outputs } } } } }, 'merge');
    const gcPods = async (name: string) => (await client.list<any>(R.pods, NS, { labelSelector: `${LABEL_GC_POD}=${name}` })).items;

    // 1. a running workflow with artifacts to collect gets the finalizer; one without does not
    await client.create(WORKFLOWS, NS, wfObj('w1') as KubeObject);
    await client.create(WORKFLOWS, NS, { ...wfObj('plain'), spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'busybox' } }] } } as KubeObject);
    await waitFor('w1 finalizer', async () => (await get('w1')).metadata.finalizers?.includes(FINALIZER_ARTIFACT_GC) || undefined, 20_000, 50);
    // 2. completion: one pod for the OnWorkflowCompletion artifact, with its service account and pod metadata
    await complete('w1');
    const [pod] = await waitFor('the completion GC pod', async () => { const p = await gcPods('w1'); return p.length ? p : undefined; }, 20_000, 50);
    assert.match(pod.metadata.name, /^w1-artgc-wfcomp-/);
    assert.equal(pod.spec.serviceAccountName, 'gc-sa');
    assert.equal(pod.metadata.labels.team, 'x');
    assert.equal(pod.metadata.annotations.note, 'y');
    assert.deepEqual(pod.spec.containers[0].command, ['argoexec', 'artifact', 'delete']);
    assert.equal(pod.spec.containers[0].resources?.limits?.memory, '64Mi', 'artifactGC.podSpecPatch');
    const env = Object.fromEntries(pod.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    assert.deepEqual(JSON.parse(env.ARGO_ARTIFACTS).map((a: any) => a.s3.key), ['on-completion']);
    assert.ok(pod.spec.volumes.some((v: any) => v.secret?.secretName === 'cred'), 'the artifacts\' Secrets are mounted');
    assert.equal((await get('plain')).metadata.finalizers, undefined);
    await endPod(client, pod.metadata.name, 0, '{"name":"on-completion","key":"on-completion","deleted":1}');
    const done = await waitFor('w1 completion recorded', async () => { const w = await get('w1'); return w.status.artifactGCStatus?.strategiesProcessed?.OnWorkflowCompletion ? w : undefined; }, 20_000, 50);
    assert.deepEqual(done.status.artifactGCStatus.podsRecouped, { [pod.metadata.name]: true });
    assert.deepEqual(done.status.nodes.w1.outputs.artifacts.map((a: any) => `${a.name}:${!!a.deleted}`), ['on-completion:true', 'on-deletion:false', 'never:false']);
    assert.ok(done.metadata.finalizers.includes(FINALIZER_ARTIFACT_GC), 'kept for the OnWorkflowDeletion artifact');
    await waitFor('the recouped pod deleted', async () => ((await gcPods('w1')).length === 0) || undefined, 20_000, 50);

    // 3. deletion: the rest (not Never) in a wfdel pod; its failure sets ArtifactGCError and keeps the finalizer
    await client.delete(WORKFLOWS, NS, 'w1');
    const [del] = await waitFor('the deletion GC pod', async () => { const p = await gcPods('w1'); return p.length ? p : undefined; }, 20_000, 50);
    assert.match(del.metadata.name, /^w1-artgc-wfdel-/);
    assert.deepEqual(JSON.parse(del.spec.containers[0].env.find((e: any) => e.name === 'ARGO_ARTIFACTS').value).map((a: any) => a.name), ['on-deletion']);
    await endPod(client, del.metadata.name, 1, '{"name":"on-deletion","key":"on-deletion","error":"AccessDenied"}');
    const failed = await waitFor('w1 ArtifactGCError', async () => { const w = await get('w1'); return w.status.conditions?.some((c: any) => c.type === 'ArtifactGCError') ? w : undefined; }, 20_000, 50);
    assert.match(failed.status.conditions.find((c: any) => c.type === 'ArtifactGCError').message, /strategy OnWorkflowDeletion, pod w1-artgc-wfdel-\w+ exited with non-zero exit code: on-deletion: AccessDenied/);
    await new Promise((r) => setTimeout(r, 500));
    assert.ok((await get('w1')).metadata.finalizers.includes(FINALIZER_ARTIFACT_GC), 'without forceFinalizerRemoval the finalizer stays');
    await events.flush();
    const evs = (await client.list<any>(R.events, NS)).items.filter((e) => e.involvedObject?.name === 'w1');
    assert.ok(evs.some((e) => e.reason === 'ArtifactGCFailed' && e.type === 'Warning'), JSON.stringify(evs.map((e) => e.reason)));

    // 4. forceFinalizerRemoval: a failure at completion removes the finalizer at once
    await client.create(WORKFLOWS, NS, wfObj('w2', true) as KubeObject);
    await waitFor('w2 finalizer', async () => (await get('w2')).metadata.finalizers?.includes(FINALIZER_ARTIFACT_GC) || undefined, 20_000, 50);
    await complete('w2');
    const [p2] = await waitFor('w2 GC pod', async () => { const p = await gcPods('w2'); return p.length ? p : undefined; }, 20_000, 50);
    await endPod(client, p2.metadata.name, 1, '');
    await waitFor('w2 finalizer removed', async () => { const w = await get('w2'); return !w.metadata.finalizers?.includes(FINALIZER_ARTIFACT_GC) && w.status.conditions?.some((c: any) => c.type === 'ArtifactGCError') ? true : undefined; }, 20_000, 50);
    assert.deepEqual((await get('w2')).status.nodes.w2.outputs.artifacts.filter((a: any) => a.deleted), [], 'nothing marked deleted when the pod says nothing');

    // 5. a GC pod the API refuses (its service account does not exist) is a failure too, not a retry forever
    await client.create(WORKFLOWS, NS, { ...wfObj('w3', true), spec: { ...wfObj('w3', true).spec, artifactGC: { strategy: 'OnWorkflowCompletion', serviceAccountName: 'no-such-sa', forceFinalizerRemoval: true }, templates: [{ name: 'main', container: { image: 'busybox' }, outputs: { artifacts: [{ name: 'x', path: '/x', s3: s3('x') }] } }] } } as KubeObject);
    await waitFor('w3 finalizer', async () => (await get('w3')).metadata.finalizers?.includes(FINALIZER_ARTIFACT_GC) || undefined, 20_000, 50);
    await client.patch(WORKFLOWS, NS, 'w3', { status: { phase: 'Failed', nodes: { w3: { id: 'w3', name: 'w3', type: 'Pod', phase: 'Failed', outputs: { artifacts: [{ name: 'x', path: '/x', s3: s3('x') }] } } } } }, 'merge');
    const w3 = await waitFor('w3 ArtifactGCError', async () => { const w = await get('w3'); return w.status.conditions?.some((c: any) => c.type === 'ArtifactGCError') && !w.metadata.finalizers?.includes(FINALIZER_ARTIFACT_GC) ? w : undefined; }, 20_000, 50);
    assert.match(w3.status.conditions.find((c: any) => c.type === 'ArtifactGCError').message, /could not create pod w3-artgc-wfcomp-\w+: .*no-such-sa/);
  } finally {
    await gc.stop();
    await informers.stop();
    events.stop();
    client.close();
    await cluster.close();
  }
});
