/**
 * The controller against a real API server (in this process), a real Git server and a real plugin
 * HTTP server on loopback: git directories (new directory → new app, removed → deleted under
 * sync, kept under create-update), errors into conditions without deletions, policies, plugin.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '@flotilla/kube-runtime';
import { startTestCluster, waitFor, type TestCluster } from '@flotilla/kube-runtime/testkit';
import { startGitServer, type GitServer } from '@flotilla/repo-server/testkit';
import { APPLICATIONS, APPLICATIONSETS } from './controller.js';
import { parseAppSetArgs } from './flags.js';
import { startAppSetController, type RunningAppSetController } from './main.js';
import { argoCrds, crdSkipReason } from './testenv.js';
import type { Application, ApplicationSet } from './types.js';

const skip = crdSkipReason();
if (skip) console.log(`# skipped: ${skip}`);

let cluster: TestCluster;
let client: KubeClient;
let git: GitServer;
let ctl: RunningAppSetController;
let plugin: Server;
let pluginURL = '';
let pluginCalls = 0;
const logs: string[] = [];
const dir = mkdtempSync(join(tmpdir(), 'appset-ctl-'));

before(async () => {
  if (skip) return;
  cluster = await startTestCluster({ prefix: 'appset-' });
  writeFileSync(join(dir, 'crds.json'), argoCrds());
  await cluster.k(['apply', '--server-side', '-f', join(dir, 'crds.json')]);
  await cluster.k(['create', 'namespace', 'argocd']);
  await waitFor('CRDs served', async () => (await cluster.kubectl(['get', 'applicationsets.argoproj.io', '-n', 'argocd'])).code === 0, 30_000, 200);
  client = new KubeClient(cluster.kubeconfig, { qps: 500, burst: 1000 });
  git = await startGitServer({ repos: { apps: null } });
  git.commit('apps', { 'apps/one/cm.yaml': 'a: 1\n', 'apps/two/cm.yaml': 'a: 2\n', 'apps/skip/cm.yaml': 'a: 3\n', 'config/prod.json': '{"env":"prod","replicas":3}', 'config/dev.yaml': 'env: dev\nreplicas: 1\n' });
  plugin = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      pluginCalls++;
      if (req.url !== '/api/v1/getparams.execute' || req.headers.authorization !== 'Bearer s3cret') {
        res.writeHead(403).end('forbidden');
        return;
      }
      const input = JSON.parse(body).input.parameters;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ output: { parameters: (input.names as string[]).map((n) => ({ name: n })) } }));
    });
  });
  await new Promise<void>((r) => plugin.listen(0, '127.0.0.1', r));
  pluginURL = `http://127.0.0.1:${(plugin.address() as { port: number }).port}`;
  // regeneration only on events (the webhook, the refresh annotation): a test that waited for a timer would not prove them
  const cfg = parseAppSetArgs(['--namespace', 'argocd', '--kubeconfig', cluster.kubeconfig, '--requeue-after', '1h', '--enable-progressive-syncs', '--webhook-addr', '127.0.0.1:0'], {});
  ctl = await startAppSetController(cfg, { log: (m) => logs.push(m), health: false, webhook: true });
});

after(async () => {
  if (skip) return;
  if (process.env.APPSET_TEST_LOGS) console.log(logs.join('\n'));
  await ctl?.stop();
  client?.close();
  await git?.stop();
  plugin?.close();
  await cluster?.close();
  rmSync(dir, { recursive: true, force: true });
});

const RES = { ApplicationSet: APPLICATIONSETS, Secret: { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true }, ConfigMap: { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true } };
const apply = async (obj: { kind: string; [k: string]: unknown }) => {
  await client.apply(RES[obj.kind as keyof typeof RES], obj as never, { fieldManager: 'test', force: true });
};
const names = async (label?: string) =>
  (await client.list<Application>(APPLICATIONS, 'argocd', label ? { labelSelector: label } : {})).items.map((a) => a.metadata!.name!).sort();
const appset = (name: string, spec: object) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', metadata: { name, namespace: 'argocd' }, spec });
const tmpl = (name: string, path: string, label: string) => ({ metadata: { name, labels: { set: label } }, spec: { project: 'default', source: { repoURL: 'x', path }, destination: { server: 'https://kubernetes.default.svc', namespace: 'default' } } });
/** a GitHub push event for the test repository, as GitHub sends it (signed with argocd-secret's webhook.github.secret when set) */
const push = async (repo: string, branch = 'main') => {
  const body = JSON.stringify({ ref: `refs/heads/${branch}`, repository: { clone_url: git.url(repo), html_url: git.url(repo).replace(/\.git$/, '') } });
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-github-event': 'push' };
  if (webhookSecret) headers['x-hub-signature-256'] = 'sha256=' + createHmac('sha256', webhookSecret).update(body).digest('hex');
  const r = await fetch(ctl.webhookURL!, { method: 'POST', headers, body });
  return { status: r.status, text: await r.text() };
};
let webhookSecret = '';
const getSet = (n: string) => client.get<ApplicationSet>(APPLICATIONSETS, 'argocd', n);
const cond = (s: ApplicationSet, t: string) => s.status?.conditions?.find((c) => c.type === t);

test('git directories: one app per directory; a new directory adds one, a removed one is deleted under sync, kept under create-update', { skip }, async () => {
  await apply(appset('dirs', { generators: [{ git: { repoURL: git.url('apps'), revision: 'HEAD', directories: [{ path: 'apps/*' }, { path: 'apps/skip', exclude: true }] } }], template: tmpl('{{path.basename}}', '{{path}}', 'dirs') }));
  await apply(appset('dirs-keep', { syncPolicy: { applicationsSync: 'create-update' }, generators: [{ git: { repoURL: git.url('apps'), revision: 'HEAD', directories: [{ path: 'apps/*' }] } }], template: tmpl('keep-{{path.basename}}', '{{path}}', 'keep') }));
  const t0 = Date.now();
  await waitFor('apps of dirs', async () => JSON.stringify(await names('set=dirs')) === '["one","two"]', 20_000, 200);
  await waitFor('apps of dirs-keep', async () => JSON.stringify(await names('set=keep')) === '["keep-one","keep-skip","keep-two"]', 20_000, 200);
  console.log(`# first apps after ${Date.now() - t0} ms`);
  const one = await client.get<Application>(APPLICATIONS, 'argocd', 'one');
  assert.equal((one.spec as { source: { path: string } }).source.path, 'apps/one');
  assert.equal(one.metadata?.ownerReferences?.[0]?.kind, 'ApplicationSet');
  git.commit('apps', { 'apps/three/cm.yaml': 'a: 3\n', 'apps/two': null });
  const hook = await push('apps');
  assert.equal(hook.status, 200, hook.text);
  assert.match(hook.text, /^2 applicationset\(s\) refreshed/);
  await waitFor('three added, two deleted', async () => JSON.stringify(await names('set=dirs')) === '["one","three"]', 20_000, 200);
  await waitFor('keep: three added, two kept', async () => JSON.stringify(await names('set=keep')) === '["keep-one","keep-skip","keep-three","keep-two"]', 20_000, 200);
  console.log(`# new and removed directory seen after ${Date.now() - t0} ms`);
  const s = await waitFor('status resources', async () => {
    const x = await getSet('dirs');
    return x.status?.resources?.length === 2 ? x : undefined;
  });
  console.log(`# status seen after ${Date.now() - t0} ms`);
  assert.equal(cond(s, 'ResourcesUpToDate')?.status, 'True');
  assert.equal(cond(s, 'ErrorOccurred')?.status, 'False');
});

test('a rendering error lands in the ErrorOccurred condition and deletes nothing', { skip }, async () => {
  await apply(appset('err', { goTemplate: true, goTemplateOptions: ['missingkey=error'], generators: [{ list: { elements: [{ n: 'err-a' }, { n: 'err-b' }] } }], template: tmpl('{{.n}}', 'p', 'err') }));
  await waitFor('err apps', async () => (await names('set=err')).length === 2, 20_000, 200);
  await apply(appset('err', { goTemplate: true, goTemplateOptions: ['missingkey=error'], generators: [{ list: { elements: [{ n: 'err-a' }] } }], template: tmpl('{{.nope}}', 'p', 'err') }));
  const s = await waitFor('error condition', async () => {
    const x = await getSet('err');
    return cond(x, 'ErrorOccurred')?.status === 'True' ? x : undefined;
  }, 20_000, 200);
  assert.match(cond(s, 'ErrorOccurred')!.message, /nope/);
  assert.equal(cond(s, 'ParametersGenerated')?.status, 'False');
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual(await names('set=err'), ['err-a', 'err-b']);
  // the CRD's schema refuses unknown generators; one that reaches the controller empty is named
  await apply(appset('bogus', { generators: [{}], template: tmpl('x', 'p', 'bogus') }));
  const b = await waitFor('unknown generator condition', async () => {
    const x = await getSet('bogus');
    return cond(x, 'ErrorOccurred')?.status === 'True' ? x : undefined;
  }, 20_000, 200);
  assert.match(cond(b, 'ErrorOccurred')!.message, /generators\[0\]: empty generator entry/);
});

test('git files + matrix with a list; an update is written under sync, not under create-only', { skip }, async () => {
  const gen = (suffix: string) => [{ matrix: { generators: [{ git: { repoURL: git.url('apps'), revision: 'main', files: [{ path: 'config/*' }] } }, { list: { elements: [{ region: 'eu' }, { region: 'us' }] } }] } }];
  await apply(appset('files', { generators: gen(''), template: { ...tmpl('{{env}}-{{region}}', 'r{{replicas}}', 'files') } }));
  await apply(appset('files-co', { syncPolicy: { applicationsSync: 'create-only' }, generators: [{ list: { elements: [{ n: 'co-a', p: 'v1' }] } }], template: tmpl('{{n}}', '{{p}}', 'co') }));
  await waitFor('matrix apps', async () => JSON.stringify(await names('set=files')) === '["dev-eu","dev-us","prod-eu","prod-us"]', 20_000, 200);
  const prod = await client.get<Application>(APPLICATIONS, 'argocd', 'prod-us');
  assert.equal((prod.spec as { source: { path: string } }).source.path, 'r3');
  git.commit('apps', { 'config/prod.json': '{"env":"prod","replicas":5}' });
  // a signed push: argocd-secret's webhook.github.secret is checked
  await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'argocd-secret', namespace: 'argocd' }, stringData: { 'webhook.github.secret': 'hook-secret' } });
  webhookSecret = 'wrong';
  await waitFor('webhook secret in effect', async () => (await push('apps')).status === 400, 10_000, 100);
  webhookSecret = 'hook-secret';
  assert.equal((await push('apps')).status, 200);
  await waitFor('prod updated', async () => ((await client.get<Application>(APPLICATIONS, 'argocd', 'prod-us')).spec as { source: { path: string } }).source.path === 'r5', 20_000, 200);
  await waitFor('co-a', async () => (await names('set=co')).length === 1, 20_000, 200);
  await apply(appset('files-co', { syncPolicy: { applicationsSync: 'create-only' }, generators: [{ list: { elements: [{ n: 'co-a', p: 'v2' }] } }], template: tmpl('{{n}}', '{{p}}', 'co') }));
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(((await client.get<Application>(APPLICATIONS, 'argocd', 'co-a')).spec as { source: { path: string } }).source.path, 'v1');
});

test('plugin generator with its token from argocd-secret', { skip }, async () => {
  await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'argocd-secret', namespace: 'argocd' }, stringData: { 'plugin.token': 's3cret' } });
  await apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'my-plugin', namespace: 'argocd' }, data: { token: '$plugin.token', baseUrl: pluginURL } });
  await apply(appset('plug', { generators: [{ plugin: { configMapRef: { name: 'my-plugin' }, input: { parameters: { names: ['plug-a', 'plug-b'] } } } }], template: tmpl('{{name}}', 'p', 'plug') }));
  await waitFor('plugin apps', async () => JSON.stringify(await names('set=plug')) === '["plug-a","plug-b"]', 20_000, 200);
  assert.ok(pluginCalls > 0);
});

test('RollingSync: step 1 apps get a sync operation first, step 2 waits until step 1 is healthy', { skip }, async () => {
  const t = { metadata: { name: '{{n}}', labels: { set: 'roll', env: '{{env}}' } }, spec: { project: 'default', source: { repoURL: 'x', path: 'p' }, destination: { server: 'https://kubernetes.default.svc', namespace: 'default' }, syncPolicy: { automated: {} } } };
  await apply(appset('roll', { strategy: { type: 'RollingSync', rollingSync: { steps: [{ matchExpressions: [{ key: 'env', operator: 'In', values: ['dev'] }] }, { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] }] } }, generators: [{ list: { elements: [{ n: 'roll-dev', env: 'dev' }, { n: 'roll-prod', env: 'prod' }] } }], template: t }));
  const dev = await waitFor('dev gets an operation', async () => {
    const a = await client.get<Application>(APPLICATIONS, 'argocd', 'roll-dev').catch(() => undefined);
    return a?.operation ? a : undefined;
  }, 20_000, 200);
  assert.equal((dev.spec as { syncPolicy?: { automated?: unknown } }).syncPolicy?.automated, undefined, 'automated sync removed');
  const prod = await client.get<Application>(APPLICATIONS, 'argocd', 'roll-prod');
  assert.equal(prod.operation, undefined, 'step 2 waits');
  // what the application controller would do: sync and report Healthy
  await client.patch(APPLICATIONS, 'argocd', 'roll-dev', [{ op: 'remove', path: '/operation' }], 'json');
  await client.patch(APPLICATIONS, 'argocd', 'roll-dev', { status: { sync: { status: 'Synced' }, health: { status: 'Healthy' } } }, 'merge');
  await waitFor('prod gets an operation', async () => !!(await client.get<Application>(APPLICATIONS, 'argocd', 'roll-prod')).operation, 20_000, 200).catch(async (e) => {
    const apps = (await client.list<Application>(APPLICATIONS, 'argocd', { labelSelector: 'set=roll' })).items.map((a) => ({ name: a.metadata?.name, op: a.operation, status: a.status }));
    throw new Error(`${(e as Error).message}\nset status: ${JSON.stringify((await getSet('roll')).status)}\napps: ${JSON.stringify(apps)}\ncontroller log:\n${logs.slice(-20).join('\n')}`);
  });
  const s = await waitFor('rollout status of both steps', async () => {
    const x = await getSet('roll');
    return cond(x, 'RolloutProgressing')?.status === 'True' && /^(Pending|Progressing)$/.test(x.status?.applicationStatus?.find((e) => e.application === 'roll-prod')?.status ?? '') ? x : undefined;
  }, 20_000, 200);
  assert.deepEqual(s.status?.applicationStatus?.map((e) => [e.application, e.step]), [['roll-dev', '1'], ['roll-prod', '2']]);
});

test('matrix list × clusters: one app per (element, cluster Secret matching the selector); a new cluster Secret adds its apps', { skip }, async () => {
  const cluster = (name: string, env: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: `cluster-${name}`, namespace: 'argocd', labels: { 'argocd.argoproj.io/secret-type': 'cluster', env } }, stringData: { name, server: `https://${name}.example:6443`, config: '{}' } });
  await apply(cluster('east', 'prod'));
  await apply(cluster('dev1', 'dev'));
  await apply(
    appset('mx', {
      goTemplate: true,
      generators: [{ matrix: { generators: [{ list: { elements: [{ app: 'web' }, { app: 'api' }] } }, { clusters: { selector: { matchLabels: { env: 'prod' } } } }] } }],
      template: { metadata: { name: '{{.app}}-{{.name}}', labels: { set: 'mx' } }, spec: { project: 'default', source: { repoURL: 'x', path: '{{.app}}' }, destination: { server: '{{.server}}', namespace: '{{.app}}' } } },
    }),
  );
  await waitFor('matrix apps', async () => JSON.stringify(await names('set=mx')) === '["api-east","web-east"]', 20_000, 200);
  assert.equal(((await client.get<Application>(APPLICATIONS, 'argocd', 'web-east')).spec as { destination: { server: string } }).destination.server, 'https://east.example:6443');
  await apply(cluster('west', 'prod'));
  await waitFor('apps of the new cluster', async () => JSON.stringify(await names('set=mx')) === '["api-east","api-west","web-east","web-west"]', 20_000, 200);
});

test('preserveResourcesOnDeletion: generated apps carry no resources finalizer, so removing an element deletes the app at once; without it the finalizer stays', { skip }, async () => {
  const t = (label: string) => ({ metadata: { name: '{{n}}', labels: { set: label }, finalizers: ['resources-finalizer.argocd.argoproj.io'] }, spec: { project: 'default', source: { repoURL: 'x', path: 'p' }, destination: { server: 'https://kubernetes.default.svc', namespace: 'default' } } });
  await apply(appset('keep-res', { syncPolicy: { preserveResourcesOnDeletion: true }, generators: [{ list: { elements: [{ n: 'pr-a' }, { n: 'pr-b' }] } }], template: t('pr') }));
  await apply(appset('cascade', { generators: [{ list: { elements: [{ n: 'cas-a' }] } }], template: t('cas') }));
  await waitFor('apps', async () => (await names('set=pr')).length === 2 && (await names('set=cas')).length === 1, 20_000, 200);
  assert.equal((await client.get<Application>(APPLICATIONS, 'argocd', 'pr-a')).metadata?.finalizers, undefined);
  assert.deepEqual((await client.get<Application>(APPLICATIONS, 'argocd', 'cas-a')).metadata?.finalizers, ['resources-finalizer.argocd.argoproj.io']);
  await apply(appset('keep-res', { syncPolicy: { preserveResourcesOnDeletion: true }, generators: [{ list: { elements: [{ n: 'pr-a' }] } }], template: t('pr') }));
  await waitFor('pr-b deleted', async () => JSON.stringify(await names('set=pr')) === '["pr-a"]', 20_000, 200);
  await apply(appset('cascade', { generators: [{ list: { elements: [] } }], template: t('cas') }));
  // the application controller would delete the resources, then the finalizer; here the app waits for it
  const cas = await waitFor('cas-a being deleted', async () => {
    const a = await client.get<Application>(APPLICATIONS, 'argocd', 'cas-a').catch(() => undefined);
    return a?.metadata?.deletionTimestamp ? a : undefined;
  }, 20_000, 200);
  assert.deepEqual(cas.metadata?.finalizers, ['resources-finalizer.argocd.argoproj.io']);
  await client.patch(APPLICATIONS, 'argocd', 'cas-a', [{ op: 'remove', path: '/metadata/finalizers' }], 'json');
});
