/** ClientOptions.onRequest: every answered request (and watch) is reported with method, path and status code. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { KubeClient } from './client.js';
import { R } from './resources.js';

async function server(): Promise<{ url: string; close(): Promise<void> }> {
  const srv = createServer((req, res) => {
    const u = new URL(req.url!, 'http://x');
    if (u.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a', resourceVersion: '2' } } }) + '\n');
      return;
    }
    if (u.pathname.endsWith('/missing')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', reason: 'NotFound', message: 'not found', code: 404 }));
      return;
    }
    res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ metadata: { name: 'x', resourceVersion: '1' }, items: [] }));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(srv.address() as { port: number }).port}`, close: () => new Promise<void>((r) => srv.close(() => r())) };
}

test('onRequest sees each request, its path and status code, watches flagged; derived clients share it; a throwing observer does not fail the request', async () => {
  const srv = await server();
  const seen: string[] = [];
  const c = new KubeClient({ url: srv.url }, { qps: 0, onRequest: (m, p, code, watch) => seen.push(`${m} ${p} ${code}${watch ? ' watch' : ''}`) });
  try {
    await c.get(R.configmaps, 'ns', 'x');
    await assert.rejects(c.get(R.configmaps, 'ns', 'missing'), /not found/);
    await c.list(R.configmaps, 'ns', { labelSelector: 'a=b' });
    await c.create(R.configmaps, 'ns', { metadata: { name: 'x' } });
    await c.watch('/api/v1/namespaces/ns/configmaps', { resourceVersion: '1' }, () => {}, new AbortController().signal);
    const d = c.derive({ qps: 0 });
    await d.get(R.configmaps, 'ns', 'x');
    d.close();
    assert.deepEqual(seen, [
      'GET /api/v1/namespaces/ns/configmaps/x 200',
      'GET /api/v1/namespaces/ns/configmaps/missing 404',
      'GET /api/v1/namespaces/ns/configmaps 200',
      'POST /api/v1/namespaces/ns/configmaps 201',
      'GET /api/v1/namespaces/ns/configmaps 200 watch',
      'GET /api/v1/namespaces/ns/configmaps/x 200',
    ]);
    const t = new KubeClient({ url: srv.url }, { qps: 0, onRequest: () => { throw new Error('observer bug'); } });
    assert.equal((await t.get(R.configmaps, 'ns', 'x')).metadata?.name, 'x');
    t.close();
  } finally {
    c.close();
    await srv.close();
  }
});

test('work queue: busy counts the keys taken by workers and not done yet', async () => {
  const { WorkQueue } = await import('./queue.js');
  const q = new WorkQueue({ baseDelayMs: 1, qps: 1000, burst: 1000 });
  q.add('a');
  q.add('b');
  q.add('c');
  assert.equal(q.busy, 0);
  const a = await q.get();
  const b = await q.get();
  assert.equal(q.busy, 2);
  q.done(a!);
  assert.equal(q.busy, 1);
  q.done(b!);
  assert.equal(q.busy, 0);
  await q.shutdown();
});
