/**
 * The saml connector behind the broker, end to end: argocd-cm's `dex.config` with a `type: saml`
 * connector (caData from argocd-secret as `$dex.saml.ca`, redirectURI set as Argo CD sets it) →
 * the argo-cd client's code flow → the broker's redirect to the SAML IdP (saml-testidp.ts, signing
 * real assertions) → the IdP's login form → its HTTP-POST to `<issuer>/callback` → the ID token,
 * validated by openid-client, with the SAML user's groups.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generate } from 'selfsigned';
import { brokerConfig, generateDexConfig } from '../config.js';
import { dexSubject } from '../broker.js';
import { dexClientSecret } from '../secret.js';
import { clientFor, codeFlow, startBroker, type RunningBroker } from '../testing/harness.js';
import type { Browser, Page } from '../testing/browser.js';
import { startTestIdP, type TestIdP } from './saml-testidp.js';

const SERVER_KEY = 'saml-test-server-key';

/** the IdP's login form, then its auto-submitting form to the broker's callback (a browser would run its onload) */
const samlLogin = (username: string, password: string) => async (b: Browser, page: Page): Promise<Page> => {
  const answer = await b.submit(page, { username, password });
  if (answer.status !== 200 || !answer.body.includes('SAMLResponse')) return answer;
  return b.submit(answer, {});
};

describe('broker + saml connector against a SAML IdP signing real assertions', () => {
  let idp: TestIdP;
  let rb: RunningBroker;
  const logs: string[] = [];

  before(async () => {
    const pems = await generate([{ name: 'commonName', value: 'saml-idp' }], { keySize: 2048, algorithm: 'sha256' });
    idp = await startTestIdP({ key: pems.private, cert: pems.cert }, {
      alice: { password: 'alice-pw', nameID: '00u-alice', attributes: { email: ['alice@example.com'], group: ['argocd-admins', 'devs'] } },
      bob: { password: 'bob-pw', nameID: '00u-bob', attributes: { email: ['bob@example.com'] } },
    });
    const secrets = { 'server.secretkey': SERVER_KEY, 'dex.saml.ca': Buffer.from(pems.cert).toString('base64') };
    rb = await startBroker(
      (base) =>
        brokerConfig(
          generateDexConfig(
            {
              url: base,
              'dex.config': `connectors:
- type: saml
  id: okta
  name: Okta
  config:
    ssoURL: ${idp.ssoURL}
    caData: $dex.saml.ca
    usernameAttr: email
    emailAttr: email
    groupsAttr: group
`,
            },
            secrets,
          )!,
        ),
      { log: (level, msg) => logs.push(`${level} ${msg}`) },
    );
  });
  after(async () => {
    await rb?.close();
    await idp?.close();
  });

  it('argo-cd client: code flow through the SAML IdP; ID token with the SAML user and groups', async () => {
    const c = await clientFor(rb.issuer, 'argo-cd', dexClientSecret(SERVER_KEY), `${rb.base}/auth/callback`);
    const { claims } = await codeFlow(c, { loginPage: samlLogin('alice', 'alice-pw'), pkce: false });
    assert.equal(claims.iss, rb.issuer);
    assert.equal(claims.aud, 'argo-cd');
    assert.equal(claims.sub, dexSubject('00u-alice', 'okta'));
    assert.equal(claims.email, 'alice@example.com');
    assert.equal(claims.email_verified, true);
    assert.equal(claims.name, 'alice@example.com');
    assert.deepEqual(claims.groups, ['argocd-admins', 'devs']);
    assert.deepEqual(claims.federated_claims, { connector_id: 'okta', user_id: '00u-alice' });
    // the AuthnRequest named the callback Argo CD's configuration sets
    assert.equal(idp.requests.at(-1)!.acs, `${rb.base}/api/dex/callback`);
  });

  it('a user without groups gets an ID token with no groups', async () => {
    const c = await clientFor(rb.issuer, 'argo-cd', dexClientSecret(SERVER_KEY), `${rb.base}/auth/callback`);
    const { claims } = await codeFlow(c, { loginPage: samlLogin('bob', 'bob-pw'), pkce: false });
    assert.equal(claims.email, 'bob@example.com');
    assert.deepEqual(claims.groups, []);
  });

  it('an expired assertion ends the login on the broker error page with the reason; a replayed response is refused', async () => {
    const c = await clientFor(rb.issuer, 'argo-cd', dexClientSecret(SERVER_KEY), `${rb.base}/auth/callback`);
    idp.next = { notOnOrAfter: -300 };
    let refusal: Page | undefined;
    await assert.rejects(
      codeFlow(c, {
        pkce: false,
        loginPage: async (b, page) => (refusal = await samlLogin('alice', 'alice-pw')(b, page)),
      }),
      /400 at .*\/api\/dex\/callback/,
    );
    assert.equal(refusal!.status, 400);
    assert.match(refusal!.body, /Login failed/);
    assert.match(refusal!.body, /SAML response refused: the assertion is expired or not yet valid/);
    assert.ok(logs.some((l) => l.includes('SAML response refused')), 'refusal logged');

    // a good login, then the same SAMLResponse posted again
    let captured: Page | undefined;
    await codeFlow(c, {
      pkce: false,
      loginPage: async (b, page) => {
        captured = await b.submit(page, { username: 'alice', password: 'alice-pw' });
        return b.submit(captured, {});
      },
    });
    const again = await codeFlow(c, {
      pkce: false,
      loginPage: async (b) => b.submit(captured!, {}),
    }).then(
      () => 'accepted',
      (e: Error) => e.message,
    );
    assert.match(again, /400 at .*\/api\/dex\/callback/);
  });
});
