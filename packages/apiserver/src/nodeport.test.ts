import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { allocateNodePort } from './objects.js';

describe('node port allocation', () => {
  it('random in the dynamic band (30086-32767), not lowest-first: two clusters on one host rarely want the same port', () => {
    const firsts = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const p = allocateNodePort(new Set())!;
      assert.ok(p >= 30086 && p <= 32767, String(p));
      firsts.add(p);
    }
    // lowest-first gave 30000 to every cluster's first NodePort Service (CI: two `flotilla up`s collided on it)
    assert.ok(firsts.size > 40, `${firsts.size} distinct first ports in 50 clusters`);
  });

  it('skips used ports; the static band once the dynamic band is full; undefined when the range is full', () => {
    assert.equal(allocateNodePort(new Set([30086]), () => 0), 30087);
    const dynamicFull = new Set<number>();
    for (let p = 30086; p <= 32767; p++) dynamicFull.add(p);
    assert.equal(allocateNodePort(dynamicFull, () => 0), 30000);
    for (let p = 30000; p < 30086; p++) dynamicFull.add(p);
    assert.equal(allocateNodePort(dynamicFull), undefined);
  });
});
