/** Accounts, passwords, tokens, project role tokens, RBAC over HTTP (admin, read-only user, project token, none), lock-out. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { argoCrds, startEnv, type Env } from './testenv.js';

const skip = argoCrds().reason;
let env: Env;
let admin: string;
let adminPassword: string;
/** a read-only session taken before the lock-out test locks 'ro' out */
let roEarly: string;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function apply(obj: unknown, name: string) {
  const f = join(env.cluster.dir, `${name}.json`);
  writeFileSync(f, JSON.stringify(obj));
  await env.cluster.k(['apply', '-f', f]);
}

const cm = (name: string, data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'argocd' }, data });
const app = (name: string, project = 'default') => ({ metadata: { name, namespace: 'argocd' }, spec: { project, source: { repoURL: 'https://example.test/apps.git', path: 'guestbook', targetRevision: 'HEAD' }, destination: { server: 'https://kubernetes.default.svc', namespace: 'default' } } });

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

before(async () => {
  if (skip) return;
  process.env.ARGOCD_SESSION_FAILURE_MAX_FAIL_COUNT = '3';
  env = await startEnv({
    setup: async (c) => {
      const f = join(c.dir, 'cms.json');
      writeFileSync(f, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [
        cm('argocd-cm', { 'accounts.alice': 'apiKey, login', 'accounts.ro': 'login', 'accounts.bob': 'login', 'accounts.bob.enabled': 'false' }),
        cm('argocd-rbac-cm', { 'policy.csv': 'g, ro, role:readonly\np, alice, applications, *, default/*, allow\np, alice, applications, delete, default/keep-*, deny\np, alice, accounts, get, *, allow' }),
      ] }));
      await c.k(['apply', '-f', f]);
    },
  });
  adminPassword = await env.adminPassword();
  admin = await env.login('admin', adminPassword);
  for (const u of ['alice', 'ro', 'bob']) {
    const r = await env.call('PUT', '/api/v1/account/password', { token: admin, body: { name: u, currentPassword: adminPassword, newPassword: `${u}-password-1` } });
    assert.equal(r.status, 200, r.text);
  }
  roEarly = await env.login('ro', 'ro-password-1');
  await apply({ apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', metadata: { name: 'p1', namespace: 'argocd' }, spec: { sourceRepos: ['*'], destinations: [{ server: '*', namespace: '*' }], roles: [{ name: 'ci', policies: ['p, proj:p1:ci, applications, sync, p1/*, allow', 'p, proj:p1:ci, applications, get, p1/*, allow'] }] } }, 'p1');
  for (const a of [app('web'), app('keep-me'), app('p1-web', 'p1')]) assert.equal((await env.call('POST', '/api/v1/applications', { token: admin, body: a })).status, 200);
}, { timeout: 180_000 });
after(async () => env?.close());

test('accounts list and get: capabilities, enabled, tokens', { skip }, async () => {
  const l = await env.call('GET', '/api/v1/account', { token: admin });
  assert.deepEqual(l.body.items.map((a: any) => [a.name, a.enabled, a.capabilities]), [['admin', true, ['login']], ['alice', true, ['apiKey', 'login']], ['bob', false, ['login']], ['ro', true, ['login']]]);
  const g = await env.call('GET', '/api/v1/account/alice', { token: admin });
  assert.deepEqual(g.body, { name: 'alice', enabled: true, capabilities: ['apiKey', 'login'], tokens: [] });
  assert.equal((await env.call('GET', '/api/v1/account/nosuch', { token: admin })).status, 404);
});

test('RBAC matrix over HTTP: admin, read-only user, user policy with deny, no token', { skip }, async () => {
  const ro = await env.login('ro', 'ro-password-1');
  const alice = await env.login('alice', 'alice-password-1');
  const list = async (tok?: string) => (await env.call('GET', '/api/v1/applications', { token: tok })).body?.items?.map((a: any) => a.metadata.name).sort();
  assert.deepEqual(await list(admin), ['keep-me', 'p1-web', 'web']);
  assert.deepEqual(await list(ro), ['keep-me', 'p1-web', 'web']);
  assert.deepEqual(await list(alice), ['keep-me', 'web']);
  assert.equal((await env.call('GET', '/api/v1/applications')).status, 401);
  const create = await env.call('POST', '/api/v1/applications', { token: ro, body: app('ro-app') });
  assert.equal(create.status, 403);
  assert.match(create.body.message, /^permission denied: applications, create, default\/ro-app, sub: ro:login, iat: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(create.body.code, 7);
  assert.equal((await env.call('POST', '/api/v1/applications/web/sync', { token: ro, body: {} })).status, 403);
  assert.equal((await env.call('GET', '/api/v1/applications/p1-web', { token: alice })).status, 403);
  assert.equal((await env.call('DELETE', '/api/v1/applications/keep-me?cascade=false', { token: alice })).status, 403);
  assert.equal((await env.call('POST', '/api/v1/applications', { token: alice, body: app('alice-app') })).status, 200);
  assert.equal((await env.call('DELETE', '/api/v1/applications/alice-app?cascade=false', { token: alice })).status, 200);
  assert.equal((await env.call('GET', '/api/v1/clusters', { token: alice })).body.items.length, 0);
  assert.equal((await env.call('GET', '/api/v1/clusters', { token: ro })).body.items[0].name, 'in-cluster');
  const can = async (tok: string, p: string) => (await env.call('GET', `/api/v1/account/can-i/${p}`, { token: tok })).body.value;
  assert.equal(await can(ro, 'applications/get/default/web'), 'yes');
  assert.equal(await can(ro, 'applications/sync/default/web'), 'no');
  assert.equal(await can(alice, 'applications/sync/default/web'), 'yes');
  assert.equal(await can(alice, 'applications/delete/default/keep-x'), 'no');
  assert.equal(await can(admin, 'clusters/create/*'), 'yes');
});

test('account API tokens: create (apiKey capability), use, list, revoke → 401', { skip }, async () => {
  const alice = await env.login('alice', 'alice-password-1');
  const mk = await env.call('POST', '/api/v1/account/alice/token', { token: alice, body: { name: 'alice', id: 'ci-1', expiresIn: 3600 } });
  assert.equal(mk.status, 200, mk.text);
  const tok = mk.body.token;
  const ui = await env.call('GET', '/api/v1/session/userinfo', { token: tok });
  assert.equal(ui.body.username, 'alice');
  const acc = await env.call('GET', '/api/v1/account/alice', { token: admin });
  assert.equal(acc.body.tokens[0].id, 'ci-1');
  assert.equal(acc.body.tokens[0].expiresAt - acc.body.tokens[0].issuedAt, 3600);
  assert.equal((await env.call('GET', '/api/v1/applications/web', { token: tok })).status, 200);
  const noKey = await env.call('POST', '/api/v1/account/ro/token', { token: admin, body: {} });
  assert.equal(noKey.status, 400);
  assert.match(noKey.body.message, /does not have 'apiKey' capability/);
  const roTok = await env.login('ro', 'ro-password-1');
  assert.equal((await env.call('POST', '/api/v1/account/alice/token', { token: roTok, body: {} })).status, 403);
  // an expired token
  const short = (await env.call('POST', '/api/v1/account/alice/token', { token: alice, body: { id: 'short', expiresIn: 1 } })).body.token;
  await sleep(2100);
  const exp = await env.call('GET', '/api/v1/applications', { token: short });
  assert.equal(exp.status, 401);
  assert.equal(exp.body.message, 'invalid session: token has invalid claims: token is expired');
  // bad input: a body that is not JSON
  const junk = await env.call('POST', '/api/v1/applications', { token: alice, raw: '{nope', headers: { 'content-type': 'application/json' } });
  assert.equal(junk.status, 400);
  assert.match(junk.body.message, /^invalid JSON body: /);
  assert.equal((await env.call('DELETE', '/api/v1/account/alice/token/ci-1', { token: alice })).status, 200);
  const after = await until('revocation', async () => {
    const r = await env.call('GET', '/api/v1/applications/web', { token: tok });
    return r.status === 401 && r;
  });
  assert.match(after.body.message, /invalid session: account alice does not have token with id ci-1/);
});

test('project role tokens: recorded in the project, scoped to the project, revoked', { skip }, async () => {
  const mk = await env.call('POST', '/api/v1/projects/p1/roles/ci/token', { token: admin, body: { project: 'p1', role: 'ci', id: 'build-1' } });
  assert.equal(mk.status, 200, mk.text);
  const tok = mk.body.token;
  const p = (await env.call('GET', '/api/v1/projects/p1', { token: admin })).body;
  assert.equal(p.spec.roles[0].jwtTokens[0].id, 'build-1');
  assert.equal(p.status.jwtTokensByRole.ci.items[0].id, 'build-1');
  const list = await env.call('GET', '/api/v1/applications', { token: tok });
  assert.deepEqual(list.body.items.map((a: any) => a.metadata.name), ['p1-web']);
  const s = await env.call('POST', '/api/v1/applications/p1-web/sync', { token: tok, body: {} });
  assert.equal(s.status, 200, s.text);
  assert.equal(s.body.operation.initiatedBy.username, 'proj:p1:ci');
  const d = await env.call('DELETE', '/api/v1/applications/p1-web', { token: tok });
  assert.equal(d.status, 403);
  assert.match(d.body.message, /permission denied: applications, delete, p1\/p1-web, sub: proj:p1:ci/);
  assert.equal((await env.call('GET', '/api/v1/applications/web', { token: tok })).status, 403);
  const iat = p.spec.roles[0].jwtTokens[0].iat;
  assert.equal((await env.call('DELETE', `/api/v1/projects/p1/roles/ci/token/${iat}?id=build-1`, { token: admin })).status, 200);
  const r = await until('revocation', async () => {
    const x = await env.call('GET', '/api/v1/applications', { token: tok });
    return x.status === 401 && x;
  });
  assert.match(r.body.message, /revoked/);
  assert.equal((await env.call('POST', '/api/v1/projects/p1/roles/nope/token', { token: admin, body: {} })).status, 404);
});

test('disabled account, lock-out after ARGOCD_SESSION_FAILURE_MAX_FAIL_COUNT failures', { skip }, async () => {
  const bob = await env.call('POST', '/api/v1/session', { body: { username: 'bob', password: 'bob-password-1' } });
  assert.equal(bob.status, 401);
  assert.match(bob.body.message, /Account bob is disabled/);
  for (let i = 0; i < 3; i++) assert.equal((await env.call('POST', '/api/v1/session', { body: { username: 'ro', password: 'wrong' } })).status, 401);
  const locked = await env.call('POST', '/api/v1/session', { body: { username: 'ro', password: 'ro-password-1' } });
  assert.equal(locked.status, 401);
  assert.match(locked.body.message, /too many failed login attempts for 'ro', retry in \d+s/);
  // other users are not affected
  assert.equal((await env.call('POST', '/api/v1/session', { body: { username: 'alice', password: 'alice-password-1' } })).status, 200);
  assert.ok(env.logs.some((l) => /"login failed"/.test(l) && /"user":"ro"/.test(l)));
});

test('password change: wrong current password refused, old sessions end, new password works, audit event', { skip }, async () => {
  const alice = await env.login('alice', 'alice-password-1');
  const bad = await env.call('PUT', '/api/v1/account/password', { token: alice, body: { currentPassword: 'nope', newPassword: 'alice-password-2' } });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.message, 'current password does not match');
  const short = await env.call('PUT', '/api/v1/account/password', { token: alice, body: { currentPassword: 'alice-password-1', newPassword: 'short' } });
  assert.match(short.body.message, /New password does not match the following expression: \^\.\{8,32\}\$/);
  await sleep(1100);
  assert.equal((await env.call('PUT', '/api/v1/account/password', { token: alice, body: { currentPassword: 'alice-password-1', newPassword: 'alice-password-2' } })).status, 200);
  const old = await env.call('GET', '/api/v1/applications', { token: alice });
  assert.equal(old.status, 401);
  assert.equal(old.body.message, 'invalid session: account password has changed since token issued');
  assert.equal((await env.call('POST', '/api/v1/session', { body: { username: 'alice', password: 'alice-password-1' } })).status, 401);
  const fresh = await env.login('alice', 'alice-password-2');
  assert.equal((await env.call('GET', '/api/v1/applications', { token: fresh })).status, 200);
  const evs = await until('PasswordUpdated event', async () => {
    const l = JSON.parse(await env.cluster.k(['get', 'events', '-n', 'argocd', '-o', 'json'])).items as any[];
    return l.some((e) => e.reason === 'PasswordUpdated' && /alice updated the password of account alice/.test(e.message)) && l;
  });
  assert.ok(evs.some((e: any) => e.reason === 'LoginSucceeded'));
});

test('initial admin password is regenerated into argocd-initial-admin-secret when admin.password is removed', { skip }, async () => {
  await env.cluster.k(['patch', 'secret', '-n', 'argocd', 'argocd-secret', '--type', 'json', '-p', '[{"op":"remove","path":"/data/admin.password"},{"op":"remove","path":"/data/admin.passwordMtime"}]']);
  const pw = await until('a new initial password', async () => {
    const p = await env.adminPassword().catch(() => '');
    return p && p !== adminPassword && p;
  }, 20_000);
  assert.equal(pw.length, 16);
  assert.equal((await env.call('POST', '/api/v1/session', { body: { username: 'admin', password: pw } })).status, 200);
});

test('a policy with a typo: the server keeps the last good policy and logs why', { skip }, async () => {
  const alice = await env.login('alice', 'alice-password-2');
  await env.cluster.k(['patch', 'configmap', '-n', 'argocd', 'argocd-rbac-cm', '--type', 'merge', '-p', JSON.stringify({ data: { 'policy.csv': 'p, alice, applications, get, default/*\ng, ro' } })]);
  await until('the error logged', async () => {
    await env.call('GET', '/api/v1/applications', { token: alice });
    return env.logs.some((l) => /keeping the last good policy/.test(l) && /policy.csv:2: a 'g' line needs 2 fields/.test(l));
  });
  assert.equal((await env.call('GET', '/api/v1/account/can-i/applications/sync/default/web', { token: alice })).body.value, 'yes');
});

test('every endpoint family: admin, read-only user, project role token, no token', { skip }, async () => {
  const roTok = roEarly;
  admin = await env.login('admin', await env.adminPassword());
  const proj = (await env.call('POST', '/api/v1/projects/p1/roles/ci/token', { token: admin, body: { id: 'matrix' } })).body.token as string;
  assert.ok(proj);
  type Row = [method: string, path: string, body: unknown, want: [admin: number, ro: number, proj: number, none: number]];
  const rows: Row[] = [
    ['GET', '/api/v1/settings', undefined, [200, 200, 200, 200]],
    ['GET', '/api/v1/account', undefined, [200, 200, 403, 401]],
    ['GET', '/api/v1/applications/p1-web/resource-tree', undefined, [200, 200, 200, 401]],
    ['GET', '/api/v1/projects', undefined, [200, 200, 200, 401]],
    ['POST', '/api/v1/projects', { project: { metadata: { name: 'matrix' }, spec: { sourceRepos: ['*'] } } }, [200, 403, 403, 401]],
    ['GET', '/api/v1/repositories', undefined, [200, 200, 200, 401]],
    ['POST', '/api/v1/repocreds', { url: 'https://matrix.example.test', username: 'u', password: 'p' }, [200, 403, 403, 401]],
    ['GET', '/api/v1/clusters', undefined, [200, 200, 200, 401]],
    ['POST', '/api/v1/clusters?upsert=true', { server: 'https://matrix.example.test:6443', name: 'matrix', config: { bearerToken: 't' } }, [200, 403, 403, 401]],
    ['GET', '/api/v1/certificates', undefined, [200, 200, 403, 401]],
    ['POST', '/api/v1/certificates', { items: [] }, [200, 403, 403, 401]],
    ['GET', '/api/v1/account/can-i/applications/get/p1/p1-web', undefined, [200, 200, 200, 401]],
  ];
  const who = [admin, roTok, proj, undefined];
  for (const [method, path, body, want] of rows) {
    for (let i = 0; i < 4; i++) {
      const r = await env.call(method, path, { token: who[i], body });
      assert.equal(r.status, want[i], `${['admin', 'read-only', 'project token', 'no token'][i]} ${method} ${path}: ${r.text}`);
    }
  }
  // lists are filtered by what the caller may get
  assert.deepEqual((await env.call('GET', '/api/v1/clusters', { token: proj })).body.items, []);
  assert.deepEqual((await env.call('GET', '/api/v1/projects', { token: proj })).body.items, []);
});
