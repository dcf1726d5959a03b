/**
 * The OAuth2 plumbing the github, gitlab, microsoft and linkedin connectors share: the authorize URL,
 * the code (and refresh-token) exchange, JSON API calls with a bearer token, and `Link` / OData
 * paging. Plain node:http(s) so a connector's `rootCA` applies. Tokens and client secrets never
 * appear in errors or logs.
 */
import http from 'node:http';
import https from 'node:https';

export interface HttpOptions {
  /** extra trusted CAs (PEM), e.g. GitHub Enterprise's rootCA */
  ca?: string;
  timeoutMs?: number;
}

export interface HttpResponse { status: number; headers: http.IncomingHttpHeaders; text: string }

export function httpRequest(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}, opts: HttpOptions = {}): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : u.protocol === 'http:' ? http : undefined;
    if (!mod) return reject(new Error(`unsupported URL scheme in ${u.origin}`));
    const headers: Record<string, string> = { 'user-agent': 'flotilla-dex', ...init.headers };
    if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));
    const req = mod.request(u, {
      method: init.method ?? 'GET',
      headers,
      // like Dex's rootCA, the given CA replaces the system's for this connector
      ...(u.protocol === 'https:' && opts.ca ? { ca: opts.ca } : {}),
      timeout: opts.timeoutMs ?? 15_000,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeoutMs ?? 15_000} ms`)));
    req.on('error', (e) => reject(new Error(`${init.method ?? 'GET'} ${u.origin}${u.pathname}: ${e.message}`)));
    if (init.body !== undefined) req.write(init.body);
    req.end();
  });
}

export function authorizeURL(endpoint: string, params: Record<string, string | undefined>): string {
  const u = new URL(endpoint);
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') u.searchParams.set(k, v);
  return u.toString();
}

export interface TokenResponse { access_token: string; token_type?: string; refresh_token?: string; expires_in?: number; scope?: string; id_token?: string }

/** `error` / `error_description` of an authorization response, or a state that is not ours, is an error */
export function checkCallback(prefix: string, params: URLSearchParams, state: string): string {
  const err = params.get('error');
  if (err) {
    const desc = params.get('error_description');
    throw new Error(`${prefix}: the login was refused: ${err}${desc ? `: ${desc}` : ''}`);
  }
  const got = params.get('state');
  if (got !== null && got !== state) throw new Error(`${prefix}: the callback's state does not belong to this login`);
  const code = params.get('code');
  if (!code) throw new Error(`${prefix}: the callback has no code`);
  return code;
}

/** POST to a token endpoint (client credentials in the body, as GitHub, GitLab, Microsoft and LinkedIn document) */
export async function tokenRequest(prefix: string, tokenURL: string, form: Record<string, string | undefined>, opts: HttpOptions = {}): Promise<TokenResponse> {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) if (v !== undefined) body.set(k, v);
  let res: HttpResponse;
  try {
    res = await httpRequest(tokenURL, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: body.toString(),
    }, opts);
  } catch (e) {
    throw new Error(`${prefix}: token request to ${tokenURL} failed: ${(e as Error).message}`);
  }
  let parsed: Record<string, unknown>;
  try {
    parsed = /json/.test(String(res.headers['content-type'])) || res.text.trimStart().startsWith('{')
      ? JSON.parse(res.text)
      : Object.fromEntries(new URLSearchParams(res.text));
  } catch {
    throw new Error(`${prefix}: token endpoint ${tokenURL} answered ${res.status} with a body that is not JSON`);
  }
  if (res.status >= 400 || parsed.error) {
    const what = [parsed.error, parsed.error_description].filter(Boolean).join(': ') || `HTTP ${res.status}`;
    throw new Error(`${prefix}: token endpoint ${tokenURL} refused the ${form.grant_type === 'refresh_token' ? 'refresh token' : 'code'}: ${what}`);
  }
  if (typeof parsed.access_token !== 'string' || !parsed.access_token) throw new Error(`${prefix}: token endpoint ${tokenURL} returned no access_token`);
  return parsed as unknown as TokenResponse;
}

export interface ApiResponse<T> { status: number; body: T; headers: http.IncomingHttpHeaders }

/** a JSON API call with a bearer token; non-2xx is an error naming the URL (not the token) */
export async function apiJSON<T>(prefix: string, url: string, token: string, opts: HttpOptions & { method?: string; body?: unknown; headers?: Record<string, string>; allow?: number[] } = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json', ...opts.headers };
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  const path = new URL(url);
  const shown = `${opts.method ?? 'GET'} ${path.origin}${path.pathname}`;
  let res: HttpResponse;
  try {
    res = await httpRequest(url, { method: opts.method, headers, body }, opts);
  } catch (e) {
    throw new Error(`${prefix}: ${shown} failed: ${(e as Error).message}`);
  }
  if (opts.allow?.includes(res.status)) return { status: res.status, body: undefined as T, headers: res.headers };
  if (res.status < 200 || res.status >= 300) {
    let detail = '';
    try {
      const j = JSON.parse(res.text) as { message?: string; error?: { message?: string } | string };
      detail = j.message ?? (typeof j.error === 'string' ? j.error : j.error?.message) ?? '';
    } catch { /* not JSON */ }
    throw new Error(`${prefix}: ${shown} answered ${res.status}${detail ? `: ${detail}` : ''}`);
  }
  if (res.status === 204 || res.text === '') return { status: res.status, body: undefined as T, headers: res.headers };
  try {
    return { status: res.status, body: JSON.parse(res.text) as T, headers: res.headers };
  } catch {
    throw new Error(`${prefix}: ${shown} answered a body that is not JSON`);
  }
}

/** the `rel="next"` URL of an RFC 8288 Link header (GitHub's and GitLab's paging) */
export function nextLink(link: string | string[] | undefined): string | undefined {
  const s = Array.isArray(link) ? link.join(',') : link;
  if (!s) return undefined;
  for (const part of s.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?([^";]+)"?/.exec(part.trim());
    if (m && m[2]!.split(/\s+/).includes('next')) return m[1];
  }
  return undefined;
}

/** every page of a list endpoint that pages with Link headers */
export async function allPages<T>(prefix: string, url: string, token: string, opts: HttpOptions = {}, maxPages = 100): Promise<T[]> {
  const out: T[] = [];
  let next: string | undefined = url;
  for (let i = 0; next && i < maxPages; i++) {
    const res: ApiResponse<T[]> = await apiJSON<T[]>(prefix, next, token, opts);
    if (!Array.isArray(res.body)) throw new Error(`${prefix}: ${new URL(next).pathname} did not answer a list`);
    out.push(...res.body);
    next = nextLink(res.headers.link);
  }
  return out;
}
