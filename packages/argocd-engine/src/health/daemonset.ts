import type { KubeObject } from '../types.js';
import { generation, health, num, obj, spec, status, str, type HealthStatus } from './common.js';

/** apps/DaemonSet. */
export function daemonSetHealth(o: KubeObject): HealthStatus {
  const st = status(o);
  const name = str(o.metadata?.name);
  if (generation(o) > num(st.observedGeneration)) {
    return health('Progressing', 'Waiting for rollout to finish: observed daemon set generation less than desired generation');
  }
  const desired = num(st.desiredNumberScheduled);
  const updated = num(st.updatedNumberScheduled);
  if (str(obj(spec(o).updateStrategy).type) === 'OnDelete') {
    return health('Healthy', `daemon set ${updated} out of ${desired} new pods have been updated`);
  }
  if (updated < desired) {
    return health('Progressing', `Waiting for daemon set "${name}" rollout to finish: ${updated} out of ${desired} new pods have been updated...`);
  }
  if (num(st.numberAvailable) < desired) {
    return health('Progressing', `Waiting for daemon set "${name}" rollout to finish: ${num(st.numberAvailable)} of ${desired} updated pods are available...`);
  }
  return health('Healthy');
}
