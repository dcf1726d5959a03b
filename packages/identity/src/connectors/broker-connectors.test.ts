/**
 * The ldap and gitlab connectors end to end through the broker: dex.config as argocd-cm carries it
 * (secrets from argocd-secret), the connector choice page, the broker's password form posted by a
 * scripted browser (ldap, against a real slapd) and the redirect round trip through a GitLab stand-in;
 * the relying party (openid-client, client `argo-cd`) validates the ID token and its claims.
 * Also measures the full code flow with LDAP (p50) and 100 concurrent logins.
 */
import { after, before, describe, it } from 'node:test';
import * as oc from 'openid-client';
import assert from 'node:assert/strict';
import { brokerConfig, generateDexConfig } from '../config.js';
import { dexSubject } from '../broker.js';
import { dexClientSecret } from '../secret.js';
import { Browser, type Page } from '../testing/browser.js';
import { clientFor, codeFlow, startBroker, type ClientSide, type RunningBroker } from '../testing/harness.js';
import { slapdMissing, startSlapd, type Slapd } from './testing/slapd.js';
import { startStandIn } from './testing/standin.js';
import { GitlabStandIn } from './testing/gitlab.js';
import { MicrosoftStandIn, TENANT } from './testing/microsoft.js';

const KEY = 'server-secret-key-for-tests';
const S = 'dc=example,dc=org';
const skip = slapdMissing();
if (skip) console.log(`# skipping the broker + ldap tests: ${skip}`);

describe('broker with the ldap (real slapd) and gitlab (stand-in) connectors', { skip }, () => {
  let slapd: Slapd;
  let rb: RunningBroker;
  let client: ClientSide;
  const gl = new GitlabStandIn([]);
  const ms = new MicrosoftStandIn([]);
  const logs: string[] = [];
  let secrets: Record<string, string> = {};
  let dexConfigText = '';

  before(async () => {
    slapd = await startSlapd({ suffix: S });
    await slapd.ldapadd([
      `dn: ou=People,${S}\nobjectClass: organizationalUnit\nou: People\n`,
      `dn: ou=Groups,${S}\nobjectClass: organizationalUnit\nou: Groups\n`,
      `dn: cn=reader,${S}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: reader\nuserPassword: reader-pw\n`,
      `dn: uid=jane,ou=People,${S}\nobjectClass: inetOrgPerson\nuid: jane\ncn: Jane Doe\nsn: Doe\nmail: jane@example.org\nuserPassword: jane-pw\n`,
      `dn: uid=john,ou=People,${S}\nobjectClass: inetOrgPerson\nuid: john\ncn: John Smith\nsn: Smith\nmail: john@example.org\nuserPassword: john-pw\n`,
      `dn: cn=argocd-admins,ou=Groups,${S}\nobjectClass: groupOfNames\ncn: argocd-admins\nmember: uid=jane,ou=People,${S}\n`,
    ].join('\n'));
    gl.server = await startStandIn(gl.handle);
    ms.server = await startStandIn(ms.handle);
    ms.groups.set('g1', { id: 'g1', displayName: 'Argo Admins', security: true });
    ms.groups.set('g2', { id: 'g2', displayName: 'Parking', security: false });
    ms.users.set('kim', { id: 'oid-kim', displayName: 'Kim Park', upn: 'kim@contoso.com', groups: ['g1', 'g2'] });
    gl.users.set('ann', { id: 42, username: 'ann', name: 'Ann Lee', email: 'ann@example.com', groups: ['platform', 'web'] });
    const dexConfig = `
connectors:
- type: ldap
  id: ldap
  name: Corporate LDAP
  config:
    host: 127.0.0.1:${slapd.port}
    insecureNoSSL: true
    bindDN: cn=reader,${S}
    bindPW: $dex.ldap.bindPW
    userSearch:
      baseDN: ou=People,${S}
      filter: "(objectClass=inetOrgPerson)"
      username: uid
      idAttr: uid
      emailAttr: mail
      nameAttr: cn
      preferredUsernameAttr: uid
    groupSearch:
      baseDN: ou=Groups,${S}
      filter: "(objectClass=groupOfNames)"
      userMatchers:
      - userAttr: DN
        groupAttr: member
      nameAttr: cn
- type: gitlab
  id: gitlab
  name: GitLab
  config:
    baseURL: ${gl.server.url}
    clientID: gl-app
    clientSecret: $dex.gitlab.clientSecret
- type: microsoft
  id: microsoft
  name: Contoso
  config:
    clientID: ms-app
    clientSecret: $microsoft:clientSecret
    tenant: ${TENANT}
    groups: [Argo Admins]
    useGroupsAsWhitelist: true
    apiURL: ${ms.server.url}
    graphURL: ${ms.server.url}/graph
`;
    secrets = { 'server.secretkey': KEY, 'dex.ldap.bindPW': 'reader-pw', 'dex.gitlab.clientSecret': 'gl-secret-value', 'microsoft:clientSecret': 'ms-secret-value' };
    dexConfigText = dexConfig;
    rb = await startBroker((base) => brokerConfig(generateDexConfig({ url: base, 'dex.config': dexConfig }, secrets)!), { log: (level, msg) => logs.push(`${level} ${msg}`) });
    gl.oauth.redirectURIs.push(`${rb.issuer}/callback`);
    ms.oauth.redirectURIs.push(`${rb.issuer}/callback`);
    client = await clientFor(rb.issuer, 'argo-cd', dexClientSecret(KEY), `${rb.base}/auth/callback`);
  });
  after(async () => {
    await rb?.close();
    await gl.server?.close();
    await ms.server?.close();
    await slapd?.stop();
  });

  const choose = (b: Browser, page: Page, id: string) => {
    const link = Browser.links(page).find((l) => l.endsWith(`/connector/${id}`));
    assert.ok(link, `the login page offers ${id}: ${page.body.slice(0, 500)}`);
    return b.get(link);
  };
  const ldapLogin = (login: string, password: string) => async (b: Browser, page: Page) => b.submit(await choose(b, page, 'ldap'), { login, password });

  it('ldap: the password form → an ID token with the LDAP identity and groups', async () => {
    const { claims } = await codeFlow(client, { loginPage: ldapLogin('jane', 'jane-pw'), pkce: false });
    assert.equal(claims.iss, rb.issuer);
    assert.equal(claims.aud, 'argo-cd');
    assert.equal(claims.sub, dexSubject('jane', 'ldap'));
    assert.equal(claims.email, 'jane@example.org');
    assert.equal(claims.email_verified, true);
    assert.equal(claims.name, 'Jane Doe');
    assert.equal(claims.preferred_username, 'jane');
    assert.deepEqual(claims.groups, ['argocd-admins']);
    assert.deepEqual(claims.federated_claims, { connector_id: 'ldap', user_id: 'jane' });
    const john = await codeFlow(client, { loginPage: ldapLogin('john', 'john-pw') });
    assert.deepEqual(john.claims.groups ?? [], [], 'a user without groups has none');
  });

  it('ldap: a refresh token asks the connector again (new groups show; a removed user is refused)', async () => {
    const { tokens } = await codeFlow(client, { loginPage: ldapLogin('john', 'john-pw'), scope: 'openid profile email groups offline_access' });
    assert.ok(tokens.refresh_token, 'offline_access gives a refresh token');
    await slapd.ldapadd(`dn: cn=night-shift,ou=Groups,${S}\nobjectClass: groupOfNames\ncn: night-shift\nmember: uid=john,ou=People,${S}\n`);
    const next = await oc.refreshTokenGrant(client.config, tokens.refresh_token);
    assert.deepEqual(next.claims()?.groups, ['night-shift']);
    // the user's entry goes away: the broker's refresh fails
    await slapd.ldapadd(`dn: uid=temp,ou=People,${S}\nobjectClass: inetOrgPerson\nuid: temp\ncn: Temp\nsn: Temp\nmail: temp@example.org\nuserPassword: temp-pw\n`);
    const temp = await codeFlow(client, { loginPage: ldapLogin('temp', 'temp-pw'), scope: 'openid email groups offline_access' });
    await slapd.ldapdelete(`uid=temp,ou=People,${S}`);
    await assert.rejects(oc.refreshTokenGrant(client.config, temp.tokens.refresh_token!));
    assert.ok(logs.some((l) => /refresh refused by connector ldap: .*no longer exists/.test(l)), logs.slice(-5).join('\n'));
  });

  it('ldap: a wrong password and a filter injection get the form again, never a token', async () => {
    for (const [login, password] of [['jane', 'wrong'], ['*)(uid=*', 'jane-pw'], ['*', 'john-pw']] as const) {
      await assert.rejects(codeFlow(client, { loginPage: ldapLogin(login, password) }), /did not come back .*: 401 at .*Invalid|did not come back .*: 401/i);
    }
    assert.ok(!logs.join('\n').includes('jane-pw') && !logs.join('\n').includes('reader-pw'), 'no password in the broker log');
  });

  it('gitlab: the redirect round trip through the stand-in → an ID token with GitLab groups', async () => {
    gl.oauth.loggedIn = 'ann';
    const { claims } = await codeFlow(client, { loginPage: (b, page) => choose(b, page, 'gitlab') });
    assert.equal(claims.sub, dexSubject('42', 'gitlab'));
    assert.equal(claims.preferred_username, 'ann');
    assert.equal(claims.email, 'ann@example.com');
    assert.deepEqual(claims.groups, ['platform', 'web']);
    assert.equal(gl.oauth.authorizeRequests.at(-1)?.get('redirect_uri'), `${rb.issuer}/callback`);
    gl.oauth.loggedIn = undefined; // the user denies access at GitLab
    await assert.rejects(codeFlow(client, { loginPage: (b, page) => choose(b, page, 'gitlab') }), /did not come back/);
  });

  it('microsoft: the round trip through the identity-platform + Graph stand-in; groups allow-listed', async () => {
    ms.oauth.loggedIn = 'kim';
    const { claims } = await codeFlow(client, { loginPage: (b, page) => choose(b, page, 'microsoft') });
    assert.equal(claims.sub, dexSubject('oid-kim', 'microsoft'));
    assert.equal(claims.email, 'kim@contoso.com');
    assert.equal(claims.name, 'Kim Park');
    assert.deepEqual(claims.groups, ['Argo Admins']);
    assert.equal(ms.oauth.authorizeRequests.at(-1)?.get('scope'), 'user.read directory.read.all');
  });

  it('misconfigured ldap and gitlab connectors are shown on the login page by field; the good ldap one keeps working', async () => {
    const broken = dexConfigText + `
- type: ldap
  id: ldap-bad-ca
  name: LDAP with a missing CA
  config:
    host: 127.0.0.1:${slapd.tlsPort}
    rootCA: /nonexistent/ldap-ca.pem
    bindPW: $dex.ldap.bindPW
    userSearch: {baseDN: "ou=People,${S}", username: uid}
- type: gitlab
  id: gitlab-bad-url
  name: GitLab with a bad URL
  config:
    baseURL: gitlab.example.com
    clientID: x
    clientSecret: $dex.gitlab.clientSecret
`;
    await rb.broker.configure(brokerConfig(generateDexConfig({ url: rb.base, 'dex.config': broken }, secrets)!));
    try {
      const { claims } = await codeFlow(client, {
        loginPage: async (b, page) => {
          assert.match(page.body, /LDAP with a missing CA: unavailable/);
          assert.match(page.body, /rootCA: cannot read \/nonexistent\/ldap-ca\.pem: ENOENT/);
          assert.match(page.body, /GitLab with a bad URL: unavailable/);
          assert.match(page.body, /baseURL: must be an http\(s\) URL/);
          assert.ok(!page.body.includes('reader-pw') && !page.body.includes('gl-secret-value'), 'no secret on the page');
          return b.submit(await choose(b, page, 'ldap'), { login: 'jane', password: 'jane-pw' });
        },
      });
      assert.equal(claims.preferred_username, 'jane');
    } finally {
      await rb.broker.configure(brokerConfig(generateDexConfig({ url: rb.base, 'dex.config': dexConfigText }, secrets)!));
    }
  });

  it('measure: full code flow with LDAP (p50 of 30), and 100 concurrent logins without errors', async () => {
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t0 = performance.now();
      await codeFlow(client, { loginPage: ldapLogin('jane', 'jane-pw') });
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const p50 = times[15]!;
    console.log(`# broker + ldap code flow: p50 ${p50.toFixed(1)} ms, p90 ${times[27]!.toFixed(1)} ms (30 sequential logins with groups)`);
    const t0 = performance.now();
    const results = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => codeFlow(client, { loginPage: ldapLogin(i % 2 ? 'jane' : 'john', i % 2 ? 'jane-pw' : 'john-pw') })));
    const failed = results.filter((r) => r.status === 'rejected');
    console.log(`# broker + ldap: 100 concurrent logins in ${(performance.now() - t0).toFixed(0)} ms, ${failed.length} failed`);
    assert.equal(failed.length, 0, failed.map((f) => String((f as PromiseRejectedResult).reason)).slice(0, 3).join('\n'));
    assert.ok(p50 < 1000, `p50 ${p50} ms`);
  });
});
