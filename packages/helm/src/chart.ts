// Chart loading: an unpacked chart directory or a chart archive (.tgz).
//
// Chart.yaml holds the metadata (apiVersion v2, or v1 whose dependencies come from
// requirements.yaml; a missing apiVersion means v1). values.yaml holds the defaults,
// values.schema.json an optional JSON Schema for the values. templates/ holds the templates.
// charts/ holds subcharts, as directories or archives. Every other file is available to
// templates through .Files (crds/ included). A directory is filtered through .helmignore.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Parser as TarParser } from 'tar';
import { SemverVersion } from '@flotilla/gotemplate';
import { HelmError } from './errors.js';
import { IgnoreRules } from './ignore.js';
import { parseYaml, parseYamlMap, parseYamlStrings, YamlError } from './yaml.js';
import type { Values } from './values.js';

export interface ChartFile {
  name: string;
  data: Buffer;
}

export interface Maintainer {
  name?: string;
  email?: string;
  url?: string;
}

export interface ImportValue {
  child: string;
  parent: string;
}

export interface Dependency {
  name: string;
  version?: string;
  repository?: string;
  condition?: string;
  tags?: string[];
  enabled?: boolean;
  'import-values'?: (string | ImportValue)[];
  alias?: string;
}

export interface ChartMetadata {
  apiVersion: string;
  name: string;
  version: string;
  kubeVersion?: string;
  description?: string;
  type?: string;
  keywords?: string[];
  home?: string;
  sources?: string[];
  dependencies?: Dependency[];
  maintainers?: Maintainer[];
  icon?: string;
  appVersion?: string;
  deprecated?: boolean;
  annotations?: Record<string, string>;
  condition?: string;
  tags?: string;
}

export interface Chart {
  metadata: ChartMetadata;
  /** Effective name: metadata.name, or the alias given by the parent's dependency entry. */
  name: string;
  values: Values;
  schema?: Buffer;
  templates: ChartFile[];
  files: ChartFile[];
  /** Subcharts; after dependency processing, only the enabled ones. */
  dependencies: Chart[];
  parent?: Chart;
  /** Where it was loaded from (for messages). */
  source: string;
}

export function chartFullPath(c: Chart): string {
  return c.parent ? `${chartFullPath(c.parent)}/charts/${c.name}` : c.name;
}

function str(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : String(v);
}

function bool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  return undefined;
}

function parseMetadata(data: Buffer, where: string): ChartMetadata {
  let raw: unknown;
  try {
    raw = parseYamlStrings(data.toString('utf8'));
  } catch (e) {
    throw new HelmError(`cannot load Chart.yaml: error converting YAML to JSON: ${(e as Error).message}`, { cause: e });
  }
  if (raw === null) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new HelmError(`cannot load Chart.yaml: error unmarshaling JSON: Chart.yaml is not a map (${where})`);
  const m = raw as Record<string, unknown>;
  const md: ChartMetadata = {
    apiVersion: str(m['apiVersion']) ?? 'v1',
    name: str(m['name']) ?? '',
    version: str(m['version']) ?? '',
  };
  for (const k of ['kubeVersion', 'description', 'type', 'home', 'icon', 'appVersion', 'condition', 'tags'] as const) {
    const v = str(m[k]);
    if (v !== undefined) md[k] = v;
  }
  if (Array.isArray(m['keywords'])) md.keywords = (m['keywords'] as unknown[]).map((x) => String(x));
  if (Array.isArray(m['sources'])) md.sources = (m['sources'] as unknown[]).map((x) => String(x));
  const dep = bool(m['deprecated']);
  if (dep !== undefined) md.deprecated = dep;
  if (m['annotations'] && typeof m['annotations'] === 'object') {
    md.annotations = {};
    for (const [k, v] of Object.entries(m['annotations'] as Record<string, unknown>)) md.annotations[k] = String(v);
  }
  if (Array.isArray(m['maintainers'])) md.maintainers = (m['maintainers'] as Record<string, unknown>[]).map((x) => ({ name: str(x?.['name']), email: str(x?.['email']), url: str(x?.['url']) }));
  if (Array.isArray(m['dependencies'])) md.dependencies = parseDependencies(m['dependencies']);
  return md;
}

function parseDependencies(list: unknown): Dependency[] {
  if (!Array.isArray(list)) return [];
  const out: Dependency[] = [];
  for (const d of list) {
    if (!d || typeof d !== 'object') continue;
    const x = d as Record<string, unknown>;
    const dep: Dependency = { name: str(x['name']) ?? '' };
    for (const k of ['version', 'repository', 'condition', 'alias'] as const) {
      const v = str(x[k]);
      if (v !== undefined) dep[k] = v;
    }
    if (Array.isArray(x['tags'])) dep.tags = (x['tags'] as unknown[]).map(String);
    const en = bool(x['enabled']);
    if (en !== undefined) dep.enabled = en;
    if (Array.isArray(x['import-values'])) {
      dep['import-values'] = (x['import-values'] as unknown[]).map((iv) => {
        if (typeof iv === 'string') return iv;
        const o = (iv ?? {}) as Record<string, unknown>;
        return { child: str(o['child']) ?? '', parent: str(o['parent']) ?? '' };
      });
    }
    out.push(dep);
  }
  return out;
}

function validateMetadata(md: ChartMetadata): void {
  if (!md.apiVersion) throw new HelmError('validation: chart.metadata.apiVersion is required');
  if (md.apiVersion !== 'v1' && md.apiVersion !== 'v2') throw new HelmError(`validation: chart.metadata.apiVersion ${JSON.stringify(md.apiVersion)} is not valid`);
  if (!md.name) throw new HelmError('validation: chart.metadata.name is required');
  if (md.name.includes('/') || md.name.includes('\\') || md.name === '.' || md.name === '..') throw new HelmError(`validation: chart.metadata.name ${JSON.stringify(md.name)} is invalid`);
  if (!md.version) throw new HelmError('validation: chart.metadata.version is required');
  try {
    SemverVersion.parse(md.version);
  } catch {
    throw new HelmError(`validation: chart.metadata.version ${JSON.stringify(md.version)} is invalid`);
  }
  if (md.type && md.type !== 'application' && md.type !== 'library') throw new HelmError('validation: chart.metadata.type must be application or library');
  for (const d of md.dependencies ?? []) {
    if (!d.name) throw new HelmError('validation: dependencies must have a name');
    if (d.alias !== undefined && !/^[a-zA-Z0-9_-]+$/.test(d.alias)) throw new HelmError(`validation: dependency ${JSON.stringify(d.name)} has disallowed characters in the alias`);
  }
}

/** Builds a chart from files with chart-relative, '/'-separated names. */
export function loadFiles(files: ChartFile[], source: string): Chart {
  const chartYaml = files.find((f) => f.name === 'Chart.yaml');
  if (!chartYaml) throw new HelmError(`Chart.yaml file is missing (${source})`);
  const metadata = parseMetadata(chartYaml.data, source);
  const chart: Chart = { metadata, name: metadata.name, values: {}, templates: [], files: [], dependencies: [], source };
  let requirements: Dependency[] | undefined;
  const subFiles = new Map<string, ChartFile[]>();
  const archives = new Map<string, Buffer>();
  for (const f of files) {
    const n = f.name;
    if (n === 'Chart.yaml' || n === 'Chart.lock' || n === 'requirements.lock') continue;
    if (n === 'values.yaml') {
      try {
        chart.values = parseYamlMap(f.data.toString('utf8'));
      } catch (e) {
        throw new HelmError(`cannot load values.yaml: ${e instanceof YamlError && !e.message.startsWith('error unmarshaling') ? 'error converting YAML to JSON: ' : ''}${(e as Error).message}`, { cause: e });
      }
    } else if (n === 'values.schema.json') {
      chart.schema = f.data;
    } else if (n === 'requirements.yaml') {
      try {
        const r = parseYamlStrings(f.data.toString('utf8')) as Record<string, unknown> | null;
        requirements = parseDependencies(r?.['dependencies']);
      } catch (e) {
        throw new HelmError(`cannot load requirements.yaml: ${(e as Error).message}`, { cause: e });
      }
    } else if (n.startsWith('templates/')) {
      chart.templates.push(f);
    } else if (n.startsWith('charts/')) {
      const rest = n.slice('charts/'.length);
      const slash = rest.indexOf('/');
      if (slash < 0) {
        if (/\.(tgz|tar\.gz)$/.test(rest)) archives.set(rest, f.data);
        else if (rest.endsWith('.prov')) chart.files.push(f);
        continue;
      }
      const sub = rest.slice(0, slash);
      let list = subFiles.get(sub);
      if (!list) subFiles.set(sub, (list = []));
      list.push({ name: rest.slice(slash + 1), data: f.data });
    } else {
      chart.files.push(f);
    }
  }
  if (metadata.apiVersion === 'v1' && requirements) metadata.dependencies = requirements;
  validateMetadata(metadata);
  const subs: [string, ChartFile[] | Buffer][] = [...subFiles, ...archives];
  subs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (const [sub, content] of subs) {
    let c: Chart;
    try {
      c = Buffer.isBuffer(content) ? loadArchiveBuffer(content, `${source}/charts/${sub}`) : loadFiles(content, `${source}/charts/${sub}`);
    } catch (e) {
      throw new HelmError(`error unpacking subchart ${sub} in ${metadata.name}: ${(e as Error).message}`, { cause: e });
    }
    c.parent = chart;
    chart.dependencies.push(c);
  }
  return chart;
}

/** Reads the files of a chart archive, with the leading chart directory stripped. */
export function readArchive(buf: Buffer): ChartFile[] {
  const files: ChartFile[] = [];
  let err: Error | undefined;
  const p = new TarParser({
    onReadEntry: (e) => {
      if (e.type !== 'File' && e.type !== 'OldFile' && e.type !== 'ContiguousFile') {
        e.resume();
        return;
      }
      const chunks: Buffer[] = [];
      e.on('data', (c: Buffer) => chunks.push(c));
      e.on('end', () => {
        const parts = e.path.replace(/\\/g, '/').split('/').filter((x) => x !== '' && x !== '.');
        if (parts.some((x) => x === '..')) {
          err = new HelmError(`chart illegally references parent directory: ${e.path}`);
          return;
        }
        if (parts.length < 2) {
          if (parts[0] === 'Chart.yaml') err = new HelmError('chart yaml not in base directory');
          return;
        }
        files.push({ name: parts.slice(1).join('/'), data: Buffer.concat(chunks) });
      });
    },
  });
  p.on('error', (e: Error) => (err = e));
  p.on('warn', (code: string, msg: string) => {
    if (code === 'TAR_BAD_ARCHIVE' || code === 'TAR_ABORT') err = new Error(msg);
  });
  p.write(buf);
  p.end();
  if (err) throw err;
  if (files.length === 0) throw new HelmError('no files in chart archive');
  return files;
}

export function loadArchiveBuffer(buf: Buffer, source: string): Chart {
  let files: ChartFile[];
  try {
    files = readArchive(buf);
  } catch (e) {
    throw e instanceof HelmError ? e : new HelmError(`cannot read chart archive ${source}: ${(e as Error).message}`, { cause: e });
  }
  return loadFiles(files, source);
}

/** Reads the files of a chart directory, honouring its .helmignore. */
export function readDirFiles(dir: string): ChartFile[] {
  const ignoreFile = join(dir, '.helmignore');
  const rules = IgnoreRules.withDefaults(existsSync(ignoreFile) ? readFileSync(ignoreFile, 'utf8') : '');
  const files: ChartFile[] = [];
  const walk = (abs: string, rel: string) => {
    for (const name of readdirSync(abs).sort()) {
      const a = join(abs, name);
      const r = rel ? `${rel}/${name}` : name;
      let st;
      try {
        st = statSync(a);
      } catch {
        continue; // dangling symlink
      }
      if (st.isDirectory()) {
        if (rules.ignored(r, true)) continue;
        walk(a, r);
      } else if (st.isFile()) {
        if (rules.ignored(r, false)) continue;
        files.push({ name: r, data: readFileSync(a) });
      }
    }
  };
  walk(dir, '');
  return files;
}

/** Loads a chart from a directory or an archive path. */
export function loadChart(path: string): Chart {
  const abs = resolve(path);
  let st;
  try {
    st = statSync(abs);
  } catch {
    throw new HelmError(`path ${JSON.stringify(path)} not found`);
  }
  if (st.isDirectory()) {
    if (!existsSync(join(abs, 'Chart.yaml'))) throw new HelmError(`Chart.yaml file is missing in ${JSON.stringify(path)}`);
    return loadFiles(readDirFiles(abs), abs);
  }
  return loadArchiveBuffer(readFileSync(abs), abs);
}
