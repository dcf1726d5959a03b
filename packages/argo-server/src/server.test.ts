/**
 * argo-server against a real API server: TLS, the web UI's index page, info/version/userinfo, the workflow API
 * (create/validate/list/get/delete/lint/submit, lifecycle actions), templates, cron workflows, event bindings,
 * the watch and event streams, logs (through the API server's pods/log proxy to a stand-in kubelet), and
 * auth modes (server, client with tokens RBAC allows and refuses; sso has its own test file).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server } from 'node:http';
import { connect } from 'node:tls';
import { R } from '@flotilla/kube-runtime';
import { call, readStream, startEnv, type Env } from './testenv.js';
import { startServer } from './server.js';
import { AR } from './resources.js';

let env: Env;
const ns = 'argo';

const hello = (name: string, extra: Record<string, unknown> = {}) => ({
  metadata: { name, namespace: ns, labels: { app: 'hello', ...(extra.labels as object ?? {}) } },
  spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'busybox', command: ['echo', 'hi'] } }] },
});

/** A workflow as the controller would have left it: two steps, one failed. */
async function failedWorkflow(name: string): Promise<void> {
  const r = await env.call('POST', `/api/v1/workflows/${ns}`, { body: { workflow: {
    metadata: { name },
    spec: { entrypoint: 'main', templates: [{ name: 'main', steps: [[{ name: 'a', template: 'ok' }], [{ name: 'b', template: 'ok' }]] }, { name: 'ok', container: { image: 'busybox', command: ['true'] } }] },
  } } });
  assert.equal(r.status, 200, r.text);
  const wf = await env.client.get<any>(AR.workflows, ns, name);
  const t = '2026-01-01T00:00:00Z';
  wf.metadata.labels = { ...(wf.metadata.labels ?? {}), 'workflows.argoproj.io/completed': 'true', 'workflows.argoproj.io/phase': 'Failed' };
  wf.status = {
    phase: 'Failed', startedAt: t, finishedAt: t, message: 'child failed',
    nodes: {
      [name]: { id: name, name, displayName: name, type: 'Steps', phase: 'Failed', templateName: 'main', children: [`${name}-1`], startedAt: t, finishedAt: t },
      [`${name}-1`]: { id: `${name}-1`, name: `${name}[0]`, displayName: '[0]', type: 'StepGroup', phase: 'Succeeded', boundaryID: name, children: [`${name}-2`], startedAt: t, finishedAt: t },
      [`${name}-2`]: { id: `${name}-2`, name: `${name}[0].a`, displayName: 'a', type: 'Pod', phase: 'Succeeded', boundaryID: name, templateName: 'ok', children: [`${name}-3`], startedAt: t, finishedAt: t },
      [`${name}-3`]: { id: `${name}-3`, name: `${name}[1]`, displayName: '[1]', type: 'StepGroup', phase: 'Failed', boundaryID: name, children: [`${name}-4`], startedAt: t, finishedAt: t },
      [`${name}-4`]: { id: `${name}-4`, name: `${name}[1].b`, displayName: 'b', type: 'Pod', phase: 'Failed', boundaryID: name, templateName: 'ok', message: 'exit code 1', startedAt: t, finishedAt: t },
    },
  };
  await env.client.update(AR.workflows, wf);
}

// a stand-in kubelet: the API server's pods/log proxy calls /containerLogs/{ns}/{pod}/{container} on the node's endpoint
let kubelet: Server;
const logLines: Record<string, string[]> = {};

before(async () => {
  env = await startEnv();
  kubelet = createHttpServer((req, res) => {
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/?]+)/.exec(req.url ?? '');
    const lines = m ? logLines[`${m[2]}/${m[3]}`] : undefined;
    if (!lines) {
      res.writeHead(404);
      return void res.end('no such container');
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(lines.map((l) => l + '\n').join(''));
  });
  await new Promise<void>((r) => kubelet.listen(0, '127.0.0.1', () => r()));
  const port = (kubelet.address() as { port: number }).port;
  const node = await env.client.create<any>(R.nodes, undefined, { metadata: { name: 'node-1' } });
  node.status = { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: port } }, conditions: [{ type: 'Ready', status: 'True' }] };
  await env.client.update(R.nodes, node, 'status');
}, { timeout: 120_000 });

after(async () => {
  kubelet?.close();
  await env?.close();
});

test('HTTPS on the port with a self-signed certificate; GET / answers the web UI index page (the readinessProbe)', async () => {
  assert.ok(env.base.startsWith('https://'));
  const r = await env.call('GET', '/');
  assert.equal(r.status, 200);
  assert.match(r.text, /Argo Workflows/);
  assert.match(r.text, /<base href="\/">/);
  assert.equal(r.headers['x-frame-options'], 'DENY');
  assert.equal(r.headers['strict-transport-security'], 'max-age=31536000');
  const cert = await new Promise<any>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: env.server.port, rejectUnauthorized: false }, () => {
      resolve(s.getPeerCertificate());
      s.end();
    });
    s.on('error', reject);
  });
  assert.equal(cert.subject.CN, 'localhost');
  assert.equal(cert.issuer.CN, 'localhost', 'self-signed');
  assert.match(cert.subjectaltname, /DNS:argo-server\.argo\.svc/);
  // a verifying client refuses it (it is self-signed)
  const { get } = await import('node:https');
  const code = await new Promise<string>((resolve) => get(`${env.base}/`, (res) => resolve(`HTTP ${res.statusCode}`)).on('error', (e: NodeJS.ErrnoException) => resolve(String(e.code))));
  assert.equal(code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
  // plain HTTP on the HTTPS port is told so
  const plain = await call(env.base.replace('https:', 'http:'), 'GET', '/api/v1/version');
  assert.equal(plain.status, 400);
  assert.match(plain.text, /Client sent an HTTP request to an HTTPS server/);
});

test('--secure=false serves plain HTTP; --base-href goes into the page and prefixes are accepted; a TLS Secret is served', async () => {
  const plain = await startServer(env.client, { namespace: ns, port: 0, address: '127.0.0.1', secure: false, baseHref: '/argo/', authModes: ['server'], accessControlAllowOrigin: 'https://ui.example', xFrameOptions: '', log: { debug() {}, info() {}, warn() {}, error() {} } });
  try {
    const r = await call(plain.url, 'GET', '/argo/');
    assert.equal(r.status, 200);
    assert.match(r.text, /<base href="\/argo\/">/);
    const v = await call(plain.url, 'GET', '/argo/api/v1/version');
    assert.equal(v.status, 200);
    assert.match(v.body.version, /^v3\./);
    assert.equal(v.headers['access-control-allow-origin'], 'https://ui.example');
    assert.equal(v.headers['strict-transport-security'], undefined, 'no HSTS over plain HTTP');
    assert.equal(v.headers['x-frame-options'], undefined);
    const pre = await call(plain.url, 'OPTIONS', '/api/v1/workflows/argo', { headers: { 'access-control-request-headers': 'authorization' } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers['access-control-allow-headers'], 'authorization');
  } finally {
    await plain.close();
  }
  // --tls-certificate-secret-name: the certificate comes from the Secret
  const { selfSigned } = await import('./tls.js');
  const kp = await selfSigned('other');
  await env.client.create(R.secrets, ns, { metadata: { name: 'argo-server-tls' }, type: 'kubernetes.io/tls', data: { 'tls.crt': Buffer.from(kp.cert).toString('base64'), 'tls.key': Buffer.from(kp.key).toString('base64') } } as any);
  const s = await startServer(env.client, { namespace: ns, port: 0, address: '127.0.0.1', tlsCertificateSecretName: 'argo-server-tls', authModes: ['server'], log: { debug() {}, info() {}, warn() {}, error() {} } });
  try {
    const der = await new Promise<Buffer>((resolve, reject) => {
      const c = connect({ host: '127.0.0.1', port: s.port, rejectUnauthorized: false }, () => {
        resolve(c.getPeerCertificate().raw);
        c.end();
      });
      c.on('error', reject);
    });
    const { X509Certificate } = await import('node:crypto');
    assert.deepEqual(der, new X509Certificate(kp.cert).raw);
  } finally {
    await s.close();
  }
  await assert.rejects(startServer(env.client, { namespace: ns, port: 0, address: '127.0.0.1', tlsCertificateSecretName: 'missing-tls', log: { debug() {}, info() {}, warn() {}, error() {} } }), /missing-tls/);
});

test('rate limit (upstream\'s --api-rate-limit, TestRateLimitHeader): X-RateLimit-* headers on answers; past the limit a second 429', async () => {
  const v = await env.call('GET', '/api/v1/version');
  assert.equal(v.headers['x-ratelimit-limit'], '1000', 'the default');
  assert.ok(Number(v.headers['x-ratelimit-remaining']) < 1000);
  assert.ok(Date.parse(String(v.headers['x-ratelimit-reset'])) > Date.now() - 2000, String(v.headers['x-ratelimit-reset']));
  const s = await startServer(env.client, { namespace: ns, port: 0, address: '127.0.0.1', secure: false, authModes: ['server'], apiRateLimit: 3, log: { debug() {}, info() {}, warn() {}, error() {} } });
  try {
    // within one second (retried if the second turned over meanwhile)
    for (let attempt = 0; ; attempt++) {
      const t0 = Date.now();
      const rs = await Promise.all([1, 2, 3, 4].map(() => call(s.url, 'GET', '/api/v1/version')));
      if (Date.now() - t0 > 800 && attempt < 3) {
        await new Promise((r) => setTimeout(r, 1100));
        continue;
      }
      assert.deepEqual(rs.map((r) => r.status).sort(), [200, 200, 200, 429]);
      assert.deepEqual(rs.map((r) => r.headers['x-ratelimit-remaining']).sort(), ['0', '0', '1', '2']);
      assert.ok(rs.every((r) => r.headers['x-ratelimit-limit'] === '3'));
      assert.ok(rs.find((r) => r.status === 429)!.headers['retry-after']);
      break;
    }
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await call(s.url, 'GET', '/api/v1/version')).status, 200, 'the next second');
  } finally {
    await s.close();
  }
});

test('info, version, userinfo (server mode)', async () => {
  const v = await env.call('GET', '/api/v1/version');
  assert.equal(v.status, 200);
  for (const k of ['version', 'buildDate', 'gitCommit', 'gitTreeState', 'platform']) assert.ok(v.body[k], k);
  const i = await env.call('GET', '/api/v1/info');
  assert.equal(i.status, 200);
  assert.ok(i.body.modals);
  assert.deepEqual((await env.call('GET', '/api/v1/userinfo')).body, {});
  const nf = await env.call('GET', '/api/v1/nothing-here');
  assert.equal(nf.status, 404);
  assert.equal(nf.body.code, 5);
});

test('create: valid workflows are created, invalid ones refused with 400 {code: 3, message}; serverDryRun creates nothing', async () => {
  const ok = await env.call('POST', `/api/v1/workflows/${ns}`, { body: { workflow: hello('wf-create') } });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.metadata.name, 'wf-create');
  assert.equal(ok.body.kind, 'Workflow');
  assert.ok(ok.body.metadata.uid);
  const gen = await env.call('POST', `/api/v1/workflows/${ns}`, { body: { workflow: { metadata: { generateName: 'gen-' }, spec: hello('x').spec } } });
  assert.equal(gen.status, 200, gen.text);
  assert.match(gen.body.metadata.name, /^gen-[a-z0-9]{5}$/);
  const bad = await env.call('POST', `/api/v1/workflows/${ns}`, { body: { workflow: { metadata: { name: 'bad' }, spec: { entrypoint: 'main', templates: [{ name: 'main', steps: [[{ name: 'a', template: 'nope' }]] }] } } } });
  assert.equal(bad.status, 400, bad.text);
  assert.equal(bad.body.code, 3);
  assert.match(bad.body.message, /nope/);
  const noEntry = await env.call('POST', `/api/v1/workflows/${ns}`, { body: { workflow: { metadata: { name: 'bad2' }, spec: { templates: [{ name: 'main', container: { image: 'x' } }] } } } });
  assert.equal(noEntry.status, 400);
  assert.match(noEntry.body.message, /entrypoint/);
  const unknownRef = await env.call('POST', `/api/v1/workflows/${ns}`, { body: { workflow: { metadata: { name: 'bad3' }, spec: { workflowTemplateRef: { name: 'missing-tmpl' } } } } });
  assert.equal(unknownRef.status, 400);
  assert.match(unknownRef.body.message, /missing-tmpl/);
  const dry = await env.call('POST', `/api/v1/workflows/${ns}`, { body: { workflow: hello('wf-dry'), serverDryRun: true } });
  assert.equal(dry.status, 200, dry.text);
  assert.equal(dry.body.metadata.name, 'wf-dry');
  assert.equal((await env.call('GET', `/api/v1/workflows/${ns}/wf-dry`)).status, 404);
  // createOptions.dryRun (upstream's TestCreateWorkflowDryRun): the validated workflow, never created (no uid)
  const dry2 = await env.call('POST', `/api/v1/workflows/${ns}`, { body: { workflow: hello('wf-dry2'), createOptions: { dryRun: ['All'] } } });
  assert.equal(dry2.status, 200, dry2.text);
  assert.equal(dry2.body.metadata.name, 'wf-dry2');
  assert.equal(dry2.body.metadata.uid, undefined);
  assert.equal((await env.call('GET', `/api/v1/workflows/${ns}/wf-dry2`)).status, 404);
  const dryBad = await env.call('POST', `/api/v1/workflows/${ns}`, { body: { workflow: { metadata: { name: 'dry-bad' }, spec: { templates: [] } }, createOptions: { dryRun: ['All'] } } });
  assert.equal(dryBad.status, 400, 'still validated');
  const dup = await env.call('POST', `/api/v1/workflows/${ns}`, { body: { workflow: hello('wf-create') } });
  assert.equal(dup.status, 409);
  assert.equal(dup.body.code, 6);
  const badJson = await call(env.base, 'POST', `/api/v1/workflows/${ns}`, { headers: { 'content-type': 'application/json' }, body: undefined });
  assert.equal(badJson.status, 400);
});

test('list: label selector, fields, limit/continue; get with fields; delete', async () => {
  for (const n of ['ls-a', 'ls-b', 'ls-c']) assert.equal((await env.call('POST', `/api/v1/workflows/${ns}`, { body: { workflow: { ...hello(n), metadata: { name: n, labels: { set: 'ls' } } } } })).status, 200);
  const l = await env.call('GET', `/api/v1/workflows/${ns}?listOptions.labelSelector=set%3Dls`);
  assert.equal(l.status, 200);
  assert.deepEqual(l.body.items.map((w: any) => w.metadata.name).sort(), ['ls-a', 'ls-b', 'ls-c']);
  assert.equal(l.body.kind, 'WorkflowList');
  const none = await env.call('GET', `/api/v1/workflows/${ns}?listOptions.labelSelector=set%3Dnone`);
  assert.equal(none.status, 200);
  assert.equal(none.body.items, null, 'no workflow: "items": null, as upstream');
  assert.equal((await env.call('GET', `/api/v1/workflows/${ns}?listOptions.labelSelector=set%3Dnone&fields=items.metadata.name`)).body.items, null);
  const f = await env.call('GET', `/api/v1/workflows/${ns}?listOptions.labelSelector=set%3Dls&fields=items.metadata.name,items.status.phase`);
  assert.deepEqual(Object.keys(f.body).sort(), ['items']);
  assert.deepEqual(Object.keys(f.body.items[0]), ['metadata']);
  assert.deepEqual(Object.keys(f.body.items[0].metadata), ['name']);
  const ex = await env.call('GET', `/api/v1/workflows/${ns}?listOptions.labelSelector=set%3Dls&fields=-items.spec`);
  assert.ok(ex.body.items[0].metadata.uid);
  assert.equal(ex.body.items[0].spec, undefined);
  const p1 = await env.call('GET', `/api/v1/workflows/${ns}?listOptions.labelSelector=set%3Dls&listOptions.limit=2`);
  assert.equal(p1.body.items.length, 2);
  assert.ok(p1.body.metadata.continue);
  const p2 = await env.call('GET', `/api/v1/workflows/${ns}?listOptions.labelSelector=set%3Dls&listOptions.limit=2&listOptions.continue=${encodeURIComponent(p1.body.metadata.continue)}`);
  assert.equal(p2.body.items.length, 1);
  const all = await env.call('GET', `/api/v1/workflows/?listOptions.labelSelector=set%3Dls`);
  assert.equal(all.body.items.length, 3, 'all namespaces');
  const g = await env.call('GET', `/api/v1/workflows/${ns}/ls-a?fields=metadata.name,spec.entrypoint`);
  assert.deepEqual(g.body, { metadata: { name: 'ls-a' }, spec: { entrypoint: 'main' } });
  assert.equal((await env.call('DELETE', `/api/v1/workflows/${ns}/ls-c`)).status, 200);
  assert.equal((await env.call('GET', `/api/v1/workflows/${ns}/ls-c`)).status, 404);
  const nf = await env.call('DELETE', `/api/v1/workflows/${ns}/ls-c`);
  assert.equal(nf.status, 404);
  assert.equal(nf.body.code, 5);
});

test('lint: workflows, templates, cron workflows; errors name the field', async () => {
  const ok = await env.call('POST', `/api/v1/workflows/${ns}/lint`, { body: { workflow: hello('lint-ok') } });
  assert.equal(ok.status, 200, ok.text);
  const dag = { metadata: { name: 'cyc' }, spec: { entrypoint: 'd', templates: [{ name: 'd', dag: { tasks: [{ name: 'a', template: 'c', dependencies: ['b'] }, { name: 'b', template: 'c', dependencies: ['a'] }] } }, { name: 'c', container: { image: 'x' } }] } };
  const cyc = await env.call('POST', `/api/v1/workflows/${ns}/lint`, { body: { workflow: dag } });
  assert.equal(cyc.status, 400);
  assert.match(cyc.body.message, /cycle/i);
  const t = await env.call('POST', `/api/v1/workflow-templates/${ns}/lint`, { body: { template: { metadata: { name: 't' }, spec: { templates: [{ name: 'a', steps: [[{ name: 's', template: 'zzz' }]] }] } } } });
  assert.equal(t.status, 400);
  assert.match(t.body.message, /zzz/);
  const c = await env.call('POST', `/api/v1/cron-workflows/${ns}/lint`, { body: { cronWorkflow: { metadata: { name: 'c' }, spec: { schedule: 'not a schedule', workflowSpec: hello('x').spec } } } });
  assert.equal(c.status, 400);
  assert.match(c.body.message, /schedule/);
});

test('workflow templates, cluster workflow templates: CRUD and submit with parameters, entrypoint, labels', async () => {
  const tmpl = { metadata: { name: 'greet' }, spec: { entrypoint: 'main', arguments: { parameters: [{ name: 'who', value: 'world' }] }, templates: [{ name: 'main', container: { image: 'busybox', command: ['echo', '{{workflow.parameters.who}}'] } }, { name: 'other', container: { image: 'busybox', command: ['true'] } }] } };
  const c = await env.call('POST', `/api/v1/workflow-templates/${ns}`, { body: { template: tmpl } });
  assert.equal(c.status, 200, c.text);
  assert.equal(c.body.kind, 'WorkflowTemplate');
  assert.equal((await env.call('GET', `/api/v1/workflow-templates/${ns}`)).body.items.length, 1);
  const g = await env.call('GET', `/api/v1/workflow-templates/${ns}/greet`);
  assert.equal(g.body.spec.entrypoint, 'main');
  const u = await env.call('PUT', `/api/v1/workflow-templates/${ns}/greet`, { body: { template: { ...g.body, metadata: { ...g.body.metadata, labels: { v: '2' } } } } });
  assert.equal(u.status, 200, u.text);
  assert.equal(u.body.metadata.labels.v, '2');
  const s = await env.call('POST', `/api/v1/workflows/${ns}/submit`, { body: { resourceKind: 'WorkflowTemplate', resourceName: 'greet', submitOptions: { parameters: ['who=flotilla'], entryPoint: 'other', labels: 'team=a,x=y', serviceAccount: 'runner' } } });
  assert.equal(s.status, 200, s.text);
  assert.match(s.body.metadata.name, /^greet-/);
  assert.equal(s.body.metadata.labels['workflows.argoproj.io/workflow-template'], 'greet');
  assert.equal(s.body.metadata.labels.team, 'a');
  assert.deepEqual(s.body.spec.workflowTemplateRef, { name: 'greet' });
  assert.deepEqual(s.body.spec.arguments.parameters, [{ name: 'who', value: 'flotilla' }]);
  assert.equal(s.body.spec.entrypoint, 'other');
  assert.equal(s.body.spec.serviceAccountName, 'runner');
  // a workflow referring to the template validates against it
  const ref = await env.call('POST', `/api/v1/workflows/${ns}`, { body: { workflow: { metadata: { generateName: 'ref-' }, spec: { entrypoint: 'main', templates: [{ name: 'main', steps: [[{ name: 'a', templateRef: { name: 'greet', template: 'other' } }]] }] } } } });
  assert.equal(ref.status, 200, ref.text);
  const refBad = await env.call('POST', `/api/v1/workflows/${ns}`, { body: { workflow: { metadata: { generateName: 'ref-' }, spec: { entrypoint: 'main', templates: [{ name: 'main', steps: [[{ name: 'a', templateRef: { name: 'greet', template: 'absent' } }]] }] } } } });
  assert.equal(refBad.status, 400, refBad.text);
  const missing = await env.call('POST', `/api/v1/workflows/${ns}/submit`, { body: { resourceKind: 'WorkflowTemplate', resourceName: 'nope' } });
  assert.equal(missing.status, 404);

  const cw = await env.call('POST', '/api/v1/cluster-workflow-templates', { body: { template: { ...tmpl, metadata: { name: 'cgreet' } } } });
  assert.equal(cw.status, 200, cw.text);
  assert.equal(cw.body.kind, 'ClusterWorkflowTemplate');
  const cs = await env.call('POST', `/api/v1/workflows/${ns}/submit`, { body: { resourceKind: 'ClusterWorkflowTemplate', resourceName: 'cgreet' } });
  assert.equal(cs.status, 200, cs.text);
  assert.deepEqual(cs.body.spec.workflowTemplateRef, { name: 'cgreet', clusterScope: true });
  assert.equal(cs.body.metadata.labels['workflows.argoproj.io/cluster-workflow-template'], 'cgreet');
  assert.equal((await env.call('DELETE', '/api/v1/cluster-workflow-templates/cgreet')).status, 200);
  assert.equal((await env.call('GET', '/api/v1/cluster-workflow-templates/cgreet')).status, 404);
  assert.equal((await env.call('DELETE', `/api/v1/workflow-templates/${ns}/greet`)).status, 200);
});

test('cron workflows: create, get, suspend, resume, submit from, delete', async () => {
  const cron = { metadata: { name: 'nightly' }, spec: { schedule: '0 1 * * *', workflowMetadata: { labels: { from: 'cron' } }, workflowSpec: hello('x').spec } };
  const c = await env.call('POST', `/api/v1/cron-workflows/${ns}`, { body: { cronWorkflow: cron } });
  assert.equal(c.status, 200, c.text);
  assert.equal(c.body.kind, 'CronWorkflow');
  const s = await env.call('PUT', `/api/v1/cron-workflows/${ns}/nightly/suspend`, { body: {} });
  assert.equal(s.body.spec.suspend, true);
  const r = await env.call('PUT', `/api/v1/cron-workflows/${ns}/nightly/resume`, { body: {} });
  assert.equal(r.status, 200, r.text);
  assert.ok(!('suspend' in r.body.spec), 'resume leaves no suspend key (upstream\'s TestCronWorkflowService)');
  assert.ok(!('suspend' in (await env.client.get<any>(AR.cronWorkflows, ns, 'nightly')).spec));
  const sub = await env.call('POST', `/api/v1/workflows/${ns}/submit`, { body: { resourceKind: 'cronwf', resourceName: 'nightly' } });
  assert.equal(sub.status, 200, sub.text);
  assert.equal(sub.body.metadata.labels['workflows.argoproj.io/cron-workflow'], 'nightly');
  assert.equal(sub.body.metadata.labels.from, 'cron');
  assert.equal(sub.body.metadata.ownerReferences[0].kind, 'CronWorkflow');
  assert.equal(sub.body.spec.entrypoint, 'main');
  assert.equal((await env.call('GET', `/api/v1/cron-workflows/${ns}`)).body.items.length, 1);
  assert.equal((await env.call('DELETE', `/api/v1/cron-workflows/${ns}/nightly`)).status, 200);
});

test('retry reruns only failed nodes (their pods deleted); resubmit makes a new workflow; retry of a running one is refused', async () => {
  await failedWorkflow('rt');
  await env.client.create(R.pods, ns, { metadata: { name: 'rt-ok-4', labels: { 'workflows.argoproj.io/workflow': 'rt' } }, spec: { containers: [{ name: 'main', image: 'busybox' }] } } as any);
  const { podName } = await import('@flotilla/workflows-controller');
  const failedPod = podName('rt', 'rt[1].b', 'ok');
  await env.client.create(R.pods, ns, { metadata: { name: failedPod, labels: { 'workflows.argoproj.io/workflow': 'rt' } }, spec: { containers: [{ name: 'main', image: 'busybox' }] } } as any);
  await env.client.create(AR.taskResults, ns, { metadata: { name: 'rt-4', labels: { 'workflows.argoproj.io/workflow': 'rt' } } } as any);
  const r = await env.call('PUT', `/api/v1/workflows/${ns}/rt/retry`, { body: { name: 'rt', namespace: ns } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.status.phase, 'Running');
  assert.deepEqual(Object.keys(r.body.status.nodes).sort(), ['rt', 'rt-1', 'rt-2', 'rt-3']);
  assert.equal(r.body.status.nodes['rt-2'].phase, 'Succeeded', 'the succeeded step keeps its result');
  assert.equal(r.body.metadata.labels['workflows.argoproj.io/completed'], 'false');
  await assert.rejects(env.client.get(R.pods, ns, failedPod), /not found/);
  await assert.rejects(env.client.get(AR.taskResults, ns, 'rt-4'), /not found/);
  await env.client.get(R.pods, ns, 'rt-ok-4');
  const again = await env.call('PUT', `/api/v1/workflows/${ns}/rt/retry`, { body: {} });
  assert.equal(again.status, 400);
  assert.equal(again.body.code, 9);
  assert.match(again.body.message, /Failed\/Error/);
  const rs = await env.call('PUT', `/api/v1/workflows/${ns}/rt/resubmit`, { body: { parameters: ['p=1'] } });
  assert.equal(rs.status, 200, rs.text);
  assert.match(rs.body.metadata.name, /^rt-/);
  assert.equal(rs.body.metadata.labels['workflows.argoproj.io/resubmitted-from-workflow'], 'rt');
  assert.equal(rs.body.status, undefined);
  assert.deepEqual(rs.body.spec.arguments.parameters, [{ name: 'p', value: '1' }]);
  await failedWorkflow('memo');
  const memo = await env.call('PUT', `/api/v1/workflows/${ns}/memo/resubmit`, { body: { memoized: true } });
  assert.equal(memo.status, 200, memo.text);
  const nn = memo.body.metadata.name;
  assert.match(nn, /^memo-[a-z0-9]{5}$/);
  assert.equal(memo.body.status.phase, 'Running');
  assert.deepEqual(Object.values(memo.body.status.nodes).map((n: any) => `${n.name}:${n.phase}`).sort(), [`${nn}:Running`, `${nn}[0].a:Succeeded`, `${nn}[0]:Succeeded`, `${nn}[1]:Running`]);
});

test('suspend, resume (with node selector), set (outputs of a suspend node), stop, terminate', async () => {
  const r0 = await env.call('POST', `/api/v1/workflows/${ns}`, { body: { workflow: { metadata: { name: 'sus' }, spec: { entrypoint: 'main', templates: [{ name: 'main', steps: [[{ name: 'approve', template: 'wait' }]] }, { name: 'wait', suspend: {}, outputs: { parameters: [{ name: 'ok', valueFrom: { supplied: {} } }] } }] } } } });
  assert.equal(r0.status, 200, r0.text);
  const wf = await env.client.get<any>(AR.workflows, ns, 'sus');
  wf.status = { phase: 'Running', nodes: {
    sus: { id: 'sus', name: 'sus', displayName: 'sus', type: 'Steps', phase: 'Running', children: ['sus-1'] },
    'sus-1': { id: 'sus-1', name: 'sus[0]', displayName: '[0]', type: 'StepGroup', phase: 'Running', boundaryID: 'sus', children: ['sus-2'] },
    'sus-2': { id: 'sus-2', name: 'sus[0].approve', displayName: 'approve', type: 'Suspend', phase: 'Running', boundaryID: 'sus', templateName: 'wait' },
  } };
  await env.client.update(AR.workflows, wf);
  const s = await env.call('PUT', `/api/v1/workflows/${ns}/sus/suspend`, { body: {} });
  assert.equal(s.status, 200, s.text);
  assert.equal(s.body.spec.suspend, true);
  const set = await env.call('PUT', `/api/v1/workflows/${ns}/sus/set`, { body: { nodeFieldSelector: 'displayName=approve', outputParameters: JSON.stringify({ ok: 'yes' }) } });
  assert.equal(set.status, 200, set.text);
  assert.deepEqual(set.body.status.nodes['sus-2'].outputs.parameters, [{ name: 'ok', value: 'yes' }]);
  const none = await env.call('PUT', `/api/v1/workflows/${ns}/sus/set`, { body: { nodeFieldSelector: 'displayName=nobody', phase: 'Succeeded' } });
  assert.equal(none.status, 404);
  const badSel = await env.call('PUT', `/api/v1/workflows/${ns}/sus/resume`, { body: { nodeFieldSelector: 'colour=red' } });
  assert.equal(badSel.status, 400);
  assert.match(badSel.body.message, /colour/);
  const other = await env.call('PUT', `/api/v1/workflows/${ns}/sus/resume`, { body: { nodeFieldSelector: 'displayName=other' } });
  assert.equal(other.body.status.nodes['sus-2'].phase, 'Running', 'a selector that picks nothing resumes nothing');
  const res = await env.call('PUT', `/api/v1/workflows/${ns}/sus/resume`, { body: { nodeFieldSelector: 'displayName=approve' } });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.status.nodes['sus-2'].phase, 'Succeeded');
  assert.equal(res.body.spec.suspend, undefined);
  const stop = await env.call('PUT', `/api/v1/workflows/${ns}/sus/stop`, { body: { message: 'enough' } });
  assert.equal(stop.body.spec.shutdown, 'Stop');
  const term = await env.call('PUT', `/api/v1/workflows/${ns}/sus/terminate`, { body: {} });
  assert.equal(term.body.spec.shutdown, 'Terminate');
  await failedWorkflow('done1');
  const late = await env.call('PUT', `/api/v1/workflows/${ns}/done1/terminate`, { body: {} });
  assert.equal(late.status, 400);
  assert.match(late.body.message, /completed/);
});

test('workflow-events stream: existing and new workflows as {"result": {type, object}} lines; stream/events relays Events', async () => {
  let created = false;
  const got = readStream(env.base, `/api/v1/workflow-events/${ns}?listOptions.fieldSelector=metadata.name%3Dwatched&fields=result.type,result.object.metadata.name,result.object.kind`, (lines) => lines.some((l) => l.result?.type === 'MODIFIED'), {
    timeoutMs: 15_000,
    onOpen: () => {
      if (created) return;
      created = true;
      void (async () => {
        await env.call('POST', `/api/v1/workflows/${ns}`, { body: { workflow: hello('watched') } });
        await env.call('PUT', `/api/v1/workflows/${ns}/watched/suspend`, { body: {} });
      })();
    },
  });
  const { status, lines } = await got;
  assert.equal(status, 200);
  assert.deepEqual(lines.map((l) => l.result.type).slice(0, 2), ['ADDED', 'MODIFIED']);
  assert.equal(lines[0].result.object.metadata.name, 'watched');
  assert.equal(lines[0].result.object.kind, 'Workflow');
  assert.deepEqual(Object.keys(lines[0].result.object.metadata), ['name'], 'fields filter the envelope');
  // Accept: text/event-stream (upstream's TestWorkflowServiceStream, the UI's EventSource): the same objects as server-sent events
  const sse = await readStream(env.base, `/api/v1/workflow-events/${ns}?listOptions.fieldSelector=metadata.name%3Dwatched&fields=result.type,result.object.metadata.name`, (l) => l.length > 0, { headers: { accept: 'text/event-stream' } });
  assert.equal(sse.status, 200);
  assert.equal(sse.contentType, 'text/event-stream');
  assert.match(sse.raw, /^data: \{"result":\{"type":"ADDED","object":\{"metadata":\{"name":"watched"\}\}\}\}\n\n/);
  assert.deepEqual(sse.lines[0], { result: { type: 'ADDED', object: { metadata: { name: 'watched' } } } });

  let sent = false;
  const ev = await readStream(env.base, `/api/v1/stream/events/${ns}`, (lines) => lines.some((l) => l.result?.reason === 'FlotillaTest'), {
    timeoutMs: 15_000,
    onOpen: () => {
      if (sent) return;
      sent = true;
      void env.client.create(R.events, ns, { metadata: { name: 'ev-1' }, involvedObject: { kind: 'Workflow', name: 'watched', namespace: ns }, reason: 'FlotillaTest', message: 'hello', type: 'Normal' } as any);
    },
  });
  assert.ok(ev.lines.some((l) => l.result.reason === 'FlotillaTest' && l.result.message === 'hello'), JSON.stringify(ev.lines));
});

test('logs: every pod of a workflow, {"result": {podName, content}} lines, grep; one pod by name', async () => {
  await env.call('POST', `/api/v1/workflows/${ns}`, { body: { workflow: hello('logged') } });
  const wf = await env.client.get<any>(AR.workflows, ns, 'logged');
  wf.status = { phase: 'Succeeded' };
  await env.client.update(AR.workflows, wf);
  for (const [i, pod] of ['logged-a', 'logged-b'].entries()) {
    const p = await env.client.create<any>(R.pods, ns, { metadata: { name: pod, labels: { 'workflows.argoproj.io/workflow': 'logged' } }, spec: { nodeName: 'node-1', containers: [{ name: 'main', image: 'busybox' }, { name: 'wait', image: 'argoexec' }] } } as any);
    p.status = { phase: 'Succeeded', containerStatuses: [{ name: 'main', state: { terminated: { exitCode: 0 } } }, { name: 'wait', state: { terminated: { exitCode: 0 } } }] };
    await env.client.update(R.pods, p, 'status');
    logLines[`${pod}/main`] = [`hello from ${pod}`, `line ${i}`];
    logLines[`${pod}/wait`] = ['wait says hi'];
  }
  const all = await readStream(env.base, `/api/v1/workflows/${ns}/logged/log?logOptions.container=main`, () => false, { timeoutMs: 10_000 });
  assert.equal(all.status, 200);
  assert.deepEqual(all.lines, [
    { result: { podName: 'logged-a', content: 'hello from logged-a' } },
    { result: { podName: 'logged-a', content: 'line 0' } },
    { result: { podName: 'logged-b', content: 'hello from logged-b' } },
    { result: { podName: 'logged-b', content: 'line 1' } },
  ]);
  const grep = await readStream(env.base, `/api/v1/workflows/${ns}/logged/log?logOptions.container=main&grep=hello`, () => false);
  assert.equal(grep.lines.length, 2);
  const one = await readStream(env.base, `/api/v1/workflows/${ns}/logged/logged-b/log?logOptions.container=wait`, () => false);
  assert.deepEqual(one.lines, [{ result: { podName: 'logged-b', content: 'wait says hi' } }]);
  const oneSse = await readStream(env.base, `/api/v1/workflows/${ns}/logged/logged-b/log?logOptions.container=wait`, () => false, { headers: { accept: 'text/event-stream' } });
  assert.equal(oneSse.contentType, 'text/event-stream');
  assert.equal(oneSse.raw, 'data: {"result":{"podName":"logged-b","content":"wait says hi"}}\n\n');
  const missing = await env.call('GET', `/api/v1/workflows/${ns}/nope/log?logOptions.container=main`);
  assert.equal(missing.status, 404);
});

test('events API: a WorkflowEventBinding whose selector matches submits its template with parameters from the payload', async () => {
  await env.call('POST', `/api/v1/workflow-templates/${ns}`, { body: { template: { metadata: { name: 'on-event' }, spec: { entrypoint: 'main', arguments: { parameters: [{ name: 'msg' }] }, templates: [{ name: 'main', container: { image: 'busybox', command: ['echo', '{{workflow.parameters.msg}}'] } }] } } } });
  await env.client.create(AR.eventBindings, ns, { metadata: { name: 'bind' }, spec: { event: { selector: 'payload.message != "" && discriminator == "my-disc"' }, submit: { workflowTemplateRef: { name: 'on-event' }, arguments: { parameters: [{ name: 'msg', valueFrom: { event: 'payload.message' } }] } } } } as any);
  const miss = await env.call('POST', `/api/v1/events/${ns}/other`, { body: { message: 'x' } });
  assert.equal(miss.status, 200);
  const hit = await env.call('POST', `/api/v1/events/${ns}/my-disc`, { body: { message: 'hello event' } });
  assert.equal(hit.status, 200, hit.text);
  const l = await env.call('GET', `/api/v1/workflows/${ns}?listOptions.labelSelector=workflows.argoproj.io/workflow-event-binding%3Dbind`);
  assert.equal(l.body.items.length, 1, 'exactly one workflow: the non-matching discriminator submitted none');
  assert.deepEqual(l.body.items[0].spec.arguments.parameters, [{ name: 'msg', value: 'hello event' }]);
  assert.deepEqual(l.body.items[0].spec.workflowTemplateRef, { name: 'on-event' });
});

test('events API: an empty discriminator (POST /api/v1/events/{ns}/) routes; a malformed binding (no spec: the CRD accepts it) answers 500 and gets a Warning Event', async () => {
  const { readFileSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { parseAllDocuments } = await import('yaml');
  const ens = 'events-empty';
  await env.cluster.k(['create', 'namespace', ens]);
  await env.client.create(AR.clusterWorkflowTemplates, undefined, { metadata: { name: 'event-consumer' }, spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'argoproj/argosay:v2' } }] } } as any);
  await env.client.create(AR.eventBindings, ens, { metadata: { name: 'event-consumer' }, spec: { event: { selector: 'discriminator == ""' }, submit: { workflowTemplateRef: { name: 'event-consumer', clusterScope: true } } } } as any);
  const ok = await call(env.base, 'POST', `/api/v1/events/${ens}/`, { headers: { 'content-type': 'application/json', 'x-github-event': 'push' }, body: {} });
  assert.equal(ok.status, 200, ok.text);
  const l = await env.client.list<any>(AR.workflows, ens);
  assert.equal(l.items.length, 1);
  assert.equal(l.items[0].metadata.labels['workflows.argoproj.io/cluster-workflow-template'], 'event-consumer');
  // the shipped CRD (manifests/argo-workflows/install.yaml) takes a binding without spec
  const install = readFileSync(new URL('../../../manifests/argo-workflows/install.yaml', import.meta.url), 'utf8');
  const crdDoc = parseAllDocuments(install).map((d) => d.toJSON()).find((d: any) => d?.kind === 'CustomResourceDefinition' && d.metadata?.name === 'workfloweventbindings.argoproj.io');
  assert.ok(crdDoc);
  const f = join(env.cluster.dir, 'web-crd.json');
  writeFileSync(f, JSON.stringify(crdDoc));
  await env.cluster.k(['apply', '-f', f]);
  const mf = join(env.cluster.dir, 'malformed.json');
  writeFileSync(mf, JSON.stringify({ apiVersion: 'argoproj.io/v1alpha1', kind: 'WorkflowEventBinding', metadata: { name: 'malformed', namespace: ens } }));
  await env.cluster.k(['apply', '-f', mf]);
  const bad = await call(env.base, 'POST', `/api/v1/events/${ens}/`, { headers: { 'content-type': 'application/json' }, body: {} });
  assert.equal(bad.status, 500, bad.text);
  assert.match(bad.body.message, /^failed to dispatch event: failed to evaluate workflow template expression: unable to evaluate expression '':/);
  // the good binding still submitted
  assert.equal((await env.client.list<any>(AR.workflows, ens)).items.length, 2);
  let ev: any;
  for (const end = Date.now() + 10_000; Date.now() < end && !ev; await new Promise((r) => setTimeout(r, 200))) {
    ev = (await env.client.list<any>(R.events, ens)).items.find((e: any) => e.involvedObject?.name === 'malformed' && e.involvedObject?.kind === 'WorkflowEventBinding');
  }
  assert.ok(ev, 'a Kubernetes Event on the binding');
  assert.equal(ev.type, 'Warning');
  assert.equal(ev.reason, 'WorkflowEventBindingError');
  assert.equal(ev.involvedObject.namespace, ens);
  assert.equal(ev.message, "failed to dispatch event: failed to evaluate workflow template expression: unable to evaluate expression '': unexpected token EOF (1:1)");
});

test('event sources and sensors (upstream\'s TestEventSourcesService / TestSensorService): create, get, list, update, delete, watch (SSE too)', async () => {
  for (const [base, field, kind] of [['/api/v1/event-sources', 'eventSource', 'EventSource'], ['/api/v1/sensors', 'sensor', 'Sensor']] as const) {
    const spec = field === 'eventSource' ? { calendar: { example: { interval: '10s' } } } : { dependencies: [{ name: 'dep', eventSourceName: 'test-es', eventName: 'example' }], triggers: [{ template: { name: 't', log: {} } }] };
    const name = `test-${field.toLowerCase()}`;
    const watched = readStream(env.base, `${base}/${ns}`.replace('/api/v1/', '/api/v1/stream/'), (l) => l.some((x) => x.result?.object?.metadata?.name === name), { headers: { accept: 'text/event-stream' }, timeoutMs: 15_000 });
    await new Promise((r) => setTimeout(r, 300));
    // the field in any case, as Go's encoding/json reads it (upstream's test sends "eventsource")
    const c = await env.call('POST', `${base}/${ns}`, { body: { namespace: ns, [field.toLowerCase()]: { metadata: { name, labels: { x: '1' } }, spec } } });
    assert.equal(c.status, 200, c.text);
    assert.equal(c.body.kind, kind);
    assert.ok(c.body.metadata.resourceVersion);
    assert.deepEqual(c.body.spec, spec);
    const w = await watched;
    assert.equal(w.contentType, 'text/event-stream');
    assert.ok(w.lines.some((x) => x.result.type === 'ADDED' && x.result.object.metadata.name === name), JSON.stringify(w.lines));
    const l = await env.call('GET', `${base}/${ns}`);
    assert.deepEqual(l.body.items.map((i: any) => i.metadata.name), [name]);
    const g = await env.call('GET', `${base}/${ns}/${name}`);
    assert.equal(g.status, 200, g.text);
    const u = await env.call('PUT', `${base}/${ns}/${name}`, { body: { namespace: ns, name, [field]: { ...g.body, metadata: { ...g.body.metadata, labels: { x: '2' } } } } });
    assert.equal(u.status, 200, u.text);
    assert.equal(u.body.metadata.labels.x, '2');
    assert.notEqual(u.body.metadata.resourceVersion, g.body.metadata.resourceVersion);
    const stale = await env.call('PUT', `${base}/${ns}/${name}`, { body: { [field]: g.body } });
    assert.equal(stale.status, 409, 'an update from a stale resourceVersion conflicts');
    const d = await env.call('DELETE', `${base}/${ns}/${name}`);
    assert.equal(d.status, 200, d.text);
    assert.equal((await env.call('GET', `${base}/${ns}/${name}`)).status, 404);
    assert.equal((await env.call('DELETE', `${base}/${ns}/${name}`)).status, 404);
    assert.equal((await env.call('POST', `${base}/${ns}`, { body: {} })).status, 400, `${field} is required`);
  }
});

test('auth mode client: the caller\'s token decides through Kubernetes RBAC (403 when refused); no token or an SSO token is 401', async () => {
  const c = await startServer(env.client, { namespace: ns, port: 0, address: '127.0.0.1', authModes: ['client'], log: { debug() {}, info() {}, warn() {}, error() {} } });
  try {
    await env.cluster.k(['create', 'serviceaccount', 'nobody', '-n', ns]);
    await env.cluster.k(['create', 'serviceaccount', 'reader', '-n', ns]);
    await env.cluster.k(['create', 'role', 'wf-reader', '-n', ns, '--verb=get,list,watch', '--resource=workflows.argoproj.io']);
    await env.cluster.k(['create', 'rolebinding', 'reader', '-n', ns, '--role=wf-reader', `--serviceaccount=${ns}:reader`]);
    const nobody = (await env.cluster.k(['create', 'token', 'nobody', '-n', ns])).trim();
    const reader = (await env.cluster.k(['create', 'token', 'reader', '-n', ns])).trim();
    const anon = await call(c.url, 'GET', `/api/v1/workflows/${ns}`);
    assert.equal(anon.status, 401);
    assert.equal(anon.body.code, 16);
    const refused = await call(c.url, 'GET', `/api/v1/workflows/${ns}`, { token: nobody });
    assert.equal(refused.status, 403, refused.text);
    assert.equal(refused.body.code, 7);
    assert.match(refused.body.message, /system:serviceaccount:argo:nobody/);
    const ok = await call(c.url, 'GET', `/api/v1/workflows/${ns}`, { token: reader });
    assert.equal(ok.status, 200, ok.text);
    assert.ok(ok.body.items.length > 0);
    const create = await call(c.url, 'POST', `/api/v1/workflows/${ns}`, { token: reader, body: { workflow: hello('by-reader') } });
    assert.equal(create.status, 403, 'the reader may not create');
    const bogus = await call(c.url, 'GET', `/api/v1/workflows/${ns}`, { token: 'not-a-token' });
    assert.equal(bogus.status, 401, bogus.text);
    const me = await call(c.url, 'GET', '/api/v1/userinfo', { token: reader });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.serviceAccountName, 'reader');
    assert.equal(me.body.serviceAccountNamespace, ns);
    assert.equal(me.body.subject, 'system:serviceaccount:argo:reader');
    const sso = await call(c.url, 'GET', `/api/v1/workflows/${ns}`, { token: 'v2:abc' });
    assert.equal(sso.status, 401);
    assert.match(sso.body.message, /auth mode "sso" is not enabled/);
    const redirect = await call(c.url, 'GET', '/oauth2/redirect');
    assert.equal(redirect.status, 501);
    // GET / needs no credentials (the readiness probe)
    assert.equal((await call(c.url, 'GET', '/')).status, 200);
  } finally {
    await c.close();
  }
});

test('`argo server` (main) as a process: flags, HTTPS on the port, the API, exit 0 on SIGTERM; bad flags exit 1 with usage', async () => {
  const { spawn } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const { freePort } = await import('./testenv.js');
  const { stopProcess } = await import('@flotilla/kube-runtime/testkit');
  const MAIN = `import('@flotilla/argo-server/main').then((m) => m.main(process.argv.slice(1))).then((c) => process.exit(c ?? 0), (e) => { console.error(e); process.exit(1); });`;
  const cwd = fileURLToPath(new URL('..', import.meta.url));
  const bad = spawn(process.execPath, ['--input-type=module', '-e', MAIN, '--', 'server', '--auth-mode', 'nonsense'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let badErr = '';
  bad.stderr!.on('data', (d) => (badErr += d));
  assert.equal(await new Promise((r) => bad.on('exit', r)), 1);
  assert.match(badErr, /invalid mode "nonsense"[\s\S]*Usage:\n  argo server \[flags\]/);
  await env.client.create(AR.workflows, ns, hello('in-argo') as any).catch(() => {});
  await env.client.create(AR.workflows, 'default', { ...hello('in-default'), metadata: { name: 'in-default', namespace: 'default' } } as any);
  const port = await freePort();
  const proc = spawn(process.execPath, ['--input-type=module', '-e', MAIN, '--', 'server', '--namespaced', '--auth-mode', 'server', '--auth-mode', 'client', '--port', String(port), '--kubeconfig', env.cluster.kubeconfig, '-n', ns], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: '' } });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  try {
    const base = `https://127.0.0.1:${port}`;
    const end = Date.now() + 30_000;
    for (;;) {
      const r = await call(base, 'GET', '/').catch(() => undefined);
      if (r?.status === 200) break;
      if (proc.exitCode !== null || Date.now() > end) throw new Error(`argo server did not answer: ${out}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const info = await call(base, 'GET', '/api/v1/info');
    assert.equal(info.body.managedNamespace, ns, '--namespaced reports the managed namespace');
    const l = await call(base, 'GET', '/api/v1/workflows/');
    assert.equal(l.status, 200);
    assert.ok(l.body.items.length > 0 && l.body.items.every((w: any) => w.metadata.namespace === ns), 'a list without namespace serves the managed one');
    assert.match(out, /argo-server started/);
  } finally {
    assert.equal(await stopProcess(proc, 'SIGTERM'), 0, out);
  }
});

test('logs with follow: pods that start later are followed; the stream ends when the workflow completes', async () => {
  await env.call('POST', `/api/v1/workflows/${ns}`, { body: { workflow: hello('followed') } });
  const setWf = async (phase: string) => {
    const wf = await env.client.get<any>(AR.workflows, ns, 'followed');
    wf.status = { phase };
    await env.client.update(AR.workflows, wf);
  };
  const mkPod = async (pod: string) => {
    const p = await env.client.create<any>(R.pods, ns, { metadata: { name: pod, labels: { 'workflows.argoproj.io/workflow': 'followed' } }, spec: { nodeName: 'node-1', containers: [{ name: 'main', image: 'busybox' }] } } as any);
    p.status = { phase: 'Running', containerStatuses: [{ name: 'main', state: { running: {} } }] };
    logLines[`${pod}/main`] = [`from ${pod}`];
    await env.client.update(R.pods, p, 'status');
  };
  await setWf('Running');
  await mkPod('followed-1');
  let step = 0;
  const started = Date.now();
  const got = await readStream(env.base, `/api/v1/workflows/${ns}/followed/log?logOptions.container=main&logOptions.follow=true`, (lines) => {
    if (lines.length === 1 && step === 0) {
      step = 1;
      void (async () => {
        await mkPod('followed-2');
        await new Promise((r) => setTimeout(r, 1500));
        await setWf('Succeeded');
      })();
    }
    return false;
  }, { timeoutMs: 15_000 });
  assert.deepEqual(got.lines.map((l) => l.result.content), ['from followed-1', 'from followed-2']);
  assert.ok(Date.now() - started < 12_000, 'the stream ended by itself after the workflow completed');
});
