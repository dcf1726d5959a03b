/**
 * Argo CD's kind order within a wave (the order Helm installs kinds in): namespaces and the
 * objects others depend on first, workloads later, then kinds not listed (custom resources),
 * which sort after every listed kind, alphabetically by kind.
 */
export const KIND_ORDER: readonly string[] = [
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodSecurityPolicy',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'SecretList',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleList',
  'ClusterRoleBinding',
  'ClusterRoleBindingList',
  'Role',
  'RoleList',
  'RoleBinding',
  'RoleBindingList',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
];

const INDEX = new Map(KIND_ORDER.map((k, i) => [k, i]));

/** Position of a kind in Argo CD's order; unknown kinds share the position after the last known one. */
export function kindOrder(kind: string): number {
  return INDEX.get(kind) ?? KIND_ORDER.length;
}

/** Compares two kinds in Argo CD's order (unknown kinds alphabetically after the known ones). */
export function compareKinds(a: string, b: string): number {
  const d = kindOrder(a) - kindOrder(b);
  if (d !== 0) return d;
  if (kindOrder(a) === KIND_ORDER.length) return a < b ? -1 : a > b ? 1 : 0;
  return 0;
}
