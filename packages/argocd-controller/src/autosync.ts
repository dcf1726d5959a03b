/**
 * Automated sync decisions (pure), as Argo CD documents them: sync when OutOfSync at a revision not
 * yet attempted; a failed attempt at a revision is not repeated for the same revision (a new
 * commit, a refresh of a changed spec or a manual sync moves on); `selfHeal` re-syncs drift at an
 * already-synced revision after `selfHealTimeout`; `prune` decides whether extraneous resources
 * are deleted; `allowEmpty` guards against syncing an app down to nothing.
 */
import type { Application, Operation, SyncOperation } from '@flotilla/argocd-engine';

export interface AutoSyncInput {
  app: Application;
  syncStatus: 'Synced' | 'OutOfSync' | 'Unknown';
  /** the revision(s) compared (resolved SHA) */
  revision: string;
  /** desired resources (not hooks) count */
  targetCount: number;
  /** out-of-sync resources that only need pruning / others */
  outOfSyncNonPrune: number;
  now: number;
  selfHealTimeoutMs: number;
  /** sync windows allow automated syncs */
  windowAllows: boolean;
  windowMessage?: string;
}

export interface AutoSyncDecision {
  operation?: Operation;
  /** why no sync was started (logged, shown as a condition when it is an error) */
  skip?: string;
  condition?: { type: string; message: string };
  /** ask again after this long (self-heal back-off) */
  retryAfterMs?: number;
}

export function automatedPolicy(app: Application): NonNullable<NonNullable<Application['spec']['syncPolicy']>['automated']> | undefined {
  const a = app.spec.syncPolicy?.automated;
  if (!a || a.enabled === false) return undefined;
  return a;
}

export function autoSyncDecision(i: AutoSyncInput): AutoSyncDecision {
  const { app } = i;
  const auto = automatedPolicy(app);
  if (!auto) return { skip: 'automated sync is not enabled' };
  if (app.operation) return { skip: 'an operation is in progress' };
  if (app.metadata?.deletionTimestamp) return { skip: 'the application is being deleted' };
  if (i.syncStatus !== 'OutOfSync') return { skip: `sync status is ${i.syncStatus}` };
  if (!i.windowAllows) return { skip: i.windowMessage ?? 'blocked by sync window' };
  if (!auto.prune && i.outOfSyncNonPrune === 0) return { skip: 'only resources that require pruning are out of sync and automated prune is off' };
  if (!auto.allowEmpty && i.targetCount === 0) {
    return { skip: 'no resources would remain', condition: { type: 'SyncError', message: 'Skipping sync attempt to ' + i.revision + ': auto-sync will wipe out all resources' } };
  }
  const st = app.status?.operationState;
  const sameRevision = !!st?.syncResult && (st.syncResult.revision === i.revision || (st.syncResult.revisions ?? []).join(',') === i.revision) && sameSource(app, st.syncResult.source, st.syncResult.sources);
  if (st && sameRevision && st.operation?.initiatedBy?.automated !== false) {
    if (st.phase === 'Failed' || st.phase === 'Error') {
      if (st.operation?.sync?.revision === i.revision || st.syncResult?.revision === i.revision) return { skip: `Skipping re-attempt of failed sync to revision ${i.revision}` };
    }
    if (st.phase === 'Succeeded' || st.phase === 'Failed' || st.phase === 'Error') {
      if (!auto.selfHeal) return { skip: `already attempted sync to ${i.revision} (selfHeal off)` };
      const finished = st.finishedAt ? Date.parse(st.finishedAt) : 0;
      const wait = finished + i.selfHealTimeoutMs - i.now;
      if (wait > 0) return { skip: `self heal back-off (${Math.ceil(wait / 1000)} s)`, retryAfterMs: wait };
    }
  }
  const sync: SyncOperation = { revision: i.revision, prune: !!auto.prune };
  const opts = app.spec.syncPolicy?.syncOptions;
  if (opts?.length) sync.syncOptions = [...opts];
  const op: Operation = { sync, initiatedBy: { automated: true } };
  if (app.spec.syncPolicy?.retry) op.retry = app.spec.syncPolicy.retry;
  return { operation: op };
}

function sameSource(app: Application, src: unknown, srcs: unknown): boolean {
  if (!src && !srcs) return true;
  const norm = (x: unknown) => JSON.stringify(x ?? null);
  if (app.spec.sources?.length) return norm(srcs) === norm(app.spec.sources);
  return norm(src) === norm(app.spec.source);
}

/** Retry back-off of `syncPolicy.retry` (duration 5s, factor 2, maxDuration 3m by default). */
export function retryDelayMs(retry: NonNullable<Operation['retry']>, attempt: number, parse: (s: string) => number | undefined): number {
  const base = parse(retry.backoff?.duration ?? '5s') ?? 5000;
  const factor = retry.backoff?.factor ?? 2;
  const max = parse(retry.backoff?.maxDuration ?? '3m') ?? 180_000;
  return Math.min(max, base * Math.pow(factor, Math.max(0, attempt - 1)));
}
