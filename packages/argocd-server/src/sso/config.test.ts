/** argocd-cm's oidc.config / dex.config → SSO settings; return_url checks; token cookies. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dexClientSecret } from '@flotilla/identity/secret';
import { ssoSettings, resolveSecretRef, dexServerUrl, publicSsoFields } from './config.js';
import { safeReturnUrl, tokenCookies, MAX_COOKIE_VALUE } from './manager.js';
import { tokenFromRequest } from '../api/account.js';

const URL_ = 'https://cd.example.com';
const none = () => undefined;

test('oidc.config as the Argo CD docs write it, with $key and $secret:key references', () => {
  const cm = {
    url: URL_,
    'oidc.config': ['name: Okta', 'issuer: https://dev-123456.oktapreview.com', 'clientID: aaaabbbbccccddddeee', 'clientSecret: $oidc.okta.clientSecret', 'cliClientID: $okta-oidc:cliClientID', 'requestedScopes: ["openid", "profile", "email", "groups"]', 'requestedIDTokenClaims: {"groups": {"essential": true}}', 'logoutURL: https://dev-123456.oktapreview.com/oauth2/v1/logout?id_token_hint={{token}}&post_logout_redirect_uri={{logoutRedirectURL}}', 'enablePKCEAuthentication: true'].join('\n'),
  };
  const r = ssoSettings(cm, { 'oidc.okta.clientSecret': 's3cret' }, (n) => (n === 'okta-oidc' ? { cliClientID: 'cli-id' } : undefined), 'argocd-dex-server:5556');
  assert.equal(r.error, undefined);
  const s = r.settings!;
  assert.equal(s.kind, 'oidc');
  assert.equal(s.clientSecret, 's3cret');
  assert.equal(s.cliClientID, 'cli-id');
  assert.deepEqual(s.requestedIDTokenClaims, { groups: { essential: true } });
  assert.equal(s.redirectURI, `${URL_}/auth/callback`);
  assert.equal(s.enablePKCEAuthentication, true);
  assert.deepEqual(publicSsoFields(s, () => []), { oidcConfig: { name: 'Okta', issuer: 'https://dev-123456.oktapreview.com', clientID: 'aaaabbbbccccddddeee', cliClientID: 'cli-id', scopes: ['openid', 'profile', 'email', 'groups'], idTokenClaims: { groups: { essential: true } }, enablePKCEAuthentication: true } });
});

test('bad configuration names the key, never a secret value', () => {
  const e1 = ssoSettings({ url: URL_, 'oidc.config': 'issuer: https://i\nclientID: c\nclientSecret: $missing.key' }, { other: 'v' }, none, 'x').error!;
  assert.equal(e1, "oidc.config clientSecret: key 'missing.key' not found in argocd-secret (referenced by '$missing.key')");
  const e2 = ssoSettings({ url: URL_, 'oidc.config': 'issuer: https://i\nclientID: c\nclientSecret: $s:k' }, {}, none, 'x').error!;
  assert.match(e2, /Secret 's' referenced by '\$s:k' does not exist/);
  assert.match(ssoSettings({ url: URL_, 'oidc.config': 'clientID: c' }, {}, none, 'x').error!, /oidc.config: issuer is required/);
  assert.match(ssoSettings({ url: URL_, 'oidc.config': 'issuer: [' }, {}, none, 'x').error!, /oidc.config: not YAML/);
  assert.match(ssoSettings({ 'oidc.config': 'issuer: https://i\nclientID: c' }, {}, none, 'x').error!, /'url' is not/);
  assert.equal(resolveSecretRef('plain', {}, none, 'w'), 'plain');
  assert.deepEqual(ssoSettings({ url: URL_ }, {}, none, 'x'), {});
});

test('dex.config: issuer <url>/api/dex, client argo-cd with the derived secret, CLI client argo-cd-cli, requests via --dex-server', () => {
  const r = ssoSettings({ url: `${URL_}/`, 'dex.config': 'connectors:\n- type: github\n  id: github\n  name: GitHub\n' }, { 'server.secretkey': 'key' }, none, 'argocd-dex-server:5556');
  const s = r.settings!;
  assert.equal(s.issuer, `${URL_}/api/dex`);
  assert.equal(s.clientID, 'argo-cd');
  assert.equal(s.clientSecret, dexClientSecret('key'));
  assert.equal(s.cliClientID, 'argo-cd-cli');
  assert.deepEqual(s.rewrite, { from: `${URL_}/api/dex`, to: 'http://argocd-dex-server:5556' });
  assert.deepEqual(publicSsoFields(s, () => [{ name: 'GitHub', type: 'github' }]), { dexConfig: { connectors: [{ name: 'GitHub', type: 'github' }] } });
  assert.equal(dexServerUrl('https://dex:5556/'), 'https://dex:5556');
  // oidc.config wins when both are set (as upstream)
  assert.equal(ssoSettings({ url: URL_, 'dex.config': 'connectors: []', 'oidc.config': 'issuer: https://i\nclientID: c' }, { 'server.secretkey': 'k' }, none, 'x').settings!.kind, 'oidc');
  assert.match(ssoSettings({ url: URL_, 'dex.config': 'connectors: []' }, {}, none, 'x').error!, /server.secretkey is missing/);
});

test('return_url: under argocd-cm url only', () => {
  assert.equal(safeReturnUrl('', URL_), `${URL_}/`);
  assert.equal(safeReturnUrl('/applications?x=1', URL_), `${URL_}/applications?x=1`);
  assert.equal(safeReturnUrl(`${URL_}/applications/a`, URL_), `${URL_}/applications/a`);
  for (const bad of ['https://evil.com', '//evil.com', '/\\evil.com', 'javascript:alert(1)', `${URL_}.evil.com/`, `http://cd.example.com/`, 'https://cd.example.com@evil.com/']) assert.equal(safeReturnUrl(bad, URL_), undefined, bad);
  // under a path prefix
  assert.equal(safeReturnUrl('https://h/argocd/applications', 'https://h/argocd'), 'https://h/argocd/applications');
  assert.equal(safeReturnUrl('https://h/other', 'https://h/argocd'), undefined);
});

test('long ID tokens are split over argocd.token, argocd.token-1, … and read back whole', () => {
  const tok = 'a'.repeat(MAX_COOKIE_VALUE * 2 + 10);
  const set = tokenCookies(tok, '/', true);
  assert.equal(set.length, 3);
  assert.match(set[0], /^argocd\.token=a+; path=\/; SameSite=lax; httpOnly; Secure$/);
  const cookie = set.map((c) => c.split(';')[0]).join('; ');
  assert.equal(tokenFromRequest({ headers: { cookie } }), tok);
});

test('additionalUrls: parsed, a bad one named', () => {
  const r = ssoSettings({ url: URL_, additionalUrls: '["https://cd.internal.example.com/", "https://other.example.com"]', 'oidc.config': 'issuer: https://i\nclientID: c' }, {}, none, 'x');
  assert.deepEqual(r.settings!.additionalUrls, ['https://cd.internal.example.com', 'https://other.example.com']);
  assert.match(ssoSettings({ url: URL_, additionalUrls: '[not-a-url]', 'oidc.config': 'issuer: https://i\nclientID: c' }, {}, none, 'x').error!, /additionalUrls: not an absolute URL/);
});
