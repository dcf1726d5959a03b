/**
 * Dex's `github` connector: an OAuth App login (github.com, or GitHub Enterprise at `hostName` with
 * its `rootCA`), the user's verified email, and groups from organizations and teams: with `orgs`
 * the user must belong to one of them (teams filtered by the listed ones, groups `org:team`); with
 * `loadAllGroups` every org and `org:team` of the user.
 */
import type { ConnectorContext, ConnectorFactory, Identity, RedirectConnector, Scopes } from '../connector.js';
import { reader } from './config.js';
import { allPages, apiJSON, authorizeURL, checkCallback, tokenRequest, type HttpOptions } from './oauth2.js';

export interface GithubEndpoints { authURL: string; tokenURL: string; apiURL: string }

export const GITHUB_COM: GithubEndpoints = {
  authURL: 'https://github.com/login/oauth/authorize',
  tokenURL: 'https://github.com/login/oauth/access_token',
  apiURL: 'https://api.github.com',
};

/** GitHub Enterprise Server at `hostName` (host or host:port), as Dex builds it */
export function githubEnterprise(hostName: string): GithubEndpoints {
  return {
    authURL: `https://${hostName}/login/oauth/authorize`,
    tokenURL: `https://${hostName}/login/oauth/access_token`,
    apiURL: `https://${hostName}/api/v3`,
  };
}

interface Org { name: string; teams: string[] }
interface GithubUser { login: string; id: number; name?: string | null; email?: string | null }
interface GithubEmail { email: string; primary: boolean; verified: boolean }
interface GithubTeam { name: string; slug: string; organization: { login: string } }

export interface GithubConfig {
  clientID: string;
  clientSecret: string;
  redirectURI?: string;
  orgs: Org[];
  legacyOrg?: string;
  loadAllGroups: boolean;
  teamNameField: 'name' | 'slug' | 'both';
  useLoginAsID: boolean;
  preferredEmailDomain?: string;
  endpoints: GithubEndpoints;
  http: HttpOptions;
}

export function parseGithubConfig(config: Record<string, unknown>, ctx: Pick<ConnectorContext, 'id'>): GithubConfig {
  const r = reader('github', ctx.id, config);
  const orgs = r.list('orgs').map((o) => ({ name: o.required('name'), teams: o.strList('teams') }));
  const legacyOrg = r.str('org');
  if (legacyOrg && orgs.length) throw r.error('org', 'use either org or orgs, not both');
  const hostName = r.str('hostName');
  if (hostName && !/^[\w.-]+(:\d+)?$/.test(hostName)) throw r.error('hostName', `must be a host name with an optional port, without a scheme (got ${JSON.stringify(hostName)})`);
  const rootCA = r.pem('rootCA');
  if (rootCA && !hostName) throw r.error('rootCA', 'only applies with hostName (GitHub Enterprise)');
  return {
    clientID: r.required('clientID'),
    clientSecret: r.required('clientSecret'),
    redirectURI: r.str('redirectURI'),
    orgs,
    legacyOrg,
    loadAllGroups: r.bool('loadAllGroups'),
    teamNameField: r.oneOf('teamNameField', ['name', 'slug', 'both'] as const, 'name'),
    useLoginAsID: r.bool('useLoginAsID'),
    preferredEmailDomain: r.str('preferredEmailDomain'),
    endpoints: hostName ? githubEnterprise(hostName) : GITHUB_COM,
    http: { ca: rootCA },
  };
}

function domainMatches(email: string, pattern: string): boolean {
  const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
  const p = pattern.toLowerCase();
  if (p.startsWith('*.')) return domain.endsWith(p.slice(1)) && domain.length > p.length - 1;
  return domain === p;
}

interface GithubData { accessToken: string }

export class GithubConnector implements RedirectConnector {
  readonly kind = 'redirect' as const;
  private readonly P = 'github';
  constructor(readonly cfg: GithubConfig, private readonly ctx: ConnectorContext) {}

  private groupsRequired(groupScope: boolean): boolean {
    return this.cfg.orgs.length > 0 || !!this.cfg.legacyOrg || groupScope;
  }

  async loginURL(scopes: Scopes, callbackURL: string, state: string): Promise<{ url: string }> {
    const scope = ['user:email'];
    if (this.groupsRequired(scopes.groups)) scope.push('read:org');
    return {
      url: authorizeURL(this.cfg.endpoints.authURL, {
        client_id: this.cfg.clientID,
        redirect_uri: this.cfg.redirectURI ?? callbackURL,
        response_type: 'code',
        scope: scope.join(' '),
        state,
      }),
    };
  }

  async handleCallback(scopes: Scopes, callbackURL: string, params: URLSearchParams, state: string): Promise<Identity> {
    const code = checkCallback(this.P, params, state);
    const tok = await tokenRequest(this.P, this.cfg.endpoints.tokenURL, {
      grant_type: 'authorization_code',
      client_id: this.cfg.clientID,
      client_secret: this.cfg.clientSecret,
      code,
      redirect_uri: this.cfg.redirectURI ?? callbackURL,
    }, this.cfg.http);
    const id = await this.identity(scopes, tok.access_token);
    if (scopes.offlineAccess) id.connectorData = { accessToken: tok.access_token } satisfies GithubData;
    return id;
  }

  async refresh(scopes: Scopes, identity: Identity): Promise<Identity> {
    const data = identity.connectorData as GithubData | undefined;
    if (!data?.accessToken) throw new Error('github: refresh without connector data (log in again)');
    const id = await this.identity(scopes, data.accessToken);
    id.connectorData = data;
    return id;
  }

  private api(path: string): string {
    return this.cfg.endpoints.apiURL + path;
  }

  private async identity(scopes: Scopes, token: string): Promise<Identity> {
    const user = (await apiJSON<GithubUser>(this.P, this.api('/user'), token, this.cfg.http)).body;
    if (!user || typeof user.login !== 'string' || typeof user.id !== 'number') throw new Error('github: /user answered without login and id');
    let email = user.email ?? '';
    if (!email || this.cfg.preferredEmailDomain) email = await this.email(token, email);
    const id: Identity = {
      userID: this.cfg.useLoginAsID ? user.login : String(user.id),
      username: user.name || user.login,
      preferredUsername: user.login,
      email,
      emailVerified: true,
      groups: [],
    };
    if (this.groupsRequired(scopes.groups)) id.groups = await this.groups(token, user.login, scopes.groups);
    return id;
  }

  private async email(token: string, publicEmail: string): Promise<string> {
    const emails = await allPages<GithubEmail>(this.P, this.api('/user/emails?per_page=100'), token, this.cfg.http);
    const verified = emails.filter((e) => e.verified);
    const pref = this.cfg.preferredEmailDomain;
    const preferred = pref ? verified.find((e) => domainMatches(e.email, pref)) : undefined;
    const chosen = preferred ?? verified.find((e) => e.primary);
    if (chosen) return chosen.email;
    if (publicEmail) return publicEmail;
    throw new Error('github: the user has no verified primary email');
  }

  private teamNames(t: GithubTeam): string[] {
    switch (this.cfg.teamNameField) {
      case 'slug': return [t.slug];
      case 'both': return t.name === t.slug ? [t.name] : [t.name, t.slug];
      default: return [t.name];
    }
  }

  private async userTeams(token: string): Promise<Map<string, string[]>> {
    const teams = await allPages<GithubTeam>(this.P, this.api('/user/teams?per_page=100'), token, this.cfg.http);
    const byOrg = new Map<string, string[]>();
    for (const t of teams) {
      const org = t.organization?.login;
      if (!org) continue;
      byOrg.set(org, [...(byOrg.get(org) ?? []), ...this.teamNames(t)]);
    }
    return byOrg;
  }

  private async inOrg(token: string, login: string, org: string): Promise<boolean> {
    const res = await apiJSON(this.P, this.api(`/orgs/${encodeURIComponent(org)}/members/${encodeURIComponent(login)}`), token, { ...this.cfg.http, allow: [302, 404] });
    if (res.status === 302) throw new Error(`github: cannot check membership of org ${JSON.stringify(org)}: the OAuth app's requester is not a member of it`);
    return res.status === 204;
  }

  private async groups(token: string, login: string, groupScope: boolean): Promise<string[]> {
    if (this.cfg.orgs.length > 0) {
      const groups: string[] = [];
      let inOrgNoTeams = false;
      let teamsByOrg: Map<string, string[]> | undefined;
      for (const org of this.cfg.orgs) {
        if (!(await this.inOrg(token, login, org.name))) continue;
        teamsByOrg ??= await this.userTeams(token);
        let teams = teamsByOrg.get(org.name) ?? [];
        if (org.teams.length === 0) inOrgNoTeams = true;
        else {
          teams = teams.filter((t) => org.teams.includes(t));
          if (teams.length === 0) this.ctx.log('info', 'github: user is in the org but in none of its listed teams', { connector: this.ctx.id, user: login, org: org.name });
        }
        for (const t of teams) groups.push(`${org.name}:${t}`);
      }
      if (inOrgNoTeams || groups.length > 0) return [...new Set(groups)];
      throw new Error(`github: user ${JSON.stringify(login)} is not in any of the required orgs or teams`);
    }
    if (this.cfg.legacyOrg) {
      if (!(await this.inOrg(token, login, this.cfg.legacyOrg))) throw new Error(`github: user ${JSON.stringify(login)} is not a member of org ${JSON.stringify(this.cfg.legacyOrg)}`);
      return (await this.userTeams(token)).get(this.cfg.legacyOrg) ?? [];
    }
    if (groupScope && this.cfg.loadAllGroups) {
      const orgs = await allPages<{ login: string }>(this.P, this.api('/user/orgs?per_page=100'), token, this.cfg.http);
      const teams = await this.userTeams(token);
      const groups: string[] = [];
      for (const o of orgs) {
        groups.push(o.login);
        for (const t of teams.get(o.login) ?? []) groups.push(`${o.login}:${t}`);
      }
      return groups;
    }
    return [];
  }
}

export const githubConnector: ConnectorFactory = (config, ctx) => new GithubConnector(parseGithubConfig(config, ctx), ctx);
