/**
 * One reconcile of a Rollout, pure: the objects in, the plan out (ReplicaSets to create/scale/
 * annotate/delete, Service selectors, AnalysisRuns, the status with phase, message and conditions
 * as upstream reports them, when to look again).
 */
import { planBlueGreen } from './bluegreen/plan.js';
import { planCanary } from './canary/plan.js';
import { emitScales, emptyPlan, makeCtx, planRestart, podTemplateHash, pruneHistory, removeCondition, replicaCounts, setCondition, validate, type Ctx, type Plan, type PlanInput } from './common.js';
import type { Condition, RolloutStatus } from './types.js';
import { ephemeralChanges } from './metadata.js';

export function planRollout(inp: PlanInput): Plan {
  const ro = inp.rollout;
  const nowIso = inp.now.toISOString().replace(/\.\d+Z$/, 'Z');
  const invalid = validate(ro, inp.services);
  if (invalid) {
    const status: RolloutStatus = JSON.parse(JSON.stringify(ro.status ?? {}));
    let conds = status.conditions ?? [];
    conds = setCondition(conds, { type: 'InvalidSpec', status: 'True', reason: 'InvalidSpec', message: invalid }, nowIso);
    const plan = emptyPlan(safeHash(inp), { ...status, conditions: conds, phase: 'Degraded', message: `InvalidSpec: ${invalid}`, observedGeneration: String(ro.metadata.generation ?? 0) });
    plan.events.push({ type: 'Warning', reason: 'InvalidSpec', message: invalid });
    return plan;
  }
  const c = makeCtx(inp);
  const prevIndex = ro.status?.currentStepIndex;
  if (ro.spec.strategy?.canary) planCanary(c);
  else planBlueGreen(c);
  emitScales(c);
  if (ro.spec.paused && !c.plan.status.abort && c.stableHash && c.stableHash !== c.newHash) {
    // kubectl argo rollouts pause (spec.paused): the update holds where it is
    c.plan.scale = [];
    c.plan.services = [];
    delete c.plan.traffic;
    const old = ro.status ?? {};
    if (!c.newRevision) {
      c.plan.status.currentStepIndex = old.currentStepIndex;
      c.plan.status.pauseConditions = old.pauseConditions;
      c.plan.status.controllerPause = old.controllerPause;
    }
    if (c.plan.create) c.plan.create.replicas = 0;
  }
  pruneHistory(c);
  if (!c.plan.create && !c.plan.scale.length) planRestart(c);
  finish(c, prevIndex);
  c.plan.ephemeral = ephemeralChanges(ro, c.plan.status, c.all.filter((r) => !c.plan.deleteRS.includes(r.name)));
  return c.plan;
}

function safeHash(inp: PlanInput): string {
  try {
    return podTemplateHash(inp.rollout);
  } catch {
    return '';
  }
}

/** Whether the rollout is fully on the current template (the state upstream calls Healthy). */
function complete(c: Ctx): boolean {
  const st = c.plan.status;
  if (st.stableRS !== c.newHash) return false;
  const counts = replicaCounts(c);
  if (c.newRS.replicas !== c.R || c.newRS.available < c.R) return false;
  if (c.ro.spec.strategy?.blueGreen) return st.blueGreen?.activeSelector === c.newHash;
  return (counts.replicas ?? 0) <= c.R;
}

function finish(c: Ctx, prevIndex: number | undefined): void {
  const st = c.plan.status;
  const ro = c.ro;
  const now = c.nowIso;
  Object.assign(st, replicaCounts(c));
  st.observedGeneration = String(ro.metadata.generation ?? 0);
  st.currentPodHash = c.newHash;
  if (ro.spec.strategy?.canary) {
    const steps = ro.spec.strategy.canary.steps ?? [];
    st.currentStepHash = c.newHash && steps.length ? String(hashSteps(steps)) : undefined;
    if (!steps.length) delete st.currentStepIndex;
  }
  let conds: Condition[] = removeCondition(st.conditions ?? [], 'InvalidSpec');
  const progressed = !!c.plan.create || c.plan.scale.length > 0 || prevIndex !== st.currentStepIndex || (ro.status?.availableReplicas ?? -1) !== st.availableReplicas || (ro.status?.updatedReplicas ?? -1) !== st.updatedReplicas;
  const paused = !!ro.spec.paused || (st.pauseConditions?.length ?? 0) > 0;
  const done = complete(c);
  const rev = c.newRS.revision;
  const newName = c.newRS.name;

  let phase: RolloutStatus['phase'];
  let message: string | undefined;
  if (st.abort) {
    phase = 'Degraded';
    const failed = c.runs.find((r) => r.metadata.name?.startsWith(`${ro.metadata.name}-${c.newHash}-`) && ['Failed', 'Error'].includes(r.status?.phase ?? ''));
    const why = `Rollout aborted update to revision ${rev}${failed?.status?.message ? `: ${failed.status.message}` : ''}`;
    message = `RolloutAborted: ${why}`;
    conds = setCondition(conds, { type: 'Progressing', status: 'False', reason: 'RolloutAborted', message: why }, now);
  } else if (done) {
    phase = 'Healthy';
    conds = setCondition(conds, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `Rollout "${ro.metadata.name}" has successfully progressed.` }, now);
  } else if (paused) {
    phase = 'Paused';
    message = ro.spec.paused && !st.pauseConditions?.length ? 'manually paused' : st.pauseConditions![0].reason;
    conds = setCondition(conds, { type: 'Progressing', status: 'Unknown', reason: 'RolloutPaused', message: 'Rollout is paused' }, now);
  } else {
    phase = 'Progressing';
    const deadline = (ro.spec.progressDeadlineSeconds ?? 600) * 1000;
    const prog = conds.find((x) => x.type === 'Progressing');
    const since = prog && prog.reason === 'ReplicaSetUpdated' && !progressed ? Date.parse(prog.lastUpdateTime ?? now) : undefined;
    if (prog?.reason === 'ProgressDeadlineExceeded' && !progressed) {
      phase = 'Degraded';
      message = `ProgressDeadlineExceeded: ${prog.message}`;
    } else if (since !== undefined && c.now.getTime() - since > deadline) {
      const m = `ReplicaSet "${newName}" has timed out progressing.`;
      conds = setCondition(conds, { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: m }, now);
      phase = 'Degraded';
      message = `ProgressDeadlineExceeded: ${m}`;
      if (ro.spec.progressDeadlineAbort) st.abort = true;
    } else {
      conds = setCondition(conds, { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${newName}" is progressing.` }, now, progressed);
      if (since !== undefined) {
        const left = since + deadline - c.now.getTime() + 1000;
        c.plan.requeueAfterMs = Math.min(c.plan.requeueAfterMs ?? left, left);
      }
      message = progressingMessage(c, st);
    }
  }
  const avail = (st.availableReplicas ?? 0) >= c.R;
  conds = setCondition(conds, avail ? { type: 'Available', status: 'True', reason: 'AvailableReason', message: 'Rollout has minimum availability' } : { type: 'Available', status: 'False', reason: 'AvailableReason', message: 'Rollout does not have minimum availability' }, now);
  conds = paused && !st.abort ? setCondition(conds, { type: 'Paused', status: 'True', reason: 'RolloutPaused', message: 'Rollout is paused' }, now) : removeCondition(conds, 'Paused');
  conds = setCondition(conds, phase === 'Healthy' ? { type: 'Healthy', status: 'True', reason: 'RolloutHealthy', message: 'Rollout is healthy' } : { type: 'Healthy', status: 'False', reason: 'RolloutHealthy', message: 'Rollout is not healthy' }, now);
  conds = setCondition(conds, phase === 'Healthy' ? { type: 'Completed', status: 'True', reason: 'RolloutCompleted', message: 'Rollout completed update to revision ' + rev + ` (${c.newHash}): Completed` } : { type: 'Completed', status: 'False', reason: 'RolloutCompleted', message: 'Rollout not completed, started update to revision ' + rev + ` (${c.newHash})` }, now);
  st.conditions = conds;
  st.phase = phase;
  if (message) st.message = message;
  else delete st.message;
  if (!st.pauseConditions?.length) delete st.pauseConditions;
  if (!st.controllerPause) delete st.controllerPause;
  if (!st.abort) {
    delete st.abort;
    delete st.abortedAt;
  }
  if (!st.promoteFull) delete st.promoteFull;
}

function progressingMessage(c: Ctx, st: RolloutStatus): string {
  if (st.stableRS !== c.newHash && c.ro.spec.strategy?.canary) return 'more replicas need to be updated';
  if (c.ro.spec.strategy?.blueGreen && st.blueGreen?.activeSelector !== c.newHash) return 'active service cutover pending';
  if ((st.updatedReplicas ?? 0) < c.R) return 'more replicas need to be updated';
  if ((st.availableReplicas ?? 0) < (st.updatedReplicas ?? 0)) return 'updated replicas are still becoming available';
  if ((st.replicas ?? 0) > (st.updatedReplicas ?? 0)) return 'old replicas are pending termination';
  return 'waiting for rollout to finish steps';
}

function hashSteps(steps: unknown): number {
  const s = JSON.stringify(steps);
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
