/**
 * Sessions as Argo CD issues them: HS256 JWTs signed with `server.secretkey`, `iss: argocd`,
 * `sub: <account>:login` for a login (`<account>:apiKey` with `jti` for an account token,
 * `proj:<project>:<role>` with `jti` for a project role token), `iat`/`nbf`/`exp`. A login session
 * ends with `users.session.duration`, or when the account's password changed after it was issued;
 * tokens end when revoked (removed from argocd-secret / the project role).
 * External identity providers plug in through `SsoVerifier` (implemented by `sso/manager.ts`: JWKS
 * validation of the provider's ID tokens); their sessions end at the token's `exp` or on logout
 * (`revokeToken`: by `jti`, else by the token's hash).
 */
import { SignJWT, jwtVerify, decodeJwt } from 'jose';
import { randomUUID, createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';
import type { Store } from './store.js';
import { ApiErr, Code, unauthenticated } from './http.js';
import type { LoginLimiter } from './limiter.js';

export const ISSUER = 'argocd';
export const INVALID_LOGIN = 'Invalid username or password';

export interface Claims {
  iss?: string;
  sub: string;
  iat?: number;
  nbf?: number;
  exp?: number;
  jti?: string;
  groups?: string[];
  email?: string;
  [k: string]: unknown;
}

/** A verifier for tokens of an external identity provider (OIDC/Dex): the SSO seam. */
export interface SsoVerifier {
  /** the `iss` it accepts */
  issuer(): string | undefined;
  verify(token: string): Promise<Claims>;
}

/** The account name of a local subject (`admin:login` → `admin`). */
export function userOf(sub: string): string {
  if (sub.startsWith('proj:')) return sub;
  const i = sub.lastIndexOf(':');
  if (i > 0 && (sub.endsWith(':login') || sub.endsWith(':apiKey'))) return sub.slice(0, i);
  return sub;
}

export function isProjectSubject(sub: string): boolean {
  return /^proj:[^:]+:[^:]+$/.test(sub);
}

export class SessionManager {
  sso: SsoVerifier[] = [];
  /** logged-out session ids → their expiry (ms); in memory, as upstream keeps them in Redis for the token's life */
  private readonly revoked = new Map<string, number>();
  constructor(
    private readonly store: Store,
    private readonly limiter: LoginLimiter,
    private readonly now: () => number = Date.now,
  ) {}

  private key(): Uint8Array {
    const k = this.store.secretKey();
    if (!k?.length) throw new ApiErr(Code.Internal, 'server.secretkey is missing from argocd-secret');
    return k;
  }

  /** Signs a token for `sub` expiring after `seconds` (0: never). */
  async create(sub: string, seconds: number, id?: string): Promise<{ token: string; claims: Claims }> {
    const iat = Math.floor(this.now() / 1000);
    const claims: Claims = { iss: ISSUER, sub, iat, nbf: iat };
    if (seconds > 0) claims.exp = iat + Math.floor(seconds);
    if (id) claims.jti = id;
    const token = await new SignJWT(claims as any).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(this.key());
    return { token, claims };
  }

  /** Username/password login → a session token; failures counted towards the lock-out. */
  async login(username: string, password: string): Promise<string> {
    if (!username || !password) throw unauthenticated(INVALID_LOGIN);
    if (!this.limiter.enter()) throw new ApiErr(Code.ResourceExhausted, 'Failed to login: too many concurrent login requests, please retry later');
    try {
      const locked = this.limiter.lockedFor(username);
      if (locked > 0) throw unauthenticated(`${INVALID_LOGIN}: too many failed login attempts for '${username}', retry in ${locked}s`);
      const acc = this.store.accounts().get(username);
      const ok = !!acc?.passwordHash && (await bcrypt.compare(password, acc.passwordHash).catch(() => false));
      if (!ok || !acc) {
        this.limiter.fail(username);
        throw unauthenticated(INVALID_LOGIN);
      }
      if (!acc.enabled) throw unauthenticated(`Account ${username} is disabled`);
      if (!acc.capabilities.includes('login')) throw unauthenticated(`Account ${username} does not have 'login' capability`);
      this.limiter.success(username);
      const { token } = await this.create(`${username}:login`, this.store.sessionDuration(), this.newTokenId());
      return token;
    } finally {
      this.limiter.leave();
    }
  }

  /** Verifies a bearer token (signature, expiry, revocation); returns its claims or throws 401. */
  async verify(token: string): Promise<Claims> {
    let iss: string | undefined;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      throw unauthenticated('invalid session: token contains an invalid number of segments');
    }
    if (iss && iss !== ISSUER) {
      const v = this.sso.find((s) => s.issuer() === iss);
      if (!v) throw unauthenticated(`invalid session: no identity provider for issuer '${iss}'`);
      const c = await v.verify(token);
      if (this.revoked.has(ssoTokenId(token, c))) throw unauthenticated('invalid session: token is revoked, please re-login');
      return c;
    }
    let claims: Claims;
    try {
      const r = await jwtVerify(token, this.key(), { issuer: ISSUER, algorithms: ['HS256'], currentDate: new Date(this.now()) });
      claims = r.payload as Claims;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'ERR_JWT_EXPIRED') throw unauthenticated('invalid session: token has invalid claims: token is expired');
      throw unauthenticated(`invalid session: ${(e as Error).message}`);
    }
    if (typeof claims.sub !== 'string' || !claims.sub) throw unauthenticated('invalid session: token has no subject');
    if (claims.jti && this.revoked.has(claims.jti)) throw unauthenticated('invalid session: token is revoked, please re-login');
    if (isProjectSubject(claims.sub)) {
      this.checkProjectToken(claims);
      return claims;
    }
    const name = userOf(claims.sub);
    const acc = this.store.accounts().get(name);
    if (!acc) throw unauthenticated(`invalid session: account ${name} does not exist`);
    if (!acc.enabled) throw unauthenticated(`invalid session: account ${name} is disabled`);
    if (claims.sub.endsWith(':apiKey') || (claims.jti && !claims.sub.endsWith(':login'))) {
      if (!acc.tokens.some((t) => t.id === claims.jti)) throw unauthenticated(`invalid session: account ${name} does not have token with id ${claims.jti}`);
      return claims;
    }
    if (acc.passwordMtime && claims.iat !== undefined) {
      const mtime = Math.floor(Date.parse(acc.passwordMtime) / 1000);
      if (Number.isFinite(mtime) && claims.iat < mtime) throw unauthenticated('invalid session: account password has changed since token issued');
    }
    return claims;
  }

  private checkProjectToken(c: Claims): void {
    const [, proj, role] = c.sub.split(':');
    const p = this.store.project(proj);
    if (!p) throw unauthenticated(`invalid session: project ${proj} does not exist`);
    const r = (p.spec?.roles ?? []).find((x) => x.name === role);
    if (!r) throw unauthenticated(`invalid session: role ${role} does not exist in project ${proj}`);
    const tokens = [...(r.jwtTokens ?? []), ...(p.status?.jwtTokensByRole?.[role]?.items ?? [])];
    const ok = tokens.some((t) => (c.jti ? t.id === c.jti : false) || (!c.jti && t.iat === c.iat) || (c.jti && !t.id && t.iat === c.iat));
    if (!ok) throw unauthenticated(`invalid session: token for role ${role} in project ${proj} was revoked or never issued`);
  }

  /** Logout: the session's id is refused from now until the token would have expired. */
  revoke(c: Claims): void {
    if (!c.jti) return;
    const now = this.now();
    for (const [id, exp] of this.revoked) if (exp < now) this.revoked.delete(id);
    this.revoked.set(c.jti, c.exp ? c.exp * 1000 : now + 365 * 24 * 3600_000);
  }

  /** Logout of any session (local or SSO): refused from now until the token would have expired. */
  revokeToken(token: string, c: Claims): void {
    if (c.iss === ISSUER) return this.revoke(c);
    const now = this.now();
    for (const [id, exp] of this.revoked) if (exp < now) this.revoked.delete(id);
    this.revoked.set(ssoTokenId(token, c), c.exp ? c.exp * 1000 : now + 24 * 3600_000);
  }

  newTokenId(): string {
    return randomUUID();
  }
}

/** The revocation key of an identity provider's token: its issuer + `jti`, else its hash. */
export function ssoTokenId(token: string, c: Claims): string {
  return c.jti ? `${c.iss}\u0000${c.jti}` : `sha256:${createHash('sha256').update(token).digest('hex')}`;
}

export async function hashPassword(pw: string): Promise<string> {
  return bcrypt.hash(pw, 10);
}
export async function checkPassword(pw: string, hash: string | undefined): Promise<boolean> {
  return !!hash && (await bcrypt.compare(pw, hash).catch(() => false));
}
