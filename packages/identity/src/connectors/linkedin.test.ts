import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectorContext, RedirectConnector } from '../connector.js';
import { CONNECTORS } from './index.js';
import { LINKEDIN_COM, linkedinConnectorWith } from './linkedin.js';
import { browse, OAuthStandIn, startStandIn, type StandIn, type StandInRequest, type StandInResponse } from './testing/standin.js';

const CALLBACK = 'http://127.0.0.1:5556/api/dex/callback';
const ctx: ConnectorContext = { id: 'linkedin', name: 'LinkedIn', issuer: 'http://127.0.0.1:5556/api/dex', callbackURL: CALLBACK, log: () => {} };

/** LinkedIn's documented OAuth 2.0 and v2 API endpoints (authorization, accessToken, /me, /emailAddress). */
class LinkedinStandIn {
  oauth = new OAuthStandIn('li-client', 'li-secret-value', [CALLBACK]);
  members = new Map<string, { first: string; last: string; email?: string }>();
  server!: StandIn;
  handle = (req: StandInRequest): StandInResponse | undefined => {
    const p = req.url.pathname;
    if (p === '/oauth/v2/authorization') return this.oauth.authorize(req.url.searchParams);
    if (p === '/oauth/v2/accessToken' && req.method === 'POST') return this.oauth.token(req);
    const grant = this.oauth.bearer(req);
    if (!grant) return { status: 401, json: { serviceErrorCode: 65600, message: 'Invalid access token', status: 401 } };
    const m = this.members.get(grant.user)!;
    if (p === '/v2/me') return { json: { id: `li-${grant.user}`, localizedFirstName: m.first, localizedLastName: m.last } };
    if (p === '/v2/emailAddress' && req.url.searchParams.get('q') === 'members' && req.url.searchParams.get('projection') === '(elements*(handle~))') {
      if (!grant.scope.split(' ').includes('r_emailaddress')) return { status: 403, json: { message: 'Not enough permissions' } };
      return { json: { elements: m.email ? [{ handle: 'urn:li:emailAddress:1', 'handle~': { emailAddress: m.email } }] : [] } };
    }
    return undefined;
  };
}

describe('linkedin connector against a LinkedIn stand-in', () => {
  const li = new LinkedinStandIn();
  let connector: () => Promise<RedirectConnector>;
  before(async () => {
    li.server = await startStandIn(li.handle);
    li.members.set('mia', { first: 'Mia', last: 'Wong', email: 'mia@example.com' });
    li.members.set('noemail', { first: 'No', last: 'Email' });
    const u = li.server.url;
    const factory = linkedinConnectorWith({ authURL: `${u}/oauth/v2/authorization`, tokenURL: `${u}/oauth/v2/accessToken`, apiURL: `${u}/v2` });
    connector = async () => (await factory({ clientID: 'li-client', clientSecret: 'li-secret-value' }, ctx)) as RedirectConnector;
  });
  after(async () => { await li.server.close(); });
  const loginAs = async (c: RedirectConnector, user: string | undefined) => {
    li.oauth.loggedIn = user;
    const start = (await c.loginURL({ offlineAccess: true, groups: true }, CALLBACK, 'st')) as { url: string };
    assert.equal(new URL(start.url).searchParams.get('scope'), 'r_liteprofile r_emailaddress');
    return c.handleCallback({ offlineAccess: true, groups: true }, CALLBACK, await browse(start.url), 'st');
  };

  test('a member logs in: id, localized name, email; no groups; refresh re-reads the profile', async () => {
    const c = await connector();
    const id = await loginAs(c, 'mia');
    assert.deepEqual({ ...id, connectorData: undefined }, { userID: 'li-mia', username: 'Mia Wong', email: 'mia@example.com', emailVerified: true, groups: [], connectorData: undefined });
    li.members.get('mia')!.last = 'Wong-Li';
    assert.equal((await c.refresh!({ offlineAccess: true, groups: true }, id)).username, 'Mia Wong-Li');
  });

  test('a member without an email and a denied login are errors', async () => {
    const c = await connector();
    await assert.rejects(loginAs(c, 'noemail'), /linkedin: member "li-noemail" has no email address/);
    await assert.rejects(loginAs(c, undefined), /linkedin: the login was refused: access_denied/);
  });

  test('the registered connector uses linkedin.com and requires clientID/clientSecret', async () => {
    const c = (await CONNECTORS.linkedin!({ clientID: 'x', clientSecret: 'y' }, ctx)) as RedirectConnector;
    const u = new URL(((await c.loginURL({ offlineAccess: false, groups: false }, CALLBACK, 's')) as { url: string }).url);
    assert.equal(u.origin + u.pathname, LINKEDIN_COM.authURL);
    assert.throws(() => CONNECTORS.linkedin!({ clientID: 'x' }, ctx), /connector "linkedin" \(type linkedin\): clientSecret: required/);
  });
});
