/**
 * What each action patches (pure): the same merge patches upstream's plugin sends, on the
 * rollout's spec or on its status subresource.
 */
import { currentStep, HASH_LABEL, type Obj } from './info.js';

export interface Patches {
  /** merge patch of spec (sent as {spec: …}) */
  spec?: Record<string, unknown>;
  /** merge patch of status, sent to the status subresource as {status: …} */
  status?: Record<string, unknown>;
}

/**
 * `promote`: clear the pause conditions (and spec.paused); with no pause condition on a canary, go
 * to the next step. `--full`: status.promoteFull (when an update is in progress). `--skip-current-step`:
 * next step; `--skip-all-steps`: past the last step.
 */
export function promotePatches(ro: Obj, o: { full?: boolean; skipCurrentStep?: boolean; skipAllSteps?: boolean } = {}): Patches {
  const st = ro.status ?? {};
  const steps: unknown[] = ro.spec?.strategy?.canary?.steps ?? [];
  const out: Patches = {};
  if (o.skipCurrentStep) {
    const { index } = currentStep(ro);
    if (index !== undefined) out.status = { pauseConditions: null, currentStepIndex: Math.min(index + 1, steps.length) };
    return out;
  }
  if (o.skipAllSteps) {
    out.status = { currentStepIndex: steps.length };
    return out;
  }
  if (o.full) {
    if (st.currentPodHash !== st.stableRS) out.status = { promoteFull: true };
    return out;
  }
  if (ro.spec?.paused) out.spec = { paused: false };
  const paused = Array.isArray(st.pauseConditions) && st.pauseConditions.length > 0;
  if (paused && st.controllerPause && (st.pauseConditions as any[]).some((c) => c?.reason === 'InconclusiveAnalysisRun')) {
    const { index } = currentStep(ro);
    out.status = { pauseConditions: null, controllerPause: false, currentStepIndex: Math.min((index ?? 0) + 1, steps.length) };
  } else if (paused) out.status = { pauseConditions: null };
  else if (ro.spec?.strategy?.canary) {
    const { index } = currentStep(ro);
    if (index !== undefined) out.status = { currentStepIndex: Math.min(index + 1, steps.length) };
  }
  return out;
}

export const abortPatch = { status: { abort: true } } as const;
export const retryRolloutPatch = { status: { abort: false } } as const;
export const retryExperimentPatch = { status: null } as const;
export const pausePatch = { spec: { paused: true } } as const;
export const terminateAnalysisRunPatch = { spec: { terminate: true } } as const;
export const terminateExperimentPatch = { spec: { terminate: true } } as const;

export function restartPatch(at: Date): Record<string, unknown> {
  return { spec: { restartAt: at.toISOString().replace(/\.\d{3}Z$/, 'Z') } };
}

/**
 * `set image CONTAINER=IMAGE` (`*` for every container): the rollout with the image replaced in its
 * pod template (containers, initContainers, ephemeralContainers). Throws when no container has that name.
 */
export function setImage(ro: Obj, container: string, image: string): Obj {
  const copy: Obj = JSON.parse(JSON.stringify(ro));
  const spec = copy.spec?.template?.spec;
  if (!spec) throw new Error(copy.spec?.workloadRef ? `rollout ${ro.metadata.name} uses workloadRef: set the image on ${copy.spec.workloadRef.kind} ${copy.spec.workloadRef.name}` : `unable to find container named "${container}"`);
  let found = false;
  for (const key of ['containers', 'initContainers', 'ephemeralContainers']) {
    for (const c of (spec[key] ?? []) as { name: string; image: string }[]) {
      if (container === '*' || c.name === container) {
        c.image = image;
        found = true;
      }
    }
  }
  if (!found) throw new Error(`unable to find container named "${container}"`);
  return copy;
}

/** `undo [--to-revision N]`: the pod template of that revision's ReplicaSet (the previous one by default). */
export function undoTemplate(ro: Obj, replicaSets: Obj[], toRevision = 0): { template: any; revision: number } {
  const rev = (o: Obj) => parseInt(o.metadata.annotations?.['rollout.argoproj.io/revision'] ?? '0', 10) || 0;
  const owned = replicaSets.filter((rs) => (rs.metadata.ownerReferences ?? []).some((r) => r.uid === ro.metadata.uid)).sort((a, b) => rev(b) - rev(a));
  let target: Obj | undefined;
  if (toRevision > 0) {
    target = owned.find((rs) => rev(rs) === toRevision);
    if (!target) throw new Error(`unable to find specified revision ${toRevision} in history`);
  } else {
    target = owned[1];
    if (!target) throw new Error('no rollout history found');
  }
  const template = JSON.parse(JSON.stringify(target.spec?.template ?? {}));
  if (template.metadata?.labels) delete template.metadata.labels[HASH_LABEL];
  return { template, revision: rev(target) };
}
