/** GPGKeyService (api/gpgkeys.ts) on a real API server: keys kept in argocd-gpg-keys-cm by key ID. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKey, readKey } from 'openpgp';
import { argoCrds, startEnv, type Env } from './testenv.js';

const skip = argoCrds().reason;
let env: Env;
let admin: string;

before(async () => {
  if (skip) return;
  env = await startEnv();
  admin = await env.login();
}, { timeout: 120_000 });
after(async () => env?.close());

test('gpgkeys: add (key ID, fingerprint, owner, algorithm), skip a known key, list, get, delete; private keys and non-keys refused', { skip, timeout: 60_000 }, async () => {
  const gen = await generateKey({ type: 'ecc', curve: 'ed25519Legacy', userIDs: [{ name: 'Release Bot', email: 'bot@example.test' }], format: 'armored' });
  const pub = await readKey({ armoredKey: gen.publicKey });
  const id = pub.getKeyID().toHex().toUpperCase();
  const add = await env.call('POST', '/api/v1/gpgkeys', { token: admin, body: { keyData: gen.publicKey } });
  assert.equal(add.status, 200, add.text);
  assert.deepEqual(add.body.skipped, []);
  const [k] = add.body.created.items;
  assert.deepEqual([k.keyID, k.fingerprint, k.owner, k.subType], [id, pub.getFingerprint().toUpperCase(), 'Release Bot <bot@example.test>', 'ed25519']);
  const cm = JSON.parse(await env.cluster.k(['get', 'configmap', 'argocd-gpg-keys-cm', '-n', 'argocd', '-o', 'json']));
  assert.deepEqual(Object.keys(cm.data), [id]);
  assert.match(cm.data[id], /^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
  const again = await env.call('POST', '/api/v1/gpgkeys', { token: admin, body: { keyData: gen.publicKey } });
  assert.deepEqual([again.body.created.items, again.body.skipped], [[], [id]], 'a key already there is skipped');
  assert.deepEqual((await env.call('GET', '/api/v1/gpgkeys', { token: admin })).body.items.map((x: { keyID: string }) => x.keyID), [id]);
  assert.equal((await env.call('GET', `/api/v1/gpgkeys/${id.toLowerCase()}`, { token: admin })).body.owner, 'Release Bot <bot@example.test>');
  const priv = await env.call('POST', '/api/v1/gpgkeys', { token: admin, body: { keyData: gen.privateKey } });
  assert.equal(priv.status, 400);
  assert.match(priv.body.message, /private key .*only public keys/);
  const junk = await env.call('POST', '/api/v1/gpgkeys', { token: admin, body: { keyData: 'not a key' } });
  assert.equal(junk.status, 400);
  assert.match(junk.body.message, /^keyData is not an ASCII-armored OpenPGP public key: /);
  assert.match((await env.call('POST', '/api/v1/gpgkeys', { token: admin, body: {} })).body.message, /keyData is required/);
  assert.equal((await env.call('DELETE', `/api/v1/gpgkeys?keyID=${id}`, { token: admin })).status, 200);
  assert.deepEqual((await env.call('GET', '/api/v1/gpgkeys', { token: admin })).body.items, []);
  assert.equal((await env.call('DELETE', `/api/v1/gpgkeys?keyID=${id}`, { token: admin })).status, 404);
  assert.equal((await env.call('GET', '/api/v1/gpgkeys')).status, 401);
});
