/**
 * metrics.k8s.io in the API server with the real kubectl: NodeMetrics and PodMetrics built from
 * what each node's kubelet reports at `/stats/summary`. The kubelet here is a small HTTP server
 * answering a fixed Summary document (the node agent's own is tested in
 * packages/node-agent/src/metrics.test.ts), so the numbers kubectl shows are exact; a second
 * node's kubelet does not answer.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestCluster, type TestCluster } from './testutil.js';

let c: TestCluster;
let kubelet: Server;
const seenAuth: string[] = [];
const MiB = 2 ** 20;
const t = '2026-01-01T00:00:00Z';
const ctr = (name: string, nanoCores: number, bytes: number) => ({ name, startTime: t, cpu: { time: t, usageNanoCores: nanoCores, usageCoreNanoSeconds: 1 }, memory: { time: t, workingSetBytes: bytes } });
const summary = {
  node: { nodeName: 'n1', cpu: { time: t, usageNanoCores: 1_500_000_000 }, memory: { time: t, workingSetBytes: 2048 * MiB } },
  pods: [
    { podRef: { namespace: 'a', name: 'web', uid: '' }, containers: [ctr('app', 250_000_000, 100 * MiB), ctr('proxy', 5_000_000, 20 * MiB)] },
    { podRef: { namespace: 'a', name: 'db', uid: '' }, containers: [ctr('pg', 40_000_000, 300 * MiB)] },
    { podRef: { namespace: 'b', name: 'other', uid: '' }, containers: [ctr('c', 1_000_000, 1 * MiB)] },
    // the kubelet still reports a pod the API no longer has
    { podRef: { namespace: 'a', name: 'gone', uid: '' }, containers: [ctr('c', 1_000_000, 1 * MiB)] },
  ],
  window: '1.000s',
};

async function node(name: string, port: number): Promise<void> {
  await c.k(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { pool: name === 'n1' ? 'main' : 'spare' } } }) });
  const r = await c.req('PATCH', `/api/v1/nodes/${name}/status`, { status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: port } }, allocatable: { cpu: '4', memory: '8Gi' }, capacity: { cpu: '4', memory: '8Gi' } } }, { 'content-type': 'application/merge-patch+json' });
  assert.equal(r.status, 200, r.text);
}

async function pod(ns: string, name: string, nodeName: string, labels: Record<string, string>, containers: string[]): Promise<void> {
  await c.kubectl(['create', 'namespace', ns]);
  await c.k(['create', '-n', ns, '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: { nodeName, containers: containers.map((n) => ({ name: n, image: 'busybox' })) } }) });
}

const rows = (out: string) => out.trim().split('\n').map((l) => l.trim().split(/\s+/));

describe('metrics.k8s.io (kubectl top) from the kubelets', { concurrency: false, timeout: 120_000 }, () => {
  before(async () => {
    c = await startTestCluster();
    kubelet = createServer((req, res) => {
      seenAuth.push(String(req.headers.authorization));
      if (req.url !== '/stats/summary') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(summary));
    });
    await new Promise<void>((r) => kubelet.listen(0, '127.0.0.1', () => r()));
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', () => r()));
    const deadPort = (dead.address() as AddressInfo).port;
    await new Promise((r) => dead.close(r));
    await node('n1', (kubelet.address() as AddressInfo).port);
    await node('n2', deadPort);
    await pod('a', 'web', 'n1', { app: 'web' }, ['app', 'proxy']);
    await pod('a', 'db', 'n1', { app: 'db' }, ['pg']);
    await pod('b', 'other', 'n1', { app: 'other' }, ['c']);
    // on n2, whose kubelet does not answer
    await pod('a', 'lost', 'n2', { app: 'lost' }, ['c']);
  });
  after(async () => {
    kubelet?.close();
    await c?.close();
  });

  it('kubectl top pods: usage per pod and per container, filtered by namespace and label', async () => {
    assert.deepEqual(rows(await c.k(['top', 'pods', '-n', 'a'])), [
      ['NAME', 'CPU(cores)', 'MEMORY(bytes)'],
      ['db', '40m', '300Mi'],
      ['web', '255m', '120Mi'],
    ]);
    assert.deepEqual(rows(await c.k(['top', 'pods', '-n', 'a', '--containers', '-l', 'app=web'])), [
      ['POD', 'NAME', 'CPU(cores)', 'MEMORY(bytes)'],
      ['web', 'app', '250m', '100Mi'],
      ['web', 'proxy', '5m', '20Mi'],
    ]);
    const all = rows(await c.k(['top', 'pods', '-A']));
    assert.deepEqual(all.map((r) => `${r[0]}/${r[1]}`).slice(1).sort(), ['a/db', 'a/web', 'b/other']);
    assert.ok(seenAuth.every((a) => a === `Bearer ${c.server.token}`), 'the API server presents its kubelet token');
    const lost = await c.kubectl(['top', 'pod', 'lost', '-n', 'a']);
    assert.notEqual(lost.code, 0);
    assert.match(lost.stderr, /metrics not available yet|not found/);
  });

  it('kubectl top nodes: the node that answers', async () => {
    const out = rows(await c.k(['top', 'nodes', '-l', 'pool=main']));
    assert.deepEqual(out[0], ['NAME', 'CPU(cores)', 'CPU(%)', 'MEMORY(bytes)', 'MEMORY(%)']);
    assert.deepEqual(out[1], ['n1', '1500m', '37%', '2048Mi', '25%']);
  });

  it('discovery and the raw objects', async () => {
    const apis = await c.req('GET', '/apis');
    assert.ok(apis.body.groups.some((g: any) => g.name === 'metrics.k8s.io' && g.preferredVersion.version === 'v1beta1'));
    const agg = await c.req('GET', '/apis', undefined, { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' });
    const item = agg.body.items.find((i: any) => i.metadata.name === 'metrics.k8s.io');
    assert.deepEqual(item.versions[0].resources.map((r: any) => `${r.resource}:${r.scope}:${r.responseKind.kind}`), ['nodes:Cluster:NodeMetrics', 'pods:Namespaced:PodMetrics']);
    assert.equal((await c.req('GET', '/apis/metrics.k8s.io')).body.kind, 'APIGroup');
    assert.equal((await c.req('GET', '/apis/metrics.k8s.io/v1beta1')).body.resources.length, 2);
    const pm = (await c.req('GET', '/apis/metrics.k8s.io/v1beta1/namespaces/a/pods/web')).body;
    assert.equal(pm.kind, 'PodMetrics');
    assert.deepEqual(pm.metadata.labels, { app: 'web' });
    assert.equal(pm.window, '1.000s');
    assert.deepEqual(pm.containers[0], { name: 'app', usage: { cpu: '250000000n', memory: '102400Ki' } });
    const nm = (await c.req('GET', '/apis/metrics.k8s.io/v1beta1/nodes/n1')).body;
    assert.deepEqual([nm.kind, nm.usage.cpu, nm.metadata.labels.pool], ['NodeMetrics', '1500000000n', 'main']);
    const list = (await c.req('GET', '/apis/metrics.k8s.io/v1beta1/nodes')).body;
    assert.deepEqual(list.items.map((i: any) => i.metadata.name), ['n1']);
    const byField = (await c.req('GET', '/apis/metrics.k8s.io/v1beta1/pods?fieldSelector=' + encodeURIComponent('metadata.namespace=a,metadata.name!=web'))).body;
    assert.deepEqual(byField.items.map((i: any) => `${i.metadata.namespace}/${i.metadata.name}`), ['a/db']);
  });

  it('bad requests: unknown names, read-only verbs, watch, bad selectors', async () => {
    const nf = await c.req('GET', '/apis/metrics.k8s.io/v1beta1/namespaces/a/pods/nope');
    assert.equal(nf.status, 404);
    assert.equal(nf.body.message, 'pods.metrics.k8s.io "nope" not found');
    assert.equal((await c.req('GET', '/apis/metrics.k8s.io/v1beta1/nodes/n2')).status, 404);
    assert.equal((await c.req('GET', '/apis/metrics.k8s.io/v1beta1/deployments')).status, 404);
    assert.equal((await c.req('GET', '/apis/metrics.k8s.io/v2')).status, 404);
    const post = await c.req('POST', '/apis/metrics.k8s.io/v1beta1/namespaces/a/pods', { kind: 'PodMetrics' });
    assert.equal(post.status, 405);
    assert.match(post.body.message, /read-only/);
    assert.equal((await c.req('GET', '/apis/metrics.k8s.io/v1beta1/pods?watch=true')).status, 405);
    const bad = await c.req('GET', '/apis/metrics.k8s.io/v1beta1/pods?labelSelector=' + encodeURIComponent('app in (x'));
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /unable to parse requirement/);
    const badField = await c.req('GET', '/apis/metrics.k8s.io/v1beta1/pods?fieldSelector=spec.nodeName%3Dn1');
    assert.equal(badField.status, 400);
    assert.match(badField.body.message, /"spec.nodeName" is not a known field selector/);
  });
});
