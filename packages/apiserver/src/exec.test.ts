/**
 * pods/{name}/exec, attach and portforward: the API server checks the request (auth, pod,
 * container, node) and then proxies the upgrade as it is to the kubelet of the pod's node. The
 * kubelet here is a stand-in that records the request, answers 101 and echoes bytes; the real
 * protocols with the real kubectl and node agent are tested in node-agent's streaming.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { startTestCluster, type TestCluster } from './testutil.js';

let c: TestCluster;
let kubelet: Server;
const seen: { method: string; url: string; headers: IncomingMessage['headers'] }[] = [];

/** Sends an upgrade request over TLS; resolves with the response head and, after 101, an echo of `send`. */
function upgrade(
  path: string,
  o: { token?: string | null; method?: string; upgrade?: string; send?: string } = {},
): Promise<{ status: number; head: string; body: string; echoed?: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(c.server.url);
    const s = tlsConnect({ host: u.hostname, port: Number(u.port), ca: c.server.caPem, servername: 'localhost' }, () => {
      const token = o.token === undefined ? c.server.token : o.token;
      s.write(
        [
          `${o.method ?? 'POST'} ${path} HTTP/1.1`,
          `Host: ${u.host}`,
          ...(token ? [`Authorization: Bearer ${token}`] : []),
          'Connection: Upgrade',
          `Upgrade: ${o.upgrade ?? 'SPDY/3.1'}`,
          'X-Stream-Protocol-Version: v4.channel.k8s.io',
          '',
          '',
        ].join('\r\n'),
      );
    });
    let buf = Buffer.alloc(0);
    let status = 0;
    let head = '';
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!status) {
        const i = buf.indexOf('\r\n\r\n');
        if (i < 0) return;
        head = buf.subarray(0, i).toString();
        status = Number(head.split(' ')[1]);
        buf = buf.subarray(i + 4);
        if (status === 101 && o.send) s.write(o.send);
      }
      if (status === 101 && o.send && buf.length >= o.send.length) {
        s.destroy();
        resolve({ status, head, body: '', echoed: buf.toString() });
      }
    });
    s.on('end', () => resolve({ status, head, body: buf.toString() }));
    s.on('error', reject);
  });
}

describe('pods/exec, attach, portforward through the kubelet', { timeout: 60_000 }, () => {
  before(async () => {
    c = await startTestCluster();
    kubelet = createServer((req, res) => res.writeHead(404).end());
    kubelet.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers });
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${req.headers.upgrade}\r\n\r\n`);
      if (head.length) socket.write(head);
      socket.pipe(socket);
    });
    await new Promise<void>((r) => kubelet.listen(0, '127.0.0.1', () => r()));
    const port = (kubelet.address() as AddressInfo).port;
    for (const [name, p] of [
      ['n1', port],
      ['gone', 1],
    ] as const) {
      assert.equal((await c.req('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name } })).status, 201);
      const st = await c.req('PATCH', `/api/v1/nodes/${name}/status`, { status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: p } } } }, { 'content-type': 'application/merge-patch+json' });
      assert.equal(st.status, 200, st.text);
    }
    const pods: [string, string | undefined, string[], Record<string, string>?][] = [
      ['p1', 'n1', ['app']],
      ['two', 'n1', ['a', 'b']],
      ['annotated', 'n1', ['a', 'b'], { 'kubectl.kubernetes.io/default-container': 'b' }],
      ['pending', undefined, ['app']],
      ['lost', 'gone', ['app']],
    ];
    for (const [name, nodeName, containers, annotations] of pods) {
      const r = await c.req('POST', '/api/v1/namespaces/default/pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, ...(annotations ? { annotations } : {}) },
        spec: { ...(nodeName ? { nodeName } : {}), initContainers: name === 'two' ? [{ name: 'init', image: 'busybox' }] : undefined, containers: containers.map((n) => ({ name: n, image: 'busybox' })) },
      });
      assert.equal(r.status, 201, r.text);
    }
  });
  after(async () => {
    await c?.close();
    kubelet?.close();
  });

  it('proxies an exec upgrade to the kubelet with its path, parameters and token, then pipes bytes both ways', async () => {
    // a ServiceAccount's token: the kubelet must see the API server's own token instead
    await c.req('POST', '/api/v1/namespaces/default/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'execer' } });
    const tr = await c.req('POST', '/api/v1/namespaces/default/serviceaccounts/execer/token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} });
    const token = tr.body.status.token as string;
    // RBAC: without create on pods/exec the upgrade is refused before it reaches the kubelet
    const refused = await upgrade('/api/v1/namespaces/default/pods/p1/exec?command=true&stdout=1', { token });
    assert.equal(refused.status, 403, refused.head);
    assert.match(refused.body, /pods \\"p1\\" is forbidden: User \\"system:serviceaccount:default:execer\\" cannot create resource \\"pods\/exec\\"/);
    await c.req('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'exec' }, rules: [{ apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] }] });
    await c.req('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'execer-exec' },
      subjects: [{ kind: 'ServiceAccount', name: 'execer', namespace: 'default' }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'exec' },
    });
    const r = await upgrade('/api/v1/namespaces/default/pods/p1/exec?command=sh&command=-c&command=echo%20hi&stdin=true&stdout=true&stderr=true&tty=false', { token, send: 'ping-bytes' });
    assert.equal(r.status, 101, r.head);
    assert.match(r.head, /Upgrade: SPDY\/3\.1/);
    assert.equal(r.echoed, 'ping-bytes');
    const k = seen.at(-1)!;
    assert.equal(k.method, 'POST');
    assert.equal(k.url, '/exec/default/p1/app?command=sh&command=-c&command=echo+hi&stdin=1&stdout=1&stderr=1');
    assert.equal(k.headers.authorization, `Bearer ${c.server.token}`);
    assert.equal(k.headers['x-stream-protocol-version'], 'v4.channel.k8s.io');
    assert.equal(k.headers.host, `127.0.0.1:${(kubelet.address() as AddressInfo).port}`);
  });

  it('attach and portforward go to their kubelet paths; GET WebSocket upgrades too', async () => {
    let r = await upgrade('/api/v1/namespaces/default/pods/two/attach?container=b&stdout=1&tty=1', { method: 'GET', upgrade: 'websocket', send: 'x' });
    assert.equal(r.status, 101, r.head);
    assert.equal(seen.at(-1)!.method, 'GET');
    assert.equal(seen.at(-1)!.url, '/attach/default/two/b?stdout=1&tty=1');
    r = await upgrade('/api/v1/namespaces/default/pods/p1/portforward?ports=8080', { send: 'y' });
    assert.equal(r.status, 101, r.head);
    assert.equal(seen.at(-1)!.url, '/portForward/default/p1?port=8080');
    r = await upgrade('/api/v1/namespaces/default/pods/p1/portforward', { method: 'GET', upgrade: 'websocket', send: 'z' });
    assert.equal(r.status, 101);
    assert.equal(seen.at(-1)!.url, '/portForward/default/p1');
  });

  it('defaults the container to the only one, or the default-container annotation', async () => {
    assert.equal((await upgrade('/api/v1/namespaces/default/pods/p1/exec?command=true&stdout=true', { send: '.' })).status, 101);
    assert.equal(seen.at(-1)!.url, '/exec/default/p1/app?command=true&stdout=1');
    assert.equal((await upgrade('/api/v1/namespaces/default/pods/annotated/exec?command=true&stdout=true', { send: '.' })).status, 101);
    assert.equal(seen.at(-1)!.url, '/exec/default/annotated/b?command=true&stdout=1');
  });

  it('answers Status errors worded as Kubernetes does', async () => {
    const cases: [string, number, string, string][] = [
      ['/api/v1/namespaces/default/pods/nope/exec?command=true&stdout=1', 404, 'NotFound', 'pods "nope" not found'],
      ['/api/v1/namespaces/default/pods/two/exec?command=true&stdout=1', 400, 'BadRequest', 'a container name must be specified for pod two, choose one of: [a b] or one of the init containers: [init]'],
      ['/api/v1/namespaces/default/pods/two/exec?command=true&stdout=1&container=nope', 400, 'BadRequest', 'container nope is not valid for pod two'],
      ['/api/v1/namespaces/default/pods/p1/exec?stdout=1', 400, 'BadRequest', 'you must specify at least 1 command'],
      ['/api/v1/namespaces/default/pods/p1/exec?command=true', 400, 'BadRequest', 'you must specify at least one of stdin, stdout, stderr'],
      ['/api/v1/namespaces/default/pods/pending/exec?command=true&stdout=1', 400, 'BadRequest', 'pod pending does not have a host assigned'],
      ['/api/v1/namespaces/default/pods/pending/portforward', 400, 'BadRequest', 'pod pending does not have a host assigned'],
      ['/api/v1/namespaces/default/pods/p1/portforward?ports=0', 400, 'BadRequest', 'ports: Invalid value: "0": must be between 1 and 65535, inclusive'],
    ];
    for (const [path, code, reason, message] of cases) {
      const r = await upgrade(path);
      assert.equal(r.status, code, `${path}: ${r.head}`);
      const st = JSON.parse(r.body);
      assert.equal(st.kind, 'Status');
      assert.equal(st.reason, reason, path);
      assert.equal(st.message, message, path);
    }
    const unauth = await upgrade('/api/v1/namespaces/default/pods/p1/exec?command=true&stdout=1', { token: null });
    assert.equal(unauth.status, 401);
    assert.equal(JSON.parse(unauth.body).reason, 'Unauthorized');
    const dial = await upgrade('/api/v1/namespaces/default/pods/lost/exec?command=true&stdout=1');
    assert.equal(dial.status, 500);
    assert.match(JSON.parse(dial.body).message, /^error dialing backend: .*127\.0\.0\.1:1/);
  });

  it('non-upgrade requests to connect subresources answer 400 Upgrade request required', async () => {
    for (const m of ['GET', 'POST']) {
      const r = await c.req(m, '/api/v1/namespaces/default/pods/p1/exec?command=true&stdout=1');
      assert.equal(r.status, 400);
      assert.equal(r.body.message, 'Upgrade request required');
    }
    assert.equal((await c.req('GET', '/api/v1/namespaces/default/pods/p1/portforward')).body.message, 'Upgrade request required');
    assert.equal((await c.req('POST', '/api/v1/namespaces/default/pods/p1/attach?stdout=1')).body.message, 'Upgrade request required');
  });

  it('an upgrade request to any other path is served as a plain request', async () => {
    const r = await upgrade('/api/v1/namespaces/default/pods/p1', { method: 'GET', upgrade: 'websocket' });
    assert.equal(r.status, 200, r.head);
    assert.equal(JSON.parse(r.body).metadata.name, 'p1');
  });

  it('kubectl exec reports the API server errors', async () => {
    let r = await c.kubectl(['exec', 'nope', '--', 'true']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /pods "nope" not found/);
    r = await c.kubectl(['exec', 'two', '-c', 'nope', '--', 'true']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /container nope is not valid for pod two/);
    r = await c.kubectl(['exec', 'pending', '--', 'true']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /pod pending does not have a host assigned/);
  });
});
