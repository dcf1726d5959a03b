/**
 * Dex's `gitlab` connector: OAuth2 against gitlab.com or a self-managed `baseURL`, the user from
 * `/api/v4/user`, groups from GitLab's OpenID userinfo (`/oauth/userinfo`, group full paths), with
 * `groups` as a required allow-list and `getGroupsPermission` adding `group:owner|maintainer|developer`.
 */
import type { ConnectorContext, ConnectorFactory, Identity, RedirectConnector, Scopes } from '../connector.js';
import { reader } from './config.js';
import { apiJSON, authorizeURL, checkCallback, tokenRequest, type TokenResponse } from './oauth2.js';

export interface GitlabConfig {
  baseURL: string;
  clientID: string;
  clientSecret: string;
  redirectURI?: string;
  groups: string[];
  useLoginAsID: boolean;
  getGroupsPermission: boolean;
}

export function parseGitlabConfig(config: Record<string, unknown>, ctx: Pick<ConnectorContext, 'id'>): GitlabConfig {
  const r = reader('gitlab', ctx.id, config);
  const baseURL = r.str('baseURL', 'https://gitlab.com')!.replace(/\/+$/, '');
  try {
    const u = new URL(baseURL);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('scheme');
  } catch {
    throw r.error('baseURL', `must be an http(s) URL (got ${JSON.stringify(baseURL)})`);
  }
  return {
    baseURL,
    clientID: r.required('clientID'),
    clientSecret: r.required('clientSecret'),
    redirectURI: r.str('redirectURI'),
    groups: r.strList('groups'),
    useLoginAsID: r.bool('useLoginAsID'),
    getGroupsPermission: r.bool('getGroupsPermission'),
  };
}

interface GitlabUser { id: number; username: string; name?: string; email?: string }
interface GitlabUserInfo {
  groups?: string[];
  'https://gitlab.org/claims/groups/owner'?: string[];
  'https://gitlab.org/claims/groups/maintainer'?: string[];
  'https://gitlab.org/claims/groups/developer'?: string[];
}
interface GitlabData { accessToken: string; refreshToken?: string }

export class GitlabConnector implements RedirectConnector {
  readonly kind = 'redirect' as const;
  private readonly P = 'gitlab';
  constructor(readonly cfg: GitlabConfig, private readonly ctx: ConnectorContext) {}

  private groupsRequired(groupScope: boolean): boolean {
    return this.cfg.groups.length > 0 || groupScope;
  }

  async loginURL(scopes: Scopes, callbackURL: string, state: string): Promise<{ url: string }> {
    const scope = this.groupsRequired(scopes.groups) ? 'read_user openid' : 'read_user';
    return {
      url: authorizeURL(`${this.cfg.baseURL}/oauth/authorize`, {
        client_id: this.cfg.clientID, redirect_uri: this.cfg.redirectURI ?? callbackURL, response_type: 'code', scope, state,
      }),
    };
  }

  private token(form: Record<string, string | undefined>): Promise<TokenResponse> {
    return tokenRequest(this.P, `${this.cfg.baseURL}/oauth/token`, { client_id: this.cfg.clientID, client_secret: this.cfg.clientSecret, ...form });
  }

  async handleCallback(scopes: Scopes, callbackURL: string, params: URLSearchParams, state: string): Promise<Identity> {
    const code = checkCallback(this.P, params, state);
    const tok = await this.token({ grant_type: 'authorization_code', code, redirect_uri: this.cfg.redirectURI ?? callbackURL });
    const id = await this.identity(scopes, tok.access_token);
    if (scopes.offlineAccess) id.connectorData = { accessToken: tok.access_token, refreshToken: tok.refresh_token } satisfies GitlabData;
    return id;
  }

  async refresh(scopes: Scopes, identity: Identity): Promise<Identity> {
    const data = identity.connectorData as GitlabData | undefined;
    if (!data?.accessToken) throw new Error('gitlab: refresh without connector data (log in again)');
    let next: GitlabData = data;
    if (data.refreshToken) {
      const tok = await this.token({ grant_type: 'refresh_token', refresh_token: data.refreshToken });
      next = { accessToken: tok.access_token, refreshToken: tok.refresh_token ?? data.refreshToken };
    }
    const id = await this.identity(scopes, next.accessToken);
    id.connectorData = next;
    return id;
  }

  private async identity(scopes: Scopes, token: string): Promise<Identity> {
    const user = (await apiJSON<GitlabUser>(this.P, `${this.cfg.baseURL}/api/v4/user`, token)).body;
    if (!user || typeof user.id !== 'number' || !user.username) throw new Error('gitlab: /api/v4/user answered without id and username');
    const id: Identity = {
      userID: this.cfg.useLoginAsID ? user.username : String(user.id),
      username: user.name || user.email || user.username,
      preferredUsername: user.username,
      email: user.email,
      emailVerified: true,
      groups: [],
    };
    if (this.groupsRequired(scopes.groups)) {
      let groups = await this.userGroups(token);
      if (this.cfg.groups.length > 0) {
        groups = groups.filter((g) => this.cfg.groups.includes(g));
        if (groups.length === 0) throw new Error(`gitlab: user ${JSON.stringify(user.username)} is not in any of the required groups`);
      }
      id.groups = groups;
    }
    return id;
  }

  private async userGroups(token: string): Promise<string[]> {
    const info = (await apiJSON<GitlabUserInfo>(this.P, `${this.cfg.baseURL}/oauth/userinfo`, token)).body ?? {};
    const groups = Array.isArray(info.groups) ? [...info.groups] : [];
    if (!this.cfg.getGroupsPermission) return groups;
    const out = [...groups];
    for (const g of groups) {
      for (const level of ['owner', 'maintainer', 'developer'] as const) {
        if (info[`https://gitlab.org/claims/groups/${level}`]?.includes(g)) {
          out.push(`${g}:${level}`);
          break;
        }
      }
    }
    return out;
  }
}

export const gitlabConnector: ConnectorFactory = (config, ctx) => new GitlabConnector(parseGitlabConfig(config, ctx), ctx);
