/**
 * The sso section's other settings, each on its own argo-server (same API server, same independent IdP process,
 * a ConfigMap per server via --configmap): customGroupClaimName + filterGroupsRegex + sessionExpiry with
 * rbac off (the user acts as argo-server), userInfoPath (groups from the IdP's userinfo; a wrong path fails the
 * login), SSO_DELEGATE_RBAC_TO_NAMESPACE (a namespace's own ServiceAccounts decide first).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { KubeClient } from '@flotilla/kube-runtime';
import { R } from '@flotilla/kube-runtime';
import { call } from '../testenv.js';
import { startServer, type ArgoServer } from '../server.js';
import { startSsoScenario, type SsoScenario } from './testkit.js';

let s: SsoScenario;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

before(async () => {
  s = await startSsoScenario({ extraPorts: 6 });
}, { timeout: 120_000 });

after(async () => {
  await s?.close();
});

/** argo-server on s.ports[i] with the main sso section changed by `extra`. */
async function variant(i: number, name: string, extra: Record<string, unknown>): Promise<ArgoServer> {
  const port = s.ports[i]!;
  const sso = JSON.parse(JSON.stringify({ ...s.sso, redirectUrl: `https://127.0.0.1:${port}/oauth2/callback`, ...extra }));
  await s.env.client.create(R.configmaps, 'argo', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'argo' }, data: { sso: stringify(sso) } } as any);
  return startServer(s.env.client, { namespace: 'argo', configMap: name, port, address: '127.0.0.1', authModes: ['sso'], log: quiet });
}

test('no redirectUrl (derived from the request); customGroupClaimName + filterGroupsRegex shape the groups; sessionExpiry sets the cookie\'s lifetime; without rbac the user acts as argo-server', async () => {
  // no redirectUrl: the callback URL is derived from the request's host, as upstream
  const srv = await variant(0, 'wcc-groups', { redirectUrl: undefined, customGroupClaimName: 'argo_groups', filterGroupsRegex: ['^argo-wf-'], sessionExpiry: '90m', rbac: { enabled: false } });
  try {
    const { browser, token } = await s.login('alice', 'alice-pw', undefined, srv.url);
    assert.ok(token);
    const ck = browser.cookies.find((c) => c.name === 'authorization')!;
    const lifetime = ck.expires - Date.now();
    assert.ok(lifetime > 89 * 60_000 && lifetime <= 90 * 60_000, `cookie lives ~90m, got ${lifetime} ms`);
    const me = await call(srv.url, 'GET', '/api/v1/userinfo', { token });
    assert.equal(me.status, 200, me.text);
    assert.deepEqual(me.body.groups, ['argo-wf-admins'], 'from argo_groups, "unrelated" filtered out');
    assert.equal(me.body.serviceAccountName, undefined, 'no rbac: no ServiceAccount');
    // bob, refused as the viewer ServiceAccount by the main server, lists as argo-server here
    const bob = (await s.login('bob', 'bob-pw', undefined, srv.url)).token;
    const l = await call(srv.url, 'GET', '/api/v1/workflows/argo', { token: bob });
    assert.equal(l.status, 200, l.text);
    // a token of one argo-server is read by another sharing the Secret sso (replicas): the main server decrypts
    // it and applies its own rules to the groups it carries (argo-wf-viewers matches none of them)
    const onMain = await s.env.call('GET', '/api/v1/userinfo', { token: bob });
    assert.equal(onMain.status, 403, onMain.text);
    assert.match(onMain.body.message, /bob@example\.com \(groups: argo-wf-viewers\)/);
  } finally {
    await srv.close();
  }
});

test('userInfoPath: groups come from the IdP\'s userinfo endpoint; a wrong path fails the login with the URL named', async () => {
  const srv = await variant(1, 'wcc-userinfo', { userInfoPath: '/me' });
  try {
    const { token } = await s.login('alice', 'alice-pw', undefined, srv.url);
    assert.ok(token);
    const me = await call(srv.url, 'GET', '/api/v1/userinfo', { token });
    assert.deepEqual(me.body.groups, ['argo-admins', 'staff']);
    assert.equal(me.body.serviceAccountName, 'admin');
  } finally {
    await srv.close();
  }
  await s.env.client.delete(R.configmaps, 'argo', 'wcc-userinfo');
  const bad = await variant(1, 'wcc-userinfo', { userInfoPath: '/no-such-userinfo' });
  try {
    const { page, token } = await s.login('alice', 'alice-pw', undefined, bad.url);
    assert.equal(token, undefined);
    assert.equal(page.status, 401);
    assert.match(page.text, /sso\.userInfoPath: http:\/\/127\.0\.0\.1:\d+\/no-such-userinfo answered HTTP 404/);
  } finally {
    await bad.close();
  }
});

test('SSO_DELEGATE_RBAC_TO_NAMESPACE: a user matching in argo uses team\'s matching ServiceAccount for team, else argo\'s; matching only in team is refused', async () => {
  await s.env.cluster.k(['create', 'namespace', 'team']);
  await s.env.client.create(R.serviceaccounts, 'team', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'team-viewer', namespace: 'team', annotations: { 'workflows.argoproj.io/rbac-rule': "'viewers' in groups || 'team-only' in groups" } } } as any);
  await s.env.cluster.k(['create', 'role', 'wf-list', '-n', 'team', '--verb=get,list', '--resource=workflows.argoproj.io']);
  await s.env.cluster.k(['create', 'rolebinding', 'team-viewer', '-n', 'team', '--role=wf-list', '--serviceaccount=team:team-viewer']);
  const bob = (await s.login('bob', 'bob-pw')).token!;
  // without delegation (the main server): argo's viewer decides, and it may not list in team
  assert.equal((await s.env.call('GET', '/api/v1/workflows/team', { token: bob })).status, 403);
  process.env.SSO_DELEGATE_RBAC_TO_NAMESPACE = 'true';
  let srv: ArgoServer;
  try {
    srv = await variant(2, 'wcc-delegate', {});
  } finally {
    delete process.env.SSO_DELEGATE_RBAC_TO_NAMESPACE;
  }
  try {
    const team = await call(srv.url, 'GET', '/api/v1/workflows/team', { token: bob });
    assert.equal(team.status, 200, team.text);
    const me = await call(srv.url, 'GET', '/api/v1/userinfo?namespace=team', { token: bob });
    assert.equal(me.body.serviceAccountName, 'team-viewer');
    assert.equal(me.body.serviceAccountNamespace, 'team');
    // in argo, nothing in argo's namespace is delegated: viewer, refused
    assert.equal((await call(srv.url, 'GET', '/api/v1/workflows/argo', { token: bob })).status, 403);
    // alice matches nothing in team: argo's admin decides (may list in argo only via its Role)
    const alice = (await s.login('alice', 'alice-pw', undefined, srv.url)).token!;
    const am = await call(srv.url, 'GET', '/api/v1/userinfo?namespace=team', { token: alice });
    assert.equal(am.body.serviceAccountName, 'admin');
    assert.equal(am.body.serviceAccountNamespace, 'argo');
    // dave matches team's rule only, not argo's: refused (every user must first match in argo-server's namespace)
    const dave = (await s.login('dave', 'dave-pw', undefined, srv.url)).token!;
    assert.ok(dave);
    const dm = await call(srv.url, 'GET', '/api/v1/workflows/team', { token: dave });
    assert.equal(dm.status, 403, dm.text);
    assert.match(dm.body.message, /in argo matches dave@example\.com/);
  } finally {
    await srv.close();
  }
});

test('logout: /auth/logout clears the cookie and goes through the IdP\'s end_session_endpoint to sso.logoutRedirectUrl; a bad logoutRedirectUrl stops the start', async () => {
  const srv = await variant(3, 'wcc-logout', { logoutRedirectUrl: 'https://argo.example.com/login' });
  try {
    const { browser, token } = await s.login('alice', 'alice-pw', undefined, srv.url);
    assert.ok(token);
    const out = await browser.send(`${srv.url}/auth/logout`);
    assert.equal(out.status, 302);
    const to = new URL(String(out.headers.location));
    assert.equal(to.origin, s.idp.issuer, 'through the IdP');
    assert.equal(to.searchParams.get('client_id'), s.clientId);
    assert.equal(to.searchParams.get('post_logout_redirect_uri'), 'https://argo.example.com/login');
    assert.equal(browser.cookie('authorization'), undefined, 'the cookie is cleared');
  } finally {
    await srv.close();
  }
  await s.env.client.create(R.configmaps, 'argo', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'wcc-bad-logout', namespace: 'argo' }, data: { sso: stringify({ ...s.sso, logoutRedirectUrl: 'https://example.com/#/signed-out' }) } } as any);
  await assert.rejects(() => startServer(s.env.client, { namespace: 'argo', configMap: 'wcc-bad-logout', port: 0, address: '127.0.0.1', authModes: ['sso'], log: quiet }), /sso\.logoutRedirectUrl: .* without user info or a fragment/);
});

test('issuerAlias: the issuer reached by one name whose documents and tokens name another; without the alias the login answers 502 naming both', async () => {
  const other = s.idp.issuer.replace('127.0.0.1', 'localhost');
  const srv = await variant(4, 'wcc-alias', { issuer: other, issuerAlias: s.idp.issuer });
  try {
    const { token, page } = await s.login('alice', 'alice-pw', undefined, srv.url);
    assert.ok(token, `${page.status} ${page.text.slice(0, 200)}`);
    assert.equal((await call(srv.url, 'GET', '/api/v1/userinfo', { token })).body.issuer, s.idp.issuer);
  } finally {
    await srv.close();
  }
  await s.env.client.delete(R.configmaps, 'argo', 'wcc-alias');
  const bad = await variant(4, 'wcc-alias', { issuer: other });
  try {
    const r = await call(bad.url, 'GET', '/oauth2/redirect');
    assert.equal(r.status, 502);
    assert.match(r.text, /names issuer "http:\/\/127\.0\.0\.1:\d+", want "http:\/\/localhost:\d+" \(sso\.issuer \/ sso\.issuerAlias\)/);
  } finally {
    await bad.close();
  }
});

test('a ServiceAccount with a filled token Secret (<sa>.service-account-token) acts with that Secret\'s token, as upstream', async () => {
  // To make the Secret's use observable, the Secret of `carol-sa` (no RoleBinding of its own) holds a token of
  // `admin`: if carol can list workflows, the Secret's token was used and not a TokenRequest for carol-sa.
  await s.env.client.create(R.serviceaccounts, 'argo', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'carol-sa', namespace: 'argo', annotations: { 'workflows.argoproj.io/rbac-rule': "email == 'carol@example.com'", 'workflows.argoproj.io/rbac-rule-precedence': '5' } } } as any);
  const carol = (await s.login('carol', 'carol-pw')).token!;
  const before = await s.env.call('GET', '/api/v1/workflows/argo', { token: carol });
  assert.equal(before.status, 403, 'carol-sa itself may not list');
  assert.match(before.body.message, /system:serviceaccount:argo:carol-sa/);
  const adminToken = (await s.env.cluster.k(['create', 'token', 'admin', '-n', 'argo'])).trim();
  await s.env.client.create(R.secrets, 'argo', { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token', metadata: { name: 'carol-sa.service-account-token', namespace: 'argo', annotations: { 'kubernetes.io/service-account.name': 'carol-sa' } }, data: { token: Buffer.from(adminToken).toString('base64') } } as any);
  // a fresh server (the first one caches carol-sa's client until its token nears its end)
  const srv = await startServer(s.env.client, { namespace: 'argo', port: 0, address: '127.0.0.1', authModes: ['sso'], log: quiet });
  try {
    const l = await call(srv.url, 'GET', '/api/v1/workflows/argo', { token: carol });
    assert.equal(l.status, 200, l.text);
    const me = await call(srv.url, 'GET', '/api/v1/userinfo', { token: carol });
    assert.equal(me.body.serviceAccountName, 'carol-sa');
  } finally {
    await srv.close();
  }
});

test('with only the permissions manifests/argo-workflows/install.yaml gives argo-server: Secret sso created, ServiceAccounts read, their tokens requested', async () => {
  const manifest = fileURLToPath(new URL('../../../../manifests/argo-workflows/install.yaml', import.meta.url));
  const role = parseAllDocuments(readFileSync(manifest, 'utf8')).map((d) => d.toJS()).find((o: any) => o?.kind === 'ClusterRole' && o.metadata?.name === 'argo-server-cluster-role');
  assert.ok(role, 'argo-server-cluster-role in install.yaml');
  await s.env.client.create(R.serviceaccounts, 'argo', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'argo-server', namespace: 'argo' } } as any);
  await s.env.client.create({ group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterroles', kind: 'ClusterRole', namespaced: false }, undefined, role);
  await s.env.cluster.k(['create', 'clusterrolebinding', 'argo-server-binding', '--clusterrole=argo-server-cluster-role', '--serviceaccount=argo:argo-server']);
  await s.env.client.delete(R.secrets, 'argo', 'sso');
  const token = (await s.env.cluster.k(['create', 'token', 'argo-server', '-n', 'argo'])).trim();
  const base = s.env.client;
  const own = new KubeClient({ url: base.server.toString().replace(/\/$/, ''), caPem: base.caPem, token }, { fieldManager: 'argo-server' });
  const port = s.ports[5]!;
  await s.env.client.create(R.configmaps, 'argo', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'wcc-own', namespace: 'argo' }, data: { sso: stringify({ ...s.sso, redirectUrl: `https://127.0.0.1:${port}/oauth2/callback` }) } } as any);
  const srv = await startServer(own, { namespace: 'argo', configMap: 'wcc-own', port, address: '127.0.0.1', authModes: ['sso'], log: quiet });
  try {
    assert.ok((await s.env.client.get<any>(R.secrets, 'argo', 'sso')).data.privateKey, 'argo-server created Secret sso itself');
    const alice = (await s.login('alice', 'alice-pw', undefined, srv.url)).token!;
    const l = await call(srv.url, 'GET', '/api/v1/workflows/argo', { token: alice });
    assert.equal(l.status, 200, l.text);
    const bob = (await s.login('bob', 'bob-pw', undefined, srv.url)).token!;
    assert.equal((await call(srv.url, 'GET', '/api/v1/workflows/argo', { token: bob })).status, 403);
  } finally {
    await srv.close();
    own.close();
  }
});
