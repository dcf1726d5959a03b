import type { KubeObject } from '../types.js';
import { health, status, str, type HealthStatus } from './common.js';

/** v1/PersistentVolumeClaim: Bound → Healthy, Pending → Progressing, Lost → Degraded. */
export function pvcHealth(o: KubeObject): HealthStatus {
  switch (str(status(o).phase)) {
    case 'Lost':
      return health('Degraded');
    case 'Pending':
      return health('Progressing');
    case 'Bound':
      return health('Healthy');
  }
  return health('Unknown');
}
