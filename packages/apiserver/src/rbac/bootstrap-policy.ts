/**
 * The ClusterRoles and ClusterRoleBindings a Kubernetes API server creates at start (its
 * bootstrap policy), as data: the user-facing roles (cluster-admin, and admin/edit/view filled by
 * aggregation), discovery and self-review roles for every user, and the roles of the control-plane
 * components and controllers Flotilla runs. Each carries `kubernetes.io/bootstrapping:
 * rbac-defaults` and `rbac.authorization.kubernetes.io/autoupdate: "true"`.
 */
import type { PolicyRule } from './rules.js';

export interface BootstrapRole {
  name: string;
  rules: PolicyRule[];
  labels?: Record<string, string>;
  aggregateTo?: string[];
  aggregationLabels?: string[];
}

export interface BootstrapBinding {
  name: string;
  role: string;
  subjects: { kind: 'User' | 'Group' | 'ServiceAccount'; name: string; namespace?: string }[];
}

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const RW = [...READ, ...WRITE];
const EVENTS = ['create', 'patch', 'update'];

const r = (verbs: string[], apiGroups: string[], resources: string[], resourceNames?: string[]): PolicyRule =>
  resourceNames ? { verbs, apiGroups, resources, resourceNames } : { verbs, apiGroups, resources };
const url = (verbs: string[], nonResourceURLs: string[]): PolicyRule => ({ verbs, nonResourceURLs });
const events = (): PolicyRule[] => [r(EVENTS, ['', 'events.k8s.io'], ['events'])];

const AGG = 'rbac.authorization.k8s.io/aggregate-to-';

export const BOOTSTRAP_ROLES: BootstrapRole[] = [
  { name: 'cluster-admin', rules: [r(['*'], ['*'], ['*']), url(['*'], ['*'])] },
  { name: 'admin', rules: [], aggregationLabels: [`${AGG}admin`] },
  { name: 'edit', rules: [], aggregationLabels: [`${AGG}edit`], aggregateTo: ['admin'] },
  { name: 'view', rules: [], aggregationLabels: [`${AGG}view`], aggregateTo: ['edit', 'admin'] },
  {
    name: 'system:aggregate-to-admin',
    aggregateTo: ['admin'],
    rules: [r(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']), r(RW, ['rbac.authorization.k8s.io'], ['rolebindings', 'roles'])],
  },
  {
    name: 'system:aggregate-to-edit',
    aggregateTo: ['admin', 'edit'],
    rules: [
      r(['impersonate'], [''], ['serviceaccounts']),
      r(WRITE, [''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy']),
      r(['create'], [''], ['pods/eviction']),
      r(WRITE, [''], ['configmaps', 'events', 'persistentvolumeclaims', 'replicationcontrollers', 'replicationcontrollers/scale', 'secrets', 'serviceaccounts', 'services', 'services/proxy']),
      r(['create'], [''], ['serviceaccounts/token']),
      r(WRITE, ['apps'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'replicasets', 'replicasets/scale', 'statefulsets', 'statefulsets/scale']),
      r(WRITE, ['autoscaling'], ['horizontalpodautoscalers']),
      r(WRITE, ['batch'], ['cronjobs', 'jobs']),
      r(WRITE, ['extensions'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'ingresses', 'networkpolicies', 'replicasets', 'replicasets/scale', 'replicationcontrollers/scale']),
      r(WRITE, ['policy'], ['poddisruptionbudgets']),
      r(WRITE, ['networking.k8s.io'], ['ingresses', 'networkpolicies']),
      r(WRITE, ['coordination.k8s.io'], ['leases']),
      r(READ, [''], ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy']),
    ],
  },
  {
    name: 'system:aggregate-to-view',
    aggregateTo: ['admin', 'edit', 'view'],
    rules: [
      r(READ, [''], ['configmaps', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'pods', 'replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status']),
      r(READ, [''], ['bindings', 'events', 'limitranges', 'namespaces/status', 'pods/log', 'pods/status', 'replicationcontrollers/status', 'resourcequotas', 'resourcequotas/status']),
      r(READ, [''], ['namespaces']),
      r(READ, ['discovery.k8s.io'], ['endpointslices']),
      r(READ, ['apps'], ['controllerrevisions', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'replicasets', 'replicasets/scale', 'replicasets/status', 'statefulsets', 'statefulsets/scale', 'statefulsets/status']),
      r(READ, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
      r(READ, ['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status']),
      r(READ, ['extensions'], ['daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'ingresses', 'ingresses/status', 'networkpolicies', 'replicasets', 'replicasets/scale', 'replicasets/status', 'replicationcontrollers/scale']),
      r(READ, ['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
      r(READ, ['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies']),
      r(READ, ['coordination.k8s.io'], ['leases']),
      r(READ, ['metrics.k8s.io'], ['pods', 'nodes']),
    ],
  },
  { name: 'system:discovery', rules: [url(['get'], ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'])] },
  {
    name: 'system:basic-user',
    rules: [r(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']), r(['create'], ['authentication.k8s.io'], ['selfsubjectreviews'])],
  },
  { name: 'system:public-info-viewer', rules: [url(['get'], ['/healthz', '/livez', '/readyz', '/version', '/version/'])] },
  { name: 'system:auth-delegator', rules: [r(['create'], ['authentication.k8s.io'], ['tokenreviews']), r(['create'], ['authorization.k8s.io'], ['subjectaccessreviews'])] },
  {
    name: 'system:kube-controller-manager',
    rules: [
      ...events(),
      r(['create'], ['coordination.k8s.io'], ['leases']),
      r(['get', 'update'], ['coordination.k8s.io'], ['leases'], ['kube-controller-manager', 'flotilla-controller-manager']),
      r(['create', 'delete', 'get', 'update'], [''], ['secrets', 'serviceaccounts']),
      r(['create'], [''], ['serviceaccounts/token']),
      r(['create'], ['authentication.k8s.io'], ['tokenreviews']),
      r(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
      // the garbage collector and quota read everything
      r(['get', 'list', 'watch'], ['*'], ['*']),
    ],
  },
  {
    name: 'system:kube-scheduler',
    rules: [
      ...events(),
      r(['create'], ['coordination.k8s.io'], ['leases']),
      r(['get', 'update'], ['coordination.k8s.io'], ['leases'], ['kube-scheduler']),
      r(READ, [''], ['nodes', 'namespaces', 'replicationcontrollers', 'services', 'persistentvolumeclaims', 'persistentvolumes']),
      r(['delete', 'get', 'list', 'watch'], [''], ['pods']),
      r(['create'], [''], ['bindings', 'pods/binding']),
      r(['patch', 'update'], [''], ['pods/status']),
      r(READ, ['apps', 'extensions'], ['replicasets', 'statefulsets']),
      r(READ, ['policy'], ['poddisruptionbudgets']),
      r(READ, ['storage.k8s.io'], ['csidrivers', 'csinodes', 'csistoragecapacities', 'storageclasses', 'volumeattachments']),
      r(['create'], ['authentication.k8s.io'], ['tokenreviews']),
      r(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
    ],
  },
  {
    name: 'system:volume-scheduler',
    rules: [r(['get', 'list', 'patch', 'update', 'watch'], [''], ['persistentvolumes', 'persistentvolumeclaims']), r(READ, ['storage.k8s.io'], ['storageclasses'])],
  },
  {
    name: 'system:node',
    rules: [
      r(['create', 'get', 'list', 'watch', 'patch', 'update'], [''], ['nodes']),
      r(['patch', 'update'], [''], ['nodes/status']),
      r(['create', 'delete', 'get', 'list', 'watch'], [''], ['pods']),
      r(['patch', 'update'], [''], ['pods/status']),
      r(['create'], [''], ['pods/eviction']),
      r(READ, [''], ['services', 'endpoints']),
      r(['get'], [''], ['configmaps', 'secrets', 'persistentvolumeclaims', 'persistentvolumes']),
      r(['update', 'patch'], [''], ['persistentvolumeclaims/status']),
      r(['create'], [''], ['serviceaccounts/token']),
      r(['get'], [''], ['serviceaccounts']),
      ...events(),
      r(['create', 'delete', 'get', 'patch', 'update'], ['coordination.k8s.io'], ['leases']),
      r(['create'], ['authentication.k8s.io'], ['tokenreviews']),
      r(['create'], ['authorization.k8s.io'], ['subjectaccessreviews', 'localsubjectaccessreviews']),
      r(READ, ['storage.k8s.io'], ['csidrivers', 'csinodes', 'volumeattachments']),
      r(READ, ['node.k8s.io'], ['runtimeclasses']),
    ],
  },
  {
    name: 'system:node-proxier',
    rules: [r(['list', 'watch'], [''], ['services', 'endpoints']), r(['get'], [''], ['nodes']), r(['list', 'watch'], ['discovery.k8s.io'], ['endpointslices']), ...events()],
  },
  // the controllers Flotilla runs (kube-controller-manager's per-controller roles)
  {
    name: 'system:controller:deployment-controller',
    rules: [
      r(['get', 'list', 'update', 'watch'], ['apps', 'extensions'], ['deployments']),
      r(['update'], ['apps', 'extensions'], ['deployments/status', 'deployments/finalizers']),
      r(['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], ['apps', 'extensions'], ['replicasets']),
      r(['get', 'list', 'update', 'watch'], [''], ['pods']),
      ...events(),
    ],
  },
  {
    name: 'system:controller:replicaset-controller',
    rules: [
      r(['get', 'list', 'update', 'watch'], ['apps', 'extensions'], ['replicasets']),
      r(['update'], ['apps', 'extensions'], ['replicasets/status', 'replicasets/finalizers']),
      r(['create', 'delete', 'list', 'patch', 'update', 'watch'], [''], ['pods']),
      ...events(),
    ],
  },
  {
    name: 'system:controller:statefulset-controller',
    rules: [
      r(['list', 'watch'], [''], ['pods']),
      r(['get', 'list', 'watch'], ['apps'], ['statefulsets']),
      r(['update'], ['apps'], ['statefulsets/status', 'statefulsets/finalizers']),
      r(['create', 'delete', 'get', 'patch', 'update'], [''], ['pods']),
      r(['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], ['apps'], ['controllerrevisions']),
      r(['create', 'get', 'update', 'delete'], [''], ['persistentvolumeclaims']),
      ...events(),
    ],
  },
  {
    name: 'system:controller:daemon-set-controller',
    rules: [
      r(['get', 'list', 'watch'], ['apps', 'extensions'], ['daemonsets']),
      r(['update'], ['apps', 'extensions'], ['daemonsets/status', 'daemonsets/finalizers']),
      r(['list', 'watch'], [''], ['nodes']),
      r(['create', 'delete', 'list', 'patch', 'update', 'watch'], [''], ['pods']),
      r(['create'], [''], ['pods/binding']),
      r(['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], ['apps'], ['controllerrevisions']),
      ...events(),
    ],
  },
  {
    name: 'system:controller:job-controller',
    rules: [
      r(['get', 'list', 'patch', 'update', 'watch'], ['batch'], ['jobs']),
      r(['update', 'patch'], ['batch'], ['jobs/status', 'jobs/finalizers']),
      r(['create', 'delete', 'list', 'patch', 'update', 'watch'], [''], ['pods']),
      ...events(),
    ],
  },
  {
    name: 'system:controller:cronjob-controller',
    rules: [
      r(['get', 'list', 'update', 'watch'], ['batch'], ['cronjobs']),
      r(['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], ['batch'], ['jobs']),
      r(['update'], ['batch'], ['cronjobs/status', 'cronjobs/finalizers']),
      r(['delete', 'list'], [''], ['pods']),
      ...events(),
    ],
  },
  {
    name: 'system:controller:endpoint-controller',
    rules: [
      r(READ, [''], ['services', 'pods']),
      r(['create', 'delete', 'get', 'list', 'update'], [''], ['endpoints']),
      r(['create'], [''], ['endpoints/restricted']),
      ...events(),
    ],
  },
  {
    name: 'system:controller:endpointslice-controller',
    rules: [r(READ, [''], ['services', 'pods', 'nodes']), r(['create', 'delete', 'get', 'list', 'update'], ['discovery.k8s.io'], ['endpointslices']), ...events()],
  },
  { name: 'system:controller:root-ca-cert-publisher', rules: [r(['create', 'update'], [''], ['configmaps']), ...events()] },
  { name: 'system:controller:service-account-controller', rules: [r(['create'], [''], ['serviceaccounts']), ...events()] },
  {
    name: 'system:controller:persistent-volume-binder',
    rules: [
      r(['create', 'delete', 'get', 'list', 'update', 'watch'], [''], ['persistentvolumes']),
      r(['update'], [''], ['persistentvolumes/status']),
      r(['get', 'list', 'update', 'watch'], [''], ['persistentvolumeclaims']),
      r(['update'], [''], ['persistentvolumeclaims/status']),
      r(['create', 'delete', 'get', 'list', 'watch'], [''], ['pods']),
      r(['get', 'list'], [''], ['nodes']),
      r(['get'], [''], ['secrets']),
      r(READ, ['storage.k8s.io'], ['storageclasses']),
      r(['watch', ...EVENTS], ['', 'events.k8s.io'], ['events']),
    ],
  },
  {
    name: 'system:controller:ttl-after-finished-controller',
    rules: [r(['delete', 'get', 'list', 'watch'], ['batch'], ['jobs']), ...events()],
  },
  // what Flotilla's components do beyond their Kubernetes counterparts: the node agent is also
  // the load balancer (writes services/status) and mounts tokens by its ServiceAccount cache;
  // the controller manager runs the local-path provisioner, which installs its StorageClass
  {
    name: 'flotilla:node',
    rules: [r(['patch', 'update'], [''], ['services/status']), r(['list', 'watch'], [''], ['serviceaccounts'])],
  },
  {
    name: 'flotilla:local-path-provisioner',
    rules: [r(['create', 'get', 'update'], ['storage.k8s.io'], ['storageclasses'])],
  },
];

const CONTROLLER_ACCOUNTS: Record<string, string> = {
  'deployment-controller': 'deployment-controller',
  'replicaset-controller': 'replicaset-controller',
  'statefulset-controller': 'statefulset-controller',
  'daemon-set-controller': 'daemon-set-controller',
  'job-controller': 'job-controller',
  'cronjob-controller': 'cronjob-controller',
  'endpoint-controller': 'endpoint-controller',
  'endpointslice-controller': 'endpointslice-controller',
  'root-ca-cert-publisher': 'root-ca-cert-publisher',
  'service-account-controller': 'service-account-controller',
  'persistent-volume-binder': 'persistent-volume-binder',
  'ttl-after-finished-controller': 'ttl-after-finished-controller',
};

export const BOOTSTRAP_BINDINGS: BootstrapBinding[] = [
  { name: 'cluster-admin', role: 'cluster-admin', subjects: [{ kind: 'Group', name: 'system:masters' }] },
  { name: 'system:discovery', role: 'system:discovery', subjects: [{ kind: 'Group', name: 'system:authenticated' }] },
  { name: 'system:basic-user', role: 'system:basic-user', subjects: [{ kind: 'Group', name: 'system:authenticated' }] },
  {
    name: 'system:public-info-viewer',
    role: 'system:public-info-viewer',
    subjects: [
      { kind: 'Group', name: 'system:authenticated' },
      { kind: 'Group', name: 'system:unauthenticated' },
    ],
  },
  { name: 'system:kube-controller-manager', role: 'system:kube-controller-manager', subjects: [{ kind: 'User', name: 'system:kube-controller-manager' }] },
  { name: 'system:kube-scheduler', role: 'system:kube-scheduler', subjects: [{ kind: 'User', name: 'system:kube-scheduler' }] },
  { name: 'system:volume-scheduler', role: 'system:volume-scheduler', subjects: [{ kind: 'User', name: 'system:kube-scheduler' }] },
  { name: 'system:node-proxier', role: 'system:node-proxier', subjects: [{ kind: 'User', name: 'system:kube-proxy' }] },
  // Flotilla's node agent is the kubelet and the service proxy of its node
  { name: 'system:node', role: 'system:node', subjects: [{ kind: 'Group', name: 'system:nodes' }] },
  { name: 'flotilla:node-proxier', role: 'system:node-proxier', subjects: [{ kind: 'Group', name: 'system:nodes' }] },
  { name: 'flotilla:node', role: 'flotilla:node', subjects: [{ kind: 'Group', name: 'system:nodes' }] },
  { name: 'flotilla:local-path-provisioner', role: 'flotilla:local-path-provisioner', subjects: [{ kind: 'User', name: 'system:kube-controller-manager' }] },
  // each controller's ServiceAccount (as Kubernetes binds them) and, because Flotilla runs all
  // the controllers in one process under one identity, the controller manager's user
  ...Object.entries(CONTROLLER_ACCOUNTS).map(([role, sa]) => ({
    name: `system:controller:${role}`,
    role: `system:controller:${role}`,
    subjects: [
      { kind: 'ServiceAccount' as const, name: sa, namespace: 'kube-system' },
      { kind: 'User' as const, name: 'system:kube-controller-manager' },
    ],
  })),
];
