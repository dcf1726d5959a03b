/**
 * AWS Signature Version 4 as S3 checks it: the Authorization header, presigned query strings,
 * and the signed chunks of `aws-chunked` uploads (STREAMING-AWS4-HMAC-SHA256-PAYLOAD, and the
 * unsigned/trailer variants). Pure functions, plus a Transform that decodes chunked bodies.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');
const sha256 = (d: string | Buffer) => createHash('sha256').update(d).digest('hex');
const hmac = (k: Buffer | string, d: string) => createHmac('sha256', k).update(d).digest();

/** RFC 3986 encoding as SigV4 wants it (everything but A-Z a-z 0-9 - . _ ~). */
export function uriEncode(s: string, keepSlash = false): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(b);
    if (/[A-Za-z0-9\-._~]/.test(ch) || (keepSlash && ch === '/')) out += ch;
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The canonical URI of a raw request path: each segment decoded, then encoded once (S3 does not double-encode). */
export function canonicalUri(rawPath: string): string {
  return rawPath.split('/').map((seg) => uriEncode(safeDecode(seg))).join('/') || '/';
}

/** The canonical query string: pairs encoded, sorted by name then value; `skip` names left out. */
export function canonicalQuery(rawQuery: string, skip: string[] = []): string {
  if (!rawQuery) return '';
  const pairs: [string, string][] = [];
  for (const part of rawQuery.split('&')) {
    if (!part) continue;
    const i = part.indexOf('=');
    const k = safeDecode((i < 0 ? part : part.slice(0, i)).replace(/\+/g, '%20'));
    const v = i < 0 ? '' : safeDecode(part.slice(i + 1).replace(/\+/g, '%20'));
    if (skip.includes(k)) continue;
    pairs.push([uriEncode(k), uriEncode(v)]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

export interface SignedRequest {
  method: string;
  /** path and query as received */
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

export function canonicalRequest(req: SignedRequest, signedHeaders: string[], payloadHash: string, skipQuery: string[] = []): string {
  const q = req.url.indexOf('?');
  const path = q < 0 ? req.url : req.url.slice(0, q);
  const query = q < 0 ? '' : req.url.slice(q + 1);
  const hdrs = signedHeaders.map((h) => {
    const v = req.headers[h];
    const val = (Array.isArray(v) ? v.join(',') : v ?? '').trim().replace(/\s+/g, ' ');
    return `${h}:${val}\n`;
  });
  return [req.method, canonicalUri(path), canonicalQuery(query, skipQuery), hdrs.join(''), signedHeaders.join(';'), payloadHash].join('\n');
}

export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
}

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
}

export interface Credential {
  accessKey: string;
  date: string;
  region: string;
  service: string;
  scope: string;
}

export function parseCredential(s: string): Credential | undefined {
  const parts = s.split('/');
  if (parts.length < 5 || parts[parts.length - 1] !== 'aws4_request') return undefined;
  const [service, region, date] = [parts[parts.length - 2], parts[parts.length - 3], parts[parts.length - 4]];
  const accessKey = parts.slice(0, parts.length - 4).join('/');
  return { accessKey, date, region, service, scope: `${date}/${region}/${service}/aws4_request` };
}

export type AuthResult =
  | { ok: true; accessKey: string; payloadHash: string; seed?: { signature: string; key: Buffer; amzDate: string; scope: string } }
  | { ok: false; code: string; message: string; status: number };

const fail = (code: string, message: string, status = 403): AuthResult => ({ ok: false, code, message, status });

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** `20130524T000000Z` → ms since the epoch. */
export function parseAmzDate(s: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : NaN;
}

/**
 * Checks a request's SigV4 signature (header or presigned query) against the credentials.
 * `secretFor` answers the secret of an access key, or undefined for an unknown one.
 */
export function verifyRequest(req: SignedRequest, secretFor: (accessKey: string) => string | undefined, now = Date.now()): AuthResult {
  const auth = String(req.headers.authorization ?? '');
  const q = req.url.indexOf('?');
  const params = new URLSearchParams(q < 0 ? '' : req.url.slice(q + 1));
  let cred: Credential | undefined;
  let signed: string[];
  let signature: string;
  let amzDate: string;
  let payloadHash: string;
  let skip: string[] = [];
  if (auth.startsWith('AWS4-HMAC-SHA256 ')) {
    const fields: Record<string, string> = {};
    for (const kv of auth.slice(17).split(',')) {
      const i = kv.indexOf('=');
      if (i > 0) fields[kv.slice(0, i).trim()] = kv.slice(i + 1).trim();
    }
    cred = parseCredential(fields.Credential ?? '');
    signed = (fields.SignedHeaders ?? '').split(';').filter(Boolean);
    signature = fields.Signature ?? '';
    amzDate = String(req.headers['x-amz-date'] ?? '');
    payloadHash = String(req.headers['x-amz-content-sha256'] ?? '');
    if (!payloadHash) return fail('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256', 400);
    if (!amzDate && req.headers.date) amzDate = new Date(String(req.headers.date)).toISOString().replace(/[-:]|\.\d+/g, '');
    const t = parseAmzDate(amzDate);
    if (Number.isNaN(t)) return fail('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
    if (Math.abs(now - t) > 15 * 60_000) return fail('RequestTimeTooSkewed', 'The difference between the request time and the server\'s time is too large.');
  } else if (params.get('X-Amz-Algorithm') === 'AWS4-HMAC-SHA256') {
    cred = parseCredential(params.get('X-Amz-Credential') ?? '');
    signed = (params.get('X-Amz-SignedHeaders') ?? '').split(';').filter(Boolean);
    signature = params.get('X-Amz-Signature') ?? '';
    amzDate = params.get('X-Amz-Date') ?? '';
    payloadHash = 'UNSIGNED-PAYLOAD';
    skip = ['X-Amz-Signature'];
    const t = parseAmzDate(amzDate);
    const expires = Number(params.get('X-Amz-Expires') ?? '');
    if (Number.isNaN(t) || !Number.isInteger(expires) || expires < 1 || expires > 604800) return fail('AuthorizationQueryParametersError', 'X-Amz-Date and X-Amz-Expires must be a valid date and 1..604800 seconds', 400);
    if (now > t + expires * 1000) return fail('AccessDenied', 'Request has expired');
    if (t - now > 15 * 60_000) return fail('AccessDenied', 'Request is not valid yet');
  } else if (auth) {
    return fail('AccessDenied', 'only AWS Signature Version 4 (AWS4-HMAC-SHA256) is supported', 400);
  } else {
    return fail('AccessDenied', 'Access Denied.');
  }
  if (!cred) return fail('AuthorizationHeaderMalformed', 'The authorization header is malformed; the Credential is mal-formed', 400);
  if (!signed.includes('host')) return fail('AccessDenied', 'the host header must be signed');
  const secret = secretFor(cred.accessKey);
  if (secret === undefined) return fail('InvalidAccessKeyId', 'The Access Key Id you provided does not exist in our records.');
  const canonical = canonicalRequest(req, signed, payloadHash, skip);
  const key = signingKey(secret, cred.date, cred.region, cred.service);
  const expected = createHmac('sha256', key).update(stringToSign(amzDate, cred.scope, canonical)).digest('hex');
  if (!sameHex(expected, signature)) return fail('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
  return { ok: true, accessKey: cred.accessKey, payloadHash, seed: { signature, key, amzDate, scope: cred.scope } };
}

/** The signature of one chunk of a STREAMING-AWS4-HMAC-SHA256-PAYLOAD body. */
export function chunkSignature(key: Buffer, amzDate: string, scope: string, previous: string, data: Buffer): string {
  const sts = ['AWS4-HMAC-SHA256-PAYLOAD', amzDate, scope, previous, EMPTY_SHA256, sha256(data)].join('\n');
  return createHmac('sha256', key).update(sts).digest('hex');
}

/**
 * Decodes an `aws-chunked` body (`<hex size>[;chunk-signature=<sig>]\r\n<data>\r\n` … `0…\r\n`,
 * trailer lines, `\r\n`). With `seed`, every chunk's signature is checked.
 */
export class ChunkDecoder extends Transform {
  private buf: Buffer = Buffer.alloc(0);
  private need = -1; // bytes of chunk data still expected (+2 for its CRLF); -1: reading a size line
  private sig = '';
  private done = false;
  private prev: string;
  private parts: Buffer[] = [];

  constructor(private readonly seed?: { signature: string; key: Buffer; amzDate: string; scope: string }) {
    super();
    this.prev = seed?.signature ?? '';
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    try {
      this.drain();
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    cb(this.done ? null : new Error('IncompleteBody: the aws-chunked body ended before its final chunk'));
  }

  private drain(): void {
    for (;;) {
      if (this.done) return; // trailers (checksums) are not needed
      if (this.need < 0) {
        const nl = this.buf.indexOf('\r\n');
        if (nl < 0) {
          if (this.buf.length > 4096) throw new Error('IncompleteBody: chunk header too long');
          return;
        }
        const line = this.buf.subarray(0, nl).toString('latin1');
        this.buf = this.buf.subarray(nl + 2);
        const [size, ...ext] = line.split(';');
        const n = parseInt(size, 16);
        if (!/^[0-9a-fA-F]+$/.test(size) || Number.isNaN(n)) throw new Error(`IncompleteBody: bad chunk size "${size}"`);
        this.sig = ext.find((e) => e.startsWith('chunk-signature='))?.slice(16) ?? '';
        this.need = n;
        this.parts = [];
        if (n === 0) {
          this.check(Buffer.alloc(0));
          this.done = true;
          return;
        }
      }
      if (this.need > 0) {
        if (!this.buf.length) return;
        const take = this.buf.subarray(0, Math.min(this.need, this.buf.length));
        this.buf = this.buf.subarray(take.length);
        this.need -= take.length;
        if (this.seed) this.parts.push(take);
        else this.push(take);
        if (this.need > 0) return;
      }
      if (this.buf.length < 2) return;
      if (this.buf[0] !== 13 || this.buf[1] !== 10) throw new Error('IncompleteBody: chunk data not followed by CRLF');
      this.buf = this.buf.subarray(2);
      if (this.seed) {
        const data = Buffer.concat(this.parts);
        this.check(data);
        this.push(data);
      }
      this.need = -1;
    }
  }

  private check(data: Buffer): void {
    if (!this.seed) return;
    const expected = chunkSignature(this.seed.key, this.seed.amzDate, this.seed.scope, this.prev, data);
    if (!sameHex(expected, this.sig)) throw new Error('SignatureDoesNotMatch: a chunk signature does not match');
    this.prev = expected;
  }
}
