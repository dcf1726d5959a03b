/**
 * Runs a sync operation one step at a time: each call reads the recorded results, executes the
 * next group of tasks (phase → wave → kind order) or checks whether the running group is done
 * (resources healthy, hooks completed), and returns the new `operationState`. The caller writes the
 * state after every step, so a controller killed mid-sync resumes from the record.
 */
import type { KubeObject } from '@flotilla/apimachinery';
import { ApiError, type KubeClient, type Resource } from '@flotilla/kube-runtime';
import type { Application, OperationState, ResourceResult, SyncPhase } from '@flotilla/argocd-engine';
import type { ArgoSettings } from '@flotilla/argocd-engine/settings';
import { getHealth } from '@flotilla/argocd-engine/health';
import { applyObject, deleteAndWait, kubectlName, pruneObject } from './apply.js';
import type { ClusterCache } from './cluster-cache.js';
import type { CompareResult } from './compare.js';
import { buildTasks, groups, resultId, resultOf, type SyncTask } from './tasks.js';
import { withTracking, type TrackingOpts } from './tracking.js';

export interface StepContext {
  app: Application;
  state: OperationState;
  compared: CompareResult;
  revision: string;
  cache: ClusterCache;
  client: KubeClient;
  tracking: TrackingOpts;
  instance: string;
  settings: ArgoSettings;
  /** applies at once (kubectl parallelism) */
  parallelism: number;
  onKubectl?: (command: 'apply' | 'create' | 'replace' | 'delete', ok: boolean) => void;
  log: (msg: string) => void;
}

export interface StepOutcome {
  state: OperationState;
  done: boolean;
  /** check again after (ms) while running */
  requeueMs?: number;
  events: { type: 'Normal' | 'Warning'; reason: string; message: string }[];
}

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));
const FAILED_HOOK = new Set(['Failed', 'Error']);

function syncOptionsOf(app: Application, st: OperationState): Set<string> {
  return new Set([...(app.spec.syncPolicy?.syncOptions ?? []), ...(st.operation.sync?.syncOptions ?? [])]);
}

/** A hook's phase from its live object: Pods by their phase, everything else by health. */
export async function hookPhaseOf(live: KubeObject | undefined, settings: ArgoSettings): Promise<{ phase: 'Running' | 'Succeeded' | 'Failed'; message?: string }> {
  if (!live) return { phase: 'Running', message: 'waiting for hook to be created' };
  if (live.kind === 'Pod') {
    const p = (live as { status?: { phase?: string; message?: string } }).status;
    if (p?.phase === 'Succeeded') return { phase: 'Succeeded', message: 'pod completed' };
    if (p?.phase === 'Failed') return { phase: 'Failed', message: p.message ?? 'pod failed' };
    return { phase: 'Running', message: `pod is ${p?.phase ?? 'Pending'}` };
  }
  const h = await getHealth(live, { overrides: settings.resourceOverrides });
  if (!h || h.status === 'Healthy') return { phase: 'Succeeded', message: h?.message };
  if (h.status === 'Degraded') return { phase: 'Failed', message: h.message };
  return { phase: 'Running', message: h.message };
}

async function limit<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(n || items.length, items.length)) }, async () => {
    while (i < items.length) await fn(items[i++]);
  });
  await Promise.all(workers);
}

export async function runStep(ctx: StepContext): Promise<StepOutcome> {
  const state = clone(ctx.state);
  const events: StepOutcome['events'] = [];
  const sync = state.operation.sync ?? {};
  const dryRun = !!sync.dryRun;
  const opts = syncOptionsOf(ctx.app, state);
  state.syncResult ??= { revision: ctx.revision, resources: [] };
  state.syncResult.revision = ctx.revision;
  const results = state.syncResult.resources ??= [];
  const byId = new Map(results.map((r) => [resultId(r), r]));
  const record = (t: SyncTask, r: Partial<ResourceResult>) => {
    const res = { ...resultOf(t), ...r } as ResourceResult;
    const prev = byId.get(t.id);
    if (prev) Object.assign(prev, res);
    else {
      results.push(res);
      byId.set(t.id, res);
    }
    return res;
  };
  const destNs = ctx.app.spec.destination?.namespace;
  const tasks = buildTasks({ compared: ctx.compared, sync, syncOptions: opts, operationKey: `${ctx.app.metadata?.uid}/${state.startedAt}`, destNamespace: destNs });

  // CreateNamespace=true: the destination namespace (with managedNamespaceMetadata) before anything else
  if (opts.has('CreateNamespace=true') && destNs && !byId.has(`PreSync:/Namespace//${destNs}`)) {
    const nsTask: SyncTask = { id: `PreSync:/Namespace//${destNs}`, phase: 'PreSync', wave: -Infinity, kindOrder: 0, action: 'apply', group: '', version: 'v1', kind: 'Namespace', namespace: '', name: destNs, options: new Set(), deletePolicies: [] };
    const meta = ctx.app.spec.syncPolicy?.managedNamespaceMetadata;
    const live = ctx.cache.get('', 'Namespace', undefined, destNs);
    if (!live || meta) {
      const obj: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: destNs, ...(meta?.labels ? { labels: meta.labels } : {}), ...(meta?.annotations ? { annotations: meta.annotations } : {}) } };
      const msg = await execApply(ctx, nsTask, live ? { ...obj, metadata: { ...live.metadata, ...obj.metadata, labels: { ...(live.metadata?.labels ?? {}), ...(meta?.labels ?? {}) }, annotations: { ...(live.metadata?.annotations ?? {}), ...(meta?.annotations ?? {}) } } } : obj, dryRun, false);
      record(nsTask, msg);
      if (msg.status === 'SyncFailed') return finish(ctx, state, 'Failed', `one or more objects failed to apply, reason: ${msg.message}`, events);
    }
  }

  const failedRes = () => results.find((r) => r.syncPhase !== 'SyncFail' && (r.status === 'SyncFailed' || (r.hookPhase && FAILED_HOOK.has(r.hookPhase))));
  if (!failedRes()) {
    for (const g of groups(tasks)) {
      const pending = g.tasks.filter((t) => !byId.has(t.id));
      if (pending.length) {
        // kinds in order; the same kind order at once (bounded by the kubectl parallelism limit)
        const orders = [...new Set(pending.map((t) => t.kindOrder))];
        for (const ko of orders) {
          const batch = pending.filter((t) => t.kindOrder === ko);
          await limit(batch, ctx.parallelism, async (t) => {
            record(t, await execTask(ctx, t, dryRun));
          });
          if (failedRes()) break;
        }
        if (failedRes()) break;
      }
      if (dryRun) continue;
      const waiting = await waitingFor(ctx, g.tasks, byId, record);
      if (failedRes()) break;
      if (waiting) {
        state.phase = 'Running';
        state.message = waiting;
        return { state, done: false, requeueMs: 1000, events };
      }
    }
  }
  const failed = failedRes();
  if (failed) {
    // SyncFail hooks run once, then the operation fails with the first failure's message
    const sfTasks = dryRun ? [] : tasks.filter((t) => t.phase === 'SyncFail');
    for (const t of sfTasks) if (!byId.has(t.id)) record(t, await execTask(ctx, t, false));
    const waiting = sfTasks.length ? await waitingFor(ctx, sfTasks, byId, record) : undefined;
    if (waiting) {
      state.phase = 'Running';
      state.message = waiting;
      return { state, done: false, requeueMs: 1000, events };
    }
    await deleteHooks(ctx, tasks, byId, 'HookFailed');
    const what = failed.hookPhase ? `${failed.kind} ${failed.name} hook failed: ${failed.message ?? ''}` : `one or more objects failed to apply, reason: ${failed.message ?? ''}`;
    return finish(ctx, state, 'Failed', what.trim(), events);
  }
  await deleteHooks(ctx, tasks, byId, 'HookSucceeded');
  return finish(ctx, state, 'Succeeded', dryRun ? 'successfully synced (dry run)' : 'successfully synced (all tasks run)', events);
}

function finish(_ctx: StepContext, state: OperationState, phase: 'Succeeded' | 'Failed', message: string, events: StepOutcome['events']): StepOutcome {
  state.phase = phase;
  state.message = message;
  state.finishedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return { state, done: true, events };
}

/** The first reason the group is not finished (undefined: finished). Updates hook phases. */
async function waitingFor(ctx: StepContext, tasks: SyncTask[], byId: Map<string, ResourceResult>, record: (t: SyncTask, r: Partial<ResourceResult>) => ResourceResult): Promise<string | undefined> {
  let first: string | undefined;
  for (const t of tasks) {
    const r = byId.get(t.id);
    if (!r || r.status === 'SyncFailed' || r.status === 'PruneSkipped') continue;
    if (t.action === 'prune') continue;
    const live = ctx.cache.get(t.group, t.kind, t.namespace || undefined, t.name);
    if (t.action === 'hook') {
      if (r.hookPhase === 'Succeeded' || (r.hookPhase && FAILED_HOOK.has(r.hookPhase))) continue;
      const hp = await hookPhaseOf(live, ctx.settings);
      if (hp.phase !== 'Running') record(t, { hookPhase: hp.phase, message: hp.message ?? r.message });
      else first ??= `waiting for completion of hook ${t.group ? t.group + '/' : ''}${t.kind}/${t.name}`;
      continue;
    }
    if (!live) {
      first ??= `waiting for healthy state of ${t.group ? t.group + '/' : ''}${t.kind}/${t.name}`;
      continue;
    }
    const h = await getHealth(live, { overrides: ctx.settings.resourceOverrides }).catch(() => undefined);
    if (h && h.status !== 'Healthy' && h.status !== 'Suspended') first ??= `waiting for healthy state of ${t.group ? t.group + '/' : ''}${t.kind}/${t.name}`;
  }
  return first;
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

async function execApply(ctx: StepContext, t: SyncTask, obj: KubeObject, dryRun: boolean, isHook: boolean): Promise<Partial<ResourceResult>> {
  const r = await resourceOf(ctx, t);
  if (!r) return { status: 'SyncFailed', message: `the server could not find the requested resource: no matches for kind "${t.kind}" in version "${obj.apiVersion}"` };
  const o = t.options;
  const force = o.has('Force=true') || (isHook ? !!ctx.state.operation.sync?.syncStrategy?.hook?.force : !!ctx.state.operation.sync?.syncStrategy?.apply?.force);
  const live = ctx.cache.get(t.group, t.kind, t.namespace || undefined, t.name);
  const tracked = t.kind === 'Namespace' && t.id.startsWith('PreSync:/Namespace') ? obj : withTracking(obj, ctx.instance, ctx.tracking);
  const replace = o.has('Replace=true');
  const cmd = replace ? 'replace' : live ? 'apply' : 'create';
  try {
    const out = await applyObject(ctx.client, r, tracked, live, {
      dryRun,
      serverSideApply: o.has('ServerSideApply=true') && !replace,
      replace,
      force,
      validate: !o.has('Validate=false'),
    });
    ctx.onKubectl?.(cmd, true);
    return { status: 'Synced', message: out.message };
  } catch (e) {
    ctx.onKubectl?.(cmd, false);
    return { status: 'SyncFailed', message: e instanceof ApiError ? e.message : String((e as Error).message ?? e) };
  }
}

async function execTask(ctx: StepContext, t: SyncTask, dryRun: boolean): Promise<Partial<ResourceResult>> {
  if (t.skip) return { status: t.skip.status, message: t.skip.message };
  if (t.action === 'prune') {
    const r = await resourceOf(ctx, t);
    if (!r || !t.live) return { status: 'Pruned', message: 'pruned' };
    const policy = ([...t.options].find((x) => x.startsWith('PrunePropagationPolicy='))?.split('=')[1] ?? 'foreground') as 'foreground';
    try {
      const msg = await pruneObject(ctx.client, r, t.live, policy, dryRun);
      ctx.onKubectl?.('delete', true);
      return { status: 'Pruned', message: msg };
    } catch (e) {
      ctx.onKubectl?.('delete', false);
      return { status: 'SyncFailed', message: (e as Error).message };
    }
  }
  if (t.action === 'hook') {
    const r = await resourceOf(ctx, t);
    if (!r) return { status: 'SyncFailed', hookPhase: 'Failed', message: `no matches for kind "${t.kind}"` };
    const existing = ctx.cache.get(t.group, t.kind, t.namespace || undefined, t.name) ?? (await ctx.client.get(r, r.namespaced ? t.namespace : undefined, t.name).catch(() => undefined));
    if (existing && t.deletePolicies.includes('BeforeHookCreation')) {
      try {
        await deleteAndWait(ctx.client, r, r.namespaced ? t.namespace : undefined, t.name, 'Background');
      } catch (e) {
        return { status: 'SyncFailed', hookPhase: 'Failed', message: `deleting the previous hook: ${(e as Error).message}` };
      }
    }
    const res = await execApply(ctx, t, t.target!, dryRun, true);
    return res.status === 'Synced' ? { ...res, hookPhase: 'Running' } : { ...res, hookPhase: 'Failed' };
  }
  return execApply(ctx, t, t.target!, dryRun, false);
}

async function deleteHooks(ctx: StepContext, tasks: SyncTask[], byId: Map<string, ResourceResult>, policy: 'HookSucceeded' | 'HookFailed'): Promise<void> {
  for (const t of tasks) {
    if (t.action !== 'hook' || !t.deletePolicies.includes(policy)) continue;
    const r = byId.get(t.id);
    if (!r) continue;
    const ok = r.hookPhase === 'Succeeded';
    if ((policy === 'HookSucceeded') !== ok) continue;
    const res = ctx.cache.resourceFor(t.group, t.kind);
    if (!res) continue;
    try {
      await ctx.client.delete(res, res.namespaced ? t.namespace : undefined, t.name, { propagationPolicy: 'Background' });
      ctx.onKubectl?.('delete', true);
    } catch {
      /* already gone */
    }
  }
}

export const phaseOrder: SyncPhase[] = ['PreSync', 'Sync', 'PostSync', 'SyncFail'];
export { kubectlName };
