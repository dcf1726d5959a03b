/**
 * Field sets as used by server-side apply, and their FieldsV1 JSON encoding.
 *
 * A path is a list of encoded path elements:
 *   "f:<name>"         a struct field or map key
 *   "k:<json object>"  an associative-list element, identified by its key fields
 *   "v:<json value>"   a set element, identified by its value
 *   "i:<index>"        a list element by position (only for elements without usable keys)
 * In FieldsV1 JSON, a path that is a member and also has members below it carries ".": {}.
 */
import { isObject, setOwn, type JsonObject } from './json.js';

export type Path = string[];

export const fieldPE = (name: string): string => `f:${name}`;
export const valuePE = (value: unknown): string => `v:${JSON.stringify(value)}`;
export const indexPE = (i: number): string => `i:${i}`;
/** `fields` in the order they are declared (x-kubernetes-list-map-keys order). */
export const keyPE = (fields: [string, unknown][]): string => {
  const o: JsonObject = {};
  for (const [k, v] of fields) setOwn(o, k, v);
  return `k:${JSON.stringify(o)}`;
};

const KIND_ORDER: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };

/** Sort order of sibling path elements in the encoding: fields, then keys, values, indexes. */
export function comparePE(a: string, b: string): number {
  const ka = KIND_ORDER[a[0]] ?? 9;
  const kb = KIND_ORDER[b[0]] ?? 9;
  if (ka !== kb) return ka - kb;
  if (a[0] === 'i' && b[0] === 'i') return Number(a.slice(2)) - Number(b.slice(2));
  return a < b ? -1 : a > b ? 1 : 0;
}

export function comparePaths(a: Path, b: Path): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = comparePE(a[i], b[i]);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/** Kubernetes' human-readable form of a path: `.spec.containers[name="nginx"].image`, `.finalizers[="x"]`. */
export function pathString(path: Path): string {
  let out = '';
  for (const pe of path) {
    const body = pe.slice(2);
    switch (pe[0]) {
      case 'f':
        out += `.${body}`;
        break;
      case 'k': {
        let parts: string[];
        try {
          const o = JSON.parse(body) as JsonObject;
          parts = Object.entries(o).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
        } catch {
          parts = [body];
        }
        out += `[${parts.join(',')}]`;
        break;
      }
      case 'v':
        out += `[=${body}]`;
        break;
      case 'i':
        out += `[${body}]`;
        break;
      default:
        out += `.${pe}`;
    }
  }
  return out;
}

/** A set of field paths, stored as a tree. */
export class FieldSet {
  /** Whether the path leading to this node is itself a member. */
  self = false;
  readonly children = new Map<string, FieldSet>();

  static fromFieldsV1(v: unknown): FieldSet {
    const fs = new FieldSet();
    if (!isObject(v)) return fs;
    for (const [k, sub] of Object.entries(v)) {
      if (k === '.') {
        fs.self = true;
        continue;
      }
      const child = FieldSet.fromFieldsV1(sub);
      if (!isObject(sub) || Object.keys(sub).length === 0) child.self = true;
      if (!child.isEmpty()) fs.children.set(k, child);
    }
    return fs;
  }

  static of(...paths: Path[]): FieldSet {
    const fs = new FieldSet();
    for (const p of paths) fs.insert(p);
    return fs;
  }

  toFieldsV1(): JsonObject {
    const out: JsonObject = {};
    if (this.self && this.children.size > 0) out['.'] = {};
    for (const k of [...this.children.keys()].sort(comparePE)) {
      const c = this.children.get(k)!;
      if (c.isEmpty()) continue;
      setOwn(out, k, c.toFieldsV1());
    }
    return out;
  }

  isEmpty(): boolean {
    if (this.self) return false;
    for (const c of this.children.values()) if (!c.isEmpty()) return false;
    return true;
  }

  /** True when this node or anything below it is a member. */
  hasAny(): boolean {
    return !this.isEmpty();
  }

  insert(path: Path): void {
    let n: FieldSet = this;
    for (const pe of path) {
      let c = n.children.get(pe);
      if (!c) n.children.set(pe, (c = new FieldSet()));
      n = c;
    }
    n.self = true;
  }

  /** The node for `path`, creating it (not as a member) when absent. */
  node(path: Path): FieldSet {
    let n: FieldSet = this;
    for (const pe of path) {
      let c = n.children.get(pe);
      if (!c) n.children.set(pe, (c = new FieldSet()));
      n = c;
    }
    return n;
  }

  get(path: Path): FieldSet | undefined {
    let n: FieldSet | undefined = this;
    for (const pe of path) {
      n = n.children.get(pe);
      if (!n) return undefined;
    }
    return n;
  }

  has(path: Path): boolean {
    return this.get(path)?.self ?? false;
  }

  clone(): FieldSet {
    const fs = new FieldSet();
    fs.self = this.self;
    for (const [k, c] of this.children) fs.children.set(k, c.clone());
    return fs;
  }

  union(o: FieldSet): FieldSet {
    const fs = this.clone();
    fs.addAll(o);
    return fs;
  }

  /** In-place union. */
  addAll(o: FieldSet): void {
    this.self = this.self || o.self;
    for (const [k, oc] of o.children) {
      const c = this.children.get(k);
      if (c) c.addAll(oc);
      else this.children.set(k, oc.clone());
    }
  }

  /** Members of this set that are not members of `o`. */
  difference(o: FieldSet): FieldSet {
    const fs = new FieldSet();
    fs.self = this.self && !o.self;
    for (const [k, c] of this.children) {
      const oc = o.children.get(k);
      const d = oc ? c.difference(oc) : c.clone();
      if (!d.isEmpty()) fs.children.set(k, d);
    }
    return fs;
  }

  intersection(o: FieldSet): FieldSet {
    const fs = new FieldSet();
    fs.self = this.self && o.self;
    for (const [k, c] of this.children) {
      const oc = o.children.get(k);
      if (!oc) continue;
      const i = c.intersection(oc);
      if (!i.isEmpty()) fs.children.set(k, i);
    }
    return fs;
  }

  equals(o: FieldSet): boolean {
    return this.difference(o).isEmpty() && o.difference(this).isEmpty();
  }

  /** Every member path, in encoding order. */
  paths(prefix: Path = []): Path[] {
    const out: Path[] = [];
    if (this.self && prefix.length > 0) out.push(prefix);
    for (const k of [...this.children.keys()].sort(comparePE)) {
      out.push(...this.children.get(k)!.paths([...prefix, k]));
    }
    return out;
  }
}
