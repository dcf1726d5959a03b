import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { desiredCounts, stepScales, weightAt } from './canary/plan.js';
import { validate } from './common.js';
import { demoRollout, World } from './sim.js';
import { planRollout } from './plan.js';
import { canaryIngress } from './canary/nginx.js';
import { resolveWorkloadRef, workloadReplicas } from './workloadref.js';
import { HASH_LABEL, rsView, type ReplicaSet } from './types.js';

const rs = (replicas: number, available = replicas): ReturnType<typeof rsView> => rsView({ metadata: { name: `r${Math.random()}` }, spec: { replicas }, status: { replicas, availableReplicas: available } } as ReplicaSet);

describe('canary weights without a traffic router', () => {
  for (const [R, w, canary, stable] of [
    [5, 20, 1, 4],
    [5, 40, 2, 3],
    [5, 50, 3, 2],
    [5, 100, 5, 0],
    [5, 0, 0, 5],
    [10, 33, 4, 6],
    [1, 20, 1, 0],
  ] as const) {
    it(`${w} % of ${R}: ${canary} canary, ${stable} stable`, () => assert.deepEqual(desiredCounts(R, w), { canary, stable }));
  }
  it('setCanaryScale replicas overrides the canary count, not the stable one', () => assert.deepEqual(desiredCounts(5, 20, { replicas: 3 }), { canary: 3, stable: 4 }));
  it('the weight in force at a step is the last setWeight up to it', () => {
    const steps = demoRollout().spec.strategy!.canary!.steps!;
    assert.deepEqual([0, 1, 2, 3, 7, 8].map((i) => weightAt(steps, i).weight), [20, 20, 40, 40, 80, 100]);
  });
});

describe('maxSurge / maxUnavailable bound each scaling', () => {
  for (const [name, R, surge, unav, cur, want, out] of [
    ['20 % of 5 from all stable', 5, 2, 1, { c: [0, 0], s: [5, 5] }, { canary: 1, stable: 4 }, { canary: 1, stable: 4 }],
    ['no surge: stable first', 5, 0, 1, { c: [0, 0], s: [5, 5] }, { canary: 1, stable: 4 }, { canary: 0, stable: 4 }],
    ['unavailable canary holds the stable', 4, 1, 0, { c: [2, 0], s: [3, 3] }, { canary: 2, stable: 2 }, { canary: 2, stable: 3 }],
    ['abort: stable back up, canary down', 5, 2, 1, { c: [2, 2], s: [3, 3] }, { canary: 0, stable: 5 }, { canary: 0, stable: 5 }],
  ] as const) {
    it(name, () => {
      const r = stepScales(R, surge, unav, { canary: rs(cur.c[0], cur.c[1]), stable: rs(cur.s[0], cur.s[1]), others: [] }, want);
      assert.deepEqual({ canary: r.canary, stable: r.stable }, out);
    });
  }
});

describe('InvalidSpec', () => {
  const cases: [string, (r: ReturnType<typeof demoRollout>) => void, RegExp][] = [
    ['weight > 100', (r) => (r.spec.strategy!.canary!.steps![0].setWeight = 120), /steps\[0\]\.setWeight: Invalid value: 120: SetWeight needs to be between 0 and 100/],
    ['both strategies', (r) => (r.spec.strategy!.blueGreen = { activeService: 'a' }), /Multiple Strategies can not be listed/],
    ['selector does not match', (r) => (r.spec.selector = { matchLabels: { app: 'other' } }), /`selector` does not match template `labels`/],
    ['unknown step field', (r) => ((r.spec.strategy!.canary!.steps![1] as Record<string, unknown>).setWait = 3), /steps\[1\]: Invalid value: "setWait": unknown step field/],
    ['unsupported router', (r) => Object.assign(r.spec.strategy!.canary!, { canaryService: 'c', stableService: 's', trafficRouting: { istio: {} } }), /not available in this installation/],
  ];
  for (const [name, mut, re] of cases) {
    it(name, () => {
      const r = demoRollout();
      mut(r);
      assert.match(validate(r) ?? '', re);
      const w = new World(r);
      const p = w.tick();
      assert.equal(p.status.phase, 'Degraded');
      assert.match(p.status.message!, /^InvalidSpec: The Rollout "rollouts-demo" is invalid: /);
      assert.equal(p.create, undefined);
      assert.ok(p.status.conditions!.some((c) => c.type === 'InvalidSpec' && c.status === 'True'));
    });
  }
  it('a missing Service named by the strategy', () => {
    const r = demoRollout();
    r.spec.strategy!.canary!.canaryService = 'nope';
    assert.match(validate(r, { nope: undefined }) ?? '', /service "nope" not found/);
    assert.equal(validate(r, {}), undefined);
  });
  it('the demo rollout is valid', () => assert.equal(validate(demoRollout()), undefined));
});

describe("the seed journey's canary, reconcile by reconcile", () => {
  it('blue to 100 % at once, yellow paused at 1 of 5, promote through timed pauses, red aborted, yellow again a rollback', () => {
    const w = new World(demoRollout());
    let p = w.run();
    assert.equal(p.status.phase, 'Healthy');
    assert.equal(p.status.currentStepIndex, 8);
    assert.equal(p.status.stableRS, p.newHash);
    assert.equal(p.status.observedGeneration, '1');
    assert.equal(p.status.availableReplicas, 5);
    assert.deepEqual(w.byImage(), { blue: 5 });
    const blue = p.newHash;

    w.setTemplateImage('argoproj/rollouts-demo:yellow');
    p = w.run();
    assert.equal(p.status.phase, 'Paused');
    assert.equal(p.status.message, 'CanaryPauseStep');
    assert.equal(p.status.currentStepIndex, 1);
    assert.equal(p.status.stableRS, blue);
    assert.equal(p.status.pauseConditions![0].reason, 'CanaryPauseStep');
    assert.equal(p.status.controllerPause, true);
    assert.deepEqual(w.byImage(), { blue: 4, yellow: 1 });
    assert.equal(p.status.canary!.weights!.canary.weight, 20);
    assert.equal(p.status.observedGeneration, '2');
    const yellow = p.newHash;
    // nothing happens while paused, however long
    p = w.run(5, 3600);
    assert.equal(p.status.currentStepIndex, 1);

    // promote: the plugin clears the pause conditions
    w.patchStatus({ pauseConditions: null });
    p = w.run();
    assert.equal(p.status.phase, 'Paused');
    assert.equal(p.status.currentStepIndex, 3);
    assert.deepEqual(w.byImage(), { blue: 3, yellow: 2 });
    assert.ok(p.requeueAfterMs! > 9000 && p.requeueAfterMs! <= 10_000, `requeue ${p.requeueAfterMs}`);
    w.tick(5);
    p = w.run();
    assert.equal(p.status.currentStepIndex, 3, 'still in the 10 s pause after 5 s');
    p = w.tick(6);
    p = w.run();
    assert.equal(p.status.currentStepIndex, 5);
    assert.deepEqual(w.byImage(), { blue: 2, yellow: 3 });
    p = w.tick(11);
    p = w.run();
    assert.equal(p.status.currentStepIndex, 7);
    assert.deepEqual(w.byImage(), { blue: 1, yellow: 4 });
    p = w.tick(11);
    p = w.run();
    assert.equal(p.status.phase, 'Healthy');
    assert.equal(p.status.currentStepIndex, 8);
    assert.equal(p.status.stableRS, yellow);
    assert.deepEqual(w.byImage(), { yellow: 5 });

    // red, then abort
    w.setTemplateImage('argoproj/rollouts-demo:red');
    p = w.run();
    assert.deepEqual(w.byImage(), { yellow: 4, red: 1 });
    w.patchStatus({ abort: true });
    p = w.run();
    assert.equal(p.status.phase, 'Degraded');
    assert.equal(p.status.message, 'RolloutAborted: Rollout aborted update to revision 3');
    assert.equal(p.status.currentStepIndex, 0);
    assert.equal(p.status.canary!.weights!.canary.weight, 0);
    assert.deepEqual(w.byImage(), { yellow: 5 });
    const count = w.rs.size;

    // yellow again: the stable template, a rollback
    w.setTemplateImage('argoproj/rollouts-demo:yellow');
    p = w.tick();
    assert.equal(p.create, undefined, 'no new ReplicaSet');
    assert.equal(p.status.phase, 'Healthy');
    assert.equal(p.status.currentStepIndex, 8);
    assert.equal(p.status.abort, undefined);
    assert.equal(w.rs.size, count);
    assert.equal(w.rs.get(`rollouts-demo-${yellow}`)!.metadata.annotations!['rollout.argoproj.io/revision'], '4');
    // revisionHistoryLimit 2: blue and red are kept (two idle), nothing more
    assert.equal(w.rs.size, 3);
  });

  it('promote --full skips the remaining steps', () => {
    const w = new World(demoRollout());
    w.run();
    w.setTemplateImage('argoproj/rollouts-demo:green');
    w.run();
    w.patchStatus({ promoteFull: true });
    const p = w.run();
    assert.equal(p.status.phase, 'Healthy');
    assert.deepEqual(w.byImage(), { green: 5 });
    assert.equal(p.status.promoteFull, undefined);
  });

  it('canary and stable Services get the hashes', () => {
    const r = demoRollout();
    Object.assign(r.spec.strategy!.canary!, { canaryService: 'c', stableService: 's' });
    const w = new World(r);
    w.services.set('c', { metadata: { name: 'c' }, spec: { selector: { app: 'rollouts-demo' } } });
    w.services.set('s', { metadata: { name: 's' }, spec: { selector: { app: 'rollouts-demo' } } });
    const blue = w.run().newHash;
    assert.equal(w.services.get('c')!.spec!.selector![HASH_LABEL], blue);
    w.setTemplateImage('argoproj/rollouts-demo:yellow');
    const yellow = w.run().newHash;
    assert.equal(w.services.get('c')!.spec!.selector![HASH_LABEL], yellow);
    assert.equal(w.services.get('s')!.spec!.selector![HASH_LABEL], blue);
  });

  it('a step analysis: success moves on, failure aborts with the run message', () => {
    const r = demoRollout();
    r.spec.strategy!.canary!.steps = [{ setWeight: 40 }, { analysis: { templates: [{ templateName: 't' }] } }, { setWeight: 80 }];
    const w = new World(r);
    w.run();
    w.setTemplateImage('argoproj/rollouts-demo:yellow');
    let p = w.run();
    assert.equal(p.status.currentStepIndex, 1);
    assert.equal(p.status.phase, 'Progressing');
    const run = [...w.runs.values()][0];
    run.status = { phase: 'Successful' };
    p = w.run();
    assert.equal(p.status.phase, 'Healthy');
    w.setTemplateImage('argoproj/rollouts-demo:red');
    w.run();
    const run2 = [...w.runs.values()].find((x) => x.status?.phase === 'Running')!;
    run2.status = { phase: 'Failed', message: 'Metric "x" assessed Failed due to failed (1) > failureLimit (0)' };
    p = w.run();
    assert.equal(p.status.phase, 'Degraded');
    assert.match(p.status.message!, /^RolloutAborted: Rollout aborted update to revision 3: Metric "x" assessed Failed/);
    assert.deepEqual(w.byImage(), { yellow: 5 });
  });

  it('progressDeadlineSeconds: no progress for that long is Degraded', () => {
    const r = demoRollout({ progressDeadlineSeconds: 30 });
    const w = new World(r);
    w.run();
    w.setTemplateImage('argoproj/rollouts-demo:yellow');
    w.tick();
    // pods never become available
    const stuck = () => {
      for (const x of w.rs.values()) x.status = { replicas: x.spec.replicas, availableReplicas: x.metadata.name!.endsWith(w.last!.newHash) ? 0 : x.spec.replicas };
    };
    (w as unknown as { settle: () => void }).settle = stuck;
    let p = w.tick(10);
    assert.equal(p.status.phase, 'Progressing');
    p = w.tick(31);
    assert.equal(p.status.phase, 'Degraded');
    assert.match(p.status.message!, /^ProgressDeadlineExceeded: ReplicaSet "rollouts-demo-\w+" has timed out progressing\./);
  });
});

describe('blue-green', () => {
  const bg = (b: Record<string, unknown> = {}) => {
    const r = demoRollout({ strategy: { blueGreen: { activeService: 'active', previewService: 'preview', ...b } } });
    const w = new World(r);
    for (const n of ['active', 'preview']) w.services.set(n, { metadata: { name: n }, spec: { selector: { app: 'rollouts-demo' } } });
    return w;
  };
  const sel = (w: World, s: string) => w.services.get(s)!.spec!.selector![HASH_LABEL];

  it('manual promotion: preview first, pause, then the active Service cuts over and the old set goes after the delay', () => {
    const w = bg({ autoPromotionEnabled: false, scaleDownDelaySeconds: 30 });
    let p = w.run();
    const blue = p.newHash;
    assert.equal(p.status.phase, 'Healthy');
    assert.equal(sel(w, 'active'), blue);
    w.setTemplateImage('argoproj/rollouts-demo:green');
    p = w.run();
    const green = p.newHash;
    assert.equal(p.status.phase, 'Paused');
    assert.equal(p.status.message, 'BlueGreenPause');
    assert.equal(sel(w, 'active'), blue);
    assert.equal(sel(w, 'preview'), green);
    assert.deepEqual(w.byImage(), { blue: 5, green: 5 });
    w.patchStatus({ pauseConditions: null });
    p = w.run();
    assert.equal(p.status.phase, 'Healthy');
    assert.equal(sel(w, 'active'), green);
    assert.equal(p.status.stableRS, green);
    assert.deepEqual(w.byImage(), { blue: 5, green: 5 }, 'old set kept during scaleDownDelaySeconds');
    w.run(3, 31);
    assert.deepEqual(w.byImage(), { green: 5 });
  });

  it('previewReplicaCount and autoPromotionSeconds', () => {
    const w = bg({ previewReplicaCount: 1, autoPromotionSeconds: 20 });
    w.run();
    w.setTemplateImage('argoproj/rollouts-demo:green');
    let p = w.run();
    assert.equal(p.status.phase, 'Paused');
    assert.deepEqual(w.byImage(), { blue: 5, green: 1 });
    p = w.run(5, 21);
    assert.equal(sel(w, 'active'), p.newHash);
    assert.equal(p.status.phase, 'Healthy');
  });

  it('a failed pre-promotion analysis aborts: active unchanged, preview back on stable', () => {
    const w = bg({ prePromotionAnalysis: { templates: [{ templateName: 't' }] } });
    const blue = w.run().newHash;
    w.setTemplateImage('argoproj/rollouts-demo:green');
    let p = w.run();
    assert.equal(p.status.blueGreen!.prePromotionAnalysisRunStatus!.status, 'Running');
    [...w.runs.values()][0].status = { phase: 'Failed', message: 'failed' };
    p = w.run();
    assert.equal(p.status.phase, 'Degraded');
    assert.match(p.status.message!, /^RolloutAborted: Rollout aborted update to revision 2/);
    assert.equal(sel(w, 'active'), blue);
    assert.equal(sel(w, 'preview'), blue);
    w.run(3, 31);
    assert.deepEqual(w.byImage(), { blue: 5 });
  });
});

describe('restartAt', () => {
  it('evicts pods created before restartAt one at a time, then records restartedAt', () => {
    const w = new World(demoRollout());
    w.run();
    const now = w.now.getTime();
    const ro = { ...w.ro, spec: { ...w.ro.spec, restartAt: new Date(now - 1000).toISOString() } };
    const pod = (name: string, createdAgo: number, ready = true) => ({ metadata: { name, creationTimestamp: new Date(now - createdAgo).toISOString() }, status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } });
    const input = (pods: ReturnType<typeof pod>[]) => ({ rollout: ro, replicaSets: [...w.rs.values()], services: {}, pods, now: w.now });
    let p = planRollout(input([pod('a', 5000), pod('b', 5000), pod('c', 5000), pod('d', 5000), pod('e', 5000)]));
    assert.deepEqual(p.restartPods, ['a']);
    p = planRollout(input([pod('b', 5000), pod('c', 5000), pod('d', 5000), pod('e', 5000), pod('f', 10, false)]));
    assert.deepEqual(p.restartPods, [], 'waits while a pod is unavailable');
    p = planRollout(input([pod('f', 10), pod('g', 10), pod('h', 10), pod('i', 10), pod('j', 10)]));
    assert.deepEqual(p.restartPods, []);
    assert.equal(p.status.restartedAt, ro.spec.restartAt);
    const future = planRollout({ ...input([pod('a', 5000)]), rollout: { ...ro, spec: { ...ro.spec, restartAt: new Date(now + 60_000).toISOString() } } });
    assert.deepEqual(future.restartPods, []);
    assert.ok(future.requeueAfterMs! <= 60_000);
  });
});

describe('nginx traffic routing', () => {
  const routedRollout = () => {
    const r = demoRollout();
    Object.assign(r.spec.strategy!.canary!, { canaryService: 'canary', stableService: 'stable', trafficRouting: { nginx: { stableIngress: 'web', additionalIngressAnnotations: { 'canary-by-header': 'X-Canary' } } } });
    return r;
  };
  it('the stable ReplicaSet stays at full size; the canary Ingress weight follows setWeight; promotion scales the old set down after the delay', () => {
    const w = new World(routedRollout());
    for (const n of ['canary', 'stable']) w.services.set(n, { metadata: { name: n }, spec: { selector: { app: 'rollouts-demo' } } });
    w.run();
    w.setTemplateImage('argoproj/rollouts-demo:yellow');
    let p = w.run();
    assert.equal(p.status.currentStepIndex, 1);
    assert.deepEqual(p.traffic, { weight: 20 });
    assert.deepEqual(w.byImage(), { blue: 5, yellow: 1 });
    assert.equal(p.status.canary!.weights!.canary.weight, 20);
    w.patchStatus({ promoteFull: true });
    p = w.run();
    assert.equal(p.status.stableRS, p.newHash);
    assert.deepEqual(p.traffic, { weight: 0 });
    assert.deepEqual(w.byImage(), { blue: 5, yellow: 5 }, 'old stable kept for scaleDownDelaySeconds');
    w.run(3, 31);
    assert.deepEqual(w.byImage(), { yellow: 5 });
  });
  it('the canary Ingress: the stable rules on the canary Service, canary and weight annotations, owned by the Rollout', () => {
    const ro = routedRollout();
    ro.metadata.uid = 'u1';
    const stable = { metadata: { name: 'web', annotations: { 'nginx.ingress.kubernetes.io/rewrite-target': '/', 'kubernetes.io/ingress.class': 'nginx' } }, spec: { ingressClassName: 'nginx', rules: [{ host: 'demo.local', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'stable', port: { number: 80 } } } }] } }] } };
    const ing = canaryIngress(ro, stable, 20);
    assert.equal(ing.metadata.name, 'rollouts-demo-web-canary');
    assert.equal(ing.spec.rules[0].http.paths[0].backend.service.name, 'canary');
    assert.deepEqual(ing.metadata.annotations, { 'nginx.ingress.kubernetes.io/rewrite-target': '/', 'nginx.ingress.kubernetes.io/canary-by-header': 'X-Canary', 'nginx.ingress.kubernetes.io/canary': 'true', 'nginx.ingress.kubernetes.io/canary-weight': '20' });
    assert.equal((ing.metadata as { ownerReferences: { uid: string }[] }).ownerReferences[0].uid, 'u1');
    assert.throws(() => canaryIngress(ro, { metadata: { name: 'web' }, spec: { rules: [] } }, 5), /has no rules using service stable backend/);
  });
});

describe('a canary experiment step', () => {
  it('starts an Experiment, waits for it, moves on when it succeeds, aborts when it fails', () => {
    const r = demoRollout();
    r.spec.strategy!.canary!.steps = [{ setWeight: 20 }, { experiment: { duration: '1m', templates: [{ name: 'canary', specRef: 'canary' }] } }, { setWeight: 60 }];
    const w = new World(r);
    w.run();
    w.setTemplateImage('argoproj/rollouts-demo:yellow');
    let p = w.run();
    assert.equal(p.status.currentStepIndex, 1);
    assert.equal(p.experiments.length, 1);
    const name = p.experiments[0].name;
    assert.equal(name, `rollouts-demo-${p.newHash}-1`);
    const ex = { metadata: { name }, status: { phase: 'Running' } };
    p = planRollout({ rollout: w.ro, replicaSets: [...w.rs.values()], services: {}, experiments: [ex], now: w.now });
    assert.equal(p.status.currentStepIndex, 1);
    p = planRollout({ rollout: w.ro, replicaSets: [...w.rs.values()], services: {}, experiments: [{ ...ex, status: { phase: 'Successful' } }], now: w.now });
    assert.equal(p.status.currentStepIndex, 2, 'on to setWeight 60');
    assert.ok(p.scale.some((x) => x.name === `rollouts-demo-${p.newHash}` && x.replicas === 3), 'the canary scales towards 3 of 5');
    p = planRollout({ rollout: w.ro, replicaSets: [...w.rs.values()], services: {}, experiments: [{ ...ex, status: { phase: 'Failed', message: 'bad' } }], now: w.now });
    assert.equal(p.status.abort, true);
    assert.equal(p.status.phase, 'Degraded');
  });
});

describe('workloadRef', () => {
  it('takes the template and selector from the Deployment; scaleDown modes', () => {
    const r = demoRollout();
    const tpl = r.spec.template;
    r.spec.template = undefined;
    r.spec.workloadRef = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', scaleDown: 'progressively' };
    const resolved = resolveWorkloadRef(r, (n) => (n === 'web' ? { spec: { template: tpl } } : undefined));
    assert.deepEqual(resolved.spec.template, tpl);
    assert.equal(validate(resolved), undefined);
    assert.equal(workloadReplicas(r, 'Progressing', 2), 3);
    assert.equal(workloadReplicas({ ...r, spec: { ...r.spec, workloadRef: { name: 'web', scaleDown: 'onsuccess' } } }, 'Progressing', 5), undefined);
    assert.equal(workloadReplicas({ ...r, spec: { ...r.spec, workloadRef: { name: 'web', scaleDown: 'onsuccess' } } }, 'Healthy', 5), 0);
    assert.equal(workloadReplicas({ ...r, spec: { ...r.spec, workloadRef: { name: 'web' } } }, 'Healthy', 5), undefined);
  });
});

describe('pause (spec.paused)', () => {
  it('holds the update where it is, "manually paused"; unpausing goes on', () => {
    const w = new World(demoRollout());
    w.run();
    w.setTemplateImage('argoproj/rollouts-demo:yellow');
    w.run();
    w.patchStatus({ pauseConditions: null });
    w.ro = { ...w.ro, spec: { ...w.ro.spec, paused: true } };
    let p = w.run();
    assert.equal(p.status.phase, 'Paused');
    assert.equal(p.status.message, 'manually paused');
    assert.equal(p.status.currentStepIndex, 1, 'the promote waits for the unpause');
    assert.deepEqual(w.byImage(), { blue: 4, yellow: 1 });
    w.ro = { ...w.ro, spec: { ...w.ro.spec, paused: false } };
    p = w.run();
    assert.equal(p.status.currentStepIndex, 3);
    assert.deepEqual(w.byImage(), { blue: 3, yellow: 2 });
  });
});
