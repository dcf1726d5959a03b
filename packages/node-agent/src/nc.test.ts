// The built-in nc (alpine's and busybox's, as busybox has it) run on the host: listen with -k and -e, connect,
// -z, and the errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { PROGRAMS_DIR } from './images.js';

const NC = join(PROGRAMS_DIR, 'nc.js');
const freePort = () => new Promise<number>((resolve) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); }); });
const nc = (args: string[], input = '') => spawnSync(process.execPath, [NC, ...args], { input, encoding: 'utf8', timeout: 10_000 });
const until = async (port: number) => { for (let i = 0; i < 100; i++) { if (nc(['-z', '127.0.0.1', String(port)]).status === 0) return; await new Promise((r) => setTimeout(r, 50)); } throw new Error('never listened'); };

test('nc -lk -p PORT -e PROG serves every connection with PROG (upstream variables-showcase daemon); a client gets its answer', async () => {
  const port = await freePort();
  const server = spawn(process.execPath, [NC, '-lk', '-p', String(port), '-e', '/bin/echo', 'pong'], { stdio: 'ignore' });
  try {
    await until(port);
    for (let i = 0; i < 3; i++) assert.equal(nc(['127.0.0.1', String(port)]).stdout, 'pong\n', `connection ${i + 1}`);
  } finally {
    server.kill();
  }
});

test('nc -l without -k takes one connection: what the client sends comes out, then it exits 0', async () => {
  const port = await freePort();
  const server = spawn(process.execPath, [NC, '-l', '-p', String(port), '-e', 'cat'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((r) => server.on('exit', r));
  await new Promise((r) => setTimeout(r, 400));
  let r = nc(['-w', '5', '127.0.0.1', String(port)], 'round trip\n');
  for (let i = 0; i < 20 && r.status !== 0; i++) {
    await new Promise((x) => setTimeout(x, 100));
    r = nc(['-w', '5', '127.0.0.1', String(port)], 'round trip\n');
  }
  assert.equal(r.stdout, 'round trip\n');
  assert.equal(await exited, 0);
});

test('nc: a refused connection and a bad option are errors with exit code 1', async () => {
  const port = await freePort();
  const r = nc(['127.0.0.1', String(port)]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /can't connect to remote host \(127\.0\.0\.1\): ECONNREFUSED/);
  assert.equal(nc(['-z', '127.0.0.1', String(port)]).status, 1);
  const bad = nc(['-Q']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /invalid option -- 'Q'/);
});
