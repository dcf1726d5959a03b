/**
 * HTTP/2 on the TLS port (upstream's TestReadinessProbe "HTTP/2 GET"): a client that negotiates h2 (ALPN) gets the UI
 * page, the API (bodies in and out, errors, the version header) and streams (server-sent events) over HTTP/2;
 * HTTP/1.1 keeps working on the same port.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type ClientHttp2Session } from 'node:http2';
import { startEnv, type Env } from './testenv.js';
import { AR } from './resources.js';

const ns = 'argo';
let env: Env;
let h2: ClientHttp2Session;

before(async () => {
  env = await startEnv({ authModes: ['server', 'client'] });
  h2 = connect(env.base, { rejectUnauthorized: false });
  h2.on('error', () => {});
}, { timeout: 120_000 });

after(async () => {
  h2?.close();
  await env?.close();
});

interface H2Resp {
  status: number;
  headers: Record<string, unknown>;
  text: string;
}

/** One request over the HTTP/2 session; `until`: stop reading once the text so far satisfies it (a stream). */
function req(method: string, path: string, o: { body?: unknown; headers?: Record<string, string>; until?: (text: string) => boolean } = {}): Promise<H2Resp> {
  return new Promise((resolve, reject) => {
    const data = o.body === undefined ? undefined : JSON.stringify(o.body);
    const s = h2.request({ ':method': method, ':path': path, ...(data ? { 'content-type': 'application/json' } : {}), ...(o.headers ?? {}) });
    let status = 0;
    let headers: Record<string, unknown> = {};
    let text = '';
    const t = setTimeout(() => {
      s.close();
      resolve({ status, headers, text });
    }, 10_000);
    s.on('response', (h) => {
      status = Number(h[':status']);
      headers = h;
    });
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      text += d;
      if (o.until?.(text)) {
        clearTimeout(t);
        s.close();
        resolve({ status, headers, text });
      }
    });
    s.on('end', () => {
      clearTimeout(t);
      resolve({ status, headers, text });
    });
    s.on('error', reject);
    s.end(data);
  });
}

test('HTTP/2: the UI page (the readiness probe), negotiated by ALPN', async () => {
  const r = await req('GET', '/');
  assert.equal(r.status, 200, r.text);
  assert.match(String(r.headers['content-type']), /^text\/html/);
  assert.equal(h2.alpnProtocol, 'h2');
  const h1 = await env.call('GET', '/');
  assert.equal(h1.status, 200, 'HTTP/1.1 on the same port');
});

test('HTTP/2: the API — a JSON body in, the object out, an error, the version header', async () => {
  const wf = { metadata: { name: 'over-h2' }, spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'busybox' } }] } };
  const c = await req('POST', `/api/v1/workflows/${ns}`, { body: { workflow: wf } });
  assert.equal(c.status, 200, c.text);
  assert.equal(JSON.parse(c.text).metadata.name, 'over-h2');
  assert.ok(c.headers['grpc-metadata-argo-version']);
  assert.equal((await env.client.get<any>(AR.workflows, ns, 'over-h2')).metadata.name, 'over-h2');
  const nf = await req('GET', `/api/v1/workflows/${ns}/nope`);
  assert.equal(nf.status, 404);
  assert.equal(JSON.parse(nf.text).code, 5);
  const v = await req('GET', '/api/v1/version');
  assert.equal(v.status, 200);
  assert.ok(JSON.parse(v.text).version);
});

test('HTTP/2: a watch as server-sent events', async () => {
  const r = await req('GET', `/api/v1/workflow-events/${ns}?listOptions.fieldSelector=metadata.name=over-h2`, { headers: { accept: 'text/event-stream' }, until: (t) => t.includes('over-h2') });
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'text/event-stream');
  assert.match(r.text, /^data: \{"result":\{"type":"ADDED"/);
});
