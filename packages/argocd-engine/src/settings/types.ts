/**
 * The shape of Argo CD's settings as the engine uses them (argocd-cm + argocd-cmd-params-cm).
 * Field names follow Argo CD's documentation of those ConfigMaps.
 */

/** A rule set of fields to leave out of a comparison (or of a resource-update check). */
export interface IgnoreRule {
  jsonPointers?: string[];
  jqPathExpressions?: string[];
  managedFieldsManagers?: string[];
}

export interface KnownTypeField {
  field: string;
  type: string;
}

/** One entry of `resource.customizations` (or the split `resource.customizations.<field>.<group_kind>` keys). */
export interface ResourceOverride {
  health?: { lua: string; useOpenLibs?: boolean };
  /** The actions YAML document (discovery.lua + definitions), as written in argocd-cm. */
  actions?: string;
  ignoreDifferences?: IgnoreRule;
  ignoreResourceUpdates?: IgnoreRule;
  knownTypeFields?: KnownTypeField[];
}

/** One entry of `resource.exclusions` / `resource.inclusions`: globs on API groups, kinds and cluster URLs. */
export interface FilteredResource {
  apiGroups?: string[];
  kinds?: string[];
  clusters?: string[];
}

export type TrackingMethod = 'label' | 'annotation' | 'annotation+label';

export interface CompareOptions {
  ignoreAggregatedRoles: boolean;
  /** `crd`: drop status of CustomResourceDefinitions only; `all`: of every resource; `none`/`off`: of none. */
  ignoreResourceStatusField: 'crd' | 'all' | 'none' | 'off';
  ignoreDifferencesOnResourceUpdates: boolean;
}

export interface LocalAccount {
  name: string;
  /** `login` and/or `apiKey` */
  capabilities: string[];
  enabled: boolean;
}

/** A key of argocd-cm (or argocd-cmd-params-cm) that could not be used, and why. */
export interface SettingsError {
  key: string;
  message: string;
}

/** The argocd-cmd-params-cm keys the engine (controller side) reads, already typed; defaults as upstream. */
export interface CmdParams {
  statusProcessors: number;
  operationProcessors: number;
  selfHealTimeoutSeconds: number;
  repoServerTimeoutSeconds: number;
  syncTimeoutSeconds: number;
  syncWaveDelaySeconds: number;
  serverSideDiff: boolean;
  jqTimeoutMs: number;
  applicationNamespaces: string[];
  resourceHealthPersist: boolean;
  repoServer?: string;
  /** every key as written, for what the engine does not type */
  raw: Record<string, string>;
}

export interface ArgoSettings {
  /** keyed `group/Kind` (core group: `Kind`); keys may hold `*` globs as upstream allows */
  resourceOverrides: Map<string, ResourceOverride>;
  /** `resource.exclusions` plus Argo's core exclusions (always in force) */
  exclusions: FilteredResource[];
  inclusions: FilteredResource[];
  compareOptions: CompareOptions;
  trackingMethod: TrackingMethod;
  appInstanceLabelKey: string;
  reconciliationTimeoutSeconds: number;
  reconciliationJitterSeconds: number;
  hardReconciliationTimeoutSeconds: number;
  url?: string;
  adminEnabled: boolean;
  accounts: Map<string, LocalAccount>;
  usersSessionDurationSeconds: number;
  execEnabled: boolean;
  kustomizeBuildOptions?: string;
  /** `kustomize.buildOptions.<version>` */
  kustomizeVersionBuildOptions: Record<string, string>;
  helmValuesFileSchemes: string[];
  statusBadgeEnabled: boolean;
  statusBadgeRootUrl?: string;
  /** `installationID` (prefix of the tracking id / resource names when several Argo CD instances share a cluster) */
  installationID?: string;
  /** `users.anonymous.enabled` */
  anonymousEnabled: boolean;
  /** `passwordPattern` (local users' passwords) */
  passwordPattern: string;
  /** `oidc.config` / `dex.config`, as written (YAML) */
  oidcConfig?: string;
  dexConfig?: string;
  /** `application.sync.impersonation.enabled` */
  syncImpersonationEnabled: boolean;
  cmdParams: CmdParams;
  /** every argocd-cm key as written, for what the engine does not type */
  raw: Record<string, string>;
  /** keys that could not be parsed; everything else was */
  errors: SettingsError[];
}
