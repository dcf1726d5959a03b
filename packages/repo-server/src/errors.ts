/**
 * The one error type the repo server throws. `code` classifies the failure so callers (the
 * application controller, the CLI) can react without parsing messages; `file` names the file
 * inside the repository the failure is about, when there is one.
 */
export type RepoErrorCode =
  | 'InvalidSource' // the ApplicationSource itself is malformed or contradictory
  | 'PathEscape' // a path leaves the repository (../, absolute, symlink out)
  | 'PathNotFound' // the app path does not exist at that revision
  | 'UnknownRevision' // a branch/tag/SHA that the repository does not have
  | 'Unreachable' // the repository cannot be contacted or refused the credentials
  | 'GitFailed' // any other git failure
  | 'ParseError' // a manifest file that is not valid YAML/JSON or not a Kubernetes object
  | 'RenderFailed' // kustomize / jsonnet / helm reported an error
  | 'TooLarge' // a file or a render output is over the configured bound
  | 'Timeout' // a render or git command ran over its time budget
  | 'ToolUnavailable'; // kustomize or the Helm renderer is not installed

export class RepoError extends Error {
  override name = 'RepoError';
  code: RepoErrorCode;
  /** File inside the repository (repo-relative, forward slashes) the error is about. */
  file?: string;
  /** Line in `file` (1-based) when known. */
  line?: number;

  constructor(message: string, opts: { code?: RepoErrorCode; file?: string; line?: number; cause?: unknown } = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.code = opts.code ?? 'GitFailed';
    if (opts.file !== undefined) this.file = opts.file;
    if (opts.line !== undefined) this.line = opts.line;
  }
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
