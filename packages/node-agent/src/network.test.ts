/**
 * Pod networking against a real API server and node agent: a network namespace per pod, the
 * service proxy (ClusterIP, round-robin over ready endpoints), cluster DNS, NodePort and
 * LoadBalancer Services reached from the host, the API server reached from a pod through the
 * `kubernetes` Service. Endpoints are written by the test (the endpoints controller is another
 * component). Skipped with a printed reason where the agent cannot make network namespaces.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { kubeletGet, cond, create, createPod, deletePod, ensureNamespace, getPod, httpGet, podManifest, podWhere, startEnv, waitFor, type Env } from './testutil.js';
import { detectNetns } from './network.js';

const can = detectNetns();
if (can.reason) console.log(`# skipping pod network tests: ${can.reason}`);

let env: Env;
const done = (p: any) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

async function logsOf(ns: string, name: string): Promise<string> {
  return (await kubeletGet(env, `/containerLogs/${ns}/${name}/c`)).body;
}

/** Runs `node -e script` in a pod of namespace ns until it exits; returns its output. */
async function runInPod(ns: string, name: string, script: string): Promise<string> {
  await createPod(env.api, ns, podManifest(name, { restartPolicy: 'Never', containers: [{ name: 'c', image: 'node:20', command: ['node', '-e', script] }] }));
  const p = await podWhere(env.api, ns, name, done, 'finished', 30_000);
  const out = await logsOf(ns, name);
  assert.equal(p.status.phase, 'Succeeded', `pod ${name} failed: ${out}`);
  return out;
}

/**
 * In-pod code: calls `then` once `name` resolves (for at most 15 s). The agent's DNS learns a new Service from
 * its watch a moment after the API answered the create; on a loaded machine a fixed pause was not always enough.
 */
const whenResolves = (name: string, then: string) =>
  `(function (t0) { const go = () => require('dns').lookup(${JSON.stringify(name)}, (e) => { if (e && Date.now() - t0 < 15000) return setTimeout(go, 200); (function () { ${then} })(); }); go(); })(Date.now());`;

function demoPod(name: string, color: string, labels: Record<string, string>): any {
  return podManifest(
    name,
    {
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'demo', image: `argoproj/rollouts-demo:${color}`, env: [{ name: 'LISTEN_ADDR', value: '0.0.0.0' }], ports: [{ name: 'http', containerPort: 8080 }], readinessProbe: { httpGet: { port: 8080, path: '/color' }, periodSeconds: 1 } }],
    },
    { labels },
  );
}

/** Endpoints for a Service, written as the endpoints controller would. */
async function putEndpoints(ns: string, name: string, ips: string[], port = 8080, portName = 'http'): Promise<void> {
  const body = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace: ns }, subsets: ips.length ? [{ addresses: ips.map((ip) => ({ ip })), ports: [{ name: portName, port, protocol: 'TCP' }] }] : [] };
  try {
    const cur = await env.api.request('GET', `/api/v1/namespaces/${ns}/endpoints/${name}`);
    await env.api.request('PUT', `/api/v1/namespaces/${ns}/endpoints/${name}`, { body: { ...body, metadata: { ...body.metadata, resourceVersion: cur.metadata.resourceVersion } } });
  } catch {
    await create(env.api, `/api/v1/namespaces/${ns}/endpoints`, body);
  }
}

describe('pod network (network namespaces)', { concurrency: false, timeout: 180_000, skip: !!can.reason }, () => {
  const ns = 'net';
  const ips: Record<string, string> = {};
  before(async () => {
    env = await startEnv({ network: 'netns' });
    await ensureNamespace(env.api, ns);
    for (const [n, c] of [
      ['blue-1', 'blue'],
      ['blue-2', 'blue'],
      ['blue-3', 'blue'],
      ['green-1', 'green'],
    ])
      await createPod(env.api, ns, demoPod(n, c, { app: 'demo', color: c }));
    for (const n of ['blue-1', 'blue-2', 'blue-3', 'green-1']) ips[n] = (await podWhere(env.api, ns, n, (p) => cond(p, 'Ready') === 'True', 'Ready')).status.podIP;
  });
  after(async () => {
    await env?.close();
  });

  it('gives every pod its own address and port space: four pods listen on 0.0.0.0:8080', async () => {
    assert.equal(env.agent.network, 'netns');
    const all = Object.values(ips);
    assert.equal(new Set(all).size, 4);
    for (const ip of all) assert.match(ip, /^10\.244\.\d+\.\d+$/);
    for (const [n, ip] of Object.entries(ips)) {
      const r = await httpGet(`http://${ip}:8080/color`, 2000, env.agent.dial);
      assert.equal(JSON.parse(r.body), n.split('-')[0]);
    }
  });

  it('routes a ClusterIP Service round-robin over ready endpoints, from another pod, by IP, env and DNS name', async () => {
    const svc = await create(env.api, `/api/v1/namespaces/${ns}/services`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'demo' },
      spec: { selector: { app: 'demo' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    });
    await putEndpoints(ns, 'demo', Object.values(ips));
    const script = `
      const http = require('http');
      const get = (host, port) => new Promise((res, rej) => http.get({ host, port, path: '/color', agent: false }, (r) => { let b=''; r.on('data', d => b += d); r.on('end', () => res(JSON.parse(b))); }).on('error', rej));
      (async () => {
        const counts = {};
        for (let i = 0; i < 40; i++) { const c = await get(process.env.DEMO_SERVICE_HOST, Number(process.env.DEMO_SERVICE_PORT)); counts[c] = (counts[c] || 0) + 1; }
        const byName = await get('demo', 80);
        const byFqdn = await get('demo.${ns}.svc.cluster.local', 80);
        console.log(JSON.stringify({ counts, byName, byFqdn, host: process.env.DEMO_SERVICE_HOST }));
      })().catch((e) => { console.error(e.message); process.exit(1); });`;
    const out = JSON.parse((await runInPod(ns, 'client-1', script)).trim());
    assert.equal(out.host, svc.spec.clusterIP);
    // 3 blue replicas and 1 green: the weights follow the replica counts exactly (round-robin)
    assert.deepEqual(out.counts, { blue: 30, green: 10 });
    assert.ok(['blue', 'green'].includes(out.byName));
    assert.ok(['blue', 'green'].includes(out.byFqdn));
  });

  it('takes endpoints out of rotation when Endpoints change (readiness), and refuses with none', async () => {
    await putEndpoints(ns, 'demo', [ips['green-1']]);
    await new Promise((r) => setTimeout(r, 300));
    const out = await runInPod(
      ns,
      'client-2',
      `const http = require('http'); let n = 0, got = new Set();
       const one = () => new Promise((res, rej) => http.get({ host: 'demo', port: 80, path: '/color', agent: false }, (r) => { let b=''; r.on('data', d => b += d); r.on('end', () => res(JSON.parse(b))); }).on('error', rej));
       (async () => { for (let i = 0; i < 6; i++) got.add(await one()); console.log([...got].join(',')); })().catch(e => { console.error(e.message); process.exit(1); });`,
    );
    assert.equal(out.trim(), 'green');
    await putEndpoints(ns, 'demo', []);
    await new Promise((r) => setTimeout(r, 300));
    const out2 = await runInPod(
      ns,
      'client-3',
      `require('http').get({ host: 'demo', port: 80, path: '/color', agent: false }, () => console.log('answered')).on('error', (e) => console.log('error ' + e.code));`,
    );
    assert.match(out2.trim(), /^error (ECONNRESET|ECONNREFUSED)$/);
    await putEndpoints(ns, 'demo', Object.values(ips));
  });

  it('NodePort and LoadBalancer Services answer on the host', async () => {
    const np = await create(env.api, `/api/v1/namespaces/${ns}/services`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'demo-np' },
      spec: { type: 'NodePort', selector: { app: 'demo' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    });
    await putEndpoints(ns, 'demo-np', [ips['blue-1'], ips['green-1']]);
    const nodePort = np.spec.ports[0].nodePort;
    const seen = await waitFor('the NodePort', async () => {
      const a = JSON.parse((await httpGet(`http://127.0.0.1:${nodePort}/color`)).body);
      const b = JSON.parse((await httpGet(`http://127.0.0.1:${nodePort}/color`)).body);
      return [a, b].sort().join(',');
    });
    assert.equal(seen, 'blue,green');

    await create(env.api, `/api/v1/namespaces/${ns}/services`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'demo-lb' },
      spec: { type: 'LoadBalancer', selector: { app: 'demo' }, ports: [{ name: 'http', port: 8081, targetPort: 8080 }] },
    });
    await putEndpoints(ns, 'demo-lb', [ips['green-1']]);
    const lb = await waitFor('a load balancer address', async () => {
      const s = await env.api.request('GET', `/api/v1/namespaces/${ns}/services/demo-lb`);
      return s.status?.loadBalancer?.ingress?.[0]?.ip;
    });
    assert.match(lb, /^127\.0\.1\.\d+$/);
    const r = await waitFor('the load balancer', async () => (await httpGet(`http://${lb}:8081/color`)).body);
    assert.equal(JSON.parse(r), 'green');
  });

  it('a pod reaches the API server through the kubernetes Service with its token', async () => {
    // RBAC: a ServiceAccount may do nothing until bound; let "default" read pods, as one would in Kubernetes
    await create(env.api, `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'pod-reader' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] });
    await create(env.api, `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'default-pod-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: ns }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
    });
    const out = await runInPod(
      ns,
      'api-client',
      `const fs = require('fs'); const https = require('https');
       const dir = '/var/run/secrets/kubernetes.io/serviceaccount';
       const req = https.request({ host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT, path: '/api/v1/namespaces/${ns}/pods/api-client',
         ca: fs.readFileSync(dir + '/ca.crt'), headers: { authorization: 'Bearer ' + fs.readFileSync(dir + '/token', 'utf8') } }, (r) => {
         let b = ''; r.on('data', (d) => b += d); r.on('end', () => { console.log(r.statusCode, process.env.KUBERNETES_SERVICE_HOST, JSON.parse(b).metadata?.name); });
       });
       req.on('error', (e) => { console.error(e.message); process.exit(1); }); req.end();`,
    );
    assert.equal(out.trim(), '200 10.96.0.1 api-client');
  });

  it('the nats and redis images run the host nats-server and redis-server, reached through Services', async (t) => {
    const have = (cmd: string) => ['/usr/sbin', '/usr/bin', '/usr/local/bin', '/usr/local/sbin'].some((d) => existsSync(`${d}/${cmd}`));
    const servers = [
      { image: 'nats:2.10', cmd: 'nats-server', port: 4222, send: '', expect: /^INFO \{/ },
      { image: 'redis:7', cmd: 'redis-server', port: 6379, send: 'PING\r\n', expect: /^\+PONG/ },
    ].filter((x) => {
      if (have(x.cmd)) return true;
      t.diagnostic(`skipping ${x.image}: ${x.cmd} is not installed (scripts/test.sh installs it)`);
      return false;
    });
    for (const x of servers) {
      const name = x.cmd.replace('-server', '');
      await createPod(env.api, ns, podManifest(name, { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: x.image, ports: [{ containerPort: x.port }], readinessProbe: { tcpSocket: { port: x.port }, periodSeconds: 1 } }] }));
      const p = await podWhere(env.api, ns, name, (p) => cond(p, 'Ready') === 'True', 'Ready', 30_000);
      await create(env.api, `/api/v1/namespaces/${ns}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ name: 'tcp', port: x.port }] } });
      await putEndpoints(ns, name, [p.status.podIP], x.port, 'tcp');
      await new Promise((r) => setTimeout(r, 300));
      const out = await runInPod(
        ns,
        `${name}-client`,
        whenResolves(name, `const s = require('net').connect(${x.port}, '${name}'); let b = '';
         s.on('connect', () => s.write(${JSON.stringify(x.send)}));
         s.on('data', (d) => { b += d; const i = b.indexOf('\\n'); if (i >= 0) { console.log(b.slice(0, i).trim()); s.destroy(); } });
         s.on('error', (e) => { console.error(e.message); process.exit(1); });`),
      );
      assert.match(out.trim(), x.expect, `${x.image}: ${out}`);
      await deletePod(env.api, ns, name);
    }
  });

  it('a container hostPort answers on host loopback; an ExternalName Service resolves as a CNAME', async () => {
    const hostPort = await new Promise<number>((resolve) => {
      const srv = createServer();
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    await createPod(env.api, ns, podManifest('hp', { terminationGracePeriodSeconds: 1, containers: [{ name: 'demo', image: 'argoproj/rollouts-demo:orange', ports: [{ containerPort: 8080, hostPort }] }] }));
    await podWhere(env.api, ns, 'hp', (p) => cond(p, 'Ready') === 'True', 'Ready');
    assert.equal(JSON.parse(await waitFor('the hostPort', async () => (await httpGet(`http://127.0.0.1:${hostPort}/color`)).body)), 'orange');
    await deletePod(env.api, ns, 'hp');
    await waitFor('the hostPort closed', async () => {
      try {
        await httpGet(`http://127.0.0.1:${hostPort}/color`, 500);
        return false;
      } catch {
        return true;
      }
    });

    await create(env.api, `/api/v1/namespaces/${ns}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: `demo.${ns}.svc.cluster.local` } });
    await new Promise((r) => setTimeout(r, 300));
    const out = await runInPod(
      ns,
      'ext-client',
      whenResolves(`ext.${ns}.svc.cluster.local`, `require('dns').resolveCname('ext.${ns}.svc.cluster.local', (e, c) => {
         if (e) { console.error(e.message); process.exit(1); }
         require('http').get({ host: 'ext', port: 80, path: '/color', agent: false }, (r) => { let b = ''; r.on('data', (d) => b += d); r.on('end', () => console.log(c[0] + ' ' + JSON.parse(b))); }).on('error', (e) => { console.error(e.message); process.exit(1); });
       });`),
    );
    assert.match(out.trim(), new RegExp(`^demo\\.${ns}\\.svc\\.cluster\\.local (blue|green)$`));
  });

  it('a UDP Service relays datagrams to its endpoints and the replies back', async () => {
    const echo = `const s = require('dgram').createSocket('udp4'); s.on('message', (m, r) => s.send('echo:' + m + ':' + process.env.HOSTNAME, r.port, r.address)); s.bind(5353);`;
    await createPod(env.api, ns, podManifest('udp-echo', { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'node:20', command: ['node', '-e', echo] }] }));
    const p = await podWhere(env.api, ns, 'udp-echo', (p) => cond(p, 'Ready') === 'True', 'Ready');
    await create(env.api, `/api/v1/namespaces/${ns}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'udp' }, spec: { ports: [{ name: 'dns', port: 53, targetPort: 5353, protocol: 'UDP' }] } });
    const body = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'udp', namespace: ns }, subsets: [{ addresses: [{ ip: p.status.podIP }], ports: [{ name: 'dns', port: 5353, protocol: 'UDP' }] }] };
    await create(env.api, `/api/v1/namespaces/${ns}/endpoints`, body);
    await new Promise((r) => setTimeout(r, 300));
    const out = await runInPod(
      ns,
      'udp-client',
      whenResolves('udp', `const c = require('dgram').createSocket('udp4'); let n = 0;
       c.on('message', (m) => { console.log(String(m)); if (++n === 2) c.close(); });
       require('dns').lookup('udp', (e, addr) => { if (e) { console.error(e.message); process.exit(1); }
         c.send('one', 53, addr); setTimeout(() => c.send('two', 53, addr), 100); });
       setTimeout(() => { console.error('no reply'); process.exit(1); }, 5000).unref();`),
    );
    assert.deepEqual(out.trim().split('\n'), ['echo:one:udp-echo', 'echo:two:udp-echo']);
    await deletePod(env.api, ns, 'udp-echo');
  });

  it('a large headless answer is truncated over UDP and served over TCP (c-ares and glibc both get all addresses)', async () => {
    const ips60 = Array.from({ length: 60 }, (_, i) => `10.244.9.${i + 1}`);
    await create(env.api, `/api/v1/namespaces/${ns}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'big' }, spec: { clusterIP: 'None', ports: [{ name: 'http', port: 80 }] } });
    await putEndpoints(ns, 'big', ips60, 80, 'http');
    await new Promise((r) => setTimeout(r, 300));
    const out = await runInPod(
      ns,
      'big-client',
      whenResolves(`big.${ns}.svc.cluster.local`, `const dns = require('dns');
       dns.resolve4('big.${ns}.svc.cluster.local', (e, a) => {
         if (e) { console.error('resolve4 ' + e.message); process.exit(1); }
         dns.lookup('big', { all: true, family: 4 }, (e2, b) => {
           if (e2) { console.error('lookup ' + e2.message); process.exit(1); }
           console.log(a.length + ' ' + b.length);
         });
       });`),
    );
    assert.equal(out.trim(), '60 60');
  });

  it('a finished pod gives its network back at once (a bridge takes at most 1,023 ports); deleting a running pod removes its namespace', async () => {
    const nsOf = (uid: string) => () => existsSync('/run/netns') && readdirSync('/run/netns').some((n) => n.endsWith(`-${uid}`));
    // client-1 ran to Succeeded above: its namespace goes while the pod stays, which still shows its address
    const done1 = await getPod(env.api, ns, 'client-1');
    assert.equal(done1.status.phase, 'Succeeded');
    await waitFor("the finished pod's namespace to go", () => !nsOf(done1.metadata.uid)(), 10_000);
    assert.ok(await getPod(env.api, ns, 'client-1'), 'the pod itself stays');
    assert.match((await getPod(env.api, ns, 'client-1')).status.podIP ?? '', /^10\.244\./, 'its status keeps the address');
    await deletePod(env.api, ns, 'client-1');
    await waitFor('client-1 deleted', async () => !(await getPod(env.api, ns, 'client-1')));
    // a running pod's namespace goes with the pod
    await createPod(env.api, ns, podManifest('sleeper', { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] }));
    const running = await podWhere(env.api, ns, 'sleeper', (p) => p.status?.phase === 'Running', 'Running');
    assert.ok(nsOf(running.metadata.uid)(), 'a running pod has its namespace');
    await deletePod(env.api, ns, 'sleeper');
    await waitFor('the namespace to go', () => !nsOf(running.metadata.uid)());
  });
});
