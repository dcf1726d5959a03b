/**
 * The Workflows section in a real browser (Debian's chromium, playwright-core) against the real
 * argo-server as a process (`argo server --auth-mode client`) on a real API server (in-process test
 * cluster) with the Workflow CRD: / opens the Workflows section, the token login (a Kubernetes bearer
 * token kept in the `authorization` cookie argo-server reads), a workflow created with kubectl shows
 * up, its phase changes live (watch stream), a bad token is refused in place.
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

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const skip = !existsSync(CHROMIUM) ? `chromium not installed at ${CHROMIUM} (scripts/test.sh installs Debian's chromium)` : !existsSync(join(UI_ASSETS, 'index.html')) ? `the UI is not built (${UI_ASSETS}/index.html missing): run npm run build` : undefined;
if (skip) console.log(`# skipped: ${skip}`);

const MAIN = `import('@flotilla/argo-server/main').then((m) => m.main(process.argv.slice(1))).then((c) => process.exit(c ?? 0), (e) => { console.error(e); process.exit(1); });`;
const WF_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'workflows.argoproj.io' },
  spec: {
    group: 'argoproj.io',
    names: { kind: 'Workflow', listKind: 'WorkflowList', plural: 'workflows', singular: 'workflow', shortNames: ['wf'] },
    scope: 'Namespaced',
    versions: [{ name: 'v1alpha1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } } }],
  },
};

let cluster: TestCluster;
let proc: ChildProcess | undefined;
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
  writeFileSync(join(cluster.dir, 'crd.json'), JSON.stringify(WF_CRD));
  await cluster.k(['apply', '-f', join(cluster.dir, 'crd.json')]);
  await cluster.k(['create', 'namespace', 'argo']);
  await cluster.k(['wait', '--for=condition=Established', 'crd/workflows.argoproj.io', '--timeout=60s']);
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
  await cluster?.close();
});

test('argo-server: / opens the Workflows section behind the token login; a workflow appears and its phase changes live', { skip, timeout: 120_000 }, async () => {
  assert.equal(await page.title(), 'Argo Workflows');
  await page.waitForURL(/\/login\?return_url=workflows/);
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
  await cluster.k(['patch', 'workflow', 'hello', '-n', 'argo', '--type', 'merge', '-p', JSON.stringify({ status: { phase: 'Succeeded', progress: '1/1', startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:05Z' } })]);
  await row.getByText('Succeeded').waitFor();
  await row.getByText('1/1').waitFor();
  mkdirSync(join(ROOT, 'docs/images'), { recursive: true });
  await page.screenshot({ path: join(ROOT, 'docs/images/ui-workflows.png') });
  // the other sections are one click away
  await page.getByRole('link', { name: 'Rollouts' }).click();
  await page.getByRole('heading', { name: 'Rollouts' }).waitFor();
});
