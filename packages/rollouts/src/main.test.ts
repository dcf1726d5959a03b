/**
 * rollouts-controller's entry point in-process against a real API server (no pods run there): flags,
 * the ReplicaSet it creates for a Rollout, the status it writes, InvalidSpec for a bad Rollout while
 * the good one keeps being served, and /metrics with upstream's metric names.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { KubeClient, R } from '@flotilla/kube-runtime';
import { startTestCluster, waitFor, type TestCluster } from '@flotilla/kube-runtime/testkit';
import { parseArgs, startControllers, type Running } from './main.js';
import { ROLLOUTS } from './resources.js';

const MANIFEST = fileURLToPath(new URL('../../../manifests/argo-rollouts/install.yaml', import.meta.url));

describe('rollouts-controller on a real API server', () => {
  let c: TestCluster;
  let running: Running;
  let client: KubeClient;
  before(async () => {
    c = await startTestCluster({ prefix: 'flotilla-ro-main-' });
    await c.k(['create', 'namespace', 'argo-rollouts']);
    await c.k(['apply', '-n', 'argo-rollouts', '-f', MANIFEST]);
    await waitFor('CRDs served', async () => (await c.kubectl(['get', 'rollouts'])).code === 0, 30_000, 200);
    const cfg = parseArgs(['--kubeconfig', c.kubeconfig, '--metricsport', '0', '--healthzPort', '-1', '--metrics-host', '127.0.0.1', '--instance-id', 'x', '--loglevel=debug']);
    assert.deepEqual(cfg.ignored, ['instance-id']);
    running = await startControllers(cfg, { log: () => {} });
    client = new KubeClient(c.kubeconfig);
  });
  after(async () => {
    await running?.stop();
    client?.close();
    await c?.close();
  });

  const rollout = (name: string, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name, namespace: 'default' },
    spec: { replicas: 3, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'argoproj/rollouts-demo:blue' }] } }, strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }] } }, ...extra },
  });

  it('creates the ReplicaSet <rollout>-<hash> owned by the Rollout and writes the status', async () => {
    await client.create(ROLLOUTS, 'default', rollout('good') as never);
    const ro = await waitFor('status', async () => {
      const r = await client.get<any>(ROLLOUTS, 'default', 'good');
      return r.status?.currentPodHash ? r : undefined;
    }, 20_000, 100);
    const rs = await client.get<any>(R.replicasets, 'default', `good-${ro.status.currentPodHash}`);
    assert.equal(rs.spec.replicas, 3);
    assert.equal(rs.metadata.ownerReferences[0].kind, 'Rollout');
    assert.equal(rs.spec.selector.matchLabels['rollouts-pod-template-hash'], ro.status.currentPodHash);
    assert.equal(rs.metadata.annotations['rollout.argoproj.io/revision'], '1');
    assert.equal(ro.status.phase, 'Progressing');
    assert.equal(ro.status.observedGeneration, '1');
    assert.equal(ro.status.selector, 'app=good');
  });

  it('a bad Rollout gets InvalidSpec and Degraded; the other keeps being served', async () => {
    const bad = rollout('bad');
    (bad.spec.strategy.canary.steps[0] as { setWeight: number }).setWeight = 120;
    await client.create(ROLLOUTS, 'default', bad as never);
    const ro = await waitFor('InvalidSpec', async () => {
      const r = await client.get<any>(ROLLOUTS, 'default', 'bad');
      return r.status?.phase ? r : undefined;
    }, 20_000, 100);
    assert.equal(ro.status.phase, 'Degraded');
    assert.equal(ro.status.message, 'InvalidSpec: The Rollout "bad" is invalid: spec.strategy.canary.steps[0].setWeight: Invalid value: 120: SetWeight needs to be between 0 and 100');
    assert.equal((await client.list(R.replicasets, 'default')).items.filter((x) => x.metadata?.name?.startsWith('bad-')).length, 0);
    await client.patch(ROLLOUTS, 'default', 'good', { spec: { replicas: 4 } }, 'merge');
    await waitFor('good scaled', async () => (await client.list<any>(R.replicasets, 'default')).items.some((x) => x.metadata.name.startsWith('good-') && x.spec.replicas === 4), 20_000, 100);
  });

  it('a timed pause ends on time, counted from its stored startTime, without re-reading the Rollout it just wrote', async () => {
    const steps = [{ pause: { duration: 2 } }, { pause: { duration: 2 } }];
    await client.create(ROLLOUTS, 'default', rollout('timed', { strategy: { canary: { steps } } }) as never);
    await waitFor('a stable revision', async () => !!(await client.get<any>(ROLLOUTS, 'default', 'timed')).status?.stableRS, 20_000, 100);
    // the controller's own requests for this Rollout, as they leave its client (a spy, the requests still go)
    const cc = (running.rollouts as unknown as { ctx: { client: KubeClient } }).ctx.client;
    const calls: string[] = [];
    const origGet = cc.get.bind(cc);
    cc.get = ((r: { plural?: string }, ns: string, name: string, ...rest: unknown[]) => {
      if (r.plural === 'rollouts' && name === 'timed') calls.push(`get ${Date.now()}`);
      return (origGet as any)(r, ns, name, ...rest);
    }) as never;
    try {
      await client.patch(ROLLOUTS, 'default', 'timed', [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'argoproj/rollouts-demo:yellow' }], 'json');
      const first = await waitFor('first pause', async () => {
        const r = await client.get<any>(ROLLOUTS, 'default', 'timed');
        return r.status?.currentPodHash !== r.status?.stableRS && r.status?.pauseConditions?.[0]?.startTime ? r : undefined;
      }, 20_000, 20);
      const end = Date.parse(first.status.pauseConditions[0].startTime) + 2000;
      const since = Date.now();
      await waitFor('second step', async () => ((await client.get<any>(ROLLOUTS, 'default', 'timed')).status?.currentStepIndex ?? 0) >= 1, 5_000, 10);
      const late = Date.now() - end;
      assert.ok(late < 800, `the step came ${late} ms after the stored pause end`);
      // the pause's end looked at the ReplicaSets and wrote the status; the Rollout in the cache was the one it wrote
      assert.deepEqual(calls.filter((x) => Number(x.split(' ')[1]) >= since), [], 'no GET of the Rollout for the pause end');
    } finally {
      cc.get = origGet as never;
    }
  });

  it('/metrics: rollout_info and the reconcile histogram', async () => {
    const text = await waitFor('metrics', async () => {
      const t = await (await fetch(`${running.metrics!.url}/metrics`)).text();
      return /rollout_info\{namespace="default",name="bad"/.test(t) ? t : undefined;
    }, 10_000, 200);
    assert.match(text, /rollout_info\{namespace="default",name="good",strategy="canary",traffic_router="",phase="Progressing"\} 1/);
    assert.match(text, /rollout_info\{namespace="default",name="bad",strategy="canary",traffic_router="",phase="Degraded"\} 1/);
    assert.match(text, /rollout_info_replicas_desired\{namespace="default",name="good"\} 4/);
    assert.match(text, /rollout_reconcile_count\{namespace="default",name="good"\} \d+/);
    assert.match(text, /controller_runtime_reconcile_total\{controller="rollouts-controller"/);
    assert.equal((await fetch(`${running.metrics!.url}/healthz`)).status, 200);
  });

  it('with --leader-elect, a standby replica (another holds the lease) is ready and does not reconcile', async () => {
    const now = new Date().toISOString().replace(/\.\d+Z$/, '.000000Z');
    await client.create(R.leases, 'argo-rollouts', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'argo-rollouts-controller-lock', namespace: 'argo-rollouts' }, spec: { holderIdentity: 'the-leader', leaseDurationSeconds: 3600, acquireTime: now, renewTime: now } } as never);
    // its own process: the metrics registry is per process
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const main = fileURLToPath(new URL('../../cli/dist/main.js', import.meta.url));
    const child = spawn(process.execPath, [main, 'rollouts-controller', '--kubeconfig', c.kubeconfig, '--metricsport', String(port), '--healthzPort', '-1', '--metrics-host', '127.0.0.1', '--leader-elect', '--namespace', 'argo-rollouts'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr!.on('data', (d) => (log += d));
    try {
      const status = await waitFor('the standby answers /readyz', async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status, 20_000, 200);
      assert.equal(status, 200, log);
      assert.doesNotMatch(log, /controller started/);
    } finally {
      // a child still running would keep this file's process alive (its stderr pipe): SIGKILL after 10 s
      const exited = new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
      child.stderr!.destroy();
    }
  });
});
