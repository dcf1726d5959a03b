/**
 * The Ingress controller end to end on one `flotilla up`: manifests/ingress-nginx/install.yaml
 * applied as a user would (the controller runs as a pod, nginx inside it, behind the LoadBalancer
 * Service on 127.0.1.x), two rollouts-demo Deployments (blue = stable, yellow = canary) with their
 * Services, then requests through nginx: host + path routing, the Ingress status, a canary Ingress
 * with weight 20 splitting ≈20/80, header routing, rewrite-target, TLS from a Secret, a backend
 * without endpoints (503) and reconfiguration when the weight changes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kubectlFor, startUp, stopUp, waitFor, type Up } from '@flotilla/kube-runtime/testkit';

const MANIFEST = fileURLToPath(new URL('../../../manifests/ingress-nginx/install.yaml', import.meta.url));
const skip = !existsSync('/usr/bin/kubectl') ? 'kubectl not installed' : !existsSync('/usr/sbin/nginx') ? 'nginx not installed (Debian package nginx)' : undefined;

let dir = '';
let up: Up;
let k: (args: string[], o?: { input?: string }) => Promise<string>;
let lb = '';

interface Resp {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

function get(path: string, host: string, headers: Record<string, string> = {}, tls = false): Promise<Resp> {
  return new Promise((resolve, reject) => {
    const req = (tls ? httpsRequest : httpRequest)({ host: lb, port: tls ? 443 : 80, path, method: 'GET', headers: { host, ...headers }, agent: false, servername: host, rejectUnauthorized: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

const color = (r: Resp) => (r.status === 200 && r.body.startsWith('"') ? JSON.parse(r.body) : `${r.status}:${r.body.slice(0, 40)}`);

async function colors(n: number, headers: Record<string, string> = {}, host = 'demo.local'): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i += 10) {
    const batch = await Promise.all(Array.from({ length: Math.min(10, n - i) }, () => get('/color', host, headers)));
    for (const r of batch) out[color(r)] = (out[color(r)] ?? 0) + 1;
  }
  return out;
}

/**
 * Waits until `check` holds three times in a row. After a reload nginx's old workers keep accepting
 * for a moment (under load, up to about a second), so one passing batch does not yet mean every
 * new connection sees the new configuration.
 */
async function settled(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  let streak = 0;
  await waitFor(what, async () => {
    streak = (await check()) ? streak + 1 : 0;
    return streak >= 3;
  }, timeoutMs, 200);
}

const deployment = (name: string, tag: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'demo' },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: `argoproj/rollouts-demo:${tag}`, ports: [{ name: 'http', containerPort: 8080 }], readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 1 } }] } },
  },
});
const service = (name: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'demo' }, spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
const ingress = (name: string, svc: string, annotations: Record<string, string> = {}, spec: Record<string, unknown> = {}, host = 'demo.local', path = '/', pathType = 'Prefix') => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name, namespace: 'demo', annotations: Object.fromEntries(Object.entries(annotations).map(([a, v]) => [`nginx.ingress.kubernetes.io/${a}`, v])) },
  spec: { ingressClassName: 'nginx', rules: [{ host, http: { paths: [{ path, pathType, backend: { service: { name: svc, port: { number: 80 } } } }] } }], ...spec },
});
const apply = (o: unknown) => k(['apply', '-f', '-'], { input: JSON.stringify(o) });

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'ingress-e2e-'));
  up = await startUp(join(dir, 'data'), 90_000, {});
  ({ k } = kubectlFor(join(dir, 'home'), up.kubeconfig));
  await k(['create', 'namespace', 'ingress-nginx']);
  await k(['create', 'namespace', 'demo']);
  await k(['apply', '-n', 'ingress-nginx', '--server-side', '-f', MANIFEST]);
  for (const [n, t] of [['stable', 'blue'], ['canary', 'yellow']]) {
    await apply(deployment(n, t));
    await apply(service(n));
  }
  await k(['-n', 'ingress-nginx', 'rollout', 'status', 'deployment/ingress-nginx-controller', '--timeout=90s']);
  await k(['-n', 'demo', 'rollout', 'status', 'deployment/stable', '--timeout=90s']);
  await k(['-n', 'demo', 'rollout', 'status', 'deployment/canary', '--timeout=90s']);
  lb = await waitFor('LoadBalancer address', async () => JSON.parse(await k(['-n', 'ingress-nginx', 'get', 'svc', 'ingress-nginx-controller', '-o', 'json'])).status?.loadBalancer?.ingress?.[0]?.ip, 30_000, 200);
});

after(async () => {
  if (skip) return;
  if (up) {
    if (process.env.INGRESS_E2E_LOGS) console.log(await k(['-n', 'ingress-nginx', 'logs', 'deployment/ingress-nginx-controller']).catch((e) => String(e)));
    await stopUp(up, 'SIGTERM');
  }
  rmSync(dir, { recursive: true, force: true });
});

test('the IngressClass nginx, the controller pod and its LoadBalancer address; unknown hosts get the default backend', { skip }, async () => {
  assert.match(lb, /^127\.0\.1\.\d+$/);
  assert.equal(JSON.parse(await k(['get', 'ingressclass', 'nginx', '-o', 'json'])).spec.controller, 'k8s.io/ingress-nginx');
  const r = await get('/', 'nobody.local');
  assert.equal(r.status, 404);
  assert.equal(r.body, 'default backend - 404\n');
});

test('an Ingress routes its host to the Service pods and gets status.loadBalancer.ingress', { skip }, async () => {
  await apply(ingress('main', 'stable'));
  await waitFor('Ingress status', async () => JSON.parse(await k(['-n', 'demo', 'get', 'ingress', 'main', '-o', 'json'])).status?.loadBalancer?.ingress?.[0]?.ip === lb, 30_000, 200);
  assert.deepEqual(await colors(20), { blue: 20 });
  // an Ingress of another class is not served
  await apply({ ...ingress('other', 'canary', {}, { ingressClassName: 'other' }, 'other.local') });
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal((await get('/color', 'other.local')).status, 404);
  assert.equal(JSON.parse(await k(['-n', 'demo', 'get', 'ingress', 'other', '-o', 'json'])).status?.loadBalancer?.ingress, undefined);
});

test('canary Ingress with weight 20 splits ≈20/80; canary-by-header routes marked requests', { skip }, async () => {
  await apply(ingress('main-canary', 'canary', { canary: 'true', 'canary-weight': '20', 'canary-by-header': 'X-Canary' }));
  await waitFor('Ingress status', async () => JSON.parse(await k(['-n', 'demo', 'get', 'ingress', 'main-canary', '-o', 'json'])).status?.loadBalancer?.ingress?.[0]?.ip === lb, 30_000, 200);
  await settled('the canary Ingress served', async () => (await colors(10, { 'X-Canary': 'always' })).yellow === 10);
  const n = 300;
  const c = await colors(n);
  assert.equal((c.blue ?? 0) + (c.yellow ?? 0), n, JSON.stringify(c));
  const share = (c.yellow ?? 0) / n;
  console.log(`# canary share at weight 20: ${(share * 100).toFixed(1)} % of ${n}`);
  assert.ok(share > 0.12 && share < 0.28, `canary share ${share}`);
  assert.deepEqual(await colors(20, { 'X-Canary': 'always' }), { yellow: 20 });
  assert.deepEqual(await colors(20, { 'X-Canary': 'never' }), { blue: 20 });
  // weight changed by hand (as the Rollouts controller does): reloaded, all traffic to the canary
  await k(['-n', 'demo', 'annotate', '--overwrite', 'ingress', 'main-canary', 'nginx.ingress.kubernetes.io/canary-weight=100']);
  await settled('weight 100 applied', async () => (await colors(10)).yellow === 10);
  // header value: only the given value routes to the canary
  await k(['-n', 'demo', 'annotate', '--overwrite', 'ingress', 'main-canary', 'nginx.ingress.kubernetes.io/canary-weight=0', 'nginx.ingress.kubernetes.io/canary-by-header-value=yes']);
  // under weight 100 both checks answer yellow: they pass only once the new configuration serves alone
  await settled('header value applied', async () => (await colors(10)).blue === 10 && (await colors(10, { 'X-Canary': 'always' })).blue === 10);
  assert.deepEqual(await colors(10, { 'X-Canary': 'yes' }), { yellow: 10 });
  assert.deepEqual(await colors(10, { 'X-Canary': 'always' }), { blue: 10 });
  // canary-weight-total
  await k(['-n', 'demo', 'annotate', '--overwrite', 'ingress', 'main-canary', 'nginx.ingress.kubernetes.io/canary-weight=1', 'nginx.ingress.kubernetes.io/canary-weight-total=2']);
  await waitFor('weight 1/2 applied', async () => {
    const h = await colors(100);
    return (h.yellow ?? 0) > 30 && (h.blue ?? 0) > 30;
  }, 20_000, 200);
});

test('rewrite-target, pathType Exact, a backend without endpoints → 503', { skip }, async () => {
  await apply(ingress('rw', 'stable', { 'rewrite-target': '/$2' }, {}, 'rw.local', '/app(/|$)(.*)', 'ImplementationSpecific'));
  await apply(ingress('exact', 'canary', {}, {}, 'exact.local', '/color', 'Exact'));
  await apply(service('nobody'));
  await apply(ingress('empty', 'nobody', {}, {}, 'empty.local'));
  await waitFor('three Ingresses served', async () => {
    const l = JSON.parse(await k(['-n', 'demo', 'get', 'ingress', 'rw', 'exact', 'empty', '-o', 'json'])).items;
    return l.every((i: any) => i.status?.loadBalancer?.ingress?.[0]?.ip === lb);
  }, 30_000, 200);
  assert.equal(color(await get('/app/color', 'rw.local')), 'blue');
  assert.equal(color(await get('/color', 'exact.local')), 'yellow');
  assert.equal((await get('/color/x', 'exact.local')).status, 404);
  assert.equal((await get('/', 'empty.local')).status, 503);
});

test('TLS from a Secret; plain HTTP to that host is redirected (308)', { skip }, async () => {
  const certDir = join(dir, 'tls');
  execFileSync('mkdir', ['-p', certDir]);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=secure.local', '-addext', 'subjectAltName=DNS:secure.local', '-keyout', join(certDir, 'k.pem'), '-out', join(certDir, 'c.pem')], { stdio: 'ignore' });
  await k(['-n', 'demo', 'create', 'secret', 'tls', 'secure-tls', `--cert=${join(certDir, 'c.pem')}`, `--key=${join(certDir, 'k.pem')}`]);
  await apply(ingress('secure', 'stable', {}, { tls: [{ hosts: ['secure.local'], secretName: 'secure-tls' }] }, 'secure.local'));
  // the route can be served (with the default certificate) a moment before the Secret reaches the controller,
  // as on ingress-nginx: wait until the request verifies against the Secret's own certificate
  const verified = () => new Promise<{ cert: string; body: string }>((resolve, reject) => {
    const req = httpsRequest({ host: lb, port: 443, path: '/color', headers: { host: 'secure.local' }, servername: 'secure.local', ca: readFileSync(join(certDir, 'c.pem')), agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ cert: (res.socket as any).getPeerCertificate().subject.CN, body }));
    });
    req.on('error', reject);
    req.end();
  });
  let r: { cert: string; body: string } | undefined;
  await waitFor('TLS served with the Secret\'s certificate', async () => (r = await verified().catch(() => undefined)), 30_000, 300);
  assert.deepEqual(r, { cert: 'secure.local', body: '"blue"' });
  const plain = await get('/color', 'secure.local');
  assert.equal(plain.status, 308);
  assert.equal(plain.headers.location, 'https://secure.local/color');
});

const STREAM = ['/usr/lib/nginx/modules/ngx_stream_module.so'].some((p) => existsSync(p));

test('ssl-passthrough: TLS for that host reaches the backend untouched (its own certificate)', { skip: skip || (!STREAM && 'nginx stream module not installed (Debian libnginx-mod-stream)') }, async () => {
  const certDir = join(dir, 'pt');
  execFileSync('mkdir', ['-p', certDir]);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=pt.local', '-addext', 'subjectAltName=DNS:pt.local', '-keyout', join(certDir, 'k.pem'), '-out', join(certDir, 'c.pem')], { stdio: 'ignore' });
  await k(['-n', 'demo', 'create', 'secret', 'tls', 'pt-backend', `--cert=${join(certDir, 'c.pem')}`, `--key=${join(certDir, 'k.pem')}`]);
  const script = "const fs=require('fs');require('https').createServer({key:fs.readFileSync('/tls/tls.key'),cert:fs.readFileSync('/tls/tls.crt')},(q,s)=>s.end('passthrough '+q.headers.host)).listen(8443)";
  await apply({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'pt', namespace: 'demo', labels: { app: 'pt' } },
    spec: { containers: [{ name: 'tls', image: 'node:20', command: ['node', '-e', script], ports: [{ name: 'https', containerPort: 8443 }], volumeMounts: [{ name: 'tls', mountPath: '/tls' }], readinessProbe: { tcpSocket: { port: 8443 }, periodSeconds: 1 } }], volumes: [{ name: 'tls', secret: { secretName: 'pt-backend' } }] },
  });
  await apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'pt', namespace: 'demo' }, spec: { selector: { app: 'pt' }, ports: [{ name: 'https', port: 443, targetPort: 'https' }] } });
  await k(['-n', 'demo', 'wait', '--for=condition=Ready', 'pod/pt', '--timeout=60s']);
  const pt = ingress('pt', 'pt', { 'ssl-passthrough': 'true' }, {}, 'pt.local');
  (pt.spec.rules[0].http.paths[0].backend.service.port as any).number = 443;
  await apply(pt);
  const fetchPt = () =>
    new Promise<{ cn: string; body: string }>((resolve, reject) => {
      const req = httpsRequest({ host: lb, port: 443, path: '/', headers: { host: 'pt.local' }, servername: 'pt.local', ca: readFileSync(join(certDir, 'c.pem')), agent: false }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ cn: (res.socket as any).getPeerCertificate().subject.CN, body }));
      });
      req.on('error', reject);
      req.end();
    });
  const got = await waitFor('passthrough served', () => fetchPt().catch(() => undefined), 30_000, 300);
  assert.deepEqual(got, { cn: 'pt.local', body: 'passthrough pt.local' });
  // the other TLS hosts are still terminated by nginx (behind the SNI switch)
  assert.equal(color(await get('/color', 'secure.local', {}, true)), 'blue');
});

const ROLLOUTS_MANIFEST = fileURLToPath(new URL('../../../manifests/argo-rollouts/install.yaml', import.meta.url));

test("Argo Rollouts' nginx traffic routing through this controller: step 1 (setWeight 20) splits ≈20/80, the header route reaches the canary", { skip: skip || (!existsSync(ROLLOUTS_MANIFEST) && `${ROLLOUTS_MANIFEST} not in this build (the Rollouts controller's branch)`) }, async () => {
  await k(['create', 'namespace', 'argo-rollouts']);
  await k(['apply', '-n', 'argo-rollouts', '--server-side', '-f', ROLLOUTS_MANIFEST]);
  await k(['wait', '--for=condition=Established', '--timeout=60s', 'crd/rollouts.argoproj.io']);
  for (const n of ['ro-stable', 'ro-canary']) await apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: n, namespace: 'demo' }, spec: { selector: { app: 'ro-demo' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
  await apply(ingress('ro-stable', 'ro-stable', {}, {}, 'ro.local'));
  await apply({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'ro-demo', namespace: 'demo' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'ro-demo' } },
      template: { metadata: { labels: { app: 'ro-demo' } }, spec: { containers: [{ name: 'ro-demo', image: 'argoproj/rollouts-demo:blue', ports: [{ name: 'http', containerPort: 8080 }], readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 1 } }] } },
      strategy: { canary: { canaryService: 'ro-canary', stableService: 'ro-stable', trafficRouting: { nginx: { stableIngress: 'ro-stable', additionalIngressAnnotations: { 'canary-by-header': 'X-Canary' } } }, steps: [{ setWeight: 20 }, { pause: {} }] } },
    },
  });
  await k(['-n', 'argo-rollouts', 'rollout', 'status', 'deployment/argo-rollouts', '--timeout=90s']);
  const ro = async () => JSON.parse(await k(['-n', 'demo', 'get', 'rollouts.argoproj.io', 'ro-demo', '-o', 'json']));
  await waitFor('Healthy on blue', async () => (await ro()).status?.phase === 'Healthy', 90_000, 500);
  await waitFor('blue through nginx', async () => (await colors(5, {}, 'ro.local')).blue === 5, 30_000, 300);
  await k(['-n', 'demo', 'patch', 'rollouts.argoproj.io', 'ro-demo', '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'argoproj/rollouts-demo:yellow' }])]);
  await waitFor('Paused at step 1', async () => {
    const r = await ro();
    return r.status?.phase === 'Paused' && r.status?.currentStepIndex === 1;
  }, 90_000, 500);
  const canary = JSON.parse(await k(['-n', 'demo', 'get', 'ingress', 'ro-demo-ro-stable-canary', '-o', 'json']));
  assert.equal(canary.metadata.annotations['nginx.ingress.kubernetes.io/canary-weight'], '20');
  await waitFor('canary Ingress served', async () => (await colors(10, { 'X-Canary': 'always' }, 'ro.local')).yellow === 10, 30_000, 300);
  const n = 200;
  const c = await colors(n, {}, 'ro.local');
  const share = (c.yellow ?? 0) / n;
  console.log(`# Rollouts step 1 (setWeight 20) through nginx: ${(share * 100).toFixed(1)} % yellow of ${n}`);
  assert.ok(share > 0.1 && share < 0.3, JSON.stringify(c));
});

test('Argo Rollouts setHeaderRoute through this controller: X-Canary: yes reaches the canary, other requests follow the weight; removed by its empty step; setMirrorRoute refused (InvalidSpec); canaryMetadata/stableMetadata on the pods', { skip: skip || (!existsSync(ROLLOUTS_MANIFEST) && `${ROLLOUTS_MANIFEST} not in this build (the Rollouts controller's branch)`) }, async () => {
  // the previous test installed the Rollouts controller
  for (const n of ['hr-stable', 'hr-canary']) await apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: n, namespace: 'demo' }, spec: { selector: { app: 'hr-demo' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
  await apply(ingress('hr-stable', 'hr-stable', {}, {}, 'hr.local'));
  const rollout = (name: string, steps: unknown[], app = 'hr-demo') => ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name, namespace: 'demo' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app } },
      template: { metadata: { labels: { app } }, spec: { containers: [{ name: 'hr-demo', image: 'argoproj/rollouts-demo:blue', ports: [{ name: 'http', containerPort: 8080 }], readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 1 } }] } },
      strategy: { canary: { canaryService: 'hr-canary', stableService: 'hr-stable', canaryMetadata: { labels: { role: 'canary' } }, stableMetadata: { labels: { role: 'stable' } }, trafficRouting: { managedRoutes: [{ name: 'testers' }], nginx: { stableIngress: 'hr-stable' } }, steps } },
    },
  });
  await apply(rollout('hr-demo', [{ setWeight: 20 }, { setHeaderRoute: { name: 'testers', match: [{ headerName: 'X-Canary', headerValue: { exact: 'yes' } }] } }, { pause: {} }, { setHeaderRoute: { name: 'testers' } }, { pause: {} }]));
  const ro = async (name = 'hr-demo') => JSON.parse(await k(['-n', 'demo', 'get', 'rollouts.argoproj.io', name, '-o', 'json']));
  await waitFor('Healthy on blue', async () => (await ro()).status?.phase === 'Healthy', 90_000, 500);
  await k(['-n', 'demo', 'patch', 'rollouts.argoproj.io', 'hr-demo', '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'argoproj/rollouts-demo:yellow' }])]);
  const pausedAt = (i: number) => waitFor(`Paused at step ${i}`, async () => {
    const r = await ro();
    return r.status?.phase === 'Paused' && r.status?.currentStepIndex === i;
  }, 90_000, 500);
  await pausedAt(2);
  // canaryMetadata / stableMetadata on the running pods
  const roles = async () => {
    const pods = JSON.parse(await k(['-n', 'demo', 'get', 'pods', '-l', 'app=hr-demo', '-o', 'json'])).items as { metadata: { labels: Record<string, string>; deletionTimestamp?: string }; spec: { containers: { image: string }[] } }[];
    return pods.filter((x) => !x.metadata.deletionTimestamp).map((x) => `${x.spec.containers[0].image.split(':')[1]}=${x.metadata.labels.role ?? '-'}`).sort().join(',');
  };
  await waitFor('role labels on the pods', async () => (await roles()) === 'blue=stable,yellow=canary', 30_000, 300).catch(async (e) => assert.fail(`${e}: ${await roles()}`));
  const annotations = async () => JSON.parse(await k(['-n', 'demo', 'get', 'ingress', 'hr-demo-hr-stable-canary', '-o', 'json'])).metadata.annotations as Record<string, string>;
  const a = await annotations();
  assert.equal(a['nginx.ingress.kubernetes.io/canary-by-header'], 'X-Canary');
  assert.equal(a['nginx.ingress.kubernetes.io/canary-by-header-value'], 'yes');
  assert.equal(a['nginx.ingress.kubernetes.io/canary-weight'], '20');
  await settled('X-Canary: yes all yellow', async () => (await colors(10, { 'X-Canary': 'yes' }, 'hr.local')).yellow === 10);
  const n = 100;
  for (const h of [{}, { 'X-Canary': 'no' }] as Record<string, string>[]) {
    const c = await colors(n, h, 'hr.local');
    console.log(`# setHeaderRoute step: ${JSON.stringify(h)} → ${JSON.stringify(c)}`);
    assert.ok((c.yellow ?? 0) >= 5 && (c.yellow ?? 0) <= 40 && (c.blue ?? 0) >= 60, JSON.stringify(c));
  }
  // promote: the step without match removes the route; the header no longer picks the canary
  await k(['-n', 'demo', 'patch', 'rollouts.argoproj.io', 'hr-demo', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { pauseConditions: null } })]);
  await pausedAt(4);
  await waitFor('header annotations gone', async () => {
    const b = await annotations();
    return b['nginx.ingress.kubernetes.io/canary-by-header'] === undefined && b['nginx.ingress.kubernetes.io/canary-by-header-value'] === undefined && b['nginx.ingress.kubernetes.io/canary-weight'] === '20';
  }, 30_000, 300);
  await settled('X-Canary: yes follows the weight', async () => {
    const c = await colors(30, { 'X-Canary': 'yes' }, 'hr.local');
    return (c.blue ?? 0) >= 15;
  });
  // setMirrorRoute: nginx cannot mirror; refused as upstream's validation refuses it without Istio
  await apply(rollout('hr-mirror', [{ setMirrorRoute: { name: 'testers', percentage: 50 } }], 'hr-mirror'));
  const m = await waitFor('hr-mirror InvalidSpec', async () => {
    const r = await ro('hr-mirror');
    return r.status?.phase === 'Degraded' ? r : undefined;
  }, 30_000, 300);
  assert.match(m.status.message, /^InvalidSpec: The Rollout "hr-mirror" is invalid: spec\.strategy\.canary\.steps\[0\]\.setMirrorRoute: .*mirroring is not supported by the nginx router/);
  assert.ok(m.status.conditions.some((c: { type: string; status: string }) => c.type === 'InvalidSpec' && c.status === 'True'));
});
