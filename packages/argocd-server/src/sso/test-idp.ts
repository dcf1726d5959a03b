/**
 * Test support: an independent OpenID Connect provider (`oidc-provider`) run as its own process,
 * with its own users, password form and clients — the upstream IdP of the SSO tests (not Flotilla's
 * broker). `startTestIdp` spawns it and waits for its discovery document; the process reads its
 * configuration from the IDP_CONFIG environment variable (JSON). It can serve under a path prefix
 * (an issuer like `http://127.0.0.1:<port>/api/dex`), signs with RS256 keys it can rotate
 * (`POST /_rotate`: a new signing key first, the old one still published), and counts logins.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { generateKeyPairSync, randomBytes } from 'node:crypto';

export interface IdpUser {
  password: string;
  email?: string;
  name?: string;
  groups?: string[];
}

export interface IdpClient {
  client_id: string;
  client_secret?: string;
  redirect_uris: string[];
  /** public clients (the CLI) */
  public?: boolean;
  post_logout_redirect_uris?: string[];
}

export interface IdpConfig {
  issuer: string;
  /** the port to listen on (the issuer's port, unless the issuer is reached through a proxy) */
  port: number;
  users: Record<string, IdpUser>;
  clients: IdpClient[];
  /** ID token lifetime, seconds */
  idTokenTtl?: number;
}

export interface TestIdp {
  issuer: string;
  port: number;
  proc: ChildProcess;
  logs(): string;
  rotate(): Promise<void>;
  stop(): Promise<void>;
}

function newKey(): Record<string, unknown> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...(privateKey.export({ format: 'jwk' }) as Record<string, unknown>), kid: randomBytes(6).toString('hex'), use: 'sig', alg: 'RS256' };
}

const page = (title: string, body: string) => `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`;
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginForm(uid: string, prefix: string, error?: string): string {
  return page('Sign in', `<h1>Test IdP</h1>${error ? `<p class="error">${esc(error)}</p>` : ''}
<form method="post" action="${prefix}/interaction/${uid}/login">
<input name="login" autofocus><input name="password" type="password"><button type="submit">Sign in</button></form>`);
}

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let s = '';
    req.on('data', (d) => (s += d));
    req.on('end', () => resolve(new URLSearchParams(s)));
    req.on('error', reject);
  });
}

/** The IdP process itself. */
export async function runIdp(cfg: IdpConfig): Promise<void> {
  // a dev dependency, loaded only by the test IdP process (no types shipped)
  const lib: string = 'oidc-provider';
  const { default: Provider } = await import(lib);
  const prefix = new URL(cfg.issuer).pathname.replace(/\/+$/, '');
  const keys = [newKey()];
  const P = Provider as any;
  let logins = 0;
  const make = () => {
    const provider = new P(cfg.issuer, {
      clients: cfg.clients.map((c) => ({
        client_id: c.client_id,
        ...(c.public ? { token_endpoint_auth_method: 'none', application_type: 'native' } : { client_secret: c.client_secret }),
        redirect_uris: c.redirect_uris,
        post_logout_redirect_uris: c.post_logout_redirect_uris ?? [],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      })),
      async findAccount(_ctx: unknown, id: string) {
        const u = cfg.users[id];
        if (!u) return undefined;
        return {
          accountId: id,
          async claims() {
            return { sub: id, email: u.email, email_verified: true, name: u.name ?? id, preferred_username: id, groups: u.groups ?? [] };
          },
        };
      },
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'], groups: ['groups'] },
      scopes: ['openid', 'offline_access', 'email', 'profile', 'groups'],
      conformIdTokenClaims: false,
      // a refresh token with every code (oidc-provider drops offline_access without prompt=consent; Dex does not)
      issueRefreshToken: async (_ctx: unknown, client: any) => client.grantTypeAllowed('refresh_token'),
      jwks: { keys },
      cookies: { keys: [randomBytes(16).toString('hex')] },
      pkce: { required: () => false },
      ttl: { IdToken: cfg.idTokenTtl ?? 3600, AccessToken: 3600, AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 3600 },
      features: { devInteractions: { enabled: false }, revocation: { enabled: true }, rpInitiatedLogout: { enabled: true } },
      interactions: { url: (_ctx: unknown, i: { uid: string }) => `${prefix}/interaction/${i.uid}` },
      async loadExistingGrant(ctx: any) {
        const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
        if (grantId) {
          const g = await ctx.oidc.provider.Grant.find(grantId);
          if (g) return g;
        }
        const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
        grant.addOIDCScope('openid email profile groups offline_access');
        await grant.save();
        return grant;
      },
    });
    // behind argocd-server's /api/dex proxy: the public host and scheme come in X-Forwarded-*
    provider.proxy = true;
    return provider;
  };
  let provider = make();
  let callback = provider.callback();
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    try {
      const url = req.url ?? '/';
      if (!url.startsWith(prefix + '/') && url !== prefix) {
        res.writeHead(404);
        return void res.end('not under the issuer path');
      }
      const rest = url.slice(prefix.length) || '/';
      if (rest === '/_rotate' && req.method === 'POST') {
        keys.unshift(newKey());
        provider = make();
        callback = provider.callback();
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ kids: keys.map((k) => k.kid) }));
      }
      if (rest === '/_stats') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ logins }));
      }
      const m = /^\/interaction\/([^/?]+)(\/login)?/.exec(rest);
      if (m) {
        const details = await provider.interactionDetails(req, res);
        if (details.prompt.name === 'consent') {
          // no approval screen (as Dex's skipApprovalScreen): everything asked is granted
          const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
          const d = details.prompt.details ?? {};
          if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
          if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
          for (const [ind, scopes] of Object.entries(d.missingResourceScopes ?? {})) grant.addResourceScope(ind, (scopes as string[]).join(' '));
          const grantId = await grant.save();
          return void (await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true }));
        }
        if (!m[2]) {
          res.writeHead(200, { 'content-type': 'text/html' });
          return void res.end(loginForm(details.uid, prefix));
        }
        const f = await readForm(req);
        const login = f.get('login') ?? '';
        const u = cfg.users[login];
        if (!u || u.password !== f.get('password')) {
          res.writeHead(200, { 'content-type': 'text/html' });
          return void res.end(loginForm(details.uid, prefix, 'Invalid username or password'));
        }
        logins++;
        return void (await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false }));
      }
      (req as any).originalUrl = url;
      req.url = rest;
      callback(req, res);
    } catch (e) {
      process.stderr.write(`idp: ${(e as Error).stack}\n`);
      if (!res.headersSent) res.writeHead(500);
      res.end(String((e as Error).message));
    }
  });
  await new Promise<void>((r) => server.listen(cfg.port, '127.0.0.1', () => r()));
  process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`);
}

/** Spawns the IdP process and waits until it serves its discovery document. */
export async function startTestIdp(cfg: IdpConfig): Promise<TestIdp> {
  const self = fileURLToPath(import.meta.url);
  const code = `import(${JSON.stringify(self)}).then((m) => m.runIdp(JSON.parse(process.env.IDP_CONFIG)))`;
  const proc = spawn(process.execPath, ['--input-type=module', '-e', code], { env: { ...process.env, IDP_CONFIG: JSON.stringify(cfg) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const end = Date.now() + 30_000;
  let port = 0;
  while (!port) {
    const m = /listening (\d+)/.exec(out);
    if (m) port = Number(m[1]);
    else if (proc.exitCode !== null) throw new Error(`test IdP exited (${proc.exitCode}):\n${out}`);
    else if (Date.now() > end) {
      proc.kill('SIGKILL');
      throw new Error(`test IdP did not start:\n${out}`);
    }
    else await new Promise((r) => setTimeout(r, 50));
  }
  const issuer = cfg.issuer;
  const base = `http://127.0.0.1:${port}${new URL(issuer).pathname.replace(/\/+$/, '')}`;
  return {
    issuer,
    port,
    proc,
    logs: () => out,
    async rotate() {
      const r = await fetch(`${base}/_rotate`, { method: 'POST' });
      if (!r.ok) throw new Error(`rotate: ${r.status}`);
    },
    async stop() {
      if (proc.exitCode !== null) return;
      const done = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await done;
    },
  };
}
