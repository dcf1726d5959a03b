import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { demoRollout, World } from './sim.js';

/** blue (revision 1) → yellow (2) → red (3, stable), each promoted fully */
function history(rollbackWindow?: { revisions: number }): World {
  const w = new World(demoRollout({ revisionHistoryLimit: 10, ...(rollbackWindow ? { rollbackWindow } : {}) }));
  w.run();
  for (const c of ['yellow', 'red']) {
    w.setTemplateImage(`argoproj/rollouts-demo:${c}`);
    w.run();
    w.patchStatus({ promoteFull: true });
    w.run();
  }
  assert.deepEqual(w.byImage(), { red: 5 });
  return w;
}

describe('rollbackWindow', () => {
  for (const [name, window, to, fast] of [
    ['unset: back to the previous revision runs the steps', undefined, 'yellow', false],
    ['revisions 1: the previous revision is a rollback (Healthy at once, steps skipped)', { revisions: 1 }, 'yellow', true],
    ['revisions 1: two revisions back runs the steps', { revisions: 1 }, 'blue', false],
    ['revisions 2: two revisions back is a rollback', { revisions: 2 }, 'blue', true],
  ] as const) {
    it(name, () => {
      const w = history(window);
      const rsBefore = w.rs.size;
      w.setTemplateImage(`argoproj/rollouts-demo:${to}`);
      const p = w.run();
      assert.equal(w.rs.size, rsBefore, 'no new ReplicaSet');
      if (fast) {
        assert.equal(p.status.phase, 'Healthy');
        assert.equal(p.status.stableRS, p.newHash);
        assert.equal(p.status.currentStepIndex, 8);
        assert.deepEqual(w.byImage(), { [to]: 5 });
      } else {
        assert.equal(p.status.phase, 'Paused');
        assert.equal(p.status.currentStepIndex, 1);
        assert.deepEqual(w.byImage(), { red: 4, [to]: 1 });
      }
    });
  }
});
