/**
 * Runs a sync operation with the engine's planner: each call plans from the current state
 * (`planSync`), rebuilds the results from `status.operationState.syncResult.resources`, updates the
 * health of applied resources and the phase of running hooks from the live-state cache, and asks
 * `nextStep` what to do — run a step's tasks (in kind order, bounded parallelism), wait, delete
 * finished hooks, or finish. The caller writes the state after every call, so a controller killed
 * mid-sync resumes from the record.
 */
import type { KubeObject } from '@flotilla/apimachinery';
import { ApiError, type KubeClient, type Resource } from '@flotilla/kube-runtime';
import type { Application, OperationState, ResourceResult } from '@flotilla/argocd-engine';
import type { ArgoSettings } from '@flotilla/argocd-engine/settings';
import { healthOpts } from './health-opts.js';
import { getHealth } from '@flotilla/argocd-engine/health';
import { nextStep, planSync, resourceKeyString, type SyncPlan, type SyncTask, type TaskResult } from '@flotilla/argocd-engine/sync';
import { applyObject, deleteAndWait, pruneObject } from './apply.js';
import type { ClusterCache } from './cluster-cache.js';
import type { CompareResult } from './compare.js';
import { nameHooks, recordResult, resultsFromRecord, toResourceResult } from './tasks.js';
import { withTracking, type TrackingOpts } from './tracking.js';

export interface StepContext {
  app: Application;
  state: OperationState;
  compared: CompareResult;
  revision: string;
  cache: ClusterCache;
  client: KubeClient;
  tracking: TrackingOpts;
  controllerNamespace: string;
  settings: ArgoSettings;
  /** applies at once (kubectl parallelism) */
  parallelism: number;
  /** results the record does not hold (hook deletions), per operation */
  memory: Map<string, TaskResult>;
  /** objects as the API server answered the apply (until the live-state cache has them) */
  applied?: Map<string, KubeObject>;
  onKubectl?: (command: 'apply' | 'create' | 'replace' | 'delete', ok: boolean) => void;
  log: (msg: string) => void;
}

export interface StepOutcome {
  state: OperationState;
  done: boolean;
  /** check again after (ms) while running */
  requeueMs?: number;
}

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));
const nowISO = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** A hook's phase from its live object: Pods by their phase, everything else by health. */
export async function hookPhaseOf(live: KubeObject | undefined, settings: ArgoSettings): Promise<{ phase: 'Running' | 'Succeeded' | 'Failed'; message?: string }> {
  if (!live) return { phase: 'Running', message: 'waiting for hook to be created' };
  if (live.kind === 'Pod') {
    const p = (live as { status?: { phase?: string; message?: string } }).status;
    if (p?.phase === 'Succeeded') return { phase: 'Succeeded', message: 'pod completed' };
    if (p?.phase === 'Failed') return { phase: 'Failed', message: p.message ?? 'pod failed' };
    return { phase: 'Running', message: `pod is ${p?.phase ?? 'Pending'}` };
  }
  const h = await getHealth(live, healthOpts(settings));
  if (!h || h.status === 'Healthy') return { phase: 'Succeeded', message: h?.message || undefined };
  if (h.status === 'Degraded') return { phase: 'Failed', message: h.message };
  return { phase: 'Running', message: h.message };
}

async function limit<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(n > 0 ? n : items.length, items.length)) }, async () => {
    while (i < items.length) await fn(items[i++]);
  });
  await Promise.all(workers);
}

/** The plan of an operation against the current live state. */
export function planFor(ctx: StepContext): SyncPlan {
  const sync = ctx.state.operation.sync ?? {};
  const c = ctx.compared;
  const targets: KubeObject[] = [];
  const live: KubeObject[] = [];
  const diffs = new Map<string, { modified: boolean }>();
  for (const r of c.resources) {
    if (r.target) targets.push(r.target);
    if (r.live) live.push(r.live);
    if (r.target && r.diff) diffs.set(resourceKeyString(r.target), { modified: r.diff.modified });
  }
  const hooks = nameHooks(c.hooks, `${ctx.app.metadata?.uid}/${ctx.state.startedAt}`);
  const existingHooks: KubeObject[] = [];
  for (const h of hooks) {
    const g = (h.apiVersion ?? '').includes('/') ? h.apiVersion!.split('/')[0] : '';
    const l = ctx.cache.get(g, h.kind!, h.metadata?.namespace, h.metadata!.name!);
    if (l) existingHooks.push(l);
  }
  const destNs = ctx.app.spec.destination?.namespace;
  return planSync({
    targets: [...targets, ...hooks],
    live,
    diffs,
    operation: sync,
    syncPolicy: ctx.app.spec.syncPolicy,
    existingHooks,
    destinationNamespace: destNs,
    namespaceExists: destNs ? !!ctx.cache.get('', 'Namespace', undefined, destNs) : true,
  });
}

export async function runStep(ctx: StepContext): Promise<StepOutcome> {
  const state = clone(ctx.state);
  state.syncResult ??= { revision: ctx.revision, resources: [] };
  state.syncResult.revision = ctx.revision;
  const record = (state.syncResult.resources ??= []);
  // a few planner rounds per call: steps without anything to wait for (ConfigMaps) follow at once
  for (let round = 0; round < 20; round++) {
    const plan = planFor({ ...ctx, state });
    if (plan.errors.length && round === 0 && !record.length) return finish(state, 'Failed', `invalid sync options: ${plan.errors.join('; ')}`);
    const results = resultsFromRecord(plan, record, ctx.memory);
    await refreshRunning(ctx, plan, results, record);
    const next = nextStep(plan, results);
    if (next.type === 'run') {
      const orders = [...new Set(next.tasks.map((t) => t.kindOrder))];
      for (const ko of orders) {
        await limit(
          next.tasks.filter((t) => t.kindOrder === ko),
          ctx.parallelism,
          async (t) => {
            const r = await execTask(ctx, state, t);
            if (t.action === 'delete-hook') ctx.memory.set(t.id, r);
            else recordResult(record, toResourceResult(t, r));
          },
        );
      }
      continue;
    }
    if (next.type === 'cleanup') {
      for (const t of next.tasks) ctx.memory.set(t.id, await execTask(ctx, state, t));
      continue;
    }
    if (next.type === 'wait') {
      state.phase = 'Running';
      state.message = next.message;
      return { state, done: false, requeueMs: 1000 };
    }
    // done or failed: skipped tasks (PruneSkipped…) are reported too
    for (const t of plan.tasks) if (t.skipReason) recordResult(record, toResourceResult(t, { status: t.resultCode ?? 'PruneSkipped', message: t.skipReason }));
    return finish(state, next.type === 'done' ? 'Succeeded' : 'Failed', next.message);
  }
  state.phase = 'Running';
  return { state, done: false, requeueMs: 500 };
}

function finish(state: OperationState, phase: 'Succeeded' | 'Failed', message: string): StepOutcome {
  state.phase = phase;
  state.message = message;
  state.finishedAt = nowISO();
  return { state, done: true };
}

/** Health of applied resources and phases of running hooks, from the live-state cache. */
async function refreshRunning(ctx: StepContext, plan: SyncPlan, results: Map<string, TaskResult>, record: ResourceResult[]): Promise<void> {
  for (const t of [...plan.steps.flatMap((s) => s.tasks), ...plan.syncFailSteps.flatMap((s) => s.tasks)]) {
    const r = results.get(t.id);
    if (!r || r.status === 'SyncFailed' || t.dryRun) continue;
    if (t.action === 'hook') {
      if (r.hookPhase !== 'Running' && r.hookPhase !== 'Pending') continue;
      const hp = await hookPhaseOf(ctx.cache.get(t.group, t.kind, t.namespace || undefined, t.name), ctx.settings);
      if (hp.phase !== 'Running') {
        r.hookPhase = hp.phase;
        if (hp.message) r.message = hp.message;
        recordResult(record, toResourceResult(t, r));
      }
    } else if (t.action === 'apply' || t.action === 'replace' || t.action === 'create') {
      const cached = ctx.cache.get(t.group, t.kind, t.namespace || undefined, t.name);
      const answered = ctx.applied?.get(t.id);
      const live = answered && (!cached || Number(cached.metadata?.resourceVersion) < Number(answered.metadata?.resourceVersion)) ? answered : cached;
      if (!live) r.health = 'Missing';
      else {
        const h = await getHealth(live, healthOpts(ctx.settings)).catch(() => undefined);
        // Suspended counts as done for a wave, as a suspended resource (a paused Rollout) never turns Healthy by itself
        r.health = h?.status === 'Suspended' ? 'Healthy' : h?.status;
      }
    }
  }
}

async function resourceOf(ctx: StepContext, t: SyncTask): Promise<Resource | undefined> {
  let r = ctx.cache.resourceFor(t.group, t.kind);
  // a CRD applied in an earlier wave: discovery needs a moment
  for (let i = 0; !r && i < 10; i++) {
    await ctx.cache.refreshKinds().catch(() => {});
    r = ctx.cache.resourceFor(t.group, t.kind);
    if (!r) await new Promise((res) => setTimeout(res, 500));
  }
  return r;
}

async function execTask(ctx: StepContext, state: OperationState, t: SyncTask): Promise<TaskResult> {
  const r = await resourceOf(ctx, t);
  const ns = (res: Resource) => (res.namespaced ? t.namespace || undefined : undefined);
  if (!r) {
    if (t.action === 'prune' || t.action === 'delete-hook') return { status: 'Pruned', message: 'pruned' };
    return { status: 'SyncFailed', message: `the server could not find the requested resource: no matches for kind "${t.kind}" in group "${t.group}"`, ...(t.action === 'hook' ? { hookPhase: 'Failed' } : {}) };
  }
  try {
    switch (t.action) {
      case 'prune': {
        const msg = await pruneObject(ctx.client, r, t.live!, t.syncOptions.prunePropagationPolicy, t.dryRun);
        ctx.onKubectl?.('delete', true);
        return { status: 'Pruned', message: msg };
      }
      case 'delete-hook': {
        if (!t.dryRun) await deleteAndWait(ctx.client, r, ns(r), t.name, 'Background');
        ctx.onKubectl?.('delete', true);
        return { status: 'Synced', message: `${t.kind} ${t.name} deleted` };
      }
      default: {
        // a dry run into a namespace the sync would create first: the API server cannot check it yet
        if (t.dryRun && r.namespaced && t.namespace && !ctx.cache.get('', 'Namespace', undefined, t.namespace)) {
          return { status: 'Synced', message: `${t.kind.toLowerCase()}${t.group ? '.' + t.group : ''}/${t.name} created (dry run)` };
        }
        const tracked = t.action === 'create' && t.kind === 'Namespace' && t.phase === 'PreSync' ? t.target! : withTracking(t.target!, { name: ctx.app.metadata!.name!, namespace: ctx.app.metadata?.namespace, controllerNamespace: ctx.controllerNamespace, defaultNamespace: ctx.app.spec.destination?.namespace }, ctx.tracking);
        const live = ctx.cache.get(t.group, t.kind, t.namespace || undefined, t.name);
        const o = t.syncOptions;
        const isHook = t.action === 'hook';
        const strategy = state.operation.sync?.syncStrategy;
        const out = await applyObject(ctx.client, r, tracked, isHook ? undefined : live, {
          dryRun: t.dryRun,
          serverSideApply: o.serverSideApply && t.action !== 'replace',
          replace: t.action === 'replace',
          force: o.force || (isHook ? !!strategy?.hook?.force : !!strategy?.apply?.force),
          validate: o.validate,
        });
        ctx.onKubectl?.(t.action === 'replace' ? 'replace' : live ? 'apply' : 'create', true);
        if (!isHook && !t.dryRun && out.obj?.metadata) ctx.applied?.set(t.id, out.obj);
        return isHook ? { status: 'Synced', message: out.message, hookPhase: 'Running' } : { status: 'Synced', message: out.message };
      }
    }
  } catch (e) {
    ctx.onKubectl?.(t.action === 'prune' || t.action === 'delete-hook' ? 'delete' : 'apply', false);
    const message = e instanceof ApiError ? e.message : String((e as Error).message ?? e);
    return t.action === 'hook' ? { status: 'SyncFailed', message, hookPhase: 'Failed' } : { status: 'SyncFailed', message };
  }
}
