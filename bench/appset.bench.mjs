#!/usr/bin/env node
// ApplicationSet controller benchmark (issue 16 target: an ApplicationSet generating 1,000
// Applications reconciles, all created, in < 20 s):
//   list generator, 1,000 elements: kubectl-equivalent create of the set → 1,000 Applications exist
//     and ResourcesUpToDate=True
//   the same set with a changed template: 1,000 updates written
//   git directories generator over a repository with 1,000 directories (real git server): all created
//   controller RSS after
// The API server runs as its own process; the controller in this process (as in the e2e tests).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '../packages/kube-runtime/dist/index.js';
import { kubectlFor, startApiServerProcess, waitFor } from '../packages/kube-runtime/dist/testkit.js';
import { startGitServer } from '../packages/repo-server/dist/testkit.js';
import { parseAppSetArgs } from '../packages/applicationset/dist/flags.js';
import { startAppSetController } from '../packages/applicationset/dist/main.js';
import { APPLICATIONS, APPLICATIONSETS } from '../packages/applicationset/dist/controller.js';
import { argoCrds, crdSkipReason } from '../packages/applicationset/dist/testenv.js';

const N = Number(process.env.BENCH_APPS ?? 1000);
const skip = crdSkipReason();
if (skip) {
  console.log(`appset: skipped: ${skip}`);
  process.exit(0);
}
const dir = mkdtempSync(join(tmpdir(), 'appset-bench-'));
const api = await startApiServerProcess(join(dir, 'api'));
const kc = kubectlFor(join(dir, 'home'), api.kubeconfig);
writeFileSync(join(dir, 'crds.json'), argoCrds());
await kc.k(['apply', '--server-side', '-f', join(dir, 'crds.json')]);
await kc.k(['create', 'namespace', 'argocd']);
await waitFor('CRDs served', async () => (await kc.kubectl(['get', 'applicationsets.argoproj.io', '-n', 'argocd'])).code === 0, 60_000, 200);
const client = new KubeClient(api.kubeconfig, { qps: 1000, burst: 2000 });
const git = await startGitServer({ repos: { many: null } });
const files = {};
for (let i = 0; i < N; i++) files[`apps/app-${String(i).padStart(4, '0')}/cm.yaml`] = `a: ${i}\n`;
git.commit('many', files, `${N} directories`);
const ctl = await startAppSetController(parseAppSetArgs(['--namespace', 'argocd', '--kubeconfig', api.kubeconfig, '--requeue-after', '1h'], {}), { log: () => {}, health: false });

const tmpl = (name, path, label) => ({ metadata: { name, labels: { set: label } }, spec: { project: 'default', source: { repoURL: 'https://example.test/apps.git', path }, destination: { server: 'https://kubernetes.default.svc', namespace: 'default' } } });
const count = async (label) => (await client.list(APPLICATIONS, 'argocd', { labelSelector: `set=${label}` })).items;
const upToDate = async (name) => {
  const s = await client.get(APPLICATIONSETS, 'argocd', name);
  return s.status?.conditions?.find((c) => c.type === 'ResourcesUpToDate')?.status === 'True' && (s.status?.resources?.length ?? 0) === N;
};
const elements = (v) => Array.from({ length: N }, (_, i) => ({ name: `list-${String(i).padStart(4, '0')}`, v }));
const setOf = (name, spec) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', metadata: { name, namespace: 'argocd' }, spec });

try {
  // 1. list generator, 1,000 apps
  let t0 = performance.now();
  await client.create(APPLICATIONSETS, 'argocd', setOf('list', { generators: [{ list: { elements: elements('v1') } }], template: tmpl('{{name}}', '{{v}}', 'list') }));
  await waitFor(`${N} apps of the list set`, async () => (await count('list')).length === N, 120_000, 200);
  const created = performance.now() - t0;
  await waitFor('status up to date', () => upToDate('list'), 60_000, 200);
  const withStatus = performance.now() - t0;

  // 2. a template change: 1,000 updates
  t0 = performance.now();
  const cur = await client.get(APPLICATIONSETS, 'argocd', 'list');
  await client.update(APPLICATIONSETS, { ...cur, spec: { ...cur.spec, generators: [{ list: { elements: elements('v2') } }] } });
  await waitFor(`${N} apps updated`, async () => (await count('list')).every((a) => a.spec.source.path === 'v2'), 120_000, 200);
  const updated = performance.now() - t0;

  // 3. git directories over a real repository of 1,000 directories
  t0 = performance.now();
  await client.create(APPLICATIONSETS, 'argocd', setOf('git', { generators: [{ git: { repoURL: git.url('many'), revision: 'HEAD', directories: [{ path: 'apps/*' }] } }], template: tmpl('git-{{path.basename}}', '{{path}}', 'git') }));
  await waitFor(`${N} apps of the git set`, async () => (await count('git')).length === N, 120_000, 200);
  const gitCreated = performance.now() - t0;
  const rss = process.memoryUsage().rss / 1024 / 1024;

  console.log(`appset: list generator, ${N} Applications created in ${(created / 1000).toFixed(1)} s, status up to date in ${(withStatus / 1000).toFixed(1)} s (target < 20 s)`);
  console.log(`appset: template change, ${N} Applications updated in ${(updated / 1000).toFixed(1)} s`);
  console.log(`appset: git directories generator (${N} directories, real git server), ${N} Applications created in ${(gitCreated / 1000).toFixed(1)} s`);
  console.log(`appset: controller process RSS ${rss.toFixed(0)} MB (with this benchmark's client)`);
} finally {
  await ctl.stop();
  client.close();
  await git.stop();
  await api.stop();
  rmSync(dir, { recursive: true, force: true });
}
