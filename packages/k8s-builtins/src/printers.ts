/**
 * Table printers of built-in kinds: the columns and cells a kube-apiserver returns for `kubectl get` (Accept:
 * application/json;as=Table;g=meta.k8s.io;v=v1). Columns with priority 1 are shown only with `-o wide`.
 */
import type { KubeObject, ResourceInfo, TableColumn, TablePrinter } from '@flotilla/apimachinery';
import { humanAge, humanDuration } from '@flotilla/apimachinery';
import { podReadinessGates, summarizePod, type PodSummary } from './print-pod.js';
import { formatLabelMap, formatLabelSelector } from './validate-meta.js';

type Obj = Record<string, unknown>;

function o(v: unknown): Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {};
}
function arr(v: unknown): Obj[] {
  return Array.isArray(v) ? (v.filter((x) => x !== null && typeof x === 'object' && !Array.isArray(x)) as Obj[]) : [];
}
function strs(v: unknown): string[] {
  return Array.isArray(v) ? v.map((x) => String(x)) : [];
}
function s(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}
function n(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}
function orNone(v: string): string {
  return v === '' ? '<none>' : v;
}

// ---------------------------------------------------------------------------------------------------------------
// Columns

export const NAME_COLUMN_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
export const AGE_COLUMN_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

function col(name: string, type: TableColumn['type'], description: string, priority = 0): TableColumn {
  return { name, type, format: '', description, priority };
}
const NAME: TableColumn = { name: 'Name', type: 'string', format: 'name', description: NAME_COLUMN_DESCRIPTION, priority: 0 };
const AGE = col('Age', 'string', AGE_COLUMN_DESCRIPTION);
const CREATED_AT = col('Created At', 'date', AGE_COLUMN_DESCRIPTION);
const CONTAINERS = col('Containers', 'string', 'Names of each container in the template.', 1);
const IMAGES = col('Images', 'string', 'Images referenced by each container in the template.', 1);
const SELECTOR = col('Selector', 'string', 'Label selector for the pods managed by this object.', 1);

type Cell = (obj: KubeObject, now: Date) => unknown;

interface Def {
  columns: TableColumn[];
  cells: Cell[];
}

function nameOf(obj: KubeObject): string {
  return s(obj.metadata?.name);
}
function ageOf(obj: KubeObject, now: Date): string {
  return humanAge(obj.metadata?.creationTimestamp, now);
}
const nameCell: Cell = (obj) => nameOf(obj);
const ageCell: Cell = (obj, now) => ageOf(obj, now);
const createdAtCell: Cell = (obj) => s(obj.metadata?.creationTimestamp);

function printer(d: Def): TablePrinter {
  return { columns: d.columns, cells: (obj, now) => d.cells.map((c) => c(obj, now)) };
}

function templateContainers(tpl: unknown): { names: string; images: string } {
  const cs = arr(o(o(tpl).spec).containers);
  return { names: cs.map((c) => s(c.name)).join(','), images: cs.map((c) => s(c.image)).join(',') };
}

function wideTemplate(getTemplate: (obj: KubeObject) => unknown, selector?: (obj: KubeObject) => string): Def {
  const columns = [CONTAINERS, IMAGES];
  const cells: Cell[] = [(obj) => templateContainers(getTemplate(obj)).names, (obj) => templateContainers(getTemplate(obj)).images];
  if (selector) {
    columns.push(SELECTOR);
    cells.push((obj) => selector(obj));
  }
  return { columns, cells };
}

function combine(...defs: Def[]): Def {
  return { columns: defs.flatMap((d) => d.columns), cells: defs.flatMap((d) => d.cells) };
}

const spec = (obj: KubeObject) => o(obj.spec);
const status = (obj: KubeObject) => o(obj.status);
const specSelector = (obj: KubeObject) => formatLabelSelector(spec(obj).selector);

// ---------------------------------------------------------------------------------------------------------------
// Workloads

const podSummaries = new WeakMap<KubeObject, { now: number; summary: PodSummary }>();
function podSummary(obj: KubeObject, now: Date): PodSummary {
  const hit = podSummaries.get(obj);
  if (hit && hit.now === now.getTime()) return hit.summary;
  const summary = summarizePod(obj, now);
  podSummaries.set(obj, { now: now.getTime(), summary });
  return summary;
}

const podDef: Def = {
  columns: [
    NAME,
    col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'string', 'The aggregate status of the containers in this pod.'),
    col('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    AGE,
    col('IP', 'string', 'The IP address assigned to this pod.', 1),
    col('Node', 'string', 'The name of the node this pod is assigned to.', 1),
    col('Nominated Node', 'string', 'The name of the node nominated by the scheduler to run this pod once preemption completes.', 1),
    col('Readiness Gates', 'string', 'The readiness gates of this pod and how many of them are true.', 1),
  ],
  cells: [
    nameCell,
    (obj, now) => podSummary(obj, now).ready,
    (obj, now) => podSummary(obj, now).status,
    (obj, now) => podSummary(obj, now).restarts,
    ageCell,
    (obj) => orNone(s(status(obj).podIP)),
    (obj) => orNone(s(spec(obj).nodeName)),
    (obj) => orNone(s(status(obj).nominatedNodeName)),
    (obj) => podReadinessGates(obj),
  ],
};

const podTemplateDef: Def = {
  columns: [NAME, col('Containers', 'string', 'Names of each container in the template.'), col('Images', 'string', 'Images referenced by each container in the template.'), col('Pod Labels', 'string', 'The labels for the pod template.')],
  cells: [
    nameCell,
    (obj) => templateContainers(obj.template).names,
    (obj) => templateContainers(obj.template).images,
    (obj) => formatLabelMap(o(o(obj.template).metadata).labels),
  ],
};

const deploymentDef = combine(
  {
    columns: [
      NAME,
      col('Ready', 'string', 'Number of the pod with ready state'),
      col('Up-to-date', 'integer', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
      col('Available', 'integer', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
      AGE,
    ],
    cells: [
      nameCell,
      (obj) => `${n(status(obj).readyReplicas)}/${n(spec(obj).replicas)}`,
      (obj) => n(status(obj).updatedReplicas),
      (obj) => n(status(obj).availableReplicas),
      ageCell,
    ],
  },
  wideTemplate((obj) => spec(obj).template, specSelector),
);

function replicaSetLike(selector: (obj: KubeObject) => string): Def {
  return combine(
    {
      columns: [
        NAME,
        col('Desired', 'integer', 'Number of desired pods.'),
        col('Current', 'integer', 'Number of pods currently running.'),
        col('Ready', 'integer', 'Number of pods ready.'),
        AGE,
      ],
      cells: [nameCell, (obj) => n(spec(obj).replicas), (obj) => n(status(obj).replicas), (obj) => n(status(obj).readyReplicas), ageCell],
    },
    wideTemplate((obj) => spec(obj).template, selector),
  );
}

const statefulSetDef = combine(
  {
    columns: [NAME, col('Ready', 'string', 'Number of the pod with ready state'), AGE],
    cells: [nameCell, (obj) => `${n(status(obj).readyReplicas)}/${n(spec(obj).replicas)}`, ageCell],
  },
  wideTemplate((obj) => spec(obj).template),
);

const daemonSetDef = combine(
  {
    columns: [
      NAME,
      col('Desired', 'integer', 'The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod).'),
      col('Current', 'integer', 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.'),
      col('Ready', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.'),
      col('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod.'),
      col('Available', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds).'),
      col('Node Selector', 'string', 'NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node\'s labels for the pod to be scheduled on that node.'),
      AGE,
    ],
    cells: [
      nameCell,
      (obj) => n(status(obj).desiredNumberScheduled),
      (obj) => n(status(obj).currentNumberScheduled),
      (obj) => n(status(obj).numberReady),
      (obj) => n(status(obj).updatedNumberScheduled),
      (obj) => n(status(obj).numberAvailable),
      (obj) => formatLabelMap(o(o(spec(obj).template).spec).nodeSelector),
      ageCell,
    ],
  },
  wideTemplate((obj) => spec(obj).template, specSelector),
);

function hasCondition(obj: KubeObject, type: string): boolean {
  return arr(status(obj).conditions).some((c) => c.type === type && c.status === 'True');
}

/** The STATUS cell of a Job. */
export function jobStatus(obj: KubeObject): string {
  if (hasCondition(obj, 'Complete')) return 'Complete';
  if (hasCondition(obj, 'Failed')) return 'Failed';
  if (obj.metadata?.deletionTimestamp) return 'Terminating';
  if (hasCondition(obj, 'FailureTarget')) return 'FailureTarget';
  if (hasCondition(obj, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  if (hasCondition(obj, 'Suspended')) return 'Suspended';
  return 'Running';
}

function jobCompletions(obj: KubeObject): string {
  const sp = spec(obj);
  const succeeded = n(status(obj).succeeded);
  if (typeof sp.completions === 'number') return `${succeeded}/${sp.completions}`;
  const parallelism = typeof sp.parallelism === 'number' ? sp.parallelism : 0;
  if (parallelism > 1) return `${succeeded}/1 of ${parallelism}`;
  return `${succeeded}/1`;
}

function jobDuration(obj: KubeObject, now: Date): string {
  const st = status(obj);
  const start = Date.parse(s(st.startTime));
  if (Number.isNaN(start)) return '';
  const endStr = s(st.completionTime);
  const end = endStr ? Date.parse(endStr) : now.getTime();
  return humanDuration((Number.isNaN(end) ? now.getTime() : end) - start);
}

const jobDef = combine(
  {
    columns: [
      NAME,
      col('Status', 'string', 'Status of the job.'),
      col('Completions', 'string', 'The completion status of the job.'),
      col('Duration', 'string', 'Time required to complete the job.'),
      AGE,
    ],
    cells: [nameCell, (obj) => jobStatus(obj), (obj) => jobCompletions(obj), jobDuration, ageCell],
  },
  wideTemplate((obj) => spec(obj).template, specSelector),
);

const cronJobDef = combine(
  {
    columns: [
      NAME,
      col('Schedule', 'string', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
      col('Timezone', 'string', 'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.'),
      col('Suspend', 'boolean', 'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.'),
      col('Active', 'integer', 'A list of pointers to currently running jobs.'),
      col('Last Schedule', 'string', 'Information when was the last time the job was successfully scheduled.'),
      AGE,
    ],
    cells: [
      nameCell,
      (obj) => s(spec(obj).schedule),
      (obj) => orNone(s(spec(obj).timeZone)),
      (obj) => (spec(obj).suspend === undefined || spec(obj).suspend === null ? '<unset>' : spec(obj).suspend === true ? 'True' : 'False'),
      (obj) => arr(status(obj).active).length,
      (obj, now) => (status(obj).lastScheduleTime ? humanAge(s(status(obj).lastScheduleTime), now) : '<none>'),
      ageCell,
    ],
  },
  wideTemplate(
    (obj) => o(o(spec(obj).jobTemplate).spec).template,
    (obj) => formatLabelSelector(o(o(spec(obj).jobTemplate).spec).selector),
  ),
);

const controllerRevisionDef: Def = {
  columns: [NAME, col('Controller', 'string', 'Controller of the object.'), col('Revision', 'integer', 'Revision indicates the revision of the state represented by Data.'), AGE],
  cells: [
    nameCell,
    (obj) => {
      const ref = (obj.metadata?.ownerReferences ?? []).find((r) => r.controller === true);
      if (!ref) return '<none>';
      const slash = ref.apiVersion.indexOf('/');
      const group = slash >= 0 ? ref.apiVersion.slice(0, slash) : '';
      return `${ref.kind.toLowerCase()}${group ? `.${group}` : ''}/${ref.name}`;
    },
    (obj) => n(obj.revision),
    ageCell,
  ],
};

// ---------------------------------------------------------------------------------------------------------------
// Services and networking

/** EXTERNAL-IP cell of a Service. */
export function serviceExternalIP(obj: KubeObject): string {
  const sp = spec(obj);
  const type = s(sp.type) || 'ClusterIP';
  const externalIPs = strs(sp.externalIPs);
  switch (type) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = arr(o(status(obj).loadBalancer).ingress).map((i) => s(i.ip) || s(i.hostname)).filter((x) => x !== '');
      const all = [...lb, ...externalIPs];
      return all.length > 0 ? all.join(',') : '<pending>';
    }
    case 'ExternalName':
      return s(sp.externalName);
    default:
      return '<unknown>';
  }
}

/** PORT(S) cell of a Service ("80/TCP,443:30443/TCP"). */
export function servicePorts(obj: KubeObject): string {
  const ports = arr(spec(obj).ports);
  if (ports.length === 0) return '<none>';
  return ports
    .map((p) => {
      const proto = s(p.protocol) || 'TCP';
      return n(p.nodePort) > 0 ? `${n(p.port)}:${n(p.nodePort)}/${proto}` : `${n(p.port)}/${proto}`;
    })
    .join(',');
}

const serviceDef: Def = {
  columns: [
    NAME,
    col('Type', 'string', 'type determines how the Service is exposed.'),
    col('Cluster-IP', 'string', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
    col('External-IP', 'string', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
    col('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
    AGE,
    col('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector.', 1),
  ],
  cells: [
    nameCell,
    (obj) => s(spec(obj).type) || 'ClusterIP',
    (obj) => orNone(s(spec(obj).clusterIP)),
    (obj) => serviceExternalIP(obj),
    (obj) => servicePorts(obj),
    ageCell,
    (obj) => formatLabelMap(spec(obj).selector),
  ],
};

/** ENDPOINTS cell of core/v1 Endpoints: up to three "ip:port" entries, then " + N more...". */
export function formatEndpoints(obj: KubeObject): string {
  const list: string[] = [];
  let count = 0;
  const max = 3;
  const add = (v: string) => {
    if (list.length < max) list.push(v);
    count++;
  };
  for (const ss of arr(obj.subsets)) {
    const addrs = arr(ss.addresses);
    const ports = arr(ss.ports);
    if (ports.length === 0) for (const a of addrs) add(s(a.ip));
    else for (const p of ports) for (const a of addrs) add(`${s(a.ip)}:${n(p.port)}`);
  }
  if (count === 0) return '<none>';
  let out = list.join(',');
  if (count > max) out += ` + ${count - max} more...`;
  return out;
}

const endpointsDef: Def = {
  columns: [NAME, col('Endpoints', 'string', 'Endpoints of the service.'), AGE],
  cells: [nameCell, (obj) => formatEndpoints(obj), ageCell],
};

function moreList(items: string[], max: number, empty: string): string {
  if (items.length === 0) return empty;
  let out = items.slice(0, max).join(',');
  if (items.length > max) out += ` + ${items.length - max} more...`;
  return out;
}

const endpointSliceDef: Def = {
  columns: [
    NAME,
    col('AddressType', 'string', 'The IP protocol for this slice.'),
    col('Ports', 'string', 'The ports allowed by this slice.'),
    col('Endpoints', 'string', 'The endpoints in this slice.'),
    AGE,
  ],
  cells: [
    nameCell,
    (obj) => s(obj.addressType),
    (obj) => moreList(arr(obj.ports).map((p) => (typeof p.port === 'number' ? String(p.port) : '<unset>')), 3, '<unset>'),
    (obj) => moreList(arr(obj.endpoints).flatMap((e) => strs(e.addresses)), 3, '<unset>'),
    ageCell,
  ],
};

const ingressDef: Def = {
  columns: [
    NAME,
    col('Class', 'string', 'The name of the IngressClass resource that should be used for ingress.'),
    col('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
    col('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
    col('Ports', 'string', 'Ports of TLS configurations that open'),
    AGE,
  ],
  cells: [
    nameCell,
    (obj) => orNone(s(spec(obj).ingressClassName)),
    (obj) => {
      const hosts = arr(spec(obj).rules).map((r) => s(r.host)).filter((h) => h !== '');
      return moreList(hosts, 3, '*');
    },
    (obj) => arr(o(status(obj).loadBalancer).ingress).map((i) => s(i.ip) || s(i.hostname)).filter((x) => x !== '').join(','),
    (obj) => (arr(spec(obj).tls).length > 0 ? '80, 443' : '80'),
    ageCell,
  ],
};

const ingressClassDef: Def = {
  columns: [NAME, col('Controller', 'string', 'Controller that is responsible for handling this class'), col('Parameters', 'string', 'A reference to a resource with additional parameters'), AGE],
  cells: [
    nameCell,
    (obj) => s(spec(obj).controller),
    (obj) => {
      const p = o(spec(obj).parameters);
      if (!p.kind) return '<none>';
      return p.apiGroup ? `${s(p.kind)}.${s(p.apiGroup)}/${s(p.name)}` : `${s(p.kind)}/${s(p.name)}`;
    },
    ageCell,
  ],
};

const networkPolicyDef: Def = {
  columns: [NAME, col('Pod-Selector', 'string', 'Selects the pods to which this NetworkPolicy object applies.'), AGE],
  cells: [nameCell, (obj) => formatLabelSelector(spec(obj).podSelector ?? {}), ageCell],
};

// ---------------------------------------------------------------------------------------------------------------
// Config and storage

const configMapDef: Def = {
  columns: [NAME, col('Data', 'integer', 'Data contains the configuration data.'), AGE],
  cells: [nameCell, (obj) => Object.keys(o(obj.data)).length + Object.keys(o(obj.binaryData)).length, ageCell],
};

const secretDef: Def = {
  columns: [NAME, col('Type', 'string', 'Used to facilitate programmatic handling of secret data.'), col('Data', 'integer', 'Data contains the secret data.'), AGE],
  cells: [nameCell, (obj) => s(obj.type), (obj) => Object.keys(o(obj.data)).length, ageCell],
};

const serviceAccountDef: Def = {
  columns: [NAME, col('Secrets', 'integer', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.'), AGE],
  cells: [nameCell, (obj) => arr(obj.secrets).length, ageCell],
};

const ACCESS_MODE_SHORT: [string, string][] = [
  ['ReadWriteOnce', 'RWO'],
  ['ReadOnlyMany', 'ROX'],
  ['ReadWriteMany', 'RWX'],
  ['ReadWriteOncePod', 'RWOP'],
];

/** Access modes as kubectl abbreviates them ("RWO,ROX"). */
export function accessModesString(modes: unknown): string {
  const m = strs(modes);
  return ACCESS_MODE_SHORT.filter(([long]) => m.includes(long))
    .map(([, short]) => short)
    .join(',');
}

function storageClassOf(obj: KubeObject): string {
  const sc = spec(obj).storageClassName;
  if (typeof sc === 'string') return sc;
  return s(obj.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class']);
}

const pvcDef: Def = {
  columns: [
    NAME,
    col('Status', 'string', 'The phase of the claim.'),
    col('Volume', 'string', 'The binding reference to the PersistentVolume backing this claim.'),
    col('Capacity', 'string', 'The actual resources of the underlying volume.'),
    col('Access Modes', 'string', 'The actual access modes the volume backing the PVC has.'),
    col('StorageClass', 'string', 'The name of the StorageClass required by the claim.'),
    col('VolumeAttributesClass', 'string', 'The name of the VolumeAttributesClass the PVC is using.'),
    AGE,
    col('VolumeMode', 'string', 'Defines what type of volume is required by the claim.', 1),
  ],
  cells: [
    nameCell,
    (obj) => (obj.metadata?.deletionTimestamp ? 'Terminating' : s(status(obj).phase)),
    (obj) => s(spec(obj).volumeName),
    (obj) => (s(spec(obj).volumeName) !== '' ? s(o(status(obj).capacity).storage) : ''),
    (obj) => (s(spec(obj).volumeName) !== '' ? accessModesString(status(obj).accessModes) : ''),
    (obj) => storageClassOf(obj),
    (obj) => s(spec(obj).volumeAttributesClassName) || '<unset>',
    ageCell,
    (obj) => s(spec(obj).volumeMode) || '<unset>',
  ],
};

const pvDef: Def = {
  columns: [
    NAME,
    col('Capacity', 'string', 'The capacity of the persistent volume.'),
    col('Access Modes', 'string', 'All ways the volume can be mounted.'),
    col('Reclaim Policy', 'string', 'What happens to a persistent volume when released from its claim.'),
    col('Status', 'string', 'The phase indicates if a volume is available, bound to a claim, or released by a claim.'),
    col('Claim', 'string', 'The binding reference to a PersistentVolumeClaim.'),
    col('StorageClass', 'string', 'The name of StorageClass to which this persistent volume belongs.'),
    col('VolumeAttributesClass', 'string', 'The name of VolumeAttributesClass to which this persistent volume belongs.'),
    col('Reason', 'string', 'The reason why this persistent volume is in its current phase.'),
    AGE,
    col('VolumeMode', 'string', 'Defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.', 1),
  ],
  cells: [
    nameCell,
    (obj) => s(o(spec(obj).capacity).storage),
    (obj) => accessModesString(spec(obj).accessModes),
    (obj) => s(spec(obj).persistentVolumeReclaimPolicy),
    (obj) => (obj.metadata?.deletionTimestamp ? 'Terminating' : s(status(obj).phase)),
    (obj) => {
      const c = o(spec(obj).claimRef);
      return c.name ? `${s(c.namespace)}/${s(c.name)}` : '';
    },
    (obj) => s(spec(obj).storageClassName),
    (obj) => s(spec(obj).volumeAttributesClassName) || '<unset>',
    (obj) => s(status(obj).reason),
    ageCell,
    (obj) => s(spec(obj).volumeMode) || '<unset>',
  ],
};

const storageClassDef: Def = {
  columns: [
    NAME,
    col('Provisioner', 'string', 'Indicates the type of the provisioner.'),
    col('ReclaimPolicy', 'string', 'Dynamically provisioned PersistentVolumes of this storage class are created with this reclaimPolicy.'),
    col('VolumeBindingMode', 'string', 'VolumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.'),
    col('AllowVolumeExpansion', 'string', 'AllowVolumeExpansion shows whether the storage class allow volume expand.'),
    AGE,
  ],
  cells: [
    (obj) => {
      const ann = obj.metadata?.annotations ?? {};
      const isDefault =
        ann['storageclass.kubernetes.io/is-default-class'] === 'true' || ann['storageclass.beta.kubernetes.io/is-default-class'] === 'true';
      return isDefault ? `${nameOf(obj)} (default)` : nameOf(obj);
    },
    (obj) => s(obj.provisioner),
    (obj) => s(obj.reclaimPolicy) || 'Delete',
    (obj) => s(obj.volumeBindingMode) || 'Immediate',
    (obj) => (obj.allowVolumeExpansion === true ? 'true' : 'false'),
    ageCell,
  ],
};

// ---------------------------------------------------------------------------------------------------------------
// Cluster

const namespaceDef: Def = {
  columns: [NAME, col('Status', 'string', 'The status of the namespace'), AGE],
  cells: [nameCell, (obj) => s(status(obj).phase), ageCell],
};

/** STATUS cell of a Node ("Ready", "NotReady,SchedulingDisabled", "Unknown"). */
export function nodeStatus(obj: KubeObject): string {
  const ready = arr(status(obj).conditions).find((c) => c.type === 'Ready');
  const parts: string[] = [];
  if (!ready) parts.push('Unknown');
  else if (ready.status === 'True') parts.push('Ready');
  else if (ready.status === 'False') parts.push('NotReady');
  else parts.push('Unknown');
  if (spec(obj).unschedulable === true) parts.push('SchedulingDisabled');
  return parts.join(',');
}

/** ROLES cell of a Node, from node-role.kubernetes.io/<role> and kubernetes.io/role labels. */
export function nodeRoles(obj: KubeObject): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(obj.metadata?.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const r = k.slice('node-role.kubernetes.io/'.length);
      if (r !== '') roles.add(r);
    } else if (k === 'kubernetes.io/role' && v !== '') roles.add(v);
  }
  return roles.size === 0 ? '<none>' : [...roles].sort().join(',');
}

function nodeAddress(obj: KubeObject, type: string): string {
  const a = arr(status(obj).addresses).find((x) => x.type === type);
  return a ? s(a.address) : '<none>';
}

const nodeDef: Def = {
  columns: [
    NAME,
    col('Status', 'string', 'The status of the node'),
    col('Roles', 'string', 'The roles of the node'),
    AGE,
    col('Version', 'string', 'Kubelet Version reported by the node.'),
    col('Internal-IP', 'string', 'List of addresses reachable to the node. Queried from cloud provider, if available.', 1),
    col('External-IP', 'string', 'List of addresses reachable to the node. Queried from cloud provider, if available.', 1),
    col('OS-Image', 'string', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1),
    col('Kernel-Version', 'string', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
    col('Container-Runtime', 'string', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', 1),
  ],
  cells: [
    nameCell,
    (obj) => nodeStatus(obj),
    (obj) => nodeRoles(obj),
    ageCell,
    (obj) => s(o(status(obj).nodeInfo).kubeletVersion),
    (obj) => nodeAddress(obj, 'InternalIP'),
    (obj) => nodeAddress(obj, 'ExternalIP'),
    (obj) => s(o(status(obj).nodeInfo).osImage) || '<unknown>',
    (obj) => s(o(status(obj).nodeInfo).kernelVersion) || '<unknown>',
    (obj) => s(o(status(obj).nodeInfo).containerRuntimeVersion) || '<unknown>',
  ],
};

function eventTimes(obj: KubeObject, now: Date): { first: string; last: string; count: number } {
  const ev = obj as Obj;
  const firstTs = s(ev.firstTimestamp) || s(ev.deprecatedFirstTimestamp) || s(ev.eventTime);
  const first = firstTs ? humanAge(firstTs, now) : '<unknown>';
  const lastTs = s(ev.lastTimestamp) || s(ev.deprecatedLastTimestamp);
  let last = lastTs ? humanAge(lastTs, now) : first;
  let count = n(ev.count) || n(ev.deprecatedCount);
  const series = o(ev.series);
  if (series.lastObservedTime) {
    last = humanAge(s(series.lastObservedTime), now);
    count = n(series.count);
  } else if (count === 0) count = 1;
  return { first, last, count };
}

function eventObject(obj: KubeObject): Obj {
  const ev = obj as Obj;
  return o(ev.involvedObject ?? ev.regarding);
}

const eventDef: Def = {
  columns: [
    col('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
    col('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future.'),
    col('Reason', 'string', 'This should be a short, machine understandable string that gives the reason for the transition into the object\'s current status.'),
    col('Object', 'string', 'The object that this event is about.'),
    col('Subobject', 'string', 'The subobject (e.g. a container) this event is about.', 1),
    col('Source', 'string', 'The component reporting this event.', 1),
    col('Message', 'string', 'A human-readable description of the status of this operation.'),
    col('First Seen', 'string', 'The time at which the event was first recorded.', 1),
    col('Count', 'string', 'The number of times this event has occurred.', 1),
    { ...NAME, priority: 1 },
  ],
  cells: [
    (obj, now) => eventTimes(obj, now).last,
    (obj) => s(obj.type),
    (obj) => s(obj.reason),
    (obj) => {
      const io = eventObject(obj);
      const kind = s(io.kind).toLowerCase();
      return s(io.name) ? `${kind}/${s(io.name)}` : kind;
    },
    (obj) => s(eventObject(obj).fieldPath),
    (obj) => {
      const ev = obj as Obj;
      const src = o(ev.source);
      const component = s(src.component) || s(ev.reportingComponent) || s(ev.reportingController);
      const host = s(src.host) || s(ev.reportingInstance);
      return host ? `${component}, ${host}` : component;
    },
    (obj) => s((obj as Obj).message ?? (obj as Obj).note),
    (obj, now) => eventTimes(obj, now).first,
    (obj, now) => String(eventTimes(obj, now).count),
    nameCell,
  ],
};

const leaseDef: Def = {
  columns: [NAME, col('Holder', 'string', 'Name of the Lease Holder'), AGE],
  cells: [nameCell, (obj) => s(spec(obj).holderIdentity), ageCell],
};

const createdAtDef: Def = { columns: [NAME, CREATED_AT], cells: [nameCell, createdAtCell] };

function bindingDef(): Def {
  const subjectsOf = (obj: KubeObject, kind: string) => arr((obj as Obj).subjects).filter((x) => x.kind === kind);
  return {
    columns: [
      NAME,
      col('Role', 'string', 'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.'),
      AGE,
      col('Users', 'string', 'Users in the roleBinding', 1),
      col('Groups', 'string', 'Groups in the roleBinding', 1),
      col('ServiceAccounts', 'string', 'ServiceAccounts in the roleBinding', 1),
    ],
    cells: [
      nameCell,
      (obj) => {
        const rr = o((obj as Obj).roleRef);
        return `${s(rr.kind)}/${s(rr.name)}`;
      },
      ageCell,
      (obj) => subjectsOf(obj, 'User').map((x) => s(x.name)).join(', '),
      (obj) => subjectsOf(obj, 'Group').map((x) => s(x.name)).join(', '),
      (obj) => subjectsOf(obj, 'ServiceAccount').map((x) => `${s(x.namespace)}/${s(x.name)}`).join(', '),
    ],
  };
}

const webhookConfigDef: Def = {
  columns: [NAME, col('Webhooks', 'integer', 'Webhooks indicates the number of webhooks in the configuration.'), AGE],
  cells: [nameCell, (obj) => arr((obj as Obj).webhooks).length, ageCell],
};

const priorityClassDef: Def = {
  columns: [
    NAME,
    col('Value', 'integer', 'The value of this priority class. This is the actual priority that pods receive when they have the name of this class in their pod spec.'),
    col('Global-Default', 'boolean', 'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class.'),
    col('Preemption-Policy', 'string', 'PreemptionPolicy is the Policy for preempting pods with lower priority.'),
    AGE,
  ],
  cells: [nameCell, (obj) => n(obj.value), (obj) => obj.globalDefault === true, (obj) => s(obj.preemptionPolicy) || 'PreemptLowerPriority', ageCell],
};

const pdbDef: Def = {
  columns: [
    NAME,
    col('Min Available', 'string', 'The minimum number of pods that must be available simultaneously.  This can be either an integer or a string specifying a percentage, e.g. "28%".'),
    col('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable simultaneously.  This can be either an integer or a string specifying a percentage, e.g. "28%".'),
    col('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time.'),
    AGE,
  ],
  cells: [
    nameCell,
    (obj) => (spec(obj).minAvailable === undefined ? 'N/A' : s(spec(obj).minAvailable)),
    (obj) => (spec(obj).maxUnavailable === undefined ? 'N/A' : s(spec(obj).maxUnavailable)),
    (obj) => n(status(obj).disruptionsAllowed),
    ageCell,
  ],
};

function metricTarget(m: Obj, current: Obj[]): string {
  const type = s(m.type);
  const find = (key: string, match: (x: Obj) => boolean) => current.find((c) => c.type === type && match(o(c[key])));
  switch (type) {
    case 'Resource':
    case 'ContainerResource': {
      const key = type === 'Resource' ? 'resource' : 'containerResource';
      const r = o(m[key]);
      const t = o(r.target);
      const cur = o(o(find(key, (x) => x.name === r.name && (type === 'Resource' || x.container === r.container))?.[key]).current);
      const prefix = `${s(r.name)}: `;
      if (t.type === 'Utilization') {
        const c = typeof cur.averageUtilization === 'number' ? `${cur.averageUtilization}%` : '<unknown>';
        return `${prefix}${c}/${n(t.averageUtilization)}%`;
      }
      const c = cur.averageValue !== undefined ? s(cur.averageValue) : '<unknown>';
      return `${prefix}${c}/${s(t.averageValue)}`;
    }
    case 'Pods': {
      const p = o(m.pods);
      const t = o(p.target);
      const name = s(o(p.metric).name);
      const cur = o(o(find('pods', (x) => s(o(x.metric).name) === name)?.pods).current);
      return `${cur.averageValue !== undefined ? s(cur.averageValue) : '<unknown>'}/${s(t.averageValue)}`;
    }
    case 'Object':
    case 'External': {
      const key = type === 'Object' ? 'object' : 'external';
      const p = o(m[key]);
      const t = o(p.target);
      const name = s(o(p.metric).name);
      const cur = o(o(find(key, (x) => s(o(x.metric).name) === name)?.[key]).current);
      if (t.type === 'AverageValue') return `${cur.averageValue !== undefined ? s(cur.averageValue) : '<unknown>'}/${s(t.averageValue)} (avg)`;
      return `${cur.value !== undefined ? s(cur.value) : '<unknown>'}/${s(t.value)}`;
    }
    default:
      return '<unknown type>';
  }
}

/** TARGETS cell of a HorizontalPodAutoscaler (autoscaling/v2 or v1 shape). */
export function hpaTargets(obj: KubeObject): string {
  const sp = spec(obj);
  const st = status(obj);
  if (!Array.isArray(sp.metrics)) {
    const target = typeof sp.targetCPUUtilizationPercentage === 'number' ? sp.targetCPUUtilizationPercentage : 80;
    const cur = typeof st.currentCPUUtilizationPercentage === 'number' ? `${st.currentCPUUtilizationPercentage}%` : '<unknown>';
    return `cpu: ${cur}/${target}%`;
  }
  const metrics = arr(sp.metrics);
  if (metrics.length === 0) return '<none>';
  const current = arr(st.currentMetrics);
  const list = metrics.map((m) => metricTarget(m, current));
  if (list.length > 3) return `${list.slice(0, 3).join(', ')} + ${list.length - 3} more...`;
  return list.join(', ');
}

const hpaDef: Def = {
  columns: [
    NAME,
    col('Reference', 'string', 'reference to scaled resource; horizontal pod autoscaler will learn the current resource consumption and will set the desired number of pods by using its Scale subresource.'),
    col('Targets', 'string', 'metrics contains the specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics will be used).'),
    col('MinPods', 'string', 'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.'),
    col('MaxPods', 'integer', 'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up.'),
    col('Replicas', 'integer', 'currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler.'),
    AGE,
  ],
  cells: [
    nameCell,
    (obj) => {
      const ref = o(spec(obj).scaleTargetRef);
      return `${s(ref.kind)}/${s(ref.name)}`;
    },
    (obj) => hpaTargets(obj),
    (obj) => (typeof spec(obj).minReplicas === 'number' ? String(spec(obj).minReplicas) : '<unset>'),
    (obj) => n(spec(obj).maxReplicas),
    (obj) => n(status(obj).currentReplicas),
    ageCell,
  ],
};

function quotaList(obj: KubeObject, limits: boolean): string {
  const hard = o(status(obj).hard ?? spec(obj).hard);
  const used = o(status(obj).used);
  return Object.keys(hard)
    .filter((k) => k.startsWith('limits.') === limits)
    .sort()
    .map((k) => `${k}: ${s(used[k] ?? '0')}/${s(hard[k])}`)
    .join(', ');
}

const resourceQuotaDef: Def = {
  columns: [NAME, AGE, col('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.'), col('Limit', 'string', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.')],
  cells: [nameCell, ageCell, (obj) => quotaList(obj, false), (obj) => quotaList(obj, true)],
};

const runtimeClassDef: Def = {
  columns: [NAME, col('Handler', 'string', 'RuntimeClass Handler'), AGE],
  cells: [nameCell, (obj) => s(obj.handler), ageCell],
};

const apiServiceDef: Def = {
  columns: [NAME, col('Service', 'string', 'The reference to the service that hosts this API endpoint.'), col('Available', 'string', 'Whether this service is available.'), AGE],
  cells: [
    nameCell,
    (obj) => {
      const svc = o(spec(obj).service);
      return svc.name ? `${s(svc.namespace)}/${s(svc.name)}` : 'Local';
    },
    (obj) => {
      const c = arr(status(obj).conditions).find((x) => x.type === 'Available');
      if (!c) return 'Unknown';
      return c.status === 'True' ? 'True' : `${s(c.status)} (${s(c.reason)})`;
    },
    ageCell,
  ],
};

const defaultDef: Def = { columns: [NAME, AGE], cells: [nameCell, ageCell] };

const DEFS: Record<string, Def> = {
  'Pod.': podDef,
  'PodTemplate.': podTemplateDef,
  'ReplicationController.': replicaSetLike((obj) => formatLabelMap(spec(obj).selector)),
  'Service.': serviceDef,
  'Endpoints.': endpointsDef,
  'ConfigMap.': configMapDef,
  'Secret.': secretDef,
  'ServiceAccount.': serviceAccountDef,
  'Namespace.': namespaceDef,
  'Node.': nodeDef,
  'Event.': eventDef,
  'PersistentVolumeClaim.': pvcDef,
  'PersistentVolume.': pvDef,
  'ResourceQuota.': resourceQuotaDef,
  'LimitRange.': createdAtDef,
  'Deployment.apps': deploymentDef,
  'ReplicaSet.apps': replicaSetLike(specSelector),
  'StatefulSet.apps': statefulSetDef,
  'DaemonSet.apps': daemonSetDef,
  'ControllerRevision.apps': controllerRevisionDef,
  'Job.batch': jobDef,
  'CronJob.batch': cronJobDef,
  'EndpointSlice.discovery.k8s.io': endpointSliceDef,
  'Ingress.networking.k8s.io': ingressDef,
  'IngressClass.networking.k8s.io': ingressClassDef,
  'NetworkPolicy.networking.k8s.io': networkPolicyDef,
  'Lease.coordination.k8s.io': leaseDef,
  'Role.rbac.authorization.k8s.io': createdAtDef,
  'ClusterRole.rbac.authorization.k8s.io': createdAtDef,
  'RoleBinding.rbac.authorization.k8s.io': bindingDef(),
  'ClusterRoleBinding.rbac.authorization.k8s.io': bindingDef(),
  'CustomResourceDefinition.apiextensions.k8s.io': createdAtDef,
  'MutatingWebhookConfiguration.admissionregistration.k8s.io': webhookConfigDef,
  'ValidatingWebhookConfiguration.admissionregistration.k8s.io': webhookConfigDef,
  'HorizontalPodAutoscaler.autoscaling': hpaDef,
  'PodDisruptionBudget.policy': pdbDef,
  'PriorityClass.scheduling.k8s.io': priorityClassDef,
  'StorageClass.storage.k8s.io': storageClassDef,
  'RuntimeClass.node.k8s.io': runtimeClassDef,
  'APIService.apiregistration.k8s.io': apiServiceDef,
  'Event.events.k8s.io': eventDef,
};

const cache = new Map<string, TablePrinter>();

/** The table printer of a built-in kind; kinds without a dedicated printer get NAME and AGE. */
export function builtinTablePrinter(r: ResourceInfo): TablePrinter {
  const key = `${r.kind}.${r.group}`;
  let p = cache.get(key);
  if (!p) {
    p = printer(DEFS[key] ?? defaultDef);
    cache.set(key, p);
  }
  return p;
}
