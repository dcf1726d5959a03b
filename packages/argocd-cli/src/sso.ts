/**
 * `argocd login --sso` / `argocd relogin`: the authorization code flow with PKCE for the CLI's
 * public client (`oidc.config`'s `cliClientID`, else its `clientID`; `argo-cd-cli` with
 * `dex.config`), a local callback server on `--sso-port` (`http://localhost:<port>/auth/callback`),
 * the URL to open printed (and handed to the system browser when there is a desktop). The broker of
 * `dex.config` is reached through argocd-server (`<server>/api/dex`), as the browser reaches it.
 */
import { createServer, type Server } from 'node:http';
import { spawn } from 'node:child_process';
import * as oidc from 'openid-client';
import { makeFetch } from '@flotilla/argocd-server/sso/fetch';
import type { ApiClient } from './client.js';
import { CliError } from './session.js';
import { println } from '@flotilla/cli-kit/io';

export interface SsoLoginOptions {
  port: number;
  /** `--callback`: scheme, host and port of the redirect URL */
  callback?: string;
  insecure: boolean;
  launchBrowser: boolean;
  timeoutMs?: number;
}

export interface SsoTokens {
  idToken: string;
  refreshToken?: string;
}

const DEFAULT_SCOPES = ['openid', 'profile', 'email', 'groups', 'offline_access'];
/** a token this close to its expiry is renewed before it is used */
const REFRESH_MARGIN_MS = 5_000;

/** The provider, client and scopes the CLI logs in with, from `/api/v1/settings`. */
export function cliProvider(settings: any, serverBase: string): { issuer: string; clientID: string; scopes: string[]; rewrite?: { from: string; to: string } } {
  if (settings?.oidcConfig?.issuer) {
    const o = settings.oidcConfig;
    const scopes: string[] = Array.isArray(o.scopes) && o.scopes.length ? o.scopes : DEFAULT_SCOPES;
    return { issuer: o.issuer, clientID: o.cliClientID || o.clientID, scopes: scopes.includes('openid') ? scopes : ['openid', ...scopes] };
  }
  if (settings?.dexConfig && settings.url) {
    const issuer = `${String(settings.url).replace(/\/+$/, '')}/api/dex`;
    // the broker issues refresh tokens for offline_access: an expired session renews without a browser
    return { issuer, clientID: 'argo-cd-cli', scopes: DEFAULT_SCOPES, rewrite: { from: issuer, to: serverBase } };
  }
  throw new CliError('the server has no SSO configured (no oidc.config or dex.config in argocd-cm): log in with --username and --password');
}

function listen(port: number, host: string, handler: Parameters<typeof createServer>[1]): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const s = createServer(handler);
    s.once('error', () => resolve(undefined));
    s.listen(port, host, () => resolve(s));
  });
}

function openBrowser(url: string): void {
  if (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY && process.platform === 'linux') return;
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const p = spawn(cmd, [url], { stdio: 'ignore', detached: true });
    p.on('error', () => {});
    p.unref();
  } catch {
    /* printing the URL is enough */
  }
}

const DONE_PAGE = '<!doctype html><html><head><meta charset="utf-8"><title>Argo CD</title></head><body><h1>Authentication successful!</h1><p>You may now close this window and return to the CLI.</p></body></html>';

/** Runs the flow: prints the URL, waits for the browser to come back, exchanges the code. */
export async function ssoLogin(client: ApiClient, o: SsoLoginOptions): Promise<SsoTokens> {
  const settings = await client.get<any>('/api/v1/settings');
  const serverBase = client.base.origin;
  const p = cliProvider(settings, serverBase);
  const fetchFn = makeFetch({ rewrite: p.rewrite, insecure: o.insecure });
  let cfg: oidc.Configuration;
  try {
    cfg = await oidc.discovery(new URL(p.issuer), p.clientID, undefined, oidc.None(), {
      [oidc.customFetch]: fetchFn as any,
      execute: p.issuer.startsWith('http:') || p.rewrite?.to.startsWith('http:') ? [oidc.allowInsecureRequests] : [],
    });
  } catch (e) {
    throw new CliError(`OIDC discovery of ${p.issuer} failed: ${(e as Error).message}`);
  }
  cfg[oidc.customFetch] = fetchFn as any;
  if (p.rewrite?.to.startsWith('http:')) oidc.allowInsecureRequests(cfg);
  const callbackBase = (o.callback || `http://localhost:${o.port}`).replace(/\/+$/, '');
  const redirectUri = `${callbackBase}/auth/callback`;
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(cfg, {
    redirect_uri: redirectUri,
    scope: p.scopes.join(' '),
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });

  let settle!: (v: SsoTokens | Error) => void;
  const result = new Promise<SsoTokens | Error>((r) => (settle = r));
  const handler: Parameters<typeof createServer>[1] = (req, res) => {
    const u = new URL(req.url ?? '/', callbackBase);
    if (u.pathname !== '/auth/callback') {
      res.writeHead(404);
      return void res.end('not found');
    }
    const fail = (status: number, msg: string) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`${msg}\n`);
      return msg;
    };
    if (u.searchParams.get('error')) return void settle(new CliError(fail(400, `login failed: ${u.searchParams.get('error')}: ${u.searchParams.get('error_description') ?? ''}`)));
    if (u.searchParams.get('state') !== state) {
      // someone else's redirect: refused, the login goes on waiting for ours
      fail(400, 'Unknown state: this callback does not belong to the login in progress');
      return;
    }
    oidc
      .authorizationCodeGrant(cfg, new URL(`${redirectUri}${u.search}`), { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true })
      .then((t) => {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(DONE_PAGE);
        settle({ idToken: t.id_token!, refreshToken: t.refresh_token });
      })
      .catch((e) => settle(new CliError(fail(401, `login failed: ${(e as Error).message}`))));
  };
  const port = Number(new URL(callbackBase).port || 80);
  const servers = (await Promise.all([listen(port, '127.0.0.1', handler), listen(port, '::1', handler)])).filter((s): s is Server => !!s);
  if (!servers.length) throw new CliError(`cannot listen on localhost:${port} for the SSO callback: pick another port with --sso-port`);
  try {
    println(`Opening browser for authentication`);
    println(`Performing authorization_code flow login: ${url}`);
    if (o.launchBrowser) openBrowser(url.toString());
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<Error>((r) => (timer = setTimeout(() => r(new CliError('SSO login timed out: no callback from the browser')), o.timeoutMs ?? 5 * 60_000)));
    const r = await Promise.race([result, timeout]);
    clearTimeout(timer);
    if (r instanceof Error) throw r;
    return r;
  } finally {
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
  }
}

/** Exchanges a refresh token for new tokens (a context logged in through SSO whose ID token expired). */
export async function ssoRefresh(client: ApiClient, refreshToken: string, insecure: boolean): Promise<SsoTokens> {
  const settings = await client.get<any>('/api/v1/settings');
  const p = cliProvider(settings, client.base.origin);
  const fetchFn = makeFetch({ rewrite: p.rewrite, insecure });
  const insecureHttp = p.issuer.startsWith('http:') || !!p.rewrite?.to.startsWith('http:');
  const cfg = await oidc.discovery(new URL(p.issuer), p.clientID, undefined, oidc.None(), { [oidc.customFetch]: fetchFn as any, execute: insecureHttp ? [oidc.allowInsecureRequests] : [] });
  cfg[oidc.customFetch] = fetchFn as any;
  const t = await oidc.refreshTokenGrant(cfg, refreshToken);
  if (!t.id_token) throw new CliError('the identity provider answered the refresh without an ID token');
  return { idToken: t.id_token, refreshToken: t.refresh_token ?? refreshToken };
}

/**
 * Before a command uses the context's SSO token: when it has expired (or is about to) and the context
 * holds a refresh token, new tokens are fetched and written to the config, as upstream's client does.
 * Failures leave the token as it is (the server then answers Unauthenticated: run `argocd relogin`).
 */
export async function refreshIfExpired(client: ApiClient, cfgPath: string, contextName: string, insecure: boolean): Promise<void> {
  const { readConfig, resolveContext, jwtClaims, upsertUser, writeConfig } = await import('./config.js');
  const cfg = readConfig(cfgPath);
  if (!cfg) return;
  const ctx = resolveContext(cfg, contextName);
  const c = jwtClaims(ctx.user['auth-token']);
  const refresh = ctx.user['refresh-token'];
  if (!refresh || !c.iss || c.iss === 'argocd' || typeof c.exp !== 'number' || c.exp * 1000 > Date.now() + REFRESH_MARGIN_MS) return;
  try {
    const t = await ssoRefresh(client, refresh, insecure);
    client.token = t.idToken;
    upsertUser(cfg, { name: ctx.user.name, 'auth-token': t.idToken, 'refresh-token': t.refreshToken });
    writeConfig(cfgPath, cfg);
  } catch {
    /* the old token goes to the server, which says what is wrong */
  }
}
