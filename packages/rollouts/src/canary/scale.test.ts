import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { routedCounts } from './plan.js';
import { withAntiAffinity } from '../affinity.js';
import { newReplicaSet } from '../controller.js';
import { demoRollout, World } from '../sim.js';
import type { Rollout } from '../types.js';

describe('replica counts with a traffic router', () => {
  it('the stable set stays at full size by default', () => assert.deepEqual(routedCounts(5, 20, undefined, {}), { canary: 1, stable: 5 }));
  it('dynamicStableScale: the stable set keeps the stable share (rounded up)', () => {
    assert.deepEqual(routedCounts(5, 20, undefined, { dynamicStableScale: true }), { canary: 1, stable: 4 });
    assert.deepEqual(routedCounts(5, 50, undefined, { dynamicStableScale: true }), { canary: 3, stable: 3 });
    assert.deepEqual(routedCounts(5, 100, undefined, { dynamicStableScale: true }), { canary: 5, stable: 0 });
  });
  it('minPodsPerReplicaSet: the least a set taking traffic runs; not for an explicit setCanaryScale', () => {
    assert.deepEqual(routedCounts(5, 20, undefined, { minPodsPerReplicaSet: 2 }), { canary: 2, stable: 5 });
    assert.deepEqual(routedCounts(5, 0, undefined, { minPodsPerReplicaSet: 2 }), { canary: 0, stable: 5 });
    assert.deepEqual(routedCounts(5, 90, undefined, { minPodsPerReplicaSet: 2, dynamicStableScale: true }), { canary: 5, stable: 2 });
    assert.deepEqual(routedCounts(5, 20, { replicas: 1 }, { minPodsPerReplicaSet: 3 }), { canary: 1, stable: 5 });
  });
  it('without a router: replica weights', () => assert.deepEqual(routedCounts(5, 20, undefined, undefined), { canary: 1, stable: 4 }));
});

function routedWorld(extra: Record<string, unknown> = {}): World {
  const r: Rollout = demoRollout();
  Object.assign(r.spec.strategy!.canary!, { canaryService: 'canary', stableService: 'stable', trafficRouting: { nginx: { stableIngress: 'web' } }, ...extra });
  const w = new World(r);
  for (const n of ['canary', 'stable']) w.services.set(n, { metadata: { name: n }, spec: { selector: { app: 'rollouts-demo' } } });
  w.run();
  w.setTemplateImage('argoproj/rollouts-demo:yellow');
  return w;
}

describe('canary with a traffic router through the steps', () => {
  it('dynamicStableScale: the stable set shrinks as the weight grows; at the end the old set is at 0 at once', () => {
    const w = routedWorld({ dynamicStableScale: true });
    w.run();
    assert.deepEqual(w.byImage(), { blue: 4, yellow: 1 });
    w.patchStatus({ pauseConditions: null });
    w.run(3);
    assert.deepEqual(w.byImage(), { blue: 3, yellow: 2 }, 'step 3: 40 %');
    const p = w.run(40, 11);
    assert.equal(p.status.stableRS, p.newHash);
    assert.deepEqual(w.byImage(), { yellow: 5 });
  });
  it('abort: weight 0, the stable set at full size, the canary scaled down after abortScaleDownDelaySeconds (30)', () => {
    const w = routedWorld();
    w.run();
    assert.deepEqual(w.byImage(), { blue: 5, yellow: 1 });
    w.patchStatus({ abort: true });
    let p = w.run();
    assert.deepEqual(p.traffic, { weight: 0 });
    assert.equal(p.status.phase, 'Degraded');
    assert.deepEqual(w.byImage(), { blue: 5, yellow: 1 }, 'canary kept during the delay');
    p = w.run(3, 31);
    assert.deepEqual(w.byImage(), { blue: 5 });
    // retry: the canary comes back and its pending scale-down is off
    w.patchStatus({ abort: null });
    p = w.run();
    assert.deepEqual(w.byImage(), { blue: 5, yellow: 1 });
    assert.equal(p.status.currentStepIndex, 1);
  });
  it('abortScaleDownDelaySeconds: 0 leaves the canary running; with dynamicStableScale the stable set is back at full size', () => {
    const w = routedWorld({ abortScaleDownDelaySeconds: 0, dynamicStableScale: true });
    w.run();
    w.patchStatus({ abort: true });
    w.run(3, 100);
    assert.deepEqual(w.byImage(), { blue: 5, yellow: 1 });
  });
  it('without a router an abort is immediate (replica weights)', () => {
    const w = new World(demoRollout());
    w.run();
    w.setTemplateImage('argoproj/rollouts-demo:yellow');
    w.run();
    w.patchStatus({ abort: true });
    w.run();
    assert.deepEqual(w.byImage(), { blue: 5 });
  });
});

describe('blue-green abort', () => {
  for (const [delay, left] of [[undefined, { blue: 5 }], [0, { blue: 5, green: 5 }]] as const) {
    it(`abortScaleDownDelaySeconds ${delay ?? 'unset (30)'}: ${JSON.stringify(left)} 100 s after the abort`, () => {
      const r = demoRollout({ strategy: { blueGreen: { activeService: 'active', previewService: 'preview', autoPromotionEnabled: false, ...(delay !== undefined ? { abortScaleDownDelaySeconds: delay } : {}) } } });
      const w = new World(r);
      for (const n of ['active', 'preview']) w.services.set(n, { metadata: { name: n }, spec: { selector: { app: 'rollouts-demo' } } });
      w.run();
      w.setTemplateImage('argoproj/rollouts-demo:green');
      w.run();
      w.patchStatus({ abort: true });
      w.run();
      assert.deepEqual(w.byImage(), { blue: 5, green: 5 });
      w.run(5, 25);
      assert.deepEqual(w.byImage(), left);
    });
  }
});

describe('scaleDownDelayRevisionLimit', () => {
  const twoUpdates = (limit?: number) => {
    const r = demoRollout({ revisionHistoryLimit: 10, strategy: { blueGreen: { activeService: 'active', previewService: 'preview', scaleDownDelaySeconds: 60, ...(limit !== undefined ? { scaleDownDelayRevisionLimit: limit } : {}) } } });
    const w = new World(r);
    for (const n of ['active', 'preview']) w.services.set(n, { metadata: { name: n }, spec: { selector: { app: 'rollouts-demo' } } });
    w.run();
    for (const c of ['green', 'red']) {
      w.setTemplateImage(`argoproj/rollouts-demo:${c}`);
      w.run(20, 1);
    }
    return w.byImage();
  };
  it('unset: every old active set waits for its delay', () => assert.deepEqual(twoUpdates(), { blue: 5, green: 5, red: 5 }));
  it('1: only the newest old set waits; older ones go at once', () => assert.deepEqual(twoUpdates(1), { green: 5, red: 5 }));
  it('0: none waits', () => assert.deepEqual(twoUpdates(0), { red: 5 }));
  it('canary with a router: the same limit', () => {
    const r: Rollout = demoRollout({ revisionHistoryLimit: 10 });
    Object.assign(r.spec.strategy!.canary!, { steps: [], scaleDownDelayRevisionLimit: 1, canaryService: 'canary', stableService: 'stable', trafficRouting: { nginx: { stableIngress: 'web' } }, scaleDownDelaySeconds: 60 });
    const w = new World(r);
    for (const n of ['canary', 'stable']) w.services.set(n, { metadata: { name: n }, spec: { selector: { app: 'rollouts-demo' } } });
    w.run();
    for (const c of ['green', 'red']) {
      w.setTemplateImage(`argoproj/rollouts-demo:${c}`);
      w.run(20, 1);
    }
    assert.deepEqual(w.byImage(), { green: 5, red: 5 });
  });
});

describe('antiAffinity', () => {
  it('the new ReplicaSet of an update avoids the stable pods\' nodes (required, or preferred with its weight); not on the first deploy', () => {
    const r: Rollout = demoRollout();
    Object.assign(r.spec.strategy!.canary!, { antiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: { weight: 7 } } });
    const w = new World(r);
    const first = w.tick();
    assert.equal(first.create!.antiAffinityTo, undefined);
    const stable = w.run().status.stableRS!;
    w.setTemplateImage('argoproj/rollouts-demo:yellow');
    const p = w.tick();
    assert.equal(p.create!.antiAffinityTo, stable);
    const rs = newReplicaSet(w.ro, p.newHash, 1, 2, p.create!.antiAffinityTo);
    const term = { labelSelector: { matchExpressions: [{ key: 'rollouts-pod-template-hash', operator: 'In', values: [stable] }] }, topologyKey: 'kubernetes.io/hostname' };
    assert.deepEqual((rs.spec.template as any).spec.affinity.podAntiAffinity, { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 7, podAffinityTerm: term }] });
    assert.equal(w.run().status.phase, 'Paused');
  });
  it('required: added to the template\'s own terms', () => {
    const own = { labelSelector: { matchLabels: { x: 'y' } }, topologyKey: 'zone' };
    const spec = withAntiAffinity({ containers: [], affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [own] } } }, { requiredDuringSchedulingIgnoredDuringExecution: {} }, 'abc');
    assert.equal(spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution.length, 2);
    assert.deepEqual(spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[1].labelSelector.matchExpressions[0].values, ['abc']);
    assert.deepEqual(withAntiAffinity({ containers: [] }, undefined, 'abc'), { containers: [] });
  });
});
