/** Casbin with Argo CD's model: policy tables per verdict. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rbac, rbacConfig, projectPolicies, parsePolicy, globMatch, regexMatch } from './rbac.js';
import type { AppProject } from '@flotilla/argocd-engine/types';

async function build(cm: Record<string, string>, projects: AppProject[] = []) {
  const cfg = rbacConfig(cm);
  const pp = projectPolicies(projects);
  return { rbac: await Rbac.build(cfg, [...cfg.lines, ...pp.lines]), errors: [...cfg.errors, ...pp.errors] };
}

type Row = [sub: string, groups: string[], res: string, act: string, obj: string, want: boolean];

async function table(cm: Record<string, string>, rows: Row[], projects: AppProject[] = []) {
  const { rbac } = await build(cm, projects);
  for (const [sub, groups, res, act, obj, want] of rows) {
    assert.equal(rbac.enforce(sub, groups, res, act, obj), want, `${sub} [${groups}] ${res} ${act} ${obj} → ${want}`);
    // the fast evaluator answers as casbin's own does, subject by subject
    for (const s of [sub, ...groups].filter(Boolean)) assert.equal(rbac.enforceSubject(s, res, act, obj), rbac.enforceCasbin(s, res, act, obj), `casbin agrees: ${s} ${res} ${act} ${obj}`);
  }
}

test('built-in roles: admin does everything documented, readonly only gets', async () => {
  await table({}, [
    ['admin', [], 'applications', 'get', 'default/guestbook', true],
    ['admin', [], 'applications', 'sync', 'default/guestbook', true],
    ['admin', [], 'applications', 'action/apps/Deployment/restart', 'default/guestbook', true],
    ['admin', [], 'applications', 'delete/Pod/default/x', 'default/guestbook', true],
    ['admin', [], 'clusters', 'create', 'https://x', true],
    ['admin', [], 'accounts', 'update', 'alice', true],
    ['admin', [], 'exec', 'create', 'default/guestbook', true],
    ['role:readonly', [], 'applications', 'get', 'p/a', true],
    ['role:readonly', [], 'applications', 'sync', 'p/a', false],
    ['role:readonly', [], 'logs', 'get', 'p/a', true],
    ['role:readonly', [], 'repositories', 'create', 'x', false],
    ['alice', [], 'applications', 'get', 'default/guestbook', false],
    ['', [], 'applications', 'get', 'default/guestbook', false],
  ]);
});

test('policy.default, users, groups through scopes, deny beats allow for the same subject', async () => {
  const cm = {
    'policy.default': 'role:readonly',
    'policy.csv': [
      'p, role:deployer, applications, sync, team-a/*, allow',
      'p, role:deployer, applications, sync, team-a/secret-*, deny',
      'g, alice, role:deployer',
      'g, devs, role:deployer',
      'p, bob, applications, *, */*, allow',
      'p, bob, applications, delete, prod/*, deny',
    ].join('\n'),
  };
  await table(cm, [
    ['alice', [], 'applications', 'get', 'x/y', true],
    ['alice', [], 'applications', 'sync', 'team-a/web', true],
    ['alice', [], 'applications', 'sync', 'team-a/secret-store', false],
    ['alice', [], 'applications', 'sync', 'team-b/web', false],
    ['carol', ['devs'], 'applications', 'sync', 'team-a/web', true],
    ['carol', ['ops'], 'applications', 'sync', 'team-a/web', false],
    ['bob', [], 'applications', 'delete', 'dev/x', true],
    ['bob', [], 'applications', 'delete', 'prod/x', false],
    ['bob', [], 'clusters', 'delete', 'https://x', false],
  ]);
});

test('policy.<name>.csv keys are joined with policy.csv', async () => {
  await table({ 'policy.csv': 'g, alice, role:admin', 'policy.overlay.csv': 'p, bob, projects, get, *, allow' }, [
    ['alice', [], 'projects', 'delete', 'x', true],
    ['bob', [], 'projects', 'get', 'x', true],
    ['bob', [], 'projects', 'update', 'x', false],
  ]);
});

test('matchMode glob vs regex', async () => {
  const glob = { 'policy.csv': 'p, u, applications, get, "team-*/{a,b}", allow' };
  await table(glob, [
    ['u', [], 'applications', 'get', 'team-1/a', true],
    ['u', [], 'applications', 'get', 'team-1/c', false],
    ['u', [], 'applications', 'get', 'teamx/a', false],
  ]);
  const re = { 'policy.matchMode': 'regex', 'policy.csv': 'p, u, applications, get, ^team-[0-9]+/.*$, allow\np, u, applications, (get|sync), ^prod/web$, allow' };
  await table(re, [
    ['u', [], 'applications', 'get', 'team-12/web', true],
    ['u', [], 'applications', 'get', 'team-x/web', false],
    ['u', [], 'applications', 'sync', 'prod/web', true],
    ['u', [], 'applications', 'delete', 'prod/web', false],
  ]);
  assert.equal(globMatch('default/guestbook', '*'), true);
  assert.equal(globMatch('a.b', 'a?b'), true);
  assert.equal(regexMatch('x', '('), false);
});

test('project roles: proj:<project>:<role> subjects, groups, and objects outside the project rejected', async () => {
  const proj = { apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', metadata: { name: 'p1' }, spec: { roles: [
    { name: 'ci', policies: ['p, proj:p1:ci, applications, sync, p1/*, allow', 'p, proj:p1:ci, applications, get, p1/*, allow'], groups: ['ci-bots'] },
    { name: 'bad', policies: ['p, proj:p1:bad, applications, get, other/*, allow'] },
  ] } } as AppProject;
  await table({}, [
    ['proj:p1:ci', [], 'applications', 'sync', 'p1/web', true],
    ['proj:p1:ci', [], 'applications', 'sync', 'p2/web', false],
    ['proj:p1:ci', [], 'applications', 'delete', 'p1/web', false],
    ['dave', ['ci-bots'], 'applications', 'get', 'p1/x', true],
    ['proj:p1:bad', [], 'applications', 'get', 'other/x', false],
  ], [proj]);
  const errs = projectPolicies([proj]).errors;
  assert.equal(errs.length, 1);
  assert.match(errs[0], /project p1 role bad policy 1: object must be of form 'p1\/\*' or 'p1\/<APPNAME>', got 'other\/\*'/);
});

test('bad policy lines are named with their key and line; good lines still apply', async () => {
  const r = parsePolicy('p, a, applications, get, */*, allow\np, b, applications, get\nx, y, z\np, c, applications, get, */*, maybe', 'policy.csv');
  assert.equal(r.lines.length, 1);
  assert.deepEqual(r.errors.map((e) => e.split(':').slice(0, 2).join(':')), ['policy.csv:2', 'policy.csv:3', 'policy.csv:4']);
  assert.match(r.errors[0], /needs 5 fields/);
  assert.match(r.errors[1], /unknown policy type 'x'/);
  assert.match(r.errors[2], /effect must be 'allow' or 'deny', got 'maybe'/);
  const { errors } = await build({ 'policy.matchMode': 'fuzzy' });
  assert.match(errors[0], /policy.matchMode: must be 'glob' or 'regex', got 'fuzzy'/);
});

test('quoted CSV fields and comments', async () => {
  await table({ 'policy.csv': '# comment\np, "alice", applications, get, "default/*", allow\n' }, [['alice', [], 'applications', 'get', 'default/x', true]]);
});

test('scopes parsed from argocd-rbac-cm', () => {
  assert.deepEqual(rbacConfig({ scopes: '[groups, email]' }).scopes, ['groups', 'email']);
  assert.deepEqual(rbacConfig({}).scopes, ['groups']);
});
