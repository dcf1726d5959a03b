/**
 * Deletion of an Application. With `resources-finalizer.argocd.argoproj.io` (foreground; `/background`
 * for background propagation) the app's resources are deleted first (except `Delete=false` ones),
 * then the finalizer is removed; without it the resources stay. With
 * `post-delete-finalizer.argocd.argoproj.io` (added by the controller when the app has PostDelete
 * hooks) the PostDelete hooks run after the resources are gone and must complete first.
 */
import type { ReconcileResult } from '@flotilla/kube-runtime';
import { FINALIZERS, type Application } from '@flotilla/argocd-engine';
import type { Shared } from './controller.js';
import { APPLICATIONS } from './resources.js';
import { appSources, nowISO, readyCache, renderSources, validateApp } from './refresh.js';
import { writeApp } from './write.js';
import { hookPhaseOf } from './operation.js';
import { applyObject } from './apply.js';
import { hookDeletePolicies } from '@flotilla/argocd-engine/sync';
import { hookTypes, optionsOf, shortHash } from './tasks.js';
import { groupOf, withTracking } from './tracking.js';

async function removeFinalizer(sh: Shared, app: Application, f: string): Promise<void> {
  const fresh = await sh.client.get<Application>(APPLICATIONS, app.metadata!.namespace, app.metadata!.name!);
  const list = (fresh.metadata?.finalizers ?? []).filter((x) => x !== f);
  await writeApp(sh, fresh, { finalizers: list, resourceVersion: fresh.metadata?.resourceVersion });
}

export async function finalizeApp(sh: Shared, app: Application): Promise<ReconcileResult> {
  const fins = app.metadata?.finalizers ?? [];
  const cascade = fins.includes(FINALIZERS.resources) ? 'Foreground' : fins.includes(FINALIZERS.resourcesBackground) ? 'Background' : undefined;
  const postDelete = fins.includes(FINALIZERS.postDelete);
  if (!cascade && !postDelete) return;
  const { cluster, conditions } = validateApp(sh, app, sh.project(app));
  if (!cluster) {
    // no destination to delete from (unknown cluster): nothing can be cleaned up, let the app go
    sh.log(`app ${app.metadata?.name}: ${conditions.map((c) => c.message).join('; ')}; removing finalizers without deleting resources`);
    for (const f of [FINALIZERS.resources, FINALIZERS.resourcesBackground, FINALIZERS.postDelete]) if (fins.includes(f)) await removeFinalizer(sh, app, f);
    return;
  }
  const cache = await readyCache(sh, cluster);
  if (typeof cache === 'string') {
    await writeApp(sh, app, { status: { conditions: [{ type: 'DeletionError', message: cache, lastTransitionTime: nowISO() }] } });
    return { requeueAfter: 10_000 };
  }
  const instance = sh.instance(app);
  if (cascade) {
    const objs = cache.appObjects(instance).filter((o) => !optionsOf(o).includes('Delete=false') && hookTypes(o).length === 0);
    const pending = objs.filter((o) => !o.metadata?.deletionTimestamp);
    for (const o of pending) {
      const r = cache.resourceFor(groupOf(o.apiVersion), o.kind!);
      if (!r) continue;
      try {
        await cache.client.delete(r, r.namespaced ? o.metadata?.namespace : undefined, o.metadata!.name!, { propagationPolicy: cascade });
        sh.metrics.kubectl(cluster.server, 'delete', true);
      } catch (e) {
        if ((e as { code?: number }).code !== 404) sh.log(`app ${app.metadata?.name}: deleting ${o.kind} ${o.metadata?.name}: ${(e as Error).message}`);
      }
    }
    if (objs.length) return { requeueAfter: 1000 };
    await removeFinalizer(sh, app, cascade === 'Foreground' ? FINALIZERS.resources : FINALIZERS.resourcesBackground);
    if (!postDelete) return;
  }
  // PostDelete hooks
  const m = sh.memo.get(`${app.metadata?.namespace}/${app.metadata?.name}`);
  let targets = m?.rendered?.targets;
  if (!targets) {
    try {
      targets = (await renderSources(sh, app, appSources(app).sources, undefined, false, false)).targets;
    } catch (e) {
      sh.log(`app ${app.metadata?.name}: rendering PostDelete hooks: ${(e as Error).message}; removing the post-delete finalizer`);
      await removeFinalizer(sh, app, FINALIZERS.postDelete);
      return;
    }
  }
  const hooks = targets.filter((t) => hookTypes(t).includes('PostDelete'));
  let running = false;
  let failed = false;
  for (const h of hooks) {
    const name = h.metadata?.name ?? `${h.metadata?.generateName ?? 'hook-'}${shortHash(`${app.metadata?.uid}/post-delete`)}`;
    const ns = h.metadata?.namespace ?? app.spec.destination?.namespace;
    const r = cache.resourceFor(groupOf(h.apiVersion), h.kind!);
    if (!r) continue;
    const live = cache.get(r.group, r.kind, r.namespaced ? ns : undefined, name);
    if (!live) {
      const obj = withTracking({ ...h, metadata: { ...h.metadata, name, ...(r.namespaced && ns ? { namespace: ns } : {}) } }, { name: app.metadata!.name!, namespace: app.metadata?.namespace, controllerNamespace: sh.opts.namespace, defaultNamespace: app.spec.destination?.namespace }, sh.tracking());
      try {
        await applyObject(cache.client, r, obj, undefined, {});
      } catch (e) {
        sh.log(`app ${app.metadata?.name}: PostDelete hook ${name}: ${(e as Error).message}`);
        failed = true;
      }
      running = true;
      continue;
    }
    const p = await hookPhaseOf(live, sh.settings());
    if (p.phase === 'Running') running = true;
    else {
      if (p.phase === 'Failed') failed = true;
      const pol = hookDeletePolicies(h);
      if ((p.phase === 'Succeeded' && pol.includes('HookSucceeded')) || (p.phase === 'Failed' && pol.includes('HookFailed'))) await cache.client.delete(r, r.namespaced ? ns : undefined, name, { propagationPolicy: 'Background' }).catch(() => {});
    }
  }
  if (running) return { requeueAfter: 1000 };
  if (failed) sh.log(`app ${app.metadata?.name}: a PostDelete hook failed`);
  await removeFinalizer(sh, app, FINALIZERS.postDelete);
  return;
}
