/**
 * `argo server --auth-mode sso` end to end against an independent OpenID Connect provider process (oidc-provider,
 * its own users and login form) on loopback and a real API server: a browser-like HTTP client logs in through
 * /oauth2/redirect → the IdP's form → /oauth2/callback, gets the `authorization=v2:…` cookie, and the rbac rules
 * pick a ServiceAccount by group whose own Kubernetes permissions decide (alice lists workflows, bob is refused).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { R } from '@flotilla/kube-runtime';
import { call } from '../testenv.js';
import { Browser, startSsoScenario, type SsoScenario } from './testkit.js';

let s: SsoScenario;

before(async () => {
  s = await startSsoScenario();
}, { timeout: 120_000 });

after(async () => {
  await s?.close();
});

test('the login: /oauth2/redirect → the IdP\'s login form → /oauth2/callback sets authorization=v2:… and lands on the redirect path', async () => {
  const { browser, page, token } = await s.login('alice', 'alice-pw', '/workflows/argo');
  assert.ok(token, `no authorization cookie; last page ${page.url}: ${page.status} ${page.text.slice(0, 300)}`);
  assert.match(token!, /^v2:[\w-]+\.[\w-]*\.[\w-]+\.[\w-]+\.[\w-]+$/, 'a compact JWE after v2:');
  assert.equal(new URL(page.url).pathname, '/workflows/argo', `ends on the redirect; trail ${page.trail.join(' → ')}`);
  assert.ok(page.trail.some((u) => u.startsWith(s.idp.issuer)), 'went through the IdP');
  assert.ok(page.trail.some((u) => u.includes('/oauth2/callback?')), 'came back through the callback');
  const ck = browser.cookies.find((c) => c.name === 'authorization')!;
  assert.equal(ck.path, '/');
  assert.ok(ck.secure, 'Secure over HTTPS');
  assert.equal(ck.httpOnly, false, 'readable by the UI (it shows the token for ARGO_TOKEN), as upstream');
  assert.equal(browser.cookie('oauthState'), undefined, 'the state cookie is cleared');
  // the cookie alone authenticates API calls (the UI's way)
  const me = await browser.send(`${s.env.base}/api/v1/userinfo`);
  assert.equal(me.status, 200, me.text);
  const info = JSON.parse(me.text);
  assert.equal(info.subject, 'alice');
  assert.equal(info.issuer, s.idp.issuer);
  assert.equal(info.email, 'alice@example.com');
  assert.equal(info.emailVerified, true);
  assert.deepEqual(info.groups, ['argo-admins', 'staff']);
  assert.equal(info.serviceAccountName, 'admin');
  assert.equal(info.serviceAccountNamespace, 'argo');
});

test('two users in different groups get different ServiceAccounts: alice (argo-admins → admin) lists workflows, bob (viewers → viewer) is refused', async () => {
  const alice = (await s.login('alice', 'alice-pw')).token!;
  const bob = (await s.login('bob', 'bob-pw')).token!;
  assert.ok(alice && bob);
  const la = await s.env.call('GET', '/api/v1/workflows/argo', { token: alice });
  assert.equal(la.status, 200, la.text);
  assert.deepEqual(la.body.items.map((w: any) => w.metadata.name), ['hello']);
  const lb = await s.env.call('GET', '/api/v1/workflows/argo', { token: bob });
  assert.equal(lb.status, 403, lb.text);
  assert.equal(lb.body.code, 7);
  assert.match(lb.body.message, /system:serviceaccount:argo:viewer/, 'refused by Kubernetes RBAC as the viewer ServiceAccount');
  const me = await s.env.call('GET', '/api/v1/userinfo', { token: bob });
  assert.equal(me.body.serviceAccountName, 'viewer');
  // alice acts with admin's permissions: create is allowed, delete is not (the Role has no delete)
  const mk = await s.env.call('POST', '/api/v1/workflows/argo', { token: alice, body: { workflow: { metadata: { name: 'by-alice' }, spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'busybox' } }] } } } });
  assert.equal(mk.status, 200, mk.text);
  const del = await s.env.call('DELETE', '/api/v1/workflows/argo/by-alice', { token: alice });
  assert.equal(del.status, 403, del.text);
});

test('a user no rbac-rule matches is refused (403) though logged in; precedence decides between matching rules', async () => {
  const carol = (await s.login('carol', 'carol-pw')).token!;
  assert.ok(carol, 'carol logs in');
  const r = await s.env.call('GET', '/api/v1/workflows/argo', { token: carol });
  assert.equal(r.status, 403, r.text);
  assert.match(r.body.message, /no ServiceAccount's workflows.argoproj.io\/rbac-rule in argo matches carol@example.com/);
  // alice is in staff too (viewer's rule matches her): admin wins by precedence 10 > 1; lower admin's precedence and viewer wins
  const alice = (await s.login('alice', 'alice-pw')).token!;
  const sa = await s.env.client.get<any>(R.serviceaccounts, 'argo', 'admin');
  sa.metadata.annotations['workflows.argoproj.io/rbac-rule-precedence'] = '0';
  await s.env.client.update(R.serviceaccounts, sa);
  try {
    const me = await s.env.call('GET', '/api/v1/userinfo', { token: alice });
    assert.equal(me.body.serviceAccountName, 'viewer');
  } finally {
    sa.metadata.annotations['workflows.argoproj.io/rbac-rule-precedence'] = '10';
    delete sa.metadata.resourceVersion;
    const cur = await s.env.client.get<any>(R.serviceaccounts, 'argo', 'admin');
    cur.metadata.annotations = sa.metadata.annotations;
    await s.env.client.update(R.serviceaccounts, cur);
  }
  assert.equal((await s.env.call('GET', '/api/v1/userinfo', { token: alice })).body.serviceAccountName, 'admin');
});

test('measured: a whole login (5 HTTP round trips, code redemption, ID token check) and an SSO request on loopback', async () => {
  const logins: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    const { token } = await s.login('alice', 'alice-pw');
    logins.push(performance.now() - t0);
    assert.ok(token);
  }
  const token = (await s.login('alice', 'alice-pw')).token!;
  const reqs: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    assert.equal((await s.env.call('GET', '/api/v1/workflows/argo', { token })).status, 200);
    reqs.push(performance.now() - t0);
  }
  const p50 = (a: number[]) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  process.stdout.write(`SSO login p50 ${p50(logins).toFixed(1)} ms; workflow list as the picked ServiceAccount p50 ${p50(reqs).toFixed(1)} ms\n`);
  assert.ok(p50(logins) < 2000, 'a login takes well under 2 s on loopback');
});

test('a wrong password stays on the IdP\'s form; no cookie, no token', async () => {
  const { page, token } = await s.login('alice', 'wrong');
  assert.equal(token, undefined);
  assert.equal(page.status, 401);
  assert.match(page.text, /Invalid username or password/);
});

test('forged, replayed and crossed callbacks are refused; open redirects refused', async () => {
  // no state cookie
  const b = new Browser();
  const noCookie = await b.send(`${s.env.base}/oauth2/callback?state=abc&code=xyz`);
  assert.equal(noCookie.status, 401);
  assert.match(noCookie.text, /no login state cookie/);
  // a started login, called back with another state
  const b2 = new Browser();
  const start = await b2.send(`${s.env.base}/oauth2/redirect`);
  assert.equal(start.status, 302);
  assert.ok(b2.cookies.find((c) => c.name === 'oauthState')?.httpOnly, 'the state cookie is HttpOnly');
  const auth = new URL(String(start.headers.location));
  assert.equal(auth.origin, s.idp.issuer);
  assert.equal(auth.searchParams.get('client_id'), s.clientId);
  assert.equal(auth.searchParams.get('code_challenge_method'), 'S256');
  assert.ok(auth.searchParams.get('nonce'));
  assert.match(auth.searchParams.get('scope')!, /^openid groups email profile$/);
  const crossed = await b2.send(`${s.env.base}/oauth2/callback?state=not-the-state&code=xyz`);
  assert.equal(crossed.status, 401);
  assert.match(crossed.text, /does not match/);
  // a tampered state cookie
  const st = b2.cookies.find((c) => c.name === 'oauthState')!;
  const saved = st.value;
  st.value = saved.slice(0, -4) + (saved.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  const tampered = await b2.send(`${s.env.base}/oauth2/callback?state=${auth.searchParams.get('state')}&code=xyz`);
  assert.equal(tampered.status, 401);
  assert.match(tampered.text, /state cookie is not valid/);
  // a completed login's callback replayed (an attacker who captured URL and cookie)
  const b3 = new Browser();
  const form = await b3.go(`${s.env.base}/oauth2/redirect`);
  const jar = b3.cookies.find((c) => c.name === 'oauthState')!.value;
  const done = await b3.submit(form, { username: 'alice', password: 'alice-pw' });
  assert.ok(b3.cookie('authorization'), `login ok: ${done.status} ${done.text.slice(0, 200)}`);
  const cb = done.trail.find((u) => u.includes('/oauth2/callback?'))!;
  const thief = new Browser();
  thief.cookies.push({ host: '127.0.0.1', path: '/', name: 'oauthState', value: jar, secure: true, httpOnly: true, expires: Infinity });
  const replay = await thief.send(cb);
  assert.equal(replay.status, 401);
  assert.match(replay.text, /already used/);
  assert.equal(thief.cookie('authorization'), undefined);
  // open redirects
  for (const target of ['https://evil.example.com/', '//evil.example.com/x', 'javascript:alert(1)']) {
    const r = await new Browser().send(`${s.env.base}/oauth2/redirect?redirect=${encodeURIComponent(target)}`);
    assert.equal(r.status, 400, target);
    assert.match(r.text, /refused/);
  }
  const same = await new Browser().send(`${s.env.base}/oauth2/redirect?redirect=${encodeURIComponent(`${s.env.base}/workflows`)}`);
  assert.equal(same.status, 302, 'a URL on the redirectUrl\'s origin is fine');
});

test('SSO tokens: a tampered or foreign v2: token is 401, a Kubernetes token is not accepted in sso-only mode; the key lives in Secret sso and survives a restart', async () => {
  const alice = (await s.login('alice', 'alice-pw')).token!;
  const parts = alice.split('.');
  parts[3] = parts[3]!.slice(0, -2) + (parts[3]!.endsWith('AA') ? 'BB' : 'AA');
  const bad = await s.env.call('GET', '/api/v1/workflows/argo', { token: parts.join('.') });
  assert.equal(bad.status, 401, bad.text);
  assert.equal(bad.body.code, 16);
  const junk = await s.env.call('GET', '/api/v1/workflows/argo', { token: 'v2:junk' });
  assert.equal(junk.status, 401);
  const none = await s.env.call('GET', '/api/v1/workflows/argo');
  assert.equal(none.status, 401);
  const k8s = (await s.env.cluster.k(['create', 'token', 'admin', '-n', 'argo'])).trim();
  assert.equal((await s.env.call('GET', '/api/v1/workflows/argo', { token: k8s })).status, 401, 'client mode is off');
  const secret = await s.env.client.get<any>(R.secrets, 'argo', 'sso');
  assert.ok(secret.data.privateKey, 'Secret sso holds the key');
  assert.match(Buffer.from(secret.data.privateKey, 'base64').toString(), /BEGIN PRIVATE KEY/);
  // no secret in the logs
  const logs = s.env.logs.join('\n');
  assert.doesNotMatch(logs, /argo-sso-client-secret-9f2c/);
  assert.doesNotMatch(logs, /BEGIN PRIVATE KEY/);
  await s.env.restart();
  const after = await s.env.call('GET', '/api/v1/workflows/argo', { token: alice });
  assert.equal(after.status, 200, 'a token from before the restart still works (same key from Secret sso)');
  assert.equal((await s.env.client.get<any>(R.secrets, 'argo', 'sso')).metadata.uid, secret.metadata.uid, 'the Secret was reused, not replaced');
});

test('logout without logoutRedirectUrl: /auth/logout clears the cookie and goes to the base href; the old cookie is gone from the browser', async () => {
  const { browser } = await s.login('bob', 'bob-pw');
  assert.ok(browser.cookie('authorization'));
  const out = await browser.send(`${s.env.base}/auth/logout`);
  assert.equal(out.status, 302);
  assert.equal(out.headers.location, '/');
  assert.equal(browser.cookie('authorization'), undefined);
  assert.equal((await browser.send(`${s.env.base}/api/v1/userinfo`)).status, 401);
});

test('argo-server refuses to start with --auth-mode sso and no sso section, naming the ConfigMap', async () => {
  const { startServer } = await import('../server.js');
  await assert.rejects(
    () => startServer(s.env.client, { namespace: 'argo', configMap: 'no-such-cm', port: 0, address: '127.0.0.1', authModes: ['sso'], log: { debug() {}, info() {}, warn() {}, error() {} } }),
    /--auth-mode sso needs the "sso" section in ConfigMap argo\/no-such-cm/,
  );
});

test('--auth-mode sso --auth-mode client: v2: tokens go the SSO way, Kubernetes tokens the client way, on one server', async () => {
  const { startServer } = await import('../server.js');
  const srv = await startServer(s.env.client, { namespace: 'argo', port: 0, address: '127.0.0.1', authModes: ['sso', 'client'], log: { debug() {}, info() {}, warn() {}, error() {} } });
  try {
    const bob = (await s.login('bob', 'bob-pw')).token!;
    const k8s = (await s.env.cluster.k(['create', 'token', 'admin', '-n', 'argo'])).trim();
    const asAdmin = await call(srv.url, 'GET', '/api/v1/userinfo', { token: k8s });
    assert.equal(asAdmin.body.subject, 'system:serviceaccount:argo:admin');
    assert.equal((await call(srv.url, 'GET', '/api/v1/workflows/argo', { token: k8s })).status, 200);
    const asBob = await call(srv.url, 'GET', '/api/v1/userinfo', { token: bob });
    assert.equal(asBob.body.subject, 'bob');
    assert.equal(asBob.body.serviceAccountName, 'viewer');
    assert.equal((await call(srv.url, 'GET', '/api/v1/workflows/argo', { token: bob })).status, 403);
    assert.equal((await call(srv.url, 'GET', '/api/v1/workflows/argo')).status, 401, 'no credential and no server mode');
  } finally {
    await srv.close();
  }
});
