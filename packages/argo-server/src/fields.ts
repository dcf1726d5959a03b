/**
 * Pure helpers of the workflow API: the `fields` response filter (`items.metadata.name,items.status.phase`, or
 * `-items.status.nodes` to leave fields out), node field selectors (`displayName=approve,phase!=Succeeded`),
 * label selectors (for the archive and event bindings), `name=value` parameter lists.
 */
import { ApiErr, Code } from './http.js';
import { labelSelectorRequirements, parseLabelSelector as parseK8sLabelSelector, type LabelRequirement } from '@flotilla/apimachinery';

/** Keeps only the listed dotted paths (arrays are walked through), or drops them when the list starts with `-`. */
export function filterFields<T>(obj: T, fields: string | null | undefined): T {
  const list = (fields ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (!list.length) return obj;
  const exclude = list[0]!.startsWith('-');
  const paths = list.map((p) => p.replace(/^-/, '').split('.'));
  if (exclude) {
    const out = structuredClone(obj) as unknown;
    for (const p of paths) dropPath(out, p);
    return out as T;
  }
  const tree: Tree = {};
  for (const p of paths) {
    let t: Tree = tree;
    for (let i = 0; i < p.length; i++) {
      const k = p[i]!;
      if (t[k] === true) break; // a shorter path keeps all of it already
      if (i === p.length - 1) t[k] = true;
      else t = (t[k] as Tree | undefined) ?? (t[k] = {});
    }
  }
  return keep(obj, tree) as T;
}

type Tree = { [k: string]: Tree | true };

function keep(v: unknown, t: Tree | true): unknown {
  if (t === true || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => keep(x, t));
  const out: Record<string, unknown> = {};
  for (const [k, sub] of Object.entries(t)) if (k in (v as Record<string, unknown>)) out[k] = keep((v as Record<string, unknown>)[k], sub);
  return out;
}

function dropPath(v: unknown, p: string[]): void {
  if (v === null || typeof v !== 'object' || !p.length) return;
  if (Array.isArray(v)) return v.forEach((x) => dropPath(x, p));
  const o = v as Record<string, unknown>;
  if (p.length === 1) delete o[p[0]!];
  else dropPath(o[p[0]!], p.slice(1));
}

/** A node as a node field selector reads it. */
export interface NodeLike {
  id?: string;
  name?: string;
  displayName?: string;
  templateName?: string;
  phase?: string;
  type?: string;
  inputs?: { parameters?: { name: string; value?: unknown }[] };
  templateRef?: { name?: string; template?: string };
  [k: string]: unknown;
}

/**
 * `--node-field-selector`: comma-separated `field=value` / `field!=value` terms, fields `id`, `name`, `displayName`,
 * `templateName`, `phase`, `type`, `templateRef.name`, `templateRef.template`, `inputs.parameters.<name>.value`.
 */
export function parseNodeFieldSelector(sel: string | undefined): ((n: NodeLike) => boolean) | undefined {
  if (!sel || !sel.trim()) return undefined;
  const terms = sel.split(',').map((t) => t.trim()).filter(Boolean).map((t) => {
    const m = /^([A-Za-z0-9_.\-]+)\s*(!=|==|=)\s*(.*)$/.exec(t);
    if (!m) throw new ApiErr(Code.InvalidArgument, `invalid node field selector term "${t}": want field=value or field!=value`);
    const [, field, op, value] = m;
    const get = nodeField(field!);
    return (n: NodeLike) => (get(n) === value) === (op !== '!=');
  });
  return (n) => terms.every((t) => t(n));
}

function nodeField(field: string): (n: NodeLike) => string | undefined {
  const direct = ['id', 'name', 'displayName', 'templateName', 'phase', 'type'];
  if (direct.includes(field)) return (n) => (n[field] === undefined ? undefined : String(n[field]));
  if (field === 'templateRef.name') return (n) => n.templateRef?.name;
  if (field === 'templateRef.template') return (n) => n.templateRef?.template;
  const m = /^inputs\.parameters\.(.+)\.value$/.exec(field);
  if (m) return (n) => {
    const v = n.inputs?.parameters?.find((p) => p.name === m[1])?.value;
    return v === undefined ? undefined : String(v);
  };
  throw new ApiErr(Code.InvalidArgument, `unsupported node field "${field}": want one of ${[...direct, 'templateRef.name', 'templateRef.template', 'inputs.parameters.<name>.value'].join(', ')}`);
}

/** One requirement of a Kubernetes label selector. */
export interface LabelReq {
  key: string;
  op: 'in' | 'notin' | 'exists' | '!exists' | 'gt' | 'lt';
  /** gt / lt: the one integer */
  values: string[];
}

/** Requirements in this module's shape, from apimachinery's (the API server's own parser). */
function toReqs(rs: LabelRequirement[]): LabelReq[] {
  return rs.map((r): LabelReq => {
    switch (r.op) {
      case '=': return { key: r.key, op: 'in', values: [r.value] };
      case '!=': return { key: r.key, op: 'notin', values: [r.value] };
      case 'in':
      case 'notin': return { key: r.key, op: r.op, values: r.values };
      case 'exists': return { key: r.key, op: 'exists', values: [] };
      case '!': return { key: r.key, op: '!exists', values: [] };
      case 'gt':
      case 'lt': return { key: r.key, op: r.op, values: [r.value] };
    }
  });
}

/** Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h,n>1,m<5` with the API server's parser. */
export function parseLabelSelector(sel: string | undefined | null): LabelReq[] {
  const s = (sel ?? '').trim();
  if (!s) return [];
  try {
    return toReqs(parseK8sLabelSelector(s));
  } catch (e) {
    throw new ApiErr(Code.InvalidArgument, `unable to parse label selector "${s}": ${(e as Error).message}`);
  }
}

export function matchLabels(reqs: LabelReq[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    switch (r.op) {
      case 'exists': return has;
      case '!exists': return !has;
      case 'in': return has && r.values.includes(l[r.key]!);
      case 'notin': return !has || !r.values.includes(l[r.key]!);
      case 'gt':
      case 'lt': {
        if (!has || !/^-?\d+$/.test(l[r.key]!)) return false;
        const a = BigInt(l[r.key]!);
        const b = BigInt(r.values[0]!);
        return r.op === 'gt' ? a > b : a < b;
      }
    }
  });
}

/** A metav1.LabelSelector (`matchLabels`, `matchExpressions`) as requirements. */
export function fromLabelSelector(s: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | undefined): LabelReq[] {
  return s ? toReqs(labelSelectorRequirements(s)) : [];
}

/** `["a=1", "b=x=y"]` → `{a: "1", b: "x=y"}`; a term without `=` is refused. */
export function parseKeyValues(list: string[] | undefined, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list ?? []) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new ApiErr(Code.InvalidArgument, `${what} "${kv}": expected name=value`);
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

/** `"a=b,c=d"` (submitOptions.labels / annotations) → map. */
export function parseCommaKeyValues(s: string | undefined, what: string): Record<string, string> {
  return parseKeyValues((s ?? '').split(',').map((x) => x.trim()).filter(Boolean), what);
}
