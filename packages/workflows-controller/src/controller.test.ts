// The workflow controller in this process against a real API server (no node agent: the test moves the pod's
// status itself, as a kubelet would): how it writes a workflow's status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { enableMetrics, EventRecorder, KubeClient, R, type KubeObject } from '@flotilla/kube-runtime';
import { startTestCluster, waitFor } from '@flotilla/kube-runtime/testkit';
import { parseFlags, startWorkflowController } from './main.js';
import { WORKFLOWS, WORKFLOW_TEMPLATES } from './resources.js';
import { WorkflowController } from './controller.js';

const NS = 'argo';
const crd = (plural: string, kind: string, scope: 'Namespaced' | 'Cluster') => ({
  apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `${plural}.argoproj.io` },
  spec: {
    group: 'argoproj.io', scope, names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
    versions: [{ name: 'v1alpha1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
  },
});

test('the status is written as a merge patch of what changed, with the resourceVersion it was computed from', async () => {
  // the controller's own client, watched: every write of a Workflow it sends
  const writes: { verb: string; body: any }[] = [];
  const podLabels: string[] = [];
  let ctlClient: KubeClient | undefined;
  const watched = (kubeconfig: string) => {
    const c = new KubeClient(kubeconfig, { qps: 200, burst: 400 });
    const patch = c.patch.bind(c);
    const update = c.update.bind(c);
    c.patch = (async (r: any, ns: any, name: any, body: any, ...rest: any[]) => {
      if (r.plural === 'workflows') writes.push({ verb: 'PATCH', body });
      if (r.plural === 'pods' && body?.metadata?.labels?.['workflows.argoproj.io/completed']) podLabels.push(name);
      return (patch as any)(r, ns, name, body, ...rest);
    }) as typeof c.patch;
    c.update = (async (r: any, obj: any, ...rest: any[]) => {
      if (r.plural === 'workflows') writes.push({ verb: 'PUT', body: obj });
      return (update as any)(r, obj, ...rest);
    }) as typeof c.update;
    return (ctlClient = c);
  };
  await withController('wf-ctl-', async (client) => {
    // spec.workflowMetadata: labels, annotations and labelsFrom (upstream's TestWorkflowMetadataLabelsFrom) go on the workflow
    const steps = { entrypoint: 'main', arguments: { parameters: [{ name: 'foo', value: 'bar' }] }, workflowMetadata: { labels: { fixed: 'x' }, annotations: { note: 'y' }, labelsFrom: { 'my-label': { expression: 'workflow.parameters.foo' } } }, templates: [
      { name: 'main', steps: [[{ name: 'a', template: 'echo' }], [{ name: 'b', template: 'echo' }]] },
      { name: 'echo', container: { image: 'busybox', command: ['echo', 'hi'] } },
    ] };
    await client.create(WORKFLOWS, NS, { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'two', labels: { team: 'a' } }, spec: steps } as KubeObject);
    const pod = await waitFor('the first pod', async () => (await client.list<any>(R.pods, NS)).items[0], 20_000, 50);
    await waitFor('the workflow Running', async () => (await client.get<any>(WORKFLOWS, NS, 'two')).status?.phase === 'Running' || undefined, 20_000, 50);
    // someone else labels the workflow meanwhile: the controller's writes keep the label
    await client.patch(WORKFLOWS, NS, 'two', { metadata: { labels: { owner: 'me' } } });

    // the first pod runs and succeeds (a kubelet's writes)
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const cs = (state: object) => [{ name: 'main', ready: false, restartCount: 0, image: 'busybox', imageID: '', state }, { name: 'wait', ready: false, restartCount: 0, image: 'busybox', imageID: '', state }];
    writes.length = 0;
    await client.patch(R.pods, NS, pod.metadata.name, { status: { phase: 'Succeeded', startTime: now, containerStatuses: cs({ terminated: { exitCode: 0, reason: 'Completed', startedAt: now, finishedAt: now } }) } }, 'merge', 'status');
    const second = await waitFor('the second pod', async () => (await client.list<any>(R.pods, NS)).items.find((p: any) => p.metadata.name !== pod.metadata.name), 20_000, 50);

    const w = await client.get<any>(WORKFLOWS, NS, 'two');
    assert.deepEqual({ team: w.metadata.labels.team, owner: w.metadata.labels.owner }, { team: 'a', owner: 'me' }, 'the labels of others kept');
    assert.ok(writes.length >= 1, 'the status was written');
    for (const x of writes) {
      assert.equal(x.verb, 'PATCH', 'a merge patch, not the whole object');
      assert.equal(x.body.spec, undefined, 'the spec is not sent');
      assert.match(String(x.body.metadata?.resourceVersion), /^\d+$/, 'the resourceVersion it was computed from is sent');
    }
    // the node of the pod that finished is sent, the untouched root's other fields are not
    const firstWrite = writes[0]!.body;
    const podNode = Object.values(w.status.nodes).find((n: any) => n.type === 'Pod' && n.phase === 'Succeeded') as any;
    assert.equal(firstWrite.status.nodes[podNode.id].phase, 'Succeeded');
    const root = firstWrite.status.nodes[w.metadata.name];
    assert.ok(!root || (root.templateName === undefined && root.type === undefined), `the root node's unchanged fields are not sent: ${JSON.stringify(root)}`);

    // the second pod succeeds: the workflow finishes, all written by patches
    await client.patch(R.pods, NS, second.metadata.name, { status: { phase: 'Succeeded', startTime: now, containerStatuses: cs({ terminated: { exitCode: 0, reason: 'Completed', startedAt: now, finishedAt: now } }) } }, 'merge', 'status');
    const done = await waitFor('the workflow Succeeded', async () => { const x = await client.get<any>(WORKFLOWS, NS, 'two'); return x.status?.phase === 'Succeeded' ? x : undefined; }, 20_000, 50);
    assert.equal(done.metadata.labels['workflows.argoproj.io/phase'], 'Succeeded');
    assert.equal(done.metadata.labels['workflows.argoproj.io/completed'], 'true');
    assert.equal(done.status.progress, '2/2');
    // upstream's status.taskResultsCompletionStatus: each pod node's outputs are in
    assert.deepEqual(Object.values(done.status.taskResultsCompletionStatus ?? {}), [true, true]);
    // resourcesDuration (upstream's smoke TestBasicWorkflow: not empty): each pod node's, and the workflow's their sum
    // (a pod that ran under a second counts 1 s of Argo's default 100m cpu / 100Mi memory, rounded up)
    const podNodes = Object.values(done.status.nodes).filter((n: any) => n.type === 'Pod') as any[];
    assert.deepEqual(podNodes.map((n) => n.resourcesDuration), [{ cpu: 1, memory: 1 }, { cpu: 1, memory: 1 }]);
    assert.deepEqual(done.status.resourcesDuration, { cpu: 2, memory: 2 });
    assert.deepEqual([done.metadata.labels['my-label'], done.metadata.labels.fixed, done.metadata.labels.team, done.metadata.annotations?.note], ['bar', 'x', 'a', 'y']);
    // a node's Events name the node in their annotations, as upstream's (TestEventOnNodeFail / TestEventOnWorkflowSuccess)
    const evs = await waitFor('the node Events', async () => { const l = (await client.list<any>(R.events, NS)).items.filter((e: any) => e.involvedObject?.name === 'two' && e.reason === 'WorkflowNodeSucceeded'); return l.length ? l : undefined; }, 20_000, 100);
    const podEvent = evs.find((e: any) => e.metadata.annotations?.['workflows.argoproj.io/node-type'] === 'Pod');
    assert.ok(podEvent, JSON.stringify(evs.map((e: any) => e.metadata.annotations)));
    assert.match(podEvent.metadata.annotations['workflows.argoproj.io/node-name'], /^two\[\d\]\.[ab]$/);
    assert.match(podEvent.message, /^Succeeded node two\[\d\]\.[ab]$/);
    assert.ok(writes.every((x) => x.verb === 'PATCH'), writes.map((x) => x.verb).join(','));
    // each finished pod is labelled completed once, though the reconcile of the workflow's last write (its echo)
    // comes before the cache shows the label
    await waitFor('both pods labelled completed', async () => (await client.list<any>(R.pods, NS)).items.every((p: any) => p.metadata.labels?.['workflows.argoproj.io/completed'] === 'true') || undefined, 20_000, 50);
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual([...podLabels].sort(), [pod.metadata.name, second.metadata.name].sort(), `label patches: ${podLabels.join(', ')}`);
  }, { controllerClient: watched });
  ctlClient?.close();
});

test("the controller's own status write and the pod it creates start no further pass; someone else's write does", async () => {
  const cluster = await startTestCluster({ prefix: 'wf-echo-' });
  const client = new KubeClient(cluster.kubeconfig, { qps: 200, burst: 400 });
  const ctlClient = new KubeClient(cluster.kubeconfig, { qps: 200, burst: 400 });
  let controller: WorkflowController | undefined;
  try {
    await client.create(R.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } as KubeObject);
    for (const [p, k, s] of [['workflows', 'Workflow', 'Namespaced'], ['workflowtemplates', 'WorkflowTemplate', 'Namespaced'], ['clusterworkflowtemplates', 'ClusterWorkflowTemplate', 'Cluster'], ['workflowtaskresults', 'WorkflowTaskResult', 'Namespaced']] as const) {
      await client.create(R.crds, undefined, crd(p, k, s) as KubeObject);
    }
    await waitFor('the workflow CRDs to be served', async () => { try { return (await client.list(WORKFLOWS, NS)) && true; } catch { return undefined; } }, 20_000, 100);
    const events = new EventRecorder(ctlClient, { component: 'workflow-controller', log: () => {} });
    controller = new WorkflowController({ client: ctlClient, events, log: () => {}, namespace: NS, managedNamespace: NS, metrics: false });
    const passes: string[] = [];
    const reconcile = controller.reconcile.bind(controller);
    controller.reconcile = (key: string) => {
      passes.push(key);
      return reconcile(key);
    };
    controller.informers.start();
    await controller.informers.waitForSync();
    controller.loadConfig();
    await controller.start();

    await client.create(WORKFLOWS, NS, { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'one' }, spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'busybox', command: ['true'] } }] } } as KubeObject);
    const pod = await waitFor('the pod', async () => (await client.list<any>(R.pods, NS)).items[0], 20_000, 50);
    await waitFor('the workflow Running', async () => (await client.get<any>(WORKFLOWS, NS, 'one')).status?.phase === 'Running' || undefined, 20_000, 50);
    // the watch events of the status write and of the new pod have come (and the pods' batching delay passed)
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(passes, [`${NS}/one`], 'one pass: it created the pod and wrote the status; their events brought no other');

    // someone else's write is reconciled
    await client.patch(WORKFLOWS, NS, 'one', { metadata: { labels: { owner: 'me' } } });
    await waitFor('a pass for the foreign write', async () => passes.length >= 2 || undefined, 10_000, 20);

    // a pod's progress is, and the workflow finishes
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const cs = [{ name: 'main', ready: false, restartCount: 0, image: 'busybox', imageID: '', state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: now, finishedAt: now } } }];
    await client.patch(R.pods, NS, pod.metadata.name, { status: { phase: 'Succeeded', startTime: now, containerStatuses: cs } }, 'merge', 'status');
    const done = await waitFor('the workflow Succeeded', async () => { const x = await client.get<any>(WORKFLOWS, NS, 'one'); return x.status?.phase === 'Succeeded' ? x : undefined; }, 20_000, 50);
    assert.equal(done.metadata.labels.owner, 'me');
  } finally {
    await controller?.stop();
    await controller?.informers.stop();
    ctlClient.close();
    client.close();
    await cluster.close();
  }
});

/**
 * A test cluster (no node agent: the tests move pods' statuses themselves) with the namespace, the Argo CRDs and a
 * controller; `body` gets a client of it. Everything is stopped after.
 */
async function withController(prefix: string, body: (client: KubeClient) => Promise<void>, o: { controllerClient?: (kubeconfig: string) => KubeClient; allNamespaces?: boolean; metrics?: boolean } = {}): Promise<void> {
  const cluster = await startTestCluster({ prefix });
  const client = new KubeClient(cluster.kubeconfig, { qps: 200, burst: 400 });
  let running: Awaited<ReturnType<typeof startWorkflowController>> | undefined;
  try {
    await client.create(R.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } as KubeObject);
    for (const [p, k, s] of [['workflows', 'Workflow', 'Namespaced'], ['workflowtemplates', 'WorkflowTemplate', 'Namespaced'], ['clusterworkflowtemplates', 'ClusterWorkflowTemplate', 'Cluster'], ['workflowtaskresults', 'WorkflowTaskResult', 'Namespaced'], ['cronworkflows', 'CronWorkflow', 'Namespaced']] as const) {
      await client.create(R.crds, undefined, crd(p, k, s) as KubeObject);
    }
    await waitFor('the workflow CRDs to be served', async () => { try { return (await client.list(WORKFLOWS, NS)) && true; } catch { return undefined; } }, 20_000, 100);
    running = await startWorkflowController(parseFlags(['--kubeconfig', cluster.kubeconfig, '--namespace', NS, '--metrics-port', '-1', '--health-port', '-1', ...(o.allNamespaces ? [] : ['--namespaced'])]), { ...(o.controllerClient ? { client: o.controllerClient(cluster.kubeconfig) } : {}), log: () => {}, metrics: !!o.metrics });
    await body(client);
  } finally {
    await running?.stop();
    client.close();
    await cluster.close();
  }
}

/** A kubelet's write: the pod's main and wait ended. */
function finishPod(client: KubeClient, name: string, exitCode = 0) {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return client.patch(R.pods, NS, name, { status: { phase: exitCode ? 'Failed' : 'Succeeded', startTime: now, containerStatuses: ['main', 'wait'].map((c) => ({ name: c, ready: false, restartCount: 0, image: 'busybox', imageID: '', state: { terminated: { exitCode: c === 'main' ? exitCode : 0, reason: 'Completed', startedAt: now, finishedAt: now } } })) } }, 'merge', 'status');
}

test('volumeClaimGC deletes a finished workflow\'s claims; a pod the API refuses ends the workflow in Error "error in entry template execution"', async () => {
  await withController('wf-pvc-', async (client) => {
    const finish = (name: string, exitCode: number) => finishPod(client, name, exitCode);
    const spec = (strategy: string | undefined, code: number) => ({
      entrypoint: 'main', ...(strategy ? { volumeClaimGC: { strategy } } : {}),
      volumeClaimTemplates: [{ metadata: { name: 'work' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Mi' } } } }],
      templates: [{ name: 'main', container: { image: 'busybox', command: ['sh', '-c', `exit ${code}`], volumeMounts: [{ name: 'work', mountPath: '/work' }] } }],
    });
    const cases = [['gc-done', 'OnWorkflowCompletion', 1, true], ['gc-ok', undefined, 0, true], ['gc-failed', undefined, 1, false], ['gc-fail-success', 'OnWorkflowSuccess', 1, false]] as const;
    for (const [name, strategy, code] of cases) await client.create(WORKFLOWS, NS, { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name }, spec: spec(strategy, code) } as KubeObject);
    for (const [name, , code] of cases) {
      await waitFor(`${name}'s claim`, async () => { try { return await client.get(R.pvcs, NS, `${name}-work`); } catch { return undefined; } }, 20_000, 50);
      const w = await waitFor(`${name} to name its claim`, async () => { const x = await client.get<any>(WORKFLOWS, NS, name); return x.status?.persistentVolumes ? x : undefined; }, 20_000, 50);
      assert.deepEqual(w.status.persistentVolumes, [{ name: 'work', persistentVolumeClaim: { claimName: `${name}-work` } }]);
      const pod = await waitFor(`${name}'s pod`, async () => (await client.list<any>(R.pods, NS, { labelSelector: `workflows.argoproj.io/workflow=${name}` })).items[0], 20_000, 50);
      await finish(pod.metadata.name, code);
    }
    for (const [name, strategy, code, deleted] of cases) {
      const w = await waitFor(`${name} to finish`, async () => { const x = await client.get<any>(WORKFLOWS, NS, name); return ['Succeeded', 'Failed', 'Error'].includes(x.status?.phase) ? x : undefined; }, 20_000, 50);
      assert.equal(w.status.phase, code ? 'Failed' : 'Succeeded');
      if (deleted) {
        await waitFor(`${name}'s claim deleted (${strategy ?? 'default'})`, async () => { try { await client.get(R.pvcs, NS, `${name}-work`); return undefined; } catch { return true; } }, 20_000, 50);
        await waitFor(`${name}'s status.persistentVolumes emptied`, async () => (await client.get<any>(WORKFLOWS, NS, name)).status.persistentVolumes === undefined || undefined, 20_000, 50);
      }
    }
    await new Promise((r) => setTimeout(r, 1000));
    for (const [name, strategy, , deleted] of cases) {
      if (deleted) continue;
      assert.ok(await client.get(R.pvcs, NS, `${name}-work`), `${name}: a failed workflow keeps its claim under ${strategy ?? 'the default'} (for argo retry)`);
      assert.equal((await client.get<any>(WORKFLOWS, NS, name)).status.persistentVolumes.length, 1);
    }

    // upstream's TestWorkflowTemplateInvalidEntryPoint: a volumeMount of no volume is refused by the API server; the
    // workflow ends in Error at once and its exit handler does not run
    await client.create(WORKFLOWS, NS, { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'bad-mount' }, spec: { entrypoint: 'main', onExit: 'notify', templates: [{ name: 'main', container: { image: 'busybox', command: ['true'], volumeMounts: [{ name: 'foo' }] } }, { name: 'notify', container: { image: 'busybox', command: ['true'] } }] } } as KubeObject);
    const bad = await waitFor('bad-mount to end', async () => { const x = await client.get<any>(WORKFLOWS, NS, 'bad-mount'); return ['Succeeded', 'Failed', 'Error'].includes(x.status?.phase) ? x : undefined; }, 20_000, 50);
    assert.equal(bad.status.phase, 'Error');
    assert.match(bad.status.message, /^error in entry template execution: .*volumeMounts\[0\]/);
    assert.deepEqual(Object.values(bad.status.nodes).map((n: any) => [n.displayName, n.phase]), [['bad-mount', 'Error']], 'no exit handler node');
    assert.equal((await client.list<any>(R.pods, NS, { labelSelector: 'workflows.argoproj.io/workflow=bad-mount' })).items.length, 0);
  });
});

test('template-level synchronization across workflows: one pod per mutex at a time, status.synchronization as upstream, the lock handed on when the holder ends', async () => {
  await withController('wf-tsync-', async (client) => {
    const finish = (name: string) => finishPod(client, name);
    const spec = { entrypoint: 'main', templates: [
      { name: 'main', steps: [[{ name: 'a', template: 'locked' }]] },
      { name: 'locked', synchronization: { mutex: { name: 'welcome' } }, container: { image: 'busybox', command: ['true'] } },
    ] };
    for (const name of ['one', 'two']) await client.create(WORKFLOWS, NS, { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name }, spec } as KubeObject);
    const pods = () => client.list<any>(R.pods, NS).then((l) => l.items);
    const first = await waitFor('one pod', async () => (await pods())[0], 20_000, 50);
    const holder = first.metadata.labels['workflows.argoproj.io/workflow'];
    const other = holder === 'one' ? 'two' : 'one';
    // the other workflow's step waits: Pending, the lock named; its status says what it waits for (fixtures.ToBeWaitingOnAMutex)
    const waiting = await waitFor(`${other} waiting`, async () => { const x = await client.get<any>(WORKFLOWS, NS, other); return x.status?.synchronization?.mutex?.waiting ? x : undefined; }, 20_000, 50);
    const step = Object.values(waiting.status.nodes).find((n: any) => n.displayName === 'a') as any;
    assert.equal(step.phase, 'Pending');
    assert.equal(step.message, 'Waiting for argo/Mutex/welcome lock. Lock status: 0/1');
    assert.deepEqual(waiting.status.synchronization.mutex.waiting, [{ mutex: 'argo/Mutex/welcome', holder: step.id }]);
    const held = await client.get<any>(WORKFLOWS, NS, holder);
    const heldStep = Object.values(held.status.nodes).find((n: any) => n.displayName === 'a') as any;
    assert.deepEqual(held.status.synchronization.mutex.holding, [{ mutex: 'argo/Mutex/welcome', holder: heldStep.id }]);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await pods()).length, 1, 'one pod at a time');
    // the holder ends: the lock goes to the other, whose pod starts
    await finish(first.metadata.name);
    const second = await waitFor('the second pod', async () => (await pods()).find((p: any) => p.metadata.name !== first.metadata.name), 20_000, 50);
    assert.equal(second.metadata.labels['workflows.argoproj.io/workflow'], other);
    await finish(second.metadata.name);
    for (const name of ['one', 'two']) {
      const w = await waitFor(`${name} Succeeded`, async () => { const x = await client.get<any>(WORKFLOWS, NS, name); return x.status?.phase === 'Succeeded' ? x : undefined; }, 20_000, 50);
      assert.equal(w.status.synchronization, undefined, `${name}: nothing held once done`);
    }
  });
});

test("estimatedDuration: a workflow of a WorkflowTemplate is labelled with it and estimated from the template's last Succeeded run (upstream's EstimatedDuration TestWorkflowTemplate)", async () => {
  await withController('wf-est-', async (client) => {
    await client.create(WORKFLOW_TEMPLATES, NS, { apiVersion: 'argoproj.io/v1alpha1', kind: 'WorkflowTemplate', metadata: { name: 'basic' }, spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'busybox', command: ['true'] } }] } } as KubeObject);
    const run = async (name: string) => {
      await client.create(WORKFLOWS, NS, { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name }, spec: { workflowTemplateRef: { name: 'basic' } } } as KubeObject);
      const pod = await waitFor(`${name}'s pod`, async () => (await client.list<any>(R.pods, NS, { labelSelector: `workflows.argoproj.io/workflow=${name}` })).items[0], 20_000, 50);
      const w = await waitFor(`${name} Running`, async () => { const x = await client.get<any>(WORKFLOWS, NS, name); return x.status?.phase === 'Running' ? x : undefined; }, 20_000, 50);
      await new Promise((r) => setTimeout(r, 1100));
      await finishPod(client, pod.metadata.name);
      await waitFor(`${name} Succeeded`, async () => (await client.get<any>(WORKFLOWS, NS, name)).status?.phase === 'Succeeded' || undefined, 20_000, 50);
      return w;
    };
    const first = await run('first');
    assert.equal(first.metadata.labels['workflows.argoproj.io/workflow-template'], 'basic');
    assert.equal(first.status.estimatedDuration, undefined, 'no earlier run: no estimate');
    const second = await run('second');
    assert.ok(second.status.estimatedDuration >= 1, JSON.stringify(second.status));
    assert.ok(second.status.nodes.second.estimatedDuration >= 1, JSON.stringify(second.status.nodes));
  });
});

test('memoize within one workflow: the second step with the same key is answered by the first one\'s entry, no pod (upstream\'s sqldb_memoize TestSQLDBMemoize, ConfigMap part)', async () => {
  await withController('wf-memo-', async (client) => {
    const memoized = { name: 'memoized', inputs: { parameters: [{ name: 'message' }] }, memoize: { key: '{{inputs.parameters.message}}', maxAge: '10m', cache: { configMap: { name: 'memo-cache' } } }, container: { image: 'busybox', command: ['echo', '{{inputs.parameters.message}}'] } };
    const step = (name: string) => [{ name, template: 'memoized', arguments: { parameters: [{ name: 'message', value: 'k-123' }] } }];
    await client.create(WORKFLOWS, NS, { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'memo' }, spec: { entrypoint: 'hello', templates: [{ name: 'hello', steps: [step('run1'), step('run2')] }, memoized] } } as KubeObject);
    const pod = await waitFor('run1\'s pod', async () => (await client.list<any>(R.pods, NS)).items[0], 20_000, 50);
    await finishPod(client, pod.metadata.name);
    const done = await waitFor('the workflow Succeeded', async () => { const x = await client.get<any>(WORKFLOWS, NS, 'memo'); return x.status?.phase === 'Succeeded' ? x : undefined; }, 20_000, 50);
    const byName = (n: string) => Object.values(done.status.nodes).find((x: any) => x.displayName === n) as any;
    assert.deepEqual([byName('run1').memoizationStatus?.hit, byName('run2').memoizationStatus?.hit], [false, true]);
    assert.equal((await client.list<any>(R.pods, NS)).items.length, 1, 'one pod: run2 ran none');
  });
});

test("a namespace's workflows.argoproj.io/parallelism-limit label caps its running workflows, with upstream's message (ns_parallelism TestNamespaceParallelism); raising it admits the held one", async () => {
  await withController('wf-nslimit-', async (client) => {
    await client.patch(R.namespaces, undefined, NS, { metadata: { labels: { 'workflows.argoproj.io/parallelism-limit': '1' } } });
    const wf = (name: string) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name }, spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'busybox', command: ['sleep', '60'] } }] } }) as KubeObject;
    await client.create(WORKFLOWS, NS, wf('first'));
    await waitFor('first Running', async () => (await client.get<any>(WORKFLOWS, NS, 'first')).status?.phase === 'Running' || undefined, 20_000, 50);
    await client.create(WORKFLOWS, NS, wf('second'));
    const held = await waitFor('second held', async () => { const x = await client.get<any>(WORKFLOWS, NS, 'second'); return x.status?.message ? x : undefined; }, 20_000, 50);
    assert.deepEqual([held.status.phase, held.status.message], ['Pending', 'Workflow processing has been postponed because too many workflows are already running']);
    assert.equal((await client.list<any>(R.pods, NS)).items.length, 1);
    await client.patch(R.namespaces, undefined, NS, { metadata: { labels: { 'workflows.argoproj.io/parallelism-limit': '2' } } });
    await waitFor('second Running once the limit is 2', async () => (await client.get<any>(WORKFLOWS, NS, 'second')).status?.phase === 'Running' || undefined, 20_000, 50);
  }, { allNamespaces: true });
});

test("a template's custom metric reaches the controller's /metrics registry once its node is done (upstream's metrics TestRetryMetrics shape)", async () => {
  await withController('wf-metrics-', async (client) => {
    const metrics = { prometheus: [{ name: 'ctl_test_runs', help: 'runs by status', labels: [{ key: 'status', value: '{{status}}' }, { key: 'code', value: '{{exitCode}}' }], counter: { value: '1' } }] };
    await client.create(WORKFLOWS, NS, { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'metered' }, spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'busybox', command: ['false'] }, metrics }] } } as KubeObject);
    const pod = await waitFor('the pod', async () => (await client.list<any>(R.pods, NS)).items[0], 20_000, 50);
    await finishPod(client, pod.metadata.name, 3);
    await waitFor('the workflow Failed', async () => (await client.get<any>(WORKFLOWS, NS, 'metered')).status?.phase === 'Failed' || undefined, 20_000, 50);
    const text = await waitFor('the metric', async () => { const t = await enableMetrics().metrics(); return t.includes('argo_workflows_ctl_test_runs{') ? t : undefined; }, 10_000, 100);
    assert.match(text, /argo_workflows_ctl_test_runs\{code="3",status="Failed"\} 1\n/);
  }, { metrics: true });
});

test('podGC deleteDelayDuration: the finished pod is kept for the delay, then deleted (the workflow done meanwhile)', async () => {
  await withController('wf-gcdelay-', async (client) => {
    await client.create(WORKFLOWS, NS, { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'gc' }, spec: { entrypoint: 'main', podGC: { strategy: 'OnPodCompletion', deleteDelayDuration: '3s' }, templates: [{ name: 'main', container: { image: 'busybox', command: ['true'] } }] } } as KubeObject);
    const pod = await waitFor('the pod', async () => (await client.list<any>(R.pods, NS)).items[0], 20_000, 50);
    await finishPod(client, pod.metadata.name);
    await waitFor('the workflow Succeeded', async () => (await client.get<any>(WORKFLOWS, NS, 'gc')).status?.phase === 'Succeeded' || undefined, 20_000, 50);
    const t0 = Date.now();
    assert.equal((await client.list<any>(R.pods, NS)).items.length, 1, 'kept at first');
    await waitFor('the pod deleted', async () => (await client.list<any>(R.pods, NS)).items.length === 0 || undefined, 20_000, 100);
    assert.ok(Date.now() - t0 >= 1000, `deleted ${Date.now() - t0} ms after the workflow ended: the 3 s delay was not kept`);
  });
});
