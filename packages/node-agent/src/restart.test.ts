/**
 * Restart safety: a new agent on the same data dir re-adopts running containers (same
 * processes, same container IDs, logs continue), records what ended while it was away, and
 * removes what belongs to pods deleted meanwhile. Stopping the agent normally leaves nothing.
 */
import { R } from '@flotilla/kube-runtime';
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
