/**
 * Without bubblewrap (sandbox "none"): plain processes in a per-pod directory, mount paths
 * rewritten in command, args, env and workingDir, a warning at start.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cond, create, createPod, cstatus, deletePod, ensureNamespace, getPod, kubeletGet, podManifest, podWhere, procsWith, startEnv, waitFor, type Env } from './testutil.js';

let env: Env;
const uniq = () => Math.random().toString(36).slice(2, 10);
const done = (p: any) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

describe('node agent without a sandbox', { concurrency: true, timeout: 60_000 }, () => {
  before(async () => {
    env = await startEnv({ sandbox: 'none' });
  });
  after(async () => {
    await env?.close();
  });

  it('warns that pods run unsandboxed', () => {
    assert.equal(env.agent.sandbox, 'none');
    assert.ok(env.logs.some((l) => /WARNING: .*plain processes without isolation/.test(l)));
  });

  it('runs pods with volumes reachable through rewritten paths', async () => {
    const ns = 'plain';
    await ensureNamespace(env.api, ns);
    await create(env.api, `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { key: 'value' } });
    await createPod(
      env.api,
      ns,
      podManifest('p', {
        restartPolicy: 'Never',
        volumes: [
          { name: 'cfg', configMap: { name: 'cfg' } },
          { name: 'work', emptyDir: {} },
        ],
        containers: [
          {
            name: 'c',
            image: 'busybox',
            workingDir: '/work',
            env: [{ name: 'CONF', value: '/etc/config/key' }],
            command: ['sh', '-c', 'cat /etc/config/key; echo; cat "$CONF"; echo; echo data > out.txt; cat /work/out.txt'],
            volumeMounts: [
              { name: 'cfg', mountPath: '/etc/config' },
              { name: 'work', mountPath: '/work' },
            ],
          },
        ],
      }),
    );
    const p = await podWhere(env.api, ns, 'p', done, 'completion');
    const out = (await kubeletGet(env, `/containerLogs/${ns}/p/c`)).body;
    assert.equal(p.status.phase, 'Succeeded', out);
    assert.equal(out, 'value\nvalue\ndata\n');
  });

  it('an argument or variable with a NUL in it is cut there, as a container runtime passes C strings (not a StartError)', async () => {
    const ns = 'plainnul';
    await createPod(env.api, ns, podManifest('nul', { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', env: [{ name: 'V', value: 'ab\u0000cd' }], command: ['sh', '-c', 'echo "[$1] [$V]"', 'sh', 'hello \u0000world'] }] }));
    const p = await podWhere(env.api, ns, 'nul', done, 'completion');
    const out = (await kubeletGet(env, `/containerLogs/${ns}/nul/c`)).body;
    assert.equal(p.status.phase, 'Succeeded', JSON.stringify(p.status.containerStatuses));
    assert.equal(out, '[hello ] [ab]\n');
  });

  it('probes, restarts and deletion work; nothing is left behind', async () => {
    const ns = 'plain2';
    const m = `plain-${uniq()}`;
    await createPod(
      env.api,
      ns,
      podManifest('r', {
        terminationGracePeriodSeconds: 5,
        volumes: [{ name: 'w', emptyDir: {} }],
        containers: [
          {
            name: 'c',
            image: 'busybox',
            command: ['sh', '-c', `touch /w/ready; sleep 3600 & wait # ${m}`],
            volumeMounts: [{ name: 'w', mountPath: '/w' }],
            readinessProbe: { exec: { command: ['cat', '/w/ready'] }, periodSeconds: 1 },
          },
        ],
      }),
    );
    await createPod(env.api, ns, podManifest('crash', { containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'exit 1'] }] }));
    await podWhere(env.api, ns, 'r', (p) => cond(p, 'Ready') === 'True', 'Ready');
    assert.ok(procsWith(m).length >= 2, 'the shell and its background sleep');
    await podWhere(env.api, ns, 'crash', (p) => cstatus(p)?.restartCount >= 1, 'restarted');
    await deletePod(env.api, ns, 'r');
    await deletePod(env.api, ns, 'crash');
    await waitFor('pods gone', async () => !(await getPod(env.api, ns, 'r')) && !(await getPod(env.api, ns, 'crash')), 10_000);
    await waitFor('no process left', () => procsWith(m).length === 0, 5000);
  });
});
