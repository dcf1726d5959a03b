import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectorContext, RedirectConnector } from '../connector.js';
import { CONNECTORS } from './index.js';
import { parseGitlabConfig } from './gitlab.js';
import { browse, startStandIn } from './testing/standin.js';
import { GitlabStandIn } from './testing/gitlab.js';

const CALLBACK = 'http://127.0.0.1:5556/api/dex/callback';
const ctx: ConnectorContext = { id: 'gitlab', name: 'GitLab', issuer: 'http://127.0.0.1:5556/api/dex', callbackURL: CALLBACK, log: () => {} };
const ALL = { offlineAccess: true, groups: true };

describe('gitlab connector against a GitLab stand-in (baseURL)', () => {
  const gl = new GitlabStandIn([CALLBACK]);
  before(async () => {
    gl.server = await startStandIn(gl.handle);
    gl.users.set('ann', { id: 42, username: 'ann', name: 'Ann Lee', email: 'ann@example.com', groups: ['platform', 'platform/infra', 'web'], owner: ['platform'], developer: ['web'] });
    gl.users.set('ben', { id: 43, username: 'ben', name: '', email: 'ben@example.com', groups: ['web'] });
  });
  after(async () => { await gl.server.close(); });
  const connector = async (over: Record<string, unknown> = {}) =>
    (await CONNECTORS.gitlab!({ baseURL: gl.server.url + '/', clientID: 'gl-app', clientSecret: 'gl-secret-value', ...over }, ctx)) as RedirectConnector;
  const loginAs = async (c: RedirectConnector, user: string | undefined, scopes = ALL) => {
    gl.oauth.loggedIn = user;
    const start = (await c.loginURL(scopes, CALLBACK, 'st')) as { url: string };
    return c.handleCallback(scopes, CALLBACK, await browse(start.url), 'st');
  };

  test('login URL: read_user, plus openid when groups are needed; the default is gitlab.com', async () => {
    const c = await connector();
    const u = new URL(((await c.loginURL({ offlineAccess: false, groups: false }, CALLBACK, 's1')) as { url: string }).url);
    assert.equal(u.origin + u.pathname, `${gl.server.url}/oauth/authorize`);
    assert.equal(u.searchParams.get('scope'), 'read_user');
    assert.equal(u.searchParams.get('state'), 's1');
    assert.equal(u.searchParams.get('redirect_uri'), CALLBACK);
    const g = new URL(((await c.loginURL(ALL, CALLBACK, 's')) as { url: string }).url);
    assert.equal(g.searchParams.get('scope'), 'read_user openid');
    assert.equal(parseGitlabConfig({ clientID: 'a', clientSecret: 'b' }, ctx).baseURL, 'https://gitlab.com');
  });

  test('a login gives id, name, username, email and the group paths', async () => {
    const id = await loginAs(await connector(), 'ann');
    assert.equal(id.userID, '42');
    assert.equal(id.username, 'Ann Lee');
    assert.equal(id.preferredUsername, 'ann');
    assert.equal(id.email, 'ann@example.com');
    assert.equal(id.emailVerified, true);
    assert.deepEqual(id.groups, ['platform', 'platform/infra', 'web']);
    const ben = await loginAs(await connector({ useLoginAsID: true }), 'ben', { offlineAccess: false, groups: false });
    assert.equal(ben.userID, 'ben');
    assert.equal(ben.username, 'ben@example.com', 'no name: the email, as Dex');
    assert.deepEqual(ben.groups, []);
  });

  test('groups is a required allow-list; getGroupsPermission adds group:owner|maintainer|developer', async () => {
    const c = await connector({ groups: ['platform/infra', 'ops'] });
    assert.deepEqual((await loginAs(c, 'ann')).groups, ['platform/infra']);
    await assert.rejects(loginAs(c, 'ben', { offlineAccess: false, groups: false }), /gitlab: user "ben" is not in any of the required groups/);
    assert.deepEqual((await loginAs(await connector({ getGroupsPermission: true }), 'ann')).groups, ['platform', 'platform/infra', 'web', 'platform:owner', 'web:developer']);
  });

  test('refresh uses the refresh token and re-reads the groups', async () => {
    const c = await connector();
    const ben = await loginAs(c, 'ben');
    gl.users.get('ben')!.groups.push('ops');
    const again = await c.refresh!(ALL, ben);
    assert.deepEqual(again.groups, ['web', 'ops']);
    assert.notEqual((again.connectorData as { refreshToken: string }).refreshToken, (ben.connectorData as { refreshToken: string }).refreshToken);
    await assert.rejects(c.refresh!(ALL, ben), /refused the refresh token: invalid_grant/, 'the old refresh token was rotated');
  });

  test('errors: denied, wrong secret (not shown), a bad baseURL', async () => {
    await assert.rejects(loginAs(await connector(), undefined), /gitlab: the login was refused: access_denied/);
    await assert.rejects(loginAs(await connector({ clientSecret: 'wrong-secret-123' }), 'ann'), (e: Error) => /invalid_client/.test(e.message) && !e.message.includes('wrong-secret-123'));
    assert.throws(() => parseGitlabConfig({ baseURL: 'gitlab.example.com', clientID: 'a', clientSecret: 'b' }, ctx), /connector "gitlab" \(type gitlab\): baseURL: must be an http\(s\) URL/);
    assert.throws(() => parseGitlabConfig({ clientID: 'a' }, ctx), /clientSecret: required/);
  });
});
