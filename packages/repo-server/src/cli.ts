/**
 * `flotilla render`: renders an application source from a Git repository (or a Helm chart
 * repository) and prints the objects as multi-document YAML, each preceded by a `# Source:` line.
 * Flag names follow `argocd app create/set`.
 */
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { readFile } from 'node:fs/promises';
import { stringify as stringifyYaml } from 'yaml';
import { RepoError } from './errors.js';
import { RepoServer } from './repo-server.js';
import type { ApplicationSource, JsonnetVar } from './types.js';

export interface RenderIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  cwd?: string;
}

export function renderHelpText(): string {
  return `Render an application's manifests the way Argo CD's repo server does.

Usage:
  flotilla render --repo <url|path> [--revision <rev>] [--path <path>] [flags]

Source:
      --repo string                     Git repository URL (https://, ssh://, git://, file://) or a local path
      --revision string                 Branch, tag, commit SHA, HEAD or tag semver range (default "HEAD");
                                        the chart version or range with --chart
      --path string                     Application path inside the repository (default ".")
      --chart string                    Render this chart from the Helm repository given by --repo
      --app-name string                 Application name (Helm's default release name, $ARGOCD_APP_NAME)
      --namespace string                Destination namespace (Helm's namespace, $ARGOCD_APP_NAMESPACE)
      --kube-version string             Kubernetes version for Helm's .Capabilities and $KUBE_VERSION
      --api-versions stringArray        API versions for Helm's .Capabilities.APIVersions (repeatable)

Directory and Jsonnet:
      --directory-recurse               Include files in subdirectories
      --directory-include string        Glob of files to include (e.g. "{*.yaml,*.yml}")
      --directory-exclude string        Glob of files to exclude (takes precedence over include)
      --jsonnet-ext-var-str stringArray   Jsonnet string external variable, name=value (repeatable)
      --jsonnet-ext-var-code stringArray  Jsonnet code external variable, name=code (repeatable)
      --jsonnet-tla-str stringArray       Jsonnet string top-level argument, name=value (repeatable)
      --jsonnet-tla-code stringArray      Jsonnet code top-level argument, name=code (repeatable)
      --jsonnet-libs stringArray          Jsonnet library path relative to the repository root (repeatable)

Kustomize:
      --nameprefix string               Kustomize namePrefix
      --namesuffix string               Kustomize nameSuffix
      --kustomize-namespace string      Kustomize namespace
      --kustomize-image stringArray     Image override, e.g. nginx=nginx:1.27 or nginx:1.27 (repeatable)
      --kustomize-replica stringArray   Replica override, name=count (repeatable)
      --kustomize-common-label stringArray       Common label, key=value (repeatable)
      --kustomize-common-annotation stringArray  Common annotation, key=value (repeatable)
      --kustomize-version string        A registered kustomize version

Helm:
      --release-name string             Helm release name (default: --app-name, else "release-name")
      --values stringArray              Values file in the repository, relative to the chart (repeatable, globs allowed)
      --values-literal-file string      Local file whose content is passed as inline values
      --helm-set stringArray            Helm parameter, name=value (repeatable)
      --helm-set-string stringArray     Helm string parameter, name=value (repeatable)
      --helm-set-file stringArray       Helm file parameter, name=path-in-repository (repeatable)
      --helm-skip-crds                  Do not render the chart's crds/ directory
      --ignore-missing-value-files      Skip value files that do not exist

Output:
  -o, --output string                   yaml (default) or json
      --cache-dir string                Repository cache (default $FLOTILLA_REPO_CACHE or ~/.cache/flotilla/repo-server)
  -h, --help                            Show this help
`;
}

const BOOL_FLAGS = new Set(['directory-recurse', 'helm-skip-crds', 'ignore-missing-value-files', 'help']);
const MULTI_FLAGS = new Set([
  'api-versions',
  'jsonnet-ext-var-str',
  'jsonnet-ext-var-code',
  'jsonnet-tla-str',
  'jsonnet-tla-code',
  'jsonnet-libs',
  'kustomize-image',
  'kustomize-replica',
  'kustomize-common-label',
  'kustomize-common-annotation',
  'values',
  'helm-set',
  'helm-set-string',
  'helm-set-file',
]);
const VALUE_FLAGS = new Set([
  'repo',
  'revision',
  'path',
  'chart',
  'app-name',
  'namespace',
  'kube-version',
  'directory-include',
  'directory-exclude',
  'nameprefix',
  'namesuffix',
  'kustomize-namespace',
  'kustomize-version',
  'release-name',
  'values-literal-file',
  'output',
  'cache-dir',
]);

class UsageError extends Error {}

function parseArgs(argv: string[]): { single: Map<string, string>; multi: Map<string, string[]>; bools: Set<string> } {
  const single = new Map<string, string>();
  const multi = new Map<string, string[]>();
  const bools = new Set<string>();
  const args = argv[0] === 'render' ? argv.slice(1) : argv;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    let name: string;
    let value: string | undefined;
    if (a === '-h') name = 'help';
    else if (a === '-o') name = 'output';
    else if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      if (eq >= 0) value = a.slice(eq + 1);
    } else if (a.startsWith('-o') && a.length > 2) {
      name = 'output';
      value = a.slice(2);
    } else throw new UsageError(`unexpected argument ${JSON.stringify(a)}`);
    if (BOOL_FLAGS.has(name)) {
      if (value !== undefined && value !== 'true' && value !== 'false') throw new UsageError(`--${name} takes no value`);
      if (value !== 'false') bools.add(name);
      continue;
    }
    if (!VALUE_FLAGS.has(name) && !MULTI_FLAGS.has(name)) throw new UsageError(`unknown flag: --${name}`);
    if (value === undefined) {
      if (i + 1 >= args.length) throw new UsageError(`flag needs an argument: --${name}`);
      value = args[++i]!;
    }
    if (MULTI_FLAGS.has(name)) multi.set(name, [...(multi.get(name) ?? []), value]);
    else single.set(name, value);
  }
  return { single, multi, bools };
}

function pairs(list: string[] | undefined, flag: string): [string, string][] {
  return (list ?? []).map((s) => {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UsageError(`--${flag} expects name=value, got ${JSON.stringify(s)}`);
    return [s.slice(0, eq), s.slice(eq + 1)];
  });
}

function repoUrlFrom(repo: string, cwd: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^[^/:@]+@[^/:]+:/.test(repo)) return repo;
  return `file://${isAbsolute(repo) ? repo : resolve(cwd, repo)}`;
}

function defaultCacheDir(): string {
  if (process.env['FLOTILLA_REPO_CACHE']) return process.env['FLOTILLA_REPO_CACHE'];
  const base = process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return join(base, 'flotilla', 'repo-server');
}

/** Entry point of `flotilla render …`. Returns the exit code (0 ok, 1 render failure, 2 usage). */
export async function renderCommand(argv: string[], io: RenderIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    io.stderr(`error: ${(e as Error).message}\nRun 'flotilla render --help' for usage.\n`);
    return 2;
  }
  const { single, multi, bools } = parsed;
  if (bools.has('help')) {
    io.stdout(renderHelpText());
    return 0;
  }
  const cwd = io.cwd ?? process.cwd();
  const output = single.get('output') ?? 'yaml';
  let source: ApplicationSource;
  let valuesLiteral: string | undefined;
  try {
    const repo = single.get('repo');
    if (!repo) throw new UsageError('--repo is required');
    if (output !== 'yaml' && output !== 'json') throw new UsageError(`--output must be yaml or json, not ${JSON.stringify(output)}`);
    source = { repoURL: single.get('chart') ? repo : repoUrlFrom(repo, cwd) };
    const rev = single.get('revision');
    if (rev) source.targetRevision = rev;
    if (single.get('path')) source.path = single.get('path')!;
    if (single.get('chart')) source.chart = single.get('chart')!;
    const vars = (flag: string, code: boolean): JsonnetVar[] => pairs(multi.get(flag), flag).map(([name, value]) => ({ name, value, code }));
    const extVars = [...vars('jsonnet-ext-var-str', false), ...vars('jsonnet-ext-var-code', true)];
    const tlas = [...vars('jsonnet-tla-str', false), ...vars('jsonnet-tla-code', true)];
    const libs = multi.get('jsonnet-libs') ?? [];
    if (bools.has('directory-recurse') || single.has('directory-include') || single.has('directory-exclude') || extVars.length || tlas.length || libs.length) {
      source.directory = {
        ...(bools.has('directory-recurse') ? { recurse: true } : {}),
        ...(single.has('directory-include') ? { include: single.get('directory-include')! } : {}),
        ...(single.has('directory-exclude') ? { exclude: single.get('directory-exclude')! } : {}),
        ...(extVars.length || tlas.length || libs.length ? { jsonnet: { extVars, tlas, libs } } : {}),
      };
    }
    const k: NonNullable<ApplicationSource['kustomize']> = {};
    if (single.has('nameprefix')) k.namePrefix = single.get('nameprefix')!;
    if (single.has('namesuffix')) k.nameSuffix = single.get('namesuffix')!;
    if (single.has('kustomize-namespace')) k.namespace = single.get('kustomize-namespace')!;
    if (single.has('kustomize-version')) k.version = single.get('kustomize-version')!;
    if (multi.has('kustomize-image')) k.images = multi.get('kustomize-image')!;
    if (multi.has('kustomize-replica')) k.replicas = pairs(multi.get('kustomize-replica'), 'kustomize-replica').map(([name, count]) => ({ name, count }));
    if (multi.has('kustomize-common-label')) k.commonLabels = Object.fromEntries(pairs(multi.get('kustomize-common-label'), 'kustomize-common-label'));
    if (multi.has('kustomize-common-annotation')) {
      k.commonAnnotations = Object.fromEntries(pairs(multi.get('kustomize-common-annotation'), 'kustomize-common-annotation'));
    }
    if (Object.keys(k).length) source.kustomize = k;
    const h: NonNullable<ApplicationSource['helm']> = {};
    if (single.has('release-name')) h.releaseName = single.get('release-name')!;
    if (multi.has('values')) h.valueFiles = multi.get('values')!;
    if (bools.has('ignore-missing-value-files')) h.ignoreMissingValueFiles = true;
    if (bools.has('helm-skip-crds')) h.skipCrds = true;
    const params = [
      ...pairs(multi.get('helm-set'), 'helm-set').map(([name, value]) => ({ name, value })),
      ...pairs(multi.get('helm-set-string'), 'helm-set-string').map(([name, value]) => ({ name, value, forceString: true })),
    ];
    if (params.length) h.parameters = params;
    if (multi.has('helm-set-file')) h.fileParameters = pairs(multi.get('helm-set-file'), 'helm-set-file').map(([name, path]) => ({ name, path }));
    const lit = single.get('values-literal-file');
    if (lit) {
      valuesLiteral = await readFile(resolve(cwd, lit), 'utf8').catch((e: Error) => {
        throw new UsageError(`cannot read --values-literal-file: ${e.message}`);
      });
      h.values = valuesLiteral;
    }
    if (Object.keys(h).length) source.helm = h;
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`error: ${e.message}\nRun 'flotilla render --help' for usage.\n`);
      return 2;
    }
    throw e;
  }
  const server = new RepoServer({ cacheDir: resolve(cwd, single.get('cache-dir') ?? defaultCacheDir()) });
  try {
    const gen = {
      ...(single.has('app-name') ? { appName: single.get('app-name')! } : {}),
      ...(single.has('namespace') ? { namespace: single.get('namespace')! } : {}),
      ...(single.has('kube-version') ? { kubeVersion: single.get('kube-version')! } : {}),
      ...(multi.has('api-versions') ? { apiVersions: multi.get('api-versions')! } : {}),
    };
    const result = await server.generateManifests(source, gen);
    if (output === 'json') {
      io.stdout(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: result.objects.map((o) => o.object) }, null, 2) + '\n');
    } else {
      let out = '';
      for (const o of result.objects) out += `---\n# Source: ${o.source}\n${stringifyYaml(o.object, { lineWidth: 0 })}`;
      io.stdout(out);
    }
    io.stderr(`rendered ${result.objects.length} object(s) from ${result.sourceType} source at ${result.revision}\n`);
    return 0;
  } catch (e) {
    if (e instanceof RepoError) {
      io.stderr(`error: ${e.message}\n`);
      return 1;
    }
    io.stderr(`error: ${(e as Error)?.message ?? String(e)}\n`);
    return 1;
  } finally {
    server.close();
  }
}
