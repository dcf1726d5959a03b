/**
 * RBAC with the real kubectl against the real API server: ServiceAccounts with Roles, Kubernetes'
 * Forbidden messages, `kubectl auth can-i (--list)`, aggregated ClusterRoles, impersonation,
 * escalation prevention, bindings to missing roles, watches and connect subresources.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCluster, type TestCluster } from './testutil.js';

let c: TestCluster;

/** A ServiceAccount's token (TokenRequest), for `kubectl --token`. */
async function saToken(ns: string, name: string): Promise<string> {
  const r = await c.req('POST', `/api/v1/namespaces/${ns}/serviceaccounts/${name}/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} });
  assert.equal(r.status, 201, r.text);
  return r.body.status.token;
}

const apply = (yaml: string) => c.k(['apply', '-f', '-'], { input: yaml });

async function until(what: string, f: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}`);
}

before(async () => {
  c = await startTestCluster();
  await apply(`
apiVersion: v1
kind: Namespace
metadata: {name: team-a}
---
apiVersion: v1
kind: Namespace
metadata: {name: team-c}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: reader, namespace: team-a}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader, namespace: team-a}
rules:
- apiGroups: [""]
  resources: [pods, pods/log]
  verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader-pods, namespace: team-a}
subjects: [{kind: ServiceAccount, name: reader, namespace: team-a}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
`);
});

after(async () => {
  await c?.close();
});

describe('RBAC with kubectl', () => {
  it('a ServiceAccount with a namespaced Role lists pods there and is refused elsewhere, with Kubernetes messages', async () => {
    const token = await saToken('team-a', 'reader');
    const ok = await c.kubectl(['get', 'pods', '-n', 'team-a', `--token=${token}`]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /No resources found in team-a namespace/);

    const other = await c.kubectl(['get', 'pods', '-n', 'team-c', `--token=${token}`]);
    assert.equal(other.code, 1);
    assert.equal(other.stderr.trim(), 'Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:team-a:reader" cannot list resource "pods" in API group "" in the namespace "team-c"');

    const named = await c.kubectl(['get', 'pod', 'x', '-n', 'team-c', `--token=${token}`]);
    assert.match(named.stderr, /pods "x" is forbidden: User "system:serviceaccount:team-a:reader" cannot get resource "pods" in API group "" in the namespace "team-c"/);

    const nodes = await c.kubectl(['get', 'nodes', `--token=${token}`]);
    assert.match(nodes.stderr, /nodes is forbidden: User "system:serviceaccount:team-a:reader" cannot list resource "nodes" in API group "" at the cluster scope/);

    const deploy = await c.kubectl(['get', 'deployments', '-n', 'team-a', `--token=${token}`]);
    assert.match(deploy.stderr, /deployments\.apps is forbidden: User "system:serviceaccount:team-a:reader" cannot list resource "deployments" in API group "apps" in the namespace "team-a"/);

    const create = await c.kubectl(['create', 'configmap', 'x', '-n', 'team-a', `--token=${token}`]);
    assert.match(create.stderr, /configmaps is forbidden: User "system:serviceaccount:team-a:reader" cannot create resource "configmaps" in API group "" in the namespace "team-a"/);

    // the Status body itself
    const raw = await c.req('GET', '/api/v1/namespaces/team-c/pods', undefined, { authorization: `Bearer ${token}` });
    assert.equal(raw.status, 403);
    assert.deepEqual(raw.body, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods is forbidden: User "system:serviceaccount:team-a:reader" cannot list resource "pods" in API group "" in the namespace "team-c"',
      reason: 'Forbidden',
      details: { kind: 'pods', group: '' },
      code: 403,
    });
    // non-resource paths: discovery and /version for every authenticated user, nothing else
    assert.equal((await c.kubectl(['get', '--raw', '/version', `--token=${token}`])).code, 0);
    assert.equal((await c.kubectl(['api-resources', `--token=${token}`])).code, 0);
    const metrics = await c.kubectl(['get', '--raw', '/metrics', `--token=${token}`]);
    assert.match(metrics.stderr, /forbidden: User "system:serviceaccount:team-a:reader" cannot get path "\/metrics"/);
  });

  it('kubectl auth can-i, can-i --list and whoami answer what RBAC allows', async () => {
    const as = '--as=system:serviceaccount:team-a:reader';
    assert.equal((await c.kubectl(['auth', 'can-i', 'list', 'pods', '-n', 'team-a', as])).stdout.trim(), 'yes');
    const no = await c.kubectl(['auth', 'can-i', 'list', 'pods', '-n', 'team-c', as]);
    assert.equal(no.stdout.trim(), 'no');
    assert.equal(no.code, 1);
    assert.equal((await c.kubectl(['auth', 'can-i', 'get', 'pods', '--subresource=log', '-n', 'team-a', as])).stdout.trim(), 'yes');
    assert.equal((await c.kubectl(['auth', 'can-i', 'create', 'pods', '--subresource=exec', '-n', 'team-a', as])).stdout.trim(), 'no');
    assert.equal((await c.kubectl(['auth', 'can-i', 'delete', 'pods', '-n', 'team-a', as])).stdout.trim(), 'no');
    assert.equal((await c.kubectl(['auth', 'can-i', '*', '*'])).stdout.trim(), 'yes');

    const list = await c.k(['auth', 'can-i', '--list', '-n', 'team-a', as]);
    const lines = list.trim().split('\n');
    assert.match(lines[0], /^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs$/);
    assert.ok(lines.some((l) => /^pods\/log\s+\[\]\s+\[\]\s+\[get list\]$/.test(l)), list);
    assert.ok(lines.some((l) => /^pods\s+\[\]\s+\[\]\s+\[get list\]$/.test(l)), list);
    assert.ok(lines.some((l) => /^selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]$/.test(l)), list);
    assert.ok(lines.some((l) => /^\s+\[\/version\]\s+\[\]\s+\[get\]$/.test(l)), list);
    const elsewhere = await c.k(['auth', 'can-i', '--list', '-n', 'team-c', as]);
    assert.ok(!/^pods/m.test(elsewhere), elsewhere);

    const who = await c.k(['auth', 'whoami', as]);
    assert.match(who, /Username\s+system:serviceaccount:team-a:reader/);
    assert.match(who, /Groups\s+\[system:serviceaccounts system:serviceaccounts:team-a system:authenticated\]/);
    assert.match(await c.k(['auth', 'whoami']), /Groups\s+\[system:masters system:authenticated\]/);

    // SubjectAccessReview, as an authorizing webhook or a proxy asks it
    const sar = await c.req('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { user: 'system:serviceaccount:team-a:reader', groups: ['system:serviceaccounts'], resourceAttributes: { namespace: 'team-a', verb: 'get', resource: 'pods' } },
    });
    assert.equal(sar.status, 201, sar.text);
    assert.equal(sar.body.status.allowed, true);
    assert.equal(sar.body.status.reason, 'RBAC: allowed by RoleBinding "reader-pods/team-a" of Role "pod-reader" to ServiceAccount "reader/team-a"');
    const local = await c.req('POST', '/apis/authorization.k8s.io/v1/namespaces/team-c/localsubjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'LocalSubjectAccessReview',
      spec: { user: 'system:serviceaccount:team-a:reader', resourceAttributes: { verb: 'get', resource: 'pods' } },
    });
    assert.equal(local.body.status.allowed, false, local.text);
    const bad = await c.req('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { resourceAttributes: { verb: 'get', resource: 'pods' } } });
    assert.equal(bad.status, 422);
    assert.match(bad.body.message, /at least one of user or group must be specified/);
    // a ServiceAccount may not ask about others without create on subjectaccessreviews
    const token = await saToken('team-a', 'reader');
    const denied = await c.req('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', { kind: 'SubjectAccessReview', spec: { user: 'x', nonResourceAttributes: { path: '/', verb: 'get' } } }, { authorization: `Bearer ${token}` });
    assert.equal(denied.status, 403);
  });

  it('an aggregated ClusterRole picks up a newly labelled ClusterRole (and the bootstrap view/edit/admin are aggregated)', async () => {
    const view = JSON.parse(await c.k(['get', 'clusterrole', 'view', '-o', 'json']));
    assert.ok(view.rules.some((r: any) => r.resources.includes('pods') && r.verbs.includes('list')));
    assert.equal(view.aggregationRule.clusterRoleSelectors[0].matchLabels['rbac.authorization.k8s.io/aggregate-to-view'], 'true');
    const admin = JSON.parse(await c.k(['get', 'clusterrole', 'admin', '-o', 'json']));
    assert.ok(admin.rules.some((r: any) => r.resources?.includes('rolebindings')));
    assert.ok(admin.rules.some((r: any) => r.resources?.includes('secrets') && r.verbs.includes('create')));

    await apply(`
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: monitoring}
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {example.com/aggregate-to-monitoring: "true"}
rules: []
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: monitor, namespace: team-a}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: monitor}
subjects: [{kind: ServiceAccount, name: monitor, namespace: team-a}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: monitoring}
`);
    const as = '--as=system:serviceaccount:team-a:monitor';
    assert.equal((await c.kubectl(['auth', 'can-i', 'list', 'services', '-A', as])).stdout.trim(), 'no');
    await apply(`
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: monitoring-endpoints
  labels: {example.com/aggregate-to-monitoring: "true"}
rules:
- apiGroups: [""]
  resources: [services, endpoints]
  verbs: [get, list, watch]
`);
    await until('the aggregated role to include the new rules', async () => JSON.parse(await c.k(['get', 'clusterrole', 'monitoring', '-o', 'json'])).rules?.length === 1);
    assert.equal((await c.kubectl(['auth', 'can-i', 'list', 'services', '-A', as])).stdout.trim(), 'yes');
    // unlabelled again: the rules go
    await c.k(['label', 'clusterrole', 'monitoring-endpoints', 'example.com/aggregate-to-monitoring-']);
    await until('the rules to leave the aggregated role', async () => (JSON.parse(await c.k(['get', 'clusterrole', 'monitoring', '-o', 'json'])).rules ?? []).length === 0);
    assert.equal((await c.kubectl(['auth', 'can-i', 'list', 'services', '-A', as])).stdout.trim(), 'no');
  });

  it('impersonation is allowed only with the impersonate verb', async () => {
    await apply(`
apiVersion: v1
kind: ServiceAccount
metadata: {name: ops, namespace: team-a}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: jane-view, namespace: team-a}
subjects: [{kind: User, name: jane, apiGroup: rbac.authorization.k8s.io}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
`);
    const token = await saToken('team-a', 'ops');
    const refused = await c.kubectl(['get', 'pods', '-n', 'team-a', '--as=jane', `--token=${token}`]);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr.trim(), 'Error from server (Forbidden): users "jane" is forbidden: User "system:serviceaccount:team-a:ops" cannot impersonate resource "users" in API group "" at the cluster scope');
    await apply(`
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: impersonate-jane}
rules:
- apiGroups: [""]
  resources: [users]
  verbs: [impersonate]
  resourceNames: [jane]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ops-impersonates-jane}
subjects: [{kind: ServiceAccount, name: ops, namespace: team-a}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: impersonate-jane}
`);
    const asJane = await c.kubectl(['get', 'pods', '-n', 'team-a', '--as=jane', `--token=${token}`]);
    assert.equal(asJane.code, 0, asJane.stderr);
    // jane may view team-a only
    const janeElsewhere = await c.kubectl(['get', 'pods', '-n', 'team-c', '--as=jane', `--token=${token}`]);
    assert.match(janeElsewhere.stderr, /pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "team-c"/);
    // not someone else, and no groups without impersonate on groups
    assert.match((await c.kubectl(['get', 'pods', '-n', 'team-a', '--as=bob', `--token=${token}`])).stderr, /users "bob" is forbidden: User "system:serviceaccount:team-a:ops" cannot impersonate resource "users"/);
    const group = await c.kubectl(['get', 'pods', '-n', 'team-a', '--as=jane', '--as-group=system:masters', `--token=${token}`]);
    assert.match(group.stderr, /groups "system:masters" is forbidden: User "system:serviceaccount:team-a:ops" cannot impersonate resource "groups" in API group "" at the cluster scope/);
    // the admin may impersonate anyone, groups included
    assert.match(await c.k(['auth', 'whoami', '--as=jane', '--as-group=devs']), /Groups\s+\[devs system:authenticated\]/);
    // uid and extras, the admin being allowed to impersonate them
    const uid = await c.req('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, { 'impersonate-user': 'jane', 'impersonate-uid': 'u-1', 'impersonate-extra-scopes': 'a, b' });
    assert.deepEqual(uid.body.status.userInfo, { username: 'jane', uid: 'u-1', groups: ['system:authenticated'], extra: { scopes: ['a', 'b'] } });
    const noUid = await c.req('GET', '/api/v1/namespaces/team-a/pods', undefined, { authorization: `Bearer ${token}`, 'impersonate-user': 'jane', 'impersonate-uid': 'u-1' });
    assert.equal(noUid.status, 403);
    assert.equal(noUid.body.message, 'uids.authentication.k8s.io "u-1" is forbidden: User "system:serviceaccount:team-a:ops" cannot impersonate resource "uids" in API group "authentication.k8s.io" at the cluster scope');
    // a group without a user is a bad request
    const r = await c.req('GET', '/api/v1/namespaces/team-a/pods', undefined, { 'impersonate-group': 'devs' });
    assert.equal(r.status, 400);
    assert.match(r.body.message, /without impersonating a user/);
  });

  it('escalation is refused: a Role or binding may only grant what its author holds (unless escalate / bind)', async () => {
    await apply(`
apiVersion: v1
kind: ServiceAccount
metadata: {name: delegate, namespace: team-a}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: role-manager, namespace: team-a}
rules:
- apiGroups: [rbac.authorization.k8s.io]
  resources: [roles, rolebindings]
  verbs: [create, get, update, patch]
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: delegate-manager, namespace: team-a}
subjects: [{kind: ServiceAccount, name: delegate, namespace: team-a}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: role-manager}
`);
    const token = await saToken('team-a', 'delegate');
    const role = (name: string, verbs: string) => `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: ${name}, namespace: team-a}
rules:
- apiGroups: [""]
  resources: [configmaps]
  verbs: [${verbs}]
`;
    const okRole = await c.kubectl(['apply', '-f', '-', `--token=${token}`], { input: role('cm-get', 'get') });
    assert.equal(okRole.code, 0, okRole.stderr);
    const esc = await c.kubectl(['apply', '-f', '-', `--token=${token}`], { input: role('cm-write', 'get, delete, update') });
    assert.equal(esc.code, 1);
    assert.match(
      esc.stderr,
      /roles\.rbac\.authorization\.k8s\.io "cm-write" is forbidden: user "system:serviceaccount:team-a:delegate" \(groups=\["system:serviceaccounts" "system:serviceaccounts:team-a" "system:authenticated"\]\) is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\[""\], Resources:\["configmaps"\], Verbs:\["delete" "update"\]\}/,
    );
    assert.match((await c.kubectl(['get', 'role', 'cm-write', '-n', 'team-a'])).stderr, /not found/);

    // binding: to a role whose permissions it holds yes, to "edit" no
    const binding = (name: string, kind: string, ref: string) => `
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ${name}, namespace: team-a}
subjects: [{kind: User, name: carol, apiGroup: rbac.authorization.k8s.io}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ${kind}, name: ${ref}}
`;
    const okBind = await c.kubectl(['apply', '-f', '-', `--token=${token}`], { input: binding('carol-cm', 'Role', 'cm-get') });
    assert.equal(okBind.code, 0, okBind.stderr);
    const badBind = await c.kubectl(['apply', '-f', '-', `--token=${token}`], { input: binding('carol-edit', 'ClusterRole', 'edit') });
    assert.equal(badBind.code, 1);
    assert.match(badBind.stderr, /rolebindings\.rbac\.authorization\.k8s\.io "carol-edit" is forbidden: user "system:serviceaccount:team-a:delegate" .* is attempting to grant RBAC permissions not currently held/);

    // with escalate and bind it may
    await apply(`
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: escalator, namespace: team-a}
rules:
- apiGroups: [rbac.authorization.k8s.io]
  resources: [roles]
  verbs: [escalate]
- apiGroups: [rbac.authorization.k8s.io]
  resources: [clusterroles]
  verbs: [bind]
  resourceNames: [edit]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: delegate-escalator, namespace: team-a}
subjects: [{kind: ServiceAccount, name: delegate, namespace: team-a}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: escalator}
`);
    assert.equal((await c.kubectl(['apply', '-f', '-', `--token=${token}`], { input: role('cm-write', 'get, delete, update') })).code, 0);
    const bound = await c.kubectl(['apply', '-f', '-', `--token=${token}`], { input: binding('carol-edit', 'ClusterRole', 'edit') });
    assert.equal(bound.code, 0, bound.stderr);
    assert.equal((await c.kubectl(['auth', 'can-i', 'create', 'deployments', '-n', 'team-a', '--as=carol'])).stdout.trim(), 'yes');
  });

  it('a RoleBinding to a missing role grants nothing', async () => {
    await apply(`
apiVersion: v1
kind: ServiceAccount
metadata: {name: orphan, namespace: team-a}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: orphan-missing, namespace: team-a}
subjects: [{kind: ServiceAccount, name: orphan, namespace: team-a}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: does-not-exist}
`);
    const token = await saToken('team-a', 'orphan');
    const r = await c.kubectl(['get', 'pods', '-n', 'team-a', `--token=${token}`]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr.trim(),
      'Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:team-a:orphan" cannot list resource "pods" in API group "" in the namespace "team-a": RBAC: role.rbac.authorization.k8s.io "does-not-exist" not found',
    );
    // the role appears: the binding takes effect; it goes: nothing again
    await apply(`
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: does-not-exist, namespace: team-a}
rules: [{apiGroups: [""], resources: [pods], verbs: [list]}]
`);
    assert.equal((await c.kubectl(['get', 'pods', '-n', 'team-a', `--token=${token}`])).code, 0);
    await c.k(['delete', 'role', 'does-not-exist', '-n', 'team-a']);
    assert.equal((await c.kubectl(['get', 'pods', '-n', 'team-a', `--token=${token}`])).code, 1);
  });

  it('watches are refused without watch, and exec needs create on pods/exec', async () => {
    const token = await saToken('team-a', 'reader'); // get, list on pods
    const w = await c.kubectl(['get', 'pods', '-n', 'team-a', '--watch', `--token=${token}`], { timeoutMs: 20_000 });
    assert.equal(w.code, 1);
    assert.match(w.stderr, /pods is forbidden: User "system:serviceaccount:team-a:reader" cannot watch resource "pods" in API group "" in the namespace "team-a"/);
    for (const path of ['/api/v1/namespaces/team-a/pods?watch=true', '/api/v1/watch/namespaces/team-a/pods']) {
      const r = await c.req('GET', path, undefined, { authorization: `Bearer ${token}` });
      assert.equal(r.status, 403, path);
      assert.match(r.body.message, /cannot watch resource "pods"/);
    }
    // a role limited to one object by name still allows watching that object (by field selector)
    await apply(`
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: team-a}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: settings-reader, namespace: team-a}
rules: [{apiGroups: [""], resources: [configmaps], resourceNames: [settings], verbs: [get, list, watch]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader-settings, namespace: team-a}
subjects: [{kind: ServiceAccount, name: reader, namespace: team-a}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: settings-reader}
`);
    const one = await c.req('GET', '/api/v1/namespaces/team-a/configmaps?watch=true&timeoutSeconds=1&fieldSelector=metadata.name%3Dsettings', undefined, { authorization: `Bearer ${token}` });
    assert.equal(one.status, 200, one.text);
    assert.match(one.text, /"type":"ADDED"/);
    const all = await c.req('GET', '/api/v1/namespaces/team-a/configmaps?watch=true&timeoutSeconds=1', undefined, { authorization: `Bearer ${token}` });
    assert.equal(all.status, 403);
    assert.equal((await c.kubectl(['get', 'configmap', 'settings', '-n', 'team-a', `--token=${token}`])).code, 0);
    await apply(`
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: team-a}
spec: {containers: [{name: c, image: busybox}]}
`);
    const ex = await c.kubectl(['exec', 'p', '-n', 'team-a', `--token=${token}`, '--', 'true']);
    assert.equal(ex.code, 1);
    assert.match(ex.stderr, /pods "p" is forbidden: User "system:serviceaccount:team-a:reader" cannot create resource "pods\/exec" in API group "" in the namespace "team-a"/);
    // the admin passes authorization and gets the pod's own problem
    const adm = await c.kubectl(['exec', 'p', '-n', 'team-a', '--', 'true']);
    assert.match(adm.stderr, /does not have a host assigned/);
    const log = await c.req('GET', '/api/v1/namespaces/team-c/pods/p/log', undefined, { authorization: `Bearer ${token}` });
    assert.equal(log.body.message, 'pods "p" is forbidden: User "system:serviceaccount:team-a:reader" cannot get resource "pods/log" in API group "" in the namespace "team-c"');
  });

  it('the components have identities of their own with least privilege', async () => {
    const kc = (u: string, g?: string[]) => c.server.writeIdentityKubeconfig(u, g);
    const can = async (kubeconfig: string, ...args: string[]) => (await c.kubectl(['auth', 'can-i', ...args], { env: { KUBECONFIG: kubeconfig } })).stdout.trim();
    const cm = kc('system:kube-controller-manager');
    assert.equal(await can(cm, 'create', 'replicasets.apps', '-n', 'team-a'), 'yes');
    assert.equal(await can(cm, 'create', 'pods', '-n', 'team-a'), 'yes');
    assert.equal(await can(cm, 'update', 'deployments.apps', '--subresource=status', '-n', 'team-a'), 'yes');
    assert.equal(await can(cm, 'delete', 'nodes'), 'no');
    assert.equal(await can(cm, 'create', 'clusterrolebindings'), 'no');
    const sched = kc('system:kube-scheduler');
    assert.equal(await can(sched, 'create', 'pods', '--subresource=binding', '-n', 'team-a'), 'yes');
    assert.equal(await can(sched, 'create', 'pods', '-n', 'team-a'), 'no');
    const node = kc('system:node:n1', ['system:nodes']);
    assert.equal(await can(node, 'update', 'pods', '--subresource=status', '-n', 'team-a'), 'yes');
    assert.equal(await can(node, 'create', 'serviceaccounts', '--subresource=token', '-n', 'team-a'), 'yes');
    assert.equal(await can(node, 'create', 'deployments.apps', '-n', 'team-a'), 'no');
    assert.match(await c.k(['auth', 'whoami'], { env: { KUBECONFIG: node } }), /Username\s+system:node:n1[\s\S]*Groups\s+\[system:nodes system:authenticated\]/);
  });
});

describe('the bootstrap policy across restarts', () => {
  it('puts back what was taken from a bootstrap role, keeps what was added, and leaves autoupdate "false" alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-rbac-'));
    try {
      let t = await startTestCluster({ dir });
      try {
        const basic = JSON.parse(await t.k(['get', 'clusterrole', 'system:basic-user', '-o', 'json']));
        basic.rules = [{ apiGroups: ['example.com'], resources: ['things'], verbs: ['get'] }];
        await t.k(['replace', '-f', '-'], { input: JSON.stringify(basic) });
        const disc = JSON.parse(await t.k(['get', 'clusterrole', 'system:discovery', '-o', 'json']));
        disc.metadata.annotations['rbac.authorization.kubernetes.io/autoupdate'] = 'false';
        disc.rules = [{ nonResourceURLs: ['/version'], verbs: ['get'] }];
        await t.k(['replace', '-f', '-'], { input: JSON.stringify(disc) });
        await t.k(['delete', 'clusterrolebinding', 'system:public-info-viewer']);
      } finally {
        await t.close();
      }
      t = await startTestCluster({ dir });
      try {
        const basic = JSON.parse(await t.k(['get', 'clusterrole', 'system:basic-user', '-o', 'json']));
        assert.ok(basic.rules.some((r: any) => r.resources.includes('selfsubjectaccessreviews')), 'the bootstrap rule is back');
        assert.ok(basic.rules.some((r: any) => r.resources.includes('things')), 'the added rule stays');
        const disc = JSON.parse(await t.k(['get', 'clusterrole', 'system:discovery', '-o', 'json']));
        assert.deepEqual(disc.rules, [{ nonResourceURLs: ['/version'], verbs: ['get'] }]);
        assert.match(await t.k(['get', 'clusterrolebinding', 'system:public-info-viewer', '-o', 'name']), /system:public-info-viewer/);
      } finally {
        await t.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
