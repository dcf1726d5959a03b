/** The request parser and the duplicate-key scanner as pure functions (no server). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parsePath, parseUrl } from './request.js';
import { listQuery } from './query.js';
import { duplicateFields } from './json-dups.js';
import { ApiError } from './errors.js';
import { requestAttributes } from './rbac/attributes.js';

const code = (f: () => unknown): number => {
  try {
    f();
    return 0;
  } catch (e) {
    assert.ok(e instanceof ApiError, String(e));
    return e.code;
  }
};

describe('request parsing', () => {
  it('decodes each raw segment once and never normalises', () => {
    const u = parseUrl('/api/v1/namespaces/a/configmaps/x%252E%252E?limit=1');
    assert.deepEqual(u.segments, ['api', 'v1', 'namespaces', 'a', 'configmaps', 'x%2E%2E']);
    assert.equal(u.query.get('limit'), '1');
    assert.equal(parsePath(u.segments)?.name, 'x%2E%2E');
    for (const p of ['/api/v1/namespaces/a/configmaps/..', '/api/v1/namespaces/a/configmaps/%2e%2E', '/api/v1/namespaces/%2E/pods', '/api/v1/namespaces/a/configmaps/a%2fb'])
      assert.equal(code(() => parseUrl(p)), 400, p);
    for (const p of ['/api/%ZZ', '/api/%', '/api/%C0%AF', '/api/%E2%82', '/api/x%2']) assert.equal(code(() => parseUrl(p)), 400, p);
    assert.deepEqual(parseUrl('/api/v1/namespaces/a/configmaps/%E2%82%AC').segments.at(-1), '€');
    assert.equal(parsePath(parseUrl('/api/v1/namespaces/a/configmaps/x/y/z').segments), undefined);
    assert.equal(parsePath(parseUrl('/api/v1/nodes/n/status/extra').segments), undefined);
    assert.equal(parseUrl('https://h:1/api/v1/pods?watch=1').path, '/api/v1/pods');
  });

  it('walks a resource path once: routing and RBAC read the same RequestInfo', () => {
    const u = parseUrl('/apis/apps/v1/watch/namespaces/a/deployments/d/scale?watch=1');
    assert.deepEqual(u.resource, { group: 'apps', version: 'v1', namespace: 'a', plural: 'deployments', name: 'd', sub: 'scale', watchPrefix: true, extra: false });
    assert.deepEqual(requestAttributes('GET', u), { resourceRequest: true, verb: 'watch', apiGroup: 'apps', apiVersion: 'v1', namespace: 'a', resource: 'deployments', name: 'd', subresource: 'scale' });
    // RBAC takes the router's parse, not a second one of its own: what the parse says is what it authorizes
    const forged = { ...u, resource: { ...u.resource!, namespace: 'b', plural: 'secrets' } };
    assert.equal(requestAttributes('GET', forged).namespace, 'b');
    assert.equal(requestAttributes('GET', forged).resource, 'secrets');
    // segments past the subresource: authorized as the resource (as Kubernetes' RequestInfo does), routed nowhere (404)
    const long = parseUrl('/api/v1/namespaces/a/pods/p/status/extra');
    assert.equal(long.resource?.extra, true);
    assert.equal(parsePath(long.segments), undefined);
    assert.deepEqual([requestAttributes('PUT', long).resource, requestAttributes('PUT', long).subresource, requestAttributes('PUT', long).verb], ['pods', 'status', 'update']);
    // the Namespace object itself: no namespace for routing (cluster-scoped), its own namespace for RBAC
    const ns = parseUrl('/api/v1/namespaces/x/finalize');
    assert.equal(ns.resource?.namespace, undefined);
    assert.deepEqual([ns.resource?.plural, ns.resource?.name, ns.resource?.sub], ['namespaces', 'x', 'finalize']);
    assert.equal(requestAttributes('PUT', ns).namespace, 'x');
    // not a resource path: the raw path for nonResourceURLs rules
    assert.deepEqual(requestAttributes('GET', parseUrl('/healthz/')), { resourceRequest: false, path: '/healthz', verb: 'get' });
  });

  it('validates list options in one place', () => {
    const q = (s: string) => new URLSearchParams(s);
    assert.deepEqual(listQuery(q('limit=5&watch=1&timeoutSeconds=30'), false).limit, 5);
    assert.equal(listQuery(q('watch=F'), false).watch, false);
    assert.equal(listQuery(q('limit=-1'), false).limit, 0, 'a negative limit is no limit');
    for (const s of ['limit=abc', 'limit=1.5', 'limit=1e3', 'watch=maybe', 'timeoutSeconds=x', 'resourceVersion=xyz', 'allowWatchBookmarks=yes', 'continue=x&resourceVersion=3'])
      assert.equal(code(() => listQuery(q(s), false)), 400, s);
    for (const s of ['resourceVersion=1&resourceVersionMatch=bogus', 'resourceVersionMatch=Exact', 'resourceVersion=0&resourceVersionMatch=Exact'])
      assert.equal(code(() => listQuery(q(s), false)), 422, s);
    assert.equal(code(() => listQuery(q('watch=true&resourceVersionMatch=NotOlderThan'), false)), 422);
    assert.equal(code(() => listQuery(q('watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan'), false)), 0);
  });

  it('finds duplicate JSON keys with paths, without recursion', () => {
    assert.deepEqual(duplicateFields('{"a":1,"a":2,"m":{"x":"\\"a\\"","x":1},"l":[{"k":1},{"k":1,"k":2}]}'), ['a', 'm.x', 'l[1].k']);
    assert.deepEqual(duplicateFields('{"a":{"b":1},"c":{"b":1}}'), []);
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    assert.deepEqual(duplicateFields(deep), []);
  });
});
