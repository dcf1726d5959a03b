// podGC with `deleteDelayDuration` (pure): which of a workflow's finished pods its strategy deletes, once `delay` has
// passed since each pod ended — worked out from the pods themselves at every pass (and after the workflow finished),
// so a controller restart loses no pending deletion. Without a delay, operate() names the pods to delete at once.
import { parseDuration } from './operator/vars.js';

type Obj = Record<string, any>;
export interface PodGC { strategy?: string; labelSelector?: { matchLabels?: Record<string, string> }; deleteDelayDuration?: string }

/** The podGC of a workflow that delays its deletions (its own spec, else its WorkflowTemplate's), with the delay in s. */
export function delayedPodGC(wf: Obj): { gc: PodGC; delay: number } | undefined {
  const gc = (wf.spec?.podGC ?? wf.status?.storedWorkflowTemplateSpec?.podGC) as PodGC | undefined;
  const delay = parseDuration(gc?.deleteDelayDuration);
  return gc?.strategy && delay !== undefined && delay > 0 ? { gc, delay } : undefined;
}

const endOf = (pod: Obj): number | undefined => {
  const ends = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])]
    .map((s: Obj) => Date.parse(s.state?.terminated?.finishedAt ?? ''))
    .filter((x: number) => !Number.isNaN(x));
  return ends.length ? Math.max(...ends) : undefined;
};

/**
 * The pods to delete now (names), and in how many ms the next one is due. `phase` is the workflow's (after this pass).
 */
export function podGCDue(gc: PodGC, delay: number, phase: string, pods: Obj[], nowMs: number): { due: string[]; nextMs?: number } {
  const done = ['Succeeded', 'Failed', 'Error'].includes(phase);
  const wants = (p: Obj): boolean => {
    const ph = p.status?.phase;
    if (ph !== 'Succeeded' && ph !== 'Failed') return false;
    switch (gc.strategy) {
      case 'OnPodCompletion': return true;
      case 'OnPodSuccess': return ph === 'Succeeded';
      case 'OnWorkflowCompletion': return done;
      case 'OnWorkflowSuccess': return phase === 'Succeeded';
      default: return false;
    }
  };
  const sel = gc.labelSelector?.matchLabels;
  const due: string[] = [];
  let nextMs: number | undefined;
  for (const p of pods) {
    if (p.metadata?.deletionTimestamp || !wants(p)) continue;
    if (sel && !Object.entries(sel).every(([k, v]) => p.metadata?.labels?.[k] === v)) continue;
    const at = (endOf(p) ?? nowMs) + delay * 1000;
    if (at <= nowMs) due.push(p.metadata.name);
    else nextMs = Math.min(nextMs ?? Infinity, at - nowMs);
  }
  return nextMs === undefined ? { due } : { due, nextMs };
}
