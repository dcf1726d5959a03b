/**
 * Restart safety: a new agent on the same data dir re-adopts running containers (same
 * processes, same container IDs, logs continue), records what ended while it was away, and
 * removes what belongs to pods deleted meanwhile. Stopping the agent normally leaves nothing.
 */
import { Informer, R } from '@flotilla/kube-runtime';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startApiServer } from '@flotilla/apiserver';
import { cond, createPod, cstatus, deletePod, getPod, kubeletGet, podManifest, podWhere, procsWith, startEnv, waitFor, type Env } from './testutil.js';

let env: Env;
const uniq = () => Math.random().toString(36).slice(2, 10);
const sorted = (a: number[]) => [...a].sort((x, y) => x - y);

describe('agent restart', { timeout: 120_000 }, () => {
  before(async () => {
    env = await startEnv();
  });
  after(async () => {
    await env?.close();
  });

  it('re-adopts running pods without duplicating them, and picks up what happened meanwhile', async () => {
    const ns = 'adopt';
    const m = `adopt-${uniq()}`;
    const g = `gone-${uniq()}`;
    await createPod(
      env.api,
      ns,
      podManifest('keep', {
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', `i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.1; done # ${m}`], readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1 } }],
      }),
    );
    await createPod(env.api, ns, podManifest('ends', { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'sleep 1; echo bye; exit 3'] }] }));
    await createPod(env.api, ns, podManifest('deleted', { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', `exec sleep 3600 # ${g}`] }] }));
    const before = await podWhere(env.api, ns, 'keep', (p) => cond(p, 'Ready') === 'True', 'Ready');
    await podWhere(env.api, ns, 'ends', (p) => p.status?.phase === 'Running', 'Running');
    const deleted = await podWhere(env.api, ns, 'deleted', (p) => p.status?.phase === 'Running', 'Running');
    const pids = sorted(procsWith(m));
    assert.ok(pids.length >= 2, `processes of the pod: ${pids}`);
    assert.ok(procsWith(g).length >= 1);

    await env.agent.stop({ keepPods: true });
    assert.deepEqual(sorted(procsWith(m)), pids, 'the processes survive the agent');
    // meanwhile: one pod finishes, one is removed from the API
    await env.api.delete(R.pods, ns, 'deleted', { gracePeriodSeconds: 0 });
    await new Promise((r) => setTimeout(r, 1500));
    await env.restartAgent(true);

    const after = await podWhere(env.api, ns, 'keep', (p) => cond(p, 'Ready') === 'True', 'Ready after the restart');
    assert.equal(cstatus(after).containerID, cstatus(before).containerID);
    assert.equal(cstatus(after).restartCount, 0);
    assert.equal(after.status.podIP, before.status.podIP);
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(sorted(procsWith(m)), pids, 'no duplicate process');
    const logs = (await kubeletGet(env, `/containerLogs/${ns}/keep/c`)).body.trim().split('\n');
    const n = logs.map((l) => Number(l.split(' ')[1]));
    assert.deepEqual(n, n.map((_, i) => i + 1), 'the log continues without gaps or repeats');

    const ends = await podWhere(env.api, ns, 'ends', (p) => p.status?.phase === 'Failed', 'Failed');
    assert.equal(cstatus(ends).state.terminated.exitCode, 3);
    assert.equal((await kubeletGet(env, `/containerLogs/${ns}/ends/c`)).body, 'bye\n');

    await waitFor('the deleted pod leaves nothing', () => procsWith(g).length === 0 && !existsSync(join(env.agentOpts.dataDir, 'pods', deleted.metadata.uid)), 5000);

    await deletePod(env.api, ns, 'keep');
    await waitFor('keep deleted', async () => !(await getPod(env.api, ns, 'keep')));
    await waitFor('no process left', () => procsWith(m).length === 0, 5000);
  });

  it('stopping the agent stops its pods; the next agent restarts them per restartPolicy', async () => {
    const ns = 'stop';
    const m = `stop-${uniq()}`;
    await createPod(env.api, ns, podManifest('p', { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', `exec sleep 3600 # ${m}`] }] }));
    await podWhere(env.api, ns, 'p', (p) => p.status?.phase === 'Running', 'Running');
    assert.ok(procsWith(m).length > 0);
    await env.agent.stop();
    await waitFor('processes stopped with the agent', () => procsWith(m).length === 0, 5000);
    await env.restartAgent(true);
    const p = await podWhere(env.api, ns, 'p', (p) => cstatus(p)?.restartCount === 1 && !!cstatus(p)?.state?.running, 'restarted');
    assert.ok(cstatus(p).lastState.terminated);
    assert.ok(procsWith(m).length > 0);
    await deletePod(env.api, ns, 'p', 0);
    await waitFor('no process left', () => procsWith(m).length === 0, 5000);
  });

  /**
   * A ready pod, its processes ended by `away` while no agent runs, a new agent: returns every
   * status the API held from the restart until the container ran and was ready again, after
   * checking the first one — the old container ended and not ready, the pod not Ready, still Running.
   */
  async function staleAfterRestart(ns: string, away: (marker: string) => Promise<void>): Promise<{ seen: any[]; oldID: string }> {
    const m = `${ns}-${uniq()}`;
    // (a probe that a loaded machine cannot fail: the test is about the restart, and a readiness probe that timed out
    // while the machine was busy had written Ready=False before the agent stopped)
    await createPod(env.api, ns, podManifest('p', { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', `exec sleep 3600 # ${m}`], readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1, timeoutSeconds: 30, failureThreshold: 30 } }] }));
    const oldID = cstatus(await podWhere(env.api, ns, 'p', (p) => cond(p, 'Ready') === 'True', 'Ready')).containerID;
    const seen: any[] = [];
    const watch = new Informer(env.api, R.pods, { namespace: ns });
    const saw = (o: any) => void (o.metadata?.name === 'p' && seen.push(o.status));
    watch.on({ update: (_old, o) => saw(o), add: saw });
    watch.start();
    await watch.synced;
    let restarted = false;
    try {
      await away(m);
      await waitFor('processes gone', () => procsWith(m).length === 0, 5000);
      // the API still says Running 1/1
      assert.equal(cond(await getPod(env.api, ns, 'p'), 'Ready'), 'True');
      seen.length = 0;
      restarted = true;
      await env.restartAgent(true);
      await podWhere(env.api, ns, 'p', (p) => cstatus(p)?.restartCount === 1 && cond(p, 'Ready') === 'True', 'running and ready again');
    } finally {
      watch.stop();
      // a failure before the restart must not leave the other tests without an agent
      if (!restarted) await env.restartAgent(true).catch(() => {});
    }
    const first = seen[0];
    const c0 = first.containerStatuses[0];
    assert.equal(c0.ready, false, JSON.stringify(first));
    assert.ok(c0.state.terminated || c0.state.waiting, `container state: ${JSON.stringify(c0.state)}`);
    assert.equal((c0.state.terminated ?? c0.lastState.terminated).containerID, oldID);
    assert.equal(c0.restartCount, 0);
    assert.equal(first.phase, 'Running');
    assert.equal(first.conditions.find((c: any) => c.type === 'Ready').status, 'False');
    assert.equal(first.conditions.find((c: any) => c.type === 'ContainersReady').status, 'False');
    // never Ready while the container did not run
    for (const st of seen) {
      const c = st.containerStatuses[0];
      if (st.conditions.find((x: any) => x.type === 'Ready').status === 'True') assert.ok(c.state.running && c.ready && c.containerID !== oldID, JSON.stringify(st));
    }
    assert.equal(cstatus(await getPod(env.api, ns, 'p')).lastState.terminated.containerID, oldID);
    await deletePod(env.api, ns, 'p', 0);
    await waitFor('no process left', () => procsWith(m).length === 0, 5000);
    return { seen, oldID };
  }

  it('marks pods whose processes are gone not ready as soon as the new agent starts, until they run again', async () => {
    // the agent goes away (a restart of `flotilla up`): its pods' processes end with it
    await staleAfterRestart('stale', () => env.agent.stop());
  });

  it('a pod whose processes died while no agent ran is shown not ready before it is restarted', async () => {
    await staleAfterRestart('died', async (m) => {
      await env.agent.stop({ keepPods: true });
      // a crash of the machine, say: the processes are gone without anyone recording it
      for (const pid of procsWith(m)) process.kill(pid, 'SIGKILL');
    });
  });

  it('rides out an API server restart: watches resume, status keeps flowing', async () => {
    const ns = 'apirestart';
    await createPod(env.api, ns, podManifest('before', { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] }));
    await podWhere(env.api, ns, 'before', (p) => cond(p, 'Ready') === 'True', 'Ready');
    const port = env.server.port;
    await env.server.close();
    await new Promise((r) => setTimeout(r, 300));
    env.server = await startApiServer({ dataDir: join(env.dir, 'data'), port });
    await createPod(env.api, ns, podManifest('after', { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['echo', 'hi'] }] }));
    const p = await podWhere(env.api, ns, 'after', (p) => p.status?.phase === 'Succeeded', 'Succeeded', 20_000);
    assert.equal(cstatus(p).state.terminated.exitCode, 0);
    await deletePod(env.api, ns, 'before');
    await waitFor('deleted through the new server', async () => !(await getPod(env.api, ns, 'before')), 15_000);
  });
});
