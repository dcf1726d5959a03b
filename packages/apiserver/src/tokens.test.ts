/**
 * ServiceAccount tokens (issue 18 items 2 and 3): the API server accepts only its own audience,
 * checks exp/nbf/iat with a small leeway on every use, TokenReview honours spec.audiences, and a
 * token bound to a Pod or Secret stops working when that object is deleted (or replaced), and a token
 * Secret's own token only while the Secret holds it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SA_ISSUER, SECRET_TOKEN_SECONDS } from './auth.js';
import { startTestCluster, type TestCluster } from './testutil.js';

let c: TestCluster;
const NS = 'tok';

/** A SelfSubjectReview with `token`: 201 when the server accepts it, 401 when not. */
const whoami = (token: string) =>
  c.req('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, { authorization: `Bearer ${token}` });
const tokenFor = async (sa: string, spec: Record<string, unknown> = {}) => {
  const r = await c.req('POST', `/api/v1/namespaces/${NS}/serviceaccounts/${sa}/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec });
  assert.equal(r.status, 201, r.text);
  return r.body.status.token as string;
};
const review = (token: string, audiences?: string[]) =>
  c.req('POST', '/apis/authentication.k8s.io/v1/tokenreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, ...(audiences ? { audiences } : {}) } });

/** A JWT signed with the server's own ServiceAccount key, with the claims given (to test the time and audience checks). */
function forge(claims: Record<string, unknown>): string {
  const key = createPrivateKey(readFileSync(join(c.server.dataDir, 'pki', 'sa.key'), 'utf8'));
  const input = `${Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const sig = createSign('SHA256').update(input).sign({ key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${sig.toString('base64url')}`;
}

describe('ServiceAccount tokens', { timeout: 120_000 }, () => {
  let saUid = '';
  before(async () => {
    c = await startTestCluster();
    await c.req('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    const sa = await c.req('POST', `/api/v1/namespaces/${NS}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot' } });
    assert.equal(sa.status, 201);
    saUid = sa.body.metadata.uid;
  });
  after(async () => {
    await c?.close();
  });

  it('accepts only its own audience; TokenReview honours spec.audiences', async () => {
    const vault = await tokenFor('robot', { audiences: ['vault'] });
    assert.equal((await whoami(vault)).status, 401, 'a token for "vault" must not authenticate to the API server');
    const own = await tokenFor('robot');
    assert.equal((await whoami(own)).status, 201);
    const both = await tokenFor('robot', { audiences: ['vault', SA_ISSUER] });
    assert.equal((await whoami(both)).status, 201);

    const r1 = await review(vault, ['vault']);
    assert.equal(r1.status, 201);
    assert.equal(r1.body.status.authenticated, true);
    assert.deepEqual(r1.body.status.audiences, ['vault']);
    assert.equal(r1.body.status.user.username, `system:serviceaccount:${NS}:robot`);
    const r2 = await review(vault);
    assert.equal(r2.body.status.authenticated, false);
    assert.match(r2.body.status.error, /token audiences \["vault"\] is invalid for the target audiences/);
    const r3 = await review(own, ['vault']);
    assert.equal(r3.body.status.authenticated, false);
    const r4 = await review(own);
    assert.equal(r4.body.status.authenticated, true);
    assert.deepEqual(r4.body.status.audiences, [SA_ISSUER]);
    // tokens without audiences (admin) are the API server's only
    assert.equal((await review(c.server.token, ['vault'])).body.status.authenticated, false);
    assert.equal((await review(c.server.token)).body.status.authenticated, true);
  });

  it('checks exp, nbf and iat with a leeway of a minute, and requires them', async () => {
    const now = Math.floor(Date.now() / 1000);
    const base = {
      iss: SA_ISSUER,
      aud: [SA_ISSUER],
      sub: `system:serviceaccount:${NS}:robot`,
      'kubernetes.io': { namespace: NS, serviceaccount: { name: 'robot', uid: saUid } },
    };
    const ok = (claims: Record<string, unknown>) => whoami(forge({ ...base, ...claims })).then((r) => r.status);
    assert.equal(await ok({ iat: now, nbf: now, exp: now + 600 }), 201);
    assert.equal(await ok({ iat: now - 700, nbf: now - 700, exp: now - 100 }), 401, 'expired 100 s ago');
    assert.equal(await ok({ iat: now - 700, nbf: now - 700, exp: now - 20 }), 201, 'expired 20 s ago: within the leeway');
    assert.equal(await ok({ iat: now, nbf: now + 300, exp: now + 900 }), 401, 'not valid before 5 minutes from now');
    assert.equal(await ok({ iat: now + 20, nbf: now + 20, exp: now + 900 }), 201, 'nbf 20 s ahead: within the leeway');
    assert.equal(await ok({ iat: now + 300, nbf: now, exp: now + 900 }), 401, 'issued in the future');
    assert.equal(await ok({ iat: now, nbf: now }), 401, 'no exp');
    assert.equal(await ok({ iat: now, exp: now + 600 }), 401, 'no nbf');
    assert.equal(await ok({ nbf: now, exp: now + 600 }), 401, 'no iat');
    assert.equal(await ok({ iat: now, nbf: now, exp: now + 600, aud: 'vault' }), 401, 'a single audience that is not ours');
    assert.equal(await ok({ iat: now, nbf: now, exp: now + 600, aud: SA_ISSUER }), 201, 'aud as a single string');
    assert.equal(await ok({ iat: now, nbf: now, exp: now + 600, iss: 'https://elsewhere' }), 401, 'another issuer');
    // the same token is checked on every use, not only the first time (signature checks are cached)
    const exp = Math.floor(Date.now() / 1000) - 50; // valid (leeway) for another 10 s
    const soon = forge({ ...base, iat: exp - 600, nbf: exp - 600, exp });
    assert.equal((await whoami(soon)).status, 201);
    await new Promise((r) => setTimeout(r, Math.max(0, (exp + 61) * 1000 - Date.now())));
    assert.equal((await whoami(soon)).status, 401, 'a token that expired (beyond the leeway) after its first use');
  });

  it('a token bound to a Secret stops working when the Secret is deleted, and stays revoked when it is recreated', async () => {
    const s = await c.req('POST', `/api/v1/namespaces/${NS}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'anchor' }, stringData: { a: 'b' } });
    assert.equal(s.status, 201);
    const t = await tokenFor('robot', { boundObjectRef: { apiVersion: 'v1', kind: 'Secret', name: 'anchor' } });
    assert.equal((await whoami(t)).status, 201);
    assert.equal((await c.req('DELETE', `/api/v1/namespaces/${NS}/secrets/anchor`)).status, 200);
    assert.equal((await whoami(t)).status, 401);
    const rv = await review(t);
    assert.equal(rv.body.status.authenticated, false);
    assert.match(rv.body.status.error, /Secret tok\/anchor has been deleted/);
    await c.req('POST', `/api/v1/namespaces/${NS}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'anchor' }, stringData: { a: 'b' } });
    assert.equal((await whoami(t)).status, 401, 'a new Secret of the same name has another uid');
  });

  it("a token Secret's own token (2^32 s, bound to its ServiceAccount's token Secret) is valid only while the Secret holds it", async () => {
    const secret = (name: string, type: string, sa = 'robot') => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, annotations: { 'kubernetes.io/service-account.name': sa } }, type });
    assert.equal((await c.req('POST', `/api/v1/namespaces/${NS}/secrets`, secret('robot-token', 'kubernetes.io/service-account-token'))).status, 201);
    const bound = (name: string, expirationSeconds?: number) => tokenFor('robot', { boundObjectRef: { apiVersion: 'v1', kind: 'Secret', name }, ...(expirationSeconds ? { expirationSeconds } : {}) });
    const put = (name: string, token: string) =>
      c.req('PATCH', `/api/v1/namespaces/${NS}/secrets/${name}`, { data: { token: Buffer.from(token).toString('base64') } }, { 'content-type': 'application/merge-patch+json' });
    const t = await bound('robot-token', SECRET_TOKEN_SECONDS);
    assert.equal((await whoami(t)).status, 401, 'not (yet) the Secret\'s token');
    assert.match((await review(t)).body.status.error, /token does not match the server's copy \(Secret tok\/robot-token holds another token\)/);
    assert.equal((await put('robot-token', t)).status, 200);
    assert.equal((await whoami(t)).status, 201, 'held by the Secret');
    const t2 = await bound('robot-token', SECRET_TOKEN_SECONDS);
    assert.equal((await put('robot-token', t2)).status, 200);
    assert.equal((await whoami(t)).status, 401, 'the Secret\'s token was replaced: the old one is revoked');
    assert.equal((await whoami(t2)).status, 201);
    // other tokens bound to such a Secret (kubectl create token --bound-object-kind Secret) are not the Secret's own
    assert.equal((await whoami(await bound('robot-token'))).status, 201);
    // nor are long-lived tokens bound to other Secrets: an Opaque one, or another account's token Secret
    assert.equal((await c.req('POST', `/api/v1/namespaces/${NS}/secrets`, secret('opaque', 'Opaque'))).status, 201);
    assert.equal((await whoami(await bound('opaque', SECRET_TOKEN_SECONDS))).status, 201);
    assert.equal((await c.req('POST', `/api/v1/namespaces/${NS}/secrets`, secret('other-token', 'kubernetes.io/service-account-token', 'someone-else'))).status, 201);
    assert.equal((await whoami(await bound('other-token', SECRET_TOKEN_SECONDS))).status, 201);
  });

  it('a token bound to a Pod is revoked when the Pod is deleted; binding to a missing Pod or another account\'s Pod is refused', async () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p1' }, spec: { serviceAccountName: 'robot', containers: [{ name: 'c', image: 'busybox' }] } };
    const p = await c.req('POST', `/api/v1/namespaces/${NS}/pods`, pod);
    assert.equal(p.status, 201, p.text);
    const t = await tokenFor('robot', { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'p1', uid: p.body.metadata.uid } });
    const who = await whoami(t);
    assert.equal(who.status, 201);
    assert.deepEqual(who.body.status.userInfo.extra['authentication.kubernetes.io/pod-name'], ['p1']);
    assert.deepEqual(who.body.status.userInfo.extra['authentication.kubernetes.io/pod-uid'], [p.body.metadata.uid]);
    await c.req('DELETE', `/api/v1/namespaces/${NS}/pods/p1?gracePeriodSeconds=0`);
    assert.equal((await c.req('GET', `/api/v1/namespaces/${NS}/pods/p1`)).status, 404);
    assert.equal((await whoami(t)).status, 401);

    const missing = await c.req('POST', `/api/v1/namespaces/${NS}/serviceaccounts/robot/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'p1' } } });
    assert.equal(missing.status, 404);
    assert.match(missing.body.message, /pods "p1" not found/);
    const missingSecret = await c.req('POST', `/api/v1/namespaces/${NS}/serviceaccounts/robot/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { boundObjectRef: { apiVersion: 'v1', kind: 'Secret', name: 'nope' } } });
    assert.equal(missingSecret.status, 404);

    await c.req('POST', `/api/v1/namespaces/${NS}/pods`, { ...pod, metadata: { name: 'p2' }, spec: { ...pod.spec, serviceAccountName: 'default' } });
    const other = await c.req('POST', `/api/v1/namespaces/${NS}/serviceaccounts/robot/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'p2' } } });
    assert.equal(other.status, 400);
    assert.match(other.body.message, /cannot bind token for serviceaccount "robot" to pod running with different serviceaccount name/);
  });
});
