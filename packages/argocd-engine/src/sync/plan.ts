/**
 * planSync: the ordered tasks of a sync (or app-deletion) operation, grouped into steps by phase
 * and wave; within a step, by Argo CD's kind order then name. Pure: the controller runs the steps
 * and asks nextStep what to do after each.
 */
import type { KubeObject, SyncOperationResource } from '../types.js';
import { hookDeletePolicies, hookInfo, syncWave, type ArgoHookType } from './hooks.js';
import { kindOrder, compareKinds } from './kinds.js';
import { parseSyncOptions, resourceSyncOptions, type SyncOptions } from './options.js';
import type { PlanInput, PlanPhase, ResourceKey, SyncPlan, SyncStep, SyncTask, TaskAction } from './types.js';

export const PHASE_ORDER: readonly PlanPhase[] = ['PreDelete', 'PreSync', 'Sync', 'PostSync', 'SyncFail', 'PostDelete'];

function gv(obj: KubeObject): { group: string; version: string } {
  const v = obj.apiVersion ?? '';
  const i = v.indexOf('/');
  return i < 0 ? { group: '', version: v } : { group: v.slice(0, i), version: v.slice(i + 1) };
}

export function resourceKey(obj: KubeObject): ResourceKey {
  return { group: gv(obj).group, kind: obj.kind ?? '', namespace: obj.metadata?.namespace ?? '', name: obj.metadata?.name ?? obj.metadata?.generateName ?? '' };
}

/** `group/kind/namespace/name`: the key of PlanInput.diffs. */
export function resourceKeyString(k: ResourceKey | KubeObject): string {
  const r = 'apiVersion' in k || 'metadata' in k ? resourceKey(k as KubeObject) : (k as ResourceKey);
  return `${r.group}/${r.kind}/${r.namespace}/${r.name}`;
}

function selected(resources: SyncOperationResource[] | undefined, k: ResourceKey): boolean {
  if (!resources || resources.length === 0) return true;
  return resources.some((r) => (r.group ?? '') === k.group && r.kind === k.kind && r.name === k.name && (!r.namespace || r.namespace === k.namespace));
}

export function compareTasks(a: SyncTask, b: SyncTask): number {
  const p = PHASE_ORDER.indexOf(a.phase) - PHASE_ORDER.indexOf(b.phase);
  if (p !== 0) return p;
  if (a.wave !== b.wave) return a.wave - b.wave;
  const d = (a.action === 'delete-hook' ? 0 : 1) - (b.action === 'delete-hook' ? 0 : 1);
  if (d !== 0) return d;
  // prunes of a wave go after its applies, in reverse kind order (dependents first)
  const pr = (a.action === 'prune' ? 1 : 0) - (b.action === 'prune' ? 1 : 0);
  if (pr !== 0) return pr;
  const k = a.action === 'prune' ? compareKinds(b.kind, a.kind) : compareKinds(a.kind, b.kind);
  if (k !== 0) return k;
  if (a.namespace !== b.namespace) return a.namespace < b.namespace ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Groups ordered tasks into steps of one phase and wave. */
export function groupSteps(tasks: SyncTask[]): SyncStep[] {
  const steps: SyncStep[] = [];
  for (const t of [...tasks].sort(compareTasks)) {
    const last = steps[steps.length - 1];
    if (last && last.phase === t.phase && last.wave === t.wave) last.tasks.push(t);
    else steps.push({ phase: t.phase, wave: t.wave, tasks: [t] });
  }
  return steps;
}

export function planSync(input: PlanInput): SyncPlan {
  const op = input.operation;
  const policyOpts = input.syncPolicy?.syncOptions;
  const appParsed = parseSyncOptions(policyOpts, op.syncOptions);
  const errors = [...appParsed.errors];
  const appOpts = appParsed.options;
  const dryRun = !!op.dryRun;
  const doPrune = !!op.prune;
  const selective = !!op.resources && op.resources.length > 0;
  const strategyForce = !!op.syncStrategy?.apply?.force || !!op.syncStrategy?.hook?.force;
  const mode = input.mode ?? 'sync';
  const tasks: SyncTask[] = [];
  const ids = new Map<string, number>();

  const optsFor = (obj: KubeObject): SyncOptions => {
    const own = resourceSyncOptions(obj);
    const p = parseSyncOptions(policyOpts, op.syncOptions, own);
    if (own.length) for (const e of parseSyncOptions(own).errors) if (!errors.includes(`${resourceKeyString(obj)}: ${e}`)) errors.push(`${resourceKeyString(obj)}: ${e}`);
    if (strategyForce) p.options.force = true;
    return p.options;
  };
  const add = (obj: KubeObject, fields: { phase: PlanPhase; wave: number; action: TaskAction; target?: KubeObject; live?: KubeObject; outOfSync: boolean; hookType?: ArgoHookType; skipReason?: string; resultCode?: SyncTask['resultCode'] }) => {
    const k = resourceKey(obj);
    const base = `${fields.phase}/${fields.action}/${resourceKeyString(k)}`;
    const n = ids.get(base) ?? 0;
    ids.set(base, n + 1);
    const task: SyncTask = {
      ...k,
      id: n === 0 ? base : `${base}#${n}`,
      version: gv(obj).version,
      kindOrder: kindOrder(k.kind),
      syncOptions: optsFor(obj),
      hookDeletePolicies: fields.hookType ? hookDeletePolicies(obj) : [],
      dryRun,
      ...fields,
    };
    tasks.push(task);
    return task;
  };

  // hooks (and objects Argo CD skips) are not app resources: never pruned
  const liveNonHooks = input.live.filter((o) => !hookInfo(o).hook);
  const liveByKey = new Map(liveNonHooks.map((o) => [resourceKeyString(o), o]));
  const existingHooks = new Map((input.existingHooks ?? []).map((o) => [resourceKeyString(o), o]));
  const targetKeys = new Set<string>();
  const hookPhases: ArgoHookType[] = mode === 'sync' ? ['PreSync', 'Sync', 'PostSync', 'SyncFail'] : ['PreDelete', 'PostDelete'];

  const addHook = (t: KubeObject, type: ArgoHookType) => {
    const wave = syncWave(t);
    const key = resourceKeyString(t);
    const existing = t.metadata?.name ? existingHooks.get(key) : undefined;
    const policies = hookDeletePolicies(t);
    if (existing && policies.includes('BeforeHookCreation')) add(existing, { phase: type as PlanPhase, wave, action: 'delete-hook', live: existing, outOfSync: true, hookType: type });
    add(t, { phase: type as PlanPhase, wave, action: 'hook', target: t, live: existing, outOfSync: true, hookType: type });
  };

  for (const t of input.targets) {
    const info = hookInfo(t);
    if (info.hook) {
      // a hook (or a Skip-annotated resource) is never pruned as extraneous
      targetKeys.add(resourceKeyString(t));
      // hooks do not run in a selective sync or a dry run
      if (selective || dryRun) continue;
      for (const type of info.types) if (hookPhases.includes(type)) addHook(t, type);
      continue;
    }
    const key = resourceKeyString(t);
    targetKeys.add(key);
    if (mode === 'delete') continue;
    if (!selected(op.resources, resourceKey(t))) continue;
    const live = liveByKey.get(key);
    const diff = input.diffs?.get(key);
    const outOfSync = !live || !diff || diff.modified;
    const o = optsFor(t);
    const sharedWith = input.sharedResources?.get(key);
    if (o.failOnSharedResource && sharedWith && sharedWith.length > 0) {
      const k = resourceKey(t);
      const apps = [input.appName, ...sharedWith].filter(Boolean).join(' and ');
      add(t, { phase: 'Sync', wave: syncWave(t), action: 'apply', target: t, live, outOfSync, skipReason: `shared resource found: ${k.group ? k.group + '/' : ''}${k.kind}/${k.name} is part of applications ${apps}`, resultCode: 'SyncFailed' });
      continue;
    }
    if (o.applyOutOfSyncOnly && !outOfSync) continue;
    add(t, { phase: 'Sync', wave: syncWave(t), action: o.replace ? 'replace' : 'apply', target: t, live, outOfSync });
  }

  // prune (sync) / delete (app deletion): live objects no longer in Git, or all of them
  const pruneTasks: SyncTask[] = [];
  for (const [key, live] of liveByKey) {
    if (mode === 'sync' && targetKeys.has(key)) continue;
    if (mode === 'sync' && !selected(op.resources, resourceKey(live))) continue;
    const o = optsFor(live);
    if (mode === 'delete') {
      if (!o.delete) add(live, { phase: 'Sync', wave: syncWave(live), action: 'prune', live, outOfSync: true, skipReason: 'ignored (Delete=false)', resultCode: 'PruneSkipped' });
      else pruneTasks.push(add(live, { phase: 'Sync', wave: syncWave(live), action: 'prune', live, outOfSync: true }));
      continue;
    }
    if (!doPrune) add(live, { phase: 'Sync', wave: syncWave(live), action: 'prune', live, outOfSync: true, skipReason: 'ignored (requires pruning)', resultCode: 'PruneSkipped' });
    else if (!o.prune) add(live, { phase: 'Sync', wave: syncWave(live), action: 'prune', live, outOfSync: true, skipReason: 'ignored (no prune)', resultCode: 'PruneSkipped' });
    else pruneTasks.push(add(live, { phase: 'Sync', wave: syncWave(live), action: 'prune', live, outOfSync: true }));
  }
  // higher waves are pruned first: mirror the prune waves within their range; PruneLast after every other wave
  const normalPrunes = pruneTasks.filter((t) => !t.syncOptions.pruneLast);
  if (normalPrunes.length > 0) {
    const min = Math.min(...normalPrunes.map((t) => t.wave));
    const max = Math.max(...normalPrunes.map((t) => t.wave));
    for (const t of normalPrunes) t.wave = max + min - t.wave;
  }
  const lastPrunes = pruneTasks.filter((t) => t.syncOptions.pruneLast);
  if (lastPrunes.length > 0) {
    const syncWaves = tasks.filter((t) => t.phase === 'Sync' && !t.skipReason && !lastPrunes.includes(t)).map((t) => t.wave);
    const last = syncWaves.length ? Math.max(...syncWaves) + 1 : 0;
    for (const t of lastPrunes) t.wave = last;
  }

  // CreateNamespace=true: the destination namespace first of all, unless it exists or Git has it
  const ns = input.destinationNamespace;
  if (mode === 'sync' && appOpts.createNamespace && ns && !input.namespaceExists && !selective && !targetKeys.has(`/Namespace//${ns}`)) {
    const md = input.syncPolicy?.managedNamespaceMetadata;
    const nsObj: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, ...(md?.labels ? { labels: { ...md.labels } } : {}), ...(md?.annotations ? { annotations: { ...md.annotations } } : {}) } };
    add(nsObj, { phase: 'PreSync', wave: Number.MIN_SAFE_INTEGER, action: 'create', target: nsObj, outOfSync: true });
  }

  tasks.sort(compareTasks);
  const runnable = tasks.filter((t) => !t.skipReason);
  const steps = groupSteps(runnable.filter((t) => t.phase !== 'SyncFail'));
  const syncFailSteps = groupSteps(runnable.filter((t) => t.phase === 'SyncFail'));
  return { steps, syncFailSteps, tasks, options: appOpts, dryRun, errors };
}
