import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import type { ConnectorContext, RedirectConnector } from '../connector.js';
import { CONNECTORS } from './index.js';
import { parseGithubConfig } from './github.js';
import { browse, startStandIn } from './testing/standin.js';
import { GithubStandIn } from './testing/github.js';
import { makeTestCert, type TestCert } from './testing/tls.js';

const logs: string[] = [];
const CALLBACK = 'https://argocd.example.com/api/dex/callback';
const ctx: ConnectorContext = { id: 'github', name: 'GitHub', issuer: 'https://argocd.example.com/api/dex', callbackURL: CALLBACK, log: (l, m, f) => { logs.push(`${l} ${m} ${JSON.stringify(f)}`); } };
const ALL = { offlineAccess: true, groups: true };

describe('github connector against a GitHub Enterprise stand-in (hostName + rootCA)', () => {
  let gh: GithubStandIn;
  let cert: TestCert;
  let hostName: string;
  before(async () => {
    cert = makeTestCert();
    gh = new GithubStandIn([CALLBACK, 'https://other.example.com/cb']);
    gh.server = await startStandIn(gh.handle, cert);
    hostName = new URL(gh.server.url).host;
    gh.users.set('alice', {
      id: 1001, login: 'alice', name: 'Alice Archer', email: null,
      emails: [{ email: 'alice@old.example', primary: false, verified: true }, { email: 'alice@example.com', primary: true, verified: true }, { email: 'a@unverified.example', primary: false, verified: false }],
      orgs: ['acme', 'other'],
      teams: [{ org: 'acme', name: 'Core Devs', slug: 'core-devs' }, { org: 'acme', name: 'Ops', slug: 'ops' }, { org: 'other', name: 'Misc', slug: 'misc' }],
    });
    gh.users.set('bob', { id: 1002, login: 'bob', name: null, email: 'bob@example.com', emails: [{ email: 'bob@example.com', primary: true, verified: true }], orgs: [], teams: [] });
    gh.users.set('carol', {
      id: 1003, login: 'carol', name: 'Carol', email: null, emails: [{ email: 'carol@example.com', primary: true, verified: true }], orgs: ['big'],
      teams: Array.from({ length: 150 }, (_, i) => ({ org: 'big', name: `Team ${i}`, slug: `team-${i}` })),
    });
    gh.users.set('dave', { id: 1004, login: 'dave', name: 'Dave', email: null, emails: [{ email: 'dave@example.com', primary: true, verified: false }], orgs: [], teams: [] });
  });
  after(async () => {
    await gh.server.close();
    rmSync(cert.dir, { recursive: true, force: true });
  });

  const connector = async (over: Record<string, unknown> = {}) =>
    (await CONNECTORS.github!({ clientID: 'gh-client', clientSecret: 'gh-secret-value', hostName, rootCA: cert.certFile, ...over }, ctx)) as RedirectConnector;

  /** the whole browser round trip: login URL → stand-in authorize → callback → identity */
  const loginAs = async (c: RedirectConnector, user: string | undefined, scopes = ALL, state = 'st-' + Math.random()) => {
    gh.oauth.loggedIn = user;
    const start = await c.loginURL(scopes, CALLBACK, state);
    assert.ok('url' in start);
    const params = await browse(start.url, cert.cert);
    return c.handleCallback(scopes, CALLBACK, params, state);
  };

  test('the login URL asks for user:email (+ read:org when groups are needed) at the Enterprise host, with state and the callback', async () => {
    const c = await connector({ orgs: [{ name: 'acme' }] });
    const start = await c.loginURL({ offlineAccess: false, groups: false }, CALLBACK, 'the-state');
    assert.ok('url' in start);
    const u = new URL(start.url);
    assert.equal(u.origin + u.pathname, `https://${hostName}/login/oauth/authorize`);
    assert.equal(u.searchParams.get('client_id'), 'gh-client');
    assert.equal(u.searchParams.get('redirect_uri'), CALLBACK);
    assert.equal(u.searchParams.get('state'), 'the-state');
    assert.equal(u.searchParams.get('scope'), 'user:email read:org');
    assert.equal(u.searchParams.get('response_type'), 'code');
    const plain = await connector({ redirectURI: 'https://other.example.com/cb' });
    const p2 = new URL(((await plain.loginURL({ offlineAccess: false, groups: false }, CALLBACK, 's')) as { url: string }).url);
    assert.equal(p2.searchParams.get('scope'), 'user:email');
    assert.equal(p2.searchParams.get('redirect_uri'), 'https://other.example.com/cb');
    // without hostName: github.com
    const com = parseGithubConfig({ clientID: 'x', clientSecret: 'y' }, ctx);
    assert.deepEqual(com.endpoints, { authURL: 'https://github.com/login/oauth/authorize', tokenURL: 'https://github.com/login/oauth/access_token', apiURL: 'https://api.github.com' });
  });

  test('orgs with teams: groups are org:team of the listed teams; id, name, login and the primary verified email', async () => {
    const c = await connector({ orgs: [{ name: 'acme', teams: ['Core Devs', 'Nope'] }, { name: 'other', teams: ['Misc'] }] });
    const id = await loginAs(c, 'alice');
    assert.equal(id.userID, '1001');
    assert.equal(id.username, 'Alice Archer');
    assert.equal(id.preferredUsername, 'alice');
    assert.equal(id.email, 'alice@example.com');
    assert.equal(id.emailVerified, true);
    assert.deepEqual(id.groups, ['acme:Core Devs', 'other:Misc']);
  });

  test('teamNameField slug and both; an org without teams listed gives all its teams', async () => {
    assert.deepEqual((await loginAs(await connector({ teamNameField: 'slug', orgs: [{ name: 'acme', teams: ['core-devs'] }] }), 'alice')).groups, ['acme:core-devs']);
    assert.deepEqual((await loginAs(await connector({ teamNameField: 'both', orgs: [{ name: 'acme' }] }), 'alice')).groups, ['acme:Core Devs', 'acme:core-devs', 'acme:Ops', 'acme:ops']);
    assert.deepEqual((await loginAs(await connector({ orgs: [{ name: 'acme' }] }), 'alice')).groups, ['acme:Core Devs', 'acme:Ops']);
    // the legacy single `org`: team names only
    assert.deepEqual((await loginAs(await connector({ org: 'acme' }), 'alice')).groups, ['Core Devs', 'Ops']);
  });

  test('a user in none of the required orgs is refused, even without the groups scope', async () => {
    const c = await connector({ orgs: [{ name: 'acme' }] });
    await assert.rejects(loginAs(c, 'bob', { offlineAccess: false, groups: false }), /github: user "bob" is not in any of the required orgs or teams/);
    await assert.rejects(loginAs(await connector({ orgs: [{ name: 'acme', teams: ['Security'] }] }), 'alice'), /not in any of the required orgs or teams/);
  });

  test('loadAllGroups: every org and org:team, across pages of /user/teams', async () => {
    const c = await connector({ loadAllGroups: true });
    assert.deepEqual((await loginAs(c, 'alice')).groups, ['acme', 'acme:Core Devs', 'acme:Ops', 'other', 'other:Misc']);
    const carol = await loginAs(c, 'carol');
    assert.equal(carol.groups.length, 151);
    assert.equal(carol.groups[150], 'big:Team 149');
    assert.ok(gh.server.requests.some((r) => r.url.pathname === '/api/v3/user/teams' && r.url.searchParams.get('page') === '2'), 'the second page was fetched');
    // without the groups scope no groups are looked up
    assert.deepEqual((await loginAs(c, 'alice', { offlineAccess: false, groups: false })).groups, []);
  });

  test('useLoginAsID, a public email, preferredEmailDomain; no verified email is an error', async () => {
    const bob = await loginAs(await connector({ useLoginAsID: true }), 'bob');
    assert.equal(bob.userID, 'bob');
    assert.equal(bob.username, 'bob');
    assert.equal(bob.email, 'bob@example.com');
    assert.equal((await loginAs(await connector({ preferredEmailDomain: 'old.example' }), 'alice')).email, 'alice@old.example');
    assert.equal((await loginAs(await connector({ preferredEmailDomain: '*.example' }), 'alice')).email, 'alice@old.example');
    await assert.rejects(loginAs(await connector(), 'dave'), /github: the user has no verified primary email/);
  });

  test('refused logins: access denied, a forged state, a reused code, a wrong client secret (not shown)', async () => {
    const c = await connector();
    await assert.rejects(loginAs(c, undefined), /github: the login was refused: access_denied: The user has denied/);
    gh.oauth.loggedIn = 'alice';
    const params = await browse(((await c.loginURL(ALL, CALLBACK, 'mine')) as { url: string }).url, cert.cert);
    await assert.rejects(c.handleCallback(ALL, CALLBACK, params, 'someone-elses'), /state does not belong to this login/);
    await c.handleCallback(ALL, CALLBACK, params, 'mine');
    await assert.rejects(c.handleCallback(ALL, CALLBACK, params, 'mine'), /refused the code: invalid_grant/);
    const wrong = await connector({ clientSecret: 'not-the-secret-xyz' });
    await assert.rejects(loginAs(wrong, 'alice'), (e: Error) => {
      assert.match(e.message, /github: token endpoint https:\/\/127\.0\.0\.1:\d+\/login\/oauth\/access_token refused the code: invalid_client/);
      assert.ok(!e.message.includes('not-the-secret-xyz'));
      return true;
    });
  });

  test('the Enterprise certificate is checked: refused without rootCA', async () => {
    const c = (await CONNECTORS.github!({ clientID: 'gh-client', clientSecret: 'gh-secret-value', hostName }, ctx)) as RedirectConnector;
    gh.oauth.loggedIn = 'alice';
    const params = await browse(((await c.loginURL(ALL, CALLBACK, 's')) as { url: string }).url, cert.cert);
    await assert.rejects(c.handleCallback(ALL, CALLBACK, params, 's'), /token request to .* failed: .*(self-signed|certificate)/i);
  });

  test('refresh re-reads the user and groups with the kept token', async () => {
    const c = await connector({ loadAllGroups: true });
    const bob = await loginAs(c, 'bob');
    assert.deepEqual(bob.groups, []);
    assert.ok(bob.connectorData);
    gh.users.get('bob')!.orgs.push('acme');
    assert.deepEqual((await c.refresh!(ALL, bob)).groups, ['acme']);
    gh.users.get('bob')!.orgs.pop();
    // no connector data without offline access
    assert.equal((await loginAs(c, 'bob', { offlineAccess: false, groups: true })).connectorData, undefined);
  });

  test('config errors name the field', () => {
    assert.throws(() => parseGithubConfig({ clientSecret: 'x' }, ctx), /connector "github" \(type github\): clientID: required/);
    assert.throws(() => parseGithubConfig({ clientID: 'x', clientSecret: 'y', teamNameField: 'id' }, ctx), /teamNameField: must be one of name, slug, both/);
    assert.throws(() => parseGithubConfig({ clientID: 'x', clientSecret: 'y', hostName: 'https://ghe.example.com' }, ctx), /hostName: must be a host name/);
    assert.throws(() => parseGithubConfig({ clientID: 'x', clientSecret: 'y', orgs: [{ teams: ['a'] }] }, ctx), /orgs\[0\]\.name: required/);
    assert.ok(!logs.join('\n').includes('gh-secret-value'), 'the client secret is never logged');
  });
});
