/**
 * Deployments end to end: the real API server on loopback, the real kubectl, the controllers as API
 * clients, and a stand-in kubelet that makes bound pods Running/Ready through /status.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startControllers, type RunningControllers } from './index.js';
import { R } from '@flotilla/kube-runtime';
import { HASH_LABEL, REVISION, REVISION_HISTORY } from './deployment.js';
import { defaultBehaviour, eventually, listPods, sleep, startCluster, startFakeKubelet, type Cluster, type FakeKubelet } from './testkit.js';
import type { Obj, Pod } from './util.js';

let c: Cluster;
let ctl: RunningControllers;
let kubelet: FakeKubelet;
/** images the kubelet holds back (pods stay Pending) */
const held = new Set<string>();

const start = () => startControllers({ kubeconfig: c.kubeconfig, scheduler: { createNode: true } });

before(async () => {
  c = await startCluster();
  ctl = await start();
  kubelet = startFakeKubelet(c.client, { behave: (p) => (held.has(p.spec?.containers?.[0]?.image) ? 'ignore' : defaultBehaviour(p)) });
});

after(async () => {
  await kubelet?.stop();
  await ctl?.stop();
  await c?.close();
});

async function rs(ns: string): Promise<Obj[]> {
  return (await c.client.list<Obj>(R.replicasets, ns)).items;
}
const active = (pods: Pod[]) => pods.filter((p) => !p.metadata?.deletionTimestamp);

test('kubectl create deployment + rollout status: ReplicaSet with pod-template-hash, owned pods, status', async () => {
  await c.k(['create', 'namespace', 'd1']);
  await c.k(['-n', 'd1', 'create', 'deployment', 'web', '--image=nginx:1.25', '--replicas=3']);
  const out = await c.k(['-n', 'd1', 'rollout', 'status', 'deployment/web', '--timeout=30s']);
  assert.match(out, /deployment "web" successfully rolled out/);
  const [r] = await rs('d1');
  const hash = r.metadata!.labels![HASH_LABEL];
  assert.ok(hash);
  assert.equal(r.metadata!.name, `web-${hash}`);
  assert.deepEqual(r.spec.selector.matchLabels, { app: 'web', [HASH_LABEL]: hash });
  assert.equal(r.metadata!.annotations![REVISION], '1');
  const owner = r.metadata!.ownerReferences![0];
  assert.deepEqual([owner.kind, owner.name, owner.controller, owner.blockOwnerDeletion], ['Deployment', 'web', true, true]);
  const pods = active(await listPods(c.client, 'd1'));
  assert.equal(pods.length, 3);
  for (const p of pods) {
    assert.match(p.metadata!.name!, new RegExp(`^web-${hash}-[a-z0-9]{5}$`));
    assert.equal(p.metadata!.ownerReferences![0].uid, r.metadata!.uid);
    assert.equal(p.spec.nodeName, 'flotilla-node');
  }
  const d = await c.client.get<Obj>(R.deployments, 'd1', 'web');
  assert.equal(d.metadata!.annotations![REVISION], '1');
  assert.deepEqual(
    [d.status.replicas, d.status.updatedReplicas, d.status.readyReplicas, d.status.availableReplicas, d.status.observedGeneration],
    [3, 3, 3, 3, d.metadata!.generation],
  );
  const conds = Object.fromEntries((d.status.conditions as any[]).map((x) => [x.type, x.reason]));
  assert.deepEqual(conds, { Available: 'MinimumReplicasAvailable', Progressing: 'NewReplicaSetAvailable' });
  const table = await c.k(['-n', 'd1', 'get', 'deployment', 'web']);
  assert.match(table, /web\s+3\/3\s+3\s+3/);
});

test('kubectl set image + rollout status + rollout undo: revisions and history behave', async () => {
  await c.k(['create', 'namespace', 'd2']);
  await c.k(['-n', 'd2', 'create', 'deployment', 'app', '--image=nginx:1', '--replicas=2']);
  await c.k(['-n', 'd2', 'rollout', 'status', 'deployment/app', '--timeout=30s']);
  await c.k(['-n', 'd2', 'set', 'image', 'deployment/app', 'nginx=nginx:2']);
  await c.k(['-n', 'd2', 'annotate', 'deployment/app', 'kubernetes.io/change-cause=to v2']);
  assert.match(await c.k(['-n', 'd2', 'rollout', 'status', 'deployment/app', '--timeout=30s']), /successfully rolled out/);
  let list = await rs('d2');
  assert.equal(list.length, 2);
  const v1 = list.find((x) => x.spec.template.spec.containers[0].image === 'nginx:1')!;
  const v2 = list.find((x) => x.spec.template.spec.containers[0].image === 'nginx:2')!;
  assert.deepEqual([v1.spec.replicas, v2.spec.replicas], [0, 2]);
  assert.equal(v2.metadata!.annotations![REVISION], '2');
  assert.equal(v2.metadata!.annotations!['kubernetes.io/change-cause'], 'to v2');
  const history = await c.k(['-n', 'd2', 'rollout', 'history', 'deployment/app']);
  assert.match(history, /1\s+<none>/);
  assert.match(history, /2\s+to v2/);

  await c.k(['-n', 'd2', 'rollout', 'undo', 'deployment/app']);
  assert.match(await c.k(['-n', 'd2', 'rollout', 'status', 'deployment/app', '--timeout=30s']), /successfully rolled out/);
  list = await rs('d2');
  assert.equal(list.length, 2, 'the old ReplicaSet is reused, no new one');
  const back = list.find((x) => x.metadata!.uid === v1.metadata!.uid)!;
  assert.equal(back.spec.replicas, 2);
  assert.equal(back.metadata!.annotations![REVISION], '3');
  assert.equal(back.metadata!.annotations![REVISION_HISTORY], '1');
  const d = await c.client.get<Obj>(R.deployments, 'd2', 'app');
  assert.equal(d.metadata!.annotations![REVISION], '3');
  const pods = active(await listPods(c.client, 'd2'));
  assert.ok(pods.every((p) => p.spec.containers[0].image === 'nginx:1'));
  const h2 = await c.k(['-n', 'd2', 'rollout', 'history', 'deployment/app']);
  assert.match(h2, /2\s+to v2/);
  assert.match(h2, /3\s+/);
  assert.doesNotMatch(h2, /^1\s/m);
});

test('kubectl scale up and down; Recreate strategy', async () => {
  await c.k(['create', 'namespace', 'd3']);
  await c.k(['-n', 'd3', 'create', 'deployment', 'web', '--image=nginx', '--replicas=1']);
  await c.k(['-n', 'd3', 'rollout', 'status', 'deployment/web', '--timeout=30s']);
  await c.k(['-n', 'd3', 'scale', 'deployment/web', '--replicas=5']);
  await eventually(async () => active(await listPods(c.client, 'd3')).length === 5, 15_000, '5 pods');
  await c.k(['-n', 'd3', 'rollout', 'status', 'deployment/web', '--timeout=30s']);
  await c.k(['-n', 'd3', 'scale', 'deployment/web', '--replicas=2']);
  await eventually(async () => active(await listPods(c.client, 'd3')).length === 2, 15_000, '2 pods');
  const [r] = await rs('d3');
  assert.equal(r.spec.replicas, 2);
  assert.equal(r.metadata!.annotations!['deployment.kubernetes.io/desired-replicas'], '2');

  await c.k(['-n', 'd3', 'patch', 'deployment/web', '-p', '{"spec":{"strategy":{"type":"Recreate","rollingUpdate":null}}}']);
  await c.k(['-n', 'd3', 'set', 'image', 'deployment/web', 'nginx=nginx:recreated']);
  assert.match(await c.k(['-n', 'd3', 'rollout', 'status', 'deployment/web', '--timeout=30s']), /successfully rolled out/);
  const pods = active(await listPods(c.client, 'd3'));
  assert.equal(pods.length, 2);
  assert.ok(pods.every((p) => p.spec.containers[0].image === 'nginx:recreated'));
});

test('pause / resume, and a rollout that exceeds its progress deadline', async () => {
  await c.k(['create', 'namespace', 'd4']);
  await c.k(['-n', 'd4', 'create', 'deployment', 'web', '--image=nginx', '--replicas=2']);
  await c.k(['-n', 'd4', 'rollout', 'status', 'deployment/web', '--timeout=30s']);
  await c.k(['-n', 'd4', 'rollout', 'pause', 'deployment/web']);
  await c.k(['-n', 'd4', 'set', 'image', 'deployment/web', 'nginx=nginx:paused']);
  await eventually(async () => {
    const d = await c.client.get<Obj>(R.deployments, 'd4', 'web');
    return (d.status.conditions as any[]).some((x) => x.type === 'Progressing' && x.reason === 'DeploymentPaused');
  }, 10_000, 'DeploymentPaused');
  await sleep(300);
  assert.equal((await rs('d4')).length, 1, 'no rollout while paused');
  await c.k(['-n', 'd4', 'rollout', 'resume', 'deployment/web']);
  assert.match(await c.k(['-n', 'd4', 'rollout', 'status', 'deployment/web', '--timeout=30s']), /successfully rolled out/);
  assert.equal((await rs('d4')).length, 2);

  // pods that never become ready: the rollout times out
  await c.k(['-n', 'd4', 'patch', 'deployment/web', '-p', '{"spec":{"progressDeadlineSeconds":2}}']);
  await c.k(['-n', 'd4', 'set', 'image', 'deployment/web', 'nginx=nginx:unready']);
  const r = await c.kubectl(['-n', 'd4', 'rollout', 'status', 'deployment/web', '--timeout=30s']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /deployment "web" exceeded its progress deadline/);
  const d = await c.client.get<Obj>(R.deployments, 'd4', 'web');
  const prog = (d.status.conditions as any[]).find((x) => x.type === 'Progressing');
  assert.deepEqual([prog.status, prog.reason], ['False', 'ProgressDeadlineExceeded']);
  // maxUnavailable 25% of 2 rounds down to 0: the old pods stay available
  assert.equal(d.status.availableReplicas, 2);
});

test('restarting the controllers mid-rollout creates no duplicates and the rollout finishes', async () => {
  await c.k(['create', 'namespace', 'd5']);
  await c.k(['-n', 'd5', 'create', 'deployment', 'roll', '--image=nginx:a', '--replicas=4']);
  await c.k(['-n', 'd5', 'patch', 'deployment/roll', '-p', '{"spec":{"strategy":{"rollingUpdate":{"maxSurge":1,"maxUnavailable":0}}}}']);
  await c.k(['-n', 'd5', 'rollout', 'status', 'deployment/roll', '--timeout=30s']);
  held.add('nginx:slow');
  await c.k(['-n', 'd5', 'set', 'image', 'deployment/roll', 'nginx=nginx:slow']);
  await eventually(async () => active(await listPods(c.client, 'd5')).length === 5, 15_000, 'a surge pod');
  await ctl.stop();
  const before = { rs: (await rs('d5')).map((x) => x.metadata!.name).sort(), pods: active(await listPods(c.client, 'd5')).length };
  assert.equal(before.rs.length, 2);
  assert.equal(before.pods, 5);

  ctl = await start();
  await sleep(1500);
  assert.deepEqual((await rs('d5')).map((x) => x.metadata!.name).sort(), before.rs, 'no new ReplicaSet');
  assert.equal(active(await listPods(c.client, 'd5')).length, 5, 'no extra pods (maxSurge 1, maxUnavailable 0)');

  held.delete('nginx:slow');
  kubelet.resync();
  assert.match(await c.k(['-n', 'd5', 'rollout', 'status', 'deployment/roll', '--timeout=30s']), /successfully rolled out/);
  const pods = await eventually(async () => {
    const p = active(await listPods(c.client, 'd5'));
    return p.length === 4 ? p : undefined;
  }, 10_000, '4 pods');
  assert.ok(pods!.every((p) => p.spec.containers[0].image === 'nginx:slow'));
  assert.equal((await rs('d5')).length, 2);
});

test('orphaned ReplicaSets and pods matching a selector are adopted, not duplicated', async () => {
  await c.k(['create', 'namespace', 'd6']);
  // a bare ReplicaSet first, then a Deployment selecting its pods via a different template: pods are not shared
  await c.k(['-n', 'd6', 'apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'bare' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'bare' } }, template: { metadata: { labels: { app: 'bare' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    }),
  });
  await eventually(async () => active(await listPods(c.client, 'd6')).length === 2, 15_000, '2 pods');
  // orphan the pods (delete the ReplicaSet, keep its pods), then recreate it: it adopts them
  await c.k(['-n', 'd6', 'delete', 'rs', 'bare', '--cascade=orphan']);
  await eventually(async () => active(await listPods(c.client, 'd6')).every((p) => !p.metadata?.ownerReferences?.length), 15_000, 'orphaned pods');
  const names = active(await listPods(c.client, 'd6')).map((p) => p.metadata!.name).sort();
  await c.k(['-n', 'd6', 'apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'bare' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'bare' } }, template: { metadata: { labels: { app: 'bare' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    }),
  });
  const r = await c.client.get<Obj>(R.replicasets, 'd6', 'bare');
  await eventually(async () => active(await listPods(c.client, 'd6')).every((p) => p.metadata?.ownerReferences?.[0]?.uid === r.metadata!.uid), 15_000, 'adoption');
  assert.deepEqual(active(await listPods(c.client, 'd6')).map((p) => p.metadata!.name).sort(), names);
  await eventually(async () => (await c.client.get<Obj>(R.replicasets, 'd6', 'bare')).status?.readyReplicas === 2, 10_000, 'status');
});
