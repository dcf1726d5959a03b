#!/usr/bin/env node
// Web UI benchmark (issue 15 targets) in Debian's chromium (playwright-core) against argocd-server as a
// process on a real API server holding BENCH_APPS (default 1,000) Applications:
//   first contentful paint of /applications, logged in                          (target < 1 s)
//   the list loaded: the live stream's 1,000 ADDED events in, the first page of tiles rendered (reported)
//   typing a search that leaves one app: keystroke → list updated                  (target < 100 ms)
//   the initial JavaScript (login page), gzipped                                   (target < 500 KB)
//   layout of a 501-node resource tree (src/lib/layout.ts: elkjs up to 150 nodes, the layered layout above, in Node)          (target < 500 ms)
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { KubeClient } from '../packages/kube-runtime/dist/index.js';
import { startEnv, freePort, call } from '../packages/argocd-server/dist/testenv.js';
import { buildGraph } from '../packages/ui/dist/lib/tree.js';
import { layoutGraph } from '../packages/ui/dist/lib/layout.js';

const CHROMIUM = '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  console.log(`skipped: chromium not installed at ${CHROMIUM}`);
  process.exit(0);
}
const N = Number(process.env.BENCH_APPS ?? 1000);
const APPS = { group: 'argoproj.io', version: 'v1alpha1', plural: 'applications', kind: 'Application', namespaced: true };
const pad = (i) => String(i).padStart(4, '0');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// tree layout first (no browser, no cluster)
const tree = [];
for (let d = 0; d < 100; d++) {
  tree.push({ kind: 'Deployment', group: 'apps', namespace: 'n', name: `d${d}`, uid: `d${d}` });
  tree.push({ kind: 'ReplicaSet', group: 'apps', namespace: 'n', name: `d${d}-rs`, uid: `r${d}`, parentRefs: [{ kind: 'Deployment', group: 'apps', namespace: 'n', name: `d${d}`, uid: `d${d}` }] });
  for (let p = 0; p < 3; p++) tree.push({ kind: 'Pod', namespace: 'n', name: `d${d}-rs-${p}`, uid: `p${d}-${p}`, parentRefs: [{ kind: 'ReplicaSet', group: 'apps', namespace: 'n', name: `d${d}-rs`, uid: `r${d}` }] });
}
const graph = buildGraph({ name: 'big' }, tree, []);
const layouts = [];
for (let i = 0; i < 5; i++) layouts.push((await layoutGraph(graph)).ms);

const assets = new URL('../packages/ui/static/assets/', import.meta.url).pathname;
const html = readFileSync(new URL('../packages/ui/static/index.html', import.meta.url), 'utf8');
const initial = [...html.matchAll(/(?:src|href)="\.\/assets\/([^"]+\.(?:js|css))"/g)].map((m) => m[1]);
const initialGz = initial.reduce((n, f) => n + gzipSync(readFileSync(assets + f), { level: 9 }).length, 0);
const allJs = readdirSync(assets).filter((f) => f.endsWith('.js'));

const env = await startEnv({});
let proc;
let browser;
try {
  const client = new KubeClient(env.cluster.kubeconfig, { qps: 2000, burst: 4000 });
  const mk = (i) => ({
    apiVersion: 'argoproj.io/v1alpha1', kind: 'Application',
    metadata: { name: `app-${pad(i)}`, namespace: 'argocd', labels: { team: `t${i % 10}` } },
    spec: { project: 'default', source: { repoURL: 'https://git.example.test/apps.git', targetRevision: 'HEAD', path: `apps/app-${pad(i)}` }, destination: { server: 'https://kubernetes.default.svc', namespace: `ns-${i % 7}` } },
    status: { sync: { status: i % 3 ? 'Synced' : 'OutOfSync' }, health: { status: i % 5 ? 'Healthy' : 'Progressing' } },
  });
  for (let i = 0; i < N; i += 50) await Promise.all(Array.from({ length: Math.min(50, N - i) }, (_, k) => client.create(APPS, 'argocd', mk(i + k))));
  const password = await env.adminPassword();
  await env.server.close();
  const port = await freePort();
  const mport = await freePort();
  const script = `import('@flotilla/argocd-server/main').then((m) => m.main(process.argv.slice(1))).then((c) => process.exit(c ?? 0));`;
  proc = spawn(process.execPath, ['--input-type=module', '-e', script, '--', '--insecure', '--port', String(port), '--address', '127.0.0.1', '--metrics-port', String(mport), '--metrics-address', '127.0.0.1', '--kubeconfig', env.cluster.kubeconfig, '-n', 'argocd', '--loglevel', 'warn'], { cwd: new URL('../packages/argocd-server/', import.meta.url).pathname, stdio: ['ignore', 'inherit', 'inherit'] });
  const base = `http://127.0.0.1:${port}`;
  for (let t = 0; ; t++) {
    const r = await call(base, 'GET', '/api/version').catch(() => undefined);
    if (r?.status === 200) break;
    if (t > 600) throw new Error('argocd-server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const token = (await call(base, 'POST', '/api/v1/session', { body: { username: 'admin', password } })).body.token;
  for (let t = 0; ; t++) {
    const l = await call(base, 'GET', '/api/v1/applications', { token });
    if (l.body?.items?.length === N) break;
    if (t > 600) throw new Error(`server lists ${l.body?.items?.length} of ${N} apps`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  const fcps = [];
  const shown = [];
  const filters = [];
  for (let run = 0; run < 3; run++) {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    await context.addCookies([{ name: 'argocd.token', value: token, url: base }]);
    const page = await context.newPage();
    await page.goto(`${base}/applications`);
    await page.getByText(`${N} of ${N} applications`).waitFor({ timeout: 60_000 });
    const t = await page.evaluate(() => ({ fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN, now: performance.now() }));
    fcps.push(t.fcp);
    shown.push(t.now);
    // keystroke → filtered list, timed in the page (input event → the status text changes)
    const ms = await page.evaluate(async () => {
      const input = document.getElementById('app-search');
      const status = [...document.querySelectorAll('[role="status"]')].find((e) => /applications$/.test(e.textContent ?? ''));
      const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
      const t0 = performance.now();
      const done = new Promise((resolve) => new MutationObserver((_m, o) => { if (/^1 of /.test(status.textContent)) { o.disconnect(); resolve(performance.now() - t0); } }).observe(status, { childList: true, subtree: true, characterData: true }));
      setter.call(input, 'app-0999');
      input.dispatchEvent(new Event('input', { bubbles: true }));
      return done;
    });
    filters.push(ms);
    await context.close();
  }
  console.log(`applications: ${N}; 3 page loads in chromium`);
  console.log(`first contentful paint (median): ${median(fcps).toFixed(0)} ms  (target < 1000 ms; runs: ${fcps.map((x) => x.toFixed(0)).join(', ')})`);
  console.log(`the list loaded (${N} apps from the stream, the first page of 100 tiles rendered; median): ${median(shown).toFixed(0)} ms after navigation start (runs: ${shown.map((x) => x.toFixed(0)).join(', ')})`);
  console.log(`search keystroke → list of ${N} filtered (median): ${median(filters).toFixed(0)} ms  (target < 100 ms; runs: ${filters.map((x) => x.toFixed(0)).join(', ')})`);
  console.log(`initial JS+CSS (${initial.join(', ')}): ${(initialGz / 1024).toFixed(0)} KB gzipped  (target < 500 KB); ${allJs.length} JS chunks in all`);
  console.log(`layout, 501-node tree: first ${layouts[0].toFixed(0)} ms, then median ${median(layouts.slice(1)).toFixed(0)} ms  (target < 500 ms)`);
} finally {
  await browser?.close().catch(() => {});
  if (proc && proc.exitCode === null) {
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  }
  await env.close();
}
