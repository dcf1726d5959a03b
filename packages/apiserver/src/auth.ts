/**
 * Bearer-token authentication: the admin token from the data directory, and ServiceAccount
 * tokens — ES256 JWTs signed with the data directory's SA key. A ServiceAccount token is checked
 * on every use, as Kubernetes does:
 *  - `iss` is this server's issuer and `aud` contains one of the audiences asked for (the API
 *    server's own audience, the issuer, unless a TokenReview names others);
 *  - `exp`, `nbf` and `iat` hold with a leeway of 60 s;
 *  - the ServiceAccount still exists with the uid in the token, and so does the object the token
 *    is bound to (Pod, Secret, Node: same uid, not deleted more than 60 s ago), so deleting the
 *    account, the pod or the secret revokes the token;
 *  - a token Secret's own token (bound to a `kubernetes.io/service-account-token` Secret of its
 *    ServiceAccount, for 2^32 s: what the controller manager's token controller asks for) is valid
 *    only while that Secret holds it in `data.token`, as Kubernetes checks its Secret-based tokens
 *    against "the server's copy": replacing the Secret's token revokes the old one.
 * Signature verification (~0.1 ms) is cached per token; the checks above are not.
 */
import type { IdentityTokens } from './rbac/identities.js';
import { createPrivateKey, createPublicKey, createSign, createVerify, timingSafeEqual, randomUUID, type KeyObject } from 'node:crypto';

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** The current state of an object a token names (its ServiceAccount or bound object). */
export interface ObjectLookup {
  (kind: 'ServiceAccount' | 'Pod' | 'Secret' | 'Node', namespace: string, name: string): LookedUp | undefined;
}

export interface LookedUp {
  uid?: string;
  deletionTimestamp?: string;
  /** for a Secret of type kubernetes.io/service-account-token: its ServiceAccount annotation and decoded data.token */
  tokenSecret?: { serviceAccount?: string; token?: string };
}

/** The lifetime the token controller asks for its Secrets' tokens (TokenRequest's maximum). */
export const SECRET_TOKEN_SECONDS = 2 ** 32;

export const SA_ISSUER = 'https://kubernetes.default.svc.cluster.local';
/** The audiences the API server itself accepts (kube-apiserver's --api-audiences defaults to the issuer). */
export const API_AUDIENCES: readonly string[] = [SA_ISSUER];
/** Clock skew allowed on exp/nbf/iat (Kubernetes uses the JWT library's default leeway, 1 minute). */
export const TOKEN_LEEWAY_SECONDS = 60;
/** A bound object marked for deletion longer ago than this no longer vouches for its tokens. */
const DELETION_GRACE_SECONDS = 60;

/** Kinds a token can be bound to, by their claim name in `kubernetes.io`. */
const BOUND_CLAIMS = { pod: 'Pod', secret: 'Secret', node: 'Node' } as const;

/** The answer of a token check, TokenReview-shaped. */
export interface TokenCheck {
  authenticated: boolean;
  user?: UserInfo;
  /** the audiences both the token and the request accept */
  audiences?: string[];
  error?: string;
}

const b64u = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export class Authenticator {
  private priv: KeyObject;
  private pub: KeyObject;
  /** tokens whose signature checked out, with their claims (ECDSA verification costs ~0.1 ms) */
  private verified = new Map<string, any>();
  constructor(
    private readonly adminToken: string,
    saKeyPem: string,
    private readonly lookup: ObjectLookup,
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
    return this.check(m[1]).user;
  }

  /**
   * Checks a token for `audiences` (default: the API server's own). Tokens without audiences
   * (admin, component identities) are valid for the API server's audiences only, as Kubernetes
   * treats audience-agnostic authenticators.
   */
  check(token: string, audiences: readonly string[] = API_AUDIENCES): TokenCheck {
    const a = Buffer.from(token);
    const b = Buffer.from(this.adminToken);
    const id = this.identities?.lookup(token);
    const admin = a.length === b.length && timingSafeEqual(a, b);
    if (admin || id) {
      const auds = audiences.filter((x) => API_AUDIENCES.includes(x));
      if (!auds.length) return { authenticated: false, error: `token audiences ${JSON.stringify(API_AUDIENCES)} is invalid for the target audiences ${JSON.stringify(audiences)}` };
      const user = admin
        ? { username: 'admin', groups: ['system:masters', 'system:authenticated'] }
        : { username: id!.username, groups: [...id!.groups, 'system:authenticated'] };
      return { authenticated: true, user, audiences: auds };
    }
    return this.verifySaToken(token, audiences);
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
      jti: randomUUID(),
      'kubernetes.io': { namespace, serviceaccount: { name, uid }, ...bound },
    };
    const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(claims))}`;
    const sig = createSign('SHA256').update(input).sign({ key: this.priv, dsaEncoding: 'ieee-p1363' });
    return { token: `${input}.${b64u(sig)}`, expiresAt: new Date(exp * 1000) };
  }

  private verifySaToken(token: string, audiences: readonly string[]): TokenCheck {
    const fail = (error: string): TokenCheck => ({ authenticated: false, error });
    const parts = token.split('.');
    if (parts.length !== 3) return fail('invalid bearer token');
    let claims = this.verified.get(token);
    if (!claims) {
      try {
        const ok = createVerify('SHA256')
          .update(`${parts[0]}.${parts[1]}`)
          .verify({ key: this.pub, dsaEncoding: 'ieee-p1363' }, Buffer.from(parts[2], 'base64url'));
        if (!ok) return fail('invalid bearer token');
        claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString());
      } catch {
        return fail('invalid bearer token');
      }
      if (!claims || typeof claims !== 'object') return fail('invalid bearer token');
      if (this.verified.size >= 1024) this.verified.clear();
      this.verified.set(token, claims);
    }
    return this.checkClaims(claims, audiences, token);
  }

  /** The per-use checks of a signed token's claims (pure but for the clock and the object lookups). */
  private checkClaims(claims: any, audiences: readonly string[], token: string): TokenCheck {
    const fail = (error: string): TokenCheck => ({ authenticated: false, error });
    if (claims.iss !== SA_ISSUER) return fail('invalid bearer token');
    const tokenAuds: string[] = typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud.filter((x: unknown) => typeof x === 'string') : [];
    const auds = audiences.filter((x) => tokenAuds.includes(x));
    if (!auds.length) return fail(`token audiences ${JSON.stringify(tokenAuds)} is invalid for the target audiences ${JSON.stringify(audiences)}`);
    const now = Date.now() / 1000;
    for (const c of ['exp', 'nbf', 'iat']) if (typeof claims[c] !== 'number' || !Number.isFinite(claims[c])) return fail(`service account token has no valid ${c} claim`);
    if (now > claims.exp + TOKEN_LEEWAY_SECONDS) return fail('service account token has expired');
    if (now < claims.nbf - TOKEN_LEEWAY_SECONDS) return fail('service account token is not valid yet');
    if (claims.iat > now + TOKEN_LEEWAY_SECONDS) return fail('service account token is issued in the future');
    const k = claims['kubernetes.io'];
    const ns = k?.namespace;
    const name = k?.serviceaccount?.name;
    if (typeof ns !== 'string' || typeof name !== 'string') return fail('invalid bearer token');
    const sa = this.lookup('ServiceAccount', ns, name);
    if (!sa) return fail(`serviceaccounts "${name}" not found`);
    if (k.serviceaccount.uid && sa.uid !== k.serviceaccount.uid)
      return fail(`service account UID (${k.serviceaccount.uid}) does not match the UID in record (${sa.uid ?? ''}). The service account might have been deleted and then recreated`);
    const extra: Record<string, string[]> = {};
    for (const [claim, kind] of Object.entries(BOUND_CLAIMS)) {
      const ref = k[claim];
      if (ref === undefined) continue;
      if (typeof ref?.name !== 'string' || typeof ref?.uid !== 'string') return fail('invalid bearer token');
      const obj = this.lookup(kind, kind === 'Node' ? '' : ns, ref.name);
      const what = `${kind} ${kind === 'Node' ? '' : `${ns}/`}${ref.name}`;
      if (!obj) return fail(`${what} has been deleted`);
      if (obj.uid !== ref.uid) return fail(`${what} UID (${obj.uid ?? ''}) does not match the token's bound object UID (${ref.uid})`);
      const del = obj.deletionTimestamp ? Date.parse(obj.deletionTimestamp) / 1000 : NaN;
      if (del < now - DELETION_GRACE_SECONDS) return fail(`${what} is marked for deletion`);
      // a token Secret's own token: valid while the Secret holds it
      const ts = obj.tokenSecret;
      if (kind === 'Secret' && ts && ts.serviceAccount === name && claims.exp - claims.iat >= SECRET_TOKEN_SECONDS && ts.token !== token)
        return fail(`token does not match the server's copy (${what} holds another token)`);
      if (kind === 'Pod') {
        extra['authentication.kubernetes.io/pod-name'] = [ref.name];
        extra['authentication.kubernetes.io/pod-uid'] = [ref.uid];
      }
    }
    if (typeof claims.jti === 'string') extra['authentication.kubernetes.io/credential-id'] = [`JTI=${claims.jti}`];
    const user: UserInfo = {
      username: `system:serviceaccount:${ns}:${name}`,
      uid: sa.uid,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
    };
    if (Object.keys(extra).length) user.extra = extra;
    return { authenticated: true, user, audiences: auds };
  }
}
