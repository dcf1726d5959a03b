// What steps and DAG tasks share: fan-out (withItems/withParam/withSequence), `when`, the variables a finished
// step/task adds to its siblings' scope, and the outputs of a steps/dag template.
import { evaluateArgo, evaluateWhen, toPlain } from '@flotilla/expr';
import type { Artifact, NodeStatus, Outputs, Template, WorkflowStep } from '../types.js';
import { OperateError } from './context.js';
import { itemLabel } from './ids.js';
import { isFulfilled } from './model.js';
import { exprEnv, RAW_ITEM, type Scope, str, substitute } from './vars.js';

const UNRESOLVED = /\{\{\s*((?:steps|tasks|inputs|outputs|item|workflow)\b[^{}]*?)\s*\}\}/;

/** Argo's error for a reference to a variable that has no value (yet). */
export function assertResolved(s: string): string {
  const m = UNRESOLVED.exec(s);
  if (m) throw new OperateError(`Unable to resolve: {{${m[1]}}}`);
  return s;
}

export interface Expanded { name: string; display: string; item?: Scope }

/** The children of one step/task: one entry unless it fans out. `undefined` items = no fan-out. */
export function expandItems(step: WorkflowStep, scope: Scope): unknown[] | undefined {
  if (step.withItems) return step.withItems.map((i) => (typeof i === 'string' ? substitute(i, scope) : i));
  if (step.withParam !== undefined) {
    const s = assertResolved(substitute(step.withParam, scope));
    let v: unknown;
    try {
      v = JSON.parse(s);
    } catch {
      throw new OperateError(`withParam value could not be parsed as a JSON list: ${s}`);
    }
    if (!Array.isArray(v)) throw new OperateError(`withParam value could not be parsed as a JSON list: ${s}`);
    return v;
  }
  if (step.withSequence) {
    const q = step.withSequence;
    const num = (x: string | number | undefined, f: string) => {
      if (x === undefined) return undefined;
      const n = Number(assertResolved(substitute(String(x), scope)));
      if (!Number.isInteger(n)) throw new OperateError(`withSequence.${f}: '${x}' is not an integer`);
      return n;
    };
    const count = num(q.count, 'count');
    const start = num(q.start, 'start') ?? 0;
    let end = num(q.end, 'end');
    if (count !== undefined && end !== undefined) throw new OperateError('withSequence: only one of count or end can be defined');
    if (count !== undefined) {
      if (count === 0) return [];
      end = start + count - 1;
    }
    if (end === undefined) end = start;
    const out: string[] = [];
    const step1 = end >= start ? 1 : -1;
    for (let i = start; step1 > 0 ? i <= end : i >= end; i += step1) out.push(q.format ? sprintf(q.format, i) : String(i));
    return out;
  }
  return undefined;
}

function sprintf(fmt: string, n: number): string {
  return fmt.replace(/%(0?)(\d*)d/, (_m, zero: string, width: string) => String(n).padStart(Number(width || 0), zero ? '0' : ' '));
}

export function expand(step: WorkflowStep, baseName: string, scope: Scope): { items: Expanded[]; fannedOut: boolean } {
  const items = expandItems(step, scope);
  if (!items) return { items: [{ name: baseName, display: step.name }], fannedOut: false };
  return {
    fannedOut: true,
    items: items.map((it, i) => {
      const label = itemLabel(i, it);
      return { name: `${baseName}${label}`, display: `${step.name}${label}`, item: itemScope(it) };
    }),
  };
}

function itemScope(item: unknown): Scope {
  const s: Scope = { item: str(item), [RAW_ITEM]: item };
  if (item && typeof item === 'object' && !Array.isArray(item)) {
    for (const [k, v] of Object.entries(item)) s[`item.${k}`] = str(v);
  }
  return s;
}

/** `when`: expression tags and simple tags substituted, then a govaluate condition. */
export function evalWhen(when: string, scope: Scope): boolean {
  let s: string;
  try {
    s = assertResolved(substitute(when, scope));
  } catch (e) {
    throw new OperateError(`failed to evaluate 'when' expression '${when}': ${(e as Error).message}`);
  }
  try {
    return evaluateWhen(s);
  } catch (e) {
    throw new OperateError(`failed to evaluate 'when' expression '${when}': ${(e as Error).message}`);
  }
}

/** Variables a fulfilled step/task gives its siblings: `<prefix>.<name>.outputs.result` etc. */
export function addNodeVars(scope: Scope, prefix: string, name: string, nodes: NodeStatus[], fannedOut: boolean): void {
  const base = `${prefix}.${name}`;
  if (!fannedOut) {
    const n = nodes[0];
    if (!n) return;
    scope[`${base}.id`] = n.id;
    scope[`${base}.status`] = n.phase;
    if (n.podIP) scope[`${base}.ip`] = n.podIP;
    if (n.hostNodeName) scope[`${base}.hostNodeName`] = n.hostNodeName;
    if (n.startedAt) scope[`${base}.startedAt`] = n.startedAt;
    if (n.finishedAt) scope[`${base}.finishedAt`] = n.finishedAt;
    const o = n.outputs;
    if (o?.result !== undefined) scope[`${base}.outputs.result`] = o.result;
    if (o?.exitCode !== undefined) scope[`${base}.exitCode`] = o.exitCode;
    for (const p of o?.parameters ?? []) if (p.value !== undefined) scope[`${base}.outputs.parameters.${p.name}`] = str(p.value);
    for (const a of o?.artifacts ?? []) scope[`${base}.outputs.artifacts.${a.name}`] = JSON.stringify(a);
    return;
  }
  const results: unknown[] = [];
  const params: Record<string, string>[] = [];
  for (const n of nodes) {
    if (!isFulfilled(n)) continue;
    const r = n.outputs?.result;
    if (r !== undefined) {
      try {
        const v = JSON.parse(r);
        results.push(v && typeof v === 'object' && !Array.isArray(v) ? v : r);
      } catch {
        results.push(r);
      }
    }
    if (n.outputs?.parameters?.length) {
      const m: Record<string, string> = {};
      for (const p of n.outputs.parameters) m[p.name] = str(p.value);
      params.push(m);
    }
  }
  scope[`${base}.outputs.result`] = JSON.stringify(results);
  scope[`${base}.outputs.parameters`] = JSON.stringify(params);
  // `<prefix>.X.outputs.parameters.p` of a fan-out: the JSON list of each child's value
  const pnames = new Set(params.flatMap((m) => Object.keys(m)));
  for (const pn of pnames) scope[`${base}.outputs.parameters.${pn}`] = JSON.stringify(params.map((m) => m[pn]).filter((v) => v !== undefined));
}

const VALUE_FROM_KEYS = ['parameter', 'expression', 'default', 'path', 'jsonPath', 'jqFilter', 'configMapKeyRef', 'supplied', 'event'];
const VALUE_FROM_BY_LOWER = new Map(VALUE_FROM_KEYS.map((k) => [k.toLowerCase(), k]));

/**
 * A `valueFrom` with its keys as Argo names them: upstream decodes JSON with Go, which matches field names
 * without regard to case, so `valueFrom: {Parameter: …}` (upstream's own memoize tests write it so) works there.
 */
export function canonicalValueFrom<T extends object>(vf: T | undefined): T | undefined {
  if (!vf || Object.keys(vf).every((k) => VALUE_FROM_KEYS.includes(k))) return vf;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(vf)) out[VALUE_FROM_BY_LOWER.get(k.toLowerCase()) ?? k] = v;
  return out as T;
}

/** Outputs of a steps/dag template once its children are done: valueFrom.parameter / expression / value, default on failure. */
export function resolveTemplateOutputs(tmpl: Template, scope: Scope): Outputs | undefined {
  const defs = tmpl.outputs?.parameters;
  if (!defs?.length && !tmpl.outputs?.artifacts?.length) return undefined;
  const out: Outputs = {};
  const params = [];
  for (const p of defs ?? []) {
    const d = p.valueFrom ? { ...p, valueFrom: canonicalValueFrom(p.valueFrom) } : p;
    let v: string | undefined;
    try {
      if (d.valueFrom?.parameter !== undefined) {
        v = substitute(d.valueFrom.parameter, scope, { strict: true });
      } else if (d.valueFrom?.expression !== undefined) {
        v = str(toPlain(evaluateArgo(d.valueFrom.expression, exprEnv(scope))));
      } else if (d.value !== undefined) v = substitute(str(d.value), scope);
    } catch {
      v = undefined;
    }
    if (v === undefined) v = d.valueFrom?.default;
    if (v === undefined) throw new OperateError(`unable to resolve outputs.parameters.${d.name} of template '${tmpl.name}'`);
    params.push({ name: d.name, value: v });
  }
  if (params.length) out.parameters = params;
  // a steps/DAG template's artifact `from` / `fromExpression` a child's: the child's artifact's location
  if (tmpl.outputs?.artifacts?.length) out.artifacts = tmpl.outputs.artifacts.map((a) => {
    if (a.from === undefined && a.fromExpression === undefined) return { ...a };
    let ref: unknown;
    try {
      ref = a.from !== undefined ? substitute(a.from, scope, { strict: true }) : evaluateArgo(a.fromExpression!, exprEnv(scope));
    } catch {
      ref = undefined;
    }
    const loc = artifactLocation(ref);
    const { from: _f, fromExpression: _fe, ...own } = a;
    if (loc) return { ...own, ...loc };
    if (a.optional) return own;
    throw new OperateError(`unable to resolve outputs.artifacts.${a.name} of template '${tmpl.name}': ${a.from ?? a.fromExpression}`);
  });
  return out;
}

/** Where an artifact named by `from` / `fromExpression` is: from its JSON (what `{{…outputs.artifacts.x}}` gives) or object. */
export function artifactLocation(ref: unknown): Partial<Artifact> | undefined {
  let src = ref;
  if (typeof src === 'string') {
    const t = src.trim();
    if (!t.startsWith('{')) return undefined;
    try {
      src = JSON.parse(t);
    } catch {
      return undefined;
    }
  }
  if (!src || typeof src !== 'object' || Array.isArray(src)) return undefined;
  const { name: _n, path: _p, globalName: _g, from: _f, fromExpression: _fe, mode: _m, ...location } = src as Artifact;
  return location;
}

/** Outputs of a step/task skipped by `when`: its template's `valueFrom.default`s (what Argo gives dependents). */
export function skippedOutputs(tmpl: Template | undefined): Outputs | undefined {
  const params = (tmpl?.outputs?.parameters ?? []).filter((p) => p.valueFrom?.default !== undefined).map((p) => ({ name: p.name, value: str(p.valueFrom!.default) }));
  return params.length ? { parameters: params } : undefined;
}
