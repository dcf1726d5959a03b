/**
 * The S3 API over HTTP (path-style requests) on a Store, with SigV4 authentication: buckets
 * (list, create, head, delete, location), objects (put, copy, get with Range, head, delete,
 * multi-delete), ListObjects V1/V2, multipart uploads; and MinIO's health endpoints.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { ChunkDecoder, EMPTY_SHA256, verifyRequest } from './sigv4.js';
import { S3Error, Store, validKey, type Written } from './store.js';

export interface S3Options {
  store: Store;
  accessKey: string;
  secretKey: string;
  region?: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
const unesc = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&#(\d+);/g, (_, n) => String.fromCodePoint(+n)).replace(/&amp;/g, '&');
const el = (tag: string, v: string | number | boolean) => `<${tag}>${esc(String(v))}</${tag}>`;
const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const doc = (root: string, inner: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${NS}">${inner}</${root}>`;
/** The text of every `<tag>` in a small XML document. */
const all = (xml: string, tag: string) => [...xml.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => unesc(m[1]));

function send(res: ServerResponse, status: number, body = '', headers: Record<string, string | number> = {}): void {
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function userMeta(req: IncomingMessage): Record<string, string> {
  const m: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (k.startsWith('x-amz-meta-') && typeof v === 'string') m[k.slice(11)] = v;
  return m;
}

/** One request: routes it, answers S3 errors as S3's XML. */
export async function handleS3(o: S3Options, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  res.setHeader('x-amz-request-id', requestId);
  res.setHeader('server', 'flotilla-s3');
  const url = new URL(req.url ?? '/', 'http://s3.local');
  const path = url.pathname;
  try {
    await route(o, req, res, url);
  } catch (e) {
    const err = e instanceof S3Error ? e : classify(e as Error);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    req.resume();
    const body = req.method === 'HEAD' ? '' : doc('Error', el('Code', err.code) + el('Message', err.message) + el('Resource', path) + el('RequestId', requestId)).replace(` xmlns="${NS}"`, '');
    send(res, err.status, body);
  }
}

/** Errors from the chunk decoder and the file system, as S3 errors. */
function classify(e: Error): S3Error {
  const m = /^(SignatureDoesNotMatch|IncompleteBody): (.*)$/.exec(e.message);
  if (m) return new S3Error(m[1] === 'SignatureDoesNotMatch' ? 403 : 400, m[1], m[2]);
  return new S3Error(500, 'InternalError', `We encountered an internal error, please try again. (${e.message})`);
}

async function route(o: S3Options, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const method = req.method ?? 'GET';
  const q = url.searchParams;
  const auth = verifyRequest({ method, url: req.url ?? '/', headers: req.headers }, (k) => (k === o.accessKey ? o.secretKey : undefined));
  if (!auth.ok) throw new S3Error(auth.status, auth.code, auth.message);
  const raw = url.pathname.slice(1);
  const slash = raw.indexOf('/');
  let bucket: string;
  let key: string;
  try {
    bucket = decodeURIComponent(slash < 0 ? raw : raw.slice(0, slash));
    key = slash < 0 ? '' : decodeURIComponent(raw.slice(slash + 1));
  } catch {
    throw new S3Error(400, 'InvalidURI', `Couldn't parse the specified URI: ${url.pathname}`);
  }
  const st = o.store;

  /** The request body, decoded (aws-chunked) and checked against the signed payload hash. */
  const receive = async (): Promise<Written> => {
    const ph = auth.payloadHash;
    let body: Readable = req;
    if (ph.startsWith('STREAMING-')) {
      const signed = ph.startsWith('STREAMING-AWS4-HMAC-SHA256-PAYLOAD');
      body = req.pipe(new ChunkDecoder(signed ? auth.seed : undefined));
      req.on('error', (e) => body.destroy(e));
    }
    const w = await st.receive(body);
    const decoded = req.headers['x-amz-decoded-content-length'];
    if (ph.startsWith('STREAMING-') && typeof decoded === 'string' && Number(decoded) !== w.size) {
      st.discard(w);
      throw new S3Error(400, 'IncompleteBody', `You did not provide the number of bytes specified by the x-amz-decoded-content-length header (${decoded}; got ${w.size}).`);
    }
    if (/^[0-9a-f]{64}$/.test(ph) && ph !== w.sha256) {
      st.discard(w);
      throw new S3Error(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
    const cmd5 = req.headers['content-md5'];
    if (typeof cmd5 === 'string' && Buffer.from(cmd5, 'base64').toString('hex') !== w.md5) {
      st.discard(w);
      throw new S3Error(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
    }
    return w;
  };
  const receiveText = async (): Promise<string> => {
    const w = await receive();
    try {
      if (w.size > 1024 * 1024) throw new S3Error(400, 'MalformedXML', 'request body too large');
      return readFileSync(w.path, 'utf8');
    } finally {
      st.discard(w);
    }
  };

  if (!bucket) {
    if (method !== 'GET') throw new S3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
    const owner = el('ID', o.accessKey) + el('DisplayName', o.accessKey);
    const list = st.listBuckets().map((b) => `<Bucket>${el('Name', b.name)}${el('CreationDate', b.created.toISOString())}</Bucket>`).join('');
    return send(res, 200, doc('ListAllMyBucketsResult', `<Owner>${owner}</Owner><Buckets>${list}</Buckets>`));
  }

  if (!key) {
    if (method === 'PUT') {
      if (q.size) throw new S3Error(501, 'NotImplemented', `bucket sub-resource ${[...q.keys()].join(',')} is not implemented`);
      req.resume();
      st.createBucket(bucket);
      return send(res, 200, '', { location: `/${bucket}` });
    }
    if (method === 'HEAD') {
      st.requireBucket(bucket);
      return send(res, 200);
    }
    if (method === 'DELETE') {
      st.deleteBucket(bucket);
      return send(res, 204);
    }
    if (method === 'POST' && q.has('delete')) {
      st.requireBucket(bucket);
      const xml = await receiveText();
      const quiet = all(xml, 'Quiet')[0] === 'true';
      const keys = all(xml, 'Object').map((obj) => all(obj, 'Key')[0] ?? '');
      let out = '';
      for (const k of keys) {
        st.deleteObject(bucket, k);
        if (!quiet) out += `<Deleted>${el('Key', k)}</Deleted>`;
      }
      return send(res, 200, doc('DeleteResult', out));
    }
    if (method !== 'GET') throw new S3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
    st.requireBucket(bucket);
    if (q.has('location')) return send(res, 200, doc('LocationConstraint', esc(o.region === 'us-east-1' ? '' : o.region ?? '')));
    if (q.has('versioning')) return send(res, 200, doc('VersioningConfiguration', ''));
    if (q.has('uploads')) {
      const ups = st.uploads(bucket).map((u) => `<Upload>${el('Key', u.key)}${el('UploadId', u.id)}${el('Initiated', u.initiated)}<StorageClass>STANDARD</StorageClass></Upload>`).join('');
      return send(res, 200, doc('ListMultipartUploadsResult', el('Bucket', bucket) + el('MaxUploads', 1000) + el('IsTruncated', false) + ups));
    }
    const known = ['list-type', 'prefix', 'delimiter', 'max-keys', 'continuation-token', 'start-after', 'fetch-owner', 'encoding-type', 'marker', 'x-id', 'metadata'];
    const sub = [...q.keys()].find((k) => !known.includes(k) && !k.startsWith('X-Amz-'));
    if (sub) throw new S3Error(501, 'NotImplemented', `bucket sub-resource "${sub}" is not implemented`);
    return send(res, 200, listObjects(st, bucket, q));
  }

  if (!validKey(key)) throw new S3Error(400, 'XMinioInvalidObjectName', `Object name "${key}" contains an empty, "." or ".." path segment or is too long.`);
  const uploadId = q.get('uploadId');
  if (method === 'PUT' && uploadId) {
    const n = Number(q.get('partNumber'));
    if (!Number.isInteger(n) || n < 1 || n > 10000) throw new S3Error(400, 'InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive');
    st.upload(uploadId, bucket, key);
    const etag = st.putPart(uploadId, n, await receive());
    return send(res, 200, '', { etag: `"${etag}"` });
  }
  if (method === 'PUT') {
    st.requireBucket(bucket);
    const src = req.headers['x-amz-copy-source'];
    if (typeof src === 'string') {
      req.resume();
      const s = decodeURIComponent(src.replace(/^\//, '').split('?')[0]);
      const i = s.indexOf('/');
      const info = st.head(s.slice(0, i), s.slice(i + 1));
      const w = await st.receive(st.read(s.slice(0, i), s.slice(i + 1)));
      const replace = req.headers['x-amz-metadata-directive'] === 'REPLACE';
      const etag = st.putObject(bucket, key, w, replace ? String(req.headers['content-type'] ?? 'application/octet-stream') : info.contentType, replace ? userMeta(req) : info.user);
      return send(res, 200, doc('CopyObjectResult', el('LastModified', new Date().toISOString()) + el('ETag', `"${etag}"`)));
    }
    const w = await receive();
    const etag = st.putObject(bucket, key, w, String(req.headers['content-type'] ?? 'application/octet-stream'), userMeta(req));
    return send(res, 200, '', { etag: `"${etag}"` });
  }
  if (method === 'POST' && q.has('uploads')) {
    req.resume();
    const id = st.initiate(bucket, key, String(req.headers['content-type'] ?? 'application/octet-stream'), userMeta(req));
    return send(res, 200, doc('InitiateMultipartUploadResult', el('Bucket', bucket) + el('Key', key) + el('UploadId', id)));
  }
  if (method === 'POST' && uploadId) {
    st.upload(uploadId, bucket, key);
    const xml = await receiveText();
    const parts = all(xml, 'Part').map((p) => ({ n: Number(all(p, 'PartNumber')[0]), etag: all(p, 'ETag')[0] ?? '' }));
    const etag = await st.complete(uploadId, bucket, key, parts);
    return send(res, 200, doc('CompleteMultipartUploadResult', el('Location', `/${bucket}/${key}`) + el('Bucket', bucket) + el('Key', key) + el('ETag', `"${etag}"`)));
  }
  if (method === 'DELETE' && uploadId) {
    st.abort(uploadId, bucket, key);
    return send(res, 204);
  }
  if (method === 'DELETE') {
    st.deleteObject(bucket, key);
    return send(res, 204);
  }
  if (method === 'GET' && uploadId) {
    st.upload(uploadId, bucket, key);
    const parts = st.parts(uploadId).map((p) => `<Part>${el('PartNumber', p.n)}${el('LastModified', p.mtime.toISOString())}${el('ETag', `"${p.etag}"`)}${el('Size', p.size)}</Part>`).join('');
    return send(res, 200, doc('ListPartsResult', el('Bucket', bucket) + el('Key', key) + el('UploadId', uploadId) + el('IsTruncated', false) + parts));
  }
  if (method === 'GET' || method === 'HEAD') return getObject(st, bucket, key, req, res, method === 'HEAD');
  throw new S3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
}

async function getObject(st: Store, bucket: string, key: string, req: IncomingMessage, res: ServerResponse, headOnly: boolean): Promise<void> {
  req.resume();
  const info = st.head(bucket, key);
  const headers: Record<string, string | number> = {
    'content-type': info.contentType,
    etag: `"${info.etag}"`,
    'last-modified': info.mtime.toUTCString(),
    'accept-ranges': 'bytes',
  };
  for (const [k, v] of Object.entries(info.user)) headers[`x-amz-meta-${k}`] = v;
  const inm = req.headers['if-none-match'];
  if (typeof inm === 'string' && inm.replace(/"/g, '') === info.etag) {
    res.writeHead(304, headers);
    return void res.end();
  }
  const im = req.headers['if-match'];
  if (typeof im === 'string' && im.replace(/"/g, '') !== info.etag) throw new S3Error(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
  let range: { start: number; end: number } | undefined;
  const rh = req.headers.range;
  const m = typeof rh === 'string' ? /^bytes=(\d*)-(\d*)$/.exec(rh.trim()) : null;
  if (m && (m[1] || m[2])) {
    let start = m[1] ? Number(m[1]) : Math.max(0, info.size - Number(m[2]));
    let end = m[1] && m[2] ? Math.min(Number(m[2]), info.size - 1) : info.size - 1;
    if (!m[1]) end = info.size - 1;
    if (start >= info.size || start > end) throw new S3Error(416, 'InvalidRange', 'The requested range is not satisfiable');
    start = Math.max(0, start);
    range = { start, end };
    headers['content-range'] = `bytes ${start}-${end}/${info.size}`;
  }
  headers['content-length'] = range ? range.end - range.start + 1 : info.size;
  res.writeHead(range ? 206 : 200, headers);
  if (headOnly || !info.size) return void res.end();
  const s = st.read(bucket, key, range);
  s.on('error', () => res.destroy());
  s.pipe(res);
}

/** ListObjects (V1 with `marker`, V2 with `list-type=2`): prefix, delimiter, max-keys, pages. */
export function listObjects(st: Store, bucket: string, q: URLSearchParams): string {
  const v2 = q.get('list-type') === '2';
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const maxKeys = Math.max(0, Math.min(1000, Number(q.get('max-keys') ?? 1000) || 0));
  const urlEnc = q.get('encoding-type') === 'url';
  const enc = (s: string) => (urlEnc ? encodeURIComponent(s).replace(/%2F/g, '/') : s);
  let after = v2 ? (q.get('continuation-token') ? Buffer.from(q.get('continuation-token')!, 'base64').toString('utf8') : q.get('start-after') ?? '') : q.get('marker') ?? '';
  const entries: ({ key: string } | { prefix: string })[] = [];
  let truncated = false;
  let last = '';
  for (const k of st.keys(bucket, prefix)) {
    if (after && Buffer.compare(Buffer.from(k), Buffer.from(after)) <= 0) continue;
    let entry: { key: string } | { prefix: string } = { key: k };
    if (delimiter) {
      const i = k.indexOf(delimiter, prefix.length);
      if (i >= 0) {
        const p = k.slice(0, i + delimiter.length);
        const prev = entries[entries.length - 1];
        if (prev && 'prefix' in prev && prev.prefix === p) continue;
        if (after.startsWith(p)) continue;
        entry = { prefix: p };
      }
    }
    if (entries.length >= maxKeys) {
      truncated = true;
      break;
    }
    entries.push(entry);
    last = 'key' in entry ? entry.key : entry.prefix;
    if ('prefix' in entry) after = entry.prefix;
  }
  let inner = el('Name', bucket) + el('Prefix', enc(prefix)) + el('MaxKeys', maxKeys) + el('IsTruncated', truncated);
  if (delimiter) inner += el('Delimiter', enc(delimiter));
  if (urlEnc) inner += el('EncodingType', 'url');
  if (v2) {
    inner += el('KeyCount', entries.length);
    if (q.get('continuation-token')) inner += el('ContinuationToken', q.get('continuation-token')!);
    if (q.get('start-after')) inner += el('StartAfter', enc(q.get('start-after')!));
    if (truncated) inner += el('NextContinuationToken', Buffer.from(last).toString('base64'));
  } else {
    inner += el('Marker', enc(q.get('marker') ?? ''));
    if (truncated && delimiter) inner += el('NextMarker', enc(last));
  }
  for (const e of entries) {
    if ('prefix' in e) inner += `<CommonPrefixes>${el('Prefix', enc(e.prefix))}</CommonPrefixes>`;
    else {
      const info = st.head(bucket, e.key);
      inner += `<Contents>${el('Key', enc(e.key))}${el('LastModified', info.mtime.toISOString())}${el('ETag', `"${info.etag}"`)}${el('Size', info.size)}<StorageClass>STANDARD</StorageClass></Contents>`;
    }
  }
  return doc('ListBucketResult', inner);
}

export { EMPTY_SHA256 };
