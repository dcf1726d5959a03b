/**
 * The repo server's questions about a repository besides rendering (Argo CD's RepoServerService
 * GetAppDetails, ListApps, GetRevisionMetadata, TestRepository), answered from the same Git cache
 * the renders use.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { AppDetails, RepoAppEntry, RepositoryRequest, RevisionMetadata } from './client.js';
import type { RepoCredentials } from './credentials.js';
import { errorMessage, RepoError } from './errors.js';
import { GitCache } from './git.js';
import { normalizeRepoPath, resolveInRepo } from './paths.js';
import { detectSourceType, overrideLayers, type RepoServer } from './repo-server.js';
import { findKustomization } from './render-kustomize.js';
import type { ApplicationSource, HelmParameter, SourceType } from './types.js';

/** Runs `fn` on the files of `repoURL` at `revision` (resolved); the tree is released afterwards. */
async function withTree<T>(server: RepoServer, repoURL: string, revision: string | undefined, fn: (root: string, sha: string) => Promise<T>): Promise<T> {
  const sha = await server.resolveRevision(repoURL, revision);
  const { tree, release } = await server.git.repo(repoURL).acquire(sha);
  try {
    return await fn(tree.root, sha);
  } finally {
    release();
  }
}

/** Helm `--set` style parameters of a values document: `a.b[0].c=value`, leaves only. */
export function flattenValues(v: unknown, prefix = '', out: HelmParameter[] = []): HelmParameter[] {
  if (Array.isArray(v)) v.forEach((x, i) => flattenValues(x, `${prefix}[${i}]`, out));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) flattenValues(x, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) out.push({ name: prefix, value: v === null || v === undefined ? '' : String(v) });
  return out;
}

/** Argo CD's app details: the tool and what it can be parameterised with. */
export async function appDetails(server: RepoServer, appSource: ApplicationSource, appName?: string): Promise<AppDetails> {
  if (!appSource?.repoURL) throw new RepoError('source.repoURL is required', { code: 'InvalidSource' });
  return withTree(server, appSource.repoURL, appSource.targetRevision, async (root) => {
    const appPath = normalizeRepoPath(appSource.path, 'application path');
    const appDir = await resolveInRepo(root, appPath, 'application path');
    if (!(await stat(appDir)).isDirectory()) throw new RepoError(`application path ${JSON.stringify(appPath)} is not a directory`, { code: 'PathNotFound', file: appPath });
    // the source as rendered: the override files committed next to the app merged over it
    const layers = await overrideLayers(appSource, appDir, appPath, appName);
    const source = layers.source;
    const overrides = !layers.files.length ? undefined : { files: layers.files, origins: layers.origins, source: { ...(source.helm ? { helm: source.helm } : {}), ...(source.kustomize ? { kustomize: source.kustomize } : {}), ...(source.directory ? { directory: source.directory } : {}), ...(source.plugin ? { plugin: source.plugin } : {}) } };
    const type: SourceType = detectSourceType(source, appDir);
    if (type === 'Helm') {
      const names = (await readdir(appDir)).filter((n) => n.includes('values') && /\.ya?ml$/.test(n)).sort();
      let parameters: HelmParameter[] = [];
      let values: string | undefined;
      let name: string | undefined;
      try {
        values = await readFile(join(appDir, 'values.yaml'), 'utf8');
        parameters = flattenValues(parseYaml(values));
      } catch {
        /* no values.yaml, or not YAML: no parameters */
      }
      try {
        name = String((parseYaml(await readFile(join(appDir, 'Chart.yaml'), 'utf8')) as { name?: unknown })?.name ?? '') || undefined;
      } catch {
        /* the render reports a broken Chart.yaml */
      }
      return { type, helm: { ...(name ? { name } : {}), valueFiles: names, parameters, ...(values !== undefined ? { values } : {}) }, ...(overrides ? { overrides } : {}) };
    }
    if (type === 'Kustomize') {
      const file = findKustomization(appDir);
      let images: string[] = [];
      if (file) {
        try {
          const k = parseYaml(await readFile(isAbsolute(file) ? file : join(appDir, file), 'utf8')) as { images?: { name?: string; newName?: string; newTag?: string; digest?: string }[] };
          images = (k?.images ?? []).map((i) => `${i.newName ?? i.name ?? ''}${i.digest ? `@${i.digest}` : i.newTag ? `:${i.newTag}` : ''}`).filter(Boolean);
        } catch {
          /* the render reports a broken kustomization */
        }
      }
      return { type, kustomize: { images }, ...(overrides ? { overrides } : {}) };
    }
    return { type, directory: {}, ...(overrides ? { overrides } : {}) };
  });
}

const SKIP_DIRS = new Set(['.git', 'node_modules']);
const MANIFEST_RE = /\.(ya?ml|json|jsonnet)$/;

/** Every application in the repository: Helm charts, kustomizations and directories of manifests. */
export async function listApps(server: RepoServer, repoURL: string, revision?: string): Promise<{ apps: RepoAppEntry[] }> {
  return withTree(server, repoURL, revision, async (root) => {
    const apps: RepoAppEntry[] = [];
    const walk = async (rel: string, depth: number): Promise<void> => {
      if (depth > 20 || apps.length >= 5000) return;
      const dir = rel ? join(root, rel) : root;
      const entries = await readdir(dir, { withFileTypes: true });
      const names = new Set(entries.map((e) => e.name));
      if (names.has('Chart.yaml')) {
        apps.push({ path: rel || '.', type: 'Helm' });
        return; // a chart's templates and subcharts are not apps of their own
      }
      if (findKustomization(dir)) apps.push({ path: rel || '.', type: 'Kustomize' });
      else if (rel && entries.some((e) => e.isFile() && MANIFEST_RE.test(e.name))) apps.push({ path: rel, type: 'Directory' });
      for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
        if (e.isDirectory() && !SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) await walk(rel ? `${rel}/${e.name}` : e.name, depth + 1);
      }
    };
    await walk('', 0);
    return { apps };
  });
}

/** Author, date, message and tags of a commit. */
export async function revisionMetadata(server: RepoServer, repoURL: string, revision: string): Promise<RevisionMetadata> {
  if (!revision) throw new RepoError('revision is required', { code: 'InvalidSource' });
  const sha = await server.resolveRevision(repoURL, revision);
  const repo = server.git.repo(repoURL);
  const { env } = server.git.gitEnv(undefined);
  const r = await server.git.git(['log', '-1', '--format=%an <%ae>%x00%aI%x00%B', sha], { cwd: repo.dir, env });
  if (r.code !== 0) throw new RepoError(`cannot read commit ${sha} of ${repoURL}: ${r.stderr.trim()}`, { code: 'GitFailed' });
  const [author = '', date = '', ...msg] = r.stdout.split('\0');
  const refs = await repo.lsRemote();
  const tags = [...refs.entries()]
    .filter(([ref, s]) => ref.startsWith('refs/tags/') && s === sha)
    .map(([ref]) => ref.slice(10))
    .sort();
  return { author, date, message: msg.join('\0').trim(), tags };
}

/** Lists the repository's refs with the given credentials (or the server's own for the URL). */
export async function testRepository(server: RepoServer, repo: RepositoryRequest): Promise<{ ok: boolean; message: string }> {
  if (!repo?.repo) throw new RepoError('repo (the repository URL) is required', { code: 'InvalidSource' });
  const given: RepoCredentials = {};
  if (repo.username) given.username = repo.username;
  if (repo.password) given.password = repo.password;
  if (repo.bearerToken) given.bearerToken = repo.bearerToken;
  if (repo.sshPrivateKey) given.sshPrivateKey = repo.sshPrivateKey;
  if (repo.tlsClientCertData) given.tlsClientCertData = repo.tlsClientCertData;
  if (repo.tlsClientCertKey) given.tlsClientCertKey = repo.tlsClientCertKey;
  if (repo.insecureIgnoreHostKey) given.insecureIgnoreHostKey = true;
  if (repo.insecure) {
    given.insecureIgnoreHostKey = true;
    given.insecureSkipTLSVerify = true;
  }
  const explicit = Object.keys(given).length > 0;
  if (repo.type === 'helm') {
    try {
      const res = await fetch(`${repo.repo.replace(/\/+$/, '')}/index.yaml`, { signal: AbortSignal.timeout(30_000) });
      return res.ok ? { ok: true, message: 'Helm repository index found' } : { ok: false, message: `Helm repository answered ${res.status}` };
    } catch (e) {
      return { ok: false, message: `Helm repository unreachable: ${errorMessage(e)}` };
    }
  }
  // a throwaway cache so the answer reflects exactly these credentials, never cached refs
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-repotest-'));
  try {
    const fallback = server.git.opts.credentials;
    const cache = new GitCache({ cacheDir: dir, credentials: (u) => (explicit ? given : fallback?.(u)), gitTimeoutMs: 60_000 });
    const refs = await cache.repo(repo.repo).listRefs();
    return { ok: true, message: `successfully connected: ${refs.branches.length} branches, ${refs.tags.length} tags` };
  } catch (e) {
    return { ok: false, message: errorMessage(e) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
