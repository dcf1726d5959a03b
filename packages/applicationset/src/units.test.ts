import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clustersFromSecrets, repoCredentials, resolveSecretRef } from './context.js';
import { checkSourceNamespaces, mergeConditions, requeueOf } from './controller.js';
import { parseAppSetArgs, parseDuration, splitAddr, UsageError } from './flags.js';
import { GitReader } from './git.js';
import { eventMatches, normalizeRepoURL, parseWebhook } from './webhook.js';
import { createHmac } from 'node:crypto';
import { maxUpdateOf, rollout, stepOf, withoutAutoSync } from './rolling.js';
import type { Application, ApplicationSet } from './types.js';
import { startGitServer } from '@flotilla/repo-server/testkit';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const secret = (name: string, type: string, data: Record<string, string>, labels: Record<string, string> = {}) => ({ metadata: { name, namespace: 'argocd', labels: { 'argocd.argoproj.io/secret-type': type, ...labels } }, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])) });

test('flags: upstream names, env, defaults, errors', () => {
  const d = parseAppSetArgs([], {});
  assert.equal(d.policy, 'sync');
  assert.equal(d.enablePolicyOverride, true);
  assert.equal(d.requeueAfterMs, 180_000);
  assert.equal(d.concurrentReconciliations, 10);
  const c = parseAppSetArgs(['--policy=create-only', '--enable-policy-override=false', '--debug', '--applicationset-namespaces', 'team-*,x', '--repo-server-timeout-seconds', '5'], { ARGOCD_APPLICATIONSET_CONTROLLER_REQUEUE_AFTER: '30s', NAMESPACE: 'ns1' });
  assert.deepEqual([c.policy, c.enablePolicyOverride, c.logLevel, c.applicationSetNamespaces, c.requeueAfterMs, c.namespace, c.ignored], ['create-only', false, 'debug', ['team-*', 'x'], 30_000, 'ns1', ['repo-server-timeout-seconds']]);
  assert.throws(() => parseAppSetArgs(['--policy', 'nope']), /--policy: unknown policy "nope"/);
  assert.throws(() => parseAppSetArgs(['--bogus']), UsageError);
  assert.throws(() => parseAppSetArgs([], { ARGOCD_APPLICATIONSET_CONTROLLER_CONCURRENT_RECONCILIATIONS: 'x' }), /\$ARGOCD_APPLICATIONSET_CONTROLLER_CONCURRENT_RECONCILIATIONS: "x" is not an integer/);
  assert.equal(parseDuration('1h30m', 'x'), 5_400_000);
  assert.throws(() => parseDuration('3 minutes', 'x'), /not a duration/);
  assert.deepEqual(splitAddr(':8080'), { host: '0.0.0.0', port: 8080 });
});

test('cluster Secrets → clusters; in-cluster added unless a Secret names it', () => {
  const cs = clustersFromSecrets([secret('c1', 'cluster', { name: 'prod', server: 'https://prod:6443/', project: 'p' }, { env: 'prod' }), secret('r', 'repository', { url: 'x' }) as never]);
  assert.deepEqual(cs.map((c) => [c.name, c.server]), [['in-cluster', 'https://kubernetes.default.svc'], ['prod', 'https://prod:6443']]);
  assert.equal(cs[1]!.labels.env, 'prod');
  assert.equal(cs[1]!.project, 'p');
  assert.equal(clustersFromSecrets([secret('c', 'cluster', { name: 'local', server: 'https://kubernetes.default.svc' })]).length, 1);
});

test('repository credentials: exact repository Secret first, else the longest repo-creds prefix; secret references', () => {
  const ss = [secret('a', 'repo-creds', { url: 'https://git.example/', username: 'u1', password: 'p1' }), secret('b', 'repo-creds', { url: 'https://git.example/org/', username: 'u2', password: 'p2' }), secret('c', 'repository', { url: 'https://git.example/org/exact.git', bearerToken: 't' })];
  assert.deepEqual(repoCredentials(ss, 'https://git.example/org/exact'), { username: 'x-token', password: 't' });
  assert.deepEqual(repoCredentials(ss, 'https://git.example/org/other.git'), { username: 'u2', password: 'p2' });
  assert.deepEqual(repoCredentials(ss, 'https://git.example/x.git'), { username: 'u1', password: 'p1' });
  assert.equal(repoCredentials(ss, 'https://elsewhere/x.git'), undefined);
  const s2 = [{ metadata: { name: 'argocd-secret', namespace: 'argocd' }, data: { 'plugin.token': b64('tok') } }, { metadata: { name: 'other', namespace: 'argocd' }, stringData: { k: 'v' } }];
  assert.equal(resolveSecretRef(s2, '$plugin.token', 'argocd'), 'tok');
  assert.equal(resolveSecretRef(s2, '$other:k', 'argocd'), 'v');
  assert.equal(resolveSecretRef(s2, '$missing:k', 'argocd'), undefined);
  assert.equal(resolveSecretRef(s2, 'literal', 'argocd'), 'literal');
});

const app = (name: string, labels: Record<string, string>, status?: Application['status'], operation?: object): Application => ({ metadata: { name, labels }, spec: {}, status, ...(operation ? { operation } : {}) } as Application);
const healthy = { sync: { status: 'Synced', revision: 'abc' }, health: { status: 'Healthy' } };
const rollSet = (maxUpdate?: number | string): ApplicationSet => ({ metadata: { name: 's' }, spec: { strategy: { type: 'RollingSync', rollingSync: { steps: [{ matchExpressions: [{ key: 'env', operator: 'In', values: ['dev'] }] }, { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }], maxUpdate }] } } } } as ApplicationSet);

test('RollingSync: steps, maxUpdate, progression', () => {
  const steps = rollSet().spec!.strategy!.rollingSync!.steps!;
  assert.equal(stepOf(steps, { env: 'prod' }), 1);
  assert.equal(stepOf(steps, { env: 'qa' }), -1);
  assert.deepEqual([maxUpdateOf({}, 4), maxUpdateOf({ maxUpdate: 1 }, 4), maxUpdateOf({ maxUpdate: '50%' }, 5), maxUpdateOf({ maxUpdate: '10%' }, 3), maxUpdateOf({ maxUpdate: '0%' }, 3)], [4, 1, 2, 1, 0]);
  assert.throws(() => maxUpdateOf({ maxUpdate: 'lots' }, 3), /not a number or a percentage/);
  // step 1 out of sync: only it is synced
  let r = rollout(rollSet(1), [app('d', { env: 'dev' }), app('p1', { env: 'prod' }), app('p2', { env: 'prod' }), app('q', { env: 'qa' })], [], 't0');
  assert.deepEqual(r.sync, ['d']);
  assert.deepEqual(r.status.map((e) => [e.application, e.status, e.step]), [['d', 'Pending', '1'], ['p1', 'Waiting', '2'], ['p2', 'Waiting', '2'], ['q', 'Waiting', '0']]);
  // dev healthy: prod proceeds one at a time
  r = rollout(rollSet(1), [app('d', { env: 'dev' }, healthy), app('p1', { env: 'prod' }), app('p2', { env: 'prod' })], r.status, 't1');
  assert.deepEqual(r.sync, ['p1']);
  assert.deepEqual(r.status.find((e) => e.application === 'd')?.targetRevisions, ['abc']);
  // p1 running: p2 still waits
  r = rollout(rollSet(1), [app('d', { env: 'dev' }, healthy), app('p1', { env: 'prod' }, undefined, { sync: {} }), app('p2', { env: 'prod' })], r.status, 't2');
  assert.deepEqual(r.sync, []);
  assert.equal(r.status.find((e) => e.application === 'p1')?.status, 'Progressing');
  r = rollout(rollSet(1), [app('d', { env: 'dev' }, healthy), app('p1', { env: 'prod' }, healthy), app('p2', { env: 'prod' })], r.status, 't3');
  assert.deepEqual(r.sync, ['p2']);
  // an app with an operation under way is never synced again, even without a remembered status
  r = rollout(rollSet(1), [app('d', { env: 'dev' }, undefined, { sync: {} })], [], 't4');
  assert.deepEqual([r.sync, r.status[0]!.status], [[], 'Progressing']);
  assert.deepEqual(withoutAutoSync(app('a', {}, undefined)).spec, {});
  assert.deepEqual(withoutAutoSync({ metadata: { name: 'a' }, spec: { syncPolicy: { automated: {}, syncOptions: ['x'] } } } as Application).spec, { syncPolicy: { syncOptions: ['x'] } });
});

test('conditions keep lastTransitionTime while their status holds', () => {
  const prev = [{ type: 'ErrorOccurred' as const, status: 'False' as const, reason: 'r', message: 'm', lastTransitionTime: 'old' }];
  assert.equal(mergeConditions(prev, [{ type: 'ErrorOccurred', status: 'False', reason: 'r', message: 'x' }], 'now')[0]!.lastTransitionTime, 'old');
  assert.equal(mergeConditions(prev, [{ type: 'ErrorOccurred', status: 'True', reason: 'r', message: 'x' }], 'now')[0]!.lastTransitionTime, 'now');
});

test('git reader: directories, files and contents at a revision from a real git server; unknown revision named', async () => {
  const git = await startGitServer({ repos: { r: null } });
  try {
    git.commit('r', { 'a/x.yaml': 'v: 1\n', 'a/b/y.json': '{}', 'c/z.txt': 'z' });
    git.branch('r', 'other');
    const sha1 = git.head('r');
    const reader = new GitReader({ ttlMs: 0 });
    assert.deepEqual((await reader.directories(git.url('r'), 'HEAD')).sort(), ['a', 'a/b', 'c']);
    assert.deepEqual((await reader.files(git.url('r'), 'main')).sort(), ['a/b/y.json', 'a/x.yaml', 'c/z.txt']);
    assert.equal(await reader.read(git.url('r'), 'HEAD', 'a/x.yaml'), 'v: 1\n');
    git.commit('r', { 'd/w.yaml': 'w: 1\n' });
    assert.ok((await reader.directories(git.url('r'), 'HEAD')).includes('d'));
    assert.ok(!(await reader.directories(git.url('r'), 'other')).includes('d'));
    assert.ok(!(await reader.directories(git.url('r'), sha1)).includes('d'));
    await assert.rejects(reader.directories(git.url('r'), 'no-such-branch'), /git fetch .*no-such-branch|couldn't find remote ref/);
    await assert.rejects(reader.directories(git.url('missing'), 'HEAD'), /git fetch http:\/\/127\.0\.0\.1:\d+\/missing\.git/);
    reader.close();
  } finally {
    await git.stop();
  }
});

test('apps in any namespace: a set outside Argo CD\'s namespace needs its project to list the namespace', () => {
  const proj = (n: string, sourceNamespaces?: string[]) => ({ metadata: { name: n }, spec: { sourceNamespaces } });
  const projects: Record<string, object> = { default: proj('default'), team: proj('team', ['team-*']) };
  const get = (n: string) => projects[n] as never;
  const a = (project?: string) => ({ metadata: { name: 'x' }, spec: project ? { project } : {} }) as Application;
  assert.doesNotThrow(() => checkSourceNamespaces('argocd', 'argocd', [a()], get));
  assert.doesNotThrow(() => checkSourceNamespaces('team-a', 'argocd', [a('team')], get));
  assert.throws(() => checkSourceNamespaces('team-a', 'argocd', [a()], get), /namespace "team-a" is not permitted by AppProject "default"/);
  assert.throws(() => checkSourceNamespaces('team-a', 'argocd', [a('nope')], get), /AppProject "nope" not found/);
});

test('webhook: GitHub, GitLab, Gitea, Bitbucket Server events; signatures; which sets they concern', () => {
  const body = (o: object) => Buffer.from(JSON.stringify(o));
  const gh = body({ ref: 'refs/heads/main', repository: { clone_url: 'https://github.com/acme/apps.git', ssh_url: 'git@github.com:acme/apps.git', html_url: 'https://github.com/acme/apps' } });
  assert.deepEqual(parseWebhook({ 'x-github-event': 'push' }, gh, {}), { kind: 'push', repoURLs: ['https://github.com/acme/apps.git', 'git@github.com:acme/apps.git', 'https://github.com/acme/apps'], branch: 'main' });
  const sig = 'sha256=' + createHmac('sha256', 's').update(gh).digest('hex');
  assert.equal(parseWebhook({ 'x-github-event': 'push', 'x-hub-signature-256': sig }, gh, { 'webhook.github.secret': 's' })?.kind, 'push');
  assert.throws(() => parseWebhook({ 'x-github-event': 'push', 'x-hub-signature-256': 'sha256=00' }, gh, { 'webhook.github.secret': 's' }), /github webhook signature mismatch/);
  assert.throws(() => parseWebhook({ 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'no' }, gh, { 'webhook.gitlab.secret': 's' }), /gitlab webhook token mismatch/);
  assert.equal(parseWebhook({ 'x-github-event': 'ping' }, gh, {}), undefined);
  assert.deepEqual(parseWebhook({ 'x-gitlab-event': 'Merge Request Hook' }, body({ project: { git_http_url: 'https://gitlab.com/team/svc.git' } }), {}), { kind: 'pull_request', repoURLs: ['https://gitlab.com/team/svc.git'] });
  assert.equal(parseWebhook({ 'x-gitea-event': 'push' }, body({ ref: 'refs/heads/dev', repository: { clone_url: 'https://gitea.test/org/app.git' } }), {})?.branch, 'dev');
  assert.deepEqual(parseWebhook({ 'x-event-key': 'repo:refs_changed' }, body({ repository: { links: { clone: [{ href: 'https://bb.test/scm/prj/one.git' }] } }, changes: [{ ref: { id: 'refs/heads/master' } }] }), {}), { kind: 'push', repoURLs: ['https://bb.test/scm/prj/one.git'], branch: 'master' });
  assert.throws(() => parseWebhook({ 'x-github-event': 'push' }, Buffer.from('nope'), {}), /not JSON/);
  assert.equal(normalizeRepoURL('git@GitHub.com:acme/apps.git'), 'github.com/acme/apps');
  assert.equal(normalizeRepoURL('https://user@github.com:443/acme/apps/'), 'github.com/acme/apps');
  const ev = parseWebhook({ 'x-github-event': 'push' }, gh, {})!;
  assert.equal(eventMatches(ev, [{ git: { repoURL: 'https://github.com/acme/apps', revision: 'HEAD', directories: [{ path: '*' }] } }]), true);
  assert.equal(eventMatches(ev, [{ git: { repoURL: 'git@github.com:acme/apps.git', revision: 'main', files: [{ path: 'x' }] } }]), true);
  assert.equal(eventMatches(ev, [{ git: { repoURL: 'https://github.com/acme/apps', revision: 'release', directories: [{ path: '*' }] } }]), false);
  assert.equal(eventMatches(ev, [{ git: { repoURL: 'https://github.com/acme/other', directories: [{ path: '*' }] } }]), false);
  assert.equal(eventMatches(ev, [{ matrix: { generators: [{ list: { elements: [] } }, { git: { repoURL: 'https://github.com/acme/apps.git', directories: [{ path: '*' }] } }] } }]), true);
  const pr = { ...ev, kind: 'pull_request' as const };
  assert.equal(eventMatches(pr, [{ pullRequest: { github: { owner: 'acme', repo: 'apps' } } }]), true);
  assert.equal(eventMatches(pr, [{ pullRequest: { github: { owner: 'acme', repo: 'web' } } }]), false);
});

test('regeneration without events: git every --requeue-after, pull requests every requeueAfterSeconds, lists never', () => {
  assert.equal(requeueOf([{ list: { elements: [] } }], 180_000), undefined);
  assert.equal(requeueOf([{ git: { repoURL: 'r', directories: [{ path: '*' }] } }], 180_000), 180_000);
  assert.equal(requeueOf([{ pullRequest: { github: {} } }], 180_000), 1_800_000);
  assert.equal(requeueOf([{ pullRequest: { github: {}, requeueAfterSeconds: 30 } }, { git: { repoURL: 'r' } }], 180_000), 30_000);
  assert.equal(requeueOf([{ matrix: { generators: [{ list: {} }, { plugin: { configMapRef: { name: 'p' }, requeueAfterSeconds: 60 } as never }] } }], 180_000), 60_000);
});
