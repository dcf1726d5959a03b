/**
 * Decoding of Kubernetes' protobuf request bodies (`application/vnd.kubernetes.protobuf`), which
 * kubectl's typed clients send for built-in kinds (`kubectl create role|deployment|token|…`).
 *
 * The body is the 4-byte magic "k8s\0" followed by a runtime.Unknown {typeMeta{apiVersion, kind},
 * raw, contentEncoding, contentType}; `raw` is the object in protobuf. The message definitions are
 * generated from the Kubernetes API's generated.proto files (k8s-builtins' gen-proto-data.ts, made
 * by scripts/gen-proto.mjs); protobufjs reads the wire format and one generic walk turns the result
 * into the JSON object a JSON client would have sent:
 *  - JSON names, inlined embedded structs (Volume.volumeSource, Probe.handler, …);
 *  - Go's omitempty: a zero scalar of a value (non-pointer) field is dropped unless the field is
 *    required; a present pointer field is kept even when zero; empty lists and maps are dropped;
 *    value structs are kept (Go writes `{}` for them, as in `resources: {}`);
 *  - special forms: Time/MicroTime as RFC 3339 (zero: null), IntOrString as number or string,
 *    Quantity as string, bytes as base64, RawExtension and FieldsV1 as embedded JSON, list types
 *    (ExtraValue) as arrays;
 *  - a field the definitions lack is accepted when zero (Go writes zeros of value fields) and
 *    otherwise refused with 415, never silently dropped; broken bytes are a 400 naming the kind.
 */
import protobuf from 'protobufjs';
import { GEN_PROTO_ENVELOPE, GEN_PROTO_JSON, GEN_PROTO_KINDS, GEN_PROTO_SOURCE } from '@flotilla/k8s-builtins';
import { ApiError } from './errors.js';

type Obj = Record<string, unknown>;
type Special = 'time' | 'microtime' | 'intorstring' | 'quantity' | 'rawextension' | 'fieldsv1' | 'list';
const SPECIALS = new Set<string>(['time', 'microtime', 'intorstring', 'quantity', 'rawextension', 'fieldsv1', 'list']);

interface FieldOptions {
  pointer?: boolean;
  required?: boolean;
  inline?: boolean;
  json?: string;
}

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

let root: protobuf.Root | undefined;

/** The protobufjs root of every generated message, built on first use. */
function protoRoot(): protobuf.Root {
  if (root) return root;
  const flat = JSON.parse(GEN_PROTO_JSON) as Record<string, protobuf.IType & { options?: { special?: string } }>;
  const nested: protobuf.INamespace = {};
  for (const [full, def] of Object.entries(flat)) {
    const special = def.options?.special;
    if (special && !SPECIALS.has(special)) throw new Error(`${full}: the decoder does not know the JSON form "${special}" (${GEN_PROTO_SOURCE})`);
    const parts = full.split('.');
    let ns = nested;
    for (const p of parts.slice(0, -1)) ns = ((ns.nested ??= {})[p] ??= {}) as protobuf.INamespace;
    // Kubernetes' generated.proto files are proto2: every optional field has explicit presence, so
    // a zero value that was sent is seen (protobufjs assumes proto3 for JSON definitions)
    (ns.nested ??= {})[parts[parts.length - 1]] = { ...def, edition: 'proto2' } as protobuf.IType;
  }
  // types resolve lazily, when a body of theirs (or holding them) is first decoded
  root = protobuf.Root.fromJSON(nested);
  return root;
}

const types = new Map<string, protobuf.Type>();
function typeNamed(full: string): protobuf.Type {
  let t = types.get(full);
  if (!t) types.set(full, (t = protoRoot().lookupType(full)));
  return t;
}

/** The message type of a kind ("apps/v1", "Deployment"), if its protobuf definition is known. */
function protoTypeOf(apiVersion: string, kind: string): protobuf.Type | undefined {
  const full = GEN_PROTO_KINDS[`${apiVersion}/${kind}`];
  return full ? typeNamed(full) : undefined;
}

/** int64 fields decode to Long objects (whose toString is the decimal value) or numbers. */
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(String(v ?? 0)));
const b64 = (v: unknown): string => Buffer.from(v as Uint8Array).toString('base64');

function rfc3339(seconds: number, micros?: number): string {
  const base = new Date(seconds * 1000).toISOString().slice(0, 19);
  return micros === undefined ? `${base}Z` : `${base}.${String(micros).padStart(6, '0')}Z`;
}

/** Whether a converted value is Go's zero value of its type (what omitempty drops). */
function isZero(v: unknown): boolean {
  return v === '' || v === 0 || v === false || v === null;
}


/** The JSON form of a message whose representation is special (Time, IntOrString, …). */
function specialJson(special: Special, type: protobuf.Type, msg: Obj): unknown {
  switch (special) {
    case 'time': {
      const s = num(msg.seconds);
      return s === 0 && num(msg.nanos) === 0 ? null : rfc3339(s);
    }
    case 'microtime': {
      const s = num(msg.seconds);
      const n = num(msg.nanos);
      return s === 0 && n === 0 ? null : rfc3339(s, Math.floor(n / 1000));
    }
    case 'intorstring':
      return num(msg.type) === 1 ? String(msg.strVal ?? '') : num(msg.intVal);
    case 'quantity':
      return String(msg.string ?? '');
    case 'fieldsv1':
    case 'rawextension': {
      const raw = Buffer.from((special === 'fieldsv1' ? msg.Raw : msg.raw) as Uint8Array ?? []);
      if (raw.length === 0) return special === 'fieldsv1' ? {} : null;
      if (raw.subarray(0, 4).equals(MAGIC)) return decodeEnvelope(raw).object;
      try {
        return JSON.parse(raw.toString('utf8'));
      } catch (e) {
        throw new Error(`${type.name} holds neither JSON nor a protobuf object: ${(e as Error).message}`);
      }
    }
    case 'list':
      return ((msg.items as unknown[]) ?? []).map((x) => scalarJson(type.fieldsArray[0], x));
  }
}

function scalarJson(field: protobuf.Field, v: unknown): unknown {
  switch (field.type) {
    case 'bytes':
      return b64(v);
    case 'int64':
    case 'uint64':
    case 'sint64':
    case 'fixed64':
    case 'sfixed64':
      return num(v);
    default:
      return v;
  }
}

function valueJson(field: protobuf.Field, v: unknown): unknown {
  const t = field.resolvedType;
  return t instanceof protobuf.Type ? messageJson(t, v as Obj) : scalarJson(field, v);
}

/** A field the definitions do not have, sent with a non-zero value. */
class UnknownField extends Error {}

/**
 * Whether a raw field (tag + value) holds a zero value: Go writes the zeros of value fields, so a
 * newer client's field this server does not know may arrive empty; anything else is refused.
 */
function zeroField(raw: Uint8Array, depth = 0): boolean {
  const r = protobuf.Reader.create(raw);
  try {
    while (r.pos < r.len) {
      const tag = r.uint32();
      const wire = tag & 7;
      if (wire === 0) {
        if (r.uint64().toString() !== '0') return false;
      } else if (wire === 2) {
        const b = r.bytes();
        if (b.length && (depth > 8 || !zeroField(b, depth + 1))) return false;
      } else if (wire === 1 || wire === 5) {
        const start = r.pos;
        r.skipType(wire);
        if (raw.subarray(start, r.pos).some((x) => x !== 0)) return false;
      } else return false;
    }
    return true;
  } catch {
    return false;
  }
}

/** Converts a decoded protobufjs message of `type` into its Kubernetes JSON form. */
function messageJson(type: protobuf.Type, msg: Obj, out: Obj = {}): unknown {
  for (const raw of ((msg as { $unknowns?: Uint8Array[] }).$unknowns ?? [])) {
    if (!zeroField(raw)) throw new UnknownField(`field ${protobuf.Reader.create(raw).uint32() >>> 3} of ${type.name} (${type.fullName.replace(/^\./, '')})`);
  }
  const special = (type.options as { special?: Special } | undefined)?.special;
  if (special) return specialJson(special, type, msg);
  for (const field of type.fieldsArray) {
    if (!Object.prototype.hasOwnProperty.call(msg, field.name)) continue;
    const v = msg[field.name];
    const opts = (field.options ?? {}) as FieldOptions;
    const name = opts.json ?? field.name;
    if (field.map) {
      const entries = Object.entries(v as Obj);
      if (entries.length) out[name] = Object.fromEntries(entries.map(([k, x]) => [k, valueJson(field, x)]));
    } else if (field.repeated) {
      const list = v as unknown[];
      if (list.length) out[name] = list.map((x) => valueJson(field, x));
    } else if (opts.inline && field.resolvedType instanceof protobuf.Type) {
      messageJson(field.resolvedType, v as Obj, out);
    } else {
      const j = valueJson(field, v);
      const t = field.resolvedType as protobuf.Type | null;
      // a value struct is written even when empty; zero scalars (and IntOrString/Quantity, which
      // JSON writes as scalars) of value fields are dropped as omitempty does
      const scalarLike = !t || ['intorstring', 'quantity'].includes(String(t.options?.special));
      if (j === undefined || (scalarLike && !opts.pointer && !opts.required && isZero(j))) continue;
      out[name] = j;
    }
  }
  return out;
}

/** Reads the envelope: apiVersion, kind and the object in JSON form. */
function decodeEnvelope(buf: Buffer): { apiVersion: string; kind: string; object: Obj } {
  if (buf.length < 4 || !buf.subarray(0, 4).equals(MAGIC))
    throw new ApiError(400, 'BadRequest', 'the protobuf body does not start with the Kubernetes magic prefix "k8s\\x00"');
  const envelope = typeNamed(GEN_PROTO_ENVELOPE);
  let env: Obj;
  try {
    env = envelope.decode(buf.subarray(4)) as unknown as Obj;
  } catch (e) {
    const tm = peekTypeMeta(envelope, buf.subarray(4));
    const of = tm.kind ? ` of ${tm.kind} (${tm.apiVersion || 'no apiVersion'})` : '';
    throw new ApiError(400, 'BadRequest', `the protobuf body${of} could not be decoded: ${(e as Error).message}`);
  }
  const tm = (env.typeMeta ?? {}) as Obj;
  const apiVersion = String(tm.apiVersion ?? '');
  const kind = String(tm.kind ?? '');
  const what = `${kind || 'an object without kind'} (${apiVersion || 'no apiVersion'})`;
  const encoding = String(env.contentEncoding ?? '');
  if (encoding) throw new ApiError(415, 'UnsupportedMediaType', `the protobuf body of ${what} is compressed with "${encoding}", which this server does not decode`);
  const type = protoTypeOf(apiVersion, kind);
  if (!type)
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `protobuf bodies are not supported for ${what}: no protobuf definition is known for it - send application/json or application/yaml instead`,
    );
  try {
    const reader = protobuf.Reader.create(Buffer.from((env.raw as Uint8Array | undefined) ?? []));
    reader.discardUnknown = false; // kept in $unknowns, checked by messageJson
    const msg = type.decode(reader) as unknown as Obj;
    return { apiVersion, kind, object: { apiVersion, kind, ...(messageJson(type, msg) as Obj) } };
  } catch (e) {
    if (e instanceof ApiError) throw e;
    if (e instanceof UnknownField)
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        `the protobuf body of ${what} sets ${e.message}, which this server's definitions (${GEN_PROTO_SOURCE}) do not have - send application/json or application/yaml instead`,
      );
    throw new ApiError(400, 'BadRequest', `the protobuf body of ${what} could not be decoded: ${(e as Error).message}`);
  }
}

/** The typeMeta of an envelope whose later fields are broken (e.g. a truncated `raw`), if readable. */
function peekTypeMeta(envelope: protobuf.Type, buf: Buffer): { apiVersion?: string; kind?: string } {
  const field = envelope.fields.typeMeta;
  const r = protobuf.Reader.create(buf);
  try {
    while (r.pos < r.len) {
      const tag = r.uint32();
      if (tag >>> 3 === field.id && (tag & 7) === 2) return (field.resolvedType as protobuf.Type).decode(r.bytes()) as { apiVersion?: string; kind?: string };
      r.skipType(tag & 7);
    }
  } catch {
    // nothing readable
  }
  return {};
}

/** Decodes a protobuf request body into the JSON object it stands for. */
export function decodeProtobuf(buf: Buffer): Obj {
  return decodeEnvelope(buf).object;
}
