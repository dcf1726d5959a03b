/**
 * Pods reach the host, as a user runs it: `flotilla up` (as root: a network namespace per pod)
 * driven with the real kubectl. A pod clones a repository from `git daemon --listen=127.0.0.1`
 * on the host through `git://host.flotilla.internal`, and a pod reaches the API server of a
 * second `flotilla up` on this machine at `https://host.flotilla.internal:<port>` with its CA
 * (Argo CD managing a second cluster). Skipped with the reason where pods cannot have their own
 * network or slirp4netns/nftables are missing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectEgress, detectNetns } from '@flotilla/node-agent';
import { kubectl as kubectlIn, startUp, stopUp, type Up } from './testkit.js';

const why = detectNetns().reason ?? detectEgress().reason;
if (why) console.log(`# skipping flotilla up egress tests: ${why}`);

let dir: string;
let up: Up;
let second: Up | undefined;
let daemon: ChildProcess | undefined;

const kubectl = (args: string[], opts: { input?: string; timeoutMs?: number } = {}) => kubectlIn(dir, up.kubeconfig, args, opts);
async function ok(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await kubectl(args, opts);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Runs a pod to completion with kubectl run; returns its log. */
async function runPod(name: string, image: string, args: string[], extra: string[] = []): Promise<string> {
  await ok(['run', name, `--image=${image}`, '--restart=Never', ...extra, '--', ...args]);
  const w = await kubectl(['wait', `pod/${name}`, '--for=jsonpath={.status.phase}=Succeeded', '--timeout=120s'], { timeoutMs: 130_000 });
  const logs = await kubectl(['logs', name]);
  assert.equal(w.code, 0, `pod ${name} did not succeed: ${w.stderr}\n${logs.stdout}${logs.stderr}`);
  return logs.stdout;
}

describe('flotilla up: pods reach the host as host.flotilla.internal', { concurrency: false, timeout: 300_000, skip: !!why }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-egress-up-'));
    up = await startUp(join(dir, 'data'), 120_000);
    assert.match(up.output(), /network: netns/);
  });
  after(async () => {
    daemon?.kill('SIGTERM');
    if (second) await stopUp(second, 'SIGTERM');
    if (up) await stopUp(up, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('a pod clones a repository served by git daemon on the host loopback', async () => {
    const base = join(dir, 'repos');
    const work = join(dir, 'work');
    mkdirSync(join(base, 'demo.git'), { recursive: true });
    mkdirSync(work, { recursive: true });
    const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' };
    const git = (cwd: string, ...a: string[]) => assert.equal(spawnSync('git', a, { cwd, env }).status, 0, `git ${a.join(' ')}`);
    git(join(base, 'demo.git'), 'init', '-q', '--bare');
    git(work, 'init', '-q');
    writeFileSync(join(work, 'app.yaml'), 'kind: ConfigMap\n');
    git(work, 'add', 'app.yaml');
    git(work, 'commit', '-q', '-m', 'first');
    git(work, 'push', '-q', join(base, 'demo.git'), 'HEAD:refs/heads/main');
    git(join(base, 'demo.git'), 'symbolic-ref', 'HEAD', 'refs/heads/main');
    const port = await freePort();
    daemon = spawn('git', ['daemon', '--listen=127.0.0.1', `--port=${port}`, '--reuseaddr', '--export-all', `--base-path=${base}`, base], { stdio: 'ignore' });
    for (let i = 0; i < 100 && spawnSync('git', ['ls-remote', `git://127.0.0.1:${port}/demo.git`], { timeout: 5000 }).status !== 0; i++) await new Promise((r) => setTimeout(r, 100));
    const out = await runPod('clone', 'alpine/git', ['clone', '-q', `git://host.flotilla.internal:${port}/demo.git`, '/tmp/demo']);
    assert.equal(out, '');
    const shown = await runPod('clone-show', 'debian', ['bash', '-c', `git clone -q git://host.flotilla.internal:${port}/demo.git /tmp/d && git -C /tmp/d log --format=%s && cat /tmp/d/app.yaml`]);
    assert.equal(shown, 'first\nkind: ConfigMap\n');
  });

  it('a pod reaches a second flotilla up on this machine at https://host.flotilla.internal:<port>', async (t) => {
    if (!spawnSync('sh', ['-c', 'command -v curl']).stdout.length) return t.skip('curl is not installed (the curlimages/curl image runs the host curl)');
    second = await startUp(join(dir, 'second'), 120_000);
    const kc = readFileSync(second.kubeconfig, 'utf8');
    const server = /server:\s*(\S+)/.exec(kc)![1];
    const port = new URL(server).port;
    const ca = Buffer.from(/certificate-authority-data:\s*(\S+)/.exec(kc)![1], 'base64').toString();
    writeFileSync(join(dir, 'second-ca.crt'), ca);
    await ok(['create', 'configmap', 'second-ca', `--from-file=ca.crt=${join(dir, 'second-ca.crt')}`]);
    const overrides = JSON.stringify({
      spec: {
        containers: [{ name: 'api', image: 'curlimages/curl', args: ['-sS', '-m', '20', '--cacert', '/ca/ca.crt', `https://host.flotilla.internal:${port}/healthz`], volumeMounts: [{ name: 'ca', mountPath: '/ca' }] }],
        volumes: [{ name: 'ca', configMap: { name: 'second-ca' } }],
      },
    });
    const out = await runPod('second-api', 'curlimages/curl', [], ['--overrides', overrides]);
    assert.equal(out.trim(), 'ok');
  });
});
