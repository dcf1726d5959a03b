/**
 * From rendered Applications and the existing ones to the writes the sync policy allows (pure):
 * create always; update under `sync` and `create-update`; delete under `sync` and `create-delete`.
 * Updates keep what `ignoreApplicationDifferences` names and the preserved annotations and labels.
 */
import type { Application, ApplicationSet, ResourceStatus } from './types.js';
import { GeneratorError } from './types.js';
import { jqPaths } from '@flotilla/argocd-engine/diff';

export const ANNOTATIONS_ALWAYS_PRESERVED = ['notified.notifications.argoproj.io', 'argocd.argoproj.io/refresh', 'argocd.argoproj.io/hydrate'];
export const RESOURCES_FINALIZER = 'resources-finalizer.argocd.argoproj.io';

export interface Plan {
  create: Application[];
  /** the full objects to write (existing object with the new spec and metadata) */
  update: Application[];
  delete: Application[];
  /** desired apps whose name is taken by an Application this set does not own */
  conflicts: string[];
  unchanged: number;
}

export function policyOf(set: ApplicationSet): { update: boolean; delete: boolean } {
  const p = set.spec?.syncPolicy?.applicationsSync ?? 'sync';
  switch (p) {
    case 'sync':
      return { update: true, delete: true };
    case 'create-only':
      return { update: false, delete: false };
    case 'create-update':
      return { update: true, delete: false };
    case 'create-delete':
      return { update: false, delete: true };
    default:
      throw new GeneratorError(`syncPolicy.applicationsSync: unknown policy "${p as string}" (create-only, create-update, create-delete, sync)`);
  }
}

/** `/a/b~1c` → ['a', 'b/c']; `.a.b[0]` (a plain jq path) → ['a', 'b', '0']. */
export function pointerPath(expr: string, jq = false): string[] {
  if (jq) {
    if (!/^(\.[A-Za-z_][\w-]*|\[\d+\]|\["[^"]+"\])+$/.test(expr)) throw new GeneratorError(`ignoreApplicationDifferences: jqPathExpression "${expr}" is not a plain path (.a.b[0])`);
    return [...expr.matchAll(/\.([A-Za-z_][\w-]*)|\[(\d+)\]|\["([^"]+)"\]/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
  }
  if (expr === '') return [];
  if (!expr.startsWith('/')) throw new GeneratorError(`ignoreApplicationDifferences: jsonPointer "${expr}" must start with /`);
  return expr.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function getAt(o: unknown, path: string[]): { found: boolean; value?: unknown } {
  let cur = o;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object' || !(p in (cur as object))) return { found: false };
    cur = (cur as Record<string, unknown>)[p];
  }
  return { found: true, value: cur };
}

function setAt(o: Record<string, unknown>, path: string[], value: unknown, present: boolean): void {
  if (!path.length) return;
  let cur: Record<string, unknown> = o;
  for (const p of path.slice(0, -1)) {
    const next = cur[p];
    if (next === null || typeof next !== 'object') {
      if (!present) return;
      cur[p] = {};
    }
    cur = cur[p] as Record<string, unknown>;
  }
  const last = path[path.length - 1]!;
  if (present) cur[last] = structuredClone(value);
  else if (Array.isArray(cur)) cur.splice(Number(last), 1);
  else delete cur[last];
}

function ignoredPaths(set: ApplicationSet, name: string, existing: Application, desired: Application): string[][] {
  const out: string[][] = [];
  for (const r of set.spec?.ignoreApplicationDifferences ?? []) {
    if (r.name && r.name !== name) continue;
    for (const p of r.jsonPointers ?? []) out.push(pointerPath(p));
    // jq (as Argo CD's ignoreDifferences): the paths the expression selects in the existing app or the desired one
    for (const expr of r.jqPathExpressions ?? []) {
      let paths: (string | number)[][];
      try {
        paths = [...jqPaths(expr, existing), ...jqPaths(expr, desired)];
      } catch (e) {
        throw new GeneratorError(`ignoreApplicationDifferences: jqPathExpression "${expr}": ${(e as Error).message}`);
      }
      for (const path of paths) out.push(path.map(String));
    }
  }
  return out;
}

/** The object to write for an existing app: desired spec and metadata, with the ignored and preserved parts kept. */
export function mergeForUpdate(set: ApplicationSet, existing: Application, desired: Application): Application {
  const md = existing.metadata ?? {};
  const dmd = desired.metadata ?? {};
  const keepAnn = new Set([...ANNOTATIONS_ALWAYS_PRESERVED, ...(set.spec?.preservedFields?.annotations ?? [])]);
  const keepLab = new Set(set.spec?.preservedFields?.labels ?? []);
  const annotations: Record<string, string> = { ...(dmd.annotations ?? {}) };
  for (const [k, v] of Object.entries(md.annotations ?? {})) if (keepAnn.has(k) && !(k in annotations)) annotations[k] = v;
  const labels: Record<string, string> = { ...(dmd.labels ?? {}) };
  for (const [k, v] of Object.entries(md.labels ?? {})) if (keepLab.has(k) && !(k in labels)) labels[k] = v;
  const next = structuredClone(existing) as Application & Record<string, unknown>;
  next.metadata = { ...md, labels: Object.keys(labels).length ? labels : undefined, annotations: Object.keys(annotations).length ? annotations : undefined, finalizers: dmd.finalizers?.length ? dmd.finalizers : undefined };
  next.spec = structuredClone(desired.spec ?? {});
  for (const path of ignoredPaths(set, dmd.name ?? '', existing, desired)) {
    const old = getAt(existing, path);
    setAt(next as Record<string, unknown>, path, old.value, old.found);
  }
  return next;
}

function comparable(a: Application): string {
  const md = a.metadata ?? {};
  const clean = (o: Record<string, string> | undefined) => (o && Object.keys(o).length ? Object.fromEntries(Object.entries(o).sort()) : undefined);
  return JSON.stringify([a.spec ?? {}, clean(md.labels), clean(md.annotations), md.finalizers?.length ? md.finalizers : undefined]);
}

export function isOwnedBy(app: Application, set: ApplicationSet): boolean {
  return (app.metadata?.ownerReferences ?? []).some((r) => r.kind === 'ApplicationSet' && r.controller && (r.uid === set.metadata?.uid || (!set.metadata?.uid && r.name === set.metadata?.name)));
}

export function ownerReference(set: ApplicationSet) {
  return { apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', name: set.metadata!.name!, uid: set.metadata!.uid!, controller: true, blockOwnerDeletion: true };
}

/** Desired apps must have distinct names. */
export function checkDuplicates(apps: Application[]): void {
  const seen = new Set<string>();
  for (const a of apps) {
    const n = a.metadata!.name!;
    if (seen.has(n)) throw new GeneratorError(`ApplicationSet generated the Application name "${n}" more than once`);
    seen.add(n);
  }
}

export function plan(set: ApplicationSet, desired: Application[], existing: Application[]): Plan {
  checkDuplicates(desired);
  const pol = policyOf(set);
  const byName = new Map(existing.map((a) => [a.metadata!.name!, a]));
  const out: Plan = { create: [], update: [], delete: [], conflicts: [], unchanged: 0 };
  const want = new Set<string>();
  for (const d of desired) {
    const name = d.metadata!.name!;
    want.add(name);
    const cur = byName.get(name);
    if (!cur) {
      const md = d.metadata!;
      out.create.push({ ...d, metadata: { ...md, ownerReferences: [ownerReference(set)] } });
      continue;
    }
    if (!isOwnedBy(cur, set)) {
      out.conflicts.push(name);
      continue;
    }
    if (!pol.update) {
      out.unchanged++;
      continue;
    }
    const next = mergeForUpdate(set, cur, d);
    if (comparable(next) !== comparable(cur)) out.update.push(next);
    else out.unchanged++;
  }
  if (pol.delete) for (const a of existing) if (isOwnedBy(a, set) && !want.has(a.metadata!.name!) && !a.metadata?.deletionTimestamp) out.delete.push(a);
  return out;
}

/** status.resources: every app the set owns, with its sync and health. */
export function resourcesStatus(set: ApplicationSet, apps: Application[]): ResourceStatus[] {
  return apps
    .filter((a) => isOwnedBy(a, set))
    .map((a) => {
      const r: ResourceStatus = { group: 'argoproj.io', version: 'v1alpha1', kind: 'Application', name: a.metadata!.name!, namespace: a.metadata!.namespace ?? '' };
      if (a.status?.sync?.status) r.status = a.status.sync.status;
      if (a.status?.health?.status) r.health = { status: a.status.health.status, ...(a.status.health.message ? { message: a.status.health.message } : {}) };
      return r;
    })
    .sort((x, y) => x.name.localeCompare(y.name));
}
