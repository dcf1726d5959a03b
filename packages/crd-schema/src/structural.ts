/**
 * Validation of a CRD's openAPIV3Schema: the general restrictions on CRD schemas and the
 * structural-schema rules (Kubernetes docs, "Specifying a structural schema").
 */
import type { Cause, StructSchema, TypeSchema } from '@flotilla/apimachinery';
import * as E from './errors.js';
import { findUnknownAt } from './prune.js';
import { compilePattern } from './regex.js';
import { hasOwn, isObject } from './schema.js';
import { validateValue } from './validate.js';

const TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string'];
const UNSUPPORTED_KEYS = ['id', '$schema', '$ref', 'patternProperties', 'dependencies', 'additionalItems', 'definitions'];
const JUNCTORS = ['allOf', 'anyOf', 'oneOf'] as const;

type Level = 'root' | 'field' | 'items';

interface Ctx {
  errs: Cause[];
  structural: boolean;
  ts: TypeSchema;
}

const rec = (v: unknown): Record<string, unknown> => (isObject(v) ? v : {});

function isIntOrStringAnyOf(v: unknown): boolean {
  if (!Array.isArray(v) || v.length !== 2) return false;
  const [a, b] = v;
  const only = (x: unknown, t: string) => isObject(x) && x.type === t && Object.keys(x).length === 1;
  return only(a, 'integer') && only(b, 'string');
}

/** General (non-structural) restrictions that hold for every node, including ones inside junctors. */
function generalChecks(s: Record<string, unknown>, path: string, ctx: Ctx): void {
  const errs = ctx.errs;
  for (const k of UNSUPPORTED_KEYS) {
    if (!hasOwn(s, k)) continue;
    const v = s[k];
    const empty = v === '' || v === null || (isObject(v) && Object.keys(v).length === 0 && k !== 'additionalItems');
    if (!empty) errs.push(E.forbidden(`${path}.${k}`, `${k} is not supported`));
  }
  if (hasOwn(s, 'type')) {
    const t = s.type;
    if (t === 'null') errs.push(E.forbidden(`${path}.type`, 'type cannot be set to null, use nullable as an alternative'));
    else if (t !== '' && (typeof t !== 'string' || !TYPES.includes(t))) errs.push(E.notSupported(`${path}.type`, t, TYPES));
  }
  if (Array.isArray(s.items)) errs.push(E.forbidden(`${path}.items`, 'items must be a schema object and not an array'));
  if (s.uniqueItems === true)
    errs.push(E.forbidden(`${path}.uniqueItems`, 'uniqueItems cannot be set to true since the runtime complexity becomes quadratic'));
  if (s.additionalProperties === false)
    errs.push(E.forbidden(`${path}.additionalProperties`, 'additionalProperties cannot be set to false'));
  if (isObject(s.properties) && Object.keys(s.properties).length > 0 && s.additionalProperties !== undefined && s.additionalProperties !== false)
    errs.push(E.forbidden(`${path}.additionalProperties`, 'additionalProperties and properties are mutual exclusive'));
  if (hasOwn(s, 'pattern')) {
    if (typeof s.pattern !== 'string') errs.push(E.invalid(`${path}.pattern`, s.pattern, 'must be a string'));
    else {
      const re = compilePattern(s.pattern);
      if (re instanceof Error)
        errs.push(E.invalid(`${path}.pattern`, s.pattern, `must be a valid regular expression, but isn't: ${re.message}`));
    }
  }
  if (hasOwn(s, 'required') && !(Array.isArray(s.required) && s.required.every((x) => typeof x === 'string')))
    errs.push(E.invalid(`${path}.required`, s.required, 'must be a list of strings'));
  for (const k of ['minimum', 'maximum', 'multipleOf'] as const) {
    if (hasOwn(s, k) && typeof s[k] !== 'number') errs.push(E.invalid(`${path}.${k}`, s[k], 'must be a number'));
  }
  if (typeof s.multipleOf === 'number' && s.multipleOf <= 0)
    errs.push(E.invalid(`${path}.multipleOf`, s.multipleOf, 'must be greater than zero'));
  for (const k of ['minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties'] as const) {
    if (hasOwn(s, k) && !(typeof s[k] === 'number' && Number.isInteger(s[k]) && (s[k] as number) >= 0))
      errs.push(E.invalid(`${path}.${k}`, s[k], 'must be a non-negative integer'));
  }
  if (s['x-kubernetes-preserve-unknown-fields'] === false)
    errs.push(E.invalid(`${path}.x-kubernetes-preserve-unknown-fields`, false, 'must be true or undefined'));
}

/** Structural rules 2 and 3 for a value validation `vv` (inside a junctor) against its structural counterpart `st`. */
function checkValueValidation(vvRaw: unknown, stRaw: unknown, vvPath: string, stPath: string, ctx: Ctx, depth: number): void {
  if (!isObject(vvRaw) || depth > 64) return;
  const vv = vvRaw;
  const st = rec(stRaw);
  const errs = ctx.errs;
  generalChecks(vv, vvPath, ctx);
  if (!ctx.structural) return;
  if (typeof vv.type === 'string' && vv.type !== '') errs.push(E.forbidden(`${vvPath}.type`, 'must be empty to be structural'));
  if (typeof vv.description === 'string' && vv.description !== '')
    errs.push(E.forbidden(`${vvPath}.description`, 'must be empty to be structural'));
  if (hasOwn(vv, 'default')) errs.push(E.forbidden(`${vvPath}.default`, 'must be undefined to be structural'));
  if (hasOwn(vv, 'additionalProperties') && vv.additionalProperties !== undefined)
    errs.push(E.forbidden(`${vvPath}.additionalProperties`, 'must be undefined to be structural'));
  if (vv.nullable === true) errs.push(E.forbidden(`${vvPath}.nullable`, 'must be false to be structural'));
  for (const k of ['x-kubernetes-preserve-unknown-fields', 'x-kubernetes-embedded-resource', 'x-kubernetes-int-or-string']) {
    if (vv[k] === true) errs.push(E.forbidden(`${vvPath}.${k}`, 'must be false to be structural'));
  }
  for (const k of ['x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-map-type']) {
    if (hasOwn(vv, k)) errs.push(E.forbidden(`${vvPath}.${k}`, 'must be undefined to be structural'));
  }
  if (isObject(vv.properties)) {
    const sp = rec(st.properties);
    for (const [k, v] of Object.entries(vv.properties)) {
      if (!hasOwn(sp, k) && !isObject(st.additionalProperties)) {
        errs.push(E.required(`${stPath}.properties[${k}]`, 'must be specified'));
        checkValueValidation(v, undefined, `${vvPath}.properties[${k}]`, `${stPath}.properties[${k}]`, ctx, depth + 1);
      } else {
        const counterpart = hasOwn(sp, k) ? sp[k] : st.additionalProperties;
        checkValueValidation(v, counterpart, `${vvPath}.properties[${k}]`, hasOwn(sp, k) ? `${stPath}.properties[${k}]` : `${stPath}.additionalProperties`, ctx, depth + 1);
      }
    }
  }
  if (isObject(vv.items)) {
    if (!isObject(st.items)) errs.push(E.required(`${stPath}.items`, 'must be specified'));
    checkValueValidation(vv.items, st.items, `${vvPath}.items`, `${stPath}.items`, ctx, depth + 1);
  }
  checkJunctors(vv, st, vvPath, stPath, ctx, depth + 1, false);
}

function checkJunctors(node: Record<string, unknown>, st: Record<string, unknown>, path: string, stPath: string, ctx: Ctx, depth: number, intOrString: boolean): void {
  for (const j of JUNCTORS) {
    const list = node[j];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      ctx.errs.push(E.invalid(`${path}.${j}`, list, 'must be a list of schemas'));
      continue;
    }
    if (intOrString && j === 'anyOf' && isIntOrStringAnyOf(list)) continue;
    list.forEach((x, i) => {
      if (intOrString && j === 'allOf' && i === 0 && isObject(x) && Object.keys(x).length === 1 && isIntOrStringAnyOf(x.anyOf)) return;
      checkValueValidation(x, st, `${path}.${j}[${i}]`, stPath, ctx, depth);
    });
  }
  if (node.not !== undefined) checkValueValidation(node.not, st, `${path}.not`, stPath, ctx, depth);
}

const typeRequiredMsg: Record<Level, string> = {
  root: 'must not be empty at the root',
  field: 'must not be empty for specified object fields',
  items: 'must not be empty for specified array items',
};

function checkMetadata(meta: unknown, path: string, ctx: Ctx): void {
  if (!isObject(meta)) return;
  const allowedKeys = new Set(['type', 'description', 'title', 'properties']);
  let bad = Object.keys(meta).some((k) => !allowedKeys.has(k));
  if (meta.type !== undefined && meta.type !== 'object') bad = true;
  const props = rec(meta.properties);
  if (Object.keys(props).some((k) => k !== 'name' && k !== 'generateName')) bad = true;
  if (bad)
    ctx.errs.push(
      E.forbidden(path, 'must not specify anything other than name and generateName, but metadata is implicitly specified'),
    );
  for (const k of ['name', 'generateName']) {
    const p = rec(props[k]);
    if (typeof p.type === 'string' && p.type !== '' && p.type !== 'string')
      ctx.errs.push(E.invalid(`${path}.properties[${k}].type`, p.type, 'must be string'));
  }
}

function checkListType(s: Record<string, unknown>, path: string, ctx: Ctx): void {
  const errs = ctx.errs;
  const lt = s['x-kubernetes-list-type'];
  const keys = s['x-kubernetes-list-map-keys'];
  const items = rec(s.items);
  if (lt !== undefined) {
    if (lt !== 'atomic' && lt !== 'set' && lt !== 'map') errs.push(E.notSupported(`${path}.x-kubernetes-list-type`, lt, ['atomic', 'set', 'map']));
    else if (s.type !== 'array') errs.push(E.invalid(`${path}.x-kubernetes-list-type`, lt, 'must only be used on type array'));
  }
  if (lt === 'map') {
    if (!Array.isArray(keys) || keys.length === 0)
      errs.push(E.required(`${path}.x-kubernetes-list-map-keys`, 'must not be empty if x-kubernetes-list-type is map'));
    if (isObject(s.items) && items.type !== 'object' && !(items['x-kubernetes-preserve-unknown-fields'] === true && items.type === undefined))
      errs.push(E.invalid(`${path}.items.type`, items.type ?? '', "must be object if parent array's x-kubernetes-list-type is map"));
    if (Array.isArray(keys) && keys.length) {
      if (new Set(keys).size !== keys.length) errs.push(E.invalid(`${path}.x-kubernetes-list-map-keys`, keys, 'must not contain duplicate entries'));
      const props = rec(items.properties);
      const required = Array.isArray(items.required) ? items.required : [];
      if (!keys.every((k) => typeof k === 'string' && hasOwn(props, k)))
        errs.push(E.invalid(`${path}.x-kubernetes-list-map-keys`, keys, 'entries must all be names of item properties'));
      for (const k of keys) {
        if (typeof k !== 'string' || !hasOwn(props, k)) continue;
        const ps = rec(props[k]);
        if (ps.type === 'object' || ps.type === 'array')
          errs.push(E.invalid(`${path}.items.properties[${k}].type`, ps.type, "must be a scalar type if parent array's x-kubernetes-list-type is map"));
        if (!required.includes(k) && ps.default === undefined)
          errs.push(E.required(`${path}.items.properties[${k}]`, 'this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property'));
      }
    }
  } else if (keys !== undefined) {
    errs.push(E.forbidden(`${path}.x-kubernetes-list-map-keys`, 'must only be used if x-kubernetes-list-type is "map"'));
  }
  if (lt === 'set' && isObject(s.items)) {
    if (items.type === 'object' && items['x-kubernetes-map-type'] !== 'atomic')
      errs.push(
        items['x-kubernetes-map-type'] === undefined
          ? E.required(`${path}.items.x-kubernetes-map-type`, 'must be atomic as item of a list with x-kubernetes-list-type=set')
          : E.invalid(`${path}.items.x-kubernetes-map-type`, items['x-kubernetes-map-type'], 'must be atomic as item of a list with x-kubernetes-list-type=set'),
      );
    if (items.type === 'array' && items['x-kubernetes-list-type'] !== 'atomic')
      errs.push(
        E.invalid(`${path}.items.x-kubernetes-list-type`, items['x-kubernetes-list-type'] ?? '', 'must be atomic as item of a list with x-kubernetes-list-type=set'),
      );
  }
  const mt = s['x-kubernetes-map-type'];
  if (mt !== undefined) {
    if (mt !== 'atomic' && mt !== 'granular') errs.push(E.notSupported(`${path}.x-kubernetes-map-type`, mt, ['atomic', 'granular']));
    else if (s.type !== 'object') errs.push(E.invalid(`${path}.x-kubernetes-map-type`, mt, 'must only be used on type object'));
  }
}

function checkDefault(s: Record<string, unknown>, path: string, ctx: Ctx): void {
  if (!hasOwn(s, 'default')) return;
  const node = s as StructSchema;
  const d = s.default;
  const ts: TypeSchema = { root: node, resolve: () => undefined };
  for (const c of validateValue(ts, node, d, `${path}.default`)) ctx.errs.push(c);
  for (const p of findUnknownAt(ts, node, d, false)) ctx.errs.push(E.invalid(`${path}.default`, d, `unknown field ${JSON.stringify(p.replace(/^\./, ''))}`));
}

function walk(raw: unknown, path: string, level: Level, ctx: Ctx, depth: number, inMetadata: boolean): void {
  if (depth > 64) return;
  if (!isObject(raw)) {
    if (raw !== undefined) ctx.errs.push(E.invalid(path, raw, 'must be a schema object'));
    return;
  }
  const s = raw;
  const errs = ctx.errs;
  generalChecks(s, path, ctx);
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  const embedded = s['x-kubernetes-embedded-resource'] === true;
  const type = typeof s.type === 'string' ? s.type : '';

  if (ctx.structural) {
    if (level === 'root') {
      if (type === '') errs.push(E.required(`${path}.type`, typeRequiredMsg.root));
      else if (type !== 'object') errs.push(E.invalid(`${path}.type`, type, 'must be object at the root'));
      if (intOrString) errs.push(E.forbidden(`${path}.x-kubernetes-int-or-string`, 'must be false at the root'));
      if (embedded) errs.push(E.forbidden(`${path}.x-kubernetes-embedded-resource`, 'must be false at the root'));
    } else if (type === '' && !intOrString && !preserve) {
      errs.push(E.required(`${path}.type`, typeRequiredMsg[level]));
    }
    if (intOrString && type !== '') errs.push(E.invalid(`${path}.type`, type, 'must be empty if x-kubernetes-int-or-string is true'));
    if (embedded) {
      if (type !== 'object') errs.push(E.invalid(`${path}.type`, type, 'must be object if x-kubernetes-embedded-resource is true'));
      if ((!isObject(s.properties) || Object.keys(s.properties).length === 0) && !preserve)
        errs.push(E.required(`${path}.properties`, 'must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields'));
    }
    if (type === 'array' && !isObject(s.items) && !Array.isArray(s.items)) errs.push(E.required(`${path}.items`, 'must be specified'));
    checkListType(s, path, ctx);
    if (!inMetadata) checkDefault(s, path, ctx);
  }

  const resourceRoot = level === 'root' || embedded;
  if (isObject(s.properties)) {
    const props = s.properties;
    if (ctx.structural && resourceRoot) {
      if (hasOwn(props, 'metadata')) checkMetadata(props.metadata, `${path}.properties[metadata]`, ctx);
      for (const k of ['apiVersion', 'kind']) {
        const t = rec(props[k]).type;
        if (hasOwn(props, k) && typeof t === 'string' && t !== '' && t !== 'string')
          errs.push(E.invalid(`${path}.properties[${k}].type`, t, 'must be string'));
      }
    }
    for (const [k, v] of Object.entries(props)) {
      walk(v, `${path}.properties[${k}]`, 'field', ctx, depth + 1, inMetadata || (resourceRoot && k === 'metadata'));
    }
  } else if (s.properties !== undefined) {
    errs.push(E.invalid(`${path}.properties`, s.properties, 'must be a map of schemas'));
  }
  if (isObject(s.additionalProperties)) walk(s.additionalProperties, `${path}.additionalProperties`, 'field', ctx, depth + 1, inMetadata);
  if (isObject(s.items)) walk(s.items, `${path}.items`, 'items', ctx, depth + 1, inMetadata);
  checkJunctors(s, s, path, path, ctx, depth + 1, intOrString);
}

/**
 * Validates a CRD version's openAPIV3Schema found at `path`. With `structural` (apiextensions.k8s.io/v1)
 * the structural-schema rules are enforced as well.
 */
export function validateCrdSchema(schema: unknown, path: string, structural = true): Cause[] {
  const ctx: Ctx = { errs: [], structural, ts: { root: {}, resolve: () => undefined } };
  walk(schema, path, 'root', ctx, 0, false);
  return ctx.errs;
}

/** Is the schema structural? (no violations of the structural rules) */
export function isStructural(schema: unknown): boolean {
  return validateCrdSchema(schema, 'openAPIV3Schema', true).length === 0;
}
