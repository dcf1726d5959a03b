/** Argo's own kinds: Rollout, Workflow, AnalysisRun, Experiment (argoproj.io). */
import type { KubeObject } from '../types.js';
import { arr, condition, generation, health, num, obj, optNum, spec, status, str, type HealthStatus } from './common.js';

/**
 * argoproj.io/Rollout. A spec update not yet observed → Progressing; otherwise the phase Argo
 * Rollouts computes (status.phase/status.message: Healthy, Progressing, Degraded, Paused →
 * Suspended); for controllers that predate status.phase, conditions and counters as Deployments.
 */
export function rolloutHealth(o: KubeObject): HealthStatus {
  const sp = spec(o);
  const st = status(o);
  const observed = st.observedGeneration;
  // observedGeneration is a string (even a hash in old Rollouts versions); only numbers compare
  if (observed !== undefined && observed !== null && /^\d+$/.test(String(observed)) && Number(observed) !== generation(o)) {
    return health('Progressing', 'Waiting for rollout spec update to be observed');
  }
  const invalid = condition(o, 'InvalidSpec');
  if (invalid && str(invalid.status) === 'True') return health('Degraded', str(invalid.message));
  switch (str(st.phase)) {
    case 'Healthy':
      return health('Healthy', str(st.message));
    case 'Progressing':
      return health('Progressing', str(st.message));
    case 'Degraded':
      return health('Degraded', str(st.message));
    case 'Paused':
      return health('Suspended', str(st.message) || 'Rollout is paused');
  }
  if (sp.paused === true || arr(st.pauseConditions).length > 0) return health('Suspended', 'Rollout is paused');
  const progressing = condition(o, 'Progressing');
  if (progressing && str(progressing.reason) === 'ProgressDeadlineExceeded') {
    return health('Degraded', `Rollout "${str(o.metadata?.name)}" exceeded its progress deadline`);
  }
  if (st.observedGeneration === undefined) return health('Progressing', 'Waiting for rollout spec update to be observed');
  const replicas = optNum(sp.replicas) ?? 1;
  const updated = num(st.updatedReplicas);
  if (updated < replicas) return health('Progressing', `Waiting for roll out to finish: ${updated} out of ${replicas} new replicas have been updated...`);
  if (num(st.replicas) > updated) return health('Progressing', `Waiting for roll out to finish: ${num(st.replicas) - updated} old replicas are pending termination...`);
  if (num(st.availableReplicas) < updated) return health('Progressing', `Waiting for roll out to finish: ${num(st.availableReplicas)} of ${updated} updated replicas are available...`);
  return health('Healthy');
}

/** argoproj.io/Workflow: Pending/Running → Progressing, Succeeded → Healthy, Failed/Error → Degraded. */
export function workflowHealth(o: KubeObject): HealthStatus {
  const st = status(o);
  const message = str(st.message);
  switch (str(st.phase)) {
    case '':
    case 'Pending':
    case 'Running':
      if (spec(o).suspend === true) return health('Suspended', message || 'Workflow is suspended');
      return health('Progressing', message);
    case 'Succeeded':
      return health('Healthy', message);
    case 'Failed':
    case 'Error':
      return health('Degraded', message);
  }
  return health('Unknown', message);
}

/** argoproj.io/AnalysisRun: Successful → Healthy, Failed/Error → Degraded, Inconclusive → Unknown, else Progressing. */
export function analysisRunHealth(o: KubeObject): HealthStatus {
  const st = status(o);
  const message = str(st.message);
  if (spec(o).terminate === true && !['Successful', 'Failed', 'Error', 'Inconclusive'].includes(str(st.phase))) {
    return health('Progressing', message || 'Terminating');
  }
  switch (str(st.phase)) {
    case 'Successful':
      return health('Healthy', message);
    case 'Failed':
    case 'Error':
      return health('Degraded', message);
    case 'Inconclusive':
      return health('Unknown', message);
  }
  return health('Progressing', message);
}

/** argoproj.io/Experiment: mirrors status.phase like AnalysisRun (Running/Pending → Progressing). */
export function experimentHealth(o: KubeObject): HealthStatus {
  const st = status(o);
  const message = str(st.message);
  switch (str(st.phase)) {
    case 'Successful':
      return health('Healthy', message);
    case 'Failed':
    case 'Error':
      return health('Degraded', message);
    case 'Inconclusive':
      return health('Unknown', message);
  }
  return health('Progressing', message);
}

/** argoproj.io/Application: its own status.health (used only through the documented customization). */
export function applicationHealth(o: KubeObject): HealthStatus {
  const h = obj(status(o).health);
  const code = str(h.status);
  if (!code) return health('Progressing');
  return health(code as HealthStatus['status'], str(h.message));
}
