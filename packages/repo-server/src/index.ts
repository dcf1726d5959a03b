export { RepoError, type RepoErrorCode } from './errors.js';
export { credentialsFromSecrets, normalizeGitUrl, redact, type RepoCredentials } from './credentials.js';
export type {
  ApplicationSource,
  ApplicationSourceDirectory,
  ApplicationSourceHelm,
  ApplicationSourceJsonnet,
  ApplicationSourceKustomize,
  GenerateOptions,
  HelmFileParameter,
  HelmParameter,
  JsonnetVar,
  KustomizePatch,
  KustomizeReplica,
  KustomizeSelector,
  ManifestResult,
  RenderedObject,
  SourceType,
} from './types.js';
export { RepoServer, detectSourceType, type RepoServerOptions } from './repo-server.js';
export { ObjectCollector, parseYamlDocuments } from './manifests.js';
export { renderCommand, renderHelpText, type RenderIO } from './cli.js';
export { helmUnavailableReason } from './helm-adapter.js';
export { Constraint, maxSatisfying, parseVersion, compareVersions } from './semver.js';
export { globMatch } from './glob.js';
export { envsubst, buildEnv } from './envsubst.js';
export { resolveSubmoduleUrl } from './git.js';
