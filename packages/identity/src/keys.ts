/**
 * Signing keys with rotation, as Dex keeps them: one RS256 signing key, replaced every
 * `expiry.signingKeys` (6 h); a replaced key stays in the JWKS for verification until the last
 * token it signed has expired (`expiry.idTokens`), then it is dropped.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { JWK } from 'oidc-provider';

export interface KeyRingState {
  signing: JWK;
  signingSince: number;
  /** keys still published for verification, with when they may go */
  verification: { key: JWK; until: number }[];
}

export function newSigningKey(): JWK {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' }) as JWK;
  return { ...jwk, kid: randomBytes(12).toString('hex'), alg: 'RS256', use: 'sig' };
}

export class KeyRing {
  state: KeyRingState;

  constructor(
    private readonly rotateAfterMs: number,
    private readonly keepForMs: number,
    private readonly now: () => number = Date.now,
    private readonly gen: () => JWK = newSigningKey,
  ) {
    this.state = { signing: gen(), signingSince: now(), verification: [] };
  }

  /** the JWKS oidc-provider signs with (the first key) and publishes (all, public parts) */
  jwks(): { keys: JWK[] } {
    return { keys: [this.state.signing, ...this.state.verification.map((v) => v.key)] };
  }

  /** rotates when due (or when forced); true when the key set changed */
  maybeRotate(force = false): boolean {
    const t = this.now();
    const before = this.state.verification.length;
    const verification = this.state.verification.filter((v) => v.until > t);
    let changed = verification.length !== before;
    let { signing, signingSince } = this.state;
    if (force || t - signingSince >= this.rotateAfterMs) {
      verification.unshift({ key: signing, until: t + this.keepForMs });
      signing = this.gen();
      signingSince = t;
      changed = true;
    }
    this.state = { signing, signingSince, verification };
    return changed;
  }
}
