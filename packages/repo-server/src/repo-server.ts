/**
 * Argo CD's repo server as a library: resolves revisions, keeps a cache of repositories and
 * commit trees, detects the source type and renders manifests, caching each
 * (repository, commit, path, options) render.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { RepoCredentials } from './credentials.js';
import { redact } from './credentials.js';
import { buildEnv } from './envsubst.js';
import { errorMessage, RepoError } from './errors.js';
import { GitCache } from './git.js';
import { loadHelm } from './helm-adapter.js';
import { deepFreeze } from './manifests.js';
import { LRU } from './mutex.js';
import { normalizeRepoPath, resolveInRepo } from './paths.js';
import type { RenderContext } from './render-context.js';
import { renderDirectory } from './render-directory.js';
import { renderHelm } from './render-helm.js';
import { findKustomization, renderKustomize, type KustomizeTools } from './render-kustomize.js';
import { Sandbox } from './sandbox.js';
import type { ApplicationSource, GenerateOptions, ManifestResult, RenderedObject, SourceType } from './types.js';

export interface RepoServerOptions {
  /** Where repositories, commit trees, fetched charts and scratch copies live. */
  cacheDir: string;
  /** Largest single manifest / values file read (default 10 MiB). */
  maxFileBytes?: number;
  /** Most objects one render may produce (default 10000). */
  maxObjects?: number;
  /** Time budget of one render step: kustomize build, a Jsonnet file, a Helm chart (default 60 s). */
  renderTimeoutMs?: number;
  /** Credentials per repository URL (e.g. `(url) => credentialsFromSecrets(secrets, url)`). */
  credentials?: (repoUrl: string) => RepoCredentials | undefined;
  /** Largest total render output (default 64 MiB). */
  maxOutputBytes?: number;
  /** Time budget of one git command (default 120 s). */
  gitTimeoutMs?: number;
  /** Reuse ls-remote answers this long (default 0: always ask the server). */
  revisionCacheTtlMs?: number;
  /** Rendered results kept in memory (default 500). */
  maxCacheEntries?: number;
  /** Default kustomize binary (`kustomize` or `kubectl`); otherwise found on PATH. */
  kustomizePath?: string;
  /** Version-specific kustomize binaries, selected by `source.kustomize.version`. */
  kustomizeVersions?: Record<string, string>;
  /** Extra flags for every `kustomize build`. */
  kustomizeBuildOptions?: string;
  /** ssh program used for SSH repositories (default "ssh"). */
  sshCommand?: string;
  /** Render worker processes (default min(4, CPUs)). */
  renderWorkers?: number;
  /** Commit trees kept on disk per repository (default 16). */
  maxTreesPerRepo?: number;
}

const isZero = (v: unknown): boolean => {
  if (v === undefined || v === null || v === false || v === '' || v === 0) return true;
  if (Array.isArray(v)) return v.every(isZero);
  if (typeof v === 'object') return Object.values(v as Record<string, unknown>).every(isZero);
  return false;
};

function stableStringify(v: unknown): string {
  if (v === undefined) return 'null';
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  const keys = Object.keys(v as Record<string, unknown>)
    .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify((v as Record<string, unknown>)[k])}`).join(',')}}`;
}

/** Argo CD's tool detection: explicit options first, then Chart.yaml → Helm, kustomization → Kustomize. */
export function detectSourceType(source: ApplicationSource, appDir: string): 'Directory' | 'Kustomize' | 'Helm' {
  const explicit: ('Directory' | 'Kustomize' | 'Helm')[] = [];
  if (!isZero(source.directory)) explicit.push('Directory');
  if (!isZero(source.kustomize)) explicit.push('Kustomize');
  if (!isZero(source.helm)) explicit.push('Helm');
  if (explicit.length > 1) {
    throw new RepoError(`multiple application source types are configured (${explicit.join(', ')}); set only one of directory, kustomize and helm`, {
      code: 'InvalidSource',
    });
  }
  if (explicit.length === 1) return explicit[0]!;
  if (existsSync(join(appDir, 'Chart.yaml'))) return 'Helm';
  if (findKustomization(appDir)) return 'Kustomize';
  return 'Directory';
}

export class RepoServer {
  readonly git: GitCache;
  private readonly sandbox: Sandbox;
  private readonly results: LRU<string, ManifestResult>;
  private readonly inflight = new Map<string, Promise<ManifestResult>>();
  private readonly o: Required<Pick<RepoServerOptions, 'cacheDir' | 'maxFileBytes' | 'maxObjects' | 'renderTimeoutMs' | 'maxOutputBytes'>>;
  private readonly tools: KustomizeTools;
  /** Counters for observability (and tests). */
  readonly stats = { renders: 0, cacheHits: 0 };

  constructor(opts: RepoServerOptions) {
    if (!opts?.cacheDir) throw new RepoError('RepoServer needs a cacheDir', { code: 'InvalidSource' });
    this.o = {
      cacheDir: opts.cacheDir,
      maxFileBytes: opts.maxFileBytes ?? 10 * 1024 * 1024,
      maxObjects: opts.maxObjects ?? 10_000,
      renderTimeoutMs: opts.renderTimeoutMs ?? 60_000,
      maxOutputBytes: opts.maxOutputBytes ?? 64 * 1024 * 1024,
    };
    this.git = new GitCache({
      cacheDir: opts.cacheDir,
      credentials: opts.credentials,
      ...(opts.gitTimeoutMs !== undefined ? { gitTimeoutMs: opts.gitTimeoutMs } : {}),
      ...(opts.revisionCacheTtlMs !== undefined ? { revisionCacheTtlMs: opts.revisionCacheTtlMs } : {}),
      ...(opts.sshCommand !== undefined ? { sshCommand: opts.sshCommand } : {}),
      ...(opts.maxTreesPerRepo !== undefined ? { maxTreesPerRepo: opts.maxTreesPerRepo } : {}),
    });
    this.sandbox = new Sandbox(opts.renderWorkers);
    this.results = new LRU(opts.maxCacheEntries ?? 500);
    this.tools = { kustomizePath: opts.kustomizePath, versions: opts.kustomizeVersions, buildOptions: opts.kustomizeBuildOptions };
  }

  /** Number of git processes this server has started. */
  get gitInvocations(): number {
    return this.git.gitInvocations;
  }

  /** Resolves a branch, tag, (short) commit SHA, HEAD or tag semver range to a full commit SHA. */
  resolveRevision(repoURL: string, revision?: string): Promise<string> {
    return this.git.repo(requireUrl(repoURL)).resolve(revision);
  }

  listRefs(repoURL: string): Promise<{ branches: string[]; tags: string[] }> {
    return this.git.repo(requireUrl(repoURL)).listRefs();
  }

  /** Renders the source's manifests at its target revision (served from cache when seen before). */
  async generateManifests(source: ApplicationSource, opts: GenerateOptions = {}): Promise<ManifestResult> {
    if (!source || typeof source !== 'object') throw new RepoError('source is required', { code: 'InvalidSource' });
    requireUrl(source.repoURL);
    if (!isZero(source.plugin)) {
      throw new RepoError('config management plugins (source.plugin) are not supported by this repo server', { code: 'InvalidSource' });
    }
    if (source.chart) return this.generateFromHelmRepo(source, opts);
    const sha = await this.resolveRevision(source.repoURL, source.targetRevision);
    const key = stableStringify({
      repo: source.repoURL.trim(),
      sha,
      path: source.path ?? '',
      targetRevision: source.targetRevision ?? '',
      directory: source.directory,
      kustomize: source.kustomize,
      helm: source.helm,
      opts,
    });
    return this.cached(key, () => this.renderGit(source, sha, opts));
  }

  private async cached(key: string, render: () => Promise<ManifestResult>): Promise<ManifestResult> {
    const hit = this.results.get(key);
    if (hit) {
      this.stats.cacheHits++;
      return hit;
    }
    let p = this.inflight.get(key);
    if (!p) {
      p = (async () => {
        this.stats.renders++;
        const r = await render();
        deepFreeze(r);
        this.results.set(key, r);
        return r;
      })();
      this.inflight.set(key, p);
      const clear = () => this.inflight.delete(key);
      p.then(clear, clear);
    }
    return p;
  }

  /** A lazily created scratch directory and its cleanup. */
  private scratch(): { get: () => Promise<string>; dispose: () => Promise<void> } {
    let dir: Promise<string> | undefined;
    return {
      get: () =>
        (dir ??= (async () => {
          const base = join(this.o.cacheDir, 'work');
          await mkdir(base, { recursive: true });
          return mkdtemp(join(base, 'render-'));
        })()),
      dispose: async () => {
        if (!dir) return;
        const d = await dir.catch(() => undefined);
        if (d) await rm(d, { recursive: true, force: true }).catch(() => {});
      },
    };
  }

  private context(
    root: string,
    appPath: string,
    appDir: string,
    env: Record<string, string>,
    gen: GenerateOptions,
    scratch: () => Promise<string>,
  ): RenderContext {
    return {
      root,
      appPath,
      appDir,
      env,
      gen,
      maxFileBytes: this.o.maxFileBytes,
      maxObjects: this.o.maxObjects,
      maxOutputBytes: this.o.maxOutputBytes,
      timeoutMs: this.o.renderTimeoutMs,
      sandbox: this.sandbox,
      scratch,
      chartsDir: join(this.o.cacheDir, 'charts'),
    };
  }

  private async renderGit(source: ApplicationSource, sha: string, gen: GenerateOptions): Promise<ManifestResult> {
    const appPath = normalizeRepoPath(source.path, 'application path');
    const repo = this.git.repo(source.repoURL);
    const { tree, release } = await repo.acquire(sha);
    const work = this.scratch();
    try {
      if (tree.outOfBoundsSymlinks.length) {
        throw new RepoError(
          `repository ${redact(source.repoURL)} at ${sha.slice(0, 12)} contains symlinks pointing outside the repository: ${tree.outOfBoundsSymlinks.slice(0, 5).join(', ')}`,
          { code: 'PathEscape', file: tree.outOfBoundsSymlinks[0]! },
        );
      }
      const appDir = await resolveInRepo(tree.root, appPath, 'application path');
      const st = await stat(appDir);
      if (!st.isDirectory()) throw new RepoError(`application path ${JSON.stringify(appPath)} is not a directory`, { code: 'PathNotFound', file: appPath });
      const env = buildEnv({
        ...(gen.appName !== undefined ? { appName: gen.appName } : {}),
        ...(gen.namespace !== undefined ? { namespace: gen.namespace } : {}),
        ...(gen.project !== undefined ? { project: gen.project } : {}),
        revision: sha,
        path: appPath,
        repoURL: source.repoURL,
        ...(source.targetRevision !== undefined ? { targetRevision: source.targetRevision } : {}),
        ...(gen.kubeVersion !== undefined ? { kubeVersion: gen.kubeVersion } : {}),
        ...(gen.apiVersions !== undefined ? { apiVersions: gen.apiVersions } : {}),
      });
      const ctx = this.context(tree.root, appPath, appDir, env, gen, work.get);
      source = await applyOverrideFiles(source, appDir, appPath, gen.appName);
      const type = detectSourceType(source, appDir);
      let objects: RenderedObject[];
      let sourceType: SourceType = type;
      if (type === 'Helm') objects = await renderHelm(ctx, source.helm, appPath);
      else if (type === 'Kustomize') objects = await renderKustomize(ctx, source.kustomize, this.tools);
      else {
        const r = await renderDirectory(ctx, source.directory);
        objects = r.objects;
        if (r.jsonnetOnly) sourceType = 'Jsonnet';
      }
      return { revision: sha, sourceType, objects };
    } finally {
      release();
      await work.dispose();
    }
  }

  private async generateFromHelmRepo(source: ApplicationSource, gen: GenerateOptions): Promise<ManifestResult> {
    const helm = await loadHelm();
    if (typeof helm.fetchChartFromRepo !== 'function') {
      throw new RepoError('Helm repository sources are not available: @flotilla/helm does not export fetchChartFromRepo', { code: 'ToolUnavailable' });
    }
    const chart = source.chart!;
    const range = (source.targetRevision ?? '').trim() || '*';
    const chartsDir = join(this.o.cacheDir, 'charts');
    await mkdir(chartsDir, { recursive: true });
    let chartDir: string;
    try {
      chartDir = await helm.fetchChartFromRepo(source.repoURL, chart, range, chartsDir);
    } catch (e) {
      const msg = redact(errorMessage(e));
      const code = /no .*version|not found|no chart|matching|satisf/i.test(msg) ? 'UnknownRevision' : 'Unreachable';
      throw new RepoError(`cannot fetch chart ${JSON.stringify(chart)} ${range} from ${redact(source.repoURL)}: ${msg}`, { code, cause: e });
    }
    let version = '';
    try {
      const meta = parseYaml(await readFile(join(chartDir, 'Chart.yaml'), 'utf8')) as { version?: unknown };
      version = String(meta?.version ?? '');
    } catch {
      /* the renderer will report a broken chart */
    }
    const key = stableStringify({ helmRepo: source.repoURL.trim(), chart, version, chartDir, helm: source.helm, opts: gen });
    return this.cached(key, async () => {
      const work = this.scratch();
      try {
        const env = buildEnv({
          ...(gen.appName !== undefined ? { appName: gen.appName } : {}),
          ...(gen.namespace !== undefined ? { namespace: gen.namespace } : {}),
          ...(gen.project !== undefined ? { project: gen.project } : {}),
          revision: version,
          path: '',
          repoURL: source.repoURL,
          targetRevision: range,
          ...(gen.kubeVersion !== undefined ? { kubeVersion: gen.kubeVersion } : {}),
          ...(gen.apiVersions !== undefined ? { apiVersions: gen.apiVersions } : {}),
        });
        const ctx = this.context(chartDir, '', chartDir, env, gen, work.get);
        const objects = await renderHelm(ctx, source.helm, chart);
        return { revision: version, sourceType: 'Helm' as const, objects };
      } finally {
        await work.dispose();
      }
    });
  }

  /** Drops cached renders (repositories and trees on disk stay). */
  clearCache(): void {
    this.results.clear();
  }

  /** Stops the render workers. The server must not be used afterwards. */
  close(): void {
    this.sandbox.close();
  }
}

/**
 * Argo CD's parameter override files: `.argocd-source.yaml` and then
 * `.argocd-source-<appName>.yaml` in the app directory are merged (JSON merge patch) over the
 * source's directory/kustomize/helm/plugin settings.
 */
async function applyOverrideFiles(source: ApplicationSource, appDir: string, appPath: string, appName: string | undefined): Promise<ApplicationSource> {
  return (await overrideLayers(source, appDir, appPath, appName)).source;
}

/** Where an effective setting of a source comes from: 'Application' or an override file's name. */
export type Origins = Record<string, string>;

/**
 * The source after the override files, and the origin of each setting: a dotted path (`helm.parameters`,
 * `kustomize.images`, `helm.valuesObject.image.tag`) → the file that set it last, 'Application' otherwise.
 * Arrays are replaced whole by a merge patch, so an array's origin is the one of its path.
 */
export async function overrideLayers(source: ApplicationSource, appDir: string, appPath: string, appName: string | undefined): Promise<{ source: ApplicationSource; origins: Origins; files: string[] }> {
  const files = ['.argocd-source.yaml', ...(appName ? [`.argocd-source-${appName}.yaml`] : [])];
  const origins: Origins = {};
  const found: string[] = [];
  let out = source;
  for (const f of files) {
    const p = join(appDir, f);
    if (!existsSync(p)) continue;
    const rel = appPath ? `${appPath}/${f}` : f;
    let patch: unknown;
    try {
      patch = parseYaml(await readFile(p, 'utf8'));
    } catch (e) {
      throw new RepoError(`${rel}: invalid YAML: ${errorMessage(e).split('\n')[0]}`, { code: 'ParseError', file: rel });
    }
    if (!patch || typeof patch !== 'object' || Array.isArray(patch)) continue;
    const allowed: Record<string, unknown> = {};
    for (const k of ['directory', 'kustomize', 'helm', 'plugin'] as const) {
      if (k in (patch as Record<string, unknown>)) allowed[k] = (patch as Record<string, unknown>)[k];
    }
    found.push(f);
    recordOrigins(allowed, '', f, origins);
    out = mergePatch(out, allowed) as ApplicationSource;
  }
  return { source: out, origins, files: found };
}

function recordOrigins(patch: unknown, prefix: string, file: string, origins: Origins): void {
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      // an object merges key by key; it replaces a value that was not an object
      delete origins[path];
      recordOrigins(v, path, file, origins);
      continue;
    }
    // null removes the key, anything else replaces it whole (an array too)
    for (const o of Object.keys(origins)) if (o.startsWith(`${path}.`)) delete origins[o];
    if (v === null) delete origins[path];
    else origins[path] = file;
  }
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const base: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete base[k];
    else base[k] = mergePatch(base[k], v);
  }
  return base;
}

function requireUrl(url: string | undefined): string {
  if (typeof url !== 'string' || !url.trim()) throw new RepoError('source.repoURL is required', { code: 'InvalidSource' });
  return url;
}
