/**
 * Issue 18, item 6 (nesting): a deeply nested body is refused with a 400 Status naming the limit,
 * not a 500 "Maximum call stack size exceeded", and the server goes on serving.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rawRequest } from '@flotilla/kube-runtime/testkit';
import { MAX_NESTING_DEPTH, nestingDepth } from './http.js';
import { startTestCluster, type TestCluster } from './testutil.js';

describe('request bodies: nesting depth', { timeout: 120_000 }, () => {
  let c: TestCluster;
  before(async () => {
    c = await startTestCluster();
  });
  after(async () => {
    await c?.close();
  });

  it('counts brackets outside strings and comments, without recursion', () => {
    assert.equal(nestingDepth('{"a":[1,{"b":"[[[[\\"{"}]}'), 3);
    assert.equal(nestingDepth("a: '[[it''s'\nb: [[1]] # [[[[\n", true), 2);
    assert.equal(nestingDepth('['.repeat(200_000) + ']'.repeat(200_000)), 200_000);
  });

  const deep = (n: number) => `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"data":{"x":${'['.repeat(n)}${']'.repeat(n)}}}`;

  it('JSON nested 10,000 levels: 400 naming the limit, nothing stored, the server still answers', async () => {
    const r = await rawRequest(c.server, 'POST', '/api/v1/namespaces/default/configmaps', deep(10_000));
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.kind, 'Status');
    assert.match(r.body.message, new RegExp(`exceeded max depth of ${MAX_NESTING_DEPTH}`));
    assert.equal((await rawRequest(c.server, 'GET', '/api/v1/namespaces/default/configmaps/deep')).status, 404);
    assert.equal((await rawRequest(c.server, 'GET', '/api/v1/namespaces/default/configmaps')).status, 200);
  });

  it('YAML (flow style) nested 10,000 levels and a JSON patch nested 10,000 levels: 400, never 500', async () => {
    const y = await rawRequest(c.server, 'POST', '/api/v1/namespaces/default/configmaps', `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata: {x: ${'['.repeat(10_000)}${']'.repeat(10_000)}}\n`, { 'content-type': 'application/yaml' });
    assert.equal(y.status, 400, y.text);
    assert.match(y.body.message, /exceeded max depth/);
    assert.equal((await rawRequest(c.server, 'POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shallow' } })).status, 201);
    const p = await rawRequest(c.server, 'PATCH', '/api/v1/namespaces/default/configmaps/shallow', `{"data":{"x":${'['.repeat(10_000)}${']'.repeat(10_000)}}}`, { 'content-type': 'application/merge-patch+json' });
    assert.equal(p.status, 400, p.text);
  });

  it('nesting just under the limit is decoded and judged on its content (a 4xx about the field, not a 5xx)', async () => {
    const r = await rawRequest(c.server, 'POST', '/api/v1/namespaces/default/configmaps', deep(MAX_NESTING_DEPTH - 10));
    assert.ok(r.status >= 400 && r.status < 500, `${r.status} ${r.text.slice(0, 300)}`);
    assert.doesNotMatch(r.text, /exceeded max depth|Maximum call stack/);
  });
});
