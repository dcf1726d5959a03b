/**
 * /openapi/v2 in gnostic protobuf: an independent wire-format decoder checks the encoding against
 * the JSON document, and the real kubectl validates `kind: List` documents with it (kubectl checks
 * List items client-side with the OpenAPI v2 schema, which it only reads as protobuf).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { parse as yamlParse } from 'yaml';
import { acceptsOpenApiV2Proto, encodeOpenApiV2Proto } from './openapi-v2-proto.js';
import { eventually, startTestCluster, type TestCluster } from './testutil.js';

// ---------------------------------------------------------------------------------------------
// An independent protobuf reader, with the field numbers of gnostic's openapiv2/OpenAPIv2.proto

interface Field {
  n: number;
  wire: number;
  int?: bigint;
  buf?: Buffer;
}

function fields(b: Buffer): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= b.length) throw new Error('truncated varint');
      const c = b[i++];
      v |= BigInt(c & 0x7f) << shift;
      shift += 7n;
      if (c < 0x80) return v;
    }
  };
  while (i < b.length) {
    const key = Number(varint());
    const n = key >>> 3;
    const wire = key & 7;
    assert.ok(n > 0, 'field number 0');
    if (wire === 0) out.push({ n, wire, int: varint() });
    else if (wire === 1) {
      out.push({ n, wire, buf: b.subarray(i, i + 8) });
      i += 8;
    } else if (wire === 2) {
      const len = Number(varint());
      assert.ok(i + len <= b.length, 'length-delimited field past the end');
      out.push({ n, wire, buf: b.subarray(i, i + len) });
      i += len;
    } else if (wire === 5) {
      out.push({ n, wire, buf: b.subarray(i, i + 4) });
      i += 4;
    } else throw new Error(`unexpected wire type ${wire} for field ${n}`);
  }
  return out;
}

const str = (f: Field) => {
  assert.equal(f.wire, 2, `field ${f.n} should be length-delimited`);
  return f.buf!.toString('utf8');
};
const bool = (f: Field) => {
  assert.equal(f.wire, 0, `field ${f.n} should be a varint`);
  return f.int !== 0n;
};
const int64 = (f: Field) => {
  assert.equal(f.wire, 0, `field ${f.n} should be a varint`);
  return Number(BigInt.asIntN(64, f.int!));
};
const dbl = (f: Field) => {
  assert.equal(f.wire, 1, `field ${f.n} should be fixed64`);
  return f.buf!.readDoubleLE(0);
};
const sub = (f: Field) => {
  assert.equal(f.wire, 2, `field ${f.n} should be a message`);
  return f.buf!;
};

/** Any { google.protobuf.Any value = 1; string yaml = 2; } */
function decodeAny(b: Buffer): unknown {
  let text: string | undefined;
  for (const f of fields(b)) if (f.n === 2) text = str(f);
  assert.ok(text !== undefined, 'Any without yaml');
  return yamlParse(text, { version: '1.1' });
}

/** NamedAny { string name = 1; Any value = 2; } */
function decodeNamedAny(b: Buffer): [string, unknown] {
  let name = '';
  let value: unknown;
  for (const f of fields(b)) {
    if (f.n === 1) name = str(f);
    else if (f.n === 2) value = decodeAny(sub(f));
  }
  return [name, value];
}

/** Schema, back into its JSON form. */
function decodeSchema(b: Buffer): any {
  const s: any = {};
  const ext: [string, unknown][] = [];
  for (const f of fields(b)) {
    switch (f.n) {
      case 1: s.$ref = str(f); break;
      case 2: s.format = str(f); break;
      case 3: s.title = str(f); break;
      case 4: s.description = str(f); break;
      case 5: s.default = decodeAny(sub(f)); break;
      case 6: s.multipleOf = dbl(f); break;
      case 7: s.maximum = dbl(f); break;
      case 8: s.exclusiveMaximum = bool(f); break;
      case 9: s.minimum = dbl(f); break;
      case 10: s.exclusiveMinimum = bool(f); break;
      case 11: s.maxLength = int64(f); break;
      case 12: s.minLength = int64(f); break;
      case 13: s.pattern = str(f); break;
      case 14: s.maxItems = int64(f); break;
      case 15: s.minItems = int64(f); break;
      case 16: s.uniqueItems = bool(f); break;
      case 17: s.maxProperties = int64(f); break;
      case 18: s.minProperties = int64(f); break;
      case 19: (s.required ??= []).push(str(f)); break;
      case 20: (s.enum ??= []).push(decodeAny(sub(f))); break;
      case 21: {
        // AdditionalPropertiesItem { oneof { Schema schema = 1; bool boolean = 2; } }
        const inner = fields(sub(f));
        assert.equal(inner.length, 1, 'AdditionalPropertiesItem holds exactly one of schema/boolean');
        s.additionalProperties = inner[0].n === 1 ? decodeSchema(sub(inner[0])) : inner[0].n === 2 ? bool(inner[0]) : assert.fail(`AdditionalPropertiesItem field ${inner[0].n}`);
        break;
      }
      case 22: {
        // TypeItem { repeated string value = 1; }
        const v = fields(sub(f)).map((x) => (x.n === 1 ? str(x) : assert.fail(`TypeItem field ${x.n}`)));
        s.type = v.length === 1 ? v[0] : v;
        break;
      }
      case 23: {
        // ItemsItem { repeated Schema schema = 1; }
        const v = fields(sub(f)).map((x) => (x.n === 1 ? decodeSchema(sub(x)) : assert.fail(`ItemsItem field ${x.n}`)));
        s.items = v.length === 1 ? v[0] : v;
        break;
      }
      case 24: (s.allOf ??= []).push(decodeSchema(sub(f))); break;
      case 25: {
        // Properties { repeated NamedSchema additional_properties = 1; }; NamedSchema { name = 1; Schema value = 2; }
        s.properties = {};
        for (const p of fields(sub(f))) {
          assert.equal(p.n, 1);
          const [name, value] = decodeNamedSchema(sub(p));
          s.properties[name] = value;
        }
        break;
      }
      case 26: s.discriminator = str(f); break;
      case 27: s.readOnly = bool(f); break;
      case 30: s.example = decodeAny(sub(f)); break;
      case 31: ext.push(decodeNamedAny(sub(f))); break;
      default: assert.fail(`unexpected Schema field ${f.n}`);
    }
  }
  for (const [k, v] of ext) s[k] = v;
  return s;
}

function decodeNamedSchema(b: Buffer): [string, any] {
  let name = '';
  let value: any;
  for (const f of fields(b)) {
    if (f.n === 1) name = str(f);
    else if (f.n === 2) value = decodeSchema(sub(f));
  }
  return [name, value];
}

/** The parts of a Document the checks below look at. */
function decodeDocument(b: Buffer): { swagger: string; info: any; definitions: Record<string, any>; paths: Map<string, Buffer>; security: Buffer[]; securityDefinitions?: Buffer } {
  const doc = { swagger: '', info: {} as any, definitions: {} as Record<string, any>, paths: new Map<string, Buffer>(), security: [] as Buffer[], securityDefinitions: undefined as Buffer | undefined };
  for (const f of fields(b)) {
    if (f.n === 1) doc.swagger = str(f);
    else if (f.n === 2) for (const i of fields(sub(f))) i.n === 1 ? (doc.info.title = str(i)) : i.n === 2 ? (doc.info.version = str(i)) : undefined;
    else if (f.n === 8) {
      // Paths { vendor_extension = 1; repeated NamedPathItem path = 2; }
      for (const p of fields(sub(f))) {
        if (p.n !== 2) continue;
        let name = '';
        let item: Buffer | undefined;
        for (const x of fields(sub(p))) x.n === 1 ? (name = str(x)) : x.n === 2 ? (item = sub(x)) : undefined;
        doc.paths.set(name, item!);
      }
    } else if (f.n === 9) {
      // Definitions { repeated NamedSchema additional_properties = 1; }
      for (const d of fields(sub(f))) {
        assert.equal(d.n, 1);
        const [name, value] = decodeNamedSchema(sub(d));
        doc.definitions[name] = value;
      }
    } else if (f.n === 12) doc.security.push(sub(f));
    else if (f.n === 13) doc.securityDefinitions = sub(f);
  }
  return doc;
}

/** Operation: vendor extensions (13) and the names of its query parameters (8 -> ParametersItem.parameter(1) -> Parameter.non_body_parameter(2) -> query_parameter_sub_schema(3) -> name(4)). */
function decodeOperation(b: Buffer): { operationId: string; ext: Record<string, unknown>; query: string[]; body?: any; responses: Record<string, any> } {
  const op = { operationId: '', ext: {} as Record<string, unknown>, query: [] as string[], body: undefined as any, responses: {} as Record<string, any> };
  for (const f of fields(b)) {
    if (f.n === 5) op.operationId = str(f);
    else if (f.n === 13) {
      const [k, v] = decodeNamedAny(sub(f));
      op.ext[k] = v;
    } else if (f.n === 8) {
      for (const pi of fields(sub(f))) {
        assert.equal(pi.n, 1, 'ParametersItem.parameter');
        for (const p of fields(sub(pi))) {
          if (p.n === 1) {
            // BodyParameter { description = 1; name = 2; in = 3; required = 4; schema = 5; }
            for (const x of fields(sub(p))) if (x.n === 5) op.body = decodeSchema(sub(x));
          } else if (p.n === 2) {
            for (const nb of fields(sub(p))) {
              if (nb.n !== 3) continue;
              for (const x of fields(sub(nb))) if (x.n === 4) op.query.push(str(x));
            }
          }
        }
      }
    } else if (f.n === 9) {
      // Responses { repeated NamedResponseValue response_code = 1; } ResponseValue { Response response = 1 } Response { description = 1; SchemaItem schema = 2 }
      for (const rc of fields(sub(f))) {
        let code = '';
        const resp: any = {};
        for (const x of fields(sub(rc))) {
          if (x.n === 1) code = str(x);
          else if (x.n === 2)
            for (const rv of fields(sub(x)))
              if (rv.n === 1)
                for (const r of fields(sub(rv))) {
                  if (r.n === 1) resp.description = str(r);
                  else if (r.n === 2) for (const si of fields(sub(r))) if (si.n === 1) resp.schema = decodeSchema(sub(si));
                }
        }
        op.responses[code] = resp;
      }
    }
  }
  return op;
}

/** What the JSON schema should look like after a protobuf round trip (proto3 drops zero scalars; v2 writes `{description, allOf:[{$ref}]}` as `{$ref, description}`). */
function expected(s: any): any {
  const out: any = {};
  for (const [k, v] of Object.entries(s)) {
    if (['multipleOf', 'maximum', 'minimum', 'maxLength', 'minLength', 'maxItems', 'minItems', 'maxProperties', 'minProperties'].includes(k) && v === 0) continue;
    if (['exclusiveMaximum', 'exclusiveMinimum', 'uniqueItems', 'readOnly'].includes(k) && v === false) continue;
    if (k === 'properties') out[k] = Object.fromEntries(Object.entries(v as object).map(([p, ps]) => [p, expected(ps)]));
    else if (k === 'items') out[k] = Array.isArray(v) ? v.map(expected) : expected(v);
    else if (k === 'allOf') out[k] = (v as any[]).map(expected);
    else if (k === 'additionalProperties' && typeof v === 'object') out[k] = expected(v);
    else out[k] = v;
  }
  if (out.$ref === undefined && out.allOf?.length === 1 && Object.keys(out.allOf[0]).length === 1 && out.allOf[0].$ref && !out.type && !out.properties && !out.items && out.additionalProperties === undefined) {
    out.$ref = out.allOf[0].$ref;
    delete out.allOf;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

const PROTO = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

let c: TestCluster;

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const r = request(new URL(path, c.server.url), { ca: c.server.caPem, headers: { authorization: `Bearer ${c.server.token}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    r.on('error', reject);
    r.end();
  });
}

const widgetCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'gadgets.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['size'],
                properties: {
                  size: { type: 'string', enum: ['S', 'M', 'yes'] },
                  replicas: { type: 'integer', minimum: 0, maximum: 10, default: 1 },
                  labels: { type: 'object', additionalProperties: { type: 'string' } },
                },
              },
            },
          },
        },
      },
    ],
  },
};

const deployment = (name: string, spec?: unknown) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: spec ?? {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 80 }] }] } },
  },
});
const list = (...items: unknown[]) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items });

describe('/openapi/v2 as gnostic protobuf', { timeout: 180_000 }, () => {
  before(async () => {
    c = await startTestCluster();
    assert.equal((await c.req('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', widgetCrd)).status, 201);
    await eventually(async () => (await c.req('GET', '/apis/example.com/v1/namespaces/default/gadgets')).status === 200, 5000, 'CRD served');
  });
  after(async () => {
    await c?.close();
  });

  it('chooses protobuf only when the Accept header asks for it', () => {
    assert.equal(acceptsOpenApiV2Proto(PROTO), true);
    assert.equal(acceptsOpenApiV2Proto('application/com.github.proto-openapi.spec.v2.v1.0+protobuf'), true);
    assert.equal(acceptsOpenApiV2Proto(`${PROTO}, application/json;q=0.5`), true);
    assert.equal(acceptsOpenApiV2Proto(`application/json, ${PROTO};q=0.5`), false);
    assert.equal(acceptsOpenApiV2Proto('application/json'), false);
    assert.equal(acceptsOpenApiV2Proto('*/*'), false);
    assert.equal(acceptsOpenApiV2Proto(''), false);
  });

  it('encodes the oneofs, Any values and numbers of a schema by their field numbers', () => {
    const doc = {
      swagger: '2.0',
      info: { title: 'T', version: 'v9' },
      paths: {},
      definitions: {
        X: {
          type: 'object',
          required: ['a'],
          properties: {
            a: { type: 'string', enum: ['yes', 'on', 'x'], default: 'yes', pattern: '^[a-z]+$', maxLength: 300 },
            n: { type: 'number', minimum: -1.5, maximum: 2.25, exclusiveMaximum: true },
            i: { type: 'integer', format: 'int64', minimum: -3, default: -7 },
            closed: { type: 'object', additionalProperties: false },
            open: { type: 'object', additionalProperties: true },
            m: { type: 'object', additionalProperties: { type: 'integer', format: 'int32' } },
            arr: { type: 'array', items: { type: 'string' }, maxItems: 4, uniqueItems: true, 'x-kubernetes-list-type': 'set' },
          },
          'x-kubernetes-group-version-kind': [{ group: '', kind: 'X', version: 'v1' }],
          'x-kubernetes-preserve-unknown-fields': true,
        },
      },
    };
    const d = decodeDocument(encodeOpenApiV2Proto(doc));
    assert.equal(d.swagger, '2.0');
    assert.deepEqual(d.info, { title: 'T', version: 'v9' });
    assert.deepEqual(d.definitions.X, expected(doc.definitions.X));
    // `false` is the value of the oneof: it must be on the wire.
    assert.equal(d.definitions.X.properties.closed.additionalProperties, false);
    assert.equal(d.definitions.X.properties.i.default, -7);
    assert.deepEqual(d.definitions.X.properties.a.enum, ['yes', 'on', 'x']);
  });

  it('serves JSON by default and protobuf on request, each with its ETag and 304 on If-None-Match', async () => {
    const json = await get('/openapi/v2');
    assert.equal(json.status, 200);
    assert.match(String(json.headers['content-type']), /^application\/json/);
    assert.equal(JSON.parse(json.body.toString('utf8')).swagger, '2.0');
    const proto = await get('/openapi/v2', { accept: PROTO });
    assert.equal(proto.status, 200);
    assert.equal(proto.headers['content-type'], 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    assert.equal(Number(proto.headers['content-length']), proto.body.length);
    const etag = String(proto.headers.etag);
    assert.match(etag, /^"[0-9A-F]{128}"$/);
    assert.notEqual(etag, json.headers.etag);
    const again = await get('/openapi/v2', { accept: PROTO, 'if-none-match': etag });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
    assert.equal((await get('/openapi/v2', { 'if-none-match': String(json.headers.etag) })).status, 304);
    assert.equal((await get('/openapi/v2', { accept: PROTO, 'if-none-match': String(json.headers.etag) })).status, 200);
    // /swagger.json stays JSON whatever is asked.
    assert.match(String((await get('/swagger.json', { accept: PROTO })).headers['content-type']), /^application\/json/);
  });

  it('decodes, field by field, to the JSON document (built-ins and CRDs)', async () => {
    const json = JSON.parse((await get('/openapi/v2')).body.toString('utf8'));
    const proto = await get('/openapi/v2', { accept: PROTO });
    const d = decodeDocument(proto.body);
    assert.equal(d.swagger, '2.0');
    assert.deepEqual(d.info, json.info);
    assert.deepEqual(Object.keys(d.definitions), Object.keys(json.definitions));
    for (const [name, s] of Object.entries(json.definitions)) assert.deepEqual(d.definitions[name], expected(s), name);

    // The parts kubectl depends on, spelled out.
    const dep = d.definitions['io.k8s.api.apps.v1.Deployment'];
    assert.deepEqual(dep['x-kubernetes-group-version-kind'], [{ group: 'apps', version: 'v1', kind: 'Deployment' }]);
    assert.equal(dep.type, 'object');
    assert.equal(dep.properties.spec.$ref, '#/definitions/io.k8s.api.apps.v1.DeploymentSpec');
    assert.match(dep.properties.spec.description, /desired behavior/);
    assert.deepEqual(d.definitions['io.k8s.api.apps.v1.DeploymentSpec'].required, ['selector', 'template']);
    const containers = d.definitions['io.k8s.api.core.v1.PodSpec'].properties.containers;
    assert.equal(containers.type, 'array');
    assert.equal(containers.items.$ref, '#/definitions/io.k8s.api.core.v1.Container');
    assert.equal(containers['x-kubernetes-patch-merge-key'], 'name');
    assert.equal(containers['x-kubernetes-patch-strategy'], 'merge');
    assert.equal(containers['x-kubernetes-list-type'], 'map');
    assert.deepEqual(containers['x-kubernetes-list-map-keys'], ['name']);
    assert.deepEqual(d.definitions['io.k8s.api.core.v1.ConfigMap'].properties.data.additionalProperties, { type: 'string' });
    assert.deepEqual(d.definitions['io.k8s.api.core.v1.ConfigMap']['x-kubernetes-group-version-kind'], [{ group: '', version: 'v1', kind: 'ConfigMap' }]);

    const gadget = d.definitions['com.example.v1.Gadget'];
    assert.ok(gadget, 'the CRD kind is in the document');
    assert.deepEqual(gadget['x-kubernetes-group-version-kind'], [{ group: 'example.com', version: 'v1', kind: 'Gadget' }]);
    assert.deepEqual(gadget.properties.spec.properties.size.enum, ['S', 'M', 'yes']);
    assert.equal(gadget.properties.spec.properties.replicas.default, 1);
    assert.equal(gadget.properties.spec.properties.replicas.maximum, 10);

    // Paths: the PATCH operation with its GVK and the fieldValidation query parameter (kubectl's v2 fallback check).
    assert.equal(d.paths.size, Object.keys(json.paths).length);
    const item = d.paths.get('/apis/apps/v1/namespaces/{namespace}/deployments/{name}');
    assert.ok(item);
    const patch = fields(item).find((f) => f.n === 8);
    assert.ok(patch, 'PathItem.patch');
    const op = decodeOperation(sub(patch));
    assert.equal(op.operationId, 'patchAppsV1NamespacedDeployment');
    assert.deepEqual(op.ext['x-kubernetes-group-version-kind'], { group: 'apps', version: 'v1', kind: 'Deployment' });
    assert.equal(op.ext['x-kubernetes-action'], 'patch');
    assert.ok(op.query.includes('fieldValidation'));
    assert.equal(op.body.$ref, '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch');
    assert.equal(op.responses['200'].schema.$ref, '#/definitions/io.k8s.api.apps.v1.Deployment');
    assert.deepEqual(op.responses['401'], { description: 'Unauthorized' });
    assert.equal(d.security.length, 1);
  });

  it('kubectl apply -f of a v1 List (ConfigMap + Deployment) succeeds', async () => {
    const out = await c.k(['apply', '-f', '-'], {
      input: list({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'list-cm' }, data: { k: 'v' } }, deployment('list-web')),
    });
    assert.match(out, /configmap\/list-cm created/);
    assert.match(out, /deployment.apps\/list-web created/);
    assert.equal((await c.req('GET', '/api/v1/namespaces/default/configmaps/list-cm')).body.data.k, 'v');
    assert.equal((await c.req('GET', '/apis/apps/v1/namespaces/default/deployments/list-web')).status, 200);
    // and again: unchanged
    const again = await c.k(['apply', '-f', '-'], {
      input: list({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'list-cm' }, data: { k: 'v' } }, deployment('list-web')),
    });
    assert.match(again, /configmap\/list-cm unchanged/);
  });

  it('kubectl rejects a List item with an unknown field (strict client-side validation)', async () => {
    const r = await c.kubectl(['apply', '-f', '-'], {
      input: list({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'list-bad' }, data: { k: 'v' }, bogus: 1 }),
    });
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /error validating data: ValidationError\(ConfigMap\): unknown field "bogus" in io\.k8s\.api\.core\.v1\.ConfigMap; if you choose to ignore these errors, turn validation off with --validate=false/,
    );
    // nested, through $ref and array items
    const r2 = await c.kubectl(['apply', '-f', '-'], {
      input: list({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'list-pod' }, spec: { containers: [{ name: 'c', image: 'i', bogus: true }] } }),
    });
    assert.notEqual(r2.code, 0);
    assert.match(r2.stderr, /ValidationError\(Pod\.spec\.containers\[0\]\): unknown field "bogus" in io\.k8s\.api\.core\.v1\.Container/);
    assert.equal((await c.req('GET', '/api/v1/namespaces/default/configmaps/list-bad')).status, 404);
    assert.equal((await c.req('GET', '/api/v1/namespaces/default/pods/list-pod')).status, 404);
  });

  it('kubectl rejects a List item missing a required field', async () => {
    const r = await c.kubectl(['apply', '-f', '-'], {
      input: list(deployment('list-nosel', { template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } })),
    });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /ValidationError\(Deployment\.spec\): missing required field "selector" in io\.k8s\.api\.apps\.v1\.DeploymentSpec/);
    assert.equal((await c.req('GET', '/apis/apps/v1/namespaces/default/deployments/list-nosel')).status, 404);
  });

  it('kubectl create -f of a List', async () => {
    const out = await c.k(['create', '-f', '-'], {
      input: list({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'created-cm' } }, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'created-s' }, stringData: { a: 'b' } }),
    });
    assert.match(out, /configmap\/created-cm created/);
    assert.match(out, /secret\/created-s created/);
    const bad = await c.kubectl(['create', '-f', '-'], { input: list({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'created-bad' }, strinData: {} }) });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /unknown field "strinData" in io\.k8s\.api\.core\.v1\.Secret/);
  });

  it('kubectl apply --validate=false of a List with an unknown field still works', async () => {
    const out = await c.k(['apply', '--validate=false', '-f', '-'], {
      input: list({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'novalidate' }, data: { k: 'v' }, bogus: 1 }),
    });
    assert.match(out, /configmap\/novalidate created/);
    const got = await c.req('GET', '/api/v1/namespaces/default/configmaps/novalidate');
    assert.equal(got.body.data.k, 'v');
    assert.equal(got.body.bogus, undefined);
  });

  it('validates List items of a CRD kind with the CRD schema', async () => {
    const ok = await c.k(['apply', '-f', '-'], { input: list({ apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g1' }, spec: { size: 'M' } }) });
    assert.match(ok, /gadget.example.com\/g1 created/);
    const bad = await c.kubectl(['apply', '-f', '-'], { input: list({ apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g2' }, spec: { size: 'M', colour: 'red' } }) });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /ValidationError\(Gadget\.spec\): unknown field "colour" in com\.example\.v1\.Gadget\.spec/);
    const missing = await c.kubectl(['apply', '-f', '-'], { input: list({ apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g3' }, spec: {} }) });
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /missing required field "size"/);
  });

  it('kubectl explain --output=plaintext-openapiv2 reads the protobuf document', async () => {
    const out = await c.k(['explain', 'deployment.spec', '--output=plaintext-openapiv2']);
    assert.match(out, /KIND:\s+Deployment/);
    assert.match(out, /selector\s+<Object> -required-/);
    assert.match(out, /DeploymentSpec is the specification/);
  });
});
