/**
 * Webhook clients (upstream's docs/webhooks.md, TestSubmitWorkflowTemplateFromGithubWebhook) against a real API
 * server, with auth mode client only (so a request no client matches is refused): a GitHub push with a valid
 * signature submits the bound template as the client's ServiceAccount; a bad signature, no signature, another
 * namespace's clients do not; GitLab's token. And the checks of each type (pure).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { call, startEnv, type Env } from './testenv.js';
import { webhookMatches } from './webhook.js';
import { R } from '@flotilla/kube-runtime';
import { AR } from './resources.js';

const ns = 'argo';
let env: Env;

before(async () => {
  env = await startEnv({ authModes: ['client'] });
  const objs = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'github.com', namespace: ns } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'gitlab.com', namespace: ns } },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'submit-workflow-template', namespace: ns }, rules: [{ apiGroups: ['argoproj.io'], resources: ['workflowtemplates'], verbs: ['get'] }, { apiGroups: ['argoproj.io'], resources: ['workflows'], verbs: ['create'] }] },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'webhooks', namespace: ns }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'submit-workflow-template' }, subjects: [{ kind: 'ServiceAccount', name: 'github.com', namespace: ns }, { kind: 'ServiceAccount', name: 'gitlab.com', namespace: ns }] },
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'argo-workflows-webhook-clients', namespace: ns }, stringData: { 'github.com': 'type: github\nsecret: "shh!"\n', 'gitlab.com': 'type: gitlab\nsecret: "gl-token"\n', 'broken': ': : :' } },
    { apiVersion: 'argoproj.io/v1alpha1', kind: 'WorkflowTemplate', metadata: { name: 'hooked', namespace: ns }, spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'busybox' } }] } },
    { apiVersion: 'argoproj.io/v1alpha1', kind: 'WorkflowEventBinding', metadata: { name: 'hooked', namespace: ns }, spec: { event: { selector: 'metadata["x-github-event"] == ["push"] || metadata["x-gitlab-event"] == ["Push Hook"]' }, submit: { workflowTemplateRef: { name: 'hooked' } } } },
  ];
  await env.apply({ apiVersion: 'v1', kind: 'List', items: objs });
}, { timeout: 120_000 });

after(async () => {
  await env?.close();
});

const payload = JSON.stringify({ ref: 'refs/heads/main', repository: { full_name: 'o/r' } });
const sign = (alg: 'sha1' | 'sha256', secret: string, body: string) => `${alg}=${createHmac(alg, secret).update(body).digest('hex')}`;
const post = (headers: Record<string, string>, body = payload, nsp = ns) => call(env.base, 'POST', `/api/v1/events/${nsp}/`, { headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers }, body: JSON.parse(body) });
const submitted = async () => (await env.client.list<any>(AR.workflows, ns)).items.filter((w: any) => w.metadata.labels?.['workflows.argoproj.io/workflow-template'] === 'hooked');

test('a GitHub push signed with the client\'s secret (sha256, or sha1) submits the bound template as the client\'s ServiceAccount', async () => {
  const r = await post({ 'x-github-event': 'push', 'x-hub-signature-256': sign('sha256', 'shh!', payload) });
  assert.equal(r.status, 200, r.text);
  let wfs = await submitted();
  assert.equal(wfs.length, 1);
  const r1 = await post({ 'x-github-event': 'push', 'x-hub-signature': sign('sha1', 'shh!', payload) });
  assert.equal(r1.status, 200, r1.text);
  wfs = await submitted();
  assert.equal(wfs.length, 2);
});

test('a bad signature, no signature, the wrong secret, another namespace: not the client (401 with auth mode client only)', async () => {
  const before = (await submitted()).length;
  const tries: Record<string, string>[] = [
    { 'x-github-event': 'push', 'x-hub-signature-256': sign('sha256', 'wrong', payload) },
    { 'x-github-event': 'push', 'x-hub-signature-256': 'sha256=0000' },
    { 'x-github-event': 'push' },
    { 'x-hub-signature-256': sign('sha256', 'shh!', payload) },
    { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'nope' },
  ];
  for (const h of tries) {
    const r = await post(h);
    assert.equal(r.status, 401, `${JSON.stringify(h)}: ${r.text}`);
  }
  await env.cluster.k(['create', 'namespace', 'elsewhere']);
  const other = await post({ 'x-github-event': 'push', 'x-hub-signature-256': sign('sha256', 'shh!', payload) }, payload, 'elsewhere');
  assert.equal(other.status, 401, 'the clients are those of the event\'s namespace');
  // a body changed after signing
  const tampered = await post({ 'x-github-event': 'push', 'x-hub-signature-256': sign('sha256', 'shh!', payload) }, JSON.stringify({ ref: 'refs/heads/evil' }));
  assert.equal(tampered.status, 401);
  assert.equal((await submitted()).length, before);
});

test('the matched client\'s ServiceAccount acts: without RBAC to create workflows the event fails (500), nothing is created', async () => {
  const before = (await submitted()).length;
  await env.cluster.k(['create', 'serviceaccount', 'norights', '-n', ns]);
  const s = await env.client.get<any>(R.secrets, ns, 'argo-workflows-webhook-clients');
  s.data.norights = Buffer.from('type: github\nsecret: "other"\n').toString('base64');
  await env.client.update(R.secrets, s);
  const r = await post({ 'x-github-event': 'push', 'x-hub-signature-256': sign('sha256', 'other', payload) });
  assert.equal(r.status, 500, r.text);
  assert.match(r.body.message, /failed to get workflow template|forbidden|Forbidden/);
  assert.equal((await submitted()).length, before);
});

test('a GitLab event with the client\'s token', async () => {
  const before = (await submitted()).length;
  const r = await post({ 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'gl-token' });
  assert.equal(r.status, 200, r.text);
  assert.equal((await submitted()).length, before + 1);
});

test('webhookMatches: each type\'s headers and check', () => {
  const body = Buffer.from('{"a":1}');
  const h256 = createHmac('sha256', 's').update(body).digest('hex');
  const h1 = createHmac('sha1', 's').update(body).digest('hex');
  assert.ok(webhookMatches('github', 's', { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${h256}` }, body));
  assert.ok(webhookMatches('github', 's', { 'x-github-event': 'push', 'x-hub-signature': `sha1=${h1}` }, body));
  assert.ok(!webhookMatches('github', 's', { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${h256}x` }, body));
  assert.ok(!webhookMatches('github', 's', { 'x-github-event': 'push', 'x-hub-signature-256': 'sha256=00', 'x-hub-signature': `sha1=${h1}` }, body), 'the sha256 one decides when present');
  assert.ok(webhookMatches('gitlab', 's', { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 's' }, body));
  assert.ok(!webhookMatches('gitlab', 's', { 'x-gitlab-token': 's' }, body));
  assert.ok(webhookMatches('bitbucket', 'uuid-1', { 'x-event-key': 'repo:push', 'x-hook-uuid': 'uuid-1' }, body));
  assert.ok(!webhookMatches('bitbucket', 'uuid-1', { 'x-event-key': 'repo:push', 'x-hook-uuid': 'uuid-2' }, body));
  assert.ok(webhookMatches('bitbucketserver', 's', { 'x-event-key': 'repo:refs_changed', 'x-hub-signature': `sha256=${h256}` }, body));
  assert.ok(!webhookMatches('other', 's', { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${h256}` }, body));
});
