// sync: pure sync planning (see packages/argocd-engine/README.md)
export * from './types.js';
export { parseSyncOptions, resourceSyncOptions, DEFAULT_SYNC_OPTIONS, type SyncOptions, type ParsedSyncOptions, type PropagationPolicy } from './options.js';
export { hookInfo, hookType, hookTypes, isHook, hookDeletePolicies, syncWave, type ArgoHookType, type HookDeletePolicy, type HookInfo } from './hooks.js';
export { KIND_ORDER, kindOrder, compareKinds } from './kinds.js';
export { planSync, groupSteps, compareTasks, resourceKey, resourceKeyString, PHASE_ORDER } from './plan.js';
export { nextStep, cleanupId, MESSAGES } from './next.js';
