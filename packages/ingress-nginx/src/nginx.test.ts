import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModel } from './model.js';
import { renderConfig } from './render.js';
import { Nginx, NGINX_BINARY } from './nginx.js';

const port = 20000 + Math.floor(Math.random() * 20000);
const statusPort = port + 1;

function get(host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, path: '/', headers: { host }, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    r.on('error', reject);
    r.end();
  });
}

const config = (dir: string, hosts: string[]) => {
  const ingresses = hosts.map((h) => ({ metadata: { name: h, namespace: 'd' }, spec: { rules: [{ host: h, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'none', port: { number: 80 } } } }] } }] } }));
  const m = buildModel({ ingresses, services: new Map([['d/none', { metadata: { name: 'none', namespace: 'd' }, spec: { ports: [{ port: 80 }] } }]]), endpoints: new Map(), secrets: new Map() });
  return renderConfig(m, { dir, httpPort: `127.0.0.1:${port}`, httpsPort: `127.0.0.1:${port + 2}`, noEndpointsPort: statusPort });
};

test('nginx: start, reload to a new configuration, refuse an invalid one, come back after a kill -9', { skip: NGINX_BINARY === 'nginx' && 'nginx not installed', timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ingress-nginx-proc-'));
  let exits = 0;
  const n = new Nginx({ dir, statusPort, log: () => {}, onExit: () => exits++ });
  try {
    const a = config(dir, ['a.local']);
    assert.equal(await n.apply(a.conf, a.files, a.hash), true);
    assert.equal(n.hash, a.hash);
    assert.equal((await get('a.local')).status, 503, 'a host whose Service has no endpoints');
    assert.equal((await get('b.local')).status, 404);
    assert.equal(await n.apply(a.conf, a.files, a.hash), false, 'unchanged: nothing done');
    const b = config(dir, ['a.local', 'b.local']);
    assert.equal(await n.apply(b.conf, b.files, b.hash), true);
    assert.equal((await get('b.local')).status, 503, 'reloaded');
    await assert.rejects(n.apply('events {}\nhttp { bogus_directive; }\n', {}, 'bad'), /nginx -t: .*unknown directive "bogus_directive"/);
    assert.equal(n.hash, b.hash, 'the running configuration stays');
    assert.equal((await get('b.local')).status, 503);
    process.kill(Number(readFileSync(join(dir, 'nginx.pid'), 'utf8')), 'SIGKILL');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(exits, 1, 'the owner is told');
    await assert.rejects(get('b.local'), /ECONNREFUSED/, 'the orphaned workers were ended too');
    assert.equal(n.running, false);
    assert.equal(await n.apply(b.conf, b.files, b.hash), true, 'started again');
    assert.equal((await get('b.local')).status, 503);
  } finally {
    await n.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
