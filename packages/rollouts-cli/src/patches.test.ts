import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promotePatches, setImage, undoTemplate, restartPatch } from './patches.js';
import { lintRollout } from './lint.js';
import { demoRollout, pausedScene } from './fixtures.js';

test('promote: what upstream patches, by rollout state', () => {
  const paused = demoRollout();
  const cases: [string, any, any, any][] = [
    ['paused at a pause step → clear pauseConditions', paused, {}, { status: { pauseConditions: null } }],
    ['--full with an update in progress → promoteFull', paused, { full: true }, { status: { promoteFull: true } }],
    ['--full when healthy → nothing', demoRollout({ status: { currentPodHash: 'a', stableRS: 'a', currentStepIndex: 8 } }), { full: true }, {}],
    ['spec.paused → unpause spec too', { ...paused, spec: { ...paused.spec, paused: true } }, {}, { spec: { paused: false }, status: { pauseConditions: null } }],
    ['canary not paused → next step', demoRollout({ status: { currentStepIndex: 2, currentPodHash: 'b', stableRS: 'a' } }), {}, { status: { currentStepIndex: 3 } }],
    ['--skip-current-step', paused, { skipCurrentStep: true }, { status: { pauseConditions: null, currentStepIndex: 2 } }],
    ['--skip-all-steps', paused, { skipAllSteps: true }, { status: { currentStepIndex: 8 } }],
    [
      'inconclusive analysis pause → clear controllerPause and go on',
      demoRollout({ status: { currentStepIndex: 3, controllerPause: true, pauseConditions: [{ reason: 'InconclusiveAnalysisRun' }] } }),
      {},
      { status: { pauseConditions: null, controllerPause: false, currentStepIndex: 4 } },
    ],
  ];
  for (const [what, ro, opts, want] of cases) assert.deepEqual(promotePatches(ro, opts), want, what);
});

test('set image replaces the named container (or *), errors on an unknown one as upstream', () => {
  const ro = demoRollout({ color: 'blue' });
  const out = setImage(ro, 'rollouts-demo', 'argoproj/rollouts-demo:yellow');
  assert.equal(out.spec.template.spec.containers[0].image, 'argoproj/rollouts-demo:yellow');
  assert.equal(ro.spec.template.spec.containers[0].image, 'argoproj/rollouts-demo:blue', 'input not changed');
  assert.equal(setImage(ro, '*', 'x:1').spec.template.spec.containers[0].image, 'x:1');
  assert.throws(() => setImage(ro, 'nope', 'x:1'), /unable to find container named "nope"/);
});

test('undo takes the previous (or given) revision template without the hash label', () => {
  const s = pausedScene();
  const { template, revision } = undoTemplate(s.ro, s.replicaSets);
  assert.equal(revision, 1);
  assert.equal(template.spec.containers[0].image, 'argoproj/rollouts-demo:blue');
  assert.equal(template.metadata.labels['rollouts-pod-template-hash'], undefined);
  assert.equal(undoTemplate(s.ro, s.replicaSets, 2).template.spec.containers[0].image, 'argoproj/rollouts-demo:yellow');
  assert.throws(() => undoTemplate(s.ro, s.replicaSets, 7), /unable to find specified revision 7 in history/);
});

test('restart sets spec.restartAt (RFC 3339, seconds)', () => {
  assert.deepEqual(restartPatch(new Date('2026-12-05T10:00:00.123Z')), { spec: { restartAt: '2026-12-05T10:00:00Z' } });
});

test('lint: a valid rollout passes; bad steps, both strategies, selector mismatch are reported', () => {
  assert.deepEqual(lintRollout(demoRollout()), []);
  const bad = demoRollout();
  bad.spec.strategy = { canary: { steps: [{ setWeight: 120 }, { pause: {}, setWeight: 1 }, { bogus: 1 }] }, blueGreen: { activeService: 'a' } };
  bad.spec.selector = { matchLabels: { app: 'other' } };
  const errs = lintRollout(bad).join('\n');
  assert.match(errs, /steps\[0\]\.setWeight: Invalid value: 120: SetWeight needs to be between 0 and 100/);
  assert.match(errs, /steps\[1\]: Invalid value: Step must have one of/);
  assert.match(errs, /steps\[2\]: Invalid value: unknown field "bogus"/);
  assert.match(errs, /Multiple Strategies can not be listed/);
  assert.match(errs, /selector does not match template labels/);
});

test('lint: setHeaderRoute names a managed route; setMirrorRoute is refused (the controller checks)', () => {
  const ro = demoRollout();
  ro.spec.strategy = { canary: { canaryService: 'c', stableService: 's', trafficRouting: { nginx: { stableIngress: 'web' }, managedRoutes: [{ name: 'h1' }] }, steps: [{ setHeaderRoute: { name: 'h1', match: [{ headerName: 'X', headerValue: { exact: 'y' } }] } }] } };
  assert.deepEqual(lintRollout(ro), []);
  ro.spec.strategy.canary.steps = [{ setHeaderRoute: { name: 'h2', match: [{ headerName: 'X', headerValue: { exact: 'y' } }] } }];
  assert.match(lintRollout(ro).join('\n'), /steps\[0\]\.setHeaderRoute\.name: Invalid value: "h2": route "h2" is not listed in spec\.strategy\.canary\.trafficRouting\.managedRoutes/);
  ro.spec.strategy.canary.steps = [{ setMirrorRoute: { name: 'h1', percentage: 10 } }];
  assert.match(lintRollout(ro).join('\n'), /setMirrorRoute: .*SetMirrorRoute requires TrafficRouting with Istio/);
});

test('lint: experiment template weight needs traffic routing and is refused with nginx (the controller checks)', () => {
  const ro = demoRollout();
  ro.spec.strategy = { canary: { steps: [{ setWeight: 10 }, { experiment: { templates: [{ name: 'canary', specRef: 'canary', weight: 10 }] } }] } };
  assert.match(lintRollout(ro).join('\n'), /steps\[1\]\.experiment\.templates\[0\]\.weight: Invalid value: 10: Experiment template weight cannot be set unless TrafficRouting is enabled/);
  Object.assign(ro.spec.strategy.canary, { canaryService: 'c', stableService: 's', trafficRouting: { nginx: { stableIngress: 'web' } } });
  assert.match(lintRollout(ro).join('\n'), /weight: Invalid value: 10: .*the nginx router cannot send it/);
  delete ro.spec.strategy.canary.steps[1].experiment.templates[0].weight;
  assert.deepEqual(lintRollout(ro), []);
});
