/**
 * The registry of Kubernetes' built-in resources: what discovery lists and what the API server
 * routes, with the names, scopes, short names, categories, verbs and subresources Kubernetes uses.
 */
import type { ResourceInfo, ScaleSubresource } from '@flotilla/apimachinery';

/** A subresource beyond status/scale, as discovery lists it (e.g. "pods/log"). */
export interface BuiltinSubresource {
  /** subresource name without the resource, e.g. "log", "exec", "eviction". */
  name: string;
  /** kind of the subresource's body; group/version only when they differ from the parent resource. */
  kind: string;
  group?: string;
  version?: string;
  verbs: string[];
}

export interface BuiltinResourceInfo extends ResourceInfo {
  /** Names of the subresources other than status and scale, e.g. ["log", "exec", "portforward"]. */
  extraSubresources?: string[];
}

/** The verbs of an ordinary CRUD resource. */
export const STANDARD_VERBS: readonly string[] = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];
const CRUD = [...STANDARD_VERBS];
const CREATE_ONLY = ['create'];

/** How built-in scalable workloads expose `/scale` (the label selector lives in .spec.selector). */
const SCALE: ScaleSubresource = {
  specReplicasPath: '.spec.replicas',
  statusReplicasPath: '.status.replicas',
  labelSelectorPath: '.spec.selector',
};

interface Def {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs?: string[];
  status?: boolean;
  scale?: boolean;
  extra?: BuiltinSubresource[];
}

const SUB_STATUS_VERBS = ['get', 'patch', 'update'];
const PROXY_VERBS = ['create', 'delete', 'get', 'patch', 'update'];

const DEFS: Def[] = [
  // ---- core/v1
  { group: '', version: 'v1', kind: 'Binding', plural: 'bindings', namespaced: true, verbs: CREATE_ONLY },
  { group: '', version: 'v1', kind: 'ComponentStatus', plural: 'componentstatuses', namespaced: false, shortNames: ['cs'], verbs: ['get', 'list'] },
  { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true, shortNames: ['cm'] },
  { group: '', version: 'v1', kind: 'Endpoints', plural: 'endpoints', namespaced: true, shortNames: ['ep'] },
  { group: '', version: 'v1', kind: 'Event', plural: 'events', namespaced: true, shortNames: ['ev'] },
  { group: '', version: 'v1', kind: 'LimitRange', plural: 'limitranges', namespaced: true, shortNames: ['limits'] },
  {
    group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false, shortNames: ['ns'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], status: true,
    extra: [{ name: 'finalize', kind: 'Namespace', verbs: ['update'] }],
  },
  {
    group: '', version: 'v1', kind: 'Node', plural: 'nodes', namespaced: false, shortNames: ['no'], status: true,
    extra: [{ name: 'proxy', kind: 'NodeProxyOptions', verbs: PROXY_VERBS }],
  },
  { group: '', version: 'v1', kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', namespaced: true, shortNames: ['pvc'], status: true },
  { group: '', version: 'v1', kind: 'PersistentVolume', plural: 'persistentvolumes', namespaced: false, shortNames: ['pv'], status: true },
  {
    group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true, shortNames: ['po'], categories: ['all'], status: true,
    extra: [
      { name: 'attach', kind: 'PodAttachOptions', verbs: ['create', 'get'] },
      { name: 'binding', kind: 'Binding', verbs: ['create'] },
      { name: 'ephemeralcontainers', kind: 'Pod', verbs: SUB_STATUS_VERBS },
      { name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] },
      { name: 'exec', kind: 'PodExecOptions', verbs: ['create', 'get'] },
      { name: 'log', kind: 'Pod', verbs: ['get'] },
      { name: 'portforward', kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
      { name: 'proxy', kind: 'PodProxyOptions', verbs: PROXY_VERBS },
      { name: 'resize', kind: 'Pod', verbs: SUB_STATUS_VERBS },
    ],
  },
  { group: '', version: 'v1', kind: 'PodTemplate', plural: 'podtemplates', namespaced: true },
  {
    group: '', version: 'v1', kind: 'ReplicationController', plural: 'replicationcontrollers', namespaced: true,
    shortNames: ['rc'], categories: ['all'], status: true, scale: true,
  },
  { group: '', version: 'v1', kind: 'ResourceQuota', plural: 'resourcequotas', namespaced: true, shortNames: ['quota'], status: true },
  { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true },
  {
    group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true, shortNames: ['sa'],
    extra: [{ name: 'token', kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'] }],
  },
  {
    group: '', version: 'v1', kind: 'Service', plural: 'services', namespaced: true, shortNames: ['svc'], categories: ['all'], status: true,
    extra: [{ name: 'proxy', kind: 'ServiceProxyOptions', verbs: PROXY_VERBS }],
  },

  // ---- admissionregistration.k8s.io/v1
  { group: 'admissionregistration.k8s.io', version: 'v1', kind: 'MutatingWebhookConfiguration', plural: 'mutatingwebhookconfigurations', namespaced: false, categories: ['api-extensions'] },
  { group: 'admissionregistration.k8s.io', version: 'v1', kind: 'ValidatingAdmissionPolicy', plural: 'validatingadmissionpolicies', namespaced: false, categories: ['api-extensions'], status: true },
  { group: 'admissionregistration.k8s.io', version: 'v1', kind: 'ValidatingAdmissionPolicyBinding', plural: 'validatingadmissionpolicybindings', namespaced: false, categories: ['api-extensions'] },
  { group: 'admissionregistration.k8s.io', version: 'v1', kind: 'ValidatingWebhookConfiguration', plural: 'validatingwebhookconfigurations', namespaced: false, categories: ['api-extensions'] },

  // ---- apiextensions.k8s.io/v1
  { group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions', namespaced: false, shortNames: ['crd', 'crds'], categories: ['api-extensions'], status: true },

  // ---- apps/v1
  { group: 'apps', version: 'v1', kind: 'ControllerRevision', plural: 'controllerrevisions', namespaced: true },
  { group: 'apps', version: 'v1', kind: 'DaemonSet', plural: 'daemonsets', namespaced: true, shortNames: ['ds'], categories: ['all'], status: true },
  { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true, shortNames: ['deploy'], categories: ['all'], status: true, scale: true },
  { group: 'apps', version: 'v1', kind: 'ReplicaSet', plural: 'replicasets', namespaced: true, shortNames: ['rs'], categories: ['all'], status: true, scale: true },
  { group: 'apps', version: 'v1', kind: 'StatefulSet', plural: 'statefulsets', namespaced: true, shortNames: ['sts'], categories: ['all'], status: true, scale: true },

  // ---- authentication.k8s.io/v1
  { group: 'authentication.k8s.io', version: 'v1', kind: 'SelfSubjectReview', plural: 'selfsubjectreviews', namespaced: false, verbs: CREATE_ONLY },
  { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenReview', plural: 'tokenreviews', namespaced: false, verbs: CREATE_ONLY },

  // ---- authorization.k8s.io/v1
  { group: 'authorization.k8s.io', version: 'v1', kind: 'LocalSubjectAccessReview', plural: 'localsubjectaccessreviews', namespaced: true, verbs: CREATE_ONLY },
  { group: 'authorization.k8s.io', version: 'v1', kind: 'SelfSubjectAccessReview', plural: 'selfsubjectaccessreviews', namespaced: false, verbs: CREATE_ONLY },
  { group: 'authorization.k8s.io', version: 'v1', kind: 'SelfSubjectRulesReview', plural: 'selfsubjectrulesreviews', namespaced: false, verbs: CREATE_ONLY },
  { group: 'authorization.k8s.io', version: 'v1', kind: 'SubjectAccessReview', plural: 'subjectaccessreviews', namespaced: false, verbs: CREATE_ONLY },

  // ---- autoscaling (v2 preferred, v1 still served)
  { group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers', namespaced: true, shortNames: ['hpa'], categories: ['all'], status: true },
  { group: 'autoscaling', version: 'v1', kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers', namespaced: true, shortNames: ['hpa'], categories: ['all'], status: true },

  // ---- batch/v1
  { group: 'batch', version: 'v1', kind: 'CronJob', plural: 'cronjobs', namespaced: true, shortNames: ['cj'], categories: ['all'], status: true },
  { group: 'batch', version: 'v1', kind: 'Job', plural: 'jobs', namespaced: true, categories: ['all'], status: true },

  // ---- coordination.k8s.io/v1
  { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases', namespaced: true },

  // ---- discovery.k8s.io/v1
  { group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice', plural: 'endpointslices', namespaced: true },

  // ---- events.k8s.io/v1
  { group: 'events.k8s.io', version: 'v1', kind: 'Event', plural: 'events', namespaced: true, shortNames: ['ev'] },

  // ---- networking.k8s.io/v1
  { group: 'networking.k8s.io', version: 'v1', kind: 'IngressClass', plural: 'ingressclasses', namespaced: false },
  { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress', plural: 'ingresses', namespaced: true, shortNames: ['ing'], status: true },
  { group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy', plural: 'networkpolicies', namespaced: true, shortNames: ['netpol'] },

  // ---- policy/v1
  { group: 'policy', version: 'v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', namespaced: true, shortNames: ['pdb'], status: true },

  // ---- rbac.authorization.k8s.io/v1
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', namespaced: false },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRole', plural: 'clusterroles', namespaced: false },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding', plural: 'rolebindings', namespaced: true },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role', plural: 'roles', namespaced: true },

  // ---- scheduling.k8s.io/v1
  { group: 'scheduling.k8s.io', version: 'v1', kind: 'PriorityClass', plural: 'priorityclasses', namespaced: false, shortNames: ['pc'] },

  // ---- storage.k8s.io/v1
  { group: 'storage.k8s.io', version: 'v1', kind: 'CSIDriver', plural: 'csidrivers', namespaced: false },
  { group: 'storage.k8s.io', version: 'v1', kind: 'CSINode', plural: 'csinodes', namespaced: false },
  { group: 'storage.k8s.io', version: 'v1', kind: 'CSIStorageCapacity', plural: 'csistoragecapacities', namespaced: true },
  { group: 'storage.k8s.io', version: 'v1', kind: 'StorageClass', plural: 'storageclasses', namespaced: false, shortNames: ['sc'] },
  { group: 'storage.k8s.io', version: 'v1', kind: 'VolumeAttachment', plural: 'volumeattachments', namespaced: false, status: true },
];

function toInfo(d: Def): BuiltinResourceInfo {
  const r: BuiltinResourceInfo = {
    group: d.group,
    version: d.version,
    kind: d.kind,
    listKind: `${d.kind}List`,
    plural: d.plural,
    singular: d.kind.toLowerCase(),
    namespaced: d.namespaced,
    verbs: [...(d.verbs ?? CRUD)],
    storage: true,
  };
  if (d.shortNames) r.shortNames = [...d.shortNames];
  if (d.categories) r.categories = [...d.categories];
  if (d.status || d.scale) {
    r.subresources = {};
    if (d.status) r.subresources.status = true;
    if (d.scale) r.subresources.scale = { ...SCALE };
  }
  if (d.extra) r.extraSubresources = d.extra.map((s) => s.name);
  return r;
}

/** Every built-in resource, in a stable order (core first, then groups alphabetically). */
export const builtinResources: BuiltinResourceInfo[] = DEFS.map(toInfo);

const EXTRA = new Map<string, BuiltinSubresource[]>(
  DEFS.filter((d) => d.extra).map((d) => [`${d.group}/${d.version}/${d.plural}`, d.extra!]),
);
const BY_GVR = new Map<string, BuiltinResourceInfo>(builtinResources.map((r) => [`${r.group}/${r.version}/${r.plural}`, r]));

/** The built-in resource served at group/version/plural ("" for the core group), if any. */
export function findBuiltin(group: string, version: string, plural: string): BuiltinResourceInfo | undefined {
  return BY_GVR.get(`${group}/${version}/${plural}`);
}

/** The built-in resource of a kind at group/version, if any. */
export function findBuiltinByKind(group: string, version: string, kind: string): BuiltinResourceInfo | undefined {
  return builtinResources.find((r) => r.group === group && r.version === version && r.kind === kind);
}

/** For groups served at several versions, the preferred one (what discovery lists first). */
export const preferredVersions: Record<string, string> = {
  autoscaling: 'v2',
};

/** The preferred version of a built-in group: preferredVersions, else the only/first version served. */
export function preferredVersion(group: string): string | undefined {
  return preferredVersions[group] ?? builtinResources.find((r) => r.group === group)?.version;
}

/**
 * Group-versions served by built-ins as discovery spells them: "v1" for core, "apps/v1", ...
 * Core first, then groups alphabetically; within a group the preferred version first.
 */
export function builtinGroupVersions(): string[] {
  const groups = [...new Set(builtinResources.map((r) => r.group))].sort();
  const out: string[] = [];
  for (const g of groups) {
    const versions = [...new Set(builtinResources.filter((r) => r.group === g).map((r) => r.version))];
    const pref = preferredVersion(g);
    versions.sort((a, b) => (a === pref ? -1 : b === pref ? 1 : compareKubeVersions(a, b)));
    for (const v of versions) out.push(g === '' ? v : `${g}/${v}`);
  }
  return out;
}

/** Built-in resources served at one group-version ("v1" / "apps/v1" / {group, version}). */
export function builtinResourcesFor(group: string, version: string): BuiltinResourceInfo[] {
  return builtinResources.filter((r) => r.group === group && r.version === version);
}

/**
 * All subresources of a resource as discovery lists them (status, scale and extras), with the
 * kind, group/version (when not the parent's) and verbs of each.
 */
export function builtinSubresources(r: ResourceInfo): BuiltinSubresource[] {
  const out: BuiltinSubresource[] = [];
  if (r.subresources?.status) out.push({ name: 'status', kind: r.kind, verbs: [...SUB_STATUS_VERBS] });
  if (r.subresources?.scale) out.push({ name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: [...SUB_STATUS_VERBS] });
  for (const s of EXTRA.get(`${r.group}/${r.version}/${r.plural}`) ?? []) out.push({ ...s, verbs: [...s.verbs] });
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Orders Kubernetes versions like discovery does: GA > beta > alpha, higher numbers first
 * (v2 > v1 > v1beta2 > v1beta1 > v1alpha1); non-matching strings last, alphabetically.
 * Returns <0 when a sorts before b.
 */
export function compareKubeVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const m = v.match(/^v(\d+)(?:(alpha|beta)(\d+))?$/);
    if (!m) return undefined;
    return { major: Number(m[1]), stability: m[2] === 'alpha' ? 0 : m[2] === 'beta' ? 1 : 2, minor: m[3] ? Number(m[3]) : 0 };
  };
  const pa = parse(a);
  const pb = parse(b);
  if (!pa && !pb) return a < b ? -1 : a > b ? 1 : 0;
  if (!pa) return 1;
  if (!pb) return -1;
  if (pa.stability !== pb.stability) return pb.stability - pa.stability;
  if (pa.major !== pb.major) return pb.major - pa.major;
  return pb.minor - pa.minor;
}
