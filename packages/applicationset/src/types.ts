/** ApplicationSet (argoproj.io/v1alpha1) shapes this controller reads and writes (raw JSON kept elsewhere). */
import type { KubeObject } from '@flotilla/apimachinery';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Obj = Record<string, unknown>;
/** One parameter set of a generator: flat string map (fasttemplate) or nested values (goTemplate). */
export type Params = Record<string, unknown>;

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

export interface AppTemplate {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[] };
  spec?: Obj;
}

export interface Generator {
  list?: { elements?: Obj[]; elementsYaml?: string; template?: AppTemplate };
  clusters?: { selector?: LabelSelector; values?: Record<string, string>; template?: AppTemplate };
  git?: {
    repoURL: string;
    revision?: string;
    directories?: { path: string; exclude?: boolean }[];
    files?: { path: string; exclude?: boolean }[];
    pathParamPrefix?: string;
    values?: Record<string, string>;
    template?: AppTemplate;
  };
  matrix?: { generators: Generator[]; template?: AppTemplate };
  merge?: { mergeKeys: string[]; generators: Generator[]; template?: AppTemplate };
  clusterDecisionResource?: { configMapRef: string; name?: string; labelSelector?: LabelSelector; values?: Record<string, string>; template?: AppTemplate };
  plugin?: { configMapRef: { name: string }; input?: { parameters?: Obj }; values?: Record<string, string>; template?: AppTemplate };
  scmProvider?: Obj;
  pullRequest?: Obj;
  selector?: LabelSelector;
  [other: string]: unknown;
}

export interface RollingStep {
  matchExpressions?: { key: string; operator: 'In' | 'NotIn'; values?: string[] }[];
  maxUpdate?: number | string;
}

export interface ApplicationSetSpec {
  goTemplate?: boolean;
  goTemplateOptions?: string[];
  generators?: Generator[];
  template?: AppTemplate;
  templatePatch?: string;
  syncPolicy?: { applicationsSync?: 'create-only' | 'create-update' | 'create-delete' | 'sync'; preserveResourcesOnDeletion?: boolean };
  strategy?: { type?: 'AllAtOnce' | 'RollingSync'; rollingSync?: { steps?: RollingStep[] } };
  ignoreApplicationDifferences?: { name?: string; jsonPointers?: string[]; jqPathExpressions?: string[] }[];
  preservedFields?: { annotations?: string[]; labels?: string[] };
}

export interface Condition {
  type: 'ErrorOccurred' | 'ParametersGenerated' | 'ResourcesUpToDate' | 'RolloutProgressing';
  status: 'True' | 'False';
  reason: string;
  message: string;
  lastTransitionTime?: string;
}

export interface AppStatusEntry {
  application: string;
  status: 'Waiting' | 'Pending' | 'Progressing' | 'Healthy';
  message: string;
  step: string;
  targetRevisions: string[];
  lastTransitionTime?: string;
}

export interface ResourceStatus {
  group: string;
  version: string;
  kind: string;
  name: string;
  namespace: string;
  status?: string;
  health?: { status?: string; message?: string };
}

export interface ApplicationSet extends KubeObject {
  spec?: ApplicationSetSpec;
  status?: { conditions?: Condition[]; applicationStatus?: AppStatusEntry[]; resources?: ResourceStatus[] };
}

export interface Application extends KubeObject {
  spec?: Obj;
  status?: { sync?: { status?: string }; health?: { status?: string; message?: string }; operationState?: { phase?: string } };
  operation?: Obj;
}

/** A generator's failure (bad input, unreachable source): lands in the ErrorOccurred condition. */
export class GeneratorError extends Error {}
