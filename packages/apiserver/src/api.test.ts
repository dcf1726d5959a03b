/** The REST API over HTTPS: status codes, bad input, concurrency, lifecycle, watch semantics. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCluster, eventually, readWatch, type TestCluster } from './testutil.js';

let c: TestCluster;

const cm = (name: string, data: Record<string, string> = {}, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...extra },
  data,
});

const watchEvents = (path: string, n: number, timeoutMs = 5000) => readWatch(new URL(path, c.server.url).toString(), c.server.caPem, c.server.token, n, timeoutMs);

describe('REST API', { timeout: 120_000 }, () => {
  before(async () => {
    c = await startTestCluster();
    await c.req('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 't' } });
  });
  after(async () => {
    await c?.close();
  });

  it('rejects a missing or wrong token with 401 and stores nothing', async () => {
    for (const auth of [undefined, 'Bearer wrong-token', 'Basic YWRtaW46YWRtaW4=']) {
      const r = await c.req('POST', '/api/v1/namespaces/t/configmaps', cm('nope'), auth === undefined ? { authorization: '' } : { authorization: auth });
      assert.equal(r.status, 401);
      assert.equal(r.body.kind, 'Status');
      assert.equal(r.body.reason, 'Unauthorized');
    }
    assert.equal((await c.req('GET', '/api/v1/namespaces/t/configmaps/nope')).status, 404);
  });

  it('answers bad input with the right Status and stores nothing', async () => {
    const cases: { body: string; ct?: string; status: number; reason: string; msg: RegExp; path?: string }[] = [
      { body: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"', status: 400, reason: 'BadRequest', msg: /could not be decoded as JSON/ },
      { body: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [x\n', ct: 'application/yaml', status: 400, reason: 'BadRequest', msg: /yaml: line \d+/ },
      { body: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } }), status: 400, reason: 'BadRequest', msg: /kind in the body \("Secret"\)/ },
      { body: JSON.stringify({ apiVersion: 'v2', kind: 'ConfigMap', metadata: { name: 'x' } }), status: 400, reason: 'BadRequest', msg: /API version in the data \(v2\)/ },
      { body: JSON.stringify(cm('Bad_Name')), status: 422, reason: 'Invalid', msg: /metadata.name: Invalid value: "Bad_Name"/ },
      { body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: {} }), status: 422, reason: 'Invalid', msg: /name or generateName is required/ },
      { body: JSON.stringify(cm('x', {}, { labels: { 'bad key!': 'v' } })), status: 422, reason: 'Invalid', msg: /metadata.labels/ },
      { body: JSON.stringify({ ...cm('x'), bogus: 1 }), status: 400, reason: 'BadRequest', msg: /strict decoding error: unknown field "bogus"/, path: '/api/v1/namespaces/t/configmaps?fieldValidation=Strict' },
      { body: JSON.stringify(cm('x')), ct: 'application/vnd.kubernetes.protobuf', status: 400, reason: 'BadRequest', msg: /magic prefix/ },
      { body: JSON.stringify(cm('x')), ct: 'application/cbor', status: 415, reason: 'UnsupportedMediaType', msg: /unknown format/ },
      { body: JSON.stringify(cm('x', { big: 'x'.repeat(1_100_000) })), status: 422, reason: 'Invalid', msg: /data: Too long/ },
      {
        body: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: { containers: [{ name: 'c', image: 'busybox', args: Array.from({ length: 8 }, () => 'x'.repeat(200_000)) }] } }),
        path: '/api/v1/namespaces/t/pods',
        status: 413,
        reason: 'RequestEntityTooLarge',
        msg: /object is too large/,
      },
      { body: 'x'.repeat(3_200_000), status: 413, reason: 'RequestEntityTooLarge', msg: /too large/ },
    ];
    for (const k of cases) {
      const r = await c.req('POST', k.path ?? '/api/v1/namespaces/t/configmaps', k.body, { 'content-type': k.ct ?? 'application/json' });
      assert.equal(r.status, k.status, `${k.msg}: ${r.text.slice(0, 300)}`);
      assert.equal(r.body?.kind, 'Status');
      assert.equal(r.body.reason, k.reason);
      assert.equal(r.body.code, k.status);
      assert.match(r.body.message, k.msg);
    }
    const list = await c.req('GET', '/api/v1/namespaces/t/configmaps');
    assert.equal(list.body.items.length, 0, 'nothing was stored');
    // unknown kinds and groups
    assert.equal((await c.req('GET', '/apis/nope.example.com/v1/widgets')).status, 404);
    assert.equal((await c.req('GET', '/api/v1/namespaces/t/widgets')).body.reason, 'NotFound');
    // namespace that does not exist
    const nsr = await c.req('POST', '/api/v1/namespaces/missing/configmaps', cm('x'));
    assert.equal(nsr.status, 404);
    assert.match(nsr.body.message, /namespaces "missing" not found/);
    // unknown field with the default (Warn) is dropped with a warning header
    const warn = await c.req('POST', '/api/v1/namespaces/t/configmaps', { ...cm('warned'), bogus: 1 });
    assert.equal(warn.status, 201);
    assert.match(String(warn.headers.warning), /unknown field \\"bogus\\"/);
    assert.equal(warn.body.bogus, undefined);
  });

  it('decodes protobuf bodies and refuses fields it does not know instead of dropping them', async () => {
    const ld = (no: number, b: Buffer) => Buffer.concat([Buffer.from([(no << 3) | 2, b.length]), b]);
    const str = (no: number, v: string) => ld(no, Buffer.from(v));
    const envelope = (raw: Buffer) =>
      Buffer.concat([Buffer.from('k8s\0', 'latin1'), ld(1, Buffer.concat([str(1, 'v1'), str(2, 'ConfigMap')])), ld(2, raw)]);
    const meta = ld(1, str(1, 'from-proto'));
    const data = ld(2, Buffer.concat([str(1, 'k'), str(2, 'v')]));
    const ok = await c.req('POST', '/api/v1/namespaces/t/configmaps', envelope(Buffer.concat([meta, data])), { 'content-type': 'application/vnd.kubernetes.protobuf' });
    assert.equal(ok.status, 201, ok.text);
    assert.deepEqual(ok.body.data, { k: 'v' });
    const unknown = await c.req('POST', '/api/v1/namespaces/t/configmaps', envelope(Buffer.concat([ld(1, str(1, 'proto-2')), str(9, 'surprise')])), { 'content-type': 'application/vnd.kubernetes.protobuf' });
    assert.equal(unknown.status, 415);
    assert.match(unknown.body.message, /field 9 of ConfigMap/);
    assert.equal((await c.req('GET', '/api/v1/namespaces/t/configmaps/proto-2')).status, 404);
  });

  it('validates built-in kinds with field paths', async () => {
    const r = await c.req('POST', '/apis/apps/v1/namespaces/t/deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: { selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'b' } }, spec: { containers: [{ name: 'c' }] } } },
    });
    assert.equal(r.status, 422);
    assert.match(r.body.message, /spec.template.spec.containers\[0\].image: Required value/);
    assert.match(r.body.message, /selector/);
    assert.ok(r.body.details.causes.some((x: any) => x.field === 'spec.template.spec.containers[0].image'));
  });

  it('creates with generateName, sets metadata, 409 on duplicates and stale updates', async () => {
    const r = await c.req('POST', '/api/v1/namespaces/t/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' } });
    assert.equal(r.status, 201);
    assert.match(r.body.metadata.name, /^gen-[a-z0-9]{5}$/);
    // a long prefix is cut to 58 characters, as Kubernetes does: the name stays within 63
    const long = 'global-parameter-from-configmap-referenced-as-local-variable-';
    const l = await c.req('POST', '/api/v1/namespaces/t/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: long } });
    assert.equal(l.status, 201);
    assert.equal(l.body.metadata.name.length, 63);
    assert.ok(l.body.metadata.name.startsWith(long.slice(0, 58)));
    assert.equal(l.body.metadata.generateName, long);
    assert.match(r.body.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.match(r.body.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const a = await c.req('POST', '/api/v1/namespaces/t/configmaps', cm('occ', { v: '1' }));
    assert.equal(a.status, 201);
    const dup = await c.req('POST', '/api/v1/namespaces/t/configmaps', cm('occ'));
    assert.equal(dup.status, 409);
    assert.equal(dup.body.reason, 'AlreadyExists');
    const upd = await c.req('PUT', '/api/v1/namespaces/t/configmaps/occ', { ...a.body, data: { v: '2' } });
    assert.equal(upd.status, 200);
    assert.ok(Number(upd.body.metadata.resourceVersion) > Number(a.body.metadata.resourceVersion));
    const stale = await c.req('PUT', '/api/v1/namespaces/t/configmaps/occ', { ...a.body, data: { v: '3' } });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.reason, 'Conflict');
    assert.match(stale.body.message, /the object has been modified/);
    // a no-op update keeps the resourceVersion
    const same = await c.req('PUT', '/api/v1/namespaces/t/configmaps/occ', upd.body);
    assert.equal(same.body.metadata.resourceVersion, upd.body.metadata.resourceVersion);
    // …whatever the order of its keys; a change deep inside is a change
    const reorder = (o: any): any => (Array.isArray(o) ? o.map(reorder) : o && typeof o === 'object' ? Object.fromEntries(Object.keys(o).reverse().map((k) => [k, reorder(o[k])])) : o);
    const nested = await c.req('PUT', '/api/v1/namespaces/t/configmaps/occ', { ...upd.body, metadata: { ...upd.body.metadata, labels: { a: '1', b: '2' }, annotations: { x: 'y' } } });
    const reordered = await c.req('PUT', '/api/v1/namespaces/t/configmaps/occ', reorder(nested.body));
    assert.equal(reordered.body.metadata.resourceVersion, nested.body.metadata.resourceVersion);
    const deeper = await c.req('PUT', '/api/v1/namespaces/t/configmaps/occ', { ...nested.body, metadata: { ...nested.body.metadata, labels: { b: '2', a: '3' } } });
    assert.ok(Number(deeper.body.metadata.resourceVersion) > Number(nested.body.metadata.resourceVersion));
    assert.deepEqual(deeper.body.metadata.labels, { a: '3', b: '2' });
    // dry run stores nothing
    const dry = await c.req('POST', '/api/v1/namespaces/t/configmaps?dryRun=All', cm('dry'));
    assert.equal(dry.status, 201);
    assert.equal((await c.req('GET', '/api/v1/namespaces/t/configmaps/dry')).status, 404);
  });

  it('bumps generation on spec changes only, keeps status on main-resource writes', async () => {
    const d = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'gen' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'g' } }, template: { metadata: { labels: { app: 'g' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
      status: { replicas: 99 },
    };
    const r = await c.req('POST', '/apis/apps/v1/namespaces/t/deployments', d);
    assert.equal(r.status, 201);
    assert.equal(r.body.metadata.generation, 1);
    assert.equal(r.body.status, undefined, 'status is dropped on create');
    const st = await c.req('PUT', '/apis/apps/v1/namespaces/t/deployments/gen/status', { ...r.body, status: { replicas: 1, observedGeneration: 1 } });
    assert.equal(st.status, 200);
    assert.equal(st.body.status.replicas, 1);
    assert.equal(st.body.metadata.generation, 1);
    const lab = await c.req('PATCH', '/apis/apps/v1/namespaces/t/deployments/gen', { metadata: { labels: { x: 'y' } }, status: { replicas: 5 } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(lab.body.metadata.generation, 1);
    assert.equal(lab.body.status.replicas, 1, 'status only changes through /status');
    const sp = await c.req('PATCH', '/apis/apps/v1/namespaces/t/deployments/gen', { spec: { replicas: 2 } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(sp.body.metadata.generation, 2);
    const scale = await c.req('GET', '/apis/apps/v1/namespaces/t/deployments/gen/scale');
    assert.equal(scale.body.kind, 'Scale');
    assert.equal(scale.body.spec.replicas, 2);
  });

  it('lists with limit/continue and label selectors', async () => {
    for (let i = 0; i < 7; i++) await c.req('POST', '/api/v1/namespaces/t/configmaps', cm(`page-${i}`, {}, { labels: { page: 'yes', n: String(i % 2) } }));
    const names: string[] = [];
    let cont = '';
    let pages = 0;
    do {
      const r = await c.req('GET', `/api/v1/namespaces/t/configmaps?labelSelector=page%3Dyes&limit=3${cont ? `&continue=${cont}` : ''}`);
      assert.equal(r.status, 200);
      names.push(...r.body.items.map((i: any) => i.metadata.name));
      cont = r.body.metadata.continue ?? '';
      pages++;
    } while (cont);
    assert.equal(pages, 3);
    assert.deepEqual(names, [0, 1, 2, 3, 4, 5, 6].map((i) => `page-${i}`));
    const odd = await c.req('GET', '/api/v1/namespaces/t/configmaps?labelSelector=n%20in%20(1)');
    assert.equal(odd.body.items.length, 3);
    const bad = await c.req('GET', '/api/v1/namespaces/t/configmaps?labelSelector=a%20in%20b');
    assert.equal(bad.status, 400);
    const badCont = await c.req('GET', '/api/v1/namespaces/t/configmaps?limit=1&continue=garbage!');
    assert.equal(badCont.status, 400);
  });

  it('watch: replays from a resourceVersion, filters by selector, 410 when too old', async () => {
    const a = await c.req('POST', '/api/v1/namespaces/t/configmaps', cm('w1', {}, { labels: { w: 'x' } }));
    const rv = a.body.metadata.resourceVersion;
    await c.req('PATCH', '/api/v1/namespaces/t/configmaps/w1', { data: { k: 'v' } }, { 'content-type': 'application/merge-patch+json' });
    await c.req('POST', '/api/v1/namespaces/t/configmaps', cm('w2'));
    await c.req('DELETE', '/api/v1/namespaces/t/configmaps/w1');
    const evs = await watchEvents(`/api/v1/namespaces/t/configmaps?watch=true&resourceVersion=${rv}`, 3);
    assert.deepEqual(evs.map((e) => `${e.type}:${e.object.metadata.name}`), ['MODIFIED:w1', 'ADDED:w2', 'DELETED:w1']);
    const sel = await watchEvents(`/api/v1/namespaces/t/configmaps?watch=true&resourceVersion=${rv}&labelSelector=w%3Dx`, 2);
    assert.deepEqual(sel.map((e) => `${e.type}:${e.object.metadata.name}`), ['MODIFIED:w1', 'DELETED:w1']);
  });

  it('watch with sendInitialEvents ends the initial state with a bookmark', async () => {
    await c.req('POST', '/api/v1/namespaces/t/configmaps', cm('initial-a', {}, { labels: { ie: 'y' } }));
    await c.req('POST', '/api/v1/namespaces/t/configmaps', cm('initial-b', {}, { labels: { ie: 'y' } }));
    const evs = await watchEvents('/api/v1/namespaces/t/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&labelSelector=ie%3Dy', 3);
    assert.deepEqual(evs.map((e) => `${e.type}:${e.object.metadata.name ?? ''}`), ['ADDED:initial-a', 'ADDED:initial-b', 'BOOKMARK:']);
    assert.equal(evs[2].object.metadata.annotations['k8s.io/initial-events-end'], 'true');
  });

  it('deletecollection deletes what the selector matches', async () => {
    for (const n of ['dc-1', 'dc-2', 'dc-3']) await c.req('POST', '/api/v1/namespaces/t/configmaps', cm(n, {}, { labels: { dc: n === 'dc-3' ? 'keep' : 'go' } }));
    const r = await c.req('DELETE', '/api/v1/namespaces/t/configmaps?labelSelector=dc%3Dgo');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.items.map((i: any) => i.metadata.name).sort(), ['dc-1', 'dc-2']);
    const left = await c.req('GET', '/api/v1/namespaces/t/configmaps?labelSelector=dc');
    assert.deepEqual(left.body.items.map((i: any) => i.metadata.name), ['dc-3']);
  });

  it('pods/binding assigns a node once', async () => {
    await c.req('POST', '/api/v1/namespaces/t/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'tobind' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    const b = await c.req('POST', '/api/v1/namespaces/t/pods/tobind/binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'tobind' }, target: { apiVersion: 'v1', kind: 'Node', name: 'flotilla-node' } });
    assert.equal(b.status, 201, b.text);
    assert.equal((await c.req('GET', '/api/v1/namespaces/t/pods/tobind')).body.spec.nodeName, 'flotilla-node');
    const again = await c.req('POST', '/api/v1/namespaces/t/pods/tobind/binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'tobind' }, target: { kind: 'Node', name: 'other' } });
    assert.equal(again.status, 409);
    assert.match(again.body.message, /already assigned to node "flotilla-node"/);
    await c.req('DELETE', '/api/v1/namespaces/t/pods/tobind', { gracePeriodSeconds: 0 });
  });

  it('pods bound to a node are deleted gracefully; grace 0 removes them', async () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bound' }, spec: { nodeName: 'flotilla-node', containers: [{ name: 'c', image: 'busybox' }] } };
    assert.equal((await c.req('POST', '/api/v1/namespaces/t/pods', pod)).status, 201);
    const del = await c.req('DELETE', '/api/v1/namespaces/t/pods/bound');
    assert.equal(del.status, 200);
    assert.equal(del.body.metadata.deletionGracePeriodSeconds, 30);
    assert.ok(del.body.metadata.deletionTimestamp);
    assert.equal((await c.req('GET', '/api/v1/namespaces/t/pods/bound')).status, 200, 'still there: the kubelet finishes it');
    const now = await c.req('DELETE', '/api/v1/namespaces/t/pods/bound', { gracePeriodSeconds: 0 });
    assert.equal(now.status, 200);
    assert.equal((await c.req('GET', '/api/v1/namespaces/t/pods/bound')).status, 404);
    const unbound = { ...pod, metadata: { name: 'unbound' }, spec: { containers: pod.spec.containers } };
    await c.req('POST', '/api/v1/namespaces/t/pods', unbound);
    await c.req('DELETE', '/api/v1/namespaces/t/pods/unbound');
    assert.equal((await c.req('GET', '/api/v1/namespaces/t/pods/unbound')).status, 404, 'unscheduled pods go at once');
  });

  it('namespaces terminate and delete their contents', async () => {
    await c.req('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } });
    await c.req('POST', '/api/v1/namespaces/doomed/configmaps', cm('a'));
    await c.req('POST', '/api/v1/namespaces/doomed/configmaps', cm('b', {}, { finalizers: ['example.com/hold'] }));
    const del = await c.req('DELETE', '/api/v1/namespaces/doomed');
    assert.equal(del.status, 200);
    assert.equal(del.body.status.phase, 'Terminating');
    const blocked = await c.req('POST', '/api/v1/namespaces/doomed/configmaps', cm('c'));
    assert.equal(blocked.status, 403);
    assert.match(blocked.body.message, /being terminated/);
    await eventually(async () => (await c.req('GET', '/api/v1/namespaces/doomed/configmaps/a')).status === 404, 5000, 'a deleted');
    // b waits for its finalizer; so does the namespace
    const b = await c.req('GET', '/api/v1/namespaces/doomed/configmaps/b');
    assert.ok(b.body.metadata.deletionTimestamp);
    assert.equal((await c.req('GET', '/api/v1/namespaces/doomed')).status, 200);
    await c.req('PATCH', '/api/v1/namespaces/doomed/configmaps/b', { metadata: { finalizers: null } }, { 'content-type': 'application/merge-patch+json' });
    await eventually(async () => (await c.req('GET', '/api/v1/namespaces/doomed')).status === 404, 5000, 'namespace gone');
  });

  it('garbage-collects dependents in the background and orphans on request', async () => {
    const owner = await c.req('POST', '/api/v1/namespaces/t/configmaps', cm('gc-owner'));
    const ref = [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'gc-owner', uid: owner.body.metadata.uid }];
    await c.req('POST', '/api/v1/namespaces/t/configmaps', cm('gc-dep', {}, { ownerReferences: ref }));
    await c.req('DELETE', '/api/v1/namespaces/t/configmaps/gc-owner');
    await eventually(async () => (await c.req('GET', '/api/v1/namespaces/t/configmaps/gc-dep')).status === 404, 5000, 'dependent collected');
    const owner2 = await c.req('POST', '/api/v1/namespaces/t/configmaps', cm('gc-owner2'));
    await c.req('POST', '/api/v1/namespaces/t/configmaps', cm('gc-orphan', {}, { ownerReferences: [{ ...ref[0], name: 'gc-owner2', uid: owner2.body.metadata.uid }] }));
    await c.req('DELETE', '/api/v1/namespaces/t/configmaps/gc-owner2', { propagationPolicy: 'Orphan' });
    await eventually(async () => (await c.req('GET', '/api/v1/namespaces/t/configmaps/gc-owner2')).status === 404, 5000, 'owner gone');
    const orphan = await c.req('GET', '/api/v1/namespaces/t/configmaps/gc-orphan');
    assert.equal(orphan.status, 200);
    assert.equal(orphan.body.metadata.ownerReferences, undefined);
    // created with an owner that is not there (its uid is another's) or is being deleted: collected with no deletion
    // to trigger it; created with a live owner: kept (the server looks at that object's owners only)
    const live = await c.req('POST', '/api/v1/namespaces/t/configmaps', cm('gc-live'));
    const liveRef = [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'gc-live', uid: live.body.metadata.uid }];
    await c.req('POST', '/api/v1/namespaces/t/configmaps', cm('gc-kept', {}, { ownerReferences: liveRef }));
    await c.req('POST', '/api/v1/namespaces/t/configmaps', cm('gc-stale', {}, { ownerReferences: [{ ...liveRef[0], uid: 'not-the-owner' }] }));
    await c.req('POST', '/api/v1/namespaces/t/configmaps', cm('gc-nobody', {}, { ownerReferences: [{ ...liveRef[0], name: 'gc-missing', uid: 'gc-missing-uid' }] }));
    await eventually(async () => (await c.req('GET', '/api/v1/namespaces/t/configmaps/gc-stale')).status === 404, 5000, 'a dependent of a wrong uid collected');
    await eventually(async () => (await c.req('GET', '/api/v1/namespaces/t/configmaps/gc-nobody')).status === 404, 5000, 'a dependent of a missing owner collected');
    assert.equal((await c.req('GET', '/api/v1/namespaces/t/configmaps/gc-kept')).status, 200);
  });

  it('ServiceAccount tokens authenticate until the account is deleted', async () => {
    const sa = await c.req('POST', '/api/v1/namespaces/t/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'bot' } });
    assert.equal(sa.status, 201);
    const tr = await c.req('POST', '/api/v1/namespaces/t/serviceaccounts/bot/token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} });
    assert.equal(tr.status, 201);
    const token = tr.body.status.token;
    const who = await c.req('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, { authorization: `Bearer ${token}` });
    assert.equal(who.status, 201);
    assert.equal(who.body.status.userInfo.username, 'system:serviceaccount:t:bot');
    await c.req('DELETE', '/api/v1/namespaces/t/serviceaccounts/bot');
    const revoked = await c.req('GET', '/api/v1/namespaces/t/configmaps', undefined, { authorization: `Bearer ${token}` });
    assert.equal(revoked.status, 401);
  });

  it('keeps the kubernetes Service endpoints pointing at the server', async () => {
    const ep = await c.req('GET', '/api/v1/namespaces/default/endpoints/kubernetes');
    assert.equal(ep.status, 200);
    assert.deepEqual(ep.body.subsets[0].ports[0], { name: 'https', port: c.server.port, protocol: 'TCP' });
    const slice = await c.req('GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes');
    assert.equal(slice.body.ports[0].port, c.server.port);
  });

  it('serves discovery, aggregated discovery and OpenAPI', async () => {
    const api = await c.req('GET', '/api');
    assert.deepEqual(api.body.versions, ['v1']);
    const agg = await c.req('GET', '/apis', undefined, { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' });
    assert.match(String(agg.headers['content-type']), /as=APIGroupDiscoveryList/);
    assert.ok(agg.body.items.some((g: any) => g.metadata.name === 'apps'));
    const apps = await c.req('GET', '/apis/apps/v1');
    const dep = apps.body.resources.find((r: any) => r.name === 'deployments');
    assert.deepEqual(dep.shortNames, ['deploy']);
    assert.ok(apps.body.resources.some((r: any) => r.name === 'deployments/scale'));
    const v3 = await c.req('GET', '/openapi/v3');
    assert.ok(v3.body.paths['apis/apps/v1']);
    const v2 = await c.req('GET', '/openapi/v2');
    assert.ok(v2.body.definitions['io.k8s.api.apps.v1.Deployment']);
  });
});
