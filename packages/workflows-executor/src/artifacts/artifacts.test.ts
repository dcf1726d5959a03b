/**
 * Artifacts: archive strategies and unpacking, keys and locations (tables), and the drivers against
 * real servers — the node agent's built-in S3 server (what the minio image runs) as a process on
 * loopback, an HTTP server, a Git repository cloned with the host git.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttp, type Server } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { applyMode, archive, deleteArtifact, detect, inputLocation, loadArtifact, outputLocation, renderKey, saveArtifact, templateRepository, unpack, withLocation, type ArtifactRepository } from './index.js';
import { authURL } from './fetch.js';
import { artifactsToDelete } from '../gc.js';
import { collectOutputs } from '../wait.js';
import { parseEnv } from '../env.js';
import { endpointURL } from './s3.js';

const MINIO = fileURLToPath(new URL('../../../node-agent/dist/programs/minio.js', import.meta.url));
const vars = { workflowName: 'wf', namespace: 'argo', podName: 'wf-123', workflowUID: 'u' };

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'argoexec-art-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string, pre: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.isDirectory()) walk(join(d, e.name), `${pre}${e.name}/`);
      else out.push(`${pre}${e.name}=${readFileSync(join(d, e.name), 'utf8')}`);
    }
  };
  walk(root, '');
  return out;
}

describe('archive strategies', () => {
  it('tar+gzip a directory and unpack it to another path', async () => {
    const src = join(dir, 'src-dir');
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(src, 'a.txt'), 'A');
    writeFileSync(join(src, 'sub', 'b.txt'), 'B');
    const tgz = join(dir, 'out', 'd.tgz');
    await archive(src, tgz, {});
    assert.equal(detect(readFileSync(tgz)), 'tar.gz');
    await unpack(tgz, join(dir, 'dest-dir'), {});
    assert.deepEqual(tree(join(dir, 'dest-dir')), ['a.txt=A', 'sub/b.txt=B']);
  });
  it('tar+gzip a file (compression level honoured) and unpack it as the file', async () => {
    writeFileSync(join(dir, 'one.txt'), 'x'.repeat(10_000));
    await archive(join(dir, 'one.txt'), join(dir, 'one.tgz'), { archive: { tar: { compressionLevel: 0 } } });
    await archive(join(dir, 'one.txt'), join(dir, 'one9.tgz'), { archive: { tar: { compressionLevel: 9 } } });
    assert.ok(statSync(join(dir, 'one.tgz')).size > statSync(join(dir, 'one9.tgz')).size);
    await unpack(join(dir, 'one9.tgz'), join(dir, 'one-back.txt'), {});
    assert.equal(readFileSync(join(dir, 'one-back.txt'), 'utf8'), 'x'.repeat(10_000));
  });
  it('none copies as is; a plain gzip is decompressed; other files are kept', async () => {
    writeFileSync(join(dir, 'plain.txt'), 'plain');
    await archive(join(dir, 'plain.txt'), join(dir, 'none-copy'), { archive: { none: {} } });
    assert.equal(readFileSync(join(dir, 'none-copy'), 'utf8'), 'plain');
    writeFileSync(join(dir, 'g.gz'), gzipSync('zipped'));
    assert.equal(detect(readFileSync(join(dir, 'g.gz'))), 'gzip');
    await unpack(join(dir, 'g.gz'), join(dir, 'g.out'), {});
    assert.equal(readFileSync(join(dir, 'g.out'), 'utf8'), 'zipped');
    writeFileSync(join(dir, 'g2.gz'), gzipSync('kept'));
    await unpack(join(dir, 'g2.gz'), join(dir, 'g2.out'), { archive: { none: {} } });
    assert.deepEqual(readFileSync(join(dir, 'g2.out')), gzipSync('kept'));
    assert.equal(detect(Buffer.from('hello')), 'plain');
    await assert.rejects(archive(join(dir, 'plain.txt'), join(dir, 'z'), { archive: { zip: {} } }), /zip archive strategy is not supported/);
  });
  it('applies mode, recursively with recurseMode', () => {
    const d = join(dir, 'modes');
    mkdirSync(join(d, 'in'), { recursive: true });
    writeFileSync(join(d, 'in', 'f'), 'f');
    applyMode(d, 0o750, false);
    assert.equal(statSync(d).mode & 0o777, 0o750);
    assert.equal(statSync(join(d, 'in', 'f')).mode & 0o777, 0o644);
    applyMode(d, 0o700, true);
    assert.equal(statSync(join(d, 'in', 'f')).mode & 0o777, 0o700);
    assert.equal(statSync(join(d, 'in')).mode & 0o777, 0o700);
  });
});

describe('artifact locations', () => {
  const repo: ArtifactRepository = { s3: { bucket: 'my-bucket', endpoint: 'minio:9000', insecure: true, accessKeySecret: { name: 's', key: 'a' }, secretKeySecret: { name: 's', key: 'b' } } };
  it('output keys: default format, keyFormat, keyPrefix, archive none, the artifact\'s own key', () => {
    assert.equal(outputLocation({ name: 'art', path: '/tmp/x' }, repo, vars).recorded.s3?.key, 'wf/wf-123/art.tgz');
    assert.deepEqual(outputLocation({ name: 'art', path: '/tmp/x' }, repo, vars).recorded.s3, { key: 'wf/wf-123/art.tgz' });
    assert.equal(outputLocation({ name: 'art', path: '/tmp/x.txt', archive: { none: {} } }, repo, vars).recorded.s3?.key, 'wf/wf-123/x.txt');
    assert.equal(outputLocation({ name: 'a', path: '/p' }, { s3: { ...repo.s3, keyFormat: '{{workflow.namespace}}/{{workflow.name}}/{{workflow.uid}}' } }, vars).recorded.s3?.key, 'argo/wf/u/a.tgz');
    assert.equal(outputLocation({ name: 'a', path: '/p' }, { s3: { ...repo.s3, keyPrefix: 'pre/' } }, vars).recorded.s3?.key, 'pre/wf/wf-123/a.tgz');
    const own = outputLocation({ name: 'a', path: '/p', s3: { key: 'mine/{{pod.name}}.tgz', bucket: 'other' } }, repo, vars);
    assert.equal(own.loc.kind === 's3' && own.loc.s3.bucket, 'other');
    assert.equal(own.loc.kind === 's3' && own.loc.s3.endpoint, 'minio:9000');
    assert.deepEqual(own.recorded.s3, { key: 'mine/wf-123.tgz', bucket: 'other' });
    assert.throws(() => outputLocation({ name: 'a', path: '/p' }, undefined, vars), /no artifact repository is configured/);
    assert.throws(() => outputLocation({ name: 'a', path: '/p', git: { repo: 'x' } }, repo, vars), /inputs only/);
  });
  it('a template\'s archiveLocation: its s3 fields over the repository\'s, its key the key format; recorded with the full location', () => {
    assert.deepEqual(templateRepository(undefined, repo), { repo, own: false });
    const al = { s3: { bucket: 'my-bucket-3', key: 'tmpl/{{pod.name}}' } };
    const { repo: r, own } = templateRepository(al, repo);
    assert.equal(own, true);
    // an artifact with its own key goes to the template's bucket, one without under the template's key
    const keyed = outputLocation({ name: 'a', path: '/p', s3: { key: 'second-on-deletion' } }, r, vars);
    assert.equal(keyed.loc.kind === 's3' && `${keyed.loc.s3.endpoint}/${keyed.loc.s3.bucket}/${keyed.loc.s3.key}`, 'minio:9000/my-bucket-3/second-on-deletion');
    const bare = outputLocation({ name: 'b', path: '/p' }, r, vars);
    assert.equal(bare.loc.kind === 's3' && bare.loc.s3.key, 'tmpl/wf-123/b.tgz');
    assert.deepEqual(withLocation(bare.recorded, r).s3, { ...repo.s3, bucket: 'my-bucket-3', key: 'tmpl/wf-123/b.tgz' });
    assert.deepEqual(withLocation({ name: 'h', http: { url: 'u' } }, r), { name: 'h', http: { url: 'u' } });
  });
  it('inputs: key-only resolved against the repository; other kinds as given; unsupported ones named', () => {
    const l = inputLocation({ name: 'a', s3: { key: 'k' } }, repo);
    assert.equal(l.kind === 's3' && `${l.s3.endpoint}/${l.s3.bucket}/${l.s3.key}`, 'minio:9000/my-bucket/k');
    assert.equal(inputLocation({ name: 'r', raw: { data: 'd' } }, repo).kind, 'raw');
    assert.throws(() => inputLocation({ name: 'a', s3: { key: 'k' } }, undefined), /no bucket/);
    assert.throws(() => inputLocation({ name: 'g', gcs: { bucket: 'b' } }, repo), /gcs artifacts are not supported/);
    assert.throws(() => inputLocation({ name: 'n' }, repo), /has no location/);
  });
  it('retries transient errors only', async () => {
    const { transient, withRetries } = await import('./retry.js');
    assert.equal(transient(Object.assign(new Error('x'), { code: 'ENOTFOUND' })), true);
    assert.equal(transient({ name: 'TypeError', message: 'fetch failed', cause: { code: 'EAI_AGAIN' } }), true);
    assert.equal(transient({ name: 'InternalError', $metadata: { httpStatusCode: 503 } }), true);
    assert.equal(transient({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }), false);
    assert.equal(transient({ name: 'SignatureDoesNotMatch', $metadata: { httpStatusCode: 403 } }), false);
    let n = 0;
    await assert.rejects(withRetries(async () => { n++; throw Object.assign(new Error('no'), { $metadata: { httpStatusCode: 403 } }); }, 3), /no/);
    assert.equal(n, 1);
    n = 0;
    assert.equal(await withRetries(async () => { if (++n < 2) throw Object.assign(new Error('dns'), { code: 'EAI_AGAIN' }); return 'ok'; }, 3), 'ok');
    assert.equal(n, 2);
  });
  it('renders key variables and endpoints; embeds git credentials in http URLs', () => {
    assert.equal(renderKey('{{workflow.creationTimestamp.Y}}/{{workflow.creationTimestamp.m}}/{{pod.name}}/{{unknown}}', { ...vars, now: new Date('2024-03-05T00:00:00Z') }), '2024/03/wf-123/{{unknown}}');
    assert.equal(endpointURL('minio:9000', true), 'http://minio:9000');
    assert.equal(endpointURL('s3.amazonaws.com', false), 'https://s3.amazonaws.com');
    assert.equal(endpointURL('http://x:1', false), 'http://x:1');
    assert.equal(authURL('https://h/r.git', 'u', 'p@ss'), 'https://u:p%40ss@h/r.git');
    assert.equal(authURL('git@h:r.git', 'u', 'p'), 'git@h:r.git');
  });
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('drivers against real servers', { skip: !existsSync(MINIO) ? `${MINIO} not built` : undefined }, () => {
  let minio: ChildProcess;
  let http: Server;
  let httpPort = 0;
  let repo: ArtifactRepository;
  const secrets: Record<string, string> = { 'cred/access': 'admin', 'cred/secret': 'password' };
  const secret = async (s: { name: string; key: string }) => {
    const v = secrets[`${s.name}/${s.key}`];
    if (v === undefined) throw new Error(`no secret ${s.name}/${s.key}`);
    return v;
  };
  before(async () => {
    const port = await freePort();
    mkdirSync(join(dir, 'minio', 'my-bucket'), { recursive: true });
    minio = spawn(process.execPath, [MINIO, 'server', join(dir, 'minio'), '--address', `127.0.0.1:${port}`], { env: { ...process.env, MINIO_ROOT_USER: 'admin', MINIO_ROOT_PASSWORD: 'password' }, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((res, rej) => {
      let out = '';
      minio.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('S3-API')) res();
      });
      minio.on('exit', (c) => rej(new Error(`minio exited ${c}`)));
    });
    repo = { s3: { bucket: 'my-bucket', endpoint: `127.0.0.1:${port}`, insecure: true, accessKeySecret: { name: 'cred', key: 'access' }, secretKeySecret: { name: 'cred', key: 'secret' } } };
    http = createHttp((req, res) => {
      if (req.url === '/file.txt' && req.headers.authorization === `Basic ${Buffer.from('u:p').toString('base64')}`) res.end('over http');
      else if (req.url === '/file.txt') res.writeHead(401).end();
      else res.writeHead(404).end('nope');
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    httpPort = (http.address() as AddressInfo).port;
    secrets['web/user'] = 'u';
    secrets['web/pass'] = 'p';
  });
  after(() => {
    minio?.kill('SIGTERM');
    http?.close();
  });

  it('S3: saves a directory as art.tgz under the default key and loads it back key-only', async () => {
    const src = join(dir, 's3src');
    mkdirSync(join(src, 'd'), { recursive: true });
    writeFileSync(join(src, 'd', 'x.txt'), 'X');
    await archive(src, join(dir, 'staged.tgz'), {});
    const rec = await saveArtifact({ name: 'art', path: '/tmp/s3src' }, repo, join(dir, 'staged.tgz'), vars, secret);
    assert.deepEqual(rec.s3, { key: 'wf/wf-123/art.tgz' });
    assert.ok(existsSync(join(dir, 'minio', 'my-bucket', 'wf', 'wf-123', 'art.tgz')));
    assert.equal(await loadArtifact({ name: 'art', path: '/x', s3: rec.s3 }, repo, join(dir, 's3back'), secret), true);
    assert.deepEqual(tree(join(dir, 's3back')), ['d/x.txt=X']);
  });
  it('S3: archive none uploads a directory as objects and a key prefix loads as a directory', async () => {
    const src = join(dir, 'nonesrc');
    mkdirSync(join(src, 'a'), { recursive: true });
    writeFileSync(join(src, 'a', '1.txt'), 'one');
    writeFileSync(join(src, '2.txt'), 'two');
    const rec = await saveArtifact({ name: 'n', path: '/tmp/nonesrc', archive: { none: {} } }, repo, src, vars, secret);
    assert.equal(rec.s3?.key, 'wf/wf-123/nonesrc');
    await loadArtifact({ name: 'n', path: '/x', archive: { none: {} }, s3: rec.s3 }, repo, join(dir, 'noneback'), secret);
    assert.deepEqual(tree(join(dir, 'noneback')), ['2.txt=two', 'a/1.txt=one']);
    // subPath: one file of a directory artifact
    await loadArtifact({ name: 'n', path: '/x', subPath: 'a/1.txt', s3: rec.s3 }, repo, join(dir, 'sub.txt'), secret);
    assert.equal(readFileSync(join(dir, 'sub.txt'), 'utf8'), 'one');
  });
  it('S3: artifact GC deletes an object, or every object of a directory', async () => {
    writeFileSync(join(dir, 'gc.txt'), 'gc');
    const one = await saveArtifact({ name: 'g', path: '/tmp/gc.txt', archive: { none: {} } }, repo, join(dir, 'gc.txt'), vars, secret);
    assert.equal(await deleteArtifact({ name: 'g', s3: one.s3 }, repo, secret), 1);
    assert.equal(await loadArtifact({ name: 'g', optional: true, s3: one.s3 }, repo, join(dir, 'gc-back'), secret), false);
    assert.equal(await deleteArtifact({ name: 'n', s3: { key: 'wf/wf-123/nonesrc' } }, repo, secret), 2);
    assert.equal(existsSync(join(dir, 'minio', 'my-bucket', 'wf', 'wf-123', 'nonesrc', '2.txt')), false);
    assert.equal(await deleteArtifact({ name: 'n', s3: { key: 'wf/wf-123/nonesrc' } }, repo, secret), 0);
    assert.deepEqual(artifactsToDelete('[{"name":"a","s3":{"key":"k"}}]', ['f'], () => '{"artifacts":[{"name":"b"}]}').map((a) => a.name), ['a', 'b']);
    assert.throws(() => artifactsToDelete('{', []), /ARGO_ARTIFACTS is not valid JSON/);
  });
  it('S3: an absent optional artifact is skipped, an absent required one fails naming the key; bad credentials name the endpoint', async () => {
    assert.equal(await loadArtifact({ name: 'o', optional: true, s3: { key: 'no/such' } }, repo, join(dir, 'o'), secret), false);
    await assert.rejects(loadArtifact({ name: 'r', s3: { key: 'no/such' } }, repo, join(dir, 'r'), secret), /s3:\/\/my-bucket\/no\/such: no such key/);
    secrets['bad/secret'] = 'wrong-password';
    const bad = { s3: { ...repo.s3, secretKeySecret: { name: 'bad', key: 'secret' } } };
    await assert.rejects(loadArtifact({ name: 'b', s3: { key: 'wf/wf-123/art.tgz' } }, bad, join(dir, 'b'), secret), (e: Error) => e.message.includes(`at http://${repo.s3!.endpoint}`) && /SignatureDoesNotMatch|InvalidAccessKeyId|403/.test(e.message));
  });
  it('S3: an unreachable endpoint fails with the endpoint and error', async () => {
    const port = await freePort();
    const down = { s3: { ...repo.s3, endpoint: `127.0.0.1:${port}` } };
    process.env.FLOTILLA_ARTIFACT_ATTEMPTS = '2';
    const t0 = Date.now();
    await assert.rejects(loadArtifact({ name: 'u', s3: { key: 'k' } }, down, join(dir, 'u'), secret), (e: Error) => e.message.includes(`http://127.0.0.1:${port}`) && /ECONNREFUSED/.test(e.message));
    delete process.env.FLOTILLA_ARTIFACT_ATTEMPTS;
    assert.ok(Date.now() - t0 >= 1000, 'retried once after 1 s');
  });
  it('HTTP: downloads with basic auth; a 404 fails with the status', async () => {
    const auth = { basicAuth: { usernameSecret: { name: 'web', key: 'user' }, passwordSecret: { name: 'web', key: 'pass' } } };
    await loadArtifact({ name: 'h', http: { url: `http://127.0.0.1:${httpPort}/file.txt`, auth }, mode: 0o640 }, repo, join(dir, 'h.txt'), secret);
    assert.equal(readFileSync(join(dir, 'h.txt'), 'utf8'), 'over http');
    assert.equal(statSync(join(dir, 'h.txt')).mode & 0o777, 0o640);
    await assert.rejects(loadArtifact({ name: 'h', http: { url: `http://127.0.0.1:${httpPort}/missing` } }, repo, join(dir, 'h2'), secret), /HTTP 404/);
    assert.equal(await loadArtifact({ name: 'h', optional: true, http: { url: `http://127.0.0.1:${httpPort}/missing` } }, repo, join(dir, 'h3'), secret), false);
  });
  it('wait: each container\'s log archived (`<name>-logs`, `<name>.log`); outputs go to the template\'s archiveLocation, recorded with it', async () => {
    const root = join(dir, 'podroot');
    for (const c of ['a', 'b']) {
      mkdirSync(join(root, 'var/run/argo/ctr', c), { recursive: true });
      writeFileSync(join(root, 'var/run/argo/ctr', c, 'stdout'), `out of ${c}\n`);
      writeFileSync(join(root, 'var/run/argo/ctr', c, 'stderr'), '');
    }
    mkdirSync(join(root, 'var/run/argo/outputs/artifacts'), { recursive: true });
    writeFileSync(join(root, 'var/run/argo/outputs/artifacts/o'), 'O');
    mkdirSync(join(dir, 'minio', 'other-bucket'), { recursive: true });
    const tmpl = { containerSet: { containers: [{ name: 'a' }, { name: 'b' }] }, archiveLocation: { s3: { bucket: 'other-bucket' } }, outputs: { artifacts: [{ name: 'o', path: '/o', archive: { none: {} }, s3: { key: 'own-key' } }] } };
    const env = parseEnv({ ARGO_TEMPLATE: JSON.stringify(tmpl), ARGO_WORKFLOW_NAME: 'wf', ARGO_POD_NAME: 'wf-1', ARGO_ARTIFACT_REPOSITORY: JSON.stringify({ ...repo, archiveLogs: true }) }, () => 'argo');
    process.env.FLOTILLA_POD_ROOT = root;
    try {
      const { outputs, errors } = await collectOutputs(env, 0, () => secret);
      assert.deepEqual(errors, []);
      assert.deepEqual(outputs.artifacts?.map((a) => `${a.name}:${a.s3?.bucket}/${a.s3?.key}`), ['o:other-bucket/own-key', 'a-logs:other-bucket/wf/wf-1/a.log', 'b-logs:other-bucket/wf/wf-1/b.log']);
      assert.equal(outputs.artifacts?.[1].s3?.endpoint, repo.s3!.endpoint);
      assert.equal(readFileSync(join(dir, 'minio', 'other-bucket', 'wf', 'wf-1', 'b.log'), 'utf8'), 'out of b\n');
      assert.equal(readFileSync(join(dir, 'minio', 'other-bucket', 'own-key'), 'utf8'), 'O');
    } finally {
      delete process.env.FLOTILLA_POD_ROOT;
    }
  });
  it('Git: clones a repository at a revision with the host git', async () => {
    const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' };
    const work = join(dir, 'gitwork');
    mkdirSync(work);
    const git = (...a: string[]) => {
      const r = spawnSync('git', a, { cwd: work, env, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.trim();
    };
    git('init', '-q', '-b', 'main');
    writeFileSync(join(work, 'v.txt'), 'v1');
    git('add', '.');
    git('commit', '-q', '-m', 'one');
    const first = git('rev-parse', 'HEAD');
    writeFileSync(join(work, 'v.txt'), 'v2');
    git('commit', '-q', '-am', 'two');
    await loadArtifact({ name: 'g', git: { repo: `file://${work}`, revision: first } }, repo, join(dir, 'clone'), secret);
    assert.equal(readFileSync(join(dir, 'clone', 'v.txt'), 'utf8'), 'v1');
    await loadArtifact({ name: 'g', git: { repo: `file://${work}`, depth: 1, branch: 'main', singleBranch: true } }, repo, join(dir, 'clone2'), secret);
    assert.equal(readFileSync(join(dir, 'clone2', 'v.txt'), 'utf8'), 'v2');
    await assert.rejects(loadArtifact({ name: 'g', git: { repo: `file://${dir}/nope` } }, repo, join(dir, 'clone3'), secret), /git clone --quiet .* failed/);
  });
});
