/** How the client addresses resources: group/version/plural, kind, scope. */

/** An object as loose JSON (any field reads as any): for code that reads objects without typing them. */
export interface AnyObject {
  apiVersion?: string;
  kind?: string;
  metadata?: Record<string, any>;
  [k: string]: any;
}

/** A resource as the client addresses it. */
export interface Resource {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

/** Group, version, kind (as in an object's apiVersion + kind). */
export interface GVK {
  group: string;
  version: string;
  kind: string;
}

const core = (plural: string, kind: string, namespaced = true): Resource => ({ group: '', version: 'v1', plural, kind, namespaced });
const g = (group: string, version: string, plural: string, kind: string, namespaced = true): Resource => ({ group, version, plural, kind, namespaced });

/** The built-in resources the components use (anything else: `client.resourceFor(gvk)`). */
export const R = {
  pods: core('pods', 'Pod'),
  nodes: core('nodes', 'Node', false),
  namespaces: core('namespaces', 'Namespace', false),
  services: core('services', 'Service'),
  endpoints: core('endpoints', 'Endpoints'),
  serviceaccounts: core('serviceaccounts', 'ServiceAccount'),
  configmaps: core('configmaps', 'ConfigMap'),
  secrets: core('secrets', 'Secret'),
  events: core('events', 'Event'),
  pvcs: core('persistentvolumeclaims', 'PersistentVolumeClaim'),
  pvs: core('persistentvolumes', 'PersistentVolume', false),
  deployments: g('apps', 'v1', 'deployments', 'Deployment'),
  replicasets: g('apps', 'v1', 'replicasets', 'ReplicaSet'),
  statefulsets: g('apps', 'v1', 'statefulsets', 'StatefulSet'),
  daemonsets: g('apps', 'v1', 'daemonsets', 'DaemonSet'),
  controllerrevisions: g('apps', 'v1', 'controllerrevisions', 'ControllerRevision'),
  jobs: g('batch', 'v1', 'jobs', 'Job'),
  cronjobs: g('batch', 'v1', 'cronjobs', 'CronJob'),
  endpointslices: g('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice'),
  leases: g('coordination.k8s.io', 'v1', 'leases', 'Lease'),
  storageclasses: g('storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', false),
  crds: g('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false),
} satisfies Record<string, Resource>;

export function apiVersionOf(r: { group: string; version: string }): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** "apps/v1" → { group: "apps", version: "v1" }; "v1" → core. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** The URL path of a collection or object (or one of its subresources). */
export function resourcePath(r: Resource, namespace?: string, name?: string, sub?: string): string {
  let p = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  if (r.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${r.plural}`;
  if (name !== undefined) p += `/${encodeURIComponent(name)}`;
  if (sub) p += `/${sub}`;
  return p;
}

/** "namespace/name" (or "name" for cluster-scoped objects): the key caches and queues use. */
export function objKey(o: { metadata?: { namespace?: string; name?: string } }): string {
  const m = o.metadata ?? {};
  return m.namespace ? `${m.namespace}/${m.name}` : String(m.name);
}

/** The inverse of objKey: [namespace ('' when none), name]. */
export function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return i < 0 ? ['', key] : [key.slice(0, i), key.slice(i + 1)];
}
