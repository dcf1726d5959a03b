/**
 * Directory applications: every .yaml/.yml/.json file (multi-document YAML, `*List` kinds
 * flattened) and every .jsonnet file (evaluated with the app's extVars, TLAs and library paths) in
 * the app directory — recursively with `recurse` — filtered by the include/exclude globs, skipping
 * files marked `# +argocd:skip-file-rendering`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { envsubst } from './envsubst.js';
import { RepoError } from './errors.js';
import { globMatch } from './glob.js';
import { checkJsonnetImports } from './jsonnet-imports.js';
import { ObjectCollector, parseJsonDocument, parseYamlDocuments, SKIP_RENDERING_RE } from './manifests.js';
import { resolveInRepo } from './paths.js';
import { relativizePaths, repoPath, type RenderContext } from './render-context.js';
import type { JsonnetTask } from './sandbox-child.js';
import { workerError } from './sandbox.js';
import type { ApplicationSourceDirectory, RenderedObject } from './types.js';

const MANIFEST_EXT = /\.(ya?ml|json|jsonnet)$/;

export interface DirectoryResult {
  objects: RenderedObject[];
  /** True when every rendered file was Jsonnet (and there was at least one). */
  jsonnetOnly: boolean;
}

/** Lists candidate files (paths relative to the app dir) in Argo's walk order. */
async function listFiles(appDir: string, recurse: boolean): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    // synchronous: an app directory's listing and small manifest files cost far less CPU read at once
    // than through the thread pool, one round trip per stat, open, read and close
    const entries = readdirSync(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (recurse && e.name !== '.git') await walk(join(dir, e.name), r);
        continue;
      }
      if (!MANIFEST_EXT.test(e.name)) continue;
      if (e.isSymbolicLink()) {
        // Symlinks are followed to files only (directory symlinks are not walked).
        const st = await stat(join(dir, e.name)).catch(() => undefined);
        if (!st?.isFile()) continue;
      } else if (!e.isFile()) continue;
      out.push(r);
    }
  };
  await walk(appDir, '');
  return out;
}

export async function renderDirectory(ctx: RenderContext, opts: ApplicationSourceDirectory | undefined): Promise<DirectoryResult> {
  const files = await listFiles(ctx.appDir, Boolean(opts?.recurse));
  const collector = new ObjectCollector(ctx.maxObjects);
  let total = 0;
  let yamlFiles = 0;
  let jsonnetFiles = 0;
  let jpaths: string[] | undefined;
  for (const rel of files) {
    if (opts?.exclude && globMatch(opts.exclude, rel)) continue;
    if (opts?.include && !globMatch(opts.include, rel)) continue;
    if (rel.endsWith('.libsonnet')) continue;
    const abs = join(ctx.appDir, rel);
    const source = repoPath(ctx, rel);
    const st = statSync(abs);
    if (st.size > ctx.maxFileBytes) {
      throw new RepoError(`${source} is ${st.size} bytes, over the ${ctx.maxFileBytes} byte limit for a manifest file`, {
        code: 'TooLarge',
        file: source,
      });
    }
    total += st.size;
    if (total > ctx.maxOutputBytes) {
      throw new RepoError(`the manifests in ${ctx.appPath || '.'} add up to more than ${ctx.maxOutputBytes} bytes`, { code: 'TooLarge', file: source });
    }
    const text = readFileSync(abs, 'utf8');
    if (SKIP_RENDERING_RE.test(text)) continue;
    if (rel.endsWith('.jsonnet')) {
      jsonnetFiles++;
      jpaths ??= await libPaths(ctx, opts);
      const out = await evaluateJsonnet(ctx, abs, source, jpaths, opts);
      collector.add(parseJsonDocument(out, source), source);
    } else if (rel.endsWith('.json')) {
      yamlFiles++;
      collector.add(parseJsonDocument(text, source), source);
    } else {
      yamlFiles++;
      for (const doc of parseYamlDocuments(text, source)) collector.add(doc, source);
    }
  }
  return { objects: collector.objects, jsonnetOnly: jsonnetFiles > 0 && yamlFiles === 0 };
}

async function libPaths(ctx: RenderContext, opts: ApplicationSourceDirectory | undefined): Promise<string[]> {
  const out: string[] = [];
  for (const lib of opts?.jsonnet?.libs ?? []) {
    out.push(await resolveInRepo(ctx.root, lib, 'jsonnet library path'));
  }
  return out;
}

async function evaluateJsonnet(
  ctx: RenderContext,
  file: string,
  source: string,
  jpaths: string[],
  opts: ApplicationSourceDirectory | undefined,
): Promise<string> {
  await checkJsonnetImports(file, ctx.root, jpaths);
  const sub = (vars: { name: string; value: string; code?: boolean }[] | undefined) =>
    (vars ?? []).map((v) => ({ name: v.name, value: envsubst(String(v.value ?? ''), ctx.env), code: Boolean(v.code) }));
  const task: JsonnetTask = {
    file,
    // Listed lowest-priority first: the last library path wins, like repeated -J flags.
    jpaths: [...jpaths].reverse(),
    extVars: sub(opts?.jsonnet?.extVars),
    tlas: sub(opts?.jsonnet?.tlas),
    maxOutputBytes: ctx.maxOutputBytes,
  };
  try {
    return await ctx.sandbox.call<string>('jsonnet', task, ctx.timeoutMs, `jsonnet evaluation of ${source}`);
  } catch (e) {
    const err = workerError(e, `jsonnet evaluation of ${source} failed`);
    if (err instanceof RepoError) {
      err.message = relativizePaths(err.message, ctx.root);
      err.file ??= source;
      if (err.code === 'Timeout') err.message = `jsonnet evaluation of ${source} timed out after ${ctx.timeoutMs} ms`;
    }
    throw err;
  }
}
