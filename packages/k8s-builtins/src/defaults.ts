/**
 * Server-side defaulting of built-in kinds: the values a kube-apiserver fills in on create/update, so that
 * objects read back from Flotilla look like objects read back from a real cluster (and diffs behave alike).
 *
 * Reimplemented from the Kubernetes API reference and observed `kubectl get -o yaml` output.
 */
import type { KubeObject, ResourceInfo } from '@flotilla/apimachinery';
import { isPlainObject } from '@flotilla/apimachinery';
import { jsonEqual } from './validate-util.js';

type Obj = Record<string, unknown>;

function asObj(v: unknown): Obj | undefined {
  return isPlainObject(v) ? v : undefined;
}

function asArr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Objects of an array (skips non-objects). */
function objs(v: unknown): Obj[] {
  return asArr(v).filter(isPlainObject) as Obj[];
}

/** Returns parent[key] as an object, creating `{}` when missing. */
function child(parent: Obj, key: string): Obj {
  const v = parent[key];
  if (isPlainObject(v)) return v;
  const o: Obj = {};
  parent[key] = o;
  return o;
}

function def(o: Obj, key: string, value: unknown): void {
  if (o[key] === undefined || o[key] === null) o[key] = value;
}

/** Like `def`, but also replaces empty strings (Go zero value). */
function defStr(o: Obj, key: string, value: string): void {
  if (o[key] === undefined || o[key] === null || o[key] === '') o[key] = value;
}

/** The API groups served by a kube-apiserver itself (everything else is a custom resource / aggregated API). */
const BUILTIN_GROUPS: ReadonlySet<string> = new Set([
  '',
  'apps',
  'batch',
  'autoscaling',
  'policy',
  'networking.k8s.io',
  'rbac.authorization.k8s.io',
  'storage.k8s.io',
  'apiextensions.k8s.io',
  'admissionregistration.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'events.k8s.io',
  'scheduling.k8s.io',
  'node.k8s.io',
  'certificates.k8s.io',
  'flowcontrol.apiserver.k8s.io',
  'apiregistration.k8s.io',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'resource.k8s.io',
  'internal.apiserver.k8s.io',
  'storagemigration.k8s.io',
]);

export function isBuiltinApiGroup(group: string): boolean {
  return BUILTIN_GROUPS.has(group);
}

// ---------------------------------------------------------------------------------------------------------------
// Pod specs

/** The pull policy the server picks when a container leaves `imagePullPolicy` empty. */
export function defaultImagePullPolicy(image: string): 'Always' | 'IfNotPresent' {
  const at = image.indexOf('@');
  const hasDigest = at >= 0;
  const ref = hasDigest ? image.slice(0, at) : image;
  const lastSlash = ref.lastIndexOf('/');
  const lastPart = ref.slice(lastSlash + 1);
  const colon = lastPart.lastIndexOf(':');
  const tag = colon >= 0 ? lastPart.slice(colon + 1) : '';
  if (tag === 'latest') return 'Always';
  if (tag === '' && !hasDigest) return 'Always';
  return 'IfNotPresent';
}

function defaultHttpGet(h: Obj | undefined): void {
  if (!h) return;
  defStr(h, 'path', '/');
  defStr(h, 'scheme', 'HTTP');
}

function defaultProbe(p: Obj | undefined): void {
  if (!p) return;
  def(p, 'timeoutSeconds', 1);
  def(p, 'periodSeconds', 10);
  def(p, 'successThreshold', 1);
  def(p, 'failureThreshold', 3);
  defaultHttpGet(asObj(p.httpGet));
}

function defaultLifecycle(l: Obj | undefined): void {
  if (!l) return;
  for (const k of ['postStart', 'preStop']) {
    const h = asObj(l[k]);
    if (h) defaultHttpGet(asObj(h.httpGet));
  }
}

function defaultEnv(env: unknown): void {
  for (const e of objs(env)) {
    const vf = asObj(e.valueFrom);
    const fr = vf && asObj(vf.fieldRef);
    if (fr) defStr(fr, 'apiVersion', 'v1');
  }
}

function defaultContainer(c: Obj, opts: PodSpecOptions, hostNetwork: boolean): void {
  defStr(c, 'terminationMessagePath', '/dev/termination-log');
  defStr(c, 'terminationMessagePolicy', 'File');
  if (typeof c.image === 'string' && c.image !== '') defStr(c, 'imagePullPolicy', defaultImagePullPolicy(c.image));
  const res = child(c, 'resources');
  if (opts.isPod) {
    // A container that states limits but no requests gets requests equal to its limits.
    const limits = asObj(res.limits);
    if (limits && Object.keys(limits).length > 0) {
      const requests = child(res, 'requests');
      for (const [k, v] of Object.entries(limits)) if (requests[k] === undefined) requests[k] = v;
    }
  }
  for (const p of objs(c.ports)) {
    defStr(p, 'protocol', 'TCP');
    if (hostNetwork && (p.hostPort === undefined || p.hostPort === 0) && typeof p.containerPort === 'number')
      p.hostPort = p.containerPort;
  }
  defaultProbe(asObj(c.livenessProbe));
  defaultProbe(asObj(c.readinessProbe));
  defaultProbe(asObj(c.startupProbe));
  defaultLifecycle(asObj(c.lifecycle));
  defaultEnv(c.env);
}

/** Keys of a Volume that are not its source. */
const VOLUME_NON_SOURCE_KEYS = new Set(['name']);

function defaultItemsFieldRef(items: unknown): void {
  for (const it of objs(items)) {
    const fr = asObj(it.fieldRef);
    if (fr) defStr(fr, 'apiVersion', 'v1');
  }
}

function defaultVolume(v: Obj): void {
  const sources = Object.keys(v).filter((k) => !VOLUME_NON_SOURCE_KEYS.has(k) && v[k] !== undefined && v[k] !== null);
  if (sources.length === 0) v.emptyDir = {};
  for (const k of ['configMap', 'secret', 'downwardAPI', 'projected']) {
    const s = asObj(v[k]);
    if (s) def(s, 'defaultMode', 420);
  }
  const da = asObj(v.downwardAPI);
  if (da) defaultItemsFieldRef(da.items);
  const pr = asObj(v.projected);
  if (pr) {
    for (const src of objs(pr.sources)) {
      const d = asObj(src.downwardAPI);
      if (d) defaultItemsFieldRef(d.items);
      const sat = asObj(src.serviceAccountToken);
      if (sat) def(sat, 'expirationSeconds', 3600);
    }
  }
  const hp = asObj(v.hostPath);
  if (hp) def(hp, 'type', '');
  const iscsi = asObj(v.iscsi);
  if (iscsi) defStr(iscsi, 'iscsiInterface', 'default');
  const rbd = asObj(v.rbd);
  if (rbd) {
    defStr(rbd, 'pool', 'rbd');
    defStr(rbd, 'user', 'admin');
    defStr(rbd, 'keyring', '/etc/ceph/keyring');
  }
  const az = asObj(v.azureDisk);
  if (az) {
    def(az, 'cachingMode', 'ReadWrite');
    def(az, 'fsType', 'ext4');
    def(az, 'readOnly', false);
    def(az, 'kind', 'Shared');
  }
  const eph = asObj(v.ephemeral);
  const vct = eph && asObj(eph.volumeClaimTemplate);
  const vctSpec = vct && asObj(vct.spec);
  if (vctSpec) defStr(vctSpec, 'volumeMode', 'Filesystem');
}

export interface PodSpecOptions {
  /** true for a Pod object (not a template): also enableServiceLinks and requests-from-limits. */
  isPod?: boolean;
  /** true for the pod template of a Job / CronJob: restartPolicy is not defaulted. */
  jobTemplate?: boolean;
}

/** Applies PodSpec defaults in place. */
export function defaultPodSpec(spec: Obj, opts: PodSpecOptions = {}): void {
  defStr(spec, 'dnsPolicy', 'ClusterFirst');
  if (!opts.jobTemplate) defStr(spec, 'restartPolicy', 'Always');
  def(spec, 'terminationGracePeriodSeconds', 30);
  if (!isPlainObject(spec.securityContext)) spec.securityContext = {};
  defStr(spec, 'schedulerName', 'default-scheduler');
  if (opts.isPod) def(spec, 'enableServiceLinks', true);
  const hostNetwork = spec.hostNetwork === true;
  for (const key of ['initContainers', 'containers', 'ephemeralContainers'])
    for (const c of objs(spec[key])) defaultContainer(c, opts, hostNetwork);
  for (const v of objs(spec.volumes)) defaultVolume(v);
}

function defaultPodTemplate(tpl: unknown, opts: PodSpecOptions = {}): void {
  const t = asObj(tpl);
  if (!t) return;
  const spec = asObj(t.spec);
  if (spec) defaultPodSpec(spec, { ...opts, isPod: false });
}

const RESOURCE_QOS = ['cpu', 'memory'];

/** The QoS class the server records in a new Pod's status (after requests were defaulted from limits). */
export function podQosClass(spec: Obj): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers = [...objs(spec.initContainers), ...objs(spec.containers)];
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const res = asObj(c.resources) ?? {};
    const req = asObj(res.requests) ?? {};
    const lim = asObj(res.limits) ?? {};
    for (const r of RESOURCE_QOS) {
      const rq = req[r];
      const lm = lim[r];
      if (rq !== undefined || lm !== undefined) any = true;
      if (lm === undefined || rq === undefined || String(rq) !== String(lm)) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

// ---------------------------------------------------------------------------------------------------------------
// Per-kind defaults

function defaultPod(obj: KubeObject): void {
  const spec = child(obj as Obj, 'spec');
  defaultPodSpec(spec, { isPod: true });
  const status = child(obj as Obj, 'status');
  defStr(status, 'phase', 'Pending');
  defStr(status, 'qosClass', podQosClass(spec));
}

function defaultDeployment(spec: Obj): void {
  def(spec, 'replicas', 1);
  const strategy = child(spec, 'strategy');
  defStr(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = child(strategy, 'rollingUpdate');
    def(ru, 'maxUnavailable', '25%');
    def(ru, 'maxSurge', '25%');
  }
  def(spec, 'revisionHistoryLimit', 10);
  def(spec, 'progressDeadlineSeconds', 600);
  defaultPodTemplate(spec.template);
}

function defaultStatefulSet(spec: Obj): void {
  def(spec, 'replicas', 1);
  defStr(spec, 'podManagementPolicy', 'OrderedReady');
  const us = child(spec, 'updateStrategy');
  defStr(us, 'type', 'RollingUpdate');
  if (us.type === 'RollingUpdate') {
    const ru = child(us, 'rollingUpdate');
    def(ru, 'partition', 0);
  }
  def(spec, 'revisionHistoryLimit', 10);
  const rp = child(spec, 'persistentVolumeClaimRetentionPolicy');
  defStr(rp, 'whenDeleted', 'Retain');
  defStr(rp, 'whenScaled', 'Retain');
  for (const pvc of objs(spec.volumeClaimTemplates)) {
    defStr(pvc, 'apiVersion', 'v1');
    defStr(pvc, 'kind', 'PersistentVolumeClaim');
    defaultPvcSpec(child(pvc, 'spec'));
    defStr(child(pvc, 'status'), 'phase', 'Pending');
  }
  defaultPodTemplate(spec.template);
}

function defaultDaemonSet(spec: Obj): void {
  const us = child(spec, 'updateStrategy');
  defStr(us, 'type', 'RollingUpdate');
  if (us.type === 'RollingUpdate') {
    const ru = child(us, 'rollingUpdate');
    def(ru, 'maxUnavailable', 1);
    def(ru, 'maxSurge', 0);
  }
  def(spec, 'revisionHistoryLimit', 10);
  defaultPodTemplate(spec.template);
}

function defaultReplicationController(obj: KubeObject, spec: Obj): void {
  def(spec, 'replicas', 1);
  const tpl = asObj(spec.template);
  const tplMeta = tpl && asObj(tpl.metadata);
  const tplLabels = tplMeta && asObj(tplMeta.labels);
  if (tplLabels && Object.keys(tplLabels).length > 0) {
    const sel = asObj(spec.selector);
    if (!sel || Object.keys(sel).length === 0) spec.selector = { ...tplLabels };
    const meta = child(obj as Obj, 'metadata');
    const labels = asObj(meta.labels);
    if (!labels || Object.keys(labels).length === 0) meta.labels = { ...tplLabels };
  }
  defaultPodTemplate(spec.template);
}

/** The labels a Job's pods and selector carry when the server generates the selector. */
export function jobGeneratedLabels(name: string, uid: string): Record<string, string> {
  return {
    'batch.kubernetes.io/controller-uid': uid,
    'batch.kubernetes.io/job-name': name,
    'controller-uid': uid,
    'job-name': name,
  };
}

function defaultJobSpec(spec: Obj): void {
  // Work-queue jobs (parallelism set, completions unset) keep completions unset.
  if ((spec.completions === undefined || spec.completions === null) && (spec.parallelism === undefined || spec.parallelism === null))
    spec.completions = 1;
  def(spec, 'parallelism', 1);
  if (spec.backoffLimit === undefined || spec.backoffLimit === null)
    spec.backoffLimit = spec.backoffLimitPerIndex !== undefined && spec.backoffLimitPerIndex !== null ? 2147483647 : 6;
  defStr(spec, 'completionMode', 'NonIndexed');
  def(spec, 'suspend', false);
  defStr(spec, 'podReplacementPolicy', isPlainObject(spec.podFailurePolicy) ? 'Failed' : 'TerminatingOrFailed');
  const pfp = asObj(spec.podFailurePolicy);
  if (pfp)
    for (const rule of objs(pfp.rules)) for (const c of objs(rule.onPodConditions)) defStr(c, 'status', 'True');
}

function defaultJob(obj: KubeObject, spec: Obj): void {
  defaultJobSpec(spec);
  const meta = obj.metadata ?? {};
  if (spec.manualSelector !== true && typeof meta.uid === 'string' && meta.uid !== '' && typeof meta.name === 'string') {
    const gen = jobGeneratedLabels(meta.name, meta.uid);
    const tpl = child(spec, 'template');
    const tplMeta = child(tpl, 'metadata');
    const labels = child(tplMeta, 'labels');
    for (const [k, v] of Object.entries(gen)) if (labels[k] === undefined) labels[k] = v;
    const sel = child(spec, 'selector');
    const ml = child(sel, 'matchLabels');
    if (Object.keys(ml).length === 0 && objs(sel.matchExpressions).length === 0)
      ml['batch.kubernetes.io/controller-uid'] = meta.uid;
  }
  defaultPodTemplate(spec.template, { jobTemplate: true });
}

function defaultCronJob(spec: Obj): void {
  defStr(spec, 'concurrencyPolicy', 'Allow');
  def(spec, 'suspend', false);
  def(spec, 'successfulJobsHistoryLimit', 3);
  def(spec, 'failedJobsHistoryLimit', 1);
  const jt = asObj(spec.jobTemplate);
  const jspec = jt && asObj(jt.spec);
  if (jspec) defaultPodTemplate(jspec.template, { jobTemplate: true });
}

function defaultService(obj: KubeObject): void {
  const spec = child(obj as Obj, 'spec');
  defStr(spec, 'type', 'ClusterIP');
  defStr(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'ClientIP') {
    const cfg = child(spec, 'sessionAffinityConfig');
    const cip = child(cfg, 'clientIP');
    def(cip, 'timeoutSeconds', 10800);
  }
  for (const p of objs(spec.ports)) {
    defStr(p, 'protocol', 'TCP');
    if ((p.targetPort === undefined || p.targetPort === null || p.targetPort === 0 || p.targetPort === '') && p.port !== undefined)
      p.targetPort = p.port;
  }
  // Keep clusterIP and clusterIPs in step (allocation of new addresses is the server's job).
  const ips = asArr(spec.clusterIPs);
  if (typeof spec.clusterIP === 'string' && spec.clusterIP !== '' && ips.length === 0) spec.clusterIPs = [spec.clusterIP];
  else if ((spec.clusterIP === undefined || spec.clusterIP === '') && typeof ips[0] === 'string' && ips[0] !== '')
    spec.clusterIP = ips[0];
  const type = spec.type;
  if (type !== 'ExternalName') {
    const headlessNoSelector =
      spec.clusterIP === 'None' && (!isPlainObject(spec.selector) || Object.keys(spec.selector).length === 0);
    if (headlessNoSelector) {
      defStr(spec, 'ipFamilyPolicy', 'RequireDualStack');
      if (asArr(spec.ipFamilies).length === 0) spec.ipFamilies = ['IPv4', 'IPv6'];
    } else {
      defStr(spec, 'ipFamilyPolicy', 'SingleStack');
      if (asArr(spec.ipFamilies).length === 0) spec.ipFamilies = ['IPv4'];
    }
    defStr(spec, 'internalTrafficPolicy', 'Cluster');
  }
  if (type === 'NodePort' || type === 'LoadBalancer') defStr(spec, 'externalTrafficPolicy', 'Cluster');
  if (type === 'LoadBalancer') def(spec, 'allocateLoadBalancerNodePorts', true);
  const status = child(obj as Obj, 'status');
  if (!isPlainObject(status.loadBalancer)) status.loadBalancer = {};
}

function defaultNamespace(obj: KubeObject): void {
  const meta = child(obj as Obj, 'metadata');
  if (typeof meta.name === 'string' && meta.name !== '') {
    const labels = child(meta, 'labels');
    labels['kubernetes.io/metadata.name'] = meta.name;
  }
  const spec = child(obj as Obj, 'spec');
  if (asArr(spec.finalizers).length === 0) spec.finalizers = ['kubernetes'];
  defStr(child(obj as Obj, 'status'), 'phase', 'Active');
}

function defaultPvcSpec(spec: Obj): void {
  defStr(spec, 'volumeMode', 'Filesystem');
}

function defaultPv(obj: KubeObject): void {
  const spec = child(obj as Obj, 'spec');
  defStr(spec, 'persistentVolumeReclaimPolicy', 'Retain');
  defStr(spec, 'volumeMode', 'Filesystem');
  defStr(child(obj as Obj, 'status'), 'phase', 'Pending');
}

function defaultNetworkPolicy(spec: Obj): void {
  if (asArr(spec.policyTypes).length === 0) {
    const types = ['Ingress'];
    if (Array.isArray(spec.egress) && spec.egress.length > 0) types.push('Egress');
    spec.policyTypes = types;
  }
  for (const key of ['ingress', 'egress'])
    for (const rule of objs(spec[key])) for (const p of objs(rule.ports)) defStr(p, 'protocol', 'TCP');
}

function defaultHpaBehaviorRules(rules: Obj | undefined, up: boolean): void {
  if (!rules) return;
  def(rules, 'stabilizationWindowSeconds', up ? 0 : 300);
  defStr(rules, 'selectPolicy', 'Max');
  if (asArr(rules.policies).length === 0)
    rules.policies = up
      ? [
          { type: 'Pods', value: 4, periodSeconds: 15 },
          { type: 'Percent', value: 100, periodSeconds: 15 },
        ]
      : [{ type: 'Percent', value: 100, periodSeconds: 15 }];
}

function defaultHpa(r: ResourceInfo, spec: Obj): void {
  def(spec, 'minReplicas', 1);
  if (r.version === 'v1') return;
  if (asArr(spec.metrics).length === 0)
    spec.metrics = [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
    ];
  const b = asObj(spec.behavior);
  if (b) {
    b.scaleUp = asObj(b.scaleUp) ?? {};
    b.scaleDown = asObj(b.scaleDown) ?? {};
    defaultHpaBehaviorRules(asObj(b.scaleUp), true);
    defaultHpaBehaviorRules(asObj(b.scaleDown), false);
  }
}

function defaultWebhooks(obj: KubeObject, mutating: boolean): void {
  for (const w of objs((obj as Obj).webhooks)) {
    defStr(w, 'failurePolicy', 'Fail');
    defStr(w, 'matchPolicy', 'Equivalent');
    if (!isPlainObject(w.namespaceSelector)) w.namespaceSelector = {};
    if (!isPlainObject(w.objectSelector)) w.objectSelector = {};
    def(w, 'timeoutSeconds', 10);
    if (mutating) defStr(w, 'reinvocationPolicy', 'Never');
    for (const rule of objs(w.rules)) defStr(rule, 'scope', '*');
    const cc = asObj(w.clientConfig);
    const svc = cc && asObj(cc.service);
    if (svc) def(svc, 'port', 443);
  }
}

function defaultBindingSubjects(obj: KubeObject): void {
  for (const s of objs((obj as Obj).subjects)) {
    if (s.apiGroup !== undefined) continue;
    if (s.kind === 'ServiceAccount') s.apiGroup = '';
    else if (s.kind === 'User' || s.kind === 'Group') s.apiGroup = 'rbac.authorization.k8s.io';
  }
}

function defaultCrd(spec: Obj): void {
  const names = asObj(spec.names);
  if (names && typeof names.kind === 'string' && names.kind !== '') {
    defStr(names, 'singular', names.kind.toLowerCase());
    defStr(names, 'listKind', `${names.kind}List`);
  }
  const conv = child(spec, 'conversion');
  defStr(conv, 'strategy', 'None');
}

function defaultLimitRange(spec: Obj): void {
  for (const item of objs(spec.limits)) {
    if (item.type !== 'Container') continue;
    const max = asObj(item.max) ?? {};
    if (Object.keys(max).length > 0) {
      const d = child(item, 'default');
      for (const [k, v] of Object.entries(max)) if (d[k] === undefined) d[k] = v;
    }
    const d = asObj(item.default);
    if (d && Object.keys(d).length > 0) {
      const dr = child(item, 'defaultRequest');
      for (const [k, v] of Object.entries(d)) if (dr[k] === undefined) dr[k] = v;
    }
    const min = asObj(item.min) ?? {};
    if (Object.keys(min).length > 0) {
      const dr = child(item, 'defaultRequest');
      for (const [k, v] of Object.entries(min)) if (dr[k] === undefined) dr[k] = v;
    }
  }
}

/**
 * Mutates `obj` with the defaults the API server applies to a built-in kind on create and update.
 * Kinds this function does not know are left untouched. Server-side allocation (cluster IPs, node ports,
 * uids, names) is not done here.
 */
export function applyBuiltinDefaults(r: ResourceInfo, obj: KubeObject): void {
  if (!isPlainObject(obj)) return;
  const o = obj as Obj;
  const g = r.group;
  const k = r.kind;
  const specOf = () => child(o, 'spec');
  const existingSpec = () => asObj(o.spec);
  if (g === '') {
    switch (k) {
      case 'Pod':
        return defaultPod(obj);
      case 'PodTemplate':
        return defaultPodTemplate(o.template);
      case 'ReplicationController':
        return defaultReplicationController(obj, specOf());
      case 'Service':
        return defaultService(obj);
      case 'Namespace':
        return defaultNamespace(obj);
      case 'Secret':
        return defStr(o, 'type', 'Opaque');
      case 'PersistentVolumeClaim':
        defaultPvcSpec(specOf());
        defStr(child(o, 'status'), 'phase', 'Pending');
        return;
      case 'PersistentVolume':
        return defaultPv(obj);
      case 'Endpoints':
        for (const ss of objs(o.subsets)) for (const p of objs(ss.ports)) defStr(p, 'protocol', 'TCP');
        return;
      case 'LimitRange': {
        const s = existingSpec();
        if (s) defaultLimitRange(s);
        return;
      }
      default:
        return;
    }
  }
  switch (`${k}.${g}`) {
    case 'Deployment.apps':
      return defaultDeployment(specOf());
    case 'ReplicaSet.apps':
      def(specOf(), 'replicas', 1);
      return defaultPodTemplate(specOf().template);
    case 'StatefulSet.apps':
      return defaultStatefulSet(specOf());
    case 'DaemonSet.apps':
      return defaultDaemonSet(specOf());
    case 'Job.batch':
      return defaultJob(obj, specOf());
    case 'CronJob.batch':
      return defaultCronJob(specOf());
    case 'EndpointSlice.discovery.k8s.io':
      for (const p of objs(o.ports)) {
        defStr(p, 'protocol', 'TCP');
        def(p, 'name', '');
      }
      return;
    case 'NetworkPolicy.networking.k8s.io':
      return defaultNetworkPolicy(specOf());
    case 'HorizontalPodAutoscaler.autoscaling':
      return defaultHpa(r, specOf());
    case 'PriorityClass.scheduling.k8s.io':
      return defStr(o, 'preemptionPolicy', 'PreemptLowerPriority');
    case 'StorageClass.storage.k8s.io':
      defStr(o, 'reclaimPolicy', 'Delete');
      defStr(o, 'volumeBindingMode', 'Immediate');
      return;
    case 'MutatingWebhookConfiguration.admissionregistration.k8s.io':
      return defaultWebhooks(obj, true);
    case 'ValidatingWebhookConfiguration.admissionregistration.k8s.io':
      return defaultWebhooks(obj, false);
    case 'RoleBinding.rbac.authorization.k8s.io':
    case 'ClusterRoleBinding.rbac.authorization.k8s.io':
      return defaultBindingSubjects(obj);
    case 'CustomResourceDefinition.apiextensions.k8s.io':
      return defaultCrd(specOf());
    default:
      return;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Generation

/** Built-in kinds whose metadata.generation is maintained, and the top-level fields that count as their "spec". */
const GENERATION_FIELDS: Record<string, string[]> = {
  'Pod.': ['spec'],
  'ReplicationController.': ['spec'],
  'Deployment.apps': ['spec'],
  'ReplicaSet.apps': ['spec'],
  'StatefulSet.apps': ['spec'],
  'DaemonSet.apps': ['spec'],
  'ControllerRevision.apps': [],
  'Job.batch': ['spec'],
  'CronJob.batch': ['spec'],
  'HorizontalPodAutoscaler.autoscaling': ['spec'],
  'PodDisruptionBudget.policy': ['spec'],
  'Ingress.networking.k8s.io': ['spec'],
  'IngressClass.networking.k8s.io': ['spec'],
  'NetworkPolicy.networking.k8s.io': ['spec'],
  'CustomResourceDefinition.apiextensions.k8s.io': ['spec'],
  'MutatingWebhookConfiguration.admissionregistration.k8s.io': ['webhooks'],
  'ValidatingWebhookConfiguration.admissionregistration.k8s.io': ['webhooks'],
  'ValidatingAdmissionPolicy.admissionregistration.k8s.io': ['spec'],
  'ValidatingAdmissionPolicyBinding.admissionregistration.k8s.io': ['spec'],
  'MutatingAdmissionPolicy.admissionregistration.k8s.io': ['spec'],
  'MutatingAdmissionPolicyBinding.admissionregistration.k8s.io': ['spec'],
  'FlowSchema.flowcontrol.apiserver.k8s.io': ['spec'],
  'PriorityLevelConfiguration.flowcontrol.apiserver.k8s.io': ['spec'],
  'VolumeAttachment.storage.k8s.io': ['spec'],
};

/**
 * Whether a kind maintains `metadata.generation` at all (the server sets it to 1 on create and bumps it via
 * `generationRelevantChange`). Custom resources always do; built-in kinds without a spec (ConfigMap, Secret,
 * Service, Namespace, RBAC, ...) do not.
 */
export function kindTracksGeneration(r: ResourceInfo): boolean {
  if (!isBuiltinApiGroup(r.group)) return true;
  return Object.prototype.hasOwnProperty.call(GENERATION_FIELDS, `${r.kind}.${r.group}`);
}

/**
 * Whether an update from `oldObj` to `newObj` must bump metadata.generation: a change of the spec for built-in
 * kinds that track generation, any change outside metadata and status for custom resources, never for kinds
 * without a spec.
 */
export function generationRelevantChange(r: ResourceInfo, oldObj: KubeObject, newObj: KubeObject): boolean {
  if (!isBuiltinApiGroup(r.group)) {
    const keys = new Set([...Object.keys(oldObj), ...Object.keys(newObj)]);
    for (const key of keys) {
      if (key === 'metadata' || key === 'status' || key === 'apiVersion' || key === 'kind') continue;
      if (!jsonEqual(oldObj[key], newObj[key])) return true;
    }
    return false;
  }
  const fields = GENERATION_FIELDS[`${r.kind}.${r.group}`];
  if (!fields) return false;
  for (const f of fields) if (!jsonEqual(oldObj[f], newObj[f])) return true;
  return false;
}
