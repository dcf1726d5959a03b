/**
 * SCM provider and pull request generators against a stand-in HTTP server that follows the
 * documented REST endpoints of GitHub, GitLab, Gitea and Bitbucket Server (no internet here),
 * with real HTTP and the tokens checked by the server.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { generate, type GenContext } from './generators.js';
import type { ApplicationSet, Generator } from './types.js';

let srv: Server;
let base = '';
const seen: string[] = [];
const SHA = 'a'.repeat(8) + 'b'.repeat(32);

function route(method: string, path: string, q: URLSearchParams, auth: string | undefined): [number, unknown] {
  seen.push(`${method} ${path}`);
  const page = Number(q.get('page') ?? '1');
  // GitHub (token as Bearer)
  if (path.startsWith('/gh/')) {
    if (auth !== 'Bearer gh-token') return [401, { message: 'Bad credentials' }];
    const p = path.slice(3);
    if (p === '/orgs/acme/repos') return [200, page > 1 ? [] : [{ name: 'web', clone_url: 'https://github.test/acme/web.git', ssh_url: 'git@github.test:acme/web.git', default_branch: 'main', topics: ['frontend'] }, { name: 'api', clone_url: 'https://github.test/acme/api.git', ssh_url: 'git@github.test:acme/api.git', default_branch: 'trunk', topics: [] }]];
    if (p === '/repos/acme/web/branches/main') return [200, { name: 'main', commit: { sha: SHA } }];
    if (p === '/repos/acme/api/branches/trunk') return [200, { name: 'trunk', commit: { sha: SHA } }];
    if (p === '/repos/acme/web/branches') return [200, page > 1 ? [] : [{ name: 'main', commit: { sha: SHA } }, { name: 'feature/x', commit: { sha: SHA } }]];
    if (p === '/repos/acme/api/branches') return [200, page > 1 ? [] : [{ name: 'trunk', commit: { sha: SHA } }]];
    if (p === '/repos/acme/web/contents/deploy' && q.get('ref')) return [200, []];
    if (p.startsWith('/repos/acme/') && p.includes('/contents/')) return [404, { message: 'Not Found' }];
    if (p === '/repos/acme/web/pulls') return [200, page > 1 ? [] : [{ number: 7, title: 'Add X', head: { ref: 'Feature/X_1', sha: SHA }, base: { ref: 'main' }, labels: [{ name: 'preview' }], user: { login: 'ann' } }, { number: 8, title: 'WIP', head: { ref: 'wip', sha: SHA }, base: { ref: 'main' }, labels: [], user: { login: 'bob' } }]];
  }
  // GitLab (PRIVATE-TOKEN)
  if (path.startsWith('/gl/api/v4/')) {
    const p = path.slice('/gl/api/v4'.length);
    if (p === '/groups/team/projects') return [200, page > 1 ? [] : [{ id: 11, path: 'svc', namespace: { full_path: 'team' }, http_url_to_repo: 'https://gitlab.test/team/svc.git', ssh_url_to_repo: 'git@gitlab.test:team/svc.git', default_branch: 'main', topics: ['go'] }]];
    if (p === '/projects/11/repository/branches/main') return [200, { name: 'main', commit: { id: SHA } }];
    if (p === '/projects/team%2Fsvc/merge_requests' || p === '/projects/team/svc/merge_requests') return [200, page > 1 ? [] : [{ iid: 3, title: 'MR', source_branch: 'fix', target_branch: 'main', sha: SHA, labels: ['x'], author: { username: 'cid' } }]];
  }
  // Gitea (token)
  if (path.startsWith('/gt/api/v1/')) {
    if (auth !== 'token gt-token') return [401, { message: 'unauthorized' }];
    const p = path.slice('/gt/api/v1'.length);
    if (p === '/orgs/org/repos') return [200, page > 1 ? [] : [{ name: 'app', clone_url: 'https://gitea.test/org/app.git', ssh_url: 'git@gitea.test:org/app.git', default_branch: 'main' }]];
    if (p === '/repos/org/app/branches/main') return [200, { name: 'main', commit: { id: SHA } }];
    if (p === '/repos/org/app/pulls') return [200, page > 1 ? [] : [{ number: 1, title: 't', head: { ref: 'b1', sha: SHA }, base: { ref: 'main' }, labels: [], user: { login: 'dee' } }]];
  }
  // Bitbucket Server (basic auth)
  if (path.startsWith('/bb/rest/api/1.0/')) {
    if (auth !== `Basic ${Buffer.from('bbuser:bb-pass').toString('base64')}`) return [401, { errors: [{ message: 'Authentication failed' }] }];
    const p = path.slice('/bb/rest/api/1.0'.length);
    if (p === '/projects/PRJ/repos') {
      const start = Number(q.get('start') ?? '0');
      return [200, start === 0 ? { values: [{ slug: 'one', links: { clone: [{ name: 'http', href: 'https://bb.test/scm/prj/one.git' }, { name: 'ssh', href: 'ssh://git@bb.test/prj/one.git' }] } }], isLastPage: false, nextPageStart: 1 } : { values: [{ slug: 'two', links: { clone: [{ name: 'http', href: 'https://bb.test/scm/prj/two.git' }] } }], isLastPage: true }];
    }
    if (/^\/projects\/PRJ\/repos\/(one|two)\/branches\/default$/.test(p)) return [200, { displayId: 'master', latestCommit: SHA, isDefault: true }];
    if (p === '/projects/PRJ/repos/one/pull-requests') return [200, { values: [{ id: 42, title: 'bb pr', fromRef: { displayId: 'topic', latestCommit: SHA }, toRef: { displayId: 'master' }, author: { user: { name: 'eve' } } }], isLastPage: true }];
  }
  return [404, { message: `no route ${path}` }];
}

before(async () => {
  srv = createServer((req, res) => {
    const u = new URL(req.url!, 'http://x');
    const auth = req.headers.authorization ?? (req.headers['private-token'] === 'gl-token' ? 'gl' : undefined);
    if (u.pathname.startsWith('/gl/') && req.headers['private-token'] !== 'gl-token') {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"401 Unauthorized"}');
      return;
    }
    const [status, body] = route(req.method!, u.pathname, u.searchParams, auth);
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(srv.address() as { port: number }).port}`;
});
after(() => srv.close());

const secrets: Record<string, string> = { '$scm:gh': 'gh-token', '$scm:gl': 'gl-token', '$scm:gt': 'gt-token', '$scm:bb': 'bb-pass' };
const ctx: GenContext = {
  clusters: () => [],
  gitDirectories: async () => [],
  gitFiles: async () => [],
  gitRead: async () => '',
  configMap: () => undefined,
  secretValue: (r) => secrets[r],
  resources: async () => [],
  async fetch(url, init) {
    const r = await fetch(url, init);
    return { status: r.status, text: await r.text() };
  },
};
const fast: ApplicationSet = { metadata: { name: 's', namespace: 'argocd' }, spec: {} };
const go: ApplicationSet = { metadata: { name: 's', namespace: 'argocd' }, spec: { goTemplate: true } };
const params = async (set: ApplicationSet, g: object) => (await generate(set, g as Generator, ctx, {})).map((x) => x.params);

test('scmProvider github: default branches, all branches, filters (repositoryMatch, pathsExist, labelMatch), ssh clone URLs', async () => {
  const gh = { organization: 'acme', api: `${base}/gh`, tokenRef: { secretName: 'scm', key: 'gh' } };
  const def = await params(fast, { scmProvider: { github: gh } });
  assert.deepEqual(def.map((p) => [p.repository, p.branch, p.url]), [['web', 'main', 'https://github.test/acme/web.git'], ['api', 'trunk', 'https://github.test/acme/api.git']]);
  assert.deepEqual(def[0], { organization: 'acme', repository: 'web', url: 'https://github.test/acme/web.git', branch: 'main', branchNormalized: 'main', sha: SHA, short_sha: SHA.slice(0, 8), short_sha_7: SHA.slice(0, 7), labels: 'frontend' });
  const all = await params(fast, { scmProvider: { github: { ...gh, allBranches: true }, cloneProtocol: 'ssh' } });
  assert.deepEqual(all.map((p) => [p.repository, p.branch, p.branchNormalized, p.url]), [['web', 'main', 'main', 'git@github.test:acme/web.git'], ['web', 'feature/x', 'feature-x', 'git@github.test:acme/web.git'], ['api', 'trunk', 'trunk', 'git@github.test:acme/api.git']]);
  assert.deepEqual((await params(fast, { scmProvider: { github: gh, filters: [{ pathsExist: ['deploy'] }] } })).map((p) => p.repository), ['web']);
  assert.deepEqual((await params(fast, { scmProvider: { github: gh, filters: [{ repositoryMatch: '^a' }] } })).map((p) => p.repository), ['api']);
  assert.deepEqual((await params(go, { scmProvider: { github: gh, filters: [{ labelMatch: 'front' }] } })).map((p) => p.labels), [['frontend']]);
  await assert.rejects(params(fast, { scmProvider: { github: { ...gh, tokenRef: undefined } } }), /scmProvider github: GET .*\/gh\/orgs\/acme\/repos.* answered 401: .*Bad credentials/);
  await assert.rejects(params(fast, { scmProvider: { github: { ...gh, tokenRef: { secretName: 'nope', key: 'k' } } } }), /Secret "nope" has no key "k"/);
  await assert.rejects(params(fast, { scmProvider: { github: gh, filters: [{ repositoryMatch: '(' }] } }), /bad regular expression/);
});

test('scmProvider gitlab, gitea, bitbucketServer (paged)', async () => {
  const gl = await params(fast, { scmProvider: { gitlab: { group: 'team', api: `${base}/gl`, tokenRef: { secretName: 'scm', key: 'gl' } } } });
  assert.deepEqual(gl.map((p) => [p.organization, p.repository, p.branch, p.url, p.labels]), [['team', 'svc', 'main', 'https://gitlab.test/team/svc.git', 'go']]);
  const gt = await params(fast, { scmProvider: { gitea: { owner: 'org', api: `${base}/gt`, tokenRef: { secretName: 'scm', key: 'gt' } } } });
  assert.deepEqual(gt.map((p) => [p.repository, p.branch, p.sha]), [['app', 'main', SHA]]);
  const bb = await params(fast, { scmProvider: { bitbucketServer: { project: 'PRJ', api: `${base}/bb`, basicAuth: { username: 'bbuser', passwordRef: { secretName: 'scm', key: 'bb' } } } } });
  assert.deepEqual(bb.map((p) => [p.repository, p.branch, p.url]), [['one', 'master', 'https://bb.test/scm/prj/one.git'], ['two', 'master', 'https://bb.test/scm/prj/two.git']]);
});

test('pullRequest: github (labels), gitlab, gitea, bitbucketServer; filters; parameters as upstream', async () => {
  const gh = await params(fast, { pullRequest: { github: { owner: 'acme', repo: 'web', api: `${base}/gh`, tokenRef: { secretName: 'scm', key: 'gh' }, labels: ['preview'] } } });
  assert.deepEqual(gh, [{ number: '7', title: 'Add X', branch: 'Feature/X_1', branch_slug: 'feature-x-1', target_branch: 'main', target_branch_slug: 'main', head_sha: SHA, head_short_sha: SHA.slice(0, 8), head_short_sha_7: SHA.slice(0, 7), author: 'ann', 'labels.0': 'preview' }]);
  const ghGo = await params(go, { pullRequest: { github: { owner: 'acme', repo: 'web', api: `${base}/gh`, tokenRef: { secretName: 'scm', key: 'gh' } }, filters: [{ branchMatch: '^wip$' }] } });
  assert.deepEqual(ghGo.map((p) => [p.number, p.labels]), [[8, []]]);
  const gl = await params(fast, { pullRequest: { gitlab: { project: 'team/svc', api: `${base}/gl`, tokenRef: { secretName: 'scm', key: 'gl' } } } });
  assert.deepEqual(gl.map((p) => [p.number, p.branch, p.target_branch, p.author]), [['3', 'fix', 'main', 'cid']]);
  const gt = await params(fast, { pullRequest: { gitea: { owner: 'org', repo: 'app', api: `${base}/gt`, tokenRef: { secretName: 'scm', key: 'gt' } } } });
  assert.deepEqual(gt.map((p) => [p.number, p.branch]), [['1', 'b1']]);
  const bb = await params(fast, { pullRequest: { bitbucketServer: { project: 'PRJ', repo: 'one', api: `${base}/bb`, basicAuth: { username: 'bbuser', passwordRef: { secretName: 'scm', key: 'bb' } } }, filters: [{ targetBranchMatch: 'master' }] } });
  assert.deepEqual(bb.map((p) => [p.number, p.branch, p.target_branch, p.author]), [['42', 'topic', 'master', 'eve']]);
  await assert.rejects(params(fast, { pullRequest: { bitbucket: {} } }), /pullRequest bitbucket is not part of this build/);
});

test('--enable-scm-providers=false and --allowed-scm-providers refuse before any request', async () => {
  const { scmPolicy } = await import('./context.js');
  const before = seen.length;
  const gh = { organization: 'acme', api: `${base}/gh`, tokenRef: { secretName: 'scm', key: 'gh' } };
  const off = { ...ctx, scmRefused: scmPolicy(false, []) };
  await assert.rejects(generate(fast, { scmProvider: { github: gh } } as Generator, off, {}), /SCM providers are disabled/);
  const only = { ...ctx, scmRefused: scmPolicy(true, ['https://github.example/api/v3']) };
  await assert.rejects(generate(fast, { pullRequest: { github: { owner: 'acme', repo: 'web', api: `${base}/gh` } } } as Generator, only, {}), /is not an allowed SCM provider/);
  assert.equal(seen.length, before, 'no request was made');
  const ok = { ...ctx, scmRefused: scmPolicy(true, [`${base}/gt/`]) };
  assert.equal((await generate(fast, { scmProvider: { gitea: { owner: 'org', api: `${base}/gt`, tokenRef: { secretName: 'scm', key: 'gt' } } } } as Generator, ok, {})).length, 1);
});
