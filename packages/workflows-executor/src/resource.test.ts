import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kubectlArgs, prepareManifest } from './resource.js';
import { transform } from './data.js';

describe('resource templates', () => {
  it('sets the workflow as owner', () => {
    const o = prepareManifest('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n', { name: 'wf', uid: 'u' });
    assert.deepEqual(o.metadata.ownerReferences, [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', name: 'wf', uid: 'u', blockOwnerDeletion: true, controller: false }]);
    assert.equal(prepareManifest('kind: ConfigMap\nmetadata: {name: c}\n').metadata.ownerReferences, undefined);
    assert.throws(() => prepareManifest('a: 1\n---\nb: 2\n'), /one object \(found 2\)/);
  });
  // upstream's e2e functional/resource-template.yaml: `workflows.argoproj.io/test: true` in the manifest's labels
  it("takes the manifest's label and annotation values as strings, as written (kubectl refuses anything else)", () => {
    const o = prepareManifest(
      'apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  generateName: hello-world-\n  labels:\n    workflows.argoproj.io/test: true\n    version: 1.10\n    n: 3\n    empty:\n    s: "x"\n  annotations: {count: 0x1F, on: false}\nspec:\n  entrypoint: e\n  templates: [{name: e, resources: {requests: {cpu: 3}}, suspend: {}}]\n',
      { name: 'wf', uid: 'u' },
    );
    assert.deepEqual(o.metadata.labels, { 'workflows.argoproj.io/test': 'true', version: '1.10', n: '3', empty: '', s: 'x' });
    assert.deepEqual(o.metadata.annotations, { count: '0x1F', on: 'false' });
    // only the object's own metadata: the rest keeps its types
    assert.equal(o.spec.templates[0].resources.requests.cpu, 3);
    assert.equal(o.metadata.ownerReferences.length, 1);
  });
  it('runs kubectl as upstream does', () => {
    assert.deepEqual(kubectlArgs('create', 'f.json', { namespace: 'ns' }), ['create', '-f', 'f.json', '-n', 'ns', '-o', 'json']);
    assert.deepEqual(kubectlArgs('delete', 'f.json', { namespace: 'ns', flags: ['--wait=false'] }), ['delete', '-f', 'f.json', '-n', 'ns', '--ignore-not-found', '--wait=false']);
    assert.deepEqual(kubectlArgs('patch', 'f.json', { namespace: 'ns', patch: '{}' }).slice(5, 7), ['--type', 'strategic']);
    assert.deepEqual(kubectlArgs('patch', 'f.json', { namespace: 'ns', mergeStrategy: 'json', patch: '[{"op":"add"}]', flags: ['pod', 'p1'] }), ['patch', '-n', 'ns', '--type', 'json', '-p', '[{"op":"add"}]', '-o', 'json', 'pod', 'p1']);
    assert.deepEqual(kubectlArgs('patch', 'f.json', { namespace: 'ns', mergeStrategy: 'merge', patch: '{}' }), ['patch', '-f', 'f.json', '-n', 'ns', '--type', 'merge', '-p', '{}', '-o', 'json']);
    // a merge patch whose target the flags name (upstream's k8s-patch-merge-pod): no file beside them
    assert.deepEqual(kubectlArgs('patch', 'f.json', { namespace: 'ns', mergeStrategy: 'merge', patch: '{"metadata":{}}', flags: ['pod', 'p1'] }), ['patch', '-n', 'ns', '--type', 'merge', '-p', '{"metadata":{}}', '-o', 'json', 'pod', 'p1']);
    assert.throws(() => kubectlArgs('explode', 'f', { namespace: 'n' }), /unknown resource action "explode"/);
  });
});

describe('data templates', () => {
  it('applies expression transformations to the listed paths', () => {
    const paths = ['a/main.log', 'b/other.txt', 'c/main.log'];
    assert.deepEqual(transform(paths, [{ expression: 'filter(data, {# endsWith "main.log"})' }]), ['a/main.log', 'c/main.log']);
    assert.deepEqual(transform(paths, [{ expression: 'filter(data, {# endsWith "main.log"})' }, { expression: 'map(data, {# + ".gz"})' }]), ['a/main.log.gz', 'c/main.log.gz']);
    assert.throws(() => transform(paths, [{}]), /only expression steps/);
  });
});

describe('http templates (argoexec agent)', () => {
  it('succeeds on 2xx, or by its successCondition', async () => {
    const { httpSucceeded } = await import('./agent.js');
    const r = (statusCode: number, body = '') => ({ statusCode, body, headers: { 'content-type': ['text/plain'] } });
    assert.deepEqual(httpSucceeded({}, r(200)), { ok: true });
    assert.deepEqual(httpSucceeded({}, r(404)), { ok: false, message: 'received non-2xx response code: 404' });
    assert.equal(httpSucceeded({ successCondition: 'response.statusCode == 404' }, r(404)).ok, true);
    assert.equal(httpSucceeded({ successCondition: 'response.body contains "ok"' }, r(200, 'all ok')).ok, true);
    assert.match(httpSucceeded({ successCondition: 'response.statusCode >= 300' }, r(200)).message ?? '', /evaluated false \(status code 200\)/);
    assert.throws(() => httpSucceeded({ successCondition: 'response.statusCode' }, r(200)), /not a boolean/);
  });
  it('sends the request with headers from values and Secrets, and times out', async () => {
    const { doRequest } = await import('./agent.js');
    const { createServer } = await import('node:http');
    const srv = createServer((req, res) => {
      if (req.url === '/slow') return void setTimeout(() => res.end('late'), 3000);
      let b = '';
      req.on('data', (d) => (b += d));
      req.on('end', () => res.writeHead(201, { 'x-r': 'y' }).end(`${req.method} ${req.headers['x-a']} ${req.headers['x-s']} ${b}`));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as { port: number }).port;
    try {
      const res = await doRequest({ url: `http://127.0.0.1:${port}/`, method: 'POST', body: 'hi', headers: [{ name: 'x-a', value: 'A' }, { name: 'x-s', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] }, async () => 'S');
      assert.equal(res.statusCode, 201);
      assert.equal(res.body, 'POST A S hi');
      assert.deepEqual(res.headers['x-r'], ['y']);
      await assert.rejects(doRequest({ url: `http://127.0.0.1:${port}/slow`, timeoutSeconds: 1 }, async () => ''), /timed out after 1s/);
    } finally {
      srv.closeAllConnections();
      srv.close();
    }
  });
});
