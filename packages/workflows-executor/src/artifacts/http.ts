/**
 * HTTP and Artifactory artifacts: download (GET), upload (PUT of the staged file) and delete
 * (DELETE, Artifactory only). Authentication as upstream's HTTP artifact: headers, `basicAuth`,
 * `bearer` (a token Secret), `oauth2` (client-credentials grant: the token endpoint's access token
 * is sent as a Bearer token) and `clientCert` (a TLS client certificate and key from Secrets);
 * an Artifactory artifact sends its `usernameSecret`/`passwordSecret` as basic auth.
 */
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createReadStream, createWriteStream, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ArtifactoryArtifact, HTTPArtifact, HTTPAuth, SecretReader } from './types.js';
import { withRetries } from './retry.js';

interface Req {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** a file sent as the body, or a string */
  file?: string;
  body?: string;
  cert?: string;
  key?: string;
}

const httpError = (status: number, text: string) => Object.assign(new Error(`HTTP ${status}${text ? ` ${text}` : ''}`), { $metadata: { httpStatusCode: status } });

/** One request (redirects followed); resolves with the response, its body not yet read. */
export function send(r: Req, redirects = 10): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const u = new URL(r.url);
    const headers: OutgoingHttpHeaders = { ...r.headers };
    if (u.username || u.password) headers.authorization ??= `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
    if (r.file) headers['content-length'] = statSync(r.file).size;
    else if (r.body !== undefined) headers['content-length'] = Buffer.byteLength(r.body);
    const fn = u.protocol === 'https:' ? httpsRequest : u.protocol === 'http:' ? httpRequest : undefined;
    if (!fn) return reject(new Error(`unsupported URL scheme ${u.protocol}`));
    const req = fn(u, { method: r.method, headers, ...(u.protocol === 'https:' && r.cert ? { cert: r.cert, key: r.key } : {}) }, (res) => {
      const st = res.statusCode ?? 0;
      // redirects: any for GET/HEAD; 307/308 (which keep the method and body: WebHDFS's CREATE) for the others
      if (st >= 300 && st < 400 && res.headers.location && redirects > 0 && (r.method === 'GET' || r.method === 'HEAD' || st === 307 || st === 308)) {
        res.resume();
        resolve(send({ ...r, url: new URL(res.headers.location, u).toString() }, redirects - 1));
        return;
      }
      resolve(res);
    });
    req.on('error', reject);
    if (r.file) pipeline(createReadStream(r.file), req).catch(reject);
    else req.end(r.body);
  });
}

async function text(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A request retried on transient errors and 5xx answers; the answer of a 2xx-4xx status is returned. */
async function sendRetried(r: Req): Promise<IncomingMessage> {
  return withRetries(async () => {
    const res = await send(r);
    if ((res.statusCode ?? 0) >= 500) {
      const t = (await text(res)).trim().slice(0, 200);
      throw httpError(res.statusCode!, t);
    }
    return res;
  });
}

/** The access token of an OAuth2 client-credentials grant (credentials in the Authorization header, else in the form). */
export async function oauth2Token(o: NonNullable<HTTPAuth['oauth2']>, secret: SecretReader): Promise<string> {
  if (!o.clientIDSecret || !o.clientSecretSecret || !o.tokenURLSecret) throw new Error('oauth2 needs clientIDSecret, clientSecretSecret and tokenURLSecret');
  const [id, sec, tokenURL] = [await secret(o.clientIDSecret), await secret(o.clientSecretSecret), (await secret(o.tokenURLSecret)).trim()];
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (o.scopes?.length) form.set('scope', o.scopes.join(' '));
  for (const p of o.endpointParams ?? []) form.append(p.key, p.value ?? '');
  const ask = async (inHeader: boolean) => {
    const f = new URLSearchParams(form);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (inHeader) headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(sec)}`).toString('base64')}`;
    else {
      f.set('client_id', id);
      f.set('client_secret', sec);
    }
    const res = await sendRetried({ method: 'POST', url: tokenURL, headers, body: f.toString() });
    return { status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: await text(res) };
  };
  let r = await ask(true);
  if (r.status >= 400) r = await ask(false);
  if (r.status < 200 || r.status >= 300) throw new Error(`oauth2: cannot fetch token from ${tokenURL}: HTTP ${r.status} ${r.body.trim().slice(0, 200)}`);
  let token: string | undefined;
  if (/json/.test(r.type) || r.body.trimStart().startsWith('{')) {
    try {
      token = (JSON.parse(r.body) as { access_token?: string }).access_token;
    } catch {
      /* not JSON after all */
    }
  }
  token ??= new URLSearchParams(r.body).get('access_token') ?? undefined;
  if (!token) throw new Error(`oauth2: the token endpoint ${tokenURL} answered no access_token`);
  return token;
}

/** The headers and TLS client certificate of an HTTP or Artifactory artifact. */
export async function authOf(a: { http?: HTTPArtifact; artifactory?: ArtifactoryArtifact }, secret: SecretReader): Promise<Pick<Req, 'headers' | 'cert' | 'key'>> {
  const headers: Record<string, string> = {};
  const out: Pick<Req, 'headers' | 'cert' | 'key'> = { headers };
  const basic = async (u?: Parameters<SecretReader>[0], p?: Parameters<SecretReader>[0]) => {
    if (u || p) headers.authorization = `Basic ${Buffer.from(`${u ? await secret(u) : ''}:${p ? await secret(p) : ''}`).toString('base64')}`;
  };
  if (a.artifactory) {
    await basic(a.artifactory.usernameSecret, a.artifactory.passwordSecret);
    return out;
  }
  const h = a.http!;
  for (const x of h.headers ?? []) headers[x.name] = x.value;
  const auth = h.auth ?? {};
  if (auth.basicAuth) await basic(auth.basicAuth.usernameSecret, auth.basicAuth.passwordSecret);
  if (auth.bearer?.tokenSecret) headers.authorization = `Bearer ${(await secret(auth.bearer.tokenSecret)).trim()}`;
  if (auth.oauth2) headers.authorization = `Bearer ${await oauth2Token(auth.oauth2, secret)}`;
  if (auth.clientCert?.clientCertSecret) {
    out.cert = await secret(auth.clientCert.clientCertSecret);
    if (auth.clientCert.clientKeySecret) out.key = await secret(auth.clientCert.clientKeySecret);
  }
  return out;
}

const urlOf = (a: { http?: HTTPArtifact; artifactory?: ArtifactoryArtifact }) => (a.artifactory ? a.artifactory.url : a.http!.url);

const failure = (what: string, url: string, e: unknown) => {
  const c = (e as { cause?: { message?: string } }).cause;
  return new Error(`failed to ${what} ${url}: ${c?.message ?? (e as Error).message}`);
};

/** GET to `dest`; throws `HTTP 404` (and other statuses) naming the URL. */
export async function httpDownload(a: { http?: HTTPArtifact; artifactory?: ArtifactoryArtifact }, dest: string, secret: SecretReader): Promise<void> {
  const url = urlOf(a);
  let res: IncomingMessage;
  try {
    res = await sendRetried({ method: 'GET', url, ...(await authOf(a, secret)) });
  } catch (e) {
    throw failure('download', url, e);
  }
  if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) {
    res.resume();
    throw new Error(`failed to download ${url}: HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trimEnd());
  }
  mkdirSync(dirname(dest), { recursive: true });
  await pipeline(res, createWriteStream(dest));
}

/** PUT of the staged file; any 2xx is success. */
export async function httpUpload(a: { http?: HTTPArtifact; artifactory?: ArtifactoryArtifact }, file: string, secret: SecretReader): Promise<void> {
  const url = urlOf(a);
  let res: IncomingMessage;
  try {
    const auth = await authOf(a, secret);
    res = await sendRetried({ method: 'PUT', url, ...auth, headers: { 'content-type': 'application/octet-stream', ...auth.headers }, file });
  } catch (e) {
    throw failure('upload to', url, e);
  }
  const body = await text(res);
  if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) throw new Error(`failed to upload to ${url}: HTTP ${res.statusCode} ${body.trim().slice(0, 200)}`.trimEnd());
}

/** DELETE (Artifactory artifacts' garbage collection); a 404 counts as deleted already. Returns how many were deleted. */
export async function httpDelete(a: { artifactory?: ArtifactoryArtifact; http?: HTTPArtifact }, secret: SecretReader): Promise<number> {
  const url = urlOf(a);
  let res: IncomingMessage;
  try {
    res = await sendRetried({ method: 'DELETE', url, ...(await authOf(a, secret)) });
  } catch (e) {
    throw failure('delete', url, e);
  }
  const body = await text(res);
  if (res.statusCode === 404) return 0;
  if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) throw new Error(`failed to delete ${url}: HTTP ${res.statusCode} ${body.trim().slice(0, 200)}`.trimEnd());
  return 1;
}
