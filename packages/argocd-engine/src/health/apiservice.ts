import type { KubeObject } from '../types.js';
import { condition, health, str, type HealthStatus } from './common.js';

/** apiregistration.k8s.io/APIService: the Available condition decides. */
export function apiServiceHealth(o: KubeObject): HealthStatus {
  const c = condition(o, 'Available');
  if (!c) return health('Progressing', 'Waiting to be processed');
  if (str(c.status) === 'True') return health('Healthy', str(c.message));
  return health('Progressing', `${str(c.reason)}: ${str(c.message)}`);
}
