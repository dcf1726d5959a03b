/**
 * `--auth-mode sso`: the OIDC login (`/oauth2/redirect` → the IdP → `/oauth2/callback`), argo-server's `v2:`
 * tokens (see token.ts), and the Kubernetes client an SSO user's request runs with (see rbac.ts).
 *
 * Login: `/oauth2/redirect?redirect=<where to go after>` sets the sealed, short-lived `oauthState` cookie
 * (state, nonce, PKCE verifier, the final redirect) and sends the browser to the IdP's authorization endpoint.
 * `/oauth2/callback?state=&code=` requires that cookie and a matching, never-used state, redeems the code
 * (client id/secret from the Secrets `sso.clientId`/`sso.clientSecret` name), verifies the ID token (signature
 * from the IdP's JWKS, issuer or issuerAlias, audience, nonce, expiry) and sets `authorization=v2:<token>`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import tls from 'node:tls';
import * as oidc from 'openid-client';
import { R, type KubeClient } from '@flotilla/kube-runtime';
import { ApiErr, Code } from '../http.js';
import type { Logger } from '../log.js';
import { groupsOf, safeFinalRedirect, type SecretKeySelector, type SsoConfig } from './config.js';
import { loadOrCreateKeys, seal, unseal, TokenError, TOKEN_PREFIX, type Keys } from './token.js';
import { pickServiceAccount, ruleEnv, ServiceAccountClients, type SaLike } from './rbac.js';

export const STATE_COOKIE = 'oauthState';
export const AUTH_COOKIE = 'authorization';
const STATE_TYP = 'argo-sso-state';
const STATE_TTL_MS = 5 * 60_000;

/** What an SSO token says about its user. */
export interface SsoUser {
  /** the IdP's issuer */
  issuer: string;
  sub: string;
  groups: string[];
  email?: string;
  email_verified?: boolean;
  name?: string;
  preferred_username?: string;
  /** every claim of the ID token (rules may use them) */
  claims: Record<string, unknown>;
}

export interface SsoIdentity {
  user: SsoUser;
  serviceAccount?: { name: string; namespace: string };
  kube: KubeClient;
}

/** fetch over node:http(s): `insecureSkipVerify` and `rootCA` need TLS options global fetch does not take. */
function nodeFetch(insecure: boolean, rootCA?: string): oidc.CustomFetch {
  const ca = rootCA ? [...tls.rootCertificates, rootCA] : undefined;
  return (url, o) =>
    new Promise((resolve, reject) => {
      const u = new URL(url);
      const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, { method: o.method ?? 'GET', headers: Object.fromEntries(new Headers(o.headers as ConstructorParameters<typeof Headers>[0]).entries()), rejectUnauthorized: !insecure, ...(ca && u.protocol === 'https:' ? { ca } : {}), timeout: 15_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) for (const x of Array.isArray(v) ? v : [v]) headers.append(k, x);
          const status = res.statusCode ?? 500;
          resolve(new Response([204, 304].includes(status) ? null : Buffer.concat(chunks), { status, headers }));
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer from ${u.origin} in 15 s`)));
      req.on('error', reject);
      const b = o.body as unknown;
      if (b === undefined || b === null) req.end();
      else if (typeof b === 'string' || b instanceof URLSearchParams) req.end(String(b));
      else if (b instanceof Uint8Array) req.end(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
      else if (b instanceof ArrayBuffer) req.end(Buffer.from(b));
      else req.destroy(new Error('unsupported request body'));
    });
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  const m = new RegExp(`(?:^|;\\s*)${name}=([^;]*)`).exec(req.headers.cookie ?? '');
  return m ? decodeURIComponent(m[1]!) : undefined;
}

export class Sso {
  private config?: Promise<oidc.Configuration>;
  private readonly usedStates = new Map<string, number>();
  private readonly saClients: ServiceAccountClients;
  private readonly delegate: boolean;
  private readonly fetch: oidc.CustomFetch;

  private constructor(
    readonly cfg: SsoConfig,
    private readonly keys: Keys,
    private readonly kube: KubeClient,
    private readonly o: { namespace: string; baseHref: string; secure: boolean; log: Logger },
    private readonly client: { id: string; secret: string },
  ) {
    this.saClients = new ServiceAccountClients(kube);
    this.delegate = /^(1|t|true)$/i.test(process.env.SSO_DELEGATE_RBAC_TO_NAMESPACE ?? '');
    this.fetch = nodeFetch(cfg.insecureSkipVerify, cfg.rootCA);
  }

  static async create(kube: KubeClient, cfg: SsoConfig, o: { namespace: string; baseHref: string; secure: boolean; log: Logger }): Promise<Sso> {
    const secret = async (sel: SecretKeySelector, what: string) => {
      let s: any;
      try {
        s = await kube.get<any>(R.secrets, o.namespace, sel.name);
      } catch (e) {
        throw new Error(`${what}: Secret ${o.namespace}/${sel.name}: ${(e as Error).message}`);
      }
      const v = s.data?.[sel.key];
      if (v === undefined) throw new Error(`${what}: Secret ${o.namespace}/${sel.name} has no key "${sel.key}"`);
      return Buffer.from(v, 'base64').toString('utf8').trim();
    };
    const id = await secret(cfg.clientId, 'sso.clientId');
    const sec = await secret(cfg.clientSecret, 'sso.clientSecret');
    const { keys, created } = await loadOrCreateKeys(kube, o.namespace);
    if (created) o.log.info('created the Secret holding the SSO token key', { secret: `${o.namespace}/sso` });
    const s = new Sso(cfg, keys, kube, o, { id, secret: sec });
    s.discover().catch((e) => o.log.warn('the SSO issuer is not reachable yet (tried again at the next login)', { issuer: cfg.issuer, error: (e as Error).message }));
    return s;
  }

  /** The IdP's metadata (discovery), fetched once; a failure is retried at the next use. */
  private discover(): Promise<oidc.Configuration> {
    if (!this.config) {
      this.config = (async () => {
        const url = `${this.cfg.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
        const res = await this.fetch(url, { method: 'GET', headers: { accept: 'application/json' } } as any);
        if (res.status !== 200) throw new Error(`discovery ${url}: HTTP ${res.status}`);
        const meta = (await res.json()) as oidc.ServerMetadata;
        const allowed = [this.cfg.issuer, this.cfg.issuerAlias].filter(Boolean).map((x) => x!.replace(/\/$/, ''));
        if (!allowed.includes(String(meta.issuer).replace(/\/$/, ''))) throw new Error(`discovery ${url}: the document names issuer "${meta.issuer}", want ${allowed.map((a) => `"${a}"`).join(' or ')} (sso.issuer / sso.issuerAlias)`);
        const c = new oidc.Configuration(meta, this.client.id, { client_secret: this.client.secret }, oidc.ClientSecretBasic(this.client.secret));
        c[oidc.customFetch] = this.fetch;
        if (allowed.some((a) => a.startsWith('http:')) || meta.issuer.startsWith('http:')) oidc.allowInsecureRequests(c);
        // verify the ID token's signature against the IdP's JWKS (not only trust the TLS channel)
        oidc.enableNonRepudiationChecks(c);
        return c;
      })();
      this.config.catch(() => (this.config = undefined));
    }
    return this.config;
  }

  /** `httpOnly` false for `authorization`, as upstream: its UI reads the cookie to show the token for ARGO_TOKEN. */
  private setCookie(res: ServerResponse, name: string, value: string, maxAgeS: number, sameSite: 'Lax' | 'Strict', httpOnly = true): void {
    const path = '/' + this.o.baseHref.replace(/^\/+|\/+$/g, '');
    const parts = [`${name}=${encodeURIComponent(value)}`, `Path=${path}`, `Max-Age=${Math.max(0, Math.floor(maxAgeS))}`, ...(httpOnly ? ['HttpOnly'] : []), `SameSite=${sameSite}`];
    if (maxAgeS > 0) parts.push(`Expires=${new Date(Date.now() + maxAgeS * 1000).toUTCString()}`);
    else parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
    if (this.o.secure) parts.push('Secure');
    const prev = res.getHeader('set-cookie');
    res.setHeader('set-cookie', [...(Array.isArray(prev) ? prev : prev ? [String(prev)] : []), parts.join('; ')]);
  }

  private fail(res: ServerResponse, status: number, msg: string): void {
    this.o.log.warn('SSO login refused', { status, reason: msg });
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end(msg + '\n');
  }

  /** GET /oauth2/redirect?redirect=… */
  async redirect(req: IncomingMessage, res: ServerResponse, q: URLSearchParams): Promise<void> {
    const final = safeFinalRedirect(q.get('redirect'), this.cfg.redirectUrl, this.o.baseHref);
    if (!final) return this.fail(res, 400, `refused: the redirect "${q.get('redirect')}" is neither a path on this server nor a URL on ${this.cfg.redirectUrl ? new URL(this.cfg.redirectUrl).origin : 'this server'}`);
    let config: oidc.Configuration;
    try {
      config = await this.discover();
    } catch (e) {
      return this.fail(res, 502, `the SSO issuer ${this.cfg.issuer} is not reachable: ${(e as Error).message}`);
    }
    const redirectUri = this.callbackUrl(req);
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: this.cfg.scopes.join(' '),
      response_type: 'code',
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const sealed = await seal(this.keys, { state, nonce, verifier, redirect: final, redirectUri }, STATE_TTL_MS, STATE_TYP);
    this.setCookie(res, STATE_COOKIE, sealed, STATE_TTL_MS / 1000, 'Lax');
    res.writeHead(302, { location: url.toString(), 'cache-control': 'no-store' });
    res.end();
  }

  /** sso.redirectUrl, else this server's /oauth2/callback as the browser reached it. */
  private callbackUrl(req: IncomingMessage): string {
    if (this.cfg.redirectUrl) return this.cfg.redirectUrl;
    const base = '/' + this.o.baseHref.replace(/^\/+|\/+$/g, '');
    return `${this.o.secure ? 'https' : 'http'}://${req.headers.host ?? req.headers[':authority'] ?? 'localhost'}${base === '/' ? '/' : base + '/'}oauth2/callback`;
  }

  /** GET /oauth2/callback?state=…&code=… */
  async callback(req: IncomingMessage, res: ServerResponse, q: URLSearchParams): Promise<void> {
    if (q.get('error')) return this.fail(res, 401, `the identity provider refused the login: ${q.get('error')}${q.get('error_description') ? `: ${q.get('error_description')}` : ''}`);
    const raw = cookie(req, STATE_COOKIE);
    if (!raw) return this.fail(res, 401, `refused: no login state cookie (${STATE_COOKIE}); it expires after ${STATE_TTL_MS / 60_000} minutes: start again at /oauth2/redirect`);
    let st: Record<string, unknown>;
    try {
      st = await unseal(this.keys, raw, STATE_TYP);
    } catch (e) {
      return this.fail(res, 401, `refused: the login state cookie is not valid: ${(e as Error).message}`);
    }
    const state = String(st.state ?? '');
    if (!q.get('state') || q.get('state') !== state) return this.fail(res, 401, 'refused: the state of the callback does not match this browser\'s login (a forged or crossed callback)');
    this.pruneStates();
    if (this.usedStates.has(state)) return this.fail(res, 401, 'refused: this login callback was already used (replayed)');
    this.usedStates.set(state, Date.now() + STATE_TTL_MS);
    this.setCookie(res, STATE_COOKIE, '', 0, 'Lax');
    let user: SsoUser;
    try {
      user = await this.redeem(q, String(st.verifier), String(st.nonce), state, String(st.redirectUri));
    } catch (e) {
      return this.fail(res, 401, `the login failed: ${(e as Error).message}`);
    }
    const token = await seal(this.keys, { sub: user.sub, idp: user.issuer, groups: user.groups, email: user.email, email_verified: user.email_verified, name: user.name, preferred_username: user.preferred_username, claims: user.claims }, this.cfg.sessionExpiryMs);
    this.setCookie(res, AUTH_COOKIE, TOKEN_PREFIX + token, this.cfg.sessionExpiryMs / 1000, 'Strict', false);
    this.o.log.info('SSO login', { subject: user.sub, email: user.email, groups: user.groups });
    res.writeHead(302, { location: String(st.redirect || '/'), 'cache-control': 'no-store' });
    res.end();
  }

  /** GET or POST /auth/logout: clears the session cookie; to sso.logoutRedirectUrl (through the IdP's end_session_endpoint when it has one), else the base href. */
  async logout(res: ServerResponse): Promise<void> {
    this.setCookie(res, AUTH_COOKIE, '', 0, 'Strict', false);
    let to = '/' + this.o.baseHref.replace(/^\/+|\/+$/g, '');
    if (to !== '/') to += '/';
    if (this.cfg.logoutRedirectUrl) {
      to = this.cfg.logoutRedirectUrl;
      const end = await this.discover().then((c) => c.serverMetadata().end_session_endpoint, () => undefined);
      if (end) {
        try {
          const u = new URL(end);
          if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('not http(s)');
          u.searchParams.set('client_id', this.client.id);
          u.searchParams.set('post_logout_redirect_uri', this.cfg.logoutRedirectUrl);
          to = u.toString();
        } catch {
          this.o.log.warn('Ignoring invalid OIDC end-session endpoint', { endpoint: end });
        }
      }
    }
    res.writeHead(302, { location: to, 'cache-control': 'no-store' });
    res.end();
  }

  private async redeem(q: URLSearchParams, verifier: string, nonce: string, state: string, redirectUri: string): Promise<SsoUser> {
    const config = await this.discover();
    const current = new URL(redirectUri);
    current.search = q.toString();
    const tokens = await oidc.authorizationCodeGrant(config, current, { pkceCodeVerifier: verifier, expectedNonce: nonce, expectedState: state, idTokenExpected: true });
    const claims = (tokens.claims() ?? {}) as Record<string, unknown>;
    let groupSource: Record<string, unknown> = claims;
    if (this.cfg.userInfoPath) {
      const url = `${this.cfg.issuer.replace(/\/$/, '')}${this.cfg.userInfoPath}`;
      const r = await this.fetch(url, { method: 'GET', headers: { authorization: `Bearer ${tokens.access_token}`, accept: 'application/json' } } as any);
      if (r.status !== 200) throw new Error(`sso.userInfoPath: ${url} answered HTTP ${r.status}`);
      groupSource = (await r.json()) as Record<string, unknown>;
    }
    return {
      issuer: String(claims.iss),
      sub: String(claims.sub),
      groups: groupsOf(groupSource, this.cfg),
      email: claims.email as string | undefined,
      email_verified: claims.email_verified as boolean | undefined,
      name: claims.name as string | undefined,
      preferred_username: claims.preferred_username as string | undefined,
      claims: Object.fromEntries(Object.entries(claims).filter(([k]) => !['nonce', 'at_hash', 'c_hash', 'aud', 'azp', 'exp', 'iat', 'auth_time', 'sid'].includes(k))),
    };
  }

  private pruneStates(): void {
    const now = Date.now();
    for (const [s, until] of this.usedStates) if (until < now) this.usedStates.delete(s);
  }

  /** The user of a `v2:` token (the prefix already removed); throws ApiErr Unauthenticated. */
  async user(token: string): Promise<SsoUser> {
    let p: Record<string, unknown>;
    try {
      p = await unseal(this.keys, token);
    } catch (e) {
      throw new ApiErr(Code.Unauthenticated, e instanceof TokenError ? e.message : 'the SSO token is not valid');
    }
    return {
      issuer: String(p.idp ?? ''),
      sub: String(p.sub ?? ''),
      groups: Array.isArray(p.groups) ? p.groups.map(String) : [],
      email: p.email as string | undefined,
      email_verified: p.email_verified as boolean | undefined,
      name: p.name as string | undefined,
      preferred_username: p.preferred_username as string | undefined,
      claims: (p.claims ?? {}) as Record<string, unknown>,
    };
  }

  /** Who the request acts as: argo-server itself without `rbac.enabled`, else the ServiceAccount the rules pick. */
  async identity(token: string, namespace: string | undefined): Promise<SsoIdentity> {
    const user = await this.user(token);
    if (!this.cfg.rbacEnabled) return { user, kube: this.kube };
    const env = ruleEnv(user.claims, user.groups);
    const pick = async (ns: string) => {
      const sas = (await this.kube.list<any>(R.serviceaccounts, ns)).items as SaLike[];
      const { sa, errors } = pickServiceAccount(sas, env);
      for (const e of errors) this.o.log.warn('an SSO rbac-rule does not evaluate; skipped', { serviceAccount: e.serviceAccount, error: e.message });
      return sa;
    };
    const home = await pick(this.o.namespace);
    if (!home) throw new ApiErr(Code.PermissionDenied, `not allowed: no ServiceAccount's workflows.argoproj.io/rbac-rule in ${this.o.namespace} matches ${user.email || user.sub} (groups: ${user.groups.join(', ') || 'none'})`);
    let chosen = { sa: home, ns: this.o.namespace };
    if (this.delegate && namespace && namespace !== this.o.namespace) {
      const there = await pick(namespace).catch((e) => {
        this.o.log.warn('listing the ServiceAccounts of a namespace for SSO delegation failed', { namespace, error: (e as Error).message });
        return undefined;
      });
      if (there) chosen = { sa: there, ns: namespace };
    }
    let kube: KubeClient;
    try {
      kube = await this.saClients.clientFor(chosen.ns, chosen.sa);
    } catch (e) {
      this.o.log.error('no token for the ServiceAccount an SSO user maps to', { serviceAccount: `${chosen.ns}/${chosen.sa.metadata.name}`, error: (e as Error).message });
      throw new ApiErr(Code.Internal, `no credentials for ServiceAccount ${chosen.ns}/${chosen.sa.metadata.name}`);
    }
    return { user, serviceAccount: { name: chosen.sa.metadata.name, namespace: chosen.ns }, kube };
  }

  close(): void {
    this.saClients.close();
  }
}
