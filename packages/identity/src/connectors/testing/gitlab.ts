/** Test helper: a stand-in for GitLab's documented endpoints (/oauth/authorize, /oauth/token, /api/v4/user, /oauth/userinfo). */
import { OAuthStandIn, type StandIn, type StandInRequest, type StandInResponse } from './standin.js';

export interface User { id: number; username: string; name: string; email: string; groups: string[]; owner?: string[]; maintainer?: string[]; developer?: string[] }

export class GitlabStandIn {
  oauth: OAuthStandIn;
  constructor(redirectURIs: string[], clientID = 'gl-app', clientSecret = 'gl-secret-value') {
    this.oauth = new OAuthStandIn(clientID, clientSecret, redirectURIs);
  }
  users = new Map<string, User>();
  server!: StandIn;
  handle = (req: StandInRequest): StandInResponse | undefined => {
    const p = req.url.pathname;
    if (p === '/oauth/authorize') return this.oauth.authorize(req.url.searchParams);
    if (p === '/oauth/token' && req.method === 'POST') return this.oauth.token(req);
    const grant = this.oauth.bearer(req);
    if (p === '/api/v4/user' || p === '/oauth/userinfo') {
      if (!grant) return { status: 401, json: { message: '401 Unauthorized' } };
      const u = this.users.get(grant.user)!;
      if (p === '/api/v4/user') return { json: { id: u.id, username: u.username, name: u.name, email: u.email, state: 'active' } };
      if (!grant.scope.split(' ').includes('openid')) return { status: 403, json: { error: 'insufficient_scope' } };
      return { json: {
        sub: String(u.id), nickname: u.username, groups: u.groups,
        'https://gitlab.org/claims/groups/owner': u.owner ?? [], 'https://gitlab.org/claims/groups/maintainer': u.maintainer ?? [], 'https://gitlab.org/claims/groups/developer': u.developer ?? [],
      } };
    }
    return undefined;
  };
}
