// Chart repositories over HTTP: an index.yaml and chart archives built at test time, served by
// node:http on 127.0.0.1 (free port).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createHash } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { fetchChartFromRepo, renderChart, helmTemplateCommand, selectVersion } from './index.js';
import { CHARTS, packChart, removeDir, tempDir, chart } from './testutil.js';

let server: Server;
let base = '';
let work = '';
const hits = new Map<string, number>();
const files = new Map<string, Buffer>();

function buildVersion(version: string): Buffer {
  const dir = join(work, `src-${version}`);
  cpSync(join(CHARTS, 'packed'), join(dir, 'packed'), { recursive: true });
  const cy = join(dir, 'packed', 'Chart.yaml');
  writeFileSync(cy, readFileSync(cy, 'utf8').replace('version: 0.3.0', `version: ${version}`));
  const out = join(work, `packed-${version}.tgz`);
  packChart(dir, 'packed', out);
  return readFileSync(out);
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

before(async () => {
  work = tempDir();
  const v3 = buildVersion('0.3.0');
  const v2 = buildVersion('0.2.0');
  const rc = buildVersion('0.4.0-rc.1');
  files.set('/charts/packed-0.3.0.tgz', v3);
  files.set('/charts/packed-0.2.0.tgz', v2);
  files.set('/charts/packed-0.4.0-rc.1.tgz', rc);
  files.set('/charts/tampered-1.0.0.tgz', v3);
  server = createServer((req, res) => {
    const url = req.url ?? '/';
    hits.set(url, (hits.get(url) ?? 0) + 1);
    if (url.startsWith('/private/')) {
      if (req.headers.authorization !== 'Basic ' + Buffer.from('user:s3cret').toString('base64')) {
        res.writeHead(401).end();
        return;
      }
    }
    const path = url.replace(/^\/private/, '');
    if (path === '/charts/index.yaml') {
      res.writeHead(200, { 'content-type': 'application/x-yaml' });
      res.end(
        [
          'apiVersion: v1',
          'entries:',
          '  packed:',
          '    - name: packed',
          '      version: 0.3.0',
          '      urls: [packed-0.3.0.tgz]',
          `      digest: ${sha(v3)}`,
          '    - name: packed',
          '      version: 0.2.0',
          `      urls: [${base}/charts/packed-0.2.0.tgz]`,
          '    - name: packed',
          '      version: 0.4.0-rc.1',
          '      urls: [packed-0.4.0-rc.1.tgz]',
          '  tampered:',
          '    - name: tampered',
          '      version: 1.0.0',
          '      urls: [tampered-1.0.0.tgz]',
          `      digest: ${'0'.repeat(64)}`,
          '  gone:',
          '    - name: gone',
          '      version: 1.0.0',
          '      urls: [gone-1.0.0.tgz]',
          'generated: "2024-01-01T00:00:00Z"',
          '',
        ].join('\n'),
      );
      return;
    }
    const body = files.get(path);
    if (!body) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/gzip' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server?.close();
  if (work) removeDir(work);
});

test('fetchChartFromRepo: latest stable by default, ranges, exact prereleases, relative and absolute URLs', async () => {
  const cache = join(work, 'cache1');
  const latest = await fetchChartFromRepo(`${base}/charts`, 'packed', '', cache);
  assert.equal(latest, join(cache, 'packed-0.3.0', 'packed'));
  assert.match(readFileSync(join(latest, 'Chart.yaml'), 'utf8'), /version: 0\.3\.0/);
  assert.ok(existsSync(join(latest, 'templates', 'p.yaml')));
  assert.ok(existsSync(join(latest, 'crds', 'gizmo.yaml')));
  assert.match(await fetchChartFromRepo(`${base}/charts/`, 'packed', '~0.2.0', cache), /packed-0\.2\.0/);
  assert.match(await fetchChartFromRepo(`${base}/charts`, 'packed', '0.4.0-rc.1', cache), /packed-0\.4\.0-rc\.1/);
  assert.match(await fetchChartFromRepo(`${base}/charts`, 'packed', '>=0.4.0-0', cache), /packed-0\.4\.0-rc\.1/);
  assert.match(await fetchChartFromRepo(`${base}/charts`, 'packed', '^0.3 || ^0.2', cache), /packed-0\.3\.0/);
  // the unpacked chart renders
  const r = await renderChart({ chartDir: latest, releaseName: 'x' });
  assert.deepEqual(
    r.manifests.map((m) => m.source),
    ['packed/templates/p.yaml'],
  );
});

test('fetchChartFromRepo: a cached version is not downloaded again', async () => {
  const cache = join(work, 'cache2');
  const before = hits.get('/charts/packed-0.3.0.tgz') ?? 0;
  await fetchChartFromRepo(`${base}/charts`, 'packed', '0.3.0', cache);
  await fetchChartFromRepo(`${base}/charts`, 'packed', '0.3.0', cache);
  assert.equal((hits.get('/charts/packed-0.3.0.tgz') ?? 0) - before, 1);
});

test('fetchChartFromRepo: errors', async () => {
  const cache = join(work, 'cache3');
  await assert.rejects(fetchChartFromRepo(`${base}/charts`, 'nope', '', cache), /chart "nope" not found in .* repository/);
  await assert.rejects(fetchChartFromRepo(`${base}/charts`, 'packed', '>5.0.0', cache), /chart "packed" version ">5.0.0" not found/);
  await assert.rejects(fetchChartFromRepo(`${base}/charts`, 'tampered', '', cache), /digest mismatch/);
  await assert.rejects(fetchChartFromRepo(`${base}/charts`, 'gone', '', cache), /404/);
  await assert.rejects(fetchChartFromRepo(`${base}/missing-repo`, 'packed', '', cache), /failed to fetch .*index\.yaml : 404/);
  await assert.rejects(fetchChartFromRepo('http://127.0.0.1:1/charts', 'packed', '', cache), /failed to fetch/);
});

test('fetchChartFromRepo: credentials in the URL become basic auth', async () => {
  const cache = join(work, 'cache4');
  const dir = await fetchChartFromRepo(`http://user:s3cret@127.0.0.1:${new URL(base).port}/private/charts`, 'packed', '0.3.0', cache);
  assert.ok(existsSync(join(dir, 'Chart.yaml')));
  await assert.rejects(fetchChartFromRepo(`${base}/private/charts`, 'packed', '0.3.0', join(work, 'cache5')), /401/);
});

test('renderChart fetches missing dependencies from their repositories when asked', async () => {
  const tmp = tempDir();
  try {
    cpSync(join(CHARTS, 'umbrella'), join(tmp, 'umbrella'), { recursive: true });
    const cy = join(tmp, 'umbrella', 'Chart.yaml');
    writeFileSync(cy, readFileSync(cy, 'utf8').replace('  - name: packed\n', `  - name: packed\n    repository: ${base}/charts\n`));
    await assert.rejects(renderChart({ chartDir: join(tmp, 'umbrella') }), /missing in charts\/ directory: packed/);
    const r = await renderChart({ chartDir: join(tmp, 'umbrella'), releaseName: 'u', fetchDependencies: true, cacheDir: join(work, 'cache6') });
    assert.ok(r.manifests.some((m) => m.source === 'umbrella/charts/packed/templates/p.yaml'));
    assert.match(r.manifests.find((m) => m.source.endsWith('parent.yaml'))!.content, /packed: 99\|parent-wins-too/);
  } finally {
    removeDir(tmp);
  }
});

test('helm template --repo URL CHART --version RANGE', async () => {
  let out = '';
  let err = '';
  const code = await helmTemplateCommand(['rel', 'packed', '--repo', `${base}/charts`, '--version', '0.2.x'], { stdout: (s) => (out += s), stderr: (s) => (err += s), cwd: chart('kitchen') });
  assert.equal(err, '');
  assert.equal(code, 0);
  assert.equal(out, '---\n# Source: packed/templates/p.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: rel-packed\nstringData:\n  color: blue\n  env: none\n');
});

test('selectVersion', () => {
  const e = [{ version: '1.0.0' }, { version: '1.2.0' }, { version: '2.0.0-beta.1' }, { version: 'bogus' }, { version: '1.10.0' }];
  assert.equal(selectVersion(e, '')?.version, '1.10.0');
  assert.equal(selectVersion(e, '~1.2')?.version, '1.2.0');
  assert.equal(selectVersion(e, '>=2.0.0-0')?.version, '2.0.0-beta.1');
  assert.equal(selectVersion(e, '3.x'), undefined);
});
