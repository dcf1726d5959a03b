/** Validation of non-workload built-in kinds: Service, Secret, ConfigMap, RBAC, Namespace, PVC, Ingress, ... */
import type { Cause, KubeObject } from '@flotilla/apimachinery';
import { clone, validateDns1123Label, validateDns1123Subdomain, validateQualifiedName } from '@flotilla/apimachinery';
import { validateLabelSelector, validateLabels } from './validate-meta.js';
import { validateIntOrNamedPort } from './validate-pod.js';
import {
  asObj,
  base64ErrorOffset,
  duplicate,
  forbidden,
  goQuote,
  invalid,
  invalidRaw,
  isEmptyValue,
  notSupported,
  objs,
  parseQuantity,
  required,
  str,
  tooLong,
  validateConfigKey,
  validateDns1035Label,
  validateIP,
  validatePathSegmentName,
  validatePortName,
  validatePortNumber,
  type Obj,
  jsonEqual,
} from './validate-util.js';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

// ---------------------------------------------------------------------------------------------------------------
// Service

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];

export function validateService(obj: KubeObject, old?: KubeObject): Cause[] {
  const errs: Cause[] = [];
  const spec = asObj(obj.spec);
  if (!spec) return [required('spec')];
  const type = spec.type === undefined || spec.type === '' ? 'ClusterIP' : str(spec.type);
  if (!SERVICE_TYPES.includes(type)) errs.push(notSupported('spec.type', spec.type, SERVICE_TYPES));
  const clusterIP = str(spec.clusterIP);
  const headless = clusterIP === 'None';
  const ports = objs(spec.ports);
  if (type === 'ExternalName') {
    const en = str(spec.externalName);
    if (en === '') errs.push(required('spec.externalName'));
    else {
      const host = en.endsWith('.') ? en.slice(0, -1) : en;
      for (const msg of validateDns1123Subdomain(host)) errs.push(invalid('spec.externalName', en, msg));
    }
    if (clusterIP !== '' && !headless) errs.push(invalid('spec.clusterIPs', spec.clusterIPs ?? [clusterIP], 'may not be set for ExternalName services'));
  } else if (ports.length === 0 && !headless) {
    errs.push(required('spec.ports'));
  }
  if ((type === 'NodePort' || type === 'LoadBalancer') && headless)
    errs.push(invalid('spec.clusterIPs[0]', 'None', `may not be set to 'None' for ${type} services`));
  const ips = Array.isArray(spec.clusterIPs) ? spec.clusterIPs.map(String) : clusterIP !== '' ? [clusterIP] : [];
  ips.forEach((ip, i) => {
    if (ip === 'None' || ip === '') {
      if (ip === 'None' && i > 0) errs.push(invalid(`spec.clusterIPs[${i}]`, ip, "may only be set to 'None' as the only entry"));
      return;
    }
    for (const msg of validateIP(ip)) errs.push(invalid(`spec.clusterIPs[${i}]`, ip, msg));
  });
  if (Array.isArray(spec.clusterIPs) && clusterIP !== '' && spec.clusterIPs.length > 0 && spec.clusterIPs[0] !== clusterIP)
    errs.push(invalid('spec.clusterIPs', spec.clusterIPs, 'must have same value as spec.clusterIP'));
  const names = new Set<string>();
  const seen = new Set<string>();
  ports.forEach((p, i) => {
    const pf = `spec.ports[${i}]`;
    const name = str(p.name);
    if (name === '') {
      if (ports.length > 1) errs.push(required(`${pf}.name`));
    } else {
      for (const msg of validateDns1123Label(name)) errs.push(invalid(`${pf}.name`, name, msg));
      if (names.has(name)) errs.push(duplicate(`${pf}.name`, name));
      names.add(name);
    }
    if (typeof p.port !== 'number') errs.push(required(`${pf}.port`));
    else for (const msg of validatePortNumber(p.port)) errs.push(invalid(`${pf}.port`, p.port, msg));
    const proto = p.protocol === undefined ? 'TCP' : str(p.protocol);
    if (!PROTOCOLS.includes(proto)) errs.push(notSupported(`${pf}.protocol`, p.protocol, PROTOCOLS));
    if (p.targetPort !== undefined && p.targetPort !== null && p.targetPort !== 0 && p.targetPort !== '')
      validateIntOrNamedPort(errs, p.targetPort, `${pf}.targetPort`);
    if (typeof p.nodePort === 'number' && p.nodePort !== 0) {
      if (type !== 'NodePort' && type !== 'LoadBalancer') errs.push(forbidden(`${pf}.nodePort`, `may not be used when \`type\` is '${type}'`));
      else for (const msg of validatePortNumber(p.nodePort)) errs.push(invalid(`${pf}.nodePort`, p.nodePort, msg));
    }
    const k = `${String(p.port)}/${proto}`;
    if (seen.has(k)) errs.push(duplicate(pf, { port: p.port, protocol: proto }));
    seen.add(k);
  });
  errs.push(...validateLabels(spec.selector, 'spec.selector'));
  const sa = spec.sessionAffinity;
  if (sa !== undefined && sa !== 'None' && sa !== 'ClientIP') errs.push(notSupported('spec.sessionAffinity', sa, ['ClientIP', 'None']));
  const sac = asObj(asObj(spec.sessionAffinityConfig)?.clientIP);
  if (sac && typeof sac.timeoutSeconds === 'number' && (sac.timeoutSeconds <= 0 || sac.timeoutSeconds > 86400))
    errs.push(invalid('spec.sessionAffinityConfig.clientIP.timeoutSeconds', sac.timeoutSeconds, 'must be greater than 0 and less than 86400'));
  const etp = spec.externalTrafficPolicy;
  if (etp !== undefined && etp !== '') {
    if (type !== 'NodePort' && type !== 'LoadBalancer')
      errs.push(invalid('spec.externalTrafficPolicy', etp, "may only be set when `type` is 'NodePort' or 'LoadBalancer'"));
    else if (etp !== 'Cluster' && etp !== 'Local') errs.push(notSupported('spec.externalTrafficPolicy', etp, ['Cluster', 'Local']));
  }
  const itp = spec.internalTrafficPolicy;
  if (itp !== undefined && itp !== 'Cluster' && itp !== 'Local') errs.push(notSupported('spec.internalTrafficPolicy', itp, ['Cluster', 'Local']));
  const ifp = spec.ipFamilyPolicy;
  if (ifp !== undefined && !['SingleStack', 'PreferDualStack', 'RequireDualStack'].includes(str(ifp)))
    errs.push(notSupported('spec.ipFamilyPolicy', ifp, ['PreferDualStack', 'RequireDualStack', 'SingleStack']));
  if (Array.isArray(spec.ipFamilies))
    spec.ipFamilies.forEach((f, i) => {
      if (f !== 'IPv4' && f !== 'IPv6') errs.push(notSupported(`spec.ipFamilies[${i}]`, f, ['IPv4', 'IPv6']));
    });
  if (Array.isArray(spec.externalIPs))
    spec.externalIPs.forEach((ip, i) => {
      for (const msg of validateIP(String(ip))) errs.push(invalid(`spec.externalIPs[${i}]`, ip, msg));
    });
  if (old) {
    const oldSpec = asObj(old.spec) ?? {};
    const oldIP = str(oldSpec.clusterIP);
    const oldType = oldSpec.type === undefined ? 'ClusterIP' : str(oldSpec.type);
    // An empty clusterIP in an update keeps the allocated one (the server carries it over); a different one is an error.
    if (oldIP !== '' && clusterIP !== '' && clusterIP !== oldIP && oldType !== 'ExternalName' && type !== 'ExternalName')
      errs.push(invalid('spec.clusterIPs[0]', Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [clusterIP], 'may not change once set'));
  }
  return errs;
}

// ---------------------------------------------------------------------------------------------------------------
// Secret / ConfigMap

export const MAX_SECRET_SIZE = 1024 * 1024;

function validateDataKeys(errs: Cause[], m: Obj | undefined, field: string): void {
  if (!m) return;
  for (const k of Object.keys(m)) for (const msg of validateConfigKey(k)) errs.push(invalid(`${field}[${k}]`, k, msg));
}

function decodedSize(v: unknown): number {
  return typeof v === 'string' ? Buffer.from(v, 'base64').length : 0;
}

function base64Errors(errs: Cause[], m: Obj | undefined, field: string): void {
  if (!m) return;
  for (const [k, v] of Object.entries(m)) {
    if (typeof v !== 'string') {
      errs.push(invalid(`${field}[${k}]`, '<secret contents redacted>', 'must be a base64-encoded string'));
      continue;
    }
    const off = base64ErrorOffset(v);
    if (off >= 0) errs.push(invalid(`${field}[${k}]`, '<secret contents redacted>', `illegal base64 data at input byte ${off}`));
  }
}

/**
 * The decoding error a real server answers with (400 BadRequest) when a Secret's `data` holds invalid base64,
 * e.g. `Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 4`.
 */
export function secretDecodeError(obj: KubeObject): string | undefined {
  for (const v of Object.values(asObj(obj.data) ?? {})) {
    if (typeof v !== 'string') continue;
    const off = base64ErrorOffset(v);
    if (off >= 0) return `Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte ${off}`;
  }
  return undefined;
}

const SECRET_REQUIRED_KEYS: Record<string, string[]> = {
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
};

function immutableData(errs: Cause[], obj: KubeObject, old: KubeObject, fields: string[]): void {
  if (old.immutable !== true) return;
  if (obj.immutable !== true) errs.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
  for (const f of fields) if (!jsonEqual(obj[f] ?? {}, old[f] ?? {})) errs.push(forbidden(f, 'field is immutable when `immutable` is set'));
}

export function validateSecret(obj: KubeObject, old?: KubeObject): Cause[] {
  const errs: Cause[] = [];
  const data = asObj(obj.data);
  validateDataKeys(errs, data, 'data');
  validateDataKeys(errs, asObj(obj.stringData), 'stringData');
  base64Errors(errs, data, 'data');
  let size = 0;
  for (const v of Object.values(data ?? {})) size += decodedSize(v);
  for (const v of Object.values(asObj(obj.stringData) ?? {})) size += Buffer.byteLength(String(v));
  if (size > MAX_SECRET_SIZE) errs.push(tooLong('data', MAX_SECRET_SIZE));
  const type = obj.type === undefined || obj.type === '' ? 'Opaque' : str(obj.type);
  const present = (k: string) => (data && typeof data[k] === 'string' && data[k] !== '') || asObj(obj.stringData)?.[k] !== undefined;
  for (const k of SECRET_REQUIRED_KEYS[type] ?? []) if (!present(k)) errs.push(required(`data[${k}]`));
  if (type === 'kubernetes.io/service-account-token') {
    const ann = asObj(obj.metadata?.annotations) ?? {};
    if (str(ann['kubernetes.io/service-account.name']) === '')
      errs.push(required('metadata.annotations[kubernetes.io/service-account.name]'));
  }
  if (type === 'kubernetes.io/basic-auth' && !present('username') && !present('password')) {
    errs.push(required('data[username]'));
    errs.push(required('data[password]'));
  }
  if (type === 'kubernetes.io/dockerconfigjson' && data && typeof data['.dockerconfigjson'] === 'string') {
    try {
      JSON.parse(Buffer.from(data['.dockerconfigjson'], 'base64').toString('utf8'));
    } catch (e) {
      errs.push(invalid('data[.dockerconfigjson]', '<secret contents redacted>', (e as Error).message));
    }
  }
  if (old) {
    const oldType = old.type === undefined || old.type === '' ? 'Opaque' : str(old.type);
    if (oldType !== type) errs.push(invalid('type', type, 'field is immutable'));
    immutableData(errs, obj, old, ['data']);
  }
  return errs;
}

/**
 * What the server does with a Secret before storing it: `stringData` entries are base64-encoded into `data`
 * (overriding keys present in both), and `stringData` is removed. Mutates and returns `obj`.
 */
export function normalizeSecret<T extends KubeObject>(obj: T): T {
  const sd = asObj(obj.stringData);
  if (sd) {
    const data = asObj(obj.data) ?? {};
    for (const [k, v] of Object.entries(sd)) data[k] = Buffer.from(typeof v === 'string' ? v : String(v), 'utf8').toString('base64');
    (obj as Obj).data = data;
  }
  delete (obj as Obj).stringData;
  return obj;
}

export function validateConfigMap(obj: KubeObject, old?: KubeObject): Cause[] {
  const errs: Cause[] = [];
  const data = asObj(obj.data);
  const bin = asObj(obj.binaryData);
  validateDataKeys(errs, data, 'data');
  validateDataKeys(errs, bin, 'binaryData');
  if (data && bin)
    for (const k of Object.keys(data)) if (k in bin) errs.push(invalid(`data[${k}]`, k, 'duplicate of key present in binaryData'));
  let size = 0;
  for (const [k, v] of Object.entries(data ?? {})) {
    if (typeof v !== 'string') errs.push(invalid(`data[${k}]`, v, 'must be a string'));
    size += Buffer.byteLength(k) + Buffer.byteLength(typeof v === 'string' ? v : '');
  }
  for (const [k, v] of Object.entries(bin ?? {})) {
    if (typeof v !== 'string' || base64ErrorOffset(v) >= 0) errs.push(invalid(`binaryData[${k}]`, '<binary data>', `illegal base64 data at input byte ${typeof v === 'string' ? base64ErrorOffset(v) : 0}`));
    size += Buffer.byteLength(k) + decodedSize(v);
  }
  if (size > MAX_SECRET_SIZE) errs.push(tooLong('data', MAX_SECRET_SIZE));
  if (old) immutableData(errs, obj, old, ['data', 'binaryData']);
  return errs;
}

// ---------------------------------------------------------------------------------------------------------------
// RBAC

export function validateRbacRules(obj: KubeObject, namespaced: boolean): Cause[] {
  const errs: Cause[] = [];
  objs(obj.rules).forEach((r, i) => {
    const f = `rules[${i}]`;
    const verbs = Array.isArray(r.verbs) ? r.verbs : [];
    if (verbs.length === 0) errs.push(required(`${f}.verbs`, 'verbs must contain at least one value'));
    const nonRes = Array.isArray(r.nonResourceURLs) ? r.nonResourceURLs : [];
    const resources = Array.isArray(r.resources) ? r.resources : [];
    const groups = Array.isArray(r.apiGroups) ? r.apiGroups : [];
    if (nonRes.length > 0) {
      if (namespaced) errs.push(invalid(`${f}.nonResourceURLs`, nonRes, 'namespaced rules cannot apply to non-resource URLs'));
      if (groups.length > 0 || resources.length > 0)
        errs.push(invalid(`${f}.nonResourceURLs`, nonRes, 'rules cannot apply to both regular resources and non-resource URLs'));
      return;
    }
    if (groups.length === 0) errs.push(required(`${f}.apiGroups`, 'resource rules must supply at least one api group'));
    if (resources.length === 0) errs.push(required(`${f}.resources`, 'resource rules must supply at least one resource'));
  });
  return errs;
}

function goRoleRef(r: Obj): string {
  return `rbac.RoleRef{APIGroup:${goQuote(str(r.apiGroup))}, Kind:${goQuote(str(r.kind))}, Name:${goQuote(str(r.name))}}`;
}

export function validateRoleBinding(obj: KubeObject, clusterScoped: boolean, old?: KubeObject): Cause[] {
  const errs: Cause[] = [];
  const rr = asObj(obj.roleRef);
  if (!rr) errs.push(required('roleRef'));
  else {
    if (rr.apiGroup !== 'rbac.authorization.k8s.io') errs.push(notSupported('roleRef.apiGroup', rr.apiGroup ?? '', ['rbac.authorization.k8s.io']));
    const kinds = clusterScoped ? ['ClusterRole'] : ['Role', 'ClusterRole'];
    if (!kinds.includes(str(rr.kind))) errs.push(notSupported('roleRef.kind', rr.kind ?? '', kinds));
    const name = str(rr.name);
    if (name === '') errs.push(required('roleRef.name'));
    else for (const msg of validatePathSegmentName(name)) errs.push(invalid('roleRef.name', name, msg));
  }
  objs(obj.subjects).forEach((s, i) => {
    const f = `subjects[${i}]`;
    const name = str(s.name);
    if (name === '') errs.push(required(`${f}.name`));
    switch (s.kind) {
      case 'ServiceAccount':
        if (s.apiGroup !== undefined && s.apiGroup !== '') errs.push(notSupported(`${f}.apiGroup`, s.apiGroup, ['']));
        if (name !== '') for (const msg of validateDns1123Subdomain(name)) errs.push(invalid(`${f}.name`, name, msg));
        if (clusterScoped && str(s.namespace) === '') errs.push(required(`${f}.namespace`));
        break;
      case 'User':
      case 'Group':
        if (s.apiGroup !== 'rbac.authorization.k8s.io') errs.push(notSupported(`${f}.apiGroup`, s.apiGroup ?? '', ['rbac.authorization.k8s.io']));
        break;
      default:
        errs.push(notSupported(`${f}.kind`, s.kind ?? '', ['ServiceAccount', 'User', 'Group']));
    }
  });
  if (old) {
    const oldRef = asObj(old.roleRef);
    if (oldRef && rr && !jsonEqual(oldRef, rr)) errs.push(invalidRaw('roleRef', goRoleRef(rr), 'cannot change roleRef'));
  }
  return errs;
}

// ---------------------------------------------------------------------------------------------------------------
// Namespace, Lease, PVC, PV

export function validateNamespace(obj: KubeObject): Cause[] {
  const errs: Cause[] = [];
  const spec = asObj(obj.spec) ?? {};
  if (Array.isArray(spec.finalizers))
    spec.finalizers.forEach((f, i) => {
      for (const msg of validateQualifiedName(String(f))) errs.push(invalid(`spec.finalizers[${i}]`, f, msg));
    });
  const phase = asObj(obj.status)?.phase;
  if (phase !== undefined && phase !== 'Active' && phase !== 'Terminating') errs.push(notSupported('status.phase', phase, ['Active', 'Terminating']));
  return errs;
}

export function validateLease(obj: KubeObject): Cause[] {
  const errs: Cause[] = [];
  const spec = asObj(obj.spec) ?? {};
  if (spec.leaseDurationSeconds !== undefined && spec.leaseDurationSeconds !== null) {
    const d = spec.leaseDurationSeconds;
    if (typeof d !== 'number' || d <= 0) errs.push(invalid('spec.leaseDurationSeconds', d, 'must be greater than 0'));
  }
  if (typeof spec.leaseTransitions === 'number' && spec.leaseTransitions < 0)
    errs.push(invalid('spec.leaseTransitions', spec.leaseTransitions, 'must be greater than or equal to 0'));
  const strat = spec.strategy;
  if (strat !== undefined && strat !== null && strat !== 'OldestEmulationVersion') errs.push(notSupported('spec.strategy', strat, ['OldestEmulationVersion']));
  return errs;
}

const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];

function validatePvcSpec(errs: Cause[], spec: Obj, base: string): void {
  const modes = Array.isArray(spec.accessModes) ? spec.accessModes : [];
  if (modes.length === 0) errs.push(required(`${base}.accessModes`, 'at least 1 access mode is required'));
  modes.forEach((m) => {
    if (!ACCESS_MODES.includes(String(m))) errs.push(notSupported(`${base}.accessModes`, m, ACCESS_MODES));
  });
  if (modes.includes('ReadWriteOncePod') && modes.length > 1)
    errs.push(forbidden(`${base}.accessModes`, 'may not use ReadWriteOncePod with other access modes'));
  const storage = asObj(asObj(spec.resources)?.requests)?.storage;
  if (storage === undefined) errs.push(required(`${base}.resources[storage]`));
  else {
    const n = parseQuantity(storage);
    if (n === undefined || n <= 0) errs.push(invalid(`${base}.resources[storage]`, storage, 'must be greater than zero'));
  }
  const vm = spec.volumeMode;
  if (vm !== undefined && vm !== 'Block' && vm !== 'Filesystem') errs.push(notSupported(`${base}.volumeMode`, vm, ['Block', 'Filesystem']));
  if (spec.selector !== undefined) errs.push(...validateLabelSelector(spec.selector, `${base}.selector`));
}

export function validatePvc(obj: KubeObject, old?: KubeObject): Cause[] {
  const errs: Cause[] = [];
  const spec = asObj(obj.spec);
  if (!spec) return [required('spec')];
  validatePvcSpec(errs, spec, 'spec');
  if (old) {
    const oldSpec = asObj(old.spec) ?? {};
    const a = clone(spec);
    const b = clone(oldSpec);
    for (const s of [a, b]) {
      const res = asObj(s.resources);
      if (res) delete res.requests;
      delete s.volumeAttributesClassName;
    }
    // Binding fills volumeName / storageClassName in once.
    if (isEmptyValue(b.volumeName)) {
      delete a.volumeName;
      delete b.volumeName;
    }
    if (b.storageClassName === undefined || b.storageClassName === null) {
      delete a.storageClassName;
      delete b.storageClassName;
    }
    if (!jsonEqual(a, b))
      errs.push(forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
  }
  return errs;
}

export function validatePv(obj: KubeObject): Cause[] {
  const errs: Cause[] = [];
  const spec = asObj(obj.spec);
  if (!spec) return [required('spec')];
  const modes = Array.isArray(spec.accessModes) ? spec.accessModes : [];
  if (modes.length === 0) errs.push(required('spec.accessModes'));
  modes.forEach((m) => {
    if (!ACCESS_MODES.includes(String(m))) errs.push(notSupported('spec.accessModes', m, ACCESS_MODES));
  });
  const storage = asObj(spec.capacity)?.storage;
  if (storage === undefined) errs.push(required('spec.capacity'));
  const rp = spec.persistentVolumeReclaimPolicy;
  if (rp !== undefined && !['Delete', 'Recycle', 'Retain'].includes(str(rp)))
    errs.push(notSupported('spec.persistentVolumeReclaimPolicy', rp, ['Delete', 'Recycle', 'Retain']));
  return errs;
}

// ---------------------------------------------------------------------------------------------------------------
// Networking

function validateIngressBackend(errs: Cause[], b: Obj, f: string): void {
  const svc = asObj(b.service);
  const res = asObj(b.resource);
  if (svc && res) errs.push(invalid(f, '', 'cannot set both service and resource backends'));
  else if (!svc && !res) errs.push(invalid(f, '', 'one backend (service or resource) must be specified'));
  if (svc) {
    const name = str(svc.name);
    if (name === '') errs.push(required(`${f}.service.name`));
    else for (const msg of validateDns1035Label(name)) errs.push(invalid(`${f}.service.name`, name, msg));
    const port = asObj(svc.port) ?? {};
    const hasName = str(port.name) !== '';
    const hasNum = typeof port.number === 'number' && port.number !== 0;
    if (hasName && hasNum) errs.push(invalid(`${f}.service.port`, port, 'cannot set both port name & port number'));
    else if (hasName) for (const msg of validatePortName(str(port.name))) errs.push(invalid(`${f}.service.port.name`, port.name, msg));
    else if (hasNum) for (const msg of validatePortNumber(port.number as number)) errs.push(invalid(`${f}.service.port.number`, port.number, msg));
    else errs.push(required(`${f}.service.port`, 'port name or number is required'));
  }
}

function validateIngressHost(errs: Cause[], host: string, f: string): void {
  if (validateIP(host).length === 0) {
    errs.push(invalid(f, host, 'must be a DNS name, not an IP address'));
    return;
  }
  const h = host.startsWith('*.') ? host.slice(2) : host;
  for (const msg of validateDns1123Subdomain(h)) errs.push(invalid(f, host, msg));
}

export function validateIngress(obj: KubeObject): Cause[] {
  const errs: Cause[] = [];
  const spec = asObj(obj.spec);
  if (!spec) return [required('spec')];
  const rules = objs(spec.rules);
  const db = asObj(spec.defaultBackend);
  if (rules.length === 0 && !db) errs.push(invalid('spec.rules', [], 'either `defaultBackend` or `rules` must be specified'));
  if (db) validateIngressBackend(errs, db, 'spec.defaultBackend');
  const cls = str(spec.ingressClassName);
  if (cls !== '') for (const msg of validateDns1123Subdomain(cls)) errs.push(invalid('spec.ingressClassName', cls, msg));
  rules.forEach((r, i) => {
    const rf = `spec.rules[${i}]`;
    const host = str(r.host);
    if (host !== '') validateIngressHost(errs, host, `${rf}.host`);
    const http = asObj(r.http);
    if (!http) return;
    const paths = objs(http.paths);
    if (paths.length === 0) errs.push(required(`${rf}.http.paths`));
    paths.forEach((p, j) => {
      const pf = `${rf}.http.paths[${j}]`;
      const pt = p.pathType;
      const path = str(p.path);
      if (pt === undefined || pt === null || pt === '') errs.push(required(`${pf}.pathType`, 'pathType must be specified'));
      else if (!['Exact', 'ImplementationSpecific', 'Prefix'].includes(str(pt)))
        errs.push(notSupported(`${pf}.pathType`, pt, ['Exact', 'ImplementationSpecific', 'Prefix']));
      else if ((pt === 'Exact' || pt === 'Prefix') && !path.startsWith('/')) errs.push(invalid(`${pf}.path`, path, 'must be an absolute path'));
      if (pt === 'ImplementationSpecific' && path !== '' && !path.startsWith('/')) errs.push(invalid(`${pf}.path`, path, 'must be an absolute path'));
      const b = asObj(p.backend);
      if (!b) errs.push(required(`${pf}.backend`));
      else validateIngressBackend(errs, b, `${pf}.backend`);
    });
  });
  objs(spec.tls).forEach((t, i) => {
    if (Array.isArray(t.hosts)) t.hosts.forEach((h, j) => validateIngressHost(errs, String(h), `spec.tls[${i}].hosts[${j}]`));
  });
  return errs;
}

export function validateNetworkPolicy(obj: KubeObject): Cause[] {
  const errs: Cause[] = [];
  const spec = asObj(obj.spec) ?? {};
  errs.push(...validateLabelSelector(spec.podSelector ?? {}, 'spec.podSelector'));
  if (Array.isArray(spec.policyTypes)) {
    spec.policyTypes.forEach((t, i) => {
      if (t !== 'Ingress' && t !== 'Egress') errs.push(notSupported(`spec.policyTypes[${i}]`, t, ['Egress', 'Ingress']));
    });
    if (spec.policyTypes.length > 2) errs.push(invalid('spec.policyTypes', spec.policyTypes, 'may not specify more than two policyTypes'));
  }
  for (const dir of ['ingress', 'egress']) {
    objs(spec[dir]).forEach((rule, i) => {
      objs(rule.ports).forEach((p, j) => {
        const pf = `spec.${dir}[${i}].ports[${j}]`;
        if (p.protocol !== undefined && !PROTOCOLS.includes(str(p.protocol))) errs.push(notSupported(`${pf}.protocol`, p.protocol, PROTOCOLS));
        if (p.port !== undefined && p.port !== null) validateIntOrNamedPort(errs, p.port, `${pf}.port`);
        if (typeof p.endPort === 'number') {
          if (typeof p.port !== 'number') errs.push(required(`${pf}.port`, 'must specify port when endPort is set'));
          else if (p.endPort < p.port) errs.push(invalid(`${pf}.endPort`, p.endPort, 'must be greater than or equal to `port`'));
        }
      });
      for (const peerKey of ['from', 'to'])
        objs(rule[peerKey]).forEach((peer, j) => {
          const f = `spec.${dir}[${i}].${peerKey}[${j}]`;
          if (peer.podSelector !== undefined) errs.push(...validateLabelSelector(peer.podSelector, `${f}.podSelector`));
          if (peer.namespaceSelector !== undefined) errs.push(...validateLabelSelector(peer.namespaceSelector, `${f}.namespaceSelector`));
          const n = ['podSelector', 'namespaceSelector', 'ipBlock'].filter((k) => peer[k] !== undefined).length;
          if (n === 0) errs.push(required(f, 'must specify a peer'));
          if (peer.ipBlock !== undefined && n > 1) errs.push(forbidden(f, 'may not specify both ipBlock and another peer'));
        });
    });
  }
  return errs;
}

export function validateEndpoints(obj: KubeObject): Cause[] {
  const errs: Cause[] = [];
  objs(obj.subsets).forEach((ss, i) => {
    for (const key of ['addresses', 'notReadyAddresses'])
      objs(ss[key]).forEach((a, j) => {
        for (const msg of validateIP(str(a.ip))) errs.push(invalid(`subsets[${i}].${key}[${j}].ip`, str(a.ip), msg));
      });
    const ports = objs(ss.ports);
    ports.forEach((p, j) => {
      const pf = `subsets[${i}].ports[${j}]`;
      if (ports.length > 1 && str(p.name) === '') errs.push(required(`${pf}.name`));
      if (typeof p.port !== 'number') errs.push(required(`${pf}.port`));
      else for (const msg of validatePortNumber(p.port)) errs.push(invalid(`${pf}.port`, p.port, msg));
      if (p.protocol !== undefined && !PROTOCOLS.includes(str(p.protocol))) errs.push(notSupported(`${pf}.protocol`, p.protocol, PROTOCOLS));
    });
  });
  return errs;
}

export function validateEndpointSlice(obj: KubeObject): Cause[] {
  const errs: Cause[] = [];
  const at = obj.addressType;
  if (at === undefined || at === '') errs.push(required('addressType'));
  else if (!['IPv4', 'IPv6', 'FQDN'].includes(str(at))) errs.push(notSupported('addressType', at, ['FQDN', 'IPv4', 'IPv6']));
  objs(obj.endpoints).forEach((e, i) => {
    const addrs = Array.isArray(e.addresses) ? e.addresses : [];
    if (addrs.length === 0) errs.push(required(`endpoints[${i}].addresses`, 'must contain at least 1 address'));
    if (addrs.length > 100) errs.push(invalid(`endpoints[${i}].addresses`, addrs.length, 'must have at most 100 items'));
    addrs.forEach((a, j) => {
      const s = String(a);
      if (at === 'FQDN') for (const msg of validateDns1123Subdomain(s)) errs.push(invalid(`endpoints[${i}].addresses[${j}]`, s, msg));
      else for (const msg of validateIP(s)) errs.push(invalid(`endpoints[${i}].addresses[${j}]`, s, msg));
    });
  });
  objs(obj.ports).forEach((p, i) => {
    if (typeof p.port === 'number') for (const msg of validatePortNumber(p.port)) errs.push(invalid(`ports[${i}].port`, p.port, msg));
    if (p.protocol !== undefined && !PROTOCOLS.includes(str(p.protocol))) errs.push(notSupported(`ports[${i}].protocol`, p.protocol, PROTOCOLS));
  });
  return errs;
}

// ---------------------------------------------------------------------------------------------------------------
// Autoscaling / policy / scheduling / admission / CRDs

export function validateHpa(obj: KubeObject): Cause[] {
  const errs: Cause[] = [];
  const spec = asObj(obj.spec);
  if (!spec) return [required('spec')];
  const ref = asObj(spec.scaleTargetRef) ?? {};
  if (str(ref.kind) === '') errs.push(required('spec.scaleTargetRef.kind'));
  if (str(ref.name) === '') errs.push(required('spec.scaleTargetRef.name'));
  const min = spec.minReplicas;
  const max = spec.maxReplicas;
  if (typeof min === 'number' && min < 1) errs.push(invalid('spec.minReplicas', min, 'must be greater than or equal to 1'));
  if (typeof max !== 'number') errs.push(required('spec.maxReplicas'));
  else if (max < 1) errs.push(invalid('spec.maxReplicas', max, 'must be greater than 0'));
  else if (typeof min === 'number' && max < min) errs.push(invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
  objs(spec.metrics).forEach((m, i) => {
    const types = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
    if (!types.includes(str(m.type))) errs.push(notSupported(`spec.metrics[${i}].type`, m.type ?? '', types));
  });
  return errs;
}

export function validatePdb(obj: KubeObject): Cause[] {
  const errs: Cause[] = [];
  const spec = asObj(obj.spec) ?? {};
  if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined)
    errs.push(invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
  for (const f of ['minAvailable', 'maxUnavailable']) {
    const v = spec[f];
    if (typeof v === 'number' && v < 0) errs.push(invalid(`spec.${f}`, v, 'must be greater than or equal to 0'));
    if (typeof v === 'string') {
      if (!/^[0-9]+%$/.test(v))
        errs.push(invalid(`spec.${f}`, v, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"));
      else if (Number(v.slice(0, -1)) > 100) errs.push(invalid(`spec.${f}`, v, 'must not be greater than 100%'));
    }
  }
  if (spec.selector !== undefined) errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const upe = spec.unhealthyPodEvictionPolicy;
  if (upe !== undefined && upe !== 'IfHealthyBudget' && upe !== 'AlwaysAllow')
    errs.push(notSupported('spec.unhealthyPodEvictionPolicy', upe, ['AlwaysAllow', 'IfHealthyBudget']));
  return errs;
}

export const HIGHEST_USER_DEFINABLE_PRIORITY = 1000000000;

export function validatePriorityClass(obj: KubeObject): Cause[] {
  const errs: Cause[] = [];
  const name = str(obj.metadata?.name);
  const v = obj.value;
  if (typeof v !== 'number') errs.push(required('value'));
  else if (v > HIGHEST_USER_DEFINABLE_PRIORITY && !name.startsWith('system-'))
    errs.push(forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`));
  const pp = obj.preemptionPolicy;
  if (pp !== undefined && pp !== 'PreemptLowerPriority' && pp !== 'Never') errs.push(notSupported('preemptionPolicy', pp, ['Never', 'PreemptLowerPriority']));
  return errs;
}

export function validateStorageClass(obj: KubeObject): Cause[] {
  const errs: Cause[] = [];
  const p = str(obj.provisioner);
  if (p === '') errs.push(required('provisioner'));
  else for (const msg of validateQualifiedName(p.toLowerCase())) errs.push(invalid('provisioner', p, msg));
  const rp = obj.reclaimPolicy;
  if (rp !== undefined && rp !== 'Delete' && rp !== 'Retain') errs.push(notSupported('reclaimPolicy', rp, ['Delete', 'Retain']));
  const vbm = obj.volumeBindingMode;
  if (vbm !== undefined && vbm !== 'Immediate' && vbm !== 'WaitForFirstConsumer')
    errs.push(notSupported('volumeBindingMode', vbm, ['Immediate', 'WaitForFirstConsumer']));
  return errs;
}

export function validateWebhookConfiguration(obj: KubeObject, mutating: boolean): Cause[] {
  const errs: Cause[] = [];
  const names = new Set<string>();
  objs(obj.webhooks).forEach((w, i) => {
    const f = `webhooks[${i}]`;
    const name = str(w.name);
    if (name === '') errs.push(required(`${f}.name`));
    else {
      for (const msg of validateDns1123Subdomain(name)) errs.push(invalid(`${f}.name`, name, msg));
      if (name.split('.').length < 3) errs.push(invalid(`${f}.name`, name, 'should be a domain with at least three segments separated by dots'));
      if (names.has(name)) errs.push(duplicate(`${f}.name`, name));
      names.add(name);
    }
    const se = w.sideEffects;
    if (se === undefined || se === '') errs.push(required(`${f}.sideEffects`, 'must specify one of "None", "NoneOnDryRun"'));
    else if (se !== 'None' && se !== 'NoneOnDryRun') errs.push(notSupported(`${f}.sideEffects`, se, ['None', 'NoneOnDryRun']));
    const arv = Array.isArray(w.admissionReviewVersions) ? w.admissionReviewVersions : [];
    if (arv.length === 0) errs.push(required(`${f}.admissionReviewVersions`, 'must specify one of v1, v1beta1'));
    const fp = w.failurePolicy;
    if (fp !== undefined && fp !== 'Fail' && fp !== 'Ignore') errs.push(notSupported(`${f}.failurePolicy`, fp, ['Fail', 'Ignore']));
    const mp = w.matchPolicy;
    if (mp !== undefined && mp !== 'Exact' && mp !== 'Equivalent') errs.push(notSupported(`${f}.matchPolicy`, mp, ['Equivalent', 'Exact']));
    if (mutating && w.reinvocationPolicy !== undefined && w.reinvocationPolicy !== 'Never' && w.reinvocationPolicy !== 'IfNeeded')
      errs.push(notSupported(`${f}.reinvocationPolicy`, w.reinvocationPolicy, ['IfNeeded', 'Never']));
    const ts = w.timeoutSeconds;
    if (typeof ts === 'number' && (ts < 1 || ts > 30)) errs.push(invalid(`${f}.timeoutSeconds`, ts, 'the timeout value must be between 1 and 30 seconds'));
    const cc = asObj(w.clientConfig) ?? {};
    const hasUrl = str(cc.url) !== '';
    const hasSvc = asObj(cc.service) !== undefined;
    if (hasUrl === hasSvc) errs.push(required(`${f}.clientConfig`, 'exactly one of url or service is required'));
    const svc = asObj(cc.service);
    if (svc) {
      if (str(svc.name) === '') errs.push(required(`${f}.clientConfig.service.name`));
      if (str(svc.namespace) === '') errs.push(required(`${f}.clientConfig.service.namespace`));
      if (typeof svc.port === 'number') for (const msg of validatePortNumber(svc.port)) errs.push(invalid(`${f}.clientConfig.service.port`, svc.port, msg));
    }
    if (hasUrl) {
      try {
        const u = new URL(str(cc.url));
        if (u.protocol !== 'https:') errs.push(invalid(`${f}.clientConfig.url`, cc.url, "'https' is the only allowed URL scheme"));
      } catch {
        errs.push(invalid(`${f}.clientConfig.url`, cc.url, 'must be a valid URL'));
      }
    }
    if (w.namespaceSelector !== undefined) errs.push(...validateLabelSelector(w.namespaceSelector, `${f}.namespaceSelector`));
    if (w.objectSelector !== undefined) errs.push(...validateLabelSelector(w.objectSelector, `${f}.objectSelector`));
  });
  return errs;
}

export function validateCrd(obj: KubeObject): Cause[] {
  const errs: Cause[] = [];
  const spec = asObj(obj.spec);
  if (!spec) return [required('spec')];
  const group = str(spec.group);
  const names = asObj(spec.names) ?? {};
  const plural = str(names.plural);
  const name = str(obj.metadata?.name);
  if (name !== '' && name !== `${plural}.${group}`) errs.push(invalid('metadata.name', name, 'must be spec.names.plural+"."+spec.group'));
  if (group === '') errs.push(required('spec.group'));
  else {
    for (const msg of validateDns1123Subdomain(group)) errs.push(invalid('spec.group', group, msg));
    if (group.split('.').length < 2) errs.push(invalid('spec.group', group, 'should be a domain with at least one dot'));
  }
  if (plural === '') errs.push(required('spec.names.plural'));
  else for (const msg of validateDns1035Label(plural)) errs.push(invalid('spec.names.plural', plural, msg));
  if (str(names.kind) === '') errs.push(required('spec.names.kind'));
  if (str(names.listKind) === '') errs.push(required('spec.names.listKind'));
  const scope = spec.scope;
  if (scope !== 'Cluster' && scope !== 'Namespaced') errs.push(notSupported('spec.scope', scope ?? '', ['Cluster', 'Namespaced']));
  const versions = objs(spec.versions);
  if (versions.length === 0) errs.push(invalid('spec.versions', [], 'must have exactly one version marked as storage version'));
  else {
    const storage = versions.filter((v) => v.storage === true).length;
    if (storage !== 1) errs.push(invalid('spec.versions', versions.map((v) => str(v.name)), 'must have exactly one version marked as storage version'));
    const seen = new Set<string>();
    versions.forEach((v, i) => {
      const vn = str(v.name);
      if (vn === '') errs.push(required(`spec.versions[${i}].name`));
      else {
        for (const msg of validateDns1035Label(vn)) errs.push(invalid(`spec.versions[${i}].name`, vn, msg));
        if (seen.has(vn)) errs.push(duplicate(`spec.versions[${i}].name`, vn));
        seen.add(vn);
      }
    });
  }
  return errs;
}
