/**
 * The Workflows and Rollouts sections in a real browser (Debian's chromium, playwright-core) on a real
 * API server (in-process test cluster) with the Workflow and Rollout CRDs:
 * - the real argo-server as a process (`argo server --auth-mode client`): / opens the Workflows section,
 *   the token login (a Kubernetes bearer token kept in the `authorization` cookie argo-server reads;
 *   a bad token refused in place), a workflow created with kubectl shows up, its phase changes live;
 * - the real `kubectl argo rollouts dashboard` as a process: /rollouts/ opens the Rollouts section, a
 *   paused canary with its steps (current one marked), PROMOTE and ABORT reach the Rollout, a status
 *   change shows live;
 * - the real argocd-server and repo server as processes (no controller): create an app from YAML (a YAML
 *   error shown in place), EDIT a live manifest (cd-steps.ts), HARD REFRESH sets the refresh annotation, delete non-cascading after typing the name;
 *   then the Pipeline page on argocd-server with a second argo-server (`--auth-mode server
 *   --access-control-allow-origin <argocd-server>`) for the demo's namespace: the demo's EventSource, Sensor
 *   and Application (examples/pipeline), a Workflow as the Sensor creates it and the Rollout, as one chain
 *   that follows status changes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { startTestCluster, stopProcess, type TestCluster } from '@flotilla/kube-runtime/testkit';
import type { Browser, Page } from 'playwright-core';
import { UI_ASSETS } from './index.js';
import { axeCheck } from './browser-testkit.js';
import { editLiveManifest, settingsExtras } from './cd-steps.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const skip = !existsSync(CHROMIUM) ? `chromium not installed at ${CHROMIUM} (scripts/test.sh installs Debian's chromium)` : !existsSync(join(UI_ASSETS, 'index.html')) ? `the UI is not built (${UI_ASSETS}/index.html missing): run npm run build` : undefined;
if (skip) console.log(`# skipped: ${skip}`);

const MAIN = `import('@flotilla/argo-server/main').then((m) => m.main(process.argv.slice(1))).then((c) => process.exit(c ?? 0), (e) => { console.error(e); process.exit(1); });`;
const DASHBOARD = `import('@flotilla/rollouts-cli/cli').then((m) => m.main(process.argv.slice(1))).then((c) => process.exit(c ?? 0), (e) => { console.error(e); process.exit(1); });`;
const crd = (plural: string, kind: string, status = false, scope = 'Namespaced') => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${plural}.argoproj.io` },
  spec: {
    group: 'argoproj.io',
    names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
    scope,
    versions: [{ name: 'v1alpha1', served: true, storage: true, ...(status ? { subresources: { status: {} } } : {}), schema: { openAPIV3Schema: { type: 'object', properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } } }],
  },
});
const CRDS = { apiVersion: 'v1', kind: 'List', items: [crd('workflows', 'Workflow'), crd('rollouts', 'Rollout', true), crd('analysisruns', 'AnalysisRun', true), crd('experiments', 'Experiment', true), crd('eventsources', 'EventSource'), crd('sensors', 'Sensor'), crd('clusterworkflowtemplates', 'ClusterWorkflowTemplate', false, 'Cluster'), crd('cronworkflows', 'CronWorkflow')] };

let cluster: TestCluster;
let proc: ChildProcess | undefined;
let dash: ChildProcess | undefined;
let out = '';
let base: string;
let browser: Browser;
let page: Page;

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });

before(async () => {
  if (skip) return;
  cluster = await startTestCluster({ prefix: 'ui-wf-' });
  writeFileSync(join(cluster.dir, 'crd.json'), JSON.stringify(CRDS));
  await cluster.k(['apply', '-f', join(cluster.dir, 'crd.json')]);
  await cluster.k(['create', 'namespace', 'argo']);
  await cluster.k(['wait', '--for=condition=Established', 'crd/workflows.argoproj.io', 'crd/rollouts.argoproj.io', 'crd/analysisruns.argoproj.io', 'crd/experiments.argoproj.io', 'crd/eventsources.argoproj.io', 'crd/sensors.argoproj.io', 'crd/clusterworkflowtemplates.argoproj.io', 'crd/cronworkflows.argoproj.io', '--timeout=60s']);
  const port = await freePort();
  proc = spawn(process.execPath, ['--input-type=module', '-e', MAIN, '--', 'server', '--namespaced', '--auth-mode', 'client', '--port', String(port), '--kubeconfig', cluster.kubeconfig, '-n', 'argo'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: '' } });
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  base = `https://127.0.0.1:${port}`;
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  page = await (await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 720 } })).newPage();
  page.setDefaultTimeout(20_000);
  const end = Date.now() + 60_000;
  for (;;) {
    const ok = await page.goto(base + '/').then((r) => r?.ok(), () => false);
    if (ok) break;
    if (proc.exitCode !== null || Date.now() > end) throw new Error(`argo server did not answer:\n${out}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}, { timeout: 180_000 });

after(async () => {
  await browser?.close().catch(() => {});
  if (proc) await stopProcess(proc, 'SIGTERM');
  if (dash) await stopProcess(dash, 'SIGTERM');
  await cluster?.close();
});

test('argo-server: / opens the Workflows section behind the token login; a workflow appears and its phase changes live', { skip, timeout: 120_000 }, async () => {
  assert.equal(await page.title(), 'Argo Workflows');
  await page.waitForURL(/\/login\?return_url=workflows/);
  await page.getByLabel('Token').waitFor();
  assert.equal(await page.getByRole('link', { name: 'Login', exact: true }).count(), 0, '--auth-mode client only: no SSO button');
  await page.getByLabel('Token').fill('not-a-token');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('alert').waitFor();
  assert.match((await page.getByRole('alert').textContent()) ?? '', /token|Unauthorized|not valid/i);
  const token = /token:\s*(\S+)/.exec(readFileSync(cluster.kubeconfig, 'utf8'))?.[1];
  assert.ok(token, 'the test cluster kubeconfig has a bearer token');
  await page.getByLabel('Token').fill(token!);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Workflows' }).waitFor();
  const wf = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'hello', namespace: 'argo' }, spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'busybox', command: ['echo', 'hi'] } }] } };
  writeFileSync(join(cluster.dir, 'wf.json'), JSON.stringify(wf));
  await cluster.k(['create', '-f', join(cluster.dir, 'wf.json')]);
  const row = page.getByRole('row', { name: /hello/ });
  await row.getByText('Pending').waitFor();
  await cluster.k(['patch', 'workflow', 'hello', '-n', 'argo', '--type', 'merge', '-p', JSON.stringify({ status: { phase: 'Succeeded', progress: '1/1', startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:05Z', nodes: { hello: { id: 'hello', name: 'hello', displayName: 'hello', type: 'Pod', phase: 'Succeeded', templateName: 'main', startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:05Z' } } } })]);
  await row.getByText('Succeeded').waitFor();
  await row.getByText('1/1').waitFor();
  mkdirSync(join(ROOT, 'docs/images'), { recursive: true });
  await page.screenshot({ path: join(ROOT, 'docs/images/ui-workflows.png') });
  // the node panel's Containers tab: the template's container
  await row.getByRole('link', { name: 'hello' }).click();
  await page.getByRole('tree', { name: 'Workflow graph' }).locator('[data-node="hello"]').click();
  await page.getByRole('dialog').getByRole('tab', { name: 'Containers' }).click();
  const main = page.getByRole('dialog').getByRole('table', { name: 'Container main' });
  await main.getByText('busybox').waitFor();
  await main.getByText('["echo","hi"]').waitFor();
  await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
  // a ClusterWorkflowTemplate: its own list and page, SUBMIT into the namespace with a parameter
  const cwft = { apiVersion: 'argoproj.io/v1alpha1', kind: 'ClusterWorkflowTemplate', metadata: { name: 'greet', labels: { team: 'ui' } }, spec: { entrypoint: 'say', arguments: { parameters: [{ name: 'who', value: 'world', description: 'whom to greet' }] }, templates: [{ name: 'say', container: { image: 'busybox', command: ['echo', '{{workflow.parameters.who}}'] } }, { name: 'twice', steps: [[{ name: 'a', template: 'say' }], [{ name: 'b', template: 'say' }]] }] } };
  writeFileSync(join(cluster.dir, 'cwft.json'), JSON.stringify(cwft));
  await cluster.k(['create', '-f', join(cluster.dir, 'cwft.json')]);
  await page.getByRole('link', { name: 'Workflows', exact: true }).click();
  await page.getByRole('link', { name: 'Cluster templates' }).click();
  const crow = page.getByRole('table', { name: 'Cluster workflow templates' }).getByRole('row', { name: /greet/ });
  await crow.getByText('who=world').waitFor();
  await crow.getByRole('link', { name: 'greet' }).click();
  await page.waitForURL(/\/workflows\/cluster-templates\/greet$/);
  await page.getByRole('table', { name: 'Parameters' }).getByText('whom to greet').waitFor();
  const tpls = page.getByRole('table', { name: 'Templates' });
  await tpls.getByRole('row', { name: /say \(entrypoint\) container busybox/ }).waitFor();
  await tpls.getByRole('row', { name: /twice steps/ }).waitFor();
  await page.getByRole('button', { name: 'YAML' }).click();
  await page.getByRole('region', { name: 'Template YAML' }).getByText('whom to greet').waitFor();
  await page.getByRole('button', { name: 'Submit to argo' }).click();
  const sub = page.getByRole('dialog', { name: 'Submit greet' });
  await sub.getByLabel('Entrypoint').selectOption('twice');
  await sub.getByLabel(/Parameter who/).fill('flotilla');
  await sub.getByRole('button', { name: 'Submit', exact: true }).click();
  await page.waitForURL(/\/workflows\/argo\/greet-/);
  const submitted = decodeURIComponent(page.url().split('/').pop()!);
  const spec = JSON.parse(await cluster.k(['get', 'workflow', submitted, '-n', 'argo', '-o', 'jsonpath={.spec}']));
  assert.deepEqual(spec.workflowTemplateRef, { name: 'greet', clusterScope: true });
  assert.equal(spec.entrypoint, 'twice');
  assert.deepEqual(spec.arguments.parameters.map((p: { name: string; value: string }) => `${p.name}=${p.value}`), ['who=flotilla']);
  // Cron workflows: the next three runs in the workflow's time zone; a bad schedule named in place
  const cron = (name: string, schedule: string) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'CronWorkflow', metadata: { name, namespace: 'argo' }, spec: { schedule, timezone: 'Asia/Tokyo', workflowSpec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'busybox', command: ['true'] } }] } } });
  writeFileSync(join(cluster.dir, 'cron.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [cron('daily', '30 6 * * *'), cron('broken', '61 * * * *')] }));
  await cluster.k(['create', '-f', join(cluster.dir, 'cron.json')]);
  await page.getByRole('link', { name: 'Workflows', exact: true }).click();
  await page.getByRole('link', { name: 'Cron workflows' }).click();
  const daily = page.getByRole('table', { name: 'Cron workflows' }).getByRole('row', { name: /daily/ });
  await daily.getByText('Asia/Tokyo').waitFor();
  const next = (await daily.locator('td').nth(4).locator('div').allTextContents());
  assert.equal(next.length, 3, 'three next runs');
  for (const d of next) assert.match(d, /^\d{4}-\d\d-\d\dT21:30:00Z$/, '06:30 in Tokyo is 21:30 UTC');
  assert.ok(new Date(next[0]!).getTime() > Date.now() && new Date(next[0]!).getTime() - Date.now() <= 86_400_000, 'the first within a day');
  await page.getByRole('table', { name: 'Cron workflows' }).getByRole('row', { name: /broken/ }).getByText(/schedule "61 \* \* \* \*" \(timezone Asia\/Tokyo\)/).waitFor();
  // the Pipeline page on argo-server: its own boxes from argo-server, Argo CD's said to be out of reach
  await page.getByRole('link', { name: 'Pipeline' }).click();
  await page.getByLabel('Namespace').fill('argo');
  await page.locator('.chain [data-stage="sensor"]').getByText('no sensor creates Workflows here').waitFor();
  await page.locator('.chain [data-stage="application"]').getByText('argocd-server not reachable from this page').waitFor();
  await page.getByLabel('argocd-server address').waitFor();
  // the other sections are one click away
  await page.getByRole('link', { name: 'Rollouts' }).click();
  await page.getByRole('heading', { name: 'Rollouts' }).waitFor();
});

test('kubectl argo rollouts dashboard: the Rollouts section — a paused canary, its steps, PROMOTE and ABORT, live status', { skip, timeout: 120_000 }, async () => {
  const ro = {
    apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name: 'demo', namespace: 'default' },
    spec: { replicas: 1, selector: { matchLabels: { app: 'demo' } }, template: { metadata: { labels: { app: 'demo' } }, spec: { containers: [{ name: 'demo', image: 'argoproj/rollouts-demo:blue' }] } }, strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 60 }, { pause: { duration: '10s' } }] } } },
  };
  writeFileSync(join(cluster.dir, 'ro.json'), JSON.stringify(ro));
  await cluster.k(['create', '-f', join(cluster.dir, 'ro.json')]);
  const status = (st: unknown) => cluster.k(['patch', 'rollout.argoproj.io', 'demo', '-n', 'default', '--subresource=status', '--type', 'merge', '-p', JSON.stringify({ status: st })]);
  await status({ phase: 'Paused', message: 'CanaryPauseStep', currentStepIndex: 1, observedGeneration: '1', pauseConditions: [{ reason: 'CanaryPauseStep', startTime: '2026-01-01T00:00:00Z' }] });
  let dout = '';
  dash = spawn(process.execPath, ['--input-type=module', '-e', DASHBOARD, '--', 'dashboard', '--port', '0', '--kubeconfig', cluster.kubeconfig, '-n', 'default'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: '' } });
  dash.stdout!.on('data', (d) => (dout += d));
  dash.stderr!.on('data', (d) => (dout += d));
  const end = Date.now() + 30_000;
  let port: string | undefined;
  while (!(port = /localhost:(\d+)/.exec(dout)?.[1])) {
    if (dash.exitCode !== null || Date.now() > end) throw new Error(`the dashboard did not start:\n${dout}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForURL(/\/rollouts\/rollouts$/);
  assert.equal(await page.title(), 'Argo Rollouts');
  const row = page.getByRole('row', { name: /demo/ });
  await row.getByText('Paused').waitFor();
  await row.getByText('1/4').waitFor();
  await row.getByRole('button', { name: 'demo' }).click();
  const current = page.locator('li[aria-current="step"]');
  await current.getByText('Pause (until promoted)').waitFor();
  assert.match((await current.textContent()) ?? '', /^▶ 2\./);
  await page.screenshot({ path: join(ROOT, 'docs/images/ui-rollout.png') });
  await page.getByRole('button', { name: 'Promote', exact: true }).click();
  const got = async (path: string) => cluster.k(['get', 'rollout.argoproj.io', 'demo', '-n', 'default', '-o', `jsonpath={${path}}`]);
  const until = async (what: string, fn: () => Promise<boolean>) => {
    const stop = Date.now() + 20_000;
    while (!(await fn())) {
      if (Date.now() > stop) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  await until('PROMOTE cleared the pause', async () => (await got('.status.pauseConditions')) === '');
  await page.getByRole('button', { name: 'Abort' }).click();
  await until('ABORT set status.abort', async () => (await got('.status.abort')) === 'true');
  await status({ phase: 'Healthy', message: '', abort: null, currentStepIndex: 4 });
  await page.getByTestId('rollout-status').getByText('Healthy').waitFor();
  await page.getByTestId('rollout-step').getByText('4/4').waitFor();
});

const CD_MAIN = `import('@flotilla/argocd-server/main').then((m) => m.main(process.argv.slice(1))).then((c) => process.exit(c ?? 0), (e) => { console.error(e); process.exit(1); });`;
const REPO_MAIN = `import('@flotilla/repo-server/main').then((m) => m.main(process.argv.slice(1))).then((c) => process.exit(c ?? 0), (e) => { console.error(e); process.exit(1); });`;
const CD_INSTALL = join(ROOT, 'manifests/argo-cd/install.yaml');

test('argocd-server as a process (no controller): create an app from YAML, HARD REFRESH, delete non-cascading', { skip: skip || (!existsSync(CD_INSTALL) && `${CD_INSTALL} not found`), timeout: 180_000 }, async () => {
  const { parseAllDocuments, stringify } = await import('yaml');
  const crds = parseAllDocuments(readFileSync(CD_INSTALL, 'utf8')).map((d) => d.toJS()).filter((d) => d?.kind === 'CustomResourceDefinition');
  writeFileSync(join(cluster.dir, 'cd-crds.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: crds }));
  await cluster.k(['apply', '--server-side', '-f', join(cluster.dir, 'cd-crds.json')]);
  await cluster.k(['create', 'namespace', 'argocd']);
  await cluster.k(['wait', '--for=condition=Established', 'crd/applications.argoproj.io', 'crd/appprojects.argoproj.io', '--timeout=60s']);
  const { startGitServer } = await import('@flotilla/repo-server/testkit');
  const git = await startGitServer({ repos: { apps: null } });
  const deploy = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' }, spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } } } };
  git.commit('apps', { 'cm/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  a: "1"\n', 'cm/deploy.yaml': stringify(deploy) }, 'a config map and a deployment');
  // the Deployment is live (as if synced before): its node in the tree offers actions
  writeFileSync(join(cluster.dir, 'deploy.json'), JSON.stringify(deploy));
  await cluster.k(['apply', '-f', join(cluster.dir, 'deploy.json')]);
  const procs: ChildProcess[] = [];
  let logs = '';
  const start = (script: string, args: string[]) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', script, '--', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: cluster.kubeconfig, REDIS_SERVER: '' } });
    p.stdout!.on('data', (d) => (logs += d));
    p.stderr!.on('data', (d) => (logs += d));
    procs.push(p);
    return p;
  };
  try {
    // the admin account may have API tokens (Settings → Accounts → admin)
    await cluster.k(['create', 'configmap', 'argocd-cm', '-n', 'argocd', '--from-literal=accounts.admin=apiKey, login']);
    const repoPort = await freePort();
    start(REPO_MAIN, ['--port', String(repoPort), '--address', '127.0.0.1', '--metrics-port', String(await freePort()), '--metrics-address', '127.0.0.1', '--namespace', 'argocd']);
    const cdPort = await freePort();
    start(CD_MAIN, ['--insecure', '--port', String(cdPort), '--address', '127.0.0.1', '--metrics-port', String(await freePort()), '--metrics-address', '127.0.0.1', '--repo-server', `127.0.0.1:${repoPort}`, '--kubeconfig', cluster.kubeconfig, '-n', 'argocd']);
    const cd = `http://127.0.0.1:${cdPort}`;
    const end = Date.now() + 60_000;
    for (;;) {
      const ok = await fetch(`${cd}/healthz`).then((r) => r.ok, () => false) && await fetch(`http://127.0.0.1:${repoPort}/healthz`).then((r) => r.ok, () => false);
      if (ok) break;
      if (procs.some((p) => p.exitCode !== null) || Date.now() > end) throw new Error(`argocd-server or the repo server did not start:\n${logs}`);
      await new Promise((r) => setTimeout(r, 300));
    }
    const pw = Buffer.from(await cluster.k(['get', 'secret', '-n', 'argocd', 'argocd-initial-admin-secret', '-o', 'jsonpath={.data.password}']), 'base64').toString();
    await page.goto(`${cd}/applications`);
    await page.waitForURL(/\/login\?return_url=applications/);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(pw);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('No applications yet').waitFor();
    await page.getByRole('button', { name: '+ New app' }).click();
    await page.getByRole('tab', { name: 'YAML' }).click();
    const app = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'from-yaml', labels: { team: 'ui' } }, spec: { project: 'default', source: { repoURL: git.url('apps'), path: 'cm', targetRevision: 'HEAD' }, destination: { server: 'https://kubernetes.default.svc', namespace: 'default' } } };
    // the YAML editor (CodeMirror, loaded on demand): the form's values arrive as YAML, highlighted
    await page.locator('.yaml-editor .cm-content').waitFor();
    const box = page.getByRole('textbox', { name: 'Application YAML' });
    assert.match(await box.innerText(), /kind: Application/, 'the form turns into YAML');
    await page.locator('.yaml-editor .tok-propertyName', { hasText: 'kind' }).first().waitFor();
    await box.fill('metadata: [not, an, app');
    await page.locator('.yaml-editor .tok-propertyName', { hasText: 'metadata' }).waitFor(); // highlighted as typed
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    assert.match((await page.getByRole('alert').textContent()) ?? '', /does not parse/);
    await box.fill(stringify(app));
    assert.match(await box.innerText(), /repoURL: /);
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.waitForURL(/\/applications\/argocd\/from-yaml$/);
    await page.locator('.gnode.root[data-name="from-yaml"]').waitFor(); // the tree (elkjs, loaded on demand)
    // a resource action (the built-in Deployment restart) from the resource panel; with no controller
    // here, the test records the managed resource in the app's status as the controller does
    await cluster.k(['patch', 'applications.argoproj.io', 'from-yaml', '-n', 'argocd', '--type', 'merge', '-p', JSON.stringify({ status: { resources: [{ group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'default', name: 'web', status: 'Synced' }] } })]);
    await page.locator('.gnode[data-kind="Deployment"][data-name="web"]').click();
    const panel = page.getByRole('dialog', { name: 'Deployment web' });
    await panel.getByRole('tab', { name: 'Actions' }).click();
    page.once('dialog', (d) => void d.accept());
    await panel.getByRole('button', { name: 'restart', exact: true }).click();
    await panel.getByText('Ran restart.').waitFor();
    assert.ok(await cluster.k(['get', 'deployment', 'web', '-n', 'default', '-o', 'jsonpath={.spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}']), 'restart wrote restartedAt');
    // an action with a parameter (the built-in scale): its dialog asks for replicas, the default first
    await panel.getByRole('button', { name: 'scale…' }).click();
    const ask = panel.getByRole('dialog', { name: 'Run scale' });
    const replicas = ask.getByLabel('replicas (number)');
    assert.equal(await replicas.inputValue(), '1', 'the current replicas as the default');
    await replicas.fill('three');
    await ask.getByRole('button', { name: 'Run' }).click();
    assert.equal(await panel.getByRole('alert').textContent(), 'replicas: "three" is not a number');
    await replicas.fill('3');
    await ask.getByRole('button', { name: 'Run' }).click();
    await panel.getByText('Ran scale (replicas=3).').waitFor();
    assert.equal(await ask.count(), 0, 'the dialog closes');
    assert.equal(await cluster.k(['get', 'deployment', 'web', '-n', 'default', '-o', 'jsonpath={.spec.replicas}']), '3', 'scale sent resourceActionParameters');
    await editLiveManifest(panel, (a) => cluster.k(a));
    await panel.getByRole('button', { name: 'Close' }).click();
    assert.equal(await cluster.k(['get', 'applications.argoproj.io', 'from-yaml', '-n', 'argocd', '-o', 'jsonpath={.metadata.labels.team}']), 'ui');
    await page.getByRole('button', { name: 'Hard refresh' }).click();
    const annotation = () => cluster.k(['get', 'applications.argoproj.io', 'from-yaml', '-n', 'argocd', '-o', 'jsonpath={.metadata.annotations.argocd\\.argoproj\\.io/refresh}']);
    const until = Date.now() + 20_000;
    while ((await annotation()) !== 'hard') {
      if (Date.now() > until) throw new Error('HARD REFRESH did not set the refresh annotation');
      await new Promise((r) => setTimeout(r, 200));
    }
    await page.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete from-yaml' });
    await dialog.getByLabel('non-cascading').check();
    const del = dialog.getByRole('button', { name: 'Delete' });
    assert.equal(await del.isDisabled(), true, 'deleting needs the name typed');
    await dialog.getByLabel("Type the application's name to confirm").fill('from-yaml');
    await del.click();
    await page.waitForURL(/\/applications$/);
    await page.getByText('No applications yet').waitFor();
    const gone = await cluster.k(['get', 'applications.argoproj.io', '-n', 'argocd', '-o', 'name']);
    assert.equal(gone.trim(), '');
    await settingsPages(cd);
    await settingsExtras(page, cd, (a) => cluster.k(a), cluster.dir);
    await pipelineChain(cd, start, () => logs);
  } finally {
    for (const p of procs) await stopProcess(p, 'SIGTERM');
    await git.stop();
  }
});

/** Settings → Projects, Clusters and an account's tokens on argocd-server, each read back with kubectl or used. */
async function settingsPages(cd: string): Promise<void> {
  const t0 = Date.now();
  const accept = (d: { accept: () => Promise<void> }) => void d.accept();
  page.on('dialog', accept);
  const json = async (args: string[]) => JSON.parse(await cluster.k([...args, '-o', 'json']));
  try {
    // a project: every list, a role and a sync window; a bad schedule is named first
    await page.goto(`${cd}/settings/projects`);
    await page.getByRole('table', { name: 'Projects' }).waitFor(); // the default project
    await page.getByRole('button', { name: '+ New project' }).click();
    const form = page.getByRole('form', { name: 'Create project' });
    await form.getByLabel('Name', { exact: true }).fill('team-a');
    await form.getByLabel('Description', { exact: true }).fill('team A');
    await form.getByLabel('Source repositories (one per line, * for any)').fill('https://git.example.com/a/*');
    await form.getByLabel('Destinations (cluster URL or name, then namespace; one per line)').fill('https://kubernetes.default.svc team-a\nin-cluster team-a-*');
    await form.getByLabel('Cluster resources allowed (group/Kind per line)').fill('Namespace');
    await form.getByLabel('Namespaced resources denied').fill('ResourceQuota');
    await form.getByRole('button', { name: 'Add role' }).click();
    await form.getByLabel('Role name').fill('ci');
    await form.getByLabel('Policies (resource, action, object, allow|deny; one per line)').fill('applications, sync, team-a/*');
    await form.getByLabel('Groups (one per line)').fill('org:ci');
    await form.getByRole('button', { name: 'Add sync window' }).click();
    await form.getByRole('combobox', { name: /^Kind/ }).selectOption('deny');
    await form.getByLabel('Schedule (cron)').fill('61 22 * * *');
    await form.getByLabel('Duration').fill('8h');
    await form.getByRole('button', { name: 'Create' }).click();
    assert.match((await form.getByRole('alert').textContent()) ?? '', /^Sync window 1: the schedule "61 22 \* \* \*": /);
    await form.getByLabel('Schedule (cron)').fill('0 22 * * *');
    await form.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('row', { name: /team-a.*deny 0 22 \* \* \* for 8h/ }).waitFor();
    const p = await json(['get', 'appprojects.argoproj.io', 'team-a', '-n', 'argocd']);
    assert.deepEqual(p.spec, {
      description: 'team A',
      sourceRepos: ['https://git.example.com/a/*'],
      destinations: [{ server: 'https://kubernetes.default.svc', namespace: 'team-a' }, { name: 'in-cluster', namespace: 'team-a-*' }],
      clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }],
      namespaceResourceBlacklist: [{ group: '', kind: 'ResourceQuota' }],
      roles: [{ name: 'ci', policies: ['p, proj:team-a:ci, applications, sync, team-a/*, allow'], groups: ['org:ci'] }],
      syncWindows: [{ kind: 'deny', schedule: '0 22 * * *', duration: '8h', applications: ['*'] }],
    });
    // edit: another source, the window removed, a cluster resource denied
    await page.getByRole('button', { name: 'team-a', exact: true }).click();
    const edit = page.getByRole('form', { name: 'Edit project' });
    assert.equal(await edit.getByLabel('Policies (resource, action, object, allow|deny; one per line)').inputValue(), 'applications, sync, team-a/*, allow');
    await edit.getByLabel('Source repositories (one per line, * for any)').fill('https://git.example.com/a/*\nhttps://git.example.com/b.git');
    await edit.getByLabel('Cluster resources denied').fill('rbac.authorization.k8s.io/ClusterRole');
    await edit.getByRole('group', { name: 'Role 1' }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ROOT, 'docs/images/ui-settings-project.png') });
    await axeCheck(page, 'the project form');
    await edit.getByRole('button', { name: 'Remove sync window 1' }).click();
    // a token for the role, shown once, which acts as the role (can-i: sync yes, delete no)
    await edit.getByLabel('Token expires in (empty: never)').fill('1h');
    await edit.getByRole('button', { name: 'Generate token for ci' }).click();
    const roleToken = (await edit.getByTestId('role-token-ci').textContent()) ?? '';
    await edit.getByRole('table', { name: 'Tokens of role ci' }).waitFor();
    const canI = (action: string) => fetch(`${cd}/api/v1/account/can-i/applications/${action}/team-a/x`, { headers: { authorization: `Bearer ${roleToken}` } }).then(async (r) => (r.ok ? ((await r.json()) as { value: string }).value : r.status));
    assert.deepEqual([await canI('sync'), await canI('delete')], ['yes', 'no'], 'the role token carries the role policy');
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.waitFor({ state: 'detached' });
    const p2 = await json(['get', 'appprojects.argoproj.io', 'team-a', '-n', 'argocd']);
    assert.equal(p2.spec.roles[0].jwtTokens?.length, 1, 'the token generated in the form survives its save');
    assert.deepEqual(p2.spec.sourceRepos, ['https://git.example.com/a/*', 'https://git.example.com/b.git']);
    assert.deepEqual(p2.spec.clusterResourceBlacklist, [{ group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' }]);
    assert.equal(p2.spec.syncWindows, undefined, 'the window removed');
    assert.equal(p2.spec.roles[0].name, 'ci', 'the role kept');
    await page.getByRole('button', { name: 'team-a', exact: true }).click();
    await page.getByRole('button', { name: /^Delete token .* of role ci$/ }).click();
    await page.getByRole('table', { name: 'Tokens of role ci' }).waitFor({ state: 'detached' });
    assert.equal(await canI('sync'), 401, 'the deleted role token is refused');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('button', { name: 'Delete project team-a' }).click();
    await page.getByRole('button', { name: 'team-a', exact: true }).waitFor({ state: 'detached' });
    assert.equal((await cluster.k(['get', 'appprojects.argoproj.io', '-n', 'argocd', '-o', 'name'])).trim(), 'appproject.argoproj.io/default');

    // a cluster: its Secret added, renamed with other namespaces, removed
    await page.getByRole('tab', { name: 'Clusters' }).click();
    await page.getByRole('row', { name: /in-cluster/ }).waitFor();
    await page.getByRole('button', { name: '+ Add cluster' }).click();
    const add = page.getByRole('form', { name: 'Add cluster' });
    await add.getByLabel('Server').fill('https://127.0.0.1:1');
    await add.getByLabel('Name', { exact: true }).fill('edge');
    await add.getByLabel('Namespaces (comma separated; empty: all)').fill('a, b');
    await add.getByLabel('Bearer token').fill('edge-token');
    await add.getByRole('button', { name: 'Add' }).click();
    await page.getByRole('row', { name: /edge https:\/\/127\.0\.0\.1:1 a, b/ }).waitFor();
    const secret = async () => {
      const l = await json(['get', 'secrets', '-n', 'argocd', '-l', 'argocd.argoproj.io/secret-type=cluster']);
      return l.items.map((x: { data: Record<string, string> }) => Object.fromEntries(Object.entries(x.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()])));
    };
    const [c1] = await secret();
    assert.equal(c1.name, 'edge');
    assert.equal(c1.namespaces, 'a,b');
    assert.equal(JSON.parse(c1.config).bearerToken, 'edge-token');
    await page.getByRole('button', { name: 'edge', exact: true }).click();
    const ed = page.getByRole('form', { name: 'Edit cluster' });
    await ed.getByLabel('Name', { exact: true }).fill('edge-2');
    await ed.getByLabel('Namespaces (comma separated; empty: all)').fill('c');
    await ed.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('row', { name: /edge-2 https:\/\/127\.0\.0\.1:1 c/ }).waitFor();
    const [c2] = await secret();
    assert.deepEqual([c2.name, c2.namespaces, JSON.parse(c2.config).bearerToken], ['edge-2', 'c', 'edge-token'], 'renamed, the credentials kept');
    await page.getByRole('button', { name: 'Remove cluster edge-2' }).click();
    await page.getByRole('row', { name: /edge-2/ }).waitFor({ state: 'detached' });
    assert.deepEqual(await secret(), []);

    // the admin account's tokens: one generated (shown once, it works), then deleted (refused)
    await page.getByRole('tab', { name: 'Accounts' }).click();
    await page.getByRole('link', { name: 'admin', exact: true }).click();
    await page.getByLabel('Token ID (optional)').fill('ci-1');
    await page.getByLabel('Expires in (e.g. 24h; empty: never)').fill('1h');
    await page.getByRole('button', { name: 'Generate new token' }).click();
    const token = (await page.getByTestId('new-token').textContent()) ?? '';
    await page.getByRole('row', { name: /ci-1/ }).waitFor();
    await axeCheck(page, 'the account tokens page');
    const asToken = () => fetch(`${cd}/api/v1/account/admin`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
    assert.equal(await asToken(), 200, 'the token shown is a working token');
    await page.getByRole('button', { name: 'Done' }).click();
    assert.equal(await page.getByTestId('new-token').count(), 0, 'shown once');
    await page.getByRole('button', { name: 'Delete token ci-1' }).click();
    await page.getByText('No tokens.').waitFor();
    assert.equal(await asToken(), 401, 'the deleted token is refused');
    console.log(`# settings pages (projects, clusters, tokens): ${Date.now() - t0} ms`);
  } finally {
    page.off('dialog', accept);
  }
}

/**
 * The Pipeline page (issue 17's one picture) on argocd-server: Application and Rollout from argocd-server,
 * EventSource, Sensor and Workflows from an argo-server that allows argocd-server's origin.
 */
async function pipelineChain(cd: string, start: (script: string, args: string[]) => ChildProcess, logs: () => string): Promise<void> {
  const { parseAllDocuments, parse } = await import('yaml');
  const ex = (f: string) => parseAllDocuments(readFileSync(join(ROOT, 'examples/pipeline', f), 'utf8')).map((d) => d.toJS());
  const ns = 'flotilla-demo';
  await cluster.k(['create', 'namespace', ns]);
  const ready = { conditions: [{ type: 'Deployed', status: 'True' }] };
  const events = ex('30-events.yaml').filter((o) => o.kind === 'EventSource' || o.kind === 'Sensor').map((o) => ({ ...o, status: ready }));
  const app = ex('40-argocd.yaml').find((o) => o.kind === 'Application');
  const seed = ex('10-git-server.yaml').find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'git-seed');
  const ro = { ...parse(seed.data['deploy.rollout.yaml']), metadata: { name: 'rollouts-demo', namespace: ns } };
  ro.spec.template.spec.containers[0].image = 'argoproj/rollouts-demo:yellow';
  const R1 = '0250b27b11111111111111111111111111111111';
  /** a Workflow as the Sensor's k8s trigger creates it: its labels, the pushed commit in parameter 0 */
  const wf = (name: string, commit: string, status: unknown) => {
    const w = structuredClone(events.find((o) => o.kind === 'Sensor').spec.triggers[0].template.k8s.source.resource);
    w.metadata = { ...w.metadata, name, labels: { ...w.metadata.labels, 'events.argoproj.io/sensor': 'ci', 'events.argoproj.io/trigger': 'submit-ci' } };
    w.spec.arguments.parameters[0].value = commit;
    return { ...w, status };
  };
  const pod = (id: string, displayName: string, at: string, outs?: Record<string, string>) => ({ id, name: id, displayName, type: 'Pod', phase: 'Succeeded', startedAt: at, outputs: outs && { parameters: Object.entries(outs).map(([name, value]) => ({ name, value })) } });
  const w1 = wf('ci-first', 'a6adef2011111111111111111111111111111111', { phase: 'Succeeded', nodes: { a: pod('a', 'test', '2026-01-01T00:00:01Z'), b: pod('b', 'build', '2026-01-01T00:00:02Z', { image: 'argoproj/rollouts-demo:yellow' }), c: pod('c', 'deploy', '2026-01-01T00:00:03Z', { revision: R1 }) } });
  writeFileSync(join(cluster.dir, 'pipeline.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [...events, w1, app, ro] }));
  await cluster.k(['create', '-f', join(cluster.dir, 'pipeline.json')]);
  await cluster.k(['patch', 'applications.argoproj.io', 'pipeline-demo', '-n', 'argocd', '--type', 'merge', '-p', JSON.stringify({ status: { sync: { status: 'Synced', revision: R1 }, health: { status: 'Progressing' }, operationState: { phase: 'Succeeded', message: 'successfully synced' }, resources: [{ group: 'argoproj.io', version: 'v1alpha1', kind: 'Rollout', namespace: ns, name: 'rollouts-demo', status: 'Synced' }] } })]);
  const roStatus = (st: unknown) => cluster.k(['patch', 'rollout.argoproj.io', 'rollouts-demo', '-n', ns, '--subresource=status', '--type', 'merge', '-p', JSON.stringify({ status: st })]);
  await roStatus({ phase: 'Paused', message: 'CanaryPauseStep', currentStepIndex: 1 });
  // an argo-server for the namespace that lets argocd-server's pages call it
  const port = await freePort();
  const argo = start(MAIN, ['server', '--namespaced', '-n', ns, '--auth-mode', 'server', '--secure=false', '--port', String(port), '--kubeconfig', cluster.kubeconfig, '--access-control-allow-origin', cd]);
  const end = Date.now() + 60_000;
  while (!(await fetch(`http://127.0.0.1:${port}/api/v1/info`).then((r) => r.ok, () => false))) {
    if (argo.exitCode !== null || Date.now() > end) throw new Error(`argo-server did not start:\n${logs()}`);
    await new Promise((r) => setTimeout(r, 300));
  }
  await page.goto(`${cd}/pipeline?ns=${ns}`);
  const stage = (id: string) => page.locator(`.chain [data-stage="${id}"]`);
  // argo-server is not known yet: its stages say so, Argo CD's are there
  await stage('workflow').getByText('argo-server not reachable from this page').waitFor();
  await stage('application').getByText('Synced to 0250b27b').waitFor();
  await page.getByLabel('argo-server address').fill(`http://127.0.0.1:${port}/`);
  await stage('workflow').getByText('Succeeded', { exact: true }).waitFor();
  assert.equal(await stage('push').locator('.stage-kind').textContent(), 'git push');
  await stage('push').getByText('commit a6adef20').waitFor();
  await stage('eventsource').getByRole('link', { name: 'git-push' }).waitFor();
  await stage('sensor').getByText('trigger submit-ci → Workflow').waitFor();
  assert.equal(await stage('workflow').getByRole('link', { name: 'ci-first' }).getAttribute('href'), `http://127.0.0.1:${port}/workflows/${ns}/ci-first`, 'the workflow links to its page on argo-server');
  await stage('rollout').getByText('Paused, step 1/5, weight 20 %').waitFor();
  assert.match((await page.locator('.chain').textContent()) ?? '', /POST :12000\/push.*dependency push.*trigger submit-ci.*commit 0250b27b.*image rollouts-demo:yellow/);
  await page.screenshot({ path: join(ROOT, 'docs/images/ui-pipeline.png') });
  await axeCheck(page, 'the pipeline page');
  // live: the canary completes; then a new push's workflow starts and the chain follows it
  await roStatus({ phase: 'Healthy', message: null, currentStepIndex: 5 });
  await stage('rollout').getByText('Healthy, weight 100 %').waitFor();
  assert.equal(await stage('rollout').getAttribute('data-state'), 'ok');
  const w2 = wf('ci-second', 'b7bdef2022222222222222222222222222222222', { phase: 'Running', nodes: { a: { ...pod('a', 'test', '2026-01-01T00:01:01Z'), phase: 'Running' } } });
  writeFileSync(join(cluster.dir, 'wf2.json'), JSON.stringify(w2));
  await cluster.k(['create', '-f', join(cluster.dir, 'wf2.json')]);
  await stage('push').getByText('commit b7bdef20').waitFor();
  await stage('workflow').getByText('Running', { exact: true }).waitFor();
  await stage('application').getByText('waiting for the workflow (at 0250b27b)').waitFor();
  await stage('rollout').getByText('runs argoproj/rollouts-demo:yellow (this run has not built yet)').waitFor();
  // the earlier run is one choice away
  await page.getByLabel('Run').selectOption('ci-first');
  await stage('push').getByText('commit a6adef20').waitFor();
  await stage('rollout').getByText('Healthy, weight 100 %').waitFor();
  // the app's page leads to its pipeline; a triggered workflow's page (on argo-server) to its run in it
  await page.goto(`${cd}/applications/argocd/pipeline-demo`);
  await page.locator('main').getByRole('link', { name: 'Pipeline' }).click();
  await page.waitForURL(/\/pipeline\?ns=flotilla-demo$/);
  await stage('workflow').getByRole('link', { name: 'ci-second' }).click();
  await page.waitForURL(`http://127.0.0.1:${port}/workflows/${ns}/ci-second`);
  await page.locator('main').getByRole('link', { name: 'Pipeline' }).click();
  await page.waitForURL(/\/pipeline\?ns=flotilla-demo&run=ci-second$/);
  await stage('workflow').getByText('Running', { exact: true }).waitFor();
  await stage('application').getByText('argocd-server not reachable from this page').waitFor();
}
