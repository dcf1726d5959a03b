import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { headerRoutesAt, nginxHeaderAnnotations, prefixPattern, validateRoutes } from './routes.js';
import { canaryIngress } from './nginx.js';
import { validate } from '../common.js';
import { demoRollout, World } from '../sim.js';
import type { CanaryStep, Rollout } from '../types.js';

const route = (name: string, value?: Record<string, string>, header = 'X-Canary'): CanaryStep => ({ setHeaderRoute: { name, ...(value ? { match: [{ headerName: header, headerValue: value }] } : {}) } });

/** the demo rollout on nginx with managed routes h1, h2 and the given steps */
function routed(steps: CanaryStep[], managed = ['h1', 'h2']): Rollout {
  const r = demoRollout();
  Object.assign(r.spec.strategy!.canary!, { canaryService: 'canary', stableService: 'stable', steps, trafficRouting: { managedRoutes: managed.map((name) => ({ name })), nginx: { stableIngress: 'web' } } });
  return r;
}

describe('setHeaderRoute: the routes in force', () => {
  const steps: CanaryStep[] = [{ setWeight: 20 }, route('h1', { exact: 'yes' }), { pause: {} }, route('h2', { prefix: 'beta' }), { pause: {} }, route('h1'), { pause: {} }];
  it('none before the step, the route from its step on', () => {
    assert.deepEqual(headerRoutesAt(steps, 0), []);
    assert.deepEqual(headerRoutesAt(steps, 1), [{ name: 'h1', match: [{ headerName: 'X-Canary', headerValue: { exact: 'yes' } }] }]);
    assert.deepEqual(headerRoutesAt(steps, 2), [{ name: 'h1', match: [{ headerName: 'X-Canary', headerValue: { exact: 'yes' } }] }]);
  });
  it('a route sharing a step with setCanaryScale (as upstream\'s apisix example) applies at that step', () => {
    const s: CanaryStep[] = [{ setCanaryScale: { replicas: 1 }, ...route('h1', { exact: 'debug' }) }, { pause: {} }];
    assert.deepEqual(headerRoutesAt(s, 0).map((r) => r.name), ['h1']);
    assert.equal(validate(routed(s)), undefined);
    assert.match(validate(routed([{ setWeight: 10, pause: {} }])) ?? '', /Step must have one of the following set/);
  });
  it('several routes in managedRoutes order; a step without match removes its route', () => {
    assert.deepEqual(headerRoutesAt(steps, 4, [{ name: 'h2' }, { name: 'h1' }]).map((r) => r.name), ['h2', 'h1']);
    assert.deepEqual(headerRoutesAt(steps, 4, [{ name: 'h1' }, { name: 'h2' }]).map((r) => r.name), ['h1', 'h2']);
    assert.deepEqual(headerRoutesAt(steps, 5).map((r) => r.name), ['h2']);
  });
  it('a later step with the same name replaces the match', () => {
    const s = [route('h1', { exact: 'a' }), route('h1', { exact: 'b' })];
    assert.deepEqual(headerRoutesAt(s, 2)[0].match[0].headerValue, { exact: 'b' });
  });
});

describe('setHeaderRoute on nginx: canary-by-header annotations', () => {
  const r = (v: Record<string, string>) => [{ name: 'h', match: [{ headerName: 'X-Canary', headerValue: v }] }];
  it('exact → canary-by-header-value; regex → canary-by-header-pattern; prefix → an anchored, escaped pattern', () => {
    assert.deepEqual(nginxHeaderAnnotations(r({ exact: 'yes' })), { 'canary-by-header': 'X-Canary', 'canary-by-header-value': 'yes' });
    assert.deepEqual(nginxHeaderAnnotations(r({ regex: '^(a|b)$' })), { 'canary-by-header': 'X-Canary', 'canary-by-header-pattern': '^(a|b)$' });
    assert.deepEqual(nginxHeaderAnnotations(r({ prefix: 'v1.2' })), { 'canary-by-header': 'X-Canary', 'canary-by-header-pattern': '^v1\\.2' });
    assert.ok(new RegExp(prefixPattern('a+b(')).test('a+b(c') && !new RegExp(prefixPattern('a+b(')).test('aab('));
    assert.deepEqual(nginxHeaderAnnotations([]), {});
  });
  it('the canary Ingress carries the route and drops additionalIngressAnnotations header routing while it is in force', () => {
    const ro = routed([]);
    ro.metadata.uid = 'u';
    ro.spec.strategy!.canary!.trafficRouting!.nginx.additionalIngressAnnotations = { 'canary-by-header': 'X-Old', 'canary-by-header-value': 'always' };
    const stable = { metadata: { name: 'web' }, spec: { rules: [{ host: 'd', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'stable', port: { number: 80 } } } }] } }] } };
    const a = canaryIngress(ro, stable, 20, r({ regex: 'x' })).metadata.annotations!;
    assert.equal(a['nginx.ingress.kubernetes.io/canary-by-header'], 'X-Canary');
    assert.equal(a['nginx.ingress.kubernetes.io/canary-by-header-pattern'], 'x');
    assert.equal(a['nginx.ingress.kubernetes.io/canary-by-header-value'], undefined);
    assert.equal(a['nginx.ingress.kubernetes.io/canary-weight'], '20');
    assert.equal(canaryIngress(ro, stable, 20).metadata.annotations!['nginx.ingress.kubernetes.io/canary-by-header'], 'X-Old');
  });
});

describe('setHeaderRoute / setMirrorRoute: InvalidSpec', () => {
  const cases: [string, Rollout, RegExp][] = [
    ['no traffic router', (() => {
      const r = demoRollout();
      r.spec.strategy!.canary!.steps = [route('h1', { exact: 'y' })];
      return r;
    })(), /steps\[0\]\.setHeaderRoute: Invalid value: .*SetHeaderRoute requires TrafficRouting/],
    ['route not in managedRoutes', routed([route('h3', { exact: 'y' })]), /steps\[0\]\.setHeaderRoute\.name: Invalid value: "h3": route "h3" is not listed in spec\.strategy\.canary\.trafficRouting\.managedRoutes/],
    ['no managedRoutes at all', routed([route('h1', { exact: 'y' })], []), /route "h1" is not listed/],
    ['two of exact/regex/prefix', routed([route('h1', { exact: 'y', prefix: 'z' })]), /match\[0\]\.headerValue: .*exactly one of exact, regex or prefix/],
    ['a bad regex', routed([route('h1', { regex: '(' })]), /headerValue\.regex: Invalid value: "\(": invalid regular expression/],
    ['two header matches on nginx', routed([{ setHeaderRoute: { name: 'h1', match: [{ headerName: 'A', headerValue: { exact: 'a' } }, { headerName: 'B', headerValue: { exact: 'b' } }] } }]), /one header per route/],
    ['duplicate managed route', routed([], ['h1', 'h1']), /managedRoutes\[1\]\.name: Invalid value: "h1": duplicate managed route name/],
    ['a traffic router plugin (Gateway API)', (() => {
      const r = routed([]);
      r.spec.strategy!.canary!.trafficRouting = { plugins: { 'argoproj-labs/gatewayAPI': { httpRoute: 'r' } } };
      return r;
    })(), /trafficRouting\.plugins: Invalid value: "argoproj-labs\/gatewayAPI": traffic router plugins are not available in this installation/],
    ['setMirrorRoute on nginx', routed([{ setMirrorRoute: { name: 'h1', percentage: 50 } }]), /steps\[0\]\.setMirrorRoute: .*SetMirrorRoute requires TrafficRouting with Istio; mirroring is not supported by the nginx router/],
  ];
  for (const [name, r, re] of cases) {
    it(name, () => {
      assert.match(validate(r) ?? '', re);
      const p = new World(r).tick();
      assert.equal(p.status.phase, 'Degraded');
      assert.match(p.status.message!, /^InvalidSpec: /);
    });
  }
  it('a valid spec passes', () => {
    assert.equal(validateRoutes(routed([route('h1', { exact: 'y' }), route('h1')]).spec.strategy!.canary!), undefined);
    assert.equal(validate(routed([{ setWeight: 20 }, route('h2', { prefix: 'b' }), { pause: {} }])), undefined);
  });
});

describe('setHeaderRoute through the steps (plan)', () => {
  it('the route reaches the plan after its step, stays through pauses, and goes at promotion and at abort', () => {
    const w = new World(routed([{ setWeight: 20 }, route('h1', { exact: 'yes' }), { pause: {} }, { setWeight: 40 }, { pause: {} }]));
    for (const n of ['canary', 'stable']) w.services.set(n, { metadata: { name: n }, spec: { selector: { app: 'rollouts-demo' } } });
    w.run();
    w.setTemplateImage('argoproj/rollouts-demo:yellow');
    let p = w.run();
    assert.equal(p.status.currentStepIndex, 2);
    assert.deepEqual(p.traffic, { weight: 20, headerRoutes: [{ name: 'h1', match: [{ headerName: 'X-Canary', headerValue: { exact: 'yes' } }] }] });
    w.patchStatus({ pauseConditions: null });
    p = w.run();
    assert.equal(p.status.currentStepIndex, 4);
    assert.equal(p.traffic!.weight, 40);
    assert.equal(p.traffic!.headerRoutes![0].name, 'h1');
    w.patchStatus({ abort: true });
    p = w.run();
    assert.deepEqual(p.traffic, { weight: 0 });
    w.patchStatus({ abort: null });
    p = w.run();
    assert.equal(p.status.currentStepIndex, 2);
    assert.equal(p.traffic!.headerRoutes!.length, 1, 'retry: the route again');
    w.patchStatus({ promoteFull: true });
    p = w.run();
    assert.equal(p.status.stableRS, p.newHash);
    assert.deepEqual(p.traffic, { weight: 0 });
  });
});
