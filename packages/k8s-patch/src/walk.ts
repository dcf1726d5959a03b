/**
 * Schema-aware walks over object values producing field sets (what server-side apply tracks):
 * which paths a value sets, and which paths changed between two values.
 */
import type { StructSchema, TypeSchema } from '@flotilla/apimachinery';
import { FieldSet, fieldPE, indexPE, keyPE, valuePE, type Path } from './fieldset.js';
import { deepEqual, hasOwn, isObject, type JsonObject } from './json.js';
import { isAtomicMap, itemSchema, propSchema, ssaListKind } from './schema.js';

/** Identity of a list element as a path element, or undefined when the list is atomic. */
export class Walker {
  /**
   * Identities to use for particular (applied) elements instead of the computed ones: set when an
   * applied element that omits some key fields was matched to a live element that has them.
   */
  readonly idOverrides = new WeakMap<object, string>();

  constructor(readonly ts: TypeSchema | undefined) {}

  /**
   * Identity of each element of a non-atomic list (same order as `list`). For associative lists
   * the key is built from the key fields present (missing ones fall back to the item schema's
   * default); an element with no key field at all is identified by position.
   */
  elementIds(list: unknown[], s: StructSchema | undefined): string[] | undefined {
    const kind = ssaListKind(s);
    if (kind.kind === 'atomic') return undefined;
    if (kind.kind === 'set') return list.map((x) => valuePE(x));
    const items = itemSchema(s, this.ts);
    return list.map((x, i) => {
      if (!isObject(x)) return indexPE(i);
      const o = this.idOverrides.get(x);
      if (o !== undefined) return o;
      const fields: [string, unknown][] = [];
      for (const k of kind.keys) {
        if (hasOwn(x, k) && x[k] !== undefined && x[k] !== null) fields.push([k, x[k]]);
        else {
          const d = propSchema(items, k, this.ts)?.default;
          if (d !== undefined) fields.push([k, d]);
        }
      }
      return fields.length > 0 ? keyPE(fields) : indexPE(i);
    });
  }

  /**
   * Adds the paths `value` sets at `path`. With `all`, every node is a member (how Kubernetes
   * records newly added subtrees of an update); without it only leaves, list elements, empty
   * maps and atomic values are (how an applied configuration is recorded).
   */
  collect(value: unknown, s: StructSchema | undefined, path: Path, out: FieldSet, all: boolean): void {
    if (value === undefined) return;
    if (isObject(value) && !isAtomicMap(s)) {
      const keys = Object.keys(value).filter((k) => value[k] !== undefined);
      if (all || keys.length === 0) out.insert(path);
      for (const k of keys) this.collect(value[k], propSchema(s, k, this.ts), [...path, fieldPE(k)], out, all);
      return;
    }
    if (Array.isArray(value)) {
      const ids = this.elementIds(value, s);
      out.insert(path);
      if (!ids) return;
      if (!all && value.length > 0) {
        // An applied list is owned through its elements; an empty one is owned as a whole.
        out.node(path).self = false;
      }
      const items = itemSchema(s, this.ts);
      value.forEach((x, i) => {
        const p = [...path, ids[i]];
        out.insert(p);
        if (isObject(x) && ids[i][0] !== 'v') {
          for (const k of Object.keys(x)) {
            if (x[k] !== undefined) this.collect(x[k], propSchema(items, k, this.ts), [...p, fieldPE(k)], out, all);
          }
        }
      });
      return;
    }
    out.insert(path);
  }

  /** Every path present in `value`, each a member. */
  allPaths(value: unknown, s: StructSchema | undefined): FieldSet {
    const fs = new FieldSet();
    this.collect(value, s, [], fs, true);
    fs.self = false;
    return fs;
  }

  /** The set an applied configuration asserts. */
  appliedPaths(value: unknown, s: StructSchema | undefined): FieldSet {
    const fs = new FieldSet();
    this.collect(value, s, [], fs, false);
    fs.self = false;
    return fs;
  }

  /**
   * Paths added or modified going from `a` to `b` (`changed`; added subtrees are recorded in
   * full) and paths that disappeared (`removed`).
   */
  diff(a: unknown, b: unknown, s: StructSchema | undefined, path: Path, changed: FieldSet, removed: FieldSet): void {
    if (a === undefined && b === undefined) return;
    if (a === undefined) {
      this.collect(b, s, path, changed, true);
      return;
    }
    if (b === undefined) {
      this.collect(a, s, path, removed, true);
      return;
    }
    if (isObject(a) && isObject(b) && !isAtomicMap(s)) {
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      for (const k of keys) {
        this.diff(a[k], b[k], propSchema(s, k, this.ts), [...path, fieldPE(k)], changed, removed);
      }
      return;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      const ia = this.elementIds(a, s);
      const ib = this.elementIds(b, s);
      if (!ia || !ib) {
        if (!deepEqual(a, b)) changed.insert(path);
        return;
      }
      const items = itemSchema(s, this.ts);
      const byIdA = new Map<string, unknown>();
      ia.forEach((id, i) => {
        if (!byIdA.has(id)) byIdA.set(id, a[i]);
      });
      const seen = new Set<string>();
      ib.forEach((id, i) => {
        if (seen.has(id)) return;
        seen.add(id);
        const p = [...path, id];
        if (!byIdA.has(id)) {
          this.collectElement(b[i], items, p, changed, id);
          return;
        }
        const ea = byIdA.get(id);
        const eb = b[i];
        if (id[0] === 'v') return;
        if (isObject(ea) && isObject(eb)) {
          const keys = new Set([...Object.keys(ea), ...Object.keys(eb)]);
          for (const k of keys) {
            this.diff(ea[k], eb[k], propSchema(items, k, this.ts), [...p, fieldPE(k)], changed, removed);
          }
        } else if (!deepEqual(ea, eb)) {
          changed.insert(p);
        }
      });
      for (const [id, ea] of byIdA) {
        if (!seen.has(id)) this.collectElement(ea, items, [...path, id], removed, id);
      }
      return;
    }
    if (!deepEqual(a, b)) {
      if (isObject(a) || Array.isArray(a)) this.collect(a, s, path, removed, true);
      if (isObject(b) || Array.isArray(b)) this.collect(b, s, path, changed, true);
      else changed.insert(path);
    }
  }

  private collectElement(x: unknown, items: StructSchema | undefined, p: Path, out: FieldSet, id: string): void {
    out.insert(p);
    if (isObject(x) && id[0] !== 'v') {
      for (const k of Object.keys(x)) {
        if (x[k] !== undefined) this.collect(x[k], propSchema(items, k, this.ts), [...p, fieldPE(k)], out, true);
      }
    }
  }
}

export type { JsonObject };
