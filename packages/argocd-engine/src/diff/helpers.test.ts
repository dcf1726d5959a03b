// Table tests: quantities, tracking, exclusions, JSON pointers and jq paths.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSettings } from '../settings/index.js';
import { canonicalQuantity } from './quantity.js';
import { appInstanceName, isExcluded, jqPaths, parseJsonPointer, parseTrackingId, setTracking, trackingInfo } from './index.js';

describe('canonicalQuantity', () => {
  const table: [unknown, string | undefined][] = [
    [0.5, '500m'], ['500m', '500m'], ['1000m', '1'], ['1024Mi', '1Gi'], ['0.5Gi', '512Mi'], ['1000', '1k'], ['1500', '1500'],
    ['2.5', '2500m'], ['0.0005', '500u'], ['1e3', '1e3'], ['0', '0'], ['100Mi', '100Mi'], ['abc', undefined], ['', undefined], ['1Zi', undefined],
  ];
  for (const [input, want] of table) test(`${JSON.stringify(input)} → ${want}`, () => assert.equal(canonicalQuantity(input), want));
});

describe('tracking', () => {
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'demo' } };
  test('label method (default) writes and reads the instance label', () => {
    const t = setTracking(cm, { name: 'guestbook' }, undefined);
    assert.equal(t.metadata!.labels!['app.kubernetes.io/instance'], 'guestbook');
    assert.equal(t.metadata!.annotations, undefined);
    assert.deepEqual(trackingInfo(t, 'guestbook', undefined), { appName: 'guestbook', ownedByApp: true });
    assert.equal(trackingInfo(t, 'other', undefined).ownedByApp, false);
    assert.equal(cm.metadata.namespace, 'demo');
    assert.equal((cm.metadata as { labels?: unknown }).labels, undefined, 'input not mutated');
  });
  test('custom instance label key', () => {
    const s = parseSettings({ 'application.instanceLabelKey': 'argocd.argoproj.io/instance' });
    const t = setTracking(cm, { name: 'a' }, s);
    assert.equal(t.metadata!.labels!['argocd.argoproj.io/instance'], 'a');
    assert.equal(trackingInfo(t, 'a', s).ownedByApp, true);
    assert.equal(trackingInfo(t, 'a', undefined).ownedByApp, false);
  });
  test('annotation method writes the tracking id and checks it names the object itself', () => {
    const s = parseSettings({ 'application.resourceTrackingMethod': 'annotation' });
    const t = setTracking(cm, { name: 'guestbook' }, s);
    assert.equal(t.metadata!.annotations!['argocd.argoproj.io/tracking-id'], 'guestbook:/ConfigMap:demo/c');
    assert.equal(t.metadata!.labels, undefined);
    assert.equal(trackingInfo(t, 'guestbook', s).ownedByApp, true);
    const copied = { ...t, metadata: { ...t.metadata, name: 'c-copy' } };
    assert.equal(trackingInfo(copied, 'guestbook', s).ownedByApp, false);
  });
  test('annotation+label writes both', () => {
    const s = parseSettings({ 'application.resourceTrackingMethod': 'annotation+label' });
    const t = setTracking({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' } }, { name: 'a', defaultNamespace: 'ns1' }, s);
    assert.equal(t.metadata!.labels!['app.kubernetes.io/instance'], 'a');
    assert.equal(t.metadata!.annotations!['argocd.argoproj.io/tracking-id'], 'a:apps/Deployment:ns1/d');
  });
  test('apps outside the controller namespace are <ns>_<name>', () => {
    assert.equal(appInstanceName('a', 'team1', 'argocd'), 'team1_a');
    assert.equal(appInstanceName('a', 'argocd', 'argocd'), 'a');
    assert.deepEqual(parseTrackingId('team1_a:apps/Deployment:ns/d'), { appName: 'team1_a', group: 'apps', kind: 'Deployment', namespace: 'ns', name: 'd' });
    assert.deepEqual(parseTrackingId('a:/Namespace:/ns1'), { appName: 'a', group: '', kind: 'Namespace', namespace: '', name: 'ns1' });
    assert.equal(parseTrackingId('garbage'), undefined);
  });
});

describe('isExcluded', () => {
  const none = parseSettings({});
  const table: [string, { group?: string; kind: string }, ReturnType<typeof parseSettings>, string | undefined, boolean][] = [
    ['core exclusion Event', { kind: 'Event' }, none, undefined, true],
    ['core exclusion events.k8s.io', { group: 'events.k8s.io', kind: 'Event' }, none, undefined, true],
    ['core exclusion metrics.k8s.io', { group: 'metrics.k8s.io', kind: 'PodMetrics' }, none, undefined, true],
    ['core exclusion Lease', { group: 'coordination.k8s.io', kind: 'Lease' }, none, undefined, true],
    ['a Deployment is not', { group: 'apps', kind: 'Deployment' }, none, undefined, false],
  ];
  const ex = parseSettings({ 'resource.exclusions': '- apiGroups: ["*.example.com"]\n  kinds: ["*"]\n  clusters: ["https://prod*"]\n- apiGroups: [""]\n  kinds: [Endpoints]\n' });
  table.push(['glob group on a matching cluster', { group: 'x.example.com', kind: 'W' }, ex, 'https://prod-1', true]);
  table.push(['glob group on another cluster', { group: 'x.example.com', kind: 'W' }, ex, 'https://dev', false]);
  table.push(['Endpoints excluded on every cluster', { kind: 'Endpoints' }, ex, 'https://dev', true]);
  const inc = parseSettings({ 'resource.inclusions': '- apiGroups: ["", apps]\n  kinds: ["*"]\n' });
  table.push(['inclusions: listed group', { group: 'apps', kind: 'Deployment' }, inc, undefined, false]);
  table.push(['inclusions: unlisted group', { group: 'batch', kind: 'Job' }, inc, undefined, true]);
  table.push(['inclusions do not lift core exclusions', { kind: 'Event' }, inc, undefined, true]);
  for (const [name, gk, s, cluster, want] of table) test(name, () => assert.equal(isExcluded(gk, s, cluster), want));
});

describe('JSON pointers and jq paths', () => {
  test('pointer escapes', () => {
    assert.deepEqual(parseJsonPointer('/metadata/annotations/a~1b~0c'), ['metadata', 'annotations', 'a/b~c']);
    assert.deepEqual(parseJsonPointer(''), []);
    assert.throws(() => parseJsonPointer('spec'), /must start with "\/"/);
  });
  test('jq paths with select, optional iteration and quoted keys', () => {
    const o = { metadata: { annotations: { 'x/y': '1' } }, spec: { containers: [{ name: 'a' }, { name: 'b' }] } };
    assert.deepEqual(jqPaths('.spec.containers[] | select(.name == "b")', o), [['spec', 'containers', 1]]);
    assert.deepEqual(jqPaths('.metadata.annotations."x/y"', o), [['metadata', 'annotations', 'x/y']]);
    assert.deepEqual(jqPaths('.spec.initContainers[]?', o), []);
  });
});

describe('jq slices and negative indices', () => {
  const o = { w: [0, 1, 2, 3] };
  const table: [string, (string | number)[][]][] = [
    ['.w[-1]', [['w', 3]]],
    ['.w[1:]', [['w', 1], ['w', 2], ['w', 3]]],
    ['.w[0:2]', [['w', 0], ['w', 1]]],
    ['.w[-2:]', [['w', 2], ['w', 3]]],
    ['.w[-9]', []],
  ];
  for (const [e, want] of table) test(e, () => assert.deepEqual(jqPaths(e, o), want));
});

describe('jq expressions that could run without bound are refused', () => {
  const table = ['def f: f; f', '[repeat(.)]', 'recurse(. + 1)', '[range(1e12)]', 'until(false; .)', 'while(true; .)'];
  for (const e of table) test(e, () => assert.throws(() => jqPaths(e, {}), /could run without bound/));
  test('the words inside string literals are fine', () => assert.deepEqual(jqPaths('.metadata.annotations."repeat/while"', { metadata: { annotations: { 'repeat/while': 'x' } } }), [['metadata', 'annotations', 'repeat/while']]));
  test('regex tests are allowed', () => assert.deepEqual(jqPaths('.spec.containers[] | select(.name | test("^istio"))', { spec: { containers: [{ name: 'web' }, { name: 'istio-proxy' }] } }), [['spec', 'containers', 1]]));
});
