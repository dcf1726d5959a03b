/**
 * The blue-green strategy, pure: the new ReplicaSet comes up behind the preview Service
 * (previewReplicaCount), pre-promotion analysis, a pause (autoPromotionEnabled: false) or a timed
 * auto-promotion, the cut-over of the active Service, post-promotion analysis, and the old
 * ReplicaSets scaled down after scaleDownDelaySeconds (an annotated deadline). Abort sends both
 * Services back to the stable ReplicaSet and scales the new one down after
 * abortScaleDownDelaySeconds.
 */
import { requeue, requeueFromNow, runName, runPhase, setScale, type Ctx } from '../common.js';
import { HASH_LABEL, SCALE_DOWN_DEADLINE_ANNOTATION, type RSView } from '../types.js';

/** Scales a ReplicaSet to 0 once its scale-down deadline (annotated now + delay) has passed. */
export function scaleDownAfter(c: Ctx, rs: RSView, delaySeconds: number): void {
  if (rs.replicas === 0) {
    if (rs.annotations[SCALE_DOWN_DEADLINE_ANNOTATION]) c.plan.annotate.push({ name: rs.name, annotations: { [SCALE_DOWN_DEADLINE_ANNOTATION]: null } });
    return;
  }
  if (delaySeconds <= 0) return setScale(c, rs, 0);
  const at = rs.annotations[SCALE_DOWN_DEADLINE_ANNOTATION];
  if (!at) {
    const deadline = new Date(Date.parse(c.nowIso) + delaySeconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    c.plan.annotate.push({ name: rs.name, annotations: { [SCALE_DOWN_DEADLINE_ANNOTATION]: deadline } });
    requeueFromNow(c, delaySeconds * 1000);
    return;
  }
  const left = Date.parse(at) - c.now.getTime();
  if (left <= 0) setScale(c, rs, 0);
  else {
    setScale(c, rs, rs.replicas);
    requeue(c, left);
  }
}

/**
 * The old ReplicaSets after a cut-over: each scaled down after the delay, but at most
 * `scaleDownDelayRevisionLimit` of them (the newest) wait; the others go to 0 at once (with
 * `onlyWaiting`, also those not already waiting: a rollback's fast path).
 */
export function scaleDownOthers(c: Ctx, delaySeconds: number, limit?: number, onlyWaiting = false): void {
  const up = c.others.filter((o) => o.replicas > 0).sort((a, b) => b.revision - a.revision);
  for (const o of c.others) {
    const i = up.indexOf(o);
    if ((limit !== undefined && i >= limit) || (onlyWaiting && !o.annotations[SCALE_DOWN_DEADLINE_ANNOTATION])) setScale(c, o, 0);
    else scaleDownAfter(c, o, delaySeconds);
  }
}

/**
 * The new ReplicaSet after an abort: scaled down after abortScaleDownDelaySeconds (30); 0 leaves
 * it running, as upstream (blue-green and canary with a traffic router).
 */
export function abortScaleDown(c: Ctx, rs: RSView, delaySeconds: number | undefined): void {
  if (delaySeconds === 0) return setScale(c, rs, rs.replicas);
  scaleDownAfter(c, rs, delaySeconds ?? 30);
}

function keepUp(c: Ctx, rs: RSView, replicas: number): void {
  setScale(c, rs, replicas);
  if (rs.annotations[SCALE_DOWN_DEADLINE_ANNOTATION]) c.plan.annotate.push({ name: rs.name, annotations: { [SCALE_DOWN_DEADLINE_ANNOTATION]: null } });
}

const serviceHash = (c: Ctx, name?: string) => (name ? c.services[name]?.spec?.selector?.[HASH_LABEL] : undefined);

export function planBlueGreen(c: Ctx): void {
  const b = c.ro.spec.strategy!.blueGreen!;
  const st = c.plan.status;
  const delay = b.scaleDownDelaySeconds ?? 30;
  const lifted = !!st.controllerPause && !st.pauseConditions?.length && !c.newRevision;
  if (c.newRevision) {
    st.currentPodHash = c.newHash;
    st.abort = false;
    delete st.abortedAt;
    st.promoteFull = false;
    st.pauseConditions = [];
    st.controllerPause = false;
    st.blueGreen = { ...(st.blueGreen ?? {}), scaleUpPreviewCheckPoint: false };
    delete st.blueGreen.prePromotionAnalysisRunStatus;
    delete st.blueGreen.postPromotionAnalysisRunStatus;
  }
  const setServices = (active: string, preview: string) => {
    c.plan.services.push({ name: b.activeService!, hash: active });
    if (b.previewService) c.plan.services.push({ name: b.previewService, hash: preview });
    st.blueGreen = { ...(st.blueGreen ?? {}), activeSelector: active, previewSelector: b.previewService ? preview : undefined };
  };
  const finishAt = (hash: string, rs: RSView) => {
    keepUp(c, rs, c.R);
    scaleDownOthers(c, delay, b.scaleDownDelayRevisionLimit);
    if (rs.available >= c.R || serviceHash(c, b.activeService) === hash) setServices(hash, hash);
  };

  // first deploy or rollback to the stable template: full scale, then both Services on it
  if (!c.stableHash || c.stableHash === c.newHash) {
    st.abort = false;
    st.pauseConditions = [];
    st.controllerPause = false;
    c.stableRS = c.newRS;
    finishAt(c.newHash, c.newRS);
    if (c.newRS.available >= c.R || !c.stableHash) {
      st.stableRS = c.newHash;
      c.stableHash = c.newHash;
    }
    return;
  }
  const stable = c.stableRS!;
  const activeHash = serviceHash(c, b.activeService);

  if (st.abort) {
    st.abortedAt ??= c.nowIso;
    st.pauseConditions = [];
    st.controllerPause = false;
    keepUp(c, stable, c.R);
    setServices(c.stableHash, c.stableHash);
    abortScaleDown(c, c.newRS, b.abortScaleDownDelaySeconds);
    scaleDownOthers(c, delay, b.scaleDownDelayRevisionLimit);
    if (!c.newExists) c.target.delete(c.newRS.name);
    return;
  }
  const abort = (name: string, message?: string) => {
    st.abort = true;
    st.abortedAt = c.nowIso;
    st.pauseConditions = [];
    st.controllerPause = false;
    c.plan.events.push({ type: 'Warning', reason: 'RolloutAborted', message: `Rollout aborted update to revision ${c.newRS.revision}: analysis run ${name} ${message ?? 'failed'}` });
    keepUp(c, stable, c.R);
    setServices(c.stableHash!, c.stableHash!);
    abortScaleDown(c, c.newRS, b.abortScaleDownDelaySeconds);
  };
  scaleDownOthers(c, delay, b.scaleDownDelayRevisionLimit);

  if (activeHash !== c.newHash) {
    // before promotion: the new ReplicaSet behind the preview Service
    keepUp(c, stable, c.R);
    const previewCount = st.blueGreen?.scaleUpPreviewCheckPoint || st.promoteFull ? c.R : Math.min(c.R, b.previewReplicaCount ?? c.R);
    keepUp(c, c.newRS, previewCount);
    setServices(c.stableHash, c.newExists ? c.newHash : c.stableHash);
    if (!c.newExists || c.newRS.available < previewCount) return;
    if (b.prePromotionAnalysis?.templates?.length && !st.promoteFull) {
      // the analysis looks at the preview Service: start it once its endpoints are the new pods
      if (!c.previewSettled && !runPhase(c, runName(c.ro, c.newHash, 'pre')).phase) {
        requeue(c, 1000);
        return;
      }
      const name = runName(c.ro, c.newHash, 'pre');
      c.plan.runs.push({ name, kind: 'pre', analysis: b.prePromotionAnalysis, podHash: c.newHash, stableHash: c.stableHash });
      const r = runPhase(c, name);
      st.blueGreen = { ...st.blueGreen, prePromotionAnalysisRunStatus: { name, status: r.phase || 'Pending', message: r.message } };
      if (r.phase === 'Failed' || r.phase === 'Error') return abort(name, r.message);
      if (r.phase !== 'Successful') {
        if (r.phase === 'Inconclusive' && !lifted) {
          st.pauseConditions = [{ reason: 'InconclusiveAnalysisRun', startTime: c.nowIso }];
          st.controllerPause = true;
        }
        if (!(r.phase === 'Inconclusive' && lifted)) return;
      }
    }
    if (!st.promoteFull && !st.blueGreen?.scaleUpPreviewCheckPoint) {
      const cond = (st.pauseConditions ?? []).find((p) => p.reason === 'BlueGreenPause');
      const manual = b.autoPromotionEnabled === false;
      const secs = b.autoPromotionSeconds;
      if (manual || secs !== undefined) {
        if (!cond && !lifted) {
          st.pauseConditions = [...(st.pauseConditions ?? []), { reason: 'BlueGreenPause', startTime: c.nowIso }];
          st.controllerPause = true;
          if (secs !== undefined) requeueFromNow(c, secs * 1000);
          return;
        }
        if (cond) {
          const left = secs !== undefined ? Date.parse(cond.startTime) + secs * 1000 - c.now.getTime() : Infinity;
          if (left > 0) {
            if (left !== Infinity) requeue(c, left);
            return;
          }
        }
      }
    }
    // promotion: the new ReplicaSet at full scale, then the active Service cuts over
    st.pauseConditions = [];
    st.controllerPause = false;
    st.blueGreen = { ...st.blueGreen, scaleUpPreviewCheckPoint: true };
    keepUp(c, c.newRS, c.R);
    if (c.newRS.replicas < c.R || c.newRS.available < c.R) return;
    setServices(c.newHash, c.newHash);
    c.plan.events.push({ type: 'Normal', reason: 'SwitchService', message: `Switched selector for service '${b.activeService}' from '${c.stableHash}' to '${c.newHash}'` });
  } else {
    keepUp(c, c.newRS, c.R);
    setServices(c.newHash, c.newHash);
  }
  // after promotion
  if (b.postPromotionAnalysis?.templates?.length && !st.promoteFull) {
    const name = runName(c.ro, c.newHash, 'post');
    c.plan.runs.push({ name, kind: 'post', analysis: b.postPromotionAnalysis, podHash: c.newHash, stableHash: c.stableHash });
    const r = runPhase(c, name);
    st.blueGreen = { ...st.blueGreen, postPromotionAnalysisRunStatus: { name, status: r.phase || 'Pending', message: r.message } };
    if (r.phase === 'Failed' || r.phase === 'Error') return abort(name, r.message);
    if (r.phase !== 'Successful') {
      setScale(c, stable, c.R);
      return;
    }
  }
  // the new ReplicaSet is stable; the old one goes after the delay
  st.stableRS = c.newHash;
  st.promoteFull = false;
  st.blueGreen = { ...st.blueGreen, scaleUpPreviewCheckPoint: false };
  c.others.push(stable);
  c.stableHash = c.newHash;
  c.stableRS = c.newRS;
  scaleDownAfter(c, stable, delay);
}
