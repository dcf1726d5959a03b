/** Signing-key rotation and the memory storage's expiry, on a controlled clock. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KeyRing } from './keys.js';
import { MemoryStore } from './store.js';

describe('key ring', () => {
  it('rotates after the signing period; a replaced key is published until the tokens it signed expire', () => {
    let t = 0;
    let n = 0;
    const ring = new KeyRing(6 * 3600_000, 24 * 3600_000, () => t, () => ({ kty: 'RSA', kid: `k${n++}` }));
    assert.deepEqual(ring.jwks().keys.map((k) => k.kid), ['k0']);
    t = 5 * 3600_000;
    assert.equal(ring.maybeRotate(false), false);
    t = 6 * 3600_000;
    assert.equal(ring.maybeRotate(false), true);
    assert.deepEqual(ring.jwks().keys.map((k) => k.kid), ['k1', 'k0'], 'the new key signs (first), the old one verifies');
    t = 12 * 3600_000;
    ring.maybeRotate(false);
    assert.deepEqual(ring.jwks().keys.map((k) => k.kid), ['k2', 'k1', 'k0']);
    t = 30 * 3600_000 + 1; // k0 replaced at 6 h and kept 24 h goes; k2 (since 12 h) is due
    ring.maybeRotate(false);
    assert.deepEqual(ring.jwks().keys.map((k) => k.kid), ['k3', 'k2', 'k1']);
  });
});

describe('memory storage', () => {
  it('entries expire; consume marks; revokeByGrantId drops every token of a grant', async () => {
    let t = 1_000_000;
    const store = new MemoryStore(() => t);
    const A = store.adapter();
    const codes = new A('AuthorizationCode');
    const rts = new A('RefreshToken');
    await codes.upsert('c1', { grantId: 'g1', uid: 'u1' } as any, 60);
    await rts.upsert('r1', { grantId: 'g1' } as any, 3600);
    await rts.upsert('r2', { grantId: 'g2' } as any, 3600);
    assert.ok(await codes.find('c1'));
    assert.ok(await codes.findByUid('u1'));
    await codes.consume('c1');
    assert.ok((await codes.find('c1'))!.consumed);
    t += 61_000;
    assert.equal(await codes.find('c1'), undefined, 'expired');
    await rts.revokeByGrantId('g1');
    assert.equal(await rts.find('r1'), undefined);
    assert.ok(await rts.find('r2'));
    assert.equal(await codes.find('r2'), undefined, 'models do not see each other');
  });

  it('revokeByGrantId drops tokens only: a pending Interaction or a Session naming the grant stays (a second user logging in after the first one)', async () => {
    const store = new MemoryStore();
    const A = store.adapter();
    const interactions = new A('Interaction');
    const sessions = new A('Session');
    const ats = new A('AccessToken');
    await interactions.upsert('i1', { grantId: 'g1', uid: 'i1' } as any, 600);
    await sessions.upsert('s1', { uid: 's1', authorizations: { 'argo-cd': { grantId: 'g1' } } } as any, 600);
    await ats.upsert('a1', { grantId: 'g1' } as any, 600);
    // oidc-provider's logout revokes the old user's grant on every token model
    for (const m of ['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']) await new A(m).revokeByGrantId('g1');
    assert.equal(await ats.find('a1'), undefined);
    assert.ok(await interactions.find('i1'), 'the interaction in progress survives');
    assert.ok(await sessions.find('s1'));
  });
});
