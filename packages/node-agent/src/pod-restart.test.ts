import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, errorBackoffDelay, wantsRestart } from './pod-restart.js';

describe('restart policy', () => {
  it('restarts per kind and policy, and nothing once the pod is stopping', () => {
    assert.equal(wantsRestart('regular', 'Always', 0, false), true);
    assert.equal(wantsRestart('regular', 'OnFailure', 0, false), false);
    assert.equal(wantsRestart('regular', 'OnFailure', 1, false), true);
    assert.equal(wantsRestart('regular', 'Never', 1, false), false);
    assert.equal(wantsRestart('init', 'Always', 0, false), false);
    assert.equal(wantsRestart('init', 'Always', 1, false), true);
    assert.equal(wantsRestart('init', 'Never', 1, false), false);
    assert.equal(wantsRestart('sidecar', 'Never', 0, false), true);
    assert.equal(wantsRestart('sidecar', 'Always', 1, true), false);
    assert.equal(wantsRestart('regular', 'Always', 1, true), false);
  });

  it('backs off exponentially up to the maximum', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((l) => backoffDelay(l, 10_000, 300_000)), [0, 10_000, 20_000, 40_000, 80_000, 160_000]);
    assert.equal(backoffDelay(9, 10_000, 300_000), 300_000);
    assert.deepEqual([0, 1, 2].map((l) => errorBackoffDelay(l, 100, 300_000)), [1000, 2000, 4000]);
    assert.equal(errorBackoffDelay(20, 10_000, 300_000), 300_000);
  });
});
