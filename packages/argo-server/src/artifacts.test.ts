/**
 * The artifact server (upstream's TestArtifactServer checks, and more) against a real S3 server (node-agent's minio
 * program) and, for archived workflows, a real PostgreSQL: files with the sandbox CSP and X-Frame-Options, directory
 * artifacts (redirect, HTML listings, paths inside), the statuses of what is missing, artifacts by uid (archived,
 * deleted, live; with a token in the authorization cookie; refused without RBAC).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as createHttpServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopProcess } from '@flotilla/kube-runtime/testkit';
import { S3Client, CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { call, freePort, postgresBin, startEnv, startPostgres, type Env, type Postgres } from './testenv.js';
import { ARTIFACT_CSP, contentTypeOf, directoryListing } from './api/artifacts.js';
import { AR } from './resources.js';

const ns = 'argo';
const noPg = postgresBin().reason;
if (noPg) console.log(`# the archived-workflow artifact test is skipped: ${noPg}`);
let dir: string;
let env: Env;
let pg: Postgres | undefined;
let pgDir: string | undefined;
let s3proc: ChildProcess;

const XSS = 'x"><img src=x onerror=alert(1)>.html';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'argo-artifacts-'));
  const port = await freePort();
  const minio = fileURLToPath(new URL('../../node-agent/dist/programs/minio.js', import.meta.url));
  s3proc = spawn(process.execPath, [minio, 'server', join(dir, 's3'), '--address', `127.0.0.1:${port}`], { env: { ...process.env, MINIO_ROOT_USER: 'admin', MINIO_ROOT_PASSWORD: 'password1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  s3proc.stdout!.on('data', (d) => (out += d));
  s3proc.stderr!.on('data', (d) => (out += d));
  const s3 = new S3Client({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'admin', secretAccessKey: 'password1' } });
  for (const end = Date.now() + 20_000; ; await new Promise((r) => setTimeout(r, 200))) {
    try {
      await s3.send(new CreateBucketCommand({ Bucket: 'my-bucket' }));
      break;
    } catch (e) {
      if (Date.now() > end || s3proc.exitCode !== null) throw new Error(`S3 server did not start: ${(e as Error).message}\n${out}`);
    }
  }
  const put = (Key: string, Body: string) => s3.send(new PutObjectCommand({ Bucket: 'my-bucket', Key, Body }));
  await put('art/main-file', ':) Hello Argo!\n');
  await put('art/main.log', 'hello log\n');
  // a directory saved with archive none: its files under out/
  await put('art/out/subdirectory/sub-file-1', ':) Hello Argo!\n');
  await put('art/out/subdirectory/sub-file-2', ':) Hello Argo!\n');
  await put('art/out/top.txt', 'top\n');
  await put(`art/out/${XSS}`, '<script>alert(1)</script>');
  s3.destroy();
  // its own directory (startPostgres hands it to the postgres user)
  if (!noPg) pg = await startPostgres((pgDir = mkdtempSync(join(tmpdir(), 'argo-artifacts-pg-'))));
  env = await startEnv({
    authModes: ['server', 'client'],
    setup: async (c) => {
      await c.k(['create', 'secret', 'generic', 'my-minio-cred', '-n', ns, '--from-literal=accesskey=admin', '--from-literal=secretkey=password1']);
      await c.k(['create', 'configmap', 'artifact-repositories', '-n', ns, `--from-literal=default-v1=s3: {bucket: my-bucket, endpoint: "127.0.0.1:${port}", insecure: true, accessKeySecret: {name: my-minio-cred, key: accesskey}, secretKeySecret: {name: my-minio-cred, key: secretkey}}`]);
      await c.k(['annotate', 'configmap', 'artifact-repositories', '-n', ns, 'workflows.argoproj.io/default-artifact-repository=default-v1']);
      if (pg) {
        await c.k(['create', 'secret', 'generic', 'argo-postgres-config', '-n', ns, `--from-literal=username=${pg.user}`, `--from-literal=password=${pg.password}`]);
        await c.k(['create', 'configmap', 'workflow-controller-configmap', '-n', ns, `--from-literal=persistence=${JSON.stringify({ archive: true, postgresql: { host: '127.0.0.1', port: pg.port, database: 'postgres', tableName: 'argo_workflows', userNameSecret: { name: 'argo-postgres-config', key: 'username' }, passwordSecret: { name: 'argo-postgres-config', key: 'password' } } })}`]);
      }
    },
  });
}, { timeout: 180_000 });

after(async () => {
  await env?.close();
  await pg?.stop();
  if (pgDir) rmSync(pgDir, { recursive: true, force: true });
  if (s3proc) await stopProcess(s3proc);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A completed workflow with one pod node `{name}` whose outputs are `artifacts`. */
async function workflow(name: string, artifacts: unknown[]): Promise<any> {
  return env.client.create<any>(AR.workflows, ns, {
    apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow',
    metadata: { name, labels: { 'workflows.argoproj.io/completed': 'true' } },
    spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'busybox' } }] },
    status: { phase: 'Succeeded', nodes: { [name]: { id: name, name, displayName: name, type: 'Pod', phase: 'Succeeded', outputs: { artifacts } } } },
  } as any);
}

const secured = (r: { headers: Record<string, unknown> }, what: string) => {
  assert.equal(r.headers['content-security-policy'], ARTIFACT_CSP, `${what}: Content-Security-Policy`);
  assert.equal(r.headers['x-frame-options'], 'SAMEORIGIN', `${what}: X-Frame-Options (the server's default is DENY)`);
};

test('a file artifact: its bytes, sandboxed (CSP) and frameable by the UI (SAMEORIGIN); the legacy routes; raw; what is missing', async () => {
  await workflow('files', [
    { name: 'main-file', s3: { key: 'art/main-file' } },
    { name: 'main-logs', s3: { key: 'art/main.log' } },
    { name: 'note', raw: { data: 'raw text' } },
    { name: 'gone', s3: { key: 'art/none' } },
  ]);
  const ui = await env.call('GET', '/');
  assert.equal(ui.headers['x-frame-options'], 'DENY', 'the UI itself keeps the server\'s X-Frame-Options');
  for (const p of [`/artifact-files/${ns}/workflows/files/files/outputs/main-file`, `/artifacts/${ns}/files/files/main-file`]) {
    const r = await env.call('GET', p);
    assert.equal(r.status, 200, `${p}: ${r.text}`);
    assert.equal(r.text, ':) Hello Argo!\n');
    assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8', 'text is sniffed as text');
    assert.equal(r.headers['content-disposition'], 'filename="main-file"');
    secured(r, p);
  }
  const log = await env.call('GET', `/artifact-files/${ns}/workflows/files/files/outputs/main-logs`);
  assert.equal(log.text, 'hello log\n');
  assert.match(String(log.headers['content-disposition']), /main\.log/);
  const raw = await env.call('GET', `/artifact-files/${ns}/workflows/files/files/outputs/note`);
  assert.equal(raw.text, 'raw text');
  secured(raw, 'raw');
  // upstream's GetArtifactBadFile: a name the node has no artifact of is a 500
  const bad = await env.call('GET', `/artifact-files/${ns}/workflows/files/files/outputs/not-a-file`);
  assert.equal(bad.status, 500, bad.text);
  assert.match(bad.body.message, /artifact "not-a-file" not found/);
  secured(bad, 'an error');
  const gone = await env.call('GET', `/artifact-files/${ns}/workflows/files/files/outputs/gone`);
  assert.equal(gone.status, 404, gone.text);
  assert.match(gone.body.message, /s3:\/\/my-bucket\/art\/none/);
  assert.equal((await env.call('GET', `/artifact-files/${ns}/workflows/files/no-node/outputs/main-file`)).status, 404);
  assert.equal((await env.call('GET', `/artifact-files/${ns}/workflows/no-such-wf/x/outputs/main-file`)).status, 404);
  assert.equal((await env.call('GET', `/artifact-files/${ns}/workflows/files/files/sideways/main-file`)).status, 400);
  assert.equal((await env.call('GET', `/artifact-files/${ns}/workflows/files/files/outputs/main-file/inside`)).status, 404, 'a file has no path inside');
  assert.equal((await env.call('GET', `/artifact-files/${ns}/workflows/files/files/outputs/note/`)).status, 404, 'a raw artifact is no directory');
});

test('a directory artifact: its path without / redirects to it with /, where its entries are listed (names escaped); paths inside', async () => {
  await workflow('dirs', [{ name: 'out', s3: { key: 'art/out' } }]);
  const base = `/artifact-files/${ns}/workflows/dirs/dirs/outputs/out`;
  const redirect = await env.call('GET', base);
  assert.equal(redirect.status, 307, redirect.text);
  assert.equal(redirect.headers.location, 'out/');
  const top = await env.call('GET', `${base}/`);
  assert.equal(top.status, 200, top.text);
  assert.equal(top.headers['content-type'], 'text/html; charset=utf-8');
  secured(top, 'a listing');
  assert.ok(top.text.includes('<a href="./subdirectory/">subdirectory/</a>'), top.text);
  assert.ok(top.text.includes('<a href="./top.txt">top.txt</a>'), top.text);
  assert.ok(!top.text.includes('../'), 'no parent link at the artifact itself');
  assert.ok(!top.text.includes('<img'), 'a file name is escaped');
  assert.ok(top.text.includes(`<a href="./${encodeURIComponent(XSS)}">x&quot;&gt;&lt;img src=x onerror=alert(1)&gt;.html</a>`), top.text);
  assert.ok(top.text.indexOf('subdirectory/') < top.text.indexOf('top.txt'), 'directories first');
  const sub = await env.call('GET', `${base}/subdirectory/`);
  assert.equal(sub.status, 200, sub.text);
  assert.ok(sub.text.includes('<a href="./sub-file-1">sub-file-1</a>') && sub.text.includes('<a href="./sub-file-2">sub-file-2</a>'), sub.text);
  assert.ok(sub.text.includes('<a href="../">../</a>'));
  assert.equal((await env.call('GET', `${base}/subdirectory`)).headers.location, 'subdirectory/');
  const file = await env.call('GET', `${base}/subdirectory/sub-file-1`);
  assert.equal(file.status, 200, file.text);
  assert.equal(file.text, ':) Hello Argo!\n');
  assert.equal(file.headers['content-disposition'], 'filename="sub-file-1"');
  secured(file, 'a file inside');
  const html = await env.call('GET', `${base}/${encodeURIComponent(XSS)}`);
  assert.equal(html.status, 200, html.text);
  assert.equal(html.headers['content-type'], 'text/html; charset=utf-8');
  secured(html, 'an HTML file (its script does not run: sandbox)');
  assert.equal((await env.call('GET', `${base}/subdirectory/nope`)).status, 404, 'a missing file inside');
  assert.equal((await env.call('GET', `${base}/nope/`)).status, 404, 'a missing directory inside');
  // (a plain ../ is resolved by URL parsing before it gets here; an encoded / is not)
  assert.equal((await env.call('GET', `${base}/subdirectory/..%2Ftop.txt`)).status, 400, 'no way out of the artifact');
  // the old routes name the artifact only
  assert.equal((await env.call('GET', `/artifacts/${ns}/dirs/dirs/out`)).status, 307);
});

test('artifacts by uid: an archived workflow after the live one is deleted (bearer token, cookie), a live one; refused without RBAC', { skip: noPg }, async () => {
  const w = await workflow('by-uid', [{ name: 'main-file', s3: { key: 'art/main-file' } }]);
  const uid = w.metadata.uid as string;
  const live = await env.call('GET', `/artifacts-by-uid/${uid}/by-uid/main-file`);
  assert.equal(live.status, 200, `a live workflow by uid: ${live.text}`);
  assert.equal(live.text, ':) Hello Argo!\n');
  secured(live, 'by uid');
  for (let i = 0; !env.server.ctx.archive && i < 100; i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(env.server.ctx.archive, 'the archive is connected');
  await env.server.ctx.archive.archive(w);
  await env.client.delete(AR.workflows, ns, 'by-uid');
  await env.cluster.k(['create', 'serviceaccount', 'art-reader', '-n', ns]);
  await env.cluster.k(['create', 'role', 'art-reader', '-n', ns, '--verb=get,list', '--resource=workflows.argoproj.io']);
  await env.cluster.k(['create', 'rolebinding', 'art-reader', '-n', ns, '--role=art-reader', `--serviceaccount=${ns}:art-reader`]);
  await env.cluster.k(['create', 'serviceaccount', 'art-nobody', '-n', ns]);
  const reader = (await env.cluster.k(['create', 'token', 'art-reader', '-n', ns])).trim();
  const nobody = (await env.cluster.k(['create', 'token', 'art-nobody', '-n', ns])).trim();
  const paths = [`/artifacts-by-uid/${uid}/by-uid/main-file`, `/artifact-files/${ns}/archived-workflows/${uid}/by-uid/outputs/main-file`];
  for (const p of paths) {
    const r = await env.call('GET', p, { token: reader });
    assert.equal(r.status, 200, `${p}: ${r.text}`);
    assert.equal(r.text, ':) Hello Argo!\n');
    secured(r, p);
    const c = await call(env.base, 'GET', p, { headers: { cookie: `authorization=Bearer ${reader}` } });
    assert.equal(c.status, 200, `${p} with the cookie: ${c.text}`);
    assert.equal((await env.call('GET', p, { token: nobody })).status, 403, `${p}: a token without RBAC on workflows`);
  }
  assert.equal((await env.call('GET', `/artifacts-by-uid/00000000-0000-0000-0000-000000000000/by-uid/main-file`)).status, 404);
  assert.equal((await env.call('GET', `/artifact-files/other/archived-workflows/${uid}/by-uid/outputs/main-file`)).status, 404, 'the namespace must be the workflow\'s');
  assert.equal((await env.call('GET', `/artifacts-by-uid/${uid}/by-uid/not-a-file`)).status, 500);
});

test('HTTP artifacts with auth (basic, bearer + headers, oauth2 client credentials) and Artifactory (its Secrets, else the repository\'s); a garbage-collected artifact is a 404', async () => {
  const seen: string[] = [];
  const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
  const web = createHttpServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    seen.push(`${req.method} ${req.url} ${auth}`);
    const ok = (body: string) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(body);
    };
    if (req.url === '/oauth/token' && req.method === 'POST') {
      // the client id and secret in the Authorization header (the executor's client tries that first)
      if (auth !== basic('cid', 'csecret')) return void (res.writeHead(401), res.end());
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ access_token: 'at-9', token_type: 'bearer' }));
    }
    if (req.url === '/basic/file.txt' && auth === basic('user', 'pw')) return ok('basic body');
    if (req.url === '/bearer/file' && auth === 'Bearer tok-1' && req.headers['x-extra'] === 'yes') return ok('bearer body');
    if (req.url === '/oauth/file' && auth === 'Bearer at-9') return ok('oauth body');
    if (req.url === '/artifactory/repo/own.tgz' && auth === basic('art-user', 'art-pw')) return ok('own creds');
    if (req.url === '/artifactory/repo/from-repo.tgz' && auth === basic('repo-user', 'repo-pw')) return ok('repo creds');
    res.writeHead(req.url?.startsWith('/missing') ? 404 : 401);
    res.end();
  });
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', () => r()));
  const base = `http://127.0.0.1:${(web.address() as { port: number }).port}`;
  try {
    await env.cluster.k(['create', 'secret', 'generic', 'http-creds', '-n', ns, '--from-literal=user=user', '--from-literal=pw=pw', '--from-literal=token=tok-1',
      '--from-literal=cid=cid', '--from-literal=csecret=csecret', `--from-literal=token-url=${base}/oauth/token`,
      '--from-literal=art-user=art-user', '--from-literal=art-pw=art-pw', '--from-literal=repo-user=repo-user', '--from-literal=repo-pw=repo-pw']);
    const sel = (key: string) => ({ name: 'http-creds', key });
    const wf = await workflow('http-arts', [
      { name: 'basic', http: { url: `${base}/basic/file.txt`, auth: { basicAuth: { usernameSecret: sel('user'), passwordSecret: sel('pw') } } } },
      { name: 'bearer', http: { url: `${base}/bearer/file`, headers: [{ name: 'X-Extra', value: 'yes' }], auth: { bearer: { tokenSecret: sel('token') } } } },
      { name: 'oauth', http: { url: `${base}/oauth/file`, auth: { oauth2: { clientIDSecret: sel('cid'), clientSecretSecret: sel('csecret'), tokenURLSecret: sel('token-url') } } } },
      { name: 'noauth', http: { url: `${base}/basic/file.txt` } },
      { name: 'missing', http: { url: `${base}/missing/x` } },
      { name: 'own', artifactory: { url: `${base}/artifactory/repo/own.tgz`, usernameSecret: sel('art-user'), passwordSecret: sel('art-pw') } },
      { name: 'from-repo', artifactory: { url: `${base}/artifactory/repo/from-repo.tgz` } },
      { name: 'collected', s3: { key: 'art/main-file' }, deleted: true },
    ]);
    // the workflow's repository is an Artifactory one with its own credentials
    wf.status.artifactRepositoryRef = { artifactRepository: { artifactory: { repoURL: `${base}/artifactory/repo`, usernameSecret: sel('repo-user'), passwordSecret: sel('repo-pw') } } };
    await env.client.update(AR.workflows, wf);
    const get = (a: string) => env.call('GET', `/artifact-files/${ns}/workflows/http-arts/http-arts/outputs/${a}`);
    for (const [a, body] of [['basic', 'basic body'], ['bearer', 'bearer body'], ['oauth', 'oauth body'], ['own', 'own creds'], ['from-repo', 'repo creds']]) {
      const r = await get(a!);
      assert.equal(r.status, 200, `${a}: ${r.text} (the web server saw: ${seen.join(' | ')})`);
      assert.equal(r.text, body);
      secured(r, a!);
    }
    assert.equal((await get('own')).headers['content-disposition'], 'filename="own.tgz"');
    const legacy = await env.call('GET', `/artifacts/${ns}/http-arts/http-arts/oauth`);
    assert.equal(legacy.text, 'oauth body');
    assert.equal((await get('noauth')).status, 403, 'refused by the web server without credentials');
    const missing = await get('missing');
    assert.equal(missing.status, 404, missing.text);
    assert.match(missing.body.message, /missing\/x: HTTP 404/);
    const collected = await get('collected');
    assert.equal(collected.status, 404, collected.text);
    assert.match(collected.body.message, /artifact "collected" .*has been deleted/);
  } finally {
    web.close();
  }
});

test('content types and listings (pure)', () => {
  assert.equal(contentTypeOf('report.html', Buffer.from('x')), 'text/html; charset=utf-8');
  assert.equal(contentTypeOf('data', Buffer.from([0x1f, 0x8b, 0, 1])), 'application/octet-stream');
  assert.equal(contentTypeOf('data', Buffer.from('plain words\n')), 'text/plain; charset=utf-8');
  assert.equal(contentTypeOf('art.tgz', Buffer.from('x')), 'application/gzip');
  const html = directoryListing('a/<b>/', ['d/', 'f&g'], true);
  assert.ok(html.includes('<a href="./d/">d/</a>'));
  assert.ok(html.includes('<a href="./f%26g">f&amp;g</a>'));
  assert.ok(html.includes('<title>a/&lt;b&gt;/</title>'));
  assert.ok(html.includes('<a href="../">../</a>'));
});

