/**
 * How a pod worker writes its status (pod-core.ts publish): the changes of a moment are one write of the
 * latest status, writes of one pod are STATUS_COALESCE_MS apart (STARTING_COALESCE_MS while it is Pending),
 * publishNow() does not wait.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeClient } from '@flotilla/kube-runtime';
import { PodCore, STARTING_COALESCE_MS, STATUS_COALESCE_MS } from './pod-core.js';
import type { AgentContext } from './pod-types.js';

interface Write { at: number; containers: string[] }

/** A pod worker with nothing but its status: the API is what records the writes (the worker is under test). */
class StatusOnly extends PodCore {
  protected async syncOnce(): Promise<void> {}
  protected restore(): void {}
  protected startProbes(): void {}
  protected probeTarget(): never {
    throw new Error('no probes');
  }
  protected async onExit(): Promise<void> {}
  pollAdopted(): void {}
  async kill(): Promise<void> {}
  async terminate(): Promise<void> {}
  /** the container moves to `state` (what an exit or a start does) */
  set(name: string, state: object): void {
    const c = this.byName.get(name)!;
    c.state = state as never;
    if (!('waiting' in state) && c.runs === 0) c.runs = 1;
    this.prepared = true;
    this.initDone = true;
  }
  /** the pod has its address, its init containers are running: Pending still */
  starting(): void {
    this.prepared = true;
  }
}

function worker(): { w: StatusOnly; writes: Write[] } {
  const writes: Write[] = [];
  const t0 = performance.now();
  const api = {
    patch: async (_r: unknown, _ns: string, _name: string, body: { status: { containerStatuses?: { name: string; state: object }[] } }) => {
      writes.push({ at: performance.now() - t0, containers: (body.status.containerStatuses ?? []).map((c) => `${c.name}:${Object.keys(c.state)[0]}`) });
      return undefined;
    },
  } as unknown as KubeClient;
  const ctx = { api, dataDir: mkdtempSync(join(tmpdir(), 'pod-publish-')), hostIP: '127.0.0.1', ipam: { allocate: () => '10.0.0.9', reserve: () => {} }, logMaxBytes: 1e6, logMaxFiles: 1, isCurrent: () => true } as unknown as AgentContext;
  const pod = { metadata: { uid: 'u1', namespace: 'ns', name: 'p' }, spec: { containers: [{ name: 'main', image: 'busybox' }, { name: 'wait', image: 'busybox' }] } };
  return { w: new StatusOnly(ctx, pod), writes };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('pod status writes', () => {
  it('changes within STATUS_COALESCE_MS are one write of the latest status', async () => {
    const { w, writes } = worker();
    w.set('main', { running: { startedAt: '2026-01-01T00:00:00Z' } });
    w.publish();
    w.set('wait', { running: { startedAt: '2026-01-01T00:00:00Z' } });
    w.publish();
    w.set('main', { terminated: { exitCode: 0, reason: 'Completed' } });
    w.publish();
    w.set('wait', { terminated: { exitCode: 0, reason: 'Completed' } });
    w.publish();
    await sleep(STATUS_COALESCE_MS * 3);
    assert.deepEqual(writes.map((x) => x.containers), [['main:terminated', 'wait:terminated']]);
    assert.ok(writes[0]!.at >= STATUS_COALESCE_MS - 5, `written after ${writes[0]!.at} ms`);
  });

  it('a change after a write waits STATUS_COALESCE_MS from it; publishNow() writes at once', async () => {
    const { w, writes } = worker();
    w.set('main', { running: { startedAt: '2026-01-01T00:00:00Z' } });
    w.set('wait', { running: { startedAt: '2026-01-01T00:00:00Z' } });
    w.publish();
    await sleep(STATUS_COALESCE_MS + 50);
    w.set('main', { terminated: { exitCode: 0, reason: 'Completed' } });
    w.publish();
    await sleep(STATUS_COALESCE_MS * 3);
    assert.equal(writes.length, 2);
    assert.ok(writes[1]!.at - writes[0]!.at >= STATUS_COALESCE_MS - 5, JSON.stringify(writes));
    w.set('wait', { terminated: { exitCode: 0, reason: 'Completed' } });
    w.publish();
    const t = performance.now();
    await w.publishNow();
    assert.ok(performance.now() - t < STATUS_COALESCE_MS, 'publishNow did not wait for the coalescing');
    assert.deepEqual(writes[2]!.containers, ['main:terminated', 'wait:terminated']);
    await sleep(STATUS_COALESCE_MS * 2);
    assert.equal(writes.length, 3, 'nothing left to write');
  });

  it('a pod still starting is written STARTING_COALESCE_MS after its first change, or with its start when that comes first', async () => {
    // Pending throughout: one write, a second after the first change
    const a = worker();
    a.w.starting();
    a.w.publish();
    await sleep(STATUS_COALESCE_MS * 2);
    a.w.publish();
    assert.equal(a.writes.length, 0, 'a Pending pod waits for the rest of its start');
    await sleep(STARTING_COALESCE_MS);
    assert.equal(a.writes.length, 1);
    assert.ok(a.writes[0]!.at >= STARTING_COALESCE_MS - 5, `written after ${a.writes[0]!.at} ms`);

    // starting, then running and done within the second: one write, STATUS_COALESCE_MS after the phase changed
    const b = worker();
    b.w.starting();
    b.w.publish();
    await sleep(STATUS_COALESCE_MS);
    b.w.set('main', { terminated: { exitCode: 0, reason: 'Completed' } });
    b.w.set('wait', { terminated: { exitCode: 0, reason: 'Completed' } });
    b.w.publish();
    await sleep(STATUS_COALESCE_MS * 2);
    assert.deepEqual(b.writes.map((x) => x.containers), [['main:terminated', 'wait:terminated']]);
    assert.ok(b.writes[0]!.at < STARTING_COALESCE_MS - 100, `the change of phase did not wait for the starting window: ${b.writes[0]!.at} ms`);
    await sleep(STARTING_COALESCE_MS);
    assert.equal(b.writes.length, 1, 'nothing left to write');
  });
});
