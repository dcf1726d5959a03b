/** Leader election between two processes on a real API server. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { KubeClient } from './client.js';
import { LEASES, LeaderElector, leaderElectionFromArgs, leaderIdentity } from './leader.js';
import { blackholedPort, startTestCluster, stopProcess, waitFor } from './testkit.js';

const FIXTURE = fileURLToPath(new URL('./leader-candidate.fixture.js', import.meta.url));
const LEASE_S = 3;

function candidate(kubeconfig: string, id: string): { proc: ChildProcess; out: () => string } {
  const proc = spawn(process.execPath, [FIXTURE, kubeconfig, '--leader-elect', `--leader-elect-lease-duration=${LEASE_S}s`, '--leader-elect-renew-deadline=2s', '--leader-elect-retry-period=200ms'], {
    env: { ...process.env, LEADER_ELECTION_IDENTITY: id },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  return { proc, out: () => out };
}

test('flags and identity', () => {
  assert.equal(leaderElectionFromArgs(['--verbose']), undefined);
  assert.deepEqual(leaderElectionFromArgs(['--leader-elect', '--leader-elect-lease-duration', '15s', '--leader-elect-retry-period=500ms']), { leaseDurationSeconds: 15, retryPeriodMs: 500 });
  assert.equal(leaderElectionFromArgs(['--leader-elect=false']), undefined);
  assert.equal(leaderIdentity({ POD_NAME: 'p-1' }), 'p-1');
  assert.equal(leaderIdentity({ POD_NAME: 'p-1', LEADER_ELECTION_IDENTITY: 'x' }), 'x');
});

test('leader hand-over between two processes: at once on release, within the lease duration after a crash', async () => {
  const c = await startTestCluster();
  const client = new KubeClient(c.kubeconfig);
  const a = candidate(c.kubeconfig, 'a');
  let b: ReturnType<typeof candidate> | undefined;
  try {
    await waitFor('a leads', () => a.out().includes('leading a'), 30_000);
    b = candidate(c.kubeconfig, 'b');
    await waitFor('b sees a', () => b!.out().includes('leader a'), 30_000);
    assert.ok(!b.out().includes('leading b'), 'one leader at a time');
    const lease = await client.get(LEASES, 'default', 'fixture');
    assert.equal((lease.spec as { holderIdentity?: string }).holderIdentity, 'a');

    // a graceful stop releases the Lease: b takes over within the lease duration
    let t0 = Date.now();
    await stopProcess(a.proc, 'SIGTERM');
    assert.match(a.out(), /stopped a/);
    await waitFor('b leads', () => b!.out().includes('leading b'), 30_000, 20);
    const handover = Date.now() - t0;
    assert.ok(handover < LEASE_S * 1000, `hand-over after a release took ${handover} ms (lease ${LEASE_S} s)`);

    // a crash (SIGKILL, nothing released): the next candidate waits out the lease, no longer
    const a2 = candidate(c.kubeconfig, 'a');
    try {
      await waitFor('a2 sees b', () => a2.out().includes('leader b'), 30_000);
      t0 = Date.now();
      b.proc.kill('SIGKILL');
      await waitFor('a takes over', () => a2.out().includes('leading a'), 30_000, 20);
      const took = Date.now() - t0;
      assert.ok(took < LEASE_S * 1000 + 1500, `hand-over after a crash took ${took} ms (lease ${LEASE_S} s)`);
      const l2 = await client.get(LEASES, 'default', 'fixture');
      assert.equal((l2.spec as { holderIdentity?: string }).holderIdentity, 'a');
      assert.equal((l2.spec as { leaseTransitions?: number }).leaseTransitions, 2);
    } finally {
      await stopProcess(a2.proc, 'SIGTERM');
    }
  } finally {
    await stopProcess(a.proc, 'SIGKILL');
    if (b) await stopProcess(b.proc, 'SIGKILL');
    client.close();
    await c.close();
  }
});

test('a renewal attempt takes at most the renew deadline, not the client timeout', { timeout: 20_000 }, async () => {
  const hole = await blackholedPort();
  const client = new KubeClient({ url: `http://127.0.0.1:${hole.port}` }, { qps: 0 }); // the default 60 s timeout
  const le = new LeaderElector(client, { name: 'x', namespace: 'default', identity: 'me', renewDeadlineMs: 500 }, { onStartedLeading: () => {}, onStoppedLeading: () => {} });
  try {
    const start = Date.now();
    await assert.rejects(le.tryAcquireOrRenew(), /no answer in 500 ms/);
    assert.ok(Date.now() - start < 3000, `gave up after ${Date.now() - start} ms`);
  } finally {
    client.close();
    hole.close();
  }
});

test("the Lease does not wait behind the component's own requests (its client's rate limit and connections)", { timeout: 60_000 }, async () => {
  const c = await startTestCluster();
  // 1 request a second: 20 queued reads keep this client busy for ~20 s
  const client = new KubeClient(c.kubeconfig, { qps: 1, burst: 1 });
  const le = new LeaderElector(client, { name: 'busy', namespace: 'default', identity: 'me', renewDeadlineMs: 2_000 }, { onStartedLeading: () => {}, onStoppedLeading: () => {} });
  const backlog = Array.from({ length: 20 }, () => client.request('GET', '/api/v1/namespaces/default').catch(() => undefined));
  try {
    await new Promise((r) => setTimeout(r, 100));
    const start = Date.now();
    assert.equal(await le.tryAcquireOrRenew(), true);
    assert.equal(await le.tryAcquireOrRenew(), true, 'renewed');
    assert.ok(Date.now() - start < 2_000, `taking and renewing the Lease took ${Date.now() - start} ms behind the backlog`);
  } finally {
    await le.stop();
    client.close();
    await Promise.all(backlog);
    await c.close();
  }
});
