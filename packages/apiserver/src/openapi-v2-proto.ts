/**
 * `/openapi/v2` in protobuf (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`): the
 * Swagger 2.0 JSON document re-encoded as gnostic's `openapi.v2.Document` message
 * (github.com/google/gnostic-models, openapiv2/OpenAPIv2.proto). This is what client-go's
 * `OpenAPISchema()` asks for; kubectl parses it for client-side validation (e.g. the items of a
 * `kind: List`), `kubectl explain --output=plaintext-openapiv2` and the fallback check whether a
 * PATCH supports `fieldValidation`.
 *
 * Field numbers below are those of OpenAPIv2.proto. Maps are ordered (name, value) pairs (NamedX);
 * vendor extensions (`x-…`) and free-form values (default, enum, example) are `Any{yaml}`.
 * proto3 scalars are left out when they hold their zero value, except inside a oneof, where
 * presence is the value (`additionalProperties: false`).
 *
 * One deliberate difference from the JSON: a property written `{description, allOf: [{$ref}]}`
 * (the OpenAPI v3 idiom our JSON also uses) is encoded as `{$ref, description}`, the way
 * Kubernetes publishes v2; kubectl's model parser treats an allOf-only schema as "anything",
 * which would switch off validation (unknown and required fields) of every nested struct.
 */
import { stringify as yamlStringify } from 'yaml';

type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Wire format

/** Writes one message: fields appended in call order, nested messages length-delimited. */
class Msg {
  private parts: Buffer[] = [];
  private size = 0;

  private push(b: Buffer): void {
    this.parts.push(b);
    this.size += b.length;
  }

  private key(field: number, wire: 0 | 1 | 2): void {
    this.push(varint(field * 8 + wire));
  }

  /** A string (proto3: the empty string is the default and is omitted unless `always`). */
  str(field: number, v: unknown, always = false): this {
    if (typeof v !== 'string' || (v === '' && !always)) return this;
    return this.bytes(field, Buffer.from(v, 'utf8'));
  }

  /** A repeated string, from a string or a string array. */
  strs(field: number, v: unknown): this {
    for (const s of Array.isArray(v) ? v : typeof v === 'string' ? [v] : []) if (typeof s === 'string') this.str(field, s, true);
    return this;
  }

  bool(field: number, v: unknown, always = false): this {
    if (typeof v !== 'boolean' || (!v && !always)) return this;
    this.key(field, 0);
    this.push(Buffer.from([v ? 1 : 0]));
    return this;
  }

  /** int64 (varint; negatives as 10-byte two's complement). */
  int64(field: number, v: unknown): this {
    if (typeof v !== 'number' || !Number.isInteger(v) || v === 0) return this;
    this.key(field, 0);
    this.push(varint(v));
    return this;
  }

  double(field: number, v: unknown): this {
    if (typeof v !== 'number' || v === 0 || !Number.isFinite(v)) return this;
    this.key(field, 1);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    this.push(b);
    return this;
  }

  bytes(field: number, b: Buffer): this {
    this.key(field, 2);
    this.push(varint(b.length));
    this.push(b);
    return this;
  }

  /** An embedded message (written even when empty: presence matters for messages). */
  msg(field: number, m: Msg | undefined): this {
    return m ? this.bytes(field, m.finish()) : this;
  }

  finish(): Buffer {
    return this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.size);
  }
}

/** Varints below 2^14 (keys and most lengths) are shared buffers. */
const SMALL_VARINTS: Buffer[] = [];

function varint(n: number): Buffer {
  if (n >= 0 && n < 16384) {
    let b = SMALL_VARINTS[n];
    if (!b) b = SMALL_VARINTS[n] = n < 128 ? Buffer.from([n]) : Buffer.from([(n & 0x7f) | 0x80, n >>> 7]);
    return b;
  }
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const entries = (v: unknown): [string, unknown][] => (isObj(v) ? Object.entries(v) : []);

// ---------------------------------------------------------------------------------------------
// Shared messages

/** Any { google.protobuf.Any value = 1; string yaml = 2; } — we always write the YAML form. */
function anyMsg(v: unknown): Msg {
  // YAML 1.1 quoting, as Go's yaml.v2 (which reads these) would otherwise take "yes"/"on" as booleans.
  return new Msg().str(2, yamlStringify(v, { version: '1.1', lineWidth: 0, minContentWidth: 0 }), true);
}

/** NamedAny { string name = 1; Any value = 2; } */
function namedAny(name: string, v: unknown): Msg {
  return new Msg().str(1, name, true).msg(2, anyMsg(v));
}

/** Repeated `NamedAny vendor_extension = field` for the object's `x-` keys. */
function vendorExtensions(m: Msg, field: number, o: Json): void {
  for (const [k, v] of Object.entries(o)) if (k.startsWith('x-') && v !== undefined) m.msg(field, namedAny(k, v));
}

/** ExternalDocs { description = 1; url = 2; vendor_extension = 3 } */
function externalDocs(v: unknown): Msg | undefined {
  if (!isObj(v)) return undefined;
  const m = new Msg().str(1, v.description).str(2, v.url);
  vendorExtensions(m, 3, v);
  return m;
}

// ---------------------------------------------------------------------------------------------
// Schema

/**
 * Schema { _ref = 1; format = 2; title = 3; description = 4; default = 5; multiple_of = 6;
 * maximum = 7; exclusive_maximum = 8; minimum = 9; exclusive_minimum = 10; max_length = 11;
 * min_length = 12; pattern = 13; max_items = 14; min_items = 15; unique_items = 16;
 * max_properties = 17; min_properties = 18; repeated required = 19; repeated Any enum = 20;
 * AdditionalPropertiesItem additional_properties = 21; TypeItem type = 22; ItemsItem items = 23;
 * repeated Schema all_of = 24; Properties properties = 25; discriminator = 26; read_only = 27;
 * Xml xml = 28; ExternalDocs external_docs = 29; Any example = 30; vendor_extension = 31 }
 */
export function schemaMsg(s: Json): Msg {
  let ref = s.$ref;
  let allOf = s.allOf;
  if (
    ref === undefined &&
    Array.isArray(allOf) &&
    allOf.length === 1 &&
    isObj(allOf[0]) &&
    typeof allOf[0].$ref === 'string' &&
    Object.keys(allOf[0]).length === 1 &&
    s.type === undefined &&
    s.properties === undefined &&
    s.items === undefined &&
    s.additionalProperties === undefined
  ) {
    ref = allOf[0].$ref;
    allOf = undefined;
  }
  const m = new Msg()
    .str(1, ref)
    .str(2, s.format)
    .str(3, s.title)
    .str(4, s.description);
  if (s.default !== undefined) m.msg(5, anyMsg(s.default));
  m.double(6, s.multipleOf)
    .double(7, s.maximum)
    .bool(8, s.exclusiveMaximum)
    .double(9, s.minimum)
    .bool(10, s.exclusiveMinimum)
    .int64(11, s.maxLength)
    .int64(12, s.minLength)
    .str(13, s.pattern)
    .int64(14, s.maxItems)
    .int64(15, s.minItems)
    .bool(16, s.uniqueItems)
    .int64(17, s.maxProperties)
    .int64(18, s.minProperties);
  if (Array.isArray(s.required)) m.strs(19, s.required);
  if (Array.isArray(s.enum)) for (const e of s.enum) m.msg(20, anyMsg(e));
  // AdditionalPropertiesItem { oneof { Schema schema = 1; bool boolean = 2; } }
  if (isObj(s.additionalProperties)) m.msg(21, new Msg().msg(1, schemaMsg(s.additionalProperties)));
  else if (typeof s.additionalProperties === 'boolean') m.msg(21, new Msg().bool(2, s.additionalProperties, true));
  // TypeItem { repeated string value = 1; }
  if (s.type !== undefined) m.msg(22, new Msg().strs(1, s.type));
  // ItemsItem { repeated Schema schema = 1; }
  if (s.items !== undefined) {
    const items = new Msg();
    for (const it of Array.isArray(s.items) ? s.items : [s.items]) if (isObj(it)) items.msg(1, schemaMsg(it));
    m.msg(23, items);
  }
  if (Array.isArray(allOf)) for (const a of allOf) if (isObj(a)) m.msg(24, schemaMsg(a));
  // Properties { repeated NamedSchema additional_properties = 1; }, NamedSchema { name = 1; Schema value = 2; }
  if (isObj(s.properties)) {
    const props = new Msg();
    for (const [name, ps] of Object.entries(s.properties)) if (isObj(ps)) props.msg(1, new Msg().str(1, name, true).msg(2, schemaMsg(ps)));
    m.msg(25, props);
  }
  m.str(26, s.discriminator).bool(27, s.readOnly);
  // Xml { name = 1; namespace = 2; prefix = 3; attribute = 4; wrapped = 5; vendor_extension = 6 }
  if (isObj(s.xml)) {
    const x = new Msg().str(1, s.xml.name).str(2, s.xml.namespace).str(3, s.xml.prefix).bool(4, s.xml.attribute).bool(5, s.xml.wrapped);
    vendorExtensions(x, 6, s.xml);
    m.msg(28, x);
  }
  m.msg(29, externalDocs(s.externalDocs));
  if (s.example !== undefined) m.msg(30, anyMsg(s.example));
  vendorExtensions(m, 31, s);
  return m;
}

// ---------------------------------------------------------------------------------------------
// Paths

/**
 * PrimitivesItems { type = 1; format = 2; items = 3; collection_format = 4; default = 5;
 * maximum = 6; exclusive_maximum = 7; minimum = 8; exclusive_minimum = 9; max_length = 10;
 * min_length = 11; pattern = 12; max_items = 13; min_items = 14; unique_items = 15; enum = 16;
 * multiple_of = 17; vendor_extension = 18 }
 */
function primitivesItems(p: Json): Msg {
  const m = new Msg().str(1, p.type).str(2, p.format);
  if (isObj(p.items)) m.msg(3, primitivesItems(p.items));
  m.str(4, p.collectionFormat);
  primitiveValidations(m, p, 5);
  m.double(17, p.multipleOf);
  vendorExtensions(m, 18, p);
  return m;
}

/** default, maximum, exclusiveMaximum, …, uniqueItems, enum: 12 consecutive field numbers from `base`. */
function primitiveValidations(m: Msg, p: Json, base: number): void {
  if (p.default !== undefined) m.msg(base, anyMsg(p.default));
  m.double(base + 1, p.maximum)
    .bool(base + 2, p.exclusiveMaximum)
    .double(base + 3, p.minimum)
    .bool(base + 4, p.exclusiveMinimum)
    .int64(base + 5, p.maxLength)
    .int64(base + 6, p.minLength)
    .str(base + 7, p.pattern)
    .int64(base + 8, p.maxItems)
    .int64(base + 9, p.minItems)
    .bool(base + 10, p.uniqueItems);
  if (Array.isArray(p.enum)) for (const e of p.enum) m.msg(base + 11, anyMsg(e));
}

/**
 * The non-body parameter sub-schemas. Query and FormData: required = 1; in = 2; description = 3;
 * name = 4; allow_empty_value = 5; type = 6; format = 7; items = 8; collection_format = 9;
 * default = 10 … enum = 21; multiple_of = 22; vendor_extension = 23. Path and Header: the same
 * without allow_empty_value, so type = 5 … vendor_extension = 22.
 */
function nonBodySubSchema(p: Json, withAllowEmpty: boolean): Msg {
  const m = new Msg().bool(1, p.required).str(2, p.in).str(3, p.description).str(4, p.name);
  let f = 5;
  if (withAllowEmpty) m.bool(f++, p.allowEmptyValue);
  m.str(f, p.type).str(f + 1, p.format);
  if (isObj(p.items)) m.msg(f + 2, primitivesItems(p.items));
  m.str(f + 3, p.collectionFormat);
  primitiveValidations(m, p, f + 4);
  m.double(f + 16, p.multipleOf);
  vendorExtensions(m, f + 17, p);
  return m;
}

/**
 * ParametersItem { oneof { Parameter parameter = 1; JsonReference json_reference = 2; } }
 * Parameter { oneof { BodyParameter body_parameter = 1; NonBodyParameter non_body_parameter = 2; } }
 * NonBodyParameter { oneof { header = 1; form_data = 2; query = 3; path = 4; } }
 */
function parametersItem(p: Json): Msg {
  if (typeof p.$ref === 'string') return new Msg().msg(2, new Msg().str(1, p.$ref).str(2, p.description)); // JsonReference { _ref = 1; description = 2 }
  return new Msg().msg(1, parameterMsg(p));
}

function parameterMsg(p: Json): Msg {
  const param = new Msg();
  if (p.in === 'body') {
    // BodyParameter { description = 1; name = 2; in = 3; bool required = 4; Schema schema = 5; vendor_extension = 6 }
    const b = new Msg().str(1, p.description).str(2, p.name).str(3, p.in).bool(4, p.required);
    if (isObj(p.schema)) b.msg(5, schemaMsg(p.schema));
    vendorExtensions(b, 6, p);
    param.msg(1, b);
  } else {
    const which = p.in === 'header' ? 1 : p.in === 'formData' ? 2 : p.in === 'path' ? 4 : 3;
    param.msg(2, new Msg().msg(which, nonBodySubSchema(p, which === 2 || which === 3)));
  }
  return param;
}

/**
 * Responses { repeated NamedResponseValue response_code = 1; vendor_extension = 2 }
 * ResponseValue { oneof { Response response = 1; JsonReference json_reference = 2; } }
 * Response { description = 1; SchemaItem schema = 2; Headers headers = 3; Examples examples = 4; vendor_extension = 5 }
 * SchemaItem { oneof { Schema schema = 1; FileSchema file_schema = 2; } }
 */
function responsesMsg(rs: Json): Msg {
  const m = new Msg();
  for (const [code, r] of Object.entries(rs)) {
    if (code.startsWith('x-') || !isObj(r)) continue;
    const value = new Msg();
    if (typeof r.$ref === 'string') value.msg(2, new Msg().str(1, r.$ref));
    else {
      const resp = new Msg().str(1, r.description);
      if (isObj(r.schema)) resp.msg(2, new Msg().msg(1, schemaMsg(r.schema)));
      vendorExtensions(resp, 5, r);
      value.msg(1, resp);
    }
    m.msg(1, new Msg().str(1, code, true).msg(2, value));
  }
  vendorExtensions(m, 2, rs);
  return m;
}

/**
 * Operation { repeated tags = 1; summary = 2; description = 3; external_docs = 4;
 * operation_id = 5; repeated produces = 6; repeated consumes = 7; repeated ParametersItem
 * parameters = 8; Responses responses = 9; repeated schemes = 10; deprecated = 11;
 * repeated SecurityRequirement security = 12; vendor_extension = 13 }
 */
function operationMsg(op: Json): Msg {
  const m = new Msg().strs(1, op.tags).str(2, op.summary).str(3, op.description).msg(4, externalDocs(op.externalDocs)).str(5, op.operationId);
  m.strs(6, op.produces).strs(7, op.consumes);
  if (Array.isArray(op.parameters)) for (const p of op.parameters) if (isObj(p)) m.msg(8, parametersItem(p));
  if (isObj(op.responses)) m.msg(9, responsesMsg(op.responses));
  m.strs(10, op.schemes).bool(11, op.deprecated);
  if (Array.isArray(op.security)) for (const s of op.security) m.msg(12, securityRequirement(s));
  vendorExtensions(m, 13, op);
  return m;
}

const PATH_OPERATIONS: [string, number][] = [
  ['get', 2],
  ['put', 3],
  ['post', 4],
  ['delete', 5],
  ['options', 6],
  ['head', 7],
  ['patch', 8],
];

/** PathItem { _ref = 1; get = 2; put = 3; post = 4; delete = 5; options = 6; head = 7; patch = 8; parameters = 9; vendor_extension = 10 } */
function pathItemMsg(item: Json): Msg {
  const m = new Msg().str(1, item.$ref);
  for (const [method, field] of PATH_OPERATIONS) if (isObj(item[method])) m.msg(field, operationMsg(item[method] as Json));
  if (Array.isArray(item.parameters)) for (const p of item.parameters) if (isObj(p)) m.msg(9, parametersItem(p));
  vendorExtensions(m, 10, item);
  return m;
}

/** SecurityRequirement { repeated NamedStringArray additional_properties = 1; }, NamedStringArray { name = 1; StringArray value = 2 }, StringArray { repeated value = 1 } */
function securityRequirement(s: unknown): Msg {
  const m = new Msg();
  for (const [name, scopes] of entries(s)) m.msg(1, new Msg().str(1, name, true).msg(2, new Msg().strs(1, scopes)));
  return m;
}

/**
 * SecurityDefinitionsItem { oneof { basic_authentication_security = 1; api_key_security = 2;
 * oauth2_implicit_security = 3; oauth2_password_security = 4; oauth2_application_security = 5;
 * oauth2_access_code_security = 6; } } — only the first two are written (Kubernetes uses apiKey).
 */
function securityDefinitionsItem(d: Json): Msg | undefined {
  if (d.type === 'apiKey') {
    // ApiKeySecurity { type = 1; name = 2; in = 3; description = 4; vendor_extension = 5 }
    const m = new Msg().str(1, d.type).str(2, d.name).str(3, d.in).str(4, d.description);
    vendorExtensions(m, 5, d);
    return new Msg().msg(2, m);
  }
  if (d.type === 'basic') {
    // BasicAuthenticationSecurity { type = 1; description = 2; vendor_extension = 3 }
    const m = new Msg().str(1, d.type).str(2, d.description);
    vendorExtensions(m, 3, d);
    return new Msg().msg(1, m);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Document

/**
 * Document { swagger = 1; Info info = 2; host = 3; base_path = 4; repeated schemes = 5;
 * repeated consumes = 6; repeated produces = 7; Paths paths = 8; Definitions definitions = 9;
 * ParameterDefinitions parameters = 10; ResponseDefinitions responses = 11;
 * repeated SecurityRequirement security = 12; SecurityDefinitions security_definitions = 13;
 * repeated Tag tags = 14; ExternalDocs external_docs = 15; vendor_extension = 16 }
 */
export function encodeOpenApiV2Proto(doc: Json): Buffer {
  const m = new Msg().str(1, doc.swagger);
  if (isObj(doc.info)) {
    // Info { title = 1; version = 2; description = 3; terms_of_service = 4; contact = 5; license = 6; vendor_extension = 7 }
    const i = doc.info;
    const info = new Msg().str(1, i.title).str(2, i.version).str(3, i.description).str(4, i.termsOfService);
    if (isObj(i.contact)) {
      const c = new Msg().str(1, i.contact.name).str(2, i.contact.url).str(3, i.contact.email); // Contact { name, url, email, vendor_extension = 4 }
      vendorExtensions(c, 4, i.contact);
      info.msg(5, c);
    }
    if (isObj(i.license)) {
      const l = new Msg().str(1, i.license.name).str(2, i.license.url); // License { name, url, vendor_extension = 3 }
      vendorExtensions(l, 3, i.license);
      info.msg(6, l);
    }
    vendorExtensions(info, 7, i);
    m.msg(2, info);
  }
  m.str(3, doc.host).str(4, doc.basePath).strs(5, doc.schemes).strs(6, doc.consumes).strs(7, doc.produces);
  if (isObj(doc.paths)) {
    // Paths { vendor_extension = 1; repeated NamedPathItem path = 2 }, NamedPathItem { name = 1; PathItem value = 2 }
    const paths = new Msg();
    vendorExtensions(paths, 1, doc.paths);
    for (const [p, item] of Object.entries(doc.paths)) if (!p.startsWith('x-') && isObj(item)) paths.msg(2, new Msg().str(1, p, true).msg(2, pathItemMsg(item)));
    m.msg(8, paths);
  }
  if (isObj(doc.definitions)) {
    // Definitions { repeated NamedSchema additional_properties = 1 }
    const defs = new Msg();
    for (const [name, s] of Object.entries(doc.definitions)) if (isObj(s)) defs.msg(1, new Msg().str(1, name, true).msg(2, schemaMsg(s)));
    m.msg(9, defs);
  }
  if (isObj(doc.parameters)) {
    // ParameterDefinitions { repeated NamedParameter additional_properties = 1 }, NamedParameter { name = 1; Parameter value = 2 }
    const ps = new Msg();
    for (const [name, p] of Object.entries(doc.parameters)) {
      if (isObj(p)) ps.msg(1, new Msg().str(1, name, true).msg(2, parameterMsg(p)));
    }
    m.msg(10, ps);
  }
  if (isObj(doc.responses)) {
    // ResponseDefinitions { repeated NamedResponse additional_properties = 1 }, NamedResponse { name = 1; Response value = 2 }
    const rs = new Msg();
    for (const [name, r] of Object.entries(doc.responses)) {
      if (!isObj(r)) continue;
      const resp = new Msg().str(1, r.description);
      if (isObj(r.schema)) resp.msg(2, new Msg().msg(1, schemaMsg(r.schema)));
      vendorExtensions(resp, 5, r);
      rs.msg(1, new Msg().str(1, name, true).msg(2, resp));
    }
    m.msg(11, rs);
  }
  if (Array.isArray(doc.security)) for (const s of doc.security) m.msg(12, securityRequirement(s));
  if (isObj(doc.securityDefinitions)) {
    // SecurityDefinitions { repeated NamedSecurityDefinitionsItem additional_properties = 1 }
    const sd = new Msg();
    for (const [name, d] of Object.entries(doc.securityDefinitions)) {
      const item = isObj(d) ? securityDefinitionsItem(d) : undefined;
      if (item) sd.msg(1, new Msg().str(1, name, true).msg(2, item));
    }
    m.msg(13, sd);
  }
  if (Array.isArray(doc.tags)) {
    for (const t of doc.tags) {
      if (!isObj(t)) continue;
      const tag = new Msg().str(1, t.name).str(2, t.description).msg(3, externalDocs(t.externalDocs)); // Tag { name, description, external_docs, vendor_extension = 4 }
      vendorExtensions(tag, 4, t);
      m.msg(14, tag);
    }
  }
  m.msg(15, externalDocs(doc.externalDocs));
  vendorExtensions(m, 16, doc);
  return m.finish();
}

/**
 * The Content-Type of the protobuf document. Clients ask with `…spec.v2@v1.0+protobuf` (client-go)
 * or `…spec.v2.v1.0+protobuf`; Kubernetes answers both with the dotted spelling, because "@" is
 * not allowed in a media type: Go's mime.ParseMediaType (client-go reads the response's
 * Content-Type with it) fails with "unexpected content after media subtype" on the "@" form.
 */
export const OPENAPI_V2_PROTO_MEDIA_TYPE = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

/** Whether an Accept header prefers the protobuf document over JSON. */
export function acceptsOpenApiV2Proto(accept: string): boolean {
  let best: { proto: boolean; q: number } | undefined;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.trim().split(';').map((x) => x.trim());
    const t = type.toLowerCase();
    const proto = /^application\/com\.github\.proto-openapi\.spec\.v2[@.]v1\.0\+protobuf$/.test(t);
    if (!proto && t !== 'application/json' && t !== '*/*' && t !== 'application/*') continue;
    const qp = params.find((p) => p.startsWith('q='));
    const q = qp ? Number(qp.slice(2)) : 1;
    if (!(q > 0)) continue;
    if (!best || q > best.q) best = { proto, q };
  }
  return best?.proto ?? false;
}
