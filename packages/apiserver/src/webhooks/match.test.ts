/** Unit tests of the pure parts: rule matching, selectors, review building and answer checking. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileConfig, matchRules, mayMatch, namespaceMatches, objectMatches, refusesDryRun, resourceMatches, reviewVersion, ruleMatches, type ResourceRef, type Rule } from './match.js';
import { applyPatch, buildReview, connectOptions, denied, InvalidResponse, parseReview } from './review.js';
import { serviceBackends, webhookUrl } from './client.js';

const cm: ResourceRef = { group: '', version: 'v1', resource: 'configmaps', subresource: '', kind: 'ConfigMap', namespaced: true };
const rule = (r: Partial<Rule>): Rule => ({ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'], scope: '*', ...r });
const one = (w: Record<string, unknown>) =>
  compileConfig('validating', { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'c' }, webhooks: [{ name: 'w.example.com', clientConfig: { url: 'https://127.0.0.1:1/x' }, ...w }] } as any)[0];

test('resources: plain, "*" (no subresources), "*/status", "pods/*" (with pods), "*/*"', () => {
  assert.ok(resourceMatches(['pods'], 'pods', ''));
  assert.ok(!resourceMatches(['pods'], 'pods', 'status'));
  assert.ok(resourceMatches(['*'], 'pods', ''));
  assert.ok(!resourceMatches(['*'], 'pods', 'status'));
  assert.ok(resourceMatches(['*/status'], 'deployments', 'status'));
  assert.ok(!resourceMatches(['*/status'], 'deployments', ''));
  assert.ok(resourceMatches(['pods/*'], 'pods', 'exec'));
  // as Kubernetes' rule matcher does it, a "*" subresource also matches the resource itself
  assert.ok(resourceMatches(['pods/*'], 'pods', ''));
  assert.ok(!resourceMatches(['pods/*'], 'services', ''));
  assert.ok(resourceMatches(['*/*'], 'pods', 'log'));
  assert.ok(resourceMatches(['pods/status'], 'pods', 'status'));
  assert.ok(!resourceMatches(['pods/status'], 'services', 'status'));
});

test('rules: operations, groups, versions, scope', () => {
  assert.ok(ruleMatches(rule({ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }), 'CREATE', cm));
  assert.ok(!ruleMatches(rule({ operations: ['UPDATE'] }), 'CREATE', cm));
  assert.ok(!ruleMatches(rule({ apiGroups: ['apps'] }), 'CREATE', cm));
  assert.ok(!ruleMatches(rule({ apiVersions: ['v2'] }), 'CREATE', cm));
  assert.ok(!ruleMatches(rule({ scope: 'Cluster' }), 'CREATE', cm));
  assert.ok(ruleMatches(rule({ scope: 'Namespaced' }), 'CREATE', cm));
  assert.ok(ruleMatches(rule({ scope: 'Cluster' }), 'DELETE', { ...cm, resource: 'namespaces', kind: 'Namespace', namespaced: false }));
});

test('matchPolicy: Equivalent matches another version of the resource and says which; Exact does not', () => {
  const v1 = { ...cm, group: 'x.io', resource: 'widgets', kind: 'Widget' };
  const v2 = { ...v1, version: 'v2' };
  const eq = one({ rules: [rule({ apiGroups: ['x.io'], apiVersions: ['v1'], resources: ['widgets'] })] });
  assert.equal(eq.matchPolicy, 'Equivalent');
  assert.deepEqual(matchRules(eq, 'CREATE', v2, () => [v1]), v1);
  assert.deepEqual(matchRules(eq, 'CREATE', v1, () => [v2]), v1);
  const ex = one({ matchPolicy: 'Exact', rules: [rule({ apiGroups: ['x.io'], apiVersions: ['v1'], resources: ['widgets'] })] });
  assert.equal(matchRules(ex, 'CREATE', v2, () => [v1]), undefined);
  assert.ok(mayMatch(ex, 'CREATE', 'x.io', 'widgets', ''));
  assert.ok(!mayMatch(ex, 'CREATE', 'x.io', 'gadgets', ''));
  assert.ok(!mayMatch(ex, 'CONNECT', 'x.io', 'widgets', 'status') || false);
});

test('selectors: namespaceSelector (namespaced, Namespace itself, cluster-scoped) and objectSelector (new or old labels)', () => {
  const h = one({ namespaceSelector: { matchLabels: { env: 'prod' } }, objectSelector: { matchExpressions: [{ key: 'team', operator: 'Exists' }] } });
  assert.ok(namespaceMatches(h, cm, () => ({ env: 'prod' }), undefined, undefined));
  assert.ok(!namespaceMatches(h, cm, () => ({ env: 'dev' }), undefined, undefined));
  assert.ok(!namespaceMatches(h, cm, () => undefined, undefined, undefined));
  const ns = { ...cm, resource: 'namespaces', kind: 'Namespace', namespaced: false };
  assert.ok(namespaceMatches(h, ns, () => undefined, { metadata: { name: 'p', labels: { env: 'prod' } } } as any, undefined));
  assert.ok(namespaceMatches(h, { ...cm, resource: 'nodes', kind: 'Node', namespaced: false }, () => undefined, undefined, undefined));
  assert.ok(objectMatches(h, { metadata: { labels: { team: 'a' } } } as any, undefined));
  assert.ok(objectMatches(h, { metadata: {} } as any, { metadata: { labels: { team: 'a' } } } as any));
  assert.ok(!objectMatches(h, { metadata: {} } as any, undefined));
  const bad = one({ objectSelector: { matchExpressions: [{ key: 'a', operator: 'Near' }] } });
  assert.match(bad.selectorError ?? '', /"Near" is not a valid label selector operator/);
  assert.ok(!objectMatches(bad, { metadata: {} } as any, undefined));
});

test('compiled defaults: failurePolicy Fail, timeout 10 s, port 443, reinvocation Never; config errors', () => {
  const h = one({ sideEffects: 'None', admissionReviewVersions: ['v1'] });
  assert.equal(h.failurePolicy, 'Fail');
  assert.equal(h.timeoutSeconds, 10);
  assert.equal(h.reinvocationPolicy, 'Never');
  assert.ok(!refusesDryRun(h));
  assert.ok(refusesDryRun(one({ sideEffects: 'Unknown' })));
  assert.ok(!refusesDryRun(one({ sideEffects: 'NoneOnDryRun' })));
  assert.equal(reviewVersion(one({ admissionReviewVersions: ['v2', 'v1beta1'] })), 'v1beta1');
  assert.equal(reviewVersion(one({ admissionReviewVersions: ['v2'] })), undefined);
  const s = one({ clientConfig: { service: { namespace: 'ns', name: 'svc', path: '/validate' } } });
  assert.equal(s.clientConfig.service?.port, 443);
  assert.equal(webhookUrl(s).shown, 'https://svc.ns.svc:443/validate?timeout=10s');
  assert.match(one({ clientConfig: {} }).configError ?? '', /exactly one of url or service/);
  assert.match(one({ clientConfig: { url: 'https://x', caBundle: Buffer.from('nope').toString('base64') } }).configError ?? '', /caBundle holds no PEM/);
});

test('the AdmissionReview request carries what Kubernetes fills in', () => {
  const r = buildReview({
    uid: 'u1',
    version: 'v1',
    operation: 'UPDATE',
    resource: { ...cm, subresource: 'status' },
    requestResource: { ...cm, subresource: 'status' },
    name: 'n',
    namespace: 'default',
    userInfo: { username: 'admin', groups: ['system:masters'] },
    object: { a: 1 },
    oldObject: { a: 0 },
    dryRun: false,
    options: { kind: 'UpdateOptions' },
  }) as any;
  assert.equal(r.apiVersion, 'admission.k8s.io/v1');
  assert.equal(r.request.subResource, 'status');
  assert.equal(r.request.requestSubResource, 'status');
  assert.deepEqual(r.request.kind, { group: '', version: 'v1', kind: 'ConfigMap' });
  assert.deepEqual(r.request.requestResource, { group: '', version: 'v1', resource: 'configmaps' });
  assert.deepEqual(r.request.oldObject, { a: 0 });
  assert.equal(r.request.operation, 'UPDATE');
  assert.deepEqual(connectOptions('exec', new URLSearchParams('command=ls&command=-l&stdout=1&container=c')), { kind: 'PodExecOptions', apiVersion: 'v1', stdin: false, stdout: true, stderr: false, tty: false, container: 'c', command: ['ls', '-l'] });
});

test('answers are checked: apiVersion/kind and uid for v1, allowed, patchType, patch; v1beta1 is lenient', () => {
  const ok = (response: unknown, apiVersion = 'admission.k8s.io/v1') => JSON.stringify({ apiVersion, kind: 'AdmissionReview', response });
  assert.deepEqual(parseReview(ok({ uid: 'u', allowed: true, warnings: ['a\nb'] }), 'v1', 'u', false), { allowed: true, warnings: ['a b'] });
  assert.throws(() => parseReview('nope', 'v1', 'u', false), InvalidResponse);
  assert.throws(() => parseReview(ok({ uid: 'other', allowed: true }), 'v1', 'u', false), /expected response\.uid="u", got "other"/);
  assert.throws(() => parseReview(ok({ uid: 'u', allowed: true }, 'admission.k8s.io/v1beta1'), 'v1', 'u', false), /expected webhook response of admission\.k8s\.io\/v1/);
  assert.throws(() => parseReview(ok({ uid: 'u' }), 'v1', 'u', false), /allowed/);
  const patch = Buffer.from(JSON.stringify([{ op: 'add', path: '/x', value: 1 }])).toString('base64');
  assert.throws(() => parseReview(ok({ uid: 'u', allowed: true, patch }), 'v1', 'u', true), /response\.patch but not response\.patchType/);
  assert.throws(() => parseReview(ok({ uid: 'u', allowed: true, patch, patchType: 'JSONPatch' }), 'v1', 'u', false), /validating webhook may not return response\.patch/);
  const m = parseReview(ok({ uid: 'u', allowed: true, patch, patchType: 'JSONPatch' }), 'v1', 'u', true);
  assert.deepEqual(applyPatch({ apiVersion: 'v1', kind: 'X' } as any, m.patch!), { apiVersion: 'v1', kind: 'X', x: 1 });
  assert.throws(() => applyPatch({} as any, [{ op: 'remove', path: '/nope' }]), InvalidResponse);
  // v1beta1: no uid check, patch without patchType accepted
  assert.equal(parseReview(JSON.stringify({ response: { allowed: false } }), 'v1beta1', 'u', true).allowed, false);
});

test('denials become the webhook status with its message prefixed; codes below 400 become 400', () => {
  const e = denied('w.example.com', { code: 403, reason: 'Forbidden', message: 'no' });
  assert.equal(e.code, 403);
  assert.equal(e.message, 'admission webhook "w.example.com" denied the request: no');
  assert.equal(denied('w', { code: 200 }).code, 400);
  assert.equal(denied('w', undefined).message, 'admission webhook "w" denied the request without explanation');
});

test('Service → Endpoints → ready addresses for the service port', () => {
  const svc = { spec: { ports: [{ name: 'https', port: 443, targetPort: 8443 }] } } as any;
  const ep = { subsets: [{ addresses: [{ ip: '10.244.0.5', nodeName: 'n1' }], notReadyAddresses: [{ ip: '10.244.0.6' }], ports: [{ name: 'https', port: 8443 }] }] } as any;
  assert.deepEqual(serviceBackends('s', svc, ep, 443), [{ ip: '10.244.0.5', port: 8443, nodeName: 'n1' }]);
  assert.throws(() => serviceBackends('s', undefined, ep, 443), /service "s" not found/);
  assert.throws(() => serviceBackends('s', svc, ep, 444), /no service port 444 found for service "s"/);
  assert.throws(() => serviceBackends('s', svc, { subsets: [] } as any, 443), /no endpoints available for service "s"/);
});
