/**
 * Glue between the engine's pure planner (`planSync` / `nextStep`) and the record Argo CD keeps in
 * `status.operationState.syncResult.resources` (pure): hooks named per operation, plan task ids ↔
 * recorded results, so a restarted controller rebuilds the planner's results from the record.
 */
import type { KubeObject } from '@flotilla/apimachinery';
import type { ResourceResult } from '@flotilla/argocd-engine';
import { hookTypes, resourceKeyString, resourceSyncOptions, type SyncPlan, type SyncTask, type TaskResult } from '@flotilla/argocd-engine/sync';

export { hookTypes };

/** The sync options annotation of an object (list). */
export const optionsOf = (o: KubeObject | undefined) => resourceSyncOptions(o);

/** A short stable hash (hook names for generateName hooks: one name per operation). */
export function shortHash(s: string): string {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h.toString(36).padStart(7, '0').slice(0, 7);
}

/** Hooks with only `generateName` get a name of their own per operation (stable across restarts). */
export function nameHooks(hooks: KubeObject[], operationKey: string): KubeObject[] {
  return hooks.map((h) => (h.metadata?.name ? h : { ...h, metadata: { ...h.metadata, name: `${h.metadata?.generateName ?? 'hook-'}${shortHash(operationKey + '/' + resourceKeyString(h))}` } }));
}

const keyOf = (r: { group?: string; kind: string; namespace?: string; name: string }) => `${r.group ?? ''}/${r.kind}/${r.namespace ?? ''}/${r.name}`;

/** The record of a task's result, as Argo CD writes it. */
export function toResourceResult(t: SyncTask, r: TaskResult): ResourceResult {
  const out: ResourceResult = { group: t.group, version: t.version, kind: t.kind, namespace: t.namespace, name: t.name, syncPhase: t.phase as ResourceResult['syncPhase'] };
  if (r.status) out.status = r.status;
  if (r.message) out.message = r.message;
  if (t.hookType) out.hookType = t.hookType as ResourceResult['hookType'];
  if (r.hookPhase) out.hookPhase = r.hookPhase;
  return out;
}

/**
 * The planner's results from the record: each recorded resource result is matched to the plan
 * task of the same phase and resource (hooks to hook tasks, Pruned / PruneSkipped to prunes, the
 * rest to apply / replace / create). Results kept in memory for tasks the record does not hold
 * (hook deletions) are added; a BeforeHookCreation deletion counts as done once its hook ran.
 */
export function resultsFromRecord(plan: SyncPlan, recorded: ResourceResult[], memory: Map<string, TaskResult>): Map<string, TaskResult> {
  const out = new Map<string, TaskResult>(memory);
  const all = [...plan.steps.flatMap((s) => s.tasks), ...plan.syncFailSteps.flatMap((s) => s.tasks)];
  const byKey = new Map<string, SyncTask[]>();
  for (const t of all) {
    const k = `${t.phase}|${keyOf(t)}`;
    const l = byKey.get(k);
    if (l) l.push(t);
    else byKey.set(k, [t]);
  }
  for (const r of recorded) {
    const cands = byKey.get(`${r.syncPhase ?? 'Sync'}|${keyOf(r)}`) ?? [];
    const isPrune = r.status === 'Pruned' || r.status === 'PruneSkipped' || /\bpruned\b/.test(r.message ?? '');
    const t = r.hookType
      ? cands.find((c) => c.action === 'hook')
      : isPrune
        ? cands.find((c) => c.action === 'prune')
        : cands.find((c) => c.action === 'apply' || c.action === 'replace' || c.action === 'create');
    if (t) out.set(t.id, { status: r.status, message: r.message, hookPhase: r.hookPhase });
  }
  for (const t of all) {
    if (t.action !== 'delete-hook' || out.has(t.id)) continue;
    const hook = all.find((h) => h.action === 'hook' && h.phase === t.phase && keyOf(h) === keyOf(t));
    if (hook && out.has(hook.id)) out.set(t.id, { status: 'Synced', message: 'deleted before hook creation' });
  }
  return out;
}

/** Upserts a result into the record (by phase, resource and hook-ness). */
export function recordResult(list: ResourceResult[], res: ResourceResult): void {
  const i = list.findIndex((r) => r.syncPhase === res.syncPhase && keyOf(r) === keyOf(res) && !!r.hookType === !!res.hookType && (r.status === 'Pruned' || r.status === 'PruneSkipped') === (res.status === 'Pruned' || res.status === 'PruneSkipped'));
  if (i >= 0) list[i] = res;
  else list.push(res);
}
