/** dex.config as Argo CD turns it into Dex's configuration, and the connectors' claim rules (pure). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { brokerConfig, generateDexConfig, parseDuration, replaceSecrets, secretValues } from './config.js';
import { dexClientSecret } from './secret.js';
import { dexSubject } from './broker.js';
import { identityFromClaims, parseOIDCConfig } from './connectors/oidc.js';
import { identityFromUserInfo, parseOAuthConfig } from './connectors/oauth.js';

// the GitHub and OIDC examples of Argo CD's "User Management > Dex" documentation, as users paste them
const DOCS_DEX_CONFIG = `
connectors:
  # GitHub example
  - type: github
    id: github
    name: GitHub
    config:
      clientID: aabbccddeeff00112233
      clientSecret: $dex.github.clientSecret # Alternatively $<some_K8S_secret>:dex.github.clientSecret
      orgs:
      - name: your-github-org

  # GitHub enterprise example
  - type: github
    id: acme-github
    name: Acme GitHub
    config:
      hostName: github.acme.example.com
      clientID: abcdefghijklmnopqrst
      clientSecret: $github-acme:dex.acme.clientSecret
      orgs:
      - name: your-github-org
  - type: oidc
    id: google
    name: Google
    config:
      issuer: https://accounts.google.com
      clientID: XXXXXXXXXXXXX.apps.googleusercontent.com
      clientSecret: $dex.oidc.clientSecret
`;

describe('dex.config from argocd-cm', () => {
  const secrets = secretValues({ 'server.secretkey': 'k3y', 'dex.github.clientSecret': ' gh-secret\n', 'dex.oidc.clientSecret': 'g-secret' }, { 'github-acme': { 'dex.acme.clientSecret': 'acme-secret' } });

  it("Argo CD's documented examples: issuer, static clients, redirect URIs, secrets resolved", () => {
    const warns: string[] = [];
    const dex = generateDexConfig({ url: 'https://argocd.example.com/', 'dex.config': DOCS_DEX_CONFIG, additionalUrls: '["https://argocd.internal.example.com"]' }, secrets, { warn: (m) => warns.push(m) })!;
    assert.equal(dex.issuer, 'https://argocd.example.com/api/dex');
    assert.deepEqual(dex.oauth2, { skipApprovalScreen: true });
    assert.deepEqual(dex.storage, { type: 'memory' });
    assert.deepEqual(
      dex.staticClients.map((c: any) => c.id),
      ['argo-cd', 'argo-cd-cli', 'argo-cd-pkce'],
    );
    assert.equal(dex.staticClients[0].secret, dexClientSecret('k3y'));
    assert.deepEqual(dex.staticClients[0].redirectURIs, ['https://argocd.example.com/auth/callback', 'https://argocd.internal.example.com/auth/callback']);
    assert.deepEqual(dex.staticClients[1], { id: 'argo-cd-cli', name: 'Argo CD CLI', public: true, redirectURIs: ['http://localhost', 'http://localhost:8085/auth/callback'] });
    assert.equal(dex.connectors[0].config.clientSecret, 'gh-secret', 'trimmed');
    assert.equal(dex.connectors[1].config.clientSecret, 'acme-secret', '$<secret>:<key>');
    assert.equal(dex.connectors[2].config.clientSecret, 'g-secret');
    for (const c of dex.connectors) assert.equal(c.config.redirectURI, 'https://argocd.example.com/api/dex/callback');
    assert.deepEqual(warns, []);
    const cfg = brokerConfig(dex);
    assert.equal(cfg.issuer, 'https://argocd.example.com/api/dex');
    assert.equal(cfg.skipApprovalScreen, true);
    assert.deepEqual(cfg.connectors.map((c) => `${c.type}/${c.id}/${c.name}`), ['github/github/GitHub', 'github/acme-github/Acme GitHub', 'oidc/google/Google']);
    assert.equal(cfg.idTokenTTL, 86400);
    assert.equal(cfg.signingKeyTTL, 6 * 3600);
  });

  it('not configured without url or dex.config; user static clients follow Argo CD’s; skipApprovalScreen kept when set', () => {
    assert.equal(generateDexConfig({ 'dex.config': DOCS_DEX_CONFIG }, secrets), undefined);
    assert.equal(generateDexConfig({ url: 'https://a.example.com' }, secrets), undefined);
    const dex = generateDexConfig({ url: 'https://a.example.com', 'dex.config': 'oauth2: {skipApprovalScreen: false}\nstaticClients: [{id: wf, name: Workflows, secret: $wf.secret, redirectURIs: ["https://wf.example.com/oauth2/callback"]}]\nconnectors: []\nexpiry: {idTokens: 1h30m, signingKeys: 45m}' }, { ...secrets, 'wf.secret': 'wf-s' })!;
    assert.deepEqual(dex.oauth2, { skipApprovalScreen: false });
    const cfg = brokerConfig(dex);
    assert.deepEqual(cfg.staticClients.map((c) => c.id), ['argo-cd', 'argo-cd-cli', 'argo-cd-pkce', 'wf']);
    assert.equal(cfg.staticClients[3]!.secret, 'wf-s');
    assert.equal(cfg.skipApprovalScreen, false);
    assert.equal(cfg.idTokenTTL, 5400);
    assert.equal(cfg.signingKeyTTL, 2700);
  });

  it('bad input: errors name what and where, unknown secret references are reported by name only', () => {
    assert.throws(() => generateDexConfig({ url: 'https://a', 'dex.config': 'connectors: [' }, secrets), /argocd-cm dex.config: not valid YAML/);
    assert.throws(() => generateDexConfig({ url: 'https://a', 'dex.config': 'connectors: {a: 1}' }, secrets), /argocd-cm dex.config: malformed Dex configuration: connectors must be a list/);
    assert.throws(() => generateDexConfig({ url: 'https://a', 'dex.config': 'connectors: [{id: x}]' }, secrets), /connectors\[0\]\.type is missing/);
    assert.throws(() => brokerConfig(generateDexConfig({ url: 'https://a', 'dex.config': 'connectors: [{type: oidc, id: a}, {type: oidc, id: a}]' }, secrets)!), /id "a" appears twice/);
    assert.throws(() => brokerConfig(generateDexConfig({ url: 'https://a', 'dex.config': 'connectors: [{type: oidc, id: "a b"}]' }, secrets)!), /id "a b" may only hold/);
    assert.throws(() => brokerConfig(generateDexConfig({ url: 'https://a', 'dex.config': 'connectors: []\nexpiry: {idTokens: soon}' }, secrets)!), /expiry.idTokens: "soon" is not a duration/);
    assert.throws(() => parseDuration('10x', 'w', 1), /"10x" is not a duration/);
    const warns: string[] = [];
    const dex = generateDexConfig({ url: 'https://a', 'dex.config': 'connectors: [{type: oidc, id: a, config: {clientSecret: $nope}}]' }, secrets, { warn: (m) => warns.push(m) })!;
    assert.equal(dex.connectors[0].config.clientSecret, '$nope');
    assert.deepEqual(warns, ['dex.config references $nope, but that key does not exist in the secret']);
    assert.deepEqual(replaceSecrets({ a: ['$x', 'plain', '$'] }, { x: ' v ' }), { a: ['v', 'plain', '$'] });
  });

  it("Dex's subject: the protobuf of user id and connector id, base64url (Dex's documented example)", () => {
    assert.equal(dexSubject('2342745', 'github'), 'CgcyMzQyNzQ1EgZnaXRodWI');
  });
});

describe('oidc and oauth connector rules', () => {
  const base = { issuer: 'https://idp.example.com', clientID: 'c', clientSecret: 'super-secret-value' };

  it('config errors name the field, never a value', () => {
    assert.throws(() => parseOIDCConfig({ clientID: 'c', clientSecret: 'super-secret-value' }, 'corp'), /connector corp \(oidc\): issuer is required/);
    assert.throws(() => parseOIDCConfig({ ...base, scopes: 'email' }, 'corp'), /scopes must be a list of strings/);
    assert.throws(() => parseOIDCConfig({ ...base, rootCAs: ['/nonexistent/ca.pem'] }, 'corp'), /rootCAs\[0\] "\/nonexistent\/ca.pem" cannot be read/);
    assert.throws(() => parseOAuthConfig({ clientID: 'c', clientSecret: 'super-secret-value', authorizationURL: 'ftp://x', tokenURL: 'https://t', userInfoURL: 'https://u' }, 'o'), (e: Error) => /authorizationURL "ftp:\/\/x" is not an http\(s\) URL/.test(e.message) && !e.message.includes('super-secret'));
  });

  it('claims → identity as Dex: email_verified required with the email scope unless insecureSkipEmailVerified; groups only with insecureEnableGroups; claimMapping', () => {
    const s = parseOIDCConfig(base, 'corp');
    const claims = { sub: 'u1', name: 'U One', email: 'u@x', groups: ['g'] };
    assert.throws(() => identityFromClaims(s, claims, { groups: true, offlineAccess: false }), /missing "email_verified" claim/);
    const skip = parseOIDCConfig({ ...base, insecureSkipEmailVerified: true }, 'corp');
    assert.deepEqual(identityFromClaims(skip, claims, { groups: true, offlineAccess: false }), { userID: 'u1', username: 'U One', preferredUsername: undefined, email: 'u@x', emailVerified: true, groups: [] });
    const groups = parseOIDCConfig({ ...base, insecureSkipEmailVerified: true, insecureEnableGroups: true, claimMapping: { groups: 'roles', preferred_username: 'login' } }, 'corp');
    const id = identityFromClaims(groups, { ...claims, roles: ['r1', 'r2'], login: 'uone' }, { groups: true, offlineAccess: false });
    assert.deepEqual(id.groups, ['g'], 'a standard claim wins unless overrideClaimMapping');
    assert.equal(id.preferredUsername, 'uone');
    const over = parseOIDCConfig({ ...base, insecureSkipEmailVerified: true, insecureEnableGroups: true, overrideClaimMapping: true, claimMapping: { groups: 'roles' } }, 'corp');
    assert.deepEqual(identityFromClaims(over, { ...claims, roles: ['r1', 'r2'] }, { groups: true, offlineAccess: false }).groups, ['r1', 'r2']);
    assert.deepEqual(identityFromClaims(over, { ...claims, roles: ['r1'] }, { groups: false, offlineAccess: false }).groups, [], 'no groups scope, no groups');
    const uid = parseOIDCConfig({ ...base, insecureSkipEmailVerified: true, userIDKey: 'oid', userNameKey: 'upn' }, 'corp');
    assert.throws(() => identityFromClaims(uid, claims, { groups: false, offlineAccess: false }), /missing "oid" claim/);
    const hd = parseOIDCConfig({ ...base, insecureSkipEmailVerified: true, hostedDomains: ['example.com'] }, 'corp');
    assert.throws(() => identityFromClaims(hd, { ...claims, hd: 'evil.com' }, { groups: false, offlineAccess: false }), /not in an allowed hosted domain/);
  });

  it('oauth userinfo → identity with the claim mapping; groups as names or {name} objects', () => {
    const s = parseOAuthConfig({ clientID: 'c', clientSecret: 's', authorizationURL: 'https://a/auth', tokenURL: 'https://a/token', userInfoURL: 'https://a/me', claimMapping: { userNameKey: 'login', groupsKey: 'teams' } }, 'o');
    const id = identityFromUserInfo(s, { id: 42, login: 'octo', email: 'o@x', email_verified: true, teams: ['a', { name: 'b' }, 3] }, { groups: true, offlineAccess: false });
    assert.deepEqual(id, { userID: '42', username: 'octo', preferredUsername: undefined, email: 'o@x', emailVerified: true, groups: ['a', 'b'] });
    assert.throws(() => identityFromUserInfo(s, { login: 'x' }, { groups: false, offlineAccess: false }), /no "id" \(userIDKey\)/);
  });
});
