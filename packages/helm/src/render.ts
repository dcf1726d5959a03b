// renderChart: what `helm template` does, as a library call.
import { existsSync, readFileSync, statSync, readdirSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { SemverVersion, semverCompare } from '@flotilla/gotemplate';
import { type Chart, chartFullPath, loadChart } from './chart.js';
import { checkDependencies, materializeDependencies, processEnabled, processImportValues, resolveDependencyTree, type FetchDependency } from './deps.js';
import { HelmError } from './errors.js';
import { renderTemplates } from './engine.js';
import { globMatch, hasGlobMeta } from './glob.js';
import { Capabilities, KubeVersion, VersionSet } from './objects.js';
import { fetchChartFromRepo } from './repo.js';
import { validateChartValues } from './schema.js';
import { sortManifests } from './sort.js';
import { parseInto as parseSet, SetParseError, type SetKind } from './strvals.js';
import { coalesceValues, copyValue, mergeMaps, type Values } from './values.js';
import { parseYamlMap } from './yaml.js';

export interface RenderChartOptions {
  /** An unpacked chart directory, or a chart archive (.tgz). */
  chartDir: string;
  /** Default "release-name", as with helm template. */
  releaseName?: string;
  /** Default "default". */
  namespace?: string;
  /**
   * Values files applied in order. Relative paths are resolved against `cwd` (default: the chart
   * directory); http(s) URLs are fetched; a path with glob characters that does not exist as such
   * expands to the matching files in lexical order (`**` crosses directories).
   */
  valueFiles?: string[];
  /** Values given inline (Argo CD's values / valuesObject), applied after the values files. */
  values?: Record<string, unknown>;
  /** --set expressions ("a.b=1,c[0]=x"). */
  set?: string[];
  /** --set-string expressions (values stay strings). */
  setString?: string[];
  /** --set-file expressions ("key=path": the file's content becomes the value). */
  setFile?: string[];
  /** --set-json expressions ("key=<json>"). */
  setJson?: string[];
  /** --set-literal expressions ("key=value", the value taken literally). */
  setLiteral?: string[];
  /** Default "v1.32.0". */
  kubeVersion?: string;
  /** Extra capabilities: "group/version" or "group/version/Kind". */
  apiVersions?: string[];
  /** Print the files of crds/ first (helm template --include-crds). */
  includeCrds?: boolean;
  /** Never print CRDs (overrides includeCrds). */
  skipCrds?: boolean;
  /** .Release.IsUpgrade true / IsInstall false. */
  isUpgrade?: boolean;
  /** Base for relative valueFiles / setFile paths (default: the chart directory). */
  cwd?: string;
  /** Download dependencies missing from charts/ from their chart repositories. */
  fetchDependencies?: boolean;
  /** Cache for downloaded charts (default: $TMPDIR/flotilla-helm-cache). */
  cacheDir?: string;
  /** Skip `helm.sh/hook: test` hooks (helm template --skip-tests). */
  skipTests?: boolean;
  /** Leave hooks out (helm template --no-hooks). */
  noHooks?: boolean;
  /** Do not validate values against values.schema.json (helm template --skip-schema-validation). */
  skipSchemaValidation?: boolean;
}

export interface RenderedManifest {
  /** e.g. "mychart/templates/deployment.yaml" */
  source: string;
  /** YAML text of one document (for CRDs: the file as it is). */
  content: string;
  /** The document's kind ("" when it has none). */
  kind?: string;
  /** The helm.sh/hook annotation of a hook. */
  hook?: string;
  /** True for a file from crds/. */
  crd?: boolean;
}

export interface RenderResult {
  /** In `helm template` order: CRDs (when included), manifests by kind, then hooks. */
  manifests: RenderedManifest[];
  /** The rendered NOTES.txt of the top-level chart. */
  notes?: string;
  chart: { name: string; version: string; appVersion?: string };
  /** The coalesced values the templates saw. */
  values: Values;
}

export const DEFAULT_KUBE_VERSION = 'v1.32.0';

/** The built-in group/versions of Kubernetes 1.32 (the default .Capabilities.APIVersions). */
export const DEFAULT_API_VERSIONS = [
  'v1',
  'admissionregistration.k8s.io/v1',
  'admissionregistration.k8s.io/v1beta1',
  'admissionregistration.k8s.io/v1alpha1',
  'apiextensions.k8s.io/v1',
  'apiextensions.k8s.io/v1beta1',
  'apiregistration.k8s.io/v1',
  'apiregistration.k8s.io/v1beta1',
  'apps/v1',
  'apps/v1beta2',
  'apps/v1beta1',
  'authentication.k8s.io/v1',
  'authentication.k8s.io/v1beta1',
  'authentication.k8s.io/v1alpha1',
  'authorization.k8s.io/v1',
  'authorization.k8s.io/v1beta1',
  'autoscaling/v1',
  'autoscaling/v2',
  'autoscaling/v2beta1',
  'autoscaling/v2beta2',
  'batch/v1',
  'batch/v1beta1',
  'certificates.k8s.io/v1',
  'certificates.k8s.io/v1beta1',
  'certificates.k8s.io/v1alpha1',
  'coordination.k8s.io/v1',
  'coordination.k8s.io/v1beta1',
  'coordination.k8s.io/v1alpha2',
  'discovery.k8s.io/v1',
  'discovery.k8s.io/v1beta1',
  'events.k8s.io/v1',
  'events.k8s.io/v1beta1',
  'extensions/v1beta1',
  'flowcontrol.apiserver.k8s.io/v1',
  'flowcontrol.apiserver.k8s.io/v1beta3',
  'flowcontrol.apiserver.k8s.io/v1beta2',
  'flowcontrol.apiserver.k8s.io/v1beta1',
  'internal.apiserver.k8s.io/v1alpha1',
  'networking.k8s.io/v1',
  'networking.k8s.io/v1beta1',
  'networking.k8s.io/v1alpha1',
  'node.k8s.io/v1',
  'node.k8s.io/v1beta1',
  'node.k8s.io/v1alpha1',
  'policy/v1',
  'policy/v1beta1',
  'rbac.authorization.k8s.io/v1',
  'rbac.authorization.k8s.io/v1beta1',
  'rbac.authorization.k8s.io/v1alpha1',
  'resource.k8s.io/v1beta1',
  'resource.k8s.io/v1alpha3',
  'scheduling.k8s.io/v1',
  'scheduling.k8s.io/v1beta1',
  'scheduling.k8s.io/v1alpha1',
  'storage.k8s.io/v1',
  'storage.k8s.io/v1beta1',
  'storage.k8s.io/v1alpha1',
  'storagemigration.k8s.io/v1alpha1',
];

/** Parses a Kubernetes version ("1.32", "v1.32.0", "1.32.1-gke.1") the way --kube-version does. */
export function parseKubeVersion(s: string): KubeVersion {
  let v: SemverVersion;
  try {
    v = SemverVersion.parse(s.trim());
  } catch (e) {
    throw new HelmError(`invalid argument ${JSON.stringify(s)} for "--kube-version" flag: ${(e as Error).message}`);
  }
  return new KubeVersion('v' + v.String(), String(v.major), String(v.minor));
}

export function makeCapabilities(kubeVersion?: string, apiVersions: string[] = []): Capabilities {
  const kv = parseKubeVersion(kubeVersion || DEFAULT_KUBE_VERSION);
  return new Capabilities(kv, new VersionSet([...DEFAULT_API_VERSIONS, ...apiVersions]));
}

async function readValuesSource(ref: string, base: string): Promise<{ name: string; text: string }[]> {
  if (/^https?:\/\//.test(ref)) {
    let res: Response;
    try {
      res = await fetch(ref);
    } catch (e) {
      throw new HelmError(`failed to fetch ${ref}: ${(e as Error).message}`, { cause: e });
    }
    if (!res.ok) throw new HelmError(`failed to fetch ${ref} : ${res.status} ${res.statusText}`);
    return [{ name: ref, text: await res.text() }];
  }
  const abs = isAbsolute(ref) ? ref : resolve(base, ref);
  if (existsSync(abs)) return [{ name: ref, text: readFileSync(abs, 'utf8') }];
  if (hasGlobMeta(ref)) {
    const matches = expandGlob(abs);
    if (matches.length) return matches.map((m) => ({ name: m, text: readFileSync(m, 'utf8') }));
  }
  throw new HelmError(`open ${ref}: no such file or directory`);
}

/** Expands a glob over the file system (`*` within a directory, `**` across directories). */
function expandGlob(absPattern: string): string[] {
  const parts = absPattern.split('/');
  const firstMeta = parts.findIndex((p) => hasGlobMeta(p));
  const root = parts.slice(0, firstMeta).join('/') || '/';
  const rest = parts.slice(firstMeta).join('/');
  const out: string[] = [];
  const walk = (dir: string, rel: string) => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const n of names) {
      const abs = join(dir, n);
      const r = rel ? `${rel}/${n}` : n;
      let st;
      try {
        st = statSync(abs);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(abs, r);
      else if (globMatch(rest, r, { doubleStar: true, braces: true })) out.push(abs);
    }
  };
  walk(root, '');
  return out.sort();
}

/** Merges every user-supplied value source in Helm's order. */
export async function userValues(opts: RenderChartOptions, base: string): Promise<Values> {
  let vals: Values = {};
  for (const f of opts.valueFiles ?? []) {
    for (const src of await readValuesSource(f, base)) {
      let m: Values;
      try {
        m = parseYamlMap(src.text);
      } catch (e) {
        throw new HelmError(`failed to parse ${src.name}: ${(e as Error).message.startsWith('error unmarshaling') ? '' : 'error converting YAML to JSON: '}${(e as Error).message}`, { cause: e });
      }
      vals = mergeMaps(vals, m);
    }
  }
  if (opts.values && Object.keys(opts.values).length) vals = mergeMaps(vals, copyValue(opts.values));
  const apply = (list: string[] | undefined, kind: SetKind, flag: string) => {
    for (const expr of list ?? []) {
      try {
        parseSet(vals, expr, kind, { readFile: (p) => readFileSync(isAbsolute(p) ? p : resolve(base, p), 'utf8') });
      } catch (e) {
        if (e instanceof SetParseError) throw new HelmError(`failed parsing ${flag} data: ${e.message}`, { cause: e });
        throw e;
      }
    }
  };
  apply(opts.setJson, 'json', '--set-json');
  apply(opts.set, 'auto', '--set');
  apply(opts.setString, 'string', '--set-string');
  apply(opts.setFile, 'file', '--set-file');
  apply(opts.setLiteral, 'literal', '--set-literal');
  return vals;
}

function crdObjects(chart: Chart): RenderedManifest[] {
  const out: RenderedManifest[] = [];
  const path = chartFullPath(chart);
  for (const f of chart.files) {
    if (f.name.startsWith('crds/') && /\.(ya?ml|json)$/.test(f.name)) out.push({ source: `${path}/${f.name}`, content: f.data.toString('utf8'), kind: 'CustomResourceDefinition', crd: true });
  }
  for (const d of chart.dependencies) out.push(...crdObjects(d));
  return out;
}

/** Renders a chart the way `helm template` does. */
export async function renderChart(opts: RenderChartOptions): Promise<RenderResult> {
  const chart = loadChart(opts.chartDir);
  if (chart.metadata.type === 'library') throw new HelmError('library charts are not installable');
  const chartBase = (() => {
    const abs = resolve(opts.chartDir);
    return statSync(abs).isDirectory() ? abs : dirname(abs);
  })();
  const base = opts.cwd ?? chartBase;

  let fetcher: FetchDependency | undefined;
  if (opts.fetchDependencies) {
    const cache = opts.cacheDir ?? join(tmpdir(), 'flotilla-helm-cache');
    fetcher = async (dep) => {
      if (!/^https?:\/\//.test(dep.repository ?? '')) return undefined;
      const dir = await fetchChartFromRepo(dep.repository!, dep.name, dep.version ?? '', cache);
      return loadChart(dir);
    };
  }
  await materializeDependencies(chart, fetcher);
  checkDependencies(chart);

  const caps = makeCapabilities(opts.kubeVersion, opts.apiVersions);
  if (chart.metadata.kubeVersion) {
    let ok = false;
    try {
      ok = semverCompare(chart.metadata.kubeVersion, caps.KubeVersion.Version);
    } catch {
      ok = false;
    }
    if (!ok) throw new HelmError(`chart requires kubeVersion: ${chart.metadata.kubeVersion} which is incompatible with Kubernetes ${caps.KubeVersion.Version}`);
  }

  const user = await userValues(opts, base);
  resolveDependencyTree(chart);
  processEnabled(chart, user);
  processImportValues(chart);
  const values = coalesceValues(chart, copyValue(user));
  if (!opts.skipSchemaValidation) validateChartValues(chart, values);

  const rendered = renderTemplates(
    chart,
    values,
    { name: opts.releaseName || 'release-name', namespace: opts.namespace || 'default', isUpgrade: !!opts.isUpgrade, isInstall: !opts.isUpgrade, revision: 1 },
    caps,
  );
  let notes: string | undefined;
  const notesName = `${chart.name}/templates/NOTES.txt`;
  for (const k of [...rendered.keys()]) {
    if (k.endsWith('NOTES.txt')) {
      if (k === notesName) notes = rendered.get(k);
      rendered.delete(k);
    }
  }
  const { manifests, hooks } = sortManifests(rendered);
  const out: RenderedManifest[] = [];
  if (opts.includeCrds && !opts.skipCrds) out.push(...crdObjects(chart));
  for (const m of manifests) out.push({ source: m.name, content: m.content, kind: m.kind });
  if (!opts.noHooks) {
    for (const h of hooks) {
      if (opts.skipTests && h.hook!.split(',').some((x) => /^test(-success|-failure)?$/.test(x.trim()))) continue;
      out.push({ source: h.name, content: h.content, kind: h.kind, hook: h.hook! });
    }
  }
  const result: RenderResult = { manifests: out, chart: { name: chart.metadata.name, version: chart.metadata.version }, values };
  if (chart.metadata.appVersion) result.chart.appVersion = chart.metadata.appVersion;
  if (notes !== undefined) result.notes = notes;
  return result;
}

/** The exact text `helm template` prints for a render result. */
export function helmTemplateOutput(result: { manifests: RenderedManifest[] }): string {
  let main = '';
  let hooks = '';
  for (const m of result.manifests) {
    const block = `---\n# Source: ${m.source}\n${m.content}\n`;
    if (m.hook !== undefined) hooks += block;
    else main += block;
  }
  return main.trim() + '\n' + hooks;
}
