import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DESIRED_REPLICAS,
  HASH_LABEL,
  MAX_REPLICAS,
  REVISION,
  REVISION_HISTORY,
  equalIgnoreHash,
  planDeployment,
  podTemplateHash,
  resolveFenceposts,
  type DeploymentPlan,
} from './deployment.js';
import { replicaDiff, replicaSetStatus } from './replicaset.js';
import { rankPodsForDeletion } from './pods.js';
import { classifyClaims } from './claim.js';
import { scaledValue, type Obj } from './util.js';

const T0 = Date.parse('2024-05-01T10:00:00Z');
let uid = 0;

function deployment(over: Record<string, any> = {}): Obj {
  const spec = {
    replicas: 4,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    revisionHistoryLimit: 10,
    progressDeadlineSeconds: 600,
    ...(over.spec ?? {}),
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'ns', uid: 'd-uid', generation: 1, annotations: over.annotations ?? {} },
    spec,
    status: over.status ?? {},
  };
}

/** A ReplicaSet as the server would hold it after the plan's create, with a given status. */
function materialize(plan: DeploymentPlan, rss: Obj[], status: Record<string, Record<string, number>> = {}): Obj[] {
  let out = rss.map((r) => structuredClone(r));
  for (const a of plan.actions) {
    if (a.type === 'create') out.push({ ...structuredClone(a.rs), metadata: { ...structuredClone(a.rs.metadata), uid: `rs-${++uid}`, creationTimestamp: new Date(T0 + uid * 1000).toISOString(), generation: 1 } });
    if (a.type === 'update') out = out.map((r) => (r.metadata?.name === a.rs.metadata?.name ? structuredClone(a.rs) : r));
    if (a.type === 'delete') out = out.filter((r) => r.metadata?.name !== a.rs.metadata?.name);
  }
  for (const r of out) {
    const s = status[r.metadata!.name!];
    if (s) r.status = { ...r.status, ...s };
  }
  return out;
}

/** Makes every ReplicaSet's pods exist and be available (the kubelet and ReplicaSet controller at work). */
function settle(rss: Obj[]): Obj[] {
  return rss.map((r) => ({ ...r, status: { replicas: r.spec.replicas, readyReplicas: r.spec.replicas, availableReplicas: r.spec.replicas, observedGeneration: 1 } }));
}

const sizes = (rss: Obj[]) => Object.fromEntries(rss.map((r) => [r.metadata!.name, r.spec.replicas]));

test('maxSurge rounds up, maxUnavailable rounds down, never both zero', () => {
  assert.equal(scaledValue('25%', 10, true), 3);
  assert.equal(scaledValue('25%', 10, false), 2);
  assert.equal(scaledValue('30%', 3, true), 1);
  assert.equal(scaledValue('30%', 3, false), 0);
  assert.equal(scaledValue(2, 10, true), 2);
  assert.equal(scaledValue('5', 10, false), 5);
  assert.deepEqual(resolveFenceposts(deployment({ spec: { replicas: 3 } })), { maxSurge: 1, maxUnavailable: 0 });
  assert.deepEqual(resolveFenceposts(deployment({ spec: { replicas: 1, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } } })), { maxSurge: 0, maxUnavailable: 1 });
  assert.deepEqual(resolveFenceposts(deployment({ spec: { replicas: 10, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '50%', maxUnavailable: '10%' } } } })), { maxSurge: 5, maxUnavailable: 1 });
  assert.deepEqual(resolveFenceposts(deployment({ spec: { strategy: { type: 'Recreate' } } })), { maxSurge: 0, maxUnavailable: 0 });
});

test('a new Deployment gets a ReplicaSet with pod-template-hash, revision 1 and its replicas', () => {
  const d = deployment();
  const plan = planDeployment(d, [], [], T0);
  const create = plan.actions.find((a) => a.type === 'create');
  assert.ok(create && create.type === 'create');
  const rs = create.rs;
  const hash = podTemplateHash(d);
  assert.equal(rs.metadata!.name, `web-${hash}`);
  assert.equal(rs.metadata!.labels![HASH_LABEL], hash);
  assert.equal(rs.spec.selector.matchLabels[HASH_LABEL], hash);
  assert.equal(rs.spec.template.metadata.labels[HASH_LABEL], hash);
  assert.equal(rs.metadata!.annotations![REVISION], '1');
  assert.equal(rs.metadata!.annotations![DESIRED_REPLICAS], '4');
  assert.equal(rs.metadata!.annotations![MAX_REPLICAS], '5');
  assert.equal(rs.spec.replicas, 4);
  assert.deepEqual(rs.metadata!.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-uid', controller: true, blockOwnerDeletion: true }]);
  assert.ok(plan.actions.some((a) => a.type === 'annotateDeployment' && a.annotations[REVISION] === '1'));
  const prog = plan.status.conditions!.find((c) => c.type === 'Progressing')!;
  assert.equal(prog.reason, 'NewReplicaSetCreated');
  assert.equal(prog.message, `Created new replica set "web-${hash}"`);
  assert.equal(plan.status.conditions!.find((c) => c.type === 'Available')!.status, 'False');
  assert.equal(plan.status.observedGeneration, 1);
});

test('rolling update keeps within maxSurge and maxUnavailable and finishes', () => {
  let d = deployment({ annotations: { [REVISION]: '1' } });
  let rss = settle(materialize(planDeployment(d, [], [], T0), []));
  assert.equal(rss.length, 1);
  const oldName = rss[0].metadata!.name!;
  // complete the first rollout
  let plan = planDeployment(d, rss, [], T0 + 1000);
  assert.equal(plan.status.conditions!.find((c) => c.type === 'Progressing')!.reason, 'NewReplicaSetAvailable');
  d = { ...d, status: plan.status };

  // change the template
  d = { ...d, metadata: { ...d.metadata, generation: 2 }, spec: { ...d.spec, template: { ...d.spec.template, spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } };
  let steps = 0;
  const seen: Record<string, number>[] = [];
  for (;;) {
    plan = planDeployment(d, rss, [], T0 + 2000 + steps * 1000);
    rss = materialize(plan, rss);
    const total = rss.reduce((n, r) => n + r.spec.replicas, 0);
    // maxSurge 1 (25% of 4 rounded up): never more than 5 pods wanted
    assert.ok(total <= 5, `total ${total} > 5 at step ${steps}`);
    // available pods (status from the last settle) never below 3 (4 - 25% rounded down)
    const avail = rss.reduce((n, r) => n + Math.min(r.status?.availableReplicas ?? 0, r.spec.replicas), 0);
    assert.ok(avail >= 3, `available ${avail} < 3 at step ${steps}`);
    seen.push(sizes(rss));
    d = { ...d, status: plan.status };
    if (plan.actions.filter((a) => a.type !== 'annotateDeployment').length === 0 && plan.status.updatedReplicas === 4 && plan.status.replicas === 4) break;
    rss = settle(rss);
    if (++steps > 20) assert.fail(`no convergence: ${JSON.stringify(seen)}`);
  }
  const newRS = rss.find((r) => r.metadata!.name !== oldName)!;
  assert.equal(newRS.spec.replicas, 4);
  assert.equal(rss.find((r) => r.metadata!.name === oldName)!.spec.replicas, 0);
  assert.equal(newRS.metadata!.annotations![REVISION], '2');
  assert.equal(plan.status.conditions!.find((c) => c.type === 'Progressing')!.reason, 'NewReplicaSetAvailable');
  assert.equal(plan.status.conditions!.find((c) => c.type === 'Available')!.reason, 'MinimumReplicasAvailable');
  // first step: new RS created with 1 (surge), old scaled down by 1 (unavailable)
  assert.deepEqual(Object.values(seen[0]).sort(), [1, 3]);
});

test('Recreate scales the old ReplicaSets to zero and waits for their pods before creating the new one', () => {
  let d = deployment({ spec: { replicas: 2, strategy: { type: 'Recreate' } } });
  let rss = settle(materialize(planDeployment(d, [], [], T0), []));
  d = { ...d, metadata: { ...d.metadata, generation: 2 }, spec: { ...d.spec, template: { ...d.spec.template, spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } };
  let plan = planDeployment(d, rss, [], T0);
  assert.deepEqual(plan.actions.map((a) => a.type), ['update']);
  rss = materialize(plan, rss, { [rss[0].metadata!.name!]: { replicas: 0, availableReplicas: 0, readyReplicas: 0 } });
  const pod = { metadata: { name: 'p', ownerReferences: [{ kind: 'ReplicaSet', name: rss[0].metadata!.name, uid: rss[0].metadata!.uid, controller: true }], deletionTimestamp: '2024-01-01T00:00:00Z' }, status: { phase: 'Running' } };
  plan = planDeployment(d, rss, [pod as Obj], T0);
  assert.equal(plan.actions.filter((a) => a.type === 'create').length, 0, 'waits while an old pod is still terminating');
  plan = planDeployment(d, rss, [], T0);
  const c = plan.actions.find((a) => a.type === 'create');
  assert.ok(c && c.type === 'create');
  assert.equal(c.rs.spec.replicas, 2);
});

test('scaling a Deployment in the middle of a rollout scales the live ReplicaSets proportionally', () => {
  const d = deployment({ spec: { replicas: 10, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } } });
  const mk = (name: string, replicas: number, rev: string, image: string, created: number): Obj => ({
    metadata: { name, namespace: 'ns', uid: name, creationTimestamp: new Date(created).toISOString(), annotations: { [REVISION]: rev, [DESIRED_REPLICAS]: '10', [MAX_REPLICAS]: '13' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-uid', controller: true }] },
    spec: { replicas, selector: {}, template: { metadata: { labels: { app: 'web', [HASH_LABEL]: name } }, spec: { containers: [{ name: 'c', image }] } } },
    status: { replicas, availableReplicas: replicas, readyReplicas: replicas },
  });
  const old = mk('old', 8, '1', 'nginx:1', T0);
  const cur = mk('cur', 5, '2', 'nginx:1x', T0 + 1000);
  const dd = { ...d, spec: { ...d.spec, replicas: 20, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1x' }] } } } };
  const plan = planDeployment(dd, [old, cur], [], T0);
  const after = materialize(plan, [old, cur]);
  const total = after.reduce((n, r) => n + r.spec.replicas, 0);
  assert.equal(total, 23, 'the new size plus maxSurge (3)');
  const o = after.find((r) => r.metadata!.name === 'old')!.spec.replicas;
  const c = after.find((r) => r.metadata!.name === 'cur')!.spec.replicas;
  assert.ok(o > 8 && c > 5, `both grew: ${o}, ${c}`);
  assert.ok(Math.abs(o / c - 8 / 5) < 0.5, 'in proportion');
  for (const r of after) assert.equal(r.metadata!.annotations![DESIRED_REPLICAS], '20');
});

test('a paused Deployment does not roll out a new template but still scales', () => {
  let d = deployment({ spec: { replicas: 2 } });
  const rss = settle(materialize(planDeployment(d, [], [], T0), []));
  d = { ...d, spec: { ...d.spec, paused: true, replicas: 3, template: { ...d.spec.template, spec: { containers: [{ name: 'c', image: 'nginx:9' }] } } } };
  const plan = planDeployment(d, rss, [], T0);
  assert.equal(plan.actions.filter((a) => a.type === 'create').length, 0);
  const after = materialize(plan, rss);
  assert.equal(after[0].spec.replicas, 3);
  const prog = plan.status.conditions!.find((c) => c.type === 'Progressing')!;
  assert.deepEqual([prog.status, prog.reason, prog.message], ['Unknown', 'DeploymentPaused', 'Deployment is paused']);
  // resume
  const resumed = planDeployment({ ...d, spec: { ...d.spec, paused: false }, status: plan.status }, after, [], T0 + 1000);
  assert.ok(resumed.actions.some((a) => a.type === 'create'));
});

test('a rollout without progress past progressDeadlineSeconds is ProgressDeadlineExceeded', () => {
  let d = deployment({ spec: { replicas: 1, progressDeadlineSeconds: 30 } });
  let plan = planDeployment(d, [], [], T0);
  const rss = materialize(plan, []);
  d = { ...d, status: plan.status };
  plan = planDeployment(d, rss, [], T0 + 10_000);
  assert.equal(plan.status.conditions!.find((c) => c.type === 'Progressing')!.status, 'True');
  assert.ok(plan.requeueAfter! > 0 && plan.requeueAfter! <= 21_000, `requeue for the deadline (${plan.requeueAfter})`);
  d = { ...d, status: plan.status };
  plan = planDeployment(d, rss, [], T0 + 31_000);
  const prog = plan.status.conditions!.find((c) => c.type === 'Progressing')!;
  assert.equal(prog.status, 'False');
  assert.equal(prog.reason, 'ProgressDeadlineExceeded');
  assert.match(prog.message!, /has timed out progressing/);
});

test('rolling back to an old template reuses its ReplicaSet with a new revision and a revision history', () => {
  const d1 = deployment({ spec: { replicas: 1 } });
  let rss = settle(materialize(planDeployment(d1, [], [], T0), []));
  const first = rss[0];
  const d2 = { ...d1, spec: { ...d1.spec, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } };
  for (let i = 0; i < 5; i++) rss = settle(materialize(planDeployment(d2, rss, [], T0 + i), rss));
  assert.equal(rss.length, 2);
  // kubectl rollout undo: the template of the first ReplicaSet without its hash label
  const tpl = structuredClone(first.spec.template);
  delete tpl.metadata.labels[HASH_LABEL];
  const d3 = { ...d1, metadata: { ...d1.metadata, generation: 3 }, spec: { ...d1.spec, template: tpl } };
  const plan = planDeployment(d3, rss, [], T0 + 100);
  assert.equal(plan.actions.filter((a) => a.type === 'create').length, 0, 'no new ReplicaSet');
  const upd = plan.actions.find((a) => a.type === 'update' && a.rs.metadata!.name === first.metadata!.name);
  assert.ok(upd && upd.type === 'update');
  assert.equal(upd.rs.metadata!.annotations![REVISION], '3');
  assert.equal(upd.rs.metadata!.annotations![REVISION_HISTORY], '1');
  assert.ok(plan.actions.some((a) => a.type === 'annotateDeployment' && a.annotations[REVISION] === '3'));
});

test('templates compare equal across zero values and creationTimestamp (protobuf vs JSON clients)', () => {
  const a = { metadata: { creationTimestamp: null, labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'i', stdin: false, workingDir: '' }], hostname: '' } };
  const b = { metadata: { creationTimestamp: '1970-01-01T00:00:00Z', labels: { app: 'x', [HASH_LABEL]: 'abc' }, name: '' }, spec: { containers: [{ name: 'c', image: 'i' }] } };
  assert.ok(equalIgnoreHash(a, b));
  assert.ok(!equalIgnoreHash(a, { ...b, spec: { containers: [{ name: 'c', image: 'j' }] } }));
});

test('revisionHistoryLimit deletes the oldest scaled-down ReplicaSets', () => {
  const d = deployment({ spec: { replicas: 1, revisionHistoryLimit: 1 } });
  const mk = (name: string, rev: number, replicas: number): Obj => ({
    metadata: { name, uid: name, generation: 1, creationTimestamp: new Date(T0 + rev * 1000).toISOString(), annotations: { [REVISION]: String(rev) } },
    spec: { replicas, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: `nginx:old-${rev}` }] } } },
    status: { replicas, availableReplicas: replicas, readyReplicas: replicas, observedGeneration: 1 },
  });
  const cur = mk('cur', 4, 1);
  cur.spec.template = structuredClone(d.spec.template);
  const plan = planDeployment({ ...d, status: { observedGeneration: 1 } }, [mk('r1', 1, 0), mk('r2', 2, 0), mk('r3', 3, 0), cur], [], T0);
  assert.deepEqual(
    plan.actions.filter((a) => a.type === 'delete').map((a) => (a as { rs: Obj }).rs.metadata!.name),
    ['r1', 'r2'],
  );
});

test('ReplicaSet status counts ready, available (minReadySeconds) and fully labeled pods', () => {
  const rs: Obj = { metadata: { generation: 3 }, spec: { minReadySeconds: 10, template: { metadata: { labels: { app: 'a', tier: 't' } } } } };
  const pod = (name: string, ready: boolean, since: number, labels = { app: 'a', tier: 't' }) => ({
    metadata: { name, labels },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: new Date(since).toISOString() }] },
  });
  const s = replicaSetStatus(rs, [pod('a', true, T0 - 20_000), pod('b', true, T0 - 2_000), pod('c', false, T0), pod('d', true, T0 - 60_000, { app: 'a' } as any)], T0);
  assert.deepEqual(s, { replicas: 4, fullyLabeledReplicas: 3, readyReplicas: 3, availableReplicas: 2, observedGeneration: 3 });
  assert.equal(replicaDiff(3, 5), -2);
  assert.equal(replicaDiff(10000, 0), 500);
});

test('scale-down removes unscheduled, pending, not-ready and newer pods first', () => {
  const p = (name: string, o: { node?: string; phase?: string; ready?: boolean; created?: number; cost?: string }) => ({
    metadata: { name, creationTimestamp: new Date(T0 + (o.created ?? 0)).toISOString(), annotations: (o.cost ? { 'controller.kubernetes.io/pod-deletion-cost': o.cost } : {}) as Record<string, string> },
    spec: { nodeName: o.node },
    status: { phase: o.phase ?? 'Running', conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: new Date(T0).toISOString() }] },
  });
  const order = rankPodsForDeletion([
    p('old-ready', { node: 'n1', created: 0 }),
    p('new-ready', { node: 'n1', created: 5000 }),
    p('unscheduled', { phase: 'Pending', ready: false }),
    p('pending', { node: 'n1', phase: 'Pending', ready: false }),
    p('not-ready', { node: 'n1', ready: false }),
    p('expensive-new', { node: 'n1', created: 9000, cost: '100' }),
  ]).map((x) => x.metadata!.name);
  assert.deepEqual(order, ['unscheduled', 'pending', 'not-ready', 'new-ready', 'old-ready', 'expensive-new']);
});

test('claims: owned objects kept, matching orphans adopted, non-matching owned released, others ignored', () => {
  const owner = { metadata: { name: 'o', uid: 'u1' } };
  const mk = (name: string, labels: Record<string, string>, ctrl?: string) => ({ metadata: { name, labels, ownerReferences: ctrl ? [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: ctrl, controller: true }] : undefined } });
  const r = classifyClaims(owner, [mk('mine', { a: '1' }, 'u1'), mk('orphan', { a: '1' }), mk('theirs', { a: '1' }, 'u2'), mk('strayed', { a: '2' }, 'u1'), mk('other', { a: '2' })], (o) => o.metadata!.labels!.a === '1');
  assert.deepEqual(r.owned.map((o) => o.metadata!.name), ['mine']);
  assert.deepEqual(r.adopt.map((o) => o.metadata!.name), ['orphan']);
  assert.deepEqual(r.release.map((o) => o.metadata!.name), ['strayed']);
});
