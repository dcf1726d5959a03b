// The order of upstream's sync-waves, pre-post-sync and helm-hooks example apps: each is rendered
// by @flotilla/repo-server's RepoServer from a Git repository built at test time out of
// ../shared/upstream/argocd-example-apps (skipped with a printed reason when absent), planned, and
// walked with nextStep as a controller would, every hook succeeding and every resource healthy.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { RepoServer } from '@flotilla/repo-server';
import type { KubeObject } from '../types.js';
import { nextStep, planSync, type SyncPlan, type TaskResult } from './index.js';

const examples = fileURLToPath(new URL('../../../../../shared/upstream/argocd-example-apps/', import.meta.url));
let skip: string | false = false;
if (!existsSync(examples)) skip = `${examples} is absent`;
else {
  try {
    execFileSync('git', ['--version'], { stdio: 'ignore' });
  } catch {
    skip = 'git is not installed';
  }
}
if (skip) console.log(`# skipped: ${skip}`);

/** Runs the plan to the end as a controller would; returns the order tasks ran in, one string per step. */
function walk(plan: SyncPlan): string[] {
  const results = new Map<string, TaskResult>();
  const order: string[] = [];
  for (let i = 0; i < 100; i++) {
    const n = nextStep(plan, results);
    if (n.type === 'done') return order;
    if (n.type === 'failed' || n.type === 'wait') throw new Error(`unexpected ${n.type}: ${n.message}`);
    if (n.type === 'cleanup') {
      for (const t of n.tasks) results.set(t.id, { status: 'Synced' });
      order.push(`cleanup ${n.tasks.map((t) => `${t.kind}/${t.name}`).join(', ')}`);
      continue;
    }
    order.push(`${n.phase}/${n.wave}: ${n.tasks.map((t) => `${t.action === 'hook' ? 'hook ' : t.action === 'apply' ? '' : t.action + ' '}${t.kind}/${t.name}`).join(', ')}`);
    for (const t of n.tasks) results.set(t.id, t.action === 'hook' ? { status: 'Synced', hookPhase: 'Succeeded' } : { status: 'Synced', health: 'Healthy' });
  }
  throw new Error('plan did not finish in 100 steps');
}

describe('upstream example apps: sync order', { skip }, () => {
  let work: string;
  let repo: string;
  let server: RepoServer;
  const render = async (path: string): Promise<KubeObject[]> => {
    const r = await server.generateManifests({ repoURL: repo, path, targetRevision: 'HEAD' }, { appName: path });
    return r.objects.map((o) => {
      const obj = structuredClone(o.object) as KubeObject;
      obj.metadata = { namespace: 'demo', ...obj.metadata };
      return obj;
    });
  };

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'argocd-engine-examples-'));
    repo = join(work, 'repo');
    cpSync(examples, repo, { recursive: true });
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'ignore', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' } });
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-q', '-m', 'examples');
    server = new RepoServer({ cacheDir: join(work, 'cache') });
  });
  after(() => {
    server?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('sync-waves: PreSync hook, then waves 0..3 with the Sync hooks in theirs', async () => {
    const plan = planSync({ targets: await render('sync-waves'), live: [], operation: {} });
    assert.deepEqual(walk(plan), [
      'PreSync/0: hook Job/upgrade-sql-schema',
      'Sync/0: Service/backend, ReplicaSet/backend',
      'Sync/1: hook Job/maint-page-up',
      'Sync/2: Service/frontend, ReplicaSet/frontend',
      'Sync/3: hook Job/maint-page-down',
    ]);
  });

  test('pre-post-sync: the PreSync job, the guestbook, the PostSync job (deleted once it succeeded)', async () => {
    const plan = planSync({ targets: await render('pre-post-sync'), live: [], operation: {} });
    assert.deepEqual(walk(plan), [
      'PreSync/0: hook Job/pre-post-sync-before',
      'cleanup Job/pre-post-sync-before',
      'Sync/0: Service/pre-post-sync-kustomize-guestbook-ui, Deployment/pre-post-sync-kustomize-guestbook-ui',
      'PostSync/0: hook Job/pre-post-sync-after',
      'cleanup Job/pre-post-sync-after',
    ]);
  });

  test('helm-hooks: Helm hooks mapped to PreSync (by hook-weight) and PostSync', async () => {
    const plan = planSync({ targets: await render('helm-hooks'), live: [], operation: {} });
    assert.deepEqual(walk(plan), [
      'PreSync/-2: hook Job/upgrade-sql-schema',
      'PreSync/-1: hook Job/maint-page-up',
      'Sync/0: Service/frontend, ReplicaSet/frontend',
      'PostSync/0: hook Job/maint-page-down',
    ]);
  });

  test('a second sync of sync-waves deletes the named Sync hooks first (BeforeHookCreation)', async () => {
    const targets = await render('sync-waves');
    const existingHooks = targets.filter((t) => t.metadata?.name?.startsWith('maint-page'));
    const plan = planSync({ targets, live: targets.filter((t) => !t.metadata?.annotations?.['argocd.argoproj.io/hook']), operation: {}, existingHooks });
    const steps = walk(plan);
    assert.equal(steps[2], 'Sync/1: delete-hook Job/maint-page-up, hook Job/maint-page-up');
    assert.equal(steps[4], 'Sync/3: delete-hook Job/maint-page-down, hook Job/maint-page-down');
  });
});
