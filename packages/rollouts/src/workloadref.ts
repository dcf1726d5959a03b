/**
 * `spec.workloadRef`: a Rollout that takes its pod template and selector from an existing
 * Deployment (migration). The planner sees the Rollout as if the template were inline.
 */
import type { Rollout } from './types.js';

type Deployment = { spec?: { template?: Rollout['spec']['template']; selector?: Rollout['spec']['selector'] } };

export function resolveWorkloadRef(ro: Rollout, getDeployment: (name: string) => Deployment | undefined): Rollout {
  const ref = ro.spec.workloadRef;
  if (!ref?.name || (ref.kind && ref.kind !== 'Deployment')) return ro;
  const d = getDeployment(ref.name);
  if (!d?.spec?.template) return ro;
  return { ...ro, spec: { ...ro.spec, template: d.spec.template, selector: ro.spec.selector ?? d.spec.selector } };
}
