/**
 * pods/log is proxied to the kubelet named by the pod's Node. The kubelet here is a small
 * stand-in HTTP server (the real one is the node agent, tested in its own package); what is under
 * test is the API server's routing, parameter forwarding and streaming, driven by the real kubectl.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestCluster, type TestCluster } from './testutil.js';

let c: TestCluster;
let kubelet: Server;
const seen: { url: string; auth?: string }[] = [];

describe('pods/log through the kubelet', { timeout: 60_000 }, () => {
  before(async () => {
    c = await startTestCluster();
    kubelet = createServer((req, res) => {
      seen.push({ url: req.url!, auth: req.headers.authorization });
      const u = new URL(req.url!, 'http://x');
      const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(u.pathname);
      if (!m) {
        res.writeHead(404).end('no such container');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      const lines = ['one', 'two', 'three'].map((l) => `${m[3]}: ${l}\n`);
      const tail = Number(u.searchParams.get('tailLines') ?? 0);
      res.write((tail ? lines.slice(-tail) : lines).join(''));
      if (u.searchParams.get('follow') === 'true') {
        setTimeout(() => res.end(`${m[3]}: followed\n`), 200);
      } else res.end();
    });
    await new Promise<void>((r) => kubelet.listen(0, '127.0.0.1', () => r()));
    const port = (kubelet.address() as AddressInfo).port;
    const node = await c.req('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
    assert.equal(node.status, 201, node.text);
    const st = await c.req('PATCH', '/api/v1/nodes/n1/status', { status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: port } } } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(st.status, 200, st.text);
    for (const [name, nodeName, containers] of [['p1', 'n1', ['app']], ['p2', 'n1', ['a', 'b']], ['pending', undefined, ['app']]] as const) {
      const r = await c.req('POST', '/api/v1/namespaces/default/pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name },
        spec: { ...(nodeName ? { nodeName } : {}), containers: containers.map((n) => ({ name: n, image: 'busybox' })) },
      });
      assert.equal(r.status, 201, r.text);
    }
  });
  after(async () => {
    await c?.close();
    kubelet?.close();
  });

  it('kubectl logs streams from the kubelet with the parameters forwarded', async () => {
    assert.equal(await c.k(['logs', 'p1']), 'app: one\napp: two\napp: three\n');
    assert.equal(await c.k(['logs', 'p1', '--tail=1']), 'app: three\n');
    assert.match(seen.at(-1)!.url, /^\/containerLogs\/default\/p1\/app\?tailLines=1/);
    assert.equal(seen.at(-1)!.auth, `Bearer ${c.server.token}`);
    assert.equal(await c.k(['logs', '-f', 'p1']), 'app: one\napp: two\napp: three\napp: followed\n');
    assert.equal(await c.k(['logs', 'p2', '-c', 'b', '--timestamps']), 'b: one\nb: two\nb: three\n');
    assert.match(seen.at(-1)!.url, /timestamps=true/);
  });

  it('says which container to pick, and when a pod is not scheduled', async () => {
    const many = await c.kubectl(['logs', 'p2']);
    assert.equal(many.code, 0, 'kubectl picks the first container itself');
    assert.match(many.stderr, /Defaulted container "a"/);
    const api = await c.req('GET', '/api/v1/namespaces/default/pods/p2/log');
    assert.equal(api.status, 400);
    assert.match(api.body.message, /a container name must be specified for pod p2, choose one of: \[a b\]/);
    const wrong = await c.kubectl(['logs', 'p1', '-c', 'nope']);
    assert.match(wrong.stderr, /container nope is not valid for pod p1/);
    const pending = await c.kubectl(['logs', 'pending']);
    assert.notEqual(pending.code, 0);
    assert.match(pending.stderr, /not scheduled to a node yet/);
  });
});
