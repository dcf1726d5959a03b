/** Events expire after --event-ttl from their last write, as kube-apiserver's do; other objects stay. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '@flotilla/apimachinery';
import { startApiServer, type ApiServer } from './server.js';
import { Store } from './store.js';
import { eventually, readWatch, sleep } from './testutil.js';

test('an Event not written for the TTL is deleted (watchers see it go); one written again lives on; other objects stay; a restart sweeps what expired meanwhile', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'event-ttl-'));
  // the test talks to its own server over TLS with its CA
  const { request } = await import('node:https');
  let s: ApiServer | undefined;
  const req = (method: string, path: string, body?: unknown, type = 'application/json') =>
    new Promise<{ status: number; body: any }>((resolve, reject) => {
      const r = request(new URL(path, s!.url), { method, ca: s!.caPem, headers: { authorization: `Bearer ${s!.token}`, 'content-type': type } }, (res) => {
        let t = '';
        res.on('data', (d) => (t += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: t ? JSON.parse(t) : undefined }));
      });
      r.on('error', reject);
      r.end(body === undefined ? undefined : JSON.stringify(body));
    });
  const coreEvent = (name: string, extra: object = {}) => ({ apiVersion: 'v1', kind: 'Event', metadata: { name }, involvedObject: { kind: 'Pod', namespace: 'default', name: 'p' }, reason: 'Test', message: name, type: 'Normal', ...extra });
  try {
    s = await startApiServer({ dataDir: join(dir, 'data'), port: 0, eventTtlSeconds: 3 });
    for (const n of ['gone', 'kept']) assert.equal((await req('POST', '/api/v1/namespaces/default/events', coreEvent(n))).status, 201);
    const created = await req('POST', '/apis/events.k8s.io/v1/namespaces/default/events', { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'new-api' }, eventTime: new Date().toISOString(), reportingController: 't', reportingInstance: 't', action: 'Test', reason: 'Test', regarding: { kind: 'Pod', namespace: 'default', name: 'p' }, type: 'Normal' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const cm = await req('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'stays' } });
    assert.equal(cm.status, 201);
    // a watcher from now on sees the expired Event DELETED
    const watched = readWatch(`${s.url}/api/v1/namespaces/default/events?watch=true&fieldSelector=metadata.name%3Dgone&resourceVersion=${cm.body.metadata.resourceVersion}`, s.caPem, s.token, 1, 20_000);
    // "kept" is written again every second: never older than the TTL
    let touching = true;
    const toucher = (async () => {
      for (let i = 0; touching; i++) {
        await sleep(1000);
        if (touching) await req('PATCH', '/api/v1/namespaces/default/events/kept', { count: i + 2 }, 'application/merge-patch+json');
      }
    })();
    await eventually(async () => (await req('GET', '/api/v1/namespaces/default/events/gone')).status === 404 || undefined, 20_000, 'the unwritten Event to expire');
    await eventually(async () => (await req('GET', '/apis/events.k8s.io/v1/namespaces/default/events/new-api')).status === 404 || undefined, 20_000, 'the events.k8s.io Event to expire');
    assert.equal((await req('GET', '/api/v1/namespaces/default/events/kept')).status, 200, 'an Event written again within the TTL stays');
    const ev = await watched;
    assert.deepEqual(ev.map((e) => `${e.type} ${e.object.metadata.name}`), ['DELETED gone']);
    touching = false;
    await toucher;
    await eventually(async () => (await req('GET', '/api/v1/namespaces/default/events/kept')).status === 404 || undefined, 20_000, 'the Event to expire once not written any more');
    assert.equal((await req('GET', '/api/v1/namespaces/default/configmaps/stays')).status, 200, 'other objects stay');

    // stored before a restart: an Event an earlier server wrote 2 h ago goes when the server starts, a fresh one stays
    await s.close();
    s = undefined;
    const store = new Store(join(dir, 'data', 'state.db'));
    const old = new Date(Date.now() - 2 * 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    store.put('core/events', 'default', 'old', { ...coreEvent('old', { firstTimestamp: old, lastTimestamp: old }), metadata: { name: 'old', namespace: 'default', uid: 'u-old', creationTimestamp: old } } as KubeObject);
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    store.put('core/events', 'default', 'fresh', { ...coreEvent('fresh', { firstTimestamp: old, lastTimestamp: now }), metadata: { name: 'fresh', namespace: 'default', uid: 'u-fresh', creationTimestamp: old } } as KubeObject);
    await store.close();
    s = await startApiServer({ dataDir: join(dir, 'data'), port: 0 });
    assert.equal((await req('GET', '/api/v1/namespaces/default/events/old')).status, 404, 'expired while the server was down');
    assert.equal((await req('GET', '/api/v1/namespaces/default/events/fresh')).status, 200, 'seen within the TTL (its lastTimestamp)');
  } finally {
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
