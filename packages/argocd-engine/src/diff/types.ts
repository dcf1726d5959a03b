import type { KubeObject, ResourceIgnoreDifferences } from '../types.js';
import type { ArgoSettings } from '../settings/types.js';

export interface DiffOptions {
  /** the Application's `spec.ignoreDifferences` */
  ignoreDifferences?: ResourceIgnoreDifferences[];
  /** argocd-cm: `resource.customizations.ignoreDifferences.*`, `resource.compareoptions`, tracking method */
  settings?: ArgoSettings;
  /** predicted live from a server-side dry-run apply of the target, when the caller did one */
  serverSideDryRun?: KubeObject;
  /** extra trusted managers (added to those of matching ignoreDifferences rules) */
  managedFieldsManagers?: string[];
  /**
   * When set, the target gets the app's tracking label/annotation (per `settings.trackingMethod`)
   * before comparison, as Argo CD does with the manifests it renders.
   */
  appName?: string;
  /** the Application's namespace (tracking id `<ns>_<app>` outside `controllerNamespace`) */
  appNamespace?: string;
  controllerNamespace?: string;
  /** namespace the target defaults to when it names none (the app's destination namespace) */
  defaultNamespace?: string;
  /** skip building the unified diff text (bulk comparisons); `diff` is then '' */
  noDiffText?: boolean;
}

export type DiffMode = 'none' | 'create' | 'prune' | 'three-way' | 'two-way' | 'server-side';

export interface ResourceDiff {
  modified: boolean;
  normalizedLive: KubeObject | null;
  predictedLive: KubeObject | null;
  /** unified diff, YAML, live → desired ('' when not modified); built when first read */
  diff: string;
  /** how the comparison was made */
  mode: DiffMode;
  /** the live object carries `argocd.argoproj.io/compare-options: IgnoreExtraneous` (it does not make the app OutOfSync) */
  ignoreExtraneous: boolean;
}
