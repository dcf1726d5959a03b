/**
 * Admission webhooks end to end with the real kubectl against a real API server: the webhook is
 * a real HTTPS server (test-server.ts run with `node`) on the host's loopback, called by `url`.
 * (A Service-backed webhook served by a pod is tested with `flotilla up` in packages/cli.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadOrCreatePki } from '../pki.js';
import { startTestCluster, type TestCluster } from '../testutil.js';
import { WEBHOOK_SERVER_JS } from './test-server.js';

let dir: string;
let c: TestCluster;
let server: ChildProcess;
let port = 0;
let ca = '';
let otherCa = '';
const logged: string[] = [];
const origWarn = console.warn;

/** Starts the fixture server as its own process on 127.0.0.1; resolves with its port. */
async function startWebhookServer(d: string, cert: string, key: string): Promise<{ proc: ChildProcess; port: number }> {
  const script = join(d, 'webhook-server.mjs');
  writeFileSync(script, WEBHOOK_SERVER_JS);
  writeFileSync(join(d, 'tls.crt'), cert);
  writeFileSync(join(d, 'tls.key'), key);
  const proc = spawn(process.execPath, [script], { env: { ...process.env, PORT: '0', HOST: '127.0.0.1', CERT: join(d, 'tls.crt'), KEY: join(d, 'tls.key') }, stdio: ['ignore', 'pipe', 'inherit'] });
  const p = await new Promise<number>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (b) => {
      out += b;
      const m = /listening on (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    proc.on('exit', (code) => reject(new Error(`webhook server exited (${code})`)));
  });
  return { proc, port: p };
}

function records(): Promise<any[]> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/records', ca }, (res) => {
      let t = '';
      res.on('data', (d) => (t += d));
      res.on('end', () => resolve(JSON.parse(t)));
    })
      .on('error', reject)
      .end();
  });
}

type Hook = Record<string, unknown>;
function hook(name: string, path: string, extra: Hook = {}, opts: { url?: string; caBundle?: string } = {}): Hook {
  return {
    name,
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
    timeoutSeconds: 5,
    clientConfig: { url: opts.url ?? `https://127.0.0.1:${port}${path}`, caBundle: Buffer.from(opts.caBundle ?? ca).toString('base64') },
    rules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }],
    ...extra,
  };
}

async function configure(kind: 'Validating' | 'Mutating', name: string, webhooks: Hook[]): Promise<void> {
  const obj = { apiVersion: 'admissionregistration.k8s.io/v1', kind: `${kind}WebhookConfiguration`, metadata: { name }, webhooks };
  await c.k(['apply', '-f', '-'], { input: JSON.stringify(obj) });
}

async function unconfigure(kind: 'Validating' | 'Mutating', name: string): Promise<void> {
  await c.k(['delete', `${kind.toLowerCase()}webhookconfiguration`, name, '--ignore-not-found']);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flotilla-webhooks-'));
  const pki = await loadOrCreatePki(join(dir, 'pki'));
  otherCa = (await loadOrCreatePki(join(dir, 'other-pki'))).caCert;
  ca = pki.caCert;
  const s = await startWebhookServer(dir, pki.serverCert, pki.serverKey);
  server = s.proc;
  port = s.port;
  console.warn = (...a: unknown[]) => {
    logged.push(a.map(String).join(' '));
    origWarn(...a);
  };
  c = await startTestCluster({ dir: join(dir, 'cluster') });
});

after(async () => {
  console.warn = origWarn;
  await c?.close();
  server?.kill();
  rmSync(dir, { recursive: true, force: true });
});

test('a validating webhook denies a ConfigMap with a bad key: kubectl shows its message, nothing is stored; warnings are printed', async () => {
  await configure('Validating', 'deny', [hook('deny.example.com', '/deny')]);
  try {
    const r = await c.kubectl(['create', 'configmap', 'cm-bad', '--from-literal=bad-key=1']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /admission webhook "deny\.example\.com" denied the request: data key "bad-key" is not allowed/);
    const g = await c.kubectl(['get', 'configmap', 'cm-bad']);
    assert.match(g.stderr, /NotFound|not found/);
    const ok = await c.kubectl(['create', 'configmap', 'cm-good', '--from-literal=fine=1']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /Warning: checked by the deny webhook/);
    // an update is checked too
    const u = await c.kubectl(['patch', 'configmap', 'cm-good', '--type=merge', '-p', '{"data":{"bad2":"x"}}']);
    assert.notEqual(u.code, 0);
    assert.match(u.stderr, /denied the request: data key "bad2" is not allowed/);
    assert.equal(JSON.parse(await c.k(['get', 'configmap', 'cm-good', '-o', 'json'])).data.bad2, undefined);
  } finally {
    await unconfigure('Validating', 'deny');
  }
  // removed: the cache follows the store at once
  assert.equal((await c.kubectl(['create', 'configmap', 'cm-bad', '--from-literal=bad-key=1'])).code, 0);
});

test('a mutating webhook adds a label (create, server-side apply, generateName); one may not rename', async () => {
  await configure('Mutating', 'label', [hook('label.example.com', '/label')]);
  try {
    await c.k(['create', 'configmap', 'cm-label', '--from-literal=a=1']);
    const o = JSON.parse(await c.k(['get', 'configmap', 'cm-label', '-o', 'json']));
    assert.equal(o.metadata.labels['webhook-added'], 'yes');
    await c.k(['apply', '--server-side', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm-ssa', labels: { mine: 'x' } }, data: { a: 'b' } }) });
    const a = JSON.parse(await c.k(['get', 'configmap', 'cm-ssa', '-o', 'json']));
    assert.deepEqual(a.metadata.labels, { mine: 'x', 'webhook-added': 'yes' });
    const made = JSON.parse(await c.k(['create', '-o', 'json', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' } }) }));
    const stored = JSON.parse(await c.k(['get', 'configmap', made.metadata.name, '-o', 'json']));
    assert.equal(stored.metadata.labels['webhook-added'], 'yes');
    assert.equal(stored.metadata.uid, made.metadata.uid);
  } finally {
    await unconfigure('Mutating', 'label');
  }
  await configure('Mutating', 'rename', [hook('rename.example.com', '/rename')]);
  try {
    const r = await c.kubectl(['create', 'configmap', 'cm-rename']);
    assert.match(r.stderr, /admission webhook "rename\.example\.com" changed metadata\.name \(from "cm-rename" to "renamed"\): it cannot be changed by a webhook/);
    assert.match((await c.kubectl(['get', 'configmap', 'renamed'])).stderr, /not found/);
  } finally {
    await unconfigure('Mutating', 'rename');
  }
});

test('webhooks on pods see the built-in ServiceAccount admission (random volume name) and what is stored is what they saw', async () => {
  const podRules = [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }];
  await configure('Mutating', 'podlabel', [hook('podlabel.example.com', '/label', { rules: podRules })]);
  await configure('Validating', 'podrec', [hook('podrec.example.com', '/record', { rules: podRules })]);
  try {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'p-' }, spec: { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '1'] }] } };
    const made = JSON.parse(await c.k(['create', '-o', 'json', '-f', '-'], { input: JSON.stringify(pod) }));
    assert.equal(made.metadata.labels['webhook-added'], 'yes');
    const seen = (await records()).find((x) => x.name === made.metadata.name);
    assert.ok(seen, 'the validating webhook saw the generated name');
    assert.equal(seen.object.metadata.uid, made.metadata.uid);
    assert.deepEqual(seen.object.spec.volumes, made.spec.volumes);
    assert.match(made.spec.volumes[0].name, /^kube-api-access-/);
  } finally {
    await unconfigure('Mutating', 'podlabel');
    await unconfigure('Validating', 'podrec');
  }
});

test('failurePolicy with the webhook down: Fail refuses naming the webhook, Ignore allows and logs a warning', async () => {
  const down = 'https://127.0.0.1:1/down';
  await configure('Validating', 'down', [hook('down.example.com', '', { failurePolicy: 'Fail' }, { url: down })]);
  try {
    const r = await c.kubectl(['create', 'configmap', 'cm-down', '--from-literal=a=1']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Internal error occurred: failed calling webhook "down\.example\.com": Post "https:\/\/127\.0\.0\.1:1\/down\?timeout=5s": .*ECONNREFUSED/);
    assert.match((await c.kubectl(['get', 'configmap', 'cm-down'])).stderr, /not found/);
    await configure('Validating', 'down', [hook('down.example.com', '', { failurePolicy: 'Ignore' }, { url: down })]);
    const n = logged.length;
    await c.k(['create', 'configmap', 'cm-down', '--from-literal=a=1']);
    assert.ok(logged.slice(n).some((l) => /webhook "down\.example\.com" \(failurePolicy Ignore\) failed/.test(l)), logged.slice(n).join('\n'));
  } finally {
    await unconfigure('Validating', 'down');
  }
});

test('a webhook that times out, answers garbage or has a bad CA fails the request, naming it', async () => {
  await configure('Validating', 'bad', [hook('slow.example.com', '/slow', { timeoutSeconds: 1 })]);
  try {
    const r = await c.kubectl(['create', 'configmap', 'cm-slow']);
    assert.match(r.stderr, /failed calling webhook "slow\.example\.com": Post ".*\/slow\?timeout=1s": context deadline exceeded/);
    // the server gives up after timeoutSeconds (the webhook would answer after 5 s)
    const t0 = Date.now();
    const raw = await c.req('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm-slow' } });
    assert.equal(raw.status, 500);
    assert.ok(Date.now() - t0 < 4500, `took ${Date.now() - t0} ms`);
    // a webhook slower than the idle-connection timeout (4 s) but within its timeoutSeconds is waited for
    await configure('Validating', 'bad', [hook('slow.example.com', '/slow', { timeoutSeconds: 10 })]);
    await c.k(['create', 'configmap', 'cm-slow-ok']);
    await configure('Validating', 'bad', [hook('garbage.example.com', '/garbage')]);
    assert.match((await c.kubectl(['create', 'configmap', 'cm-slow'])).stderr, /failed calling webhook "garbage\.example\.com": received invalid webhook response/);
    await configure('Validating', 'bad', [hook('badca.example.com', '/deny', {}, { caBundle: otherCa })]);
    assert.match((await c.kubectl(['create', 'configmap', 'cm-slow'])).stderr, /failed calling webhook "badca\.example\.com": Post .*: .*(certificate|signature)/i);
    assert.match((await c.kubectl(['get', 'configmap', 'cm-slow'])).stderr, /not found/);
    // with Ignore, each is allowed
    await configure('Validating', 'bad', [
      hook('slow.example.com', '/slow', { timeoutSeconds: 1, failurePolicy: 'Ignore' }),
      hook('garbage.example.com', '/garbage', { failurePolicy: 'Ignore' }),
      hook('badca.example.com', '/deny', { failurePolicy: 'Ignore' }, { caBundle: otherCa }),
    ]);
    await c.k(['create', 'configmap', 'cm-slow']);
  } finally {
    await unconfigure('Validating', 'bad');
  }
});

test('warnings from several webhooks are all printed by kubectl', async () => {
  await configure('Validating', 'warn', [hook('warn.example.com', '/warn')]);
  try {
    const r = await c.kubectl(['create', 'configmap', 'cm-warn']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Warning: first warning from the webhook/);
    assert.match(r.stderr, /Warning: second warning from the webhook/);
  } finally {
    await unconfigure('Validating', 'warn');
  }
});

test('namespaceSelector and objectSelector pick what is sent', async () => {
  await c.k(['create', 'namespace', 'guarded']);
  await c.k(['label', 'namespace', 'guarded', 'webhooks=on']);
  await c.k(['create', 'namespace', 'open']);
  await configure('Validating', 'sel', [
    hook('ns.example.com', '/deny', { namespaceSelector: { matchLabels: { webhooks: 'on' } } }),
    hook('obj.example.com', '/deny', { objectSelector: { matchExpressions: [{ key: 'check', operator: 'In', values: ['yes'] }] } }),
  ]);
  try {
    assert.match((await c.kubectl(['-n', 'guarded', 'create', 'configmap', 'x', '--from-literal=bad=1'])).stderr, /"ns\.example\.com" denied/);
    assert.equal((await c.kubectl(['-n', 'open', 'create', 'configmap', 'x', '--from-literal=bad=1'])).code, 0);
    const labelled = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'y', namespace: 'open', labels: { check: 'yes' } }, data: { bad: '1' } };
    assert.match((await c.kubectl(['create', '-f', '-'], { input: JSON.stringify(labelled) })).stderr, /"obj\.example\.com" denied/);
  } finally {
    await unconfigure('Validating', 'sel');
  }
});

test('dryRun: refused for a webhook with side effects; sent with dryRun=true to one with NoneOnDryRun; nothing stored', async () => {
  // sideEffects Some/Unknown can only be stored by the v1beta1 API of old clusters: written to the store as such
  c.server.internals.store.put('admissionregistration.k8s.io/validatingwebhookconfigurations', '', 'dry', {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: 'dry', uid: 'f0f0f0f0-0000-4000-8000-000000000001', creationTimestamp: '2026-01-01T00:00:00Z' },
    webhooks: [hook('some.example.com', '/record', { sideEffects: 'Some' })],
  } as any);
  try {
    const r = await c.kubectl(['create', 'configmap', 'cm-dry', '--dry-run=server']);
    assert.match(r.stderr, /admission webhook "some\.example\.com" does not support dry run/);
    await c.k(['create', 'configmap', 'cm-dry-real']); // without dryRun it is called
    assert.ok((await records()).some((x) => x.name === 'cm-dry-real'));
    await unconfigure('Validating', 'dry');
    await configure('Validating', 'dry2', [hook('record.example.com', '/record', { sideEffects: 'NoneOnDryRun' })]);
    await c.k(['create', 'configmap', 'cm-dry', '--dry-run=server']);
    const rec = (await records()).filter((x) => x.name === 'cm-dry');
    assert.equal(rec.length, 1);
    assert.equal(rec[0].dryRun, true);
    assert.equal(rec[0].options.kind, 'CreateOptions');
    assert.deepEqual(rec[0].options.dryRun, ['All']);
    assert.match((await c.kubectl(['get', 'configmap', 'cm-dry'])).stderr, /not found/);
  } finally {
    await unconfigure('Validating', 'dry');
    await unconfigure('Validating', 'dry2');
  }
});

test('the AdmissionReview: v1 request fields; v1beta1 when only that is accepted; DELETE with oldObject; subresources by rule', async () => {
  await configure('Validating', 'rec', [
    hook('v1.example.com', '/record', { rules: [{ operations: ['*'], apiGroups: [''], apiVersions: ['*'], resources: ['configmaps'], scope: 'Namespaced' }] }),
    hook('beta.example.com', '/record', { admissionReviewVersions: ['v1beta1'], rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['secrets'] }] }),
    hook('status.example.com', '/record', { rules: [{ operations: ['UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['namespaces/status'] }] }),
  ]);
  try {
    await c.k(['create', 'configmap', 'cm-rec', '--from-literal=k=v']);
    await c.k(['delete', 'configmap', 'cm-rec']);
    await c.k(['create', 'secret', 'generic', 's-rec', '--from-literal=k=v']);
    const all = await records();
    const create = all.find((x) => x.name === 'cm-rec' && x.operation === 'CREATE');
    assert.ok(create, JSON.stringify(all));
    assert.deepEqual(create.kind, { group: '', version: 'v1', kind: 'ConfigMap' });
    assert.deepEqual(create.resource, { group: '', version: 'v1', resource: 'configmaps' });
    assert.deepEqual(create.requestKind, create.kind);
    assert.equal(create.namespace, 'default');
    assert.equal(create.object.data.k, 'v');
    assert.equal(create.oldObject, null);
    assert.equal(create.dryRun, false);
    assert.match(create.uid, /^[0-9a-f-]{36}$/);
    assert.ok(create.userInfo.username);
    const del = all.find((x) => x.name === 'cm-rec' && x.operation === 'DELETE');
    assert.ok(del);
    assert.equal(del.object, null);
    assert.equal(del.oldObject.data.k, 'v');
    assert.equal(del.options.kind, 'DeleteOptions');
    await c.k(['create', 'configmap', 'cm-patch']);
    await c.k(['label', 'configmap', 'cm-patch', 'x=y']);
    const patch = (await records()).find((x) => x.name === 'cm-patch' && x.operation === 'UPDATE');
    assert.ok(patch);
    assert.equal(patch.options.kind, 'PatchOptions');
    assert.equal(patch.options.fieldManager, 'kubectl-label');
    assert.equal(patch.object.metadata.labels.x, 'y');
    assert.equal(patch.oldObject.metadata.labels, undefined);
    assert.ok(all.some((x) => x.name === 's-rec' && x.kind.kind === 'Secret'), 'the v1beta1 webhook was called and its answer (no uid check) accepted');
    // a status write is sent to a rule naming the subresource, a main-resource write is not
    const before = (await records()).length;
    await c.req('PUT', '/api/v1/namespaces/open/status', { ...JSON.parse(await c.k(['get', 'namespace', 'open', '-o', 'json'])) });
    const st = (await records()).slice(before);
    assert.equal(st.length, 1);
    assert.equal(st[0].subResource, 'status');
    await c.k(['label', 'namespace', 'open', 'x=y']);
    assert.equal((await records()).length, before + 1);
  } finally {
    await unconfigure('Validating', 'rec');
  }
});

test('DELETE denied by a webhook keeps the object', async () => {
  await c.k(['create', 'configmap', 'keep-me']);
  await configure('Validating', 'nodel', [hook('nodel.example.com', '/deny-delete', { rules: [{ operations: ['DELETE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }] })]);
  try {
    const r = await c.kubectl(['delete', 'configmap', 'keep-me']);
    assert.match(r.stderr, /admission webhook "nodel\.example\.com" denied the request: deleting keep-me is not allowed/);
    await c.k(['get', 'configmap', 'keep-me']);
    // deletecollection asks for each item
    await c.k(['label', 'configmap', 'keep-me', 'set=one']);
    const dc = await c.req('DELETE', '/api/v1/namespaces/default/configmaps?labelSelector=set%3Done');
    assert.equal(dc.status, 403);
    assert.match(dc.body.message, /deleting keep-me is not allowed/);
    await c.k(['get', 'configmap', 'keep-me']);
  } finally {
    await unconfigure('Validating', 'nodel');
  }
});

test('webhooks are never called for webhook configurations; an unreachable Service webhook fails clearly', async () => {
  await configure('Validating', 'all', [
    hook('svc.example.com', '', { rules: [{ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'] }] }, { url: 'https://127.0.0.1:1/' }),
  ]);
  try {
    await c.k(['patch', 'validatingwebhookconfiguration', 'all', '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/webhooks/0/clientConfig', value: { service: { namespace: 'default', name: 'nope' }, caBundle: Buffer.from(ca).toString('base64') } }])]);
    const r = await c.kubectl(['create', 'configmap', 'cm-svc']);
    assert.match(r.stderr, /failed calling webhook "svc\.example\.com": Post "https:\/\/nope\.default\.svc:443\/\?timeout=5s": service "nope" not found/);
  } finally {
    await unconfigure('Validating', 'all');
  }
});

test('reinvocationPolicy IfNeeded: a webhook is called again when a later one changed the object', async () => {
  await configure('Mutating', 'reinvoke', [
    hook('first.example.com', '/record', { reinvocationPolicy: 'IfNeeded' }),
    hook('second.example.com', '/label'),
  ]);
  try {
    await c.k(['create', 'configmap', 'cm-reinvoke']);
    const rec = (await records()).filter((x) => x.name === 'cm-reinvoke');
    assert.equal(rec.length, 2);
    assert.equal(rec[0].object.metadata.labels?.['webhook-added'], undefined);
    assert.equal(rec[1].object.metadata.labels['webhook-added'], 'yes');
  } finally {
    await unconfigure('Mutating', 'reinvoke');
  }
  // Never (the default): once
  await configure('Mutating', 'once', [hook('first.example.com', '/record'), hook('second.example.com', '/label')]);
  try {
    await c.k(['create', 'configmap', 'cm-once']);
    assert.equal((await records()).filter((x) => x.name === 'cm-once').length, 1);
  } finally {
    await unconfigure('Mutating', 'once');
  }
});

test('matchPolicy Equivalent: a rule for v1 of a CRD gets a v2 request converted to v1; Exact does not', async () => {
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
      versions: ['v1', 'v2'].map((name) => ({ name, served: true, storage: name === 'v1', schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } })),
    },
  };
  await c.k(['apply', '-f', '-'], { input: JSON.stringify(crd) });
  await c.k(['wait', '--for=condition=Established', 'crd/widgets.example.com']);
  const rules = [{ operations: ['CREATE'], apiGroups: ['example.com'], apiVersions: ['v1'], resources: ['widgets'] }];
  await configure('Validating', 'equiv', [hook('equiv.example.com', '/record', { rules }), hook('exact.example.com', '/deny', { rules, matchPolicy: 'Exact' })]);
  try {
    await c.k(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'example.com/v2', kind: 'Widget', metadata: { name: 'w1' }, data: { bad: 'x' } }) });
    const r = (await records()).find((x) => x.name === 'w1');
    assert.ok(r);
    assert.deepEqual(r.kind, { group: 'example.com', version: 'v1', kind: 'Widget' });
    assert.deepEqual(r.requestKind, { group: 'example.com', version: 'v2', kind: 'Widget' });
    assert.deepEqual(r.requestResource, { group: 'example.com', version: 'v2', resource: 'widgets' });
    assert.equal(r.object.apiVersion, 'example.com/v1');
    // the Exact one matches a v1 request
    assert.match((await c.kubectl(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w2' }, data: { bad: 'x' } }) })).stderr, /"exact\.example\.com" denied/);
  } finally {
    await unconfigure('Validating', 'equiv');
  }
});
