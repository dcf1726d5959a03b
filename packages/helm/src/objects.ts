// The built-in objects templates see: .Chart, .Files, .Capabilities (Go structs with capitalised
// fields and methods), and the []byte values .Files.GetBytes returns.
import { goFunc, strList, isMap } from '@flotilla/gotemplate';
import type { ChartFile, ChartMetadata, Dependency, Maintainer } from './chart.js';
import { globMatch } from './glob.js';
import { marshalYaml, setProp } from './yaml.js';

function sig(proto: object, method: string, params: ('string' | 'any')[]): void {
  const p = proto as Record<string, (...a: unknown[]) => unknown>;
  goFunc(params, null, p[method]!);
}

/** A Go []byte. Prints as its text; JSON-encodes as base64. */
export class GoBytes {
  static goType = '[]uint8';
  constructor(readonly data: Buffer) {}
  String(): string {
    return this.data.toString('utf8');
  }
  toJSON(): string {
    return this.data.toString('base64');
  }
}

/** .Files: the chart's non-template files, keyed by chart-relative path. */
export class Files {
  static goType = 'engine.files';
  static goKind = 'map';
  readonly #files: Map<string, Buffer>;
  constructor(files: Map<string, Buffer> | ChartFile[]) {
    this.#files = files instanceof Map ? files : new Map(files.map((f) => [f.name, f.data]));
  }
  entries(): [string, Buffer][] {
    return [...this.#files];
  }
  get size(): number {
    return this.#files.size;
  }
  /** Get(name) string: the file content, or "" when absent. */
  Get(name: string): string {
    return this.#files.get(name)?.toString('utf8') ?? '';
  }
  /** GetBytes(name) []byte */
  GetBytes(name: string): GoBytes {
    return new GoBytes(this.#files.get(name) ?? Buffer.alloc(0));
  }
  /** Glob(pattern) Files: `*` stays within a directory, `**` crosses directories, `{a,b}` alternates. */
  Glob(pattern: string): Files {
    const out = new Map<string, Buffer>();
    for (const [k, v] of this.#files) if (globMatch(pattern, k, { doubleStar: true, braces: true })) out.set(k, v);
    return new Files(out);
  }
  /** Lines(path) []string: the file split on newlines (a final newline does not add a line). */
  Lines(path: string): string[] {
    const b = this.#files.get(path);
    if (!b || b.length === 0) return strList([]);
    let s = b.toString('utf8');
    if (s.endsWith('\n')) s = s.slice(0, -1);
    return strList(s.split('\n'));
  }
  /** AsConfig() string: a YAML map of base name → content (for a ConfigMap's data). */
  AsConfig(): string {
    const m: Record<string, unknown> = {};
    for (const [k, v] of this.#files) setProp(m, k.slice(k.lastIndexOf('/') + 1), v.toString('utf8'));
    return marshalYaml(m).replace(/\n$/, '');
  }
  /** AsSecrets() string: a YAML map of base name → base64 content (for a Secret's data). */
  AsSecrets(): string {
    const m: Record<string, unknown> = {};
    for (const [k, v] of this.#files) setProp(m, k.slice(k.lastIndexOf('/') + 1), v.toString('base64'));
    return marshalYaml(m).replace(/\n$/, '');
  }
  /** The map form, for `range`. */
  asMap(): Record<string, unknown> {
    const m: Record<string, unknown> = {};
    for (const [k, v] of this.#files) setProp(m, k, new GoBytes(v));
    return m;
  }
  toJSON(): Record<string, unknown> {
    const m: Record<string, unknown> = {};
    for (const [k, v] of this.#files) setProp(m, k, v.toString('base64'));
    return m;
  }
  String(): string {
    return `map[${[...this.#files.keys()].sort().map((k) => `${k}:[...]`).join(' ')}]`;
  }
}
sig(Files.prototype, 'Get', ['string']);
sig(Files.prototype, 'GetBytes', ['string']);
sig(Files.prototype, 'Glob', ['string']);
sig(Files.prototype, 'Lines', ['string']);
sig(Files.prototype, 'AsConfig', []);
sig(Files.prototype, 'AsSecrets', []);

export class KubeVersion {
  static goType = 'chartutil.KubeVersion';
  constructor(
    readonly Version: string,
    readonly Major: string,
    readonly Minor: string,
  ) {}
  String(): string {
    return this.Version;
  }
  /** Deprecated alias of Version. */
  GitVersion(): string {
    return this.Version;
  }
  toJSON(): unknown {
    return { version: this.Version, major: this.Major, minor: this.Minor };
  }
}
sig(KubeVersion.prototype, 'GitVersion', []);

/** .Capabilities.APIVersions: a list of "group/version" (and "group/version/Kind") strings. */
export class VersionSet {
  static goType = 'chartutil.VersionSet';
  static goKind = 'slice';
  readonly #list: string[];
  constructor(list: string[]) {
    this.#list = list;
  }
  list(): string[] {
    return strList(this.#list.slice());
  }
  Has(apiVersion: string): boolean {
    return this.#list.includes(apiVersion);
  }
  String(): string {
    return `[${this.#list.join(' ')}]`;
  }
  toJSON(): string[] {
    return this.#list.slice();
  }
}
sig(VersionSet.prototype, 'Has', ['string']);

export class HelmBuildInfo {
  static goType = 'version.BuildInfo';
  readonly Version = 'v3.17.0';
  readonly GitCommit = '';
  readonly GitTreeState = 'clean';
  readonly GoVersion = 'go1.23';
  toJSON(): unknown {
    return { version: this.Version, git_commit: this.GitCommit, git_tree_state: this.GitTreeState, go_version: this.GoVersion };
  }
}

export class Capabilities {
  static goType = '*chartutil.Capabilities';
  constructor(
    readonly KubeVersion: KubeVersion,
    readonly APIVersions: VersionSet,
    readonly HelmVersion: HelmBuildInfo = new HelmBuildInfo(),
  ) {}
}

export class ChartMaintainer {
  static goType = '*chart.Maintainer';
  readonly Name: string;
  readonly Email: string;
  readonly URL: string;
  constructor(m: Maintainer) {
    this.Name = m.name ?? '';
    this.Email = m.email ?? '';
    this.URL = m.url ?? '';
  }
  toJSON(): unknown {
    return omitEmpty({ name: this.Name, email: this.Email, url: this.URL });
  }
}

export class ChartDependency {
  static goType = '*chart.Dependency';
  readonly Name: string;
  readonly Version: string;
  readonly Repository: string;
  readonly Condition: string;
  readonly Tags: string[];
  readonly Enabled: boolean;
  readonly ImportValues: unknown[];
  readonly Alias: string;
  constructor(d: Dependency, enabled: boolean) {
    this.Name = d.name;
    this.Version = d.version ?? '';
    this.Repository = d.repository ?? '';
    this.Condition = d.condition ?? '';
    this.Tags = strList(d.tags ?? []);
    this.Enabled = enabled;
    this.ImportValues = (d['import-values'] ?? []).map((iv) => (typeof iv === 'string' ? iv : { child: iv.child, parent: iv.parent }));
    this.Alias = d.alias ?? '';
  }
  toJSON(): unknown {
    return omitEmpty({ name: this.Name, version: this.Version, repository: this.Repository, condition: this.Condition, tags: this.Tags, enabled: this.Enabled, 'import-values': this.ImportValues, alias: this.Alias });
  }
}

/** .Chart: the chart's metadata as Go's *chart.Metadata. */
export class ChartObject {
  static goType = '*chart.Metadata';
  readonly Name: string;
  readonly Home: string;
  readonly Sources: string[];
  readonly Version: string;
  readonly Description: string;
  readonly Keywords: string[];
  readonly Maintainers: ChartMaintainer[];
  readonly Icon: string;
  readonly APIVersion: string;
  readonly Condition: string;
  readonly Tags: string;
  readonly AppVersion: string;
  readonly Deprecated: boolean;
  readonly Annotations: Record<string, unknown>;
  readonly KubeVersion: string;
  readonly Dependencies: ChartDependency[];
  readonly Type: string;
  constructor(md: ChartMetadata, name: string, enabledDeps: Set<string>) {
    this.Name = name;
    this.Home = md.home ?? '';
    this.Sources = strList(md.sources ?? []);
    this.Version = md.version;
    this.Description = md.description ?? '';
    this.Keywords = strList(md.keywords ?? []);
    this.Maintainers = (md.maintainers ?? []).map((m) => new ChartMaintainer(m));
    this.Icon = md.icon ?? '';
    this.APIVersion = md.apiVersion;
    this.Condition = md.condition ?? '';
    this.Tags = md.tags ?? '';
    this.AppVersion = md.appVersion ?? '';
    this.Deprecated = md.deprecated ?? false;
    const ann: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(md.annotations ?? {})) setProp(ann, k, v);
    this.Annotations = ann;
    this.KubeVersion = md.kubeVersion ?? '';
    this.Dependencies = (md.dependencies ?? []).map((d) => new ChartDependency(d, enabledDeps.has(d.alias || d.name)));
    this.Type = md.type ?? '';
  }
  toJSON(): unknown {
    return omitEmpty({
      name: this.Name,
      home: this.Home,
      sources: this.Sources,
      version: this.Version,
      description: this.Description,
      keywords: this.Keywords,
      maintainers: this.Maintainers,
      icon: this.Icon,
      apiVersion: this.APIVersion,
      condition: this.Condition,
      tags: this.Tags,
      appVersion: this.AppVersion,
      deprecated: this.Deprecated,
      annotations: this.Annotations,
      kubeVersion: this.KubeVersion,
      dependencies: this.Dependencies,
      type: this.Type,
    });
  }
}

function omitEmpty(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === '' || v === false || v === null || v === undefined) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (isMap(v) && Object.keys(v).length === 0) continue;
    out[k] = v;
  }
  return out;
}

/** For `range`: Files and VersionSet iterate as the map / slice they are in Go. */
export function iterable(v: unknown): unknown {
  if (v instanceof Files) return v.asMap();
  if (v instanceof VersionSet) return v.list();
  return v;
}

/** For `if`/`with`: an empty Files or VersionSet is false, as an empty map or slice is in Go. */
export function emptyAsNil(v: unknown): unknown {
  if (v instanceof Files && v.size === 0) return null;
  if (v instanceof VersionSet && v.list().length === 0) return null;
  return v;
}
