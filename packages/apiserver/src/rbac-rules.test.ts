/** The pure parts of RBAC: request attributes, rule matching, escalation coverage, messages. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { forbiddenFor, requestAttributes } from './rbac/attributes.js';
import { aggregatedRules } from './rbac/aggregation.js';
import { compactString, ruleAllows, uncovered, type PolicyRule } from './rbac/rules.js';

describe('request attributes', () => {
  const a = (m: string, p: string, q: string | null) => requestAttributes(m, p, q === null ? null : new URLSearchParams(q === 'true' ? 'watch=true' : q));
  it('maps methods and paths to verbs as Kubernetes does', () => {
    assert.deepEqual(a('GET', '/api/v1/namespaces/ns/pods', null), { resourceRequest: true, verb: 'list', apiGroup: '', apiVersion: 'v1', namespace: 'ns', resource: 'pods', name: undefined, subresource: undefined });
    assert.equal(a('GET', '/api/v1/namespaces/ns/pods', 'true').verb, 'watch');
    assert.equal(a('GET', '/api/v1/watch/namespaces/ns/pods', null).verb, 'watch');
    assert.equal(a('GET', '/api/v1/watch/namespaces/ns/pods/x', null).verb, 'watch');
    assert.equal(a('GET', '/api/v1/namespaces/ns/pods/x', null).verb, 'get');
    assert.equal(a('POST', '/api/v1/namespaces/ns/pods', null).verb, 'create');
    assert.equal(a('PUT', '/apis/apps/v1/namespaces/ns/deployments/d/scale', null).subresource, 'scale');
    assert.equal(a('PATCH', '/apis/apps/v1/namespaces/ns/deployments/d', null).verb, 'patch');
    assert.equal(a('DELETE', '/api/v1/namespaces/ns/pods', null).verb, 'deletecollection');
    assert.equal(a('DELETE', '/api/v1/namespaces/ns/pods/x', null).verb, 'delete');
    const exec = a('GET', '/api/v1/namespaces/ns/pods/x/exec', null);
    assert.deepEqual([exec.verb, exec.resource, exec.subresource, exec.name], ['create', 'pods', 'exec', 'x']);
    assert.equal(a('GET', '/api/v1/namespaces/ns/pods/x/log', null).verb, 'get');
    const nsObj = a('GET', '/api/v1/namespaces/ns', null);
    assert.deepEqual([nsObj.resource, nsObj.name, nsObj.namespace], ['namespaces', 'ns', 'ns']);
    const fin = a('PUT', '/api/v1/namespaces/ns/finalize', null);
    assert.deepEqual([fin.resource, fin.name, fin.subresource], ['namespaces', 'ns', 'finalize']);
    assert.deepEqual(a('GET', '/apis/apps/v1', null), { resourceRequest: false, path: '/apis/apps/v1', verb: 'get' });
    assert.deepEqual(a('GET', '/healthz', null), { resourceRequest: false, path: '/healthz', verb: 'get' });
    assert.equal(a('POST', '/logs', null).verb, 'post');
    // a list or watch of one object by field selector carries its name (resourceNames rules apply)
    const one = a('GET', '/api/v1/namespaces/ns/configmaps', 'watch=true&fieldSelector=metadata.name%3Dcfg');
    assert.deepEqual([one.verb, one.name], ['watch', 'cfg']);
    assert.equal(a('GET', '/api/v1/namespaces/ns/configmaps', 'fieldSelector=status.phase%3DX,metadata.name%3D%3Dcfg').name, 'cfg');
    assert.equal(a('GET', '/api/v1/namespaces/ns/configmaps', 'fieldSelector=metadata.name!%3Dcfg').name, undefined);
  });
  it('renders the Forbidden variants', () => {
    assert.equal(forbiddenFor('u', a('GET', '/apis/apps/v1/deployments', null)).message, 'deployments.apps is forbidden: User "u" cannot list resource "deployments" in API group "apps" at the cluster scope');
    assert.equal(
      forbiddenFor('u', a('PUT', '/apis/apps/v1/namespaces/n/deployments/d/scale', null)).message,
      'deployments.apps "d" is forbidden: User "u" cannot update resource "deployments/scale" in API group "apps" in the namespace "n"',
    );
    assert.equal(forbiddenFor('u', a('GET', '/metrics', null)).message, 'forbidden: User "u" cannot get path "/metrics"');
  });
});

describe('rules', () => {
  const get = (o: Partial<Parameters<typeof ruleAllows>[0]>) => ({ resourceRequest: true, verb: 'get', apiGroup: '', resource: 'pods', ...o });
  it('matches groups, resources, subresources, names and verbs', () => {
    const r: PolicyRule = { apiGroups: [''], resources: ['pods'], verbs: ['get'] };
    assert.ok(ruleAllows(get({}), r));
    assert.ok(!ruleAllows(get({ subresource: 'log' }), r), 'pods does not cover pods/log');
    assert.ok(ruleAllows(get({ subresource: 'log' }), { ...r, resources: ['pods/log'] }));
    assert.ok(ruleAllows(get({ apiGroup: 'apps', resource: 'deployments', subresource: 'scale' }), { apiGroups: ['*'], resources: ['*/scale'], verbs: ['*'] }));
    assert.ok(!ruleAllows(get({ apiGroup: 'apps' }), r));
    assert.ok(ruleAllows(get({ name: 'a' }), { ...r, resourceNames: ['a'] }));
    assert.ok(!ruleAllows(get({ name: 'b' }), { ...r, resourceNames: ['a'] }));
    assert.ok(!ruleAllows(get({ verb: 'list' }), { ...r, resourceNames: ['a'] }), 'resourceNames never allow a list');
    assert.ok(ruleAllows({ resourceRequest: false, verb: 'get', path: '/healthz/etcd' }, { nonResourceURLs: ['/healthz/*'], verbs: ['get'] }));
    assert.ok(!ruleAllows({ resourceRequest: false, verb: 'get', path: '/healthz' }, { nonResourceURLs: ['/healthz/*'], verbs: ['get'] }));
    assert.ok(!ruleAllows(get({}), { nonResourceURLs: ['*'], verbs: ['*'] }));
  });
  it('finds what an owner does not cover, compacted by verbs', () => {
    const owner: PolicyRule[] = [{ apiGroups: [''], resources: ['pods', 'configmaps'], verbs: ['get', 'list'] }];
    assert.deepEqual(uncovered(owner, [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]), []);
    const m = uncovered(owner, [{ apiGroups: [''], resources: ['pods', 'secrets'], verbs: ['get', 'delete'] }]);
    assert.deepEqual(m.map(compactString), ['{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}', '{APIGroups:[""], Resources:["secrets"], Verbs:["get" "delete"]}']);
    assert.equal(uncovered(owner, [{ apiGroups: [''], resources: ['*'], verbs: ['get'] }]).length, 1, 'a wildcard is only covered by a wildcard');
    assert.deepEqual(uncovered([{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }], [{ apiGroups: ['x'], resources: ['*'], verbs: ['*'], resourceNames: ['n'] }]), []);
    assert.equal(uncovered([{ apiGroups: [''], resources: ['pods'], verbs: ['get'], resourceNames: ['a'] }], [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]).length, 1);
  });
  it('aggregates labelled ClusterRoles in name order without duplicates', () => {
    const agg = { metadata: { name: 'agg' }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { x: 'true' } }] } };
    const rule = { apiGroups: [''], resources: ['pods'], verbs: ['get'] };
    const all = [agg, { metadata: { name: 'b', labels: { x: 'true' } }, rules: [rule, { ...rule, verbs: ['list'] }] }, { metadata: { name: 'a', labels: { x: 'true' } }, rules: [rule] }, { metadata: { name: 'c' }, rules: [{ ...rule, verbs: ['delete'] }] }];
    assert.deepEqual(aggregatedRules(agg as any, all as any), [rule, { ...rule, verbs: ['list'] }]);
  });
});
