/** The `flotilla` command as a user runs it: up (with the real kubectl), kubeconfig, version, help. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectl as kubectlIn, MAIN, startUp, stopUp } from './testkit.js';

const main = MAIN;
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });

describe('flotilla CLI', { timeout: 120_000 }, () => {
  it('prints help, version and errors for unknown commands/flags', () => {
    const h = run(['--help']);
    assert.equal(h.status, 0);
    assert.match(h.stdout, /Commands:\n\s+up\s/);
    const uh = run(['up', '--help']);
    assert.equal(uh.status, 0);
    for (const flag of ['--data-dir', '--port', '--host']) assert.match(uh.stdout, new RegExp(flag));
    assert.match(run(['version']).stdout, /^flotilla \d+\.\d+\.\d+\n$/);
    const bad = run(['fly']);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /unknown command "fly"/);
    const badFlag = run(['up', '--bogus']);
    assert.equal(badFlag.status, 1);
    assert.match(badFlag.stderr, /bogus/);
    const badPort = run(['up', '--port', 'abc']);
    assert.equal(badPort.status, 1);
    assert.match(badPort.stderr, /--port: "abc" is not a valid port number/);
  });

  it('helm template and render run through the flotilla command', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-cli-'));
    try {
      mkdirSync(join(dir, 'chart', 'templates'), { recursive: true });
      writeFileSync(join(dir, 'chart', 'Chart.yaml'), 'apiVersion: v2\nname: demo\nversion: 0.1.0\n');
      writeFileSync(join(dir, 'chart', 'values.yaml'), 'color: blue\n');
      writeFileSync(join(dir, 'chart', 'templates', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  color: {{ .Values.color | quote }}\n');
      const h = run(['helm', 'template', 'rel', join(dir, 'chart'), '--set', 'color=red']);
      assert.equal(h.status, 0, h.stderr);
      assert.equal(h.stdout, '---\n# Source: demo/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rel-cm\ndata:\n  color: "red"\n');
      const bad = run(['helm', 'install', 'x']);
      assert.equal(bad.status, 1);
      assert.match(bad.stderr, /only 'flotilla helm template'/);
      // a Git repository rendered like Argo CD's repo server
      const repo = join(dir, 'repo');
      mkdirSync(join(repo, 'app'), { recursive: true });
      writeFileSync(join(repo, 'app', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-git\n');
      const git = (...a: string[]) => spawnSync('git', ['-C', repo, '-c', 'user.email=t@example.com', '-c', 'user.name=t', ...a], { encoding: 'utf8' });
      git('init', '-q', '-b', 'main');
      git('add', '.');
      assert.equal(git('commit', '-q', '-m', 'init').status, 0);
      const r = run(['render', '--repo', `file://${repo}`, '--revision', 'main', '--path', 'app'], { FLOTILLA_DATA_DIR: join(dir, 'data'), HOME: dir });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /kind: ConfigMap/);
      assert.match(r.stdout, /name: from-git/);
      const missing = run(['render', '--repo', `file://${repo}`, '--revision', 'nope', '--path', 'app'], { FLOTILLA_DATA_DIR: join(dir, 'data'), HOME: dir });
      assert.notEqual(missing.status, 0);
      assert.match(missing.stderr, /nope/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('kubeconfig before the first up says what to do', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-cli-'));
    try {
      const r = run(['kubeconfig', '--data-dir', dir]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /run 'flotilla up/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('up starts the cluster, kubectl works with the printed KUBECONFIG, SIGTERM stops it cleanly, state survives', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-cli-'));
    const start = () => startUp(dir, 20_000);
    const kubectl = (kc: string, args: string[]) => kubectlIn(dir, kc, args);
    try {
      let s = await start();
      const kc = s.kubeconfig;
      assert.equal(kc, join(dir, 'kubeconfig'));
      assert.ok(existsSync(kc));
      const ns = await kubectl(kc, ['create', 'namespace', 'persisted']);
      assert.equal(ns.code, 0, ns.stderr);
      // the controllers run: a Deployment gets its ReplicaSet, the namespace its default ServiceAccount
      assert.equal((await kubectl(kc, ['create', 'deployment', 'web', '-n', 'persisted', '--image=nginx'])).code, 0);
      let rs = '';
      for (let i = 0; i < 100 && !rs.includes('replicaset.apps/web-'); i++) {
        rs = (await kubectl(kc, ['get', 'rs', '-n', 'persisted', '-o', 'name'])).stdout;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.match(rs, /replicaset.apps\/web-[a-z0-9]+/);
      assert.equal((await kubectl(kc, ['get', 'sa', 'default', '-n', 'persisted', '-o', 'name'])).stdout.trim(), 'serviceaccount/default');
      const printed = run(['kubeconfig', '--data-dir', dir]);
      assert.match(printed.stdout, /current-context: flotilla/);
      assert.equal(await stopUp(s, 'SIGTERM'), 0);
      assert.match(s.output(), /stopped/);
      s = await start();
      const kc2 = s.kubeconfig;
      const get = await kubectl(kc2, ['get', 'namespace', 'persisted', '-o', 'name']);
      assert.equal(get.stdout.trim(), 'namespace/persisted', get.stderr);
      assert.equal(await stopUp(s, 'SIGINT'), 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
