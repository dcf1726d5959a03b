/**
 * Argo Workflows SSO through Flotilla's identity broker (`@flotilla/identity`, the `argocd-dex-server`), as
 * upstream's "Use Argo CD Dex for authentication" recipe sets it up: a `staticClients` entry
 * `argo-workflows-sso` with `secretEnv`, the broker's `oidc` connector to an upstream IdP (the independent
 * oidc-provider process, its own users and form) with `insecureEnableGroups`, and argo-server's `sso.issuer` =
 * the broker's issuer `<argocd url>/api/dex`. The groups that reach argo-server through the broker pick the
 * ServiceAccount: alice lists workflows, bob is refused.
 *
 * Skipped with the reason when the broker is not part of the build (before the identity package's broker lands).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, startEnv, call, type Env } from '../testenv.js';
import { Browser, startIdp, USERS, setupObjects, applyObjects, type Idp } from './testkit.js';

// loaded by name at run time: the broker is another package's part and may not be in this build
const spec = { identity: '@flotilla/identity', harness: '@flotilla/identity/testing/harness' };
let skip: string | false = false;
let mod: any;
let harness: any;
try {
  mod = await import(spec.identity);
  harness = await import(spec.harness);
  if (typeof harness.startBroker !== 'function' || typeof mod.generateDexConfig !== 'function') skip = 'the identity package has no broker in this build';
} catch (e) {
  skip = `the identity broker is not in this build (${(e as Error).message.split('\n')[0]})`;
}
if (skip) process.stdout.write(`skipped: ${skip}\n`);

let idp: Idp;
let rb: any;
let env: Env;
const CLIENT_SECRET = 'MY-SECRET-STRING-CAN-BE-UUID';

before(async () => {
  if (skip) return;
  const port = await freePort();
  const argo = `https://127.0.0.1:${port}`;
  process.env.ARGO_WORKFLOWS_SSO_CLIENT_SECRET = CLIENT_SECRET;
  const cm: Record<string, string> = {};
  const secrets = { 'server.secretkey': 'broker-test-server-key', 'dex.upstream.clientSecret': 'upstream-secret' };
  rb = await harness.startBroker((base: string) => {
    cm.url = base;
    return mod.brokerConfig(mod.generateDexConfig({ url: base, 'dex.config': 'connectors: []' }, secrets));
  });
  idp = await startIdp({ clients: [{ client_id: 'flotilla-broker', client_secret: 'upstream-secret', redirect_uris: [`${rb.issuer}/callback`], grant_types: ['authorization_code'], response_types: ['code'] }], users: USERS, host: 'localhost' });
  // (the IdP as `localhost`: the broker, also an OIDC provider on 127.0.0.1, sets cookies of the same names)
  cm['dex.config'] = `
connectors:
- type: oidc
  id: upstream
  name: Upstream IdP
  config:
    issuer: ${idp.issuer}
    clientID: flotilla-broker
    clientSecret: $dex.upstream.clientSecret
    insecureEnableGroups: true
    scopes: [profile, email, groups]
staticClients:
- id: argo-workflows-sso
  name: Argo Workflow
  redirectURIs:
  - ${argo}/oauth2/callback
  secretEnv: ARGO_WORKFLOWS_SSO_CLIENT_SECRET
`;
  await rb.broker.configure(mod.brokerConfig(mod.generateDexConfig(cm, secrets)));
  const sso = { issuer: rb.issuer, clientId: { name: 'argo-workflows-sso', key: 'client-id' }, clientSecret: { name: 'argo-workflows-sso', key: 'client-secret' }, redirectUrl: `${argo}/oauth2/callback`, scopes: ['groups', 'email', 'profile'], rbac: { enabled: true } };
  const objs = setupObjects(sso, 'argo-workflows-sso', CLIENT_SECRET).map((o: any) => (o.kind === 'Secret' ? { ...o, metadata: { ...o.metadata, name: 'argo-workflows-sso' } } : o));
  env = await startEnv({ port, authModes: ['sso'], setup: (c) => applyObjects(c, objs) });
}, { timeout: 120_000 });

after(async () => {
  await env?.close();
  await rb?.close();
  await idp?.stop();
  delete process.env.ARGO_WORKFLOWS_SSO_CLIENT_SECRET;
});

async function login(user: string, password: string): Promise<string | undefined> {
  const b = new Browser();
  const first = await b.go(`${env.base}/oauth2/redirect`);
  assert.match(first.text, /<form/, `the upstream IdP's form after the broker: ${first.status} ${first.url} ${first.text.slice(0, 300)}`);
  const end = await b.submit(first, { username: user, password });
  assert.ok(end.trail.some((u) => u.startsWith(rb.issuer)), `through the broker: ${end.status} ${end.trail.join(' → ')} ${end.text.slice(0, 400)}`);
  const v = b.cookie('authorization');
  return v ? decodeURIComponent(v) : undefined;
}

test('through the broker: alice (argo-admins) acts as admin and lists workflows; bob (viewers) acts as viewer and is refused', { skip }, async () => {
  const alice = await login('alice', 'alice-pw');
  assert.ok(alice?.startsWith('v2:'), 'alice got a token');
  const me = await call(env.base, 'GET', '/api/v1/userinfo', { token: alice });
  assert.equal(me.status, 200, me.text);
  assert.equal(me.body.issuer, rb.issuer, 'the broker is the issuer');
  assert.equal(me.body.subject, mod.dexSubject('alice', 'upstream'), 'Dex-style subject (connector + user id)');
  assert.deepEqual(me.body.groups, ['argo-admins', 'staff']);
  assert.equal(me.body.serviceAccountName, 'admin');
  assert.equal((await call(env.base, 'GET', '/api/v1/workflows/argo', { token: alice })).status, 200);
  const bob = await login('bob', 'bob-pw');
  assert.ok(bob);
  const r = await call(env.base, 'GET', '/api/v1/workflows/argo', { token: bob });
  assert.equal(r.status, 403, r.text);
  assert.match(r.body.message, /system:serviceaccount:argo:viewer/);
});
