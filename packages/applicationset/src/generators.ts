/**
 * Generators: each turns its spec into parameter sets. The logic is pure; every outside read
 * (cluster Secrets, Git, ConfigMaps, duck-typed resources, plugin HTTP) goes through `GenContext`,
 * which the controller backs with informers, Git and fetch, and tests with tables.
 */
import { parse as parseYaml } from 'yaml';
import { flatten, globRegExp, goString, pathParams, sanitizeName, selectDirectories, selectFiles } from './params.js';
import { effectiveTemplate, renderFast, renderGo } from './render.js';
import { pullRequestParams, scmProviderParams } from './scm.js';
import type { AppTemplate, ApplicationSet, Generator, LabelSelector, Obj, Params } from './types.js';
import { GeneratorError } from './types.js';

export interface ClusterEntry {
  name: string;
  server: string;
  project?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface GenContext {
  /** the cluster Secrets of Argo CD's namespace, and the in-cluster entry when no Secret names it */
  clusters(): ClusterEntry[];
  /** every directory path of the repository at the revision (no leading slash) */
  gitDirectories(repoURL: string, revision: string): Promise<string[]>;
  /** every file path of the repository at the revision */
  gitFiles(repoURL: string, revision: string): Promise<string[]>;
  gitRead(repoURL: string, revision: string, path: string): Promise<string>;
  configMap(name: string): Record<string, string> | undefined;
  /** a `$secret:key` / `$name:key` reference resolved (undefined when missing) */
  secretValue(ref: string): string | undefined;
  /** duck-typed resources in Argo CD's namespace by apiVersion/kind and a name or a selector */
  resources(apiVersion: string, kind: string, name?: string, selector?: LabelSelector): Promise<Obj[]>;
  /** HTTP for the plugin generator */
  fetch(url: string, init: { method: string; headers: Record<string, string>; body?: string }): Promise<{ status: number; text: string }>;
  /** --enable-scm-providers / --allowed-scm-providers: why an SCM API URL may not be used (undefined: it may) */
  scmRefused?(apiURL: string): string | undefined;
}

export interface Generated {
  params: Params;
  template: AppTemplate;
}

const GENERATORS = ['list', 'clusters', 'git', 'matrix', 'merge', 'clusterDecisionResource', 'plugin', 'scmProvider', 'pullRequest'];

/** Which generator a spec names (exactly one). */
export function generatorKind(g: Generator): string {
  const kinds = Object.keys(g).filter((k) => k !== 'selector' && g[k] !== undefined && g[k] !== null);
  const unknown = kinds.filter((k) => !GENERATORS.includes(k));
  if (unknown.length) throw new GeneratorError(`unknown generator "${unknown[0]}" (known: ${GENERATORS.join(', ')})`);
  if (kinds.length !== 1) throw new GeneratorError(kinds.length ? `a generator entry must have exactly one generator, has ${kinds.join(', ')}` : 'empty generator entry: no generator specified');
  return kinds[0]!;
}

function labelsMatch(sel: LabelSelector | undefined, get: (k: string) => string | undefined): boolean {
  if (!sel) return true;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (get(k) !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const v = get(e.key);
    const vals = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (v === undefined || !vals.includes(v)) return false;
        break;
      case 'NotIn':
        if (v !== undefined && vals.includes(v)) return false;
        break;
      case 'Exists':
        if (v === undefined) return false;
        break;
      case 'DoesNotExist':
        if (v !== undefined) return false;
        break;
      default:
        throw new GeneratorError(`selector: unknown operator "${(e as { operator: string }).operator}"`);
    }
  }
  return true;
}

/** A generator's `selector` over its parameter sets (keys as flat names). */
export function postSelect(sel: LabelSelector | undefined, params: Params[], goTemplate: boolean): Params[] {
  if (!sel) return params;
  return params.filter((p) => {
    const flat = goTemplate ? flatten(p) : (p as Record<string, string>);
    return labelsMatch(sel, (k) => flat[k]);
  });
}

/** Renders a generator's `values` with the params of its item, then adds them (`values.<k>` / `.values`). */
function withValues(p: Params, values: Record<string, string> | undefined, goTemplate: boolean, options?: string[]): Params {
  if (!values || !Object.keys(values).length) return p;
  const rendered: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) rendered[k] = goTemplate ? renderGo(v, p, options) : renderFast(v, p as Record<string, unknown>);
  if (goTemplate) return { ...p, values: rendered };
  const out = { ...p } as Record<string, unknown>;
  for (const [k, v] of Object.entries(rendered)) out[`values.${k}`] = v;
  return out;
}

function clusterParams(c: ClusterEntry, goTemplate: boolean): Params {
  if (goTemplate) return { name: c.name, nameNormalized: sanitizeName(c.name), server: c.server, project: c.project ?? '', metadata: { labels: c.labels, annotations: c.annotations } };
  const p: Record<string, string> = { name: c.name, nameNormalized: sanitizeName(c.name), server: c.server, project: c.project ?? '' };
  for (const [k, v] of Object.entries(c.labels)) p[`metadata.labels.${k}`] = v;
  for (const [k, v] of Object.entries(c.annotations)) p[`metadata.annotations.${k}`] = v;
  return p;
}

function listParams(el: Obj, goTemplate: boolean): Params {
  if (goTemplate) return { ...el };
  return flatten(el);
}

/** Parameters from a file's content (JSON or YAML; a list gives one set per element). */
export function fileParams(path: string, content: string, goTemplate: boolean, prefix?: string): Params[] {
  let doc: unknown;
  try {
    doc = /\.json$/i.test(path) ? JSON.parse(content) : parseYaml(content);
  } catch (e) {
    throw new GeneratorError(`unable to parse file ${path}: ${(e as Error).message}`);
  }
  const items = Array.isArray(doc) ? doc : [doc ?? {}];
  return items.map((item, i) => {
    if (!item || typeof item !== 'object' || Array.isArray(item)) throw new GeneratorError(`file ${path}${Array.isArray(doc) ? ` item ${i}` : ''}: expected an object of parameters`);
    const base = goTemplate ? { ...(item as Obj) } : flatten(item as Obj);
    return { ...base, ...pathParams(path, goTemplate, { file: true, prefix }) };
  });
}

/** Combines two parameter sets (matrix): Go mode merges, fasttemplate refuses a key with two values. */
export function combine(a: Params, b: Params, goTemplate: boolean): Params {
  if (goTemplate) return deepMerge(a, b) as Params;
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (k in out && out[k] !== v) throw new GeneratorError(`found duplicate key ${k} with different value, a: ${goString(out[k])} ,b: ${goString(v)}`);
    out[k] = v;
  }
  return out;
}

function deepMerge(a: unknown, b: unknown): unknown {
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const out: Record<string, unknown> = { ...(a as Obj) };
    for (const [k, v] of Object.entries(b as Obj)) out[k] = k in out ? deepMerge(out[k], v) : v;
    return out;
  }
  return b;
}

function mergeKeyValue(p: Params, keys: string[], goTemplate: boolean): string | undefined {
  const flat = goTemplate ? flatten(p) : (p as Record<string, string>);
  const vals = keys.map((k) => flat[k]);
  if (vals.some((v) => v === undefined)) return undefined;
  return JSON.stringify(vals);
}

/** Merge generator: the first generator's sets, each overridden by the later sets with the same mergeKeys values. */
export function mergeSets(sets: Params[][], keys: string[], goTemplate: boolean): Params[] {
  if (!keys.length) throw new GeneratorError('merge generator: mergeKeys is empty');
  const [base, ...rest] = sets;
  const index = new Map<string, number>();
  const out = (base ?? []).map((p) => ({ ...p }));
  out.forEach((p, i) => {
    const k = mergeKeyValue(p, keys, goTemplate);
    if (k === undefined) return;
    if (index.has(k)) throw new GeneratorError(`merge generator: the base generator yields duplicate merge key values ${k}`);
    index.set(k, i);
  });
  for (const set of rest) {
    for (const p of set) {
      const k = mergeKeyValue(p, keys, goTemplate);
      const i = k === undefined ? undefined : index.get(k);
      if (i === undefined) continue;
      out[i] = goTemplate ? (deepMerge(out[i], p) as Params) : { ...out[i], ...p };
    }
  }
  return out;
}

/** Runs one generator entry: parameter sets, each with the template it renders. */
export async function generate(set: ApplicationSet, g: Generator, ctx: GenContext, baseTemplate: AppTemplate, depth = 0): Promise<Generated[]> {
  const go = !!set.spec?.goTemplate;
  const opts = set.spec?.goTemplateOptions;
  const kind = generatorKind(g);
  const own = (g[kind] as { template?: AppTemplate }).template;
  const template = effectiveTemplate(baseTemplate, own);
  let params: Params[];
  switch (kind) {
    case 'list': {
      const l = g.list!;
      let elements = l.elements ?? [];
      if (l.elementsYaml) {
        let y: unknown;
        try {
          y = parseYaml(l.elementsYaml);
        } catch (e) {
          throw new GeneratorError(`list generator: elementsYaml is not YAML: ${(e as Error).message}`);
        }
        if (!Array.isArray(y)) throw new GeneratorError('list generator: elementsYaml must be a list');
        elements = elements.concat(y as Obj[]);
      }
      params = elements.map((el, i) => {
        if (!el || typeof el !== 'object' || Array.isArray(el)) throw new GeneratorError(`list generator: element ${i} is not an object`);
        return listParams(el, go);
      });
      break;
    }
    case 'clusters': {
      const c = g.clusters!;
      const all = ctx.clusters().filter((x) => labelsMatch(c.selector, (k) => x.labels[k]));
      params = all.map((x) => withValues(clusterParams(x, go), c.values, go, opts));
      break;
    }
    case 'git': {
      const gg = g.git!;
      if (!gg.repoURL) throw new GeneratorError('git generator: repoURL is required');
      const rev = gg.revision || 'HEAD';
      if (gg.directories?.length && gg.files?.length) throw new GeneratorError('git generator: directories and files cannot both be set');
      if (gg.directories?.length) {
        const dirs = selectDirectories(await ctx.gitDirectories(gg.repoURL, rev), gg.directories);
        params = dirs.map((d) => withValues(pathParams(d, go, { prefix: gg.pathParamPrefix }), gg.values, go, opts));
      } else if (gg.files?.length) {
        const files = selectFiles(await ctx.gitFiles(gg.repoURL, rev), gg.files);
        params = [];
        for (const f of files) for (const p of fileParams(f, await ctx.gitRead(gg.repoURL, rev, f), go, gg.pathParamPrefix)) params.push(withValues(p, gg.values, go, opts));
      } else throw new GeneratorError('git generator: one of directories or files is required');
      break;
    }
    case 'matrix': {
      const m = g.matrix!;
      if (depth >= 2) throw new GeneratorError('matrix/merge generators may be nested at most two levels');
      if (m.generators?.length !== 2) throw new GeneratorError(`matrix generator must have exactly 2 child generators, has ${m.generators?.length ?? 0}`);
      const first = await generate(set, m.generators[0]!, ctx, template, depth + 1);
      const out: Generated[] = [];
      for (const a of first) {
        // the second generator may use the first one's parameters (e.g. a path from a cluster label)
        const second = go ? renderGo(m.generators[1]!, a.params, opts) : renderFast(m.generators[1]!, a.params as Record<string, unknown>);
        for (const b of await generate(set, second, ctx, a.template, depth + 1)) out.push({ params: combine(a.params, b.params, go), template: b.template });
      }
      return applySelector(g, out, go);
    }
    case 'merge': {
      const m = g.merge!;
      if (depth >= 2) throw new GeneratorError('matrix/merge generators may be nested at most two levels');
      if ((m.generators?.length ?? 0) < 2) throw new GeneratorError('merge generator needs at least 2 child generators');
      const sets: Params[][] = [];
      for (const child of m.generators) sets.push((await generate(set, child, ctx, template, depth + 1)).map((x) => x.params));
      params = mergeSets(sets, m.mergeKeys ?? [], go);
      break;
    }
    case 'clusterDecisionResource': {
      const d = g.clusterDecisionResource!;
      const cm = ctx.configMap(d.configMapRef);
      if (!cm) throw new GeneratorError(`clusterDecisionResource: ConfigMap "${d.configMapRef}" not found`);
      for (const k of ['apiVersion', 'kind', 'statusListKey', 'matchKey']) if (!cm[k]) throw new GeneratorError(`clusterDecisionResource: ConfigMap "${d.configMapRef}" has no data.${k}`);
      if (!d.name && !d.labelSelector) throw new GeneratorError('clusterDecisionResource: one of name or labelSelector is required');
      const objs = await ctx.resources(cm.apiVersion!, cm.kind!, d.name, d.labelSelector);
      const clusters = ctx.clusters();
      params = [];
      for (const o of objs) {
        const list = ((o.status as Obj | undefined)?.[cm.statusListKey!] ?? []) as Obj[];
        if (!Array.isArray(list)) continue;
        for (const item of list) {
          const key = String(item[cm.matchKey!] ?? '');
          const c = clusters.find((x) => x.name === key || x.server === key);
          if (!c) continue;
          const base: Record<string, unknown> = go ? { ...item } : flatten(item);
          Object.assign(base, { name: c.name, server: c.server, clusterName: c.name });
          params.push(withValues(base, d.values, go, opts));
        }
      }
      break;
    }
    case 'scmProvider': {
      const sp = g.scmProvider as Obj & { values?: Record<string, string> };
      params = (await scmProviderParams(sp, ctx, go)).map((p) => withValues(p, sp.values, go, opts));
      break;
    }
    case 'pullRequest': {
      const pr = g.pullRequest as Obj & { values?: Record<string, string> };
      params = (await pullRequestParams(pr, ctx, go)).map((p) => withValues(p, pr.values, go, opts));
      break;
    }
    case 'plugin': {
      params = await pluginParams(set, g.plugin!, ctx, go, opts);
      break;
    }
    default:
      throw new GeneratorError(`unknown generator "${kind}"`);
  }
  return applySelector(g, params.map((p) => ({ params: p, template })), go);
}

function applySelector(g: Generator, gen: Generated[], go: boolean): Generated[] {
  if (!g.selector) return gen;
  const keep = new Set(postSelect(g.selector, gen.map((x) => x.params), go));
  return gen.filter((x) => keep.has(x.params));
}

async function pluginParams(set: ApplicationSet, p: NonNullable<Generator['plugin']>, ctx: GenContext, go: boolean, opts?: string[]): Promise<Params[]> {
  const name = p.configMapRef?.name;
  if (!name) throw new GeneratorError('plugin generator: configMapRef.name is required');
  const cm = ctx.configMap(name);
  if (!cm) throw new GeneratorError(`plugin generator: ConfigMap "${name}" not found`);
  if (!cm.baseUrl) throw new GeneratorError(`plugin generator: ConfigMap "${name}" has no data.baseUrl`);
  if (!cm.token) throw new GeneratorError(`plugin generator: ConfigMap "${name}" has no data.token`);
  const token = ctx.secretValue(cm.token);
  if (token === undefined) throw new GeneratorError(`plugin generator: the token reference ${cm.token} of ConfigMap "${name}" does not resolve`);
  const url = `${cm.baseUrl.replace(/\/+$/, '')}/api/v1/getparams.execute`;
  const input = { parameters: p.input?.parameters ?? {} };
  let res: { status: number; text: string };
  try {
    res = await ctx.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ applicationSetName: set.metadata?.name, input }),
    });
  } catch (e) {
    throw new GeneratorError(`plugin generator: ${url}: ${(e as Error).message}`);
  }
  if (res.status !== 200) throw new GeneratorError(`plugin generator: ${url} answered ${res.status}: ${res.text.slice(0, 200)}`);
  let body: { output?: { parameters?: Obj[] } };
  try {
    body = JSON.parse(res.text);
  } catch {
    throw new GeneratorError(`plugin generator: ${url} answered something other than JSON`);
  }
  const list = body.output?.parameters;
  if (!Array.isArray(list)) throw new GeneratorError(`plugin generator: ${url}: output.parameters is not a list`);
  return list.map((item) => {
    const base: Params = go ? { ...item, generator: { input } } : { ...flatten(item), ...flatten({ generator: { input } }) };
    return withValues(base, p.values, go, opts);
  });
}

/** Every generator of the set, in order; the union of their parameter sets with their templates. */
export async function generateAll(set: ApplicationSet, ctx: GenContext): Promise<Generated[]> {
  const gens = set.spec?.generators ?? [];
  if (!gens.length) throw new GeneratorError('the ApplicationSet has no generators');
  const out: Generated[] = [];
  for (const [i, g] of gens.entries()) {
    try {
      out.push(...(await generate(set, g, ctx, set.spec?.template ?? {})));
    } catch (e) {
      if (e instanceof GeneratorError) throw new GeneratorError(`generators[${i}]: ${e.message}`);
      throw e;
    }
  }
  return out;
}

export { globRegExp };
