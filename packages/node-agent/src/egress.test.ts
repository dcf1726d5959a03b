/**
 * Pod egress against a real API server and a node agent in netns mode: pods reach servers on
 * the host's loopback through `host.flotilla.internal` (HTTP, git daemon, the API server over
 * TLS, UDP), and the host's other addresses over TCP and UDP — with nothing added to the host's
 * network namespace. Skipped with a printed reason where the agent cannot make network
 * namespaces or slirp4netns/nftables are missing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectNetns, NetnsNetwork } from './network.js';
import { findTool } from './tools.js';
import { detectEgress, gatewayOf, natRules, pickEgressCidr } from './egress.js';
import { cond, createPod, kubeletGet, podManifest, podWhere, procsWith, startEnv, waitFor, type Env } from './testutil.js';

describe('egress networks (pure)', () => {
  it('picks the first slirp4netns network the host does not use', () => {
    assert.equal(pickEgressCidr(['0.0.0.0/0', '192.0.2.0/24', '10.244.0.0/16', '10.96.0.0/12']), '10.0.2.0/24');
    // a host that is itself on 10.0.2.0/24 (a QEMU guest) or on all of 10/8
    assert.equal(pickEgressCidr(['10.0.2.15/32', '10.0.2.0/24']), '172.31.254.0/24');
    assert.equal(pickEgressCidr(['10.0.0.0/8', '172.16.0.0/12']), '198.18.254.0/24');
    assert.equal(pickEgressCidr(['10.0.0.0/8', '172.16.0.0/12', '198.18.0.0/15', '100.64.0.0/10']), undefined);
    assert.equal(gatewayOf('10.0.2.0/24'), '10.0.2.2');
    assert.equal(gatewayOf('172.31.254.0/24'), '172.31.254.2');
    assert.match(natRules('10.244.0.0/16'), /ip saddr 10\.244\.0\.0\/16 oifname "tap0" masquerade/);
  });

  it('names what is missing when egress cannot be set up', () => {
    assert.equal(detectEgress(() => undefined).reason, 'slirp4netns (package slirp4netns), nft (package nftables) and unshare (package util-linux) are not installed');
    assert.equal(detectEgress((n) => (n === 'nft' ? undefined : `/usr/bin/${n}`)).reason, 'nft (package nftables) is not installed');
  });
});

const can = detectNetns();
const eg = detectEgress();
const skip = can.reason ?? eg.reason;
if (skip) console.log(`# skipping pod egress tests: ${skip}`);

let env: Env;
const ns = 'egress';
const done = (p: any) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/** Runs a pod to completion; returns its phase and log. */
async function runPod(name: string, container: any): Promise<{ phase: string; out: string }> {
  await createPod(env.api, ns, podManifest(name, { restartPolicy: 'Never', containers: [{ name: 'c', ...container }] }));
  const p = await podWhere(env.api, ns, name, done, 'finished', 60_000);
  const out = (await kubeletGet(env, `/containerLogs/${ns}/${name}/c`)).body;
  return { phase: p.status.phase, out };
}

async function ok(name: string, container: any): Promise<string> {
  const r = await runPod(name, container);
  assert.equal(r.phase, 'Succeeded', `pod ${name} failed: ${r.out}`);
  return r.out;
}

function listen(server: Server | ReturnType<typeof createTcpServer>, host: string): Promise<number> {
  return new Promise((resolve) => server.listen(0, host, () => resolve((server.address() as AddressInfo).port)));
}

/** A non-loopback IPv4 address of this host, if it has one. */
function hostAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return undefined;
}

describe('pod egress (slirp4netns)', { concurrency: false, timeout: 240_000, skip: !!skip }, () => {
  const servers: { close(): void }[] = [];
  const procs: ChildProcess[] = [];
  let tmp = '';
  let forwardBefore = '';
  let linksBefore: string[] = [];
  before(async () => {
    forwardBefore = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
    linksBefore = Object.keys(networkInterfaces()).sort();
    tmp = mkdtempSync(join(tmpdir(), 'flotilla-egress-'));
    env = await startEnv({ network: 'netns' });
  });
  after(async () => {
    for (const s of servers) s.close();
    for (const p of procs) p.kill('SIGTERM');
    await env?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('a pod curls an HTTP server listening on the host 127.0.0.1 through host.flotilla.internal', async (t) => {
    if (!findTool('curl')) return t.skip('curl is not installed (the curlimages/curl image runs the host curl)');
    const seen: string[] = [];
    const srv = createHttpServer((req, res) => {
      seen.push(`${req.socket.remoteAddress} ${req.url}`);
      res.end('hello from the host\n');
    });
    servers.push(srv);
    const port = await listen(srv, '127.0.0.1');
    const out = await ok('curl', { image: 'curlimages/curl', args: ['-sS', '-m', '20', `http://host.flotilla.internal:${port}/hi`] });
    assert.equal(out, 'hello from the host\n');
    // the connection arrives on the host's loopback, from the host itself
    assert.deepEqual(seen, ['127.0.0.1 /hi']);
  });

  it('host.flotilla.internal resolves through cluster DNS and /etc/hosts alike', async () => {
    const out = await ok('resolve', {
      image: 'node:20',
      command: ['node', '-e', `const dns = require('dns'); dns.resolve4('host.flotilla.internal', (e, a) => { if (e) { console.error(e.message); process.exit(1); } dns.lookup('host.flotilla.internal', (e2, b) => { if (e2) { console.error(e2.message); process.exit(1); } console.log(a.join(',') + ' ' + b); }); });`],
    });
    const [viaDns, viaHosts] = out.trim().split(' ');
    assert.match(viaDns, /^\d+\.\d+\.\d+\.2$/);
    assert.equal(viaHosts, viaDns);
  });

  it('a pod clones a repository served by git daemon on the host loopback', async () => {
    const repo = join(tmp, 'repos', 'demo.git');
    const work = join(tmp, 'work');
    const git = (cwd: string, ...args: string[]) => {
      const r = spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' } });
      assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`);
    };
    spawnSync('mkdir', ['-p', repo, work]);
    git(repo, 'init', '-q', '--bare');
    git(work, 'init', '-q');
    writeFileSync(join(work, 'README'), 'cloned through host.flotilla.internal\n');
    git(work, 'add', 'README');
    git(work, 'commit', '-q', '-m', 'first');
    git(work, 'push', '-q', repo, 'HEAD:refs/heads/main');
    git(repo, 'symbolic-ref', 'HEAD', 'refs/heads/main');
    const probe = createTcpServer();
    const port = await listen(probe, '127.0.0.1');
    await new Promise((r) => probe.close(r));
    const d = spawn('git', ['daemon', '--listen=127.0.0.1', `--port=${port}`, '--reuseaddr', '--export-all', `--base-path=${join(tmp, 'repos')}`, join(tmp, 'repos')], { stdio: 'ignore' });
    procs.push(d);
    // wait until it accepts
    for (let i = 0; i < 100; i++) {
      const r = spawnSync('git', ['ls-remote', `git://127.0.0.1:${port}/demo.git`], { encoding: 'utf8', timeout: 5000 });
      if (r.status === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const out = await ok('clone', { image: 'debian', command: ['bash', '-c', `git clone -q git://host.flotilla.internal:${port}/demo.git /tmp/demo && cat /tmp/demo/README`] });
    assert.equal(out, 'cloned through host.flotilla.internal\n');
  });

  it("a pod reaches the host's API server over TLS at https://host.flotilla.internal:<port> (its certificate names it)", async (t) => {
    if (!findTool('curl')) return t.skip('curl is not installed (the curlimages/curl image runs the host curl)');
    const out = await ok('api', {
      image: 'curlimages/curl',
      args: ['-sS', '-m', '20', '--cacert', '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt', `https://host.flotilla.internal:${env.server.port}/healthz`],
    });
    assert.equal(out.trim(), 'ok');
  });

  it('UDP to the host loopback through host.flotilla.internal', async () => {
    const s = createSocket('udp4');
    servers.push({ close: () => s.close() });
    s.on('message', (m, r) => s.send(`echo:${m}`, r.port, r.address));
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    const port = s.address().port;
    const out = await ok('udp-lo', {
      image: 'node:20',
      command: ['node', '-e', `const c = require('dgram').createSocket('udp4'); c.on('message', (m) => { console.log(String(m)); c.close(); }); c.send('ping', ${port}, 'host.flotilla.internal'); setTimeout(() => { console.error('no reply'); process.exit(1); }, 10000).unref();`],
    });
    assert.equal(out.trim(), 'echo:ping');
  });

  it("a pod reaches the host's own non-loopback address over TCP and UDP", async (t) => {
    const addr = hostAddress();
    if (!addr) {
      t.skip('this host has no non-loopback IPv4 address');
      return;
    }
    const tcp = createTcpServer((c) => c.end(`tcp:${c.remoteAddress}\n`));
    servers.push(tcp);
    const tport = await listen(tcp, '0.0.0.0');
    const u = createSocket('udp4');
    servers.push({ close: () => u.close() });
    u.on('message', (m, r) => u.send(`udp:${m}`, r.port, r.address));
    await new Promise<void>((r) => u.bind(0, '0.0.0.0', () => r()));
    const uport = u.address().port;
    const out = await ok('host-ip', {
      image: 'node:20',
      command: [
        'node',
        '-e',
        `const net = require('net'); const s = net.connect(${tport}, '${addr}'); let b = '';
         s.on('data', (d) => b += d); s.on('error', (e) => { console.error('tcp ' + e.message); process.exit(1); });
         s.on('end', () => { console.log(b.trim().startsWith('tcp:') ? 'tcp ok' : 'tcp ' + b);
           const c = require('dgram').createSocket('udp4'); c.on('message', (m) => { console.log(String(m)); c.close(); });
           c.send('ping', ${uport}, '${addr}'); setTimeout(() => { console.error('no udp reply'); process.exit(1); }, 10000).unref(); });`,
      ],
    });
    assert.deepEqual(out.trim().split('\n'), ['tcp ok', 'udp:ping']);
  });

  it('after an agent restart, running pods and new ones reach the host again', async () => {
    const srv = createHttpServer((_req, res) => res.end('still here\n'));
    servers.push(srv);
    const port = await listen(srv, '127.0.0.1');
    const poll = `const http = require('http'); setInterval(() => http.get({ host: 'host.flotilla.internal', port: ${port}, agent: false }, (r) => { let b = ''; r.on('data', (d) => b += d); r.on('end', () => console.log(b.trim())); }).on('error', (e) => console.log('error ' + e.code)), 200);`;
    await createPod(env.api, ns, podManifest('poller', { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'node:20', command: ['node', '-e', poll] }] }));
    await podWhere(env.api, ns, 'poller', (p) => cond(p, 'Ready') === 'True', 'Ready');
    await env.restartAgent(true);
    const logs = async () => (await kubeletGet(env, `/containerLogs/${ns}/poller/c`)).body.trim().split('\n');
    const mark = (await logs()).length;
    // the re-adopted pod (same process, same namespace) gets through the new slirp4netns
    await waitFor('the re-adopted pod to reach the host', async () => (await logs()).slice(mark).includes('still here'), 20_000);
    const out = await ok('after-restart', { image: 'node:20', command: ['node', '-e', `require('http').get({ host: 'host.flotilla.internal', port: ${port} }, (r) => r.pipe(process.stdout)).on('error', (e) => { console.error(e.message); process.exit(1); });`] });
    assert.equal(out, 'still here\n');
  });

  it('slirp4netns is restarted when it dies, and pods get out again', async () => {
    const id = NetnsNetwork.idFor(env.agentOpts.dataDir);
    const mine = () => procsWith(`/run/netns/fl-${id}\u0000tap0`);
    const [pid] = mine();
    assert.ok(pid, 'slirp4netns runs for this node namespace');
    process.kill(pid, 'SIGKILL');
    await waitFor('a new slirp4netns', () => mine().some((p) => p !== pid), 20_000);
    const srv = createHttpServer((_req, res) => res.end('back\n'));
    servers.push(srv);
    const port = await listen(srv, '127.0.0.1');
    const out = await ok('after-slirp-restart', { image: 'node:20', command: ['node', '-e', `const get = (n) => require('http').get({ host: 'host.flotilla.internal', port: ${port}, agent: false }, (r) => r.pipe(process.stdout)).on('error', (e) => { if (n > 0) setTimeout(() => get(n - 1), 250); else { console.error(e.message); process.exit(1); } }); get(40);`] });
    assert.equal(out, 'back\n');
    assert.ok(env.logs.some((l) => /slirp4netns \(pod egress\) exited/.test(l)), 'the restart is logged');
  });

  it("adds nothing to the host's network namespace", async () => {
    assert.equal(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8'), forwardBefore);
    assert.deepEqual(Object.keys(networkInterfaces()).sort(), linksBefore);
    const p = await podWhere(env.api, ns, 'curl', (p) => !!p.status?.podIP, 'an address');
    assert.ok(cond(p, 'Ready') !== undefined);
  });
});

describe('host network mode: host.flotilla.internal is the loopback', { timeout: 120_000 }, () => {
  let henv: Env;
  before(async () => {
    henv = await startEnv({ network: 'host' });
  });
  after(async () => {
    await henv?.close();
  });

  it("a sandboxed pod finds host.flotilla.internal at 127.0.0.1 in its /etc/hosts", async (t) => {
    if (henv.agent.sandbox !== 'bwrap') return t.skip('pods without the sandbox use the host /etc/hosts');
    const srv = createHttpServer((_req, res) => res.end('host mode\n'));
    const port = await listen(srv, '127.0.0.1');
    try {
      await createPod(henv.api, 'hostmode', podManifest('p', { restartPolicy: 'Never', containers: [{ name: 'c', image: 'node:20', command: ['node', '-e', `require('dns').lookup('host.flotilla.internal', (e, a) => { if (e) { console.error(e.message); process.exit(1); } require('http').get({ host: 'host.flotilla.internal', port: ${port} }, (r) => { let b = ''; r.on('data', (d) => b += d); r.on('end', () => console.log(a + ' ' + b.trim())); }); });`] }] }));
      const p = await podWhere(henv.api, 'hostmode', 'p', done, 'finished', 60_000);
      const out = (await kubeletGet(henv, '/containerLogs/hostmode/p/c')).body;
      assert.equal(p.status.phase, 'Succeeded', out);
      assert.equal(out.trim(), '127.0.0.1 host mode');
    } finally {
      srv.close();
    }
  });
});
