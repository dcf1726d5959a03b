#!/usr/bin/env node
// Generates packages/k8s-builtins/src/gen-proto-data.ts: the protobuf message definitions of every
// built-in kind the API server serves (and of the kinds its subresources take, e.g. TokenRequest,
// Scale, Eviction), so that one generic decoder (packages/apiserver/src/protobuf.ts) can read the
// `application/vnd.kubernetes.protobuf` bodies kubectl's typed clients send.
//
// Sources:
//  - field numbers, types, repeated/map and pointer-ness: the FileDescriptorProtos of
//    k8s.io/api's and k8s.io/apimachinery's generated.proto that kubectl embeds
//    (kubectl-descriptors.mjs); gogoproto.nullable=false marks a Go value (non-pointer) field;
//  - the JSON form: the OpenAPI schemas in gen-schemas-data.ts (a field listed in `required`
//    has no omitempty; a proto field absent from the schema whose members are the schema's
//    properties is an embedded struct inlined into the JSON, e.g. Volume.volumeSource);
//  - the special JSON representations of apimachinery types (Time, MicroTime, Duration,
//    IntOrString, Quantity, RawExtension, FieldsV1) are named below, from the API conventions.
//
// Output: a protobufjs JSON namespace (Root.fromJSON) where each field may carry options
//   pointer: true   Go pointer: a present zero value is kept
//   required: true  no omitempty in the JSON tag: a zero value of a value field is kept
//   inline: true    the member's fields are written into the parent's JSON object
//   json: NAME      the JSON name, where it differs from the protobuf field name
// and each message may carry options.special naming its special JSON form.
//
// Usage: npx tsc -b && node packages/k8s-builtins/scripts/gen-proto.mjs [--check]
//        (--check: exit 1 when the committed file differs from what would be written)
//        (KUBECTL=/path/to/kubectl to read another binary; deterministic output)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { kubectlPath, kubectlVersion, readKubectlDescriptors } from './kubectl-descriptors.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const outFile = path.join(here, '..', 'src', 'gen-proto-data.ts');
const dist = (f) => import(pathToFileURL(path.join(here, '..', 'dist', f)).href);
const { builtinResources, builtinSubresources } = await dist('resources.js');
const { GEN_SCHEMAS_JSON } = await dist('gen-schemas-data.js');
const schemas = JSON.parse(GEN_SCHEMAS_JSON);

const bin = kubectlPath();
const version = kubectlVersion(bin);
const files = readKubectlDescriptors(bin);

// gogoproto extension numbers (github.com/gogo/protobuf/gogoproto/gogo.proto)
const GOGO_NULLABLE = 65001;
const GOGO_GOPROTO_STRINGER = 64003;

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';
/** apimachinery types whose JSON is not their protobuf structure. */
const SPECIAL_JSON = {
  [`${META}.Time`]: 'time',
  [`${META}.MicroTime`]: 'microtime',
  [`${META}.Duration`]: 'duration',
  [`${META}.FieldsV1`]: 'fieldsv1',
  'k8s.io.apimachinery.pkg.util.intstr.IntOrString': 'intorstring',
  'k8s.io.apimachinery.pkg.api.resource.Quantity': 'quantity',
  'k8s.io.apimachinery.pkg.runtime.RawExtension': 'rawextension',
};

const SCALARS = {
  1: 'double', 2: 'float', 3: 'int64', 4: 'uint64', 5: 'int32', 6: 'fixed64', 7: 'fixed32', 8: 'bool', 9: 'string',
  12: 'bytes', 13: 'uint32', 15: 'sfixed32', 16: 'sfixed64', 17: 'sint32', 18: 'sint64',
};
const TYPE_MESSAGE = 11;
const LABEL_REPEATED = 3;

// ---------------------------------------------------------------------------------------------
// Index every message by its full name ("k8s.io.api.core.v1.Pod"), with its file's go_package.

const messages = new Map(); // full name -> { desc, goPackage }
function indexMessages(prefix, list, goPackage) {
  for (const m of list) {
    const full = `${prefix}.${m.name}`;
    messages.set(full, { desc: m, goPackage });
    indexMessages(full, m.nestedType, goPackage);
  }
}
for (const fd of files.values()) indexMessages(fd.package, fd.messageType, fd.options?.goPackage ?? '');

const unknownVarint = (opts, no) => {
  const u = opts?.$unknown?.find((x) => x.no === no && x.wireType === 0);
  return u ? u.data[0] : undefined;
};

// ---------------------------------------------------------------------------------------------
// The kinds to decode: every served resource and every subresource body kind.

/** Proto package of an API group-version: "" -> k8s.io.api.core.v1, "rbac.authorization.k8s.io" -> k8s.io.api.rbac.v1, … */
function protoPackage(group, version) {
  const dir = group === '' ? 'core' : group.split('.')[0];
  // k8s.io/api/<dir>/<version>, else another module's …/<dir>/<version> (k8s.io/metrics/pkg/apis/metrics/v1beta1)
  const all = [...files.values()];
  const fd =
    all.find((f) => f.options?.goPackage === `k8s.io/api/${dir}/${version}`) ??
    all.find((f) => f.options?.goPackage?.endsWith(`/${dir}/${version}`));
  return fd?.package;
}

const kinds = {}; // "apps/v1/Deployment" -> message full name
const missing = [];
function addKind(group, version, kind) {
  const gv = group ? `${group}/${version}` : version;
  const key = `${gv}/${kind}`;
  if (kinds[key] || missing.includes(key)) return;
  const pkg = protoPackage(group, version);
  const full = pkg && `${pkg}.${kind}`;
  if (full && messages.has(full)) kinds[key] = full;
  else missing.push(key);
}
for (const r of builtinResources) {
  addKind(r.group, r.version, r.kind);
  for (const s of builtinSubresources(r)) addKind(s.group ?? r.group, s.version ?? r.version, s.kind);
}

// ---------------------------------------------------------------------------------------------
// The closure of message types reachable from those kinds, converted to protobufjs JSON.

const schemaOf = (full) => schemas[full.replace(/^k8s\.io\./, "io.k8s.")];
const warnings = [];
const root = {};
function put(full, json) {
  const parts = full.split('.');
  let ns = root;
  for (const p of parts.slice(0, -1)) ns = ((ns.nested ??= {})[p] ??= {});
  (ns.nested ??= {})[parts.at(-1)] = json;
}

/** Whether every field of a message (or, recursively, of its own inlined members) is a property of the parent. */
function inlinable(typeName, propsLower, depth = 0) {
  const fields = messages.get(typeName)?.desc.field ?? [];
  if (!fields.length || depth > 4) return false;
  return fields.every(
    (x) => propsLower.has(x.name.toLowerCase()) || (x.type === TYPE_MESSAGE && inlinable(x.typeName.replace(/^\./, ''), propsLower, depth + 1)),
  );
}

const done = new Set();
// runtime.Unknown is the envelope every body comes in.
const ENVELOPE = 'k8s.io.apimachinery.pkg.runtime.Unknown';
const queue = [ENVELOPE, ...Object.values(kinds).sort()];
while (queue.length) {
  const full = queue.shift();
  if (done.has(full)) continue;
  done.add(full);
  const { desc } = messages.get(full) ?? {};
  if (!desc) throw new Error(`message ${full} is referenced but not defined`);
  const special = SPECIAL_JSON[full];
  const listAlias =
    !special &&
    desc.field.length === 1 &&
    desc.field[0].name === 'items' &&
    desc.field[0].label === LABEL_REPEATED &&
    unknownVarint(desc.options, GOGO_GOPROTO_STRINGER) === 0;
  const schema = schemaOf(full);
  const props = schema?.properties ?? {};
  const required = new Set(schema?.required ?? []);
  const propsLower = new Map(Object.keys(props).map((p) => [p.toLowerCase(), p]));
  const fields = {};
  for (const f of [...desc.field].sort((a, b) => a.number - b.number)) {
    const out = { id: f.number };
    let typeName;
    if (f.type === TYPE_MESSAGE) {
      typeName = f.typeName.replace(/^\./, '');
      const entry = messages.get(typeName)?.desc;
      if (entry?.options?.mapEntry) {
        const [k, v] = entry.field;
        out.keyType = SCALARS[k.type];
        if (v.type === TYPE_MESSAGE) {
          const vt = v.typeName.replace(/^\./, '');
          out.type = `.${vt}`;
          queue.push(vt);
        } else out.type = SCALARS[v.type];
      } else {
        out.type = `.${typeName}`;
        queue.push(typeName);
      }
    } else if (SCALARS[f.type]) out.type = SCALARS[f.type];
    else throw new Error(`${full}.${f.name}: unsupported field type ${f.type}`);
    if (f.label === LABEL_REPEATED && !out.keyType) out.rule = 'repeated';
    const opts = {};
    if (f.label !== LABEL_REPEATED && unknownVarint(f.options, GOGO_NULLABLE) !== 0) opts.pointer = true;
    if (required.has(propsLower.get(f.name.toLowerCase()) ?? f.name)) opts.required = true;
    // go-to-protobuf names a field after its JSON name, except where the Go name had to be used
    // ("Webhooks", "uID", "aPIGroup"): the JSON name is the schema property equal but for case.
    const jsonName = propsLower.get(f.name.toLowerCase());
    if (jsonName && jsonName !== f.name) opts.json = jsonName;
    if (schema && !special && !listAlias && !jsonName) {
      if (typeName && inlinable(typeName, propsLower)) opts.inline = true;
      else warnings.push(`${full}.${f.name} is not in the OpenAPI schema`);
    }
    if (Object.keys(opts).length) out.options = opts;
    fields[f.name] = out;
  }
  const json = { fields };
  if (special) json.options = { special };
  else if (listAlias) json.options = { special: 'list' };
  put(full, json);
}

// ---------------------------------------------------------------------------------------------
// Emit

/** Sorts object keys recursively, so the output does not depend on descriptor order. */
function sorted(v) {
  if (Array.isArray(v)) return v.map(sorted);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted(v[k])]));
  return v;
}
const source = `kubectl ${version} (k8s.io/api and k8s.io/apimachinery generated.proto)`;
let out = '';
out += `// GENERATED by packages/k8s-builtins/scripts/gen-proto.mjs from the descriptors in ${source}.\n`;
out += '// Do not edit by hand: re-run the script. Interpreted by packages/apiserver/src/protobuf.ts.\n';
out += '/* eslint-disable */\n';
out += `export const GEN_PROTO_SOURCE = ${JSON.stringify(source)};\n`;
out += '/** The envelope message of every body (after the 4-byte prefix k8s + NUL). */\n';
out += `export const GEN_PROTO_ENVELOPE = ${JSON.stringify(ENVELOPE)};\n\n`;
out += '/** apiVersion/kind -> full name of the protobuf message of that kind. */\n';
out += 'export const GEN_PROTO_KINDS: Record<string, string> = {\n';
for (const k of Object.keys(kinds).sort()) out += `  ${JSON.stringify(k)}: ${JSON.stringify(kinds[k])},\n`;
out += '};\n\n';
out += '/** Served kinds whose definitions kubectl does not carry (their protobuf bodies are refused). */\n';
out += `export const GEN_PROTO_MISSING: string[] = ${JSON.stringify(missing.sort())};\n\n`;
const ns = sorted(root);
const msgLines = [];
(function walk(prefix, n) {
  for (const [k, v] of Object.entries(n.nested ?? {})) {
    const full = prefix ? `${prefix}.${k}` : k;
    if (v.fields) msgLines.push(JSON.stringify(JSON.stringify(full) + ':' + JSON.stringify(v)));
    else walk(full, v);
  }
})('', ns);
out += 'const messages: string[] = [\n';
for (const l of msgLines) out += `  ${l},\n`;
out += '];\n';
out += '/** JSON text of an object mapping full message name to its protobufjs definition ({fields, options}). */\n';
out += "export const GEN_PROTO_JSON: string = '{' + messages.join(',') + '}';\n";
if (process.argv.includes('--check')) {
  const cur = fs.existsSync(outFile) ? fs.readFileSync(outFile, 'utf8') : '';
  if (cur !== out) {
    console.error(`${path.relative(process.cwd(), outFile)} is out of date: re-run node packages/k8s-builtins/scripts/gen-proto.mjs`);
    process.exit(1);
  }
  console.log(`${path.relative(process.cwd(), outFile)} is up to date with ${source}`);
  process.exit(0);
}
fs.writeFileSync(outFile, out);
console.log(`wrote ${path.relative(process.cwd(), outFile)}: ${Object.keys(kinds).length} kinds, ${msgLines.length} messages, ${(out.length / 1024).toFixed(0)} KiB`);
if (missing.length) console.log(`no descriptor for: ${missing.join(', ')}`);
for (const w of warnings) console.log(`warning: ${w}`);
