// The argocd-repo-server service end to end: a real RepoService on a loopback port, called through
// RepoClient, rendering from real repositories served by git http-backend (testkit), with a real
// redis-server as the shared cache.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { RepoClient, RepoError } from './client.js';
import { which } from './exec.js';
import { helmUnavailableReason } from './helm-adapter.js';
import { RedisCache } from './redis-cache.js';
import { RepoServer } from './repo-server.js';
import { CredentialStore, RepoService } from './service.js';
import { cleanupTemp, freePort, tempDir } from './test-helpers.js';
import { startGitServer, type GitServer } from './testkit.js';

const CM = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  k: v\n`;
const CHART = {
  'chart/Chart.yaml': 'apiVersion: v2\nname: demo\nversion: 0.1.0\n',
  'chart/values.yaml': 'greeting: hello\nreplicas: 1\nnested:\n  list: [a, b]\n',
  'chart/values-prod.yaml': 'greeting: prod\n',
  'chart/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  greeting: {{ .Values.greeting | quote }}\n',
};

interface Running {
  service: RepoService;
  server: RepoServer;
  client: RepoClient;
  close(): Promise<void>;
}

async function startService(opts: { cache?: RedisCache; credentials?: CredentialStore; parallelism?: number } = {}): Promise<Running> {
  const credentials = opts.credentials ?? new CredentialStore();
  const server = new RepoServer({ cacheDir: tempDir(), credentials: credentials.lookup });
  const service = new RepoService({ server, cache: opts.cache, credentials, parallelism: opts.parallelism ?? 0 });
  const http = await service.listen(0, '127.0.0.1');
  return {
    service,
    server,
    client: new RepoClient(`http://127.0.0.1:${http.port}`),
    close: async () => {
      await http.close();
      server.close();
    },
  };
}

async function startRedis(): Promise<{ port: number; proc: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const probe = new RedisCache({ address: `127.0.0.1:${port}` });
  for (let i = 0; i < 200; i++) {
    try {
      if ((await probe.client.ping()) === 'PONG') break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  await probe.close();
  return {
    port,
    proc,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}

const rejectsWith = async (p: Promise<unknown>, code: string, re?: RegExp) => {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof RepoError, `expected a RepoError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (re) assert.match(e.message, re);
    return true;
  });
};

let git: GitServer;
let helmReason: string | undefined;
let firstSha = '';

before(async () => {
  helmReason = await helmUnavailableReason();
  git = await startGitServer({ repos: { apps: null, values: null } });
  firstSha = git.commit('apps', { 'guestbook/a.yaml': CM('a'), 'guestbook/b.yaml': CM('b'), 'kust/kustomization.yaml': 'resources: [cm.yaml]\nimages:\n- name: nginx\n  newTag: "1.25"\n', 'kust/cm.yaml': CM('k'), ...CHART }, 'first commit');
  git.tag('apps', 'v1.0.0', 'release 1');
  git.commit('values', { 'env/prod.yaml': 'greeting: from-ref\n' });
});

after(async () => {
  await git?.stop();
  cleanupTemp();
});

describe('repo server service: the API', () => {
  let s: Running;
  before(async () => (s = await startService()));
  after(async () => s.close());

  test('generateManifests renders a directory with its revision and source files', async () => {
    const r = await s.client.generateManifests({ source: { repoURL: git.url('apps'), path: 'guestbook', targetRevision: 'main' }, appName: 'gb', namespace: 'default' });
    assert.equal(r.revision, firstSha);
    assert.equal(r.sourceType, 'Directory');
    assert.deepEqual(r.manifests.map((m) => m.metadata?.name), ['a', 'b']);
    assert.deepEqual(r.sources, ['guestbook/a.yaml', 'guestbook/b.yaml']);
  });

  test('resolveRevision, listRefs and revisionMetadata', async () => {
    assert.deepEqual(await s.client.resolveRevision(git.url('apps'), 'v1.0.0'), { revision: firstSha });
    assert.deepEqual(await s.client.resolveRevision(git.url('apps'), 'HEAD'), { revision: firstSha });
    const refs = await s.client.listRefs(git.url('apps'));
    assert.deepEqual(refs, { branches: ['main'], tags: ['v1.0.0'] });
    const md = await s.client.revisionMetadata(git.url('apps'), 'main');
    assert.equal(md.author, 'Flotilla Test <test@flotilla.invalid>');
    assert.equal(md.message, 'first commit');
    assert.deepEqual(md.tags, ['v1.0.0']);
    assert.ok(!Number.isNaN(Date.parse(md.date)), md.date);
  });

  test('a new commit is seen by the next resolve (no stale revision cache)', async () => {
    const sha = git.commit('apps', { 'guestbook/c.yaml': CM('c') }, 'add c');
    const r = await s.client.generateManifests({ source: { repoURL: git.url('apps'), path: 'guestbook' } });
    assert.equal(r.revision, sha);
    assert.deepEqual(r.manifests.map((m) => m.metadata?.name), ['a', 'b', 'c']);
  });

  test('listApps and appDetails', async () => {
    const { apps } = await s.client.listApps(git.url('apps'), 'main');
    assert.deepEqual(apps, [
      { path: 'chart', type: 'Helm' },
      { path: 'guestbook', type: 'Directory' },
      { path: 'kust', type: 'Kustomize' },
    ]);
    const k = await s.client.appDetails({ repoURL: git.url('apps'), path: 'kust' });
    assert.deepEqual(k, { type: 'Kustomize', kustomize: { images: ['nginx:1.25'] } });
    const d = await s.client.appDetails({ repoURL: git.url('apps'), path: 'guestbook' });
    assert.deepEqual(d, { type: 'Directory', directory: {} });
    const h = await s.client.appDetails({ repoURL: git.url('apps'), path: 'chart' });
    assert.equal(h.type, 'Helm');
    assert.deepEqual(h.helm?.valueFiles, ['values-prod.yaml', 'values.yaml']);
    assert.deepEqual(h.helm?.parameters, [
      { name: 'greeting', value: 'hello' },
      { name: 'replicas', value: '1' },
      { name: 'nested.list[0]', value: 'a' },
      { name: 'nested.list[1]', value: 'b' },
    ]);
  });

  test('errors come back with their code, as RepoError', async () => {
    await rejectsWith(s.client.generateManifests({ source: { repoURL: git.url('apps'), path: 'guestbook', targetRevision: 'no-such-branch' } }), 'UnknownRevision', /no-such-branch/);
    await rejectsWith(s.client.generateManifests({ source: { repoURL: git.url('apps'), path: 'nope' } }), 'PathNotFound', /nope/);
    await rejectsWith(s.client.generateManifests({ source: { repoURL: git.url('apps'), path: '../etc' } }), 'PathEscape');
    await rejectsWith(s.client.generateManifests({ source: { repoURL: git.url('nosuchrepo'), path: '.' } }), 'Unreachable');
    await rejectsWith(s.client.generateManifests({ source: {} as never }), 'InvalidSource', /repoURL/);
    await rejectsWith(s.client.revisionMetadata(git.url('apps'), ''), 'InvalidSource', /revision/);
    await rejectsWith(new RepoClient('http://127.0.0.1:1').listRefs(git.url('apps')), 'Unreachable', /unreachable/);
  });

  test('bad requests: not JSON, wrong verb, unknown method', async () => {
    const base = s.client.baseURL;
    let r = await fetch(`${base}/api/listRefs`, { method: 'POST', body: '{nope' });
    assert.equal(r.status, 400);
    assert.match(((await r.json()) as { error: { message: string } }).error.message, /not JSON/);
    r = await fetch(`${base}/api/listRefs`);
    assert.equal(r.status, 405);
    r = await fetch(`${base}/api/frobnicate`, { method: 'POST', body: '{}' });
    assert.equal(r.status, 404);
    assert.match(await r.text(), /generateManifests/);
    r = await fetch(`${base}/healthz`);
    assert.equal(r.status, 200);
    // the service still answers afterwards
    assert.ok((await s.client.listRefs(git.url('apps'))).branches.length);
  });

  test('multi-source: a $ref value file from another repository', async (t) => {
    if (helmReason) return t.skip(helmReason);
    const r = await s.client.generateManifests({
      source: { repoURL: git.url('apps'), path: 'chart', helm: { valueFiles: ['values-prod.yaml', '$vals/env/prod.yaml'] } },
      refSources: { vals: { repoURL: git.url('values'), targetRevision: 'main' } },
      appName: 'multi',
    });
    assert.equal(r.sourceType, 'Helm');
    assert.equal((r.manifests[0] as { data: { greeting: string } }).data.greeting, 'from-ref');
    await rejectsWith(
      s.client.generateManifests({ source: { repoURL: git.url('apps'), path: 'chart', helm: { valueFiles: ['$missing/x.yaml'] } }, refSources: {} }),
      'InvalidSource',
      /no source with ref "missing"/,
    );
  });
});

describe('repo server service: credentials', () => {
  let locked: GitServer;
  before(async () => {
    locked = await startGitServer({ repos: { private: null }, auth: { username: 'alice', password: 's3cret' } });
    locked.commit('private', { 'app/cm.yaml': CM('private') });
  });
  after(async () => locked.stop());

  test('repository Secrets give access; without them the repository is unreachable', async () => {
    const creds = new CredentialStore();
    let secrets: Record<string, unknown>[] = [];
    creds.setSource(() => secrets as never);
    const s = await startService({ credentials: creds });
    try {
      await rejectsWith(s.client.generateManifests({ source: { repoURL: locked.url('private'), path: 'app' } }), 'Unreachable');
      secrets = [
        {
          kind: 'Secret',
          metadata: { name: 'repo-private', labels: { 'argocd.argoproj.io/secret-type': 'repository' } },
          stringData: { url: locked.url('private'), username: 'alice', password: 's3cret' },
        },
      ];
      const r = await s.client.generateManifests({ source: { repoURL: locked.url('private'), path: 'app' } });
      assert.equal(r.manifests[0]!.metadata?.name, 'private');
      assert.deepEqual(await s.client.testRepository({ repo: locked.url('private') }), { ok: true, message: 'successfully connected: 1 branches, 0 tags' });
      const bad = await s.client.testRepository({ repo: locked.url('private'), username: 'alice', password: 'wrong' });
      assert.equal(bad.ok, false);
      assert.match(bad.message, /unreachable|Authentication/i);
      assert.doesNotMatch(bad.message, /wrong/);
    } finally {
      await s.close();
    }
  });

  test('credentials sent with a request are used for that repository', async () => {
    const s = await startService();
    try {
      const r = await s.client.generateManifests({ source: { repoURL: locked.url('private'), path: 'app' }, repo: { repo: locked.url('private'), username: 'alice', password: 's3cret' } });
      assert.equal(r.manifests.length, 1);
    } finally {
      await s.close();
    }
  });
});

describe('repo server service: the Redis cache', () => {
  let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
  let reason: string | undefined;
  before(async () => {
    if (!(await which('redis-server'))) reason = 'redis-server is not installed (scripts/system-deps.sh installs it)';
    else redis = await startRedis();
  });
  after(async () => redis?.stop());

  test('a render is stored once and served to a fresh server from Redis; noCache renders again', async (t) => {
    if (reason) return t.skip(reason);
    const req = { source: { repoURL: git.url('apps'), path: 'guestbook' }, appName: 'cached' };
    const cacheA = new RedisCache({ address: `127.0.0.1:${redis!.port}`, keyPrefix: 'test|' });
    const a = await startService({ cache: cacheA });
    const first = await a.client.generateManifests(req);
    assert.equal(a.server.stats.renders, 1);
    assert.equal(cacheA.stats.stores, 1);
    const keys = await cacheA.client.keys('test|mfst|*');
    assert.equal(keys.length, 1);
    await a.close();
    await cacheA.close();

    const cacheB = new RedisCache({ address: `127.0.0.1:${redis!.port}`, keyPrefix: 'test|' });
    const b = await startService({ cache: cacheB });
    try {
      const second = await b.client.generateManifests(req);
      assert.deepEqual(second, first);
      assert.equal(b.server.stats.renders, 0, 'served from Redis, not rendered');
      assert.equal(b.service.stats.redisHits, 1);
      await b.client.generateManifests({ ...req, noCache: true });
      assert.equal(b.server.stats.renders, 1);
      // other options are another key
      await b.client.generateManifests({ ...req, appName: 'other' });
      assert.equal(b.server.stats.renders, 2);
    } finally {
      await b.close();
      await cacheB.close();
    }
  });

  test('without a reachable Redis, renders still work', async () => {
    const port = await freePort();
    const logs: string[] = [];
    const cache = new RedisCache({ address: `127.0.0.1:${port}`, log: (m) => logs.push(m) });
    const s = await startService({ cache });
    try {
      const r = await s.client.generateManifests({ source: { repoURL: git.url('apps'), path: 'guestbook' } });
      assert.ok(r.manifests.length >= 2);
      assert.ok(logs.some((l) => /rendering without the shared cache/.test(l)), logs.join('\n'));
    } finally {
      await s.close();
      cache.client.disconnect();
    }
  });
});

describe('repo server service: parallelism limit', () => {
  test('--parallelismlimit 1 still answers every concurrent request', async () => {
    const s = await startService({ parallelism: 1 });
    try {
      const rs = await Promise.all(['a', 'b', 'c', 'd'].map((n) => s.client.generateManifests({ source: { repoURL: git.url('apps'), path: 'guestbook' }, appName: n })));
      assert.equal(rs.length, 4);
      assert.ok(rs.every((r) => r.manifests.length >= 2));
    } finally {
      await s.close();
    }
  });
});

describe('repo server service: metrics', () => {
  test('git requests, pending requests and Redis requests, as upstream names them', async () => {
    const { enableMetrics } = await import('@flotilla/kube-runtime');
    const { registerRepoMetrics } = await import('./metrics.js');
    const registry = enableMetrics();
    const server = new RepoServer({ cacheDir: tempDir() });
    const port = await freePort();
    const cache = new RedisCache({ address: `127.0.0.1:${port}` }); // nothing listens: failed requests
    const m = registerRepoMetrics(registry, server, cache);
    const service = new RepoService({ server, cache, onPending: m.pending });
    const http = await service.listen(0, '127.0.0.1');
    try {
      await new RepoClient(`http://127.0.0.1:${http.port}`).generateManifests({ source: { repoURL: git.url('apps'), path: 'guestbook' } });
      const text = await registry.metrics();
      const repo = git.url('apps').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      assert.match(text, new RegExp(`argocd_git_request_total\\{repo="${repo}",request_type="ls-remote"\\} [1-9]`));
      assert.match(text, new RegExp(`argocd_git_request_total\\{repo="${repo}",request_type="fetch"\\} [1-9]`));
      assert.match(text, new RegExp(`argocd_git_request_duration_seconds_count\\{repo="${repo}",request_type="ls-remote"\\} [1-9]`));
      assert.match(text, new RegExp(`argocd_repo_pending_request_total\\{repo="${repo}"\\} 0`));
      assert.match(text, /argocd_redis_request_total\{initiator="argocd-repo-server",failed="true"\} [1-9]/);
    } finally {
      await http.close();
      server.close();
      cache.client.disconnect();
    }
  });
});

test('RepoClient retries a request whose connection was reset (a kept-alive socket closed, a restarting repo server) instead of failing it', async () => {
  const { createServer } = await import('node:http');
  let seen = 0;
  const srv = createServer((req, res) => {
    seen++;
    if (seen <= 5) {
      // the first five attempts (over ~6.5 s, as a repo server pod that is not ready yet behind its
      // Service): connection reset, no answer
      req.socket.destroy();
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ branches: ['main'], tags: [] }));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  try {
    const port = (srv.address() as { port: number }).port;
    const refs = await new RepoClient(`http://127.0.0.1:${port}`).listRefs('http://example.invalid/r.git');
    assert.deepEqual(refs, { branches: ['main'], tags: [] });
    assert.equal(seen, 6);
  } finally {
    srv.closeAllConnections();
    await new Promise<void>((r) => srv.close(() => r()));
  }
});
