// The WorkflowTaskResult writes of `wait` against a real (in-process) API server with upstream's CRD.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { startApiServer } from '@flotilla/apiserver';
import { KubeClient, R } from '@flotilla/kube-runtime';
import { TASK_RESULTS, upsertTaskResult } from './kube.js';
import { taskResult } from './outputs.js';

const INSTALL = new URL('../../../manifests/argo-workflows/install.yaml', import.meta.url);

test('task results: created once, then patched directly; one deleted meanwhile is created again; one made by another writer is patched', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'executor-kube-'));
  const server = await startApiServer({ dataDir: dir });
  const client = new KubeClient(server.writeKubeconfig(join(dir, 'kubeconfig')), { qps: 0 });
  try {
    const crd = parseAllDocuments(readFileSync(INSTALL, 'utf8')).map((d) => d.toJS()).find((d) => d?.kind === 'CustomResourceDefinition' && d.metadata.name === 'workflowtaskresults.argoproj.io');
    await client.create(R.crds, undefined, crd);
    await client.create(R.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'argo' } } as never);
    // the CRD serves once established
    for (let i = 0; i < 100; i++) {
      try {
        await client.list(TASK_RESULTS, 'argo');
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const calls: string[] = [];
    const counting = new Proxy(client, {
      get(t, p, r) {
        const v = Reflect.get(t, p, r);
        return typeof v === 'function' && (p === 'create' || p === 'patch') ? (...a: unknown[]) => (calls.push(String(p)), v.apply(t, a)) : v;
      },
    });
    const result = (name: string, completed: boolean, exitCode?: string) => taskResult({ nodeId: name, namespace: 'argo', workflowName: 'wf', workflowUID: '', outputs: exitCode ? { exitCode } : {}, completed });

    await upsertTaskResult(result('n1', false), counting);
    await upsertTaskResult(result('n1', true, '0'), counting);
    assert.deepEqual(calls, ['create', 'patch'], 'the second write is a patch, not a refused create and a patch');
    const got = await client.get<any>(TASK_RESULTS, 'argo', 'n1');
    assert.equal(got.metadata.labels['workflows.argoproj.io/report-outputs-completed'], 'true');
    assert.equal(got.outputs.exitCode, '0');

    calls.length = 0;
    await client.delete(TASK_RESULTS, 'argo', 'n1');
    await upsertTaskResult(result('n1', true, '3'), counting);
    assert.deepEqual(calls, ['patch', 'create'], 'gone: created again');
    assert.equal((await client.get<any>(TASK_RESULTS, 'argo', 'n1')).outputs.exitCode, '3');

    calls.length = 0;
    await client.create(TASK_RESULTS, 'argo', result('n2', false) as never);
    await upsertTaskResult(result('n2', true, '1'), counting);
    assert.deepEqual(calls, ['create', 'patch'], 'made by another writer: patched');
    assert.equal((await client.get<any>(TASK_RESULTS, 'argo', 'n2')).outputs.exitCode, '1');
  } finally {
    client.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a task result write waits out an API that is away a moment (connection refused, then reset)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'executor-kube-'));
  const server = await startApiServer({ dataDir: dir });
  const admin = new KubeClient(server.writeKubeconfig(join(dir, 'kubeconfig')), { qps: 0 });
  // the executor reaches the API through a relay on its own port (as a pod does through the node's)
  const upstream = new URL(server.url);
  let relay: Server | undefined;
  const port = await new Promise<number>((res) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const p = (probe.address() as { port: number }).port;
      probe.close(() => res(p));
    });
  });
  const socks = new Set<Socket>();
  const openRelay = (reset: boolean) => new Promise<void>((res) => {
    relay = createServer((sock) => {
      if (reset) return void sock.resetAndDestroy();
      socks.add(sock);
      const up = connect(Number(upstream.port), upstream.hostname);
      sock.pipe(up).pipe(sock);
      sock.on('error', () => up.destroy());
      up.on('error', () => sock.destroy());
    }).listen(port, '127.0.0.1', () => res());
  });
  const closeRelay = () => new Promise<void>((res) => {
    for (const x of socks) x.destroy();
    socks.clear();
    if (!relay?.listening) return res();
    relay.close(() => res());
  });
  const kc = readFileSync(join(dir, 'kubeconfig'), 'utf8').replace(`:${upstream.port}`, `:${port}`);
  writeFileSync(join(dir, 'relayed'), kc);
  const client = new KubeClient(join(dir, 'relayed'), { qps: 0 });
  try {
    const crd = parseAllDocuments(readFileSync(INSTALL, 'utf8')).map((d) => d.toJS()).find((d) => d?.kind === 'CustomResourceDefinition' && d.metadata.name === 'workflowtaskresults.argoproj.io');
    await admin.create(R.crds, undefined, crd);
    await admin.create(R.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'argo' } } as never);
    for (let i = 0; i < 100; i++) {
      try {
        await admin.list(TASK_RESULTS, 'argo');
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const result = taskResult({ nodeId: 'away', namespace: 'argo', workflowName: 'wf', workflowUID: '', outputs: { exitCode: '0' }, completed: true });
    // nothing listens: refused; then a relay that resets every connection; then the API again
    const t0 = Date.now();
    const write = upsertTaskResult(result, client);
    await new Promise((r) => setTimeout(r, 1500));
    await openRelay(true);
    await new Promise((r) => setTimeout(r, 2000));
    await closeRelay();
    await openRelay(false);
    await write;
    assert.ok(Date.now() - t0 >= 3500, 'written only once the API answered');
    assert.equal((await admin.get<any>(TASK_RESULTS, 'argo', 'away')).metadata.labels['workflows.argoproj.io/report-outputs-completed'], 'true');
    // a refusal that lasts: the write gives up after its attempts and says why
    await closeRelay();
    await assert.rejects(upsertTaskResult({ ...result, metadata: { ...result.metadata, name: 'never' } }, client, 2), /ECONNREFUSED/);
  } finally {
    await closeRelay();
    client.close();
    admin.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("task results refused (the pod's ServiceAccount may not write them): upstream's fallback, the outputs in the pod's annotation; refused too, an error naming both", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'executor-kube-'));
  const server = await startApiServer({ dataDir: dir });
  const client = new KubeClient(server.writeKubeconfig(join(dir, 'kubeconfig')), { qps: 0 });
  try {
    await client.create(R.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'argo' } } as never);
    await client.create(R.pods, 'argo', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'wf-1' }, spec: { containers: [{ name: 'main', image: 'busybox' }] } } as never);
    // the API server answers 403 for task results (as RBAC would), the rest goes to it
    const { ApiError } = await import('@flotilla/kube-runtime');
    const forbid = (what: string) => (t: KubeClient, p: string | symbol) => {
      const v = Reflect.get(t, p);
      if (typeof v !== 'function') return v;
      return (r: { plural?: string }, ...a: unknown[]) => (r?.plural === what ? Promise.reject(new ApiError(403, 'Forbidden', `${what}.argoproj.io is forbidden: User "system:serviceaccount:argo:default" cannot create resource "${what}"`)) : v.apply(t, [r, ...a]));
    };
    const noResults = new Proxy(client, { get: forbid('workflowtaskresults') });
    const result = taskResult({ nodeId: 'wf-1', namespace: 'argo', workflowName: 'wf', workflowUID: '', outputs: { parameters: [{ name: 'p', value: 'v' }], exitCode: '0' }, completed: true });
    await upsertTaskResult(result, noResults, 1, 'wf-1');
    const pod = await client.get<any>(R.pods, 'argo', 'wf-1');
    assert.deepEqual(JSON.parse(pod.metadata.annotations['workflows.argoproj.io/outputs']), { parameters: [{ name: 'p', value: 'v' }], exitCode: '0' });
    assert.equal(pod.metadata.labels['workflows.argoproj.io/report-outputs-completed'], 'true');
    // the controller reads them there
    const { resultFromPod } = await import('@flotilla/workflows-controller/observe');
    assert.deepEqual(resultFromPod(pod)?.outputs, { parameters: [{ name: 'p', value: 'v' }], exitCode: '0' });
    const neither = new Proxy(noResults, { get: (t, p) => (p === 'patch' ? (r: { plural?: string }) => Promise.reject(new ApiError(403, 'Forbidden', `${r.plural} is forbidden`)) : Reflect.get(t, p)) });
    await assert.rejects(upsertTaskResult(result, neither, 1, 'wf-1'), /workflowtaskresults\.argoproj\.io is forbidden.*; and the fallback, patching pod wf-1: pods is forbidden/);
  } finally {
    client.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
