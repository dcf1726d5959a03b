import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { assess, nextDue, record, summarize, ttlDeadline, type Metric, type MetricResult } from './run.js';
import { measure, substituteArgs } from './providers.js';
import { buildAnalysisRun, fieldPath } from './build.js';

describe('AnalysisRun: judging a measurement', () => {
  const cases: [string, Metric, unknown, string][] = [
    ['success condition true', { name: 'm', successCondition: 'result[0] >= 0.95' }, [0.99], 'Successful'],
    ['success condition false, no failure condition', { name: 'm', successCondition: 'result[0] >= 0.95' }, [0.5], 'Failed'],
    ['failure condition true', { name: 'm', failureCondition: 'result > 10' }, 11, 'Failed'],
    ['failure condition false only', { name: 'm', failureCondition: 'result > 10' }, 3, 'Successful'],
    ['both, neither true: Inconclusive', { name: 'm', successCondition: 'result > 10', failureCondition: 'result < 5' }, 7, 'Inconclusive'],
    ['a string result', { name: 'm', successCondition: "result == 'ok'" }, 'ok', 'Successful'],
    ['asInt of a string', { name: 'm', successCondition: 'asInt(result) == 3' }, '3', 'Successful'],
  ];
  for (const [name, m, v, want] of cases) it(name, () => assert.equal(assess(m, v), want));
  it('a condition that is not boolean is an error', () => assert.throws(() => assess({ name: 'm', successCondition: 'result + 1' }, 1), /expected bool/));
  it('a bad expression throws', () => assert.throws(() => assess({ name: 'm', successCondition: 'result >>> (' }, 1)));
});

describe('AnalysisRun: when a metric ends', () => {
  const meas = (phase: 'Successful' | 'Failed' | 'Inconclusive' | 'Error') => ({ phase, startedAt: 't', finishedAt: '2026-01-01T00:00:00Z' });
  const feed = (m: Metric, phases: ('Successful' | 'Failed' | 'Inconclusive' | 'Error')[]) => {
    let r: MetricResult | undefined;
    for (const p of phases) r = record(m, r, meas(p), false);
    return r!;
  };
  it('no interval: one measurement decides', () => assert.equal(feed({ name: 'm' }, ['Successful']).phase, 'Successful'));
  it('count 3 with interval: Running until the third', () => {
    assert.equal(feed({ name: 'm', interval: '5s', count: 3 }, ['Successful', 'Successful']).phase, 'Running');
    assert.equal(feed({ name: 'm', interval: '5s', count: 3 }, ['Successful', 'Successful', 'Successful']).phase, 'Successful');
  });
  it('failureLimit 1: the second failure fails it, with upstream message', () => {
    const m = { name: 'success-rate', interval: '5s', count: 5, failureLimit: 1 };
    assert.equal(feed(m, ['Failed']).phase, 'Running');
    const r = feed(m, ['Failed', 'Failed']);
    assert.equal(r.phase, 'Failed');
    assert.equal(r.message, 'Metric "success-rate" assessed Failed due to failed (2) > failureLimit (1)');
  });
  it('consecutiveErrorLimit (default 4): five errors in a row are Error; a success resets the streak', () => {
    assert.equal(feed({ name: 'm', interval: 1, count: 10 }, ['Error', 'Error', 'Error', 'Error', 'Error']).phase, 'Error');
    assert.equal(feed({ name: 'm', interval: 1, count: 10 }, ['Error', 'Error', 'Error', 'Error', 'Successful', 'Error']).phase, 'Running');
  });
  it('inconclusiveLimit', () => assert.equal(feed({ name: 'm', interval: 1, count: 3 }, ['Inconclusive']).phase, 'Inconclusive'));
  it('next measurement: initialDelay first, then interval after the last one', () => {
    const start = '2026-01-01T00:00:00Z';
    assert.equal(nextDue({ name: 'm', initialDelay: '30s' }, undefined, start), Date.parse(start) + 30_000);
    const r = feed({ name: 'm', interval: '10s', count: 3 }, ['Successful']);
    assert.equal(nextDue({ name: 'm', interval: '10s', count: 3 }, r, start), Date.parse('2026-01-01T00:00:10Z'));
    assert.equal(nextDue({ name: 'm' }, feed({ name: 'm' }, ['Successful']), start), undefined);
  });
  it('the run: worst metric wins, dry-run metrics do not count, terminate ends it Successful', () => {
    const ms = [{ name: 'a' }, { name: 'b' }];
    assert.equal(summarize(ms, [{ name: 'a', phase: 'Successful' }, { name: 'b', phase: 'Running' }], false).phase, 'Running');
    assert.equal(summarize(ms, [{ name: 'a', phase: 'Failed', message: 'x' }, { name: 'b', phase: 'Running' }], false).phase, 'Failed');
    assert.equal(summarize(ms, [{ name: 'a', phase: 'Failed', dryRun: true }, { name: 'b', phase: 'Successful' }], false).phase, 'Successful');
    const t = summarize(ms, [{ name: 'a', phase: 'Running' }, { name: 'b', phase: 'Successful' }], true);
    assert.equal(t.phase, 'Successful');
    assert.equal(t.message, 'Run Terminated');
  });
});

describe('AnalysisRun: providers and args', () => {
  it('{{args.x}} substituted in every field', () => {
    const m = substituteArgs({ name: 'm', provider: { prometheus: { query: 'sum(rate(x{service="{{args.service-name}}"}[1m]))' } } }, { 'service-name': 'demo "q"' });
    assert.equal(m.provider.prometheus.query, 'sum(rate(x{service="demo "q""}[1m]))');
  });
  it('web: JSON path of a real HTTP answer; non-2xx is an Error measurement', async () => {
    const srv = createServer((req, res) => {
      if (req.url === '/bad') {
        res.writeHead(503);
        return res.end('{}');
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { ok: true, rate: 0.97 }, auth: req.headers.authorization }));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    try {
      const ctx = { client: undefined as never, namespace: 'default', runName: 'r', runUid: 'u', now: new Date() };
      const ok = await measure({ name: 'm', provider: { web: { url: `${url}/x`, jsonPath: '{$.data.rate}', headers: [{ key: 'Authorization', value: 'Bearer t' }] } } }, ctx);
      assert.equal(ok.value, '0.97');
      const auth = await measure({ name: 'm', provider: { web: { url: `${url}/x`, jsonPath: '{$.auth}', headers: [{ key: 'Authorization', value: 'Bearer t' }] } } }, ctx);
      assert.equal(auth.value, 'Bearer t');
      const bad = await measure({ name: 'm', provider: { web: { url: `${url}/bad` } } }, ctx);
      assert.equal(bad.phase, 'Error');
      assert.match(bad.message!, /non 2xx response code: 503/);
    } finally {
      srv.close();
    }
  });
  it('providers this installation lacks fail clearly', async () => {
    for (const p of ['datadog', 'newRelic', 'wavefront', 'cloudWatch', 'graphite', 'influxdb', 'kayenta', 'skywalking']) {
      const r = await measure({ name: 'm', provider: { [p]: { query: 'x' } } }, { client: undefined as never, namespace: 'd', runName: 'r', runUid: 'u', now: new Date() });
      assert.equal(r.phase, 'Error');
      assert.equal(r.message, `${p}: provider not available in this installation`);
    }
  });
  it('a run from templates: metrics merged, args resolved (value, podTemplateHashValue, fieldRef), labels', () => {
    const ro = { metadata: { name: 'ro', namespace: 'ns', uid: 'u1', labels: { team: 'a' } }, spec: {} } as never;
    const tpl = { metadata: { name: 't' }, spec: { args: [{ name: 'service-name' }, { name: 'hash' }, { name: 'team' }, { name: 'def', value: 'd' }], metrics: [{ name: 'm1' }] } };
    const run = buildAnalysisRun(ro, { name: 'ro-abc-1', kind: 'step', podHash: 'abc', stableHash: 'old', analysis: { templates: [{ templateName: 't' }], args: [{ name: 'service-name', value: 'svc' }, { name: 'hash', valueFrom: { podTemplateHashValue: 'Stable' } }, { name: 'team', valueFrom: { fieldRef: { fieldPath: "metadata.labels['team']" } } }] } }, () => tpl);
    assert.deepEqual(run.spec.metrics, [{ name: 'm1' }]);
    assert.deepEqual(Object.fromEntries(run.spec.args.map((a: { name: string; value: string }) => [a.name, a.value])), { 'service-name': 'svc', hash: 'old', team: 'a', def: 'd' });
    assert.equal(run.metadata.labels['rollouts-pod-template-hash'], 'abc');
    assert.equal(run.metadata.labels['rollout-type'], 'Step');
    assert.equal(run.metadata.ownerReferences[0].uid, 'u1');
    assert.throws(() => buildAnalysisRun(ro, { name: 'x', kind: 'step', podHash: 'a', analysis: { templates: [{ templateName: 't' }] } }, () => tpl), /args.service-name was not resolved/);
    assert.throws(() => buildAnalysisRun(ro, { name: 'x', kind: 'step', podHash: 'a', analysis: { templates: [{ templateName: 'nope' }] } }, () => undefined), /AnalysisTemplate "nope" not found/);
    assert.equal(fieldPath({ metadata: { name: 'n' } }, 'metadata.name'), 'n');
  });
});

it('ttlDeadline: the specific setting before secondsAfterCompletion, from completedAt; none while running', () => {
  const at = '2026-01-01T00:00:00Z';
  const t0 = Date.parse(at);
  assert.equal(ttlDeadline({ secondsAfterCompletion: 10 }, { phase: 'Successful', completedAt: at }), t0 + 10_000);
  assert.equal(ttlDeadline({ secondsAfterCompletion: 10, secondsAfterSuccess: 2 }, { phase: 'Successful', completedAt: at }), t0 + 2000);
  assert.equal(ttlDeadline({ secondsAfterCompletion: 10, secondsAfterSuccess: 2 }, { phase: 'Failed', completedAt: at }), t0 + 10_000);
  assert.equal(ttlDeadline({ secondsAfterFailure: 0 }, { phase: 'Error', completedAt: at }), t0);
  assert.equal(ttlDeadline({ secondsAfterSuccess: 2 }, { phase: 'Failed', completedAt: at }), undefined);
  assert.equal(ttlDeadline({ secondsAfterCompletion: 1 }, { phase: 'Running', completedAt: at }), undefined);
  assert.equal(ttlDeadline(undefined, { phase: 'Successful', completedAt: at }), undefined);
});
