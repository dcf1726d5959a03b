/**
 * Kustomize applications. Like Argo CD, the source's kustomize options are applied by editing
 * the kustomization — but in a scratch copy of the repository, never in the cached checkout —
 * and then `kustomize build` (or `kubectl kustomize`) runs there. Each object's source file comes
 * from kustomize's origin annotations (added for the build and stripped from the output).
 */
import { copyFile, link, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, join, posix } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { KubeObject } from '@flotilla/apimachinery';
import { envsubst } from './envsubst.js';
import { RepoError } from './errors.js';
import { run, which } from './exec.js';
import { kubeYamlTags, ObjectCollector, parseYamlDocuments } from './manifests.js';
import { normalizeRepoPath } from './paths.js';
import { relativizePaths, repoPath, type RenderContext } from './render-context.js';
import type { ApplicationSourceKustomize, RenderedObject } from './types.js';

export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const ORIGIN = 'config.kubernetes.io/origin';

export interface KustomizeTools {
  /** Explicit default binary (`kustomize` or `kubectl`), else found on PATH. */
  kustomizePath?: string | undefined;
  /** Version-specific binaries, e.g. { "v5.4.3": "/opt/kustomize-5.4.3" }. */
  versions?: Record<string, string> | undefined;
  /** Extra `kustomize build` flags, e.g. "--load-restrictor LoadRestrictionsNone". */
  buildOptions?: string | undefined;
}

export function findKustomization(dir: string): string | undefined {
  return KUSTOMIZATION_FILES.find((f) => existsSync(join(dir, f)));
}

/** The command that builds a kustomization directory. */
export function kustomizeCommand(tools: KustomizeTools, version: string | undefined): { cmd: string; args: string[] } {
  let bin: string | undefined;
  if (version) {
    const v = version.startsWith('v') ? version : `v${version}`;
    bin = tools.versions?.[version] ?? tools.versions?.[v] ?? tools.versions?.[v.slice(1)];
    if (!bin) {
      const known = Object.keys(tools.versions ?? {});
      throw new RepoError(`kustomize version ${version} is not registered${known.length ? ` (registered: ${known.join(', ')})` : ''}`, {
        code: 'ToolUnavailable',
      });
    }
  } else {
    bin = tools.kustomizePath ?? which('kustomize') ?? which('kubectl');
    if (!bin) {
      throw new RepoError('Kustomize is not available: neither `kustomize` nor `kubectl` was found on PATH', { code: 'ToolUnavailable' });
    }
  }
  const isKubectl = basename(bin) === 'kubectl' || basename(bin).startsWith('kubectl-') || basename(bin).startsWith('kubectl.');
  const args = isKubectl ? ['kustomize'] : ['build'];
  if (tools.buildOptions) args.push(...tools.buildOptions.split(/\s+/).filter(Boolean));
  return { cmd: bin, args };
}

/** Splits `kustomize edit set image` syntax into the kustomization `images` entry. */
export function parseImageOverride(spec: string): { name: string; newName?: string; newTag?: string; digest?: string } {
  let name: string;
  let target: string;
  const eq = spec.indexOf('=');
  if (eq >= 0) {
    name = spec.slice(0, eq);
    target = spec.slice(eq + 1);
  } else {
    target = spec;
    name = '';
  }
  let image = target;
  let tag: string | undefined;
  let digest: string | undefined;
  const at = image.indexOf('@');
  if (at >= 0) {
    digest = image.slice(at + 1);
    image = image.slice(0, at);
  }
  const colon = image.lastIndexOf(':');
  if (colon > image.lastIndexOf('/')) {
    tag = image.slice(colon + 1);
    image = image.slice(0, colon);
  }
  const out: { name: string; newName?: string; newTag?: string; digest?: string } = { name: name || image };
  if (name && image && image !== name) out.newName = image;
  if (digest) out.digest = digest;
  else if (tag !== undefined) out.newTag = tag;
  return out;
}

type Kustomization = Record<string, unknown>;

function asList(k: Kustomization, field: string): unknown[] {
  const v = k[field];
  if (Array.isArray(v)) return v;
  const l: unknown[] = [];
  k[field] = l;
  return l;
}

function asMap(k: Kustomization, field: string): Record<string, unknown> {
  const v = k[field];
  if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  const m: Record<string, unknown> = {};
  k[field] = m;
  return m;
}

/** Applies Argo CD's kustomize options to a parsed kustomization (in place). */
export function applyKustomizeOptions(k: Kustomization, o: ApplicationSourceKustomize, ctx: { env: Record<string, string>; appDir: string; file: string }): void {
  if (o.namePrefix) k['namePrefix'] = o.namePrefix;
  if (o.nameSuffix) k['nameSuffix'] = o.nameSuffix;
  if (o.namespace) k['namespace'] = o.namespace;
  if (o.images?.length) {
    const images = asList(k, 'images') as Record<string, unknown>[];
    for (const spec of o.images) {
      const img = parseImageOverride(envsubst(spec, ctx.env));
      const existing = images.find((i) => i && i['name'] === img.name);
      if (existing) {
        if (img.newName !== undefined) existing['newName'] = img.newName;
        if (img.digest !== undefined) {
          existing['digest'] = img.digest;
          delete existing['newTag'];
        }
        if (img.newTag !== undefined) {
          existing['newTag'] = img.newTag;
          delete existing['digest'];
        }
      } else images.push({ ...img });
    }
  }
  if (o.replicas?.length) {
    const reps = asList(k, 'replicas') as Record<string, unknown>[];
    for (const r of o.replicas) {
      const count = typeof r.count === 'number' ? r.count : Number.parseInt(String(r.count), 10);
      if (!Number.isInteger(count)) {
        throw new RepoError(`kustomize replicas for ${JSON.stringify(r.name)}: count ${JSON.stringify(r.count)} is not an integer`, { code: 'InvalidSource' });
      }
      const existing = reps.find((x) => x && x['name'] === r.name);
      if (existing) existing['count'] = count;
      else reps.push({ name: r.name, count });
    }
  }
  if (o.commonLabels && Object.keys(o.commonLabels).length) {
    // Argo CD always substitutes the build environment in label values (annotations only with
    // commonAnnotationsEnvsubst).
    const commonLabels = Object.fromEntries(Object.entries(o.commonLabels).map(([key, val]) => [key, envsubst(String(val), ctx.env)]));
    if (o.labelWithoutSelector) {
      const labels = asList(k, 'labels');
      const entry: Record<string, unknown> = { pairs: commonLabels, includeSelectors: false };
      if (o.labelIncludeTemplates) entry['includeTemplates'] = true;
      labels.push(entry);
    } else {
      const m = asMap(k, 'commonLabels');
      for (const [key, val] of Object.entries(commonLabels)) {
        if (key in m && !o.forceCommonLabels && m[key] !== val) {
          throw new RepoError(`${ctx.file}: commonLabels ${JSON.stringify(key)} is already set in the kustomization (set forceCommonLabels to override)`, {
            code: 'RenderFailed',
            file: ctx.file,
          });
        }
        m[key] = val;
      }
    }
  }
  if (o.commonAnnotations && Object.keys(o.commonAnnotations).length) {
    const m = asMap(k, 'commonAnnotations');
    for (const [key, raw] of Object.entries(o.commonAnnotations)) {
      const val = o.commonAnnotationsEnvsubst ? envsubst(String(raw), ctx.env) : String(raw);
      if (key in m && !o.forceCommonAnnotations && m[key] !== val) {
        throw new RepoError(`${ctx.file}: commonAnnotations ${JSON.stringify(key)} is already set in the kustomization (set forceCommonAnnotations to override)`, {
          code: 'RenderFailed',
          file: ctx.file,
        });
      }
      m[key] = val;
    }
  }
  if (o.patches?.length) {
    const patches = asList(k, 'patches');
    for (const p of o.patches) {
      const entry: Record<string, unknown> = {};
      if (p.path) entry['path'] = p.path;
      if (p.patch) entry['patch'] = p.patch;
      if (p.target && Object.keys(p.target).length) entry['target'] = { ...p.target };
      if (p.options && Object.keys(p.options).length) entry['options'] = { ...p.options };
      patches.push(entry);
    }
  }
  if (o.components?.length) {
    const comps = asList(k, 'components');
    for (const c of o.components) {
      const isRemote = /^[a-z][a-z0-9+.-]*:\/\/|^git@|^github\.com\//i.test(c);
      if (!isRemote && o.ignoreMissingComponents && !existsSync(join(ctx.appDir, c))) continue;
      if (!comps.includes(c)) comps.push(c);
    }
  }
}

/**
 * Builds a workspace for building `appPath` without touching the checkout at `root`: the app
 * directory's subtree is recreated with hard links (copies across filesystems), and every other
 * entry on the way down is a symlink into the checkout. Kustomize resolves symlinks, so bases
 * elsewhere in the repository load from the checkout with their own roots, while the app's own
 * kustomization can be rewritten. Returns the app directory inside the workspace.
 */
export async function shadowWorkspace(root: string, appPath: string, dest: string): Promise<string> {
  await mkdir(dest, { recursive: true });
  let src = root;
  let dst = dest;
  for (const seg of appPath ? appPath.split('/') : []) {
    for (const name of await readdir(src)) {
      if (name !== seg) await symlink(join(src, name), join(dst, name));
    }
    src = join(src, seg);
    dst = join(dst, seg);
    await mkdir(dst);
  }
  const linkTree = async (s: string, d: string): Promise<void> => {
    for (const e of await readdir(s, { withFileTypes: true })) {
      const sp = join(s, e.name);
      const dp = join(d, e.name);
      if (e.isDirectory()) {
        await mkdir(dp);
        await linkTree(sp, dp);
      } else if (e.isSymbolicLink()) {
        await symlink(await readlink(sp), dp);
      } else if (e.isFile()) {
        try {
          await link(sp, dp);
        } catch {
          await copyFile(sp, dp);
        }
      }
    }
  };
  await linkTree(src, dst);
  return dst;
}

function originPath(obj: KubeObject): { path?: string; remote: boolean } | undefined {
  const ann = obj.metadata?.annotations?.[ORIGIN];
  if (typeof ann !== 'string') return undefined;
  try {
    const o = parseYaml(ann) as Record<string, unknown> | null;
    if (!o) return undefined;
    return { ...(typeof o['path'] === 'string' ? { path: o['path'] as string } : {}), remote: typeof o['repo'] === 'string' };
  } catch {
    return undefined;
  }
}

export async function renderKustomize(
  ctx: RenderContext,
  opts: ApplicationSourceKustomize | undefined,
  tools: KustomizeTools,
): Promise<RenderedObject[]> {
  const kfile = findKustomization(ctx.appDir);
  const kRepoPath = repoPath(ctx, kfile ?? 'kustomization.yaml');
  const { cmd, args } = kustomizeCommand(tools, opts?.version);
  const work = await mkdtemp(join(await ctx.scratch(), 'kustomize-'));
  try {
    // A private workspace: options are written into its copy of the kustomization only.
    const repoCopy = join(work, 'repo');
    const appCopy = await shadowWorkspace(ctx.root, ctx.appPath, repoCopy);
    let addedOrigin = false;
    if (kfile) {
      const kpath = join(appCopy, kfile);
      let k: Kustomization;
      try {
        k = (parseYaml(await readFile(kpath, 'utf8'), { version: '1.1', customTags: kubeYamlTags }) as Kustomization | null) ?? {};
      } catch (e) {
        throw new RepoError(`${kRepoPath}: invalid YAML: ${(e as Error).message.split('\n')[0]}`, { code: 'RenderFailed', file: kRepoPath });
      }
      if (typeof k !== 'object' || Array.isArray(k)) throw new RepoError(`${kRepoPath}: not a kustomization (expected a mapping)`, { code: 'RenderFailed', file: kRepoPath });
      if (opts) applyKustomizeOptions(k, opts, { env: ctx.env, appDir: appCopy, file: kRepoPath });
      const bm = Array.isArray(k['buildMetadata']) ? (k['buildMetadata'] as unknown[]) : [];
      if (!bm.includes('originAnnotations')) {
        k['buildMetadata'] = [...bm, 'originAnnotations'];
        addedOrigin = true;
      }
      await unlink(kpath); // never write through a hard link or symlink into the cache
      await writeFile(kpath, stringifyYaml(k, { version: '1.1' }));
    }
    const r = await run(cmd, [...args, appCopy], {
      cwd: appCopy,
      env: { ...process.env, ...ctx.env },
      timeoutMs: ctx.timeoutMs,
      maxOutputBytes: ctx.maxOutputBytes,
    });
    if (r.spawnError) throw new RepoError(`cannot run ${cmd}: ${r.spawnError.message}`, { code: 'ToolUnavailable', file: kRepoPath });
    if (r.timedOut) throw new RepoError(`kustomize build of ${ctx.appPath || '.'} timed out after ${ctx.timeoutMs} ms`, { code: 'Timeout', file: kRepoPath });
    if (r.overflowed) {
      throw new RepoError(`kustomize build of ${ctx.appPath || '.'} produced more than ${ctx.maxOutputBytes} bytes`, { code: 'TooLarge', file: kRepoPath });
    }
    if (r.code !== 0) {
      const msg = relativizePaths(relativizePaths(r.stderr.trim(), appCopy, ctx.appPath ? `${ctx.appPath}/` : ''), repoCopy)
        .split('\n')
        .filter((l) => l.trim() && !/^# Warning:/.test(l))
        .join('\n');
      throw new RepoError(`kustomize build of ${ctx.appPath || '.'} failed (${kRepoPath}): ${msg || `exit code ${r.code}`}`, {
        code: 'RenderFailed',
        file: kRepoPath,
      });
    }
    const collector = new ObjectCollector(ctx.maxObjects);
    for (const doc of parseYamlDocuments(r.stdout, kRepoPath)) {
      const obj = doc as KubeObject;
      let source = kRepoPath;
      const origin = obj && typeof obj === 'object' ? originPath(obj) : undefined;
      if (origin?.path && !origin.remote) {
        try {
          const p = normalizeRepoPath(posix.join(ctx.appPath || '.', origin.path), 'origin');
          if (p) source = p;
        } catch {
          /* keep the kustomization as the source */
        }
      }
      if (addedOrigin && obj?.metadata?.annotations) {
        delete obj.metadata.annotations[ORIGIN];
        if (Object.keys(obj.metadata.annotations).length === 0) delete obj.metadata.annotations;
      }
      collector.add(obj, source);
    }
    return collector.objects;
  } finally {
    await rm(work, { recursive: true, force: true }).catch(() => {});
  }
}
