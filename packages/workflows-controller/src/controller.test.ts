// The workflow controller in this process against a real API server (no node agent: the test moves the pod's
// status itself, as a kubelet would): which watch events make it reconcile a workflow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeClient, R, type KubeObject } from '@flotilla/kube-runtime';
import { startTestCluster, waitFor, sleep } from '@flotilla/kube-runtime/testkit';
import { parseFlags, startWorkflowController } from './main.js';
import { WORKFLOWS } from './resources.js';

const NS = 'argo';
const crd = (plural: string, kind: string, scope: 'Namespaced' | 'Cluster') => ({
  apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `${plural}.argoproj.io` },
  spec: {
    group: 'argoproj.io', scope, names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
    versions: [{ name: 'v1alpha1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
  },
});

test('a workflow is reconciled for the changes of others, not for the watch event of its own write', async () => {
  const cluster = await startTestCluster({ prefix: 'wf-ctl-' });
  const client = new KubeClient(cluster.kubeconfig, { qps: 200, burst: 400 });
  let running: Awaited<ReturnType<typeof startWorkflowController>> | undefined;
  try {
    await client.create(R.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } as KubeObject);
    for (const [p, k, s] of [['workflows', 'Workflow', 'Namespaced'], ['workflowtemplates', 'WorkflowTemplate', 'Namespaced'], ['clusterworkflowtemplates', 'ClusterWorkflowTemplate', 'Cluster'], ['workflowtaskresults', 'WorkflowTaskResult', 'Namespaced'], ['cronworkflows', 'CronWorkflow', 'Namespaced']] as const) {
      await client.create(R.crds, undefined, crd(p, k, s) as KubeObject);
    }
    await waitFor('the workflow CRDs to be served', async () => { try { return (await client.list(WORKFLOWS, NS)) && true; } catch { return undefined; } }, 20_000, 100);
    running = await startWorkflowController(parseFlags(['--kubeconfig', cluster.kubeconfig, '--namespace', NS, '--namespaced']), { client, log: () => {}, metrics: false });
    const ctl = running.controller;
    const passes: string[] = [];
    const reconcile = ctl.reconcile.bind(ctl);
    ctl.reconcile = async (key: string) => {
      passes.push(key);
      return reconcile(key);
    };

    await client.create(WORKFLOWS, NS, { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'echo' }, spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'busybox', command: ['echo', 'hi'] } }] } } as KubeObject);
    const pod = await waitFor('the pod', async () => (await client.list<any>(R.pods, NS)).items[0], 20_000, 50);
    await waitFor('the workflow Running', async () => (await client.get<any>(WORKFLOWS, NS, 'echo')).status?.phase === 'Running' || undefined, 20_000, 50);
    await sleep(1500);

    // the pod starts (a kubelet's write): one pass, which writes the node Running — and its own write's event is not
    // reconciled again
    passes.length = 0;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    await client.patch(R.pods, NS, pod.metadata.name, { status: { phase: 'Running', startTime: now, containerStatuses: [{ name: 'main', ready: true, restartCount: 0, image: 'busybox', imageID: '', state: { running: { startedAt: now } } }, { name: 'wait', ready: true, restartCount: 0, image: 'busybox', imageID: '', state: { running: { startedAt: now } } }] } }, 'merge', 'status');
    await waitFor('the node Running', async () => Object.values((await client.get<any>(WORKFLOWS, NS, 'echo')).status?.nodes ?? {}).some((n: any) => n.phase === 'Running' && n.type === 'Pod') || undefined, 20_000, 50);
    await sleep(1500);
    assert.deepEqual(passes, [`${NS}/echo`], 'one pass for the pod, none for the status it wrote');

    // someone else's change to the workflow is reconciled
    passes.length = 0;
    await client.patch(WORKFLOWS, NS, 'echo', { metadata: { labels: { team: 'a' } } });
    await waitFor('a pass for the label change', () => passes.length > 0 || undefined, 10_000, 20);
    await sleep(500);
    assert.deepEqual(passes, [`${NS}/echo`]);
  } finally {
    await running?.stop();
    client.close();
    await cluster.close();
  }
});
