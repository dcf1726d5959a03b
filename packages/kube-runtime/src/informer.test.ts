/** Informers against a real API server: resume after a restart, re-list on 410, indexers, resync, an unreachable server. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createServer, connect, type Socket } from 'node:net';
import { KubeClient } from './client.js';
import { Informer, InformerFactory, OWNER_UID_INDEX } from './informer.js';
import { R } from './resources.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { embeddedApiServer, startTestCluster, startApiServerProcess, eventually } from './testkit.js';

/** A TCP pass-through on a stable port to whichever API server is current (restarts get fresh ports). */
async function proxy(): Promise<{ port: number; target: number; close(): Promise<void> }> {
  const socks = new Set<Socket>();
  const state = { port: 0, target: 0, close: async () => {} };
  const srv = createServer((down) => {
    const up = connect(state.target, '127.0.0.1');
    socks.add(down).add(up);
    const end = () => {
      down.destroy();
      up.destroy();
      socks.delete(down);
      socks.delete(up);
    };
    down.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
    down.pipe(up).pipe(down);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  state.port = (srv.address() as { port: number }).port;
  state.close = () =>
    new Promise<void>((r) => {
      for (const s of socks) s.destroy();
      srv.close(() => r());
    });
  return state;
}

const cm = (name: string, extra: Record<string, unknown> = {}) => ({ metadata: { name, ...extra }, data: { k: name } });

test('an informer resumes its watch across an API server restart, and re-lists after 410 Gone', async () => {
  const start = await embeddedApiServer();
  const c = await startTestCluster({ start });
  const dataDir = join(c.dir, 'data');
  let server = c.server;
  const px = await proxy();
  px.target = server.port;
  const logs: string[] = [];
  const client = new KubeClient({ url: `https://127.0.0.1:${px.port}`, caPem: server.caPem, token: server.token });
  const inf = new Informer(client, R.configmaps, { namespace: 'default', log: (m) => logs.push(m) });
  const events: string[] = [];
  inf.on({ add: (o) => events.push(`add ${o.metadata?.name}`), update: (_a, b) => events.push(`update ${b.metadata?.name}`), delete: (o) => events.push(`delete ${o.metadata?.name}`) });
  inf.start();
  try {
    await inf.synced;
    assert.equal(inf.lists, 1);
    await client.create(R.configmaps, 'default', cm('a'));
    await eventually(() => inf.get('default', 'a'), 5000, 'a');

    // restart (same data): the watch resumes from its resourceVersion, no re-list
    await server.close();
    server = await start({ dataDir, port: 0 });
    px.target = server.port;
    await client.create(R.configmaps, 'default', cm('b'));
    await client.delete(R.configmaps, 'default', 'a');
    await eventually(() => inf.get('default', 'b') && !inf.get('default', 'a'), 20_000, 'b added and a deleted after the restart');
    assert.deepEqual(events, ['add a', 'add b', 'delete a']);
    assert.equal(inf.lists, 1, 'resumed, not re-listed');

    // the server comes back with a history too short for the informer's resourceVersion: 410, re-list
    await server.close();
    const other = await start({ dataDir, port: 0, eventWindow: 3 } as { dataDir: string; port: number });
    const c2 = new KubeClient({ url: other.url, caPem: other.caPem, token: other.token });
    for (let i = 0; i < 6; i++) await c2.create(R.configmaps, 'default', cm(`x${i}`));
    await c2.delete(R.configmaps, 'default', 'b');
    c2.close();
    await other.close();
    server = await start({ dataDir, port: 0, eventWindow: 3 } as { dataDir: string; port: number });
    px.target = server.port;
    await eventually(() => inf.list('default').filter((o) => o.metadata?.name?.startsWith('x')).length === 6 && !inf.get('default', 'b'), 30_000, 'the re-list');
    assert.ok(events.includes('delete b'), 'a deletion missed while away is reported after the re-list');
    assert.equal(inf.lists, 2);
  } finally {
    await inf.stop();
    client.close();
    await server.close();
    await px.close();
    await c.close().catch(() => {});
  }
});

test('shared informers: one per resource in a factory, indexers (namespace, owner uid, custom), resync', async () => {
  const c = await startTestCluster();
  const client = new KubeClient(c.kubeconfig, { qps: 0 });
  const f = new InformerFactory(client, { resyncMs: 300 });
  try {
    const inf = f.for(R.configmaps);
    assert.equal(f.for(R.configmaps), inf, 'one informer per resource type');
    inf.addIndexer('by-k', (o) => [String((o.data as Record<string, string> | undefined)?.k ?? '')]);
    let resyncs = 0;
    inf.on({ add: () => { throw new Error('a broken handler'); } });
    inf.on({ update: (a, b) => a === b && resyncs++ });
    f.start();
    await f.waitForSync();
    await c.k(['create', 'namespace', 'other']);
    const owner = await client.create(R.configmaps, 'default', cm('owner'));
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid!, controller: true };
    await client.create(R.configmaps, 'default', cm('child-1', { ownerReferences: [ref] }));
    await client.create(R.configmaps, 'other', cm('child-2'));
    await eventually(() => inf.get('other', 'child-2') && inf.get('default', 'child-1'), 10_000, 'the cache');
    assert.deepEqual(inf.byIndex(OWNER_UID_INDEX, owner.metadata!.uid!).map((o) => o.metadata?.name), ['child-1']);
    assert.ok(inf.list('other').some((o) => o.metadata?.name === 'child-2'));
    assert.ok(!inf.list('default').some((o) => o.metadata?.name === 'child-2'));
    assert.deepEqual(inf.byIndex('by-k', 'child-2').map((o) => o.metadata?.namespace), ['other']);
    await client.delete(R.configmaps, 'default', 'child-1');
    await eventually(() => inf.byIndex(OWNER_UID_INDEX, owner.metadata!.uid!).length === 0, 10_000, 'index updated on delete');
    await eventually(() => resyncs > inf.size, 10_000, 'a resync re-delivers the cache');
  } finally {
    await f.stop();
    client.close();
    await c.close();
  }
});

test('stripManagedFields: the cache holds objects without metadata.managedFields (listed and watched); without it they are kept', async () => {
  const c = await startTestCluster();
  const client = new KubeClient(c.kubeconfig, { qps: 0 });
  const stripped = new InformerFactory(client, { stripManagedFields: true });
  const kept = new InformerFactory(client);
  try {
    await client.create(R.configmaps, 'default', cm('before'));
    const a = stripped.for(R.configmaps);
    const b = kept.for(R.configmaps);
    stripped.start();
    kept.start();
    await Promise.all([stripped.waitForSync(), kept.waitForSync()]);
    await client.create(R.configmaps, 'default', cm('after'));
    await client.patch(R.configmaps, 'default', 'before', { data: { k: 'changed' } });
    await eventually(() => a.get('default', 'after') && b.get('default', 'after') && (a.get('default', 'before')?.data as { k?: string } | undefined)?.k === 'changed', 10_000, 'the caches');
    for (const n of ['before', 'after']) {
      assert.equal(a.get('default', n)!.metadata!.managedFields, undefined, n);
      assert.ok((b.get('default', n)!.metadata!.managedFields as unknown[] | undefined)?.length, `${n} keeps its managedFields without the option`);
      assert.equal(a.get('default', n)!.metadata!.resourceVersion, b.get('default', n)!.metadata!.resourceVersion);
    }
  } finally {
    await Promise.all([stripped.stop(), kept.stop()]);
    client.close();
    await c.close();
  }
});

test('an unreachable server: the informer says so, naming the URL, backs off, and syncs once it answers', async () => {
  const c = await startTestCluster();
  const px = await proxy();
  px.target = 1; // nothing listens there
  const logs: string[] = [];
  const client = new KubeClient({ url: `https://127.0.0.1:${px.port}`, caPem: c.server.caPem, token: c.server.token });
  const inf = new Informer(client, R.namespaces, { log: (m) => logs.push(m) });
  inf.start();
  try {
    await eventually(() => logs.length >= 3, 10_000, 'failures logged');
    assert.match(logs[0], new RegExp(`informer namespaces: list failed \\(retrying in 100 ms\\): GET https://127\\.0\\.0\\.1:${px.port}/api/v1/namespaces`));
    assert.match(logs[1], /retrying in 200 ms/, 'exponential back-off');
    assert.ok(!inf.hasSynced);
    px.target = c.server.port;
    await inf.synced;
    assert.ok(inf.get(undefined, 'default'));
    await eventually(() => logs.some((l) => l.includes(`connected again to https://127.0.0.1:${px.port}`)), 5000, 'recovery logged');
  } finally {
    await inf.stop();
    client.close();
    await px.close();
    await c.close();
  }
});

test('an informer stopped right after it synced stops at once (the watch being opened is not left running)', async () => {
  const c = await startTestCluster();
  const client = new KubeClient(c.kubeconfig);
  try {
    for (let i = 0; i < 3; i++) {
      const inf = new Informer(client, R.namespaces);
      inf.start();
      await inf.synced;
      const t = Date.now();
      await Promise.race([inf.stop(), new Promise((_r, rej) => setTimeout(() => rej(new Error('stop() hung')), 5000))]);
      assert.ok(Date.now() - t < 5000);
    }
  } finally {
    client.close();
    await c.close();
  }
});

test('the API server as a process, killed and started again on its port: the informer resumes without a re-list', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-inf-proc-'));
  let server = await startApiServerProcess(join(dir, 'data'));
  const client = new KubeClient(server.kubeconfig);
  const inf = new Informer(client, R.configmaps, { namespace: 'default' });
  inf.start();
  try {
    await inf.synced;
    await client.create(R.configmaps, 'default', cm('one'));
    await eventually(() => inf.get('default', 'one'), 10_000, 'one');
    server.proc.kill('SIGKILL');
    await new Promise((r) => server.proc.once('exit', r));
    server = await startApiServerProcess(join(dir, 'data'), { port: server.port });
    await client.create(R.configmaps, 'default', cm('two'));
    await eventually(() => inf.get('default', 'two'), 20_000, 'two, after the restart');
    assert.equal(inf.lists, 1, 'resumed from its resourceVersion');
  } finally {
    await inf.stop();
    client.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
