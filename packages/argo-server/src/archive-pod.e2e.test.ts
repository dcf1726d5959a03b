/**
 * The archive with the `postgres` image in a pod on `flotilla up` (as upstream's quick-start-postgres runs it):
 * argo-server (in this process, against the cluster's API) reaches it through a real `kubectl port-forward`,
 * connects with the user/password Secrets the ConfigMap's `persistence` names, migrates, archives a completed
 * workflow and serves it from the archived-workflows API.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { KubeClient } from '@flotilla/kube-runtime';
import { startUp, stopUp, kubectlFor, waitFor, type Up } from '@flotilla/kube-runtime/testkit';
import { CRDS, call, postgresBin } from './testenv.js';
import { startServer, type ArgoServer } from './server.js';
import { AR } from './resources.js';

const skip = postgresBin().reason;
if (skip) console.log(`# skipping: ${skip}`);
let dir: string;
let up: Up;
let pf: ChildProcess | undefined;
let srv: ArgoServer | undefined;
let client: KubeClient;
const ns = 'argo';

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'argo-archive-pod-'));
  up = await startUp(join(dir, 'data'), 120_000);
}, { timeout: 150_000 });

after(async () => {
  await srv?.close();
  pf?.kill('SIGTERM');
  client?.close();
  if (up) await stopUp(up, 'SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('postgres image in a pod: argo-server migrates, archives a completed workflow, lists it', { skip, timeout: 240_000 }, async () => {
  const k = kubectlFor(join(dir, 'home'), up.kubeconfig);
  const objs = [
    ...CRDS,
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
  ];
  writeFileSync(join(dir, 'crds.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objs }));
  await k.k(['apply', '-f', join(dir, 'crds.json')]);
  const pod = {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'postgres', namespace: ns, labels: { app: 'postgres' } },
    spec: { containers: [{ name: 'main', image: 'postgres:12-alpine', env: [{ name: 'POSTGRES_PASSWORD', value: 'password' }], ports: [{ containerPort: 5432 }], readinessProbe: { tcpSocket: { port: 5432 }, initialDelaySeconds: 2, periodSeconds: 2 } }] },
  };
  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'argo-postgres-config', namespace: ns }, stringData: { username: 'postgres', password: 'password' } };
  writeFileSync(join(dir, 'pg.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [pod, secret] }));
  await k.k(['wait', '--for=condition=Established', ...CRDS.map((c) => `crd/${c.metadata.name}`), '--timeout=60s']);
  await k.k(['apply', '-f', join(dir, 'pg.json')]);
  const w = await k.kubectl(['wait', '-n', ns, '--for=condition=Ready', 'pod/postgres', '--timeout=120s'], { timeoutMs: 130_000 });
  if (w.code !== 0) {
    const st = await k.kubectl(['get', 'pod', '-n', ns, 'postgres', '-o', 'jsonpath={.status}']);
    const lg = await k.kubectl(['logs', '-n', ns, 'postgres', '--tail=30']);
    const ev = await k.kubectl(['get', 'events', '-n', ns]);
    assert.fail(`postgres pod not ready: ${w.stderr}\nstatus: ${st.stdout}\nlogs: ${lg.stdout}${lg.stderr}\nevents: ${ev.stdout}`);
  }
  pf = spawn('kubectl', ['port-forward', '-n', ns, 'pod/postgres', ':5432', '--address', '127.0.0.1'], { env: { ...process.env, KUBECONFIG: up.kubeconfig, HOME: join(dir, 'home') }, stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`port-forward did not start: ${out}`)), 30_000);
    const on = (d: Buffer) => {
      out += d.toString();
      const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    };
    pf!.stdout!.on('data', on);
    pf!.stderr!.on('data', on);
    pf!.on('exit', (c) => reject(new Error(`port-forward exited ${c}: ${out}`)));
  });
  const persistence = { archive: true, postgresql: { host: '127.0.0.1', port, database: 'postgres', tableName: 'argo_workflows', userNameSecret: { name: 'argo-postgres-config', key: 'username' }, passwordSecret: { name: 'argo-postgres-config', key: 'password' } } };
  await k.k(['create', 'configmap', 'workflow-controller-configmap', '-n', ns, `--from-literal=config=${JSON.stringify({ persistence })}`]);
  client = new KubeClient(up.kubeconfig, { fieldManager: 'argo-server', qps: 100, burst: 200 });
  const logs: string[] = [];
  srv = await startServer(client, { namespace: ns, port: 0, address: '127.0.0.1', secure: false, authModes: ['server'], log: { debug() {}, info: (m, f) => logs.push(`${m} ${JSON.stringify(f)}`), warn: (m, f) => logs.push(`${m} ${JSON.stringify(f)}`), error: (m, f) => logs.push(`${m} ${JSON.stringify(f)}`) } });
  assert.ok(srv.ctx.archive, `archive connected: ${logs.join('\n')}`);
  const r = await call(srv.url, 'POST', `/api/v1/workflows/${ns}`, { body: { workflow: { metadata: { name: 'done' }, spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'busybox', command: ['true'] } }] } } } });
  assert.equal(r.status, 200, r.text);
  const wf = await client.get<any>(AR.workflows, ns, 'done');
  wf.metadata.labels = { ...(wf.metadata.labels ?? {}), 'workflows.argoproj.io/completed': 'true' };
  wf.status = { phase: 'Succeeded', startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:05Z' };
  await client.update(AR.workflows, wf);
  await waitFor('the workflow archived', async () => (await client.get<any>(AR.workflows, ns, 'done')).metadata.labels['workflows.argoproj.io/workflow-archiving-status'] === 'Archived', 30_000);
  const l = await call(srv.url, 'GET', `/api/v1/archived-workflows?namespace=${ns}`);
  assert.equal(l.status, 200, l.text);
  assert.deepEqual(l.body.items.map((w: any) => [w.metadata.name, w.status.phase]), [['done', 'Succeeded']]);
});
