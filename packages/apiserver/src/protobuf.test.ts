/**
 * The generic protobuf decoder against bodies encoded by an independent encoder: @bufbuild/protobuf
 * driven by the FileDescriptorProtos kubectl itself carries (not by the generated table the decoder
 * reads), so a wrong field number, type or JSON rule in the table or the decoder shows up here.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { create, createFileRegistry, fromJson, toBinary, type FileRegistry, type JsonValue } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { builtinResources, GEN_PROTO_KINDS, GEN_PROTO_MISSING } from '@flotilla/k8s-builtins';
import { decodeProtobuf } from './protobuf.js';
import { ApiError } from './errors.js';
import { startTestCluster, type TestCluster } from './testutil.js';

const MAGIC = Buffer.from('k8s\0', 'latin1');
let reg: FileRegistry;

/** Encodes `proto` (protobuf JSON of the kind's message) in the envelope kubectl sends. */
function encode(apiVersion: string, kind: string, message: string, proto: JsonValue): Buffer {
  const desc = reg.getMessage(message)!;
  assert.ok(desc, `no descriptor for ${message}`);
  const raw = toBinary(desc, fromJson(desc, proto));
  const Unknown = reg.getMessage('k8s.io.apimachinery.pkg.runtime.Unknown')!;
  const env = create(Unknown, { typeMeta: { apiVersion, kind }, raw, contentType: 'application/vnd.kubernetes.protobuf' } as never);
  return Buffer.concat([MAGIC, toBinary(Unknown, env)]);
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const T = 1700000000; // 2023-11-14T22:13:20Z

function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ApiError, `expected an ApiError, got ${e}`);
    return e;
  }
  assert.fail('expected an error');
}

let noDescriptors = '';
/** Skips a test that needs the independent encoder when kubectl carries no descriptors. */
const noEncoder = (t: TestContext): boolean => (noDescriptors ? (t.skip(noDescriptors), true) : false);

describe('protobuf bodies: generic decoder', () => {
  before(async () => {
    const { readKubectlDescriptors, orderedDescriptors } = await import(new URL('../../k8s-builtins/scripts/kubectl-descriptors.mjs', import.meta.url).href);
    try {
      reg = createFileRegistry(create(FileDescriptorSetSchema, { file: orderedDescriptors(readKubectlDescriptors()) }));
    } catch (e) {
      noDescriptors = `the independent encoder needs kubectl's descriptors: ${(e as Error).message}`;
      console.log(`skipping the protobuf round trips: ${noDescriptors}`);
    }
  });

  it('every built-in kind the server serves has a protobuf definition (CRDs: none in kubectl)', () => {
    for (const r of builtinResources) {
      const key = `${r.group ? `${r.group}/` : ''}${r.version}/${r.kind}`;
      assert.ok(GEN_PROTO_KINDS[key] || GEN_PROTO_MISSING.includes(key), `${key} has no protobuf definition`);
    }
    // kubectl carries no definitions of the apiextensions/apiregistration types (it never sends them as protobuf)
    assert.ok(GEN_PROTO_MISSING.includes('apiextensions.k8s.io/v1/CustomResourceDefinition'));
    for (const k of GEN_PROTO_MISSING) assert.match(k, /^(apiextensions|apiregistration)\.k8s\.io\//);
    assert.equal(GEN_PROTO_KINDS['authentication.k8s.io/v1/TokenRequest'], 'k8s.io.api.authentication.v1.TokenRequest');
  });

  it('a Pod: inlined members, IntOrString, Quantity, Time, FieldsV1, int64, omitempty and pointers', (t) => {
    if (noEncoder(t)) return;
    const body = encode('v1', 'Pod', 'k8s.io.api.core.v1.Pod', {
      metadata: {
        name: 'p',
        namespace: 'ns',
        generation: '7',
        labels: { a: 'b' },
        creationTimestamp: { seconds: String(T) },
        managedFields: [{ manager: 'm', operation: 'Apply', fieldsType: 'FieldsV1', fieldsV1: { Raw: b64('{"f:metadata":{}}') }, time: { seconds: String(T) } }],
      },
      spec: {
        containers: [
          {
            name: 'c',
            image: 'busybox',
            stdin: false,
            ports: [{ containerPort: 0, protocol: 'TCP' }],
            resources: { limits: { cpu: { string: '500m' } } },
            readinessProbe: { handler: { httpGet: { path: '/', port: { type: 1, strVal: 'http' } } }, periodSeconds: 5 },
            livenessProbe: { handler: { tcpSocket: { port: { type: 0, intVal: 8080 } } } },
          },
        ],
        volumes: [{ name: 'v', volumeSource: { emptyDir: { sizeLimit: { string: '1Gi' } } } }],
        terminationGracePeriodSeconds: '0',
        hostNetwork: false,
      },
    });
    assert.deepEqual(decodeProtobuf(body), {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'p',
        namespace: 'ns',
        generation: 7,
        labels: { a: 'b' },
        creationTimestamp: '2023-11-14T22:13:20Z',
        managedFields: [{ manager: 'm', operation: 'Apply', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': {} }, time: '2023-11-14T22:13:20Z' }],
      },
      spec: {
        containers: [
          {
            name: 'c',
            image: 'busybox',
            ports: [{ containerPort: 0, protocol: 'TCP' }], // required: the zero is kept
            resources: { limits: { cpu: '500m' } },
            readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 5 },
            livenessProbe: { tcpSocket: { port: 8080 } },
          },
        ],
        volumes: [{ name: 'v', emptyDir: { sizeLimit: '1Gi' } }],
        terminationGracePeriodSeconds: 0, // a pointer: the zero is meaningful
      },
    });
  });

  it('a Deployment: pointer zero kept, empty value structs written as {}, zero Time as null', (t) => {
    if (noEncoder(t)) return;
    const body = encode('apps/v1', 'Deployment', 'k8s.io.api.apps.v1.Deployment', {
      metadata: { name: 'd', creationTimestamp: {} },
      spec: { replicas: 0, paused: false, strategy: {}, template: { metadata: { creationTimestamp: {} }, spec: { containers: [{ name: 'c', image: 'x', resources: {} }] } } },
      status: {},
    });
    assert.deepEqual(decodeProtobuf(body), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', creationTimestamp: null },
      spec: { replicas: 0, strategy: {}, template: { metadata: { creationTimestamp: null }, spec: { containers: [{ name: 'c', image: 'x', resources: {} }] } } },
      status: {},
    });
  });

  it('a Secret: bytes maps as base64, a false pointer kept', (t) => {
    if (noEncoder(t)) return;
    const body = encode('v1', 'Secret', 'k8s.io.api.core.v1.Secret', {
      metadata: { name: 's' },
      data: { pw: b64('s3cret\n\u0000') },
      stringData: { x: 'y' },
      type: 'Opaque',
      immutable: false,
    });
    assert.deepEqual(decodeProtobuf(body), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data: { pw: b64('s3cret\n\u0000') },
      stringData: { x: 'y' },
      type: 'Opaque',
      immutable: false,
    });
  });

  it('a Lease: MicroTime with microseconds, pointer strings', (t) => {
    if (noEncoder(t)) return;
    const body = encode('coordination.k8s.io/v1', 'Lease', 'k8s.io.api.coordination.v1.Lease', {
      metadata: { name: 'l' },
      spec: { holderIdentity: '', leaseDurationSeconds: 15, renewTime: { seconds: String(T), nanos: 123456789 }, leaseTransitions: 0 },
    });
    assert.deepEqual(decodeProtobuf(body), {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'l' },
      spec: { holderIdentity: '', leaseDurationSeconds: 15, renewTime: '2023-11-14T22:13:20.123456Z', leaseTransitions: 0 },
    });
  });

  it('a SubjectAccessReview: list types (ExtraValue) as arrays', (t) => {
    if (noEncoder(t)) return;
    const body = encode('authorization.k8s.io/v1', 'SubjectAccessReview', 'k8s.io.api.authorization.v1.SubjectAccessReview', {
      metadata: {},
      spec: { user: 'alice', groups: ['g1'], extra: { scopes: { items: ['a', 'b'] } }, resourceAttributes: { verb: 'get', resource: 'pods', namespace: 'ns' } },
    });
    assert.deepEqual(decodeProtobuf(body), {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      metadata: {},
      spec: { user: 'alice', groups: ['g1'], extra: { scopes: ['a', 'b'] }, resourceAttributes: { verb: 'get', resource: 'pods', namespace: 'ns' } },
    });
  });

  it('JSON names that differ from the protobuf names, nested inlined members, bytes fields', (t) => {
    if (noEncoder(t)) return;
    const body = encode('admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', 'k8s.io.api.admissionregistration.v1.MutatingWebhookConfiguration', {
      metadata: { name: 'm' },
      Webhooks: [
        {
          name: 'w.example.com',
          clientConfig: { url: 'https://127.0.0.1:9443/m', caBundle: b64('PEM') },
          rules: [{ operations: ['CREATE'], rule: { apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: '*' } }],
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          timeoutSeconds: 5,
        },
      ],
    });
    assert.deepEqual(decodeProtobuf(body), {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: 'm' },
      webhooks: [
        {
          name: 'w.example.com',
          clientConfig: { url: 'https://127.0.0.1:9443/m', caBundle: b64('PEM') },
          rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: '*' }],
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          timeoutSeconds: 5,
        },
      ],
    });
    const tr = encode('authentication.k8s.io/v1', 'TokenRequest', 'k8s.io.api.authentication.v1.TokenRequest', {
      metadata: {},
      spec: { audiences: ['api'], expirationSeconds: '600', boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p', uID: 'u-1' } },
    });
    assert.deepEqual(decodeProtobuf(tr), {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      metadata: {},
      spec: { audiences: ['api'], expirationSeconds: 600, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p', uid: 'u-1' } },
    });
  });

  it('RawExtension: embedded JSON and embedded protobuf objects', (t) => {
    if (noEncoder(t)) return;
    const body = encode('apps/v1', 'ControllerRevision', 'k8s.io.api.apps.v1.ControllerRevision', {
      metadata: { name: 'r' },
      data: { raw: b64('{"spec":{"template":{"x":1}}}') },
      revision: '3',
    });
    assert.deepEqual(decodeProtobuf(body), { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'r' }, data: { spec: { template: { x: 1 } } }, revision: 3 });
    const inner = encode('v1', 'ConfigMap', 'k8s.io.api.core.v1.ConfigMap', { metadata: { name: 'c' }, data: { a: 'b' } });
    const outer = encode('apps/v1', 'ControllerRevision', 'k8s.io.api.apps.v1.ControllerRevision', { metadata: { name: 'r' }, data: { raw: inner.toString('base64') }, revision: '1' });
    assert.deepEqual((decodeProtobuf(outer) as any).data, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } });
  });

  it('fields the definitions lack: zero values (Go writes them for value fields) pass, others are refused', (t) => {
    if (noEncoder(t)) return;
    const ConfigMap = reg.getMessage('k8s.io.api.core.v1.ConfigMap')!;
    const Unknown = reg.getMessage('k8s.io.apimachinery.pkg.runtime.Unknown')!;
    const raw = Buffer.from(toBinary(ConfigMap, fromJson(ConfigMap, { metadata: { name: 'c', labels: { a: 'b' } }, data: { k: 'v' } })));
    const wrap = (extra: number[]) =>
      Buffer.concat([MAGIC, toBinary(Unknown, create(Unknown, { typeMeta: { apiVersion: 'v1', kind: 'ConfigMap' }, raw: Buffer.concat([raw, Buffer.from(extra)]) } as never))]);
    // field 99 (varint 0), field 98 (empty message), field 97 (a message holding only zeros)
    const zeros = [0x98, 0x06, 0x00, 0x92, 0x06, 0x00, 0x8a, 0x06, 0x02, 0x08, 0x00];
    assert.deepEqual(decodeProtobuf(wrap(zeros)), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: { a: 'b' } }, data: { k: 'v' } });
    const set = apiError(() => decodeProtobuf(wrap([0x9a, 0x06, 0x01, 0x78])));
    assert.equal(set.code, 415);
    assert.match(set.message, /^the protobuf body of ConfigMap \(v1\) sets field 99 of ConfigMap \(k8s\.io\.api\.core\.v1\.ConfigMap\)/);
    // inside a nested message too
    const meta = toBinary(reg.getMessage('k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta')!, fromJson(reg.getMessage('k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta')!, { name: 'c' }));
    const nested = Buffer.concat([Buffer.from([0x0a, meta.length + 3]), meta, Buffer.from([0xa0, 0x06, 0x05])]);
    const env = Buffer.concat([MAGIC, toBinary(Unknown, create(Unknown, { typeMeta: { apiVersion: 'v1', kind: 'ConfigMap' }, raw: nested } as never))]);
    assert.match(apiError(() => decodeProtobuf(env)).message, /field 100 of ObjectMeta/);
  });

  it('malformed bodies: a 400 naming the kind; unknown kinds: a 415 naming the kind', (t) => {
    if (noEncoder(t)) return;
    const good = encode('rbac.authorization.k8s.io/v1', 'Role', 'k8s.io.api.rbac.v1.Role', { metadata: { name: 'r' }, rules: [{ verbs: ['get'], resources: ['pods'] }] });
    const Unknown = reg.getMessage('k8s.io.apimachinery.pkg.runtime.Unknown')!;
    const wrap = (raw: Uint8Array) =>
      Buffer.concat([MAGIC, toBinary(Unknown, create(Unknown, { typeMeta: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role' }, raw } as never))]);
    const raw = toBinary(reg.getMessage('k8s.io.api.rbac.v1.Role')!, fromJson(reg.getMessage('k8s.io.api.rbac.v1.Role')!, { metadata: { name: 'r' }, rules: [{ verbs: ['get'] }] }));
    assert.equal((decodeProtobuf(good) as any).metadata.name, 'r');

    const truncated = apiError(() => decodeProtobuf(wrap(raw.subarray(0, raw.length - 2))));
    assert.equal(truncated.code, 400);
    assert.match(truncated.message, /^the protobuf body of Role \(rbac\.authorization\.k8s\.io\/v1\) could not be decoded: /);
    const badWire = apiError(() => decodeProtobuf(wrap(Uint8Array.from([0x0f, 0x01]))));
    assert.equal(badWire.code, 400);
    assert.match(badWire.message, /Role \(rbac\.authorization\.k8s\.io\/v1\).*wire type/);
    const noMagic = apiError(() => decodeProtobuf(good.subarray(4)));
    assert.equal(noMagic.code, 400);
    assert.match(noMagic.message, /magic prefix/);
    const envelope = apiError(() => decodeProtobuf(Buffer.concat([MAGIC, Buffer.from([0x0a, 0x50, 0x01])])));
    assert.equal(envelope.code, 400);
    const crd = apiError(() => decodeProtobuf(encode('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'k8s.io.api.core.v1.ConfigMap', { metadata: { name: 'x' } })));
    assert.equal(crd.code, 415);
    assert.match(crd.message, /CustomResourceDefinition \(apiextensions\.k8s\.io\/v1\).*application\/json/);
  });
});

describe('protobuf bodies over HTTP', { timeout: 120_000 }, () => {
  let c: TestCluster;
  before(async () => {
    c = await startTestCluster();
  });
  after(async () => {
    await c?.close();
  });

  it('a truncated Role body is a 400 Status naming the kind; a good one is stored', async (t) => {
    if (noEncoder(t)) return;
    const body = encode('rbac.authorization.k8s.io/v1', 'Role', 'k8s.io.api.rbac.v1.Role', { metadata: { name: 'pb' }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }] });
    const h = { 'content-type': 'application/vnd.kubernetes.protobuf', accept: 'application/vnd.kubernetes.protobuf, application/json' };
    const bad = await c.req('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles', body.subarray(0, body.length - 3), { ...h, 'content-length': String(body.length - 3) });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.kind, 'Status');
    assert.equal(bad.body.reason, 'BadRequest');
    assert.match(bad.body.message, /protobuf body .*Role \(rbac\.authorization\.k8s\.io\/v1\)/);
    const ok = await c.req('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles', body, { ...h, 'content-length': String(body.length) });
    assert.equal(ok.status, 201, ok.text);
    assert.match(String(ok.headers['content-type']), /^application\/json/);
    assert.deepEqual(ok.body.rules, [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]);
  });
});
