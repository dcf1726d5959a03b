/**
 * ignoreDifferences: JSON pointers, jq path expressions and trusted managedFields managers, from
 * the Application (`spec.ignoreDifferences`) and argocd-cm (`resource.customizations.ignoreDifferences.*`).
 *
 * jq path expressions are evaluated with jqjs (a pure-JavaScript jq): the paths the expression
 * selects (`path(expr)`) are removed from both sides, which is what Argo CD's `del(expr)` does.
 */
import jq from '@michaelhomer/jqjs';
import { FieldSet } from '@flotilla/k8s-patch';
import type { KubeObject, ResourceIgnoreDifferences } from '../types.js';
import type { ArgoSettings, IgnoreRule } from '../settings/types.js';
import { overrideFor } from '../settings/lookup.js';
import { globMatch } from '../settings/parse-util.js';
import { clone, deletePath, isObj, type JsonObject } from './jsonutil.js';
import { groupOf } from './normalize.js';

export class IgnoreRuleError extends Error {}

/** Parses an RFC 6901 JSON pointer into its reference tokens. */
export function parseJsonPointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw new IgnoreRuleError(`invalid JSON pointer ${JSON.stringify(p)}: must start with "/"`);
  return p
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function resolvePointer(obj: unknown, tokens: string[]): (string | number)[] | undefined {
  const out: (string | number)[] = [];
  let cur = obj;
  for (const t of tokens) {
    if (Array.isArray(cur)) {
      if (!/^\d+$/.test(t)) return undefined;
      const i = Number(t);
      if (i >= cur.length) return undefined;
      out.push(i);
      cur = cur[i];
    } else if (isObj(cur)) {
      if (!(t in cur)) return undefined;
      out.push(t);
      cur = cur[t];
    } else return undefined;
  }
  return out;
}

type Compiled = (input: unknown) => Iterable<unknown>;
const jqCache = new Map<string, Compiled | IgnoreRuleError>();

/**
 * jqjs runs synchronously and cannot be interrupted, so constructs that can run without bound
 * (recursion and loops) are refused rather than given a timeout. Path expressions do not need them.
 */
const UNBOUNDED = /\b(def|repeat|while|until|recurse|recurse_down|range|input|inputs)\b/;

function compileJq(expr: string): Compiled {
  let c = jqCache.get(expr);
  if (!c) {
    const bare = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
    const m = UNBOUNDED.exec(bare);
    if (m) {
      const err = new IgnoreRuleError(`jq path expression ${JSON.stringify(expr)} uses "${m[1]}", which ignoreDifferences does not allow (it could run without bound)`);
      jqCache.set(expr, err);
      throw err;
    }
    try {
      c = (jq as unknown as { compile(s: string): Compiled }).compile(`[path(${expr})]`);
    } catch (e) {
      c = new IgnoreRuleError(`invalid jq path expression ${JSON.stringify(expr)}${(e as Error)?.message ? `: ${(e as Error).message}` : ''}`);
    }
    jqCache.set(expr, c);
  }
  if (c instanceof IgnoreRuleError) throw c;
  return c;
}

/**
 * Resolves jq path elements against `obj`: negative indices count from the end, and a slice
 * (`{start, end}`) becomes its indices — jqjs reports an open end as -1, so a negative end is taken
 * as open-ended.
 */
function expandPath(obj: unknown, path: unknown[]): (string | number)[][] {
  let partial: { node: unknown; path: (string | number)[] }[] = [{ node: obj, path: [] }];
  for (const seg of path) {
    const next: typeof partial = [];
    for (const { node, path: p } of partial) {
      if (typeof seg === 'string') next.push({ node: isObj(node) ? node[seg] : undefined, path: [...p, seg] });
      else if (typeof seg === 'number') {
        const len = Array.isArray(node) ? node.length : 0;
        const i = seg < 0 ? len + seg : seg;
        if (i >= 0) next.push({ node: Array.isArray(node) ? node[i] : undefined, path: [...p, i] });
      } else if (isObj(seg) && Array.isArray(node)) {
        const len = node.length;
        const norm = (v: unknown, dflt: number) => (typeof v !== 'number' ? dflt : v < 0 ? Math.max(0, len + v) : Math.min(v, len));
        const start = norm(seg.start, 0);
        const end = typeof seg.end === 'number' && seg.end < 0 ? len : norm(seg.end, len);
        for (let i = start; i < end; i++) next.push({ node: node[i], path: [...p, i] });
      }
    }
    partial = next;
  }
  return partial.map((x) => x.path);
}

/** The paths a jq path expression selects in `obj`. */
export function jqPaths(expr: string, obj: unknown): (string | number)[][] {
  const f = compileJq(expr);
  const out: (string | number)[][] = [];
  try {
    for (const v of f(obj)) if (Array.isArray(v)) for (const p of v) if (Array.isArray(p)) out.push(...expandPath(obj, p));
  } catch {
    // an expression that does not apply to this object (e.g. iterating a missing field) selects nothing
  }
  return out;
}

/** Deletes several paths, array indices from the highest down so earlier deletions do not shift later ones. */
function deletePaths(obj: unknown, paths: (string | number)[][]): void {
  const sorted = [...paths].sort((a, b) => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (a[i] === b[i]) continue;
      if (typeof a[i] === 'number' && typeof b[i] === 'number') return (b[i] as number) - (a[i] as number);
      return String(a[i]) < String(b[i]) ? -1 : 1;
    }
    return b.length - a.length;
  });
  for (const p of sorted) deletePath(obj, p);
}

/** Removes the fields a rule names from `obj` (mutated). */
export function applyIgnoreRule(obj: KubeObject, rule: IgnoreRule): void {
  const paths: (string | number)[][] = [];
  for (const p of rule.jsonPointers ?? []) {
    const r = resolvePointer(obj, parseJsonPointer(p));
    if (r && r.length > 0) paths.push(r);
  }
  for (const e of rule.jqPathExpressions ?? []) for (const p of jqPaths(e, obj)) if (p.length > 0) paths.push(p);
  deletePaths(obj, paths);
}

/** Whether an Application ignoreDifferences entry applies to `obj`. */
export function ruleMatches(r: ResourceIgnoreDifferences, obj: KubeObject): boolean {
  const group = groupOf(obj);
  if (!globMatch(r.group ?? '', group)) return false;
  if (!globMatch(r.kind ?? '', obj.kind ?? '')) return false;
  if (r.name && r.name !== obj.metadata?.name) return false;
  if (r.namespace && r.namespace !== (obj.metadata?.namespace ?? '')) return false;
  return true;
}

/** The combined rule for `obj`: the app's matching entries plus argocd-cm's for its group/kind (and `all`). */
export function rulesFor(obj: KubeObject, appRules: ResourceIgnoreDifferences[] | undefined, settings: ArgoSettings | undefined, extraManagers?: string[]): Required<IgnoreRule> {
  const out: Required<IgnoreRule> = { jsonPointers: [], jqPathExpressions: [], managedFieldsManagers: [...(extraManagers ?? [])] };
  for (const r of appRules ?? []) {
    if (!ruleMatches(r, obj)) continue;
    out.jsonPointers.push(...(r.jsonPointers ?? []));
    out.jqPathExpressions.push(...(r.jqPathExpressions ?? []));
    out.managedFieldsManagers.push(...(r.managedFieldsManagers ?? []));
  }
  const o = overrideFor(settings?.resourceOverrides, groupOf(obj), obj.kind ?? '')?.ignoreDifferences;
  if (o) {
    out.jsonPointers.push(...(o.jsonPointers ?? []));
    out.jqPathExpressions.push(...(o.jqPathExpressions ?? []));
    out.managedFieldsManagers.push(...(o.managedFieldsManagers ?? []));
  }
  return out;
}

function parsePE(pe: string): { kind: 'f' | 'k' | 'v' | 'i'; value: unknown } | undefined {
  const kind = pe[0];
  const rest = pe.slice(2);
  try {
    if (kind === 'f') return { kind, value: rest };
    if (kind === 'k' || kind === 'v') return { kind, value: JSON.parse(rest) };
    if (kind === 'i') return { kind, value: Number(rest) };
  } catch {
    return undefined;
  }
  return undefined;
}

function elementIndex(arr: unknown[], pe: { kind: string; value: unknown }): number {
  if (pe.kind === 'i') return typeof pe.value === 'number' && pe.value < arr.length ? pe.value : -1;
  if (pe.kind === 'v') return arr.findIndex((x) => JSON.stringify(x) === JSON.stringify(pe.value));
  if (pe.kind === 'k' && isObj(pe.value)) {
    const keys = Object.entries(pe.value);
    return arr.findIndex((x) => isObj(x) && keys.every(([k, v]) => JSON.stringify(x[k]) === JSON.stringify(v)));
  }
  return -1;
}

/** Copies into `pred` the live values of every field `fs` holds. */
function copyOwned(fs: FieldSet, pred: unknown, live: unknown): void {
  for (const [raw, child] of fs.children) {
    const pe = parsePE(raw);
    if (!pe) continue;
    if (pe.kind === 'f') {
      if (!isObj(pred)) continue;
      const key = pe.value as string;
      const lv = isObj(live) ? live[key] : undefined;
      if (child.children.size === 0 || !(key in pred) || lv === undefined) {
        if (lv === undefined) delete pred[key];
        else pred[key] = clone(lv);
      } else copyOwned(child, pred[key], lv);
    } else if (Array.isArray(pred)) {
      const li = Array.isArray(live) ? elementIndex(live, pe) : -1;
      const pi = elementIndex(pred, pe);
      if (li < 0) continue;
      const lv = (live as unknown[])[li];
      if (pi < 0) pred.push(clone(lv));
      else if (child.children.size === 0) pred[pi] = clone(lv);
      else copyOwned(child, pred[pi], lv);
    }
  }
}

/** Fields owned by `managers` in the live object take their live values in `predicted` (mutated). */
export function applyTrustedManagers(predicted: KubeObject, live: KubeObject, managers: string[]): void {
  if (managers.length === 0) return;
  const entries = (live.metadata?.managedFields ?? []) as { manager?: string; fieldsV1?: unknown }[];
  for (const e of entries) {
    if (!e.manager || !managers.includes(e.manager) || !e.fieldsV1) continue;
    copyOwned(FieldSet.fromFieldsV1(e.fieldsV1), predicted as JsonObject, live as JsonObject);
  }
}
