/**
 * The runtime against a real API server: the client's verbs and subresources, dynamic resources (a
 * CRD), status writes with conflict retry, event aggregation, the work queue's back-off, reconcilers
 * with owner-based enqueueing and predicates, and the metrics on /metrics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '@flotilla/apimachinery';
import { KubeClient, isConflict, ApiError } from './client.js';
import { InformerFactory } from './informer.js';
import { WorkQueue } from './queue.js';
import { R } from './resources.js';
import { CORRELATION_CACHE, EventRecorder, REPEAT_WRITE_MS } from './events.js';
import { Controller, newController, writeStatus, generationChanged, type RuntimeContext } from './controller.js';
import type { Informer } from './informer.js';
import { serveHealth } from './health.js';
import { startTestCluster, eventually, sleep } from './testkit.js';

test('work queue: dedupes, never runs a key twice at once, re-runs a key added while it runs; per-key back-off and a global bucket', async () => {
  const q = new WorkQueue({ baseDelayMs: 1, maxDelayMs: 50, qps: 1000, burst: 1000 });
  const runs: string[] = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  q.start(3, async (k) => {
    concurrent++;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    runs.push(k);
    if (k === 'a' && runs.filter((x) => x === 'a').length === 1) await gate;
    concurrent--;
  });
  q.add('a');
  q.add('a');
  q.add('b');
  await sleep(10);
  q.add('a'); // while a runs
  release();
  await sleep(20);
  assert.deepEqual(runs.sort(), ['a', 'a', 'b']);
  assert.ok(maxConcurrent <= 2);
  assert.deepEqual([q.addRateLimited('x'), q.addRateLimited('x'), q.addRateLimited('x')], [1, 2, 4], 'exponential per key');
  assert.equal(q.numRequeues('x'), 3);
  for (let i = 0; i < 10; i++) q.addRateLimited('x');
  assert.equal(q.addRateLimited('x'), 50, 'capped');
  q.forget('x');
  assert.equal(q.addRateLimited('x'), 1);
  await q.shutdown();

  // the global bucket: past the burst, rate-limited adds of different keys are spread out at qps
  const g = new WorkQueue({ baseDelayMs: 1, qps: 10, burst: 2 });
  const delays = ['k1', 'k2', 'k3', 'k4'].map((k) => g.addRateLimited(k));
  assert.deepEqual(delays.slice(0, 2), [1, 1]);
  assert.ok(delays[2] >= 90 && delays[2] <= 100 && delays[3] >= 190 && delays[3] <= 200, `bucket delays ${delays}`);
  await g.shutdown();
});

test('client verbs on a real server: patches of every type, server-side apply with force, status and scale subresources, a CRD found by GVK', async () => {
  const c = await startTestCluster();
  const client = new KubeClient(c.kubeconfig, { qps: 0, fieldManager: 'test' });
  try {
    const created = await client.create(R.configmaps, 'default', { metadata: { name: 'v' }, data: { a: '1' }, extra: { kept: true } } as KubeObject);
    assert.equal(created.kind, 'ConfigMap');
    await client.patch(R.configmaps, 'default', 'v', { data: { b: '2' } }, 'merge');
    await client.patch(R.configmaps, 'default', 'v', [{ op: 'add', path: '/data/c', value: '3' }], 'json');
    await client.patch(R.configmaps, 'default', 'v', { data: { d: '4' } }, 'strategic');
    const got = await client.get(R.configmaps, 'default', 'v');
    assert.deepEqual(got.data, { a: '1', b: '2', c: '3', d: '4' });
    // update with a stale resourceVersion: a conflict
    await client.update(R.configmaps, { ...got, data: { a: 'x' } });
    await assert.rejects(client.update(R.configmaps, { ...got, data: { a: 'y' } }), (e) => isConflict(e));
    // a merge patch carrying a stale metadata.resourceVersion: a conflict too (what a controller's status patch relies on)
    await assert.rejects(client.patch(R.configmaps, 'default', 'v', { metadata: { resourceVersion: got.metadata!.resourceVersion }, data: { a: 'z' } }), (e) => isConflict(e));
    const fresh = await client.get(R.configmaps, 'default', 'v');
    await client.patch(R.configmaps, 'default', 'v', { metadata: { resourceVersion: fresh.metadata!.resourceVersion }, data: { a: 'z' } });
    assert.equal(((await client.get(R.configmaps, 'default', 'v')).data as Record<string, string>).a, 'z');
    // server-side apply: a second manager conflicts unless it forces
    await client.apply(R.configmaps, { metadata: { name: 's', namespace: 'default' }, data: { k: 'one' } }, { fieldManager: 'm1' });
    await assert.rejects(client.apply(R.configmaps, { metadata: { name: 's', namespace: 'default' }, data: { k: 'two' } }, { fieldManager: 'm2' }), (e: ApiError) => e.code === 409);
    const forced = await client.apply(R.configmaps, { metadata: { name: 's', namespace: 'default' }, data: { k: 'two' } }, { fieldManager: 'm2', force: true });
    assert.equal((forced.data as Record<string, string>).k, 'two');

    // status with conflict retry, scale
    const dep = await client.create(R.deployments, 'default', {
      metadata: { name: 'd' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    });
    await client.patch(R.deployments, 'default', 'd', { metadata: { labels: { moved: 'on' } } }); // the cached copy is now stale
    const withStatus = await writeStatus(client, R.deployments, dep, { observedGeneration: 1, replicas: 0 });
    assert.equal((withStatus.status as { observedGeneration?: number }).observedGeneration, 1);
    await client.scale(R.deployments, 'default', 'd', 3);
    const scale = await client.getScale(R.deployments, 'default', 'd');
    assert.equal(scale.kind, 'Scale');
    assert.equal(scale.spec?.replicas, 3);

    // a CRD, discovered at run time by its GVK
    await c.k(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'widgets.example.com' },
        spec: {
          group: 'example.com',
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
          versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
        },
      }),
    });
    const widgets = await eventually(() => client.resourceFor({ group: 'example.com', version: 'v1', kind: 'Widget' }), 10_000, 'the CRD served');
    assert.deepEqual(widgets, { group: 'example.com', version: 'v1', plural: 'widgets', kind: 'Widget', namespaced: true });
    await client.create(widgets, 'default', { metadata: { name: 'w1' }, spec: { size: 3, unknown: { deep: [1, 2] } } } as KubeObject);
    const w = await client.get(await client.resourceOf({ apiVersion: 'example.com/v1', kind: 'Widget' }), 'default', 'w1');
    assert.deepEqual(w.spec, { size: 3, unknown: { deep: [1, 2] } }, 'unknown fields kept');
    await assert.rejects(client.resourceFor({ group: 'example.com', version: 'v1', kind: 'Gadget' }), /no resource for kind Gadget in example.com\/v1/);
  } finally {
    client.close();
    await c.close();
  }
});

test('a write with { discard: true } resolves undefined without reading the answer; its errors still carry the server\'s message; the connection stays usable', async () => {
  const c = await startTestCluster();
  const client = new KubeClient(c.kubeconfig, { qps: 0 });
  try {
    assert.equal(await client.create(R.configmaps, 'default', { metadata: { name: 'd' }, data: { a: '1' } }, {}, { discard: true }), undefined);
    assert.equal(await client.patch(R.configmaps, 'default', 'd', { data: { b: '2' } }, 'merge', undefined, { discard: true }), undefined);
    await assert.rejects(client.create(R.configmaps, 'default', { metadata: { name: 'd' } }, {}, { discard: true }), (e: unknown) => e instanceof ApiError && e.code === 409 && /already exists/.test(e.message));
    await assert.rejects(client.patch(R.configmaps, 'default', 'nope', { data: {} }, 'merge', undefined, { discard: true }), (e: unknown) => e instanceof ApiError && e.code === 404);
    for (let i = 0; i < 20; i++) await client.patch(R.configmaps, 'default', 'd', { data: { n: String(i) } }, 'merge', undefined, { discard: true });
    assert.deepEqual((await client.get(R.configmaps, 'default', 'd')).data, { a: '1', b: '2', n: '19' });
  } finally {
    client.close();
    await c.close();
  }
});

test('events: a repeat bumps count on the same Event; many messages for one reason are combined', async () => {
  const c = await startTestCluster();
  const client = new KubeClient(c.kubeconfig, { qps: 0 });
  const rec = new EventRecorder(client, { component: 'test-controller' });
  try {
    const obj = await client.create(R.configmaps, 'default', { metadata: { name: 'e' } });
    for (let i = 0; i < 3; i++) {
      rec.event(obj, 'Warning', 'Broken', 'it broke');
      await rec.flush();
    }
    for (let i = 0; i < 12; i++) rec.event(obj, 'Normal', 'Step', `step ${i}`);
    await rec.flush();
    const evs = (await client.list(R.events, 'default')).items.filter((e) => (e.involvedObject as { name?: string }).name === 'e');
    const broken = evs.filter((e) => e.reason === 'Broken');
    assert.equal(broken.length, 1);
    assert.equal(broken[0].count, 3);
    assert.equal((broken[0].source as { component?: string }).component, 'test-controller');
    const steps = evs.filter((e) => e.reason === 'Step');
    assert.equal(steps.length, 11, '10 distinct messages, then one combined Event');
    const combined = steps.find((e) => String(e.message).startsWith('(combined from similar events): '));
    assert.ok(combined);
    assert.equal(combined.count, 2);
  } finally {
    rec.stop();
    client.close();
    await c.close();
  }
});

test('events: correlation is an LRU of 4096 — thousands of objects (a node agent\'s finished pods) neither grow it nor slow each event', async () => {
  const calls: string[] = [];
  // the API is not what is under test here: a client that records what the sink sends
  const client = { create: async (_r: unknown, _ns: string, o: { metadata: { name: string } }) => (calls.push(`create ${o.metadata.name.split('.')[0]}`), o), patch: async (_r: unknown, _ns: string, name: string, body: { count: number }) => (calls.push(`patch ${name.split('.')[0]} ${body.count}`), {}) } as unknown as KubeClient;
  const rec = new EventRecorder(client, { component: 'kubelet', host: 'node' });
  const pod = (i: number) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${i}`, namespace: 'default', uid: `u${i}` } });
  try {
    for (let i = 0; i < 10_000; i++) {
      rec.event(pod(i), 'Normal', 'Started', 'Started container main');
      if (i % 1000 === 999) await rec.flush();
    }
    await rec.flush();
    const n = rec.correlating();
    assert.ok(n.events <= CORRELATION_CACHE && n.similar <= CORRELATION_CACHE, JSON.stringify(n));
    assert.equal(calls.filter((c) => c.startsWith('create ')).length, 10_000);
    calls.length = 0;
    rec.event(pod(9_999), 'Normal', 'Started', 'Started container main');
    rec.event(pod(0), 'Normal', 'Started', 'Started container main');
    await rec.flush();
    assert.deepEqual(calls.sort(), ['create p0', 'patch p9999 2'], 'a recent repeat is correlated; the least recently seen was let go');
  } finally {
    rec.stop();
  }
});

test('events: the repeats of one Event within REPEAT_WRITE_MS are one write of the latest count (not one write each)', async () => {
  const calls: string[] = [];
  // counts the writes the sink sends (the API itself is covered by the test above)
  const client = { create: async (_r: unknown, _ns: string, o: { metadata: { name: string }; count: number }) => (calls.push(`create ${o.count}`), o), patch: async (_r: unknown, _ns: string, _name: string, body: { count: number; message: string }) => (calls.push(`patch ${body.count} ${body.message}`), {}) } as unknown as KubeClient;
  const rec = new EventRecorder(client, { component: 'workflow-controller' });
  const wf = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'dag', namespace: 'argo', uid: 'w1' } };
  try {
    // before its create is sent, repeats go into the create
    rec.event(wf, 'Normal', 'Again', 'same');
    rec.event(wf, 'Normal', 'Again', 'same');
    await rec.flush();
    assert.deepEqual(calls, ['create 2']);
    calls.length = 0;
    // 40 repeats in a burst (a DAG's nodes finishing): one patch, carrying the last count
    for (let i = 0; i < 40; i++) rec.event(wf, 'Normal', 'Again', 'same');
    await new Promise((r) => setTimeout(r, REPEAT_WRITE_MS + 300));
    assert.deepEqual(calls, ['patch 42 same']);
    calls.length = 0;
    // 30 node messages for one reason: 10 Events, then one combined Event whose repeats are one patch
    for (let i = 0; i < 30; i++) rec.event(wf, 'Normal', 'WorkflowNodeSucceeded', `Succeeded node dag.t${i}`);
    await rec.flush();
    const creates = calls.filter((c) => c.startsWith('create '));
    assert.equal(creates.length, 11);
    assert.deepEqual(calls.filter((c) => c.startsWith('patch ')), [], 'the combined Event\'s 20 occurrences went into its create');
    assert.ok(creates.includes('create 20'), calls.join(', '));
    calls.length = 0;
    rec.event(wf, 'Normal', 'WorkflowNodeSucceeded', 'Succeeded node dag.t99');
    rec.event(wf, 'Normal', 'WorkflowNodeSucceeded', 'Succeeded node dag.t100');
    await rec.flush();
    assert.deepEqual(calls, ['patch 22 (combined from similar events): Succeeded node dag.t100'], 'flush() writes what waits, at once');
  } finally {
    rec.stop();
  }
});

test('a reconciler driven by workers: owned objects enqueue their owner, predicates filter, requeueAfter, errors back off; metrics on /metrics', async () => {
  const c = await startTestCluster();
  const client = new KubeClient(c.kubeconfig, { qps: 50, burst: 100 });
  const ctx: RuntimeContext = { client, informers: new InformerFactory(client), log: () => {}, events: new EventRecorder(undefined, { component: 'x' }) };
  const seen: string[] = [];
  let failOnce = true;
  const ctrl = newController(ctx, {
    name: 'test-deployments',
    for: R.deployments,
    forPredicates: [generationChanged],
    owns: [R.replicasets],
    options: { workers: 2, baseDelayMs: 20 },
    async reconcile(key) {
      seen.push(key);
      if (key === 'default/fails' && failOnce) {
        failOnce = false;
        throw new Error('first try fails');
      }
      return key === 'default/again' && seen.filter((k) => k === key).length < 3 ? { requeueAfter: 50 } : undefined;
    },
  });
  const health = await serveHealth({ readyz: { informers: () => ctrl.queue.length >= 0 } });
  ctx.informers.start();
  const started = ctrl.start();
  try {
    await started;
    const d = (name: string) => ({
      metadata: { name },
      spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    });
    const owner = await client.create(R.deployments, 'default', d('owner'));
    await client.create(R.deployments, 'default', d('fails'));
    await client.create(R.deployments, 'default', d('again'));
    await eventually(() => seen.filter((k) => k === 'default/fails').length === 2, 10_000, 'the failed key retried');
    await eventually(() => seen.filter((k) => k === 'default/again').length === 3, 10_000, 'requeueAfter honoured');
    const before = seen.filter((k) => k === 'default/owner').length;
    // a status write does not change the generation: filtered out
    await client.patch(R.deployments, 'default', 'owner', { status: { observedGeneration: 1 } }, 'merge', 'status');
    // an owned ReplicaSet enqueues its Deployment
    await client.create(R.replicasets, 'default', {
      metadata: { name: 'owner-rs', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'owner', uid: owner.metadata!.uid!, controller: true }] },
      spec: { replicas: 0, selector: { matchLabels: { app: 'owner' } }, template: { metadata: { labels: { app: 'owner' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    });
    await eventually(() => seen.filter((k) => k === 'default/owner').length === before + 1, 10_000, 'the owner reconciled for its ReplicaSet');
    await sleep(300);
    assert.equal(seen.filter((k) => k === 'default/owner').length, before + 1, 'the status write was filtered by the generation predicate');

    const res = await fetch(`${health.url}/metrics`);
    const text = await res.text();
    assert.equal(res.status, 200);
    assert.match(text, /workqueue_adds_total\{name="test-deployments"\} \d+/);
    assert.match(text, /workqueue_retries_total\{name="test-deployments"\} [1-9]/);
    assert.match(text, /workqueue_depth\{name="test-deployments"\} \d+/);
    assert.match(text, /controller_runtime_reconcile_total\{controller="test-deployments",result="error"\} 1/);
    assert.match(text, /controller_runtime_reconcile_errors_total\{controller="test-deployments"\} 1/);
    assert.match(text, /controller_runtime_reconcile_time_seconds_count\{controller="test-deployments"\} \d+/);
    assert.match(text, /rest_client_request_duration_seconds_count\{verb="POST",host="127\.0\.0\.1:\d+"\} \d+/);
    assert.match(text, /process_resident_memory_bytes/);
    assert.equal((await fetch(`${health.url}/healthz`)).status, 200);
    assert.equal(await (await fetch(`${health.url}/readyz?verbose`)).text(), '[+]informers ok\nok\n');
  } finally {
    await ctrl.stop();
    await ctx.informers.stop();
    await health.close();
    client.close();
    await c.close();
  }
});

test('watch with a delay: the events of the window make one reconcile; no delay reconciles at once', async () => {
  const c = await startTestCluster();
  const client = new KubeClient(c.kubeconfig, { qps: 0 });
  const ctx: RuntimeContext = { client, informers: new InformerFactory(client), log: () => {}, events: new EventRecorder(undefined, { component: 'x' }) };
  const seen: [string, number][] = [];
  class Batching extends Controller {
    readonly cms = ctx.informers.for(R.configmaps, { namespace: 'default' });
    constructor() {
      super('batching', ctx, { workers: 2, resyncMs: 0 });
      // ConfigMaps named batch-* map to the key "batch" (gathered for 400 ms), now-* to "now" (no delay)
      this.watch(this.cms, [], (o) => o.metadata?.name?.split('-')[0], (k) => (k === 'batch' ? 400 : 0));
    }
    protected primary(): Informer {
      return this.cms;
    }
    async reconcile(key: string) {
      seen.push([key, Date.now()]);
      return undefined;
    }
  }
  const ctrl = new Batching();
  ctx.informers.start();
  await ctrl.start();
  try {
    const t0 = Date.now();
    for (let i = 0; i < 5; i++) await client.create(R.configmaps, 'default', { metadata: { name: `batch-${i}` } });
    await client.create(R.configmaps, 'default', { metadata: { name: 'now-1' } });
    await eventually(() => seen.some(([k]) => k === 'now'), 5_000, 'the undelayed key reconciled');
    assert.equal(seen.filter(([k]) => k === 'batch').length, 0, 'the delayed key waits for its window');
    await eventually(() => seen.some(([k]) => k === 'batch'), 5_000, 'the delayed key reconciled');
    await sleep(800);
    const batch = seen.filter(([k]) => k === 'batch');
    assert.equal(batch.length, 1, `5 events in the window, ${batch.length} reconciles`);
    assert.ok(batch[0]![1] - t0 >= 400, 'not before the window ends');
  } finally {
    await ctrl.stop();
    ctx.informers.stop();
    client.close();
    await c.close();
  }
});
