/**
 * Proxy extensions: the configuration (pure), and argocd-server (in-process, real API server) in front
 * of real backend HTTP servers on loopback — auth, headers, RBAC, project check, cluster choice,
 * streaming, errors, configuration read again on change, and the feature off.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { request as httpsRequest, createServer as createHttpsServer } from 'node:https';
import { generate } from 'selfsigned';
import { waitFor } from '@flotilla/kube-runtime/testkit';
import { argoCrds, startEnv, type Env } from './testenv.js';
import { parseDuration, parseExtensions, serviceFor } from './extensions-config.js';

const skip = argoCrds().reason;

test('extension.config: documented fields, extension.config.<name>, $secret headers, bad entries left out with where', () => {
  const cm = {
    'extension.config': `extensions:
- name: httpbin
  backend:
    connectionTimeout: 2s
    keepAlive: 15s
    idleConnectionTimeout: 1m30s
    maxIdleConnections: 30
    responseHeaderTimeout: 500ms
    services:
    - url: http://httpbin.test:8000/base
      headers:
      - name: Authorization
        value: '$ext.token'
      - name: X-Plain
        value: plain
      cluster:
        name: in-cluster
- name: broken
  backend:
    services:
    - url: ftp://nope
- name: nosecret
  backend:
    services:
    - url: http://a.test
      headers: [{name: X-K, value: '$missing.key'}]
`,
    'extension.config.solo': `services:\n- url: https://solo.test\n  insecureSkipVerify: true\n`,
    'extension.config.multi': `services:\n- url: http://a.test\n- url: http://b.test\n  cluster: {server: https://b}\n`,
    'extension.config.httpbin': `services:\n- url: http://dup.test\n`,
  };
  const { extensions, errors } = parseExtensions(cm, { 'ext.token': 'Bearer s3cret' });
  assert.deepEqual([...extensions.keys()].sort(), ['httpbin', 'solo']);
  const h = extensions.get('httpbin')!;
  assert.equal(h.backend.connectionTimeoutMs, 2000);
  assert.equal(h.backend.idleConnectionTimeoutMs, 90_000);
  assert.equal(h.backend.responseHeaderTimeoutMs, 500);
  assert.deepEqual(h.backend.services[0].headers, [{ name: 'Authorization', value: 'Bearer s3cret' }, { name: 'X-Plain', value: 'plain' }]);
  assert.equal(extensions.get('solo')!.backend.services[0].insecureSkipVerify, true);
  assert.equal(extensions.get('solo')!.backend.keepAliveMs, 15_000);
  const text = errors.join('\n');
  assert.match(text, /extensions\[1\] broken\.backend\.services\[0\]\.url: want http:\/\/ or https:\/\/, got ftp:/);
  assert.match(text, /nosecret\.backend\.services\[0\]\.headers\[0\]\.value: argocd-secret has no key "missing\.key"/);
  assert.match(text, /extension\.config\.multi multi\.backend\.services\[0\]\.cluster: with more than one service, each needs cluster\.name or cluster\.server/);
  assert.match(text, /extension "httpbin" is configured twice/);
  assert.equal(errors.length, 4);
  assert.match(parseExtensions({ 'extension.config': 'extensions: [' }, {}).errors[0], /argocd-cm extension\.config: invalid YAML/);
  assert.throws(() => parseDuration('2 seconds', 'x.connectionTimeout'), /x\.connectionTimeout: invalid duration "2 seconds"/);
  assert.equal(parseDuration('1h2m3s4ms', 'x'), 3_723_004);
});

test('serviceFor: the only service, else the one of the destination cluster (name, server, in-cluster both ways)', () => {
  const { extensions } = parseExtensions({ 'extension.config.m': `services:\n- url: http://a.test\n  cluster: {name: in-cluster}\n- url: http://b.test\n  cluster: {server: https://b.example}\n- url: http://c.test\n  cluster: {name: c, server: https://c.example}\n` }, {});
  const b = extensions.get('m')!.backend;
  assert.equal(serviceFor(b, { server: 'https://kubernetes.default.svc' })?.url.host, 'a.test');
  assert.equal(serviceFor(b, { name: 'in-cluster' })?.url.host, 'a.test');
  assert.equal(serviceFor(b, { server: 'https://b.example/' })?.url.host, 'b.test');
  assert.equal(serviceFor(b, { name: 'c', server: 'https://c.example' })?.url.host, 'c.test');
  assert.equal(serviceFor(b, { server: 'https://elsewhere' }), undefined);
  const one = parseExtensions({ 'extension.config.o': `services:\n- url: http://o.test\n` }, {}).extensions.get('o')!.backend;
  assert.equal(serviceFor(one, { server: 'https://anything' })?.url.host, 'o.test');
});

// ------------------------------------------------------------------------------------- integration
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}
interface Backend {
  server: Server;
  url: string;
  seen: Seen[];
}

async function backend(tag: string): Promise<Backend> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() });
      if (req.url!.replace(/^\/base/, '').startsWith('/stream')) {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first\n');
        setTimeout(() => res.end('second\n'), 1500);
        return;
      }
      if (req.url!.replace(/^\/base/, '').startsWith('/slow')) {
        setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end('late'), 1200);
        return;
      }
      if (req.url!.replace(/^\/base/, '').startsWith('/teapot')) {
        res.writeHead(418, { 'x-backend': tag });
        return void res.end('short and stout');
      }
      res.writeHead(200, { 'content-type': 'application/json', 'x-backend': tag, 'set-cookie': 'b=1' });
      res.end(JSON.stringify({ backend: tag, path: req.url }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, seen };
}

let env: Env;
let admin: string;
let alice: string;
let ro: string;
let a: Backend;
let b: Backend;
let tlsServer: Server;
let tlsUrl: string;

async function apply(obj: unknown, name: string) {
  const f = join(env.cluster.dir, `${name}.json`);
  writeFileSync(f, JSON.stringify(obj));
  await env.cluster.k(['apply', '-f', f]);
}
const app = (name: string, project: string, server: string) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name, namespace: 'argocd' }, spec: { project, source: { repoURL: 'https://example.test/apps.git', path: 'x', targetRevision: 'HEAD' }, destination: { server, namespace: 'default' } } });
const extConfig = () => `extensions:
- name: httpbin
  backend:
    connectionTimeout: 1s
    services:
    - url: ${a.url}/base
      headers:
      - {name: Authorization, value: '$ext.token'}
      - {name: X-Static, value: static}
`;
const hdr = (appName = 'argocd:web', project = 'default') => ({ 'Argocd-Application-Name': appName, 'Argocd-Project-Name': project });


before(async () => {
  if (skip) return;
  a = await backend('a');
  b = await backend('b');
  // an HTTPS backend with a self-signed certificate (as argo-server's default)
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], { keySize: 2048 } as any);
  tlsServer = createHttpsServer({ cert: pems.cert, key: pems.private }, (req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(`tls ${req.url}`)) as unknown as Server;
  await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', () => r()));
  tlsUrl = `https://127.0.0.1:${(tlsServer.address() as { port: number }).port}`;
  env = await startEnv({
    enableProxyExtension: true,
    setup: async (c) => {
      const f = join(c.dir, 'cms.json');
      const cm = (name: string, data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'argocd' }, data });
      writeFileSync(f, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [
        cm('argocd-cm', {
          'accounts.alice': 'login', 'accounts.ro': 'login',
          'extension.config': extConfig(),
          'extension.config.multi': `services:\n- url: ${a.url}\n  cluster: {name: in-cluster}\n- url: ${b.url}\n  cluster: {server: https://other.example}\n`,
          'extension.config.down': `connectionTimeout: 500ms\nservices:\n- url: http://127.0.0.1:1\n`,
          'extension.config.tls-verified': `services:\n- url: ${tlsUrl}\n`,
          'extension.config.tls-skip': `services:\n- url: ${tlsUrl}\n  insecureSkipVerify: true\n`,
          'extension.config.hurried': `responseHeaderTimeout: 300ms\nservices:\n- url: ${a.url}\n`,
        }),
        cm('argocd-rbac-cm', { 'policy.csv': 'g, ro, role:readonly\np, alice, applications, get, default/*, allow\np, alice, extensions, invoke, httpbin, allow' }),
      ] }));
      await c.k(['apply', '-f', f]);
      await c.k(['create', 'secret', 'generic', 'argocd-secret', '-n', 'argocd', '--from-literal=ext.token=Bearer backend-token']);
    },
  });
  const pw = await env.adminPassword();
  admin = await env.login('admin', pw);
  for (const u of ['alice', 'ro']) assert.equal((await env.call('PUT', '/api/v1/account/password', { token: admin, body: { name: u, currentPassword: pw, newPassword: `${u}-password-1` } })).status, 200);
  alice = await env.login('alice', 'alice-password-1');
  ro = await env.login('ro', 'ro-password-1');
  await apply({ apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', metadata: { name: 'p1', namespace: 'argocd' }, spec: { sourceRepos: ['*'], destinations: [{ server: '*', namespace: '*' }] } }, 'p1');
  await apply({ apiVersion: 'v1', kind: 'List', items: [app('web', 'default', 'https://kubernetes.default.svc'), app('far', 'default', 'https://other.example'), app('p1-web', 'p1', 'https://kubernetes.default.svc')] }, 'apps');
  await waitFor('the apps in the cache', async () => env.server.ctx.store.apps.list('argocd').length === 3);
}, { timeout: 180_000 });
after(async () => {
  await env?.close();
  a?.server.close();
  b?.server.close();
  tlsServer?.close();
});

test('forwards /extensions/<name>/<path> to the backend: path, query, body, configured and user headers, no Argo CD session', { skip }, async () => {
  const r = await env.call('POST', '/extensions/httpbin/api/v1/things?x=1&y=%2F', { token: admin, headers: { ...hdr(), cookie: 'argocd.token=abc; argocd.token-1=def; theme=dark', 'Argocd-Username': 'forged', 'content-type': 'text/plain' }, raw: 'hello body' });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body, { backend: 'a', path: '/base/api/v1/things?x=1&y=%2F' });
  assert.equal(r.headers['x-backend'], 'a');
  assert.deepEqual(r.headers['set-cookie'], ['b=1']);
  const s = a.seen.at(-1)!;
  assert.equal(s.method, 'POST');
  assert.equal(s.body, 'hello body');
  assert.equal(s.headers.authorization, 'Bearer backend-token', 'the configured header, from argocd-secret, replaces the user token');
  assert.equal(s.headers['x-static'], 'static');
  assert.equal(s.headers.cookie, 'theme=dark', "Argo CD's session cookies are not forwarded");
  assert.equal(s.headers['argocd-username'], 'admin');
  assert.equal(s.headers['argocd-user-id'], 'admin');
  assert.equal(s.headers['argocd-user-groups'], '');
  assert.equal(s.headers['argocd-application-name'], 'argocd:web');
  assert.equal(s.headers['argocd-project-name'], 'default');
  assert.equal(s.headers['argocd-target-cluster-url'], 'https://kubernetes.default.svc');
  assert.equal(s.headers.host, new URL(a.url).host);
});

test('auth and RBAC: 401 without a session, 400 without the headers, 403 without extensions invoke / app get / matching project', { skip }, async () => {
  const path = '/extensions/httpbin/ping';
  const n = a.seen.length;
  let r = await env.call('GET', path, { headers: hdr() });
  assert.equal(r.status, 401, r.text);
  r = await env.call('GET', path, { token: 'not-a-jwt', headers: hdr() });
  assert.equal(r.status, 401, r.text);
  r = await env.call('GET', path, { token: admin });
  assert.equal(r.status, 400, r.text);
  assert.match(r.body.message, /Argocd-Application-Name .* and Argocd-Project-Name are required/);
  r = await env.call('GET', path, { token: admin, headers: hdr('web') });
  assert.equal(r.status, 400, r.text);
  assert.match(r.body.message, /want <namespace>:<app>/);
  r = await env.call('GET', path, { token: ro, headers: hdr() });
  assert.equal(r.status, 403, r.text);
  assert.match(r.body.message, /permission denied: extensions, invoke, httpbin, sub: ro:login/);
  r = await env.call('GET', path, { token: alice, headers: hdr() });
  assert.equal(r.status, 200, r.text);
  assert.equal(a.seen.at(-1)!.headers['argocd-username'], 'alice');
  r = await env.call('GET', path, { token: alice, headers: hdr('argocd:p1-web', 'p1') });
  assert.equal(r.status, 403, r.text);
  assert.match(r.body.message, /permission denied: applications, get, p1\/p1-web/);
  r = await env.call('GET', path, { token: admin, headers: hdr('argocd:p1-web', 'default') });
  assert.equal(r.status, 403, 'the project header must be the app project');
  r = await env.call('GET', path, { token: admin, headers: hdr('argocd:nosuch') });
  assert.equal(r.status, 403);
  r = await env.call('GET', path, { token: alice, headers: hdr('argocd:web') });
  assert.equal(r.status, 200);
  assert.equal(a.seen.length, n + 2, 'only the two allowed requests reached the backend');
  r = await env.call('GET', '/extensions/nosuch/x', { token: admin, headers: hdr() });
  assert.equal(r.status, 404);
  assert.match(r.body.message, /extension "nosuch" not found/);
});

test("several services: the app's destination cluster picks the backend", { skip }, async () => {
  let r = await env.call('GET', '/extensions/multi/where', { token: admin, headers: hdr('argocd:web') });
  assert.equal(r.body?.backend, 'a', r.text);
  r = await env.call('GET', '/extensions/multi/where', { token: admin, headers: hdr('argocd:far') });
  assert.equal(r.body?.backend, 'b', r.text);
  assert.equal(b.seen.at(-1)!.headers['argocd-target-cluster-url'], 'https://other.example');
  r = await env.call('GET', '/extensions/httpbin/teapot', { token: admin, headers: hdr('argocd:far') });
  assert.equal(r.status, 418, 'one service without cluster serves every cluster; its status passes through');
  assert.equal(r.text, 'short and stout');
});

test('streams the answer as the backend writes it', { skip }, async () => {
  const u = new URL('/extensions/httpbin/stream', env.base);
  const t0 = Date.now();
  const times = await new Promise<number[]>((resolve, reject) => {
    const req = httpsRequest(u, { rejectUnauthorized: false, headers: { authorization: `Bearer ${admin}`, ...hdr() } }, (res) => {
      const at: number[] = [];
      res.on('data', () => at.push(Date.now() - t0));
      res.on('end', () => resolve(at));
    });
    req.on('error', reject);
    req.end();
  });
  assert.ok(times.length >= 2, `chunks at ${times}`);
  assert.ok(times.at(-1)! - times[0] >= 1000, `the first chunk came before the backend ended: ${times}`);
});

test('a backend that is down: 502 naming it, and the server keeps serving the rest', { skip }, async () => {
  const r = await env.call('GET', '/extensions/down/x', { token: admin, headers: hdr() });
  assert.equal(r.status, 502, r.text);
  assert.match(r.body.message, /extension "down": backend http:\/\/127\.0\.0\.1:1 failed: .*ECONNREFUSED/);
  assert.equal((await env.call('GET', '/api/v1/applications', { token: admin })).status, 200);
  assert.equal((await env.call('GET', '/api/version')).status, 200);
});

test('HTTPS backends: certificates verified (a self-signed one is refused, 502) unless the service says insecureSkipVerify', { skip }, async () => {
  const r = await env.call('GET', '/extensions/tls-verified/x', { token: admin, headers: hdr() });
  assert.equal(r.status, 502, r.text);
  assert.match(r.body.message, /self[- ]signed certificate/);
  const ok = await env.call('GET', '/extensions/tls-skip/x', { token: admin, headers: hdr() });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.text, 'tls /x');
});

test('responseHeaderTimeout: a backend slower to answer than it gets 502; without it the answer waits', { skip }, async () => {
  const r = await env.call('GET', '/extensions/hurried/slow', { token: admin, headers: hdr() });
  assert.equal(r.status, 502, r.text);
  assert.match(r.body.message, /no response headers within 300 ms \(responseHeaderTimeout\)/);
  const ok = await env.call('GET', '/extensions/httpbin/slow', { token: admin, headers: hdr() });
  assert.equal(ok.status, 200);
  assert.equal(ok.text, 'late');
});

test('argocd-cm and argocd-secret changes apply without a restart; a bad entry is logged and absent, the others stay', { skip }, async () => {
  await env.cluster.k(['patch', 'secret', '-n', 'argocd', 'argocd-secret', '--type', 'merge', '-p', JSON.stringify({ stringData: { 'ext.token': 'Bearer rotated' } })]);
  await waitFor('the new secret value', async () => {
    await env.call('GET', '/extensions/httpbin/rot', { token: admin, headers: hdr() });
    return a.seen.at(-1)!.headers.authorization === 'Bearer rotated';
  });
  await env.cluster.k(['patch', 'configmap', '-n', 'argocd', 'argocd-cm', '--type', 'merge', '-p', JSON.stringify({ data: { 'extension.config.multi': 'services: [{url: "not a url"}]' } })]);
  // logged when the change arrives, before any request
  await waitFor('the error logged', async () => env.logs.some((l) => /proxy extension not registered/.test(l) && /extension\.config\.multi multi\.backend\.services\[0\]\.url: invalid URL/.test(l)));
  assert.equal((await env.call('GET', '/extensions/multi/x', { token: admin, headers: hdr() })).status, 404);
  assert.equal((await env.call('GET', '/extensions/httpbin/still', { token: admin, headers: hdr() })).status, 200);
});

test('proxy extensions off (no --enable-proxy-extension): 404, nothing forwarded', { skip }, async () => {
  await env.restart({ enableProxyExtension: false });
  const n = a.seen.length;
  const r = await env.call('GET', '/extensions/httpbin/x', { token: await env.login('admin', await env.adminPassword()), headers: hdr() });
  assert.equal(r.status, 404);
  assert.match(r.body.message, /proxy extensions are not enabled/);
  assert.equal(a.seen.length, n);
});

test('--enable-proxy-extension and ARGOCD_SERVER_ENABLE_PROXY_EXTENSION (server.enable.proxy.extension in argocd-cmd-params-cm)', async () => {
  const { parseArgs } = await import('./options.js');
  assert.equal(parseArgs(['--enable-proxy-extension'], {}).opts.enableProxyExtension, true);
  assert.equal(parseArgs([], { ARGOCD_SERVER_ENABLE_PROXY_EXTENSION: 'true' }).opts.enableProxyExtension, true);
  assert.equal(parseArgs([], {}).opts.enableProxyExtension, undefined);
  assert.deepEqual(parseArgs(['--enable-proxy-extension'], {}).ignored, []);
  assert.throws(() => parseArgs([], { ARGOCD_SERVER_ENABLE_PROXY_EXTENSION: 'yes please' }), /invalid boolean value "yes please" for --enable-proxy-extension/);
});
