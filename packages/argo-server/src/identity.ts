/**
 * Who the caller is, as upstream's claims know it: with SSO the ID token's subject, email and preferred username;
 * with a bearer token (auth mode client) the claims of the token when it is a JWT (a ServiceAccount token's subject
 * is `system:serviceaccount:<ns>:<name>`; read, not verified: the API server checks the token); in server mode
 * nobody (upstream has no claims there either).
 */
import type { Caller } from './context.js';
import { userInfoMap } from './nodes.js';

/** The claims of a JWT's payload, unverified; undefined when the token is not a JWT. */
export function jwtClaims(token: string | undefined): Record<string, unknown> | undefined {
  const parts = token?.split('.');
  if (!parts || parts.length !== 3) return undefined;
  try {
    const v = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);

/** The caller as upstream prints its user info (`map[User:…]`), or undefined when unknown. */
export function callerIdentity(c: Caller): string | undefined {
  if (c.mode === 'sso' && c.sso) return userInfoMap({ user: c.sso.user.sub, email: c.sso.user.email, preferredUsername: c.sso.user.preferred_username });
  if (c.mode !== 'client') return undefined;
  const claims = jwtClaims(c.token);
  if (!claims) return undefined;
  return userInfoMap({ user: str(claims.sub), email: str(claims.email), preferredUsername: str(claims.preferred_username) });
}
