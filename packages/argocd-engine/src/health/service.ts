import type { KubeObject } from '../types.js';
import { arr, health, obj, spec, status, str, type HealthStatus } from './common.js';

/** v1/Service: a LoadBalancer is Progressing until status.loadBalancer.ingress has an entry. */
export function serviceHealth(o: KubeObject): HealthStatus {
  if (str(spec(o).type) !== 'LoadBalancer') return health('Healthy');
  return arr(obj(status(o).loadBalancer).ingress).length > 0 ? health('Healthy') : health('Progressing');
}

/** networking.k8s.io/Ingress (and extensions/Ingress): Healthy once a load balancer address is published. */
export function ingressHealth(o: KubeObject): HealthStatus {
  return arr(obj(status(o).loadBalancer).ingress).length > 0 ? health('Healthy') : health('Progressing');
}
