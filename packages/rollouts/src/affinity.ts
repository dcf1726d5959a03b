/**
 * `strategy.canary.antiAffinity` / `strategy.blueGreen.antiAffinity`, pure: a new ReplicaSet's pods
 * avoid the nodes of the stable ReplicaSet's pods — a pod anti-affinity term on the stable pod-template
 * hash (topology `kubernetes.io/hostname`), required or preferred (with its weight), added to the
 * template's own terms.
 */
import { HASH_LABEL } from './types.js';

export interface AntiAffinity {
  requiredDuringSchedulingIgnoredDuringExecution?: Record<string, never>;
  preferredDuringSchedulingIgnoredDuringExecution?: { weight?: number };
}

export function withAntiAffinity(podSpec: Record<string, any>, anti: AntiAffinity | undefined, stableHash: string | undefined): Record<string, any> {
  if (!anti || !stableHash) return podSpec;
  const term = { labelSelector: { matchExpressions: [{ key: HASH_LABEL, operator: 'In', values: [stableHash] }] }, topologyKey: 'kubernetes.io/hostname' };
  const spec = JSON.parse(JSON.stringify(podSpec));
  const paa = (spec.affinity ??= {}).podAntiAffinity ??= {};
  if (anti.requiredDuringSchedulingIgnoredDuringExecution) paa.requiredDuringSchedulingIgnoredDuringExecution = [...(paa.requiredDuringSchedulingIgnoredDuringExecution ?? []), term];
  else if (anti.preferredDuringSchedulingIgnoredDuringExecution) paa.preferredDuringSchedulingIgnoredDuringExecution = [...(paa.preferredDuringSchedulingIgnoredDuringExecution ?? []), { weight: anti.preferredDuringSchedulingIgnoredDuringExecution.weight ?? 1, podAffinityTerm: term }];
  return spec;
}
