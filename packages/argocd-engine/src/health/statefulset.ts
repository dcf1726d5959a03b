import type { KubeObject } from '../types.js';
import { generation, health, num, obj, optNum, spec, status, str, type HealthStatus } from './common.js';

/** apps/StatefulSet, as `kubectl rollout status` judges it. */
export function statefulSetHealth(o: KubeObject): HealthStatus {
  const sp = spec(o);
  const st = status(o);
  const observed = num(st.observedGeneration);
  if (observed === 0 || generation(o) > observed) return health('Progressing', 'Waiting for statefulset spec update to be observed...');
  const replicas = optNum(sp.replicas);
  const ready = num(st.readyReplicas);
  if (replicas !== undefined && ready < replicas) return health('Progressing', `Waiting for ${replicas - ready} pods to be ready...`);
  const strategy = obj(sp.updateStrategy);
  const rolling = strategy.rollingUpdate === undefined ? undefined : obj(strategy.rollingUpdate);
  if (str(strategy.type) === 'RollingUpdate' && rolling && rolling.partition !== undefined && rolling.partition !== null) {
    const partition = num(rolling.partition);
    const want = (replicas ?? 0) - partition;
    if (num(st.updatedReplicas) < want) {
      return health('Progressing', `Waiting for partitioned roll out to finish: ${num(st.updatedReplicas)} out of ${want} new pods have been updated...`);
    }
    return health('Healthy', `partitioned roll out complete: ${num(st.updatedReplicas)} new pods have been updated...`);
  }
  if (str(strategy.type) === 'OnDelete') return health('Healthy', `statefulset has ${ready} ready pods`);
  if (str(st.updateRevision) !== str(st.currentRevision)) {
    return health('Progressing', `waiting for statefulset rolling update to complete ${num(st.updatedReplicas)} pods at revision ${str(st.updateRevision)}...`);
  }
  return health('Healthy', `statefulset rolling update complete ${num(st.currentReplicas)} pods at revision ${str(st.currentRevision)}...`);
}
