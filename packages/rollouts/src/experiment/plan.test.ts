import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { experimentArgs, planExperiment, rsNameOf, templateHash, type Experiment } from './plan.js';
import { HASH_LABEL, type ReplicaSet } from '../types.js';
import { validate } from '../common.js';
import { experimentFor } from '../controller.js';
import { demoRollout, World } from '../sim.js';

const ex = (spec: Partial<Experiment['spec']> = {}, status?: Experiment['status']): Experiment => ({
  metadata: { name: 'ex', namespace: 'default', uid: 'u' },
  spec: { templates: [{ name: 'baseline', replicas: 1, selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'argoproj/rollouts-demo:blue' }] } } }], ...spec },
  status,
});
const rs = (e: Experiment, available: number): ReplicaSet[] => [{ metadata: { name: rsNameOf(e, e.spec.templates![0]) }, spec: { replicas: 1 }, status: { replicas: available, availableReplicas: available, readyReplicas: available } }];
const now = new Date('2026-01-01T00:00:00Z');

describe('Experiment plan', () => {
  it('Pending until its ReplicaSets are available, then Running with availableAt; Successful after the duration, scaled to 0', () => {
    const e = ex({ duration: '30s' });
    let p = planExperiment(e, [], [], now);
    assert.equal(p.status.phase, 'Pending');
    assert.deepEqual(p.replicaSets.map((r) => [r.exists, r.replicas]), [[false, 1]]);
    p = planExperiment(e, rs(e, 1), [], now);
    assert.equal(p.status.phase, 'Running');
    assert.equal(p.status.availableAt, '2026-01-01T00:00:00Z');
    assert.equal(p.requeueAfterMs, 30_000);
    p = planExperiment({ ...e, status: p.status }, rs(e, 1), [], new Date(now.getTime() + 31_000));
    assert.equal(p.status.phase, 'Successful');
    assert.deepEqual(p.replicaSets.map((r) => r.replicas), [0]);
  });
  it('analyses: a failed run fails the experiment; without a duration the required ones decide', () => {
    const e = ex({ analyses: [{ name: 'a1', templateName: 't' }] });
    let p = planExperiment(e, rs(e, 1), [], now);
    assert.deepEqual(p.runs, [{ name: 'ex-a1', analysis: 'a1' }]);
    p = planExperiment({ ...e, status: p.status }, rs(e, 1), [{ metadata: { name: 'ex-a1' }, status: { phase: 'Failed', message: 'bad' } }], now);
    assert.equal(p.status.phase, 'Failed');
    assert.match(p.status.message!, /analysis a1: bad/);
    p = planExperiment({ ...e, status: { availableAt: '2026-01-01T00:00:00Z', phase: 'Running' } }, rs(e, 1), [{ metadata: { name: 'ex-a1' }, status: { phase: 'Successful' } }], now);
    assert.equal(p.status.phase, 'Successful');
  });
  it('terminate ends it Successful and terminates running analyses', () => {
    const e = ex({ terminate: true, analyses: [{ name: 'a1', templateName: 't' }] });
    const p = planExperiment({ ...e, status: { phase: 'Running', availableAt: 'x' } }, rs(e, 1), [{ metadata: { name: 'ex-a1' }, status: { phase: 'Running' } }], now);
    assert.equal(p.status.phase, 'Successful');
    assert.deepEqual(p.terminateRuns, ['ex-a1']);
  });
  it('analysis args: {{templates.<name>.podTemplateHash}} and {{templates.<name>.replicaset.name}}', () => {
    const e = ex();
    const t = e.spec.templates![0];
    const out = experimentArgs(e, [{ name: 'hash', value: '{{templates.baseline.podTemplateHash}}' }, { name: 'rs', value: 'rs={{ templates.baseline.replicaset.name }}' }, { name: 'plain', value: 'x' }]);
    assert.deepEqual(out, [{ name: 'hash', value: templateHash(e, t) }, { name: 'rs', value: `rs=${rsNameOf(e, t)}` }, { name: 'plain', value: 'x' }]);
    assert.throws(() => experimentArgs(e, [{ name: 'h', value: '{{templates.canary.podTemplateHash}}' }]), /args\.h: experiment has no template "canary"/);
  });
});

describe('Experiment template Services (templates[].service)', () => {
  const withPorts = (service: { name?: string }, ports: unknown[] = [{ name: 'http', containerPort: 8080 }]) =>
    ex({ duration: '30s', templates: [{ name: 'canary', replicas: 1, selector: { matchLabels: { app: 'a' } }, service, template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'argoproj/rollouts-demo:blue', ports }] } } }] });
  it('a Service named after the ReplicaSet selects the template\'s pods by its hash on the containers\' ports, from Pending on; named in templateStatuses', () => {
    const e = withPorts({});
    const t = e.spec.templates![0];
    const p = planExperiment(e, [], [], now);
    assert.equal(p.status.phase, 'Pending');
    assert.deepEqual(p.services, [{ name: rsNameOf(e, t), template: 'canary', selector: { app: 'a', [HASH_LABEL]: templateHash(e, t) }, ports: [{ name: 'http', port: 8080, targetPort: 8080, protocol: 'TCP' }] }]);
    assert.equal(p.status.templateStatuses![0].serviceName, rsNameOf(e, t));
  });
  it('service.name names it; several ports get names; a template without service has none', () => {
    const e = withPorts({ name: 'exp-svc' }, [{ containerPort: 8080 }, { containerPort: 9090, protocol: 'UDP' }]);
    const p = planExperiment(e, [], [], now);
    assert.deepEqual(p.services[0].ports, [{ name: 'port-0', port: 8080, targetPort: 8080, protocol: 'TCP' }, { name: 'port-1', port: 9090, targetPort: 9090, protocol: 'UDP' }]);
    assert.equal(p.services[0].name, 'exp-svc');
    assert.deepEqual(planExperiment(ex(), [], [], now).services, []);
    assert.equal(planExperiment(ex(), [], [], now).status.templateStatuses![0].serviceName, undefined);
  });
  it('the Service goes when the experiment ends (duration, terminate)', () => {
    const e = withPorts({});
    const r: ReplicaSet[] = [{ metadata: { name: rsNameOf(e, e.spec.templates![0]) }, spec: { replicas: 1 }, status: { replicas: 1, availableReplicas: 1, readyReplicas: 1 } }];
    let p = planExperiment(e, r, [], now);
    assert.equal(p.status.phase, 'Running');
    assert.equal(p.services.length, 1);
    p = planExperiment({ ...e, status: p.status }, r, [], new Date(now.getTime() + 31_000));
    assert.equal(p.status.phase, 'Successful');
    assert.deepEqual(p.services, []);
    assert.deepEqual(planExperiment({ ...e, status: p.status }, r, [], now).services, [], 'an ended experiment keeps none');
    assert.deepEqual(planExperiment({ ...e, spec: { ...e.spec, terminate: true } }, r, [], now).services, []);
  });
  it('a default name longer than 63 characters is shortened with the template hash; a Service that cannot be made ends the experiment in Error naming the template', () => {
    let p = planExperiment(withPorts({}, []), [], [], now);
    assert.equal(p.status.phase, 'Error');
    assert.equal(p.status.message, 'spec.templates[0].service: template "canary" declares no container ports for its Service');
    assert.deepEqual(p.replicaSets.map((x) => x.replicas), [0]);
    const long = withPorts({});
    long.metadata.name = 'rollout-canary-preview-6f9b8c7d5-1';
    long.spec.templates![0].name = 'canary-preview-template';
    const named = planExperiment(long, [], [], now).services[0].name;
    assert.ok(rsNameOf(long, long.spec.templates![0]).length > 63);
    assert.ok(named.length <= 63 && named.endsWith(`-${templateHash(long, long.spec.templates![0])}`) && named.startsWith('rollout-canary-preview-6f9b8c7d5-1-canary'), named);
    p = planExperiment(withPorts({ name: 'Bad_Name' }), [], [], now);
    assert.match(p.status.message!, /^spec\.templates\[0\]\.service: Service name "Bad_Name" is not a valid DNS-1035 label/);
  });
  it('a Rollout experiment step passes service on to the Experiment it creates', () => {
    const ro = demoRollout();
    const out = experimentFor(ro, { name: 'x', podHash: 'h', step: { templates: [{ name: 'canary', specRef: 'canary', service: { name: 'exp-canary' } }, { name: 'baseline', specRef: 'stable' }] } }) as { spec: { templates: { service?: unknown }[] } };
    assert.deepEqual(out.spec.templates.map((t) => t.service), [{ name: 'exp-canary' }, undefined]);
  });
});

describe('Experiment template weight (traffic to experiment pods through the router)', () => {
  const withWeight = (weight: unknown, trafficRouting?: Record<string, unknown>) => {
    const r = demoRollout();
    Object.assign(r.spec.strategy!.canary!, trafficRouting ? { canaryService: 'c', stableService: 's', trafficRouting } : {});
    r.spec.strategy!.canary!.steps = [{ setWeight: 10 }, { experiment: { templates: [{ name: 'baseline', specRef: 'stable', weight: 5 }, { name: 'canary', specRef: 'canary', weight }] } } as never];
    return r;
  };
  const cases: [string, ReturnType<typeof demoRollout>, RegExp][] = [
    ['without traffic routing', withWeight(5), /steps\[1\]\.experiment\.templates\[0\]\.weight: Invalid value: 5: Experiment template weight cannot be set unless TrafficRouting is enabled/],
    ['with the nginx router: refused, saying which routers upstream supports and why nginx cannot', withWeight(5, { nginx: { stableIngress: 'web' } }), /steps\[1\]\.experiment\.templates\[0\]\.weight: Invalid value: 5: Experiment template weight .* supported by upstream only with the SMI, ALB and Istio traffic routers; the nginx router cannot send it \(ingress-nginx applies one canary Ingress per host and path/],
    ['outside 0–100', withWeight(101, { nginx: { stableIngress: 'web' } }), /templates\[1\]\.weight: Invalid value: 101: Experiment template weight needs to be an integer between 0 and 100/],
    ['not a number', withWeight('5', { nginx: { stableIngress: 'web' } }), /templates\[1\]\.weight: Invalid value: "5": Experiment template weight needs to be an integer/],
    ['another router: refused as a router first', withWeight(5, { alb: { ingress: 'i' } }), /trafficRouting\.alb: Invalid value: "alb": traffic router not available in this installation/],
  ];
  for (const [name, ro, re] of cases) {
    it(name, () => {
      const msg = validate(ro) ?? '';
      assert.match(msg, re);
      const p = new World(ro).tick();
      assert.equal(p.status.phase, 'Degraded');
      assert.equal(p.status.message, `InvalidSpec: ${msg}`);
    });
  }
  it('an experiment step without weights (or weight 0 templates absent) stays valid with nginx', () => {
    const r = withWeight(undefined, { nginx: { stableIngress: 'web' } });
    (r.spec.strategy!.canary!.steps![1] as any).experiment.templates[0].weight = undefined;
    assert.equal(validate(r), undefined);
  });
});
