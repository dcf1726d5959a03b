/**
 * The operation loop of one Application: starts `app.operation` (recording `status.operationState`
 * phase Running), runs it step by step (operation.ts), writes the state after every step, retries
 * per `retry`, terminates on request (phase Terminating → Failed "Operation terminated"), and at
 * the end removes `operation`, appends `status.history` (successful syncs) and records Events.
 */
import type { ReconcileResult } from '@flotilla/kube-runtime';
import type { Application, OperationState, ResourceResult, RevisionHistory } from '@flotilla/argocd-engine';
import { isNotFound } from '@flotilla/kube-runtime';
import type { TaskResult } from '@flotilla/argocd-engine/sync';
import type { Shared } from './controller.js';
import { runStep } from './operation.js';
import { appSources, compareWith, nowISO, readyCache, renderSources, validateApp } from './refresh.js';
import { writeApp } from './write.js';
import type { AppMemo } from './refresh.js';
import { syncWindowVerdict, goDurationMs } from './project.js';
import { retryDelayMs } from './autosync.js';

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));

function memoOf(sh: Shared, key: string): AppMemo {
  let m = sh.memo.get(key);
  if (!m) sh.memo.set(key, (m = { specKey: '', renderedAt: 0, jitterMs: 0 }));
  return m;
}

/** In-memory results of one operation (hook deletions), keyed by the operation's start. */
function opMemory(sh: Shared, key: string, st: OperationState): NonNullable<AppMemo['opMemory']> {
  let m = sh.memo.get(key);
  if (!m) sh.memo.set(key, (m = { specKey: '', renderedAt: 0, jitterMs: 0 }));
  const id = `${st.startedAt}#${st.retryCount ?? 0}`;
  if (m.opMemory?.id !== id) m.opMemory = { id, results: new Map(), applied: new Map() };
  return m.opMemory;
}

function opRevision(app: Application, st: OperationState): string {
  const s = st.operation.sync ?? {};
  return s.revisions?.join(',') ?? s.revision ?? appSources(app, s).sources.map((x) => x.targetRevision || 'HEAD').join(',');
}

async function complete(sh: Shared, app: Application, state: OperationState, key: string): Promise<void> {
  // the operation may have been replaced meanwhile: only remove the one we ran
  const fresh = sh.apps.get(app.metadata!.namespace!, app.metadata!.name!) ?? app;
  const status: Record<string, unknown> = { operationState: state };
  if (state.phase === 'Succeeded' && !state.operation.sync?.dryRun && state.syncResult) {
    const hist = [...(fresh.status?.history ?? [])];
    const id = hist.reduce((mx, h) => Math.max(mx, h.id), -1) + 1;
    const entry: RevisionHistory = { id, deployedAt: state.finishedAt!, deployStartedAt: state.startedAt, initiatedBy: state.operation.initiatedBy ?? {} };
    const r = state.syncResult;
    if (r.revisions?.length) {
      entry.revisions = r.revisions;
      entry.sources = r.sources;
    } else {
      entry.revision = r.revision;
      entry.source = r.source;
    }
    hist.push(entry);
    const limit = fresh.spec.revisionHistoryLimit ?? 10;
    status.history = hist.slice(Math.max(0, hist.length - limit));
  }
  const sameOp = fresh.operation === undefined || JSON.stringify(fresh.operation) === JSON.stringify(state.operation);
  app = await writeApp(sh, fresh, { status, removeOperation: sameOp, expectPhase: fresh.status?.operationState?.phase });
  const rev = state.syncResult?.revision ?? opRevision(app, state);
  const ok = state.phase === 'Succeeded';
  sh.events.event(app, ok ? 'Normal' : 'Warning', 'OperationCompleted', `Sync operation to ${rev} ${ok ? 'succeeded' : 'failed'}${ok ? '' : ': ' + (state.message ?? '')}`);
  const dest = app.spec.destination?.server ?? app.spec.destination?.name ?? '';
  sh.metrics.syncTotal(app, state.phase, dest);
  const m = sh.memo.get(key);
  if (m) {
    m.retryAt = undefined;
    m.lastOp = undefined;
    m.completed = { startedAt: state.startedAt, finishedAt: state.finishedAt ?? '', at: Date.now() };
    // the comparison after it waits (3 s at most) until the live-state cache shows what it applied
    if (m.opMemory?.applied.size) m.appliedUntil = Date.now() + 3000;
  }
  sh.enqueueRefresh(key);
}

/**
 * Terminating an operation deletes its in-flight hooks (a hook whose phase is Running), as Argo CD
 * does since 1.4: a PreSync Job that still runs is stopped rather than left behind. Other resources
 * are left as they are. Each deleted hook's result says "Terminated".
 */
async function terminateRunningHooks(sh: Shared, app: Application, st: OperationState): Promise<{ resources: ResourceResult[]; errors: string[] }> {
  const resources = (st.syncResult?.resources ?? []).map((r) => ({ ...r }));
  const running = resources.filter((r) => r.hookType && r.hookPhase === 'Running');
  const errors: string[] = [];
  if (!running.length) return { resources, errors };
  const { cluster } = validateApp(sh, app, sh.project(app));
  const cache = cluster ? await readyCache(sh, cluster) : 'no destination cluster';
  for (const r of running) {
    const what = `${r.kind}/${r.name}`;
    try {
      if (typeof cache === 'string') throw new Error(cache);
      const res = cache.resourceFor(r.group, r.kind);
      if (!res) throw new Error(`the server does not serve ${r.group ? `${r.kind}.${r.group}` : r.kind}`);
      await cache.client.delete(res, res.namespaced ? r.namespace : undefined, r.name, { propagationPolicy: 'Background' }).catch((e) => {
        if (!isNotFound(e)) throw e;
      });
      r.hookPhase = 'Failed';
      r.message = 'Terminated';
    } catch (e) {
      errors.push(`${what}: ${(e as Error).message}`);
    }
  }
  return { resources, errors };
}

export async function operateApp(sh: Shared, cached: Application, key: string): Promise<ReconcileResult> {
  // the informer's copy: a terminate request shows up there a moment later and is honoured at the next step
  const app = cached;
  const st = app.status?.operationState;
  if (st?.phase === 'Terminating') {
    const { resources, errors } = await terminateRunningHooks(sh, app, st);
    const state: OperationState = { ...st, phase: 'Failed', message: errors.length ? `Operation termination had errors: ${errors.join('; ')}` : 'Operation terminated', finishedAt: nowISO() };
    if (st.syncResult) state.syncResult = { ...st.syncResult, resources };
    await complete(sh, app, state, key);
    return;
  }
  const m = sh.memo.get(key);
  if (m?.completed) {
    // until the informer shows the completion we wrote, its `operation` is the one just finished
    if (st?.startedAt === m.completed.startedAt && st.finishedAt === m.completed.finishedAt) m.completed = undefined;
    else if (Date.now() - m.completed.at < 30_000) return { requeueAfter: 200 };
    else m.completed = undefined;
  }
  const op = app.operation;
  if (!op) return;
  let state: OperationState;
  // our own latest record wins over an informer copy that has not caught up with it yet
  const mine = m?.lastOp && JSON.stringify(m.lastOp.operation) === JSON.stringify(op) ? m.lastOp : undefined;
  // the phase the stored object has unless somebody changed it since: our own Running record, else what the
  // informer shows. Every step's write tests it, so a terminate request is never overwritten — also while the
  // informer still shows the state before our first write (no phase: an untested write would replace it)
  let storedPhase = st?.phase;
  if (mine && (!st || st.phase !== 'Running' || st.startedAt === mine.startedAt)) {
    state = clone(mine);
    storedPhase = 'Running';
  } else if (st && st.phase === 'Running') state = clone(st);
  else {
    state = { operation: clone(op), phase: 'Running', message: '', startedAt: nowISO() };
    const auto = !!op.initiatedBy?.automated;
    if (!auto) {
      const who = op.initiatedBy?.username || 'Unknown user';
      sh.events.event(app, 'Normal', 'OperationStarted', `${who} initiated sync to ${opRevision(app, state)}`);
      const c = sh.clusters.resolve(app.spec.destination ?? {});
      const v = syncWindowVerdict(sh.project(app)?.spec?.syncWindows, { name: app.metadata!.name!, namespace: app.spec.destination?.namespace ?? '', server: 'server' in c ? c.server : '', clusterName: 'name' in c ? c.name : undefined });
      if (!v.manual) {
        await complete(sh, app, { ...state, phase: 'Failed', message: `Cannot sync: ${v.message}`, finishedAt: nowISO() }, key);
        return;
      }
    }
  }
  if (m?.retryAt && Date.now() < m.retryAt) return { requeueAfter: m.retryAt - Date.now() };

  const fail = async (message: string): Promise<ReconcileResult> => {
    state.phase = 'Failed';
    state.message = message;
    state.finishedAt = nowISO();
    return finishOrRetry(sh, app, state, key);
  };
  const project = sh.project(app);
  const { cluster, conditions } = validateApp(sh, app, project);
  if (conditions.length || !cluster) return fail(conditions.map((c) => c.message).join('; ') || 'no destination cluster');
  const cache = await readyCache(sh, cluster);
  if (typeof cache === 'string') return fail(`ComparisonError: ${cache}`);
  const sync = state.operation.sync ?? {};
  const { sources, multi } = appSources(app, sync);
  let rendered;
  try {
    const revs = sync.revisions?.length ? sync.revisions : sync.revision ? [sync.revision] : undefined;
    rendered = await renderSources(sh, app, sources, revs, false, false);
  } catch (e) {
    return fail(`ComparisonError: Failed to load target state: ${(e as Error).message}`);
  }
  const compared = await compareWith(sh, app, project, cache, cluster, rendered.targets);
  const invalid = compared.conditions.find((c) => c.type === 'InvalidSpecError');
  if (invalid) return fail(invalid.message);
  state.syncResult ??= { revision: rendered.revision, resources: [] };
  if (multi) {
    state.syncResult.revisions = rendered.revisions;
    state.syncResult.sources = sources;
  } else state.syncResult.source = sources[0];
  if (app.spec.syncPolicy?.managedNamespaceMetadata) state.syncResult.managedNamespaceMetadata = app.spec.syncPolicy.managedNamespaceMetadata;
  const out = await runStep({
    app,
    state,
    compared,
    revision: rendered.revision,
    cache,
    client: cache.client,
    tracking: sh.tracking(),
    controllerNamespace: sh.opts.namespace,
    memory: opMemory(sh, key, state).results,
    applied: opMemory(sh, key, state).applied,
    settings: sh.settings(),
    parallelism: sh.opts.kubectlParallelism ?? 20,
    onKubectl: (cmd, ok) => sh.metrics.kubectl(cluster.server, cmd, ok),
    log: sh.log,
  });
  state = out.state;
  if (!out.done) {
    await writeApp(sh, app, { status: { operationState: state }, expectPhase: storedPhase });
    memoOf(sh, key).lastOp = state;
    return { requeueAfter: out.requeueMs ?? 1000 };
  }
  return finishOrRetry(sh, app, state, key);
}

async function finishOrRetry(sh: Shared, app: Application, state: OperationState, key: string): Promise<ReconcileResult> {
  const retry = state.operation.retry;
  const attempts = state.retryCount ?? 0;
  const limit = retry?.limit ?? 0;
  if (state.phase === 'Failed' && retry && (limit < 0 || attempts < limit)) {
    const n = attempts + 1;
    const delay = retryDelayMs(retry, n, goDurationMs);
    const at = new Date(Date.now() + delay).toISOString().replace(/\.\d+Z$/, 'Z');
    const next: OperationState = { ...state, phase: 'Running', retryCount: n, message: `Retrying attempt #${n} at ${at.slice(11, 16)}. Reason: ${state.message}`, syncResult: state.syncResult ? { ...state.syncResult, resources: [] } : undefined };
    delete next.finishedAt;
    await writeApp(sh, app, { status: { operationState: next } });
    const m = memoOf(sh, key);
    m.lastOp = next;
    m.retryAt = Date.now() + delay;
    return { requeueAfter: delay };
  }
  await complete(sh, app, state, key);
  return;
}
