/**
 * The application spec flags of `app create` and `app set` (upstream's AddAppFlags /
 * SetAppSpecOptions): only flags given on the command line change the spec.
 */
import { readFileSync } from 'node:fs';
import YAML from '@flotilla/cli-kit/yaml';
import type { Application } from '@flotilla/argocd-engine/types';
import type { FlagDef } from '@flotilla/cli-kit/flags';
import { parseDuration } from '@flotilla/cli-kit/flags';
import { CliError } from '../session.js';

export function appSpecFlags(): FlagDef[] {
  const s = (name: string, usage: string, extra: Partial<FlagDef> = {}): FlagDef => ({ name, type: 'string', usage, ...extra });
  const arr = (name: string, usage: string, extra: Partial<FlagDef> = {}): FlagDef => ({ name, type: 'stringArray', usage, ...extra });
  const b = (name: string, usage: string, extra: Partial<FlagDef> = {}): FlagDef => ({ name, type: 'bool', usage, ...extra });
  return [
    s('repo', 'Repository URL, ignored if a file is set'),
    s('path', 'Path in repository to the app directory, ignored if a file is set'),
    s('chart', 'Helm Chart name'),
    s('env', 'Application environment to monitor'),
    s('revision', 'The tracking source branch, tag, commit or Helm chart version the application will sync to'),
    { name: 'revision-history-limit', type: 'int', usage: 'How many items to keep in revision history', default: 10 },
    s('dest-server', 'K8s cluster URL (e.g. https://kubernetes.default.svc)'),
    s('dest-name', 'K8s cluster Name (e.g. minikube)'),
    s('dest-namespace', 'K8s target namespace'),
    s('project', 'Application project name'),
    arr('parameter', 'set a parameter override (e.g. -p guestbook=image=example/guestbook:latest)', { short: 'p' }),
    s('sync-policy', 'Set the sync policy (one of: manual (aliases of manual: none), automated (aliases of automated: auto))'),
    arr('sync-option', 'Add or remove a sync option, e.g add `Prune=false`. Remove using `!` prefix, e.g. `!Prune=false`'),
    b('auto-prune', 'Set automatic pruning when sync is automated'),
    b('self-heal', 'Set self healing when sync is automated'),
    b('allow-empty', 'Set allow zero live resources when sync is automated'),
    { name: 'sync-retry-limit', type: 'int64', usage: 'Max number of allowed sync retries' },
    { name: 'sync-retry-backoff-duration', type: 'duration', usage: 'Sync retry backoff base duration. Input needs to be a duration (e.g. 2m, 1h)', default: 5000 },
    { name: 'sync-retry-backoff-factor', type: 'int64', usage: 'Factor multiplies the base duration after each failed sync retry', default: 2 },
    { name: 'sync-retry-backoff-max-duration', type: 'duration', usage: 'Max sync retry backoff duration. Input needs to be a duration (e.g. 2m, 1h)', default: 180000 },
    arr('values', 'Helm values file(s) to use'),
    s('values-literal-file', 'Filename or URL to import as a literal Helm values block'),
    s('release-name', 'Helm release-name'),
    s('helm-version', 'Helm version'),
    b('helm-pass-credentials', 'Pass credentials to all domain'),
    arr('helm-set', 'Helm set values on the command line (can be repeated to set several values: --helm-set key1=val1 --helm-set key2=val2)'),
    arr('helm-set-string', 'Helm set STRING values on the command line (can be repeated to set several values: --helm-set-string key1=val1 --helm-set-string key2=val2)'),
    arr('helm-set-file', 'Helm set values from respective files specified via the command line (can be repeated to set several values: --helm-set-file key1=path1 --helm-set-file key2=path2)'),
    b('helm-skip-crds', 'Skip helm crd installation step'),
    b('helm-skip-tests', 'Skip helm test manifests installation step'),
    s('helm-namespace', 'Helm namespace to use when running helm template. If not set, use app.spec.destination.namespace'),
    b('directory-recurse', 'Recurse directory'),
    s('directory-include', 'Set glob expression used to include files from application source path'),
    s('directory-exclude', 'Set glob expression used to exclude files from application source path'),
    s('config-management-plugin', 'Config management plugin name'),
    arr('plugin-env', 'Additional plugin envs'),
    s('nameprefix', 'Kustomize nameprefix'),
    s('namesuffix', 'Kustomize namesuffix'),
    s('kustomize-version', 'Kustomize version'),
    arr('kustomize-image', 'Kustomize images (e.g. --kustomize-image node:8.15.0 --kustomize-image mysql=mariadb,alpine@sha256:24a0c4b4a4c0eb97a1aabb8e29f18e917d05abfe1b7a7c07857230879ce7d3d)'),
    arr('kustomize-common-label', 'Set common labels in Kustomize'),
    arr('kustomize-common-annotation', 'Set common labels in Kustomize'),
    s('kustomize-namespace', 'Kustomize namespace'),
    { name: 'kustomize-replica', type: 'stringArray', usage: 'Kustomize replicas (e.g. --kustomize-replica my-development=2 --kustomize-replica my-statefulset=4)' },
    arr('jsonnet-tla-str', 'Jsonnet top level string arguments'),
    arr('jsonnet-tla-code', 'Jsonnet top level code arguments'),
    arr('jsonnet-ext-var-str', 'Jsonnet string ext var'),
    arr('jsonnet-ext-var-code', 'Jsonnet ext var'),
    arr('jsonnet-libs', 'Additional jsonnet libs (prefixed by repoRoot)'),
    b('validate', 'Validation of repo and cluster', { default: true }),
    b('ignore-missing-value-files', 'Ignore locally missing valueFiles when setting helm template --values'),
    s('ref', 'Ref is reference to another source within sources field'),
    { name: 'source-position', type: 'int', usage: 'Position of the source from the list of sources of the app. Counting starts at 1.', default: -1 },
  ];
}

function kvPair(s: string, flag: string): [string, string] {
  const i = s.indexOf('=');
  if (i <= 0) throw new CliError(`${flag} ${s}: expected key=value`);
  return [s.slice(0, i), s.slice(i + 1)];
}

/** Applies the changed spec flags to app (upstream's SetAppSpecOptions); returns how many it visited. */
export function setAppSpecOptions(app: Application, opts: Record<string, any>, changed: Set<string>): number {
  const spec = app.spec;
  let visited = 0;
  const srcIndex = opts.sourcePosition > 0 ? opts.sourcePosition - 1 : -1;
  if (spec.sources?.length && srcIndex >= spec.sources.length) throw new CliError(`Source position should be less than the number of sources in the application (${spec.sources.length})`);
  const source = (): any => {
    if (spec.sources?.length) {
      if (srcIndex < 0) throw new CliError('Source position should be specified and must be greater than 0 for applications with multiple sources');
      return spec.sources[srcIndex];
    }
    spec.source ??= { repoURL: '' };
    return spec.source;
  };
  const helm = () => (source().helm ??= {});
  const kustomize = () => (source().kustomize ??= {});
  const directory = () => (source().directory ??= {});
  const jsonnet = () => (directory().jsonnet ??= {});
  const plugin = () => (source().plugin ??= {});
  const policy = () => (spec.syncPolicy ??= {});
  const need = (f: string) => {
    if (!spec.syncPolicy?.automated) throw new CliError(`Cannot set --${f}: application not configured with automatic sync`);
  };
  const handlers: Record<string, () => void> = {
    repo: () => (source().repoURL = opts.repo),
    path: () => (source().path = opts.path),
    chart: () => (source().chart = opts.chart),
    revision: () => (source().targetRevision = opts.revision),
    ref: () => (source().ref = opts.ref),
    revisionHistoryLimit: () => (spec.revisionHistoryLimit = opts.revisionHistoryLimit),
    destServer: () => (spec.destination.server = opts.destServer),
    destName: () => (spec.destination.name = opts.destName),
    destNamespace: () => (spec.destination.namespace = opts.destNamespace),
    project: () => (spec.project = opts.project),
    syncPolicy: () => {
      switch (opts.syncPolicy) {
        case 'automated':
        case 'automatic':
        case 'auto':
          policy().automated = { ...(policy().automated ?? {}) };
          break;
        case 'none':
        case 'manual':
          if (spec.syncPolicy) delete spec.syncPolicy.automated;
          break;
        default:
          throw new CliError(`Invalid sync policy: ${JSON.stringify(opts.syncPolicy)}`);
      }
    },
    syncOption: () => {
      const list = [...(spec.syncPolicy?.syncOptions ?? [])];
      for (const o of opts.syncOption as string[]) {
        if (o.startsWith('!')) {
          const i = list.indexOf(o.slice(1));
          if (i >= 0) list.splice(i, 1);
        } else {
          const k = o.split('=')[0];
          const i = list.findIndex((x) => x.split('=')[0] === k);
          if (i >= 0) list[i] = o;
          else list.push(o);
        }
      }
      if (list.length) policy().syncOptions = list;
      else if (spec.syncPolicy) delete spec.syncPolicy.syncOptions;
    },
    autoPrune: () => {
      need('auto-prune');
      spec.syncPolicy!.automated!.prune = opts.autoPrune;
    },
    selfHeal: () => {
      need('self-heal');
      spec.syncPolicy!.automated!.selfHeal = opts.selfHeal;
    },
    allowEmpty: () => {
      need('allow-empty');
      spec.syncPolicy!.automated!.allowEmpty = opts.allowEmpty;
    },
    syncRetryLimit: () => {
      if (opts.syncRetryLimit > 0) {
        policy().retry = {
          limit: opts.syncRetryLimit,
          backoff: { duration: fmtDur(opts.syncRetryBackoffDuration), factor: opts.syncRetryBackoffFactor, maxDuration: fmtDur(opts.syncRetryBackoffMaxDuration) },
        };
      } else if (opts.syncRetryLimit === 0) {
        if (spec.syncPolicy) delete spec.syncPolicy.retry;
      } else policy().retry = { limit: opts.syncRetryLimit };
    },
    values: () => (helm().valueFiles = opts.values),
    valuesLiteralFile: () => {
      let text: string;
      try {
        text = readFileSync(opts.valuesLiteralFile, 'utf8');
      } catch (e) {
        throw new CliError(`--values-literal-file: ${(e as Error).message}`);
      }
      helm().values = text;
    },
    releaseName: () => (helm().releaseName = opts.releaseName),
    helmVersion: () => (helm().version = opts.helmVersion),
    helmPassCredentials: () => (helm().passCredentials = opts.helmPassCredentials),
    helmSkipCrds: () => (helm().skipCrds = opts.helmSkipCrds),
    helmSkipTests: () => (helm().skipTests = opts.helmSkipTests),
    helmNamespace: () => (helm().namespace = opts.helmNamespace),
    ignoreMissingValueFiles: () => (helm().ignoreMissingValueFiles = opts.ignoreMissingValueFiles),
    helmSet: () => addHelmParams(helm(), opts.helmSet, false),
    parameter: () => {
      // -p name=value: a Helm parameter of a Helm source (explicit, or as last compared; a new app's
      // source whose type is not known yet is taken as Helm, as upstream does)
      const src = source();
      const type = src.helm || src.chart ? 'Helm' : src.kustomize ? 'Kustomize' : src.directory ? 'Directory' : src.plugin ? 'Plugin' : (app.status?.sourceType ?? 'Helm');
      if (type !== 'Helm') throw new CliError(`Parameters can only be set against Helm applications (this source is ${type})`);
      addHelmParams(helm(), opts.parameter, false, '-p');
    },
    helmSetString: () => addHelmParams(helm(), opts.helmSetString, true),
    helmSetFile: () => {
      const files = [...(helm().fileParameters ?? [])];
      for (const p of opts.helmSetFile as string[]) {
        const [name, path] = kvPair(p, '--helm-set-file');
        const i = files.findIndex((f: any) => f.name === name);
        if (i >= 0) files[i] = { name, path };
        else files.push({ name, path });
      }
      helm().fileParameters = files;
    },
    directoryRecurse: () => (directory().recurse = opts.directoryRecurse),
    directoryInclude: () => (directory().include = opts.directoryInclude),
    directoryExclude: () => (directory().exclude = opts.directoryExclude),
    configManagementPlugin: () => (plugin().name = opts.configManagementPlugin),
    pluginEnv: () => {
      const env = [...(plugin().env ?? [])];
      for (const p of opts.pluginEnv as string[]) {
        const [name, value] = kvPair(p, '--plugin-env');
        const i = env.findIndex((e: any) => e.name === name);
        if (i >= 0) env[i] = { name, value };
        else env.push({ name, value });
      }
      plugin().env = env;
    },
    nameprefix: () => (kustomize().namePrefix = opts.nameprefix),
    namesuffix: () => (kustomize().nameSuffix = opts.namesuffix),
    kustomizeVersion: () => (kustomize().version = opts.kustomizeVersion),
    kustomizeNamespace: () => (kustomize().namespace = opts.kustomizeNamespace),
    kustomizeImage: () => {
      const images: string[] = [...(kustomize().images ?? [])];
      for (const img of opts.kustomizeImage as string[]) {
        const name = img.split(/[=@:]/)[0];
        const i = images.findIndex((x) => x.split(/[=@:]/)[0] === name);
        if (i >= 0) images[i] = img;
        else images.push(img);
      }
      kustomize().images = images;
    },
    kustomizeCommonLabel: () => (kustomize().commonLabels = Object.fromEntries((opts.kustomizeCommonLabel as string[]).map((x) => kvPair(x, '--kustomize-common-label')))),
    kustomizeCommonAnnotation: () => (kustomize().commonAnnotations = Object.fromEntries((opts.kustomizeCommonAnnotation as string[]).map((x) => kvPair(x, '--kustomize-common-annotation')))),
    kustomizeReplica: () =>
      (kustomize().replicas = (opts.kustomizeReplica as string[]).map((x) => {
        const [name, count] = kvPair(x, '--kustomize-replica');
        if (!/^\d+$/.test(count)) throw new CliError(`--kustomize-replica ${x}: the count must be a whole number`);
        return { name, count: Number(count) };
      })),
    jsonnetTlaStr: () => (jsonnet().tlas = [...(jsonnet().tlas ?? []), ...(opts.jsonnetTlaStr as string[]).map((x) => jsonnetVar(x, false))]),
    jsonnetTlaCode: () => (jsonnet().tlas = [...(jsonnet().tlas ?? []), ...(opts.jsonnetTlaCode as string[]).map((x) => jsonnetVar(x, true))]),
    jsonnetExtVarStr: () => (jsonnet().extVars = [...(jsonnet().extVars ?? []), ...(opts.jsonnetExtVarStr as string[]).map((x) => jsonnetVar(x, false))]),
    jsonnetExtVarCode: () => (jsonnet().extVars = [...(jsonnet().extVars ?? []), ...(opts.jsonnetExtVarCode as string[]).map((x) => jsonnetVar(x, true))]),
    jsonnetLibs: () => (jsonnet().libs = opts.jsonnetLibs),
  };
  // spec flags in a fixed order (sync-policy before auto-prune, as upstream visits them)
  for (const [k, fn] of Object.entries(handlers)) {
    if (!changed.has(k)) continue;
    fn();
    visited++;
  }
  if (changed.has('syncRetryBackoffDuration') || changed.has('syncRetryBackoffFactor') || changed.has('syncRetryBackoffMaxDuration')) visited++;
  return visited;
}

function fmtDur(ms: number): string {
  if (ms % 3_600_000 === 0 && ms) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}

function addHelmParams(helm: any, list: string[], forceString: boolean, flag = forceString ? '--helm-set-string' : '--helm-set'): void {
  const params = [...(helm.parameters ?? [])];
  for (const p of list) {
    const [name, value] = kvPair(p, flag);
    const entry = { name, value, ...(forceString ? { forceString: true } : {}) };
    const i = params.findIndex((x: any) => x.name === name);
    if (i >= 0) params[i] = entry;
    else params.push(entry);
  }
  helm.parameters = params;
}

function jsonnetVar(s: string, code: boolean): { name: string; value: string; code: boolean } {
  const [name, value] = kvPair(s, code ? '--jsonnet-tla-code' : '--jsonnet-tla-str');
  return { name, value, code };
}

/** Reads an Application from a YAML/JSON file (`--file`, `-f -` for stdin). */
export function readAppFile(path: string): Application {
  let text: string;
  try {
    text = readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${path}: ${(e as Error).message}`);
  }
  let docs: any[];
  try {
    docs = YAML.parseAllDocuments(text).map((d) => d.toJS()).filter((d) => d);
  } catch (e) {
    throw new CliError(`${path} is not valid YAML: ${(e as Error).message}`);
  }
  if (docs.length !== 1) throw new CliError(`${path} must contain exactly one Application (found ${docs.length})`);
  const app = docs[0];
  if (app.kind && app.kind !== 'Application') throw new CliError(`${path} is a ${app.kind}, not an Application`);
  app.apiVersion ??= 'argoproj.io/v1alpha1';
  app.kind ??= 'Application';
  app.metadata ??= {};
  app.spec ??= { destination: {}, project: '' };
  app.spec.destination ??= {};
  return app as Application;
}

export function parseLabels(list: string[], flag: string): Record<string, string> {
  return Object.fromEntries(list.map((x) => kvPair(x, flag)));
}

export function retryDefaultsUsed(): void {
  void parseDuration;
}
