/** Validation of ObjectMeta, labels, annotations and label selectors; selector matching and formatting. */
import type { Cause, KubeObject } from '@flotilla/apimachinery';
import { validateDns1123Label, validateDns1123Subdomain, validateLabelValue, validateQualifiedName } from '@flotilla/apimachinery';
import { asObj, forbidden, invalid, join, objs, required, str, tooLong, type Obj } from './validate-util.js';

export type NameValidator = (name: string, prefix: boolean) => string[];

/** Wraps a validator so that, for generateName prefixes, a trailing '-' is tolerated. */
export function nameValidator(fn: (v: string) => string[]): NameValidator {
  return (name, prefix) => {
    let n = name;
    if (prefix && n.endsWith('-')) n = n.slice(0, -1);
    if (prefix && n === '') return [];
    return fn(n);
  };
}

export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

export function validateLabels(labels: unknown, field: string): Cause[] {
  const errs: Cause[] = [];
  const m = asObj(labels);
  if (!m) return errs;
  for (const [k, v] of Object.entries(m)) {
    for (const msg of validateQualifiedName(k)) errs.push(invalid(field, k, msg));
    if (typeof v !== 'string') {
      errs.push(invalid(field, v, 'must be a string'));
      continue;
    }
    for (const msg of validateLabelValue(v)) errs.push(invalid(field, v, msg));
  }
  return errs;
}

export function validateAnnotations(annotations: unknown, field: string): Cause[] {
  const errs: Cause[] = [];
  const m = asObj(annotations);
  if (!m) return errs;
  let total = 0;
  for (const [k, v] of Object.entries(m)) {
    for (const msg of validateQualifiedName(k.toLowerCase())) errs.push(invalid(field, k, msg));
    total += Buffer.byteLength(k) + Buffer.byteLength(typeof v === 'string' ? v : String(v ?? ''));
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(tooLong(field, TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

export interface MetaOptions {
  namespaced: boolean;
  nameFn: NameValidator;
}

/** Validates metadata of a new object. `path` is normally "metadata". */
export function validateObjectMeta(meta: unknown, opts: MetaOptions, path = 'metadata'): Cause[] {
  const errs: Cause[] = [];
  const m = asObj(meta) ?? {};
  const name = str(m.name);
  const generateName = str(m.generateName);
  if (name === '' && generateName === '') errs.push(required(join(path, 'name'), 'name or generateName is required'));
  if (generateName !== '')
    for (const msg of opts.nameFn(generateName, true)) errs.push(invalid(join(path, 'generateName'), generateName, msg));
  if (name !== '') for (const msg of opts.nameFn(name, false)) errs.push(invalid(join(path, 'name'), name, msg));
  const ns = str(m.namespace);
  if (opts.namespaced) {
    if (ns === '') errs.push(required(join(path, 'namespace')));
    else for (const msg of validateDns1123Label(ns)) errs.push(invalid(join(path, 'namespace'), ns, msg));
  } else if (ns !== '') {
    errs.push(forbidden(join(path, 'namespace'), 'not allowed on this type'));
  }
  errs.push(...validateLabels(m.labels, join(path, 'labels')));
  errs.push(...validateAnnotations(m.annotations, join(path, 'annotations')));
  if (Array.isArray(m.finalizers))
    for (const f of m.finalizers) {
      const fs = typeof f === 'string' ? f : '';
      for (const msg of validateQualifiedName(fs)) errs.push(invalid(join(path, 'finalizers'), fs, msg));
    }
  errs.push(...validateOwnerReferences(m.ownerReferences, join(path, 'ownerReferences')));
  return errs;
}

function validateOwnerReferences(refs: unknown, field: string): Cause[] {
  const errs: Cause[] = [];
  const controllers: string[] = [];
  for (const r of objs(refs)) {
    if (str(r.apiVersion) === '') errs.push(invalid(join(field, 'apiVersion'), str(r.apiVersion), 'version must not be empty'));
    if (str(r.kind) === '') errs.push(invalid(join(field, 'kind'), str(r.kind), 'kind must not be empty'));
    if (str(r.name) === '') errs.push(invalid(join(field, 'name'), str(r.name), 'name must not be empty'));
    if (str(r.uid) === '') errs.push(invalid(join(field, 'uid'), str(r.uid), 'uid must not be empty'));
    if (r.controller === true) controllers.push(`${str(r.kind)}/${str(r.name)}`);
  }
  if (controllers.length > 1)
    errs.push(
      invalid(
        field,
        refs,
        `Only one reference can have Controller set to true. Found "true" in references for ${controllers.join(' and ')}`,
      ),
    );
  return errs;
}

/** Update checks on metadata: name and namespace cannot change. */
export function validateObjectMetaUpdate(newMeta: unknown, oldMeta: unknown, path = 'metadata'): Cause[] {
  const errs: Cause[] = [];
  const n = asObj(newMeta) ?? {};
  const o = asObj(oldMeta) ?? {};
  for (const f of ['name', 'namespace'] as const) {
    if (o[f] !== undefined && n[f] !== undefined && o[f] !== n[f]) errs.push(invalid(join(path, f), n[f], 'field is immutable'));
  }
  return errs;
}

// ---------------------------------------------------------------------------------------------------------------
// Label selectors

export function validateLabelSelector(sel: unknown, field: string): Cause[] {
  const errs: Cause[] = [];
  const s = asObj(sel);
  if (!s) return errs;
  errs.push(...validateLabels(s.matchLabels, join(field, 'matchLabels')));
  objs(s.matchExpressions).forEach((e, i) => {
    const p = `${field}.matchExpressions[${i}]`;
    const op = str(e.operator);
    const values = Array.isArray(e.values) ? e.values : [];
    if (op === 'In' || op === 'NotIn') {
      if (values.length === 0) errs.push(required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (op === 'Exists' || op === 'DoesNotExist') {
      if (values.length > 0) errs.push(forbidden(`${p}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    } else {
      errs.push(invalid(`${p}.operator`, op, 'not a valid selector operator'));
    }
    for (const msg of validateQualifiedName(str(e.key))) errs.push(invalid(`${p}.key`, str(e.key), msg));
    values.forEach((v, j) => {
      if (typeof v !== 'string') return;
      for (const msg of validateLabelValue(v)) errs.push(invalid(`${p}.values[${j}]`, v, msg));
    });
  });
  return errs;
}

export function selectorIsEmpty(sel: unknown): boolean {
  const s = asObj(sel);
  if (!s) return true;
  const ml = asObj(s.matchLabels);
  return (!ml || Object.keys(ml).length === 0) && objs(s.matchExpressions).length === 0;
}

/** Whether a metav1.LabelSelector matches a set of labels (an empty selector matches everything). */
export function selectorMatches(sel: unknown, labels: Record<string, unknown> | undefined): boolean {
  const s = asObj(sel) ?? {};
  const l = labels ?? {};
  for (const [k, v] of Object.entries(asObj(s.matchLabels) ?? {})) if (l[k] !== v) return false;
  for (const e of objs(s.matchExpressions)) {
    const k = str(e.key);
    const has = Object.prototype.hasOwnProperty.call(l, k);
    const values = Array.isArray(e.values) ? e.values : [];
    switch (e.operator) {
      case 'In':
        if (!has || !values.includes(l[k])) return false;
        break;
      case 'NotIn':
        if (has && values.includes(l[k])) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/**
 * A metav1.LabelSelector as the selector string kubectl prints ("app=web,tier in (a,b)"), requirements sorted by
 * key; "<none>" for a missing selector.
 */
export function formatLabelSelector(sel: unknown): string {
  const s = asObj(sel);
  if (!s) return '<none>';
  const reqs: { key: string; text: string }[] = [];
  for (const [k, v] of Object.entries(asObj(s.matchLabels) ?? {})) reqs.push({ key: k, text: `${k}=${String(v)}` });
  for (const e of objs(s.matchExpressions)) {
    const k = str(e.key);
    const values = (Array.isArray(e.values) ? e.values.map(String) : []).sort();
    switch (e.operator) {
      case 'In':
        reqs.push({ key: k, text: `${k} in (${values.join(',')})` });
        break;
      case 'NotIn':
        reqs.push({ key: k, text: `${k} notin (${values.join(',')})` });
        break;
      case 'Exists':
        reqs.push({ key: k, text: k });
        break;
      case 'DoesNotExist':
        reqs.push({ key: k, text: `!${k}` });
        break;
      default:
        break;
    }
  }
  if (reqs.length === 0) return '<none>';
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return reqs.map((r) => r.text).join(',');
}

/** A plain label map as "k=v,k2=v2" sorted by key, "<none>" when empty. */
export function formatLabelMap(m: unknown): string {
  const o = asObj(m);
  if (!o || Object.keys(o).length === 0) return '<none>';
  return Object.keys(o)
    .sort()
    .map((k) => `${k}=${String(o[k])}`)
    .join(',');
}

export function metaOf(obj: KubeObject | undefined): Obj {
  return (asObj(obj?.metadata) ?? {}) as Obj;
}

export { validateDns1123Label, validateDns1123Subdomain };
