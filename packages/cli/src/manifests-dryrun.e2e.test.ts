/**
 * `kubectl apply --server-side --dry-run=server` (as docs/install.md applies them) of every
 * manifests/<component>/install.yaml and of the chart rendered with values-ha.yaml (by
 * @flotilla/helm) on one `flotilla up --no-components` (about 70 s): the API server validates every
 * object (schemas, RBAC escalation checks, admission) and stores nothing — what a user sees before
 * installing on a real cluster.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderChart } from '@flotilla/helm';
import { kubectlFor, startUp, stopUp, type Up } from '@flotilla/kube-runtime/testkit';
import { listComponents } from './components.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MANIFESTS = join(ROOT, 'manifests');

describe('kubectl apply --dry-run=server of the install manifests and the chart', { timeout: 240_000 }, () => {
  let dir: string;
  let up: Up;
  let k: ReturnType<typeof kubectlFor>;
  const components = listComponents(MANIFESTS).filter((c) => c.manifest);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-dryrun-'));
    up = await startUp(join(dir, 'data'), 120_000, { components: [] });
    k = kubectlFor(dir, up.kubeconfig);
    for (const c of components) await k.k(['create', 'namespace', c.namespace]);
  });
  after(async () => {
    if (up) await stopUp(up, 'SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('finds every manifests/*/install.yaml', () => {
    const dirs = readdirSync(MANIFESTS).filter((d) => existsSync(join(MANIFESTS, d, 'install.yaml')));
    assert.deepEqual(components.map((c) => c.name).sort(), dirs.sort());
  });

  it('every install manifest passes, to its namespace, and nothing is stored', async () => {
    for (const c of components) {
      const r = await k.kubectl(['apply', '--server-side', '--dry-run=server', '-n', c.namespace, '-f', c.manifest!], { timeoutMs: 120_000 });
      assert.equal(r.code, 0, `${c.name}: ${r.stderr}`);
      assert.match(r.stdout, /\(server dry run\)/);
      assert.doesNotMatch(r.stderr, /error|invalid/i, `${c.name}: ${r.stderr}`);
    }
    const crds = await k.kubectl(['get', 'crd', 'applications.argoproj.io']);
    assert.notEqual(crds.code, 0, 'the dry run created no CRD');
    assert.equal((await k.k(['get', 'deployments', '-A', '-o', 'name'])).trim().split('\n').filter((l) => /argocd|argo-|workflow/.test(l)).length, 0);
  });

  // (the default render is the manifests above, each in its namespace: chart.test.ts)
  it('the chart rendered with values-ha.yaml passes', async () => {
    const r = await renderChart({ chartDir: join(ROOT, 'charts', 'flotilla'), releaseName: 'flotilla', namespace: 'flotilla', valueFiles: ['values-ha.yaml'] });
    const yaml = r.manifests.map((m) => `---\n${m.content}\n`).join('');
    const out = await k.kubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], { input: yaml, timeoutMs: 120_000 });
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout.split('\n').filter((l) => l.endsWith('(server dry run)')).length, r.manifests.length, out.stdout);
  });

  it("the chart's Rollouts dashboard (not in manifests/) really runs: its Deployment becomes available", async () => {
    const r = await renderChart({ chartDir: join(ROOT, 'charts', 'flotilla'), releaseName: 'flotilla', namespace: 'flotilla', values: { rollouts: { dashboard: { enabled: true } } } });
    const yaml = r.manifests
      .filter((m) => m.source.endsWith('rollouts-dashboard.yaml'))
      .map((m) => `---\n${m.content}\n`)
      .join('');
    assert.match(yaml, /kind: Deployment/);
    await k.k(['apply', '-f', '-'], { input: yaml });
    const st = await k.kubectl(['rollout', 'status', '-n', 'argo-rollouts', 'deployment/argo-rollouts-dashboard', '--timeout=90s'], { timeoutMs: 100_000 });
    if (st.code !== 0) {
      const pods = await k.kubectl(['describe', 'pods', '-n', 'argo-rollouts']);
      const logs = await k.kubectl(['logs', '-n', 'argo-rollouts', 'deployment/argo-rollouts-dashboard']);
      assert.fail(`the dashboard did not become available:\n${st.stderr}\n${pods.stdout}\n${logs.stdout}${logs.stderr}`);
    }
  });

  it('a broken object fails the same dry run (the check can fail)', async () => {
    const bad = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: bad, namespace: argocd}\nspec:\n  template:\n    metadata: {labels: {a: b}}\n    spec: {containers: [{name: c, image: x}]}\n';
    const r = await k.kubectl(['apply', '--dry-run=server', '-f', '-'], { input: bad });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /selector/i);
  });
});
