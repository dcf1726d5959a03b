/**
 * The `argocd-repo-server` service: the `RepoServer` library behind HTTP/JSON (`POST /api/<method>`,
 * client in client.ts), with credentials from Argo CD's repository / repo-creds Secrets (a
 * `CredentialStore` fed by an informer in main.ts), an optional shared Redis cache of rendered
 * manifests, a bound on concurrent renders, and multi-source `$ref/…` Helm value files.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { KubeObject } from '@flotilla/apimachinery';
import type { GenerateManifestsRequest, GenerateManifestsResponse, RepositoryRequest } from './client.js';
import { credentialsFromSecrets, normalizeGitUrl, redact, type RepoCredentials } from './credentials.js';
import { appDetails, listApps, revisionMetadata, testRepository } from './details.js';
import { errorMessage, RepoError, type RepoErrorCode } from './errors.js';
import { normalizeRepoPath, resolveInRepo } from './paths.js';
import { manifestCacheKey, type RedisCache } from './redis-cache.js';
import type { RepoServer } from './repo-server.js';
import type { ApplicationSource } from './types.js';

/** HTTP status of each error code. */
export const STATUS_OF: Record<RepoErrorCode, number> = {
  InvalidSource: 400,
  PathEscape: 400,
  ParseError: 422,
  RenderFailed: 422,
  PathNotFound: 404,
  UnknownRevision: 404,
  TooLarge: 413,
  Unreachable: 502,
  Timeout: 504,
  ToolUnavailable: 501,
  GitFailed: 500,
};

/**
 * Credentials per repository URL: ones sent with a request (`repo` of generateManifests, kept for
 * that URL) win over the Secrets (`repository` exact URL, else `repo-creds` longest prefix) and the
 * `argocd-ssh-known-hosts-cm` ConfigMap given by `objects()`.
 */
export class CredentialStore {
  private objects: () => KubeObject[] = () => [];
  private readonly given = new Map<string, RepoCredentials>();

  setSource(objects: () => KubeObject[]): void {
    this.objects = objects;
  }

  remember(url: string, creds: RepoCredentials | undefined): void {
    if (creds && Object.keys(creds).length) this.given.set(normalizeGitUrl(url), creds);
  }

  readonly lookup = (url: string): RepoCredentials | undefined => this.given.get(normalizeGitUrl(url)) ?? credentialsFromSecrets(this.objects(), url);
}

export function credentialsOf(r: RepositoryRequest | undefined): RepoCredentials | undefined {
  if (!r) return undefined;
  const c: RepoCredentials = {};
  if (r.username) c.username = r.username;
  if (r.password) c.password = r.password;
  if (r.bearerToken) c.bearerToken = r.bearerToken;
  if (r.sshPrivateKey) c.sshPrivateKey = r.sshPrivateKey;
  if (r.tlsClientCertData) c.tlsClientCertData = r.tlsClientCertData;
  if (r.tlsClientCertKey) c.tlsClientCertKey = r.tlsClientCertKey;
  if (r.insecureIgnoreHostKey) c.insecureIgnoreHostKey = true;
  if (r.insecure) c.insecureSkipTLSVerify = true;
  return Object.keys(c).length ? c : undefined;
}

/** A counting semaphore (Argo's `--parallelismlimit`; 0 = unbounded). */
class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly max: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.max > 0 && this.active >= this.max) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

export interface RepoServiceOptions {
  server: RepoServer;
  credentials?: CredentialStore;
  cache?: RedisCache | undefined;
  /** concurrent generateManifests calls (0: unbounded) */
  parallelism?: number;
  /** readiness beyond "listening" (e.g. the Secrets informer has synced) */
  ready?: () => boolean;
  maxBodyBytes?: number;
  log?: (msg: string) => void;
  /** generateManifests requests waiting or running, per repository (metrics) */
  onPending?: (repo: string, delta: 1 | -1) => void;
}

type Handler = (body: any) => Promise<unknown>;

export class RepoService {
  readonly server: RepoServer;
  readonly credentials: CredentialStore;
  private readonly limiter: Limiter;
  private readonly refFiles = new Map<string, { text: string; users: number }>();
  private port = 0;
  private readonly methods: Record<string, Handler>;
  /** renders answered from the Redis cache (observability and tests) */
  readonly stats = { requests: 0, redisHits: 0 };

  constructor(private readonly o: RepoServiceOptions) {
    this.server = o.server;
    this.credentials = o.credentials ?? new CredentialStore();
    this.limiter = new Limiter(o.parallelism ?? 0);
    this.methods = {
      generateManifests: (b) => this.generateManifests(b),
      resolveRevision: async (b) => ({ revision: await this.server.resolveRevision(requireString(b, 'repoURL'), optString(b, 'revision')) }),
      listRefs: (b) => this.server.listRefs(requireString(b, 'repoURL')),
      testRepository: (b) => testRepository(this.server, b as RepositoryRequest),
      revisionMetadata: (b) => revisionMetadata(this.server, requireString(b, 'repoURL'), requireString(b, 'revision')),
      appDetails: (b) => appDetails(this.server, requireSource(b?.source), optString(b, 'appName')),
      listApps: (b) => listApps(this.server, requireString(b, 'repoURL'), optString(b, 'revision')),
    };
  }

  /** Renders a source (see GenerateManifestsRequest), through the Redis cache when there is one. */
  async generateManifests(req: GenerateManifestsRequest): Promise<GenerateManifestsResponse> {
    const source0 = requireSource(req?.source);
    const creds = credentialsOf((req as { repo?: RepositoryRequest }).repo);
    if (creds) this.credentials.remember(source0.repoURL, creds);
    this.o.onPending?.(source0.repoURL, 1);
    try {
      return await this.limiter.run(() => this.render(source0, req));
    } finally {
      this.o.onPending?.(source0.repoURL, -1);
    }
  }

  private async render(source0: ApplicationSource, req: GenerateManifestsRequest): Promise<GenerateManifestsResponse> {
    const { source, release } = await this.resolveRefs(source0, req.refSources);
    try {
      const gen = {
        ...(req.appName !== undefined ? { appName: req.appName } : {}),
        ...(req.namespace !== undefined ? { namespace: req.namespace } : {}),
        ...(req.kubeVersion !== undefined ? { kubeVersion: req.kubeVersion } : {}),
        ...(req.apiVersions !== undefined ? { apiVersions: req.apiVersions } : {}),
        ...(req.project !== undefined ? { project: req.project } : {}),
      };
      let key: string | undefined;
      if (this.o.cache && !source.chart) {
        const sha = await this.server.resolveRevision(source.repoURL, source.targetRevision);
        key = manifestCacheKey({ repo: source.repoURL.trim(), sha, path: source.path ?? '', targetRevision: source.targetRevision ?? '', directory: source.directory, kustomize: source.kustomize, helm: source.helm, gen });
        if (!req.noCache) {
          const hit = await this.o.cache.get<GenerateManifestsResponse>(key);
          if (hit) {
            this.stats.redisHits++;
            return hit;
          }
        }
      }
      const r = await this.server.generateManifests(source, gen);
      const out: GenerateManifestsResponse = { revision: r.revision, sourceType: r.sourceType, manifests: r.objects.map((o) => o.object), sources: r.objects.map((o) => o.source) };
      if (key) await this.o.cache!.set(key, out);
      return out;
    } finally {
      release();
    }
  }

  /**
   * Multi-source `$<ref>/<path>` Helm value files: read from the ref source's repository at its
   * revision and handed to the renderer as a loopback URL of this service whose name is the
   * content's hash (so equal content renders from cache), in their place in the list.
   */
  private async resolveRefs(source: ApplicationSource, refs: Record<string, ApplicationSource> | undefined): Promise<{ source: ApplicationSource; release: () => void }> {
    const files = source.helm?.valueFiles ?? [];
    if (!files.some((f) => f.startsWith('$'))) return { source, release: () => {} };
    const used: string[] = [];
    const release = () => {
      for (const h of used.splice(0)) {
        const e = this.refFiles.get(h);
        if (e && --e.users <= 0) this.refFiles.delete(h);
      }
    };
    try {
      const valueFiles: string[] = [];
      for (const f of files) {
        const m = /^\$([^/]+)\/(.+)$/.exec(f);
        if (!m) {
          valueFiles.push(f);
          continue;
        }
        const [, name, path] = m as unknown as [string, string, string];
        const ref = refs?.[name];
        if (!ref?.repoURL) throw new RepoError(`value file ${JSON.stringify(f)}: no source with ref "${name}" (sources with a ref: ${Object.keys(refs ?? {}).join(', ') || 'none'})`, { code: 'InvalidSource' });
        const sha = await this.server.resolveRevision(ref.repoURL, ref.targetRevision);
        const { tree, release: rel } = await this.server.git.repo(ref.repoURL).acquire(sha);
        let text: string;
        try {
          const p = normalizeRepoPath(path, `value file ${f}`);
          text = await readFile(await resolveInRepo(tree.root, p, `value file ${f}`), 'utf8');
        } finally {
          rel();
        }
        const h = createHash('sha256').update(text).digest('hex');
        const e = this.refFiles.get(h) ?? { text, users: 0 };
        e.users++;
        this.refFiles.set(h, e);
        used.push(h);
        valueFiles.push(`http://127.0.0.1:${this.port}/internal/ref-values/${h}.yaml`);
      }
      return { source: { ...source, helm: { ...source.helm, valueFiles } }, release };
    } catch (e) {
      release();
      throw e;
    }
  }

  /** The HTTP handler: `/api/<method>`, `/healthz`, `/readyz`. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/healthz' || url.pathname === '/readyz') {
      const ok = url.pathname === '/healthz' || (this.o.ready?.() ?? true);
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'not ready\n');
      return;
    }
    const ref = /^\/internal\/ref-values\/([0-9a-f]{64})\.yaml$/.exec(url.pathname);
    if (ref) {
      const local = ['127.0.0.1', '::1', '::ffff:127.0.0.1'].includes(req.socket.remoteAddress ?? '');
      const e = local ? this.refFiles.get(ref[1]!) : undefined;
      if (!e) res.writeHead(404).end();
      else res.writeHead(200, { 'content-type': 'application/yaml' }).end(e.text);
      return;
    }
    const m = /^\/api\/([A-Za-z]+)$/.exec(url.pathname);
    const method = m ? this.methods[m[1]!] : undefined;
    if (!method) return sendError(res, 404, { code: 'InvalidSource', message: `no such repo server method: ${req.method} ${url.pathname} (methods: ${Object.keys(this.methods).map((k) => `POST /api/${k}`).join(', ')})` });
    if (req.method !== 'POST') return sendError(res, 405, { code: 'InvalidSource', message: `${url.pathname} takes POST with a JSON body` });
    this.stats.requests++;
    readBody(req, this.o.maxBodyBytes ?? 16 * 1024 * 1024)
      .then((text) => {
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : {};
        } catch (e) {
          throw new RepoError(`request body is not JSON: ${errorMessage(e)}`, { code: 'InvalidSource' });
        }
        if (!body || typeof body !== 'object' || Array.isArray(body)) throw new RepoError('request body must be a JSON object', { code: 'InvalidSource' });
        return method(body);
      })
      .then(
        (out) => {
          const json = JSON.stringify(out);
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) }).end(json);
        },
        (e: unknown) => {
          const err = e instanceof RepoError ? e : new RepoError(errorMessage(e), { code: 'GitFailed' });
          if (!(e instanceof RepoError)) this.o.log?.(`${m![1]}: unexpected error: ${redact(errorMessage(e))}`);
          sendError(res, STATUS_OF[err.code] ?? 500, { code: err.code, message: redact(err.message), ...(err.file !== undefined ? { file: err.file } : {}), ...(err.line !== undefined ? { line: err.line } : {}) });
        },
      );
  };

  /** Listens on `host:port` (port 0 picks one); resolves with the bound port and a close function. */
  async listen(port: number, host = '0.0.0.0'): Promise<{ port: number; server: Server; close(): Promise<void> }> {
    const http = createServer(this.handle);
    http.requestTimeout = 0; // renders may take long; the client bounds its own wait
    // idle kept-alive sockets stay open well beyond the clients' own idle timeout, so a client
    // never writes a request into a socket the server is closing
    http.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(port, host, () => resolve());
    });
    this.port = (http.address() as { port: number }).port;
    return {
      port: this.port,
      server: http,
      close: () =>
        new Promise<void>((resolve) => {
          http.closeAllConnections();
          http.close(() => resolve());
        }),
    };
  }
}

class BodyTooLarge extends RepoError {}

function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > max) {
        reject(new BodyTooLarge(`request body is over ${max} bytes`, { code: 'TooLarge' }));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendError(res: ServerResponse, status: number, error: { code: string; message: string; file?: string; line?: number }): void {
  if (res.headersSent || res.destroyed) return;
  const json = JSON.stringify({ error });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) }).end(json);
}

function requireString(b: any, field: string): string {
  const v = b?.[field];
  if (typeof v !== 'string' || !v.trim()) throw new RepoError(`${field} is required (a non-empty string)`, { code: 'InvalidSource' });
  return v;
}

function optString(b: any, field: string): string | undefined {
  const v = b?.[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new RepoError(`${field} must be a string`, { code: 'InvalidSource' });
  return v;
}

function requireSource(s: unknown): ApplicationSource {
  if (!s || typeof s !== 'object' || Array.isArray(s)) throw new RepoError('source is required (an object with repoURL)', { code: 'InvalidSource' });
  const src = s as ApplicationSource;
  if (typeof src.repoURL !== 'string' || !src.repoURL.trim()) throw new RepoError('source.repoURL is required', { code: 'InvalidSource' });
  return src;
}
