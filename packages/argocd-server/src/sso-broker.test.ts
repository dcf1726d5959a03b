/**
 * argocd-server with `dex.config` against Flotilla's real broker (`runDex` of @flotilla/identity,
 * reading argocd-cm/argocd-secret from the same API server) whose `oidc` connector federates an
 * independent oidc-provider process with its own users. The browser goes only to argocd-server
 * (`/auth/login`, `/api/dex/*` proxied to `--dex-server`) and to the upstream IdP's form; the
 * groups the upstream IdP asserts decide an RBAC question (allowed for one user, 403 for the other).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { runDex, type RunningDex } from '@flotilla/identity';
import { argoCrds, startEnv, freePort, type Env } from './testenv.js';
import { startTestIdp, type TestIdp } from './sso/test-idp.js';
import { Browser } from './sso/browser.js';

const skip = argoCrds().reason;
let env: Env;
let idp: TestIdp;
let dex: RunningDex | undefined;
let argoUrl = '';
const UPSTREAM_SECRET = 'upstream-' + randomBytes(6).toString('hex');
const dexLog: string[] = [];

const cm = (name: string, data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'argocd' }, data });
const app = (name: string) => ({ metadata: { name, namespace: 'argocd' }, spec: { project: 'default', source: { repoURL: 'https://example.test/apps.git', path: 'guestbook', targetRevision: 'HEAD' }, destination: { server: 'https://kubernetes.default.svc', namespace: 'default' } } });

before(async () => {
  if (skip) return;
  const argoPort = await freePort();
  const idpPort = await freePort();
  const dexPort = await freePort();
  argoUrl = `http://127.0.0.1:${argoPort}`;
  const issuer = `http://127.0.0.1:${idpPort}`;
  idp = await startTestIdp({
    issuer,
    port: idpPort,
    users: {
      dora: { password: 'dora-pw', email: 'dora@example.com', groups: ['platform'] },
      evan: { password: 'evan-pw', email: 'evan@example.com', groups: ['guests'] },
    },
    clients: [{ client_id: 'flotilla-dex', client_secret: UPSTREAM_SECRET, redirect_uris: [`${argoUrl}/api/dex/callback`] }],
  });
  const dexConfig = [
    'connectors:',
    '- type: oidc',
    '  id: corp',
    '  name: Corp SSO',
    '  config:',
    `    issuer: ${issuer}`,
    '    clientID: flotilla-dex',
    '    clientSecret: $dex.corp.clientSecret',
    '    insecureEnableGroups: true',
    '    scopes: [openid, profile, email, groups]',
  ].join('\n');
  env = await startEnv({
    port: argoPort,
    insecure: true,
    dexServer: `127.0.0.1:${dexPort}`,
    setup: async (c) => {
      const f = join(c.dir, 'sso.json');
      writeFileSync(f, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [
        cm('argocd-cm', { url: argoUrl, 'dex.config': dexConfig }),
        cm('argocd-rbac-cm', { 'policy.csv': 'g, platform, role:admin' }),
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'argocd-secret', namespace: 'argocd' }, type: 'Opaque', data: { 'server.secretkey': randomBytes(32).toString('base64'), 'dex.corp.clientSecret': Buffer.from(UPSTREAM_SECRET).toString('base64') } },
      ] }));
      await c.k(['apply', '-f', f]);
    },
  });
  dex = await runDex(env.client, { namespace: 'argocd', address: '127.0.0.1', port: dexPort, metricsPort: -1, log: (level: string, msg: string) => void dexLog.push(`${level} ${msg}`) });
}, { timeout: 180_000 });

after(async () => {
  await dex?.stop();
  await env?.close();
  await idp?.stop();
});

async function login(user: string, password: string): Promise<{ b: Browser; token: string; trail: string[] }> {
  const b = new Browser();
  const form = await b.go(`${argoUrl}/auth/login?return_url=${encodeURIComponent(`${argoUrl}/applications`)}`);
  assert.equal(form.status, 200, `${form.url}: ${form.text.slice(0, 400)}\n${dexLog.join('\n')}`);
  assert.equal(new URL(form.url).origin, idp.issuer, `the upstream IdP's form: ${form.url}`);
  const done = await b.submit(form, { login: user, password });
  assert.equal(done.url, `${argoUrl}/applications`, `${done.status} ${done.text.slice(0, 400)}\n${dexLog.join('\n')}`);
  return { b, token: b.cookie(argoUrl, 'argocd.token') ?? '', trail: [...form.trail, ...done.trail] };
}

test('login through argocd-server → the broker (/api/dex) → the upstream IdP and back: a Dex ID token in argocd.token', { skip }, async () => {
  const { token, trail } = await login('dora', 'dora-pw');
  const c = decodeJwt(token);
  assert.equal(c.iss, `${argoUrl}/api/dex`);
  assert.equal(c.aud, 'argo-cd');
  assert.equal(c.email, 'dora@example.com');
  assert.deepEqual(c.groups, ['platform']);
  assert.deepEqual((c as any).federated_claims?.connector_id, 'corp');
  // the browser saw only argocd-server and the upstream IdP, never the broker's own port
  for (const u of trail) assert.ok(u.startsWith(argoUrl) || u.startsWith(idp.issuer), u);
  assert.ok(trail.some((u) => u.startsWith(`${argoUrl}/api/dex/auth`)));
  assert.ok(trail.some((u) => u.startsWith(`${argoUrl}/api/dex/callback`)));
  const info = await env.call('GET', '/api/v1/session/userinfo', { token });
  assert.deepEqual(info.body, { loggedIn: true, username: 'dora@example.com', iss: `${argoUrl}/api/dex`, groups: ['platform'] });
});

test('the upstream groups decide: dora (platform → role:admin) creates an app, evan (guests) gets 403', { skip }, async () => {
  const dora = (await login('dora', 'dora-pw')).token;
  const evan = (await login('evan', 'evan-pw')).token;
  const ok = await env.call('POST', '/api/v1/applications', { token: dora, body: app('broker-app') });
  assert.equal(ok.status, 200, ok.text);
  const no = await env.call('POST', '/api/v1/applications', { token: evan, body: app('broker-evan') });
  assert.equal(no.status, 403, no.text);
  assert.match(no.body.message, /^permission denied: applications, create, default\/broker-evan/);
});
