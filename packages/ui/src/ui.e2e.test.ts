/**
 * The web UI in a real browser (Debian's chromium driven by playwright-core) against a real
 * `flotilla up --components argo-cd` (manifests/argo-cd/install.yaml: argocd-server serving the UI,
 * the controller, the repo server — each a pod), through `kubectl port-forward svc/argocd-server :443`:
 * log in as admin, create the guestbook app from the form (a Git server on the host serving
 * argocd-example-apps), see OutOfSync/Missing, sync from the SYNC dialog, see Synced/Healthy in the
 * tree, edit the Deployment with kubectl and see OutOfSync and the diff, sync again and roll back from
 * the history, open the Deployment's live manifest and a pod's logs, filter the list; axe-core on each
 * main page. Screenshots go to docs/images/.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, type ChildProcess } from 'node:child_process';
import { kubectlFor, startUp, stopUp, type Up } from '@flotilla/kube-runtime/testkit';
import { startGitServer, exampleAppsRepo, type GitServer } from '@flotilla/repo-server/testkit';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { UI_ASSETS } from './index.js';
import { axeCheck, kubectlPortForward } from './browser-testkit.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SHOTS = join(ROOT, 'docs/images');
const CHROMIUM = '/usr/bin/chromium';

function skipReason(): string | undefined {
  if (!existsSync(CHROMIUM)) return `chromium not installed at ${CHROMIUM} (scripts/test.sh installs Debian's chromium)`;
  if (!existsSync(join(UI_ASSETS, 'index.html'))) return `the UI is not built (${UI_ASSETS}/index.html missing): run npm run build`;
  return undefined;
}
const pre = skipReason();
const examples = pre ? undefined : exampleAppsRepo();
const skip = pre ?? (!examples ? 'argocd-example-apps not found (../shared/upstream/argocd-example-apps)' : undefined);
if (skip) console.log(`# skipped: ${skip}`);

let dir: string;
let up: Up;
let git: GitServer;
let pf: ChildProcess | undefined;
let base: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let k: ReturnType<typeof kubectlFor>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
    await sleep(250);
  }
}

function portForward(): Promise<number> {
  return kubectlPortForward({ kubeconfig: up.kubeconfig, home: dir, ns: 'argocd', target: 'svc/argocd-server', port: 443 }, (p) => (pf = p));
}

const axe = (what: string) => axeCheck(page, what);

const shot = async (name: string) => {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `ui-${name}.png`) });
};

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'ui-e2e-'));
  git = await startGitServer({ repos: { 'argocd-example-apps': examples! } });
  up = await startUp(join(dir, 'data'), 700_000, { components: ['argo-cd'], args: ['--components-timeout', '400'] });
  k = kubectlFor(join(dir, 'home'), up.kubeconfig);
  await until('argocd-server ready', async () => {
    const d = JSON.parse(await k.k(['get', 'deployment', '-n', 'argocd', 'argocd-server', '-o', 'json']));
    return (d.status?.readyReplicas ?? 0) >= 1;
  }, 400_000);
  base = `https://127.0.0.1:${await portForward()}`;
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1440, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(30_000);
}, { timeout: 900_000 });

after(async () => {
  await browser?.close().catch(() => {});
  pf?.kill('SIGTERM');
  if (up) await stopUp(up, 'SIGTERM');
  await git?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('argocd-server serves the UI: / sends to the login page; the initial JavaScript is small', { skip, timeout: 120_000 }, async () => {
  const js: { url: string; bytes: number }[] = [];
  page.on('response', async (r) => {
    if (r.url().endsWith('.js')) js.push({ url: r.url(), bytes: (await r.body().catch(() => Buffer.alloc(0))).length });
  });
  await until('the UI answers through the port-forward', async () => (await page.goto(base + '/', { waitUntil: 'load' }))?.ok());
  await page.waitForURL(/\/login\?return_url=/);
  await page.getByLabel('Username').waitFor();
  assert.equal(await page.title(), 'Argo CD');
  await sleep(300);
  const total = js.reduce((n, j) => n + j.bytes, 0);
  console.log(`# initial JavaScript on the login page: ${js.length} file(s), ${total} bytes (uncompressed)`);
  assert.ok(total > 0 && total < 500 * 1024, `initial JS ${total} bytes`);
  assert.ok(!js.some((j) => /elk/.test(j.url)), 'the tree layout (elkjs) is not in the initial load');
  // a wrong password is refused in place with the server's message
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').waitFor();
  assert.match((await page.getByRole('alert').textContent()) ?? '', /Invalid username or password|invalid/i);
  await shot('login');
  await axe('login page');
});

test('log in as admin, create guestbook from the form, OutOfSync/Missing, sync, Synced/Healthy in the tree', { skip, timeout: 420_000 }, async () => {
  const pw = Buffer.from(await k.k(['get', 'secret', '-n', 'argocd', 'argocd-initial-admin-secret', '-o', 'jsonpath={.data.password}']), 'base64').toString();
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(pw);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Applications' }).waitFor();
  await page.getByText('No applications yet').waitFor();
  await page.getByRole('button', { name: '+ New app' }).click();
  const form = page.getByRole('form', { name: 'New application' });
  await form.getByLabel('Application name').fill('guestbook');
  await form.getByLabel('Repository URL').fill(git.podURL('argocd-example-apps'));
  await form.getByLabel('Path').fill('guestbook');
  await form.getByLabel('Namespace', { exact: true }).fill('guestbook');
  await shot('create-app');
  await form.getByRole('button', { name: 'Create' }).click();
  await page.waitForURL(/\/applications\/argocd\/guestbook$/);
  const sync = page.getByTestId('app-sync');
  const health = page.getByTestId('app-health');
  await sync.getByText('OutOfSync').waitFor({ timeout: 120_000 });
  await health.getByText('Missing').waitFor();
  // the tree shows the managed resources, laid out by elkjs
  await page.locator('.gnode[data-kind="Deployment"]').waitFor();
  await page.locator('.gnode[data-kind="Service"]').waitFor();
  await shot('app-outofsync');
  await page.getByRole('button', { name: 'Sync', exact: true }).click();
  await page.getByRole('dialog', { name: 'Sync guestbook' }).waitFor();
  await page.getByRole('button', { name: 'Synchronize' }).click();
  await sync.getByText('Synced', { exact: true }).waitFor({ timeout: 300_000 });
  await health.getByText('Healthy').waitFor({ timeout: 300_000 });
  await page.getByTestId('app-operation').getByText('Succeeded').waitFor();
  // Deployment → ReplicaSet → Pod in the tree, each with health as icon + text
  const dep = page.locator('.gnode[data-kind="Deployment"]');
  await dep.getByText('Healthy').waitFor();
  await dep.getByText('Synced').waitFor();
  await page.locator('.gnode[data-kind="ReplicaSet"]').waitFor({ timeout: 60_000 });
  await page.locator('.gnode[data-kind="Pod"]').first().waitFor({ timeout: 60_000 });
  const ms = Number(await page.locator('.graph').getAttribute('data-layout-ms'));
  console.log(`# resource tree layout (elkjs, ${await page.locator('.gnode').count()} nodes): ${ms} ms`);
  await shot('app-synced');
  await axe('application page');
});

test('kubectl edits the Deployment: OutOfSync and its diff; sync again; roll back from history', { skip, timeout: 300_000 }, async () => {
  await k.k(['scale', 'deployment', 'guestbook-ui', '-n', 'guestbook', '--replicas=2']);
  await page.getByRole('button', { name: 'Refresh', exact: true }).click();
  const sync = page.getByTestId('app-sync');
  await sync.getByText('OutOfSync').waitFor({ timeout: 120_000 });
  await page.locator('.gnode[data-kind="Deployment"]').getByText('OutOfSync').waitFor();
  await page.locator('.gnode[data-kind="Deployment"]').click();
  const panel = page.getByRole('dialog', { name: 'Deployment guestbook-ui' });
  await panel.getByRole('tab', { name: 'Diff' }).click();
  const diff = panel.getByRole('table', { name: /Diff/ });
  await diff.locator('td.del', { hasText: 'replicas: 2' }).waitFor();
  await diff.locator('td.add', { hasText: 'replicas: 1' }).waitFor();
  await shot('diff');
  await panel.getByRole('button', { name: 'Close' }).click();
  // sync again: a second history entry
  await page.getByRole('button', { name: 'Sync', exact: true }).click();
  await page.getByRole('button', { name: 'Synchronize' }).click();
  await sync.getByText('Synced', { exact: true }).waitFor({ timeout: 180_000 });
  await page.getByRole('button', { name: 'History and rollback' }).click();
  const hist = page.getByRole('table', { name: 'Deployment history' });
  await until('two deployments in the history', async () => (await hist.locator('tbody tr').count()) === 2, 60_000);
  page.once('dialog', (d) => void d.accept());
  await hist.locator('tr[data-history-id="0"]').getByRole('button', { name: 'Rollback' }).click();
  await page.getByText('Rollback to 0 started.').waitFor();
  await until('the rollback recorded as a third deployment', async () => (await hist.locator('tbody tr').count()) === 3, 180_000);
  await shot('history');
  await page.getByRole('dialog', { name: 'History and rollback' }).getByRole('button', { name: 'Close' }).click();
  await page.getByTestId('app-operation').getByText('Succeeded').waitFor({ timeout: 120_000 });
});

test('resource panel: the Deployment live manifest; a pod logs; the network view; the list shows Synced/Healthy', { skip, timeout: 180_000 }, async () => {
  await page.locator('.gnode[data-kind="Deployment"]').click();
  const panel = page.getByRole('dialog', { name: 'Deployment guestbook-ui' });
  await panel.getByRole('tab', { name: 'Live manifest' }).click();
  const manifest = panel.getByLabel('Live manifest');
  await manifest.getByText('kind: Deployment').waitFor();
  assert.match((await manifest.textContent()) ?? '', /name: guestbook-ui/);
  await shot('live-manifest');
  await panel.getByRole('tab', { name: 'Diff' }).click();
  await panel.getByText(/No differences|live ⟶ desired/).first().waitFor();
  await panel.getByRole('button', { name: 'Close' }).click();
  await page.locator('.gnode[data-kind="Pod"]').first().click();
  const pod = page.getByRole('dialog', { name: /^Pod guestbook-ui-/ });
  await pod.getByRole('tab', { name: 'Logs' }).click();
  await pod.getByLabel('Logs').waitFor();
  await pod.getByRole('tab', { name: 'Events' }).click();
  await pod.getByRole('table', { name: 'Events' }).or(pod.getByText('No events.')).waitFor();
  await pod.getByRole('button', { name: 'Close' }).click();
  // the network view: the Service → the pods its selector matches (a pod is drawn only when matched)
  await page.getByRole('button', { name: 'Network' }).click();
  const net = page.getByRole('tree', { name: 'Network' });
  await net.locator('.gnode[data-kind="Service"][data-name="guestbook-ui"]').waitFor();
  await net.locator('.gnode[data-kind="Pod"]').first().waitFor();
  assert.equal(await net.locator('.gnode[data-kind="ReplicaSet"]').count(), 0, 'only networking resources');
  await shot('app-network');
  await axe('the network view');
  await page.getByRole('button', { name: 'Tree' }).click();
  await page.getByRole('link', { name: 'Applications' }).click();
  const tile = page.locator('.tile[data-app="guestbook"]');
  await tile.getByText('Healthy').waitFor();
  await tile.getByText('Synced').waitFor();
  // filters with counts: Synced 1 / OutOfSync hides it
  const filters = page.getByRole('complementary', { name: 'Filters' });
  await filters.getByLabel('Synced').check();
  await tile.waitFor();
  await page.getByRole('status').filter({ hasText: '1 of 1 applications' }).waitFor();
  await shot('applications');
  await axe('applications list');
  await page.getByRole('button', { name: 'List' }).click();
  await page.getByRole('row', { name: /guestbook/ }).waitFor();
});

test('settings: connect the Git repository over HTTPS, projects, accounts; edit the app details (automated sync with self heal)', { skip, timeout: 180_000 }, async () => {
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('button', { name: 'Connect repo using HTTPS' }).click();
  const form = page.getByRole('form', { name: 'Connect repository' });
  await form.getByLabel('Repository URL').fill(git.podURL('argocd-example-apps'));
  await form.getByRole('button', { name: 'Connect' }).click();
  const repos = page.getByRole('table', { name: 'Repositories' });
  await repos.getByText(git.podURL('argocd-example-apps')).waitFor({ timeout: 60_000 });
  await repos.getByText(/Successful/).waitFor({ timeout: 60_000 });
  await shot('settings-repositories');
  await page.getByRole('tab', { name: 'Projects' }).click();
  await page.getByRole('table', { name: 'Projects' }).getByRole('cell', { name: 'default', exact: true }).waitFor();
  await page.getByRole('tab', { name: 'Accounts' }).click();
  await page.getByRole('table', { name: 'Accounts' }).getByRole('cell', { name: 'admin', exact: true }).waitFor();
  await page.getByRole('link', { name: 'Applications' }).click();
  await page.getByRole('link', { name: 'guestbook' }).click();
  await page.getByRole('button', { name: 'Details' }).click();
  const edit = page.getByRole('form', { name: 'Edit application' });
  assert.equal(await edit.getByLabel('Repository URL').inputValue(), git.podURL('argocd-example-apps'));
  await edit.getByLabel('Automated').check();
  await edit.getByLabel('Self heal').check();
  await edit.getByRole('button', { name: 'Save' }).click();
  await edit.waitFor({ state: 'detached' });
  const policy = JSON.parse(await k.k(['get', 'applications.argoproj.io', 'guestbook', '-n', 'argocd', '-o', 'jsonpath={.spec.syncPolicy}']));
  assert.equal(policy.automated?.selfHeal, true, JSON.stringify(policy));
  assert.deepEqual(policy.syncOptions, ['CreateNamespace=true']);
});

/** page.goto, forwarding again when the port-forward went away meanwhile (the cookie holds for any port of 127.0.0.1). */
async function gotoAgain(path: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await page.goto(base + path);
      return;
    } catch (e) {
      if (i >= 2 || !/ERR_CONNECTION_REFUSED|ERR_CONNECTION_RESET|ERR_EMPTY_RESPONSE/.test(String(e))) throw e;
      console.log(`# the port-forward is gone (exit code ${pf?.exitCode}): forwarding again`);
      pf?.kill('SIGTERM');
      base = `https://127.0.0.1:${await portForward()}`;
    }
  }
}

/** The `ops` repository: two ConfigMaps (cms), and PreSync hooks — a ConfigMap, then a Job that waits — before a ConfigMap (hook). */
const OPS = {
  'cms/cms.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\ndata:\n  a: "1"\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: two\ndata:\n  b: "2"\n',
  // a PreSync hook of an earlier wave that completes at once (a ConfigMap): it stays after the terminate, as Succeeded hooks do
  'hook/first.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: before-wait\n  annotations:\n    argocd.argoproj.io/hook: PreSync\n    argocd.argoproj.io/sync-wave: "-1"\ndata:\n  b: "0"\n',
  'hook/hook.yaml': 'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: wait\n  annotations:\n    argocd.argoproj.io/hook: PreSync\nspec:\n  backoffLimit: 0\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        - name: wait\n          image: busybox\n          command: [sleep, "600"]\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: after-hook\ndata:\n  c: "3"\n',
};

test('selective sync, the app diff of a drifted resource, deleting foreground / background, terminating a running sync, deleting non-cascading', { skip, timeout: 300_000 }, async () => {
  git.commit('ops', OPS, 'two config maps and a hook');
  // logged in already when the tests before ran; alone (--test-name-pattern), log in here
  await gotoAgain('/applications');
  await page.getByRole('heading', { name: 'Applications' }).or(page.getByLabel('Username')).first().waitFor();
  if (await page.getByLabel('Username').isVisible()) {
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(Buffer.from(await k.k(['get', 'secret', '-n', 'argocd', 'argocd-initial-admin-secret', '-o', 'jsonpath={.data.password}']), 'base64').toString());
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Applications' }).waitFor();
  }
  const app = (name: string, path: string) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name, namespace: 'argocd' }, spec: { project: 'default', source: { repoURL: git.podURL('ops'), path, targetRevision: 'HEAD' }, destination: { server: 'https://kubernetes.default.svc', namespace: name }, syncPolicy: { syncOptions: ['CreateNamespace=true'] } } });
  const file = join(dir, 'ops-apps.json');
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [app('pick', 'cms'), app('keep', 'cms'), app('hooked', 'hook')] }));
  await k.k(['create', 'namespace', 'pick']); // a selective sync creates no namespace
  await k.k(['apply', '-f', file]);
  const exists = async (ns: string, what: string) => (await k.k(['get', what, '-n', ns, '--ignore-not-found', '-o', 'name'])).trim() !== '';
  const sync = page.getByTestId('app-sync');
  const op = page.getByTestId('app-operation');
  const open = async (name: string) => {
    await gotoAgain(`/applications/argocd/${name}`);
    await sync.getByText('OutOfSync').waitFor({ timeout: 120_000 });
  };
  const del = async (name: string, policy: string) => {
    await page.getByRole('button', { name: 'Delete' }).click();
    const d = page.getByRole('dialog', { name: `Delete ${name}` });
    await d.getByLabel(policy).check();
    await d.getByLabel("Type the application's name to confirm").fill(name);
    await d.getByRole('button', { name: 'Delete' }).click();
    await page.waitForURL(/\/applications$/);
    await until(`${name} deleted`, async () => (await k.k(['get', 'applications.argoproj.io', name, '-n', 'argocd', '--ignore-not-found', '-o', 'name'])).trim() === '');
  };

  // selective sync: only ConfigMap one is applied
  await open('pick');
  await page.getByRole('button', { name: 'Sync', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Sync pick' });
  await dialog.getByRole('button', { name: 'None' }).click();
  await dialog.getByLabel(/ConfigMap\/pick\/one/).check();
  await dialog.getByText('Synchronize resources (1 of 2)').waitFor();
  await dialog.getByRole('button', { name: 'Synchronize' }).click();
  await op.getByText('Succeeded').waitFor({ timeout: 120_000 });
  assert.equal(await exists('pick', 'configmap/one'), true, 'the chosen resource applied');
  assert.equal(await exists('pick', 'configmap/two'), false, 'the other one not');
  await page.locator('.gnode[data-kind="ConfigMap"][data-name="one"]').getByText('Synced').waitFor({ timeout: 60_000 });
  await page.locator('.gnode[data-kind="ConfigMap"][data-name="two"]').getByText('OutOfSync').waitFor();
  // the app diff drawer: ConfigMap one drifted with kubectl
  await k.k(['patch', 'configmap', 'one', '-n', 'pick', '--type', 'merge', '-p', '{"data":{"a":"drifted"}}']);
  await page.getByRole('button', { name: 'Refresh', exact: true }).click();
  await until('ConfigMap one OutOfSync', async () => (await page.locator('.gnode[data-kind="ConfigMap"][data-name="one"]').getByText('OutOfSync').count()) > 0, 60_000);
  await page.getByRole('button', { name: 'App diff' }).click();
  const drawer = page.getByRole('dialog', { name: 'Differences (live ⟶ desired)' });
  const one = drawer.locator('section', { has: page.getByRole('heading', { name: 'ConfigMap/one' }) });
  await one.locator('td.del', { hasText: 'a: drifted' }).waitFor();
  await one.locator('td.add', { hasText: 'a: "1"' }).waitFor();
  await drawer.getByRole('heading', { name: 'ConfigMap/two' }).waitFor(); // missing: all added
  await shot('app-diff');
  await axe('the app diff');
  await drawer.getByRole('button', { name: 'Close' }).click();
  // foreground: the app's resources go with it
  await del('pick', 'foreground');
  assert.equal(await exists('pick', 'configmap/one'), false, 'foreground deletion deleted the resources');

  // background: the app goes, its resources after it
  await open('keep');
  await page.getByRole('button', { name: 'Sync', exact: true }).click();
  await page.getByRole('dialog', { name: 'Sync keep' }).getByRole('button', { name: 'Synchronize' }).click();
  await sync.getByText('Synced', { exact: true }).waitFor({ timeout: 120_000 });
  assert.deepEqual([await exists('keep', 'configmap/one'), await exists('keep', 'configmap/two')], [true, true]);
  await del('keep', 'background');
  await until('background deletion removes the resources', async () => !(await exists('keep', 'configmap/one')) && !(await exists('keep', 'configmap/two')), 60_000);

  // terminate: the PreSync hook keeps the sync running; TERMINATE ends it before the ConfigMap
  await open('hooked');
  await page.getByRole('button', { name: 'Sync', exact: true }).click();
  await page.getByRole('dialog', { name: 'Sync hooked' }).getByRole('button', { name: 'Synchronize' }).click();
  await op.getByText('Running').waitFor({ timeout: 60_000 });
  await until('the hook Job created', () => exists('hooked', 'job/wait'), 60_000);
  await page.getByRole('button', { name: 'Terminate' }).click();
  await op.getByText('Failed').waitFor({ timeout: 60_000 });
  await op.getByText('Operation terminated').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Terminate' }).count(), 0, 'nothing left to terminate');
  assert.equal(await exists('hooked', 'configmap/after-hook'), false, 'the sync stopped before the ConfigMap');
  // the in-flight hook is deleted by the termination (Argo CD since 1.4); the completed one stays
  await until('the running hook Job deleted', async () => !(await exists('hooked', 'job/wait')), 60_000);
  assert.equal(await exists('hooked', 'configmap/before-wait'), true, 'the completed hook stays');
  // non-cascading: the app goes, what its sync created (the completed hook) stays
  await del('hooked', 'non-cascading');
  assert.equal(await exists('hooked', 'configmap/before-wait'), true, 'non-cascading deletion kept what the sync created');
});
