/**
 * The workflow archive with a real PostgreSQL (Debian's binaries, started here on a free loopback port):
 * migrations (idempotent), archiveWorkflow, list with selectors and paging, TTL clean-up; then argo-server
 * reading `persistence` from the controller ConfigMap (user/password from Secrets), archiving a completed
 * workflow by itself, and the archived-workflows API (list, get, label keys/values, resubmit, retry, delete).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { R } from '@flotilla/kube-runtime';
import { waitFor } from '@flotilla/kube-runtime/testkit';
import { postgresBin, startPostgres, startEnv, type Env, type Postgres } from './testenv.js';
import { Archive, archiveWorkflow, migrate, tablesFor, type Persistence } from './archive/index.js';
import { AR } from './resources.js';
import { parseLabelSelector } from './fields.js';

const skip = postgresBin().reason;
if (skip) console.log(`# skipping the archive tests: ${skip}`);
let dir: string;
let pg: Postgres;
let env: Env;
const ns = 'argo';

const persistence = (): Persistence => ({
  archive: true,
  archiveTTL: '7d',
  archiveLabelSelector: { matchLabels: { 'workflows.argoproj.io/archive-strategy': 'always' } },
  postgresql: { host: '127.0.0.1', port: pg.port, database: 'postgres', tableName: 'argo_workflows', userNameSecret: { name: 'argo-postgres-config', key: 'username' }, passwordSecret: { name: 'argo-postgres-config', key: 'password' } },
});

const wf = (uid: string, name: string, o: { ns?: string; phase?: string; startedAt?: string; finishedAt?: string; labels?: Record<string, string> } = {}) => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Workflow',
  metadata: { uid, name, namespace: o.ns ?? ns, labels: o.labels ?? {}, creationTimestamp: o.startedAt ?? '2026-01-01T00:00:00Z' },
  spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'busybox' } }] },
  status: { phase: o.phase ?? 'Succeeded', startedAt: o.startedAt ?? '2026-01-01T00:00:00Z', finishedAt: o.finishedAt ?? '2026-01-01T00:01:00Z', nodes: { [name]: { id: name, name, displayName: name, type: 'Pod', phase: o.phase ?? 'Succeeded' } } },
});

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'argo-archive-'));
  pg = await startPostgres(dir);
  env = await startEnv({
    authModes: ['server', 'client'],
    setup: async (c) => {
      await c.k(['create', 'secret', 'generic', 'argo-postgres-config', '-n', ns, `--from-literal=username=${pg.user}`, `--from-literal=password=${pg.password}`]);
      await c.k(['create', 'configmap', 'workflow-controller-configmap', '-n', ns, `--from-literal=persistence=${JSON.stringify(persistence())}`, '--from-literal=links=[{"name":"Docs","scope":"workflow","url":"https://example.test/${metadata.name}"}]']);
    },
  });
}, { timeout: 120_000 });

after(async () => {
  await env?.close();
  await pg?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('migrations run once and again as a no-op; archiveWorkflow upserts; list filters by namespace, name prefix, labels, time; pages; TTL deletes old ones', { skip }, async () => {
  const a = await Archive.open({ ...persistence(), clusterName: 'unit', archiveTTL: '1d' }, async (ref) => (ref.key === 'username' ? pg.user : pg.password));
  try {
    assert.equal(await migrate(a.pool, tablesFor('argo_workflows')), 0, 'already migrated by open()');
    await Promise.all([migrate(a.pool, a.tables), migrate(a.pool, a.tables)]);
    const o = { clusterName: 'unit', tables: a.tables };
    await archiveWorkflow(a.pool, wf('u1', 'alpha-1', { labels: { team: 'a' }, startedAt: '2026-01-03T00:00:00Z' }), o);
    await archiveWorkflow(a.pool, wf('u2', 'alpha-2', { labels: { team: 'b' }, startedAt: '2026-01-02T00:00:00Z', phase: 'Failed' }), o);
    await archiveWorkflow(a.pool, wf('u3', 'beta-1', { ns: 'other', labels: { team: 'a', tier: 'x' }, startedAt: '2026-01-01T00:00:00Z' }), o);
    await archiveWorkflow(a.pool, wf('u1', 'alpha-1', { labels: { team: 'a', again: 'yes' }, startedAt: '2026-01-03T00:00:00Z' }), o);
    const names = async (q: Parameters<Archive['list']>[0]) => (await a.list(q)).items.map((w: any) => w.metadata.name);
    assert.deepEqual(await names({}), ['alpha-1', 'alpha-2', 'beta-1'], 'newest first, the upsert did not duplicate');
    assert.deepEqual(await names({ namespace: 'other' }), ['beta-1']);
    assert.deepEqual(await names({ namePrefix: 'alpha' }), ['alpha-1', 'alpha-2']);
    assert.deepEqual(await names({ labels: [{ key: 'team', op: 'in', values: ['a'] }] }), ['alpha-1', 'beta-1']);
    assert.deepEqual(await names({ labels: [{ key: 'team', op: 'notin', values: ['a'] }] }), ['alpha-2']);
    assert.deepEqual(await names({ labels: [{ key: 'tier', op: 'exists', values: [] }] }), ['beta-1']);
    assert.deepEqual(await names({ labels: [{ key: 'again', op: '!exists', values: [] }] }), ['alpha-2', 'beta-1']);
    // Kubernetes' numeric gt / lt (`n>1`, `n<5`): labels that are integers
    await archiveWorkflow(a.pool, wf('u4', 'num-1', { labels: { n: '2' }, startedAt: '2026-01-01T00:00:00Z' }), o);
    await archiveWorkflow(a.pool, wf('u5', 'num-2', { labels: { n: 'x' }, startedAt: '2026-01-01T00:00:00Z' }), o);
    await archiveWorkflow(a.pool, wf('u6', 'num-3', { labels: { n: '10' }, startedAt: '2026-01-01T00:00:00Z' }), o);
    assert.deepEqual((await names({ labels: parseLabelSelector('n>1') })).sort(), ['num-1', 'num-3']);
    assert.deepEqual(await names({ labels: parseLabelSelector('n<5,n>1') }), ['num-1']);
    for (const u of ['u4', 'u5', 'u6']) await a.delete(u);
    assert.equal(((await a.get('u2')) as any).metadata.labels['workflows.argoproj.io/workflow-archiving-status'], 'Persisted', 'the archived copy is marked Persisted');
    assert.deepEqual(await names({ minStartedAt: '2026-01-02T00:00:00Z' }), ['alpha-1', 'alpha-2']);
    const p1 = await a.list({ limit: 2 });
    assert.equal(p1.items.length, 2);
    assert.equal(p1.more, true);
    const p2 = await a.list({ limit: 2, offset: 2 });
    assert.deepEqual(p2.items.map((w: any) => w.metadata.name), ['beta-1']);
    assert.equal(p2.more, false);
    assert.equal((p1.items[0] as any).status.nodes, undefined, 'lists leave node status out');
    assert.ok(((await a.get('u1')) as any).status.nodes['alpha-1'], 'get has it');
    assert.deepEqual(await a.labelKeys(), ['again', 'team', 'tier', 'workflows.argoproj.io/workflow-archiving-status']);
    assert.deepEqual(await a.labelValues('team'), ['a', 'b']);
    assert.equal(await a.gc(new Date('2026-01-02T12:00:00Z')), 3, 'all finished more than a day before');
    assert.deepEqual(await names({}), []);
  } finally {
    await a.close();
  }
});

test('argo-server archives a completed workflow matching archiveLabelSelector, marks it Archived; the archived-workflows API lists, gets, resubmits, retries, deletes', { skip }, async () => {
  assert.ok(env.server.ctx.archive, `archive connected; logs:\n${env.logs.filter((l) => /archive/.test(l)).join('\n')}`);
  const info = await env.call('GET', '/api/v1/info');
  assert.equal(info.body.links[0].name, 'Docs', 'links from the controller ConfigMap');
  const mk = async (name: string, archive: boolean, phase: string) => {
    const r = await env.call('POST', `/api/v1/workflows/${ns}`, { body: { workflow: { metadata: { name, labels: archive ? { 'workflows.argoproj.io/archive-strategy': 'always' } : {} }, spec: { entrypoint: 'main', templates: [{ name: 'main', steps: [[{ name: 'a', template: 'c' }]] }, { name: 'c', container: { image: 'busybox', command: ['false'] } }] } } } });
    assert.equal(r.status, 200, r.text);
    const w = await env.client.get<any>(AR.workflows, ns, name);
    w.metadata.labels['workflows.argoproj.io/completed'] = 'true';
    const t = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    w.status = { phase, startedAt: t, finishedAt: t, nodes: {
      [name]: { id: name, name, displayName: name, type: 'Steps', phase, children: [`${name}-1`], startedAt: t, finishedAt: t },
      [`${name}-1`]: { id: `${name}-1`, name: `${name}[0]`, displayName: '[0]', type: 'StepGroup', phase, boundaryID: name, children: [`${name}-2`], startedAt: t, finishedAt: t },
      [`${name}-2`]: { id: `${name}-2`, name: `${name}[0].a`, displayName: 'a', type: 'Pod', phase, boundaryID: name, templateName: 'c', startedAt: t, finishedAt: t },
    } };
    await env.client.update(AR.workflows, w);
    return w.metadata.uid as string;
  };
  const uid = await mk('arch-1', true, 'Failed');
  await mk('not-archived', false, 'Succeeded');
  await waitFor('arch-1 marked Archived', async () => (await env.client.get<any>(AR.workflows, ns, 'arch-1')).metadata.labels['workflows.argoproj.io/workflow-archiving-status'] === 'Archived', 20_000);
  const l = await env.call('GET', `/api/v1/archived-workflows?namespace=${ns}`);
  assert.equal(l.status, 200, l.text);
  assert.deepEqual(l.body.items.map((w: any) => w.metadata.name), ['arch-1'], 'the workflow outside archiveLabelSelector is not archived');
  const sel = await env.call('GET', `/api/v1/archived-workflows?listOptions.labelSelector=${encodeURIComponent('workflows.argoproj.io/archive-strategy=always')}&namePrefix=arch`);
  assert.equal(sel.body.items.length, 1);
  const none = await env.call('GET', `/api/v1/archived-workflows?listOptions.labelSelector=${encodeURIComponent('workflows.argoproj.io/archive-strategy!=always')}`);
  assert.equal(none.status, 200, none.text);
  assert.equal(none.body.items, null, 'an empty list is "items": null, as upstream');
  const gt = await env.call('GET', `/api/v1/archived-workflows?listOptions.labelSelector=${encodeURIComponent('foo>1')}`);
  assert.equal(gt.status, 200, gt.text);
  assert.equal(gt.body.items, null);
  const g = await env.call('GET', `/api/v1/archived-workflows/${uid}`);
  assert.equal(g.status, 200);
  assert.equal(g.body.status.phase, 'Failed');
  assert.ok(g.body.status.nodes['arch-1-2']);
  const keys = await env.call('GET', `/api/v1/archived-workflows-label-keys?namespace=${ns}`);
  assert.ok(keys.body.items.includes('workflows.argoproj.io/archive-strategy'));
  const vals = await env.call('GET', `/api/v1/archived-workflows-label-values?listOptions.labelSelector=workflows.argoproj.io/archive-strategy`);
  assert.deepEqual(vals.body.items, ['always']);
  const rs = await env.call('PUT', `/api/v1/archived-workflows/${uid}/resubmit`, { body: { uid, namespace: ns } });
  assert.equal(rs.status, 200, rs.text);
  assert.match(rs.body.metadata.name, /^arch-1-/);
  // retry: the workflow is gone from the cluster; it comes back from the archive, failed nodes removed
  await env.client.delete(AR.workflows, ns, 'arch-1');
  await waitFor('arch-1 deleted', async () => !(await env.client.get(AR.workflows, ns, 'arch-1').catch(() => undefined)));
  const rt = await env.call('PUT', `/api/v1/archived-workflows/${uid}/retry`, { body: { uid, namespace: ns } });
  assert.equal(rt.status, 200, rt.text);
  assert.equal(rt.body.metadata.name, 'arch-1');
  assert.equal(rt.body.status.phase, 'Running');
  assert.equal(rt.body.status.nodes['arch-1-2'], undefined, 'the failed pod node reruns');
  // client mode: a token RBAC refuses may not read the archive
  await env.cluster.k(['create', 'serviceaccount', 'outsider', '-n', ns]);
  const outsider = (await env.cluster.k(['create', 'token', 'outsider', '-n', ns])).trim();
  const denied = await env.call('GET', `/api/v1/archived-workflows?namespace=${ns}`, { token: outsider });
  assert.equal(denied.status, 403, denied.text);
  const del = await env.call('DELETE', `/api/v1/archived-workflows/${uid}`, { token: outsider });
  assert.equal(del.status, 403);
  assert.equal((await env.call('DELETE', `/api/v1/archived-workflows/${uid}`)).status, 200);
  assert.equal((await env.call('GET', `/api/v1/archived-workflows/${uid}`)).status, 404);
});

test('offloaded node status (status.offloadNodeStatusVersion) is put back on GET', { skip }, async () => {
  const r = await env.call('POST', `/api/v1/workflows/${ns}`, { body: { workflow: { metadata: { name: 'offloaded' }, spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'busybox' } }] } } } });
  assert.equal(r.status, 200, r.text);
  const w = await env.client.get<any>(AR.workflows, ns, 'offloaded');
  const version = await env.server.ctx.archive!.offloadNodes({ ...w, status: { nodes: { offloaded: { id: 'offloaded', name: 'offloaded', type: 'Pod', phase: 'Running' } } } });
  w.status = { phase: 'Running', offloadNodeStatusVersion: version };
  await env.client.update(AR.workflows, w);
  const g = await env.call('GET', `/api/v1/workflows/${ns}/offloaded`);
  assert.equal(g.status, 200, g.text);
  assert.equal(g.body.status.nodes.offloaded.phase, 'Running');
  const cur = await env.client.get<any>(AR.workflows, ns, 'offloaded');
  cur.status = { phase: 'Running', offloadNodeStatusVersion: 'fnv:nothere' };
  await env.client.update(AR.workflows, cur);
  assert.equal((await env.call('GET', `/api/v1/workflows/${ns}/offloaded`)).status, 404);
});

test('NUL characters (upstream\'s TestPostgresNullBytes): a workflow and offloaded nodes with them are archived and read back as they were', { skip }, async () => {
  const a = env.server.ctx.archive!;
  const odd = ['hello \u0000', '\uE000', '\uE0000', '\uE000\uE000\u0000x', 'plain'];
  const w = wf('nul-1', 'nul-bytes', { startedAt: '2026-01-05T00:00:00Z' });
  (w.spec.templates[0]!.container as any).args = ['echo', ...odd];
  (w.metadata.labels as any)['nul'] = 'yes';
  (w.status.nodes['nul-bytes'] as any).outputs = { parameters: [{ name: 'p\u0000', value: 'v\u0000' }] };
  await a.archive(w);
  const g = await env.call('GET', '/api/v1/archived-workflows/nul-1');
  assert.equal(g.status, 200, g.text);
  assert.deepEqual(g.body.spec.templates[0].container.args, ['echo', ...odd]);
  assert.deepEqual(g.body.status.nodes['nul-bytes'].outputs.parameters[0], { name: 'p\u0000', value: 'v\u0000' });
  const l = await env.call('GET', `/api/v1/archived-workflows?listOptions.labelSelector=nul`);
  assert.deepEqual(l.body.items[0].spec.templates[0].container.args, ['echo', ...odd]);
  const version = await a.offloadNodes({ ...w, status: { nodes: { n: { id: 'n', message: 'a\u0000b' } } } });
  assert.deepEqual(await a.offloadedNodes('nul-1', version), { n: { id: 'n', message: 'a\u0000b' } });
  assert.equal((await env.call('DELETE', '/api/v1/archived-workflows/nul-1')).status, 200);
});

test('without persistence the archived-workflows API answers 501 naming the missing configuration', { skip }, async () => {
  const { startServer } = await import('./server.js');
  const s = await startServer(env.client, { namespace: 'default', port: 0, address: '127.0.0.1', authModes: ['server'], log: { debug() {}, info() {}, warn() {}, error() {} } });
  try {
    const { call } = await import('./testenv.js');
    const r = await call(s.url, 'GET', '/api/v1/archived-workflows');
    assert.equal(r.status, 501);
    assert.match(r.body.message, /persistence/);
  } finally {
    await s.close();
  }
  void R;
});
