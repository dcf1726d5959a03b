/**
 * Pure parts of the infrastructure images: argument/environment translation (redis, prometheus,
 * postgres, minio), the image plan (volumes, files), the unmapped-image message, SigV4 against
 * the examples AWS documents, aws-chunked bodies, listings on a real store in a temp dir.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readlinkSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { spawnSync } from 'node:child_process';
import { redisAdapter, prometheusAdapter } from './image-infra.js';
import { DEFAULT_IMAGES, IMAGE_BIN, ImageTable, applyImagePlan, hostBusybox, missingRequirement, planImage, programInstalled, type ImagePlan } from './images.js';
import { pgPlan } from './programs/postgres.js';
import { minioConfig } from './programs/minio.js';
import { guestbookApi } from './programs/gb-frontend.js';
import { ChunkDecoder, chunkSignature, signingKey, verifyRequest } from './programs/s3/sigv4.js';
import { Store } from './programs/s3/store.js';
import { handleS3, listObjects } from './programs/s3/server.js';
import { createServer } from 'node:http';
import { S3Client, CreateBucketCommand, CreateMultipartUploadCommand, UploadPartCommand, CompleteMultipartUploadCommand, GetObjectCommand, HeadBucketCommand, PutObjectCommand, DeleteBucketCommand } from '@aws-sdk/client-s3';

const NETNS = { listenIP: '0.0.0.0' };
const HOSTNET = { listenIP: '10.244.0.7' };

describe('redis image', () => {
  it("runs Argo CD's args (one-word --requirepass) with protected mode off", () => {
    const r = redisAdapter(['--save', '', '--appendonly', 'no', '--requirepass s3cret'], {}, NETNS);
    assert.deepEqual(r.argv, ['redis-server', '--save', '', '--appendonly', 'no', '--requirepass s3cret', '--protected-mode', 'no']);
  });
  it('takes the password from REDIS_PASSWORD when the args give none', () => {
    assert.deepEqual(redisAdapter(['redis-server'], { REDIS_PASSWORD: 'pw' }, NETNS).argv, ['redis-server', '--requirepass', 'pw', '--protected-mode', 'no']);
    assert.deepEqual(redisAdapter(['redis-server', '--requirepass', 'a'], { REDIS_PASSWORD: 'b' }, NETNS).argv, ['redis-server', '--requirepass', 'a', '--protected-mode', 'no']);
    assert.deepEqual(redisAdapter(['redis-server'], { REDIS_PASSWORD: '' }, NETNS).argv, ['redis-server', '--protected-mode', 'no']);
  });
  it('a config file, explicit options and other commands are respected; sharing the host network it binds the pod IP', () => {
    assert.deepEqual(redisAdapter(['/etc/redis/redis.conf'], {}, NETNS).argv, ['redis-server', '/etc/redis/redis.conf', '--protected-mode', 'no']);
    assert.deepEqual(redisAdapter(['/usr/local/bin/redis-server', '--protected-mode', 'yes', '--bind', '127.0.0.1'], {}, HOSTNET).argv, ['/usr/local/bin/redis-server', '--protected-mode', 'yes', '--bind', '127.0.0.1']);
    assert.deepEqual(redisAdapter(['redis-server'], {}, HOSTNET).argv, ['redis-server', '--protected-mode', 'no', '--bind', '10.244.0.7']);
    assert.deepEqual(redisAdapter(['redis-cli', 'ping'], { REDIS_PASSWORD: 'x' }, NETNS).argv, ['redis-cli', 'ping']);
  });
});

describe('prometheus image', () => {
  it('listens on the pod IP only when sharing the host network and not told where', () => {
    const args = ['prometheus', '--config.file=/etc/prometheus/prometheus.yml'];
    assert.deepEqual(prometheusAdapter(args, {}, NETNS).argv, args);
    assert.deepEqual(prometheusAdapter(args, {}, HOSTNET).argv, [...args, '--web.listen-address=10.244.0.7:9090']);
    assert.deepEqual(prometheusAdapter([...args, '--web.listen-address=:9091'], {}, HOSTNET).argv, [...args, '--web.listen-address=:9091']);
  });
  it("uses the image's entrypoint and default args", () => {
    const m = DEFAULT_IMAGES['prom/prometheus'];
    assert.deepEqual(m.entrypoint, ['prometheus']);
    assert.deepEqual(m.cmd, ['--config.file=/etc/prometheus/prometheus.yml', '--storage.tsdb.path=/prometheus']);
    assert.equal(DEFAULT_IMAGES['quay.io/prometheus/prometheus'], m);
  });
});

describe('postgres image', () => {
  it('defaults like the image: user postgres, database = user, scram-sha-256, every address', () => {
    const p = pgPlan(['postgres'], { POSTGRES_PASSWORD: 'pw' });
    assert.ok(!('error' in p));
    assert.equal(p.user, 'postgres');
    assert.equal(p.db, 'postgres');
    assert.equal(p.password, 'pw');
    assert.equal(p.authMethod, 'scram-sha-256');
    assert.equal(p.pgdata, '/var/lib/postgresql/data');
    assert.deepEqual(p.serverArgs, ['-c', 'listen_addresses=*']);
  });
  it('POSTGRES_USER/DB, PGDATA, POSTGRES_INITDB_ARGS and server args', () => {
    const p = pgPlan(['-c', 'max_connections=50'], { POSTGRES_USER: 'argo', POSTGRES_DB: 'wf', PGDATA: '/d/pg', POSTGRES_INITDB_ARGS: '--data-checksums  -k', FLOTILLA_LISTEN_IP: '10.244.0.9' });
    assert.ok(!('error' in p));
    assert.equal(p.db, 'wf');
    assert.equal(p.user, 'argo');
    assert.equal(p.pgdata, '/d/pg');
    assert.deepEqual(p.initdbArgs, ['--encoding=UTF8', '--locale=C.UTF-8', '--data-checksums', '-k']);
    assert.deepEqual(p.serverArgs, ['-c', 'listen_addresses=10.244.0.9', '-c', 'max_connections=50']);
    const own = pgPlan(['docker-entrypoint.sh', 'postgres', '-c', 'listen_addresses=127.0.0.1'], {});
    assert.ok(!('error' in own));
    assert.deepEqual(own.serverArgs, ['-c', 'listen_addresses=127.0.0.1']);
  });
  it('refuses a command that is not postgres', () => {
    const p = pgPlan(['psql', '-c', 'x'], {});
    assert.ok('error' in p);
    assert.match(p.error, /runs "postgres \[OPTIONS\]" here, not "psql -c x"/);
  });
});

describe('minio image', () => {
  it('reads `minio server DIR` and the flags the manifests use', () => {
    const c = minioConfig(['minio', 'server', '/data', '--console-address', ':9001'], { MINIO_ACCESS_KEY: 'admin', MINIO_SECRET_KEY: 'password', FLOTILLA_LISTEN_IP: '0.0.0.0' });
    assert.deepEqual(c, { dir: '/data', host: '0.0.0.0', port: 9000, consolePort: 9001, accessKey: 'admin', secretKey: 'password', region: 'us-east-1' });
    assert.equal(minioConfig(['server', '--address=127.0.0.1:9100', '/x'], {}).port, 9100);
    assert.equal(minioConfig(['server', '--address=127.0.0.1:9100', '/x'], {}).host, '127.0.0.1');
  });
  it('credentials: MINIO_ROOT_* before MINIO_ACCESS_KEY/SECRET_KEY, _FILE variants, then minioadmin', () => {
    const c = minioConfig(['server', '/d'], { MINIO_ROOT_USER: 'root', MINIO_ROOT_PASSWORD: 'rootpass1', MINIO_ACCESS_KEY: 'a', MINIO_SECRET_KEY: 'b' });
    assert.deepEqual([c.accessKey, c.secretKey], ['root', 'rootpass1']);
    const f = minioConfig(['server', '/d'], { MINIO_ROOT_USER_FILE: '/run/u', MINIO_ROOT_PASSWORD_FILE: '/run/p' }, (p) => (p === '/run/u' ? 'fileuser' : 'filepassword'));
    assert.deepEqual([f.accessKey, f.secretKey], ['fileuser', 'filepassword']);
    const d = minioConfig(['server', '/d'], {});
    assert.deepEqual([d.accessKey, d.secretKey], ['minioadmin', 'minioadmin']);
  });
  it('bad invocations say what is wrong', () => {
    assert.throws(() => minioConfig(['gateway', 's3'], {}), /only "minio server DIR" is supported/);
    assert.throws(() => minioConfig(['server'], {}), /exactly one directory/);
    assert.throws(() => minioConfig(['server', '/d', '--bogus'], {}), /unknown flag --bogus/);
    assert.throws(() => minioConfig(['server', '/d'], { MINIO_ROOT_PASSWORD: 'short' }), /at least 8/);
    assert.throws(() => minioConfig(['server', '/d', '--address', ':notaport'], {}), /invalid address ":notaport"/);
  });
});

describe('image plan', () => {
  const vars = { tag: '1', podIP: '10.244.0.3', listenIP: '0.0.0.0' };
  const m = DEFAULT_IMAGES.nginx;
  it("adds the image's volumes and files, filled, under the container's directory", () => {
    const p = planImage(m, { argv: ['nginx', '-g', 'daemon off;'], env: {}, podMounts: [], hostDir: '/pod/image/web', vars }) as ImagePlan;
    assert.deepEqual(p.mounts.map((x) => [x.path, !!x.readOnly]), [
      ['/var/log/nginx', false],
      ['/var/cache/nginx', false],
      ['/var/lib/nginx', false],
      ['/etc/nginx/nginx.conf', true],
      ['/etc/nginx/conf.d/default.conf', true],
    ]);
    assert.match(p.files.find((f) => f.host.endsWith(encodeURIComponent('/etc/nginx/conf.d/default.conf')))!.content, /listen 0\.0\.0\.0:80;/);
    assert.deepEqual(p.links, [
      { host: join('/pod/image/web/volumes', encodeURIComponent('/var/log/nginx'), 'access.log'), target: '/dev/stdout' },
      { host: join('/pod/image/web/volumes', encodeURIComponent('/var/log/nginx'), 'error.log'), target: '/dev/stderr' },
    ]);
  });
  it("leaves out what the pod's own volumes cover", () => {
    const p = planImage(m, { argv: ['nginx'], env: {}, podMounts: ['/etc/nginx/conf.d', '/var/log/nginx/'], hostDir: '/h', vars }) as ImagePlan;
    assert.deepEqual(p.mounts.map((x) => x.path), ['/var/cache/nginx', '/var/lib/nginx', '/etc/nginx/nginx.conf']);
    assert.deepEqual(p.links, []);
  });
  it("puts the image's programs with a bare name on its PATH (a shell in argosay finds cowsay)", () => {
    const p = planImage(DEFAULT_IMAGES['argoproj/argosay']!, { argv: ['sh', '-c', 'cowsay hello'], env: { PATH: '/usr/bin:/bin' }, podMounts: [], hostDir: '/h', vars }) as ImagePlan;
    assert.equal(p.env.PATH, `${IMAGE_BIN}:/usr/bin:/bin`);
    assert.deepEqual(p.mounts.filter((x) => x.path === IMAGE_BIN), [{ host: '/h/bin', path: IMAGE_BIN, readOnly: true }]);
    const cowsay = p.files.find((f) => f.host === '/h/bin/cowsay')!;
    assert.equal(cowsay.mode, 0o755);
    assert.match(cowsay.content, /^#!\/bin\/sh\nexec \S+ \S+\/whalesay\.js "\$@"\n$/);
    assert.ok(!p.files.some((f) => f.host === '/h/bin//argosay' || f.host === '/h/bin/%2Fargosay'), 'an absolute name (/argosay) is not a PATH program');
    // …but a file at that path: `sh -c "/bin/sleep 1; /argosay"` runs it (upstream's hook tests)
    const abs = p.files.find((f) => f.host === '/h/files/%2Fargosay')!;
    assert.equal(abs.mode, 0o755);
    assert.match(abs.content, /^#!\/bin\/sh\nexec \S+ \S+\/argosay\.js "\$@"\n$/);
    assert.deepEqual(p.mounts.find((x) => x.path === '/argosay'), { host: '/h/files/%2Fargosay', path: '/argosay', readOnly: true });
    // alpine and busybox: the host's userland and the built-in nc
    const alpine = planImage(DEFAULT_IMAGES.alpine!, { argv: ['sh', '-c', 'nc -lk -p 9999'], env: { PATH: '/bin' }, podMounts: [], hostDir: '/h', vars }) as ImagePlan;
    assert.equal(alpine.env.PATH, `${IMAGE_BIN}:/bin`);
    assert.match(alpine.files.find((f) => f.host === '/h/bin/nc')!.content, /nc\.js "\$@"/);
    // BusyBox and Alpine images: `sh`/`ash` on the image's PATH are links to the host's busybox (when it has one)
    const bb = hostBusybox();
    const shells = alpine.links.filter((l) => l.host === '/h/bin/sh' || l.host === '/h/bin/ash');
    if (bb) assert.deepEqual(shells, [{ host: '/h/bin/sh', target: bb }, { host: '/h/bin/ash', target: bb }]);
    else assert.deepEqual(shells, []);
    assert.deepEqual((planImage(DEFAULT_IMAGES.debian!, { argv: ['sh'], env: { PATH: '/bin' }, podMounts: [], hostDir: '/h', vars }) as ImagePlan).links, [], 'debian keeps the host sh');
    // an image with no such programs keeps its PATH
    assert.equal((planImage(m, { argv: ['nginx'], env: { PATH: '/bin' }, podMounts: [], hostDir: '/h', vars }) as ImagePlan).env.PATH, '/bin');
  });
  it('applies the adapter, and reports bad mappings', () => {
    const r = planImage(DEFAULT_IMAGES.redis, { argv: ['--save', ''], env: {}, podMounts: ['/data'], hostDir: '/h', vars }) as ImagePlan;
    assert.deepEqual(r.argv, ['redis-server', '--save', '', '--protected-mode', 'no']);
    assert.deepEqual(r.mounts, []);
    assert.match((planImage({ adapter: 'nope' }, { argv: [], env: {}, podMounts: [], hostDir: '/h', vars }) as { error: string }).error, /unknown image adapter "nope"/);
    assert.match((planImage({ files: { '/etc/x': { symlink: '/dev/null' } } }, { argv: [], env: {}, podMounts: [], hostDir: '/h', vars }) as { error: string }).error, /symlink outside the image's volumes/);
    assert.match((planImage({ volumes: ['data'] }, { argv: [], env: {}, podMounts: [], hostDir: '/h', vars }) as { error: string }).error, /"data" is not an absolute path/);
  });
  it('applyImagePlan makes the directories, files and links (again on a restart)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plan-'));
    try {
      const p = planImage(m, { argv: ['nginx'], env: {}, podMounts: [], hostDir: dir, vars }) as ImagePlan;
      applyImagePlan(p);
      applyImagePlan(p);
      assert.equal(readlinkSync(p.links[0].host), '/dev/stdout');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('required host programs', () => {
  it('names on PATH (and sbin), absolute paths with * segments', () => {
    const dir = mkdtempSync(join(tmpdir(), 'req-'));
    try {
      mkdirSync(join(dir, 'lib', '15', 'bin'), { recursive: true });
      writeFileSync(join(dir, 'lib', '15', 'bin', 'server'), '#!/bin/sh\n', { mode: 0o755 });
      writeFileSync(join(dir, 'lib', 'plain'), 'not executable', { mode: 0o644 });
      assert.ok(programInstalled(join(dir, 'lib', '*', 'bin', 'server'), ''));
      assert.ok(!programInstalled(join(dir, 'lib', '*', 'bin', 'client'), ''));
      assert.ok(programInstalled('server', `/nonexistent:${join(dir, 'lib', '15', 'bin')}`));
      assert.ok(!programInstalled('plain', join(dir, 'lib')));
      const m = { requires: [{ program: 'server', package: 'pkg-a' }, { program: 'flotilla-absent', package: 'pkg-b' }] };
      assert.deepEqual(missingRequirement(m, join(dir, 'lib', '15', 'bin')), { program: 'flotilla-absent', package: 'pkg-b' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('unmapped images', () => {
  it('the message lists the whole table, python and node among the host-userland images', () => {
    const dir = mkdtempSync(join(tmpdir(), 'imgs-'));
    try {
      writeFileSync(join(dir, 'images.json'), JSON.stringify({ 'my/base': { cmd: ['sh'], hostUserland: true }, 'my/tool': { entrypoint: ['/bin/tool'] } }));
      const t = new ImageTable({ 'opt/img': { entrypoint: ['x'] } }, join(dir, 'images.json'));
      const r = t.resolve('example.com/nothing:1');
      assert.ok('error' in r);
      const userland = /Images that run on the host userland: ([^;]*);/.exec(r.error)![1].split(', ');
      for (const k of ['busybox', 'alpine', 'debian', 'ubuntu', 'python', 'node', 'my/base']) assert.ok(userland.includes(k), `${k} in ${userland}`);
      const other = /other mapped images: (.*)$/.exec(r.error)![1].split(', ');
      for (const k of ['redis', 'minio/minio', 'postgres', 'prom/prometheus', 'nginx', 'gcr.io/google-samples/gb-frontend', 'opt/img', 'my/tool']) assert.ok(other.includes(k), `${k} in ${other}`);
      // every default image is listed, each once
      assert.equal(userland.length + other.length, Object.keys(DEFAULT_IMAGES).length + 3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SigV4 (the examples in the S3 documentation)', () => {
  const AK = 'AKIAIOSFODNN7EXAMPLE';
  const SK = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  const secretFor = (k: string) => (k === AK ? SK : undefined);
  const now = Date.UTC(2013, 4, 24, 0, 0, 1);
  const get = {
    method: 'GET',
    url: '/test.txt',
    headers: {
      host: 'examplebucket.s3.amazonaws.com',
      range: 'bytes=0-9',
      'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      'x-amz-date': '20130524T000000Z',
      authorization: `AWS4-HMAC-SHA256 Credential=${AK}/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41`,
    },
  };
  it('GET Object with an Authorization header', () => {
    const r = verifyRequest(get, secretFor, now);
    assert.ok(r.ok, JSON.stringify(r));
  });
  it('a wrong secret, an unknown key, a stale date and a tampered header are refused', () => {
    const bad = (r: ReturnType<typeof verifyRequest>) => (r.ok ? '' : r.code);
    assert.equal(bad(verifyRequest(get, () => 'other', now)), 'SignatureDoesNotMatch');
    assert.equal(bad(verifyRequest(get, () => undefined, now)), 'InvalidAccessKeyId');
    assert.equal(bad(verifyRequest(get, secretFor, now + 3600_000)), 'RequestTimeTooSkewed');
    assert.equal(bad(verifyRequest({ ...get, headers: { ...get.headers, range: 'bytes=0-10' } }, secretFor, now)), 'SignatureDoesNotMatch');
    assert.equal(bad(verifyRequest({ ...get, headers: { host: 'x' } }, secretFor, now)), 'AccessDenied');
  });
  it('ListObjects with a query string', () => {
    const r = verifyRequest(
      {
        method: 'GET',
        url: '/?max-keys=2&prefix=J',
        headers: {
          host: 'examplebucket.s3.amazonaws.com',
          'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
          'x-amz-date': '20130524T000000Z',
          authorization: `AWS4-HMAC-SHA256 Credential=${AK}/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7`,
        },
      },
      secretFor,
      now,
    );
    assert.ok(r.ok, JSON.stringify(r));
  });
  it('a presigned URL, valid until it expires', () => {
    const url = `/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${AK}%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404`;
    const req = { method: 'GET', url, headers: { host: 'examplebucket.s3.amazonaws.com' } };
    assert.ok(verifyRequest(req, secretFor, now).ok);
    const late = verifyRequest(req, secretFor, now + 86_400_000);
    assert.ok(!late.ok && /expired/.test(late.message));
  });
  it('a chunked upload: seed and chunk signatures', async () => {
    const req = {
      method: 'PUT',
      url: '/examplebucket/chunkObject.txt',
      headers: {
        host: 's3.amazonaws.com',
        'x-amz-date': '20130524T000000Z',
        'x-amz-storage-class': 'REDUCED_REDUNDANCY',
        'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
        'content-encoding': 'aws-chunked',
        'x-amz-decoded-content-length': '66560',
        'content-length': '66824',
        authorization: `AWS4-HMAC-SHA256 Credential=${AK}/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9`,
      },
    };
    const r = verifyRequest(req, secretFor, now);
    assert.ok(r.ok && r.seed, JSON.stringify(r));
    const key = signingKey(SK, '20130524', 'us-east-1', 's3');
    const c1 = Buffer.alloc(65536, 'a');
    const c2 = Buffer.alloc(1024, 'a');
    const s1 = chunkSignature(key, '20130524T000000Z', '20130524/us-east-1/s3/aws4_request', r.seed.signature, c1);
    assert.equal(s1, 'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648');
    const s2 = chunkSignature(key, '20130524T000000Z', '20130524/us-east-1/s3/aws4_request', s1, c2);
    assert.equal(s2, '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497');
    const s3 = chunkSignature(key, '20130524T000000Z', '20130524/us-east-1/s3/aws4_request', s2, Buffer.alloc(0));
    assert.equal(s3, 'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9');
    // the body, split at awkward places, decodes to the payload
    const body = Buffer.concat([Buffer.from(`10000;chunk-signature=${s1}\r\n`), c1, Buffer.from(`\r\n400;chunk-signature=${s2}\r\n`), c2, Buffer.from(`\r\n0;chunk-signature=${s3}\r\n\r\n`)]);
    assert.equal(body.length, 66824);
    const pieces = [body.subarray(0, 7), body.subarray(7, 70000), body.subarray(70000)];
    const out = await collect(Readable.from(pieces).pipe(new ChunkDecoder(r.seed)));
    assert.equal(out.length, 66560);
    // a changed byte breaks its chunk's signature
    const tampered = Buffer.from(body);
    tampered[200] = 98;
    await assert.rejects(collect(Readable.from([tampered]).pipe(new ChunkDecoder(r.seed))), /SignatureDoesNotMatch/);
  });
  it('unsigned chunks with a checksum trailer; a truncated body is an error', async () => {
    const body = ' 5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n'.slice(1);
    assert.equal((await collect(Readable.from([Buffer.from(body)]).pipe(new ChunkDecoder()))).toString(), 'hello world');
    await assert.rejects(collect(Readable.from([Buffer.from('5\r\nhel')]).pipe(new ChunkDecoder())), /IncompleteBody/);
    await assert.rejects(collect(Readable.from([Buffer.from('zz\r\n')]).pipe(new ChunkDecoder())), /bad chunk size/);
  });
});

async function collect(s: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('S3 listings on the store', () => {
  it('prefix, delimiter, pages (V1 and V2), keys as plain files', () => {
    const dir = mkdtempSync(join(tmpdir(), 's3-'));
    try {
      const st = new Store(dir);
      st.createBucket('bkt');
      // files put there directly are objects too (minio's postStart `mkdir -p /data/my-bucket`)
      for (const k of ['a/1', 'a/2', 'b', 'c/d/e', 'c/x']) {
        mkdirSync(join(dir, 'bkt', k, '..'), { recursive: true });
        writeFileSync(join(dir, 'bkt', k), k);
      }
      const keys = (xml: string) => [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]);
      const prefixes = (xml: string) => [...xml.matchAll(/<CommonPrefixes><Prefix>([^<]*)<\/Prefix>/g)].map((m) => m[1]);
      const all = listObjects(st, 'bkt', new URLSearchParams('list-type=2'));
      assert.deepEqual(keys(all), ['a/1', 'a/2', 'b', 'c/d/e', 'c/x']);
      const top = listObjects(st, 'bkt', new URLSearchParams('list-type=2&delimiter=/'));
      assert.deepEqual([keys(top), prefixes(top)], [['b'], ['a/', 'c/']]);
      const c = listObjects(st, 'bkt', new URLSearchParams('list-type=2&delimiter=/&prefix=c/'));
      assert.deepEqual([keys(c), prefixes(c)], [['c/x'], ['c/d/']]);
      // pages of two, following the continuation token
      const seen: string[] = [];
      let token = '';
      for (let i = 0; i < 5; i++) {
        const page = listObjects(st, 'bkt', new URLSearchParams(`list-type=2&delimiter=/&max-keys=2${token ? `&continuation-token=${encodeURIComponent(token)}` : ''}`));
        seen.push(...prefixes(page), ...keys(page));
        const next = /<NextContinuationToken>([^<]*)</.exec(page);
        if (!next) break;
        token = next[1];
      }
      assert.deepEqual(seen.sort(), ['a/', 'b', 'c/']);
      // a prefix that climbs out of the bucket lists nothing
      mkdirSync(join(dir, 'other'));
      writeFileSync(join(dir, 'other', 'secret'), 'x');
      assert.deepEqual(keys(listObjects(st, 'bkt', new URLSearchParams('list-type=2&prefix=../other/'))), []);
      assert.deepEqual(keys(listObjects(st, 'bkt', new URLSearchParams('list-type=2&prefix=a/../../other/'))), []);
      const v1 = listObjects(st, 'bkt', new URLSearchParams('marker=a/2'));
      assert.deepEqual(keys(v1), ['b', 'c/d/e', 'c/x']);
      assert.match(st.head('bkt', 'b').etag, /^[0-9a-f]{32}$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('S3 server: bad requests get S3 errors', () => {
  it('unsigned, missing bucket or key, bad names, small parts, non-empty bucket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 's3e-'));
    const store = new Store(dir);
    const srv = createServer((req, res) => void handleS3({ store, accessKey: 'admin', secretKey: 'password' }, req, res));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const endpoint = `http://127.0.0.1:${(srv.address() as { port: number }).port}`;
    const s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'admin', secretAccessKey: 'password' }, maxAttempts: 1 });
    const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: any) => `${e.$metadata?.httpStatusCode} ${e.Code ?? e.name}`);
    try {
      const anon = await fetch(`${endpoint}/bkt/x`);
      assert.equal(anon.status, 403);
      assert.match(await anon.text(), /<Code>AccessDenied<\/Code>/);
      assert.equal(await code(s3.send(new HeadBucketCommand({ Bucket: 'nope' }))), '404 NotFound');
      assert.equal(await code(s3.send(new CreateBucketCommand({ Bucket: 'Bad_Name' }))), '400 InvalidBucketName');
      assert.equal(await code(s3.send(new CreateBucketCommand({ Bucket: 'bkt' }))), 'ok');
      assert.equal(await code(s3.send(new CreateBucketCommand({ Bucket: 'bkt' }))), '409 BucketAlreadyOwnedByYou');
      assert.equal(await code(s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'missing' }))), '404 NoSuchKey');
      assert.equal(await code(s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'a//b', Body: 'x' }))), '400 XMinioInvalidObjectName');
      assert.equal(await code(s3.send(new PutObjectCommand({ Bucket: 'missing', Key: 'k', Body: 'x' }))), '404 NoSuchBucket');
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'bkt', Key: 'm' }));
      const p1 = await s3.send(new UploadPartCommand({ Bucket: 'bkt', Key: 'm', UploadId, PartNumber: 1, Body: 'small' }));
      const p2 = await s3.send(new UploadPartCommand({ Bucket: 'bkt', Key: 'm', UploadId, PartNumber: 2, Body: 'tail' }));
      const complete = (parts: { PartNumber: number; ETag?: string }[]) => s3.send(new CompleteMultipartUploadCommand({ Bucket: 'bkt', Key: 'm', UploadId, MultipartUpload: { Parts: parts } }));
      assert.equal(await code(complete([{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.ETag }])), '400 EntityTooSmall');
      assert.equal(await code(complete([{ PartNumber: 1, ETag: '"0000"' }])), '400 InvalidPart');
      assert.equal(await code(complete([{ PartNumber: 2, ETag: p2.ETag }, { PartNumber: 1, ETag: p1.ETag }])), '400 InvalidPartOrder');
      assert.equal(await code(complete([{ PartNumber: 2, ETag: p2.ETag }])), 'ok');
      assert.equal(await (await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'm' }))).Body!.transformToString(), 'tail');
      assert.equal(await code(s3.send(new UploadPartCommand({ Bucket: 'bkt', Key: 'm', UploadId, PartNumber: 3, Body: 'late' }))), '404 NoSuchUpload');
      assert.equal(await code(s3.send(new DeleteBucketCommand({ Bucket: 'bkt' }))), '409 BucketNotEmpty');
    } finally {
      s3.destroy();
      srv.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('guestbook', () => {
  it('get and set', () => {
    const store = new Map<string, string>();
    assert.deepEqual(guestbookApi(new URLSearchParams('cmd=get&key=messages'), store), { status: 200, body: { data: '' } });
    assert.deepEqual(guestbookApi(new URLSearchParams('cmd=set&key=messages&value=hi,there'), store), { status: 200, body: { message: 'Updated' } });
    assert.deepEqual(guestbookApi(new URLSearchParams('cmd=get&key=messages'), store).body, { data: 'hi,there' });
    assert.equal(guestbookApi(new URLSearchParams('cmd=drop&key=messages'), store).status, 400);
  });
});

describe('the argosay stand-in', () => {
  const argosay = join(new URL('.', import.meta.url).pathname, 'programs', 'argosay.js');
  const run = (...args: string[]) => spawnSync(process.execPath, [argosay, ...args], { encoding: 'utf8' });
  it('assert_contains and assert_eq read the file they name (archive-strategies: `echo hello /tmp/f`, then `assert_contains /tmp/f hello`)', () => {
    const d = mkdtempSync(join(tmpdir(), 'argosay-'));
    const f = join(d, 'file-default');
    assert.equal(run('echo', 'hello', f).status, 0);
    assert.equal(run('assert_contains', f, 'hello').status, 0);
    assert.equal(run('assert_eq', f, 'hello').status, 0);
    const bad = run('assert_contains', f, 'bye');
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /"hello" does not contain "bye"/);
    assert.equal(run('assert_contains', 'some text', 'text').status, 0, 'no such file: the argument is the text');
    rmSync(d, { recursive: true, force: true });
  });
});
