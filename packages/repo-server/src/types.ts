import type { KubeObject } from '@flotilla/apimachinery';

/** A Jsonnet external variable or top-level argument (`code: true` = Jsonnet code, else string). */
export interface JsonnetVar {
  name: string;
  value: string;
  code?: boolean;
}

/** spec.source.directory */
export interface ApplicationSourceDirectory {
  recurse?: boolean;
  /** Glob (`*` also crosses `/`; `{a,b}` alternatives) matched against the path relative to the app dir. */
  include?: string;
  /** Glob; takes precedence over include. */
  exclude?: string;
  jsonnet?: ApplicationSourceJsonnet;
}

/** spec.source.directory.jsonnet */
export interface ApplicationSourceJsonnet {
  extVars?: JsonnetVar[];
  tlas?: JsonnetVar[];
  /** Library search directories, relative to the repository root. */
  libs?: string[];
}

export interface KustomizeReplica {
  name: string;
  count: number | string;
}

export interface KustomizeSelector {
  group?: string;
  version?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  labelSelector?: string;
  annotationSelector?: string;
}

export interface KustomizePatch {
  path?: string;
  patch?: string;
  target?: KustomizeSelector;
  options?: Record<string, boolean>;
}

/** spec.source.kustomize */
export interface ApplicationSourceKustomize {
  namePrefix?: string;
  nameSuffix?: string;
  /** `kustomize edit set image` syntax: `name=newName:tag`, `name:tag`, `name@digest`, … */
  images?: string[];
  replicas?: KustomizeReplica[];
  commonLabels?: Record<string, string>;
  commonAnnotations?: Record<string, string>;
  commonAnnotationsEnvsubst?: boolean;
  forceCommonLabels?: boolean;
  forceCommonAnnotations?: boolean;
  labelWithoutSelector?: boolean;
  labelIncludeTemplates?: boolean;
  namespace?: string;
  patches?: KustomizePatch[];
  components?: string[];
  ignoreMissingComponents?: boolean;
  /** A kustomize version registered in RepoServer's `kustomizeVersions`. */
  version?: string;
  kubeVersion?: string;
  apiVersions?: string[];
}

export interface HelmParameter {
  name: string;
  value: string;
  forceString?: boolean;
}

export interface HelmFileParameter {
  name: string;
  path: string;
}

/** spec.source.helm */
export interface ApplicationSourceHelm {
  releaseName?: string;
  valueFiles?: string[];
  ignoreMissingValueFiles?: boolean;
  /** YAML text. Ignored when valuesObject is set. */
  values?: string;
  valuesObject?: Record<string, unknown>;
  parameters?: HelmParameter[];
  fileParameters?: HelmFileParameter[];
  skipCrds?: boolean;
  skipSchemaValidation?: boolean;
  skipTests?: boolean;
  passCredentials?: boolean;
  namespace?: string;
  kubeVersion?: string;
  apiVersions?: string[];
  version?: string;
}

/** Argo CD's spec.source. */
export interface ApplicationSource {
  repoURL: string;
  targetRevision?: string;
  path?: string;
  /** Set for a Helm chart repository source (repoURL is then the Helm repository). */
  chart?: string;
  directory?: ApplicationSourceDirectory;
  kustomize?: ApplicationSourceKustomize;
  helm?: ApplicationSourceHelm;
  plugin?: unknown;
  /** Multi-source `ref` name; accepted and ignored here. */
  ref?: string;
}

export type SourceType = 'Directory' | 'Kustomize' | 'Helm' | 'Jsonnet';

export interface RenderedObject {
  object: KubeObject;
  /** File path inside the repository the object came from, e.g. "guestbook/guestbook-ui-deployment.yaml". */
  source: string;
}

export interface GenerateOptions {
  /** Application name: Helm's default release name and $ARGOCD_APP_NAME. */
  appName?: string;
  /** Destination namespace: Helm's namespace and $ARGOCD_APP_NAMESPACE. */
  namespace?: string;
  /** Cluster version for Helm's .Capabilities and $KUBE_VERSION, e.g. "1.32.0". */
  kubeVersion?: string;
  /** Cluster API versions for Helm's .Capabilities.APIVersions. */
  apiVersions?: string[];
  /** $ARGOCD_APP_PROJECT_NAME */
  project?: string;
}

export interface ManifestResult {
  /** Commit SHA for Git sources, chart version for Helm repository sources. */
  revision: string;
  sourceType: SourceType;
  /** Frozen objects: clone before mutating. */
  objects: RenderedObject[];
}
