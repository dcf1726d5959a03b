/**
 * Durability and restarts: a writer killed with SIGKILL loses no acknowledged write; watches
 * resume across a restart; an expired resourceVersion gets 410 Gone; client-node informers
 * reconnect.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { startApiServer } from './server.js';
import { startTestCluster, eventually, sleep, readWatch } from './testutil.js';

const here = fileURLToPath(new URL('.', import.meta.url));

describe('durability', { timeout: 180_000 }, () => {
  it('keeps every acknowledged write when the server is killed with SIGKILL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-crash-'));
    try {
      const child = spawn(process.execPath, [join(here, 'crash-writer.js'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
      const acked: { name: string; rv: number }[] = [];
      let buf = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (d: string) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          const m = /^ACK (\S+) (\d+)$/.exec(line);
          if (m) acked.push({ name: m[1], rv: Number(m[2]) });
        }
      });
      await eventually(() => acked.length >= 300, 60_000, '300 acknowledged writes');
      child.kill('SIGKILL');
      await new Promise((r) => child.on('exit', r));
      assert.ok(acked.length >= 300);
      const server = await startApiServer({ dataDir: join(dir, 'data') });
      try {
        const store = server.internals.store;
        const maxAcked = Math.max(...acked.map((a) => a.rv));
        for (const a of acked) {
          const so = store.get('core/configmaps', 'default', a.name);
          assert.ok(so, `acknowledged write ${a.name} (rv ${a.rv}) survived`);
        }
        assert.ok(store.rv >= maxAcked);
        // resourceVersions keep increasing after the restart
        const r = await fetchJson(server.url, server.caPem, server.token, 'POST', '/api/v1/namespaces/default/configmaps', {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'after-restart' },
        });
        assert.equal(r.status, 201);
        assert.ok(Number(r.body.metadata.resourceVersion) > maxAcked);
      } finally {
        await server.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('resumes a watch from a resourceVersion after a restart; 410 Gone when too old', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-restart-'));
    try {
      let s = await startApiServer({ dataDir: dir, eventWindow: 50 });
      const first = await fetchJson(s.url, s.caPem, s.token, 'POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'r0' } });
      const rv0 = first.body.metadata.resourceVersion;
      for (let i = 1; i <= 3; i++)
        await fetchJson(s.url, s.caPem, s.token, 'POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `r${i}` } });
      await s.close();
      s = await startApiServer({ dataDir: dir, eventWindow: 50 });
      const evs = await readWatch(`${s.url}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv0}`, s.caPem, s.token, 3);
      assert.deepEqual(evs.map((e) => `${e.type}:${e.object.metadata.name}`), ['ADDED:r1', 'ADDED:r2', 'ADDED:r3']);
      for (let i = 0; i < 120; i++)
        await fetchJson(s.url, s.caPem, s.token, 'POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `x${i}` } });
      const gone = await readWatch(`${s.url}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv0}`, s.caPem, s.token, 1);
      assert.equal(gone[0]?.type, 'ERROR');
      assert.equal(gone[0].object.code, 410);
      assert.equal(gone[0].object.reason, 'Expired');
      await s.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('client-node: list/watch informer sees changes and recovers after a server restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-informer-'));
    let c = await startTestCluster({ dir });
    let stopped = false;
    let informer: k8s.Informer<k8s.V1ConfigMap> | undefined;
    const port = c.server.port;
    try {
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(c.kubeconfig);
      const core = kc.makeApiClient(k8s.CoreV1Api);
      const seen = new Map<string, string>();
      informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/configmaps', () => core.listNamespacedConfigMap({ namespace: 'default' }));
      informer.on('add', (o: k8s.V1ConfigMap) => seen.set(o.metadata!.name!, o.data?.v ?? ''));
      informer.on('update', (o: k8s.V1ConfigMap) => seen.set(o.metadata!.name!, o.data?.v ?? ''));
      informer.on('delete', (o: k8s.V1ConfigMap) => seen.delete(o.metadata!.name!));
      let errors = 0;
      informer.on('error', () => {
        errors++;
        if (!stopped) setTimeout(() => !stopped && informer!.start().catch(() => {}), 300);
      });
      await informer.start();
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'inf' }, data: { v: '1' } } });
      await eventually(() => seen.get('inf') === '1', 10_000, 'informer add');
      await core.patchNamespacedConfigMap(
        { namespace: 'default', name: 'inf', body: { data: { v: '2' } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      await eventually(() => seen.get('inf') === '2', 10_000, 'informer update');
      // restart the server on the same port and data
      await c.server.close();
      await sleep(200);
      c = await startTestCluster({ dir, port });
      await eventually(() => errors > 0, 15_000, 'informer noticing the restart');
      const kc2 = new k8s.KubeConfig();
      kc2.loadFromFile(c.kubeconfig);
      const core2 = kc2.makeApiClient(k8s.CoreV1Api);
      await core2.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'after' }, data: { v: '3' } } });
      await eventually(() => seen.get('after') === '3', 20_000, 'informer event after restart');
    } finally {
      stopped = true;
      await informer?.stop();
      await c.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function fetchJson(base: string, ca: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const r = request(new URL(path, base), { method, ca, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, (res) => {
      let t = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (t += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: t ? JSON.parse(t) : undefined }));
    });
    r.on('error', reject);
    if (data) r.write(data);
    r.end();
  });
}
