import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Batches } from './batches.js';

test('Batches: what arrives during a run goes into the next one, at most max a run; a failed run does not stop the next', async () => {
  const runs: number[][] = [];
  let release!: () => void;
  const b = new Batches<number>(async (batch) => {
    runs.push(batch);
    if (batch[0] === 0) await new Promise<void>((r) => (release = r));
    if (batch[0] === 3) throw new Error('boom');
  }, 2);
  b.add(0); // runs at once, alone
  for (const n of [1, 2, 3, 4, 5]) b.add(n); // wait for the first run
  assert.deepEqual(runs, [[0]]);
  release();
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(runs, [[0], [1, 2], [3, 4], [5]]);
  b.add(6); // idle again: runs at once
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(runs.at(-1), [6]);
});
