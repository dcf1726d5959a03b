import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectorContext, RedirectConnector } from '../connector.js';
import { CONNECTORS } from './index.js';
import { parseMicrosoftConfig } from './microsoft.js';
import { browse, startStandIn } from './testing/standin.js';
import { MicrosoftStandIn, TENANT } from './testing/microsoft.js';

const CALLBACK = 'http://127.0.0.1:5556/api/dex/callback';
const ctx: ConnectorContext = { id: 'microsoft', name: 'Microsoft', issuer: 'http://127.0.0.1:5556/api/dex', callbackURL: CALLBACK, log: () => {} };
const ALL = { offlineAccess: true, groups: true };

describe('microsoft connector against an identity-platform + Graph stand-in (apiURL, graphURL)', () => {
  const ms = new MicrosoftStandIn([CALLBACK]);
  before(async () => {
    ms.server = await startStandIn(ms.handle);
    for (const [id, name, security] of [['g1', 'Engineering', true], ['g2', 'Argo Admins', true], ['g3', 'All Staff', false], ['g4', 'Oncall', true], ['g5', 'Parking', false]] as const) {
      ms.groups.set(id, { id, displayName: name, security });
    }
    ms.users.set('kim', { id: 'oid-kim', displayName: 'Kim Park', upn: 'Kim.Park@Contoso.com', groups: ['g1', 'g2', 'g3', 'g4', 'g5'] });
    ms.users.set('lee', { id: 'oid-lee', displayName: 'Lee Ray', upn: 'lee@contoso.com', groups: ['g3'] });
  });
  after(async () => { await ms.server.close(); });
  const connector = async (over: Record<string, unknown> = {}) =>
    (await CONNECTORS.microsoft!({ clientID: 'ms-app', clientSecret: 'ms-secret-value', tenant: TENANT, apiURL: ms.server.url, graphURL: `${ms.server.url}/graph`, ...over }, ctx)) as RedirectConnector;
  const loginAs = async (c: RedirectConnector, user: string | undefined, scopes = ALL) => {
    ms.oauth.loggedIn = user;
    const start = (await c.loginURL(scopes, CALLBACK, 'st')) as { url: string };
    return c.handleCallback(scopes, CALLBACK, await browse(start.url), 'st');
  };

  test('login URL: the tenant\'s v2.0 endpoint, user.read (+ directory.read.all, offline_access), prompt and domain_hint', async () => {
    const c = await connector({ promptType: 'consent', domainHint: 'contoso.com' });
    const u = new URL(((await c.loginURL(ALL, CALLBACK, 's')) as { url: string }).url);
    assert.equal(u.origin + u.pathname, `${ms.server.url}/${TENANT}/oauth2/v2.0/authorize`);
    assert.equal(u.searchParams.get('scope'), 'user.read directory.read.all offline_access');
    assert.equal(u.searchParams.get('prompt'), 'consent');
    assert.equal(u.searchParams.get('domain_hint'), 'contoso.com');
    // the common tenant has no groups
    const common = (await CONNECTORS.microsoft!({ clientID: 'a', clientSecret: 'b' }, ctx)) as RedirectConnector;
    const cu = new URL(((await common.loginURL(ALL, CALLBACK, 's')) as { url: string }).url);
    assert.equal(cu.origin + cu.pathname, 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize');
    assert.equal(cu.searchParams.get('scope'), 'user.read offline_access');
  });

  test('a login gives the object id, display name, UPN and group names across pages', async () => {
    const id = await loginAs(await connector(), 'kim');
    assert.equal(id.userID, 'oid-kim');
    assert.equal(id.username, 'Kim Park');
    assert.equal(id.email, 'Kim.Park@Contoso.com');
    assert.deepEqual(id.groups, ['Engineering', 'Argo Admins', 'All Staff', 'Oncall', 'Parking']);
    assert.ok(ms.server.requests.some((r) => r.url.searchParams.get('page') === '2'), 'the third page of getMemberGroups was fetched');
  });

  test('onlySecurityGroups, groupNameFormat id, emailToLowercase', async () => {
    const id = await loginAs(await connector({ onlySecurityGroups: true, groupNameFormat: 'id', emailToLowercase: true }), 'kim');
    assert.deepEqual(id.groups, ['g1', 'g2', 'g4']);
    assert.equal(id.email, 'kim.park@contoso.com');
  });

  test('groups is required membership; useGroupsAsWhitelist keeps only the listed ones', async () => {
    const listed = { groups: ['Argo Admins', 'Oncall'] };
    assert.deepEqual((await loginAs(await connector(listed), 'kim')).groups, ['Engineering', 'Argo Admins', 'All Staff', 'Oncall', 'Parking']);
    assert.deepEqual((await loginAs(await connector({ ...listed, useGroupsAsWhitelist: true }), 'kim')).groups, ['Argo Admins', 'Oncall']);
    await assert.rejects(loginAs(await connector(listed), 'lee', { offlineAccess: false, groups: false }), /microsoft: user "lee@contoso.com" is not in any of the required groups/);
  });

  test('refresh uses the refresh token (with the same scopes)', async () => {
    const c = await connector();
    const lee = await loginAs(c, 'lee');
    ms.users.get('lee')!.groups.push('g4');
    assert.deepEqual((await c.refresh!(ALL, lee)).groups, ['All Staff', 'Oncall']);
    assert.equal(ms.tokenScopes.at(-1), 'user.read directory.read.all offline_access');
    // without offline access nothing is kept for refresh
    const once = await loginAs(c, 'lee', { offlineAccess: false, groups: true });
    await assert.rejects(c.refresh!(ALL, once), /refresh without a refresh token/);
  });

  test('errors: denied, wrong secret (not shown), bad config', async () => {
    await assert.rejects(loginAs(await connector(), undefined), /microsoft: the login was refused: access_denied/);
    await assert.rejects(loginAs(await connector({ clientSecret: 'bad-secret-777' }), 'kim'), (e: Error) => /invalid_client/.test(e.message) && !e.message.includes('bad-secret-777'));
    assert.throws(() => parseMicrosoftConfig({ clientID: 'a', clientSecret: 'b', groups: ['x'] }, ctx), /connector "microsoft" \(type microsoft\): groups: need an organizational tenant/);
    assert.throws(() => parseMicrosoftConfig({ clientID: 'a', clientSecret: 'b', groupNameFormat: 'mail' }, ctx), /groupNameFormat: must be one of name, id/);
    assert.throws(() => parseMicrosoftConfig({ clientID: 'a', clientSecret: 'b', tenant: 'a/b' }, ctx), /tenant: must be/);
  });
});
