/**
 * HTTP and Artifactory artifacts against loopback servers shaped like upstream's e2e httpbin:
 * output artifacts PUT, Artifactory input/output/delete with basic auth, bearer tokens, the
 * OAuth2 client-credentials grant and TLS client certificates.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps, globalAgent } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { archive, deleteArtifact, loadArtifact, outputLocation, saveArtifact } from './index.js';
import { oauth2Token } from './http.js';

const vars = { workflowName: 'wf', namespace: 'argo', podName: 'wf-123' };
const secrets: Record<string, string> = { 'c/user': 'admin', 'c/pass': 'password', 'c/token': 'tok-1\n', 'c/id': 'client', 'c/sec': 's3cret' };
const secret = async (s: { name: string; key: string }) => {
  const v = secrets[`${s.name}/${s.key}`];
  if (v === undefined) throw new Error(`no secret ${s.name}/${s.key}`);
  return v;
};
const sel = (key: string) => ({ name: 'c', key });
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

let dir: string;
let server: Server;
let base = '';
const store = new Map<string, Buffer>();
const seen: { method: string; url: string; auth?: string; type?: string }[] = [];

async function body(req: IncomingMessage): Promise<Buffer> {
  const c: Buffer[] = [];
  for await (const x of req) c.push(x as Buffer);
  return Buffer.concat(c);
}

async function handle(req: IncomingMessage, res: ServerResponse) {
  const data = await body(req);
  const url = req.url ?? '';
  const auth = req.headers.authorization;
  seen.push({ method: req.method!, url, auth, type: req.headers['content-type'] });
  if (url === '/token') {
    // accepts client credentials in the header, or (token-form) in the form body
    const f = new URLSearchParams(data.toString());
    const ok = f.get('grant_type') === 'client_credentials' && (auth === basic('client', 's3cret') || (url === '/token' && f.get('client_id') === 'client' && f.get('client_secret') === 's3cret' && !auth));
    if (!ok) return res.writeHead(401).end('{"error":"invalid_client"}');
    return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: `oauth-${f.get('scope') ?? ''}`, token_type: 'bearer' }));
  }
  if (url === '/token-form') {
    const f = new URLSearchParams(data.toString());
    if (auth || f.get('client_id') !== 'client' || f.get('client_secret') !== 's3cret') return res.writeHead(400).end('{"error":"invalid_client"}');
    return res.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded' }).end('access_token=form-token&token_type=bearer');
  }
  if (url === '/bearer') return auth?.startsWith('Bearer ') ? res.end(`token ${auth.slice(7)}`) : res.writeHead(401).end();
  if (url.startsWith('/art/')) {
    if (auth !== basic('admin', 'password')) return res.writeHead(401).end('unauthorized');
    if (req.method === 'PUT') {
      store.set(url, data);
      return res.writeHead(201).end('{}');
    }
    if (req.method === 'DELETE') return res.writeHead(store.delete(url) ? 204 : 404).end();
    const v = store.get(url);
    return v ? res.end(v) : res.writeHead(404).end();
  }
  if (url.startsWith('/put/')) {
    if (req.method !== 'PUT') return res.writeHead(405).end();
    store.set(url, data);
    return res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  }
  if (url === '/fail') return res.writeHead(403).end('read-only');
  if (url.startsWith('/webhdfs/')) return res.writeHead(307, { location: `/put/datanode/${url.slice(9)}` }).end();
  res.writeHead(404).end();
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'argoexec-http-'));
  server = createServer((q, s) => void handle(q, s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  secrets['c/url'] = `${base}/token`;
  secrets['c/url-form'] = `${base}/token-form`;
});
after(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('HTTP output artifacts', () => {
  it('PUTs the archived artifact to its url, records it as is and loads it back', async () => {
    const src = join(dir, 'out');
    mkdirSync(src);
    writeFileSync(join(src, 'a.txt'), 'testdata\n');
    await archive(src, join(dir, 'out.tgz'), {});
    const a = { name: 'my-art', path: '/my-artifact', http: { url: `${base}/put/my-art.tgz` } };
    const rec = await saveArtifact(a, undefined, join(dir, 'out.tgz'), vars, secret);
    assert.deepEqual(rec, a);
    assert.deepEqual(store.get('/put/my-art.tgz'), readFileSync(join(dir, 'out.tgz')));
    assert.equal(seen.at(-1)!.type, 'application/octet-stream');
    writeFileSync(join(dir, 'plain.txt'), 'plain');
    await saveArtifact({ name: 'p', path: '/p.txt', archive: { none: {} }, http: { url: `${base}/put/p.txt` } }, undefined, join(dir, 'plain.txt'), vars, secret);
    assert.equal(store.get('/put/p.txt')?.toString(), 'plain');
  });
  it('follows a 307 redirect with the body (WebHDFS CREATE answers with the datanode)', async () => {
    writeFileSync(join(dir, 'hdfs.txt'), 'to hdfs');
    await saveArtifact({ name: 'h', path: '/h', archive: { none: {} }, http: { url: `${base}/webhdfs/f.txt?op=CREATE`, headers: [{ name: 'X-Custom', value: 'v' }] } }, undefined, join(dir, 'hdfs.txt'), vars, secret);
    assert.equal(store.get('/put/datanode/f.txt?op=CREATE')?.toString(), 'to hdfs');
  });
  it('a refused upload fails with the url and status', async () => {
    writeFileSync(join(dir, 'x.txt'), 'x');
    await assert.rejects(saveArtifact({ name: 'x', path: '/x', http: { url: `${base}/fail` } }, undefined, join(dir, 'x.txt'), vars, secret), new RegExp(`failed to upload to ${base}/fail: HTTP 403 read-only`));
  });
});

describe('Artifactory artifacts', () => {
  const art = (url: string) => ({ url, usernameSecret: sel('user'), passwordSecret: sel('pass') });
  it('uploads and downloads with basic auth from Secrets; deletes (artifact GC)', async () => {
    writeFileSync(join(dir, 'af.txt'), 'artifactory data');
    const a = { name: 'my-art', path: '/tmp/my-artifact', archive: { none: {} }, artifactory: art(`${base}/art/my-art.txt`) };
    assert.deepEqual(await saveArtifact(a, undefined, join(dir, 'af.txt'), vars, secret), a);
    assert.equal(store.get('/art/my-art.txt')?.toString(), 'artifactory data');
    await loadArtifact({ name: 'my-art', path: '/tmp/x', artifactory: a.artifactory }, undefined, join(dir, 'af-back.txt'), secret);
    assert.equal(readFileSync(join(dir, 'af-back.txt'), 'utf8'), 'artifactory data');
    assert.equal(await deleteArtifact({ name: 'my-art', artifactory: a.artifactory }, undefined, secret), 1);
    assert.equal(await deleteArtifact({ name: 'my-art', artifactory: a.artifactory }, undefined, secret), 0);
    assert.equal(await loadArtifact({ name: 'my-art', optional: true, artifactory: a.artifactory }, undefined, join(dir, 'gone'), secret), false);
  });
  it('wrong credentials fail with 401', async () => {
    secrets['c/wrong'] = 'nope';
    await assert.rejects(loadArtifact({ name: 'w', artifactory: { url: `${base}/art/x`, usernameSecret: sel('user'), passwordSecret: sel('wrong') } }, undefined, join(dir, 'w'), secret), /HTTP 401/);
  });
  it('an artifact repository with artifactory: outputs go under repoURL with the key format', async () => {
    const repo = { artifactory: { repoURL: `${base}/art/generic-local/`, usernameSecret: sel('user'), passwordSecret: sel('pass') } };
    const { loc, recorded } = outputLocation({ name: 'o', path: '/o' }, repo, vars);
    assert.equal(loc.kind, 'http');
    assert.deepEqual(recorded.artifactory, { url: `${base}/art/generic-local/wf/wf-123/o.tgz`, usernameSecret: sel('user'), passwordSecret: sel('pass') });
    await archive(join(dir, 'af.txt'), join(dir, 'o.tgz'), {});
    await saveArtifact({ name: 'o', path: '/o' }, repo, join(dir, 'o.tgz'), vars, secret);
    assert.ok(store.has('/art/generic-local/wf/wf-123/o.tgz'));
  });
});

describe('HTTP authentication', () => {
  it('bearer: the token Secret (trimmed) as Authorization: Bearer', async () => {
    await loadArtifact({ name: 'b', http: { url: `${base}/bearer`, auth: { bearer: { tokenSecret: sel('token') } } } }, undefined, join(dir, 'b.txt'), secret);
    assert.equal(readFileSync(join(dir, 'b.txt'), 'utf8'), 'token tok-1');
  });
  it('oauth2: client-credentials grant (scopes, endpoint params), the access token sent as Bearer', async () => {
    const oauth2 = { clientIDSecret: sel('id'), clientSecretSecret: sel('sec'), tokenURLSecret: sel('url'), scopes: ['read', 'write'], endpointParams: [{ key: 'audience', value: 'x' }] };
    await loadArtifact({ name: 'o', http: { url: `${base}/bearer`, auth: { oauth2 } } }, undefined, join(dir, 'o.txt'), secret);
    assert.equal(readFileSync(join(dir, 'o.txt'), 'utf8'), 'token oauth-read write');
    const tokenReq = seen.filter((s) => s.url === '/token').at(-1)!;
    assert.equal(tokenReq.auth, basic('client', 's3cret'));
    // a token endpoint that wants the credentials in the form (and answers form-encoded)
    assert.equal(await oauth2Token({ ...oauth2, tokenURLSecret: sel('url-form') }, secret), 'form-token');
    secrets['c/bad'] = 'wrong';
    await assert.rejects(oauth2Token({ ...oauth2, clientSecretSecret: sel('bad') }, secret), /oauth2: cannot fetch token from .*\/token: HTTP 401/);
  });
  it('clientCert: the TLS client certificate and key from Secrets', { skip: spawnSync('openssl', ['version']).status !== 0 ? 'no openssl' : undefined }, async () => {
    const ssl = (...a: string[]) => assert.equal(spawnSync('openssl', a, { cwd: dir, encoding: 'utf8' }).status, 0);
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'srv.key', '-out', 'srv.pem', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1');
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'cli.key', '-out', 'cli.pem', '-days', '1', '-subj', '/CN=client');
    assert.ok(existsSync(join(dir, 'cli.pem')));
    const rd = (f: string) => readFileSync(join(dir, f), 'utf8');
    const tls = createHttps({ key: rd('srv.key'), cert: rd('srv.pem'), ca: rd('cli.pem'), requestCert: true, rejectUnauthorized: true }, (req, res) => res.end(`hello ${(req.socket as import('node:tls').TLSSocket).getPeerCertificate().subject?.CN}`));
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', () => r()));
    const prevCA = globalAgent.options.ca;
    globalAgent.options.ca = rd('srv.pem'); // trust the test server (the machine's trust store otherwise)
    try {
      const url = `https://127.0.0.1:${(tls.address() as AddressInfo).port}/get`;
      secrets['c/cert.pem'] = rd('cli.pem');
      secrets['c/key.pem'] = rd('cli.key');
      await loadArtifact({ name: 'cc', http: { url, auth: { clientCert: { clientCertSecret: sel('cert.pem'), clientKeySecret: sel('key.pem') } } } }, undefined, join(dir, 'cc.txt'), secret);
      assert.equal(readFileSync(join(dir, 'cc.txt'), 'utf8'), 'hello client');
      process.env.FLOTILLA_ARTIFACT_ATTEMPTS = '1';
      await assert.rejects(loadArtifact({ name: 'cc', http: { url } }, undefined, join(dir, 'cc2.txt'), secret), /failed to download/);
    } finally {
      delete process.env.FLOTILLA_ARTIFACT_ATTEMPTS;
      globalAgent.options.ca = prevCA;
      tls.close();
    }
  });
});
