/** Validation of PodSpec / PodTemplateSpec and of Pod updates. */
import type { Cause } from '@flotilla/apimachinery';
import { clone, validateDns1123Label, validateDns1123Subdomain, validateQualifiedName } from '@flotilla/apimachinery';
import { validateAnnotations, validateLabels } from './validate-meta.js';
import {
  asObj,
  duplicate,
  forbidden,
  invalid,
  isEmptyValue,
  notFound,
  notSupported,
  objs,
  parseQuantity,
  QUANTITY_REGEX_MESSAGE,
  required,
  str,
  validateEnvVarName,
  validatePortName,
  validatePortNumber,
  type Obj,
  jsonEqual,
} from './validate-util.js';

export interface PodSpecValidationOptions {
  /** Allowed restartPolicy values; the first list element is listed first in messages. */
  restartPolicies?: readonly string[];
  /** When restartPolicy is empty: message detail for a Required error (Jobs); otherwise empty is not checked. */
  restartPolicyRequiredDetail?: string;
  /** activeDeadlineSeconds forbidden (ReplicaSet-style controllers). */
  forbidActiveDeadline?: boolean;
}

export const POD_RESTART_POLICIES = ['Always', 'OnFailure', 'Never'] as const;
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const TOLERATION_OPS = ['Equal', 'Exists'];
const TAINT_EFFECTS = ['NoExecute', 'NoSchedule', 'PreferNoSchedule'];

/** Volume source keys Kubernetes knows. */
const VOLUME_SOURCES = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi', 'glusterfs',
  'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc', 'azureFile',
  'configMap', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected', 'portworxVolume',
  'scaleIO', 'storageos', 'csi', 'ephemeral', 'image',
];

function checkNonNegative(errs: Cause[], v: unknown, field: string): void {
  if (typeof v === 'number' && v < 0) errs.push(invalid(field, v, 'must be greater than or equal to 0'));
}

/** A port that is either a number (1-65535) or an IANA service name. */
export function validateIntOrNamedPort(errs: Cause[], v: unknown, field: string, requiredPort = true): void {
  if (v === undefined || v === null || v === '' || v === 0) {
    if (requiredPort) errs.push(typeof v === 'number' ? invalid(field, v, validatePortNumber(0)[0]) : required(field));
    return;
  }
  if (typeof v === 'number') for (const msg of validatePortNumber(v)) errs.push(invalid(field, v, msg));
  else if (typeof v === 'string') for (const msg of validatePortName(v)) errs.push(invalid(field, v, msg));
}

function validateHttpGet(errs: Cause[], h: Obj, field: string): void {
  validateIntOrNamedPort(errs, h.port, `${field}.port`);
  if (h.scheme !== undefined && h.scheme !== 'HTTP' && h.scheme !== 'HTTPS')
    errs.push(notSupported(`${field}.scheme`, h.scheme, ['HTTP', 'HTTPS']));
}

const HANDLER_KEYS = ['exec', 'httpGet', 'tcpSocket', 'grpc', 'sleep'];

function validateHandler(errs: Cause[], h: Obj, field: string, keys = HANDLER_KEYS): void {
  const present = keys.filter((k) => h[k] !== undefined && h[k] !== null);
  if (present.length === 0) {
    errs.push(required(field, 'must specify a handler type'));
    return;
  }
  if (present.length > 1) errs.push(forbidden(`${field}.${present[1]}`, 'may not specify more than 1 handler type'));
  const exec = asObj(h.exec);
  if (exec && (!Array.isArray(exec.command) || exec.command.length === 0)) errs.push(required(`${field}.exec.command`));
  const httpGet = asObj(h.httpGet);
  if (httpGet) validateHttpGet(errs, httpGet, `${field}.httpGet`);
  const tcp = asObj(h.tcpSocket);
  if (tcp) validateIntOrNamedPort(errs, tcp.port, `${field}.tcpSocket.port`);
  const grpc = asObj(h.grpc);
  if (grpc && typeof grpc.port === 'number') for (const msg of validatePortNumber(grpc.port)) errs.push(invalid(`${field}.grpc.port`, grpc.port, msg));
}

function validateProbe(errs: Cause[], p: Obj, field: string, successMustBeOne: boolean): void {
  validateHandler(errs, p, field);
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold', 'terminationGracePeriodSeconds'])
    checkNonNegative(errs, p[f], `${field}.${f}`);
  if (successMustBeOne && typeof p.successThreshold === 'number' && p.successThreshold !== 1)
    errs.push(invalid(`${field}.successThreshold`, p.successThreshold, 'must be 1'));
}

function validateResources(errs: Cause[], res: Obj, field: string): void {
  const limits = asObj(res.limits) ?? {};
  const requests = asObj(res.requests) ?? {};
  const parsed: Record<string, Record<string, number>> = { limits: {}, requests: {} };
  for (const [kind, m] of [['limits', limits], ['requests', requests]] as const) {
    for (const [name, q] of Object.entries(m)) {
      const f = `${field}.${kind}[${name}]`;
      const n = parseQuantity(q);
      if (n === undefined) {
        errs.push(invalid(f, q, QUANTITY_REGEX_MESSAGE));
        continue;
      }
      if (n < 0) errs.push(invalid(f, q, 'must be greater than or equal to 0'));
      parsed[kind][name] = n;
    }
  }
  for (const [name, req] of Object.entries(parsed.requests)) {
    const lim = parsed.limits[name];
    if (lim !== undefined && req > lim)
      errs.push(invalid(`${field}.requests`, String(requests[name]), `must be less than or equal to ${name} limit of ${String(limits[name])}`));
  }
}

function validateEnv(errs: Cause[], env: unknown, field: string): void {
  objs(env).forEach((e, i) => {
    const p = `${field}[${i}]`;
    const name = str(e.name);
    if (name === '') errs.push(required(`${p}.name`));
    else for (const msg of validateEnvVarName(name)) errs.push(invalid(`${p}.name`, name, msg));
    const vf = asObj(e.valueFrom);
    if (!vf) return;
    if (str(e.value) !== '') errs.push(invalid(`${p}.valueFrom`, '', 'may not be specified when `value` is not empty'));
    const sources = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef', 'fileKeyRef'].filter((k) => vf[k] !== undefined && vf[k] !== null);
    if (sources.length === 0)
      errs.push(invalid(`${p}.valueFrom`, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    else if (sources.length > 1) errs.push(invalid(`${p}.valueFrom`, '', 'may not have more than one field specified at a time'));
    for (const k of ['configMapKeyRef', 'secretKeyRef']) {
      const ref = asObj(vf[k]);
      if (!ref) continue;
      if (str(ref.key) === '') errs.push(required(`${p}.valueFrom.${k}.key`));
      if (str(ref.name) === '') errs.push(required(`${p}.valueFrom.${k}.name`));
    }
    const fr = asObj(vf.fieldRef);
    if (fr && str(fr.fieldPath) === '') errs.push(required(`${p}.valueFrom.fieldRef.fieldPath`));
    const rr = asObj(vf.resourceFieldRef);
    if (rr && str(rr.resource) === '') errs.push(required(`${p}.valueFrom.resourceFieldRef.resource`));
  });
}

type ContainerKind = 'initContainers' | 'containers' | 'ephemeralContainers';

function validateContainer(
  errs: Cause[],
  c: Obj,
  field: string,
  kind: ContainerKind,
  volumes: Set<string>,
  hostNetwork: boolean,
): void {
  const name = str(c.name);
  if (name === '') errs.push(required(`${field}.name`));
  else for (const msg of validateDns1123Label(name)) errs.push(invalid(`${field}.name`, name, msg));
  const image = str(c.image);
  if (image === '') errs.push(required(`${field}.image`));
  else if (image.trim() !== image) errs.push(invalid(`${field}.image`, image, 'must not have leading or trailing whitespace'));
  if (c.imagePullPolicy !== undefined && !PULL_POLICIES.includes(str(c.imagePullPolicy)))
    errs.push(notSupported(`${field}.imagePullPolicy`, c.imagePullPolicy, PULL_POLICIES));
  if (c.terminationMessagePolicy !== undefined && !TERMINATION_MESSAGE_POLICIES.includes(str(c.terminationMessagePolicy)))
    errs.push(notSupported(`${field}.terminationMessagePolicy`, c.terminationMessagePolicy, TERMINATION_MESSAGE_POLICIES));
  const sidecar = kind === 'initContainers' && c.restartPolicy === 'Always';
  if (c.restartPolicy !== undefined && c.restartPolicy !== null) {
    if (kind === 'initContainers') {
      if (c.restartPolicy !== 'Always') errs.push(notSupported(`${field}.restartPolicy`, c.restartPolicy, ['Always']));
    } else if (kind === 'containers') {
      if (!POD_RESTART_POLICIES.includes(str(c.restartPolicy) as (typeof POD_RESTART_POLICIES)[number]))
        errs.push(notSupported(`${field}.restartPolicy`, c.restartPolicy, POD_RESTART_POLICIES));
    } else {
      errs.push(forbidden(`${field}.restartPolicy`, 'may not be set for ephemeral containers'));
    }
  }
  // Ports
  const portNames = new Set<string>();
  objs(c.ports).forEach((p, i) => {
    const pf = `${field}.ports[${i}]`;
    if (p.containerPort === undefined || p.containerPort === null || p.containerPort === 0) errs.push(required(`${pf}.containerPort`));
    else for (const msg of validatePortNumber(Number(p.containerPort))) errs.push(invalid(`${pf}.containerPort`, p.containerPort, msg));
    if (typeof p.hostPort === 'number' && p.hostPort !== 0) {
      for (const msg of validatePortNumber(p.hostPort)) errs.push(invalid(`${pf}.hostPort`, p.hostPort, msg));
      if (hostNetwork && p.hostPort !== p.containerPort)
        errs.push(invalid(`${pf}.hostPort`, p.hostPort, 'must match `containerPort` when `hostNetwork` is true'));
    }
    if (p.protocol !== undefined && !PROTOCOLS.includes(str(p.protocol))) errs.push(notSupported(`${pf}.protocol`, p.protocol, PROTOCOLS));
    const pn = str(p.name);
    if (pn !== '') {
      for (const msg of validatePortName(pn)) errs.push(invalid(`${pf}.name`, pn, msg));
      if (portNames.has(pn)) errs.push(duplicate(`${pf}.name`, pn));
      portNames.add(pn);
    }
  });
  if (kind === 'ephemeralContainers' && objs(c.ports).length > 0) errs.push(forbidden(`${field}.ports`, 'cannot be set on ephemeral containers'));
  validateEnv(errs, c.env, `${field}.env`);
  objs(c.envFrom).forEach((e, i) => {
    const n = ['configMapRef', 'secretRef'].filter((k) => e[k] !== undefined && e[k] !== null).length;
    if (n === 0) errs.push(invalid(`${field}.envFrom[${i}]`, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (n > 1) errs.push(invalid(`${field}.envFrom[${i}]`, '', 'may not have more than one field specified at a time'));
  });
  // Volume mounts
  const mountPaths = new Set<string>();
  objs(c.volumeMounts).forEach((m, i) => {
    const mf = `${field}.volumeMounts[${i}]`;
    const vn = str(m.name);
    if (vn === '') errs.push(required(`${mf}.name`));
    else if (!volumes.has(vn)) errs.push(notFound(`${mf}.name`, vn));
    const mp = str(m.mountPath);
    if (mp === '') errs.push(required(`${mf}.mountPath`));
    else {
      if (mountPaths.has(mp)) errs.push(invalid(`${mf}.mountPath`, mp, 'must be unique'));
      mountPaths.add(mp);
    }
  });
  // Probes and lifecycle
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const p = asObj(c[probe]);
    if (!p) continue;
    if ((kind === 'initContainers' && !sidecar) || kind === 'ephemeralContainers') {
      errs.push(
        forbidden(`${field}.${probe}`, kind === 'initContainers' ? 'may not be set for init containers without restartPolicy=Always' : 'cannot be set for an Ephemeral Container'),
      );
      continue;
    }
    validateProbe(errs, p, `${field}.${probe}`, probe !== 'readinessProbe');
  }
  const lc = asObj(c.lifecycle);
  if (lc)
    for (const h of ['postStart', 'preStop']) {
      const ho = asObj(lc[h]);
      if (ho) validateHandler(errs, ho, `${field}.lifecycle.${h}`, ['exec', 'httpGet', 'tcpSocket', 'sleep']);
    }
  const res = asObj(c.resources);
  if (res) validateResources(errs, res, `${field}.resources`);
  const sc = asObj(c.securityContext);
  if (sc) validateSecurityIds(errs, sc, `${field}.securityContext`);
}

function validateSecurityIds(errs: Cause[], sc: Obj, field: string): void {
  for (const f of ['runAsUser', 'runAsGroup', 'fsGroup']) {
    const v = sc[f];
    if (typeof v === 'number' && (v < 0 || v > 2147483647 || !Number.isInteger(v)))
      errs.push(invalid(`${field}.${f}`, v, 'must be between 0 and 2147483647, inclusive'));
  }
}

function validateVolumes(errs: Cause[], volumes: unknown, field: string): Set<string> {
  const names = new Set<string>();
  objs(volumes).forEach((v, i) => {
    const vf = `${field}[${i}]`;
    const name = str(v.name);
    if (name === '') errs.push(required(`${vf}.name`));
    else {
      for (const msg of validateDns1123Label(name)) errs.push(invalid(`${vf}.name`, name, msg));
      if (names.has(name)) errs.push(duplicate(`${vf}.name`, name));
      names.add(name);
    }
    const sources = VOLUME_SOURCES.filter((k) => v[k] !== undefined && v[k] !== null);
    if (sources.length === 0) errs.push(required(vf, 'must specify a volume type'));
    else if (sources.length > 1) errs.push(forbidden(`${vf}.${sources[1]}`, 'may not specify more than 1 volume type'));
    for (const k of ['configMap', 'secret', 'downwardAPI', 'projected']) {
      const s = asObj(v[k]);
      if (!s) continue;
      const mode = s.defaultMode;
      if (typeof mode === 'number' && (mode < 0 || mode > 0o777 || !Number.isInteger(mode)))
        errs.push(invalid(`${vf}.${k}.defaultMode`, mode, 'must be a number between 0 and 0777 (octal), both inclusive'));
    }
    const sec = asObj(v.secret);
    if (sec && str(sec.secretName) === '') errs.push(required(`${vf}.secret.secretName`));
    const cm = asObj(v.configMap);
    if (cm && str(cm.name) === '') errs.push(required(`${vf}.configMap.name`));
    const pvc = asObj(v.persistentVolumeClaim);
    if (pvc && str(pvc.claimName) === '') errs.push(required(`${vf}.persistentVolumeClaim.claimName`));
    const hp = asObj(v.hostPath);
    if (hp && str(hp.path) === '') errs.push(required(`${vf}.hostPath.path`));
    const ed = asObj(v.emptyDir);
    if (ed && ed.medium !== undefined && !['', 'Memory', 'HugePages'].includes(str(ed.medium)) && !str(ed.medium).startsWith('HugePages-'))
      errs.push(notSupported(`${vf}.emptyDir.medium`, ed.medium, ['', 'Memory', 'HugePages']));
  });
  return names;
}

function validateTolerations(errs: Cause[], tolerations: unknown, field: string): void {
  objs(tolerations).forEach((t, i) => {
    const tf = `${field}[${i}]`;
    const op = t.operator === undefined || t.operator === '' ? 'Equal' : str(t.operator);
    const k = str(t.key);
    if (k !== '') {
      for (const msg of validateQualifiedName(k)) errs.push(invalid(`${tf}.key`, k, msg));
    } else if (op !== 'Exists') {
      errs.push(invalid(`${tf}.operator`, op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (!TOLERATION_OPS.includes(op)) errs.push(notSupported(`${tf}.operator`, op, TOLERATION_OPS));
    else if (op === 'Exists' && str(t.value) !== '') errs.push(invalid(`${tf}.operator`, op, "value must be empty when `operator` is 'Exists'"));
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute')
      errs.push(invalid(`${tf}.effect`, str(t.effect), "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    if (t.effect !== undefined && t.effect !== '' && !TAINT_EFFECTS.includes(str(t.effect)))
      errs.push(notSupported(`${tf}.effect`, t.effect, TAINT_EFFECTS));
  });
}

/** Validates a PodSpec found at `field` (e.g. "spec" or "spec.template.spec"). */
export function validatePodSpec(spec: Obj | undefined, field: string, opts: PodSpecValidationOptions = {}): Cause[] {
  const errs: Cause[] = [];
  if (!spec) {
    errs.push(required(field));
    return errs;
  }
  const hostNetwork = spec.hostNetwork === true;
  const volumes = validateVolumes(errs, spec.volumes, `${field}.volumes`);
  const containers = objs(spec.containers);
  if (containers.length === 0) errs.push(required(`${field}.containers`));
  const seen = new Set<string>();
  for (const kind of ['initContainers', 'containers', 'ephemeralContainers'] as const) {
    objs(spec[kind]).forEach((c, i) => {
      const cf = `${field}.${kind}[${i}]`;
      validateContainer(errs, c, cf, kind, volumes, hostNetwork);
      const n = str(c.name);
      if (n !== '') {
        if (seen.has(n)) errs.push(duplicate(`${cf}.name`, n));
        seen.add(n);
      }
    });
  }
  const allowed = opts.restartPolicies ?? POD_RESTART_POLICIES;
  const rp = spec.restartPolicy;
  if (rp === undefined || rp === null || rp === '') {
    if (opts.restartPolicyRequiredDetail !== undefined) errs.push(required(`${field}.restartPolicy`, opts.restartPolicyRequiredDetail));
  } else if (!allowed.includes(str(rp))) {
    errs.push(notSupported(`${field}.restartPolicy`, rp, allowed));
  }
  if (spec.dnsPolicy !== undefined && spec.dnsPolicy !== '' && !DNS_POLICIES.includes(str(spec.dnsPolicy)))
    errs.push(notSupported(`${field}.dnsPolicy`, spec.dnsPolicy, DNS_POLICIES));
  if (spec.dnsPolicy === 'None' && !asObj(spec.dnsConfig))
    errs.push(required(`${field}.dnsConfig`, 'must provide `dnsConfig` when `dnsPolicy` is None'));
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null) {
    const a = spec.activeDeadlineSeconds;
    if (opts.forbidActiveDeadline) errs.push(forbidden(`${field}.activeDeadlineSeconds`, 'activeDeadlineSeconds in ReplicaSet is not Supported'));
    else if (typeof a !== 'number' || a < 1 || a > 2147483647)
      errs.push(invalid(`${field}.activeDeadlineSeconds`, a, 'must be between 1 and 2147483647, inclusive'));
  }
  errs.push(...validateLabels(spec.nodeSelector, `${field}.nodeSelector`));
  const sa = str(spec.serviceAccountName);
  if (sa !== '') for (const msg of validateDns1123Subdomain(sa)) errs.push(invalid(`${field}.serviceAccountName`, sa, msg));
  for (const f of ['hostname', 'subdomain']) {
    const v = str(spec[f]);
    if (v !== '') for (const msg of validateDns1123Label(v)) errs.push(invalid(`${field}.${f}`, v, msg));
  }
  validateTolerations(errs, spec.tolerations, `${field}.tolerations`);
  const psc = asObj(spec.securityContext);
  if (psc) validateSecurityIds(errs, psc, `${field}.securityContext`);
  return errs;
}

/** Validates a PodTemplateSpec at `field` (e.g. "spec.template"): its labels/annotations and its pod spec. */
export function validatePodTemplateSpec(tpl: unknown, field: string, opts: PodSpecValidationOptions = {}): Cause[] {
  const t = asObj(tpl);
  if (!t) return [required(field)];
  const errs: Cause[] = [];
  const meta = asObj(t.metadata) ?? {};
  errs.push(...validateLabels(meta.labels, `${field}.metadata.labels`));
  errs.push(...validateAnnotations(meta.annotations, `${field}.metadata.annotations`));
  errs.push(...validatePodSpec(asObj(t.spec), `${field}.spec`, opts));
  return errs;
}

export const POD_UPDATE_FORBIDDEN_MESSAGE =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/**
 * Pod spec updates: only images, activeDeadlineSeconds, additional tolerations, terminationGracePeriodSeconds and
 * removal of scheduling gates may change. (Assigning spec.nodeName on an unbound pod is also tolerated, since
 * Flotilla's scheduler may bind by update.)
 */
export function validatePodSpecUpdate(newSpec: Obj | undefined, oldSpec: Obj | undefined, field = 'spec'): Cause[] {
  const errs: Cause[] = [];
  if (!newSpec || !oldSpec) return errs;
  const errsBefore = errs.length;
  const ads = newSpec.activeDeadlineSeconds;
  const oldAds = oldSpec.activeDeadlineSeconds;
  if (typeof oldAds === 'number') {
    if (typeof ads !== 'number') errs.push(invalid(`${field}.activeDeadlineSeconds`, null, 'must not update from a positive integer to nil value'));
    else if (ads > oldAds) errs.push(invalid(`${field}.activeDeadlineSeconds`, ads, 'must be less than or equal to previous value'));
  }
  const mutated = clone(newSpec) as Obj;
  for (const kind of ['containers', 'initContainers']) {
    const nc = objs(mutated[kind]);
    const oc = objs(oldSpec[kind]);
    if (nc.length === oc.length) nc.forEach((c, i) => (c.image = oc[i].image));
  }
  mutated.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  mutated.terminationGracePeriodSeconds = oldSpec.terminationGracePeriodSeconds;
  // Tolerations: existing ones must be kept; new ones may be added.
  const oldTol = objs(oldSpec.tolerations);
  const newTol = objs(newSpec.tolerations);
  if (oldTol.every((t) => newTol.some((n) => jsonEqual(n, t)))) mutated.tolerations = oldSpec.tolerations;
  // Scheduling gates may only be removed.
  const oldGates = objs(oldSpec.schedulingGates);
  const newGates = objs(newSpec.schedulingGates);
  if (newGates.every((g) => oldGates.some((o) => jsonEqual(o, g)))) mutated.schedulingGates = oldSpec.schedulingGates;
  if (isEmptyValue(oldSpec.nodeName)) mutated.nodeName = oldSpec.nodeName;
  for (const k of Object.keys(mutated)) if (mutated[k] === undefined) delete mutated[k];
  if (!jsonEqual(mutated, oldSpec) && errs.length === errsBefore) errs.push(forbidden(field, POD_UPDATE_FORBIDDEN_MESSAGE));
  return errs;
}
