/** The controller manager as processes: --leader-elect between two replicas, health and metrics, bad input. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { R } from '@flotilla/kube-runtime';
import { stopProcess, waitFor } from '@flotilla/kube-runtime/testkit';
import { startCluster } from './testkit.js';

const MANAGER = fileURLToPath(new URL('./manager.js', import.meta.url));

function manager(args: string[], id: string): { proc: ChildProcess; out: () => string; url: () => string | undefined } {
  const proc = spawn(process.execPath, [MANAGER, ...args], { env: { ...process.env, POD_NAME: id }, stdio: ['ignore', 'ignore', 'pipe'] });
  let out = '';
  proc.stderr!.on('data', (d) => (out += d));
  return { proc, out: () => out, url: () => /serving \/healthz \/readyz \/metrics on (http:\/\/\S+)/.exec(out)?.[1] };
}

const leading = async (url: string) => /leader_election_master_status\{name="flotilla-controller-manager"\} 1/.test(await (await fetch(`${url}/metrics`)).text());

test('controller manager: two replicas with --leader-elect, one acts; the other takes over; /healthz /readyz /metrics', async () => {
  const c = await startCluster();
  const args = ['--kubeconfig', c.kubeconfig, '--controllers', 'namespace-defaults', '--bind-address', '127.0.0.1:0', '--leader-elect', '--leader-elect-resource-namespace', 'default', '--leader-elect-lease-duration=2s', '--leader-elect-renew-deadline=1s', '--leader-elect-retry-period=200ms'];
  const a = manager(args, 'replica-a');
  const b = manager(args, 'replica-b');
  try {
    const [ua, ub] = await Promise.all([waitFor('a serving', a.url, 30_000), waitFor('b serving', b.url, 30_000)]);
    await waitFor('a leader', async () => (await leading(ua)) !== (await leading(ub)), 30_000);
    const [leader, follower, fu] = (await leading(ua)) ? [a, b, ub] : [b, a, ua];
    for (const u of [ua, ub]) {
      assert.equal((await fetch(`${u}/healthz`)).status, 200);
      await waitFor('ready', async () => (await fetch(`${u}/readyz`)).status === 200, 20_000);
    }
    const lease = await c.client.get(R.leases, 'default', 'flotilla-controller-manager');
    assert.equal((lease.spec as { holderIdentity?: string }).holderIdentity, leader === a ? 'replica-a' : 'replica-b', 'identity from POD_NAME');
    await stopProcess(leader.proc, 'SIGTERM');
    await waitFor('the follower leads', () => leading(fu), 20_000);
    await c.k(['create', 'namespace', 'after-handover']);
    await waitFor('the new leader acts', () => c.client.get(R.serviceaccounts, 'after-handover', 'default').catch(() => undefined), 20_000);
    assert.match(await (await fetch(`${fu}/metrics`)).text(), /controller_runtime_reconcile_total\{controller="namespace-defaults-controller",result="success"\} \d+/);
    void follower;
  } finally {
    await stopProcess(a.proc, 'SIGKILL');
    await stopProcess(b.proc, 'SIGKILL');
    await c.close();
  }
});

test('controller manager: a malformed kubeconfig is one clear error naming the file', async () => {
  const c = await startCluster();
  try {
    const bad = join(c.dir, 'bad-kubeconfig');
    writeFileSync(bad, 'clusters: [\n  - {');
    const m = manager(['--kubeconfig', bad, '--bind-address', '127.0.0.1:0'], 'x');
    const code = await new Promise<number | null>((r) => m.proc.on('exit', r));
    assert.equal(code, 1);
    assert.match(m.out(), new RegExp(`^controller-manager: kubeconfig ${bad}: not valid YAML`));
    assert.equal(m.out().trim().split('\n').length, 1, 'one line');
  } finally {
    await c.close();
  }
});
