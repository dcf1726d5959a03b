/**
 * OpenAPI v3 validation of objects against a TypeSchema with the messages and field paths of the
 * Kubernetes API server's custom resource validation (x-kubernetes-validations / CEL is not evaluated).
 */
import {
  validateDns1123Label,
  validateLabelValue,
  validateQualifiedName,
  type Cause,
  type StructSchema,
  type TypeSchema,
} from '@flotilla/apimachinery';
import * as E from './errors.js';
import { checkNumberFormat, checkStringFormat } from './formats.js';
import { compilePattern } from './regex.js';
import { additionalSchema, child, hasOwn, isObject, jsonTypeOf, cachedMetaSchema, propertiesOf, r } from './schema.js';

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao);
  if (ak.length !== Object.keys(bo).length) return false;
  return ak.every((k) => hasOwn(bo, k) && deepEqual(ao[k], bo[k]));
}

/** Canonical JSON (sorted keys) used for set/map uniqueness. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isObject(v))
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v === undefined ? null : v);
}

export interface ValidateOptions {
  /** Treat the root as a resource (metadata is ObjectMeta). Default: true when rootPath is ''. */
  resourceRoot?: boolean;
}

interface Ctx {
  ts: TypeSchema;
  errs: Cause[];
  depth: number;
}

const name = (path: string) => (path === '' ? 'body' : path);

/** Does `v` have the JSON type `t` ("number" accepts integers)? */
function typeMatches(t: string, v: unknown): boolean {
  const jt = jsonTypeOf(v);
  if (t === 'number') return jt === 'number' || jt === 'integer';
  return jt === t;
}

function isIntOrString(s: StructSchema): boolean {
  return s['x-kubernetes-int-or-string'] === true || s.format === 'int-or-string';
}

function validateNode(schema: StructSchema | undefined, v: unknown, path: string, ctx: Ctx, resourceRoot: boolean): void {
  const s = r(schema, ctx.ts);
  if (!s || ctx.depth > 200) return;
  ctx.depth++;
  try {
    validateResolved(s, v, path, ctx, resourceRoot);
  } finally {
    ctx.depth--;
  }
}

function validateResolved(s: StructSchema, v: unknown, path: string, ctx: Ctx, resourceRoot: boolean): void {
  const errs = ctx.errs;
  const nm = name(path);

  // --- nullable / type ---
  if (v === null || v === undefined) {
    if (s.nullable) return;
    if (isIntOrString(s) && s.format !== 'int-or-string') {
      errs.push(E.typeInvalid(path, 'null', `${nm} in body must be of type integer,string: "null"`));
      return;
    }
    if (s.type) {
      errs.push(E.typeInvalid(path, 'null', `${nm} in body must be of type ${s.type}: "null"`));
      return;
    }
  } else if (isIntOrString(s)) {
    const jt = jsonTypeOf(v);
    if (jt !== 'integer' && jt !== 'string') {
      errs.push(E.typeInvalid(path, jt, `${nm} in body must be of type integer,string: ${JSON.stringify(jt)}`));
      return;
    }
  } else if (s.type && !typeMatches(s.type, v)) {
    const jt = jsonTypeOf(v);
    errs.push(E.typeInvalid(path, jt, `${nm} in body must be of type ${s.type}: ${JSON.stringify(jt)}`));
    return;
  }

  // --- enum ---
  if (Array.isArray(s.enum) && s.enum.length > 0 && !s.enum.some((e) => deepEqual(e, v))) {
    errs.push(E.notSupported(path, v, s.enum));
  }

  // --- by JSON kind ---
  if (typeof v === 'string') validateString(s, v, path, nm, errs);
  else if (typeof v === 'number') validateNumber(s, v, path, nm, errs);
  else if (Array.isArray(v)) validateArray(s, v, path, nm, ctx);
  else if (isObject(v)) validateObjectNode(s, v, path, nm, ctx, resourceRoot);

  // --- junctors (value validations) ---
  validateJunctors(s, v, path, nm, ctx);
}

function validateString(s: StructSchema, v: string, path: string, nm: string, errs: Cause[]): void {
  if (s.format && !isIntOrString(s) && !checkStringFormat(s.format, v)) {
    errs.push(E.typeInvalid(path, v, `${nm} in body must be of type ${s.format}: ${JSON.stringify(v)}`));
  }
  const len = [...v].length;
  if (typeof s.maxLength === 'number' && len > s.maxLength) errs.push(E.tooLong(path, s.maxLength));
  if (typeof s.minLength === 'number' && len < s.minLength)
    errs.push(E.invalid(path, v, `${nm} in body should be at least ${s.minLength} chars long`));
  if (typeof s.pattern === 'string') {
    const re = compilePattern(s.pattern);
    if (re instanceof RegExp && !re.test(v)) errs.push(E.invalid(path, v, `${nm} in body should match '${s.pattern}'`));
  }
}

function validateNumber(s: StructSchema, v: number, path: string, nm: string, errs: Cause[]): void {
  if (s.format && !checkNumberFormat(s.format, v) && (s.type === 'integer' || s.type === 'number')) {
    errs.push(E.typeInvalid(path, v, `${nm} in body must be of type ${s.format}`));
  }
  if (typeof s.maximum === 'number') {
    const excl = s.exclusiveMaximum === true;
    if (excl ? v >= s.maximum : v > s.maximum)
      errs.push(E.invalid(path, v, `${nm} in body should be less than ${excl ? '' : 'or equal to '}${E.goFloat(s.maximum)}`));
  }
  if (typeof s.exclusiveMaximum === 'number' && v >= s.exclusiveMaximum)
    errs.push(E.invalid(path, v, `${nm} in body should be less than ${E.goFloat(s.exclusiveMaximum)}`));
  if (typeof s.minimum === 'number') {
    const excl = s.exclusiveMinimum === true;
    if (excl ? v <= s.minimum : v < s.minimum)
      errs.push(E.invalid(path, v, `${nm} in body should be greater than ${excl ? '' : 'or equal to '}${E.goFloat(s.minimum)}`));
  }
  if (typeof s.exclusiveMinimum === 'number' && v <= s.exclusiveMinimum)
    errs.push(E.invalid(path, v, `${nm} in body should be greater than ${E.goFloat(s.exclusiveMinimum)}`));
  if (typeof s.multipleOf === 'number' && s.multipleOf > 0) {
    const q = v / s.multipleOf;
    if (Math.abs(q - Math.round(q)) > 1e-9 * Math.max(1, Math.abs(q)))
      errs.push(E.invalid(path, v, `${nm} in body should be a multiple of ${E.goFloat(s.multipleOf)}`));
  }
}

function validateArray(s: StructSchema, v: unknown[], path: string, nm: string, ctx: Ctx): void {
  const errs = ctx.errs;
  if (typeof s.maxItems === 'number' && v.length > s.maxItems) errs.push(E.tooMany(path, v.length, s.maxItems));
  if (typeof s.minItems === 'number' && v.length < s.minItems)
    errs.push(E.invalid(path, v.length, `${nm} in body should have at least ${s.minItems} items`));
  if (s.uniqueItems === true) {
    const seen = new Set<string>();
    for (const x of v) {
      const k = canonicalJson(x);
      if (seen.has(k)) {
        errs.push(E.invalid(path, v, `${nm} in body shouldn't contain duplicates`));
        break;
      }
      seen.add(k);
    }
  }
  if (s.items && !Array.isArray(s.items)) {
    v.forEach((x, i) => validateNode(s.items, x, `${path}[${i}]`, ctx, false));
  }
  const lt = s['x-kubernetes-list-type'];
  if (lt === 'set') {
    const seen = new Set<string>();
    v.forEach((x, i) => {
      const k = canonicalJson(x);
      if (seen.has(k)) errs.push(E.duplicate(`${path}[${i}]`, x));
      else seen.add(k);
    });
  } else if (lt === 'map') {
    const keys = s['x-kubernetes-list-map-keys'] ?? [];
    if (keys.length) {
      const itemSchema = r(s.items, ctx.ts);
      const seen = new Set<string>();
      v.forEach((x, i) => {
        if (!isObject(x)) return;
        const keyObj: Record<string, unknown> = {};
        for (const k of keys) {
          if (hasOwn(x, k)) keyObj[k] = x[k];
          else {
            const d = r(itemSchema?.properties?.[k], ctx.ts)?.default;
            if (d !== undefined) keyObj[k] = d;
          }
        }
        const id = canonicalJson(keys.map((k) => (hasOwn(keyObj, k) ? keyObj[k] : undefined)));
        if (seen.has(id)) errs.push(E.duplicate(`${path}[${i}]`, keyObj));
        else seen.add(id);
      });
    }
  }
}

function validateObjectNode(
  s: StructSchema,
  v: Record<string, unknown>,
  path: string,
  nm: string,
  ctx: Ctx,
  resourceRoot: boolean,
): void {
  const errs = ctx.errs;
  const embedded = s['x-kubernetes-embedded-resource'] === true;
  for (const req of s.required ?? []) {
    if (!hasOwn(v, req)) errs.push(E.required(child(path, req)));
  }
  const n = Object.keys(v).length;
  if (typeof s.maxProperties === 'number' && n > s.maxProperties) errs.push(E.tooMany(path, n, s.maxProperties));
  if (typeof s.minProperties === 'number' && n < s.minProperties)
    errs.push(E.invalid(path, n, `${nm} in body should have at least ${s.minProperties} properties`));

  if (embedded) validateEmbeddedResource(v, path, errs);

  const props = propertiesOf(s, ctx.ts);
  const ap = additionalSchema(s);
  const metaRoot = resourceRoot || embedded;
  for (const k of Object.keys(v)) {
    const p = child(path, k);
    if (metaRoot && k === 'metadata') {
      validateNode(cachedMetaSchema(r(props?.metadata, ctx.ts)), v[k], p, ctx, false);
      if (embedded && isObject(v[k])) validateEmbeddedMeta(v[k] as Record<string, unknown>, p, errs);
      continue;
    }
    if (props && hasOwn(props, k)) validateNode(props[k], v[k], p, ctx, false);
    else if (ap && ap !== true) validateNode(ap, v[k], p, ctx, false);
  }
}

function validateJunctors(s: StructSchema, v: unknown, path: string, nm: string, ctx: Ctx): void {
  const sub = (x: StructSchema): Cause[] => {
    const c: Ctx = { ts: ctx.ts, errs: [], depth: ctx.depth };
    validateNode(x, v, path, c, false);
    return c.errs;
  };
  if (s.allOf && s.allOf.length) {
    let failed = false;
    for (const x of s.allOf) {
      const e = sub(x);
      if (e.length) {
        failed = true;
        ctx.errs.push(...e);
      }
    }
    if (failed) ctx.errs.push(E.invalid(path, v, `${nm} in body must validate all the schemas (allOf)`));
  }
  if (s.anyOf && s.anyOf.length) {
    let best: Cause[] | undefined;
    let ok = false;
    for (const x of s.anyOf) {
      const e = sub(x);
      if (!e.length) {
        ok = true;
        break;
      }
      if (!best || e.length < best.length) best = e;
    }
    if (!ok) {
      ctx.errs.push(E.invalid(path, v, `${nm} in body must validate at least one schema (anyOf)`));
      if (best) ctx.errs.push(...best);
    }
  }
  if (s.oneOf && s.oneOf.length) {
    let matches = 0;
    let best: Cause[] | undefined;
    for (const x of s.oneOf) {
      const e = sub(x);
      if (!e.length) matches++;
      else if (!best || e.length < best.length) best = e;
    }
    if (matches !== 1) {
      ctx.errs.push(E.invalid(path, v, `${nm} in body must validate one and only one schema (oneOf)`));
      if (matches === 0 && best) ctx.errs.push(...best);
    }
  }
  if (s.not) {
    if (sub(s.not).length === 0) ctx.errs.push(E.invalid(path, v, `${nm} in body must not validate the schema (not)`));
  }
}

const dns1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** DNS-1035 label check with Kubernetes' messages. */
export function validateDns1035Label(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push('must be no more than 63 characters');
  if (!dns1035.test(v))
    errs.push(
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    );
  return errs;
}

/** Parses "group/version" or "version"; returns an error message or undefined. */
export function groupVersionError(apiVersion: string): string | undefined {
  const parts = apiVersion.split('/');
  if (parts.length > 2 || (parts.length === 2 && (parts[0] === '' || parts[1] === '')))
    return `unexpected GroupVersion string: ${apiVersion}`;
  return undefined;
}

function validateEmbeddedResource(v: Record<string, unknown>, path: string, errs: Cause[]): void {
  if (!hasOwn(v, 'apiVersion')) errs.push(E.required(child(path, 'apiVersion'), 'must not be empty'));
  if (!hasOwn(v, 'kind')) errs.push(E.required(child(path, 'kind'), 'must not be empty'));
  if (hasOwn(v, 'apiVersion')) {
    const av = v.apiVersion;
    const p = child(path, 'apiVersion');
    if (typeof av !== 'string') errs.push(E.invalid(p, av, 'must be a string'));
    else if (av === '') errs.push(E.invalid(p, av, 'must not be empty'));
    else {
      const e = groupVersionError(av);
      if (e) errs.push(E.invalid(p, av, e));
    }
  }
  if (hasOwn(v, 'kind')) {
    const k = v.kind;
    const p = child(path, 'kind');
    if (typeof k !== 'string') errs.push(E.invalid(p, k, 'must be a string'));
    else if (k === '') errs.push(E.invalid(p, k, 'must not be empty'));
    else {
      const e = validateDns1035Label(k.toLowerCase());
      if (e.length) errs.push(E.invalid(p, k, `may have mixed case, but should otherwise match: ${e.join(',')}`));
    }
  }
  if (hasOwn(v, 'metadata') && !isObject(v.metadata) && v.metadata !== null)
    errs.push(E.invalid(child(path, 'metadata'), v.metadata, 'must be an object'));
}

/** The parts of ObjectMeta validation that apply to embedded resources. */
function validateEmbeddedMeta(m: Record<string, unknown>, path: string, errs: Cause[]): void {
  for (const f of ['name', 'generateName'] as const) {
    const n = m[f];
    if (typeof n !== 'string' || n === '') continue;
    const p = child(path, f);
    if (n === '.' || n === '..') errs.push(E.invalid(p, n, `may not be '${n}'`));
    else {
      if (n.includes('/')) errs.push(E.invalid(p, n, "may not contain '/'"));
      if (n.includes('%')) errs.push(E.invalid(p, n, "may not contain '%'"));
    }
  }
  if (typeof m.namespace === 'string' && m.namespace !== '') {
    for (const e of validateDns1123Label(m.namespace)) errs.push(E.invalid(child(path, 'namespace'), m.namespace, e));
  }
  if (isObject(m.labels)) {
    for (const [k, val] of Object.entries(m.labels)) {
      for (const e of validateQualifiedName(k)) errs.push(E.invalid(child(path, 'labels'), k, e));
      if (typeof val === 'string') for (const e of validateLabelValue(val)) errs.push(E.invalid(`${child(path, 'labels')}`, val, e));
    }
  }
  if (isObject(m.annotations)) {
    for (const k of Object.keys(m.annotations)) {
      for (const e of validateQualifiedName(k.toLowerCase())) errs.push(E.invalid(child(path, 'annotations'), k, e));
    }
  }
}

/**
 * Validates `obj` against `schema` (OpenAPI v3 + Kubernetes extensions) and returns Kubernetes-style causes.
 * `rootPath` prefixes every field path (e.g. "spec" when validating only the spec).
 */
export function validateObject(schema: TypeSchema, obj: unknown, rootPath = '', opts: ValidateOptions = {}): Cause[] {
  const ctx: Ctx = { ts: schema, errs: [], depth: 0 };
  validateNode(schema.root, obj, rootPath, ctx, opts.resourceRoot ?? rootPath === '');
  return ctx.errs;
}

/** Validates a value against a single (possibly $ref'd) node of a TypeSchema. */
export function validateValue(schema: TypeSchema, node: StructSchema, value: unknown, path: string): Cause[] {
  const ctx: Ctx = { ts: schema, errs: [], depth: 0 };
  validateNode(node, value, path, ctx, false);
  return ctx.errs;
}
