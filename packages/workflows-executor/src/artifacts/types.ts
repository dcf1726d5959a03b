/** Artifact and artifact-repository shapes, with upstream's field names. */

export interface SecretKeySelector {
  name: string;
  key: string;
  optional?: boolean;
}

export interface S3Artifact {
  endpoint?: string;
  bucket?: string;
  key?: string;
  region?: string;
  insecure?: boolean;
  accessKeySecret?: SecretKeySelector;
  secretKeySecret?: SecretKeySelector;
  sessionTokenSecret?: SecretKeySelector;
  useSDKCreds?: boolean;
  createBucketIfNotPresent?: { objectLocking?: boolean };
  [k: string]: unknown;
}

export interface HTTPAuth {
  basicAuth?: { usernameSecret?: SecretKeySelector; passwordSecret?: SecretKeySelector };
  bearer?: { tokenSecret?: SecretKeySelector };
  oauth2?: {
    clientIDSecret?: SecretKeySelector;
    clientSecretSecret?: SecretKeySelector;
    tokenURLSecret?: SecretKeySelector;
    scopes?: string[];
    endpointParams?: { key: string; value?: string }[];
  };
  clientCert?: { clientCertSecret?: SecretKeySelector; clientKeySecret?: SecretKeySelector };
}

export interface HTTPArtifact {
  url: string;
  headers?: { name: string; value: string }[];
  auth?: HTTPAuth;
}

export interface ArtifactoryArtifact {
  url: string;
  usernameSecret?: SecretKeySelector;
  passwordSecret?: SecretKeySelector;
}

export interface GitArtifact {
  repo: string;
  revision?: string;
  depth?: number;
  fetch?: string[];
  branch?: string;
  singleBranch?: boolean;
  disableSubmodules?: boolean;
  insecureIgnoreHostKey?: boolean;
  usernameSecret?: SecretKeySelector;
  passwordSecret?: SecretKeySelector;
  sshPrivateKeySecret?: SecretKeySelector;
  insecureSkipTLS?: boolean;
}

export interface ArchiveStrategy {
  tar?: { compressionLevel?: number };
  none?: Record<string, never>;
  zip?: Record<string, never>;
}

export interface Artifact {
  name: string;
  path?: string;
  mode?: number;
  from?: string;
  optional?: boolean;
  subPath?: string;
  recurseMode?: boolean;
  archive?: ArchiveStrategy;
  archiveLogs?: boolean;
  globalName?: string;
  s3?: S3Artifact;
  http?: HTTPArtifact;
  artifactory?: ArtifactoryArtifact;
  git?: GitArtifact;
  raw?: { data: string };
  deleted?: boolean;
  [k: string]: unknown;
}

export interface ArtifactRepository {
  archiveLogs?: boolean;
  s3?: S3Artifact & { keyFormat?: string; keyPrefix?: string };
  /** Artifactory: artifacts go to `<repoURL>/<keyFormat>/<name>.tgz` */
  artifactory?: { repoURL?: string; keyFormat?: string; usernameSecret?: SecretKeySelector; passwordSecret?: SecretKeySelector };
  [k: string]: unknown;
}

/** Reads a Secret's key (from the mounted file, else through the API). */
export type SecretReader = (sel: SecretKeySelector) => Promise<string>;
