/**
 * Test helper: a stand-in for the Microsoft identity platform's v2.0 authorize/token endpoints of one
 * tenant (apiURL) and Microsoft Graph under /graph (graphURL): GET /v1.0/me, POST /v1.0/me/getMemberGroups
 * (two ids a page, @odata.nextLink), POST /v1.0/directoryObjects/getByIds.
 */
import { OAuthStandIn, type StandIn, type StandInRequest, type StandInResponse } from './standin.js';

export const TENANT = 'contoso.onmicrosoft.com';

export interface Group { id: string; displayName: string; security: boolean }

export class MicrosoftStandIn {
  oauth: OAuthStandIn;
  constructor(redirectURIs: string[]) {
    this.oauth = new OAuthStandIn('ms-app', 'ms-secret-value', redirectURIs);
  }
  users = new Map<string, { id: string; displayName: string; upn: string; groups: string[] }>();
  groups = new Map<string, Group>();
  tokenScopes: string[] = [];
  server!: StandIn;
  handle = (req: StandInRequest): StandInResponse | undefined => {
    const p = req.url.pathname;
    if (p === `/${TENANT}/oauth2/v2.0/authorize`) return this.oauth.authorize(req.url.searchParams);
    if (p === `/${TENANT}/oauth2/v2.0/token` && req.method === 'POST') {
      this.tokenScopes.push(new URLSearchParams(req.body).get('scope') ?? '');
      return this.oauth.token(req);
    }
    if (!p.startsWith('/graph/')) return undefined;
    const grant = this.oauth.bearer(req);
    if (!grant) return { status: 401, json: { error: { code: 'InvalidAuthenticationToken', message: 'Access token is empty.' } } };
    const u = this.users.get(grant.user)!;
    const api = p.slice('/graph'.length);
    if (api === '/v1.0/me' && req.method === 'GET') return { json: { id: u.id, displayName: u.displayName, userPrincipalName: u.upn } };
    if (!grant.scope.split(' ').includes('directory.read.all')) return { status: 403, json: { error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges' } } };
    if (api === '/v1.0/me/getMemberGroups' && req.method === 'POST') {
      const body = JSON.parse(req.body) as { securityEnabledOnly: boolean };
      const ids = u.groups.filter((g) => !body.securityEnabledOnly || this.groups.get(g)!.security);
      const page = Number(req.url.searchParams.get('page') ?? 0);
      const slice = ids.slice(page * 2, page * 2 + 2);
      return { json: { value: slice, ...(page * 2 + 2 < ids.length ? { '@odata.nextLink': `${this.server.url}${p}?page=${page + 1}` } : {}) } };
    }
    if (api === '/v1.0/directoryObjects/getByIds' && req.method === 'POST') {
      const body = JSON.parse(req.body) as { ids: string[]; types: string[] };
      return { json: { value: body.ids.map((id) => this.groups.get(id)).filter(Boolean).map((g) => ({ '@odata.type': '#microsoft.graph.group', id: g!.id, displayName: g!.displayName })) } };
    }
    return undefined;
  };
}
