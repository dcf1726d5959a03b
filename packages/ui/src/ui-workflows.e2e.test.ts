/**
 * The Workflows and Events sections in a real browser (Debian's chromium, playwright-core) against a real
 * `flotilla up` with Argo Workflows' install (manifests/argo-workflows/install.yaml: the workflow controller
 * and argo-server as pods, argo-server serving the UI) reached through `kubectl port-forward svc/argo-server`,
 * and Argo Events' CRDs (manifests/argo-events/install.yaml, the CRDs only):
 * log in with a ServiceAccount's token, submit a DAG diamond from its WorkflowTemplate with a parameter
 * from the form, watch the graph's nodes reach Succeeded live, open a node's inputs and logs; suspend a
 * CronWorkflow; resume a steps workflow at its suspend node and delete it; suspend, resume, stop, retry and
 * terminate a running one; download a node's artifact and find
 * the workflow in the archive (PostgreSQL in a pod, `postgres` image); with Argo Events installed (controller,
 * a native EventBus): post to a webhook EventSource and see the triggered workflow appear in the event flow,
 * the sensor's TriggerSucceeded event and its pod's log; the user page with the argo CLI login.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { kubectlFor, startUp, stopUp, waitOrDiagnose, type Up } from '@flotilla/kube-runtime/testkit';
import type { Browser, Page } from 'playwright-core';
import { UI_ASSETS } from './index.js';
import { axeCheck, kubectlPortForward } from './browser-testkit.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SHOTS = join(ROOT, 'docs/images');
const CHROMIUM = '/usr/bin/chromium';
const skip = !existsSync(CHROMIUM) ? `chromium not installed at ${CHROMIUM} (scripts/test.sh installs Debian's chromium)` : !existsSync(join(UI_ASSETS, 'index.html')) ? `the UI is not built (${UI_ASSETS}/index.html missing): run npm run build` : undefined;
if (skip) console.log(`# skipped: ${skip}`);

let dir: string;
let up: Up;
let pf: ChildProcess | undefined;
let pfHook: ChildProcess | undefined;
let base: string;
let browser: Browser;
let page: Page;
let k: ReturnType<typeof kubectlFor>;
/** The archive needs PostgreSQL (the `postgres` image runs the host's): why not, or undefined. */
function pgMissing(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return `PostgreSQL is not installed (${root} missing; scripts/system-deps.sh installs postgresql)`;
  if (process.getuid?.() === 0 && spawnSync('id', ['-u', 'postgres']).status !== 0) return 'running as root and there is no "postgres" user to run the server as';
  return undefined;
}
const noPg = skip ? undefined : pgMissing();
if (noPg) console.log(`# the archive part skipped: ${noPg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NS = 'argo';
const EV = 'argo-events';

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 120_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await sleep(300);
  }
}

function portForward(ns = NS, target = 'svc/argo-server', port = 2746, set: (p: ChildProcess) => void = (p) => (pf = p)): Promise<number> {
  return kubectlPortForward({ kubeconfig: up.kubeconfig, home: join(dir, 'home'), ns, target, port }, set);
}

const axe = (what: string) => axeCheck(page, what);

const apply = async (name: string, objs: unknown[]) => {
  writeFileSync(join(dir, `${name}.json`), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objs }));
  await k.k(['apply', '-f', join(dir, `${name}.json`)]);
};
const shot = async (name: string) => {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `ui-${name}.png`), fullPage: true });
};

const NOTE = 'a note carried as a raw artifact';
const echo = { name: 'echo', inputs: { parameters: [{ name: 'm' }], artifacts: [{ name: 'note', path: '/tmp/note', raw: { data: NOTE } }] }, container: { image: 'busybox', command: ['echo', '{{inputs.parameters.m}}'] } };
const DIAMOND = {
  apiVersion: 'argoproj.io/v1alpha1', kind: 'WorkflowTemplate', metadata: { name: 'diamond', namespace: NS },
  spec: {
    entrypoint: 'main', arguments: { parameters: [{ name: 'message', value: 'hello' }] },
    templates: [
      { name: 'main', dag: { tasks: [
        { name: 'A', template: 'echo', arguments: { parameters: [{ name: 'm', value: 'A says {{workflow.parameters.message}}' }] } },
        { name: 'B', dependencies: ['A'], template: 'echo', arguments: { parameters: [{ name: 'm', value: 'B says {{workflow.parameters.message}}' }] } },
        { name: 'C', dependencies: ['A'], template: 'echo', arguments: { parameters: [{ name: 'm', value: 'C says {{workflow.parameters.message}}' }] } },
        { name: 'D', dependencies: ['B', 'C'], template: 'echo', arguments: { parameters: [{ name: 'm', value: 'D says {{workflow.parameters.message}}' }] } },
      ] } },
      echo,
    ],
  },
};

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'ui-wf-e2e-'));
  up = await startUp(join(dir, 'data'), 180_000, { components: [] });
  k = kubectlFor(join(dir, 'home'), up.kubeconfig);
  await k.k(['create', 'namespace', NS]);
  await k.k(['create', 'namespace', EV]);
  // PostgreSQL for the archive (as upstream's quick-start-postgres), then the install with `persistence` in the
  // controller ConfigMap: argo-server connects on start and again every 30 s until it can
  const install = parseAllDocuments(readFileSync(join(ROOT, 'manifests/argo-workflows/install.yaml'), 'utf8')).map((d) => d.toJS()).filter(Boolean);
  if (!noPg) {
    await apply('postgres', [
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'argo-postgres-config', namespace: NS }, stringData: { username: 'postgres', password: 'password' } },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'postgres', namespace: NS, labels: { app: 'postgres' } }, spec: { containers: [{ name: 'main', image: 'postgres:12-alpine', env: [{ name: 'POSTGRES_PASSWORD', value: 'password' }], ports: [{ containerPort: 5432 }], readinessProbe: { tcpSocket: { port: 5432 }, initialDelaySeconds: 2, periodSeconds: 2 } }] } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'postgres', namespace: NS }, spec: { selector: { app: 'postgres' }, ports: [{ port: 5432, targetPort: 5432 }] } },
    ]);
    const cm = install.find((o: any) => o.kind === 'ConfigMap' && o.metadata.name === 'workflow-controller-configmap');
    cm.data.persistence = 'archive: true\npostgresql:\n  host: postgres\n  port: 5432\n  database: postgres\n  tableName: argo_workflows\n  userNameSecret: {name: argo-postgres-config, key: username}\n  passwordSecret: {name: argo-postgres-config, key: password}\n';
  }
  writeFileSync(join(dir, 'argo-workflows.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: install }));
  await k.k(['apply', '-n', NS, '-f', join(dir, 'argo-workflows.json')]);
  // Argo Events: the controller-manager (not the validating webhook's pod) and a native EventBus (3 NATS servers)
  const events = parseAllDocuments(readFileSync(join(ROOT, 'manifests/argo-events/install.yaml'), 'utf8')).map((d) => d.toJS()).filter((o) => o && !(o.kind === 'Deployment' && o.metadata.name === 'events-webhook'));
  writeFileSync(join(dir, 'argo-events.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: events }));
  await k.k(['apply', '-n', EV, '-f', join(dir, 'argo-events.json')]);
  await k.k(['wait', '--for=condition=Established', 'crd/eventbus.argoproj.io', 'crd/eventsources.argoproj.io', 'crd/sensors.argoproj.io', '--timeout=60s']);
  await apply('eventbus', [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'EventBus', metadata: { name: 'default', namespace: EV }, spec: { nats: { native: { auth: 'token' } } } }]);
  await k.k(['rollout', 'status', '-n', NS, 'deployment/workflow-controller', '--timeout=150s']);
  await k.k(['rollout', 'status', '-n', NS, 'deployment/argo-server', '--timeout=150s']);
  base = `https://127.0.0.1:${await portForward()}`;
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  page = await (await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1440, height: 900 } })).newPage();
  page.setDefaultTimeout(30_000);
}, { timeout: 400_000 });

after(async () => {
  await browser?.close().catch(() => {});
  pf?.kill('SIGTERM');
  pfHook?.kill('SIGTERM');
  if (up) await stopUp(up, 'SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('Workflows: submit a DAG from its template with a parameter, the graph reaches Succeeded live, a node\'s inputs and logs; suspend a cron workflow', { skip, timeout: 240_000 }, async () => {
  // a user's token, as `argo auth token` prints it: a ServiceAccount allowed to use Argo Workflows
  await k.k(['create', 'serviceaccount', 'ui-user', '-n', NS]);
  await k.k(['create', 'clusterrolebinding', 'ui-user', '--clusterrole=cluster-admin', `--serviceaccount=${NS}:ui-user`]);
  const token = (await k.k(['create', 'token', 'ui-user', '-n', NS])).trim();
  await apply('templates', [DIAMOND, {
    apiVersion: 'argoproj.io/v1alpha1', kind: 'CronWorkflow', metadata: { name: 'nightly', namespace: NS },
    spec: { schedule: '0 3 * * *', workflowSpec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'busybox', command: ['true'] } }] } },
  }]);
  await until('the UI answers through the port-forward', async () => (await page.goto(base + '/', { waitUntil: 'load' }).catch(() => undefined))?.ok());
  await page.waitForURL(/\/login\?return_url=workflows/);
  await page.getByLabel('Token').fill(token);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Workflows' }).waitFor();

  // the template's page: SUBMIT with the parameter from the form
  await page.getByRole('link', { name: 'Templates', exact: true }).click();
  await page.getByRole('row', { name: /diamond/ }).waitFor();
  await axe('the templates list');
  await page.getByRole('button', { name: 'Submit diamond' }).click();
  const dialog = page.getByRole('dialog');
  const param = dialog.getByLabel(/Parameter message/);
  assert.equal(await param.inputValue(), 'hello', 'the form starts from the template\'s value');
  await param.fill('from the UI');
  await dialog.getByRole('button', { name: 'Submit' }).click();
  await page.waitForURL(/\/workflows\/argo\/diamond-/);
  const name = /\/workflows\/argo\/(diamond-[a-z0-9]+)/.exec(page.url())![1]!;
  const t0 = Date.now();
  // the graph: A → B, C → D, each reaching Succeeded live
  const graph = page.getByRole('tree', { name: 'Workflow graph' });
  await graph.waitFor();
  for (const n of ['A', 'B', 'C', 'D']) await graph.locator(`[data-node="${n}"][data-phase="Succeeded"]`).waitFor({ timeout: 150_000 });
  console.log(`# the diamond's four nodes Succeeded in the graph ${((Date.now() - t0) / 1000).toFixed(1)} s after the submit; layout ${await graph.getAttribute('data-layout-ms')} ms`);
  await page.locator('.toolbar').getByText('Succeeded').first().waitFor();
  await page.getByTestId('progress').getByText('4/4').waitFor();
  const wf = JSON.parse(await k.k(['get', 'workflow', name, '-n', NS, '-o', 'json']));
  assert.equal(wf.status.phase, 'Succeeded');
  assert.deepEqual(wf.spec.arguments.parameters, [{ name: 'message', value: 'from the UI' }], 'the form\'s parameter reached the workflow');
  assert.equal(wf.metadata.labels['workflows.argoproj.io/workflow-template'], 'diamond');
  await shot('workflow-graph');
  await axe('the workflow page');
  // the node panel: inputs, then the logs through argo-server's log API
  await graph.locator('[data-node="B"]').click();
  const panel = page.getByRole('dialog');
  await panel.getByRole('tab', { name: 'Inputs/outputs' }).click();
  await panel.getByRole('table', { name: 'Inputs and outputs' }).getByText('B says from the UI').waitFor();
  // the node's artifact, downloaded through argo-server's /artifact-files/… with the session's cookie
  const [download] = await Promise.all([page.waitForEvent('download'), panel.getByRole('table', { name: 'Inputs and outputs' }).getByRole('link', { name: '/tmp/note' }).click()]);
  assert.equal(readFileSync((await download.path())!, 'utf8'), NOTE, 'the downloaded artifact is the node\'s');
  console.log(`# artifact downloaded from node B's panel: ${download.suggestedFilename()}`);
  await panel.getByRole('tab', { name: 'Logs' }).click();
  await panel.getByRole('log').getByText('B says from the UI').waitFor();
  await panel.getByRole('tab', { name: 'Events' }).click();
  await panel.getByRole('table', { name: 'Pod events' }).getByText('Scheduled').waitFor();
  await panel.getByRole('tab', { name: 'Summary' }).click();
  await panel.getByRole('table', { name: 'Node summary' }).getByText('echo', { exact: true }).waitFor();
  await shot('workflow-node-logs');
  await panel.getByRole('button', { name: 'Close' }).click();
  // RESUBMIT makes a new workflow from this one and opens it
  await page.getByRole('button', { name: 'Resubmit' }).click();
  await page.waitForURL((u) => /\/workflows\/argo\/diamond-/.test(u.pathname) && !u.pathname.endsWith(name));
  await page.getByRole('tree', { name: 'Workflow graph' }).locator('[data-node="A"]').waitFor();
  // the list shows both, with their phases
  await page.getByRole('link', { name: 'Workflows', exact: true }).first().click();
  await page.getByRole('row', { name: new RegExp(name) }).getByText('Succeeded').waitFor();
  assert.ok(await page.getByRole('table', { name: 'Workflows' }).getByRole('row').count() >= 3);
  await axe('the workflows list');
  // cron workflows: SUSPEND, read back with kubectl
  await page.getByRole('link', { name: 'Cron workflows' }).click();
  await page.getByRole('row', { name: /nightly/ }).getByText('0 3 * * *').waitFor();
  await page.getByRole('button', { name: 'Suspend nightly' }).click();
  await page.getByRole('button', { name: 'Resume nightly' }).waitFor();
  assert.equal(await k.k(['get', 'cronworkflow', 'nightly', '-n', NS, '-o', 'jsonpath={.spec.suspend}']), 'true');
  // the user page: who argo-server says this is, and the argo CLI's environment with this login's token
  await page.getByRole('link', { name: 'User', exact: true }).click();
  await page.getByRole('table', { name: 'User info' }).getByText(`${NS}/ui-user`).waitFor();
  await page.getByRole('button', { name: 'Show token' }).click();
  const env = await page.getByLabel('argo CLI environment').textContent();
  assert.ok(env!.includes(`export ARGO_TOKEN='Bearer ${token}'`), 'the CLI environment carries the login\'s token');
  assert.match(env!, /export ARGO_SERVER='127\.0\.0\.1:\d+'/);
  await page.getByRole('button', { name: 'Hide token' }).click();
  await shot('workflows-user');
  await axe('the user page');
  // the archive (PostgreSQL): argo-server archives the completed workflow; the Archive page lists it
  if (noPg) return void console.log(`# archive check skipped: ${noPg}`);
  const t1 = Date.now();
  await until('the workflow archived', async () => JSON.parse(await k.k(['get', 'workflow', name, '-n', NS, '-o', 'json'])).metadata.labels?.['workflows.argoproj.io/workflow-archiving-status'] === 'Archived', 120_000);
  console.log(`# ${name} archived ${((Date.now() - t1) / 1000).toFixed(1)} s after the checks above`);
  await page.getByRole('link', { name: 'Archive', exact: true }).click();
  const arow = page.getByRole('table', { name: 'Archived workflows' }).getByRole('row').filter({ has: page.getByRole('button', { name, exact: true }) });
  await arow.getByText('Succeeded').first().waitFor();
  await arow.getByRole('button', { name, exact: true }).click();
  await page.getByRole('dialog').getByText('B says from the UI').first().waitFor();
  await shot('workflow-archive');
  await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
});

test('Workflows: a steps workflow waiting at a suspend node — RESUME from its page runs it to the end; DELETE after confirming', { skip, timeout: 180_000 }, async () => {
  await apply('approval', [{
    apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'approval', namespace: NS },
    spec: { entrypoint: 'main', templates: [
      { name: 'main', steps: [[{ name: 'wait-for-me', template: 'pause' }], [{ name: 'after', template: 'echo', arguments: { parameters: [{ name: 'm', value: 'approved' }] } }]] },
      { name: 'pause', suspend: {} },
      echo,
    ] },
  }]);
  await page.goto(`${base}/workflows/${NS}/approval`);
  const graph = page.getByRole('tree', { name: 'Workflow graph' });
  await graph.locator('[data-node="wait-for-me"][data-phase="Running"]').waitFor({ timeout: 90_000 });
  const resume = page.getByRole('button', { name: 'Resume', exact: true });
  assert.ok(await resume.isEnabled(), 'a running suspend node: RESUME is enabled');
  assert.ok(await page.getByRole('button', { name: 'Retry', exact: true }).isDisabled(), 'RETRY only for failed workflows');
  await resume.click();
  await graph.locator('[data-node="after"][data-phase="Succeeded"]').waitFor({ timeout: 90_000 });
  await page.locator('.toolbar').getByText('Succeeded').first().waitFor();
  page.once('dialog', (d) => void d.accept());
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await page.waitForURL(/\/workflows$/);
  await until('the workflow deleted', async () => (await k.kubectl(['get', 'workflow', 'approval', '-n', NS])).code !== 0, 30_000);
  await page.getByRole('table', { name: 'Workflows' }).getByRole('row', { name: /approval/ }).waitFor({ state: 'detached' });
});

test('Workflows: SUSPEND, RESUME, STOP, RETRY and TERMINATE from a running workflow\'s page, as the controller carries them out', { skip, timeout: 300_000 }, async () => {
  const t0 = Date.now();
  await apply('halt', [{
    apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'halt-me', namespace: NS },
    spec: { entrypoint: 'main', templates: [{ name: 'main', steps: [[{ name: 'nap', template: 'nap' }]] }, { name: 'nap', container: { image: 'busybox', command: ['sleep', '300'] } }] },
  }]);
  await page.goto(`${base}/workflows/${NS}/halt-me`);
  const graph = page.getByRole('tree', { name: 'Workflow graph' });
  const btn = (name: string) => page.getByRole('button', { name, exact: true });
  const get = async (path: string) => k.k(['get', 'workflow', 'halt-me', '-n', NS, '-o', `jsonpath={${path}}`]);
  // (a failure says what the API, the pod and the controller had: the page alone cannot tell them apart)
  const phaseShown = async (p: string) => {
    try {
      await page.locator('.toolbar').getByText(p, { exact: true }).first().waitFor({ timeout: 120_000 });
    } catch (e) {
      const wf = await k.kubectl(['get', 'workflow', 'halt-me', '-n', NS, '-o', 'json']);
      let api = wf.stdout;
      try {
        const o = JSON.parse(wf.stdout);
        api = JSON.stringify({ rv: o.metadata.resourceVersion, spec: { suspend: o.spec.suspend, shutdown: o.spec.shutdown }, phase: o.status?.phase, message: o.status?.message, nodes: Object.values(o.status?.nodes ?? {}).map((n: any) => `${n.displayName} ${n.type} ${n.phase} ${n.message ?? ''}`) });
      } catch { /* printed as it came */ }
      const pods = await k.kubectl(['get', 'pods', '-n', NS, '-o', 'wide']);
      const logs = await k.kubectl(['logs', '-n', NS, 'deployment/workflow-controller', '--tail=60']);
      const toolbar = await page.locator('.toolbar').innerText().catch((x) => String(x));
      throw new Error(`${(e as Error).message}\nthe page's toolbar: ${toolbar}\nthe workflow in the API: ${api}\npods:\n${pods.stdout}${pods.stderr}\nthe controller's log:\n${logs.stdout}${logs.stderr}`);
    }
  };
  await graph.locator('[data-node="nap"][data-phase="Running"]').waitFor({ timeout: 90_000 });
  assert.ok(await btn('Retry').isDisabled(), 'RETRY only for failed workflows');
  assert.ok(await btn('Resume').isDisabled(), 'nothing to resume yet');
  await btn('Suspend').click();
  await until('SUSPEND set spec.suspend', async () => (await get('.spec.suspend')) === 'true', 20_000);
  await until('RESUME enabled', async () => btn('Resume').isEnabled(), 20_000);
  await btn('Resume').click();
  await until('RESUME cleared spec.suspend', async () => (await get('.spec.suspend')) !== 'true', 20_000);
  // STOP's answer (the workflow as the update left it: Running) is held until the controller has finished the
  // workflow and the stream has brought Failed, as a loaded machine can order them: the page keeps the newer copy
  // (a CI run showed Running for good after such a late answer)
  let heldAnswer = false;
  await page.route('**/api/v1/workflows/*/halt-me/stop', async (route) => {
    const answer = await route.fetch();
    await until('the controller finished the stopped workflow', async () => (await get('.status.phase')) === 'Failed', 60_000).catch(() => undefined);
    await sleep(2000);
    heldAnswer = true;
    await route.fulfill({ response: answer });
  });
  await btn('Stop').click();
  await until('STOP set spec.shutdown', async () => (await get('.spec.shutdown')) === 'Stop', 20_000);
  await until("STOP's answer delivered after the stream's Failed", async () => heldAnswer, 70_000);
  await page.unroute('**/api/v1/workflows/*/halt-me/stop');
  await sleep(500);
  await phaseShown('Failed');
  await page.getByText("Stopped with strategy 'Stop'").first().waitFor();
  await btn('Retry').click();
  await until('RETRY cleared the shutdown and the controller ran the step again', async () => (await get('.spec.shutdown')) === '' && (await get('.status.phase')) === 'Running', 60_000);
  await graph.locator('[data-node="nap"][data-phase="Running"]').waitFor({ timeout: 90_000 });
  await phaseShown('Running');
  page.once('dialog', (d) => void d.accept());
  await btn('Terminate').click();
  await until('TERMINATE set spec.shutdown', async () => (await get('.spec.shutdown')) === 'Terminate', 20_000);
  await phaseShown('Failed');
  await page.getByText("Stopped with strategy 'Terminate'").first().waitFor();
  assert.ok(await btn('Stop').isDisabled(), 'a finished workflow cannot be stopped');
  await k.k(['delete', 'workflow', 'halt-me', '-n', NS, '--wait=false']);
  console.log(`# suspend/resume/stop/retry/terminate: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});

test('Events: a webhook EventSource and a Sensor run by the controller; a POST to the webhook triggers a workflow that appears in the event flow, with the sensor\'s result and log', { skip, timeout: 240_000 }, async () => {
  // the sensor's ServiceAccount may create Workflows (as upstream's examples/rbac) and record its Events
  await k.k(['create', 'serviceaccount', 'operate-workflow-sa', '-n', EV]);
  await k.k(['create', 'role', 'operate-workflow', '-n', EV, '--verb=create,get,list,watch,patch', '--resource=workflows.argoproj.io,events']);
  await k.k(['create', 'rolebinding', 'operate-workflow', '-n', EV, '--role=operate-workflow', `--serviceaccount=${EV}:operate-workflow-sa`]);
  await apply('events', [
    { apiVersion: 'argoproj.io/v1alpha1', kind: 'EventSource', metadata: { name: 'webhook', namespace: EV }, spec: { service: { ports: [{ port: 12000, targetPort: 12000 }] }, webhook: { example: { port: '12000', endpoint: '/example', method: 'POST' } } } },
    { apiVersion: 'argoproj.io/v1alpha1', kind: 'Sensor', metadata: { name: 'webhook', namespace: EV }, spec: {
      template: { serviceAccountName: 'operate-workflow-sa' },
      dependencies: [{ name: 'test-dep', eventSourceName: 'webhook', eventName: 'example' }],
      triggers: [{ template: { name: 'webhook-workflow-trigger', k8s: { operation: 'create', source: { resource: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { generateName: 'webhook-' }, spec: { entrypoint: 'main', arguments: { parameters: [{ name: 'message', value: 'none' }] }, templates: [{ name: 'main', suspend: {} }] } } }, parameters: [{ src: { dependencyName: 'test-dep', dataKey: 'body.message' }, dest: 'spec.arguments.parameters.0.value' }] } } }],
    } },
  ]);
  await page.getByRole('link', { name: 'Events', exact: true }).click();
  await page.getByRole('heading', { name: 'Events', exact: true }).waitFor();
  const flow = page.getByRole('tree', { name: 'Event flow' });
  await flow.locator('[data-kind="EventSource"][data-name="webhook"]').getByText('webhook: example').waitFor();
  await flow.locator('[data-edge-label="test-dep"]').waitFor();
  await flow.locator('[data-kind="Trigger"][data-name="webhook-workflow-trigger"]').getByText('k8s Workflow create').waitFor();
  const sensorRow = page.getByRole('table', { name: 'Sensors' }).getByRole('row', { name: /webhook/ });
  await sensorRow.getByText('test-dep (webhook/example)').waitFor();
  // the controller deploys both and reports their conditions: Ready, live
  const t0 = Date.now();
  await sensorRow.getByText('Ready').waitFor({ timeout: 150_000 });
  await page.getByRole('table', { name: 'Event sources' }).getByRole('row', { name: /webhook/ }).getByText('Ready').waitFor({ timeout: 60_000 });
  console.log(`# EventSource and Sensor Ready in the UI ${((Date.now() - t0) / 1000).toFixed(1)} s after they were created`);
  // POST to the webhook through a port-forward to its Service, as the tutorial's curl, until the sensor (whose
  // pod may still be subscribing to the bus) has triggered a workflow
  // (a failure says what the bus's servers and the pods were doing)
  await waitOrDiagnose(k.kubectl, EV, ['--for=condition=Ready', 'pod', '-l', 'eventbus-name=default'], 'eventbus-name=default', { timeoutMs: 150_000, probe: ['curl', '-sS', '-m', '5', 'http://127.0.0.1:8222/healthz?js-enabled-only=true'] });
  for (const l of ['eventsource-name=webhook', 'sensor-name=webhook']) await waitOrDiagnose(k.kubectl, EV, ['--for=condition=Available', 'deployment', '-l', l], l, { timeoutMs: 150_000, probe: ['curl', '-sS', '-m', '5', 'http://127.0.0.1:7777/readyz'] });
  let hook = await portForward(EV, 'svc/webhook-eventsource-svc', 12000, (p) => (pfHook = p));
  const t1 = Date.now();
  const wfNode = flow.locator('[data-kind="Workflow"]');
  let posts = 0;
  await until('a workflow triggered by a POST to the webhook, in the event flow', async () => {
    if ((await wfNode.count()) > 0) return true;
    if (pfHook?.exitCode !== null) hook = await portForward(EV, 'svc/webhook-eventsource-svc', 12000, (p) => (pfHook = p));
    const r = await fetch(`http://127.0.0.1:${hook}/example`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: 'hello from the UI test' }) }).catch(() => undefined);
    if (r?.status === 200) posts++;
    await sleep(2500);
    return (await wfNode.count()) > 0;
  }, 150_000);
  const wfName = (await wfNode.first().getAttribute('data-name'))!;
  console.log(`# the triggered workflow ${wfName} in the event flow ${((Date.now() - t1) / 1000).toFixed(1)} s after the first POST (${posts} accepted)`);
  const wf = JSON.parse(await k.k(['get', 'workflow', wfName, '-n', EV, '-o', 'json']));
  assert.equal(wf.spec.arguments.parameters[0].value, 'hello from the UI test', 'the event\'s message reached the workflow');
  assert.equal(wf.metadata.labels['events.argoproj.io/sensor'], 'webhook');
  await page.getByRole('table', { name: 'Triggered workflows' }).getByRole('row', { name: new RegExp(wfName) }).getByText('webhook-workflow-trigger').waitFor();
  // the trigger's result: the sensor's TriggerSucceeded event, in the recent events and in its panel, and its pod's log
  await until('the sensor\'s TriggerSucceeded event (kubectl)', async () => (await k.k(['get', 'events', '-n', EV, '--field-selector', 'reason=TriggerSucceeded', '-o', 'name'])).trim(), 30_000);
  await page.getByRole('table', { name: 'Recent events' }).getByText('TriggerSucceeded').first().waitFor({ timeout: 30_000 });
  await shot('events');
  await axe('the Events section');
  await flow.locator('[data-kind="Sensor"][data-name="webhook"]').click();
  const panel = page.getByRole('dialog');
  await panel.getByRole('table', { name: 'Conditions' }).getByText('TriggersProvided').waitFor();
  await panel.getByRole('table', { name: 'Events of Sensor webhook' }).getByText('TriggerSucceeded').first().waitFor();
  await panel.getByRole('table', { name: 'Triggered workflows' }).getByText(wfName).waitFor();
  await panel.getByRole('log', { name: 'Logs of Sensor webhook' }).getByText(/webhook-workflow-trigger/).first().waitFor({ timeout: 30_000 });
  await shot('events-sensor');
  await panel.getByRole('button', { name: 'Close' }).click();
  // the workflow's node opens its page
  await wfNode.first().click();
  await page.waitForURL(new RegExp(`/workflows/${EV}/${wfName}$`));
});
