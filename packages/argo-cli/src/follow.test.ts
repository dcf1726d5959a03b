/** --watch on a terminal (redrawn in place, every event and every second) and on a pipe (appended at each change of state). */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Workflow } from '@flotilla/workflows-controller';
import type { Backend } from './backend.js';
import { io } from '@flotilla/cli-kit/io';
import { waitWorkflows, watchWorkflow } from './follow.js';

process.env.TZ = 'UTC';
const saved = { ...io };
afterEach(() => {
  Object.assign(io, saved);
  delete process.env.FORCE_COLOR;
});

const wf = (phase: string, progress: string, rv: string): Workflow =>
  ({ metadata: { name: 'w', namespace: 'ns', creationTimestamp: '2026-12-05T10:00:00Z', resourceVersion: rv }, spec: {}, status: { phase, progress, startedAt: '2026-12-05T10:00:00Z', ...(phase === 'Succeeded' ? { finishedAt: '2026-12-05T10:00:05Z' } : {}) } }) as unknown as Workflow;

/** A backend whose workflow goes through these states (the thing under test is the printing, not the API). */
function states(list: Workflow[]): Backend {
  return {
    watchWorkflow: async (_ns: string, _name: string, onWf: (w: Workflow) => boolean | void) => {
      for (const w of list) if (onWf(w)) return;
    },
  } as unknown as Backend;
}

function capture(): () => string {
  let out = '';
  io.out = (s: string) => void (out += s);
  return () => out;
}

describe('watch', () => {
  it('on a pipe: each change of state appended once (a resourceVersion bump alone writes nothing); the shown state not repeated', async () => {
    const out = capture();
    const last = await watchWorkflow(states([wf('Running', '0/1', '1'), wf('Running', '0/1', '2'), wf('Succeeded', '1/1', '3')]), 'ns', 'w', {}, wf('', '', '0'));
    assert.equal(last.status?.phase, 'Succeeded');
    // a blank line after the view submit printed, then the views
    assert.ok(out().startsWith('\nName: '), out());
    const views = out().slice(1).split(/\n(?=Name: )/);
    assert.equal(views.length, 2, out());
    assert.match(views[0], /^Name: {16}w\n[^]*Status: {14}Running\n/);
    assert.match(views[1], /Status: {14}Succeeded\n/);
    assert.ok(!out().includes('\x1b['), 'no escapes on a pipe');
  });

  it('on a terminal: the screen cleared and redrawn for every state, colours on', async () => {
    process.env.FORCE_COLOR = '1';
    const out = capture();
    await watchWorkflow(states([wf('Running', '0/1', '1'), wf('Running', '0/1', '2'), wf('Succeeded', '1/1', '3')]), 'ns', 'w');
    assert.equal(out().split('\x1b[H\x1b[2J').length - 1, 3);
    assert.match(out(), /\x1b\[H\x1b\[2JName: {16}w\n[^]*Status: {14}Succeeded\n[^]*$/);
  });

  it('wait: one line per workflow, false unless all Succeeded', async () => {
    const out = capture();
    assert.equal(await waitWorkflows(states([wf('Running', '0/1', '1'), wf('Succeeded', '1/1', '2')]), 'ns', ['w']), true);
    assert.equal(out(), 'w Succeeded at 2026-12-05 10:00:05 +0000 UTC\n');
    assert.equal(await waitWorkflows(states([wf('Failed', '0/1', '1')]), 'ns', ['w'], { quiet: true }), false);
  });
});
