import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startControllers } from './index.js';
import { R } from '@flotilla/kube-runtime';
import { LEASES } from '@flotilla/kube-runtime';
import { eventually, startCluster } from './testkit.js';
import type { Obj } from './util.js';

test('leader election: one replica acts, the other takes over when it stops', async () => {
  const c = await startCluster();
  const le = (identity: string) => ({ identity, namespace: 'default', leaseDurationSeconds: 1, renewDeadlineMs: 500, retryPeriodMs: 100 });
  const a = await startControllers({ kubeconfig: c.kubeconfig, controllers: ['namespace-defaults'], leaderElection: le('a') });
  const b = await startControllers({ kubeconfig: c.kubeconfig, controllers: ['namespace-defaults'], leaderElection: le('b') });
  try {
    await eventually(() => a.isLeader() || b.isLeader(), 10_000, 'a leader');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal([a, b].filter((x) => x.isLeader()).length, 1, 'exactly one leader');
    const [leader, follower] = a.isLeader() ? [a, b] : [b, a];
    const lease = await c.client.get<Obj>(LEASES, 'default', 'flotilla-controller-manager');
    assert.equal(lease.spec.holderIdentity, leader === a ? 'a' : 'b');
    assert.equal(follower.controllers.length, 0);

    await leader.stop();
    await eventually(() => follower.isLeader() && follower.controllers.length === 1, 10_000, 'the follower takes over');
    const l2 = await c.client.get<Obj>(LEASES, 'default', 'flotilla-controller-manager');
    assert.equal(l2.spec.holderIdentity, follower === a ? 'a' : 'b');
    assert.equal(l2.spec.leaseTransitions, 1);
    // and it works
    await c.k(['create', 'namespace', 'after-handover']);
    await eventually(async () => !!(await c.client.get(R.serviceaccounts, 'after-handover', 'default').catch(() => undefined)), 10_000, 'SA from the new leader');
  } finally {
    await a.stop();
    await b.stop();
    await c.close();
  }
});
