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

/**
 * `workloadRef.scaleDown`: the Deployment's replicas the migration wants — `never` (default):
 * untouched; `onsuccess`: 0 once the Rollout is Healthy; `progressively`: the Rollout's replicas
 * minus its available ones (the Deployment hands its pods over as the Rollout's become available).
 */
export function workloadReplicas(ro: Rollout, phase: string | undefined, available: number): number | undefined {
  const mode = ro.spec.workloadRef?.scaleDown ?? 'never';
  const R = ro.spec.replicas ?? 1;
  if (mode === 'onsuccess') return phase === 'Healthy' ? 0 : undefined;
  if (mode === 'progressively') return Math.max(0, R - available);
  return undefined;
}
