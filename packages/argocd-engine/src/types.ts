/**
 * Argo CD's resources as TypeScript shapes (`argoproj.io/v1alpha1`), field names exactly as Argo
 * CD's CRDs and REST API spell them. Shared by the controller, the server and the CLI. Only the
 * fields Flotilla reads or writes are typed; everything else passes through untouched.
 */
import type { KubeObject } from '@flotilla/apimachinery';
import type { ApplicationSource as RepoSource } from '@flotilla/repo-server';

export type { KubeObject };

export type SyncStatusCode = 'Synced' | 'OutOfSync' | 'Unknown';
export type HealthStatusCode = 'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'Missing' | 'Unknown';
export type OperationPhase = 'Running' | 'Terminating' | 'Failed' | 'Error' | 'Succeeded';
export type SyncPhase = 'PreSync' | 'Sync' | 'PostSync' | 'SyncFail' | 'PostDelete';
export type HookType = SyncPhase | 'Skip';
export type ResultCode = 'Synced' | 'SyncFailed' | 'Pruned' | 'PruneSkipped';

export interface ApplicationSource extends RepoSource {
  name?: string;
}

export interface ApplicationDestination {
  server?: string;
  name?: string;
  namespace?: string;
}

export interface SyncPolicy {
  automated?: { prune?: boolean; selfHeal?: boolean; allowEmpty?: boolean; enabled?: boolean };
  syncOptions?: string[];
  retry?: { limit?: number; backoff?: { duration?: string; factor?: number; maxDuration?: string } };
  managedNamespaceMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
}

export interface ResourceIgnoreDifferences {
  group?: string;
  kind: string;
  name?: string;
  namespace?: string;
  jsonPointers?: string[];
  jqPathExpressions?: string[];
  managedFieldsManagers?: string[];
}

export interface ApplicationSpec {
  project: string;
  source?: ApplicationSource;
  sources?: ApplicationSource[];
  destination: ApplicationDestination;
  syncPolicy?: SyncPolicy;
  ignoreDifferences?: ResourceIgnoreDifferences[];
  revisionHistoryLimit?: number;
  info?: { name: string; value: string }[];
}

export interface SyncOperationResource {
  group?: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface SyncStrategy {
  apply?: { force?: boolean };
  hook?: { force?: boolean };
}

export interface SyncOperation {
  revision?: string;
  revisions?: string[];
  prune?: boolean;
  dryRun?: boolean;
  resources?: SyncOperationResource[];
  source?: ApplicationSource;
  sources?: ApplicationSource[];
  syncOptions?: string[];
  syncStrategy?: SyncStrategy;
  manifests?: string[];
}

export interface Operation {
  sync?: SyncOperation;
  initiatedBy?: { username?: string; automated?: boolean };
  info?: { name: string; value: string }[];
  retry?: SyncPolicy['retry'];
}

export interface ResourceResult {
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
  status?: ResultCode;
  message?: string;
  hookType?: HookType;
  hookPhase?: 'Running' | 'Succeeded' | 'Failed' | 'Error' | 'Terminating' | 'Pending';
  syncPhase?: SyncPhase;
  /** for hooks and waves */
  images?: string[];
}

export interface OperationState {
  operation: Operation;
  phase: OperationPhase;
  message?: string;
  syncResult?: {
    resources?: ResourceResult[];
    revision: string;
    revisions?: string[];
    source?: ApplicationSource;
    sources?: ApplicationSource[];
    managedNamespaceMetadata?: SyncPolicy['managedNamespaceMetadata'];
  };
  startedAt: string;
  finishedAt?: string;
  retryCount?: number;
}

export interface ResourceStatus {
  group?: string;
  version: string;
  kind: string;
  namespace?: string;
  name: string;
  status?: SyncStatusCode;
  health?: { status: HealthStatusCode; message?: string };
  hook?: boolean;
  requiresPruning?: boolean;
  syncWave?: number;
}

export interface RevisionHistory {
  id: number;
  revision?: string;
  revisions?: string[];
  source?: ApplicationSource;
  sources?: ApplicationSource[];
  deployedAt: string;
  deployStartedAt?: string;
  initiatedBy?: { username?: string; automated?: boolean };
}

export interface ApplicationCondition {
  type: string; // ComparisonError, InvalidSpecError, SyncError, OrphanedResourceWarning, SharedResourceWarning, ...
  message: string;
  lastTransitionTime?: string;
}

export interface ApplicationStatus {
  resources?: ResourceStatus[];
  sync?: {
    status: SyncStatusCode;
    comparedTo?: { source?: ApplicationSource; sources?: ApplicationSource[]; destination: ApplicationDestination; ignoreDifferences?: ResourceIgnoreDifferences[] };
    revision?: string;
    revisions?: string[];
  };
  health?: { status: HealthStatusCode; message?: string; lastTransitionTime?: string };
  history?: RevisionHistory[];
  conditions?: ApplicationCondition[];
  reconciledAt?: string;
  operationState?: OperationState;
  observedAt?: string;
  sourceType?: string;
  sourceTypes?: string[];
  summary?: { externalURLs?: string[]; images?: string[] };
  resourceHealthSource?: 'appTree';
  controllerNamespace?: string;
}

export interface Application extends KubeObject {
  apiVersion: 'argoproj.io/v1alpha1';
  kind: 'Application';
  spec: ApplicationSpec;
  status?: ApplicationStatus;
  operation?: Operation;
}

export interface GroupKind {
  group: string;
  kind: string;
}

export interface SyncWindow {
  kind: 'allow' | 'deny';
  schedule: string;
  duration: string;
  applications?: string[];
  namespaces?: string[];
  clusters?: string[];
  manualSync?: boolean;
  timeZone?: string;
}

export interface ProjectRole {
  name: string;
  description?: string;
  policies?: string[];
  groups?: string[];
  jwtTokens?: { iat: number; exp?: number; id?: string }[];
}

export interface AppProjectSpec {
  description?: string;
  sourceRepos?: string[];
  sourceNamespaces?: string[];
  destinations?: ApplicationDestination[];
  clusterResourceWhitelist?: GroupKind[];
  clusterResourceBlacklist?: GroupKind[];
  namespaceResourceWhitelist?: GroupKind[];
  namespaceResourceBlacklist?: GroupKind[];
  orphanedResources?: { warn?: boolean; ignore?: { group?: string; kind?: string; name?: string }[] };
  roles?: ProjectRole[];
  syncWindows?: SyncWindow[];
  signatureKeys?: { keyID: string }[];
}

export interface AppProject extends KubeObject {
  apiVersion: 'argoproj.io/v1alpha1';
  kind: 'AppProject';
  spec: AppProjectSpec;
  status?: { jwtTokensByRole?: Record<string, { items?: { iat: number; exp?: number; id?: string }[] }> };
}

/** A tree node as argocd-server's `resource-tree` API returns it. */
export interface ResourceNode {
  group?: string;
  version: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
  parentRefs?: { group?: string; kind: string; namespace?: string; name: string; uid?: string }[];
  info?: { name: string; value: string }[];
  networkingInfo?: unknown;
  resourceVersion?: string;
  images?: string[];
  health?: { status: HealthStatusCode; message?: string };
  createdAt?: string;
}

/** Annotations and labels Argo CD reads. */
export const ANNOTATIONS = {
  syncWave: 'argocd.argoproj.io/sync-wave',
  hook: 'argocd.argoproj.io/hook',
  hookDeletePolicy: 'argocd.argoproj.io/hook-delete-policy',
  syncOptions: 'argocd.argoproj.io/sync-options',
  compareOptions: 'argocd.argoproj.io/compare-options',
  trackingId: 'argocd.argoproj.io/tracking-id',
  refresh: 'argocd.argoproj.io/refresh',
  helmHook: 'helm.sh/hook',
  helmHookWeight: 'helm.sh/hook-weight',
  helmHookDeletePolicy: 'helm.sh/hook-delete-policy',
  lastApplied: 'kubectl.kubernetes.io/last-applied-configuration',
} as const;
export const LABELS = {
  instance: 'app.kubernetes.io/instance',
  secretType: 'argocd.argoproj.io/secret-type',
} as const;
export const FINALIZERS = {
  resources: 'resources-finalizer.argocd.argoproj.io',
  resourcesBackground: 'resources-finalizer.argocd.argoproj.io/background',
  postDelete: 'post-delete-finalizer.argocd.argoproj.io',
} as const;
export const IN_CLUSTER = 'https://kubernetes.default.svc';
