/**
 * The broker with the oidc and oauth connectors against an independent upstream OpenID Connect provider
 * (oidc-provider in its own process, its own users and login form), driven by a real HTTP client that
 * follows redirects and posts forms; the relying party's side is openid-client validating the tokens.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as oc from 'openid-client';
import { brokerConfig, generateDexConfig } from './config.js';
import { dexSubject } from './broker.js';
import { dexClientSecret } from './secret.js';
import { startUpstreamIdP, type UpstreamIdP } from './testing/upstream-idp.js';
import { clientFor, codeFlow, startBroker, upstreamLogin, type RunningBroker } from './testing/harness.js';
import { Browser } from './testing/browser.js';

const SERVER_KEY = 'test-server-secret-key';

/** an error's message with the OAuth error fields openid-client carries */
const why = (re: RegExp) => (e: any) => {
  const text = [e?.message, e?.error, e?.error_description, e?.cause?.error, e?.cause?.error_description, JSON.stringify(e?.cause?.parameters ?? e?.cause ?? '')].join(' ');
  assert.match(text, re);
  return true;
};

describe('broker + oidc connector against an independent oidc-provider', () => {
  let idp: UpstreamIdP;
  let rb: RunningBroker;
  let logs: string[] = [];
  // the broker's port must be known for the upstream client's redirect URI: reserve it first
  before(async () => {
    let cm: Record<string, string> = {};
    let upstreamIssuer = '';
    rb = await startBroker(
      (base) => {
        cm = {
          url: base,
          'dex.config': `
connectors:
- type: oidc
  id: upstream
  name: Upstream IdP
  config:
    issuer: PLACEHOLDER
    clientID: flotilla-broker
    clientSecret: $dex.upstream.clientSecret
    insecureEnableGroups: true
    scopes: [profile, email, groups]
`,
        };
        return brokerConfig(generateDexConfig({ url: base, 'dex.config': 'connectors: []' }, { 'server.secretkey': SERVER_KEY })!);
      },
      { log: (level, msg) => logs.push(`${level} ${msg}`) },
    );
    idp = await startUpstreamIdP({
      clients: [
        { client_id: 'flotilla-broker', client_secret: 'upstream-secret', redirect_uris: [`${rb.issuer}/callback`], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] },
        { client_id: 'flotilla-oauth', client_secret: 'oauth-secret', redirect_uris: [`${rb.issuer}/callback`], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] },
      ],
    });
    upstreamIssuer = idp.issuer;
    cm['dex.config'] = cm['dex.config']!.replace('PLACEHOLDER', upstreamIssuer);
    await rb.broker.configure(brokerConfig(generateDexConfig(cm, { 'server.secretkey': SERVER_KEY, 'dex.upstream.clientSecret': 'upstream-secret' })!));
  });
  after(async () => {
    await rb?.close();
    await idp?.stop();
  });

  it('argo-cd client: code flow through the upstream login; ID token with Dex claims', async () => {
    const c = await clientFor(rb.issuer, 'argo-cd', dexClientSecret(SERVER_KEY), `${rb.base}/auth/callback`);
    const { claims, tokens } = await codeFlow(c, { loginPage: upstreamLogin('alice', 'alice-pw'), pkce: false });
    assert.equal(claims.iss, rb.issuer);
    assert.equal(claims.aud, 'argo-cd');
    assert.equal(claims.sub, dexSubject('alice-0001', 'upstream'));
    assert.equal(claims.email, 'alice@example.com');
    assert.equal(claims.email_verified, true);
    assert.equal(claims.name, 'Alice Liddell');
    assert.equal(claims.preferred_username, 'alice');
    assert.deepEqual(claims.groups, ['devs', 'admins']);
    assert.deepEqual(claims.federated_claims, { connector_id: 'upstream', user_id: 'alice-0001' });
    const ui = await oc.fetchUserInfo(c.config, tokens.access_token, claims.sub);
    assert.deepEqual(ui.groups, ['devs', 'admins']);
  });

  it('argo-cd-cli (public): PKCE required, any loopback port, offline_access gives a refresh token; a refresh keeps the user and groups', async () => {
    const c = await clientFor(rb.issuer, 'argo-cd-cli', undefined, 'http://localhost:9999/auth/callback');
    const { claims, tokens } = await codeFlow(c, { scope: 'openid profile email groups offline_access', loginPage: upstreamLogin('alice', 'alice-pw') });
    assert.equal(claims.aud, 'argo-cd-cli');
    assert.ok(tokens.refresh_token, 'a refresh token for offline_access');
    const r = await oc.refreshTokenGrant(c.config, tokens.refresh_token!);
    const rc = r.claims()!;
    assert.equal(rc.sub, claims.sub);
    assert.deepEqual(rc.groups, ['devs', 'admins']);
    assert.ok(logs.some((l) => /login successful: connector "upstream", username="Alice Liddell"/.test(l)), logs.join('\n'));
    await assert.rejects(codeFlow(c, { pkce: false, loginPage: upstreamLogin('alice', 'alice-pw') }), why(/code_challenge|PKCE/i));
  });

  it('groups only when the groups scope is asked; bob has none', async () => {
    const c = await clientFor(rb.issuer, 'argo-cd', dexClientSecret(SERVER_KEY), `${rb.base}/auth/callback`);
    const a = await codeFlow(c, { scope: 'openid profile email', loginPage: upstreamLogin('alice', 'alice-pw') });
    assert.equal(a.claims.groups, undefined);
    const b = await codeFlow(c, { loginPage: upstreamLogin('bob', 'bob-pw') });
    assert.deepEqual(b.claims.groups, []);
    assert.equal(b.claims.sub, dexSubject('bob-0002', 'upstream'));
    assert.notEqual(b.claims.sub, a.claims.sub);
  });

  it('a replayed or forged callback is refused; a wrong client secret gets no token; an unregistered redirect URI is refused', async () => {
    const c = await clientFor(rb.issuer, 'argo-cd', dexClientSecret(SERVER_KEY), `${rb.base}/auth/callback`);
    const { browser } = await codeFlow(c, { loginPage: upstreamLogin('alice', 'alice-pw') });
    const cb = browser.history.find((u) => u.startsWith(`${rb.issuer}/callback?`));
    assert.ok(cb, browser.history.join('\n'));
    const again = await browser.get(cb!);
    assert.equal(again.status, 400);
    assert.match(again.body, /Unknown or already used login state/);
    const forged = await new Browser().get(`${rb.issuer}/callback?code=abc&state=forged`);
    assert.equal(forged.status, 400);
    const bad = await clientFor(rb.issuer, 'argo-cd', 'not-the-secret', `${rb.base}/auth/callback`);
    await assert.rejects(codeFlow(bad, { loginPage: upstreamLogin('alice', 'alice-pw') }), why(/invalid_client|client authentication/i));
    const evil = await clientFor(rb.issuer, 'argo-cd', dexClientSecret(SERVER_KEY), 'https://evil.example.com/auth/callback');
    await assert.rejects(codeFlow(evil, { loginPage: upstreamLogin('alice', 'alice-pw') }), /redirect_uri|did not come back/);
  });

  it('wrong upstream password: the upstream form says so and nothing is issued', async () => {
    const c = await clientFor(rb.issuer, 'argo-cd', dexClientSecret(SERVER_KEY), `${rb.base}/auth/callback`);
    await assert.rejects(codeFlow(c, { loginPage: upstreamLogin('alice', 'wrong') }), /Wrong username or password/);
  });

  it('key rotation: a new signing key, the old one still published; tokens of both verify', async () => {
    const c = await clientFor(rb.issuer, 'argo-cd', dexClientSecret(SERVER_KEY), `${rb.base}/auth/callback`);
    const before = await codeFlow(c, { loginPage: upstreamLogin('alice', 'alice-pw') });
    const kid0 = JSON.parse(Buffer.from(before.tokens.id_token!.split('.')[0]!, 'base64url').toString()).kid;
    assert.ok(rb.broker.rotateKeys());
    const jwks = (await (await fetch(`${rb.issuer}/keys`)).json()) as { keys: { kid: string; d?: string }[] };
    assert.equal(jwks.keys.length, 2);
    assert.ok(jwks.keys.some((k) => k.kid === kid0));
    assert.ok(jwks.keys.every((k) => k.d === undefined), 'no private parts published');
    const c2 = await clientFor(rb.issuer, 'argo-cd', dexClientSecret(SERVER_KEY), `${rb.base}/auth/callback`);
    const afterFlow = await codeFlow(c2, { loginPage: upstreamLogin('alice', 'alice-pw') });
    const kid1 = JSON.parse(Buffer.from(afterFlow.tokens.id_token!.split('.')[0]!, 'base64url').toString()).kid;
    assert.notEqual(kid1, kid0);
    assert.ok(jwks.keys.some((k) => k.kid === kid1));
  });

  it('a misconfigured connector is shown on the login page and logged; the others keep working', async () => {
    const cm = {
      url: rb.base,
      'dex.config': `
connectors:
- type: oidc
  id: upstream
  name: Upstream IdP
  config: {issuer: ${idp.issuer}, clientID: flotilla-broker, clientSecret: $dex.upstream.clientSecret, insecureEnableGroups: true, scopes: [profile, email, groups]}
- type: oidc
  id: broken
  name: Broken IdP
  config: {issuer: "http://127.0.0.1:1", clientID: x, clientSecret: $dex.upstream.clientSecret}
- type: no-such-type
  id: odd
  name: Odd
`,
    };
    logs = [];
    await rb.broker.configure(brokerConfig(generateDexConfig(cm, { 'server.secretkey': SERVER_KEY, 'dex.upstream.clientSecret': 'upstream-secret' })!));
    try {
      assert.ok(logs.some((l) => /^error connector broken \(oidc\) cannot be used: cannot discover the issuer http:\/\/127\.0\.0\.1:1\//.test(l)), logs.join('\n'));
      assert.ok(!logs.join('\n').includes('upstream-secret'), 'no secret in the log');
      const c = await clientFor(rb.issuer, 'argo-cd', dexClientSecret(SERVER_KEY), `${rb.base}/auth/callback`);
      const { claims } = await codeFlow(c, {
        loginPage: async (b, page) => {
          assert.match(page.body, /Broken IdP: unavailable/);
          assert.match(page.body, /connector type &quot;no-such-type&quot; is not supported/);
          assert.ok(!page.body.includes('upstream-secret'));
          const link = Browser.links(page).find((l) => l.endsWith('/connector/upstream'))!;
          const broken = await b.get(page.url + '/connector/broken');
          assert.equal(broken.status, 503);
          return upstreamLogin('bob', 'bob-pw')(b, await b.get(link));
        },
      });
      assert.equal(claims.preferred_username, 'bob');
    } finally {
      await rb.broker.configure(brokerConfig(generateDexConfig({ url: rb.base, 'dex.config': `connectors:\n- {type: oidc, id: upstream, name: Upstream IdP, config: {issuer: ${idp.issuer}, clientID: flotilla-broker, clientSecret: upstream-secret, insecureEnableGroups: true, scopes: [profile, email, groups]}}` }, { 'server.secretkey': SERVER_KEY })!));
    }
  });

  it('oauth connector: the same upstream as a plain OAuth2 server with a userinfo endpoint and claim mapping', async () => {
    const cm = {
      url: rb.base,
      'dex.config': `
connectors:
- type: oauth
  id: myoauth
  name: My OAuth
  config:
    clientID: flotilla-oauth
    clientSecret: $oauth-secret:clientSecret
    authorizationURL: ${idp.issuer}/auth
    tokenURL: ${idp.issuer}/token
    userInfoURL: ${idp.issuer}/me
    scopes: [openid, profile, email, groups]
    userIDKey: sub
    claimMapping:
      userNameKey: name
      emailKey: email
      groupsKey: groups
oauth2:
  skipApprovalScreen: false
`,
    };
    await rb.broker.configure(brokerConfig(generateDexConfig(cm, { 'server.secretkey': SERVER_KEY, 'oauth-secret:clientSecret': 'oauth-secret' })!));
    const c = await clientFor(rb.issuer, 'argo-cd', dexClientSecret(SERVER_KEY), `${rb.base}/auth/callback`);
    let approval = '';
    const { claims } = await codeFlow(c, {
      loginPage: async (b, page) => {
        const back = await b.submit(page, { username: 'alice', password: 'alice-pw' });
        approval = back.body;
        return b.submit(back, {}, /approve/);
      },
    });
    assert.match(approval, /Grant access/, 'skipApprovalScreen: false shows the approval page');
    assert.equal(claims.sub, dexSubject('alice-0001', 'myoauth'));
    assert.equal(claims.name, 'Alice Liddell');
    assert.equal(claims.email, 'alice@example.com');
    assert.deepEqual(claims.groups, ['devs', 'admins']);
    assert.deepEqual(claims.federated_claims, { connector_id: 'myoauth', user_id: 'alice-0001' });
  });
});

describe('oidc connector: rootCAs and getUserInfo against an HTTPS upstream whose ID tokens carry only sub', () => {
  let idp: UpstreamIdP;
  let rb: RunningBroker;
  let caPem = '';
  const logs: string[] = [];
  before(async () => {
    const { makeTestCert } = await import('./connectors/testing/tls.js');
    const cert = makeTestCert();
    caPem = cert.cert;
    rb = await startBroker((base) => brokerConfig(generateDexConfig({ url: base, 'dex.config': 'connectors: []' }, { 'server.secretkey': SERVER_KEY })!), { log: (l, m) => logs.push(`${l} ${m}`) });
    idp = await startUpstreamIdP({
      clients: [{ client_id: 'flotilla-broker', client_secret: 'upstream-secret', redirect_uris: [`${rb.issuer}/callback`], grant_types: ['authorization_code'], response_types: ['code'] }],
      conformIdTokenClaims: true,
      tls: { cert: cert.cert, key: cert.key },
    });
    const conn = (id: string, extra: string) => `- type: oidc
  id: ${id}
  name: ${id}
  config: {issuer: "${idp.issuer}", clientID: flotilla-broker, clientSecret: upstream-secret, insecureEnableGroups: true, scopes: [profile, email, groups]${extra}}
`;
    const dexConfig = `connectors:\n${conn('tls-ok', `, rootCAs: ["${cert.certFile}"], getUserInfo: true`)}${conn('tls-noca', ', getUserInfo: true')}${conn('no-userinfo', `, rootCAs: ["${cert.certFile}"]`)}`;
    await rb.broker.configure(brokerConfig(generateDexConfig({ url: rb.base, 'dex.config': dexConfig }, { 'server.secretkey': SERVER_KEY })!));
  });
  after(async () => {
    await rb?.close();
    await idp?.stop();
  });

  const pick = (id: string) => async (b: Browser, page: import('./testing/browser.js').Page) => upstreamLogin('alice', 'alice-pw')(b, await b.get(Browser.links(page).find((l) => l.endsWith(`/connector/${id}`))!));

  it('rootCAs trusts the upstream; getUserInfo brings name, email and groups', async () => {
    const c = await clientFor(rb.issuer, 'argo-cd', dexClientSecret(SERVER_KEY), `${rb.base}/auth/callback`);
    const browser = new Browser((u) => u.href.startsWith(`${rb.base}/auth/callback`), [caPem]);
    const { claims } = await codeFlow(c, { loginPage: pick('tls-ok'), browser });
    assert.equal(claims.sub, dexSubject('alice-0001', 'tls-ok'));
    assert.equal(claims.name, 'Alice Liddell');
    assert.equal(claims.email, 'alice@example.com');
    assert.deepEqual(claims.groups, ['devs', 'admins']);
  });

  it('without the CA: the connector is listed unavailable with the certificate error (and logged)', async () => {
    const c = await clientFor(rb.issuer, 'argo-cd', dexClientSecret(SERVER_KEY), `${rb.base}/auth/callback`);
    await assert.rejects(
      codeFlow(c, {
        loginPage: async (_b, page) => {
          assert.match(page.body, /tls-noca: unavailable — <span class="error">cannot discover the issuer https:\/\/127\.0\.0\.1:\d+\/: .*(self-signed|certificate)/);
          return page;
        },
      }),
      /did not come back/,
    );
    assert.ok(logs.some((l) => /error connector tls-noca \(oidc\) cannot be used: cannot discover the issuer .*(self-signed|certificate)/.test(l)), logs.join('\n'));
  });

  it('without getUserInfo the ID token has no name: the login is refused as Dex does (missing "name" claim)', async () => {
    const c = await clientFor(rb.issuer, 'argo-cd', dexClientSecret(SERVER_KEY), `${rb.base}/auth/callback`);
 const browser = new Browser((u) => u.href.startsWith(`${rb.base}/auth/callback`), [caPem]);
    await assert.rejects(codeFlow(c, { loginPage: pick('no-userinfo'), browser }), /400 at .*\/api\/dex\/callback.*missing &quot;name&quot; claim|missing "name" claim/);
  });
});
