/**
 * Field management: server-side apply and managedFields bookkeeping for ordinary writes,
 * reimplemented from the Kubernetes "Server-Side Apply" documentation and observed behaviour.
 *
 * Entries are kept one per (manager, operation, subresource). Field sets are FieldsV1 trees.
 */
import type { KubeObject, ManagedFieldsEntry, StructSchema, TypeSchema } from '@flotilla/apimachinery';
import { ApplyConflictError, PatchError, type ApplyConflict } from './errors.js';
import { FieldSet, comparePaths, fieldPE, pathString, type Path } from './fieldset.js';
import { deepClone, deepEqual, hasOwn, isObject, setOwn, typeName, type JsonObject } from './json.js';
import { isAtomicMap, itemSchema, propSchema, rootSchema, ssaListKind } from './schema.js';
import { Walker } from './walk.js';

/** Top-level fields that are never tracked. */
const IGNORED_TOP = ['apiVersion', 'kind'];
/** metadata fields that are never tracked. */
const IGNORED_METADATA = [
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
];

/** The part of an object whose fields are tracked (a shallow view: do not mutate it). */
export function trackable(obj: unknown): JsonObject {
  if (!isObject(obj)) return {};
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(obj)) {
    if (IGNORED_TOP.includes(k) || v === undefined) continue;
    if (k === 'metadata' && isObject(v)) {
      const md: JsonObject = {};
      for (const [mk, mv] of Object.entries(v)) {
        if (!IGNORED_METADATA.includes(mk) && mv !== undefined) setOwn(md, mk, mv);
      }
      if (Object.keys(md).length > 0) out.metadata = md;
      continue;
    }
    setOwn(out, k, v);
  }
  return out;
}

/** metadata itself is always present, so it is never owned as a whole. */
function dropMetadataSelf(fs: FieldSet): FieldSet {
  const md = fs.children.get(fieldPE('metadata'));
  if (md) {
    md.self = false;
    if (md.isEmpty()) fs.children.delete(fieldPE('metadata'));
  }
  return fs;
}

interface Entry {
  manager: string;
  operation: 'Apply' | 'Update';
  subresource: string;
  apiVersion?: string;
  time?: string;
  set: FieldSet;
  /** The set as decoded, to tell whether it changed. */
  original?: FieldSet;
}

function decodeEntries(raw: unknown): Entry[] {
  const out: Entry[] = [];
  if (!Array.isArray(raw)) return out;
  for (const r of raw) {
    if (!isObject(r)) continue;
    const set = r.fieldsV1 !== undefined ? FieldSet.fromFieldsV1(r.fieldsV1) : new FieldSet();
    const entry: Entry = {
      manager: typeof r.manager === 'string' ? r.manager : '',
      operation: r.operation === 'Apply' ? 'Apply' : 'Update',
      subresource: typeof r.subresource === 'string' ? r.subresource : '',
      apiVersion: typeof r.apiVersion === 'string' ? r.apiVersion : undefined,
      time: typeof r.time === 'string' ? r.time : undefined,
      set,
    };
    const same = out.find((e) => sameIdentity(e, entry));
    if (same) {
      same.set.addAll(set);
      if (entry.time && (!same.time || entry.time > same.time)) same.time = entry.time;
      continue;
    }
    out.push(entry);
  }
  for (const e of out) e.original = e.set.clone();
  return out;
}

function sameIdentity(a: Pick<Entry, 'manager' | 'operation' | 'subresource'>, b: Pick<Entry, 'manager' | 'operation' | 'subresource'>): boolean {
  return a.manager === b.manager && a.operation === b.operation && a.subresource === b.subresource;
}

/** Apply entries first, then by time, manager and subresource (as Kubernetes lists them). */
function encodeEntries(entries: Entry[]): ManagedFieldsEntry[] {
  const kept = entries.filter((e) => !e.set.isEmpty());
  kept.sort((a, b) => {
    if (a.operation !== b.operation) return a.operation === 'Apply' ? -1 : 1;
    const ta = a.time ?? '';
    const tb = b.time ?? '';
    if (ta !== tb) return ta < tb ? -1 : 1;
    if (a.manager !== b.manager) return a.manager < b.manager ? -1 : 1;
    return a.subresource < b.subresource ? -1 : a.subresource > b.subresource ? 1 : 0;
  });
  return kept.map((e) => {
    const m: ManagedFieldsEntry = { manager: e.manager, operation: e.operation };
    if (e.apiVersion !== undefined) m.apiVersion = e.apiVersion;
    if (e.time !== undefined) m.time = e.time;
    m.fieldsType = 'FieldsV1';
    m.fieldsV1 = e.set.toFieldsV1();
    if (e.subresource) m.subresource = e.subresource;
    return m;
  });
}

// ---------------------------------------------------------------------------------------------
// Update

export interface UpdateInput {
  old: KubeObject | undefined;
  updated: KubeObject;
  manager: string;
  schema: TypeSchema | undefined;
  apiVersion: string;
  now: string;
  subresource?: string;
}

/**
 * managedFields after a non-apply write (create, update, patch): fields added or changed become
 * owned by `manager` ("Update") and are taken from other managers; fields that disappeared are
 * dropped from every entry; untouched fields keep their owners.
 *
 * When the client explicitly changed `metadata.managedFields` (a non-empty list different from
 * the stored one), that list is taken as the starting point, as Kubernetes does — so `[{}]`
 * resets field ownership. An empty list or an absent field keeps the stored entries.
 */
export function computeUpdateManagedFields(args: UpdateInput): ManagedFieldsEntry[] {
  const walker = new Walker(args.schema);
  const root = rootSchema(args.schema);
  const subresource = args.subresource ?? '';
  const storedMF = args.old?.metadata?.managedFields;
  const sentMF = args.updated?.metadata?.managedFields;
  const base = Array.isArray(sentMF) && sentMF.length > 0 && !deepEqual(sentMF, storedMF) ? sentMF : storedMF;
  const entries = decodeEntries(args.old ? base : Array.isArray(sentMF) ? sentMF : undefined);

  const newT = trackable(args.updated);
  const present = dropMetadataSelf(walker.allPaths(newT, root));
  let changed: FieldSet;
  if (!args.old) {
    changed = present.clone();
  } else {
    changed = new FieldSet();
    walker.diff(trackable(args.old), newT, root, [], changed, new FieldSet());
    dropMetadataSelf(changed);
  }

  let me = entries.find((e) => sameIdentity(e, { manager: args.manager, operation: 'Update', subresource }));
  const isNew = !me;
  if (!me) {
    me = { manager: args.manager, operation: 'Update', subresource, set: new FieldSet() };
    entries.push(me);
  }
  for (const e of entries) {
    if (e !== me) e.set = e.set.difference(changed);
  }
  me.set = me.set.union(changed);
  for (const e of entries) e.set = e.set.intersection(present);
  if (isNew || !changed.isEmpty() || !me.set.equals(me.original ?? new FieldSet())) {
    me.time = args.now;
    me.apiVersion = args.apiVersion;
  }
  return encodeEntries(entries);
}

// ---------------------------------------------------------------------------------------------
// Apply

export interface ApplyInput {
  live: KubeObject | undefined;
  applied: KubeObject;
  manager: string;
  force: boolean;
  schema: TypeSchema | undefined;
  apiVersion: string;
  now: string;
  subresource?: string;
}

/** Removes `null` object members (an applied `null` asserts nothing). */
function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) setOwn(out, k, dropNulls(x));
    return out;
  }
  return v;
}

export function computeServerSideApply(args: ApplyInput): KubeObject {
  if (!isObject(args.applied)) {
    throw new PatchError(`an applied configuration must be an object, got ${typeName(args.applied)}`, 400);
  }
  const appliedMF = args.applied.metadata?.managedFields;
  if (Array.isArray(appliedMF) ? appliedMF.length > 0 : appliedMF !== undefined && appliedMF !== null) {
    throw new PatchError('metadata.managedFields must be nil in an applied configuration', 400);
  }
  const walker = new Walker(args.schema);
  const root = rootSchema(args.schema);
  const subresource = args.subresource ?? '';

  const applied = dropNulls(deepClone(args.applied)) as JsonObject;
  if (isObject(applied.metadata)) delete applied.metadata.managedFields;
  const live: JsonObject = isObject(args.live) ? deepClone(args.live) : {};
  const entries = decodeEntries(isObject(live.metadata) ? live.metadata.managedFields : undefined);
  if (isObject(live.metadata)) delete live.metadata.managedFields;
  if (args.live && entries.length === 0) {
    // An existing object nobody has tracked yet: like Kubernetes, attribute its current fields to
    // "before-first-apply" so the first apply cannot silently overwrite them.
    const existing = dropMetadataSelf(walker.allPaths(trackable(live), root));
    if (!existing.isEmpty()) {
      entries.push({ manager: 'before-first-apply', operation: 'Update', subresource: '', apiVersion: args.apiVersion, time: args.now, set: existing, original: existing.clone() });
    }
  }

  checkDuplicates(walker, applied, root, []);

  // `merged` must not share structure with `live`: pruning mutates it in place.
  const merged = mergeApplied(walker, deepClone(live), applied, root) as JsonObject;
  // After merging: applied elements matched to live ones by partial keys take the live identity.
  const appliedSet = dropMetadataSelf(walker.appliedPaths(trackable(applied), root));

  // Conflicts: fields this apply changes that another manager owns.
  const changed = new FieldSet();
  const removed = new FieldSet();
  walker.diff(trackable(live), trackable(merged), root, [], changed, removed);
  const touched = changed.union(removed);
  let me = entries.find((e) => sameIdentity(e, { manager: args.manager, operation: 'Apply', subresource }));
  const conflicts: { manager: string; path: Path }[] = [];
  for (const e of entries) {
    if (e === me) continue;
    for (const p of e.set.intersection(touched).paths()) conflicts.push({ manager: e.manager, path: p });
  }
  if (conflicts.length > 0) {
    if (!args.force) {
      conflicts.sort((a, b) => (a.manager !== b.manager ? (a.manager < b.manager ? -1 : 1) : comparePaths(a.path, b.path)));
      const list: ApplyConflict[] = [];
      for (const c of conflicts) {
        const field = pathString(c.path);
        if (!list.some((x) => x.manager === c.manager && x.field === field)) list.push({ manager: c.manager, field });
      }
      throw new ApplyConflictError(list);
    }
    for (const e of entries) if (e !== me) e.set = e.set.difference(touched);
  }

  // Fields this manager applied before but no longer does are removed unless someone else owns them.
  const isNew = !me;
  if (!me) {
    me = { manager: args.manager, operation: 'Apply', subresource, set: new FieldSet() };
    entries.push(me);
  }
  const dropped = me.set.difference(appliedSet);
  if (!dropped.isEmpty()) {
    const others = new FieldSet();
    for (const e of entries) if (e !== me) others.addAll(e.set);
    prune(walker, merged, dropped, others, root, new Set(), 0);
  }

  me.set = appliedSet;
  const present = dropMetadataSelf(walker.allPaths(trackable(merged), root));
  for (const e of entries) e.set = e.set.intersection(present);
  const objectChanged = !deepEqual(trackable(live), trackable(merged));
  if (isNew || objectChanged || !me.set.equals(me.original ?? new FieldSet())) {
    me.time = args.now;
  }
  me.apiVersion = args.apiVersion;

  const mf = encodeEntries(entries);
  const md: JsonObject = isObject(merged.metadata) ? merged.metadata : {};
  md.managedFields = mf;
  merged.metadata = md;
  return merged as KubeObject;
}

/** Kubernetes rejects applied configurations whose associative lists or sets repeat a key. */
function checkDuplicates(walker: Walker, v: unknown, s: StructSchema | undefined, path: Path): void {
  if (isObject(v)) {
    if (isAtomicMap(s)) return;
    for (const [k, x] of Object.entries(v)) checkDuplicates(walker, x, propSchema(s, k, walker.ts), [...path, fieldPE(k)]);
    return;
  }
  if (!Array.isArray(v)) return;
  const ids = walker.elementIds(v, s);
  if (!ids) return;
  const seen = new Set<string>();
  const items = itemSchema(s, walker.ts);
  const kind = ssaListKind(s);
  ids.forEach((id, i) => {
    if (kind.kind === 'map' && id.startsWith('i:')) {
      throw new PatchError(
        `${pathString(path)}: element ${i} of an associative list omits its key field${kind.keys.length > 1 ? 's' : ''} ` +
          kind.keys.map((k) => `"${k}"`).join(', '),
      );
    }
    if (seen.has(id)) {
      throw new PatchError(`${pathString(path)}: duplicate entries for key ${pathString([id])} in an applied configuration`);
    }
    seen.add(id);
    if (isObject(v[i]) && id[0] !== 'v') {
      for (const [k, x] of Object.entries(v[i] as JsonObject)) {
        checkDuplicates(walker, x, propSchema(items, k, walker.ts), [...path, id, fieldPE(k)]);
      }
    }
  });
}

/**
 * Merges an applied configuration into the live object: maps merge, associative lists and sets
 * merge element by element (applied order first, live-only elements stay next to the element
 * they followed), atomic values and scalars are replaced.
 */
function mergeApplied(walker: Walker, live: unknown, applied: unknown, s: StructSchema | undefined): unknown {
  if (isObject(applied)) {
    if (!isObject(live) || isAtomicMap(s)) return deepClone(applied);
    const out: JsonObject = { ...live };
    for (const [k, v] of Object.entries(applied)) {
      setOwn(out, k, mergeApplied(walker, hasOwn(live, k) ? live[k] : undefined, v, propSchema(s, k, walker.ts)));
    }
    return out;
  }
  if (Array.isArray(applied)) {
    if (!Array.isArray(live)) return deepClone(applied);
    const kind = ssaListKind(s);
    if (kind.kind === 'atomic') return deepClone(applied);
    const liveIds = walker.elementIds(live, s)!;
    const appliedIds = walker.elementIds(applied, s)!;
    const items = itemSchema(s, walker.ts);
    const appliedIndex = new Map<string, number>();
    appliedIds.forEach((id, j) => {
      if (!appliedIndex.has(id)) appliedIndex.set(id, j);
    });
    const liveById = new Map<string, unknown>();
    const anchored = new Map<number, unknown[]>();
    let anchor = -1;
    liveIds.forEach((id, i) => {
      const j = appliedIndex.get(id);
      if (j !== undefined && id[0] !== 'i') {
        if (!liveById.has(id)) liveById.set(id, live[i]);
        anchor = j;
      } else {
        const bucket = anchored.get(anchor) ?? [];
        bucket.push(live[i]);
        anchored.set(anchor, bucket);
      }
    });
    if (kind.kind === 'map') matchPartialKeys(walker, live, liveIds, applied, appliedIds, kind.keys, liveById, anchored, appliedIndex);
    const out: unknown[] = [...(anchored.get(-1) ?? [])];
    applied.forEach((a, j) => {
      const id = appliedIds[j];
      out.push(kind.kind === 'set' || !liveById.has(id) ? deepClone(a) : mergeApplied(walker, liveById.get(id), a, items));
      out.push(...(anchored.get(j) ?? []));
    });
    return out;
  }
  return applied;
}

/**
 * An applied associative-list element that omits some key fields (typically ones the server
 * defaults, like a port's protocol) is matched to the single live element that agrees on the key
 * fields it does give; it then takes that element's identity. `liveById`, `anchored` and the
 * applied ids are updated in place.
 */
function matchPartialKeys(
  walker: Walker,
  live: unknown[],
  liveIds: string[],
  applied: unknown[],
  appliedIds: string[],
  keys: string[],
  liveById: Map<string, unknown>,
  anchored: Map<number, unknown[]>,
  appliedIndex: Map<string, number>,
): void {
  applied.forEach((a, j) => {
    if (!isObject(a) || liveById.has(appliedIds[j])) return;
    const given = keys.filter((k) => a[k] !== undefined && a[k] !== null);
    if (given.length === keys.length || given.length === 0) return;
    const candidates: number[] = [];
    live.forEach((x, i) => {
      if (!isObject(x) || appliedIndex.has(liveIds[i]) || liveIds[i][0] !== 'k') return;
      if (given.every((k) => deepEqual(x[k], a[k])) && keys.every((k) => x[k] !== undefined && x[k] !== null)) candidates.push(i);
    });
    if (candidates.length !== 1) return;
    const i = candidates[0];
    const id = liveIds[i];
    // Move the live element from the unmatched buckets to this applied element.
    for (const [anchor, bucket] of anchored) {
      const at = bucket.indexOf(live[i]);
      if (at >= 0) {
        bucket.splice(at, 1);
        if (bucket.length === 0) anchored.delete(anchor);
      }
    }
    liveById.set(id, live[i]);
    appliedIndex.set(id, j);
    appliedIds[j] = id;
    walker.idOverrides.set(a, id);
  });
}

/**
 * Removes from `value` (mutated) the members of `drop`, except those owned (at or below) by
 * someone in `others`. Key fields of surviving associative-list elements are never removed.
 * Containers emptied by the removal (and not owned themselves) are removed too.
 */
function prune(
  walker: Walker,
  value: unknown,
  drop: FieldSet,
  others: FieldSet | undefined,
  s: StructSchema | undefined,
  protectedKeys: Set<string>,
  depth: number,
): void {
  if (isObject(value)) {
    if (isAtomicMap(s)) return;
    for (const [pe, d] of drop.children) {
      if (!pe.startsWith('f:')) continue;
      const k = pe.slice(2);
      if (!hasOwn(value, k) || protectedKeys.has(k)) continue;
      const o = others?.children.get(pe);
      if (d.self && !o?.hasAny()) {
        delete value[k];
        continue;
      }
      const child = value[k];
      const wasFull = containerSize(child) > 0;
      prune(walker, child, d, o, propSchema(s, k, walker.ts), new Set(), depth + 1);
      if (wasFull && containerSize(child) === 0 && !o?.self && !(depth === 0 && k === 'metadata')) delete value[k];
    }
    return;
  }
  if (Array.isArray(value)) {
    const ids = walker.elementIds(value, s);
    if (!ids) return;
    const kind = ssaListKind(s);
    const keys = new Set(kind.kind === 'map' ? kind.keys : []);
    const items = itemSchema(s, walker.ts);
    for (let i = value.length - 1; i >= 0; i--) {
      const d = drop.children.get(ids[i]);
      if (!d) continue;
      const o = others?.children.get(ids[i]);
      if (d.self && !o?.hasAny()) {
        value.splice(i, 1);
        continue;
      }
      if (isObject(value[i])) prune(walker, value[i], d, o, items, keys, depth + 1);
    }
  }
}

function containerSize(v: unknown): number {
  if (Array.isArray(v)) return v.length;
  if (isObject(v)) return Object.keys(v).length;
  return -1;
}
