/**
 * The refresh of one Application: project checks, render (through the shared render cache), compare
 * with the live-state cache, status write (only when something changed, or reconciledAt on a full
 * refresh), the refresh annotation removed, automated sync started. A full refresh (render at the
 * latest revision) happens on a spec change, the refresh annotation (`hard`: the repo server's cache
 * bypassed too) or when `timeout.reconciliation` (+ jitter) has passed; a change of a tracked object
 * only compares again.
 */
import type { KubeObject } from '@flotilla/apimachinery';
import type { ReconcileResult } from '@flotilla/kube-runtime';
import { ANNOTATIONS, FINALIZERS, type Operation, type AppProject, type Application, type ApplicationCondition, type ApplicationSource, type ApplicationStatus } from '@flotilla/argocd-engine';
import { globMatch } from '@flotilla/repo-server';
import { hookTypes } from './tasks.js';
import type { Shared } from './controller.js';
import { writeApp, type AppWrite } from './write.js';
import { compareApp, resourceStatuses, type CompareResult, type KindInfo } from './compare.js';
import { destinationAllowed, sourceRepoAllowed, syncWindowVerdict } from './project.js';
import { autoSyncDecision } from './autosync.js';
import { groupOf } from './tracking.js';
import type { ClusterCache } from './cluster-cache.js';
import type { ClusterInfo } from './clusters.js';

export interface Rendered {
  revision: string;
  revisions?: string[];
  sourceType: string;
  sourceTypes?: string[];
  targets: KubeObject[];
}

export interface AppMemo {
  specKey: string;
  renderedAt: number;
  jitterMs: number;
  rendered?: Rendered;
  renderError?: string;
  /** this controller's last status write: the informer's copy may not show it yet */
  written?: { rv: string; comparable: string; reconciledAt?: string; operation: boolean };
  retryAt?: number;
  /** last self-heal / auto-sync attempt (ms) */
  autoSyncAt?: number;
  /** the operation state this controller wrote last (the informer may lag behind it) */
  lastOp?: import('@flotilla/argocd-engine').OperationState;
  /** the operation this controller completed last, until the informer shows it */
  completed?: { startedAt: string; finishedAt: string; at: number };
  /** the spec whose status was last written */
  writtenSpecKey?: string;
  /** until then (ms) a refresh waits for the live-state cache to show what the last operation applied */
  appliedUntil?: number;
  /** results of the running operation the record does not hold */
  opMemory?: { id: string; results: Map<string, import('@flotilla/argocd-engine/sync').TaskResult>; applied: Map<string, KubeObject> };
}

export const nowISO = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** The sources of an app (single or multiple), for display and rendering. */
export function appSources(app: Application, op?: { source?: ApplicationSource; sources?: ApplicationSource[] }): { sources: ApplicationSource[]; multi: boolean } {
  if (op?.sources?.length) return { sources: op.sources, multi: true };
  if (op?.source) return { sources: [op.source], multi: false };
  if (app.spec.sources?.length) return { sources: app.spec.sources, multi: true };
  return { sources: app.spec.source ? [app.spec.source] : [], multi: false };
}

/** Renders every source of an app at its (or the given) revisions. */
export async function renderSources(sh: Shared, app: Application, sources: ApplicationSource[], revisions: (string | undefined)[] | undefined, fresh: boolean, noCache: boolean): Promise<Rendered> {
  const ns = app.spec.destination?.namespace;
  const appName = app.metadata!.name!;
  const resolved = await Promise.all(sources.map((s, i) => sh.render.resolve(s.repoURL, revisions?.[i] ?? s.targetRevision, fresh && !s.chart).catch((e) => (s.chart ? s.targetRevision ?? '' : Promise.reject(e)))));
  const refSources: Record<string, ApplicationSource> = {};
  sources.forEach((s, i) => {
    if (s.ref) refSources[`$${s.ref}`] = { ...s, targetRevision: resolved[i] };
  });
  const targets: KubeObject[] = [];
  const revs: string[] = [];
  const types: string[] = [];
  for (let i = 0; i < sources.length; i++) {
    const s = sources[i];
    if (s.ref && !s.path && !s.chart) {
      revs.push(resolved[i]);
      types.push('');
      continue;
    }
    try {
      const r = await sh.render.render({ source: s, appName, namespace: ns, refSources: Object.keys(refSources).length ? refSources : undefined, resolved: resolved[i] }, noCache);
      revs.push(r.revision);
      // Argo CD's ApplicationSourceType has no Jsonnet: a Jsonnet directory is a Directory source
      types.push(r.sourceType === 'Jsonnet' ? 'Directory' : r.sourceType);
      for (const m of r.manifests) targets.push(m);
    } catch (e) {
      throw new Error(`failed to generate manifest for source ${i + 1} of ${sources.length}: ${(e as Error).message}`);
    }
  }
  return { revision: revs[0] ?? '', revisions: sources.length > 1 || app.spec.sources?.length ? revs : undefined, sourceType: types.find(Boolean) ?? 'Directory', sourceTypes: app.spec.sources?.length ? types : undefined, targets };
}

/** Project and destination checks → the cluster, or InvalidSpecError conditions. */
export function validateApp(sh: Shared, app: Application, project: AppProject | undefined): { cluster?: ClusterInfo; conditions: ApplicationCondition[] } {
  const p = app.spec.project || 'default';
  const conditions: ApplicationCondition[] = [];
  if (!project) return { conditions: [{ type: 'InvalidSpecError', message: `Application referencing project ${p} which does not exist` }] };
  const ns = app.metadata?.namespace;
  if (ns !== sh.opts.namespace && !(project.spec?.sourceNamespaces ?? []).some((g) => globMatch(g, ns ?? ''))) {
    conditions.push({ type: 'InvalidSpecError', message: `application '${app.metadata?.name}' in namespace '${ns}' is not permitted to use project '${p}'` });
  }
  const { sources } = appSources(app);
  if (!sources.length) conditions.push({ type: 'InvalidSpecError', message: 'spec.source or spec.sources must be specified' });
  for (const s of sources) {
    if (!s.repoURL) conditions.push({ type: 'InvalidSpecError', message: 'spec.source.repoURL is required' });
    else if (!sourceRepoAllowed(project, s.repoURL)) conditions.push({ type: 'InvalidSpecError', message: `application repo ${s.repoURL} is not permitted in project '${p}'` });
  }
  const c = sh.clusters.resolve(app.spec.destination ?? {});
  if ('error' in c && !('server' in c)) {
    conditions.push({ type: 'InvalidSpecError', message: c.error });
    return { conditions };
  }
  const cluster = c as ClusterInfo;
  if (cluster.error) conditions.push({ type: 'InvalidSpecError', message: cluster.error });
  if (!destinationAllowed(project, { server: cluster.server, name: cluster.name, namespace: app.spec.destination?.namespace })) {
    conditions.push({ type: 'InvalidSpecError', message: `application destination server '${cluster.server}' and namespace '${app.spec.destination?.namespace ?? ''}' do not match any of the allowed destinations in project '${p}'` });
  }
  return { cluster, conditions };
}

/** The live-state cache of a cluster once synced (or its error). */
/** The live-state cache of a cluster once synced, or the reason it is not (a string). */
export async function readyCache(sh: Shared, cluster: ClusterInfo): Promise<ClusterCache | string> {
  const cache = sh.clusters.cache(cluster);
  if (!cache.hasSynced) {
    try {
      await cache.ready;
    } catch (e) {
      return (e as Error).message;
    }
  }
  return cache;
}

export const kindInfoOf = (cache: ClusterCache) => (g: string, k: string): KindInfo | undefined => {
  const r = cache.resourceFor(g, k);
  return r ? { namespaced: r.namespaced, version: r.version } : undefined;
};

export async function compareWith(sh: Shared, app: Application, project: AppProject | undefined, cache: ClusterCache, cluster: ClusterInfo, targets: KubeObject[]): Promise<CompareResult> {
  const destNs = app.spec.destination?.namespace;
  return compareApp({
    app,
    project,
    targets,
    live: (g, k, ns, n) => cache.get(g, k, ns, n),
    tracked: cache.appObjects(sh.instance(app)),
    namespaceObjects: project?.spec?.orphanedResources && destNs ? cache.namespaceObjects(destNs) : undefined,
    kindInfo: kindInfoOf(cache),
    settings: sh.settings(),
    server: cluster.server,
    controllerNamespace: sh.opts.namespace,
  });
}

/** Our last write when the informer's copy of the app is older than it (resourceVersions compared as numbers). */
export function ownWriteAhead<T extends { rv: string }>(app: Application, written: T | undefined): T | undefined {
  if (!written) return undefined;
  const seen = Number(app.metadata?.resourceVersion);
  const ours = Number(written.rv);
  return Number.isFinite(seen) && Number.isFinite(ours) && seen < ours ? written : undefined;
}

/** Whether the cache lacks an object as an apply answered it, or holds an older version of it. */
export function cacheBehind(cache: Pick<ClusterCache, 'get'>, applied: Map<string, KubeObject> | undefined): boolean {
  for (const o of applied?.values() ?? []) {
    const c = cache.get(groupOf(o.apiVersion), o.kind ?? '', o.metadata?.namespace, o.metadata?.name ?? '');
    if (!c || Number(c.metadata?.resourceVersion) < Number(o.metadata?.resourceVersion)) return true;
  }
  return false;
}

function mergeConditions(old: ApplicationCondition[] | undefined, fresh: ApplicationCondition[]): ApplicationCondition[] | undefined {
  const now = nowISO();
  const out = fresh.map((c) => ({ ...c, lastTransitionTime: (old ?? []).find((o) => o.type === c.type && o.message === c.message)?.lastTransitionTime ?? now }));
  return out.length ? out : undefined;
}


export async function refreshApp(sh: Shared, app: Application, key: string): Promise<ReconcileResult> {
  const t0 = performance.now();
  const now = Date.now();
  const s = sh.settings();
  const resyncMs = (sh.opts.resyncSeconds ?? s.reconciliationTimeoutSeconds ?? 180) * 1000;
  let m = sh.memo.get(key);
  if (!m) sh.memo.set(key, (m = { specKey: '', renderedAt: 0, jitterMs: Math.random() * (sh.opts.jitterSeconds ?? 60) * 1000 }));
  const ann = app.metadata?.annotations?.[ANNOTATIONS.refresh];
  const specKey = JSON.stringify([app.spec.source, app.spec.sources, app.spec.destination, app.spec.project]);
  const expired = resyncMs > 0 && now - m.renderedAt >= resyncMs + m.jitterMs;
  const full = !!ann || m.specKey !== specKey || !m.rendered || expired;
  const project = sh.project(app);
  const { cluster, conditions } = validateApp(sh, app, project);
  const { sources, multi } = appSources(app);
  const comparedTo: NonNullable<ApplicationStatus['sync']>['comparedTo'] = { destination: app.spec.destination, ...(multi ? { sources } : { source: sources[0] }) };
  if (app.spec.ignoreDifferences?.length) comparedTo.ignoreDifferences = app.spec.ignoreDifferences;
  const old = app.status ?? {};
  const status: ApplicationStatus = {};
  let compared: CompareResult | undefined;
  let cache: ClusterCache | undefined;
  if (!conditions.length && cluster) {
    const c = await readyCache(sh, cluster);
    if (typeof c === 'string') conditions.push({ type: 'ComparisonError', message: c });
    else cache = c;
  }
  if (cache && cluster) {
    if (full) {
      try {
        // the shared revision cache (a few seconds) serves periodic refreshes; a refresh request asks Git at once
        m.rendered = await renderSources(sh, app, sources, undefined, !!ann, ann === 'hard');
        m.renderError = undefined;
      } catch (e) {
        m.renderError = (e as Error).message;
      }
      m.specKey = specKey;
      m.renderedAt = now;
    }
    if (m.renderError) conditions.push({ type: 'ComparisonError', message: `Failed to load target state: ${m.renderError}` });
    else if (m.rendered) {
      compared = await compareWith(sh, app, project, cache, cluster, m.rendered.targets);
      for (const c of compared.conditions) conditions.push(c);
    }
  }
  // just after an operation the live-state cache may not show what it applied yet: a status compared
  // now would flip the app back to OutOfSync / Missing for a moment and be written twice
  if (compared && cache && !ann && m.appliedUntil !== undefined) {
    if (now < m.appliedUntil && cacheBehind(cache, m.opMemory?.applied)) return { requeueAfter: 100 };
    m.appliedUntil = undefined;
  }
  // conditions raised by operations and automated syncs stay until the next success
  for (const c of old.conditions ?? []) if (c.type === 'SyncError' && !conditions.some((x) => x.type === 'SyncError')) conditions.push(c);
  if (compared && m.rendered) {
    status.resources = resourceStatuses(compared, kindInfoOf(cache!));
    status.sync = { status: compared.syncStatus, comparedTo, ...(m.rendered.revisions ? { revisions: m.rendered.revisions } : { revision: m.rendered.revision }) };
    status.health = compared.health;
    status.sourceType = m.rendered.sourceType;
    if (m.rendered.sourceTypes) status.sourceTypes = m.rendered.sourceTypes;
    status.summary = compared.images.length ? { ...(old.summary ?? {}), images: compared.images } : { ...(old.summary ?? {}) };
  } else {
    status.resources = old.resources;
    status.sync = { status: 'Unknown', comparedTo, ...(old.sync?.revision ? { revision: old.sync.revision } : {}) };
    status.health = old.health ?? { status: 'Unknown' };
    status.sourceType = old.sourceType;
  }
  status.conditions = mergeConditions(old.conditions, conditions);
  status.controllerNamespace = sh.opts.namespace;
  const comparable = JSON.stringify([status.resources, status.sync, status.health, status.conditions, status.sourceType, status.sourceTypes, status.summary]);
  // the informer's copy may be older than our own last write: what we wrote is what is there
  const mine = ownWriteAhead(app, m.written);
  const was = mine ? mine.comparable : JSON.stringify([old.resources, old.sync, old.health, old.conditions, old.sourceType, old.sourceTypes, old.summary]);
  const changed = comparable !== was;
  // an operation that finished after the last reconciliation: the comparison made now is the one
  // clients wait for (`argocd app sync` waits until reconciledAt is not before finishedAt, as upstream)
  const finishedAt = old.operationState?.finishedAt;
  const reconciledAt = mine ? mine.reconciledAt : old.reconciledAt;
  const afterOperation = !!finishedAt && (!reconciledAt || Date.parse(reconciledAt) < Date.parse(finishedAt)) && !!compared;
  // an automated sync starts in the same write as the status it was decided on (one patch per
  // reconcile); not again while the informer does not show the operation we wrote
  const auto = compared && m.rendered && cluster && !mine?.operation ? autoSync(sh, app, compared, m, cluster) : undefined;
  // an unchanged app costs no API call: reconciledAt moves when the status changes or a refresh was asked for
  if (changed || ann || m.specKey !== m.writtenSpecKey || afterOperation) {
    m.writtenSpecKey = m.specKey;
    status.reconciledAt = full || afterOperation ? nowISO() : (old.reconciledAt ?? nowISO());
    status.observedAt = nowISO();
    const w: AppWrite = { status: { ...status }, removeRefresh: !!ann, operation: auto?.operation };
    // PostDelete hooks need the post-delete finalizer to run at deletion
    if (compared?.hooks.some((h) => hookTypes(h).includes('PostDelete')) && !(app.metadata?.finalizers ?? []).includes(FINALIZERS.postDelete)) w.finalizers = [...(app.metadata?.finalizers ?? []), FINALIZERS.postDelete];
    app = await writeApp(sh, app, w);
    m.written = { rv: app.metadata?.resourceVersion ?? '', comparable, reconciledAt: status.reconciledAt, operation: !!w.operation };
    if (old.sync?.status && old.sync.status !== status.sync?.status) sh.events.event(app, 'Normal', 'ResourceUpdated', `Updated sync status: ${old.sync.status} -> ${status.sync?.status}`);
    if (old.health?.status && old.health.status !== status.health?.status) sh.events.event(app, 'Normal', 'ResourceUpdated', `Updated health status: ${old.health.status} -> ${status.health?.status}`);
  } else if (auto?.operation) {
    app = await writeApp(sh, app, { operation: auto.operation });
    m.written = { rv: app.metadata?.resourceVersion ?? '', comparable, reconciledAt: mine ? mine.reconciledAt : old.reconciledAt, operation: true };
  }
  if (auto?.operation) {
    sh.events.event(app, 'Normal', 'OperationStarted', `Initiated automated sync to '${auto.revision}'`);
    m.autoSyncAt = Date.now();
  }
  const retryAfter = auto?.retryAfterMs;
  sh.metrics.reconcile(app, cluster?.server ?? '', (performance.now() - t0) / 1000);
  const next = resyncMs > 0 ? Math.max(1000, m.renderedAt + resyncMs + m.jitterMs - Date.now()) : undefined;
  const after = [next, retryAfter].filter((x): x is number => x !== undefined);
  return after.length ? { requeueAfter: Math.min(...after) } : undefined;
}

/** The automated sync to start now, if any (the caller writes it), or when to look again. */
function autoSync(sh: Shared, app: Application, compared: CompareResult, m: AppMemo, cluster: ClusterInfo): { operation?: Operation; revision: string; retryAfterMs?: number } {
  const r = m.rendered!;
  const revision = r.revisions ? r.revisions.join(',') : r.revision;
  const verdict = syncWindowVerdict(sh.project(app)?.spec?.syncWindows, { name: app.metadata!.name!, namespace: app.spec.destination?.namespace ?? '', server: cluster.server, clusterName: cluster.name });
  const d = autoSyncDecision({
    app,
    syncStatus: compared.syncStatus,
    revision,
    targetCount: compared.resources.filter((x) => !x.requiresPruning).length,
    outOfSyncNonPrune: compared.resources.filter((x) => x.status === 'OutOfSync' && !x.requiresPruning).length,
    now: Date.now(),
    selfHealTimeoutMs: (sh.opts.selfHealTimeoutSeconds ?? 5) * 1000,
    windowAllows: verdict.automated,
    windowMessage: verdict.message,
  });
  if (!d.operation) return { revision, retryAfterMs: d.retryAfterMs };
  if (r.revisions) {
    delete d.operation.sync!.revision;
    d.operation.sync!.revisions = r.revisions;
  }
  return { operation: d.operation, revision };
}
