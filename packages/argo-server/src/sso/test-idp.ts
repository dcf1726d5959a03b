/**
 * Test support: an independent OpenID Connect provider (the `oidc-provider` library) run as its own process by
 * the SSO tests, with its own users, passwords and groups and its own login form — the IdP argo-server's
 * `sso` section points at. Configured by the environment variable IDP_CONFIG (JSON: clients, users); listens on
 * a free loopback port and prints `listening <issuer>` once ready. Not part of the product.
 *
 *   IDP_CONFIG='{"clients":[{"client_id":"argo","client_secret":"s","redirect_uris":["http://…/oauth2/callback"]}],
 *                "users":[{"username":"alice","password":"pw","claims":{"email":"…","groups":["admins"]}}]}'
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

interface User {
  username: string;
  password: string;
  claims: Record<string, unknown>;
}
interface Config {
  clients: Record<string, unknown>[];
  users: User[];
  /** claim names the `groups` scope releases (default ["groups"]); e.g. ["groups", "argo_groups"] */
  groupClaims?: string[];
  /** the issuer's host name (default 127.0.0.1; it listens on 127.0.0.1 either way) — `localhost` keeps its
   * cookies apart from another cookie-setting server on 127.0.0.1, as browsers key cookies by host, not port */
  host?: string;
}

const cfg = JSON.parse(process.env.IDP_CONFIG ?? '{}') as Config;
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res: ServerResponse, uid: string, error?: string): void {
  const body = `<!doctype html><html><head><title>Test IdP: sign in</title></head><body>
<h1>Sign in</h1>${error ? `<p class="error">${esc(error)}</p>` : ''}
<form method="post" action="/interaction/${esc(uid)}/login">
<input name="username" autocomplete="username"><input name="password" type="password"><button type="submit">Sign in</button>
</form></body></html>`;
  res.writeHead(error ? 401 : 200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(body);
}

function form(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let s = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (s += d));
    req.on('end', () => resolve(new URLSearchParams(s)));
    req.on('error', reject);
  });
}

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const port = (server.address() as { port: number }).port;
  const issuer = `http://${cfg.host ?? '127.0.0.1'}:${port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-idp-1', use: 'sig', alg: 'RS256' };
  const users = new Map(cfg.users.map((u) => [u.username, u]));
  const provider = new Provider(issuer, {
    clients: cfg.clients,
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'], groups: cfg.groupClaims ?? ['groups'] },
    scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false }, userinfo: { enabled: true } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    // a first-party IdP: no consent screen (the grant covers what the client asked)
    async loadExistingGrant(ctx: any) {
      const id = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (id) return ctx.oidc.provider.Grant.find(id);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope(String(ctx.oidc.params.scope ?? 'openid'));
      await grant.save();
      return grant;
    },
    async findAccount(_ctx: unknown, id: string) {
      const u = users.get(id);
      if (!u) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, preferred_username: id, ...u.claims }) };
    },
  });
  const callback = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const m = /^\/interaction\/([^/?]+)(\/login)?/.exec(req.url ?? '');
    if (!m) return callback(req, res);
    void (async () => {
      try {
        const details = await provider.interactionDetails(req, res);
        if (details.uid !== m[1]) throw new Error('interaction mismatch');
        if (details.prompt?.name === 'consent') {
          // a first-party IdP: consent (asked with prompt=consent, as Dex's oidc connector does) is given
          const { Grant } = provider;
          const grant = details.grantId ? await Grant.find(details.grantId) : new Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
          const missing = details.prompt.details ?? {};
          if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
          if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
          for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, (scopes as string[]).join(' '));
          const grantId = await grant.save();
          return await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
        }
        if (!m[2]) return page(res, details.uid);
        if (req.method !== 'POST') return page(res, details.uid, 'use the form');
        const f = await form(req);
        const u = users.get(f.get('username') ?? '');
        if (!u || u.password !== f.get('password')) return page(res, details.uid, 'Invalid username or password.');
        await provider.interactionFinished(req, res, { login: { accountId: u.username } }, { mergeWithLastSubmission: false });
      } catch (e) {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(`interaction failed: ${(e as Error).message}\n`);
      }
    })();
  });
  process.stdout.write(`listening ${issuer}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
