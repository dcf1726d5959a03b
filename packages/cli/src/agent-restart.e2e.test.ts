/**
 * `flotilla up` starts its node agent again when the agent's process exits on its own (as a service manager
 * restarts a kubelet): after a kill -9 of the agent, the new one adopts the pod that kept running, serves its
 * logs, and runs new pods — driven with the real kubectl.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, kubectl as kubectlIn, startUp, stopUp, type Up } from './testkit.js';

let dir: string;
let up: Up;

const kubectl = (args: string[], opts: { timeoutMs?: number } = {}) => kubectlIn(dir, up.kubeconfig, args, opts);
async function ok(args: string[], opts: { timeoutMs?: number } = {}): Promise<string> {
  const r = await kubectl(args, opts);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The pids of this `flotilla up`'s node agent processes. */
function agentPids(): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      if (cmd.some((a) => a.endsWith('agent-child.js')) && cmd.some((a) => a.includes(join(dir, 'data')))) out.push(Number(p));
    } catch {
      /* gone */
    }
  }
  return out;
}

describe('flotilla up: a node agent that exits is started again', { concurrency: false, timeout: 300_000 }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-agent-restart-'));
    up = await startUp(join(dir, 'data'), 120_000);
  });
  after(async () => {
    if (up) await stopUp(up, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('kill -9 of the agent: it comes back, adopts the running pod, serves its logs and runs new pods', async () => {
    await ok(['run', 'keeper', '--image=busybox', '--restart=Never', '--', 'sh', '-c', 'echo started; sleep 300']);
    await ok(['wait', 'pod/keeper', '--for=jsonpath={.status.phase}=Running', '--timeout=120s'], { timeoutMs: 130_000 });
    const id = (await ok(['get', 'pod', 'keeper', '-o', 'jsonpath={.status.containerStatuses[0].containerID}'])).trim();
    const [old] = agentPids();
    assert.ok(old, 'the node agent process is found');
    process.kill(old!, 'SIGKILL');
    await eventually('flotilla up to start the agent again', async () => (/the node agent is running again/.test(up.output()) ? true : undefined), 60_000);
    assert.match(up.output(), /the node agent exited \(signal SIGKILL\); starting it again in 1 s/);
    const now = agentPids();
    assert.equal(now.length, 1, `one agent process: ${now.join(', ')}`);
    assert.notEqual(now[0], old);
    // the pod kept running and was adopted: same container, no restart, its log through the new agent
    const pod = JSON.parse(await ok(['get', 'pod', 'keeper', '-o', 'json']));
    assert.equal(pod.status.phase, 'Running');
    assert.equal(pod.status.containerStatuses[0].containerID, id);
    assert.equal(pod.status.containerStatuses[0].restartCount, 0);
    assert.equal((await eventually('the log of the adopted pod', async () => {
      const r = await kubectl(['logs', 'keeper']);
      return r.code === 0 ? r.stdout : undefined;
    }, 30_000)), 'started\n');
    // and new pods run
    await ok(['run', 'after', '--image=busybox', '--restart=Never', '--', 'echo', 'back']);
    await ok(['wait', 'pod/after', '--for=jsonpath={.status.phase}=Succeeded', '--timeout=120s'], { timeoutMs: 130_000 });
    assert.equal(await ok(['logs', 'after']), 'back\n');
  });
});
