/**
 * Test helper: a stand-in for GitHub Enterprise's documented OAuth and REST endpoints (under /api/v3):
 * /login/oauth/authorize, /login/oauth/access_token, /user, /user/emails, /user/orgs, /user/teams,
 * /orgs/:org/members/:user — start it over HTTPS with `startStandIn(gh.handle, cert)`.
 */
import { OAuthStandIn, paged, type StandIn, type StandInRequest, type StandInResponse } from './standin.js';

export interface GithubUser { id: number; login: string; name: string | null; email: string | null; emails: { email: string; primary: boolean; verified: boolean }[]; orgs: string[]; teams: { org: string; name: string; slug: string }[] }

export class GithubStandIn {
  oauth: OAuthStandIn;
  constructor(redirectURIs: string[], clientID = 'gh-client', clientSecret = 'gh-secret-value') {
    this.oauth = new OAuthStandIn(clientID, clientSecret, redirectURIs);
  }
  users = new Map<string, GithubUser>();
  server!: StandIn;
  handle = (req: StandInRequest): StandInResponse | undefined => {
    const p = req.url.pathname;
    if (p === '/login/oauth/authorize') return this.oauth.authorize(req.url.searchParams);
    if (p === '/login/oauth/access_token' && req.method === 'POST') {
      const r = this.oauth.token(req);
      // GitHub answers errors with 200 and an error field
      return r.status && r.status >= 400 ? { json: r.json } : r;
    }
    if (!p.startsWith('/api/v3/')) return undefined;
    const grant = this.oauth.bearer(req);
    if (!grant) return { status: 401, json: { message: 'Bad credentials' } };
    const u = this.users.get(grant.user)!;
    const api = p.slice('/api/v3'.length);
    if (api === '/user') return { json: { login: u.login, id: u.id, name: u.name, email: u.email } };
    if (api === '/user/emails') return grant.scope.includes('user:email') ? paged(req, this.server.url, u.emails) : { status: 404, json: { message: 'Not Found' } };
    if (!grant.scope.includes('read:org') && /^\/(user\/(orgs|teams)|orgs\/)/.test(api)) return { status: 403, json: { message: 'missing read:org' } };
    if (api === '/user/orgs') return paged(req, this.server.url, u.orgs.map((o) => ({ login: o })));
    if (api === '/user/teams') return paged(req, this.server.url, u.teams.map((t) => ({ name: t.name, slug: t.slug, organization: { login: t.org } })));
    const m = /^\/orgs\/([^/]+)\/members\/([^/]+)$/.exec(api);
    if (m) {
      const member = this.users.get(decodeURIComponent(m[2]!));
      return { status: member?.orgs.includes(decodeURIComponent(m[1]!)) ? 204 : 404 };
    }
    return undefined;
  };
}
