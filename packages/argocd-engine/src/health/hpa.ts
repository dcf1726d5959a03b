import type { KubeObject } from '../types.js';
import { arr, health, obj, status, str, type HealthStatus, type Obj } from './common.js';

const DEGRADED: [string, string][] = [
  ['AbleToScale', 'FailedGetScale'],
  ['AbleToScale', 'FailedUpdateScale'],
  ['ScalingActive', 'FailedGetResourceMetric'],
  ['ScalingActive', 'InvalidSelector'],
];
const HEALTHY_TYPES = new Set(['AbleToScale', 'ScalingLimited']);

/**
 * autoscaling/HorizontalPodAutoscaler: a failure condition (FailedGetScale, FailedUpdateScale,
 * FailedGetResourceMetric, InvalidSelector) → Degraded; AbleToScale/ScalingLimited True → Healthy;
 * otherwise Progressing "Waiting to Autoscale". autoscaling/v1 keeps its conditions in the
 * `autoscaling.alpha.kubernetes.io/conditions` annotation.
 */
export function hpaHealth(o: KubeObject): HealthStatus {
  let conds: Obj[] = arr(status(o).conditions).map(obj);
  const ann = o.metadata?.annotations?.['autoscaling.alpha.kubernetes.io/conditions'];
  if (conds.length === 0 && ann) {
    try {
      conds = arr(JSON.parse(ann)).map(obj);
    } catch {
      return health('Unknown', 'autoscaling.alpha.kubernetes.io/conditions is not valid JSON');
    }
  }
  for (const c of conds) {
    if (DEGRADED.some(([t, r]) => c.type === t && c.reason === r)) return health('Degraded', str(c.message));
    if (HEALTHY_TYPES.has(str(c.type)) && str(c.status) === 'True') return health('Healthy', str(c.message));
  }
  return health('Progressing', 'Waiting to Autoscale');
}
