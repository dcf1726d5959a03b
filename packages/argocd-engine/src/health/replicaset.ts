import type { KubeObject } from '../types.js';
import { condition, generation, health, num, optNum, spec, status, str, type HealthStatus } from './common.js';

/** apps/ReplicaSet. */
export function replicaSetHealth(o: KubeObject): HealthStatus {
  const st = status(o);
  if (generation(o) > num(st.observedGeneration)) {
    return health('Progressing', 'Waiting for rollout to finish: observed replica set generation less than desired generation');
  }
  const failure = condition(o, 'ReplicaFailure');
  if (failure && str(failure.status) === 'True') return health('Degraded', str(failure.message));
  const replicas = optNum(spec(o).replicas);
  if (replicas !== undefined && num(st.availableReplicas) < replicas) {
    return health('Progressing', `Waiting for rollout to finish: ${num(st.availableReplicas)} out of ${replicas} new replicas are available...`);
  }
  return health('Healthy');
}
