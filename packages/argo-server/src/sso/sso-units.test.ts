/** SSO's pure parts: the sso section, durations, groups, final redirects, rbac-rule selection, sealed tokens. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { parse } from 'yaml';
import { groupsOf, parseGoDuration, safeFinalRedirect, ssoConfigOf, DEFAULT_SESSION_EXPIRY_MS } from './config.js';
import { pickServiceAccount, ruleEnv, RULE, PRECEDENCE } from './rbac.js';
import { keysFromPem, newKeyPem, seal, unseal } from './token.js';

const UPSTREAM_DOC = `
sso:
  issuer: https://issuer.example.com
  issuerAlias: https://alias.example.com
  sessionExpiry: 240h
  clientId:
    name: client-id-secret
    key: client-id-key
  clientSecret:
    name: client-secret-secret
    key: client-secret-key
  redirectUrl: https://argo-server.example.com/oauth2/callback
  scopes:
   - groups
   - email
   - profile
  rbac:
    enabled: true
  customGroupClaimName: argo_groups
  userInfoPath: /userinfo
  insecureSkipVerify: true
  filterGroupsRegex:
    - ".*argo-wf.*"
    - ".*argo-workflow.*"
`;

test('the sso section as upstream documents it parses', () => {
  const c = ssoConfigOf(parse(UPSTREAM_DOC))!;
  assert.equal(c.issuer, 'https://issuer.example.com');
  assert.equal(c.issuerAlias, 'https://alias.example.com');
  assert.equal(c.sessionExpiryMs, 240 * 3600_000);
  assert.deepEqual(c.clientId, { name: 'client-id-secret', key: 'client-id-key' });
  assert.deepEqual(c.clientSecret, { name: 'client-secret-secret', key: 'client-secret-key' });
  assert.deepEqual(c.scopes, ['openid', 'groups', 'email', 'profile']);
  assert.equal(c.rbacEnabled, true);
  assert.equal(c.customGroupClaimName, 'argo_groups');
  assert.equal(c.userInfoPath, '/userinfo');
  assert.equal(c.insecureSkipVerify, true);
  assert.equal(c.filterGroupsRegex.length, 2);
  const min = ssoConfigOf({ sso: { issuer: 'https://i', clientId: { name: 'a', key: 'b' }, clientSecret: { name: 'a', key: 'c' }, redirectUrl: 'https://x/oauth2/callback' } })!;
  assert.equal(min.sessionExpiryMs, DEFAULT_SESSION_EXPIRY_MS);
  assert.deepEqual(min.scopes, ['openid']);
  assert.equal(min.rbacEnabled, false);
  assert.equal(ssoConfigOf({}), undefined);
});

test('a bad sso section names the field', () => {
  const ok = { issuer: 'https://i', clientId: { name: 'a', key: 'b' }, clientSecret: { name: 'a', key: 'c' }, redirectUrl: 'https://x/cb' };
  const bad = (patch: Record<string, unknown>, re: RegExp) => assert.throws(() => ssoConfigOf({ sso: { ...ok, ...patch } }), re);
  bad({ issuer: undefined }, /sso\.issuer: is required/);
  bad({ issuer: 'not a url' }, /sso\.issuer: "not a url" is not a URL/);
  bad({ clientId: { name: 'x' } }, /sso\.clientId\.key: is required/);
  bad({ clientSecret: 'plain' }, /sso\.clientSecret: is required/);
  bad({ redirectUrl: 'ftp://x' }, /sso\.redirectUrl: .* not an http\(s\) URL/);
  bad({ sessionExpiry: '10 days' }, /sso\.sessionExpiry: "10 days" is not a duration/);
  bad({ filterGroupsRegex: ['('] }, /sso\.filterGroupsRegex\[0\]/);
  bad({ scopes: 'groups' }, /sso\.scopes: want a list/);
  bad({ userInfoPath: 'userinfo' }, /sso\.userInfoPath: want a path/);
  bad({ rootCA: 'not pem' }, /sso\.rootCA: want PEM/);
  assert.throws(() => ssoConfigOf({ sso: 'yes' }), /sso: want a mapping/);
});

test('Go durations', () => {
  assert.equal(parseGoDuration('10h', 'x'), 36_000_000);
  assert.equal(parseGoDuration('1h30m', 'x'), 5_400_000);
  assert.equal(parseGoDuration('90s', 'x'), 90_000);
  assert.equal(parseGoDuration('1.5h', 'x'), 5_400_000);
  assert.throws(() => parseGoDuration('7d', 'sso.sessionExpiry'), /sso\.sessionExpiry: "7d"/);
  assert.throws(() => parseGoDuration('', 'x'), /not a duration/);
});

test('groups: customGroupClaimName and filterGroupsRegex', () => {
  const claims = { groups: ['a', 'argo-wf-admins'], argo_groups: ['x-argo-wf', 'other'], single: 'one' };
  assert.deepEqual(groupsOf(claims, { filterGroupsRegex: [] }), ['a', 'argo-wf-admins']);
  assert.deepEqual(groupsOf(claims, { customGroupClaimName: 'argo_groups', filterGroupsRegex: [] }), ['x-argo-wf', 'other']);
  assert.deepEqual(groupsOf(claims, { customGroupClaimName: 'argo_groups', filterGroupsRegex: [/.*argo-wf.*/] }), ['x-argo-wf']);
  assert.deepEqual(groupsOf(claims, { customGroupClaimName: 'single', filterGroupsRegex: [] }), ['one']);
  assert.deepEqual(groupsOf({}, { filterGroupsRegex: [] }), []);
});

test('final redirects: paths and the redirectUrl\'s origin only', () => {
  const cb = 'https://argo.example.com/oauth2/callback';
  assert.equal(safeFinalRedirect(null, cb, '/'), '/');
  assert.equal(safeFinalRedirect(null, cb, '/argo/'), '/argo/');
  assert.equal(safeFinalRedirect('/workflows/argo?x=1', cb, '/'), '/workflows/argo?x=1');
  assert.equal(safeFinalRedirect('https://argo.example.com/workflows', cb, '/'), 'https://argo.example.com/workflows');
  for (const bad of ['https://evil.example.com/', '//evil.example.com', '/\\evil.example.com', 'javascript:alert(1)', 'https://argo.example.com.evil.com/', 'http://argo.example.com/']) assert.equal(safeFinalRedirect(bad, cb, '/'), undefined, bad);
});

const sa = (name: string, rule?: string, prec?: string) => ({ metadata: { name, namespace: 'argo', annotations: { ...(rule ? { [RULE]: rule } : {}), ...(prec !== undefined ? { [PRECEDENCE]: prec } : {}) } } });

test('rbac rules: first match by precedence (then name); bad rules skipped and reported; no rule → none', () => {
  const sas = [sa('default'), sa('viewer', "'staff' in groups", '1'), sa('admin', "'admins' in groups", '10'), sa('by-mail', "email == 'jane@example.com'", '5'), sa('broken', 'groups ++ 1', '100'), sa('any-b', 'true'), sa('any-a', 'true')];
  const pick = (claims: Record<string, unknown>, groups: string[]) => pickServiceAccount(sas, ruleEnv(claims, groups));
  assert.equal(pick({ sub: 'x' }, ['admins', 'staff']).sa?.metadata.name, 'admin');
  assert.equal(pick({ sub: 'x' }, ['staff']).sa?.metadata.name, 'viewer');
  assert.equal(pick({ email: 'jane@example.com' }, ['staff']).sa?.metadata.name, 'by-mail');
  assert.equal(pick({ sub: 'x' }, []).sa?.metadata.name, 'any-a', 'ties by name');
  const r = pick({}, ['staff']);
  assert.equal(r.errors.length, 1);
  assert.match(r.errors[0]!.serviceAccount, /argo\/broken/);
  assert.equal(pickServiceAccount([sa('v', "'x' in groups")], ruleEnv({}, [])).sa, undefined);
  // rules see iss ("argo-server") and sub as upstream documents, and custom claims
  assert.equal(pickServiceAccount([sa('i', "iss == 'argo-server' && sub == 'u1'")], ruleEnv({ iss: 'https://idp', sub: 'u1' }, [])).sa?.metadata.name, 'i');
  assert.equal(pickServiceAccount([sa('t', "tenant == 'blue' && any(groups, # startsWith 'argo-')")], ruleEnv({ tenant: 'blue' }, ['argo-x'])).sa?.metadata.name, 't');
  assert.equal(pickServiceAccount([sa('t', "tenant == 'blue' && any(groups, # startsWith 'argo-')")], ruleEnv({ tenant: 'red' }, ['argo-x'])).sa, undefined);
});

test('sealed tokens: round trip; tampered, wrong key, expired, other typ refused', async () => {
  const k = keysFromPem(newKeyPem());
  const other = keysFromPem(newKeyPem());
  const t = await seal(k, { sub: 'alice', groups: ['g'] }, 60_000);
  const p = await unseal(k, t);
  assert.equal(p.sub, 'alice');
  assert.equal(p.iss, 'argo-server');
  assert.deepEqual(p.groups, ['g']);
  assert.ok(!t.includes('alice') && !Buffer.from(t.split('.')[3]!, 'base64url').toString('latin1').includes('alice'), 'claims are encrypted');
  await assert.rejects(() => unseal(other, t), /does not decrypt/);
  const parts = t.split('.');
  parts[3] = parts[3]!.slice(0, -3) + (parts[3]!.endsWith('AAA') ? 'BBB' : 'AAA');
  await assert.rejects(() => unseal(k, parts.join('.')), /does not decrypt/);
  const old = await seal(k, { sub: 'a' }, 1000);
  await unseal(k, old, 'JWT', new Date(Date.now() + 9_000)); // within the 10 s leeway
  await assert.rejects(() => unseal(k, old, 'JWT', new Date(Date.now() + 60_000)), /expired/);
  const state = await seal(k, { state: 's' }, 60_000, 'argo-sso-state');
  await assert.rejects(() => unseal(k, state), /not a JWT/, 'a state cookie is no session token');
  assert.throws(() => keysFromPem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string), /want an RSA private key/);
});

