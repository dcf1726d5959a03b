import type { HealthStatusCode, KubeObject, ResultCode, SyncOperation, SyncPolicy } from '../types.js';
import type { ResourceDiff } from '../diff/types.js';
import type { ArgoHookType, HookDeletePolicy } from './hooks.js';
import type { SyncOptions } from './options.js';

export type PlanPhase = 'PreSync' | 'Sync' | 'PostSync' | 'SyncFail' | 'PreDelete' | 'PostDelete';
export type TaskAction = 'apply' | 'create' | 'replace' | 'prune' | 'hook' | 'delete-hook';

export interface ResourceKey {
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

export interface SyncTask extends ResourceKey {
  /** unique within a plan */
  id: string;
  version: string;
  phase: PlanPhase;
  wave: number;
  kindOrder: number;
  action: TaskAction;
  target?: KubeObject;
  live?: KubeObject;
  /** options in force for this resource (app, operation, then its own annotation) */
  syncOptions: SyncOptions;
  hookType?: ArgoHookType;
  hookDeletePolicies: HookDeletePolicy[];
  /** set when the task is planned but must not run; `resultCode` says how it is reported */
  skipReason?: string;
  resultCode?: ResultCode;
  /** the resource differs from Git (or is missing / extraneous) */
  outOfSync: boolean;
  dryRun: boolean;
}

export interface SyncStep {
  phase: PlanPhase;
  wave: number;
  /** ordered by kind, then name; delete-hook tasks first */
  tasks: SyncTask[];
}

export interface PlanInput {
  /** rendered manifests (hooks included), namespaces already resolved */
  targets: KubeObject[];
  /** live objects of the app (tracked by it) */
  live: KubeObject[];
  /** comparison per resource, by resourceKeyString (absent: treated as out of sync) */
  diffs?: Map<string, Pick<ResourceDiff, 'modified'>>;
  operation: SyncOperation;
  /** `spec.syncPolicy` of the app */
  syncPolicy?: SyncPolicy;
  /** `sync` (PreSync → Sync → PostSync, SyncFail on failure) or `delete` (PreDelete → deletion → PostDelete) */
  mode?: 'sync' | 'delete';
  /** hook objects already in the cluster (for BeforeHookCreation) */
  existingHooks?: KubeObject[];
  /** the app's destination namespace (CreateNamespace) */
  destinationNamespace?: string;
  /** whether the destination namespace exists live */
  namespaceExists?: boolean;
  /** resources (by resourceKeyString) that other apps also track, with their names (FailOnSharedResource) */
  sharedResources?: Map<string, string[]>;
  /** this app's name, for messages */
  appName?: string;
}

export interface SyncPlan {
  steps: SyncStep[];
  /** SyncFail hooks, run when the operation fails */
  syncFailSteps: SyncStep[];
  /** every task incl. skipped ones (PruneSkipped…), in order */
  tasks: SyncTask[];
  options: SyncOptions;
  dryRun: boolean;
  /** problems with the input (bad sync options) */
  errors: string[];
}

export interface TaskResult {
  status?: ResultCode;
  message?: string;
  /** for hooks: Running until the hook finishes */
  hookPhase?: 'Running' | 'Succeeded' | 'Failed' | 'Error' | 'Terminating' | 'Pending';
  /** current health of the applied resource (undefined = its kind has no health) */
  health?: HealthStatusCode;
}

export type NextStep =
  | { type: 'run'; phase: PlanPhase; wave: number; tasks: SyncTask[]; syncFail?: boolean }
  | { type: 'wait'; message: string; waitingFor: string[] }
  | { type: 'cleanup'; tasks: SyncTask[] }
  | { type: 'done'; message: string }
  | { type: 'failed'; message: string };
