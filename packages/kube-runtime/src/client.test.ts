/** The client without an API server: reused-socket retries, rate limiting, unreachable and blackholed servers, watch deadlines. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { KubeClient, ApiError, isIdempotent } from './client.js';
import { R } from './resources.js';
import { TokenBucket } from './ratelimit.js';
import { blackholedPort } from './testkit.js';

/**
 * A plain-HTTP server that answers every request on a connection with keep-alive, except that the
 * second request arriving on a reused connection gets the socket closed instead of an answer (what a
 * server that timed the idle socket out, or restarted, does).
 */
async function flakyServer(): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const socks = new Set<Socket>();
  let closedOnce = false;
  const srv = createServer((s) => {
    socks.add(s);
    let n = 0;
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\r\n\r\n')) >= 0) {
        const head = buf.slice(0, i);
        const len = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < i + 4 + len) return;
        buf = buf.slice(i + 4 + len);
        n++;
        requests.push(head.split(' ').slice(0, 2).join(' '));
        if (n === 2 && !closedOnce) {
          closedOnce = true;
          s.destroy();
          return;
        }
        const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', unknownField: 'kept' } });
        s.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: keep-alive\r\n\r\n${body}`);
      }
    });
    s.on('close', () => socks.delete(s));
    s.on('error', () => {});
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        for (const s of socks) s.destroy();
        srv.close(() => r());
      }),
  };
}

test('an idempotent request whose reused keep-alive socket the server closed is retried once on a new connection', async () => {
  const srv = await flakyServer();
  const c = new KubeClient({ url: srv.url }, { qps: 0 });
  try {
    const a = await c.get(R.configmaps, 'default', 'x');
    assert.equal((a.metadata as Record<string, unknown>).unknownField, 'kept', 'unknown fields are kept');
    const b = await c.get(R.configmaps, 'default', 'x'); // reused socket, closed by the server: retried
    assert.equal(b.metadata?.name, 'x');
    assert.deepEqual(srv.requests, ['GET /api/v1/namespaces/default/configmaps/x', 'GET /api/v1/namespaces/default/configmaps/x', 'GET /api/v1/namespaces/default/configmaps/x']);
  } finally {
    c.close();
    await srv.close();
  }
});

test('a POST on a reused socket that the server closed is not sent twice', async () => {
  const srv = await flakyServer();
  const c = new KubeClient({ url: srv.url }, { qps: 0 });
  try {
    await c.get(R.configmaps, 'default', 'x');
    await assert.rejects(c.create(R.configmaps, 'default', { metadata: { name: 'y' } }), (e: ApiError) => e.code === 0 && /POST http:\/\/127\.0\.0\.1:\d+\/api\/v1\/namespaces\/default\/configmaps/.test(e.message));
    assert.equal(srv.requests.filter((r) => r.startsWith('POST')).length, 1);
    assert.ok(isIdempotent('PATCH', 'application/merge-patch+json') && isIdempotent('PATCH', 'application/apply-patch+yaml'));
    assert.ok(!isIdempotent('PATCH', 'application/json-patch+json') && !isIdempotent('POST'));
  } finally {
    c.close();
    await srv.close();
  }
});

test('client-side rate limit: qps/burst as a token bucket', async () => {
  let t = 0;
  const b = new TokenBucket(5, 2, () => t);
  assert.deepEqual([b.reserve(), b.reserve()], [0, 0], 'the burst goes at once');
  assert.equal(b.reserve(), 200, 'then one every 1/qps s');
  assert.equal(b.reserve(), 400);
  t = 1000; // 5 tokens later (capped at the burst), two of them already reserved
  assert.equal(b.reserve(), 0);
  assert.equal(new TokenBucket(0, 0).reserve(), 0, 'qps 0: no limit');

  const srv = await flakyServer();
  const c = new KubeClient({ url: srv.url }, { qps: 10, burst: 2 });
  try {
    const start = performance.now();
    await c.get(R.configmaps, 'default', 'x');
    for (let i = 0; i < 6; i++) await c.get(R.configmaps, 'default', 'x');
    const ms = performance.now() - start;
    assert.ok(ms >= 450, `7 requests at 10 qps with a burst of 2 take ≥ 0.5 s (took ${ms.toFixed(0)} ms)`);
  } finally {
    c.close();
    await srv.close();
  }
});

test('a request held over 1 s by the rate limit is reported, as client-go does (once every 10 s at most)', async () => {
  const srv = await flakyServer();
  const warnings: string[] = [];
  const c = new KubeClient({ url: srv.url }, { qps: 1, burst: 1, warn: (m) => warnings.push(m) });
  try {
    // one goes at once, the next waits ~1 s, the one after ~2 s: a single report
    await Promise.all([0, 1, 2].map(() => c.get(R.configmaps, 'default', 'x').catch(() => undefined)));
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0], /^Waited for [12]\.\d{3}s due to client-side throttling \(qps 1, burst 1\), request: GET:http:\/\/127\.0\.0\.1:\d+\/api\/v1\/namespaces\/default\/configmaps\/x$/);
  } finally {
    c.close();
    await srv.close();
  }
});

test('an unreachable server: the error names the URL', async () => {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  const c = new KubeClient({ url: `https://127.0.0.1:${port}` });
  await assert.rejects(c.list(R.pods), (e: ApiError) => e.code === 0 && e.message.includes(`GET https://127.0.0.1:${port}/api/v1/pods`) && /ECONNREFUSED/.test(e.message));
  c.close();
});

test('a request or watch whose connection never completes fails after the request timeout (not after the kernel gives up)', { timeout: 20_000 }, async () => {
  const hole = await blackholedPort();
  const c = new KubeClient({ url: `http://127.0.0.1:${hole.port}` }, { qps: 0, timeoutMs: 400 });
  try {
    const start = Date.now();
    const within = <T>(p: Promise<T>) => Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('still waiting after 3 s')), 3000).unref())]);
    await assert.rejects(within(c.get(R.configmaps, 'default', 'x')), (e: ApiError) => e.code === 0 && /no answer in 400 ms/.test(e.message));
    assert.ok(Date.now() - start < 2000, `failed after ${Date.now() - start} ms`);
    const ac = new AbortController();
    await assert.rejects(within(c.watch('/api/v1/configmaps', {}, () => {}, ac.signal)), (e: ApiError) => e.code === 0 && /watch http.*no answer in 400 ms/.test(e.message));
  } finally {
    c.close();
    hole.close();
  }
});

test('a watch the server never ends is ended by the client after its timeoutSeconds (the caller watches again)', { timeout: 20_000 }, async () => {
  const socks = new Set<Socket>();
  const srv = createServer((s) => {
    socks.add(s);
    s.on('error', () => {});
    s.once('data', () => {
      const ev = JSON.stringify({ type: 'ADDED', object: { kind: 'ConfigMap', metadata: { name: 'a', resourceVersion: '5' } } }) + '\n';
      // one event, then silence: the stream stays open
      s.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n${ev.length.toString(16)}\r\n${ev}\r\n`);
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const c = new KubeClient({ url: `http://127.0.0.1:${(srv.address() as { port: number }).port}` }, { qps: 0 });
  try {
    const events: string[] = [];
    const start = Date.now();
    await c.watch('/api/v1/configmaps', { timeoutSeconds: 1 }, (ev) => events.push(`${ev.type} ${ev.object.metadata?.name}`), new AbortController().signal);
    const ms = Date.now() - start;
    assert.deepEqual(events, ['ADDED a']);
    assert.ok(ms >= 1000 && ms < 10_000, `ended after ${ms} ms`);
  } finally {
    c.close();
    for (const s of socks) s.destroy();
    await new Promise<void>((r) => srv.close(() => r()));
  }
});

test('watch events are split at their newlines whatever the chunks: one event over many chunks, several in one, blank lines, a multi-byte character cut in two', { timeout: 20_000 }, async () => {
  const big = 'é'.repeat(40_000); // 80 KB of two-byte characters
  const evs = [
    { type: 'ADDED', object: { kind: 'ConfigMap', metadata: { name: 'a', resourceVersion: '1' }, data: { big } } },
    { type: 'MODIFIED', object: { kind: 'ConfigMap', metadata: { name: 'b', resourceVersion: '2' } } },
    { type: 'DELETED', object: { kind: 'ConfigMap', metadata: { name: 'c', resourceVersion: '3' } } },
    { type: 'ADDED', object: { kind: 'ConfigMap', metadata: { name: 'd', resourceVersion: '4' }, data: { big: big.slice(0, 5) } } },
  ];
  const body = Buffer.from(`${JSON.stringify(evs[0])}\n${JSON.stringify(evs[1])}\n\n${JSON.stringify(evs[2])}\n${JSON.stringify(evs[3])}\n`);
  // cuts: inside the big event many times (at odd byte offsets, so inside 'é'), then the three small ones in one chunk
  const cuts = [1, 2, 3, 7001, 7002, 16_385, 40_001, 80_003];
  const socks = new Set<Socket>();
  const srv = createServer((s) => {
    socks.add(s);
    s.on('error', () => {});
    s.once('data', async () => {
      s.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n');
      let at = 0;
      for (const end of [...cuts, body.length]) {
        const part = body.subarray(at, end);
        at = end;
        s.write(`${part.length.toString(16)}\r\n`);
        s.write(part);
        s.write('\r\n');
        await new Promise((r) => setTimeout(r, 5));
      }
      s.end('0\r\n\r\n');
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const c = new KubeClient({ url: `http://127.0.0.1:${(srv.address() as { port: number }).port}` }, { qps: 0 });
  try {
    const got: Array<{ type: string; object: any }> = [];
    await c.watch('/api/v1/configmaps', {}, (ev) => got.push(ev as any), new AbortController().signal);
    assert.deepEqual(got, evs);
  } finally {
    c.close();
    for (const s of socks) s.destroy();
    await new Promise<void>((r) => srv.close(() => r()));
  }
});

test('the request line is what URL makes of the server path, the resource path and the query (plain paths are joined as text)', async () => {
  const lines: string[] = [];
  const srv = createServer((s) => {
    s.on('data', (d) => {
      lines.push(d.toString().split('\r\n')[0]!);
      const body = '{}';
      s.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  try {
    for (const base of [`http://127.0.0.1:${port}`, `http://127.0.0.1:${port}/k8s/clusters/c-1/`]) {
      const c = new KubeClient({ url: base });
      const cases: [string, Record<string, string | number | boolean | undefined>][] = [
        ['/api/v1/namespaces/default/configmaps/a.b-c', {}],
        ['/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/system:controller:x', {}],
        ['/api/v1/namespaces/ns/pods', { labelSelector: 'app in (a, b),tier!=x', fieldSelector: 'status.phase=Running', limit: 5, continue: '' }],
        ['/api/v1/namespaces/ns/pods/p/log', { container: 'main', follow: false, sinceSeconds: undefined }],
        ['/api/v1/namespaces/ns/configmaps/with space', {}],
        ['/api/v1/namespaces/ns/../other/configmaps', {}],
        ['/api/v1/namespaces/ns/pods?watch=1', { resourceVersion: '5' }],
        ['/api/v1/namespaces/ns/configmaps/é', {}],
      ];
      for (const [path, query] of cases) {
        lines.length = 0;
        await c.request('GET', path, { query });
        const u = c.url(path, query);
        assert.equal(lines[0], `GET ${u.pathname}${u.search} HTTP/1.1`, `${base} ${path}`);
      }
      c.close();
    }
  } finally {
    await new Promise<void>((r) => srv.close(() => r()));
  }
});
