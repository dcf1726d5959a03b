/**
 * Comparison of an app's desired state (rendered manifests) with the live state: per-resource
 * sync status and health, the app's sync status and health, orphaned resources, project rule
 * violations. Pure apart from the engine's (Lua) health assessment; the caller supplies the live
 * objects and the kinds the cluster serves.
 */
import type { KubeObject } from '@flotilla/apimachinery';
import { ANNOTATIONS, type AppProject, type Application, type ApplicationCondition, type HealthStatusCode, type ResourceStatus, type SyncStatusCode } from '@flotilla/argocd-engine';
import type { ArgoSettings } from '@flotilla/argocd-engine/settings';
import { isExcluded } from '@flotilla/argocd-engine/settings';
import { compareOptionsOf, diffResource, type ResourceDiff } from '@flotilla/argocd-engine/diff';
import { healthOpts } from './health-opts.js';
import { getHealth, worstHealth } from '@flotilla/argocd-engine/health';
import { hookType, syncWave } from '@flotilla/argocd-engine/sync';
import { groupOf } from './tracking.js';
import { orphanIgnored, resourceAllowed } from './project.js';

export interface KindInfo {
  namespaced: boolean;
  version: string;
}

export interface CompareInput {
  app: Application;
  project: AppProject | undefined;
  targets: KubeObject[];
  /** live object of a target (by group, kind, namespace, name) */
  live: (group: string, kind: string, namespace: string | undefined, name: string) => KubeObject | undefined;
  /** objects the app tracks in the cluster (top-level) */
  tracked: KubeObject[];
  /** objects of the destination namespace (orphans), when the project warns about them */
  namespaceObjects?: KubeObject[];
  kindInfo: (group: string, kind: string) => KindInfo | undefined;
  settings: ArgoSettings;
  server: string;
  controllerNamespace: string;
  /** build the unified diff text (the server's diff view; not needed for status) */
  diffText?: boolean;
}

export interface ComparedResource {
  key: string;
  group: string;
  kind: string;
  namespace: string;
  name: string;
  target: KubeObject | null;
  live: KubeObject | null;
  diff?: ResourceDiff;
  status: SyncStatusCode;
  health?: { status: HealthStatusCode; message?: string };
  hook: boolean;
  requiresPruning: boolean;
  syncWave: number;
  ignoreExtraneous: boolean;
}

export interface CompareResult {
  resources: ComparedResource[];
  /** hook manifests (not compared, run by syncs) */
  hooks: KubeObject[];
  syncStatus: SyncStatusCode;
  health: { status: HealthStatusCode; message?: string };
  conditions: ApplicationCondition[];
  images: string[];
}


/** Fills the namespace of namespaced targets from the destination; drops it from cluster-scoped ones. */
export function normalizeTarget(t: KubeObject, ns: string | undefined, info: KindInfo | undefined): KubeObject {
  const m = t.metadata ?? {};
  if (info && !info.namespaced) {
    if (m.namespace === undefined) return t;
    const { namespace: _n, ...rest } = m;
    return { ...t, metadata: rest };
  }
  if (!m.namespace && ns) return { ...t, metadata: { ...m, namespace: ns } };
  return t;
}

export function imagesOf(objs: KubeObject[]): string[] {
  const out = new Set<string>();
  for (const o of objs) {
    const spec = (o as { spec?: any }).spec;
    const pod = spec?.template?.spec ?? spec?.jobTemplate?.spec?.template?.spec ?? (o.kind === 'Pod' ? spec : undefined);
    for (const c of [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])]) if (typeof c?.image === 'string') out.add(c.image);
  }
  return [...out].sort();
}

export async function compareApp(input: CompareInput): Promise<CompareResult> {
  const { app, settings } = input;
  const destNs = app.spec.destination?.namespace;
  const conditions: ApplicationCondition[] = [];
  const resources: ComparedResource[] = [];
  const hooks: KubeObject[] = [];
  const seen = new Set<string>();
  const overrides = settings.resourceOverrides;
  const notPermitted: string[] = [];

  for (const raw of input.targets) {
    if (!raw || typeof raw !== 'object' || !raw.kind || !(raw.metadata?.name || (raw.metadata?.generateName && hookType(raw) !== undefined))) continue;
    const group = groupOf(raw.apiVersion);
    if (isExcluded({ group, kind: raw.kind }, settings, input.server)) continue;
    const info = input.kindInfo(group, raw.kind);
    const t = normalizeTarget(raw, destNs, info);
    if (hookType(t) !== undefined) {
      hooks.push(t);
      continue;
    }
    const ns = t.metadata?.namespace ?? '';
    const key = `${group}/${t.kind}/${ns}/${t.metadata!.name}`;
    if (seen.has(key)) {
      conditions.push({ type: 'RepeatedResourceWarning', message: `Resource ${key} appeared 2 times among application resources.` });
      continue;
    }
    seen.add(key);
    if (input.project && !resourceAllowed(input.project, group, t.kind!, info ? info.namespaced : !!ns)) notPermitted.push(`${group}/${t.kind} ${t.metadata!.name}`);
    const live = input.live(group, t.kind!, ns || undefined, t.metadata!.name!) ?? null;
    const diff = diffResource(t, live, { ignoreDifferences: app.spec.ignoreDifferences, settings, appName: app.metadata!.name!, appNamespace: app.metadata?.namespace, controllerNamespace: input.controllerNamespace, defaultNamespace: destNs, noDiffText: !input.diffText });
    resources.push({
      key,
      group,
      kind: t.kind!,
      namespace: ns,
      name: t.metadata!.name!,
      target: t,
      live,
      diff,
      status: live && !diff.modified ? 'Synced' : 'OutOfSync',
      hook: false,
      requiresPruning: false,
      syncWave: syncWave(t),
      ignoreExtraneous: false,
    });
  }
  for (const live of input.tracked) {
    const group = groupOf(live.apiVersion);
    const ns = live.metadata?.namespace ?? '';
    const key = `${group}/${live.kind}/${ns}/${live.metadata!.name}`;
    if (seen.has(key)) continue;
    if (hookType(live) !== undefined) continue; // hooks of earlier syncs are not extraneous
    if (live.metadata?.deletionTimestamp) continue;
    if (isExcluded({ group, kind: live.kind! }, settings, input.server)) continue;
    seen.add(key);
    const ignoreExtraneous = compareOptionsOf(live).ignoreExtraneous;
    resources.push({ key, group, kind: live.kind!, namespace: ns, name: live.metadata!.name!, target: null, live, status: 'OutOfSync', hook: false, requiresPruning: true, syncWave: syncWave(live), ignoreExtraneous });
  }

  // health of what the app manages (extraneous resources do not count for the app's health)
  const codes: HealthStatusCode[] = [];
  for (const r of resources) {
    if (!r.live) {
      r.health = { status: 'Missing' };
    } else {
      try {
        r.health = await getHealth(r.live, healthOpts(settings));
      } catch (e) {
        r.health = { status: 'Unknown', message: (e as Error).message };
      }
    }
    if (r.health && !r.requiresPruning) codes.push(r.health.status);
  }
  const worst = codes.length ? worstHealth(codes) : 'Healthy';
  const healthMsg = resources.find((r) => !r.requiresPruning && r.health?.status === worst && worst !== 'Healthy')?.health?.message;

  const outOfSync = resources.some((r) => r.status === 'OutOfSync' && !(r.requiresPruning && r.ignoreExtraneous));
  if (notPermitted.length) conditions.push({ type: 'InvalidSpecError', message: `Resource${notPermitted.length > 1 ? 's' : ''} ${notPermitted.join(', ')} not permitted in project ${app.spec.project}` });

  // orphaned resources: in the destination namespace, tracked by no app, when the project asks
  const orph = input.project?.spec?.orphanedResources;
  if (orph && input.namespaceObjects) {
    const orphans = input.namespaceObjects.filter((o) => {
      if ((o.metadata?.ownerReferences ?? []).length) return false;
      const key = `${groupOf(o.apiVersion)}/${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
      if (seen.has(key)) return false;
      if (o.kind === 'ServiceAccount' && o.metadata?.name === 'default') return false;
      if (o.kind === 'ConfigMap' && o.metadata?.name === 'kube-root-ca.crt') return false;
      if (o.kind === 'Endpoints' || o.kind === 'EndpointSlice') return false;
      const labels = o.metadata?.labels ?? {};
      if (labels[settings.appInstanceLabelKey] || o.metadata?.annotations?.[ANNOTATIONS.trackingId]) return false;
      return !orphanIgnored(input.project!, groupOf(o.apiVersion), o.kind!, o.metadata!.name!);
    });
    if (orphans.length && orph.warn !== false) conditions.push({ type: 'OrphanedResourceWarning', message: `Application has ${orphans.length} orphaned resources` });
  }
  return {
    resources,
    hooks,
    syncStatus: outOfSync ? 'OutOfSync' : 'Synced',
    health: healthMsg ? { status: worst, message: healthMsg } : { status: worst },
    conditions,
    images: imagesOf(resources.map((r) => r.live).filter((x): x is KubeObject => !!x)),
  };
}

/** status.resources as Argo CD writes them (sorted like upstream: group, kind, namespace, name). */
export function resourceStatuses(c: CompareResult, kindInfo: (g: string, k: string) => KindInfo | undefined): ResourceStatus[] {
  return c.resources
    .map((r) => {
      const version = (r.target?.apiVersion ?? r.live?.apiVersion ?? kindInfo(r.group, r.kind)?.version ?? 'v1').split('/').pop()!;
      const s: ResourceStatus = { version, kind: r.kind, name: r.name, status: r.status };
      if (r.group) s.group = r.group;
      if (r.namespace) s.namespace = r.namespace;
      if (r.health) s.health = r.health.message ? { status: r.health.status, message: r.health.message } : { status: r.health.status };
      if (r.requiresPruning) s.requiresPruning = true;
      if (r.syncWave) s.syncWave = r.syncWave;
      return s;
    })
    .sort((a, b) => (a.group ?? '').localeCompare(b.group ?? '') || a.kind.localeCompare(b.kind) || (a.namespace ?? '').localeCompare(b.namespace ?? '') || a.name.localeCompare(b.name));
}
