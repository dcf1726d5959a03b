/**
 * Issue 18 item 8: integers beyond 2^53 are stored and returned exactly — in JSON and YAML bodies,
 * GET, LIST and WATCH, patches, and across a restart — and an int64 field of a built-in kind takes
 * the whole int64 range and refuses one past it, as Kubernetes does.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { startTestCluster, eventually, type TestCluster } from './testutil.js';
import { clone, parseJson, stringify } from './json-int.js';

const B53 = '9007199254740993'; // 2^53 + 1: JSON.parse makes it …992
const B64 = '18446744073709551616'; // 2^64: JSON.parse makes it 18446744073709552000
const I64MAX = '9223372036854775807';

const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'counters.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { plural: 'counters', singular: 'counter', kind: 'Counter' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: { type: 'object', properties: { replicas: { type: 'integer' }, big: { type: 'integer' }, list: { type: 'array', items: { type: 'integer' } }, note: { type: 'string' } } },
            },
          },
        },
      },
    ],
  },
};

let c: TestCluster;
const base = '/apis/example.com/v1/namespaces/default/counters';

/** The raw text of the first `n` lines of a watch. */
function watchText(path: string, n: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = request(new URL(path, c.server.url), { ca: c.server.caPem, headers: { authorization: `Bearer ${c.server.token}` } }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        buf += d;
        if (buf.split('\n').length > n) {
          r.destroy();
          resolve(buf);
        }
      });
    });
    r.on('error', reject);
    r.end();
  });
}

describe('pure: parseJson / stringify / clone', () => {
  it('keeps integers outside the safe range exactly and leaves everything else as JSON.parse does', () => {
    const text = `{"a":${B53},"b":-${B64},"c":9007199254740991,"d":1.5e300,"e":"${B64}","f":[${I64MAX},1],"g":0.12345678901234567890,"h":1e1234567890123456}`.replace('1e1234567890123456', '1e300');
    const v = parseJson(text);
    assert.equal(v.a, BigInt(B53));
    assert.equal(v.b, -BigInt(B64));
    assert.equal(v.c, 9007199254740991);
    assert.equal(typeof v.c, 'number');
    assert.equal(v.e, B64, 'digits inside a string stay a string');
    assert.equal(v.f[0], BigInt(I64MAX));
    assert.equal(v.g, 0.12345678901234568, 'a fraction with many digits stays a float');
    assert.equal(stringify(v), `{"a":${B53},"b":-${B64},"c":9007199254740991,"d":1.5e+300,"e":"${B64}","f":[${I64MAX},1],"g":0.12345678901234568,"h":1e+300}`);
    assert.deepEqual(clone(v), v);
    assert.equal(stringify({ s: 'a "quoted" 12345678901234567890 \\ string' }), JSON.stringify({ s: 'a "quoted" 12345678901234567890 \\ string' }));
  });
});

describe('integers beyond 2^53 (issue 18 item 8)', { timeout: 120_000 }, () => {
  before(async () => {
    c = await startTestCluster();
    assert.equal((await c.req('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status, 201);
    await eventually(async () => (await c.req('GET', base)).status === 200, 10_000, 'CRD served');
  });
  after(async () => {
    await c?.close();
  });

  it('a custom resource keeps 2^53+1 and 2^64 exactly: JSON and YAML bodies, GET, LIST, WATCH', async () => {
    const rv = (await c.req('GET', base)).body.metadata.resourceVersion;
    const watching = watchText(`${base}?watch=true&resourceVersion=${rv}`, 2);
    const j = await c.req('POST', base, `{"apiVersion":"example.com/v1","kind":"Counter","metadata":{"name":"j"},"spec":{"replicas":${B53},"big":${B64},"list":[${B53},-${B64}]}}`, { 'content-type': 'application/json' });
    assert.equal(j.status, 201, j.text);
    assert.match(j.text, new RegExp(`"replicas":${B53},"big":${B64},"list":\\[${B53},-${B64}\\]`));
    const y = await c.req('POST', base, `apiVersion: example.com/v1\nkind: Counter\nmetadata:\n  name: y\nspec:\n  replicas: ${B53}\n  big: ${B64}\n  note: "${B64}"\n`, { 'content-type': 'application/yaml' });
    assert.equal(y.status, 201, y.text);
    assert.match(y.text, new RegExp(`"replicas":${B53},"big":${B64},"note":"${B64}"`));
    assert.match((await c.req('GET', `${base}/j`)).text, new RegExp(`"replicas":${B53},"big":${B64}`));
    const list = (await c.req('GET', base)).text;
    assert.match(list, new RegExp(`"name":"j".*"replicas":${B53},"big":${B64}`));
    assert.match(list, new RegExp(`"name":"y".*"replicas":${B53},"big":${B64}`));
    assert.match(await watching, new RegExp(`"type":"ADDED".*"replicas":${B53},"big":${B64}`));
  });

  it('patches keep them: merge, JSON and apply (strategic: the built-in case below)', async () => {
    const merge = await c.req('PATCH', `${base}/j`, `{"spec":{"note":"merged"}}`, { 'content-type': 'application/merge-patch+json' });
    assert.equal(merge.status, 200, merge.text);
    assert.match(merge.text, new RegExp(`"replicas":${B53},"big":${B64}`), 'untouched big integers survive a merge patch');
    const merge2 = await c.req('PATCH', `${base}/j`, `{"spec":{"replicas":9007199254740995}}`, { 'content-type': 'application/merge-patch+json' });
    assert.match(merge2.text, /"replicas":9007199254740995/);
    const jp = await c.req('PATCH', `${base}/j`, `[{"op":"test","path":"/spec/big","value":${B64}},{"op":"replace","path":"/spec/big","value":${B64}1}]`, { 'content-type': 'application/json-patch+json' });
    assert.equal(jp.status, 200, jp.text);
    assert.match(jp.text, new RegExp(`"big":${B64}1`));
    const ap = await c.req('PATCH', `${base}/a?fieldManager=t`, `apiVersion: example.com/v1\nkind: Counter\nmetadata:\n  name: a\nspec:\n  replicas: ${B53}\n`, { 'content-type': 'application/apply-patch+yaml' });
    assert.equal(ap.status, 201, ap.text);
    assert.match(ap.text, new RegExp(`"replicas":${B53}`));
  });

  it('an int64 field of a built-in kind takes 2^63-1 exactly and refuses 2^63; an int32 field refuses 2^53+1', async () => {
    const pod = (field: string, v: string) =>
      `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p${v.length}${field.length}"},"spec":{"${field}":${v},"containers":[{"name":"c","image":"busybox"}]}}`;
    const ok = await c.req('POST', '/api/v1/namespaces/default/pods', pod('terminationGracePeriodSeconds', I64MAX), { 'content-type': 'application/json' });
    assert.equal(ok.status, 201, ok.text);
    assert.match(ok.text, new RegExp(`"terminationGracePeriodSeconds":${I64MAX}`));
    assert.match((await c.req('GET', `/api/v1/namespaces/default/pods/${ok.body.metadata.name}`)).text, new RegExp(`"terminationGracePeriodSeconds":${I64MAX}`));
    // decoded exactly, then validated as Kubernetes validates it (activeDeadlineSeconds: 1..2^31-1), the value printed bare
    const ads = await c.req('POST', '/api/v1/namespaces/default/pods', pod('activeDeadlineSeconds', I64MAX), { 'content-type': 'application/json' });
    assert.equal(ads.status, 422, ads.text);
    assert.match(ads.body.message, new RegExp(`spec.activeDeadlineSeconds: Invalid value: ${I64MAX}: must be between 1 and 2147483647, inclusive`));
    const over = await c.req('POST', '/api/v1/namespaces/default/pods', pod('activeDeadlineSeconds', '9223372036854775808'), { 'content-type': 'application/json' });
    assert.equal(over.status, 400, over.text);
    assert.match(over.body.message, /cannot unmarshal number 9223372036854775808 into Go struct field Pod.spec.activeDeadlineSeconds of type int64/);
    const dep = await c.req(
      'POST',
      '/apis/apps/v1/namespaces/default/deployments',
      `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":${B53},"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}}}`,
      { 'content-type': 'application/json' },
    );
    assert.equal(dep.status, 400, dep.text);
    assert.match(dep.body.message, new RegExp(`cannot unmarshal number ${B53} into Go struct field Deployment.spec.replicas of type int32`));
    // a strategic merge patch of a built-in keeps an int64 exactly
    const d2 = await c.req(
      'POST',
      '/apis/apps/v1/namespaces/default/deployments',
      `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d2"},"spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}}}`,
      { 'content-type': 'application/json' },
    );
    assert.equal(d2.status, 201, d2.text);
    const sp = await c.req('PATCH', '/apis/apps/v1/namespaces/default/deployments/d2', `{"spec":{"template":{"spec":{"terminationGracePeriodSeconds":${I64MAX}}}}}`, { 'content-type': 'application/strategic-merge-patch+json' });
    assert.equal(sp.status, 200, sp.text);
    assert.match(sp.text, new RegExp(`"terminationGracePeriodSeconds":${I64MAX}`));
    const kc = await c.kubectl(['get', 'deployment', 'd2', '-o', 'jsonpath={.spec.template.spec.terminationGracePeriodSeconds}']);
    assert.equal(kc.stdout, I64MAX, 'kubectl reads it exactly');
  });

  it('they survive a restart of the server (read back from the database)', async () => {
    const dir = c.dir;
    await c.server.close();
    c = await startTestCluster({ dir });
    const got = await c.req('GET', `${base}/y`);
    assert.equal(got.status, 200, got.text);
    assert.match(got.text, new RegExp(`"replicas":${B53},"big":${B64}`));
  });
});
