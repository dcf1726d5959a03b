/**
 * Dex's `linkedin` connector: OAuth2 with LinkedIn's v2 API (`r_liteprofile r_emailaddress`), the
 * member's id, localized name and primary email. LinkedIn has no groups.
 */
import type { ConnectorContext, ConnectorFactory, Identity, RedirectConnector, Scopes } from '../connector.js';
import { reader } from './config.js';
import { apiJSON, authorizeURL, checkCallback, tokenRequest } from './oauth2.js';

export interface LinkedinEndpoints { authURL: string; tokenURL: string; apiURL: string }

export const LINKEDIN_COM: LinkedinEndpoints = {
  authURL: 'https://www.linkedin.com/oauth/v2/authorization',
  tokenURL: 'https://www.linkedin.com/oauth/v2/accessToken',
  apiURL: 'https://api.linkedin.com/v2',
};

export interface LinkedinConfig { clientID: string; clientSecret: string; redirectURI?: string; endpoints: LinkedinEndpoints }

export function parseLinkedinConfig(config: Record<string, unknown>, ctx: Pick<ConnectorContext, 'id'>, endpoints = LINKEDIN_COM): LinkedinConfig {
  const r = reader('linkedin', ctx.id, config);
  return { clientID: r.required('clientID'), clientSecret: r.required('clientSecret'), redirectURI: r.str('redirectURI'), endpoints };
}

interface Profile { id: string; localizedFirstName?: string; localizedLastName?: string }
interface Emails { elements?: { 'handle~'?: { emailAddress?: string } }[] }
interface LinkedinData { accessToken: string }

export class LinkedinConnector implements RedirectConnector {
  readonly kind = 'redirect' as const;
  private readonly P = 'linkedin';
  constructor(readonly cfg: LinkedinConfig) {}

  async loginURL(_scopes: Scopes, callbackURL: string, state: string): Promise<{ url: string }> {
    return {
      url: authorizeURL(this.cfg.endpoints.authURL, {
        response_type: 'code', client_id: this.cfg.clientID, redirect_uri: this.cfg.redirectURI ?? callbackURL, scope: 'r_liteprofile r_emailaddress', state,
      }),
    };
  }

  async handleCallback(scopes: Scopes, callbackURL: string, params: URLSearchParams, state: string): Promise<Identity> {
    const code = checkCallback(this.P, params, state);
    const tok = await tokenRequest(this.P, this.cfg.endpoints.tokenURL, {
      grant_type: 'authorization_code', code, redirect_uri: this.cfg.redirectURI ?? callbackURL, client_id: this.cfg.clientID, client_secret: this.cfg.clientSecret,
    });
    const id = await this.identity(tok.access_token);
    if (scopes.offlineAccess) id.connectorData = { accessToken: tok.access_token } satisfies LinkedinData;
    return id;
  }

  async refresh(_scopes: Scopes, identity: Identity): Promise<Identity> {
    const data = identity.connectorData as LinkedinData | undefined;
    if (!data?.accessToken) throw new Error('linkedin: refresh without connector data (log in again)');
    const id = await this.identity(data.accessToken);
    id.connectorData = data;
    return id;
  }

  private async identity(token: string): Promise<Identity> {
    const api = this.cfg.endpoints.apiURL;
    const profile = (await apiJSON<Profile>(this.P, `${api}/me`, token)).body;
    if (!profile?.id) throw new Error('linkedin: /me answered without an id');
    const emails = (await apiJSON<Emails>(this.P, `${api}/emailAddress?q=members&projection=(elements*(handle~))`, token)).body;
    const email = emails?.elements?.map((e) => e['handle~']?.emailAddress).find((e): e is string => !!e);
    if (!email) throw new Error(`linkedin: member ${JSON.stringify(profile.id)} has no email address`);
    return {
      userID: profile.id,
      username: [profile.localizedFirstName, profile.localizedLastName].filter(Boolean).join(' ') || email,
      email,
      emailVerified: true,
      groups: [],
    };
  }
}

/** the connector with LinkedIn's endpoints; tests pass a stand-in's (the only difference) */
export function linkedinConnectorWith(endpoints: LinkedinEndpoints): ConnectorFactory {
  return (config, ctx) => new LinkedinConnector(parseLinkedinConfig(config, ctx, endpoints));
}
export const linkedinConnector: ConnectorFactory = linkedinConnectorWith(LINKEDIN_COM);
