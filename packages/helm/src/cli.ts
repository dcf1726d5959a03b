// `helm template` as a command: argv are the arguments after "template".
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { TemplateSet } from '@flotilla/gotemplate';
import { HelmError } from './errors.js';
import { globMatch } from './glob.js';
import { fetchChartFromRepo } from './repo.js';
import { helmTemplateOutput, renderChart, type RenderChartOptions } from './render.js';
import { splitManifests } from './sort.js';

export interface CommandIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  cwd?: string;
}

export const HELM_TEMPLATE_USAGE = `Render chart templates locally and display the output.

Values that would normally be looked up in a cluster are faked locally (lookup returns an
empty map), and no server-side validation of the output is done.

CHART is a chart directory or a chart archive (.tgz); with --repo it is a chart name in that
chart repository. NAME is the release name (default "release-name").

Usage:
  helm template [NAME] [CHART] [flags]

Flags:
  -a, --api-versions strings     Kubernetes api versions used for Capabilities.APIVersions (group/version or group/version/Kind; repeatable, comma-separated)
  -g, --generate-name            generate the name (and omit the NAME parameter)
  -h, --help                     help for template
      --include-crds             include CRDs in the templated output
      --is-upgrade               set .Release.IsUpgrade instead of .Release.IsInstall
      --kube-version string      Kubernetes version used for Capabilities.KubeVersion (default v1.32.0)
      --name-template string     specify template used to name the release
  -n, --namespace string         namespace scope for this request (default "default")
      --no-hooks                 prevent hooks from being printed
      --output-dir string        writes the executed templates to files in output-dir instead of stdout
      --release-name             use release name in the output-dir path
      --repo string              chart repository url where to locate the requested chart
      --set stringArray          set values on the command line (can specify multiple or separate values with commas: key1=val1,key2=val2)
      --set-file stringArray     set values from respective files specified via the command line (can specify multiple or separate values with commas: key1=path1,key2=path2)
      --set-json stringArray     set JSON values on the command line (can specify multiple or separate values with commas: key1=jsonval1,key2=jsonval2)
      --set-literal stringArray  set a literal STRING value on the command line
      --set-string stringArray   set STRING values on the command line (can specify multiple or separate values with commas: key1=val1,key2=val2)
  -s, --show-only stringArray    only show manifests rendered from the given templates
      --skip-crds                if set, no CRDs will be printed
      --skip-schema-validation   if set, disables JSON schema validation
      --skip-tests               skip tests from templated output
  -f, --values strings           specify values in a YAML file or a URL (can specify multiple)
      --version string           specify a version constraint for the chart version to use (with --repo)
`;

type Kind = 'bool' | 'string' | 'array' | 'slice';
interface FlagDef {
  long: string;
  short?: string;
  kind: Kind;
}
const FLAGS: FlagDef[] = [
  { long: 'api-versions', short: 'a', kind: 'slice' },
  { long: 'generate-name', short: 'g', kind: 'bool' },
  { long: 'help', short: 'h', kind: 'bool' },
  { long: 'include-crds', kind: 'bool' },
  { long: 'is-upgrade', kind: 'bool' },
  { long: 'kube-version', kind: 'string' },
  { long: 'name-template', kind: 'string' },
  { long: 'namespace', short: 'n', kind: 'string' },
  { long: 'no-hooks', kind: 'bool' },
  { long: 'output-dir', kind: 'string' },
  { long: 'release-name', kind: 'bool' },
  { long: 'repo', kind: 'string' },
  { long: 'set', kind: 'array' },
  { long: 'set-file', kind: 'array' },
  { long: 'set-json', kind: 'array' },
  { long: 'set-literal', kind: 'array' },
  { long: 'set-string', kind: 'array' },
  { long: 'show-only', short: 's', kind: 'array' },
  { long: 'skip-crds', kind: 'bool' },
  { long: 'skip-tests', kind: 'bool' },
  { long: 'skip-schema-validation', kind: 'bool' },
  { long: 'values', short: 'f', kind: 'slice' },
  { long: 'version', kind: 'string' },
  // accepted for compatibility, no effect on the output
  { long: 'debug', kind: 'bool' },
  { long: 'validate', kind: 'bool' },
  { long: 'dependency-update', kind: 'bool' },
  { long: 'devel', kind: 'bool' },
  { long: 'create-namespace', kind: 'bool' },
  { long: 'atomic', kind: 'bool' },
  { long: 'wait', kind: 'bool' },
  { long: 'wait-for-jobs', kind: 'bool' },
  { long: 'disable-openapi-validation', kind: 'bool' },
  { long: 'timeout', kind: 'string' },
  { long: 'description', kind: 'string' },
  { long: 'username', kind: 'string' },
  { long: 'password', kind: 'string' },
  { long: 'kube-context', kind: 'string' },
  { long: 'kubeconfig', kind: 'string' },
  { long: 'dry-run', kind: 'string' },
];

class UsageError extends Error {}

interface Parsed {
  positional: string[];
  bools: Set<string>;
  strings: Map<string, string>;
  arrays: Map<string, string[]>;
}

function parseArgs(argv: string[]): Parsed {
  const p: Parsed = { positional: [], bools: new Set(), strings: new Map(), arrays: new Map() };
  const byLong = new Map(FLAGS.map((f) => [f.long, f]));
  const byShort = new Map(FLAGS.filter((f) => f.short).map((f) => [f.short!, f]));
  const setFlag = (f: FlagDef, value: string | undefined, name: string, next: () => string | undefined) => {
    if (f.kind === 'bool') {
      if (value === undefined || value === 'true') p.bools.add(f.long);
      else if (value === 'false') p.bools.delete(f.long);
      else throw new UsageError(`invalid argument ${JSON.stringify(value)} for ${JSON.stringify(name)} flag: strconv.ParseBool: parsing ${JSON.stringify(value)}: invalid syntax`);
      return;
    }
    const v = value ?? next();
    if (v === undefined) throw new UsageError(`flag needs an argument: ${name}`);
    if (f.kind === 'string') p.strings.set(f.long, v);
    else {
      const list = p.arrays.get(f.long) ?? [];
      if (f.kind === 'slice') list.push(...v.split(',').filter((x) => x !== ''));
      else list.push(v);
      p.arrays.set(f.long, list);
    }
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => (i + 1 < argv.length ? argv[++i] : undefined);
    if (a === '--') {
      p.positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      const f = byLong.get(name);
      if (!f) throw new UsageError(`unknown flag: --${name}`);
      setFlag(f, eq >= 0 ? a.slice(eq + 1) : undefined, `--${name}`, next);
    } else if (a.startsWith('-') && a.length > 1) {
      // -f x, -fx, -f=x, grouped booleans -gh
      let j = 1;
      while (j < a.length) {
        const s = a[j]!;
        const f = byShort.get(s);
        if (!f) throw new UsageError(`unknown shorthand flag: '${s}' in ${a}`);
        if (f.kind === 'bool') {
          p.bools.add(f.long);
          j++;
          continue;
        }
        let rest = a.slice(j + 1);
        if (rest.startsWith('=')) rest = rest.slice(1);
        setFlag(f, rest === '' ? undefined : rest, `-${s}`, next);
        break;
      }
    } else {
      p.positional.push(a);
    }
  }
  return p;
}

function releaseNameFromTemplate(tpl: string): string {
  const set = new TemplateSet();
  set.parse('name-template', tpl);
  return set.execute('name-template', {}).replaceAll('<no value>', '');
}

/** Filters `helm template` output to the documents of the given templates (--show-only). */
export function showOnly(output: string, patterns: string[]): string {
  const docs = splitManifests(output);
  let out = '';
  for (const pat of patterns) {
    const f = pat.replace(/\\/g, '/');
    let found = false;
    for (const d of docs) {
      const m = /# Source: [^/]+\/(.+)/.exec(d);
      if (!m) continue;
      if (!globMatch(f, m[1]!)) continue;
      out += `---\n${d}\n`;
      found = true;
    }
    if (!found) throw new HelmError(`could not find template ${pat} in chart`);
  }
  return out;
}

/** Runs `helm template` with the given arguments; returns the exit code. */
export async function helmTemplateCommand(argv: string[], io: CommandIO): Promise<number> {
  const cwd = io.cwd ?? process.cwd();
  let p: Parsed;
  try {
    p = parseArgs(argv);
  } catch (e) {
    io.stderr(`Error: ${(e as Error).message}\n`);
    return 1;
  }
  if (p.bools.has('help')) {
    io.stdout(HELM_TEMPLATE_USAGE);
    return 0;
  }
  try {
    const generate = p.bools.has('generate-name') || p.strings.has('name-template');
    let name: string | undefined;
    let chartRef: string;
    if (p.positional.length === 0) throw new UsageError('"helm template" requires at least 1 argument\n\nUsage:  helm template [NAME] [CHART] [flags]');
    if (p.positional.length > 2) throw new UsageError(`expected at most two arguments, unexpected arguments: ${p.positional.slice(2).join(', ')}`);
    if (p.positional.length === 2) {
      if (generate) throw new UsageError(`expected at most one argument, unexpected arguments: ${p.positional.slice(1).join(', ')}`);
      name = p.positional[0]!;
      chartRef = p.positional[1]!;
    } else chartRef = p.positional[0]!;

    let chartDir: string;
    const repo = p.strings.get('repo');
    if (repo) {
      chartDir = await fetchChartFromRepo(repo, chartRef, p.strings.get('version') ?? '', join(tmpdir(), 'flotilla-helm-cache'));
    } else {
      if (/^oci:\/\//.test(chartRef)) throw new HelmError(`OCI registries are not supported: ${chartRef}`);
      chartDir = isAbsolute(chartRef) ? chartRef : resolve(cwd, chartRef);
      if (!existsSync(chartDir)) throw new HelmError(`path ${JSON.stringify(chartRef)} not found`);
    }
    if (!name) {
      const nt = p.strings.get('name-template');
      if (nt) name = releaseNameFromTemplate(nt);
      else if (p.bools.has('generate-name')) name = `${chartRef.replace(/\/+$/, '').split('/').pop()!.replace(/\.tgz$/, '').replace(/-\d+\.\d+\.\d+.*$/, '')}-${Math.floor(Date.now() / 1000)}`;
      else name = 'release-name';
    }
    if (name.length > 53) throw new HelmError('release name exceeds max length of 53');
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(name)) throw new HelmError(`invalid release name, must match regex ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$ and the length must not be longer than 53`);

    const opts: RenderChartOptions = {
      chartDir,
      releaseName: name,
      namespace: p.strings.get('namespace') ?? 'default',
      valueFiles: (p.arrays.get('values') ?? []).map((f) => (/^https?:\/\//.test(f) || isAbsolute(f) ? f : resolve(cwd, f))),
      set: p.arrays.get('set') ?? [],
      setString: p.arrays.get('set-string') ?? [],
      setFile: p.arrays.get('set-file') ?? [],
      setJson: p.arrays.get('set-json') ?? [],
      setLiteral: p.arrays.get('set-literal') ?? [],
      apiVersions: p.arrays.get('api-versions') ?? [],
      includeCrds: p.bools.has('include-crds'),
      skipCrds: p.bools.has('skip-crds'),
      isUpgrade: p.bools.has('is-upgrade'),
      skipTests: p.bools.has('skip-tests'),
      noHooks: p.bools.has('no-hooks'),
      skipSchemaValidation: p.bools.has('skip-schema-validation'),
      cwd,
    };
    const kv = p.strings.get('kube-version');
    if (kv) opts.kubeVersion = kv;
    const result = await renderChart(opts);
    const outputDir = p.strings.get('output-dir');
    if (outputDir) {
      const root = resolve(cwd, outputDir, p.bools.has('release-name') ? name : '');
      const written = new Set<string>();
      for (const m of result.manifests) {
        const file = join(root, m.source);
        const block = `---\n# Source: ${m.source}\n${m.content}\n`;
        mkdirSync(dirname(file), { recursive: true });
        if (written.has(file)) appendFileSync(file, block);
        else {
          writeFileSync(file, block);
          written.add(file);
          io.stdout(`wrote ${file}\n`);
        }
      }
      return 0;
    }
    const out = helmTemplateOutput(result);
    const show = p.arrays.get('show-only') ?? [];
    io.stdout(show.length ? showOnly(out, show) : out);
    return 0;
  } catch (e) {
    io.stderr(`Error: ${(e as Error).message}\n`);
    return 1;
  }
}
