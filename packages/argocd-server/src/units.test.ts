/** Pure parts: flags/env, accounts, durations, lock-out, project permissions, sync windows. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, UsageError } from './options.js';
import { parseAccounts, parseDuration, parseExpiresIn } from './accounts.js';
import { LoginLimiter, limiterOptionsFromEnv } from './limiter.js';
import { destinationPermitted, normalizeRepoURL, sourcePermitted, validateAppInProject } from './project.js';
import { syncWindowsState } from './syncwindows.js';
import { userOf } from './session.js';
import type { AppProject, Application } from '@flotilla/argocd-engine/types';

test('flags, ARGOCD_SERVER_* env (from argocd-cmd-params-cm), defaults', () => {
  assert.deepEqual(parseArgs(['--insecure', '--port', '9090', '--basehref', '/argo', '--loglevel=debug']).opts, { insecure: true, port: 9090, basehref: '/argo', loglevel: 'debug' });
  const env = { ARGOCD_SERVER_INSECURE: 'true', ARGOCD_SERVER_ROOTPATH: '/argo-cd', ARGOCD_SERVER_REPO_SERVER: 'repo:8081' };
  assert.deepEqual(parseArgs([], env).opts, { insecure: true, rootpath: '/argo-cd', basehref: '/argo-cd/', repoServer: 'repo:8081' });
  // the flag wins over the environment
  assert.equal(parseArgs(['--insecure=false'], env).opts.insecure, false);
  // upstream's container command line: the program name, then flags it may not use
  const up = parseArgs(['argocd-server', '--staticassets', '/shared/app', '--redis', 'argocd-redis:6379', '--dex-server', 'http://argocd-dex-server:5556']);
  assert.equal(up.opts.staticassets, '/shared/app');
  assert.deepEqual(up.ignored, []);
  assert.equal(up.opts.dexServer, 'http://argocd-dex-server:5556');
  assert.equal(parseArgs([], { ARGOCD_SERVER_DEX_SERVER: 'dex:5556' }).opts.dexServer, 'dex:5556');
  assert.throws(() => parseArgs(['--port', 'x']), UsageError);
  // Kubernetes service links (Service argocd-server) must not be read as the port
  assert.deepEqual(parseArgs([], { ARGOCD_SERVER_PORT: 'tcp://10.96.0.11:80', ARGOCD_SERVER_METRICS_PORT: 'tcp://10.96.0.12:8083' }).opts, {});
  assert.throws(() => parseArgs(['--loglevel', 'loud']), /debug\|info\|warn\|error/);
  assert.throws(() => parseArgs(['--insecure=maybe']), /invalid boolean/);
});

test('accounts from argocd-cm and argocd-secret', () => {
  const errs: string[] = [];
  const a = parseAccounts(
    { 'accounts.alice': 'apiKey, login', 'accounts.ci': 'apiKey', 'accounts.ci.enabled': 'false', 'accounts.bad': 'login, fly', 'admin.enabled': 'false' },
    { 'accounts.alice.password': '$2a$10$x', 'accounts.alice.tokens': '[{"id":"t1","iat":1}]', 'admin.password': '$2a$10$y', 'accounts.ci.tokens': 'nope' },
    errs,
  );
  assert.deepEqual(a.get('alice'), { name: 'alice', enabled: true, capabilities: ['apiKey', 'login'], passwordHash: '$2a$10$x', passwordMtime: undefined, tokens: [{ id: 't1', iat: 1 }] });
  assert.equal(a.has('bad'), false);
  assert.equal(a.get('ci')!.enabled, false);
  assert.equal(a.get('admin')!.enabled, false);
  assert.deepEqual(a.get('admin')!.capabilities, ['login']);
  assert.equal(errs.length, 2);
  assert.ok(errs.some((e) => /argocd-cm accounts.bad: unknown capability "fly"/.test(e)), errs.join('\n'));
  assert.ok(errs.some((e) => /argocd-secret accounts.ci.tokens: not JSON/.test(e)), errs.join('\n'));
});

test('durations and expiresIn', () => {
  assert.equal(parseDuration(undefined, 86400), 86400);
  assert.equal(parseDuration('1h30m', 0), 5400);
  assert.equal(parseDuration('bogus', 7), 7);
  assert.equal(parseExpiresIn('0'), 0);
  assert.equal(parseExpiresIn('3600'), 3600);
  assert.equal(parseExpiresIn('2h'), 7200);
  assert.throws(() => parseExpiresIn('soon'), /invalid expiresIn 'soon'/);
  assert.equal(userOf('admin:login'), 'admin');
  assert.equal(userOf('ci:apiKey'), 'ci');
  assert.equal(userOf('proj:p:r'), 'proj:p:r');
});

test('lock-out after ARGOCD_SESSION_FAILURE_MAX_FAIL_COUNT failures within the window; success resets', () => {
  let now = 0;
  const l = new LoginLimiter(limiterOptionsFromEnv({ ARGOCD_SESSION_FAILURE_MAX_FAIL_COUNT: '3', ARGOCD_SESSION_FAILURE_WINDOW_SECONDS: '60' }), () => now);
  for (let i = 0; i < 3; i++) {
    assert.equal(l.lockedFor('u'), 0);
    l.fail('u');
  }
  assert.equal(l.lockedFor('u'), 60);
  now += 30_000;
  assert.equal(l.lockedFor('u'), 30);
  assert.equal(l.lockedFor('other'), 0);
  now += 31_000;
  assert.equal(l.lockedFor('u'), 0);
  l.fail('u');
  l.success('u');
  assert.equal(l.failCount('u'), 0);
  const small = new LoginLimiter({ maxFailCount: 5, windowSeconds: 300, maxCacheSize: 2, maxConcurrent: 1 });
  small.fail('a');
  small.fail('b');
  small.fail('c');
  assert.equal(small.failCount('a'), 0);
  assert.equal(small.enter(), true);
  assert.equal(small.enter(), false);
  small.leave();
  assert.equal(small.enter(), true);
});

const proj = (spec: AppProject['spec']) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', metadata: { name: 'p' }, spec }) as AppProject;

test('project permissions: source repos and destinations by glob, ! negation', () => {
  const p = proj({ sourceRepos: ['https://github.com/org/*', '!https://github.com/org/secret'], destinations: [{ server: 'https://kubernetes.default.svc', namespace: 'team-*' }, { server: '*', namespace: '!kube-system' }] });
  assert.equal(sourcePermitted(p, 'https://github.com/org/app.git'), true);
  assert.equal(sourcePermitted(p, 'https://github.com/org/secret.git'), false);
  assert.equal(sourcePermitted(p, 'https://gitlab.com/org/app'), false);
  assert.equal(destinationPermitted(p, { server: 'https://kubernetes.default.svc', namespace: 'team-a' }), true);
  assert.equal(destinationPermitted(p, { server: 'https://kubernetes.default.svc', namespace: 'default' }), false);
  assert.equal(destinationPermitted(p, { server: 'https://other', namespace: 'kube-system' }), false);
  assert.equal(normalizeRepoURL('git@github.com:Org/App.git'), 'ssh://git@github.com/org/app');
  const app = { metadata: { name: 'a' }, spec: { project: 'p', source: { repoURL: 'https://github.com/org/app', path: '.' }, destination: { name: 'in-cluster', namespace: 'team-b' } } } as Application;
  assert.equal(validateAppInProject(app, p, 'p'), undefined);
});

test('sync windows: deny blocks unless manualSync, allow outside its window blocks', () => {
  const app = { metadata: { name: 'web' }, spec: { project: 'p', destination: { server: 'https://x', namespace: 'prod' } } } as Application;
  const at = Date.parse('2026-01-05T10:30:00Z');
  const deny = proj({ syncWindows: [{ kind: 'deny', schedule: '0 10 * * *', duration: '1h', applications: ['web'] }] });
  assert.equal(syncWindowsState(deny, app, at).canSync, false);
  assert.equal(syncWindowsState(deny, app, at).activeWindows.length, 1);
  assert.equal(syncWindowsState(deny, app, at + 3600_000).canSync, true);
  const manual = proj({ syncWindows: [{ kind: 'deny', schedule: '0 10 * * *', duration: '1h', namespaces: ['prod'], manualSync: true }] });
  assert.equal(syncWindowsState(manual, app, at, true).canSync, true);
  assert.equal(syncWindowsState(manual, app, at, false).canSync, false);
  const allow = proj({ syncWindows: [{ kind: 'allow', schedule: '0 22 * * *', duration: '2h', clusters: ['*'] }] });
  assert.equal(syncWindowsState(allow, app, at).canSync, false);
  assert.equal(syncWindowsState(allow, app, Date.parse('2026-01-05T23:00:00Z')).canSync, true);
  const other = proj({ syncWindows: [{ kind: 'deny', schedule: '* * * * *', duration: '1h', applications: ['api'] }] });
  assert.deepEqual(syncWindowsState(other, app, at), { assignedWindows: [], activeWindows: [], canSync: true });
});

test('resource actions are written as merge patches of what changed (the server may patch, not update)', async () => {
  const { mergePatchOf } = await import('./api/app-resources.js');
  const live = { metadata: { name: 'd', annotations: { a: '1' } }, spec: { replicas: 1, paused: true, template: { metadata: { annotations: {} } } } };
  const changed = { metadata: { name: 'd', annotations: { a: '1' } }, spec: { replicas: 1, template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': 'now' } } } } };
  assert.deepEqual(mergePatchOf(live, changed), { spec: { paused: null, template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': 'now' } } } } });
  assert.equal(mergePatchOf(live, structuredClone(live)), undefined);
  assert.deepEqual(mergePatchOf({ a: [1, 2] }, { a: [1] }), { a: [1] });
});
