/**
 * Helm applications: maps Argo CD's `source.helm` options onto @flotilla/helm's renderChart and
 * runs it in the render worker. Value files resolve relative to the chart directory (a leading
 * `/` means the repository root), may be globs (doublestar order, explicit entries win) and may
 * not leave the repository; `fileParameters` likewise.
 */
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import picomatch from 'picomatch';
import { parse as parseYaml } from 'yaml';
import { envsubst } from './envsubst.js';
import { RepoError } from './errors.js';
import type { HelmRenderOptions, HelmRenderResult } from './helm-adapter.js';
import { ObjectCollector, parseYamlDocuments } from './manifests.js';
import { normalizeRepoPath, resolveInRepo } from './paths.js';
import { relativizePaths, type RenderContext } from './render-context.js';
import type { HelmTask } from './sandbox-child.js';
import { workerError } from './sandbox.js';
import type { ApplicationSourceHelm, RenderedObject } from './types.js';

const GLOB_CHARS = /[*?[\]{}]/;

/** Resolves a value/file parameter path to a repository-relative path. */
function repoRelative(ctx: RenderContext, p: string, what: string): string {
  if (p.startsWith('/')) return normalizeRepoPath(p.replace(/^\/+/, ''), what);
  return normalizeRepoPath(posix.join(ctx.appPath || '.', p), what);
}

/** Files matching a glob under the repository, in doublestar order (a directory's files, then its subdirectories). */
async function expandGlob(ctx: RenderContext, pattern: string): Promise<string[]> {
  const segs = pattern.split('/');
  const staticSegs: string[] = [];
  for (const s of segs) {
    if (GLOB_CHARS.test(s)) break;
    staticSegs.push(s);
  }
  const base = staticSegs.join('/');
  const isMatch = picomatch(pattern, { dot: true });
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const abs = rel ? join(ctx.root, rel) : ctx.root;
    let entries;
    try {
      entries = await readdir(abs, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const dirs: string[] = [];
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) dirs.push(r);
      else if ((e.isFile() || e.isSymbolicLink()) && isMatch(r)) out.push(r);
    }
    for (const d of dirs) if (d.split('/').length <= segs.length || pattern.includes('**')) await walk(d);
  };
  await walk(base);
  return out;
}

async function resolveValueFiles(ctx: RenderContext, h: ApplicationSourceHelm): Promise<string[]> {
  const entries = (h.valueFiles ?? []).map((v) => envsubst(v, ctx.env)).filter((v) => v !== '');
  const explicit = new Set<string>();
  for (const v of entries) if (!GLOB_CHARS.test(v) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) explicit.add(repoRelative(ctx, v, 'value file'));
  const out: string[] = [];
  const seen = new Set<string>();
  let remote = 0;
  for (const v of entries) {
    if (/^https?:\/\//i.test(v)) {
      out.push(await downloadValueFile(ctx, v, remote++));
      continue;
    }
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) {
      throw new RepoError(`value file ${JSON.stringify(v)}: only http(s) URLs are supported for remote value files`, { code: 'InvalidSource' });
    }
    if (GLOB_CHARS.test(v)) {
      const pattern = repoRelative(ctx, v, 'value file glob');
      const matches = await expandGlob(ctx, pattern);
      if (!matches.length && !h.ignoreMissingValueFiles) {
        throw new RepoError(`values file glob ${JSON.stringify(v)} matched no files`, { code: 'PathNotFound' });
      }
      for (const m of matches) {
        if (explicit.has(m) || seen.has(m)) continue;
        seen.add(m);
        out.push(await resolveInRepo(ctx.root, m, 'value file'));
      }
      continue;
    }
    const rel = repoRelative(ctx, v, 'value file');
    if (seen.has(rel)) continue;
    const abs = await resolveInRepo(ctx.root, rel, 'value file', false);
    const st = await stat(abs).catch(() => undefined);
    if (!st?.isFile()) {
      if (h.ignoreMissingValueFiles) continue;
      throw new RepoError(`value file ${JSON.stringify(v)} not found at ${rel}`, { code: 'PathNotFound', file: rel });
    }
    if (st.size > ctx.maxFileBytes) {
      throw new RepoError(`value file ${rel} is ${st.size} bytes, over the ${ctx.maxFileBytes} byte limit`, { code: 'TooLarge', file: rel });
    }
    seen.add(rel);
    out.push(abs);
  }
  return out;
}

async function downloadValueFile(ctx: RenderContext, url: string, n: number): Promise<string> {
  let text: string;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(ctx.timeoutMs), redirect: 'follow' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const len = Number(res.headers.get('content-length') ?? 0);
    if (len > ctx.maxFileBytes) throw new Error(`${len} bytes is over the ${ctx.maxFileBytes} byte limit`);
    text = await res.text();
    if (text.length > ctx.maxFileBytes) throw new Error(`over the ${ctx.maxFileBytes} byte limit`);
  } catch (e) {
    throw new RepoError(`cannot fetch value file ${url}: ${(e as Error).message}`, { code: 'Unreachable' });
  }
  const p = join(await ctx.scratch(), `values-${process.pid}-${Date.now()}-${n}.yaml`);
  await writeFile(p, text);
  return p;
}

/** Escapes characters Helm's --set parser treats specially in values. */
function escapeSetValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/,/g, '\\,');
}

/** Builds renderChart options from the source's helm section. */
export async function helmRenderOptions(ctx: RenderContext, h: ApplicationSourceHelm | undefined): Promise<HelmRenderOptions> {
  const hs = h ?? {};
  const opts: HelmRenderOptions = {
    chartDir: ctx.appDir,
    releaseName: hs.releaseName || ctx.gen.appName || 'release-name',
    includeCrds: !hs.skipCrds,
    skipCrds: Boolean(hs.skipCrds),
    fetchDependencies: true,
    cacheDir: ctx.chartsDir,
  };
  const ns = hs.namespace || ctx.gen.namespace;
  if (ns) opts.namespace = ns;
  const valueFiles = await resolveValueFiles(ctx, hs);
  if (valueFiles.length) opts.valueFiles = valueFiles;
  if (hs.valuesObject && typeof hs.valuesObject === 'object') {
    opts.values = hs.valuesObject;
  } else if (hs.values && hs.values.trim()) {
    let v: unknown;
    try {
      v = parseYaml(hs.values);
    } catch (e) {
      throw new RepoError(`helm.values is not valid YAML: ${(e as Error).message.split('\n')[0]}`, { code: 'InvalidSource' });
    }
    if (v !== null && (typeof v !== 'object' || Array.isArray(v))) throw new RepoError('helm.values must be a YAML mapping', { code: 'InvalidSource' });
    if (v) opts.values = v as Record<string, unknown>;
  }
  const set: string[] = [];
  const setString: string[] = [];
  for (const p of hs.parameters ?? []) {
    if (!p?.name) continue;
    const entry = `${p.name}=${escapeSetValue(envsubst(String(p.value ?? ''), ctx.env))}`;
    (p.forceString ? setString : set).push(entry);
  }
  if (set.length) opts.set = set;
  if (setString.length) opts.setString = setString;
  const setFile: string[] = [];
  for (const fp of hs.fileParameters ?? []) {
    if (!fp?.name) continue;
    const rel = repoRelative(ctx, envsubst(fp.path, ctx.env), 'helm file parameter');
    const abs = await resolveInRepo(ctx.root, rel, 'helm file parameter');
    const st = await stat(abs);
    if (st.size > ctx.maxFileBytes) throw new RepoError(`file parameter ${rel} is over the ${ctx.maxFileBytes} byte limit`, { code: 'TooLarge', file: rel });
    setFile.push(`${fp.name}=${abs}`);
  }
  if (setFile.length) opts.setFile = setFile;
  const kubeVersion = hs.kubeVersion || ctx.gen.kubeVersion;
  if (kubeVersion) opts.kubeVersion = kubeVersion;
  const apiVersions = hs.apiVersions?.length ? hs.apiVersions : ctx.gen.apiVersions;
  if (apiVersions?.length) opts.apiVersions = apiVersions;
  if (hs.skipSchemaValidation) opts.skipSchemaValidation = true;
  if (hs.skipTests) opts.skipTests = true;
  return opts;
}

/**
 * Renders the chart at ctx.appDir. `sourcePrefix` replaces the chart name at the start of Helm's
 * template paths ("mychart/templates/x.yaml" → "<sourcePrefix>/templates/x.yaml").
 */
export async function renderHelm(ctx: RenderContext, h: ApplicationSourceHelm | undefined, sourcePrefix: string): Promise<RenderedObject[]> {
  const opts = await helmRenderOptions(ctx, h);
  const where = ctx.appPath || sourcePrefix || '.';
  let result: HelmRenderResult;
  try {
    const task: HelmTask = { opts, maxOutputBytes: ctx.maxOutputBytes };
    result = await ctx.sandbox.call<HelmRenderResult>('helm', task, ctx.timeoutMs, `helm template of ${where}`);
  } catch (e) {
    const err = workerError(e, `helm template of ${where} failed`);
    if (err instanceof RepoError) {
      err.message = relativizePaths(err.message, ctx.root);
      if (err.file) err.file = mapSource(relativizePaths(err.file, ctx.root), '', sourcePrefix);
    }
    throw err;
  }
  const collector = new ObjectCollector(ctx.maxObjects);
  for (const m of result.manifests) {
    const source = mapSource(m.source, result.chart.name, sourcePrefix);
    for (const doc of parseYamlDocuments(m.content, source)) collector.add(doc, source);
  }
  return collector.objects;
}

function mapSource(src: string, chartName: string, prefix: string): string {
  let rest = src.replace(/^\/+/, '');
  if (chartName && rest.startsWith(`${chartName}/`)) rest = rest.slice(chartName.length + 1);
  return prefix ? `${prefix}/${rest}` : rest;
}
