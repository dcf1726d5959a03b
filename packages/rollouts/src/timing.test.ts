import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { demoRollout, World } from './sim.js';
import { SCALE_DOWN_DEADLINE_ANNOTATION } from './types.js';

// The API stores times with second resolution, so a pause that starts at 12:00:00.900 is stored as
// 12:00:00 and ends (upstream and the next reconcile count from the stored time) at 12:00:02. The
// requeue must come at that end, not 2 s after 12:00:00.900 (0.9 s late).
describe('a timed wait ends when its stored start says, not up to a second later', () => {
  it('canary pause: the requeue counts from the stored startTime', () => {
    const w = new World(demoRollout({ strategy: { canary: { steps: [{ pause: { duration: 2 } }, { pause: { duration: 2 } }] } } }));
    w.run();
    w.setTemplateImage('argoproj/rollouts-demo:yellow');
    w.now = new Date('2026-01-01T00:01:00.900Z');
    const p = w.tick();
    assert.equal(p.status.pauseConditions?.[0]?.startTime, '2026-01-01T00:01:00Z');
    assert.equal(p.requeueAfterMs, 1100, 'the pause ends at 00:01:02, 1.1 s after 00:01:00.900');
    // the requeue fires at the stored end: the step is done then
    w.now = new Date(w.now.getTime() + p.requeueAfterMs!);
    const q = w.tick();
    assert.equal(q.status.currentStepIndex, 1);
    assert.equal(q.status.pauseConditions?.[0]?.startTime, '2026-01-01T00:01:02Z');
    assert.equal(q.requeueAfterMs, 2000);
  });

  it('blue-green autoPromotionSeconds: the requeue counts from the stored startTime', () => {
    const w = new World(demoRollout({ strategy: { blueGreen: { activeService: 'active', autoPromotionSeconds: 3 } } }));
    w.services.set('active', { metadata: { name: 'active', namespace: 'default' }, spec: { selector: { app: 'rollouts-demo' } } } as never);
    w.run();
    w.setTemplateImage('argoproj/rollouts-demo:yellow');
    w.now = new Date('2026-01-01T00:01:00.700Z');
    let p = w.tick();
    for (let i = 0; i < 20 && !p.status.pauseConditions?.length; i++) p = w.tick();
    const start = p.status.pauseConditions?.find((c) => c.reason === 'BlueGreenPause')?.startTime;
    assert.ok(start, 'paused before promotion');
    assert.equal(p.requeueAfterMs, Date.parse(start!) + 3000 - w.now.getTime());
    assert.equal(p.requeueAfterMs, 2300);
  });

  it('scaleDownDelaySeconds: the deadline and the requeue agree', () => {
    const w = new World(demoRollout({ strategy: { blueGreen: { activeService: 'active', scaleDownDelaySeconds: 30 } } }));
    w.services.set('active', { metadata: { name: 'active', namespace: 'default' }, spec: { selector: { app: 'rollouts-demo' } } } as never);
    w.run();
    w.setTemplateImage('argoproj/rollouts-demo:yellow');
    w.now = new Date('2026-01-01T00:01:00.600Z');
    let p = w.tick();
    for (let i = 0; i < 20 && !p.annotate.some((a) => a.annotations[SCALE_DOWN_DEADLINE_ANNOTATION]); i++) p = w.tick();
    const a = p.annotate.find((x) => x.annotations[SCALE_DOWN_DEADLINE_ANNOTATION]);
    assert.ok(a, 'the old ReplicaSet got a scale-down deadline');
    assert.equal(p.requeueAfterMs, Date.parse(a!.annotations[SCALE_DOWN_DEADLINE_ANNOTATION]!) - w.now.getTime());
  });
});
