/**
 * End to end: Argo CD's example apps with hooks and waves (sync-waves, pre-post-sync, helm-hooks)
 * sync to Synced/Healthy, and the order is the documented one — asserted from the objects'
 * creation timestamps and from the order of the recorded results.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { Application } from '@flotilla/argocd-engine';
import { EXAMPLE_APPS, healthy, skipReason, startEnv, synced, type Env } from './testenv.js';

const skip = skipReason() ?? (existsSync(EXAMPLE_APPS) ? undefined : `argocd-example-apps not found at ${EXAMPLE_APPS}`);
if (skip) process.stdout.write(`# skipped: ${skip}\n`);

const APPS = { group: 'argoproj.io', version: 'v1alpha1', plural: 'applications', kind: 'Application', namespaced: true };

describe('hooks and waves end to end', { skip, timeout: 1_200_000 }, () => {
  let env: Env;
  before(async () => {
    env = await startEnv({ repos: { examples: EXAMPLE_APPS } });
  });
  after(async () => {
    await env?.stop();
  });

  const syncApp = async (name: string, path: string): Promise<Application> => {
    await env.applyApp({
      metadata: { name, namespace: 'argocd' },
      spec: {
        project: 'default',
        source: { repoURL: env.git.url('examples'), targetRevision: 'HEAD', path },
        destination: { server: 'https://kubernetes.default.svc', namespace: name },
        syncPolicy: { syncOptions: ['CreateNamespace=true'] },
      },
    });
    await env.waitApp(name, (a) => !!a.status?.sync?.revision, 'compared');
    await env.client.patch(APPS, 'argocd', name, { operation: { sync: { revision: 'HEAD' }, initiatedBy: { username: 'admin' } } });
    return env.waitApp(name, (a) => a.status?.operationState?.phase === 'Succeeded' && !a.operation, 'sync succeeded', 400_000);
  };
  const created = async (ns: string, kind: string, name: string) => Date.parse((await env.k(['get', kind, name, '-n', ns, '-o', 'jsonpath={.metadata.creationTimestamp}'])).trim());
  // the result order is the execution order (CreateNamespace's Namespace comes first of all)
  const order = (a: Application) => (a.status?.operationState?.syncResult?.resources ?? []).filter((r) => r.kind !== 'Namespace').map((r) => `${r.syncPhase}:${r.kind}/${r.name}`);

  it('sync-waves: PreSync hook, wave 0, Sync hook wave 1, wave 2, Sync hook wave 3', async () => {
    const a = await syncApp('sync-waves', 'sync-waves');
    const o = order(a);
    const idx = (s: string) => {
      const i = o.findIndex((x) => x.includes(s));
      assert.ok(i >= 0, `${s} in ${o.join(', ')}`);
      return i;
    };
    assert.ok(idx('PreSync:Job/upgrade-sql-schema') < idx('ReplicaSet/backend'), o.join(', '));
    assert.ok(idx('ReplicaSet/backend') < idx('Job/maint-page-up'), o.join(', '));
    assert.ok(idx('Job/maint-page-up') < idx('ReplicaSet/frontend'), o.join(', '));
    assert.ok(idx('ReplicaSet/frontend') < idx('Job/maint-page-down'), o.join(', '));
    const jobs = (await env.k(['get', 'jobs', '-n', 'sync-waves', '-o', 'jsonpath={range .items[*]}{.metadata.name}{"\\n"}{end}'])).trim().split('\n');
    const pre = jobs.find((j) => j.startsWith('upgrade-sql-schema'))!;
    assert.ok(pre, jobs.join(','));
    const t = {
      pre: await created('sync-waves', 'job', pre),
      backend: await created('sync-waves', 'replicaset', 'backend'),
      up: await created('sync-waves', 'job', 'maint-page-up'),
      frontend: await created('sync-waves', 'replicaset', 'frontend'),
      down: await created('sync-waves', 'job', 'maint-page-down'),
    };
    assert.ok(t.pre < t.backend, 'the PreSync job (5 s) ran before wave 0');
    assert.ok(t.backend <= t.up, 'wave 0 before wave 1');
    assert.ok(t.up < t.frontend, 'the wave-1 hook (2 s) ran before wave 2');
    assert.ok(t.frontend <= t.down, 'wave 2 before wave 3');
    const final = await env.waitApp('sync-waves', (x) => synced(x) && healthy(x), 'Synced + Healthy', 120_000);
    assert.equal(final.status?.resources?.some((r) => r.kind === 'Job'), false, 'hooks are not app resources');
  });

  it('pre-post-sync: the PreSync hook before, the PostSync hook after the app; HookSucceeded deletes them', async () => {
    const a = await syncApp('pre-post-sync', 'pre-post-sync');
    const o = order(a);
    assert.equal(o[0], 'PreSync:Job/pre-post-sync-before', o.join(', '));
    assert.equal(o.at(-1), 'PostSync:Job/pre-post-sync-after', o.join(', '));
    const res = a.status!.operationState!.syncResult!.resources!;
    assert.equal(res.find((r) => r.name === 'pre-post-sync-before')?.hookPhase, 'Succeeded');
    assert.equal(res.find((r) => r.name === 'pre-post-sync-after')?.hookPhase, 'Succeeded');
    const left = (await env.k(['get', 'jobs', '-n', 'pre-post-sync', '-o', 'name'])).trim();
    assert.equal(left, '', 'HookSucceeded hooks are deleted');
    await env.waitApp('pre-post-sync', (x) => synced(x) && healthy(x), 'Synced + Healthy', 120_000);
  });

  it('helm-hooks: Helm hooks mapped to Argo phases, weights as waves', async () => {
    const a = await syncApp('helm-hooks', 'helm-hooks');
    const o = order(a);
    const idx = (s: string) => {
      const i = o.findIndex((x) => x.includes(s));
      assert.ok(i >= 0, `${s} in ${o.join(', ')}`);
      return i;
    };
    assert.ok(idx('Job/upgrade-sql-schema') < idx('Job/maint-page-up'), 'weight -2 before -1: ' + o.join(', '));
    assert.ok(idx('Job/maint-page-up') < idx('Sync:ReplicaSet/frontend'), o.join(', '));
    await env.waitApp('helm-hooks', (x) => synced(x) && healthy(x), 'Synced + Healthy', 120_000);
  });
});
