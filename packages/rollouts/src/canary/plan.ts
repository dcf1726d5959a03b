/**
 * The canary strategy, pure: steps (setWeight, pause, setCanaryScale, analysis, experiment,
 * setHeaderRoute through the router; plugin steps pass), replica-based weights (20 % of 5 = 1 canary pod, the stable ReplicaSet
 * keeps the total) bounded by maxSurge/maxUnavailable, background analysis, abort, promote-full,
 * the rollback fast path and the stable/canary Service selectors.
 */
import { durationMs, requeue, requeueFromNow, resolveSurge, runName, runPhase, setScale, targetOf, type Ctx } from '../common.js';
import { abortScaleDown, scaleDownOthers } from '../bluegreen/plan.js';
import { headerRoutesAt } from './routes.js';
import { SCALE_DOWN_DEADLINE_ANNOTATION, type CanaryStep, type PauseCondition, type RSView } from '../types.js';

export interface Counts {
  canary: number;
  stable: number;
}

/** The weight (percent) and canary replica override in force at step index `idx`. */
export function weightAt(steps: CanaryStep[], idx: number): { weight: number; scale?: { replicas?: number; weight?: number; matchTrafficWeight?: boolean } } {
  if (idx >= steps.length) return { weight: 100 };
  let weight = 0;
  let scale: CanaryStep['setCanaryScale'];
  for (let i = 0; i <= idx && i < steps.length; i++) {
    if (steps[i].setWeight !== undefined) weight = steps[i].setWeight!;
    if (steps[i].setCanaryScale) scale = steps[i].setCanaryScale;
  }
  return { weight, scale: scale && !scale.matchTrafficWeight ? scale : undefined };
}

/** Desired canary and stable replica counts for a weight (no traffic router: the weight is in replicas). */
export function desiredCounts(R: number, weight: number, scale?: { replicas?: number; weight?: number }): Counts {
  const canaryByWeight = Math.max(0, Math.min(R, Math.ceil((R * weight) / 100 - 1e-9)));
  let canary = canaryByWeight;
  if (scale?.replicas !== undefined) canary = Math.max(0, scale.replicas);
  else if (scale?.weight !== undefined) canary = Math.max(0, Math.min(R, Math.ceil((R * scale.weight) / 100 - 1e-9)));
  return { canary, stable: R - canaryByWeight };
}

/**
 * The next ReplicaSet scales on the way to `want`, bounded by maxSurge (pods above R) and
 * maxUnavailable (available pods below R). Scaling up a ReplicaSet whose target is above its
 * current size happens at once within the surge; scaling down only as far as availability allows.
 */
export function stepScales(R: number, maxSurge: number, maxUnavailable: number, cur: { canary: RSView; stable?: RSView; others: RSView[] }, want: Counts): { canary: number; stable: number; others: number[] } {
  const stableNow = cur.stable?.replicas ?? 0;
  const othersNow = cur.others.map((o) => o.replicas);
  const othersSum = othersNow.reduce((a, b) => a + b, 0);
  const maxTotal = R + maxSurge;
  // scale up within the surge
  let canary = cur.canary.replicas;
  if (want.canary <= canary) canary = want.canary;
  else canary = Math.min(want.canary, Math.max(canary, maxTotal - stableNow - othersSum));
  let stable = stableNow;
  if (want.stable >= stable) stable = Math.min(want.stable, Math.max(stable, maxTotal - canary - othersSum));
  // scale down as far as availability allows
  const available = cur.canary.available + (cur.stable?.available ?? 0) + cur.others.reduce((a, o) => a + o.available, 0);
  let removable = Math.max(0, available - (R - maxUnavailable));
  const others = othersNow.map((n, i) => {
    // pods that are not available can go at any time
    const unavailable = Math.max(0, n - cur.others[i].available);
    const free = Math.min(n, unavailable + removable);
    removable -= Math.max(0, free - unavailable);
    return n - free;
  });
  if (want.stable < stable) {
    const unavailable = Math.max(0, stable - (cur.stable?.available ?? 0));
    const free = Math.min(stable - want.stable, unavailable + removable);
    removable -= Math.max(0, free - unavailable);
    stable -= free;
  }
  return { canary, stable, others };
}

/** Whether the ReplicaSets are at the counts of a step, their pods available. */
export function atCounts(c: Ctx, want: Counts): boolean {
  const s = c.stableRS;
  const canaryOk = c.newRS.replicas === want.canary && c.newRS.available >= want.canary && (c.newExists || want.canary === 0);
  const stableOk = !s || (s.replicas === want.stable && s.current === want.stable && s.available >= want.stable);
  return canaryOk && stableOk && (routed(c) || c.others.every((o) => o.replicas === 0 && o.current === 0));
}

/** a traffic router carries the weights (the stable ReplicaSet stays at full size) */
export const routed = (c: Ctx) => !!c.ro.spec.strategy?.canary?.trafficRouting?.nginx;

function pauseCond(c: Ctx, reason: string): PauseCondition | undefined {
  return (c.plan.status.pauseConditions ?? []).find((p) => p.reason === reason);
}

function addPause(c: Ctx, reason: string): void {
  const st = c.plan.status;
  if (!pauseCond(c, reason)) st.pauseConditions = [...(st.pauseConditions ?? []), { reason, startTime: c.nowIso }];
  st.controllerPause = true;
}

function clearPause(c: Ctx): void {
  const st = c.plan.status;
  st.pauseConditions = [];
  st.controllerPause = false;
}

export function planCanary(c: Ctx): void {
  const cs = c.ro.spec.strategy!.canary!;
  const steps = cs.steps ?? [];
  const n = steps.length;
  const st = c.plan.status;
  const { maxSurge, maxUnavailable } = resolveSurge(c.ro, c.R);
  // the controller paused and the pause conditions are gone: someone promoted
  const lifted = !!st.controllerPause && !st.pauseConditions?.length && !c.newRevision;

  if (c.newRevision) {
    st.currentPodHash = c.newHash;
    st.currentStepIndex = n ? 0 : undefined;
    st.abort = false;
    delete st.abortedAt;
    st.promoteFull = false;
    clearPause(c);
    st.canary = {};
  }
  if (st.currentStepIndex === undefined && n) st.currentStepIndex = 0;

  // first deploy, or back to the stable template (rollback): straight to full scale, steps skipped
  if (!c.stableHash || c.stableHash === c.newHash) {
    st.stableRS = c.newHash;
    c.stableHash = c.newHash;
    c.stableRS = c.newRS;
    if (n) st.currentStepIndex = n;
    st.abort = false;
    delete st.abortedAt;
    st.promoteFull = false;
    clearPause(c);
    setScale(c, c.newRS, c.R);
    // with a router the previous stable set keeps serving until its scale-down deadline
    if (routed(c)) scaleDownOthers(c, cs.scaleDownDelaySeconds ?? 30, cs.scaleDownDelayRevisionLimit, true);
    else for (const o of c.others) setScale(c, o, 0);
    terminateAll(c);
    services(c);
    weights(c, 100);
    return;
  }

  if (st.abort) {
    st.abortedAt ??= c.nowIso;
    st.currentStepIndex = n ? 0 : undefined;
    clearPause(c);
    abortCounts(c, maxSurge, maxUnavailable);
    terminateAll(c);
    services(c);
    weights(c, 0);
    return;
  }

  let idx = Math.min(st.currentStepIndex ?? n, n);
  if (st.promoteFull) idx = n;
  const before = idx;
  // the analysis that runs in the background from its starting step
  if (cs.analysis?.templates?.length && idx >= (cs.analysis.startingStep ?? 0)) {
    const name = runName(c.ro, c.newHash, 'bg');
    c.plan.runs.push({ name, kind: 'background', analysis: cs.analysis, podHash: c.newHash, stableHash: c.stableHash });
    const r = runPhase(c, name);
    if (r.phase === 'Failed' || r.phase === 'Error') return abortNow(c, name, r.message, maxSurge, maxUnavailable);
    if (r.phase === 'Inconclusive' && !st.promoteFull && !lifted) addPause(c, 'InconclusiveAnalysisRun');
  }
  for (let guard = 0; idx < n && guard <= n; guard++) {
    const step = steps[idx];
    if (step.setWeight !== undefined || step.setCanaryScale) {
      const w = weightAt(steps, idx);
      if (!atCounts(c, want(c, w.weight, w.scale))) break;
      idx++;
      continue;
    }
    if (step.pause) {
      const cond = pauseCond(c, 'CanaryPauseStep');
      if (!cond && lifted && idx === before) {
        // the pause was lifted (promote): the step is done
        clearPause(c);
        idx++;
        continue;
      }
      if (!cond) {
        addPause(c, 'CanaryPauseStep');
        const d = durationMs(step.pause.duration);
        if (d !== undefined) requeueFromNow(c, d);
        break;
      }
      const d = durationMs(step.pause.duration);
      if (d !== undefined) {
        const left = Date.parse(cond.startTime) + d - c.now.getTime();
        if (left <= 0) {
          clearPause(c);
          idx++;
          continue;
        }
        requeue(c, left);
      }
      break;
    }
    if (step.analysis) {
      const name = runName(c.ro, c.newHash, String(idx));
      c.plan.runs.push({ name, kind: 'step', analysis: step.analysis, podHash: c.newHash, stableHash: c.stableHash });
      const r = runPhase(c, name);
      if (r.phase === 'Successful') {
        idx++;
        continue;
      }
      if (r.phase === 'Failed' || r.phase === 'Error') return abortNow(c, name, r.message, maxSurge, maxUnavailable);
      if (r.phase === 'Inconclusive') {
        if (!pauseCond(c, 'InconclusiveAnalysisRun') && lifted && idx === before) {
          clearPause(c);
          idx++;
          continue;
        }
        addPause(c, 'InconclusiveAnalysisRun');
      }
      st.canary = { ...st.canary, currentStepAnalysisRunStatus: { name, status: r.phase || 'Pending', message: r.message } };
      break;
    }
    if (step.experiment) {
      const name = runName(c.ro, c.newHash, String(idx));
      c.plan.experiments.push({ name, step: step.experiment as Record<string, any>, podHash: c.newHash, stableHash: c.stableHash });
      const ex = c.experiments.find((x) => x.metadata.name === name);
      const ph = ex?.status?.phase ?? '';
      if (ph === 'Successful') {
        idx++;
        continue;
      }
      if (ph === 'Failed' || ph === 'Error') return abortNow(c, name, ex?.status?.message ?? `experiment ${ph}`, maxSurge, maxUnavailable);
      if (ph === 'Inconclusive' && !lifted) addPause(c, 'InconclusiveExperiment');
      else if (ph === 'Inconclusive') {
        idx++;
        continue;
      }
      break;
    }
    // setHeaderRoute: in force from here on (headerRoutesAt below); setMirrorRoute is refused by
    // validation (no mesh router here); plugin steps: nothing to do
    idx++;
  }
  if (n) st.currentStepIndex = idx;
  if (idx !== before) c.plan.events.push({ type: 'Normal', reason: 'RolloutStepCompleted', message: `Rollout step ${before + 1}/${n} completed` });

  const w = weightAt(steps, idx);
  const wanted = idx >= n ? { canary: c.R, stable: routed(c) && !cs.dynamicStableScale ? c.R : 0 } : want(c, w.weight, w.scale);
  if (idx >= n && atCounts(c, wanted)) {
    // every step done and the canary fully available: it becomes the stable ReplicaSet
    const old = c.stableRS;
    st.stableRS = c.newHash;
    st.promoteFull = false;
    clearPause(c);
    c.stableHash = c.newHash;
    c.stableRS = c.newRS;
    if (old) c.others.push(old);
    setScale(c, c.newRS, c.R);
    if (routed(c)) scaleDownOthers(c, cs.scaleDownDelaySeconds ?? 30, cs.scaleDownDelayRevisionLimit);
    else for (const o of c.others) setScale(c, o, 0);
    terminateAll(c, 'bg');
    c.plan.events.push({ type: 'Normal', reason: 'RolloutCompleted', message: `Rollout completed update to revision ${c.newRS.revision} (${c.newHash})` });
    services(c);
    weights(c, 100);
    return;
  }
  applyCounts(c, wanted, maxSurge, maxUnavailable);
  services(c);
  weights(c, idx >= n ? 100 : w.weight);
  // the setHeaderRoute steps done so far (all managed routes go at promotion, abort and rollback)
  const headerRoutes = c.plan.traffic && idx < n ? headerRoutesAt(steps, idx, cs.trafficRouting?.managedRoutes) : [];
  if (headerRoutes.length) c.plan.traffic!.headerRoutes = headerRoutes;
}

function want(c: Ctx, weight: number, scale?: { replicas?: number; weight?: number }): Counts {
  return routedCounts(c.R, weight, scale, routed(c) ? c.ro.spec.strategy!.canary! : undefined);
}

/**
 * Desired counts at a weight. With a traffic router the stable ReplicaSet stays at full size,
 * unless `dynamicStableScale` (then it keeps the stable share, rounded up); `minPodsPerReplicaSet`
 * is the least a ReplicaSet that takes traffic runs (not for an explicit setCanaryScale).
 */
export function routedCounts(R: number, weight: number, scale: { replicas?: number; weight?: number } | undefined, router?: { dynamicStableScale?: boolean; minPodsPerReplicaSet?: number }): Counts {
  const d = desiredCounts(R, weight, scale);
  if (!router) return d;
  const min = router.minPodsPerReplicaSet ?? 0;
  const canary = weight > 0 && !scale ? Math.max(d.canary, min) : d.canary;
  if (!router.dynamicStableScale) return { canary, stable: R };
  const stable = Math.max(0, Math.min(R, Math.ceil((R * (100 - weight)) / 100 - 1e-9)));
  return { canary, stable: weight < 100 ? Math.max(stable, min) : stable };
}

function applyCounts(c: Ctx, want: Counts, maxSurge: number, maxUnavailable: number, immediate = false): void {
  if (immediate) {
    setScale(c, c.newRS, want.canary);
    if (c.stableRS) setScale(c, c.stableRS, want.stable);
    for (const o of c.others) setScale(c, o, 0);
    return;
  }
  if (routed(c)) {
    // the router moves the traffic: scale up at once, the previous stable goes after scaleDownDelaySeconds
    setScale(c, c.newRS, want.canary);
    // a retry after an abort: the canary's pending scale-down is off
    if (c.newRS.annotations[SCALE_DOWN_DEADLINE_ANNOTATION]) c.plan.annotate.push({ name: c.newRS.name, annotations: { [SCALE_DOWN_DEADLINE_ANNOTATION]: null } });
    if (c.stableRS) setScale(c, c.stableRS, want.stable);
    scaleDownOthers(c, c.ro.spec.strategy!.canary!.scaleDownDelaySeconds ?? 30, c.ro.spec.strategy!.canary!.scaleDownDelayRevisionLimit);
    return;
  }
  const next = stepScales(c.R, maxSurge, maxUnavailable, { canary: c.newRS, stable: c.stableRS, others: c.others }, want);
  setScale(c, c.newRS, next.canary);
  if (c.stableRS) setScale(c, c.stableRS, next.stable);
  c.others.forEach((o, i) => setScale(c, o, next.others[i]));
}

function abortNow(c: Ctx, run: string, message: string | undefined, maxSurge: number, maxUnavailable: number): void {
  const st = c.plan.status;
  st.abort = true;
  st.abortedAt = c.nowIso;
  st.currentStepIndex = (c.ro.spec.strategy!.canary!.steps ?? []).length ? 0 : undefined;
  clearPause(c);
  c.plan.events.push({ type: 'Warning', reason: 'RolloutAborted', message: `Rollout aborted update to revision ${c.newRS.revision}: analysis run ${run} ${message ?? 'failed'}` });
  abortCounts(c, maxSurge, maxUnavailable);
  terminateAll(c);
  services(c);
  weights(c, 0);
}

/**
 * Aborted: the stable ReplicaSet back to full size at once; the canary to 0 at once without a
 * router (the Service's endpoints are the weights), with a router after abortScaleDownDelaySeconds
 * (30; 0 leaves it running), as upstream.
 */
function abortCounts(c: Ctx, maxSurge: number, maxUnavailable: number): void {
  if (!routed(c)) return applyCounts(c, { canary: 0, stable: c.R }, maxSurge, maxUnavailable, true);
  if (c.stableRS) setScale(c, c.stableRS, c.R);
  if (c.newRS !== c.stableRS) abortScaleDown(c, c.newRS, c.ro.spec.strategy!.canary!.abortScaleDownDelaySeconds);
  for (const o of c.others) setScale(c, o, 0);
}

/** Running AnalysisRuns of this rollout end when it stops needing them (abort, promotion, rollback). */
function terminateAll(c: Ctx, onlySuffix?: string): void {
  if (!onlySuffix) {
    for (const x of c.experiments) {
      if (['Successful', 'Failed', 'Error', 'Inconclusive'].includes(x.status?.phase ?? '') || x.spec?.terminate) continue;
      c.plan.terminateExperiments.push(x.metadata.name!);
    }
    c.plan.experiments = [];
  }
  for (const r of c.runs) {
    const ph = r.status?.phase ?? '';
    if (['Successful', 'Failed', 'Error', 'Inconclusive'].includes(ph) || r.spec?.terminate) continue;
    if (onlySuffix && !r.metadata.name?.endsWith(`-${onlySuffix}`)) continue;
    c.plan.terminateRuns.push(r.metadata.name!);
  }
  c.plan.runs = c.plan.runs.filter((w) => !c.plan.terminateRuns.includes(w.name));
}

function services(c: Ctx): void {
  const cs = c.ro.spec.strategy!.canary!;
  const stable = c.stableHash ?? c.newHash;
  if (cs.stableService) c.plan.services.push({ name: cs.stableService, hash: stable });
  if (cs.canaryService) c.plan.services.push({ name: cs.canaryService, hash: c.newExists || c.newHash === stable ? c.newHash : stable });
}

/** status.canary.weights: without a traffic router, the share of available pods (what the Service sends). */
function weights(c: Ctx, desired: number): void {
  const st = c.plan.status;
  const cs = c.ro.spec.strategy!.canary!;
  let canaryW = desired;
  if (routed(c)) c.plan.traffic = { weight: c.newHash === c.stableHash ? 0 : desired };
  if (!cs.trafficRouting) {
    const a = c.newHash === c.stableHash ? 0 : c.newRS.available;
    const total = a + (c.stableRS && c.stableRS !== c.newRS ? c.stableRS.available : 0) + c.others.reduce((s, o) => s + o.available, 0);
    canaryW = c.newHash === c.stableHash ? 100 : total ? Math.round((100 * a) / total) : 0;
  }
  const stableHash = c.stableHash ?? c.newHash;
  st.canary = {
    ...(st.canary ?? {}),
    weights: {
      canary: { podTemplateHash: c.newHash, weight: c.newHash === stableHash ? 0 : canaryW, ...(cs.canaryService ? { serviceName: cs.canaryService } : {}) },
      stable: { podTemplateHash: stableHash, weight: c.newHash === stableHash ? 100 : 100 - canaryW, ...(cs.stableService ? { serviceName: cs.stableService } : {}) },
    },
  };
  if (!st.canary.currentStepAnalysisRunStatus || c.newHash === stableHash) delete st.canary.currentStepAnalysisRunStatus;
  void targetOf;
}
