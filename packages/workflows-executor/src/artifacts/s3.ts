/**
 * S3-compatible storage (the minio image, any S3 endpoint) through @aws-sdk/client-s3: path-style
 * requests, credentials from the artifact's Secrets, `insecure` = plain HTTP. A directory (archive
 * none) is uploaded as the objects under `key/`; a key that is no object but a prefix downloads as
 * a directory.
 */
import { createReadStream, createWriteStream, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3Artifact, SecretReader } from './types.js';
import { withRetries } from './retry.js';

/** The endpoint URL of an artifact's `endpoint` (`host:port`, or a URL) and `insecure` (pure). */
export function endpointURL(endpoint: string | undefined, insecure: boolean | undefined): string | undefined {
  if (!endpoint) return undefined;
  if (/^https?:\/\//.test(endpoint)) return endpoint;
  return `${insecure ? 'http' : 'https'}://${endpoint}`;
}

export async function s3Client(s3: S3Artifact, secret: SecretReader): Promise<S3Client> {
  let credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined;
  if (s3.accessKeySecret && s3.secretKeySecret) {
    credentials = { accessKeyId: (await secret(s3.accessKeySecret)).trim(), secretAccessKey: (await secret(s3.secretKeySecret)).trim() };
    if (s3.sessionTokenSecret) credentials.sessionToken = (await secret(s3.sessionTokenSecret)).trim();
  } else if (!s3.useSDKCreds) {
    throw new Error('s3: accessKeySecret and secretKeySecret are required (or useSDKCreds)');
  }
  // the SDK's notice about future Node.js versions is not the pod's business (it would fill every wait log)
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return new S3Client({
    endpoint: endpointURL(s3.endpoint, s3.insecure),
    region: s3.region || 'us-east-1',
    forcePathStyle: true,
    credentials,
    maxAttempts: 1, // withRetries decides
  });
}

const where = (s3: S3Artifact) => `s3://${s3.bucket}/${s3.key} at ${endpointURL(s3.endpoint, s3.insecure) ?? 'AWS'}`;

function wrap(s3: S3Artifact, what: string, e: unknown): Error {
  const err = e as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const status = err.$metadata?.httpStatusCode ? ` (HTTP ${err.$metadata.httpStatusCode})` : '';
  return new Error(`failed to ${what} ${where(s3)}: ${err.name && err.name !== 'Error' ? `${err.name}: ` : ''}${err.message || err.code || String(e)}${status}`);
}

function files(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Uploads a file (or a directory's files under `key/`). */
export async function s3Upload(client: S3Client, s3: S3Artifact & { bucket: string; key: string }, src: string): Promise<void> {
  try {
    if (s3.createBucketIfNotPresent) {
      try {
        await client.send(new HeadBucketCommand({ Bucket: s3.bucket }));
      } catch {
        await client.send(new CreateBucketCommand({ Bucket: s3.bucket }));
      }
    }
    const put = (file: string, key: string) =>
      withRetries(() => client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: createReadStream(file), ContentLength: statSync(file).size })));
    if (statSync(src).isDirectory()) {
      for (const f of files(src)) await put(f, `${s3.key.replace(/\/+$/, '')}/${relative(src, f).split('\\').join('/')}`);
    } else await put(src, s3.key);
  } catch (e) {
    throw wrap(s3, 'upload to', e);
  }
}

/** Downloads an object to `dest` (a key that is only a prefix: its objects into the directory `dest`). Returns false when nothing is there. */
export async function s3Download(client: S3Client, s3: S3Artifact & { bucket: string; key: string }, dest: string): Promise<boolean> {
  const get = async (key: string, to: string) => {
    await withRetries(async () => {
      const r = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
      mkdirSync(dirname(to), { recursive: true });
      await pipeline(r.Body as Readable, createWriteStream(to));
    });
  };
  try {
    await get(s3.key, dest);
    return true;
  } catch (e) {
    const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (err.name !== 'NoSuchKey' && err.$metadata?.httpStatusCode !== 404) throw wrap(s3, 'download', e);
  }
  try {
    const prefix = `${s3.key.replace(/\/+$/, '')}/`;
    let token: string | undefined;
    let n = 0;
    do {
      const t = token;
      const r = await withRetries(() => client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix, ContinuationToken: t })));
      for (const o of r.Contents ?? []) {
        if (!o.Key || o.Key.endsWith('/')) continue;
        await get(o.Key, join(dest, o.Key.slice(prefix.length)));
        n++;
      }
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return n > 0;
  } catch (e) {
    throw wrap(s3, 'list', e);
  }
}

/** Deletes an object, or the objects under `key/` (a directory saved with archive none). Returns how many. */
export async function s3Delete(client: S3Client, s3: S3Artifact & { bucket: string; key: string }): Promise<number> {
  try {
    let n = 0;
    const head = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: s3.key, MaxKeys: 1 }));
    if (head.Contents?.some((o) => o.Key === s3.key)) {
      await client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: s3.key }));
      n++;
    }
    const prefix = `${s3.key.replace(/\/+$/, '')}/`;
    let token: string | undefined;
    do {
      const r = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of r.Contents ?? []) {
        if (!o.Key) continue;
        await client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: o.Key }));
        n++;
      }
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return n;
  } catch (e) {
    throw wrap(s3, 'delete', e);
  }
}
