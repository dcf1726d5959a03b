/**
 * Decoding of Kubernetes' protobuf request bodies (`application/vnd.kubernetes.protobuf`), which
 * kubectl's typed clients send for e.g. `kubectl create namespace|configmap|secret|serviceaccount`.
 * The envelope is the 4-byte magic "k8s\0" followed by a runtime.Unknown message
 * {typeMeta{apiVersion, kind}, raw, contentEncoding, contentType}; `raw` is the object in protobuf.
 * Field numbers come from a table per message type; kinds without a table get a clear 415.
 */
import { ApiError } from './errors.js';

type FieldType =
  | 'string'
  | 'int'
  | 'bool'
  | 'bytes'
  | 'time'
  | 'intOrString'
  | 'quantity'
  | 'quantityMap'
  | { msg: string }
  | { map: 'string' | 'bytes' }
  | { repeated: 'string' | { msg: string } };

type Message = Record<number, [string, FieldType]>;

const MESSAGES: Record<string, Message> = {
  ObjectMeta: {
    1: ['name', 'string'],
    2: ['generateName', 'string'],
    3: ['namespace', 'string'],
    4: ['selfLink', 'string'],
    5: ['uid', 'string'],
    6: ['resourceVersion', 'string'],
    7: ['generation', 'int'],
    8: ['creationTimestamp', 'time'],
    9: ['deletionTimestamp', 'time'],
    10: ['deletionGracePeriodSeconds', 'int'],
    11: ['labels', { map: 'string' }],
    12: ['annotations', { map: 'string' }],
    13: ['ownerReferences', { repeated: { msg: 'OwnerReference' } }],
    14: ['finalizers', { repeated: 'string' }],
    17: ['managedFields', { repeated: { msg: 'ManagedFieldsEntry' } }],
  },
  OwnerReference: {
    1: ['kind', 'string'],
    3: ['name', 'string'],
    4: ['uid', 'string'],
    5: ['apiVersion', 'string'],
    6: ['controller', 'bool'],
    7: ['blockOwnerDeletion', 'bool'],
  },
  ManagedFieldsEntry: {
    1: ['manager', 'string'],
    2: ['operation', 'string'],
    3: ['apiVersion', 'string'],
    4: ['time', 'time'],
    6: ['fieldsType', 'string'],
    7: ['fieldsV1', { msg: 'FieldsV1' }],
    8: ['subresource', 'string'],
  },
  FieldsV1: { 1: ['Raw', 'bytes'] },
  ObjectReference: {
    1: ['kind', 'string'],
    2: ['namespace', 'string'],
    3: ['name', 'string'],
    4: ['uid', 'string'],
    5: ['apiVersion', 'string'],
    6: ['resourceVersion', 'string'],
    7: ['fieldPath', 'string'],
  },
  LocalObjectReference: { 1: ['name', 'string'] },
  Namespace: { 1: ['metadata', { msg: 'ObjectMeta' }], 2: ['spec', { msg: 'NamespaceSpec' }], 3: ['status', { msg: 'NamespaceStatus' }] },
  NamespaceSpec: { 1: ['finalizers', { repeated: 'string' }] },
  NamespaceStatus: { 1: ['phase', 'string'] },
  ConfigMap: { 1: ['metadata', { msg: 'ObjectMeta' }], 2: ['data', { map: 'string' }], 3: ['binaryData', { map: 'bytes' }], 4: ['immutable', 'bool'] },
  Secret: {
    1: ['metadata', { msg: 'ObjectMeta' }],
    2: ['data', { map: 'bytes' }],
    3: ['type', 'string'],
    4: ['stringData', { map: 'string' }],
    5: ['immutable', 'bool'],
  },
  LabelSelector: { 1: ['matchLabels', { map: 'string' }], 2: ['matchExpressions', { repeated: { msg: 'LabelSelectorRequirement' } }] },
  LabelSelectorRequirement: { 1: ['key', 'string'], 2: ['operator', 'string'], 3: ['values', { repeated: 'string' }] },
  PodTemplateSpec: { 1: ['metadata', { msg: 'ObjectMeta' }], 2: ['spec', { msg: 'PodSpec' }] },
  PodSpec: {
    2: ['containers', { repeated: { msg: 'Container' } }],
    3: ['restartPolicy', 'string'],
    4: ['terminationGracePeriodSeconds', 'int'],
    5: ['activeDeadlineSeconds', 'int'],
    6: ['dnsPolicy', 'string'],
    7: ['nodeSelector', { map: 'string' }],
    8: ['serviceAccountName', 'string'],
    10: ['nodeName', 'string'],
    15: ['imagePullSecrets', { repeated: { msg: 'LocalObjectReference' } }],
    16: ['hostname', 'string'],
    17: ['subdomain', 'string'],
    19: ['schedulerName', 'string'],
    20: ['initContainers', { repeated: { msg: 'Container' } }],
    24: ['priorityClassName', 'string'],
  },
  Container: {
    1: ['name', 'string'],
    2: ['image', 'string'],
    3: ['command', { repeated: 'string' }],
    4: ['args', { repeated: 'string' }],
    5: ['workingDir', 'string'],
    6: ['ports', { repeated: { msg: 'ContainerPort' } }],
    7: ['env', { repeated: { msg: 'EnvVar' } }],
    8: ['resources', { msg: 'ResourceRequirements' }],
    13: ['terminationMessagePath', 'string'],
    14: ['imagePullPolicy', 'string'],
    16: ['stdin', 'bool'],
    17: ['stdinOnce', 'bool'],
    18: ['tty', 'bool'],
    20: ['terminationMessagePolicy', 'string'],
  },
  ContainerPort: { 1: ['name', 'string'], 2: ['hostPort', 'int'], 3: ['containerPort', 'int'], 4: ['protocol', 'string'], 5: ['hostIP', 'string'] },
  EnvVar: { 1: ['name', 'string'], 2: ['value', 'string'] },
  ResourceRequirements: { 1: ['limits', 'quantityMap'], 2: ['requests', 'quantityMap'] },
  Deployment: { 1: ['metadata', { msg: 'ObjectMeta' }], 2: ['spec', { msg: 'DeploymentSpec' }] },
  DeploymentSpec: {
    1: ['replicas', 'int'],
    2: ['selector', { msg: 'LabelSelector' }],
    3: ['template', { msg: 'PodTemplateSpec' }],
    4: ['strategy', { msg: 'DeploymentStrategy' }],
    5: ['minReadySeconds', 'int'],
    6: ['revisionHistoryLimit', 'int'],
    7: ['paused', 'bool'],
    9: ['progressDeadlineSeconds', 'int'],
  },
  DeploymentStrategy: { 1: ['type', 'string'] },
  Job: { 1: ['metadata', { msg: 'ObjectMeta' }], 2: ['spec', { msg: 'JobSpec' }] },
  JobSpec: {
    1: ['parallelism', 'int'],
    2: ['completions', 'int'],
    3: ['activeDeadlineSeconds', 'int'],
    4: ['selector', { msg: 'LabelSelector' }],
    5: ['manualSelector', 'bool'],
    6: ['template', { msg: 'PodTemplateSpec' }],
    7: ['backoffLimit', 'int'],
    8: ['ttlSecondsAfterFinished', 'int'],
    9: ['completionMode', 'string'],
    10: ['suspend', 'bool'],
  },
  CronJob: { 1: ['metadata', { msg: 'ObjectMeta' }], 2: ['spec', { msg: 'CronJobSpec' }] },
  CronJobSpec: {
    1: ['schedule', 'string'],
    2: ['startingDeadlineSeconds', 'int'],
    3: ['concurrencyPolicy', 'string'],
    4: ['suspend', 'bool'],
    5: ['jobTemplate', { msg: 'JobTemplateSpec' }],
    6: ['successfulJobsHistoryLimit', 'int'],
    7: ['failedJobsHistoryLimit', 'int'],
    8: ['timeZone', 'string'],
  },
  JobTemplateSpec: { 1: ['metadata', { msg: 'ObjectMeta' }], 2: ['spec', { msg: 'JobSpec' }] },
  Service: { 1: ['metadata', { msg: 'ObjectMeta' }], 2: ['spec', { msg: 'ServiceSpec' }] },
  ServiceSpec: {
    1: ['ports', { repeated: { msg: 'ServicePort' } }],
    2: ['selector', { map: 'string' }],
    3: ['clusterIP', 'string'],
    4: ['type', 'string'],
    5: ['externalIPs', { repeated: 'string' }],
    7: ['sessionAffinity', 'string'],
    10: ['externalName', 'string'],
  },
  ServicePort: { 1: ['name', 'string'], 2: ['protocol', 'string'], 3: ['port', 'int'], 4: ['targetPort', 'intOrString'], 5: ['nodePort', 'int'] },
  SelfSubjectAccessReview: { 1: ['metadata', { msg: 'ObjectMeta' }], 2: ['spec', { msg: 'SelfSubjectAccessReviewSpec' }] },
  SelfSubjectAccessReviewSpec: { 1: ['resourceAttributes', { msg: 'ResourceAttributes' }], 2: ['nonResourceAttributes', { msg: 'NonResourceAttributes' }] },
  SubjectAccessReview: { 1: ['metadata', { msg: 'ObjectMeta' }], 2: ['spec', { msg: 'SubjectAccessReviewSpec' }] },
  SubjectAccessReviewSpec: {
    1: ['resourceAttributes', { msg: 'ResourceAttributes' }],
    2: ['nonResourceAttributes', { msg: 'NonResourceAttributes' }],
    3: ['user', 'string'],
    4: ['groups', { repeated: 'string' }],
    6: ['uid', 'string'],
  },
  ResourceAttributes: {
    1: ['namespace', 'string'],
    2: ['verb', 'string'],
    3: ['group', 'string'],
    4: ['version', 'string'],
    5: ['resource', 'string'],
    6: ['subresource', 'string'],
    7: ['name', 'string'],
  },
  NonResourceAttributes: { 1: ['path', 'string'], 2: ['verb', 'string'] },
  SelfSubjectReview: { 1: ['metadata', { msg: 'ObjectMeta' }] },
  SelfSubjectRulesReview: { 1: ['metadata', { msg: 'ObjectMeta' }], 2: ['spec', { msg: 'SelfSubjectRulesReviewSpec' }] },
  SelfSubjectRulesReviewSpec: { 1: ['namespace', 'string'] },
  TokenReview: { 1: ['metadata', { msg: 'ObjectMeta' }], 2: ['spec', { msg: 'TokenReviewSpec' }] },
  TokenReviewSpec: { 1: ['token', 'string'], 2: ['audiences', { repeated: 'string' }] },
  ServiceAccount: {
    1: ['metadata', { msg: 'ObjectMeta' }],
    2: ['secrets', { repeated: { msg: 'ObjectReference' } }],
    3: ['imagePullSecrets', { repeated: { msg: 'LocalObjectReference' } }],
    4: ['automountServiceAccountToken', 'bool'],
  },
};

/**
 * Optional (pointer) fields, whose zero value is meaningful and kept. Every other zero scalar is a
 * Go value field that JSON would omit (omitempty), so it is dropped — a protobuf create stores the
 * same object a JSON create would.
 */
const POINTER_FIELDS: Record<string, string[]> = {
  ObjectMeta: ['deletionGracePeriodSeconds'],
  OwnerReference: ['controller', 'blockOwnerDeletion'],
  ConfigMap: ['immutable'],
  Secret: ['immutable'],
  ServiceAccount: ['automountServiceAccountToken'],
  PodSpec: ['terminationGracePeriodSeconds', 'activeDeadlineSeconds'],
  DeploymentSpec: ['replicas', 'revisionHistoryLimit', 'progressDeadlineSeconds'],
  JobSpec: ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished', 'completionMode', 'suspend', 'manualSelector'],
  CronJobSpec: ['startingDeadlineSeconds', 'suspend', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit', 'timeZone'],
};
const keepZero = new Map(Object.entries(POINTER_FIELDS).map(([k, v]) => [k, new Set(v)]));

/** Kinds whose protobuf bodies are understood, by apiVersion/kind. */
const TOP: Record<string, string> = {
  'apps/v1/Deployment': 'Deployment',
  'batch/v1/Job': 'Job',
  'batch/v1/CronJob': 'CronJob',
  'v1/Service': 'Service',
  'authorization.k8s.io/v1/SelfSubjectAccessReview': 'SelfSubjectAccessReview',
  'authorization.k8s.io/v1/SubjectAccessReview': 'SubjectAccessReview',
  'authorization.k8s.io/v1/SelfSubjectRulesReview': 'SelfSubjectRulesReview',
  'authentication.k8s.io/v1/SelfSubjectReview': 'SelfSubjectReview',
  'authentication.k8s.io/v1/TokenReview': 'TokenReview',
  'v1/Namespace': 'Namespace',
  'v1/ConfigMap': 'ConfigMap',
  'v1/Secret': 'Secret',
  'v1/ServiceAccount': 'ServiceAccount',
};

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
      if (shift > 70n) throw new Error('varint too long');
    }
  }
  bytes(): Buffer {
    const n = Number(this.varint());
    if (this.pos + n > this.buf.length) throw new Error('truncated length-delimited field');
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

function* fields(buf: Buffer): Generator<{ no: number; wire: number; r: Reader }> {
  const r = new Reader(buf);
  while (!r.done) {
    const tag = Number(r.varint());
    yield { no: tag >> 3, wire: tag & 7, r };
  }
}

function decodeTime(buf: Buffer): string {
  let seconds = 0n;
  for (const f of fields(buf)) {
    if (f.no === 1 && f.wire === 0) seconds = f.r.varint();
    else f.r.skip(f.wire);
  }
  return new Date(Number(seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** IntOrString {type: 0 int | 1 string, intVal, strVal}. */
function decodeIntOrString(buf: Buffer): number | string {
  let type = 0;
  let intVal = 0;
  let strVal = '';
  for (const f of fields(buf)) {
    if (f.no === 1) type = Number(f.r.varint());
    else if (f.no === 2) intVal = Number(BigInt.asIntN(32, f.r.varint()));
    else if (f.no === 3) strVal = f.r.bytes().toString('utf8');
    else f.r.skip(f.wire);
  }
  return type === 1 ? strVal : intVal;
}

/** resource.Quantity {string}. */
function decodeQuantity(buf: Buffer): string {
  let v = '';
  for (const f of fields(buf)) {
    if (f.no === 1) v = f.r.bytes().toString('utf8');
    else f.r.skip(f.wire);
  }
  return v;
}

function decodeMessage(name: string, buf: Buffer): Record<string, unknown> {
  const desc = MESSAGES[name];
  const out: Record<string, unknown> = {};
  for (const f of fields(buf)) {
    const d = desc[f.no];
    if (!d) {
      // Go's generated code writes zero values of non-pointer fields; those carry nothing
      const zero = f.wire === 0 ? f.r.varint() === 0n : f.wire === 2 ? allZero(f.r.bytes()) : (f.r.skip(f.wire), false);
      if (!zero) throw new UnsupportedField(`field ${f.no} of ${name}`);
      continue;
    }
    const [field, type] = d;
    const keep = keepZero.get(name)?.has(field) ?? false;
    const scalar = (v: unknown, zero: boolean) => {
      if (!zero || keep) out[field] = v;
    };
    if (type === 'string') {
      const v = f.r.bytes().toString('utf8');
      scalar(v, v === '');
    } else if (type === 'bytes') out[field] = f.r.bytes().toString('base64');
    else if (type === 'int') {
      const v = Number(BigInt.asIntN(64, f.r.varint()));
      scalar(v, v === 0);
    } else if (type === 'bool') {
      const v = f.r.varint() !== 0n;
      scalar(v, !v);
    } else if (type === 'time') {
      const v = decodeTime(f.r.bytes());
      out[field] = v === '1970-01-01T00:00:00Z' ? null : v;
    }
    else if (type === 'intOrString') out[field] = decodeIntOrString(f.r.bytes());
    else if (type === 'quantity') out[field] = decodeQuantity(f.r.bytes());
    else if (type === 'quantityMap') {
      let k = '';
      let v = '';
      for (const e of fields(f.r.bytes())) {
        if (e.no === 1) k = e.r.bytes().toString('utf8');
        else if (e.no === 2) v = decodeQuantity(e.r.bytes());
        else e.r.skip(e.wire);
      }
      ((out[field] ??= {}) as Record<string, string>)[k] = v;
    }
    else if ('msg' in type) {
      const v = decodeMessage(type.msg, f.r.bytes());
      out[field] = type.msg === 'FieldsV1' ? JSON.parse(Buffer.from(String(v.Raw ?? ''), 'base64').toString() || '{}') : v;
    } else if ('map' in type) {
      let k = '';
      let v: string = '';
      for (const e of fields(f.r.bytes())) {
        if (e.no === 1) k = e.r.bytes().toString('utf8');
        else if (e.no === 2) v = type.map === 'bytes' ? e.r.bytes().toString('base64') : e.r.bytes().toString('utf8');
        else e.r.skip(e.wire);
      }
      ((out[field] ??= {}) as Record<string, string>)[k] = v;
    } else {
      const list = (out[field] ??= []) as unknown[];
      const it = type.repeated;
      list.push(it === 'string' ? f.r.bytes().toString('utf8') : decodeMessage(it.msg, f.r.bytes()));
    }
  }
  return out;
}

class UnsupportedField extends Error {}

/** Whether bytes are empty or a message whose every field is a zero value (e.g. an empty status). */
function allZero(buf: Buffer, depth = 0): boolean {
  if (buf.length === 0) return true;
  if (depth > 8) return false;
  try {
    for (const f of fields(buf)) {
      if (f.no === 0) return false;
      if (f.wire === 0) {
        if (f.r.varint() !== 0n) return false;
      } else if (f.wire === 2) {
        if (!allZero(f.r.bytes(), depth + 1)) return false;
      } else return false;
    }
    return true;
  } catch {
    return false;
  }
}

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** Decodes a protobuf request body into the JSON object it stands for. */
export function decodeProtobuf(buf: Buffer): Record<string, unknown> {
  if (buf.length < 4 || !buf.subarray(0, 4).equals(MAGIC))
    throw new ApiError(400, 'BadRequest', 'the protobuf body does not start with the Kubernetes magic prefix "k8s\\x00"');
  let apiVersion = '';
  let kind = '';
  let raw: Buffer | undefined;
  try {
    for (const f of fields(buf.subarray(4))) {
      if (f.no === 1) {
        for (const t of fields(f.r.bytes())) {
          if (t.no === 1) apiVersion = t.r.bytes().toString('utf8');
          else if (t.no === 2) kind = t.r.bytes().toString('utf8');
          else t.r.skip(t.wire);
        }
      } else if (f.no === 2) raw = f.r.bytes();
      else f.r.skip(f.wire);
    }
  } catch (e) {
    throw new ApiError(400, 'BadRequest', `the protobuf body could not be decoded: ${(e as Error).message}`);
  }
  const top = TOP[`${apiVersion}/${kind}`];
  if (!top)
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `protobuf bodies are not supported for ${kind || 'this kind'} (${apiVersion || 'unknown apiVersion'}) - send application/json or application/yaml instead`,
    );
  try {
    return { apiVersion, kind, ...decodeMessage(top, raw ?? Buffer.alloc(0)) };
  } catch (e) {
    if (e instanceof UnsupportedField)
      throw new ApiError(415, 'UnsupportedMediaType', `the protobuf body of ${kind} uses ${e.message}, which this server does not decode - send application/json or application/yaml instead`);
    throw new ApiError(400, 'BadRequest', `the protobuf body of ${kind} could not be decoded: ${(e as Error).message}`);
  }
}
