/**
 * Dex's `oidc` connector: any OpenID Connect issuer through openid-client (discovery, code flow with
 * state, nonce and PKCE, ID token validation, optional userinfo, refresh). Config as Dex reads it:
 * issuer, clientID, clientSecret, redirectURI, basicAuthUnsupported, scopes (default profile + email;
 * openid always), insecureSkipEmailVerified, insecureEnableGroups, getUserInfo, userIDKey (sub),
 * userNameKey (name), promptType (consent), acrValues, hostedDomains, claimMapping
 * {preferred_username, email, groups}, overrideClaimMapping, rootCAs, insecureSkipVerify.
 */
import * as oc from 'openid-client';
import type { ConnectorContext, ConnectorFactory, Identity, RedirectConnector, Scopes } from '../connector.js';
import { Fields, deriver, groupList, loadCAs, tlsFetch } from './http.js';

interface Settings {
  issuer: URL;
  clientID: string;
  clientSecret: string;
  basicAuthUnsupported: boolean;
  scopes: string[];
  insecureSkipEmailVerified: boolean;
  insecureEnableGroups: boolean;
  getUserInfo: boolean;
  userIDKey: string;
  userNameKey: string;
  promptType: string;
  acrValues?: string[];
  hostedDomains?: string[];
  claimMapping: { preferredUsername?: string; email?: string; groups?: string };
  overrideClaimMapping: boolean;
  ca?: string[];
  insecureSkipVerify: boolean;
}

export function parseOIDCConfig(config: Record<string, unknown>, id: string): Settings {
  const f = new Fields(config, `connector ${id} (oidc)`);
  const cm = f.map('claimMapping');
  return {
    issuer: f.url('issuer')!,
    clientID: f.req('clientID'),
    clientSecret: f.req('clientSecret'),
    basicAuthUnsupported: f.bool('basicAuthUnsupported'),
    scopes: f.list('scopes') ?? ['profile', 'email'],
    insecureSkipEmailVerified: f.bool('insecureSkipEmailVerified'),
    insecureEnableGroups: f.bool('insecureEnableGroups'),
    getUserInfo: f.bool('getUserInfo'),
    userIDKey: f.str('userIDKey', false, 'sub')!,
    userNameKey: f.str('userNameKey', false, 'name')!,
    promptType: f.str('promptType', false, 'consent')!,
    acrValues: f.list('acrValues'),
    hostedDomains: f.list('hostedDomains'),
    claimMapping: { preferredUsername: cm.str('preferred_username'), email: cm.str('email'), groups: cm.str('groups') },
    overrideClaimMapping: f.bool('overrideClaimMapping'),
    ca: loadCAs(f.list('rootCAs'), `connector ${id} (oidc)`),
    insecureSkipVerify: f.bool('insecureSkipVerify'),
  };
}

/** Claims (ID token, merged with userinfo when asked) → Dex's identity, with Dex's checks. */
export function identityFromClaims(s: Settings, claims: Record<string, unknown>, scopes: Scopes): Identity {
  const pick = (std: string, mapped: string | undefined) => (mapped && (s.overrideClaimMapping || claims[std] === undefined) ? claims[mapped] : claims[std]);
  const rawID = claims[s.userIDKey];
  if (typeof rawID !== 'string' && typeof rawID !== 'number') throw new Error(`missing "${s.userIDKey}" claim`);
  const name = claims[s.userNameKey];
  if (typeof name !== 'string') throw new Error(`missing "${s.userNameKey}" claim`);
  const hasEmailScope = s.scopes.includes('email');
  const email = pick('email', s.claimMapping.email);
  if (hasEmailScope && typeof email !== 'string') throw new Error('missing "email" claim');
  let emailVerified = claims['email_verified'];
  if (typeof emailVerified !== 'boolean') {
    if (s.insecureSkipEmailVerified) emailVerified = true;
    else if (hasEmailScope) throw new Error('missing "email_verified" claim');
    else emailVerified = false;
  }
  if (s.hostedDomains?.length) {
    const hd = claims['hd'];
    if (typeof hd !== 'string' || !s.hostedDomains.includes(hd)) throw new Error(`user is not in an allowed hosted domain (hd "${String(hd ?? '')}")`);
  }
  const preferred = pick('preferred_username', s.claimMapping.preferredUsername);
  const groups = scopes.groups && s.insecureEnableGroups ? groupList(pick('groups', s.claimMapping.groups)) : [];
  return {
    userID: String(rawID),
    username: name,
    preferredUsername: typeof preferred === 'string' ? preferred : undefined,
    email: typeof email === 'string' ? email : undefined,
    emailVerified: emailVerified as boolean,
    groups,
  };
}

class OIDCConnector implements RedirectConnector {
  readonly kind = 'redirect' as const;
  private config?: oc.Configuration;
  private readonly derive = deriver();

  constructor(
    private readonly s: Settings,
    private readonly ctx: ConnectorContext,
  ) {}

  async discover(): Promise<oc.Configuration> {
    if (this.config) return this.config;
    const s = this.s;
    const fetchImpl = tlsFetch({ ca: s.ca, insecureSkipVerify: s.insecureSkipVerify, timeoutMs: 10_000 });
    const auth = s.basicAuthUnsupported ? oc.ClientSecretPost(s.clientSecret) : oc.ClientSecretBasic(s.clientSecret);
    try {
      this.config = await oc.discovery(s.issuer, s.clientID, undefined, auth, {
        [oc.customFetch]: fetchImpl as oc.CustomFetch,
        execute: s.issuer.protocol === 'http:' ? [oc.allowInsecureRequests] : [],
        timeout: 10,
      });
    } catch (e) {
      throw new Error(`cannot discover the issuer ${s.issuer.href}: ${describe(e)}`);
    }
    return this.config;
  }

  private scopeList(scopes: Scopes): string {
    const out = new Set(['openid', ...this.s.scopes]);
    if (scopes.offlineAccess) out.add('offline_access');
    if (scopes.groups && this.s.insecureEnableGroups && !this.s.claimMapping.groups) out.add('groups');
    return [...out].join(' ');
  }

  async loginURL(scopes: Scopes, callbackURL: string, state: string) {
    const config = await this.discover();
    const params: Record<string, string> = {
      redirect_uri: callbackURL,
      scope: this.scopeList(scopes),
      state,
      nonce: this.derive('nonce', state),
      code_challenge: await oc.calculatePKCECodeChallenge(this.derive('pkce', state)),
      code_challenge_method: 'S256',
    };
    if (this.s.promptType) params.prompt = this.s.promptType;
    if (this.s.acrValues?.length) params.acr_values = this.s.acrValues.join(' ');
    if (this.s.hostedDomains?.length === 1) params.hd = this.s.hostedDomains[0]!;
    return { url: oc.buildAuthorizationUrl(config, params).href };
  }

  async handleCallback(scopes: Scopes, callbackURL: string, params: URLSearchParams, state: string): Promise<Identity> {
    const err = params.get('error');
    if (err) throw new Error(`the identity provider answered ${err}${params.get('error_description') ? `: ${params.get('error_description')}` : ''}`);
    const config = await this.discover();
    const current = new URL(callbackURL);
    current.search = params.toString();
    let tokens: Awaited<ReturnType<typeof oc.authorizationCodeGrant>>;
    try {
      tokens = await oc.authorizationCodeGrant(config, current, { expectedState: state, expectedNonce: this.derive('nonce', state), pkceCodeVerifier: this.derive('pkce', state), idTokenExpected: true });
    } catch (e) {
      throw new Error(`the code exchange failed: ${describe(e)}`);
    }
    return this.identity(config, tokens, scopes);
  }

  private async identity(config: oc.Configuration, tokens: oc.TokenEndpointResponse & oc.TokenEndpointResponseHelpers, scopes: Scopes, prev?: Identity): Promise<Identity> {
    let claims: Record<string, unknown> = { ...(tokens.claims() ?? {}) };
    if (this.s.getUserInfo) {
      try {
        const ui = await oc.fetchUserInfo(config, tokens.access_token, typeof claims.sub === 'string' ? claims.sub : oc.skipSubjectCheck);
        claims = { ...claims, ...ui };
      } catch (e) {
        throw new Error(`the userinfo request failed: ${describe(e)}`);
      }
    }
    if (!tokens.id_token && prev) claims = { sub: prev.userID, ...claims };
    const id = identityFromClaims(this.s, claims, scopes);
    id.connectorData = { refreshToken: tokens.refresh_token ?? (prev?.connectorData as { refreshToken?: string } | undefined)?.refreshToken };
    return id;
  }

  async refresh(scopes: Scopes, identity: Identity): Promise<Identity> {
    const rt = (identity.connectorData as { refreshToken?: string } | undefined)?.refreshToken;
    if (!rt) return identity;
    const config = await this.discover();
    let tokens;
    try {
      tokens = await oc.refreshTokenGrant(config, rt);
    } catch (e) {
      throw new Error(`the upstream refresh failed: ${describe(e)}`);
    }
    if (!tokens.id_token && !this.s.getUserInfo) return { ...identity, connectorData: { refreshToken: tokens.refresh_token ?? rt } };
    const next = await this.identity(config, tokens, scopes, identity);
    if (next.userID !== identity.userID) throw new Error('the upstream refresh returned another user');
    return next;
  }
}

function describe(e: unknown): string {
  const err = e as Error & { error?: string; error_description?: string; cause?: unknown };
  if (err?.error) return `${err.error}${err.error_description ? `: ${err.error_description}` : ''}`;
  const cause = err?.cause instanceof Error ? ` (${err.cause.message})` : '';
  return `${err?.message ?? String(e)}${cause}`;
}

export const oidc: ConnectorFactory = async (config, ctx) => {
  const s = parseOIDCConfig(config, ctx.id);
  const c = new OIDCConnector(s, ctx);
  await c.discover();
  ctx.log('info', `oidc connector ready (issuer ${s.issuer.href})`);
  return c;
};
