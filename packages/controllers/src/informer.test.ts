import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, connect, type Socket } from 'node:net';
import { startApiServer } from '@flotilla/apiserver';
import { KubeClient, loadKubeConfig, R } from './client.js';
import { Informer } from './informer.js';
import { eventually } from './testkit.js';

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

const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: name } });

test('an informer resumes its watch across an API server restart, and re-lists after 410 Gone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-inf-'));
  const dataDir = join(dir, 'data');
  let server = await startApiServer({ dataDir, port: 0 });
  const px = await proxy();
  px.target = server.port;
  const client = new KubeClient({ url: `https://127.0.0.1:${px.port}`, caPem: server.caPem, token: server.token });
  const inf = new Informer(client, R.configmaps, { namespace: 'default' });
  const events: string[] = [];
  inf.on({ add: (o) => events.push(`add ${o.metadata?.name}`), update: (_a, b) => events.push(`update ${b.metadata?.name}`), delete: (o) => events.push(`delete ${o.metadata?.name}`) });
  inf.start();
  try {
    await inf.synced;
    await client.create(R.configmaps, 'default', cm('a'));
    await eventually(() => inf.get('default', 'a'), 5000, 'a');

    // restart (same data, new process state): the watch resumes from its resourceVersion
    await server.close();
    server = await startApiServer({ dataDir, port: 0 });
    px.target = server.port;
    await client.create(R.configmaps, 'default', cm('b'));
    await client.delete(R.configmaps, 'default', 'a');
    await eventually(() => inf.get('default', 'b') && !inf.get('default', 'a'), 10_000, 'b added and a deleted after the restart');
    assert.deepEqual(events, ['add a', 'add b', 'delete a']);

    // the server comes back with a history too short for the informer's resourceVersion: 410, re-list
    await server.close();
    const other = await startApiServer({ dataDir, port: 0, eventWindow: 3 });
    const c2 = new KubeClient({ url: other.url, caPem: other.caPem, token: other.token });
    for (let i = 0; i < 6; i++) await c2.create(R.configmaps, 'default', cm(`x${i}`));
    await c2.delete(R.configmaps, 'default', 'b');
    c2.close();
    await other.close();
    server = await startApiServer({ dataDir, port: 0, eventWindow: 3 });
    px.target = server.port;
    await eventually(() => inf.list('default').filter((o) => o.metadata?.name?.startsWith('x')).length === 6 && !inf.get('default', 'b'), 15_000, 'the re-list');
    assert.ok(events.includes('delete b'), 'a deletion missed while away is reported after the re-list');
  } finally {
    await inf.stop();
    client.close();
    await server.close();
    await px.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kubeconfig sources: a path, YAML text, a KubeConfig, or a server handle', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-kc-'));
  const server = await startApiServer({ dataDir: join(dir, 'data'), port: 0 });
  try {
    const path = server.writeKubeconfig(join(dir, 'kubeconfig'));
    for (const src of [path, server.kubeconfig(), loadKubeConfig(path), { url: server.url, caPem: server.caPem, token: server.token }]) {
      const c = new KubeClient(src);
      const ns = await c.get(R.namespaces, undefined, 'default');
      assert.equal(ns.metadata?.name, 'default');
      assert.equal(c.caPem?.trim() ?? server.caPem.trim(), server.caPem.trim());
      c.close();
    }
    const bad = new KubeClient({ url: server.url, caPem: server.caPem, token: 'nope' });
    await assert.rejects(bad.get(R.namespaces, undefined, 'default'), (e: any) => e.code === 401);
    bad.close();
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
