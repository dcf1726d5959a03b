// Values: merging user-supplied values and coalescing them with chart defaults.
//
// * User values (values files, then --set-json, --set, --set-string, --set-file, --set-literal)
//   are merged in order: later maps are merged into earlier ones key by key, anything else
//   replaces.
// * Coalescing fills in a chart's defaults (values.yaml) under the user's values: user values win,
//   maps merge recursively, and a user value of null deletes the default key.
// * Each subchart's values live under its name (or alias) in the parent's values; the parent's
//   `global` map is copied into each subchart's `global` (the parent's entries win).
import { GoNum, isMap } from '@flotilla/gotemplate';
import { setProp } from './yaml.js';

export type Values = Record<string, unknown>;

export interface ValuesChart {
  name: string;
  values: Values;
  dependencies: ValuesChart[];
}

/** JSON.parse output is already in the Go value model (numbers are float64); kept for clarity. */
export function fromJsonModel(v: unknown): unknown {
  return v;
}

export function copyValue<T>(v: T): T {
  if (Array.isArray(v)) return v.map(copyValue) as T;
  if (isMap(v)) {
    const out: Values = {};
    for (const k of Object.keys(v)) setProp(out, k, copyValue(v[k]));
    return out as T;
  }
  return v;
}

/** Merges `src` into a copy of `dst` (Helm's handling of several values files and --set). */
export function mergeMaps(dst: Values, src: Values): Values {
  const out: Values = { ...dst };
  for (const k of Object.keys(src)) {
    const s = src[k];
    const d = out[k];
    if (isMap(s) && isMap(d)) setProp(out, k, mergeMaps(d, s));
    else setProp(out, k, s);
  }
  return out;
}

/** Fills `dst` (mutated) with entries of `src` it lacks; `dst` wins; a null in `dst` deletes the key. */
export function coalesceTables(dst: Values, src: Values): Values {
  for (const k of Object.keys(src)) {
    const sv = src[k];
    if (Object.prototype.hasOwnProperty.call(dst, k)) {
      const dv = dst[k];
      if (dv === null) {
        delete dst[k];
        continue;
      }
      if (isMap(dv) && isMap(sv)) coalesceTables(dv, sv);
    } else {
      setProp(dst, k, copyValue(sv));
    }
  }
  return dst;
}

function coalesceGlobals(dest: Values, parent: Values): void {
  const pg = isMap(parent['global']) ? parent['global'] : {};
  const dg: Values = isMap(dest['global']) ? dest['global'] : {};
  for (const k of Object.keys(pg)) {
    const pv = pg[k];
    const dv = dg[k];
    if (isMap(pv)) {
      const merged = copyValue(pv);
      if (isMap(dv)) coalesceTables(merged, dv);
      setProp(dg, k, merged);
    } else {
      setProp(dg, k, copyValue(pv));
    }
  }
  dest['global'] = dg;
}

/**
 * Coalesces a chart's defaults (and recursively its subcharts') into `dest` (mutated, returned).
 * `dest` holds the user's values for this chart.
 */
export function coalesceValues(chart: ValuesChart, dest: Values): Values {
  coalesceTables(dest, chart.values);
  for (const sub of chart.dependencies) {
    let sv = dest[sub.name];
    if (!isMap(sv)) {
      sv = {};
      setProp(dest, sub.name, sv);
    }
    coalesceGlobals(sv as Values, dest);
    coalesceValues(sub, sv as Values);
  }
  return dest;
}

/** Looks up a dotted path ("a.b.c") in a values tree; undefined when absent. */
export function pathValue(values: Values, path: string): unknown {
  let cur: unknown = values;
  for (const part of path.split('.')) {
    if (!isMap(cur) || !Object.prototype.hasOwnProperty.call(cur, part)) return undefined;
    cur = cur[part];
  }
  return cur;
}

/** Sets a dotted path, creating maps as needed. */
export function setPath(values: Values, path: string, v: unknown): void {
  const parts = path.split('.');
  let cur = values;
  for (const p of parts.slice(0, -1)) {
    let next = cur[p];
    if (!isMap(next)) {
      next = {};
      setProp(cur, p, next);
    }
    cur = next as Values;
  }
  setProp(cur, parts[parts.length - 1]!, v);
}

/** Converts a values tree to plain JSON data (int64 → number) for schema validation. */
export function toPlainJson(v: unknown): unknown {
  if (v instanceof GoNum) return Number(v.v);
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(toPlainJson);
  if (isMap(v)) {
    const out: Values = {};
    for (const k of Object.keys(v)) setProp(out, k, toPlainJson(v[k]));
    return out;
  }
  return v;
}
