/**
 * `@flotilla/repo-server/client`: the client of the `argocd-repo-server` service (HTTP/JSON,
 * port 8081). Every call is `POST /api/<method>` with a JSON body; failures come back as
 * `{error: {code, message, file?, line?}}` with a 4xx/5xx status and are thrown as `RepoError`
 * carrying the same code.
 */
import type { KubeObject } from '@flotilla/apimachinery';
import { RepoError, type RepoErrorCode } from './errors.js';
import type { ApplicationSource, HelmParameter, SourceType } from './types.js';

export { RepoError, type RepoErrorCode } from './errors.js';
export type { ApplicationSource, SourceType } from './types.js';

export interface GenerateManifestsRequest {
  source: ApplicationSource;
  appName?: string;
  namespace?: string;
  kubeVersion?: string;
  apiVersions?: string[];
  project?: string;
  /** `ref` name → source, for multi-source `$ref/…` value files (resolved revisions are reported back) */
  refSources?: Record<string, ApplicationSource>;
  /** skip the shared (Redis) cache: a hard refresh */
  noCache?: boolean;
  /** credentials for `source.repoURL` (upstream's controller sends them; else the server's Secrets apply) */
  repo?: RepositoryRequest;
}

export interface GenerateManifestsResponse {
  /** commit SHA (Git) or chart version (Helm repository) */
  revision: string;
  sourceType: SourceType;
  manifests: KubeObject[];
  /** the repository file each manifest came from, index for index with `manifests` */
  sources?: string[];
}

/** A repository as the API takes it (Argo CD's `Repository` fields). */
export interface RepositoryRequest {
  repo: string;
  type?: 'git' | 'helm';
  username?: string;
  password?: string;
  bearerToken?: string;
  sshPrivateKey?: string;
  insecure?: boolean;
  insecureIgnoreHostKey?: boolean;
  tlsClientCertData?: string;
  tlsClientCertKey?: string;
}

export interface RevisionMetadata {
  author: string;
  /** RFC 3339 */
  date: string;
  message: string;
  tags: string[];
}

export interface AppDetails {
  type: SourceType;
  directory?: Record<string, never>;
  kustomize?: { images: string[] };
  helm?: { name?: string; valueFiles: string[]; parameters: HelmParameter[]; values?: string };
  /**
   * Present when override files are found next to the app: the files (`.argocd-source.yaml`, `.argocd-source-<appName>.yaml`),
   * the source's settings after them, and the origin of each setting (dotted path → file name; a
   * path absent from `origins` comes from the Application). Flotilla's addition to GetAppDetails.
   */
  overrides?: { files: string[]; origins: Record<string, string>; source: Partial<ApplicationSource> };
}

export interface RepoAppEntry {
  path: string;
  type: SourceType;
}

export class RepoClient {
  readonly baseURL: string;
  private readonly timeoutMs: number;

  /** `baseURL`: `http://argocd-repo-server:8081`, or `host:port` (http is assumed). */
  constructor(baseURL: string, opts: { timeoutMs?: number } = {}) {
    this.baseURL = (/^[a-z]+:\/\//i.test(baseURL) ? baseURL : `http://${baseURL}`).replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 180_000;
  }

  generateManifests(req: GenerateManifestsRequest): Promise<GenerateManifestsResponse> {
    return this.call('generateManifests', req);
  }

  resolveRevision(repoURL: string, revision?: string): Promise<{ revision: string }> {
    return this.call('resolveRevision', { repoURL, revision });
  }

  listRefs(repoURL: string): Promise<{ branches: string[]; tags: string[] }> {
    return this.call('listRefs', { repoURL });
  }

  /** Connection test with the given credentials (or the ones the server has for the URL). */
  testRepository(repo: RepositoryRequest): Promise<{ ok: boolean; message: string }> {
    return this.call('testRepository', repo);
  }

  revisionMetadata(repoURL: string, revision: string): Promise<RevisionMetadata> {
    return this.call('revisionMetadata', { repoURL, revision });
  }

  appDetails(source: ApplicationSource, opts: { appName?: string } = {}): Promise<AppDetails> {
    return this.call('appDetails', { source, ...opts });
  }

  listApps(repoURL: string, revision?: string): Promise<{ apps: RepoAppEntry[] }> {
    return this.call('listApps', { repoURL, revision });
  }

  async healthz(): Promise<boolean> {
    try {
      const r = await fetch(`${this.baseURL}/healthz`, { signal: AbortSignal.timeout(5000) });
      return r.ok;
    } catch {
      return false;
    }
  }

  private async call<T>(method: string, body: unknown): Promise<T> {
    let res: Response | undefined;
    // every method is a read: a connection reset (a kept-alive socket the server closed, a repo
    // server that is restarting) is retried a few times before the server counts as unreachable
    for (let attempt = 0; ; attempt++) {
      try {
        res = await fetch(`${this.baseURL}/api/${method}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        break;
      } catch (e) {
        const why = e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
        if (attempt < RETRY_DELAYS_MS.length && isTransient(e)) {
          await new Promise((r) => setTimeout(r, RETRY_DELAYS_MS[attempt]));
          continue;
        }
        throw new RepoError(`repo server ${this.baseURL} is unreachable: ${why}`, { code: 'Unreachable', cause: e });
      }
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      const err = (parsed as { error?: { code?: string; message?: string; file?: string; line?: number } } | undefined)?.error;
      throw new RepoError(err?.message ?? `repo server answered ${res.status}: ${text.slice(0, 500)}`, {
        code: (err?.code as RepoErrorCode | undefined) ?? 'GitFailed',
        ...(err?.file !== undefined ? { file: err.file } : {}),
        ...(err?.line !== undefined ? { line: err.line } : {}),
      });
    }
    if (parsed === undefined) throw new RepoError(`repo server answered ${res.status} without JSON: ${text.slice(0, 200)}`, { code: 'GitFailed' });
    return parsed as T;
  }
}

/**
 * Back-off between retries of a request whose connection failed (about 15 s in all: a repo server
 * pod that is starting or briefly not ready has no endpoint, and its Service resets connections —
 * 3.5 s was too short for the seed journey's `argocd app create` right after the install).
 */
const RETRY_DELAYS_MS = [100, 400, 1000, 2000, 3000, 4000, 5000];

/** A connection-level failure worth retrying (not a timeout of our own, not an answer). */
function isTransient(e: unknown): boolean {
  const codes = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNABORTED']);
  for (let c: unknown = e, i = 0; c && i < 4; c = (c as { cause?: unknown }).cause, i++) {
    const code = (c as { code?: string }).code;
    if (code && codes.has(code)) return true;
    if (c instanceof Error && /socket hang up|other side closed/i.test(c.message)) return true;
  }
  return false;
}
