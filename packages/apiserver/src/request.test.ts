/** The request parser and the duplicate-key scanner as pure functions (no server). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parsePath, parseUrl } from './request.js';
import { listQuery } from './query.js';
import { duplicateFields } from './json-dups.js';
import { ApiError } from './errors.js';

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
