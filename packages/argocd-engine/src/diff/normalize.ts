/**
 * Normalisation applied to both sides before comparing, as Argo CD's documentation describes:
 * metadata the server owns, status (per `resource.compareoptions`), Secret `stringData` folded into
 * `data`, numerically equal quantities, and empty versus absent maps/lists.
 */
import { parseQuantity } from '@flotilla/k8s-builtins';
import { canonicalQuantity } from './quantity.js';
import { ANNOTATIONS, type KubeObject } from '../types.js';
import type { CompareOptions } from '../settings/types.js';
import { deepEqual, isObj, type JsonObject } from './jsonutil.js';

const SERVER_METADATA = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds'];

export function groupOf(obj: KubeObject | null | undefined): string {
  const v = obj?.apiVersion ?? '';
  const i = v.indexOf('/');
  return i < 0 ? '' : v.slice(0, i);
}

/** Drops what the server owns (and the last-applied annotation); mutates `obj`. */
export function stripServerFields(obj: KubeObject): void {
  const md = obj.metadata as JsonObject | undefined;
  if (!md) return;
  for (const f of SERVER_METADATA) delete md[f];
  const ann = md.annotations as Record<string, string> | undefined;
  if (ann && ANNOTATIONS.lastApplied in ann) {
    delete ann[ANNOTATIONS.lastApplied];
    if (Object.keys(ann).length === 0) delete md.annotations;
  }
}

/** Removes `status` when the compare options say so; mutates `obj`. */
export function stripStatus(obj: KubeObject, opts: CompareOptions | undefined): void {
  const mode = opts?.ignoreResourceStatusField ?? 'all';
  if (mode === 'all' || (mode === 'crd' && obj.kind === 'CustomResourceDefinition' && groupOf(obj) === 'apiextensions.k8s.io')) delete obj.status;
}

/** Secret `stringData` is written into `data` by the server: do the same to the target. */
export function foldStringData(obj: KubeObject): void {
  if (obj.kind !== 'Secret' || groupOf(obj) !== '' || !isObj(obj.stringData)) return;
  const data: Record<string, unknown> = isObj(obj.data) ? { ...obj.data } : {};
  for (const [k, v] of Object.entries(obj.stringData)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
  obj.data = data;
  delete obj.stringData;
}

/** Keys whose values are resource.Quantity maps (resources, quotas, limit ranges, capacity). */
const QUANTITY_MAPS = new Set(['limits', 'requests', 'hard', 'used', 'capacity', 'allocatable', 'default', 'defaultRequest', 'max', 'min', 'maxLimitRequestRatio', 'overhead']);
const QUANTITY_KEYS = new Set(['sizeLimit', 'storage']);

function isQuantityLike(v: unknown): v is string | number {
  return typeof v === 'number' || (typeof v === 'string' && /^[+-]?[0-9.]/.test(v));
}

function sameQuantity(a: unknown, b: unknown): boolean {
  if (!isQuantityLike(a) || !isQuantityLike(b)) return false;
  const x = parseQuantity(a);
  const y = parseQuantity(b);
  if (x === undefined || y === undefined) return false;
  return x === y || Math.abs(x - y) <= Math.abs(x) * 1e-12;
}

function isEmpty(v: unknown): boolean {
  return v === null || (Array.isArray(v) && v.length === 0) || (isObj(v) && Object.keys(v).length === 0);
}

/**
 * Walks the predicted and the live object together and removes differences that are not
 * differences: a quantity written another way (`0.5` vs `500m`, `1024Mi` vs `1Gi`) takes the live
 * spelling, and an empty map/list/null on one side where the other has nothing is dropped.
 * Mutates `predicted` and `live`.
 */
export function reconcileEquivalents(predicted: unknown, live: unknown, parentKey = ''): void {
  if (isObj(predicted) && isObj(live)) {
    for (const k of Object.keys(predicted)) {
      if (!(k in live)) {
        if (isEmpty(predicted[k])) delete predicted[k];
        continue;
      }
      const pv = predicted[k];
      const lv = live[k];
      if (pv !== lv && (QUANTITY_MAPS.has(parentKey) || QUANTITY_KEYS.has(k)) && isQuantityLike(pv)) {
        if (sameQuantity(pv, lv)) predicted[k] = lv;
        else predicted[k] = canonicalQuantity(pv) ?? pv;
        continue;
      }
      reconcileEquivalents(pv, lv, k);
    }
    for (const k of Object.keys(live)) if (!(k in predicted) && isEmpty(live[k])) delete live[k];
    return;
  }
  if (Array.isArray(predicted) && Array.isArray(live) && predicted.length === live.length) {
    for (let i = 0; i < predicted.length; i++) reconcileEquivalents(predicted[i], live[i], parentKey);
  }
}

export function objectsEqual(a: KubeObject | null, b: KubeObject | null): boolean {
  return deepEqual(a, b);
}
