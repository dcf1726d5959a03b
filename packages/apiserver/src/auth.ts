/**
 * Bearer-token authentication: the admin token from the data directory, and ServiceAccount
 * tokens — ES256 JWTs signed with the data directory's SA key, valid while the ServiceAccount
 * they name still exists with the same uid (so deleting the account revokes its tokens).
 */
import type { IdentityTokens } from './rbac/identities.js';
import { createPrivateKey, createPublicKey, createSign, createVerify, timingSafeEqual, type KeyObject } from 'node:crypto';

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export interface SaLookup {
  (namespace: string, name: string): { uid?: string } | undefined;
}

export const SA_ISSUER = 'https://kubernetes.default.svc.cluster.local';

const b64u = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export class Authenticator {
  private priv: KeyObject;
  private pub: KeyObject;
  /** tokens whose signature checked out, with their claims (ECDSA verification costs ~0.1 ms) */
  private verified = new Map<string, any>();
  constructor(
    private readonly adminToken: string,
    saKeyPem: string,
    private readonly lookupSa: SaLookup,
    /** the components' own tokens (controller manager, scheduler, nodes) */
    private readonly identities?: IdentityTokens,
  ) {
    this.priv = createPrivateKey(saKeyPem);
    this.pub = createPublicKey(this.priv);
  }

  /** The user a request's Authorization header names, or undefined (→ 401). */
  authenticate(authorization: string | undefined): UserInfo | undefined {
    if (!authorization) return undefined;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!m) return undefined;
    const token = m[1];
    const a = Buffer.from(token);
    const b = Buffer.from(this.adminToken);
    if (a.length === b.length && timingSafeEqual(a, b)) {
      return { username: 'admin', groups: ['system:masters', 'system:authenticated'] };
    }
    const id = this.identities?.lookup(token);
    if (id) return { username: id.username, groups: [...id.groups, 'system:authenticated'] };
    return this.verifySaToken(token);
  }

  /** `bound`: claims naming the object a token is bound to, e.g. {pod: {name, uid}} (TokenRequest). */
  issueSaToken(
    namespace: string,
    name: string,
    uid: string,
    expirationSeconds: number,
    audiences: string[] = [SA_ISSUER],
    bound: Record<string, { name: string; uid: string }> = {},
  ): { token: string; expiresAt: Date } {
    const now = Math.floor(Date.now() / 1000);
    const exp = now + expirationSeconds;
    const header = { alg: 'ES256', typ: 'JWT' };
    const claims = {
      iss: SA_ISSUER,
      aud: audiences,
      sub: `system:serviceaccount:${namespace}:${name}`,
      iat: now,
      nbf: now,
      exp,
      'kubernetes.io': { namespace, serviceaccount: { name, uid }, ...bound },
    };
    const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(claims))}`;
    const sig = createSign('SHA256').update(input).sign({ key: this.priv, dsaEncoding: 'ieee-p1363' });
    return { token: `${input}.${b64u(sig)}`, expiresAt: new Date(exp * 1000) };
  }

  private verifySaToken(token: string): UserInfo | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    try {
      let claims = this.verified.get(token);
      if (!claims) {
        const ok = createVerify('SHA256')
          .update(`${parts[0]}.${parts[1]}`)
          .verify({ key: this.pub, dsaEncoding: 'ieee-p1363' }, Buffer.from(parts[2], 'base64url'));
        if (!ok) return undefined;
        claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString());
        if (this.verified.size >= 1024) this.verified.clear();
        this.verified.set(token, claims);
      }
      if (claims.iss !== SA_ISSUER) return undefined;
      if (typeof claims.exp === 'number' && claims.exp * 1000 < Date.now()) return undefined;
      const k = claims['kubernetes.io'];
      const ns = k?.namespace;
      const name = k?.serviceaccount?.name;
      if (typeof ns !== 'string' || typeof name !== 'string') return undefined;
      const sa = this.lookupSa(ns, name);
      if (!sa || (k.serviceaccount.uid && sa.uid !== k.serviceaccount.uid)) return undefined;
      return {
        username: `system:serviceaccount:${ns}:${name}`,
        uid: sa.uid,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
      };
    } catch {
      return undefined;
    }
  }
}
