#!/usr/bin/env node
// Repo server benchmark (issue 4 targets): a cached re-render < 1 ms; resolve+fetch of an
// unchanged repository < 50 ms; helm-guestbook warm render < 20 ms. A Git repository is built
// from ../shared/upstream/argocd-example-apps (or the package's own fixtures when absent) and
// served by `git daemon` on 127.0.0.1.
import { existsSync } from 'node:fs';
import { RepoServer, helmUnavailableReason } from '../packages/repo-server/dist/index.js';
import { TestRepo, copyTree, tempDir, startGitDaemon, cleanupTemp, upstreamDir, testdata } from '../packages/repo-server/dist/test-helpers.js';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))];
async function time(fn) {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}
async function series(n, fn) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await time(() => fn(i)));
  return out;
}
const fmt = (ms) => `${ms < 1 ? ms.toFixed(3) : ms.toFixed(1)} ms`;

const upstream = upstreamDir();
const examples = upstream && `${upstream}/argocd-example-apps`;
const haveExamples = examples && existsSync(examples);
const base = tempDir('flotilla-rs-bench-');
const repo = new TestRepo(base, 'apps', 'master');
copyTree(haveExamples ? examples : testdata('repo'), repo.work);
const sha = repo.commit('bench');
const daemon = await startGitDaemon(base);
const url = daemon.url('apps.git');
const server = new RepoServer({ cacheDir: tempDir('flotilla-rs-bench-cache-') });
const plain = haveExamples ? 'guestbook' : 'dir-app';
const plainDir = haveExamples ? undefined : { exclude: 'config.yaml' };
const kust = haveExamples ? 'kustomize-guestbook' : 'kustomize-app';
const chart = haveExamples ? 'helm-guestbook' : 'helm-app';

try {
  console.log(`repo-server: fixtures from ${haveExamples ? 'argocd-example-apps' : 'package testdata'} over git daemon`);
  const cold = await time(() => server.resolveRevision(url, 'master'));
  console.log(`  first resolve+fetch (clone):            ${fmt(cold)}`);
  const firstRender = await time(() => server.generateManifests({ repoURL: url, targetRevision: sha, path: plain, directory: plainDir }));
  console.log(`  first render (checkout + directory):    ${fmt(firstRender)}`);

  const resolve = await series(30, () => server.resolveRevision(url, 'master'));
  console.log(`  resolve+fetch, unchanged repo:          median ${fmt(median(resolve))}, p95 ${fmt(p95(resolve))}   (target < 50 ms)`);

  const cachedSha = await series(2000, () => server.generateManifests({ repoURL: url, targetRevision: sha, path: plain, directory: plainDir }));
  console.log(`  cached re-render (pinned SHA):          median ${fmt(median(cachedSha))}, p95 ${fmt(p95(cachedSha))}   (target < 1 ms)`);
  const cachedBranch = await series(20, () => server.generateManifests({ repoURL: url, targetRevision: 'master', path: plain, directory: plainDir }));
  console.log(`  cached re-render (branch, ls-remote):   median ${fmt(median(cachedBranch))}`);

  const dirRenders = await series(10, (i) =>
    server.generateManifests({ repoURL: url, targetRevision: sha, path: plain, directory: { ...plainDir, include: `{*.yaml,*.json,x${i}}` } }),
  );
  console.log(`  directory render, uncached:             median ${fmt(median(dirRenders))}`);
  const kRenders = await series(10, (i) => server.generateManifests({ repoURL: url, targetRevision: sha, path: kust, kustomize: { nameSuffix: `-${i}` } }));
  console.log(`  kustomize render (kubectl), uncached:   median ${fmt(median(kRenders))}`);
  if (haveExamples) {
    const jRenders = await series(10, (i) =>
      server.generateManifests({ repoURL: url, targetRevision: sha, path: 'jsonnet-guestbook-tla', directory: { jsonnet: { tlas: [{ name: 'replicas', value: String(i + 1), code: true }] } } }),
    );
    console.log(`  jsonnet render, uncached:               median ${fmt(median(jRenders))}`);
  }
  const helmReason = await helmUnavailableReason();
  if (helmReason) {
    console.log(`  helm render: skipped (${helmReason})`);
  } else {
    await server.generateManifests({ repoURL: url, targetRevision: sha, path: chart, helm: { parameters: [{ name: 'warmup', value: 'x' }] } });
    const hRenders = await series(30, (i) =>
      server.generateManifests({ repoURL: url, targetRevision: sha, path: chart, helm: { parameters: [{ name: 'replicaCount', value: String(i + 1) }] } }),
    );
    console.log(`  ${`${chart} warm render, uncached:`.padEnd(40)}median ${fmt(median(hRenders))}, p95 ${fmt(p95(hRenders))}   (target < 20 ms)`);
  }
} finally {
  server.close();
  await daemon.stop();
  cleanupTemp();
}
