/**
 * argocd-server on a real `flotilla up --components argo-cd` (manifests/argo-cd/install.yaml), through
 * `kubectl port-forward svc/argocd-server :443` as the journey does: the initial admin password, login,
 * password change, app create from a Git repository on the host, refresh, resource tree, sync to
 * Synced/Healthy by the real controller, pod logs, events, a signed webhook push that refreshes and
 * auto-syncs, history and rollback.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { kubectlFor, startUp, stopUp, type Up } from '@flotilla/kube-runtime/testkit';
import { startGitServer, exampleAppsRepo, type GitServer } from '@flotilla/repo-server/testkit';
import { call, argoCrds } from './testenv.js';

const examples = argoCrds().reason ? undefined : exampleAppsRepo();
const skip = !examples ? 'argocd-example-apps not found' : undefined;
let dir: string;
let up: Up;
let git: GitServer;
let pf: ChildProcess | undefined;
let base: string;
let token: string;
let k: ReturnType<typeof kubectlFor>;
let repoURL: string;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 120_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await sleep(250);
  }
}

function portForward(): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn('kubectl', ['port-forward', '-n', 'argocd', 'svc/argocd-server', ':443'], { env: { ...process.env, KUBECONFIG: up.kubeconfig, HOME: dir } });
    pf = p;
    let buf = '';
    const t = setTimeout(() => reject(new Error(`port-forward did not start: ${buf}`)), 60_000);
    const on = (d: Buffer) => {
      buf += d.toString();
      const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(buf);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    };
    p.stdout.on('data', on);
    p.stderr.on('data', on);
  });
}

const api = (method: string, path: string, body?: unknown, tok = token) => call(base, method, path, { body, token: tok });
const getApp = async () => (await api('GET', '/api/v1/applications/guestbook')).body;

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'argocd-server-e2e-'));
  git = await startGitServer({ repos: { 'argocd-example-apps': examples! } });
  repoURL = git.podURL('argocd-example-apps');
  up = await startUp(join(dir, 'data'), 700_000, { components: ['argo-cd'], args: ['--components-timeout', '400'] });
  k = kubectlFor(join(dir, 'home'), up.kubeconfig);
  await until('argocd-server ready', async () => {
    const d = JSON.parse(await k.k(['get', 'deployment', '-n', 'argocd', 'argocd-server', '-o', 'json']));
    return (d.status?.readyReplicas ?? 0) >= 1;
  }, 400_000);
  base = `https://127.0.0.1:${await portForward()}`;
}, { timeout: 900_000 });

after(async () => {
  pf?.kill('SIGTERM');
  if (up) await stopUp(up, 'SIGTERM');
  await git?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('initial admin password, login through the port-forward, password change', { skip, timeout: 120_000 }, async () => {
  const pw = Buffer.from(await k.k(['get', 'secret', '-n', 'argocd', 'argocd-initial-admin-secret', '-o', 'jsonpath={.data.password}']), 'base64').toString();
  assert.equal(pw.length, 16);
  const l = await until('login', async () => {
    const r = await call(base, 'POST', '/api/v1/session', { body: { username: 'admin', password: pw } });
    return r.status === 200 && r;
  });
  const first = l.body.token;
  await sleep(1100);
  const ch = await call(base, 'PUT', '/api/v1/account/password', { token: first, body: { currentPassword: pw, newPassword: 'n3w-passw0rd' } });
  assert.equal(ch.status, 200, ch.text);
  assert.equal((await call(base, 'GET', '/api/v1/applications', { token: first })).status, 401);
  token = (await call(base, 'POST', '/api/v1/session', { body: { username: 'admin', password: 'n3w-passw0rd' } })).body.token;
  assert.ok(token);
});

test('app create → OutOfSync/Missing with a resource tree; sync → Synced and Healthy; logs and events', { skip, timeout: 600_000 }, async () => {
  const c = await api('POST', '/api/v1/applications', { metadata: { name: 'guestbook' }, spec: { project: 'default', source: { repoURL, path: 'guestbook', targetRevision: 'HEAD' }, destination: { server: 'https://kubernetes.default.svc', namespace: 'default' } } });
  assert.equal(c.status, 200, c.text);
  const r = await api('GET', '/api/v1/applications/guestbook?refresh=normal');
  assert.equal(r.status, 200, r.text);
  const a = await until('compared', async () => {
    const x = await getApp();
    return x.status?.sync?.status === 'OutOfSync' && x.status?.health?.status === 'Missing' && x;
  });
  assert.deepEqual(a.status.resources.map((x: any) => x.kind).sort(), ['Deployment', 'Service']);
  const mr = await api('GET', '/api/v1/applications/guestbook/managed-resources');
  assert.equal(mr.body.items.length, 2);
  assert.ok(mr.body.items.every((i: any) => i.targetState && !i.liveState));
  const s = await api('POST', '/api/v1/applications/guestbook/sync', { revision: 'HEAD', prune: false });
  assert.equal(s.status, 200, s.text);
  const done = await until('Synced and Healthy', async () => {
    const x = await getApp();
    return x.status?.sync?.status === 'Synced' && x.status?.health?.status === 'Healthy' && x;
  }, 400_000);
  assert.equal(done.status.operationState.phase, 'Succeeded');
  assert.equal(done.status.history.length, 1);
  const tree = await api('GET', '/api/v1/applications/guestbook/resource-tree');
  const kinds = tree.body.nodes.map((n: any) => n.kind);
  for (const kind of ['Deployment', 'ReplicaSet', 'Pod', 'Service']) assert.ok(kinds.includes(kind), `${kind} in ${kinds}`);
  const logs = await call(base, 'GET', '/api/v1/applications/guestbook/logs?container=guestbook-ui&tailLines=50', { token });
  assert.equal(logs.status, 200, logs.text);
  const lines = logs.text.trim().split('\n').map((x) => JSON.parse(x));
  assert.equal(lines.at(-1).result.last, true);
  assert.equal((await api('GET', '/api/v1/applications/guestbook/pods/nosuch/logs')).status, 404);
  const evs = await api('GET', '/api/v1/applications/guestbook/events');
  const reasons = evs.body.items.map((e: any) => e.reason);
  assert.ok(reasons.includes('ResourceCreated') && reasons.includes('OperationStarted'), reasons.join(','));
  assert.ok(evs.body.items.some((e: any) => /^admin initiated sync to HEAD \([0-9a-f]{40}\)$/.test(e.message)), JSON.stringify(evs.body.items.map((e: any) => e.message)));
});

test('a signed GitHub push refreshes the app and the controller auto-syncs it; history and rollback', { skip, timeout: 600_000 }, async () => {
  await k.k(['patch', 'secret', '-n', 'argocd', 'argocd-secret', '--type', 'merge', '-p', JSON.stringify({ stringData: { 'webhook.github.secret': 'e2e-secret' } })]);
  const p = await api('PATCH', '/api/v1/applications/guestbook', { name: 'guestbook', patchType: 'merge', patch: JSON.stringify({ spec: { syncPolicy: { automated: { prune: true } } } }) });
  assert.equal(p.status, 200, p.text);
  const first = (await getApp()).status.sync.revision;
  const sha = git.commit('argocd-example-apps', { 'guestbook/extra-cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: guestbook-extra\ndata:\n  k: v\n' }, 'add a config map');
  const body = Buffer.from(JSON.stringify({ ref: 'refs/heads/main', after: sha, repository: { html_url: repoURL, clone_url: repoURL, default_branch: 'main' }, commits: [{ id: sha, added: ['guestbook/extra-cm.yaml'], modified: [], removed: [] }] }));
  const bad = await call(base, 'POST', '/api/webhook', { raw: body, headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': 'sha256=00' } });
  assert.equal(bad.status, 400);
  const t0 = Date.now();
  const ok = await until('webhook accepted', async () => {
    const r = await call(base, 'POST', '/api/webhook', { raw: body, headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': 'sha256=' + createHmac('sha256', 'e2e-secret').update(body).digest('hex') } });
    return r.status === 200 && r;
  });
  assert.equal(ok.status, 200);
  const synced = await until('auto-synced to the pushed commit', async () => {
    const x = await getApp();
    return x.status?.sync?.revision === sha && x.status?.sync?.status === 'Synced' && x.status?.operationState?.phase === 'Succeeded' && x;
  }, 120_000);
  console.log(`# webhook → auto-synced to the new commit in ${Date.now() - t0} ms`);
  assert.ok(synced.status.history.length >= 2);
  await until('config map deployed', async () => (await k.kubectl(['get', 'configmap', '-n', 'default', 'guestbook-extra'])).code === 0);
  // rollback is refused while auto-sync is on, then goes back to the first revision
  const refused = await api('POST', '/api/v1/applications/guestbook/rollback', { id: 0 });
  assert.equal(refused.status, 400);
  assert.match(refused.body.message, /rollback cannot be initiated when auto-sync is enabled/);
  await api('PATCH', '/api/v1/applications/guestbook', { name: 'guestbook', patchType: 'json', patch: JSON.stringify([{ op: 'remove', path: '/spec/syncPolicy/automated' }]) });
  const firstId = synced.status.history.find((h: any) => h.revision === first).id;
  const rb = await until('rollback accepted', async () => {
    const r = await api('POST', '/api/v1/applications/guestbook/rollback', { id: firstId, prune: true });
    return r.status === 200 && r;
  }, 60_000);
  assert.equal(rb.body.operation.sync.revision, first);
  await until('rolled back', async () => {
    const x = await getApp();
    return x.status?.operationState?.phase === 'Succeeded' && x.status.operationState.syncResult?.revision === first && x;
  }, 120_000);
  await until('config map pruned', async () => (await k.kubectl(['get', 'configmap', '-n', 'default', 'guestbook-extra'])).code === 1);
});

test('cascading delete: the finalizer is set, the controller deletes the resources, then the app goes', { skip, timeout: 300_000 }, async () => {
  const d = await api('DELETE', '/api/v1/applications/guestbook');
  assert.equal(d.status, 200, d.text);
  await until('app gone', async () => (await api('GET', '/api/v1/applications/guestbook')).status === 404, 180_000);
  await until('deployment deleted', async () => (await k.kubectl(['get', 'deployment', '-n', 'default', 'guestbook-ui'])).code === 1, 120_000);
  const evs = JSON.parse(await k.k(['get', 'events', '-n', 'argocd', '--field-selector', 'involvedObject.name=guestbook', '-o', 'json'])).items;
  assert.ok(evs.some((e: any) => e.reason === 'ResourceDeleted' && e.message === 'admin deleted application'));
});
