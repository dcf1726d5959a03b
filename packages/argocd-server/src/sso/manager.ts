/**
 * Single sign-on in argocd-server: the identity provider of argocd-cm (`oidc.config`, or the broker
 * of `dex.config` reached at `--dex-server`), the `SsoVerifier` that validates its ID tokens (JWKS
 * from discovery, refetched when a token names an unknown key — key rotation —, issuer and audience
 * checked, clock skew bounded by CLOCK_SKEW_SECONDS), and the browser flow: `/auth/login`
 * (state + nonce + PKCE kept in an encrypted `oauthstate` cookie; `return_url` must stay under
 * argocd-cm `url`), `/auth/callback` (state checked and used once, the code exchanged, the ID token
 * verified and set as the `argocd.token` cookie, as upstream) and `/auth/logout` (session revoked,
 * cookie cleared, `logoutURL` with `{{token}}` / `{{logoutRedirectURL}}` filled in).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify, customFetch as joseFetch, EncryptJWT, jwtDecrypt, decodeJwt } from 'jose';

/** The least time between two fetches of a provider's key set (a flood of unknown key ids cannot make more). */
const JWKS_COOLDOWN_MS = 1000;
import type { Store } from '../store.js';
import { CM, SECRET } from '../store.js';
import type { Claims, SsoVerifier, SessionManager } from '../session.js';
import { unauthenticated } from '../http.js';
import type { Logger } from '../log.js';
import { ssoSettings, type SsoSettings } from './config.js';
import { makeFetch, type FetchFn } from './fetch.js';

export const CLOCK_SKEW_SECONDS = 60;
export const STATE_COOKIE = 'oauthstate';
export const TOKEN_COOKIE = 'argocd.token';
/** longest cookie value; longer tokens are split into argocd.token, argocd.token-1, … (upstream's limit) */
export const MAX_COOKIE_VALUE = 4000;
const STATE_TTL_S = 300;

interface Provider {
  key: string;
  settings: SsoSettings;
  fetch: FetchFn;
  config?: Promise<oidc.Configuration>;
  jwks?: ReturnType<typeof createRemoteJWKSet>;
}

interface LoginState {
  s: string;
  n: string;
  v: string;
  r: string;
  /** the redirect URI the login used (url's or an additional URL's) */
  u: string;
}

export function parseCookies(h: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of (h ?? '').split(';')) {
    const i = c.indexOf('=');
    if (i > 0) out.set(c.slice(0, i).trim(), c.slice(i + 1).trim());
  }
  return out;
}

/** The `set-cookie` values carrying a token (split when long). */
export function tokenCookies(token: string, path: string, secure: boolean, maxAge?: number): string[] {
  const parts: string[] = [];
  for (let i = 0; i < token.length; i += MAX_COOKIE_VALUE) parts.push(token.slice(i, i + MAX_COOKIE_VALUE));
  const attrs = `; path=${path}; SameSite=lax; httpOnly${secure ? '; Secure' : ''}${maxAge ? `; Max-Age=${maxAge}` : ''}`;
  return parts.map((p, i) => `${i === 0 ? TOKEN_COOKIE : `${TOKEN_COOKIE}-${i}`}=${p}${attrs}`);
}

/**
 * `set-cookie` values that clear the chunks of an earlier token the request still carries from
 * `from` on (argocd.token-<from>, -<from+1>, …): a shorter token must not be joined with them.
 */
export function staleTokenCookies(cookieHeader: string | undefined, from: number, path: string): string[] {
  const have = parseCookies(cookieHeader);
  const out: string[] = [];
  for (let i = Math.max(from, 1); have.has(`${TOKEN_COOKIE}-${i}`); i++) out.push(`${TOKEN_COOKIE}-${i}=; path=${path}; Max-Age=0`);
  return out;
}

/** Whether `ret` (absolute, or a path) stays under Argo CD's `url`: no other host, scheme or path outside it. */
export function safeReturnUrl(ret: string, url: string): string | undefined {
  if (!ret) return `${url}/`;
  if (/[\\\u0000-\u001f]/.test(ret) || ret.startsWith('//')) return undefined;
  let u: URL;
  try {
    u = new URL(ret, `${url}/`);
  } catch {
    return undefined;
  }
  const base = new URL(`${url}/`);
  if (u.origin !== base.origin || !u.pathname.startsWith(base.pathname)) return undefined;
  return u.toString();
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res: ServerResponse, status: number, title: string, message: string): void {
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title></head><body><h1>${esc(title)}</h1><p>${esc(message)}</p></body></html>\n`;
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(body);
}

export class SsoManager implements SsoVerifier {
  private cur?: Provider;
  private lastError = '';
  private readonly usedStates = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly dexServer: string,
    private readonly log: Logger,
    private readonly cookiePath: string = '/',
    private readonly now: () => number = Date.now,
  ) {}

  /** The configured provider now (argocd-cm and secrets as the informers hold them), or why there is none. */
  resolve(): { settings?: SsoSettings; error?: string } {
    const ns = this.store.namespace;
    const lookup = (n: string) => (this.store.secrets.get(ns, n) ? this.store.secret(n) : undefined);
    const r = ssoSettings(this.store.cm(CM.argocd), this.store.secret(SECRET.argocd), lookup, this.dexServer);
    if (r.error && r.error !== this.lastError) this.log.error('SSO is misconfigured', { error: r.error });
    this.lastError = r.error ?? '';
    return r;
  }

  settings(): SsoSettings | undefined {
    return this.provider()?.settings;
  }

  private provider(): Provider | undefined {
    const s = this.resolve().settings;
    if (!s) return (this.cur = undefined);
    const key = JSON.stringify(s);
    if (this.cur?.key !== key) {
      this.cur = { key, settings: s, fetch: makeFetch({ rewrite: s.rewrite, ca: s.rootCA }) };
      this.log.info('SSO provider', { kind: s.kind, issuer: s.issuer, clientID: s.clientID, via: s.rewrite?.to });
    }
    return this.cur;
  }

  private config(p: Provider): Promise<oidc.Configuration> {
    if (!p.config) {
      const s = p.settings;
      const auth = s.clientSecret ? oidc.ClientSecretBasic(s.clientSecret) : oidc.None();
      const opts: oidc.DiscoveryRequestOptions = { [oidc.customFetch]: p.fetch as any, execute: s.issuer.startsWith('http:') ? [oidc.allowInsecureRequests] : [], timeout: 15 };
      p.config = oidc.discovery(new URL(s.issuer), s.clientID, undefined, auth, opts).catch((e) => {
        p.config = undefined;
        throw new Error(`OIDC discovery of ${s.issuer} failed: ${(e as Error).message}`);
      });
    }
    return p.config;
  }

  private async jwks(p: Provider): Promise<ReturnType<typeof createRemoteJWKSet>> {
    if (!p.jwks) {
      const md = (await this.config(p)).serverMetadata();
      if (!md.jwks_uri) throw new Error(`the provider ${p.settings.issuer} publishes no jwks_uri`);
      p.jwks = createRemoteJWKSet(new URL(md.jwks_uri), { [joseFetch]: p.fetch as any, cooldownDuration: JWKS_COOLDOWN_MS, cacheMaxAge: 10 * 60_000, timeoutDuration: 15_000 });
    }
    return p.jwks;
  }

  // ------------------------------------------------------------------------------ SsoVerifier
  issuer(): string | undefined {
    return this.provider()?.settings.issuer;
  }

  async verify(token: string): Promise<Claims> {
    const p = this.provider();
    if (!p) throw unauthenticated('invalid session: SSO is not configured');
    let jwks;
    try {
      jwks = await this.jwks(p);
    } catch (e) {
      throw unauthenticated(`invalid session: cannot verify the identity provider's token: ${(e as Error).message}`);
    }
    const s = p.settings;
    const audience = [s.clientID, s.cliClientID, ...s.allowedAudiences].filter((a): a is string => !!a);
    try {
      const check = () => jwtVerify(token, jwks, { issuer: s.issuer, audience, clockTolerance: CLOCK_SKEW_SECONDS, currentDate: new Date(this.now()), requiredClaims: ['sub', 'exp', 'iat'] });
      let verified: Awaited<ReturnType<typeof check>>;
      try {
        verified = await check();
      } catch (e) {
        // a key published just after the last fetch (the provider rotated its keys): the key set will
        // not fetch again during its cool-down, so wait that out and look once more
        if ((e as { code?: string }).code !== 'ERR_JWKS_NO_MATCHING_KEY' || !(jwks as { coolingDown?: boolean }).coolingDown) throw e;
        await new Promise((r) => setTimeout(r, JWKS_COOLDOWN_MS + 50));
        verified = await check();
      }
      const { payload } = verified;
      if (typeof payload.iat === 'number' && payload.iat > this.now() / 1000 + CLOCK_SKEW_SECONDS) throw Object.assign(new Error('"iat" claim timestamp check failed (issued in the future)'), { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' });
      return payload as Claims;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'ERR_JWT_EXPIRED') throw unauthenticated('invalid session: token has invalid claims: token is expired');
      throw unauthenticated(`invalid session: ${(e as Error).message}`);
    }
  }

  private stateKey(): Uint8Array {
    const k = this.store.secretKey();
    if (!k?.length) throw new Error('server.secretkey is missing from argocd-secret');
    return createHash('sha256').update('argocd-oauthstate\0').update(k).digest();
  }

  // ------------------------------------------------------------------------------ browser flow
  async login(req: IncomingMessage, res: ServerResponse, q: URLSearchParams): Promise<void> {
    const r = this.resolve();
    const p = this.provider();
    if (!p) return page(res, r.error ? 500 : 404, 'Login failed', r.error ?? 'SSO is not configured: set oidc.config or dex.config in argocd-cm');
    const s = p.settings;
    // served at one of additionalUrls (by the Host asked for): its redirect URI and return URLs
    const host = String(req.headers['x-forwarded-host'] ?? req.headers.host ?? '');
    const base = s.additionalUrls.find((u) => new URL(u).host === host) ?? s.url;
    const ret = safeReturnUrl(q.get('return_url') ?? '', base);
    if (!ret) {
      this.log.warn('SSO login refused: return_url outside Argo CD', { return_url: q.get('return_url'), remote: req.socket.remoteAddress });
      return page(res, 400, 'Login failed', `Invalid return_url: it must be under ${base}`);
    }
    const redirectURI = `${base}/auth/callback`;
    let cfg: oidc.Configuration;
    try {
      cfg = await this.config(p);
    } catch (e) {
      this.log.error('SSO login: provider unreachable', { error: (e as Error).message });
      return page(res, 502, 'Login failed', (e as Error).message);
    }
    const st: LoginState = { s: oidc.randomState(), n: oidc.randomNonce(), v: oidc.randomPKCECodeVerifier(), r: ret, u: redirectURI };
    const params: Record<string, string> = {
      redirect_uri: redirectURI,
      scope: s.requestedScopes.join(' '),
      state: st.s,
      nonce: st.n,
      code_challenge: await oidc.calculatePKCECodeChallenge(st.v),
      code_challenge_method: 'S256',
    };
    if (s.requestedIDTokenClaims) params.claims = JSON.stringify({ id_token: s.requestedIDTokenClaims });
    const to = oidc.buildAuthorizationUrl(cfg, params);
    const sealed = await new EncryptJWT({ ...st }).setProtectedHeader({ alg: 'dir', enc: 'A256GCM' }).setIssuedAt().setExpirationTime(`${STATE_TTL_S}s`).encrypt(this.stateKey());
    const secure = s.url.startsWith('https:');
    res.writeHead(303, { location: to.toString(), 'set-cookie': `${STATE_COOKIE}=${sealed}; path=${this.cookiePath}; Max-Age=${STATE_TTL_S}; SameSite=lax; httpOnly${secure ? '; Secure' : ''}`, 'cache-control': 'no-store' });
    res.end();
  }

  async callback(req: IncomingMessage, res: ServerResponse, q: URLSearchParams): Promise<void> {
    const p = this.provider();
    if (!p) return page(res, 404, 'Login failed', 'SSO is not configured');
    const s = p.settings;
    const fail = (status: number, msg: string) => {
      this.log.warn('SSO login failed', { error: msg, remote: req.socket.remoteAddress, event: 'login' });
      page(res, status, 'Login failed', msg);
    };
    if (q.get('error')) return fail(401, `${q.get('error')}: ${q.get('error_description') ?? ''}`.replace(/: $/, ''));
    const sealed = parseCookies(req.headers.cookie).get(STATE_COOKIE);
    if (!sealed) return fail(400, 'invalid state: the login state cookie is missing (start again at /auth/login)');
    let st: LoginState;
    try {
      st = (await jwtDecrypt(sealed, this.stateKey(), { currentDate: new Date(this.now()) })).payload as unknown as LoginState;
    } catch {
      return fail(400, 'invalid state: the login state cookie is expired or not ours (start again at /auth/login)');
    }
    if (!q.get('state') || q.get('state') !== st.s) return fail(400, 'invalid state: the callback does not belong to the login this browser started');
    const now = this.now();
    for (const [k, exp] of this.usedStates) if (exp < now) this.usedStates.delete(k);
    if (this.usedStates.has(st.s)) return fail(400, 'invalid state: this login was already completed (a replayed callback)');
    this.usedStates.set(st.s, now + STATE_TTL_S * 1000);
    let idToken: string;
    let claims: Claims;
    try {
      const cfg = await this.config(p);
      const current = new URL(`${st.u || s.redirectURI}?${q.toString()}`);
      const tokens = await oidc.authorizationCodeGrant(cfg, current, { pkceCodeVerifier: st.v, expectedState: st.s, expectedNonce: st.n, idTokenExpected: true });
      idToken = tokens.id_token!;
      claims = await this.verify(idToken);
    } catch (e) {
      return fail(401, `the identity provider's answer was refused: ${(e as Error).message}`);
    }
    this.log.info('SSO login successful', { user: claims.email ?? claims.sub, groups: claims.groups, issuer: s.issuer, event: 'login' });
    const fresh = tokenCookies(idToken, this.cookiePath, s.url.startsWith('https:'));
    const cookies = [...fresh, ...staleTokenCookies(req.headers.cookie, fresh.length, this.cookiePath), `${STATE_COOKIE}=; path=${this.cookiePath}; Max-Age=0`];
    res.writeHead(303, { location: st.r, 'set-cookie': cookies, 'cache-control': 'no-store' });
    res.end();
  }

  async logout(req: IncomingMessage, res: ServerResponse, sessions: SessionManager, token: string | undefined, basehref: string): Promise<void> {
    const p = this.provider();
    if (token) {
      try {
        const c = await sessions.verify(token);
        sessions.revokeToken(token, c);
        this.log.info('logout', { user: c.email ?? c.sub, event: 'logout' });
      } catch {
        /* an invalid session has nothing to revoke */
      }
    }
    const clear = [`${TOKEN_COOKIE}=; path=${this.cookiePath}; Max-Age=0`, ...new Set([...[1, 2, 3].map((i) => `${TOKEN_COOKIE}-${i}=; path=${this.cookiePath}; Max-Age=0`), ...staleTokenCookies(req.headers.cookie, 1, this.cookiePath)])];
    let to = `${basehref.replace(/\/?$/, '/')}login`;
    if (p?.settings.logoutURL && token) {
      let iss = '';
      try {
        iss = String(decodeJwt(token).iss ?? '');
      } catch {
        /* not a JWT */
      }
      if (iss === p.settings.issuer) to = p.settings.logoutURL.replaceAll('{{token}}', encodeURIComponent(token)).replaceAll('{{logoutRedirectURL}}', encodeURIComponent(`${p.settings.url}/`));
    }
    res.writeHead(303, { location: to, 'set-cookie': clear, 'cache-control': 'no-store' });
    res.end();
  }
}
