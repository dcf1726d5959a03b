/**
 * An independent upstream OpenID Connect provider for tests and benchmarks (not the broker): its own
 * oidc-provider instance in its own process, its own users and login form. Started as
 *   node dist/testing/upstream-idp.js '<json: {port?, clients: ClientMetadata[], users?: User[]}>'
 * it prints `listening <issuer>` on stdout. `startUpstreamIdP` does that from a test.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTLSServer } from 'node:https';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Provider, { type ClientMetadata } from 'oidc-provider';

export interface UpstreamUser {
  login: string;
  password: string;
  sub: string;
  name: string;
  email: string;
  email_verified?: boolean;
  groups: string[];
}

export const DEFAULT_USERS: UpstreamUser[] = [
  { login: 'alice', password: 'alice-pw', sub: 'alice-0001', name: 'Alice Liddell', email: 'alice@example.com', email_verified: true, groups: ['devs', 'admins'] },
  { login: 'bob', password: 'bob-pw', sub: 'bob-0002', name: 'Bob Builder', email: 'bob@example.com', email_verified: true, groups: [] },
];

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export interface UpstreamOptions {
  port?: number;
  clients: ClientMetadata[];
  users?: UpstreamUser[];
  /** true: the ID token carries only sub and the like, the other claims come from userinfo (OIDC's default) */
  conformIdTokenClaims?: boolean;
  /** the issuer's host name (default 127.0.0.1; e.g. host.flotilla.internal for pods) */
  issuerHost?: string;
  /** serve HTTPS with this certificate and key (PEM) */
  tls?: { cert: string; key: string };
}

async function serve(o: UpstreamOptions): Promise<void> {
  const users = o.users ?? DEFAULT_USERS;
  const server = o.tls ? createTLSServer({ cert: o.tls.cert, key: o.tls.key }) : createServer();
  await new Promise<void>((r) => server.listen(o.port ?? 0, '127.0.0.1', r));
  const issuer = `${o.tls ? 'https' : 'http'}://${o.issuerHost ?? '127.0.0.1'}:${(server.address() as { port: number }).port}`;
  const provider = new Provider(issuer, {
    clients: o.clients,
    findAccount: async (_ctx, sub) => {
      const u = users.find((x) => x.sub === sub);
      if (!u) return undefined;
      return { accountId: sub, claims: async () => ({ sub, name: u.name, preferred_username: u.login, email: u.email, email_verified: u.email_verified, groups: u.groups }) };
    },
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email', 'email_verified'], groups: ['groups'] },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'groups'],
    conformIdTokenClaims: o.conformIdTokenClaims ?? false,
    features: { devInteractions: { enabled: false }, userinfo: { enabled: true } },
    routes: { userinfo: '/me' },
    interactions: { url: (_ctx, i) => `/login/${i.uid}` },
    cookies: { keys: ['upstream-test-key'] },
    issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
  });
  const page = (uid: string, error = '') =>
    `<!DOCTYPE html><html><body><h1>Upstream IdP</h1>${error ? `<p class="error">${esc(error)}</p>` : ''}<form method="post" action="/login/${uid}"><input name="username"><input name="password" type="password"><button>Sign in</button></form></body></html>`;
  const cb = provider.callback();
  server.on('request', async (req: IncomingMessage, res: ServerResponse) => {
    const m = /^\/login\/([\w-]+)$/.exec((req.url ?? '').split('?')[0]!);
    if (!m) return void cb(req, res);
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === 'consent') {
        const g = new provider.Grant({ accountId: details.session!.accountId, clientId: String(details.params.client_id) });
        g.addOIDCScope(String(details.params.scope));
        return void (await provider.interactionFinished(req, res, { consent: { grantId: await g.save() } }, { mergeWithLastSubmission: true }));
      }
      if (req.method !== 'POST') {
        res.writeHead(200, { 'content-type': 'text/html' });
        return void res.end(page(m[1]!));
      }
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const form = new URLSearchParams(Buffer.concat(chunks).toString());
      const u = users.find((x) => x.login === form.get('username') && x.password === form.get('password'));
      if (!u) {
        res.writeHead(200, { 'content-type': 'text/html' });
        return void res.end(page(m[1]!, 'Wrong username or password'));
      }
      const g = new provider.Grant({ accountId: u.sub, clientId: String(details.params.client_id) });
      g.addOIDCScope(String(details.params.scope));
      await provider.interactionFinished(req, res, { login: { accountId: u.sub }, consent: { grantId: await g.save() } }, { mergeWithLastSubmission: false });
    } catch (e) {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(`upstream: ${(e as Error).message}`);
    }
  });
  process.stdout.write(`listening ${issuer}\n`);
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

export interface UpstreamIdP {
  issuer: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the upstream IdP as its own process (killed by stop()). */
export async function startUpstreamIdP(o: UpstreamOptions): Promise<UpstreamIdP> {
  const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), JSON.stringify(o)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const issuer = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    proc.on('exit', (code) => reject(new Error(`upstream IdP exited (${code}) before listening`)));
  });
  return {
    issuer,
    proc,
    stop: () =>
      new Promise<void>((r) => {
        if (proc.exitCode !== null) return r();
        proc.once('exit', () => r());
        proc.kill('SIGTERM');
      }),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  serve(JSON.parse(process.argv[2] ?? '{}')).catch((e) => {
    process.stderr.write(`upstream IdP: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
