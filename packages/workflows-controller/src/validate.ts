// validateWorkflow: what Argo refuses at submit/lint, each error naming the field.
import { findExpressionTags, parse, parseCondition } from '@flotilla/expr';
import type { Template, Workflow, WorkflowStep } from './types.js';
import type { TemplateResolver } from './operator/model.js';
import { dependsTasks, parseDepends, DependsError } from './operator/depends.js';
import { specShapeError } from './operator/shape.js';
import { metricsError } from './operator/custom-metrics.js';

export interface ValidationError { path: string; message: string }

const KINDS = ['container', 'script', 'resource', 'suspend', 'steps', 'dag', 'data', 'http', 'containerSet', 'plugin'] as const;

function lookup(r: TemplateResolver | undefined, name: string, cluster: boolean) {
  if (!r) return undefined;
  return typeof r === 'function' ? r(name, cluster) : r[cluster ? `cluster/${name}` : name];
}

/**
 * `argo lint` of one object by kind: Workflow; WorkflowTemplate / ClusterWorkflowTemplate (entrypoint optional, checked
 * when given); CronWorkflow (schedule(s) and its workflowSpec). Paths are relative to the object.
 */
export function lintObject(obj: { kind?: string; metadata?: { name?: string }; spec?: Record<string, unknown> }, resolver?: TemplateResolver): ValidationError[] {
  const spec = (obj.spec ?? {}) as Workflow['spec'];
  switch (obj.kind) {
    case 'Workflow':
      return validateWorkflow(obj as Workflow, resolver, { lint: true });
    case 'WorkflowTemplate':
    case 'ClusterWorkflowTemplate':
      return validateWorkflow({ metadata: obj.metadata ?? {}, spec }, resolver, { lint: true, entrypointOptional: true });
    case 'CronWorkflow': {
      const errs: ValidationError[] = [];
      const s = spec as Record<string, unknown>;
      const schedules = [...(typeof s.schedule === 'string' && s.schedule ? [s.schedule] : []), ...(Array.isArray(s.schedules) ? (s.schedules as string[]) : [])];
      if (!schedules.length) errs.push({ path: 'spec.schedule', message: 'spec.schedule: cron schedule is required (schedule or schedules)' });
      for (const sc of schedules) if (!/^@(yearly|annually|monthly|weekly|daily|midnight|hourly|every\s+\S+)$/.test(sc.trim()) && sc.trim().split(/\s+/).length !== 5) errs.push({ path: 'spec.schedule', message: `spec.schedule: '${sc}' is not a valid cron schedule (5 fields or a descriptor)` });
      const ws = s.workflowSpec as Workflow['spec'] | undefined;
      if (!ws) errs.push({ path: 'spec.workflowSpec', message: 'spec.workflowSpec is required' });
      else for (const e of validateWorkflow({ metadata: obj.metadata ?? {}, spec: ws }, resolver, { lint: true })) errs.push({ path: `spec.workflowSpec.${e.path}`, message: `spec.workflowSpec.${e.message}` });
      return errs;
    }
    default:
      return [{ path: 'kind', message: `kind: '${obj.kind ?? ''}' is not one of Workflow, WorkflowTemplate, ClusterWorkflowTemplate, CronWorkflow` }];
  }
}

/**
 * `ownTemplates`: the spec is a workflow's merged with the WorkflowTemplate it references; only these (the workflow's
 * own) and the templates its entrypoint reaches are checked. The rest (its exit handler's, say) fail when executed, as
 * upstream's controller does: "error in exit template execution".
 */
export function validateWorkflow(wf: Workflow, resolver?: TemplateResolver, opts: { configMaps?: Record<string, Record<string, string>>; lint?: boolean; entrypointOptional?: boolean; ownTemplates?: string[] } = {}): ValidationError[] {
  const errs: ValidationError[] = [];
  // upstream's wording: "<path> is required", "<path> templates.<t> inputs.parameters.<p> was not supplied"; else "<path>: <why>"
  const err = (path: string, message: string) => errs.push({ path, message: /^(is required$|templates\.\S+ inputs\.parameters\.\S+ was not supplied$)/.test(message) ? `${path} ${message}` : `${path}: ${message}` });
  let spec = wf.spec ?? {};
  // not of Argo's shape (a map where a list belongs): said once, where, and nothing else is checked
  const shape = specShapeError(spec);
  if (shape) return [{ path: shape.slice(0, shape.indexOf(':')), message: shape }];
  if (spec.workflowTemplateRef) {
    const wt = lookup(resolver, spec.workflowTemplateRef.name, !!spec.workflowTemplateRef.clusterScope);
    if (!wt) { err('spec.workflowTemplateRef', `${spec.workflowTemplateRef.clusterScope ? 'ClusterWorkflowTemplate' : 'WorkflowTemplate'} '${spec.workflowTemplateRef.name}' not found`); return errs; }
    const bad = specShapeError(wt.spec);
    if (bad) { err('spec.workflowTemplateRef', `malformed ${spec.workflowTemplateRef.clusterScope ? 'cluster workflow template' : 'workflow template'} '${spec.workflowTemplateRef.name}': ${bad}`); return errs; }
    spec = { ...wt.spec, ...spec, templates: [...(wt.spec.templates ?? []), ...(spec.templates ?? [])], entrypoint: spec.entrypoint ?? wt.spec.entrypoint };
  }
  const templates = spec.templates ?? [];
  const byName = new Map<string, Template>();
  templates.forEach((t, i) => {
    if (!t.name) err(`spec.templates[${i}].name`, 'is required');
    else if (byName.has(t.name)) err(`templates.${t.name}`, 'template name is not unique');
    else byName.set(t.name, t);
  });
  if (!spec.entrypoint) { if (!opts.entrypointOptional) err('spec.entrypoint', 'is required'); }
  else if (!byName.has(spec.entrypoint)) err('spec.entrypoint', `template '${spec.entrypoint}' not found`);
  if (spec.onExit && !byName.has(spec.onExit)) err('spec.onExit', `template '${spec.onExit}' not found`);
  // workflow arguments must supply the entrypoint's inputs that have no value
  // (a WorkflowTemplate gets its arguments when a workflow is submitted from it)
  const ep = spec.entrypoint && !opts.entrypointOptional ? byName.get(spec.entrypoint) : undefined;
  for (const p of ep?.inputs?.parameters ?? []) {
    const a = spec.arguments?.parameters?.find((x) => x.name === p.name);
    if (p.value === undefined && p.default === undefined && !p.valueFrom && (!a || (a.value === undefined && !a.valueFrom)) && !(opts.lint && a)) {
      err(`spec.arguments.parameters.${p.name}`, `inputs.parameters.${p.name} was not supplied (template '${ep!.name}')`);
    }
  }
  for (const p of spec.arguments?.parameters ?? []) {
    if (p.value === undefined && p.default === undefined && !p.valueFrom && !p.enum && !opts.lint) err(`spec.arguments.parameters.${p.name}.value`, 'is required');
    if (p.valueFrom?.configMapKeyRef && opts.configMaps && !p.valueFrom.configMapKeyRef.optional && opts.configMaps[p.valueFrom.configMapKeyRef.name]?.[p.valueFrom.configMapKeyRef.key] === undefined && p.valueFrom.default === undefined) {
      const ref = p.valueFrom.configMapKeyRef;
      err(`spec.arguments.parameters.${p.name}.valueFrom.configMapKeyRef`, opts.configMaps[ref.name] ? `ConfigMap '${ref.name}' has no key '${ref.key}'` : `ConfigMap '${ref.name}' not found`);
    }
  }
  const wfParams = new Set((spec.arguments?.parameters ?? []).map((p) => p.name));
  const checked = opts.ownTemplates ? new Set([...opts.ownTemplates, ...reachable(spec.entrypoint, byName)]) : undefined;
  for (const t of templates) {
    if (checked && !checked.has(t.name ?? '')) continue;
    validateTemplate(t, byName, resolver, err);
    checkReferences(t, spec.workflowTemplateRef || opts.entrypointOptional ? undefined : wfParams, err);
  }
  const wfMetric = metricsError((spec as { metrics?: unknown }).metrics);
  if (wfMetric) err('spec.metrics', wfMetric);
  checkExpressions(spec, 'spec', err);
  return errs;
}

function validateTemplate(t: Template, byName: Map<string, Template>, resolver: TemplateResolver | undefined, err: (p: string, m: string) => void): void {
  const base = `templates.${t.name}`;
  const badMetric = metricsError(t.metrics);
  if (badMetric) err(`${base}.metrics`, badMetric);
  const kinds = KINDS.filter((k) => t[k] !== undefined);
  if (kinds.length !== 1) err(base, `template must specify exactly one of ${KINDS.join(', ')} (found ${kinds.length ? kinds.join(', ') : 'none'})`);
  const checkRef = (s: WorkflowStep, path: string) => {
    if (s.inline) return;
    if (s.templateRef) {
      if (resolver) {
        const wt = lookup(resolver, s.templateRef.name, !!s.templateRef.clusterScope);
        const kind = s.templateRef.clusterScope ? 'ClusterWorkflowTemplate' : 'WorkflowTemplate';
        if (!wt) err(`${path}.templateRef`, `${kind} '${s.templateRef.name}' not found`);
        else if (!wt.spec.templates?.some((x) => x.name === s.templateRef!.template)) err(`${path}.templateRef`, `template '${s.templateRef.template}' not found in ${kind} '${s.templateRef.name}'`);
      }
      return;
    }
    if (!s.template) { err(path, 'template or templateRef is required'); return; }
    const target = byName.get(s.template);
    if (!target) { err(`${path}.template`, `template '${s.template}' not found`); return; }
    for (const p of target.inputs?.parameters ?? []) {
      if (p.value !== undefined || p.default !== undefined || p.valueFrom) continue;
      if (!s.arguments?.parameters?.some((a) => a.name === p.name)) err(path, `templates.${target.name} inputs.parameters.${p.name} was not supplied`);
    }
    if (s.onExit && !byName.has(s.onExit)) err(`${path}.onExit`, `template '${s.onExit}' not found`);
  };
  (t.steps ?? []).forEach((group, i) => {
    if (!Array.isArray(group)) { err(`${base}.steps[${i}]`, 'must be a list of steps'); return; }
    const seen = new Set<string>();
    for (const s of group) {
      const path = `${base}.steps[${i}].${s.name}`;
      if (!s.name) err(`${base}.steps[${i}]`, 'step name is required');
      else if (seen.has(s.name)) err(path, `step name '${s.name}' is not unique`);
      seen.add(s.name);
      checkRef(s, path);
      checkWhen(s.when, `${path}.when`, err);
    }
  });
  if (t.dag) {
    const names = new Set<string>();
    const edges = new Map<string, string[]>();
    for (const task of t.dag.tasks ?? []) {
      const path = `${base}.tasks.${task.name}`;
      if (names.has(task.name)) err(path, `task name '${task.name}' is not unique`);
      names.add(task.name);
      checkRef(task, path);
      checkWhen(task.when, `${path}.when`, err);
      if (task.depends && task.dependencies) err(path, "cannot use both 'depends' and 'dependencies' in the same DAG template");
      let deps: string[] = task.dependencies ?? [];
      if (task.depends) {
        try {
          deps = [...dependsTasks(parseDepends(task.depends))];
        } catch (e) {
          err(`${path}.depends`, e instanceof DependsError ? e.message : String(e));
        }
      }
      edges.set(task.name, deps);
    }
    for (const [n, deps] of edges) for (const d of deps) if (!names.has(d)) err(`${base}.tasks.${n}`, `dependency '${d}' not defined`);
    const cycle = findCycle(edges);
    if (cycle) err(`${base}.tasks`, `dependency cycle detected: ${cycle.join(' -> ')}`);
  }
}

function checkWhen(when: string | undefined, path: string, err: (p: string, m: string) => void): void {
  if (when === undefined || when.includes('{{')) return;
  try {
    parseCondition(when);
  } catch (e) {
    err(path, `invalid expression '${when}': ${(e as Error).message}`);
  }
}

/** Every `{{=…}}` tag anywhere in the spec must parse; the error gives the tag's position inside its expression. */
function checkExpressions(v: unknown, path: string, err: (p: string, m: string) => void): void {
  if (typeof v === 'string') {
    if (!v.includes('{{=')) return;
    for (const tag of findExpressionTags(v)) {
      try {
        parse(tag.body);
      } catch (e) {
        err(path, `invalid expression '{{=${tag.body}}}': ${(e as Error).message}`);
      }
    }
    return;
  }
  if (Array.isArray(v)) v.forEach((x, i) => checkExpressions(x, `${path}[${i}]`, err));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) checkExpressions(x, `${path}.${k}`, err);
}

function findCycle(edges: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === 2) return undefined;
    if (state.get(n) === 1) return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, 1);
    stack.push(n);
    for (const d of edges.get(n) ?? []) {
      if (!edges.has(d)) continue;
      const c = visit(d);
      if (c) return c;
    }
    stack.pop();
    state.set(n, 2);
    return undefined;
  };
  for (const n of edges.keys()) {
    const c = visit(n);
    if (c) return c;
  }
  return undefined;
}

const TAG = /\{\{\s*(inputs\.parameters|inputs\.artifacts|steps|tasks|workflow\.parameters)\.([A-Za-z0-9_-]+)[^{}]*?\}\}/g;

/** References that can never resolve: undeclared inputs, unknown steps/tasks, unknown workflow parameters. */
function checkReferences(t: Template, wfParams: Set<string> | undefined, err: (p: string, m: string) => void): void {
  const inputs = new Set((t.inputs?.parameters ?? []).map((p) => p.name));
  const artifacts = new Set((t.inputs?.artifacts ?? []).map((a) => a.name));
  const stepNames = new Set((t.steps ?? []).flat().map((s) => s?.name));
  const taskNames = new Set((t.dag?.tasks ?? []).map((x) => x.name));
  const walk = (v: unknown, path: string): void => {
    if (typeof v === 'string') {
      if (!v.includes('{{')) return;
      for (const m of v.matchAll(TAG)) {
        const [tag, kind, name] = [m[0], m[1]!, m[2]!];
        const bad = (kind === 'inputs.parameters' && !inputs.has(name)) || (kind === 'inputs.artifacts' && !artifacts.has(name))
          || (kind === 'steps' && t.steps !== undefined && name !== 'name' && !stepNames.has(name))
          || (kind === 'tasks' && t.dag !== undefined && name !== 'name' && !taskNames.has(name))
          || (kind === 'workflow.parameters' && wfParams !== undefined && name !== 'json' && !wfParams.has(name));
        if (bad) err(path, `failed to resolve ${tag}`);
      }
      return;
    }
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) if (k !== 'metrics') walk(x, `${path}.${k}`);
  };
  const { name: _n, inputs: _i, ...body } = t;
  walk(body, `templates.${t.name}`);
}

/** The local templates a template reaches through its steps and DAG tasks (their hooks and exit handlers too). */
function reachable(from: string | undefined, byName: Map<string, Template>): Set<string> {
  const seen = new Set<string>();
  const stack = from ? [from] : [];
  while (stack.length) {
    const name = stack.pop()!;
    const t = byName.get(name);
    if (!t || seen.has(name)) continue;
    seen.add(name);
    const refs = [...(t.steps ?? []).flatMap((g) => (Array.isArray(g) ? g : [])), ...(t.dag?.tasks ?? [])] as { template?: string; onExit?: string; hooks?: Record<string, { template?: string }> }[];
    for (const r of refs) {
      if (r.template) stack.push(r.template);
      if (r.onExit) stack.push(r.onExit);
      for (const h of Object.values(r.hooks ?? {})) if (h?.template) stack.push(h.template);
    }
  }
  return seen;
}
