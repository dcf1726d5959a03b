/**
 * Dex's `microsoft` connector: OAuth2 against the Microsoft identity platform (v2.0 endpoints of
 * `tenant`), the user from Microsoft Graph `/me`, and — for an organizational tenant — groups from
 * `getMemberGroups` (ids, or display names via `directoryObjects/getByIds`), `groups` as a required
 * list and `useGroupsAsWhitelist`. `apiURL` / `graphURL` point at national clouds (or a stand-in).
 */
import type { ConnectorContext, ConnectorFactory, Identity, RedirectConnector, Scopes } from '../connector.js';
import { reader } from './config.js';
import { apiJSON, authorizeURL, checkCallback, tokenRequest, type TokenResponse } from './oauth2.js';

export interface MicrosoftConfig {
  clientID: string;
  clientSecret: string;
  redirectURI?: string;
  tenant: string;
  onlySecurityGroups: boolean;
  groups: string[];
  groupNameFormat: 'name' | 'id';
  useGroupsAsWhitelist: boolean;
  emailToLowercase: boolean;
  apiURL: string;
  graphURL: string;
  promptType?: string;
  domainHint?: string;
  scopes: string[];
}

function url(r: ReturnType<typeof reader>, field: string, def: string): string {
  const v = r.str(field, def)!.replace(/\/+$/, '');
  try {
    if (!/^https?:$/.test(new URL(v).protocol)) throw new Error();
  } catch {
    throw r.error(field, `must be an http(s) URL (got ${JSON.stringify(v)})`);
  }
  return v;
}

export function parseMicrosoftConfig(config: Record<string, unknown>, ctx: Pick<ConnectorContext, 'id'>): MicrosoftConfig {
  const r = reader('microsoft', ctx.id, config);
  const tenant = r.str('tenant', 'common')!;
  if (!/^[\w.-]+$/.test(tenant)) throw r.error('tenant', `must be a tenant id or domain, or common/organizations/consumers (got ${JSON.stringify(tenant)})`);
  const cfg: MicrosoftConfig = {
    clientID: r.required('clientID'),
    clientSecret: r.required('clientSecret'),
    redirectURI: r.str('redirectURI'),
    tenant,
    onlySecurityGroups: r.bool('onlySecurityGroups'),
    groups: r.strList('groups'),
    groupNameFormat: r.oneOf('groupNameFormat', ['name', 'id'] as const, 'name'),
    useGroupsAsWhitelist: r.bool('useGroupsAsWhitelist'),
    emailToLowercase: r.bool('emailToLowercase'),
    apiURL: url(r, 'apiURL', 'https://login.microsoftonline.com'),
    graphURL: url(r, 'graphURL', 'https://graph.microsoft.com'),
    promptType: r.str('promptType'),
    domainHint: r.str('domainHint'),
    scopes: r.strList('scopes'),
  };
  if (cfg.groups.length > 0 && !isOrgTenant(tenant)) throw r.error('groups', `need an organizational tenant (tenant is ${JSON.stringify(tenant)})`);
  return cfg;
}

function isOrgTenant(tenant: string): boolean {
  return !['common', 'consumers', 'organizations'].includes(tenant);
}

interface MsUser { id: string; displayName?: string; userPrincipalName?: string; mail?: string }
interface MsData { accessToken: string; refreshToken?: string }

export class MicrosoftConnector implements RedirectConnector {
  readonly kind = 'redirect' as const;
  private readonly P = 'microsoft';
  constructor(readonly cfg: MicrosoftConfig, private readonly ctx: ConnectorContext) {}

  private groupsRequired(groupScope: boolean): boolean {
    return (this.cfg.groups.length > 0 || groupScope) && isOrgTenant(this.cfg.tenant);
  }

  private endpoint(kind: 'authorize' | 'token'): string {
    return `${this.cfg.apiURL}/${this.cfg.tenant}/oauth2/v2.0/${kind}`;
  }

  private scopeList(scopes: Scopes): string[] {
    const s = this.cfg.scopes.length ? [...this.cfg.scopes] : ['user.read'];
    if (this.groupsRequired(scopes.groups)) s.push('directory.read.all');
    if (scopes.offlineAccess) s.push('offline_access');
    return s;
  }

  async loginURL(scopes: Scopes, callbackURL: string, state: string): Promise<{ url: string }> {
    return {
      url: authorizeURL(this.endpoint('authorize'), {
        client_id: this.cfg.clientID, redirect_uri: this.cfg.redirectURI ?? callbackURL, response_type: 'code',
        scope: this.scopeList(scopes).join(' '), state, prompt: this.cfg.promptType, domain_hint: this.cfg.domainHint,
      }),
    };
  }

  private token(scopes: Scopes, form: Record<string, string | undefined>): Promise<TokenResponse> {
    return tokenRequest(this.P, this.endpoint('token'), { client_id: this.cfg.clientID, client_secret: this.cfg.clientSecret, scope: this.scopeList(scopes).join(' '), ...form });
  }

  async handleCallback(scopes: Scopes, callbackURL: string, params: URLSearchParams, state: string): Promise<Identity> {
    const code = checkCallback(this.P, params, state);
    const tok = await this.token(scopes, { grant_type: 'authorization_code', code, redirect_uri: this.cfg.redirectURI ?? callbackURL });
    const id = await this.identity(scopes, tok.access_token);
    if (scopes.offlineAccess) id.connectorData = { accessToken: tok.access_token, refreshToken: tok.refresh_token } satisfies MsData;
    return id;
  }

  async refresh(scopes: Scopes, identity: Identity): Promise<Identity> {
    const data = identity.connectorData as MsData | undefined;
    if (!data?.refreshToken) throw new Error('microsoft: refresh without a refresh token (log in again)');
    const tok = await this.token(scopes, { grant_type: 'refresh_token', refresh_token: data.refreshToken });
    const id = await this.identity(scopes, tok.access_token);
    id.connectorData = { accessToken: tok.access_token, refreshToken: tok.refresh_token ?? data.refreshToken } satisfies MsData;
    return id;
  }

  private async identity(scopes: Scopes, token: string): Promise<Identity> {
    const me = (await apiJSON<MsUser>(this.P, `${this.cfg.graphURL}/v1.0/me?$select=id,displayName,userPrincipalName`, token)).body;
    if (!me?.id) throw new Error('microsoft: Graph /me answered without an id');
    let email = me.userPrincipalName ?? '';
    if (this.cfg.emailToLowercase) email = email.toLowerCase();
    const id: Identity = { userID: me.id, username: me.displayName || email, email, emailVerified: true, groups: [] };
    if (this.groupsRequired(scopes.groups)) {
      let groups = await this.memberGroups(token);
      if (this.cfg.groups.length > 0) {
        const allowed = groups.filter((g) => this.cfg.groups.includes(g));
        if (allowed.length === 0) throw new Error(`microsoft: user ${JSON.stringify(email || me.id)} is not in any of the required groups`);
        if (this.cfg.useGroupsAsWhitelist) groups = allowed;
      }
      id.groups = groups;
    }
    return id;
  }

  private async memberGroups(token: string): Promise<string[]> {
    const ids: string[] = [];
    let next: string | undefined = `${this.cfg.graphURL}/v1.0/me/getMemberGroups`;
    for (let i = 0; next && i < 100; i++) {
      const res: { body: { value?: string[]; '@odata.nextLink'?: string } } = await apiJSON(this.P, next, token, { method: 'POST', body: { securityEnabledOnly: this.cfg.onlySecurityGroups } });
      ids.push(...(res.body?.value ?? []));
      next = res.body?.['@odata.nextLink'];
    }
    if (this.cfg.groupNameFormat === 'id' || ids.length === 0) return ids;
    const names: string[] = [];
    for (let i = 0; i < ids.length; i += 1000) {
      const res = await apiJSON<{ value?: { id: string; displayName?: string }[] }>(this.P, `${this.cfg.graphURL}/v1.0/directoryObjects/getByIds`, token, {
        method: 'POST', body: { ids: ids.slice(i, i + 1000), types: ['group'] },
      });
      for (const g of res.body?.value ?? []) {
        if (g.displayName) names.push(g.displayName);
        else this.ctx.log('warn', 'microsoft: group without a displayName', { connector: this.ctx.id, group: g.id });
      }
    }
    return names;
  }
}

export const microsoftConnector: ConnectorFactory = (config, ctx) => new MicrosoftConnector(parseMicrosoftConfig(config, ctx), ctx);
