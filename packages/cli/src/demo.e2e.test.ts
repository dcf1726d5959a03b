/**
 * `flotilla demo pipeline` end to end on one `flotilla up` (Argo CD, Workflows, Rollouts, Events):
 * the demo is created (twice: the second run changes nothing), a good color pushed to the `app`
 * repository goes through event → workflow → commit to deploy → Argo CD sync → canary and is then
 * served by every replica; a bad- color is aborted by the canary's analysis against Prometheus and
 * the good color keeps being served; --delete removes everything. Traffic goes through the
 * Service's cluster address from inside the cluster (kubectl exec in the demo's load generator).
 * The Pipeline page served by argocd-server (kubectl port-forward, Debian's chromium) shows the run's
 * Workflow from argo-server through Argo CD's proxy extension argo-workflows the demo configured.
 * About 3.5 minutes on a quiet machine (the canary's two 15 s pauses included); the timeout leaves
 * room for a loaded one.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FLOTILLA_MAIN, kubectlFor, startUp, stopUp, waitFor, type Up } from '@flotilla/kube-runtime/testkit';

const skip = ['/usr/bin/kubectl', '/usr/bin/git', '/usr/bin/prometheus'].find((p) => !existsSync(p));
const CHROMIUM = '/usr/bin/chromium';

/** `kubectl port-forward` to a free local port; resolves with the port once kubectl says it forwards. */
function portForward(home: string, kubeconfig: string, args: string[]): Promise<{ port: number; proc: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const proc = spawn('/usr/bin/kubectl', ['--kubeconfig', kubeconfig, 'port-forward', '--address', '127.0.0.1', ...args], { env: { ...process.env, HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const t = setTimeout(() => (proc.kill('SIGKILL'), reject(new Error(`port-forward did not start: ${out}`))), 30_000);
    const see = (d: Buffer) => {
      out += d;
      const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve({ port: Number(m[1]), proc });
      }
    };
    proc.stdout!.on('data', see);
    proc.stderr!.on('data', see);
    proc.on('exit', (c) => (clearTimeout(t), reject(new Error(`port-forward exited (${c}): ${out}`))));
  });
}

/** One HTTPS request to argocd-server (self-signed certificate). */
function call(base: string, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; body: any; text: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const r = httpsRequest(new URL(path, base), { method, rejectUnauthorized: false, headers: { ...headers, ...(data ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        let b: any;
        try {
          b = JSON.parse(text);
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? 0, body: b, text });
      });
    });
    r.on('error', reject);
    r.end(data);
  });
}
if (skip) console.log(`# skipping the pipeline demo: ${skip} is not installed`);

function flotilla(args: string[], timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [FLOTILLA_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, out });
    });
  });
}

describe('flotilla demo pipeline: push to production through Events, Workflows, Argo CD and Rollouts', { skip, timeout: 420_000 }, () => {
  let dir = '';
  let up: Up | undefined;
  let k: ReturnType<typeof kubectlFor>['k'];
  const timings: Record<string, number> = {};
  const started = Date.now();
  const demo = (args: string[], timeoutMs = 200_000) => flotilla(['demo', 'pipeline', '--data-dir', join(dir, 'data'), ...args], timeoutMs);
  /** the colors answered by n requests to the rollouts-demo Service, each on a connection of its own */
  const served = async (n: number, url = 'http://rollouts-demo.flotilla-demo.svc.cluster.local/color', host?: string) => {
    const out = await k(['exec', '-n', 'flotilla-demo', 'deploy/loadgen', '--', 'sh', '-c', `for i in $(seq 1 ${n}); do curl -s --max-time 3 -H 'Connection: close' ${host ? `-H 'Host: ${host}' ` : ''}${url}; echo; done`]);
    const counts: Record<string, number> = {};
    for (const l of out.split('\n').filter(Boolean)) counts[l] = (counts[l] ?? 0) + 1;
    return counts;
  };
  const podColors = async () => {
    const pods = JSON.parse(await k(['get', 'pods', '-n', 'flotilla-demo', '-l', 'app=rollouts-demo', '-o', 'json'])).items.filter((p: any) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'));
    return pods.map((p: any) => String(p.spec.containers[0].image).split(':')[1]).sort();
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-demo-'));
    mkdirSync(join(dir, 'home'));
    up = await startUp(join(dir, 'data'), 240_000, { components: ['argo-cd', 'argo-workflows', 'argo-rollouts', 'argo-events', 'ingress-nginx'] });
    ({ k } = kubectlFor(join(dir, 'home'), up.kubeconfig));
    timings['flotilla up'] = Date.now() - started;
  });
  after(async () => {
    console.log(`# timings (ms): ${JSON.stringify(timings)}`);
    if (up) await stopUp(up, 'SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('creates the Git server, EventSource, Sensor, WorkflowTemplate, Application and Rollout; a second run changes nothing', async () => {
    let t = Date.now();
    const r = await demo([]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /argocd-cmd-params-cm server\.enable\.proxy\.extension: "true"; restarting argocd-server/, r.out);
    for (const l of ['argocd-server restarted with proxy extensions', 'git server ready', 'Prometheus ready', 'EventSource git-push ready', 'Sensor ci ready', 'Application pipeline-demo synced and healthy', 'Rollout rollouts-demo healthy']) assert.match(r.out, new RegExp(`✔ ${l}`), r.out);
    assert.match(r.out, /serving argoproj\/rollouts-demo:blue/);
    // the deploy repository's Ingress, served by the nginx controller, and its address printed
    assert.match(r.out, /the app: +curl -H 'Host: rollouts-demo\.localhost' http:\/\/[\d.]+\/color/, r.out);
    timings['demo created'] = Date.now() - t;
    assert.deepEqual(await podColors(), ['blue', 'blue', 'blue', 'blue', 'blue']);
    // through the Kubernetes API as on any cluster: the objects are there for kubectl
    assert.match(await k(['get', 'workflowtemplate,eventsource,sensor', '-n', 'flotilla-demo', '-o', 'name']), /workflowtemplate.argoproj.io\/ci\neventsource.argoproj.io\/git-push\nsensor.argoproj.io\/ci/);
    // server-side applied under the demo's own field manager
    assert.match(await k(['get', 'deploy', 'git-server', '-n', 'flotilla-demo', '--show-managed-fields', '-o', 'jsonpath={.metadata.managedFields[*].manager}']), /\bflotilla-demo\b/);
    const before = await k(['get', 'deploy', 'git-server', '-n', 'flotilla-demo', '-o', 'jsonpath={.metadata.generation} {.metadata.resourceVersion}']);
    t = Date.now();
    const again = await demo([]);
    assert.equal(again.code, 0, again.out);
    // the extension's token still works and the parameter is set: nothing issued again, no restart
    assert.doesNotMatch(again.out, /argocd-secret extension|restarting argocd-server|argocd-cm extension/, again.out);
    assert.equal(await k(['get', 'deploy', 'git-server', '-n', 'flotilla-demo', '-o', 'jsonpath={.metadata.generation} {.metadata.resourceVersion}']), before);
    timings['demo again'] = Date.now() - t;
  });

  it('--push yellow: event → workflow → commit to deploy → sync → canary 20/50/100; every replica then serves yellow', async () => {
    const t = Date.now();
    const r = await demo(['--push', 'yellow']);
    assert.equal(r.code, 0, r.out);
    for (const re of [/push of [0-9a-f]{40} announced/, /event received → Workflow flotilla-demo\/ci-\w+ submitted by Sensor ci/, /Succeeded \(test Succeeded, build Succeeded, deploy Succeeded\)/, /commit to deploy: [0-9a-f]{8} \(image argoproj\/rollouts-demo:yellow\)/, /Argo CD synced Application argocd\/pipeline-demo/, /Paused, step 1\/5/, /Paused, step 3\/5/, /Healthy, all replicas run argoproj\/rollouts-demo:yellow/, /total [\d.]+ s — yellow fully rolled out/])
      assert.match(r.out, re, r.out);
    timings['push yellow → rolled out'] = Date.now() - t;
    console.log(r.out.split('Time per stage:')[1]?.replace(/^/gm, '# '));
    await waitFor('5 ready yellow pods', async () => JSON.stringify(await podColors()) === JSON.stringify(Array(5).fill('yellow')), 30_000, 500);
    assert.deepEqual(await served(20), { '"yellow"': 20 });
    // and through the deploy repository's Ingress, as a person reaches it (the nginx controller's Service)
    assert.deepEqual(await served(5, 'http://ingress-nginx-controller.ingress-nginx.svc.cluster.local/color', 'rollouts-demo.localhost'), { '"yellow"': 5 });
  });

  it("the Pipeline page on argocd-server shows the run's Workflow from argo-server through the proxy extension argo-workflows (no address typed)", { skip: existsSync(CHROMIUM) ? undefined : `${CHROMIUM} not installed` }, async () => {
    const t = Date.now();
    const wfs = JSON.parse(await k(['get', 'workflows', '-n', 'flotilla-demo', '-l', 'events.argoproj.io/sensor=ci', '-o', 'json'])).items.sort((a: any, b: any) => String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)));
    const wf = wfs[0];
    assert.equal(wf?.status?.phase, 'Succeeded');
    const pf = await portForward(join(dir, 'home'), up!.kubeconfig, ['-n', 'argocd', 'svc/argocd-server', ':443']);
    let browser: import('playwright-core').Browser | undefined;
    try {
      const base = `https://127.0.0.1:${pf.port}`;
      const password = Buffer.from(await k(['get', 'secret', '-n', 'argocd', 'argocd-initial-admin-secret', '-o', 'jsonpath={.data.password}']), 'base64').toString('utf8');
      const login = await call(base, 'POST', '/api/v1/session', {}, { username: 'admin', password });
      assert.equal(login.status, 200, login.text);
      const auth = { authorization: `Bearer ${login.body.token}` };
      const hdr = { 'Argocd-Application-Name': 'argocd:pipeline-demo', 'Argocd-Project-Name': 'default' };
      // the API the page uses: argo-server's answer through argocd-server
      const l = await call(base, 'GET', '/extensions/argo-workflows/api/v1/workflows/flotilla-demo?listOptions.labelSelector=events.argoproj.io/sensor', { ...auth, ...hdr });
      assert.equal(l.status, 200, l.text);
      assert.ok(l.body.items.some((w: any) => w.metadata.name === wf.metadata.name), l.text.slice(0, 300));
      assert.equal((await call(base, 'GET', '/extensions/argo-workflows/api/v1/workflows/flotilla-demo', auth)).status, 400, 'the two headers are required');
      // the viewer's token reads only the demo namespace: argo-server refuses another one
      const other = await call(base, 'GET', '/extensions/argo-workflows/api/v1/workflows/argo', { ...auth, ...hdr });
      assert.equal(other.status, 403, other.text);
      const { chromium } = await import('playwright-core');
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
      const ctx = await browser.newContext({ ignoreHTTPSErrors: true });
      await ctx.addCookies([{ name: 'argocd.token', value: login.body.token, url: base }]);
      const page = await ctx.newPage();
      await page.goto(`${base}/pipeline?ns=flotilla-demo&run=${wf.metadata.name}`);
      const box = page.locator('[data-stage="workflow"]');
      await box.locator('.stage-name', { hasText: wf.metadata.name }).waitFor({ timeout: 30_000 });
      assert.equal(await box.getAttribute('data-state'), 'ok');
      assert.match(await box.innerText(), /Succeeded/);
      assert.match(await page.locator('[data-stage="sensor"]').innerText(), /\bci\b/);
      assert.match(await page.locator('[data-stage="eventsource"]').innerText(), /git-push/);
      assert.equal(await page.locator('[data-stage="application"]').getAttribute('data-state'), 'ok');
      timings['pipeline page through the extension'] = Date.now() - t;
    } finally {
      await browser?.close();
      pf.proc.kill('SIGTERM');
    }
  });

  it('--push bad-red: the analysis against Prometheus aborts the canary; yellow keeps being served', async () => {
    const t = Date.now();
    const r = await demo(['--push', 'bad-red']);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /aborted \(RolloutAborted: .*Metric "error-rate" assessed Failed/, r.out);
    assert.match(r.out, /rollout aborted: the stable version keeps serving/);
    assert.match(r.out, /https:\/\/localhost:8080\/applications\/argocd\/pipeline-demo/);
    assert.match(r.out, /https:\/\/localhost:8080\/pipeline\?ns=flotilla-demo /);
    timings['push bad-red → aborted'] = Date.now() - t;
    const ro = JSON.parse(await k(['get', 'rollout', 'rollouts-demo', '-n', 'flotilla-demo', '-o', 'json']));
    assert.equal(ro.status.abort, true);
    assert.equal(ro.spec.template.spec.containers[0].image, 'argoproj/rollouts-demo:bad-red');
    await waitFor('5 ready yellow pods again', async () => JSON.stringify(await podColors()) === JSON.stringify(Array(5).fill('yellow')), 60_000, 500);
    assert.deepEqual(await served(20), { '"yellow"': 20 });
  });

  it('--delete removes the Application and the namespace', async () => {
    const r = await demo(['--delete']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /The pipeline demo is removed/);
    assert.equal((await k(['get', 'ns', '-o', 'name'])).includes('namespace/flotilla-demo'), false);
    assert.equal((await k(['get', 'applications', '-n', 'argocd', '-o', 'name'])).trim(), '');
    // and what it added to Argo CD's configuration for the proxy extension
    assert.doesNotMatch(await k(['get', 'cm', 'argocd-cm', '-n', 'argocd', '-o', 'json']), /extension\.config\.argo-workflows/);
    assert.doesNotMatch(await k(['get', 'secret', 'argocd-secret', '-n', 'argocd', '-o', 'json']), /extension\.argo-workflows\.authorization/);
    assert.doesNotMatch(await k(['get', 'cm', 'argocd-cmd-params-cm', '-n', 'argocd', '-o', 'json']), /server\.enable\.proxy\.extension|proxy-extension-enabled-by-demo/);
  });
});
