/**
 * nextStep: given a plan and the results so far, what the controller does next — run a step's
 * tasks, wait (hooks running, a wave not yet healthy), clean up finished hooks, or finish
 * (succeeded, or failed after running the SyncFail hooks). Pure and restartable: results are keyed
 * by task id, so after a controller restart the same call resumes where the operation was.
 */
import type { SyncPlan, SyncTask, TaskResult, NextStep } from './types.js';

export const MESSAGES = {
  succeeded: 'successfully synced (all tasks run)',
  failed: 'one or more synchronization tasks completed unsuccessfully',
  dryRun: 'successfully synced (dry run)',
} as const;

/** The id under which the result of deleting a finished hook is recorded. */
export const cleanupId = (t: SyncTask) => `${t.id}/cleanup`;

function label(t: SyncTask): string {
  return `${t.group ? t.group + '/' : ''}${t.kind}/${t.name}`;
}

function failedTask(t: SyncTask, r: TaskResult | undefined): boolean {
  if (!r) return false;
  if (r.status === 'SyncFailed') return true;
  return t.action === 'hook' && (r.hookPhase === 'Failed' || r.hookPhase === 'Error');
}

function cleanupsDue(tasks: SyncTask[], get: (id: string) => TaskResult | undefined): SyncTask[] {
  const out: SyncTask[] = [];
  for (const t of tasks) {
    if (t.action !== 'hook' || t.dryRun) continue;
    const r = get(t.id);
    if (!r || get(cleanupId(t))) continue;
    const ok = r.hookPhase === 'Succeeded' && t.hookDeletePolicies.includes('HookSucceeded');
    const bad = (r.hookPhase === 'Failed' || r.hookPhase === 'Error') && t.hookDeletePolicies.includes('HookFailed');
    if (ok || bad) out.push({ ...t, id: cleanupId(t), action: 'delete-hook', live: t.target });
  }
  return out;
}

/** What is left to do in a step: run tasks without results, wait for running hooks / unhealthy resources, or nothing. */
function stepState(tasks: SyncTask[], get: (id: string) => TaskResult | undefined): NextStep | undefined {
  const pending = tasks.filter((t) => !get(t.id));
  if (pending.length > 0) return { type: 'run', phase: pending[0].phase, wave: pending[0].wave, tasks: pending };
  const running = tasks.filter((t) => t.action === 'hook' && !t.dryRun && !['Succeeded', 'Failed', 'Error'].includes(get(t.id)?.hookPhase ?? ''));
  if (running.length > 0) return { type: 'wait', message: `waiting for completion of hook ${label(running[0])}${running.length > 1 ? ` and ${running.length - 1} more hook(s)` : ''}`, waitingFor: running.map((t) => t.id) };
  const unhealthy = tasks.filter((t) => (t.action === 'apply' || t.action === 'replace' || t.action === 'create') && !t.dryRun && (() => {
    const h = get(t.id)?.health;
    // Suspended (a paused Rollout, a suspended CronJob) does not hold the next wave back
    return h !== undefined && h !== 'Healthy' && h !== 'Suspended';
  })());
  if (unhealthy.length > 0) return { type: 'wait', message: `waiting for healthy state of ${label(unhealthy[0])}${unhealthy.length > 1 ? ` and ${unhealthy.length - 1} more resource(s)` : ''}`, waitingFor: unhealthy.map((t) => t.id) };
  return undefined;
}

export function nextStep(plan: SyncPlan, results: Map<string, TaskResult> | Record<string, TaskResult>): NextStep {
  const get = (id: string): TaskResult | undefined => (results instanceof Map ? results.get(id) : Object.prototype.hasOwnProperty.call(results, id) ? results[id] : undefined);
  const all = plan.steps.flatMap((s) => s.tasks);
  // tasks refused while planning (FailOnSharedResource) fail the operation before anything runs
  const refused = plan.tasks.filter((t) => t.skipReason && t.resultCode === 'SyncFailed');
  const failed = [...refused, ...all.filter((t) => failedTask(t, get(t.id)))];
  if (failed.length > 0) {
    // let the rest of the failing step settle? No: Argo stops at the first failed wave and runs SyncFail hooks
    for (const step of plan.syncFailSteps) {
      const s = stepState(step.tasks, get);
      if (s) return s.type === 'run' ? { ...s, syncFail: true } : s;
    }
    const cleanup = cleanupsDue([...all, ...plan.syncFailSteps.flatMap((s) => s.tasks)], get);
    if (cleanup.length > 0) return { type: 'cleanup', tasks: cleanup };
    const reason = failed.map((t) => (t.skipReason && t.resultCode === 'SyncFailed' ? t.skipReason : get(t.id)?.message)).find((m) => !!m);
    return { type: 'failed', message: reason ? `${MESSAGES.failed}, reason: ${reason}` : MESSAGES.failed };
  }
  for (const step of plan.steps) {
    const s = stepState(step.tasks, get);
    if (s) return s;
    const cleanup = cleanupsDue(step.tasks, get);
    if (cleanup.length > 0) return { type: 'cleanup', tasks: cleanup };
  }
  return { type: 'done', message: plan.dryRun ? MESSAGES.dryRun : MESSAGES.succeeded };
}
