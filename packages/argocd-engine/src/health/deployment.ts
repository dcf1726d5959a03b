import type { KubeObject } from '../types.js';
import { condition, generation, health, num, optNum, spec, status, str, type HealthStatus } from './common.js';

/** apps/Deployment: paused → Suspended; progress deadline → Degraded; rollout counters → Progressing. */
export function deploymentHealth(o: KubeObject): HealthStatus {
  const sp = spec(o);
  const st = status(o);
  if (sp.paused === true) return health('Suspended', 'Deployment is paused');
  if (generation(o) > num(st.observedGeneration)) {
    return health('Progressing', 'Waiting for rollout to finish: observed deployment generation less than desired generation');
  }
  const progressing = condition(o, 'Progressing');
  if (progressing && str(progressing.reason) === 'ProgressDeadlineExceeded') {
    return health('Degraded', `Deployment "${str(o.metadata?.name)}" exceeded its progress deadline`);
  }
  const replicas = optNum(sp.replicas);
  const updated = num(st.updatedReplicas);
  if (replicas !== undefined && updated < replicas) {
    return health('Progressing', `Waiting for rollout to finish: ${updated} out of ${replicas} new replicas have been updated...`);
  }
  if (num(st.replicas) > updated) {
    return health('Progressing', `Waiting for rollout to finish: ${num(st.replicas) - updated} old replicas are pending termination...`);
  }
  if (num(st.availableReplicas) < updated) {
    return health('Progressing', `Waiting for rollout to finish: ${num(st.availableReplicas)} of ${updated} updated replicas are available...`);
  }
  return health('Healthy');
}
