// The template engine: every template of the chart and its enabled subcharts is parsed into one
// Go template namespace (defines are shared), with Sprig (minus env/expandenv) and Helm's own
// functions, `missingkey=zero`, and "<no value>" removed from the output. Each template runs with
// the objects of the chart it belongs to (.Values scoped to that chart, .Chart, .Files, .Release,
// .Capabilities, .Template, .Subcharts).
import { TemplateSet, ExecError, ParseError, parseText, goFunc, isMap, toJSON, fromJSON, type FuncMap, type ParseResult } from '@flotilla/gotemplate';
import type { Chart } from './chart.js';
import { chartFullPath } from './chart.js';
import { HelmError } from './errors.js';
import { ChartObject, Files, emptyAsNil, iterable, type Capabilities } from './objects.js';
import { encodeToml } from './toml.js';
import { marshalYaml, parseYaml, jsonKind, setProp } from './yaml.js';
import type { Values } from './values.js';

// ---------------------------------------------------------------------------------------------
// Parsing. `.Files` and `.Capabilities.APIVersions` are Go maps/slices with methods; the template
// engine models such values as structs, so `range`, `if` and `with` pipelines get a final adapter
// command that hands them over as a plain map or list (or nil when empty).

const ITER_FN = 'helmRangeValue';
const COND_FN = 'helmCondValue';

type AnyNode = { t: number; pos: number; [k: string]: unknown };

const NODE = (() => {
  const res = parseText('probe', '{{range .}}{{end}}{{if .}}{{end}}{{with .}}{{end}}{{f}}');
  const root = res.trees.get('probe')!.root as unknown as { t: number; nodes: AnyNode[] };
  const rangeNode = root.nodes[0]! as unknown as { t: number; pipe: { cmds: AnyNode[] } };
  const action = root.nodes[3]! as unknown as { pipe: { cmds: { args: AnyNode[] }[] } };
  return {
    range: rangeNode.t,
    if: root.nodes[1]!.t,
    with: root.nodes[2]!.t,
    command: rangeNode.pipe.cmds[0]!.t,
    identifier: action.pipe.cmds[0]!.args[0]!.t,
  };
})();

function adapt(node: AnyNode): void {
  const n = node as AnyNode & { nodes?: AnyNode[]; pipe?: { pos: number; cmds: AnyNode[] }; list?: { nodes: AnyNode[] }; elseList?: { nodes: AnyNode[] } | null };
  if (Array.isArray(n.nodes)) for (const c of n.nodes) adapt(c);
  if (n.pipe && (n.t === NODE.range || n.t === NODE.if || n.t === NODE.with)) {
    const pos = n.pipe.pos;
    const name = n.t === NODE.range ? ITER_FN : COND_FN;
    n.pipe.cmds.push({ t: NODE.command, pos, args: [{ t: NODE.identifier, pos, name }] });
  }
  if (n.list) for (const c of n.list.nodes) adapt(c);
  if (n.elseList) for (const c of n.elseList.nodes) adapt(c);
}

const parseCache = new Map<string, ParseResult>();
const PARSE_CACHE_MAX = 8192;

function lineOf(text: string, pos: number): number {
  let line = 1;
  for (let i = 0; i < pos && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function checkFuncs(set: TemplateSet, name: string, text: string, refs: { name: string; pos: number }[]): void {
  for (const r of refs) {
    if (!set.hasFunc(r.name)) {
      const line = lineOf(text, r.pos);
      throw new ParseError(`template: ${name}:${line}: function ${JSON.stringify(r.name)} not defined`, name, line);
    }
  }
}

/** Parses `text` as template `name` into `set`. */
export function parseInto(set: TemplateSet, name: string, text: string): void {
  const key = name + '\u0000' + text;
  let res = parseCache.get(key);
  if (!res) {
    try {
      res = parseText(name, text);
    } catch (e) {
      if (e instanceof ParseError) checkFuncs(set, name, text, e.funcRefs);
      throw e;
    }
    for (const tree of res.trees.values()) adapt(tree.root as unknown as AnyNode);
    if (parseCache.size >= PARSE_CACHE_MAX) parseCache.delete(parseCache.keys().next().value as string);
    parseCache.set(key, res);
  }
  checkFuncs(set, name, text, res.funcRefs);
  for (const [n, tree] of res.trees) set.addTree(n, tree);
}

export function clearEngineCache(): void {
  parseCache.clear();
}

// ---------------------------------------------------------------------------------------------
// Helm's functions

const WARN_OPEN = 'HELM[';
const WARN_CLOSE = ']HELM';
const WARN_RE = /HELM\[([\s\S]*?)\]HELM/;

function warnError(msg: string): Error {
  return new Error(WARN_OPEN + msg + WARN_CLOSE);
}

function yamlOrEmpty(v: unknown, pretty = false): string {
  try {
    return marshalYaml(v, pretty ? { indentSequences: true, fold: false } : {}).replace(/\n$/, '');
  } catch {
    return '';
  }
}

function templateNameOf(data: unknown): string | undefined {
  if (!isMap(data)) return undefined;
  const t = data['Template'];
  if (isMap(t) && typeof t['Name'] === 'string') return t['Name'];
  return undefined;
}

/** Nesting limit of include/tpl calls (Helm allows 1000; a JS stack holds fewer nested templates). */
export const MAX_INCLUDE_DEPTH = 200;

export function helmFuncs(set: TemplateSet): FuncMap {
  let depth = 0;
  const nested = <T>(name: string, fn: () => T): T => {
    if (depth >= MAX_INCLUDE_DEPTH) throw new Error(`rendering template has a nested reference name: ${name}: unable to execute template`);
    depth++;
    try {
      return fn();
    } finally {
      depth--;
    }
  };
  return {
    toYaml: goFunc(['any'], null, (v: unknown) => yamlOrEmpty(v)),
    mustToYaml: goFunc(['any'], null, (v: unknown) => marshalYaml(v).replace(/\n$/, '')),
    toYamlPretty: goFunc(['any'], null, (v: unknown) => yamlOrEmpty(v, true)),
    fromYaml: goFunc(['string'], null, (s: string) => {
      try {
        const v = parseYaml(s);
        if (v === null) return {};
        if (!isMap(v)) return { Error: `error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${jsonKind(v)} into Go value of type map[string]interface {}` };
        return v;
      } catch (e) {
        return { Error: `error converting YAML to JSON: ${(e as Error).message}` };
      }
    }),
    fromYamlArray: goFunc(['string'], null, (s: string) => {
      try {
        const v = parseYaml(s);
        if (v === null) return [];
        if (!Array.isArray(v)) return [`error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${jsonKind(v)} into Go value of type []interface {}`];
        return v;
      } catch (e) {
        return [`error converting YAML to JSON: ${(e as Error).message}`];
      }
    }),
    toJson: goFunc(['any'], null, (v: unknown) => {
      try {
        return toJSON(v);
      } catch {
        return '';
      }
    }),
    mustToJson: goFunc(['any'], null, (v: unknown) => toJSON(v)),
    fromJson: goFunc(['string'], null, (s: string) => {
      try {
        const v = fromJSON(s);
        if (!isMap(v)) return { Error: `json: cannot unmarshal ${jsonKind(v)} into Go value of type map[string]interface {}` };
        return v;
      } catch (e) {
        return { Error: (e as Error).message };
      }
    }),
    fromJsonArray: goFunc(['string'], null, (s: string) => {
      try {
        const v = fromJSON(s);
        if (!Array.isArray(v)) return [`json: cannot unmarshal ${jsonKind(v)} into Go value of type []interface {}`];
        return v;
      } catch (e) {
        return [(e as Error).message];
      }
    }),
    toToml: goFunc(['any'], null, (v: unknown) => {
      try {
        return encodeToml(v);
      } catch (e) {
        return (e as Error).message;
      }
    }),
    include: goFunc(['string', 'any'], null, (name: string, data: unknown) => nested(name, () => set.execute(name, data))),
    tpl: goFunc(['string', 'any'], null, (text: string, data: unknown) =>
      nested('tpl', () => {
        const o = set.overlay();
        const name = templateNameOf(data) ?? 'tpl';
        parseInto(o, name, text);
        return o.execute(name, data).replaceAll('<no value>', '');
      }),
    ),
    required: goFunc(['string', 'any'], null, (warn: string, val: unknown) => {
      if (val === null || val === undefined || val === '') throw warnError(warn);
      return val;
    }),
    fail: goFunc(['string'], null, (msg: string) => {
      throw warnError(msg);
    }),
    lookup: goFunc(['string', 'string', 'string', 'string'], null, () => ({})),
    [ITER_FN]: iterable,
    [COND_FN]: emptyAsNil,
  };
}

/** A template set with Sprig and Helm's functions. */
export function newHelmTemplateSet(): TemplateSet {
  const set = new TemplateSet({ maxDepth: MAX_INCLUDE_DEPTH + 50 });
  set.removeFuncs('env', 'expandenv');
  set.funcs(helmFuncs(set));
  set.option('missingkey=zero');
  return set;
}

// ---------------------------------------------------------------------------------------------
// Errors in Helm's format

function splitLocation(loc: string): { file?: string; line?: number } {
  const m = /^(.*?):(\d+)(?::\d+)?$/.exec(loc);
  if (!m) return {};
  return { file: m[1]!, line: Number(m[2]) };
}

/** Shortens the message of a deep include/tpl chain (Go nests one message per call). */
function compactChain(msg: string): string {
  if (msg.length < 4000) return msg;
  const parts = msg.split(/(?=: error calling (?:include|tpl|template): )/);
  if (parts.length <= 6) return msg;
  return [...parts.slice(0, 2), `: … (${parts.length - 4} nested calls omitted) …`, ...parts.slice(-2)].join('');
}

export function toHelmError(e: unknown, filename: string): Error {
  if (e instanceof ParseError) {
    const tokens = e.message.split(': ');
    if (tokens.length < 2) return new HelmError(`parse error in (${filename}): ${e.message}`, { file: filename, cause: e });
    const loc = tokens[1]!;
    const msg = tokens[tokens.length - 1]!;
    return new HelmError(`parse error at (${loc}): ${msg}`, { ...splitLocation(loc), cause: e });
  }
  if (e instanceof ExecError) {
    const tokens = e.message.split(': ');
    if (tokens.length < 3) return new HelmError(`execution error in (${filename}): ${e.message}`, { file: filename, cause: e });
    const loc = tokens[1]!;
    const where = splitLocation(loc);
    const m = WARN_RE.exec(e.message);
    if (m) return new HelmError(`execution error at (${loc}): ${m[1]}`, { ...where, cause: e });
    return new HelmError(compactChain(e.message), { ...where, cause: e });
  }
  if (e instanceof RangeError && /call stack/i.test(e.message)) return new HelmError(`rendering template ${filename}: template nesting is too deep`, { file: filename, cause: e });
  return e instanceof Error ? e : new Error(String(e));
}

// ---------------------------------------------------------------------------------------------
// Rendering

export interface ReleaseInfo {
  name: string;
  namespace: string;
  isUpgrade: boolean;
  isInstall: boolean;
  revision: number;
}

interface Renderable {
  name: string;
  text: string;
  data: Record<string, unknown>;
  basePath: string;
}

function scoped(values: Values, key: string): Values {
  const v = values[key];
  return isMap(v) ? v : {};
}

function collect(chart: Chart, values: Values, release: Record<string, unknown>, caps: Capabilities, out: Renderable[]): Record<string, unknown> {
  const path = chartFullPath(chart);
  const subcharts: Record<string, unknown> = {};
  const enabled = new Set(chart.dependencies.map((d) => d.name));
  const top: Record<string, unknown> = {
    Chart: new ChartObject(chart.metadata, chart.name, enabled),
    Capabilities: caps,
    Release: release,
    Values: values,
    Files: new Files(chart.files),
    Subcharts: subcharts,
  };
  for (const sub of chart.dependencies) setProp(subcharts, sub.name, collect(sub, scoped(values, sub.name), release, caps, out));
  const library = chart.metadata.type === 'library';
  for (const t of chart.templates) {
    const base = t.name.slice(t.name.lastIndexOf('/') + 1);
    if (library && !base.startsWith('_')) continue;
    out.push({ name: `${path}/${t.name}`, text: t.data.toString('utf8'), data: top, basePath: `${path}/templates` });
  }
  return top;
}

function depth(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 47) n++;
  return n;
}

/**
 * Renders every template. Returns the output of each non-partial template by full name
 * ("chart/templates/x.yaml"), "<no value>" removed.
 */
export function renderTemplates(root: Chart, values: Values, release: ReleaseInfo, caps: Capabilities): Map<string, string> {
  const rel: Record<string, unknown> = {
    Name: release.name,
    Namespace: release.namespace,
    IsUpgrade: release.isUpgrade,
    IsInstall: release.isInstall,
    Revision: BigInt(release.revision),
    Service: 'Helm',
  };
  const list: Renderable[] = [];
  collect(root, values, rel, caps, list);
  // deeper paths first, then reverse lexical order: the parent's defines win over a subchart's
  list.sort((a, b) => {
    const da = depth(a.name);
    const db = depth(b.name);
    if (da !== db) return db - da;
    return a.name < b.name ? 1 : a.name > b.name ? -1 : 0;
  });
  const set = newHelmTemplateSet();
  for (const r of list) {
    try {
      parseInto(set, r.name, r.text);
    } catch (e) {
      throw toHelmError(e, r.name);
    }
  }
  const out = new Map<string, string>();
  for (const r of list) {
    const base = r.name.slice(r.name.lastIndexOf('/') + 1);
    if (base.startsWith('_')) continue;
    const data = { ...r.data, Template: { Name: r.name, BasePath: r.basePath } };
    let text: string;
    try {
      text = set.execute(r.name, data);
    } catch (e) {
      throw toHelmError(e, r.name);
    }
    out.set(r.name, text.includes('<no value>') ? text.replaceAll('<no value>', '') : text);
  }
  return out;
}
