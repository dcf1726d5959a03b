/** CustomResourceDefinition (apiextensions.k8s.io/v1) semantics: validation, served resources, schemas, printing. */
import {
  humanAge,
  validateDns1123Subdomain,
  type Cause,
  type KubeObject,
  type ResourceInfo,
  type ScaleSubresource,
  type StructSchema,
  type TableColumn,
  type TablePrinter,
  type TypeSchema,
} from '@flotilla/apimachinery';
import * as E from './errors.js';
import { goNumber } from './errors.js';
import { jsonPathQuery, parseJsonPath, type JsonPath } from './jsonpath.js';
import { isObject, mergedMetaSchema } from './schema.js';
import { validateCrdSchema } from './structural.js';
import { validateDns1035Label } from './validate.js';

export const CRD_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export interface CrdPrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

export interface CrdScale {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

export interface CrdSubresources {
  status?: Record<string, never> | object;
  scale?: CrdScale;
}

export interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  deprecated?: boolean;
  deprecationWarning?: string;
  schema?: { openAPIV3Schema?: StructSchema };
  subresources?: CrdSubresources;
  additionalPrinterColumns?: CrdPrinterColumn[];
}

export interface CrdNames {
  plural?: string;
  singular?: string;
  kind?: string;
  listKind?: string;
  shortNames?: string[];
  categories?: string[];
}

export interface CrdSpec {
  group?: string;
  names?: CrdNames;
  scope?: string;
  versions?: CrdVersion[];
  conversion?: { strategy?: string; webhook?: Record<string, unknown> };
  preserveUnknownFields?: boolean;
  // apiextensions.k8s.io/v1beta1 (top-level, applies to all versions)
  version?: string;
  validation?: { openAPIV3Schema?: StructSchema };
  subresources?: CrdSubresources;
  additionalPrinterColumns?: (CrdPrinterColumn & { JSONPath?: string })[];
}

const V1 = 'apiextensions.k8s.io/v1';

const rec = (v: unknown): Record<string, unknown> => (isObject(v) ? v : {});

function specOf(crd: KubeObject): CrdSpec {
  return rec(crd.spec) as CrdSpec;
}

function cloneJson<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** The CRD's versions (v1beta1's top-level `spec.version` becomes a single served storage version). */
export function crdVersions(crd: KubeObject): CrdVersion[] {
  const spec = specOf(crd);
  if (Array.isArray(spec.versions) && spec.versions.length) return spec.versions.filter(isObject) as CrdVersion[];
  if (typeof spec.version === 'string' && spec.version) return [{ name: spec.version, served: true, storage: true }];
  return [];
}

/** The storage version's name, if exactly one version is marked as storage. */
export function crdStorageVersion(crd: KubeObject): string | undefined {
  const s = crdVersions(crd).filter((v) => v.storage === true);
  return s.length === 1 ? s[0].name : undefined;
}

function findVersion(crd: KubeObject, version: string): CrdVersion {
  const v = crdVersions(crd).find((x) => x.name === version);
  if (!v) throw new Error(`version ${JSON.stringify(version)} not found in CustomResourceDefinition ${JSON.stringify(crd.metadata?.name ?? '')}`);
  return v;
}

function rawSchemaFor(crd: KubeObject, v: CrdVersion): StructSchema | undefined {
  const s = v.schema?.openAPIV3Schema ?? specOf(crd).validation?.openAPIV3Schema;
  return isObject(s) ? s : undefined;
}

function subresourcesFor(crd: KubeObject, v: CrdVersion): CrdSubresources | undefined {
  const s = v.subresources ?? specOf(crd).subresources;
  return isObject(s) ? s : undefined;
}

function columnsFor(crd: KubeObject, v: CrdVersion): CrdPrinterColumn[] {
  const cols = v.additionalPrinterColumns ?? specOf(crd).additionalPrinterColumns ?? [];
  return (Array.isArray(cols) ? cols : []).filter(isObject).map((c) => {
    const x = c as CrdPrinterColumn & { JSONPath?: string };
    return { ...x, jsonPath: x.jsonPath ?? x.JSONPath ?? '' };
  });
}

/**
 * The defaults the API server applies to a v1 CRD before validating it (in place):
 * names.singular = lowercase kind, names.listKind = kind + "List", conversion.strategy = None.
 */
export function applyCrdDefaults(crd: KubeObject): void {
  if (!isObject(crd.spec)) return;
  const spec = crd.spec as CrdSpec;
  if (isObject(spec.names)) {
    const n = spec.names;
    if (!n.singular && typeof n.kind === 'string' && n.kind) n.singular = n.kind.toLowerCase();
    if (!n.listKind && typeof n.kind === 'string' && n.kind) n.listKind = `${n.kind}List`;
  }
  if (spec.conversion === undefined) spec.conversion = { strategy: 'None' };
  else if (isObject(spec.conversion) && !spec.conversion.strategy) spec.conversion.strategy = 'None';
}

/** Kubernetes-aware version ordering (v1 > v1beta2 > v1beta1 > v1alpha1 > others alphabetically); negative when a sorts first. */
export function compareKubeVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return { kind: 3, major: 0, minor: 0 };
    return { kind: m[2] === undefined ? 0 : m[2] === 'beta' ? 1 : 2, major: Number(m[1]), minor: Number(m[3] ?? 0) };
  };
  const x = parse(a);
  const y = parse(b);
  if (x.kind !== y.kind) return x.kind - y.kind;
  if (x.kind === 3) return a < b ? -1 : a > b ? 1 : 0;
  if (x.major !== y.major) return y.major - x.major;
  return y.minor - x.minor;
}

/** One ResourceInfo per served version, in spec order. */
export function crdResources(crd: KubeObject): ResourceInfo[] {
  const c = cloneJson(crd);
  applyCrdDefaults(c);
  const spec = specOf(c);
  const names = rec(spec.names) as CrdNames;
  const kind = names.kind ?? '';
  const out: ResourceInfo[] = [];
  for (const v of crdVersions(c)) {
    if (v.served !== true) continue;
    const info: ResourceInfo = {
      group: spec.group ?? '',
      version: v.name,
      kind,
      listKind: names.listKind ?? `${kind}List`,
      plural: names.plural ?? '',
      singular: names.singular ?? kind.toLowerCase(),
      namespaced: spec.scope !== 'Cluster',
      verbs: [...CRD_VERBS],
      storage: v.storage === true,
    };
    if (Array.isArray(names.shortNames) && names.shortNames.length) info.shortNames = [...names.shortNames];
    if (Array.isArray(names.categories) && names.categories.length) info.categories = [...names.categories];
    const sub = subresourcesFor(c, v);
    if (sub) {
      const subs: NonNullable<ResourceInfo['subresources']> = {};
      if (sub.status !== undefined && sub.status !== null) subs.status = true;
      if (isObject(sub.scale)) {
        const sc: ScaleSubresource = {
          specReplicasPath: String(sub.scale.specReplicasPath ?? ''),
          statusReplicasPath: String(sub.scale.statusReplicasPath ?? ''),
        };
        if (sub.scale.labelSelectorPath) sc.labelSelectorPath = String(sub.scale.labelSelectorPath);
        subs.scale = sc;
      }
      if (subs.status || subs.scale) info.subresources = subs;
    }
    out.push(info);
  }
  return out;
}

/**
 * The version's openAPIV3Schema as a TypeSchema, with the implicit `apiVersion`/`kind` (string) and
 * `metadata` (ObjectMeta, keeping the CRD's name/generateName restrictions) added. A CRD without a schema
 * (legacy v1beta1) gets a schema preserving everything.
 */
export function crdVersionSchema(crd: KubeObject, version: string): TypeSchema {
  const v = findVersion(crd, version);
  const raw = rawSchemaFor(crd, v);
  const root: StructSchema = raw ? cloneJson(raw) : { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  if (specOf(crd).preserveUnknownFields === true) root['x-kubernetes-preserve-unknown-fields'] = true;
  if (!root.type) root.type = 'object';
  const props = { ...(root.properties ?? {}) };
  props.apiVersion = { ...(props.apiVersion ?? {}), type: 'string' };
  props.kind = { ...(props.kind ?? {}), type: 'string' };
  props.metadata = mergedMetaSchema(props.metadata);
  root.properties = props;
  return { root, resolve: () => undefined };
}

// ---------------------------------------------------------------------------------------------
// validation

const PRINTER_TYPES = ['boolean', 'date', 'integer', 'number', 'string'];
const PRINTER_FORMATS = ['byte', 'date', 'date-time', 'double', 'float', 'int32', 'int64', 'password'];

function checkSimpleJsonPath(p: string, field: string, errs: Cause[]): boolean {
  if (p === '') {
    errs.push(E.invalid(field, p, 'must not be empty'));
    return false;
  }
  if (p[0] !== '.') {
    errs.push(E.invalid(field, p, 'must be a simple json path starting with .'));
    return false;
  }
  return true;
}

const simpleDotted = /^(\.[A-Za-z0-9_-]+)+$/;

function validateScale(scale: unknown, path: string, errs: Cause[]): void {
  if (!isObject(scale)) return;
  const spec = scale.specReplicasPath;
  const status = scale.statusReplicasPath;
  const sel = scale.labelSelectorPath;
  if (typeof spec !== 'string' || spec === '') errs.push(E.required(`${path}.specReplicasPath`));
  else if (checkSimpleJsonPath(spec, `${path}.specReplicasPath`, errs)) {
    if (!spec.startsWith('.spec.') || !simpleDotted.test(spec))
      errs.push(E.invalid(`${path}.specReplicasPath`, spec, 'should be a json path under .spec'));
  }
  if (typeof status !== 'string' || status === '') errs.push(E.required(`${path}.statusReplicasPath`));
  else if (checkSimpleJsonPath(status, `${path}.statusReplicasPath`, errs)) {
    if (!status.startsWith('.status.') || !simpleDotted.test(status))
      errs.push(E.invalid(`${path}.statusReplicasPath`, status, 'should be a json path under .status'));
  }
  if (sel !== undefined && sel !== null && sel !== '') {
    if (typeof sel !== 'string') errs.push(E.invalid(`${path}.labelSelectorPath`, sel, 'must be a string'));
    else if (checkSimpleJsonPath(sel, `${path}.labelSelectorPath`, errs)) {
      if (!(sel.startsWith('.spec.') || sel.startsWith('.status.')) || !simpleDotted.test(sel))
        errs.push(E.invalid(`${path}.labelSelectorPath`, sel, 'should be a json path under either .spec or .status'));
    }
  }
}

function validateColumns(cols: unknown, path: string, errs: Cause[]): void {
  if (cols === undefined || cols === null) return;
  if (!Array.isArray(cols)) {
    errs.push(E.invalid(path, cols, 'must be a list'));
    return;
  }
  cols.forEach((c, i) => {
    const p = `${path}[${i}]`;
    const col = rec(c);
    if (typeof col.name !== 'string' || col.name === '') errs.push(E.required(`${p}.name`));
    if (col.type === undefined || col.type === '') errs.push(E.required(`${p}.type`));
    else if (typeof col.type !== 'string' || !PRINTER_TYPES.includes(col.type)) errs.push(E.notSupported(`${p}.type`, col.type, PRINTER_TYPES));
    if (col.format !== undefined && col.format !== '' && (typeof col.format !== 'string' || !PRINTER_FORMATS.includes(col.format)))
      errs.push(E.notSupported(`${p}.format`, col.format, PRINTER_FORMATS));
    if (col.priority !== undefined && !(typeof col.priority === 'number' && Number.isInteger(col.priority) && col.priority >= 0))
      errs.push(E.invalid(`${p}.priority`, col.priority, 'cannot be negative'));
    const jp = col.jsonPath ?? col.JSONPath;
    if (jp === undefined || jp === '') errs.push(E.required(`${p}.jsonPath`));
    else if (typeof jp !== 'string') errs.push(E.invalid(`${p}.jsonPath`, jp, 'must be a string'));
    else if (checkSimpleJsonPath(jp, `${p}.jsonPath`, errs)) {
      try {
        parseJsonPath(jp);
      } catch (e) {
        errs.push(E.invalid(`${p}.jsonPath`, jp, (e as Error).message));
      }
    }
  });
}

function validateNames(names: unknown, path: string, errs: Cause[]): void {
  if (!isObject(names)) {
    errs.push(E.required(`${path}.plural`));
    errs.push(E.required(`${path}.kind`));
    errs.push(E.required(`${path}.listKind`));
    return;
  }
  const n = names as Record<string, unknown>;
  for (const f of ['plural', 'singular'] as const) {
    const v = n[f];
    if (v === undefined || v === '') {
      if (f === 'plural') errs.push(E.required(`${path}.plural`));
      continue;
    }
    if (typeof v !== 'string') errs.push(E.invalid(`${path}.${f}`, v, 'must be a string'));
    else {
      const e = validateDns1035Label(v);
      if (e.length) errs.push(E.invalid(`${path}.${f}`, v, e.join(',')));
    }
  }
  for (const f of ['kind', 'listKind'] as const) {
    const v = n[f];
    if (v === undefined || v === '') {
      errs.push(E.required(`${path}.${f}`));
      continue;
    }
    if (typeof v !== 'string') errs.push(E.invalid(`${path}.${f}`, v, 'must be a string'));
    else {
      const e = validateDns1035Label(v.toLowerCase());
      if (e.length) errs.push(E.invalid(`${path}.${f}`, v, `may have mixed case, but should otherwise match: ${e.join(',')}`));
    }
  }
  if (typeof n.kind === 'string' && n.kind !== '' && n.kind === n.listKind)
    errs.push(E.invalid(`${path}.listKind`, n.listKind, 'kind and listKind may not be the same'));
  for (const f of ['shortNames', 'categories'] as const) {
    const list = n[f];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) {
      errs.push(E.invalid(`${path}.${f}`, list, 'must be a list of strings'));
      continue;
    }
    list.forEach((x, i) => {
      const p = `${path}.${f}[${i}]`;
      if (typeof x !== 'string') errs.push(E.invalid(p, x, 'must be a string'));
      else {
        const e = validateDns1035Label(x);
        if (e.length) errs.push(E.invalid(p, x, e.join(',')));
      }
    });
  }
}

const PROTECTED_GROUP = /(^|\.)(k8s\.io|kubernetes\.io)$/;
const APPROVAL = 'api-approved.kubernetes.io';

function validateConversion(conv: unknown, errs: Cause[]): void {
  if (conv === undefined || conv === null) return;
  const c = rec(conv);
  const strategy = c.strategy;
  const path = 'spec.conversion';
  if (strategy !== 'None' && strategy !== 'Webhook') {
    errs.push(E.notSupported(`${path}.strategy`, strategy ?? '', ['None', 'Webhook']));
    return;
  }
  if (strategy === 'None') {
    if (c.webhook !== undefined && c.webhook !== null)
      errs.push(E.forbidden(`${path}.webhook`, 'should not be set when strategy is not set to Webhook'));
    return;
  }
  if (!isObject(c.webhook)) {
    errs.push(E.required(`${path}.webhook`, 'required when strategy is set to Webhook'));
    return;
  }
  const w = c.webhook;
  const crv = w.conversionReviewVersions;
  if (!Array.isArray(crv) || crv.length === 0)
    errs.push(E.required(`${path}.webhook.conversionReviewVersions`, 'must contain at least one version'));
  else if (!crv.some((x) => x === 'v1' || x === 'v1beta1'))
    errs.push(E.invalid(`${path}.webhook.conversionReviewVersions`, crv, 'must include at least one of v1, v1beta1'));
  const cc = rec(w.clientConfig);
  const hasUrl = typeof cc.url === 'string' && cc.url !== '';
  const hasSvc = isObject(cc.service);
  if (hasUrl === hasSvc) errs.push(E.required(`${path}.webhook.clientConfig`, 'exactly one of url or service is required'));
  if (hasSvc) {
    const svc = rec(cc.service);
    if (!svc.name) errs.push(E.required(`${path}.webhook.clientConfig.service.name`));
    if (!svc.namespace) errs.push(E.required(`${path}.webhook.clientConfig.service.namespace`));
  }
}

/**
 * Validates a CustomResourceDefinition as the API server does on create (and, with `old`, on update).
 * The CRD is validated after the server-side defaults (singular, listKind, conversion strategy).
 */
export function validateCrd(crd: KubeObject, old?: KubeObject): Cause[] {
  const errs: Cause[] = [];
  const c = cloneJson(crd);
  applyCrdDefaults(c);
  const isV1 = (c.apiVersion ?? V1) === V1;
  const spec = isObject(c.spec) ? (c.spec as CrdSpec & Record<string, unknown>) : undefined;
  const meta = rec(c.metadata);

  // metadata.name
  const name = meta.name;
  const group = spec?.group;
  const plural = isObject(spec?.names) ? spec?.names?.plural : undefined;
  if (typeof name !== 'string' || name === '') {
    if (!meta.generateName) errs.push(E.required('metadata.name', 'name or generateName is required'));
  } else {
    for (const e of validateDns1123Subdomain(name)) errs.push(E.invalid('metadata.name', name, e));
    if (name !== `${plural ?? ''}.${group ?? ''}`) errs.push(E.invalid('metadata.name', name, 'must be spec.names.plural+"."+spec.group'));
  }

  if (!spec) {
    errs.push(E.required('spec'));
    return errs;
  }

  // group
  if (group === undefined || group === '') errs.push(E.required('spec.group'));
  else if (typeof group !== 'string') errs.push(E.invalid('spec.group', group, 'must be a string'));
  else {
    const ge = validateDns1123Subdomain(group);
    if (ge.length) errs.push(E.invalid('spec.group', group, ge.join(',')));
    else if (group.split('.').length < 2) errs.push(E.invalid('spec.group', group, 'should be a domain with at least one dot'));
    else if (PROTECTED_GROUP.test(group)) {
      const ann = rec(meta.annotations)[APPROVAL];
      const p = `metadata.annotations[${APPROVAL}]`;
      if (ann === undefined)
        errs.push(
          E.required(p, `protected groups must have approval annotation "${APPROVAL}", see https://github.com/kubernetes/enhancements/pull/1111`),
        );
      else if (typeof ann !== 'string' || !(ann.startsWith('unapproved') || /^https?:\/\/\S+$/.test(ann)))
        errs.push(E.invalid(p, ann, 'protected groups must have approval annotation with a URL or a value starting with "unapproved"'));
    }
  }

  // scope
  if (spec.scope === undefined || spec.scope === '') errs.push(E.required('spec.scope'));
  else if (spec.scope !== 'Cluster' && spec.scope !== 'Namespaced') errs.push(E.notSupported('spec.scope', spec.scope, ['Cluster', 'Namespaced']));

  // names
  validateNames(spec.names, 'spec.names', errs);

  // versions
  const rawVersions = spec.versions;
  let versions: CrdVersion[] = [];
  if (rawVersions !== undefined && !Array.isArray(rawVersions)) errs.push(E.invalid('spec.versions', rawVersions, 'must be a list'));
  else if (Array.isArray(rawVersions) && rawVersions.length) versions = rawVersions as CrdVersion[];
  else if (!isV1 && typeof spec.version === 'string' && spec.version) versions = crdVersions(c);
  if (versions.length === 0) errs.push(E.required('spec.versions', 'must have exactly one version marked as storage version'));
  else {
    const storageCount = versions.filter((v) => isObject(v) && v.storage === true).length;
    if (storageCount !== 1) errs.push(E.invalid('spec.versions', versions, 'must have exactly one version marked as storage version'));
    const seen = new Set<string>();
    let dup = false;
    versions.forEach((v, i) => {
      const p = `spec.versions[${i}]`;
      if (!isObject(v)) {
        errs.push(E.invalid(p, v, 'must be an object'));
        return;
      }
      if (v.name === undefined || v.name === '') errs.push(E.required(`${p}.name`));
      else if (typeof v.name !== 'string') errs.push(E.invalid(`${p}.name`, v.name, 'must be a string'));
      else {
        const e = validateDns1035Label(v.name);
        if (e.length) errs.push(E.invalid(`${p}.name`, v.name, e.join(',')));
        if (seen.has(v.name)) dup = true;
        seen.add(v.name);
      }
      for (const f of ['served', 'storage', 'deprecated'] as const) {
        if (v[f] !== undefined && typeof v[f] !== 'boolean') errs.push(E.invalid(`${p}.${f}`, v[f], 'must be a boolean'));
      }
      if (v.deprecationWarning !== undefined && v.deprecationWarning !== null) {
        if (v.deprecated !== true) errs.push(E.forbidden(`${p}.deprecationWarning`, 'can only be set for deprecated versions'));
        else if (typeof v.deprecationWarning !== 'string') errs.push(E.invalid(`${p}.deprecationWarning`, v.deprecationWarning, 'must be a string'));
        else if (v.deprecationWarning.length > 256) errs.push(E.tooLong(`${p}.deprecationWarning`, 256));
        else if (/[\x00-\x1f\x7f]/.test(v.deprecationWarning))
          errs.push(E.invalid(`${p}.deprecationWarning`, v.deprecationWarning, 'must only contain printable UTF-8 characters'));
      }
      // schema
      const schema = v.schema?.openAPIV3Schema ?? (isV1 ? undefined : spec.validation?.openAPIV3Schema);
      if (schema === undefined || schema === null) {
        if (isV1) errs.push(E.required(`${p}.schema.openAPIV3Schema`, 'schemas are required'));
      } else {
        const sp = v.schema?.openAPIV3Schema !== undefined ? `${p}.schema.openAPIV3Schema` : 'spec.validation.openAPIV3Schema';
        errs.push(...validateCrdSchema(schema, sp, isV1));
      }
      // subresources
      const sub = v.subresources ?? (isV1 ? undefined : spec.subresources);
      if (sub !== undefined && sub !== null) {
        const sp = v.subresources !== undefined ? `${p}.subresources` : 'spec.subresources';
        if (!isObject(sub)) errs.push(E.invalid(sp, sub, 'must be an object'));
        else if (sub.scale !== undefined && sub.scale !== null) validateScale(sub.scale, `${sp}.scale`, errs);
      }
      // printer columns
      if (v.additionalPrinterColumns !== undefined) validateColumns(v.additionalPrinterColumns, `${p}.additionalPrinterColumns`, errs);
    });
    if (dup) errs.push(E.invalid('spec.versions', versions, 'must contain unique version names'));
  }
  if (!isV1 && spec.additionalPrinterColumns !== undefined) validateColumns(spec.additionalPrinterColumns, 'spec.additionalPrinterColumns', errs);

  if (isV1 && spec.preserveUnknownFields === true)
    errs.push(
      E.invalid('spec.preserveUnknownFields', true, 'cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead'),
    );
  validateConversion(spec.conversion, errs);

  // status.storedVersions must still be served by spec.versions
  const status = rec(c.status);
  const stored = Array.isArray(status.storedVersions) ? status.storedVersions : old ? rec(old.status).storedVersions : undefined;
  if (Array.isArray(stored)) {
    const names = new Set(versions.map((v) => (isObject(v) ? v.name : undefined)));
    stored.forEach((s, i) => {
      if (!names.has(s as string)) errs.push(E.invalid(`status.storedVersions[${i}]`, s, 'must appear in spec.versions'));
    });
  }

  // update rules
  if (old) {
    const os = rec(old.spec);
    if (os.scope !== undefined && spec.scope !== undefined && os.scope !== spec.scope)
      errs.push(E.invalid('spec.scope', spec.scope, 'field is immutable'));
  }
  return errs;
}

// ---------------------------------------------------------------------------------------------
// printing

const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const CREATION_TIMESTAMP_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

function textOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return goNumber(v);
  if (typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** The value of one printer-column cell for the given column type and JSONPath results. */
export function printerCell(type: string, results: unknown[], now: Date): unknown {
  const vals = results.filter((x) => x !== undefined && x !== null);
  if (vals.length === 0) return null;
  const first = vals[0];
  switch (type) {
    case 'string':
      return vals.map(textOf).join(',');
    case 'integer':
      return typeof first === 'number' && Number.isFinite(first) ? Math.trunc(first) : null;
    case 'number':
      return typeof first === 'number' ? first : null;
    case 'boolean':
      return typeof first === 'boolean' ? first : null;
    case 'date': {
      if (typeof first !== 'string') return null;
      if (Number.isNaN(Date.parse(first))) return '<invalid>';
      return humanAge(first, now);
    }
    default:
      return null;
  }
}

/**
 * A TablePrinter for a CRD version: a leading Name column, then additionalPrinterColumns (or an Age column
 * from .metadata.creationTimestamp when none are defined). Missing values give null cells.
 */
export function crdTablePrinter(crd: KubeObject, version: string): TablePrinter {
  const v = findVersion(crd, version);
  let cols = columnsFor(crd, v);
  if (cols.length === 0) cols = [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: CREATION_TIMESTAMP_DESCRIPTION }];
  const columns: TableColumn[] = [{ name: 'Name', type: 'string', format: 'name', description: NAME_DESCRIPTION, priority: 0 }];
  const paths: (JsonPath | undefined)[] = [];
  for (const c of cols) {
    columns.push({
      name: c.name,
      type: (PRINTER_TYPES.includes(c.type) ? c.type : 'string') as TableColumn['type'],
      format: c.format ?? '',
      description: c.description ?? '',
      priority: typeof c.priority === 'number' ? c.priority : 0,
    });
    try {
      paths.push(parseJsonPath(c.jsonPath));
    } catch {
      paths.push(undefined);
    }
  }
  return {
    columns,
    cells(obj: KubeObject, now: Date): unknown[] {
      const out: unknown[] = [obj.metadata?.name ?? ''];
      cols.forEach((c, i) => {
        const p = paths[i];
        out.push(p ? printerCell(c.type, jsonPathQuery(obj, p), now) : null);
      });
      return out;
    },
  };
}

