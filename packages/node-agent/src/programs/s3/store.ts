/**
 * S3 objects kept as plain files, as `minio server DIR` keeps them: a bucket is a directory of
 * DIR, an object a file under it (keys with `/` make sub-directories). Metadata (ETag, content
 * type, x-amz-meta-*) and multipart uploads live in `DIR/.flotilla-s3/`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';

export interface ObjectMeta {
  etag: string;
  contentType: string;
  /** x-amz-meta-* (lower-case names without the prefix) */
  user: Record<string, string>;
}

export interface ObjectInfo extends ObjectMeta {
  key: string;
  size: number;
  mtime: Date;
}

export class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const SYS = '.flotilla-s3';

export function validBucketName(b: string): boolean {
  return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(b) && !b.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(b);
}

/** Keys map to paths: no empty, `.` or `..` segment, no trailing `/`, at most 1024 bytes. */
export function validKey(k: string): boolean {
  if (!k || Buffer.byteLength(k) > 1024 || k.includes('\0')) return false;
  return k.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

export interface Written {
  path: string;
  size: number;
  md5: string;
  sha256: string;
}

export class Store {
  constructor(readonly root: string) {
    mkdirSync(join(root, SYS, 'tmp'), { recursive: true });
  }

  private bucketDir(b: string): string {
    return join(this.root, b);
  }
  private metaPath(b: string, k: string): string {
    return join(this.root, SYS, 'meta', b, `${k}.json`);
  }
  private uploadDir(id: string): string {
    if (!/^[0-9a-f]{32}$/.test(id)) throw new S3Error(404, 'NoSuchUpload', 'The specified multipart upload does not exist.');
    return join(this.root, SYS, 'multipart', id);
  }

  listBuckets(): { name: string; created: Date }[] {
    return readdirSync(this.root, { withFileTypes: true })
      .filter((d) => d.isDirectory() && validBucketName(d.name))
      .map((d) => ({ name: d.name, created: statSync(join(this.root, d.name)).birthtime }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  hasBucket(b: string): boolean {
    return validBucketName(b) && existsSync(this.bucketDir(b)) && statSync(this.bucketDir(b)).isDirectory();
  }

  requireBucket(b: string): void {
    if (!this.hasBucket(b)) throw new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist');
  }

  createBucket(b: string): void {
    if (!validBucketName(b)) throw new S3Error(400, 'InvalidBucketName', 'The specified bucket is not valid.');
    if (this.hasBucket(b)) throw new S3Error(409, 'BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.');
    mkdirSync(this.bucketDir(b));
  }

  deleteBucket(b: string): void {
    this.requireBucket(b);
    if (readdirSync(this.bucketDir(b)).length) throw new S3Error(409, 'BucketNotEmpty', 'The bucket you tried to delete is not empty');
    rmdirSync(this.bucketDir(b));
    rmSync(join(this.root, SYS, 'meta', b), { recursive: true, force: true });
  }

  /** Streams a body to a temporary file, hashing it. */
  async receive(body: Readable, limit = 5 * 1024 ** 4): Promise<Written> {
    const path = join(this.root, SYS, 'tmp', randomBytes(12).toString('hex'));
    const md5 = createHash('md5');
    const sha = createHash('sha256');
    let size = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _e, cb) {
        size += chunk.length;
        if (size > limit) return cb(new S3Error(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.'));
        md5.update(chunk);
        sha.update(chunk);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(body, tap, createWriteStream(path));
    } catch (e) {
      rmSync(path, { force: true });
      throw e;
    }
    return { path, size, md5: md5.digest('hex'), sha256: sha.digest('hex') };
  }

  discard(w: Written): void {
    rmSync(w.path, { force: true });
  }

  private place(b: string, k: string, from: string, meta: ObjectMeta): void {
    const dest = join(this.bucketDir(b), k);
    try {
      mkdirSync(dirname(dest), { recursive: true });
      if (existsSync(dest) && statSync(dest).isDirectory()) throw new S3Error(409, 'XMinioParentIsObject', `an object name is a prefix of "${k}" or the other way round`);
      renameSync(from, dest);
    } catch (e) {
      rmSync(from, { force: true });
      if (e instanceof S3Error) throw e;
      throw new S3Error(409, 'XMinioParentIsObject', `cannot store "${k}": a prefix of it is an object (${(e as NodeJS.ErrnoException).code})`);
    }
    const mp = this.metaPath(b, k);
    mkdirSync(dirname(mp), { recursive: true });
    writeFileSync(mp, JSON.stringify(meta));
  }

  putObject(b: string, k: string, w: Written, contentType: string, user: Record<string, string>): string {
    const etag = w.md5;
    this.place(b, k, w.path, { etag, contentType, user });
    return etag;
  }

  head(b: string, k: string): ObjectInfo {
    this.requireBucket(b);
    const p = join(this.bucketDir(b), k);
    let st;
    try {
      st = statSync(p);
    } catch {
      st = undefined;
    }
    if (!validKey(k) || !st || !st.isFile()) throw new S3Error(404, 'NoSuchKey', 'The specified key does not exist.');
    let meta: ObjectMeta | undefined;
    try {
      meta = JSON.parse(readFileSync(this.metaPath(b, k), 'utf8'));
    } catch {
      meta = undefined;
    }
    // a file put there by other means (e.g. `mkdir -p /data/b && cp`): its MD5 is its ETag
    if (!meta) meta = { etag: createHash('md5').update(readFileSync(p)).digest('hex'), contentType: 'application/octet-stream', user: {} };
    return { key: k, size: st.size, mtime: st.mtime, ...meta };
  }

  read(b: string, k: string, range?: { start: number; end: number }): Readable {
    return createReadStream(join(this.bucketDir(b), k), range);
  }

  deleteObject(b: string, k: string): void {
    this.requireBucket(b);
    if (!validKey(k)) return;
    const p = join(this.bucketDir(b), k);
    try {
      if (!statSync(p).isFile()) return;
    } catch {
      return;
    }
    rmSync(p, { force: true });
    rmSync(this.metaPath(b, k), { force: true });
    // empty directories left by the key's prefixes go too
    for (let d = dirname(p); d !== this.bucketDir(b) && d.startsWith(this.bucketDir(b)); d = dirname(d)) {
      try {
        rmdirSync(d);
      } catch {
        break;
      }
    }
  }

  /** Every key of a bucket under a prefix, sorted. */
  keys(b: string, prefix: string): string[] {
    this.requireBucket(b);
    const out: string[] = [];
    const slash = prefix.lastIndexOf('/');
    const startRel = slash >= 0 ? prefix.slice(0, slash) : '';
    if (startRel && !validKey(startRel)) return []; // no key has an empty, "." or ".." segment
    const walk = (rel: string) => {
      let ents;
      try {
        ents = readdirSync(join(this.bucketDir(b), rel), { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of ents) {
        const k = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) {
          if (k.startsWith(prefix) || prefix.startsWith(`${k}/`)) walk(k);
        } else if (e.isFile() && k.startsWith(prefix)) out.push(k);
      }
    };
    walk(startRel);
    return out.sort((x, y) => (Buffer.compare(Buffer.from(x), Buffer.from(y))));
  }

  // ------------------------------------------------------------------------------ multipart

  initiate(b: string, k: string, contentType: string, user: Record<string, string>): string {
    this.requireBucket(b);
    const id = randomBytes(16).toString('hex');
    const dir = this.uploadDir(id);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'upload.json'), JSON.stringify({ bucket: b, key: k, contentType, user, initiated: new Date().toISOString() }));
    return id;
  }

  upload(id: string, b: string, k: string): { bucket: string; key: string; contentType: string; user: Record<string, string>; initiated: string } {
    let u;
    try {
      u = JSON.parse(readFileSync(join(this.uploadDir(id), 'upload.json'), 'utf8'));
    } catch {
      throw new S3Error(404, 'NoSuchUpload', 'The specified multipart upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.');
    }
    if (u.bucket !== b || u.key !== k) throw new S3Error(404, 'NoSuchUpload', 'The specified multipart upload does not exist for this key.');
    return u;
  }

  putPart(id: string, n: number, w: Written): string {
    const dir = this.uploadDir(id);
    renameSync(w.path, join(dir, `part.${n}`));
    writeFileSync(join(dir, `part.${n}.json`), JSON.stringify({ etag: w.md5, size: w.size }));
    return w.md5;
  }

  parts(id: string): { n: number; etag: string; size: number; mtime: Date }[] {
    const dir = this.uploadDir(id);
    return readdirSync(dir)
      .filter((f) => /^part\.\d+\.json$/.test(f))
      .map((f) => ({ n: Number(f.split('.')[1]), ...JSON.parse(readFileSync(join(dir, f), 'utf8')), mtime: statSync(join(dir, f)).mtime }))
      .sort((a, b) => a.n - b.n);
  }

  /** Joins the listed parts (in order, ETags matching, all but the last ≥ 5 MiB) into the object. */
  async complete(id: string, b: string, k: string, list: { n: number; etag: string }[]): Promise<string> {
    const u = this.upload(id, b, k);
    if (!list.length) throw new S3Error(400, 'MalformedXML', 'You must specify at least one part');
    const have = new Map(this.parts(id).map((p) => [p.n, p]));
    const md5s: Buffer[] = [];
    if (list.some((p, i) => i > 0 && !(p.n > list[i - 1].n))) throw new S3Error(400, 'InvalidPartOrder', 'The list of parts was not in ascending order. The parts list must be specified in order by part number.');
    for (let i = 0; i < list.length; i++) {
      const want = list[i];
      const p = have.get(want.n);
      if (!p || p.etag !== want.etag.replace(/"/g, '')) throw new S3Error(400, 'InvalidPart', `One or more of the specified parts could not be found (part ${want.n}).`);
      if (i < list.length - 1 && p.size < 5 * 1024 * 1024) throw new S3Error(400, 'EntityTooSmall', `Your proposed upload is smaller than the minimum allowed object size (part ${want.n}: ${p.size} bytes; all parts but the last must be at least 5 MiB).`);
      md5s.push(Buffer.from(p.etag, 'hex'));
    }
    const dir = this.uploadDir(id);
    const out = join(this.root, SYS, 'tmp', randomBytes(12).toString('hex'));
    const ws = createWriteStream(out);
    for (const { n } of list) await pipeline(createReadStream(join(dir, `part.${n}`)), ws, { end: false });
    await new Promise<void>((res, rej) => ws.end((e?: Error | null) => (e ? rej(e) : res())));
    const etag = `${createHash('md5').update(Buffer.concat(md5s)).digest('hex')}-${list.length}`;
    this.place(b, k, out, { etag, contentType: u.contentType, user: u.user });
    rmSync(dir, { recursive: true, force: true });
    return etag;
  }

  abort(id: string, b: string, k: string): void {
    this.upload(id, b, k);
    rmSync(this.uploadDir(id), { recursive: true, force: true });
  }

  uploads(b: string): { id: string; key: string; initiated: string }[] {
    const root = join(this.root, SYS, 'multipart');
    if (!existsSync(root)) return [];
    const out: { id: string; key: string; initiated: string }[] = [];
    for (const id of readdirSync(root)) {
      try {
        const u = JSON.parse(readFileSync(join(root, id, 'upload.json'), 'utf8'));
        if (u.bucket === b) out.push({ id, key: u.key, initiated: u.initiated });
      } catch {
        /* being completed */
      }
    }
    return out.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  }
}
