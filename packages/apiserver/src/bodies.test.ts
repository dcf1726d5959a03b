/**
 * Issue 18, item 6: a deeply nested body is refused with a 400 Status naming the limit (not a 500
 * "Maximum call stack size exceeded"), a YAML body that aliases its way past the body limit with a
 * 413 before its value is built, and the server goes on serving.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rawRequest } from '@flotilla/kube-runtime/testkit';
import { MAX_NESTING_DEPTH, expandedYamlSize, nestingDepth } from './http.js';
import YAML from 'yaml';
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

  it('counts what aliases expand to, aliases of aliases included, before building the value', () => {
    const text = 'a: &x [1, {b: 2}]\nc: *x\nd: *x\n';
    const anchor = '[1, {b: 2}]'.length;
    assert.equal(expandedYamlSize(YAML.parseDocument(text), text.length), text.length + 2 * anchor);
    const nested = 'a: &x [1, 2]\nb: &y [*x, *x]\nc: *y\n';
    // *y copies its own text (8) and, inside it, *x twice more (2 × 6); the two *x under b count too
    assert.equal(expandedYamlSize(YAML.parseDocument(nested), nested.length), nested.length + 6 + 6 + (8 + 12));
  });

  it('YAML alias amplification: 99 aliases of a 2.9 MB string answer 413 at once; a billion-laughs body too; small aliases still work', async () => {
    let amp = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: amp}\ndata:\n  a: &s ${'x'.repeat(2_900_000)}\n`;
    for (let i = 0; i < 99; i++) amp += `  k${i}: *s\n`;
    const t0 = Date.now();
    const r = await rawRequest(c.server, 'POST', '/api/v1/namespaces/default/configmaps', amp, { 'content-type': 'application/yaml' });
    assert.equal(r.status, 413, r.text.slice(0, 300));
    assert.match(r.body.message, /expands through its aliases/);
    const ms = Date.now() - t0;
    assert.ok(ms < 10_000, `answered in ${ms} ms`);
    let lol = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\nx:\n  a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    for (let i = 1; i < 9; i++) lol += `  a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(',')}]\n`;
    const b = await rawRequest(c.server, 'POST', '/api/v1/namespaces/default/configmaps', lol, { 'content-type': 'application/yaml' });
    assert.equal(b.status, 413, b.text.slice(0, 300));
    const ok = await rawRequest(c.server, 'POST', '/api/v1/namespaces/default/configmaps', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: small-alias, labels: &l {app: web}}\ndata: {a: &v hello, b: *v}\n', { 'content-type': 'application/yaml' });
    assert.equal(ok.status, 201, ok.text);
    assert.deepEqual(ok.body.data, { a: 'hello', b: 'hello' });
  });

  it('int32 fields hold int32 values: replicas 2147483648 or 3.5 is a 400 naming the field and the number (item 8)', async () => {
    const dep = (replicas: unknown, name: string) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: { replicas, selector: { matchLabels: { app: 'w' } }, template: { metadata: { labels: { app: 'w' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    });
    for (const [v, lit] of [[2147483648, '2147483648'], [3.5, '3.5'], [-2147483649, '-2147483649']] as const) {
      const r = await rawRequest(c.server, 'POST', '/apis/apps/v1/namespaces/default/deployments', dep(v, 'big'));
      assert.equal(r.status, 400, r.text);
      assert.equal(r.body.message, `Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number ${lit} into Go struct field Deployment.spec.replicas of type int32`);
    }
    assert.equal((await rawRequest(c.server, 'GET', '/apis/apps/v1/namespaces/default/deployments/big')).status, 404);
    const ok = await rawRequest(c.server, 'POST', '/apis/apps/v1/namespaces/default/deployments', dep(2147483647, 'max'));
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.body.spec.replicas, 2147483647);
  });
});
