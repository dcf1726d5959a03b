/**
 * Test helpers: a stand-in HTTP(S) server for an internet service (GitHub, GitLab, Microsoft,
 * LinkedIn) on loopback, the OAuth2 authorization-server half they share (authorize → code →
 * token, refresh tokens, bearer tokens), and a "browser" that follows the connector's login URL to
 * the callback.
 */
import http from 'node:http';
import https from 'node:https';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { httpRequest } from '../oauth2.js';

export interface StandInRequest { method: string; url: URL; headers: http.IncomingHttpHeaders; body: string }
export interface StandInResponse { status?: number; json?: unknown; text?: string; headers?: Record<string, string> }
export type Handler = (req: StandInRequest) => StandInResponse | undefined | Promise<StandInResponse | undefined>;

export interface StandIn {
  url: string;
  requests: StandInRequest[];
  close(): Promise<void>;
}

export async function startStandIn(handler: Handler, tls?: { cert: string; key: string }): Promise<StandIn> {
  const requests: StandInRequest[] = [];
  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const r: StandInRequest = { method: req.method ?? 'GET', url: new URL(req.url ?? '/', 'http://standin'), headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(r);
      let out: StandInResponse | undefined;
      try {
        out = (await handler(r)) ?? { status: 404, json: { message: 'Not Found' } };
      } catch (e) {
        out = { status: 500, json: { message: (e as Error).message } };
      }
      const headers = { ...out.headers };
      let body = out.text ?? '';
      if (out.json !== undefined) {
        body = JSON.stringify(out.json);
        headers['content-type'] ??= 'application/json';
      }
      res.writeHead(out.status ?? 200, headers);
      res.end(body);
    });
  };
  // loopback tests share one host, so a browser sends the stand-in Argo CD's cookies too: take what GitHub's front ends take
  const maxHeaderSize = 1 << 20;
  const server = tls ? https.createServer({ cert: tls.cert, key: tls.key, maxHeaderSize }, listener) : http.createServer({ maxHeaderSize }, listener);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

interface Grant { user: string; clientID: string; redirectURI: string; scope: string }

/** The OAuth2 authorization server part of a stand-in: one registered client, users "logged in" by the test. */
export class OAuthStandIn {
  /** who is logged in at the upstream in the test's browser; undefined = the user denies access */
  loggedIn: string | undefined;
  private codes = new Map<string, Grant>();
  private tokens = new Map<string, Grant>();
  private refreshTokens = new Map<string, Grant>();
  authorizeRequests: URLSearchParams[] = [];

  constructor(readonly clientID: string, readonly clientSecret: string, readonly redirectURIs: string[]) {}

  authorize(q: URLSearchParams): StandInResponse {
    this.authorizeRequests.push(q);
    if (q.get('client_id') !== this.clientID) return { status: 400, text: 'unknown client_id' };
    const redirect = q.get('redirect_uri') ?? '';
    if (!this.redirectURIs.includes(redirect)) return { status: 400, text: 'redirect_uri not registered' };
    const back = new URL(redirect);
    if (q.get('state')) back.searchParams.set('state', q.get('state')!);
    if (!this.loggedIn) {
      back.searchParams.set('error', 'access_denied');
      back.searchParams.set('error_description', 'The user has denied your application access.');
    } else {
      const code = randomBytes(12).toString('hex');
      this.codes.set(code, { user: this.loggedIn, clientID: this.clientID, redirectURI: redirect, scope: q.get('scope') ?? '' });
      back.searchParams.set('code', code);
    }
    return { status: 302, headers: { location: back.toString() } };
  }

  /** a token endpoint: form body, client credentials in the body or as HTTP Basic */
  token(req: StandInRequest, extra: (g: Grant) => Record<string, unknown> = () => ({})): StandInResponse {
    const f = new URLSearchParams(req.body);
    let id = f.get('client_id');
    let secret = f.get('client_secret');
    const basic = /^Basic (.+)$/.exec(String(req.headers.authorization ?? ''));
    if (basic) [id, secret] = Buffer.from(basic[1]!, 'base64').toString().split(':').map(decodeURIComponent) as [string, string];
    if (id !== this.clientID || secret !== this.clientSecret) return { status: 401, json: { error: 'invalid_client', error_description: 'client authentication failed' } };
    let grant: Grant | undefined;
    const type = f.get('grant_type') ?? 'authorization_code';
    if (type === 'authorization_code') {
      grant = this.codes.get(f.get('code') ?? '');
      this.codes.delete(f.get('code') ?? '');
      if (!grant || grant.redirectURI !== f.get('redirect_uri')) return { status: 400, json: { error: 'invalid_grant', error_description: 'bad or reused code' } };
    } else if (type === 'refresh_token') {
      grant = this.refreshTokens.get(f.get('refresh_token') ?? '');
      this.refreshTokens.delete(f.get('refresh_token') ?? ''); // rotated, as GitLab and Microsoft do
      if (!grant) return { status: 400, json: { error: 'invalid_grant', error_description: 'unknown refresh token' } };
    } else return { status: 400, json: { error: 'unsupported_grant_type' } };
    const access = randomBytes(16).toString('hex');
    const refresh = randomBytes(16).toString('hex');
    this.tokens.set(access, grant);
    this.refreshTokens.set(refresh, grant);
    return { json: { access_token: access, token_type: 'bearer', refresh_token: refresh, expires_in: 3600, scope: grant.scope, ...extra(grant) } };
  }

  /** the user a bearer token belongs to */
  bearer(req: StandInRequest): Grant | undefined {
    const m = /^(?:Bearer|token) (.+)$/i.exec(String(req.headers.authorization ?? ''));
    return m ? this.tokens.get(m[1]!) : undefined;
  }
}

/** The browser's part: open the login URL at the stand-in and return the callback's query. */
export async function browse(loginURL: string, ca?: string): Promise<URLSearchParams> {
  const res = await httpRequest(loginURL, {}, { ca });
  if (res.status !== 302 || !res.headers.location) throw new Error(`the authorize endpoint answered ${res.status}: ${res.text}`);
  return new URL(res.headers.location).searchParams;
}

/** paging like GitHub's: `per_page` (default 30, at most 100) and `page`, with a Link header */
export function paged<T>(req: StandInRequest, base: string, items: T[]): StandInResponse {
  const per = Math.min(Number(req.url.searchParams.get('per_page') ?? 30), 100);
  const page = Number(req.url.searchParams.get('page') ?? 1);
  const slice = items.slice((page - 1) * per, page * per);
  const headers: Record<string, string> = {};
  if (page * per < items.length) {
    const next = new URL(req.url.pathname + req.url.search, base);
    next.searchParams.set('page', String(page + 1));
    headers.link = `<${next}>; rel="next", <${base}${req.url.pathname}?page=1>; rel="first"`;
  }
  return { json: slice, headers };
}
