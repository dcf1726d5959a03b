/**
 * The broker's own pages and flows with a password connector (a stand-in connector: the broker is what
 * is under test), driven by a real HTTP client: the form shown directly when there is one connector,
 * wrong credentials, a failing connector, the approval screen (grant and cancel), a login attempt from
 * another browser refused, and the argo-cd-cli client's tokens.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as oc from 'openid-client';
import type { ConnectorFactory, Identity } from './connector.js';
import { brokerConfig, generateDexConfig } from './config.js';
import { dexSubject } from './broker.js';
import { dexClientSecret } from './secret.js';
import { clientFor, codeFlow, startBroker, type RunningBroker } from './testing/harness.js';
import { Browser } from './testing/browser.js';

const USERS: Record<string, Identity & { password: string }> = {
  kilgore: { password: 'trout', userID: 'u-kilgore', username: 'Kilgore Trout', preferredUsername: 'kilgore', email: 'kilgore@example.com', emailVerified: true, groups: ['writers'] },
};
let refreshes = 0;
const password: ConnectorFactory = (config, ctx) => {
  if (config.broken) throw new Error(`connector ${ctx.id}: the directory is unreachable`);
  return {
    kind: 'password',
    prompt: () => String(config.usernamePrompt ?? 'Username'),
    async login(_scopes, username, pw) {
      if (username === 'explode') throw new Error('directory timeout');
      const u = USERS[username];
      if (!u || u.password !== pw) return undefined;
      const { password: _p, ...id } = u;
      return id;
    },
    async refresh(_scopes, id) {
      refreshes++;
      return { ...id, groups: [...id.groups, 'refreshed'] };
    },
  };
};

const KEY = 'srv-key';
const form = (user: string, pw: string) => (b: Browser, page: import('./testing/browser.js').Page) => b.submit(page, { login: user, password: pw });

describe('broker pages with a password connector', () => {
  let rb: RunningBroker;
  const cfgText = (extra = '') => `connectors:\n- {type: pw, id: local, name: Directory, config: {usernamePrompt: Email}}\n${extra}`;
  before(async () => {
    rb = await startBroker((base) => brokerConfig(generateDexConfig({ url: base, 'dex.config': cfgText() }, { 'server.secretkey': KEY })!), { factories: { pw: password } });
  });
  after(() => rb?.close());

  it('one connector: its form comes at once; wrong password says so (401); then a login gives Dex claims', async () => {
    const c = await clientFor(rb.issuer, 'argo-cd', dexClientSecret(KEY), `${rb.base}/auth/callback`);
    const { claims } = await codeFlow(c, {
      loginPage: async (b, page) => {
        assert.equal(page.status, 200);
        assert.match(page.body, /<label for="login">Email<\/label>/);
        const wrong = await b.submit(page, { login: 'kilgore', password: 'nope' });
        assert.equal(wrong.status, 401);
        assert.match(wrong.body, /Invalid username and password/);
        assert.match(wrong.body, /value="kilgore"/);
        return b.submit(wrong, { login: 'kilgore', password: 'trout' });
      },
    });
    assert.equal(claims.sub, dexSubject('u-kilgore', 'local'));
    assert.equal(claims.name, 'Kilgore Trout');
    assert.equal(claims.preferred_username, 'kilgore');
    assert.deepEqual(claims.groups, ['writers']);
  });

  it('a connector failure is shown on the form and the user can try again', async () => {
    const c = await clientFor(rb.issuer, 'argo-cd', dexClientSecret(KEY), `${rb.base}/auth/callback`);
    const { claims } = await codeFlow(c, {
      loginPage: async (b, page) => {
        const failed = await b.submit(page, { login: 'explode', password: 'x' });
        assert.match(failed.body, /Login failed: directory timeout/);
        return b.submit(failed, { login: 'kilgore', password: 'trout' });
      },
    });
    assert.equal(claims.preferred_username, 'kilgore');
  });

  it('the login form posted from another browser (no interaction cookie) is refused', async () => {
    const c = await clientFor(rb.issuer, 'argo-cd', dexClientSecret(KEY), `${rb.base}/auth/callback`);
    await assert.rejects(
      codeFlow(c, {
        loginPage: async (_b, page) => {
          const other = new Browser();
          const r = await other.submit(page, { login: 'kilgore', password: 'trout' });
          assert.equal(r.status, 400);
          assert.match(r.body, /unknown or has expired/);
          return r;
        },
      }),
      /did not come back/,
    );
  });

  it('argo-cd-cli: refresh tokens refresh through the connector; revoked refresh token refused', async () => {
    const c = await clientFor(rb.issuer, 'argo-cd-cli', undefined, 'http://localhost:8085/auth/callback');
    const { tokens } = await codeFlow(c, { scope: 'openid profile email groups offline_access', loginPage: form('kilgore', 'trout') });
    const before = refreshes;
    const r = await oc.refreshTokenGrant(c.config, tokens.refresh_token!);
    assert.equal(refreshes, before + 1);
    assert.deepEqual(r.claims()!.groups, ['writers', 'refreshed']);
    await oc.tokenRevocation(c.config, r.refresh_token!);
    await assert.rejects(oc.refreshTokenGrant(c.config, r.refresh_token!), (e: any) => e?.error === 'invalid_grant');
  });

  it('skipApprovalScreen false: the approval page; Cancel gives access_denied, Grant gives a code', async () => {
    await rb.broker.configure(brokerConfig(generateDexConfig({ url: rb.base, 'dex.config': cfgText('oauth2: {skipApprovalScreen: false}') }, { 'server.secretkey': KEY })!));
    try {
      const c = await clientFor(rb.issuer, 'argo-cd', dexClientSecret(KEY), `${rb.base}/auth/callback`);
      await assert.rejects(
        codeFlow(c, {
          loginPage: async (b, page) => {
            const approval = await b.submit(page, { login: 'kilgore', password: 'trout' });
            assert.match(approval.body, /Argo CD would like to/);
            return b.submit(approval, { approval: 'rejected' }, /approve/);
          },
        }),
        (e: any) => e?.error === 'access_denied' || /access_denied/.test(String(e?.cause?.parameters?.get?.('error'))) || /access_denied/.test(e?.message),
      );
      const { claims } = await codeFlow(c, { loginPage: async (b, page) => b.submit(await b.submit(page, { login: 'kilgore', password: 'trout' }), {}, /approve/) });
      assert.equal(claims.preferred_username, 'kilgore');
    } finally {
      await rb.broker.configure(brokerConfig(generateDexConfig({ url: rb.base, 'dex.config': cfgText() }, { 'server.secretkey': KEY })!));
    }
  });

  it('a connector that cannot be set up is listed with its error, next to the working one', async () => {
    await rb.broker.configure(brokerConfig(generateDexConfig({ url: rb.base, 'dex.config': cfgText('- {type: pw, id: ldap2, name: Second Directory, config: {broken: true}}') }, { 'server.secretkey': KEY })!));
    const c = await clientFor(rb.issuer, 'argo-cd', dexClientSecret(KEY), `${rb.base}/auth/callback`);
    const { claims } = await codeFlow(c, {
      loginPage: async (b, page) => {
        assert.match(page.body, /Second Directory: unavailable — <span class="error">connector ldap2: the directory is unreachable/);
        return form('kilgore', 'trout')(b, await b.get(Browser.links(page).find((l) => l.endsWith('/connector/local'))!));
      },
    });
    assert.equal(claims.preferred_username, 'kilgore');
    assert.deepEqual(rb.broker.connectorErrors(), { ldap2: 'connector ldap2: the directory is unreachable' });
  });

  it('behind a proxy: discovery and redirects use the issuer\'s origin, not the Host the request came with', async () => {
    const { request } = await import('node:http');
    const get = (path: string) =>
      new Promise<{ status: number; body: string; location?: string }>((resolve, reject) => {
        const r = request(`${rb.base}${path}`, { headers: { host: 'argocd-dex-server:5556' } }, (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body, location: res.headers.location }));
        });
        r.on('error', reject);
        r.end();
      });
    const disc = JSON.parse((await get('/api/dex/.well-known/openid-configuration')).body);
    assert.equal(disc.issuer, rb.issuer);
    assert.equal(disc.token_endpoint, `${rb.issuer}/token`);
    const auth = await get(`/api/dex/auth?client_id=argo-cd&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(`${rb.base}/auth/callback`)}&state=s1234567&nonce=n1234567`);
    assert.equal(auth.status, 303);
    assert.ok(auth.location?.startsWith('/api/dex/interaction/') || auth.location?.startsWith(`${rb.issuer}/interaction/`), auth.location);
  });
});
