// The test kit itself: repositories served over HTTP are cloneable and pushable with the real git
// client, commits show up, and the example apps repository is built from the upstream fixtures.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GIT_ENV } from './test-helpers.js';
import { exampleAppsRepo, startGitServer, type GitServer } from './testkit.js';

// git runs asynchronously: the HTTP server lives in this process, a synchronous client would block it
const run = promisify(execFile);
const git = async (cwd: string, ...args: string[]) => (await run('git', args, { cwd, env: { ...GIT_ENV, GIT_TERMINAL_PROMPT: '0' } })).stdout.trim();

describe('testkit: startGitServer', () => {
  let srv: GitServer;
  let scratch: string;
  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'flotilla-tk-'));
    const seed = join(scratch, 'seed');
    execFileSync('mkdir', ['-p', join(seed, 'app')]);
    writeFileSync(join(seed, 'app', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: one}\n');
    srv = await startGitServer({ repos: { apps: seed, empty: null } });
  });
  after(async () => {
    await srv.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('url and podURL name the same port and repository', () => {
    assert.equal(srv.url('apps'), `http://127.0.0.1:${srv.port}/apps.git`);
    assert.equal(srv.podURL('apps'), `http://host.flotilla.internal:${srv.port}/apps.git`);
  });

  test('clone over HTTP sees the initial content; commit() adds, changes and deletes files', async () => {
    const c1 = join(scratch, 'c1');
    await git(scratch, 'clone', '-q', srv.url('apps'), c1);
    assert.match(readFileSync(join(c1, 'app', 'cm.yaml'), 'utf8'), /name: one/);
    const sha = srv.commit('apps', { 'app/cm.yaml': null, 'app/two.yaml': 'kind: ConfigMap\n' }, 'second');
    assert.match(sha, /^[0-9a-f]{40}$/);
    assert.equal(srv.head('apps'), sha);
    await git(c1, 'pull', '-q');
    assert.equal(await git(c1, 'rev-parse', 'HEAD'), sha);
    assert.equal(existsSync(join(c1, 'app', 'cm.yaml')), false);
    assert.equal(await git(c1, 'log', '-1', '--format=%s'), 'second');
    assert.throws(() => srv.commit('apps', { '../x': 'y' }), /must stay in the repository/);
  });

  test('push over HTTP is accepted', async () => {
    const c2 = join(scratch, 'c2');
    await git(scratch, 'clone', '-q', srv.url('apps'), c2);
    writeFileSync(join(c2, 'pushed.txt'), 'hi\n');
    await git(c2, 'add', '-A');
    await git(c2, 'commit', '-q', '-m', 'pushed');
    await git(c2, 'push', '-q', 'origin', 'HEAD:main');
    assert.equal(srv.head('apps'), await git(c2, 'rev-parse', 'HEAD'));
  });

  test('tags and branches are served; an empty repository gets its first commit', async () => {
    srv.tag('apps', 'v1.0.0');
    srv.branch('apps', 'release');
    const refs = await git(scratch, 'ls-remote', srv.url('apps'));
    assert.match(refs, /refs\/tags\/v1\.0\.0/);
    assert.match(refs, /refs\/heads\/release/);
    assert.equal(await git(scratch, 'ls-remote', srv.url('empty')), '');
    const sha = srv.commit('empty', { 'a.yaml': 'x: 1\n' });
    assert.match(await git(scratch, 'ls-remote', srv.url('empty')), new RegExp(`^${sha}\\s+HEAD`));
  });

  test('auth: requests without credentials are refused', async () => {
    const locked = await startGitServer({ repos: { r: null }, auth: { username: 'u', password: 'p' } });
    try {
      locked.commit('r', { 'f': '1' });
      await assert.rejects(git(scratch, 'ls-remote', locked.url('r')));
      assert.ok(locked.rejected > 0);
      const withCreds = locked.url('r').replace('http://', 'http://u:p@');
      assert.match(await git(scratch, 'ls-remote', withCreds), /refs\/heads\/main/);
    } finally {
      await locked.stop();
    }
  });
});

describe('testkit: exampleAppsRepo', () => {
  test('a copy of argocd-example-apps that startGitServer serves', async (t) => {
    const dir = exampleAppsRepo();
    if (!dir) return t.skip('argocd-example-apps fixtures absent');
    const srv = await startGitServer({ repos: { 'argocd-example-apps': dir } });
    try {
      const refs = await git(dir, 'ls-remote', srv.url('argocd-example-apps'));
      assert.match(refs, /refs\/heads\/main/);
      const out = mkdtempSync(join(tmpdir(), 'flotilla-tk-'));
      await git(out, 'clone', '-q', srv.url('argocd-example-apps'), 'c');
      assert.ok(existsSync(join(out, 'c', 'guestbook', 'guestbook-ui-deployment.yaml')));
      rmSync(out, { recursive: true, force: true });
    } finally {
      await srv.stop();
    }
  });
});
