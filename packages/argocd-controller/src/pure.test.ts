/**
 * Table tests of the controller's pure parts: flags, project rules, sync windows, automated-sync
 * decisions, cluster Secrets, sharding, the three-way patch, plan ↔ record mapping.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppProject, Application, ResourceResult } from '@flotilla/argocd-engine';
import { planSync } from '@flotilla/argocd-engine/sync';
import { helpText, ordinalOf, parseControllerArgs, UsageError } from './flags.js';
import { destinationAllowed, goDurationMs, resourceAllowed, sourceRepoAllowed, syncWindowVerdict, windowActive } from './project.js';
import { autoSyncDecision, retryDelayMs, type AutoSyncInput } from './autosync.js';
import { clusterFromSecret, shardOf } from './clusters.js';
import { lastAppliedOf, threeWayPatch, usesStrategicMerge } from './apply.js';
import { nameHooks, recordResult, resultsFromRecord } from './tasks.js';
import { trackedApp } from './tracking.js';
import { cacheBehind, ownWriteAhead } from './refresh.js';

test('flags: defaults, environment, command line, upstream-only flags, errors', () => {
  const d = parseControllerArgs([], {});
  assert.equal(d.appResyncSeconds, 180);
  assert.equal(d.metricsPort, 8082);
  assert.equal(d.statusProcessors, 20);
  assert.equal(d.operationProcessors, 10);
  assert.equal(d.repoServer, 'argocd-repo-server:8081');
  assert.equal(d.kubectlParallelismLimit, 20);
  const e = parseControllerArgs([], { ARGOCD_RECONCILIATION_TIMEOUT: '3m', ARGOCD_APPLICATION_CONTROLLER_STATUS_PROCESSORS: '7', ARGOCD_APPLICATION_NAMESPACES: 'team-*, apps', REDIS_SERVER: 'argocd-redis:6379' });
  assert.equal(e.appResyncSeconds, 180);
  assert.equal(e.statusProcessors, 7);
  assert.deepEqual(e.applicationNamespaces, ['team-*', 'apps']);
  assert.equal(e.redis, 'argocd-redis:6379');
  const c = parseControllerArgs(['/usr/local/bin/argocd-application-controller', '--app-resync=60', '--repo-server', 'rs:8081', '--loglevel', 'debug', '--otlp-address', 'x:4317', '--redis-use-tls', '--some-new-flag'], { ARGOCD_RECONCILIATION_TIMEOUT: '120' });
  assert.equal(c.appResyncSeconds, 60, 'command line over environment');
  assert.equal(c.repoServer, 'rs:8081');
  assert.equal(c.logLevel, 'debug');
  assert.deepEqual(c.ignored, ['otlp-address', 'redis-use-tls', 'some-new-flag']);
  assert.throws(() => parseControllerArgs(['--app-resync', 'soon']), (x: Error) => x instanceof UsageError && /--app-resync/.test(x.message));
  assert.throws(() => parseControllerArgs(['--loglevel', 'loud']), UsageError);
  assert.throws(() => parseControllerArgs(['--repo-server']), /needs an argument/);
  assert.throws(() => parseControllerArgs([], { ARGOCD_APPLICATION_CONTROLLER_STATUS_PROCESSORS: 'many' }), /ARGOCD_APPLICATION_CONTROLLER_STATUS_PROCESSORS/);
  assert.match(helpText(), /--status-processors/);
});

test('flags: shard from the StatefulSet ordinal with ARGOCD_CONTROLLER_REPLICAS', () => {
  assert.equal(ordinalOf('argocd-application-controller-2'), 2);
  assert.equal(parseControllerArgs([], { ARGOCD_CONTROLLER_REPLICAS: '3', HOSTNAME: 'argocd-application-controller-2' }).shard, 2);
  assert.equal(parseControllerArgs([], { ARGOCD_CONTROLLER_REPLICAS: '1', HOSTNAME: 'argocd-application-controller-2' }).shard, 0);
  assert.equal(parseControllerArgs([], { ARGOCD_CONTROLLER_REPLICAS: '2', ARGOCD_CONTROLLER_SHARD: '1' }).shard, 1);
});

const proj = (spec: AppProject['spec']): AppProject => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', metadata: { name: 'p' }, spec });

test('project: source repositories (globs, negation)', () => {
  const rows: [string[], string, boolean][] = [
    [['*'], 'https://git.example.com/a.git', true],
    [['https://git.example.com/*'], 'https://git.example.com/org/a.git', true],
    [['https://git.example.com/a'], 'https://git.example.com/a.git', true],
    [['https://git.example.com/a.git'], 'https://git.example.com/b.git', false],
    [['*', '!https://git.example.com/secret/*'], 'https://git.example.com/secret/x.git', false],
    [[], 'https://x', false],
  ];
  for (const [list, url, want] of rows) assert.equal(sourceRepoAllowed(proj({ sourceRepos: list }), url), want, `${list} ${url}`);
});

test('project: destinations by server or name and namespace', () => {
  const p = proj({ destinations: [{ server: 'https://kubernetes.default.svc', namespace: 'team-*' }, { name: 'prod', namespace: '*' }, { server: '*', namespace: '!kube-system' }] });
  const rows: [{ server?: string; name?: string; namespace?: string }, boolean][] = [
    [{ server: 'https://kubernetes.default.svc', namespace: 'team-a' }, true],
    [{ server: 'https://other', name: 'prod', namespace: 'x' }, true],
    [{ server: 'https://kubernetes.default.svc', namespace: 'kube-system' }, false],
  ];
  for (const [d, want] of rows) assert.equal(destinationAllowed(p, d), want, JSON.stringify(d));
  assert.equal(destinationAllowed(proj({ destinations: [{ server: 'https://a', namespace: 'x' }] }), { server: 'https://b', namespace: 'x' }), false);
});

test('project: cluster and namespace resource allow/deny lists', () => {
  const p = proj({ clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }], namespaceResourceBlacklist: [{ group: '', kind: 'ResourceQuota' }] });
  assert.equal(resourceAllowed(p, '', 'Namespace', false), true);
  assert.equal(resourceAllowed(p, 'rbac.authorization.k8s.io', 'ClusterRole', false), false, 'cluster-scoped kinds need the whitelist');
  assert.equal(resourceAllowed(p, '', 'ResourceQuota', true), false);
  assert.equal(resourceAllowed(p, 'apps', 'Deployment', true), true);
  const w = proj({ namespaceResourceWhitelist: [{ group: 'apps', kind: '*' }] });
  assert.equal(resourceAllowed(w, 'apps', 'Deployment', true), true);
  assert.equal(resourceAllowed(w, '', 'ConfigMap', true), false);
  assert.equal(resourceAllowed(proj({ clusterResourceWhitelist: [{ group: '*', kind: '*' }], clusterResourceBlacklist: [{ group: '', kind: 'Node' }] }), '', 'Node', false), false);
});

test('sync windows: active windows, deny beats allow, manualSync', () => {
  const at = Date.parse('2026-12-05T10:30:00Z');
  assert.equal(goDurationMs('1h30m'), 5_400_000);
  assert.equal(windowActive({ kind: 'allow', schedule: '0 10 * * *', duration: '1h' }, at), true);
  assert.equal(windowActive({ kind: 'allow', schedule: '0 10 * * *', duration: '10m' }, at), false);
  const app = { name: 'guestbook', namespace: 'default', server: 'https://kubernetes.default.svc' };
  assert.deepEqual(syncWindowVerdict([], app, at), { automated: true, manual: true });
  const deny = syncWindowVerdict([{ kind: 'deny', schedule: '0 10 * * *', duration: '1h', applications: ['*'] }], app, at);
  assert.equal(deny.automated, false);
  assert.equal(deny.manual, false);
  assert.equal(syncWindowVerdict([{ kind: 'deny', schedule: '0 10 * * *', duration: '1h', applications: ['*'], manualSync: true }], app, at).manual, true);
  const inactiveAllow = syncWindowVerdict([{ kind: 'allow', schedule: '0 22 * * *', duration: '1h', namespaces: ['default'] }], app, at);
  assert.equal(inactiveAllow.automated, false);
  assert.equal(syncWindowVerdict([{ kind: 'allow', schedule: '0 10 * * *', duration: '1h', clusters: ['https://kubernetes.default.svc'] }], app, at).automated, true);
  assert.equal(syncWindowVerdict([{ kind: 'deny', schedule: '0 10 * * *', duration: '1h', applications: ['other'] }], app, at).automated, true, 'a window for other apps');
});

const appWith = (p: Partial<Application['spec']> = {}, status?: Application['status'], operation?: Application['operation']): Application => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name: 'a', namespace: 'argocd' },
  spec: { project: 'default', source: { repoURL: 'r', path: 'p' }, destination: { server: 's', namespace: 'n' }, ...p },
  status,
  operation,
});

test('automated sync decisions', () => {
  const base: Omit<AutoSyncInput, 'app'> = { syncStatus: 'OutOfSync', revision: 'sha2', targetCount: 3, outOfSyncNonPrune: 1, now: 100_000, selfHealTimeoutMs: 5000, windowAllows: true };
  const auto = { syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'], retry: { limit: 2 } } };
  const d = autoSyncDecision({ ...base, app: appWith(auto) });
  assert.deepEqual(d.operation, { sync: { revision: 'sha2', prune: true, syncOptions: ['CreateNamespace=true'] }, initiatedBy: { automated: true }, retry: { limit: 2 } });
  assert.match(autoSyncDecision({ ...base, app: appWith({}) }).skip!, /not enabled/);
  assert.match(autoSyncDecision({ ...base, app: appWith({ syncPolicy: { automated: { enabled: false } } }) }).skip!, /not enabled/);
  assert.match(autoSyncDecision({ ...base, syncStatus: 'Synced', app: appWith(auto) }).skip!, /Synced/);
  assert.match(autoSyncDecision({ ...base, app: appWith(auto, undefined, { sync: {} }) }).skip!, /in progress/);
  assert.match(autoSyncDecision({ ...base, windowAllows: false, app: appWith(auto) }).skip!, /window/);
  const failed = { operationState: { operation: { sync: { revision: 'sha2' }, initiatedBy: { automated: true } }, phase: 'Failed' as const, startedAt: 'x', finishedAt: new Date(90_000).toISOString(), syncResult: { revision: 'sha2', source: { repoURL: 'r', path: 'p' } } } };
  assert.match(autoSyncDecision({ ...base, app: appWith(auto, failed) }).skip!, /Skipping re-attempt of failed sync/);
  assert.ok(autoSyncDecision({ ...base, revision: 'sha3', app: appWith(auto, failed) }).operation, 'a new revision is attempted');
  const ok = { operationState: { ...failed.operationState, phase: 'Succeeded' as const } };
  assert.match(autoSyncDecision({ ...base, app: appWith(auto, ok) }).skip!, /selfHeal off/);
  const heal = { syncPolicy: { automated: { selfHeal: true } } };
  const wait = autoSyncDecision({ ...base, now: 92_000, app: appWith(heal, ok) });
  assert.equal(wait.operation, undefined);
  assert.equal(wait.retryAfterMs, 3000, 'self-heal waits selfHealTimeout after the last sync');
  assert.ok(autoSyncDecision({ ...base, now: 200_000, app: appWith(heal, ok) }).operation, 'self-heal after the timeout');
  assert.match(autoSyncDecision({ ...base, outOfSyncNonPrune: 0, app: appWith({ syncPolicy: { automated: {} } }) }).skip!, /pruning/);
  const empty = autoSyncDecision({ ...base, targetCount: 0, app: appWith(auto) });
  assert.equal(empty.operation, undefined);
  assert.equal(empty.condition?.type, 'SyncError');
  assert.ok(autoSyncDecision({ ...base, targetCount: 0, app: appWith({ syncPolicy: { automated: { prune: true, allowEmpty: true } } }) }).operation);
});

test('retry back-off', () => {
  const r = { limit: 5, backoff: { duration: '5s', factor: 2, maxDuration: '30s' } };
  assert.deepEqual([1, 2, 3, 4, 5].map((n) => retryDelayMs(r, n, goDurationMs)), [5000, 10_000, 20_000, 30_000, 30_000]);
  assert.equal(retryDelayMs({ limit: 1 }, 1, goDurationMs), 5000);
});

test('cluster Secrets', () => {
  const b = (s: string) => Buffer.from(s).toString('base64');
  const c = clusterFromSecret({
    metadata: { name: 'c1', namespace: 'argocd', resourceVersion: '7' },
    data: { server: b('https://10.0.0.1:6443/'), name: b('prod'), namespaces: b('a, b'), clusterResources: b('true'), config: b(JSON.stringify({ bearerToken: 'tok', tlsClientConfig: { insecure: false, caData: b('CA'), certData: b('CERT'), keyData: b('KEY') } })) },
  });
  assert.equal(c.server, 'https://10.0.0.1:6443');
  assert.equal(c.name, 'prod');
  assert.deepEqual(c.namespaces, ['a', 'b']);
  assert.equal(c.clusterResources, true);
  assert.equal(c.config?.token, 'tok');
  assert.equal(c.config?.ca, 'CA');
  assert.equal(c.config?.cert, 'CERT');
  assert.equal(c.config?.key, 'KEY');
  assert.match(clusterFromSecret({ metadata: { name: 'x', namespace: 'argocd' }, stringData: { server: 'https://a', config: '{bad' } }).error!, /cluster Secret argocd\/x: data.config is not JSON/);
  assert.match(clusterFromSecret({ metadata: { name: 'x', namespace: 'argocd' }, stringData: {} }).error!, /data.server is missing/);
  assert.equal(shardOf({ server: 'https://kubernetes.default.svc' }, 3), 0);
  assert.equal(shardOf({ server: 'https://x', shard: 4 }, 3), 1);
  const s = shardOf({ server: 'https://y' }, 3);
  assert.ok(s >= 0 && s < 3);
  assert.equal(shardOf({ server: 'https://y' }, 3), s, 'stable');
});

test('client-side apply: last-applied configuration and the three-way patch', () => {
  const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n', resourceVersion: '5', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': 'old' } }, data: { a: '1' } };
  assert.deepEqual(JSON.parse(lastAppliedOf(obj)), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n' }, data: { a: '1' } });
  assert.deepEqual(threeWayPatch({ data: { a: '1', b: '2' }, metadata: { labels: { x: '1' } } }, { data: { a: '3' }, metadata: { labels: {} } }), { data: { a: '3', b: null }, metadata: { labels: { x: null } } });
  assert.deepEqual(threeWayPatch(undefined, { spec: { replicas: 2 } }), { spec: { replicas: 2 } });
  assert.deepEqual(threeWayPatch({ spec: { list: [1, 2] } }, { spec: { list: [1] } }), { spec: { list: [1] } });
  // a Service port whose number changed (merge key `port`): the old item is deleted, not kept next to
  // the new one with the same name (the API server refused that sync: duplicate port name)
  const svc = (port: number) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ name: 'http', port, targetPort: 'http' }] } });
  const p = threeWayPatch(svc(80), svc(8080), { group: '', version: 'v1', kind: 'Service' }) as any;
  assert.deepEqual(p.spec.ports, [{ name: 'http', port: 8080, targetPort: 'http' }, { port: 80, $patch: 'delete' }]);
  assert.equal(usesStrategicMerge('apps'), true);
  assert.equal(usesStrategicMerge('networking.k8s.io'), true);
  assert.equal(usesStrategicMerge('argoproj.io'), false);
});

test('tracking: label and annotation methods; copied tracking ids do not count', () => {
  const o = (labels: Record<string, string>, annotations: Record<string, string> = {}, kind = 'Deployment', name = 'd') => ({ apiVersion: 'apps/v1', kind, metadata: { name, namespace: 'n', labels, annotations } });
  assert.equal(trackedApp(o({ 'app.kubernetes.io/instance': 'guestbook' }), { trackingMethod: 'label', appInstanceLabelKey: 'app.kubernetes.io/instance' }), 'guestbook');
  const ann = { trackingMethod: 'annotation' as const, appInstanceLabelKey: 'app.kubernetes.io/instance' };
  assert.equal(trackedApp(o({}, { 'argocd.argoproj.io/tracking-id': 'guestbook:apps/Deployment:n/d' }), ann), 'guestbook');
  assert.equal(trackedApp(o({}, { 'argocd.argoproj.io/tracking-id': 'guestbook:apps/Deployment:n/d' }, 'ReplicaSet', 'd-123'), ann), undefined);
  assert.equal(trackedApp(o({ 'app.kubernetes.io/instance': 'guestbook' }), ann), undefined);
});

test('plan ↔ record: a restarted controller rebuilds the planner results from syncResult.resources', () => {
  const cm = (name: string, wave?: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'n', ...(wave ? { annotations: { 'argocd.argoproj.io/sync-wave': wave } } : {}) } });
  const hook = { apiVersion: 'batch/v1', kind: 'Job', metadata: { generateName: 'before-', namespace: 'n', annotations: { 'argocd.argoproj.io/hook': 'PreSync' } } };
  const named = nameHooks([hook], 'uid/2026');
  assert.match(named[0].metadata!.name!, /^before-[0-9a-z]{7}$/);
  assert.equal(nameHooks([hook], 'uid/2026')[0].metadata!.name, named[0].metadata!.name, 'stable per operation');
  assert.notEqual(nameHooks([hook], 'uid/2027')[0].metadata!.name, named[0].metadata!.name);
  const old = { ...cm('gone'), metadata: { ...cm('gone').metadata, labels: { 'app.kubernetes.io/instance': 'a' } } };
  const plan = planSync({ targets: [cm('a'), cm('b', '1'), ...named], live: [old], operation: { prune: true } });
  const rec: ResourceResult[] = [];
  recordResult(rec, { group: 'batch', version: 'v1', kind: 'Job', namespace: 'n', name: named[0].metadata!.name!, hookType: 'PreSync', hookPhase: 'Succeeded', status: 'Synced', syncPhase: 'PreSync' });
  recordResult(rec, { group: '', version: 'v1', kind: 'ConfigMap', namespace: 'n', name: 'a', status: 'Synced', message: 'configmap/a created', syncPhase: 'Sync' });
  recordResult(rec, { group: '', version: 'v1', kind: 'ConfigMap', namespace: 'n', name: 'gone', status: 'Pruned', message: 'configmap/gone pruned', syncPhase: 'Sync' });
  recordResult(rec, { group: '', version: 'v1', kind: 'ConfigMap', namespace: 'n', name: 'a', status: 'Synced', message: 'configmap/a configured', syncPhase: 'Sync' });
  assert.equal(rec.length, 3, 'upserted');
  const res = resultsFromRecord(plan, rec, new Map());
  const ids = [...res.keys()].sort();
  assert.equal(ids.length, 3);
  assert.ok(ids.some((i) => i.includes('prune') && i.includes('gone')));
  assert.ok(ids.some((i) => i.startsWith('PreSync/hook/')));
  assert.equal(res.get(ids.find((i) => i.includes('/ConfigMap/n/a'))!)?.message, 'configmap/a configured');
});

test('after an operation the comparison waits while the live-state cache lacks or holds older versions of what it applied', () => {
  const obj = (name: string, rv: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'bench', resourceVersion: rv } });
  const applied = new Map([
    ['Sync/apply//ConfigMap/bench/a', obj('a', '120')],
    ['Sync/apply//ConfigMap/bench/b', obj('b', '121')],
  ]);
  const cacheOf = (objs: ReturnType<typeof obj>[]) => ({ get: (g: string, k: string, ns: string | undefined, n: string) => objs.find((o) => g === '' && k === o.kind && ns === o.metadata.namespace && n === o.metadata.name) });
  assert.equal(cacheBehind(cacheOf([obj('a', '120')]), applied), true, 'b not in the cache yet');
  assert.equal(cacheBehind(cacheOf([obj('a', '120'), obj('b', '99')]), applied), true, 'b older in the cache');
  assert.equal(cacheBehind(cacheOf([obj('a', '120'), obj('b', '121')]), applied), false);
  assert.equal(cacheBehind(cacheOf([obj('a', '130'), obj('b', '125')]), applied), false, 'changed again since: the cache is ahead');
  assert.equal(cacheBehind(cacheOf([]), new Map()), false);
  assert.equal(cacheBehind(cacheOf([]), undefined), false);
});

test("a refresh compares with the controller's own last write while the informer's copy of the app is older than it", () => {
  const app = (rv: string) => ({ metadata: { name: 'a', resourceVersion: rv }, spec: {} }) as unknown as Application;
  const written = { rv: '120', comparable: '[]' };
  assert.equal(ownWriteAhead(app('119'), written), written, 'the informer has not seen our write');
  assert.equal(ownWriteAhead(app('120'), written), undefined);
  assert.equal(ownWriteAhead(app('135'), written), undefined, 'written to since (an operation completed)');
  assert.equal(ownWriteAhead(app('119'), undefined), undefined);
  assert.equal(ownWriteAhead(app('x'), written), undefined, 'resourceVersions that are not numbers: the informer copy counts');
});
