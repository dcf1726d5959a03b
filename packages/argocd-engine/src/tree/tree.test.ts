// The resource tree from a cluster snapshot (testdata/cluster.yaml): owner references, Service
// endpoints, info, images, networkingInfo and health for each node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { buildTree, podStatusReason } from './index.js';
import { builtinHealth } from '../health/index.js';
import type { KubeObject, ResourceNode } from '../types.js';

const cluster = parseAllDocuments(readFileSync(fileURLToPath(new URL('../../src/tree/testdata/cluster.yaml', import.meta.url)), 'utf8'))
  .map((d) => d.toJS() as KubeObject)
  .filter(Boolean);
const byName = (name: string) => cluster.find((o) => o.metadata?.name === name)!;
const managed = ['guestbook-ui', 'redis', 'agent', 'nightly', 'guestbook'].flatMap((n) => cluster.filter((o) => o.metadata?.name === n && o.kind !== 'Endpoints'));
const key = (n: ResourceNode) => `${n.kind}/${n.name}`;
const parents = (nodes: ResourceNode[], k: string) => nodes.find((n) => key(n) === k)?.parentRefs?.map((r) => `${r.kind}/${r.name}`) ?? [];

test('children through ownerReferences, Endpoints and EndpointSlices under their Service', () => {
  const nodes = buildTree(managed, cluster, builtinHealth);
  assert.deepEqual(nodes.map(key).sort(), [
    'CronJob/nightly',
    'DaemonSet/agent',
    'Deployment/guestbook-ui',
    'EndpointSlice/guestbook-ui-abcde',
    'EndpointSlice/guestbook-ui-noowner',
    'Endpoints/guestbook-ui',
    'Ingress/guestbook',
    'Job/nightly-29000000',
    'Pod/agent-q8w7e',
    'Pod/guestbook-ui-85985d774c-x2x9z',
    'Pod/nightly-29000000-7kq2m',
    'Pod/redis-0',
    'ReplicaSet/guestbook-ui-6b9c7d',
    'ReplicaSet/guestbook-ui-85985d774c',
    'Service/guestbook-ui',
    'StatefulSet/redis',
  ]);
  assert.deepEqual(parents(nodes, 'Deployment/guestbook-ui'), []);
  assert.deepEqual(parents(nodes, 'ReplicaSet/guestbook-ui-85985d774c'), ['Deployment/guestbook-ui']);
  assert.deepEqual(parents(nodes, 'Pod/guestbook-ui-85985d774c-x2x9z'), ['ReplicaSet/guestbook-ui-85985d774c']);
  assert.deepEqual(parents(nodes, 'Pod/redis-0'), ['StatefulSet/redis']);
  assert.deepEqual(parents(nodes, 'Pod/agent-q8w7e'), ['DaemonSet/agent']);
  assert.deepEqual(parents(nodes, 'Job/nightly-29000000'), ['CronJob/nightly']);
  assert.deepEqual(parents(nodes, 'Pod/nightly-29000000-7kq2m'), ['Job/nightly-29000000']);
  assert.deepEqual(parents(nodes, 'Endpoints/guestbook-ui'), ['Service/guestbook-ui']);
  assert.deepEqual(parents(nodes, 'EndpointSlice/guestbook-ui-abcde'), ['Service/guestbook-ui']);
  assert.deepEqual(parents(nodes, 'EndpointSlice/guestbook-ui-noowner'), ['Service/guestbook-ui']);
  const rs = nodes.find((n) => n.name === 'guestbook-ui-85985d774c')!;
  assert.deepEqual(rs.parentRefs, [{ group: 'apps', kind: 'Deployment', namespace: 'guestbook', name: 'guestbook-ui', uid: 'd1' }]);
});

test('node fields: version, uid, resourceVersion, createdAt, info, images, health', () => {
  const nodes = buildTree(managed, cluster, builtinHealth);
  const dep = nodes.find((n) => key(n) === 'Deployment/guestbook-ui')!;
  assert.deepEqual(
    { group: dep.group, version: dep.version, uid: dep.uid, resourceVersion: dep.resourceVersion, createdAt: dep.createdAt, info: dep.info, images: dep.images, health: dep.health },
    { group: 'apps', version: 'v1', uid: 'd1', resourceVersion: '11', createdAt: '2026-01-01T00:00:00Z', info: [{ name: 'Revision', value: 'Rev:2' }], images: ['gcr.example/heptio-images/ks-guestbook-demo:0.2'], health: { status: 'Healthy' } },
  );
  const pod = nodes.find((n) => key(n) === 'Pod/guestbook-ui-85985d774c-x2x9z')!;
  assert.equal(pod.group, '');
  assert.deepEqual(pod.info, [
    { name: 'Status Reason', value: 'Running' },
    { name: 'Node', value: 'flotilla' },
    { name: 'Containers', value: '1/1' },
    { name: 'Restart Count', value: '3' },
  ]);
  assert.deepEqual(pod.networkingInfo, { labels: { app: 'guestbook-ui', 'pod-template-hash': '85985d774c' } });
  assert.deepEqual(pod.health, { status: 'Healthy' });
  const crash = nodes.find((n) => key(n) === 'Pod/agent-q8w7e')!;
  assert.deepEqual(crash.info?.[0], { name: 'Status Reason', value: 'CrashLoopBackOff' });
  assert.deepEqual(crash.health, { status: 'Degraded', message: 'back-off 5m0s' });
  assert.deepEqual(nodes.find((n) => key(n) === 'Pod/redis-0')!.info?.[0], { name: 'Status Reason', value: 'Init:0/1' });
  assert.deepEqual(nodes.find((n) => key(n) === 'Pod/nightly-29000000-7kq2m')!.info?.[0], { name: 'Status Reason', value: 'Completed' });
  assert.deepEqual(nodes.find((n) => key(n) === 'Job/nightly-29000000')!.health, { status: 'Healthy' });
  assert.equal(nodes.find((n) => key(n) === 'Endpoints/guestbook-ui')!.health, undefined);
  assert.deepEqual(nodes.find((n) => key(n) === 'CronJob/nightly')!.images, ['backup:2']);
});

test('networkingInfo: Service targetLabels + load balancer, Ingress targetRefs and URLs', () => {
  const nodes = buildTree(managed, cluster);
  assert.deepEqual(nodes.find((n) => key(n) === 'Service/guestbook-ui')!.networkingInfo, {
    targetLabels: { app: 'guestbook-ui' },
    ingress: [{ ip: '10.0.0.7' }],
    externalURLs: ['10.0.0.7:80'],
  });
  assert.deepEqual(nodes.find((n) => key(n) === 'Ingress/guestbook')!.networkingInfo, {
    targetRefs: [
      { group: '', kind: 'Service', namespace: 'guestbook', name: 'guestbook-ui' },
      { group: '', kind: 'Service', namespace: 'guestbook', name: 'admin' },
    ],
    ingress: [{ hostname: 'lb.example.com' }],
    externalURLs: ['http://guestbook.example.com/', 'https://secure.example.com/admin'],
  });
  assert.equal(nodes.find((n) => key(n) === 'Service/guestbook-ui')!.health, undefined, 'no health callback, no health');
});

test('cycles, duplicates, objects without owners and junk input are handled', () => {
  const loopA = byName('a');
  const nodes = buildTree([loopA, loopA], cluster);
  assert.deepEqual(nodes.map(key), ['Loop/a', 'Loop/b']);
  assert.deepEqual(parents(nodes, 'Loop/b'), ['Loop/a']);
  assert.deepEqual(parents(nodes, 'Loop/a'), ['Loop/b']);
  assert.deepEqual(buildTree([], cluster), []);
  assert.deepEqual(buildTree([null as never, {} as KubeObject], [null as never, 5 as never]), []);
  // a pod whose owner has the same name in another namespace is not adopted
  assert.ok(!buildTree(managed, cluster).some((n) => n.name === 'other'));
});

test('podStatusReason as kubectl shows it', () => {
  const pod = (status: Record<string, unknown>, meta: Record<string, unknown> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', ...meta }, spec: { containers: [{ name: 'c' }] }, status });
  assert.equal(podStatusReason(pod({ phase: 'Pending', containerStatuses: [{ state: { waiting: { reason: 'ContainerCreating' } } }] })), 'ContainerCreating');
  assert.equal(podStatusReason(pod({ phase: 'Failed', containerStatuses: [{ state: { terminated: { exitCode: 3 } } }] })), 'ExitCode:3');
  assert.equal(podStatusReason(pod({ phase: 'Failed', containerStatuses: [{ state: { terminated: { exitCode: 0, signal: 9 } } }] })), 'Signal:9');
  assert.equal(podStatusReason(pod({ phase: 'Failed', reason: 'Evicted' })), 'Evicted');
  assert.equal(podStatusReason(pod({ phase: 'Running' }, { deletionTimestamp: '2026-01-01T00:00:00Z' })), 'Terminating');
  assert.equal(podStatusReason(pod({ phase: 'Pending', initContainerStatuses: [{ state: { terminated: { exitCode: 1, reason: 'Error' } } }] })), 'Init:Error');
  assert.equal(podStatusReason(pod({ phase: 'Pending', initContainerStatuses: [{ state: { waiting: { reason: 'CrashLoopBackOff' } } }] })), 'Init:CrashLoopBackOff');
});

test('appSummary collects images and external URLs', async () => {
  const { appSummary } = await import('./index.js');
  const nodes = buildTree(managed, cluster);
  const withLink = { ...byName('guestbook-ui'), metadata: { ...byName('guestbook-ui').metadata, annotations: { 'link.argocd.argoproj.io/external-link': 'https://docs.example.com' } } } as KubeObject;
  assert.deepEqual(appSummary(nodes, [withLink]), {
    images: ['agent:1', 'backup:2', 'busybox:1.36', 'gcr.example/heptio-images/ks-guestbook-demo:0.1', 'gcr.example/heptio-images/ks-guestbook-demo:0.2', 'redis:7'],
    externalURLs: ['10.0.0.7:80', 'http://guestbook.example.com/', 'https://docs.example.com', 'https://secure.example.com/admin'],
  });
  assert.deepEqual(appSummary([]), {});
});

test('junk owner references and metadata are ignored', () => {
  const pod = (meta: unknown) => ({ apiVersion: 'v1', kind: 'Pod', metadata: meta }) as KubeObject;
  const nodes = buildTree(
    [byName('guestbook-ui')],
    [pod({ name: 'a', ownerReferences: 5 }), pod({ name: 'b', ownerReferences: ['x', null, { kind: 1 }] }), pod('nope'), pod({ name: 'c', ownerReferences: [{ apiVersion: 7, kind: 'Deployment', name: 'guestbook-ui', uid: 'd1' }] })],
  );
  assert.deepEqual(nodes.map(key), ['Pod/c', 'Deployment/guestbook-ui']);
});
