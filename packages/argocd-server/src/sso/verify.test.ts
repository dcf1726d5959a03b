/**
 * The SsoVerifier on its own: tokens minted with keys this test holds, published by a small
 * discovery + JWKS server on loopback (the issuer), checked by SsoManager against oidc.config —
 * signature, issuer, audience (clientID, cliClientID, allowedAudiences), expiry with bounded clock
 * skew, key rotation (an unknown kid refetches the JWKS), `alg: none` and HS256-with-public-key refused.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { generateKeyPair, exportJWK, SignJWT, type JWK } from 'jose';
import { SsoManager, CLOCK_SKEW_SECONDS } from './manager.js';
import { newLogger } from '../log.js';
import type { Store } from '../store.js';

type Priv = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
let server: Server;
let issuer = '';
let published: JWK[] = [];
let jwksFetches = 0;
const keys: { kid: string; priv: Priv; jwk: JWK }[] = [];
let sso: SsoManager;
const logs: string[] = [];

async function newKey(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  keys.push({ kid, priv: privateKey, jwk });
  return { kid, priv: privateKey, jwk };
}

function mint(k: { kid: string; priv: Priv }, claims: Record<string, unknown> = {}, o: { exp?: number; iat?: number } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: 'alice', email: 'alice@example.com', groups: ['devs'], ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: k.kid })
    .setIssuer((claims.iss as string) ?? issuer)
    .setAudience((claims.aud as string) ?? 'argo-cd')
    .setIssuedAt(o.iat ?? now)
    .setExpirationTime(o.exp ?? now + 300)
    .sign(k.priv);
}

before(async () => {
  server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') return void res.end(JSON.stringify({ issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/keys`, response_types_supported: ['code'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'] }));
    if (req.url === '/keys') {
      jwksFetches++;
      return void res.end(JSON.stringify({ keys: published }));
    }
    res.statusCode = 404;
    res.end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  published = [(await newKey('k1')).jwk];
  const cm = { url: 'https://argocd.example.com', 'oidc.config': `issuer: ${issuer}\nclientID: argo-cd\nclientSecret: $oidc.secret\ncliClientID: argo-cd-cli\nallowedAudiences: [extra-aud]\n` };
  const secret = { 'oidc.secret': 'shh-do-not-log', 'server.secretkey': 'k' };
  const store = { namespace: 'argocd', cm: () => cm, secret: () => secret, secrets: { get: () => undefined }, secretKey: () => Buffer.from('k') } as unknown as Store;
  sso = new SsoManager(store, 'argocd-dex-server:5556', newLogger('debug', (l) => logs.push(l)));
});
after(() => new Promise<void>((r) => server.close(() => r())));

test('a token of the provider verifies; its claims come back', async () => {
  const c = await sso.verify(await mint(keys[0]));
  assert.equal(c.sub, 'alice');
  assert.deepEqual(c.groups, ['devs']);
  assert.equal(sso.issuer(), issuer);
});

test('audiences: clientID, cliClientID and allowedAudiences accepted, any other refused', async () => {
  for (const aud of ['argo-cd', 'argo-cd-cli', 'extra-aud']) assert.equal((await sso.verify(await mint(keys[0], { aud }))).aud, aud);
  await assert.rejects(sso.verify(await mint(keys[0], { aud: 'someone-else' })), /invalid session: .*aud/);
});

test('issuer must be the configured one', async () => {
  await assert.rejects(sso.verify(await mint(keys[0], { iss: 'http://127.0.0.1:1' })), /invalid session: .*iss/);
});

test(`clock skew is bounded (${CLOCK_SKEW_SECONDS} s): just expired passes, longer ago is refused; a future iat beyond the skew too`, async () => {
  const now = Math.floor(Date.now() / 1000);
  await sso.verify(await mint(keys[0], {}, { iat: now - 600, exp: now - 20 }));
  await assert.rejects(sso.verify(await mint(keys[0], {}, { iat: now - 600, exp: now - CLOCK_SKEW_SECONDS - 30 })), /token is expired/);
  await assert.rejects(sso.verify(await mint(keys[0], {}, { iat: now + CLOCK_SKEW_SECONDS + 120, exp: now + 3600 })), /invalid session: .*iat/);
});

test('forgeries: a bad signature, alg none, HS256 keyed with the public key', async () => {
  const good = await mint(keys[0]);
  const [h, p] = good.split('.');
  const other = await generateKeyPair('RS256');
  const wrongKey = await new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(issuer).setAudience('argo-cd').setIssuedAt().setExpirationTime('5m').sign(other.privateKey);
  await assert.rejects(sso.verify(wrongKey), /signature verification failed/);
  const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: 'k1' })).toString('base64url')}.${p}.`;
  await assert.rejects(sso.verify(none), /invalid session/);
  const hs = await new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).setIssuer(issuer).setAudience('argo-cd').setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(JSON.stringify(keys[0].jwk)));
  await assert.rejects(sso.verify(hs), /invalid session/);
  void h;
});

test('key rotation: a token with a new kid refetches the JWKS; a key withdrawn from it ends when the cache does', async () => {
  const before = jwksFetches;
  const k2 = await newKey('k2');
  published = [k2.jwk, keys[0].jwk];
  await new Promise((r) => setTimeout(r, 1100)); // past the refetch cool-down
  assert.equal((await sso.verify(await mint(k2))).sub, 'alice');
  assert.ok(jwksFetches > before, 'the JWKS was fetched again');
  // a kid never published is refused after a refetch
  const k3 = await newKey('k3');
  await new Promise((r) => setTimeout(r, 1100));
  await assert.rejects(sso.verify(await mint(k3)), /no applicable key found in the JSON Web Key Set/);
});

test('a key published right after a fetch (within the cool-down) is accepted: the verifier waits the cool-down out and looks again', async () => {
  await new Promise((r) => setTimeout(r, 1100));
  // an unknown kid makes the key set fetch again …
  await assert.rejects(sso.verify(await mint(await newKey('never'))), /no applicable key/);
  // … and the provider rotates right after: its first token with the new key must still verify
  const k4 = await newKey('k4');
  published = [k4.jwk, keys[0].jwk];
  assert.equal((await sso.verify(await mint(k4))).sub, 'alice');
});

test('the client secret never reaches the log', () => {
  assert.ok(logs.length > 0);
  assert.ok(!logs.join('\n').includes('shh-do-not-log'));
});

test('rootCA: an https provider with its own certificate is trusted with rootCA, refused without', async () => {
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], { keySize: 2048, algorithm: 'sha256', extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }] } as any);
  const { createServer: createHttps } = await import('node:https');
  let iss = '';
  const k = await newKey('tls-k');
  const srv = createHttps({ cert: pems.cert, key: pems.private }, (req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') return void res.end(JSON.stringify({ issuer: iss, authorization_endpoint: `${iss}/auth`, token_endpoint: `${iss}/token`, jwks_uri: `${iss}/keys`, response_types_supported: ['code'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'] }));
    if (req.url === '/keys') return void res.end(JSON.stringify({ keys: [k.jwk] }));
    res.statusCode = 404;
    res.end('{}');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  iss = `https://127.0.0.1:${(srv.address() as { port: number }).port}`;
  try {
    const mgr = (rootCA?: string) => {
      const oidcCfg = `issuer: ${iss}\nclientID: argo-cd\n${rootCA ? `rootCA: |\n${rootCA.trim().split('\n').map((l) => `  ${l}`).join('\n')}\n` : ''}`;
      const store = { namespace: 'argocd', cm: () => ({ url: 'https://argocd.example.com', 'oidc.config': oidcCfg }), secret: () => ({}), secrets: { get: () => undefined }, secretKey: () => Buffer.from('k') } as unknown as Store;
      return new SsoManager(store, 'x', newLogger('error', () => {}));
    };
    const tok = await new SignJWT({ sub: 'tls-user' }).setProtectedHeader({ alg: 'RS256', kid: k.kid }).setIssuer(iss).setAudience('argo-cd').setIssuedAt().setExpirationTime('5m').sign(k.priv);
    assert.equal((await mgr(pems.cert).verify(tok)).sub, 'tls-user');
    await assert.rejects(mgr().verify(tok), /cannot verify the identity provider's token: OIDC discovery .* failed/);
  } finally {
    srv.closeAllConnections();
    await new Promise<void>((r) => srv.close(() => r()));
  }
});
