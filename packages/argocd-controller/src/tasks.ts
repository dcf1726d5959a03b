/**
 * The tasks of a sync operation and what to do next (pure): every desired resource, hook and
 * extraneous resource becomes a task in a phase (PreSync → Sync → PostSync, SyncFail on failure),
 * a wave and a kind order; the results recorded in `status.operationState.syncResult.resources`
 * say which tasks ran, so a restarted controller continues where the record ends.
 */
import type { KubeObject } from '@flotilla/apimachinery';
import { ANNOTATIONS, type HookType, type ResourceResult, type SyncOperation, type SyncPhase } from '@flotilla/argocd-engine';
import { hookType, kindOrder, syncWave } from '@flotilla/argocd-engine/sync';
import type { ComparedResource, CompareResult } from './compare.js';
import { groupOf } from './tracking.js';

export type TaskAction = 'apply' | 'prune' | 'hook';

export interface SyncTask {
  id: string;
  phase: SyncPhase;
  wave: number;
  kindOrder: number;
  action: TaskAction;
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
  target?: KubeObject;
  live?: KubeObject;
  options: Set<string>;
  deletePolicies: string[];
  hookType?: HookType;
  /** the compared resource was already Synced */
  synced?: boolean;
  /** recorded without running (PruneSkipped, ApplyOutOfSyncOnly) */
  skip?: { status: ResourceResult['status']; message: string };
}

const PHASES: SyncPhase[] = ['PreSync', 'Sync', 'PostSync'];

export function optionsOf(o: KubeObject | undefined): string[] {
  return (o?.metadata?.annotations?.[ANNOTATIONS.syncOptions] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

const HELM_POLICY: Record<string, string> = { 'before-hook-creation': 'BeforeHookCreation', 'hook-succeeded': 'HookSucceeded', 'hook-failed': 'HookFailed' };

/** Hook delete policies (Argo's annotation, else Helm's mapped; BeforeHookCreation when none). */
export function deletePolicies(o: KubeObject): string[] {
  const a = o.metadata?.annotations ?? {};
  const argo = a[ANNOTATIONS.hookDeletePolicy];
  if (argo) return argo.split(',').map((s) => s.trim()).filter(Boolean);
  const helm = a[ANNOTATIONS.helmHookDeletePolicy];
  if (helm) return helm.split(',').map((s) => HELM_POLICY[s.trim()] ?? s.trim()).filter(Boolean);
  return ['BeforeHookCreation'];
}

/** A short stable hash (hook names for generateName hooks: one name per operation). */
export function shortHash(s: string): string {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h.toString(36).padStart(7, '0').slice(0, 7);
}

export const taskId = (phase: SyncPhase, group: string, kind: string, ns: string, name: string) => `${phase}:${group}/${kind}/${ns}/${name}`;
export const resultId = (r: ResourceResult) => taskId(r.syncPhase ?? 'Sync', r.group, r.kind, r.namespace, r.name);

const selected = (sel: SyncOperation['resources'], group: string, kind: string, ns: string, name: string) =>
  !sel?.length || sel.some((s) => (s.group ?? '') === group && s.kind === kind && s.name === name && (!s.namespace || s.namespace === ns));

export interface BuildInput {
  compared: CompareResult;
  sync: SyncOperation;
  /** app-level syncPolicy.syncOptions plus the operation's */
  syncOptions: Set<string>;
  /** the operation's identity (hook names for generateName) */
  operationKey: string;
  destNamespace?: string;
}

/** All tasks of an operation (SyncFail hooks included, in their own phase). */
export function buildTasks(i: BuildInput): SyncTask[] {
  const tasks: SyncTask[] = [];
  const sel = i.sync.resources;
  const selective = !!sel?.length;
  const prune = !!i.sync.prune;
  for (const r of i.compared.resources) {
    if (!selected(sel, r.group, r.kind, r.namespace, r.name)) continue;
    tasks.push(resourceTask(r, i, prune));
  }
  if (selective || i.sync.dryRun) return tasks; // hooks do not run in a selective sync or a dry run
  for (const h of i.compared.hooks) {
    const types = hookTypes(h);
    for (const t of types) {
      if (t === 'Skip' || t === 'PostDelete') continue;
      const named = h.metadata?.name ? h : { ...h, metadata: { ...h.metadata, name: `${h.metadata?.generateName ?? 'hook-'}${shortHash(i.operationKey + t)}` } };
      const group = groupOf(named.apiVersion);
      const ns = named.metadata?.namespace ?? '';
      tasks.push({
        id: taskId(t, group, named.kind!, ns, named.metadata!.name!),
        phase: t,
        wave: syncWave(named),
        kindOrder: kindOrder(named.kind!),
        action: 'hook',
        group,
        version: (named.apiVersion ?? 'v1').split('/').pop()!,
        kind: named.kind!,
        namespace: ns,
        name: named.metadata!.name!,
        target: named,
        options: new Set(optionsOf(named)),
        deletePolicies: deletePolicies(named),
        hookType: t,
      });
    }
  }
  return tasks;
}

/** A hook annotation may name several phases (`PreSync,PostSync`). */
export function hookTypes(o: KubeObject): HookType[] {
  const a = o.metadata?.annotations?.[ANNOTATIONS.hook];
  if (a) return a.split(',').map((s) => s.trim()).filter(Boolean) as HookType[];
  const t = hookType(o);
  return t ? [t] : [];
}

function resourceTask(r: ComparedResource, i: BuildInput, prune: boolean): SyncTask {
  const obj = r.target ?? r.live!;
  const options = new Set([...i.syncOptions, ...optionsOf(r.target ?? undefined), ...optionsOf(r.live ?? undefined)]);
  const t: SyncTask = {
    id: taskId('Sync', r.group, r.kind, r.namespace, r.name),
    phase: 'Sync',
    wave: r.syncWave,
    kindOrder: kindOrder(r.kind),
    action: r.requiresPruning ? 'prune' : 'apply',
    group: r.group,
    version: (obj.apiVersion ?? 'v1').split('/').pop()!,
    kind: r.kind,
    namespace: r.namespace,
    name: r.name,
    target: r.target ?? undefined,
    live: r.live ?? undefined,
    options,
    deletePolicies: [],
    synced: r.status === 'Synced',
  };
  if (t.action === 'prune') {
    if (options.has('Prune=false')) t.skip = { status: 'PruneSkipped', message: 'ignored (no prune)' };
    else if (!prune) t.skip = { status: 'PruneSkipped', message: 'ignored (requires pruning)' };
    else if (options.has('PruneLast=true')) t.wave = Number.MAX_SAFE_INTEGER;
  } else if (options.has('ApplyOutOfSyncOnly=true') && t.synced) {
    t.skip = { status: 'Synced', message: 'unchanged (ApplyOutOfSyncOnly)' };
  }
  return t;
}

export interface Group {
  phase: SyncPhase;
  wave: number;
  tasks: SyncTask[];
}

/** Tasks grouped phase → wave, each group's tasks in kind order (prunes in reverse kind order, after applies). */
export function groups(tasks: SyncTask[], phases: SyncPhase[] = PHASES): Group[] {
  const byKey = new Map<string, Group>();
  for (const t of tasks) {
    if (!phases.includes(t.phase)) continue;
    const k = `${phases.indexOf(t.phase)}:${t.wave}`;
    let g = byKey.get(k);
    if (!g) byKey.set(k, (g = { phase: t.phase, wave: t.wave, tasks: [] }));
    g.tasks.push(t);
  }
  const out = [...byKey.values()].sort((a, b) => phases.indexOf(a.phase) - phases.indexOf(b.phase) || a.wave - b.wave);
  for (const g of out)
    g.tasks.sort((a, b) => {
      const pa = a.action === 'prune' ? 1 : 0;
      const pb = b.action === 'prune' ? 1 : 0;
      if (pa !== pb) return pa - pb;
      const ko = pa ? b.kindOrder - a.kindOrder : a.kindOrder - b.kindOrder;
      return ko || a.name.localeCompare(b.name);
    });
  return out;
}

export function resultOf(t: SyncTask): ResourceResult {
  const r: ResourceResult = { group: t.group, version: t.version, kind: t.kind, namespace: t.namespace, name: t.name, syncPhase: t.phase };
  if (t.hookType) r.hookType = t.hookType;
  return r;
}
