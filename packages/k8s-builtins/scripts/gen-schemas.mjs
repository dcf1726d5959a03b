#!/usr/bin/env node
// Generates packages/k8s-builtins/src/gen-schemas-data.ts: OpenAPI v3 component schemas for the
// stable (v1/v2) built-in Kubernetes API types, named like the upstream OpenAPI document
// (io.k8s.api.core.v1.Pod, io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta, ...).
//
// Source: the models generated into @kubernetes/client-node (dist/gen/models/*.js carry
// `attributeTypeMap`, the .d.ts files carry the field descriptions as JSDoc, dist/gen/apis/*.js
// tell which group-version serves which top-level type).
//
// The list/patch metadata (x-kubernetes-patch-merge-key, list types, ...) is NOT produced here:
// src/schemas.ts applies it at load time from a hand-written table.
//
// Usage: node packages/k8s-builtins/scripts/gen-schemas.mjs   (re-runnable; output is deterministic)
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL, fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const clientRoot = path.dirname(require.resolve('@kubernetes/client-node/package.json'));
const clientVersion = JSON.parse(fs.readFileSync(path.join(clientRoot, 'package.json'), 'utf8')).version;
const genDir = path.join(clientRoot, 'dist', 'gen');
const outFile = path.join(here, '..', 'src', 'gen-schemas-data.ts');

// ---------------------------------------------------------------------------------------------
// Naming

/** Class-name prefixes used by the client generator to disambiguate same-named types. */
const PREFIX_GROUP = {
  Admissionregistration: 'admissionregistration.k8s.io',
  Apiextensions: 'apiextensions.k8s.io',
  Apiregistration: 'apiregistration.k8s.io',
  Authentication: 'authentication.k8s.io',
  Core: '',
  Discovery: 'discovery.k8s.io',
  Events: 'events.k8s.io',
  Flowcontrol: 'flowcontrol.apiserver.k8s.io',
  Rbac: 'rbac.authorization.k8s.io',
  Storage: 'storage.k8s.io',
  Resource: 'resource.k8s.io',
};
const MODEL_RE = new RegExp(`^((?:${Object.keys(PREFIX_GROUP).join('|')})?)(V[12])([A-Z]\\w*)$`);

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const META_GROUP = '#meta';

/** Upstream definition-name prefix of a group's Go package. */
function packagePrefix(group, version) {
  if (group === META_GROUP) return META;
  if (group === 'apiextensions.k8s.io') return `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${version}`;
  if (group === 'apiregistration.k8s.io') return `io.k8s.kube-aggregator.pkg.apis.apiregistration.${version}`;
  if (group === '') return `io.k8s.api.core.${version}`;
  const first = group.split('.')[0];
  return `io.k8s.api.${first}.${version}`;
}

// Meta (apimachinery) types among the models.
const META_MODELS = [
  'V1ObjectMeta', 'V1ListMeta', 'V1Status', 'V1StatusCause', 'V1StatusDetails', 'V1Condition', 'V1DeleteOptions',
  'V1Preconditions', 'V1LabelSelector', 'V1LabelSelectorRequirement', 'V1ManagedFieldsEntry', 'V1OwnerReference',
  'V1APIGroup', 'V1APIGroupList', 'V1APIResource', 'V1APIResourceList', 'V1APIVersions', 'V1GroupVersionForDiscovery',
  'V1ServerAddressByClientCIDR', 'V1WatchEvent', 'V1FieldSelectorRequirement',
];
// Top-level types that an API group's client uses but that belong to another group.
const TOP_LEVEL_OVERRIDES = {
  V1Scale: 'autoscaling/v1',
  V1Eviction: 'policy/v1',
  AuthenticationV1TokenRequest: 'authentication.k8s.io/v1',
};
// Nested types whose package cannot be inferred from reachability (used only by another group).
const NESTED_OVERRIDES = {
  V1TopologySelectorTerm: 'core/v1',
  V1TopologySelectorLabelRequirement: 'core/v1',
  V1TokenRequestSpec: 'authentication.k8s.io/v1',
  V1TokenRequestStatus: 'authentication.k8s.io/v1',
  V1BoundObjectReference: 'authentication.k8s.io/v1',
};
// Stale classes left in the client's model directory (no longer referenced by any API).
const SKIP = new Set(['V1ResourceClaim', 'V1ClaimSource']);

// Fields the client types as a plain string (or map/array of strings) that are resource.Quantity upstream.
const QUANTITY_FIELDS = new Set([
  'V1CSIStorageCapacity.capacity', 'V1CSIStorageCapacity.maximumVolumeSize',
  'V1CapacityRequirements.requests', 'V1ContainerStatus.allocatedResources',
  'V1Counter.value', 'V1DeviceCapacity.value', 'V1DeviceRequestAllocationResult.consumedCapacity',
  'V1CapacityRequestPolicy._default', 'V1CapacityRequestPolicy.validValues',
  'V1CapacityRequestPolicyRange.min', 'V1CapacityRequestPolicyRange.max', 'V1CapacityRequestPolicyRange.step',
  'V1EmptyDirVolumeSource.sizeLimit',
  'V1LimitRangeItem._default', 'V1LimitRangeItem.defaultRequest', 'V1LimitRangeItem.max',
  'V1LimitRangeItem.maxLimitRequestRatio', 'V1LimitRangeItem.min',
  'V1NodeStatus.allocatable', 'V1NodeStatus.capacity', 'V1Overhead.podFixed',
  'V1PersistentVolumeClaimStatus.allocatedResources', 'V1PersistentVolumeClaimStatus.capacity',
  'V1PersistentVolumeSpec.capacity', 'V1PodSpec.overhead', 'V1ResourceFieldSelector.divisor',
  'V1ResourceQuotaSpec.hard', 'V1ResourceQuotaStatus.hard', 'V1ResourceQuotaStatus.used',
  'V1ResourceRequirements.limits', 'V1ResourceRequirements.requests',
  'V1VolumeResourceRequirements.limits', 'V1VolumeResourceRequirements.requests',
  'V2MetricTarget.averageValue', 'V2MetricTarget.value', 'V2MetricValueStatus.averageValue', 'V2MetricValueStatus.value',
]);

const EXT = 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1';
// Fields the client types as `any`: what they are upstream.
const ANY_FIELDS = {
  'V1ControllerRevision.data': 'io.k8s.apimachinery.pkg.runtime.RawExtension',
  'V1WatchEvent.object': 'io.k8s.apimachinery.pkg.runtime.RawExtension',
  'V1AllocatedDeviceStatus.data': 'io.k8s.apimachinery.pkg.runtime.RawExtension',
  'V1OpaqueDeviceConfiguration.parameters': 'io.k8s.apimachinery.pkg.runtime.RawExtension',
  'V1ManagedFieldsEntry.fieldsV1': `${META}.FieldsV1`,
  'V1CustomResourceSubresources.status': `${EXT}.CustomResourceSubresourceStatus`,
  'V1JSONSchemaProps.additionalItems': `${EXT}.JSONSchemaPropsOrBool`,
  'V1JSONSchemaProps.additionalProperties': `${EXT}.JSONSchemaPropsOrBool`,
  'V1JSONSchemaProps._default': `${EXT}.JSON`,
  'V1JSONSchemaProps.example': `${EXT}.JSON`,
  'V1JSONSchemaProps._enum': `${EXT}.JSON`,
  'V1JSONSchemaProps.items': `${EXT}.JSONSchemaPropsOrArray`,
  'V1JSONSchemaProps.dependencies': `${EXT}.JSONSchemaPropsOrStringArray`,
};

// Types that exist upstream but have no model class (special JSON representations). Descriptions
// are written from the Kubernetes API reference.
const HAND_WRITTEN = {
  [`${META}.Time`]: {
    description: 'Time is a timestamp serialized in RFC 3339 form (e.g. "2006-01-02T15:04:05Z"), with second precision.',
    type: 'string',
    format: 'date-time',
  },
  [`${META}.MicroTime`]: {
    description: 'MicroTime is a timestamp like Time, with microsecond precision.',
    type: 'string',
    format: 'date-time',
  },
  [`${META}.FieldsV1`]: {
    description: 'FieldsV1 stores a set of fields in a trie-like data structure, in JSON format. Each key is either a \'.\' (the field itself, always mapped to an empty set), a string "f:<name>" (a field of a struct or map), "v:<value>" (a list item identified by its value), "i:<index>" (a list item identified by its position) or "k:<keys>" (a list item identified by the values of its map keys, as JSON). Values are either empty sets or further FieldsV1 tries.',
    type: 'object',
  },
  [`${META}.Patch`]: {
    description: 'Patch is the body of a PATCH request: a JSON patch, JSON merge patch, strategic merge patch or apply configuration, depending on the Content-Type.',
    type: 'object',
  },
  'io.k8s.apimachinery.pkg.api.resource.Quantity': {
    description: 'Quantity is a fixed-point representation of a number, written as a string like "100m", "1.5Gi", "2e3" or as a plain JSON number. The serialization format is <signedNumber><suffix>, where the suffix is a binary SI suffix (Ki, Mi, Gi, Ti, Pi, Ei), a decimal SI suffix (n, u, m, "", k, M, G, T, P, E) or a decimal exponent (e or E followed by a signed number).',
    'x-kubernetes-int-or-string': true,
  },
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': {
    description: 'IntOrString is a value that can be either an int32 or a string; in JSON and YAML it is written as the inner value. It lets a field accept, for example, a port number or a port name.',
    format: 'int-or-string',
    'x-kubernetes-int-or-string': true,
  },
  'io.k8s.apimachinery.pkg.runtime.RawExtension': {
    description: 'RawExtension holds an arbitrary embedded object (usually a complete Kubernetes object with apiVersion and kind) whose schema is not known to the surrounding type.',
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
  },
  [`${EXT}.JSON`]: {
    description: 'JSON represents any valid JSON value: boolean, integer, floating point number, string, array, object or null.',
    'x-kubernetes-preserve-unknown-fields': true,
  },
  [`${EXT}.JSONSchemaPropsOrArray`]: {
    description: 'JSONSchemaPropsOrArray is either a single JSONSchemaProps or an array of JSONSchemaProps.',
    'x-kubernetes-preserve-unknown-fields': true,
  },
  [`${EXT}.JSONSchemaPropsOrBool`]: {
    description: 'JSONSchemaPropsOrBool is either a JSONSchemaProps or a boolean. When a boolean, true means any value is allowed (the default) and false means none is.',
    'x-kubernetes-preserve-unknown-fields': true,
  },
  [`${EXT}.JSONSchemaPropsOrStringArray`]: {
    description: 'JSONSchemaPropsOrStringArray is either a JSONSchemaProps or an array of strings.',
    'x-kubernetes-preserve-unknown-fields': true,
  },
  [`${EXT}.CustomResourceSubresourceStatus`]: {
    description: 'CustomResourceSubresourceStatus enables the /status subresource of a custom resource. When set, the resource\'s status is served at the `.status` path: PUT requests to /status only change the status stanza, and writes to the main resource ignore changes to the status stanza. It has no fields.',
    type: 'object',
  },
};

// ---------------------------------------------------------------------------------------------
// Load the client's models and API classes

const models = {}; // class name -> attributeTypeMap
for (const f of fs.readdirSync(path.join(genDir, 'models')).sort()) {
  const m = f.match(/^(\w+)\.js$/);
  if (!m || !MODEL_RE.test(m[1]) || SKIP.has(m[1])) continue;
  const mod = await import(pathToFileURL(path.join(genDir, 'models', f)).href);
  if (mod[m[1]]?.attributeTypeMap) models[m[1]] = mod[m[1]].attributeTypeMap;
}
{
  const mod = await import(pathToFileURL(path.join(genDir, 'models', 'VersionInfo.js')).href);
  models.VersionInfo = mod.VersionInfo.attributeTypeMap;
}

const modelRefRe = /((?:[A-Z][a-z]+)?V[12][A-Z]\w*|VersionInfo)/;
const refsOf = (n) => models[n].map((a) => a.type.match(modelRefRe)?.[1]).filter((t) => t && models[t]);

/** group/version ("core/v1" for the core group) -> top-level model names used by that API class. */
const apis = {};
for (const f of fs.readdirSync(path.join(genDir, 'apis')).sort()) {
  if (!/V[12]Api\.js$/.test(f)) continue;
  const src = fs.readFileSync(path.join(genDir, 'apis', f), 'utf8');
  const p = src.match(/'(\/apis?\/[^{']*?)\/'/);
  if (!p) continue;
  const gv = p[1].replace(/^\/api\//, '/apis/core/').replace(/^\/apis\//, '');
  apis[gv] = [...new Set([...src.matchAll(/"((?:[A-Z][a-z]+)?V[12][A-Z]\w*)"/g)].map((x) => x[1]))].filter((n) => models[n]);
}

// ---------------------------------------------------------------------------------------------
// Assign every model to a group/version package

const pkgOf = {};
for (const m of META_MODELS) pkgOf[m] = `${META_GROUP}/v1`;
pkgOf.VersionInfo = '#version';
Object.assign(pkgOf, TOP_LEVEL_OVERRIDES, NESTED_OVERRIDES);
const gvOrder = ['core/v1', ...Object.keys(apis).filter((g) => g !== 'core/v1').sort()];
/** model -> GVK for top-level kinds */
const gvkOf = {};
for (const gv of gvOrder) {
  for (const n of apis[gv]) {
    if (!pkgOf[n]) pkgOf[n] = gv;
  }
}
for (const [n, gv] of Object.entries(pkgOf)) {
  if (gv.startsWith('#')) continue;
  if (apis[gv]?.includes(n) || TOP_LEVEL_OVERRIDES[n]) {
    const [g, v] = gv.split('/');
    gvkOf[n] = { group: g === 'core' ? '' : g, version: v, kind: kindOf(n) };
  }
}
for (const gv of [`${META_GROUP}/v1`, ...gvOrder, ...new Set(Object.values(TOP_LEVEL_OVERRIDES))]) {
  const queue = Object.keys(pkgOf).filter((n) => pkgOf[n] === gv);
  while (queue.length) {
    const n = queue.shift();
    for (const r of refsOf(n)) {
      if (!pkgOf[r]) {
        pkgOf[r] = gv;
        queue.push(r);
      }
    }
  }
}
const unassigned = Object.keys(models).filter((n) => !pkgOf[n]);
if (unassigned.length) {
  console.error('warning: models with no package (skipped):', unassigned.join(' '));
  for (const n of unassigned) delete models[n];
}

function kindOf(model) {
  const m = model.match(MODEL_RE);
  return m ? m[3] : model;
}
function defNameOf(model) {
  if (model === 'VersionInfo') return 'io.k8s.apimachinery.pkg.version.Info';
  const m = model.match(MODEL_RE);
  const [g, v] = pkgOf[model].split('/');
  return `${packagePrefix(g === 'core' ? '' : g, v)}.${m[3]}`;
}

// ---------------------------------------------------------------------------------------------
// Descriptions from the .d.ts files

function unescapeDoc(s) {
  return s.replace(/\\(.)/g, '$1').trim();
}
function readDocs(model) {
  const text = fs.readFileSync(path.join(genDir, 'models', `${model}.d.ts`), 'utf8');
  const lines = text.split('\n');
  const fields = {};
  const required = new Set();
  let classDoc;
  let pending;
  let inClass = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^\s*\/\*\*/.test(line)) {
      const doc = [];
      for (i++; i < lines.length && !/^\s*\*\//.test(lines[i]); i++) doc.push(lines[i].replace(/^\s*\* ?/, ''));
      pending = doc.join('\n');
      continue;
    }
    if (/^export declare class /.test(line)) {
      classDoc = pending;
      pending = undefined;
      inClass = true;
      continue;
    }
    const p = inClass && line.match(/^ {4}'([^']+)'(\?)?:/);
    if (p) {
      if (pending !== undefined) fields[p[1]] = unescapeDoc(pending);
      if (!p[2]) required.add(p[1]);
    }
    if (/^\s*static readonly/.test(line)) break;
    pending = undefined;
  }
  return { classDoc: classDoc === undefined ? undefined : unescapeDoc(classDoc), fields, required };
}

// ---------------------------------------------------------------------------------------------
// Schema construction

const ref = (name) => ({ $ref: `#/components/schemas/${name}` });

function typeSchema(type, format, key) {
  let m;
  if ((m = type.match(/^Array<(.*)>$/))) return { type: 'array', items: typeSchema(m[1], format, key) };
  if ((m = type.match(/^\{ \[key: string\]: (.*); \}$/))) return { type: 'object', additionalProperties: typeSchema(m[1], format, key) };
  if (QUANTITY_FIELDS.has(key) && type === 'string') return ref('io.k8s.apimachinery.pkg.api.resource.Quantity');
  switch (type) {
    case 'string':
      return format ? { type: 'string', format } : { type: 'string' };
    case 'boolean':
      return { type: 'boolean' };
    case 'number':
      if (format === 'double' || format === 'float') return { type: 'number', format };
      return format ? { type: 'integer', format } : { type: 'integer' };
    case 'Date':
      return ref(`${META}.Time`);
    case 'V1MicroTime':
      return ref(`${META}.MicroTime`);
    case 'IntOrString':
      return ref('io.k8s.apimachinery.pkg.util.intstr.IntOrString');
    case 'any': {
      const target = ANY_FIELDS[key];
      if (!target) throw new Error(`no mapping for field ${key} of type any`);
      return ref(target);
    }
  }
  if (models[type]) return ref(defNameOf(type));
  throw new Error(`unknown type ${type} (${key})`);
}

const CONVENTIONS = 'https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md';
/** Descriptions of the standard fields of top-level kinds (per the API conventions). */
function conventionalDoc(model, field) {
  const kind = kindOf(model);
  const isList = kind.endsWith('List') && models[model].some((a) => a.name === 'items');
  if (field === 'metadata') {
    return isList ? `Standard list metadata. More info: ${CONVENTIONS}#types-kinds` : `Standard object's metadata. More info: ${CONVENTIONS}#metadata`;
  }
  if (field === 'spec') return `Specification of the desired behavior of the ${kind}. More info: ${CONVENTIONS}#spec-and-status`;
  if (field === 'status') {
    return `Most recently observed status of the ${kind}. This data may not be up to date. Populated by the system. Read-only. More info: ${CONVENTIONS}#spec-and-status`;
  }
  return undefined;
}
const typeDocCache = new Map();
function typeDescription(ref) {
  const name = ref.slice('#/components/schemas/'.length);
  if (HAND_WRITTEN[name]) return HAND_WRITTEN[name].description;
  const model = Object.keys(models).find((m) => defNameOf(m) === name);
  if (!model) return undefined;
  if (!typeDocCache.has(model)) typeDocCache.set(model, readDocs(model).classDoc);
  return typeDocCache.get(model);
}

const schemas = {};
for (const model of Object.keys(models).sort()) {
  const name = defNameOf(model);
  if (schemas[name]) throw new Error(`duplicate definition ${name} (${model})`);
  const docs = readDocs(model);
  const s = {};
  if (docs.classDoc) s.description = docs.classDoc;
  s.type = 'object';
  const properties = {};
  const required = [];
  for (const a of models[model]) {
    const key = `${model}.${a.name}`;
    let p = typeSchema(a.type, a.format, key);
    const d = docs.fields[a.name] ?? (gvkOf[model] ? conventionalDoc(model, a.baseName) : undefined);
    if (d) p = p.$ref ? { description: d, allOf: [p] } : { description: d, ...p };
    else if (p.$ref) {
      // No field description in the client's models (it drops them for references): borrow the
      // referenced type's own description as a sibling of $ref. Being identical to what the $ref
      // resolves to, it changes nothing semantically, but `kubectl explain` shows it in field
      // listings instead of "<no description>" (an allOf wrapper would print it twice).
      const td = typeDescription(p.$ref);
      if (td) p = { ...p, description: td };
    }
    properties[a.baseName] = p;
    if (docs.required.has(a.name)) required.push(a.baseName);
  }
  if (required.length) s.required = required;
  s.properties = properties;
  if (gvkOf[model]) s['x-kubernetes-group-version-kind'] = [gvkOf[model]];
  schemas[name] = s;
}
for (const [name, s] of Object.entries(HAND_WRITTEN)) schemas[name] = s;

// Kinds served by every group-version (meta types with GVKs upstream).
const allGVs = gvOrder.map((gv) => {
  const [g, v] = gv.split('/');
  return { group: g === 'core' ? '' : g, version: v };
});
schemas[`${META}.Status`]['x-kubernetes-group-version-kind'] = [{ group: '', version: 'v1', kind: 'Status' }];
schemas[`${META}.DeleteOptions`]['x-kubernetes-group-version-kind'] = allGVs.map((gv) => ({ ...gv, kind: 'DeleteOptions' }));
schemas[`${META}.WatchEvent`]['x-kubernetes-group-version-kind'] = allGVs.map((gv) => ({ ...gv, kind: 'WatchEvent' }));
for (const k of ['APIGroup', 'APIGroupList', 'APIResourceList', 'APIVersions']) {
  schemas[`${META}.${k}`]['x-kubernetes-group-version-kind'] = [{ group: '', version: 'v1', kind: k }];
}

// Sanity: every $ref resolves.
const missing = new Set();
JSON.stringify(schemas, (k, v) => {
  if (k === '$ref' && typeof v === 'string' && !schemas[v.slice('#/components/schemas/'.length)]) missing.add(v);
  return v;
});
if (missing.size) throw new Error(`dangling refs: ${[...missing].join(', ')}`);

// ---------------------------------------------------------------------------------------------
// Emit: one JSON entry per line, as string literals, so diffs stay readable and tsc stays fast.

const names = Object.keys(schemas).sort();
let out = '';
out += '// GENERATED by packages/k8s-builtins/scripts/gen-schemas.mjs from @kubernetes/client-node ' + clientVersion + '.\n';
out += '// Do not edit by hand: re-run the script. Parsed lazily by schemas.ts.\n';
out += '/* eslint-disable */\n';
out += `export const GEN_SCHEMAS_SOURCE = ${JSON.stringify(`@kubernetes/client-node ${clientVersion}`)};\n`;
out += 'const entries: string[] = [\n';
for (const n of names) out += `  ${JSON.stringify(JSON.stringify(n) + ':' + JSON.stringify(schemas[n]))},\n`;
out += '];\n';
out += "/** JSON text of an object mapping definition name to schema. */\n";
out += "export const GEN_SCHEMAS_JSON: string = '{' + entries.join(',') + '}';\n";
fs.writeFileSync(outFile, out);
console.log(`wrote ${path.relative(process.cwd(), outFile)}: ${names.length} schemas, ${(out.length / 1024).toFixed(0)} KiB`);
