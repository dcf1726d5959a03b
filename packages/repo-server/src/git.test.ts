// Git behaviour against real servers on loopback: revision resolution, refs, unreachable
// repositories, HTTP basic/bearer auth through `git http-backend`, credentials from Secret
// objects, SSH plumbing, submodules, concurrency and the render cache.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { credentialsFromSecrets, RepoError, RepoServer } from './index.js';
import { cleanupTemp, freePort, git, startGitDaemon, startHttpGitServer, tempDir, TestRepo, type GitDaemon } from './test-helpers.js';

const cm = (name: string, data: Record<string, string> = {}) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n${Object.entries(data)
    .map(([k, v]) => `  ${k}: "${v}"\n`)
    .join('') || '  {}\n'}`;

async function rejects(p: Promise<unknown>, code: string, ...fragments: string[]): Promise<RepoError> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof RepoError, `expected a RepoError, got ${err === undefined ? 'success' : String(err)}`);
  assert.equal(err.code, code, `code of: ${err.message}`);
  for (const f of fragments) assert.ok(err.message.includes(f), `message ${JSON.stringify(err.message)} should mention ${f}`);
  return err;
}

let base: string;
let daemon: GitDaemon;
let repo: TestRepo;
let url: string;
const shas: Record<string, string> = {};

before(async () => {
  base = tempDir();
  repo = new TestRepo(base, 'app');
  repo.write({ 'app/cm.yaml': cm('v1') });
  shas['c1'] = repo.commit('one');
  repo.tag('v1.0.0');
  repo.write({ 'app/cm.yaml': cm('v1-1') });
  shas['c2'] = repo.commit('two');
  repo.tag('v1.1.0', true);
  repo.write({ 'app/cm.yaml': cm('v2-rc') });
  shas['c3'] = repo.commit('three');
  repo.tag('v2.0.0-rc.1');
  repo.branch('dev');
  repo.write({ 'app/cm.yaml': cm('dev') });
  shas['dev'] = repo.commit('dev work');
  repo.checkout('main');
  daemon = await startGitDaemon(base);
  url = daemon.url('app.git');
});

after(async () => {
  await daemon?.stop();
  cleanupTemp();
});

describe('revision resolution', () => {
  let server: RepoServer;
  before(() => {
    server = new RepoServer({ cacheDir: tempDir() });
  });
  after(() => server.close());

  test('branches, tags (lightweight and annotated), HEAD and full refs', async () => {
    assert.equal(await server.resolveRevision(url, 'main'), shas['c3']);
    assert.equal(await server.resolveRevision(url, 'dev'), shas['dev']);
    assert.equal(await server.resolveRevision(url, 'refs/heads/dev'), shas['dev']);
    assert.equal(await server.resolveRevision(url, 'v1.0.0'), shas['c1']);
    assert.equal(await server.resolveRevision(url, 'v1.1.0'), shas['c2'], 'annotated tags resolve to their commit');
    assert.equal(await server.resolveRevision(url, 'HEAD'), shas['c3']);
    assert.equal(await server.resolveRevision(url), shas['c3']);
    assert.equal(await server.resolveRevision(url, ''), shas['c3']);
  });

  test('full and abbreviated commit SHAs', async () => {
    assert.equal(await server.resolveRevision(url, shas['c1']), shas['c1']);
    assert.equal(await server.resolveRevision(url, shas['c2']!.toUpperCase()), shas['c2']);
    assert.equal(await server.resolveRevision(url, shas['dev']!.slice(0, 7)), shas['dev']);
    assert.equal(await server.resolveRevision(url, shas['c1']!.slice(0, 12)), shas['c1']);
  });

  test('semver constraints over tags', async () => {
    assert.equal(await server.resolveRevision(url, '>=1.0.0 <2.0.0'), shas['c2']);
    assert.equal(await server.resolveRevision(url, '~1.0'), shas['c1']);
    assert.equal(await server.resolveRevision(url, '*'), shas['c2'], 'pre-releases are excluded by default');
    assert.equal(await server.resolveRevision(url, '*-0'), shas['c3'], 'a -0 constraint admits pre-releases');
  });

  test('unknown revisions are clear errors', async () => {
    await rejects(server.resolveRevision(url, 'no-such-branch'), 'UnknownRevision', '"no-such-branch"', url);
    await rejects(server.resolveRevision(url, 'deadbeef'.repeat(5)), 'UnknownRevision', 'deadbeef');
    await rejects(server.resolveRevision(url, 'abcdef1'), 'UnknownRevision', 'abcdef1');
    await rejects(server.resolveRevision(url, '>=9.0.0'), 'UnknownRevision', '>=9.0.0');
    await rejects(server.generateManifests({ repoURL: url, targetRevision: 'nope', path: 'app' }), 'UnknownRevision', 'nope');
  });

  test('listRefs lists branches and tags', async () => {
    assert.deepEqual(await server.listRefs(url), { branches: ['dev', 'main'], tags: ['v1.0.0', 'v1.1.0', 'v2.0.0-rc.1'] });
  });

  test('a new commit on a branch is picked up on the next request', async () => {
    const r1 = await server.generateManifests({ repoURL: url, targetRevision: 'dev', path: 'app' });
    assert.equal(r1.objects[0]!.object.metadata?.name, 'dev');
    repo.checkout('dev');
    repo.write({ 'app/cm.yaml': cm('dev-2') });
    const next = repo.commit('dev again');
    repo.checkout('main');
    const r2 = await server.generateManifests({ repoURL: url, targetRevision: 'dev', path: 'app' });
    assert.equal(r2.revision, next);
    assert.equal(r2.objects[0]!.object.metadata?.name, 'dev-2');
    shas['dev'] = next;
  });
});

describe('unreachable repositories', () => {
  test('nothing listening, or no such repository on the server', async () => {
    const server = new RepoServer({ cacheDir: tempDir(), gitTimeoutMs: 20_000 });
    try {
      const port = await freePort();
      const dead = `git://127.0.0.1:${port}/app.git`;
      await rejects(server.resolveRevision(dead, 'main'), 'Unreachable', dead);
      await rejects(server.generateManifests({ repoURL: daemon.url('missing.git'), path: '.' }), 'Unreachable', 'missing.git');
      await rejects(server.generateManifests({ repoURL: `file://${join(base, 'nope.git')}`, path: '.' }), 'Unreachable', 'nope.git');
    } finally {
      server.close();
    }
  });
});

describe('credentials', () => {
  test('HTTP basic auth through git http-backend, from a callback and from Secret objects', async () => {
    const http = await startHttpGitServer(base, { username: 'alice', password: 's3cret-pass' });
    const u = http.url('app.git');
    try {
      const anonymous = new RepoServer({ cacheDir: tempDir() });
      try {
        const e = await rejects(anonymous.resolveRevision(u, 'main'), 'Unreachable', u);
        assert.ok(http.rejected > 0);
        assert.ok(!e.message.includes('s3cret-pass'));
      } finally {
        anonymous.close();
      }
      const wrong = new RepoServer({ cacheDir: tempDir(), credentials: () => ({ username: 'alice', password: 'wrong-password' }) });
      try {
        const e = await rejects(wrong.resolveRevision(u, 'main'), 'Unreachable');
        assert.ok(!e.message.includes('wrong-password'), e.message);
      } finally {
        wrong.close();
      }
      const b64 = (s: string) => Buffer.from(s).toString('base64');
      const secrets = [
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'repo', namespace: 'argocd', labels: { 'argocd.argoproj.io/secret-type': 'repository' } },
          data: { type: b64('git'), url: b64(u) },
        },
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'creds', namespace: 'argocd', labels: { 'argocd.argoproj.io/secret-type': 'repo-creds' } },
          data: { type: b64('git'), url: b64(`http://127.0.0.1:${http.port}/`), username: b64('alice'), password: b64('s3cret-pass') },
        },
      ];
      const server = new RepoServer({ cacheDir: tempDir(), credentials: (repoUrl) => credentialsFromSecrets(secrets, repoUrl) });
      try {
        const r = await server.generateManifests({ repoURL: u, targetRevision: 'v1.0.0', path: 'app' });
        assert.equal(r.revision, shas['c1']);
        assert.equal(r.objects[0]!.object.metadata?.name, 'v1');
        const cacheFiles = readdirSync(join(server.git.cacheDir, 'repos')).map((d) => readFileSync(join(server.git.cacheDir, 'repos', d, 'config'), 'utf8'));
        assert.ok(cacheFiles.every((c) => !c.includes('s3cret-pass')), 'credentials are never written into the cache');
      } finally {
        server.close();
      }
    } finally {
      await http.stop();
    }
  });

  test('bearer tokens, and access tokens given as a password only', async () => {
    const http = await startHttpGitServer(base, { bearer: 'tok-123456' });
    try {
      const server = new RepoServer({ cacheDir: tempDir(), credentials: () => ({ bearerToken: 'tok-123456' }) });
      try {
        assert.equal(await server.resolveRevision(http.url('app.git'), 'main'), shas['c3']);
      } finally {
        server.close();
      }
    } finally {
      await http.stop();
    }
    const basic = await startHttpGitServer(base, { username: 'x-access-token', password: 'ghp_token_value' });
    try {
      const server = new RepoServer({ cacheDir: tempDir(), credentials: () => ({ password: 'ghp_token_value' }) });
      try {
        assert.equal(await server.resolveRevision(basic.url('app.git'), 'v1.0.0'), shas['c1']);
      } finally {
        server.close();
      }
    } finally {
      await basic.stop();
    }
  });

  test('SSH private keys are handed to ssh as a 0600 key file with host key checking', async () => {
    // A stand-in for ssh that checks how it was called and then runs the remote command locally.
    const dir = tempDir();
    const log = join(dir, 'ssh.log');
    const ssh = join(dir, 'ssh');
    writeFileSync(
      ssh,
      `#!/bin/sh
printf '%s\\n' "$*" >> '${log}'
key=""; kh=""; strict=""
for a; do last="$a"; done
while [ $# -gt 0 ]; do
  case "$1" in
    -i) key="$2"; shift 2 ;;
    -o) case "$2" in UserKnownHostsFile=*) kh="\${2#UserKnownHostsFile=}" ;; StrictHostKeyChecking=*) strict="\${2#StrictHostKeyChecking=}" ;; esac; shift 2 ;;
    *) shift ;;
  esac
done
[ "$(stat -c %a "$key")" = 600 ] || { echo "key mode wrong" >&2; exit 1; }
grep -q 'FAKE TEST KEY' "$key" || { echo "key content wrong" >&2; exit 1; }
[ "$strict" = yes ] || { echo "host key checking off" >&2; exit 1; }
grep -q 'fakehost ssh-ed25519' "$kh" || { echo "known_hosts missing" >&2; exit 1; }
exec sh -c "$last"
`,
    );
    chmodSync(ssh, 0o755);
    const server = new RepoServer({
      cacheDir: tempDir(),
      sshCommand: ssh,
      credentials: () => ({
        sshPrivateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nFAKE TEST KEY\n-----END OPENSSH PRIVATE KEY-----',
        knownHosts: 'fakehost ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKey',
      }),
    });
    try {
      const sshUrl = `ssh://git@fakehost${join(base, 'app.git')}`;
      assert.equal(await server.resolveRevision(sshUrl, 'v1.1.0'), shas['c2']);
      const r = await server.generateManifests({ repoURL: sshUrl, targetRevision: 'main', path: 'app' });
      assert.equal(r.objects.length, 1);
      assert.match(readFileSync(log, 'utf8'), /git@fakehost/);
    } finally {
      server.close();
    }
  });
});

describe('submodules', () => {
  test('submodule content is part of the checkout', async () => {
    const lib = new TestRepo(base, 'lib');
    lib.write({ 'manifests/lib-cm.yaml': cm('from-submodule') });
    lib.commit('lib');
    const parent = new TestRepo(base, 'parent');
    parent.write({ 'app/own.yaml': cm('own') });
    git(parent.work, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', lib.bare, 'app/vendor');
    git(parent.work, 'config', '-f', '.gitmodules', 'submodule.app/vendor.url', '../lib.git');
    parent.commit('with submodule');
    const server = new RepoServer({ cacheDir: tempDir() });
    try {
      const r = await server.generateManifests({ repoURL: daemon.url('parent.git'), path: 'app', directory: { recurse: true } });
      assert.deepEqual(
        r.objects.map((o) => `${o.source} ${o.object.metadata?.name}`),
        ['app/own.yaml own', 'app/vendor/manifests/lib-cm.yaml from-submodule'],
      );
    } finally {
      server.close();
    }
  });

  test('a remote repository cannot pull a local repository in as a submodule', async () => {
    const sneaky = new TestRepo(base, 'sneaky');
    sneaky.write({ 'app/own.yaml': cm('own') });
    git(sneaky.work, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', `file://${repo.bare}`, 'app/stolen');
    sneaky.commit('local submodule');
    const server = new RepoServer({ cacheDir: tempDir() });
    try {
      const e = await rejects(server.generateManifests({ repoURL: daemon.url('sneaky.git'), path: 'app' }), 'GitFailed', 'submodule "app/stolen"');
      assert.match(e.message, /transport 'file' not allowed/);
    } finally {
      server.close();
    }
  });
});

describe('cache', () => {
  test('concurrent requests on one repository render correctly and share one clone', async () => {
    const server = new RepoServer({ cacheDir: tempDir() });
    try {
      const jobs: Promise<[string, string]>[] = [];
      for (let i = 0; i < 24; i++) {
        const rev = ['main', 'dev', 'v1.0.0', shas['c2']!][i % 4]!;
        jobs.push(server.generateManifests({ repoURL: url, targetRevision: rev, path: 'app' }).then((r) => [rev, String(r.objects[0]!.object.metadata?.name)]));
      }
      const results = await Promise.all(jobs);
      const want: Record<string, string> = { main: 'v2-rc', dev: 'dev-2', 'v1.0.0': 'v1', [shas['c2']!]: 'v1-1' };
      for (const [rev, name] of results) assert.equal(name, want[rev], `revision ${rev}`);
      assert.equal(readdirSync(join(server.git.cacheDir, 'repos')).length, 1);
      const trees = readdirSync(join(server.git.cacheDir, 'trees'));
      assert.equal(trees.length, 1);
      const treeDirs = readdirSync(join(server.git.cacheDir, 'trees', trees[0]!)).filter((n) => /^[0-9a-f]{40}$/.test(n));
      assert.equal(treeDirs.length, 4);
      assert.equal(server.stats.renders, 4, 'each (revision, path, options) renders once');
    } finally {
      server.close();
    }
  });

  test('a cache hit returns the same result without running git', async () => {
    const server = new RepoServer({ cacheDir: tempDir() });
    try {
      const src = { repoURL: url, targetRevision: shas['c1']!, path: 'app' };
      const first = await server.generateManifests(src);
      const before = server.gitInvocations;
      const second = await server.generateManifests({ ...src });
      assert.equal(second, first);
      assert.equal(server.gitInvocations, before, 'no git process for a cached commit render');
      assert.ok(Object.isFrozen(second.objects[0]!.object), 'cached objects are frozen');
      // Different options are a different render.
      const third = await server.generateManifests({ ...src, directory: { recurse: true } });
      assert.notEqual(third, first);
      assert.equal(server.stats.renders, 2);
    } finally {
      server.close();
    }
  });

  test('with a revision cache TTL, branch renders are served without contacting the server', async () => {
    const server = new RepoServer({ cacheDir: tempDir(), revisionCacheTtlMs: 60_000 });
    try {
      const first = await server.generateManifests({ repoURL: url, targetRevision: 'main', path: 'app' });
      const before = server.gitInvocations;
      const second = await server.generateManifests({ repoURL: url, targetRevision: 'main', path: 'app' });
      assert.equal(second, first);
      assert.equal(server.gitInvocations, before);
    } finally {
      server.close();
    }
  });

  test("a new commit's tree is the previous tree with only the differences written, the same as a full checkout", async () => {
    const r = new TestRepo(tempDir(), 'incr');
    const files: Record<string, string> = { 'app/keep.yaml': cm('keep'), 'app/change.yaml': cm('before'), 'gone/only.yaml': cm('only'), 'becomes-dir': 'x', 'becomes-file/a.yaml': cm('a'), 'tool.sh': 'echo 1\n' };
    for (let i = 0; i < 50; i++) files[`many/f${i}.yaml`] = cm(`f${i}`);
    r.write(files);
    symlinkSync('app/keep.yaml', join(r.work, 'link.yaml'));
    const c1 = r.commit('one');
    // modified, deleted (leaving an empty directory), file → directory, directory → file, mode, symlinks
    r.write({ 'app/change.yaml': cm('after'), 'app/new.yaml': cm('new') });
    rmSync(join(r.work, 'gone'), { recursive: true });
    rmSync(join(r.work, 'becomes-dir'));
    rmSync(join(r.work, 'becomes-file'), { recursive: true });
    r.write({ 'becomes-dir/inner.yaml': cm('inner'), 'becomes-file': 'now a file' });
    chmodSync(join(r.work, 'tool.sh'), 0o755);
    rmSync(join(r.work, 'link.yaml'));
    symlinkSync('app/new.yaml', join(r.work, 'link.yaml'));
    const c2 = r.commit('two');
    mkdirSync(join(r.work, 'escape'));
    symlinkSync('../../outside', join(r.work, 'escape', 'out.yaml'));
    const c3 = r.commit('three');

    const snapshot = (root: string) => {
      const out: Record<string, string> = {};
      const walk = (dir: string, rel: string) => {
        for (const n of readdirSync(dir).sort()) {
          const p = join(dir, n);
          const st = lstatSync(p);
          const key = rel ? `${rel}/${n}` : n;
          if (st.isSymbolicLink()) out[key] = `-> ${readlinkSync(p)}`;
          else if (st.isDirectory()) {
            out[key] = 'dir';
            walk(p, key);
          } else out[key] = `${(st.mode & 0o111) !== 0 ? 'x ' : ''}${readFileSync(p, 'utf8')}`;
        }
      };
      walk(root, '');
      return out;
    };
    const incremental = new RepoServer({ cacheDir: tempDir() });
    const full = new RepoServer({ cacheDir: tempDir() });
    try {
      const t1 = await incremental.git.repo(r.bare).acquire(c1);
      const before = snapshot(t1.tree.root);
      const t2 = await incremental.git.repo(r.bare).acquire(c2);
      const f2 = await full.git.repo(r.bare).acquire(c2);
      assert.deepEqual(snapshot(t2.tree.root), snapshot(f2.tree.root));
      assert.deepEqual(snapshot(t1.tree.root), before, 'the base tree is unchanged');
      assert.equal(lstatSync(join(t2.tree.root, 'many/f7.yaml')).ino, lstatSync(join(t1.tree.root, 'many/f7.yaml')).ino, 'an unchanged file is shared, not written again');
      assert.notEqual(lstatSync(join(t2.tree.root, 'app/change.yaml')).ino, lstatSync(join(t1.tree.root, 'app/change.yaml')).ino);
      assert.deepEqual(t2.tree.outOfBoundsSymlinks, []);
      const t3 = await incremental.git.repo(r.bare).acquire(c3);
      const f3 = await full.git.repo(r.bare).acquire(c3);
      assert.deepEqual(snapshot(t3.tree.root), snapshot(f3.tree.root));
      assert.deepEqual(t3.tree.outOfBoundsSymlinks, ['escape/out.yaml']);
      assert.deepEqual(f3.tree.outOfBoundsSymlinks, ['escape/out.yaml']);
      assert.equal((await incremental.generateManifests({ repoURL: r.bare, targetRevision: c2, path: 'app' })).objects.map((o) => o.object.metadata?.name).join(','), 'after,keep,new');
    } finally {
      incremental.close();
      full.close();
    }
  });

  test('the on-disk cache survives a restart; old commit trees are evicted', async () => {
    const cacheDir = tempDir();
    const a = new RepoServer({ cacheDir, maxTreesPerRepo: 2 });
    try {
      for (const rev of ['v1.0.0', 'v1.1.0', 'main']) await a.generateManifests({ repoURL: url, targetRevision: rev, path: 'app' });
    } finally {
      a.close();
    }
    const treeRoot = join(cacheDir, 'trees', readdirSync(join(cacheDir, 'trees'))[0]!);
    const kept = readdirSync(treeRoot).filter((n) => /^[0-9a-f]{40}$/.test(n));
    assert.equal(kept.length, 2);
    assert.ok(existsSync(join(treeRoot, shas['c3']!)));
    const b = new RepoServer({ cacheDir });
    try {
      const r = await b.generateManifests({ repoURL: url, targetRevision: shas['c3']!, path: 'app' });
      assert.equal(r.objects[0]!.object.metadata?.name, 'v2-rc');
      assert.equal(b.gitInvocations, 0, 'a tree from a previous run is reused without git');
    } finally {
      b.close();
    }
  });
});
