import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { experimentArgs, planExperiment, rsNameOf, templateHash, type Experiment } from './plan.js';
import type { ReplicaSet } from '../types.js';

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
