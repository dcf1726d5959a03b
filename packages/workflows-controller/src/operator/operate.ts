// operate(input) → Plan: one pure pass over a workflow (Argo's operator without I/O).
import type { Condition, NodeStatus, Parameter, Template, Workflow, WorkflowPhase, WorkflowSpec } from '../types.js';
import { validateWorkflow } from '../validate.js';
import { specShapeError } from './shape.js';
import { Ctx } from './context.js';
import { executeTemplate, fromValueFrom } from './execute.js';
import { runExpressionHooks } from './hooks.js';
import { flagNode, isFulfilled, isPodType, leafProgress, type OperateInput, type Plan } from './model.js';
import { exprEnv, type Scope, str } from './vars.js';
import { evaluateArgo, toPlain } from '@flotilla/expr';
import { addResourcesDurations } from '../resources-duration.js';
import { evaluateMetrics } from './custom-metrics.js';

const TERMINAL = new Set<WorkflowPhase>(['Succeeded', 'Failed', 'Error']);

/** The spec with `workflowTemplateRef` merged in (the workflow's own fields win; arguments merge by name). */
export function effectiveSpec(wf: Workflow, lookup: (name: string, cluster: boolean) => { spec: WorkflowSpec } | undefined): WorkflowSpec {
  const ref = wf.spec.workflowTemplateRef;
  const stored = wf.status?.storedWorkflowTemplateSpec;
  if (!ref) return wf.spec;
  const base = stored ?? lookup(ref.name, !!ref.clusterScope)?.spec;
  if (!base) throw new Error(`${ref.clusterScope ? 'ClusterWorkflowTemplate' : 'WorkflowTemplate'} '${ref.name}' not found`);
  const bad = specShapeError(base);
  if (bad) throw new Error(`malformed ${ref.clusterScope ? 'cluster workflow template' : 'workflow template'} '${ref.name}': ${bad}`);
  const params: Parameter[] = [...(base.arguments?.parameters ?? [])];
  for (const p of wf.spec.arguments?.parameters ?? []) {
    const i = params.findIndex((x) => x.name === p.name);
    if (i >= 0) params[i] = { ...params[i]!, ...p };
    else params.push(p);
  }
  const { workflowTemplateRef: _r, ...own } = wf.spec;
  return { ...base, ...own, arguments: { ...base.arguments, ...own.arguments, parameters: params }, templates: [...(base.templates ?? []), ...(own.templates ?? [])] };
}

export function operate(input: OperateInput): Plan {
  const { status: inStatus, ...rest } = input.workflow;
  const wf: Workflow = structuredClone(rest);
  const status = inStatus ?? {};
  const now = input.now instanceof Date ? input.now : new Date(input.now);
  const nodes = copyNodes(status.nodes);
  const plan = (p: Partial<Plan>): Plan => {
    const { changed: given, ...rest } = p;
    const out = {
      podsToCreate: [], podsToDelete: [], events: [], nodes, phase: status.phase ?? '', progress: progressOf(nodes),
      startedAt: status.startedAt, finishedAt: status.finishedAt, ...rest,
    } as Plan;
    if (status.message !== undefined && !('message' in p)) out.message = status.message;
    // `changed` is worked out when asked (two serializations of a large status: the controller compares the
    // whole status it writes instead); the input's status is never modified, its nodes are a copy
    let changed = given;
    Object.defineProperty(out, 'changed', {
      enumerable: true,
      configurable: true,
      get: () => changed ??= out.podsToCreate.length > 0
        || JSON.stringify({ ...status, phase: out.phase, message: out.message, nodes: out.nodes, progress: out.progress, startedAt: out.startedAt, finishedAt: out.finishedAt }) !== JSON.stringify(status),
      set: (v: boolean) => { changed = v; },
    });
    return out;
  };
  if (status.phase && TERMINAL.has(status.phase)) return plan({});

  const resolverFn = (name: string, cluster: boolean) => {
    const r = input.templates;
    if (!r) return undefined;
    return typeof r === 'function' ? r(name, cluster) : r[cluster ? `cluster/${name}` : name];
  };
  const startedAt = status.startedAt ?? isoSeconds(now);
  const fail = (message: string, phase: WorkflowPhase = 'Failed') => plan({ phase, message, startedAt, finishedAt: isoSeconds(now), events: [{ type: 'Warning', reason: 'WorkflowFailed', message }] });
  // a spec not of Argo's shape (a map where a list belongs: Go could not decode it) fails, saying where
  const malformed = specShapeError(wf.spec);
  if (malformed) return fail(`malformed workflow: ${malformed}`);
  let spec: WorkflowSpec;
  try {
    spec = withDefaults(effectiveSpec(input.workflow, resolverFn), input.config?.workflowDefaults?.spec);
  } catch (e) {
    return fail((e as Error).message, 'Error');
  }
  if (!status.phase || status.phase === 'Pending') {
    const own = wf.spec.workflowTemplateRef ? (wf.spec.templates ?? []).map((t) => t.name ?? '') : undefined;
    const errs = validateWorkflow({ ...wf, spec: { ...spec, workflowTemplateRef: undefined } }, input.templates, { configMaps: input.configMaps, ...(own ? { ownTemplates: own } : {}) });
    if (errs.length) return fail(`invalid spec: ${errs.map((e) => e.message).join('; ')}`);
  }

  const beforePhases = new Map(Object.values(nodes).map((n) => [n.id, n.phase]));
  const ctx = new Ctx(wf, spec, nodes, now, input.pods ?? {}, input.templates, input.configMaps ?? {}, input.config ?? {}, structuredClone(status.storedTemplates ?? {}));
  ctx.observedAll = !!input.observedAll;
  ctx.acquireLock = input.acquireLock;
  if (input.estimates) ctx.estimates = input.estimates.nodes;
  // globals
  const g = ctx.global;
  const md = wf.metadata;
  g['workflow.name'] = md.name ?? '';
  g['workflow.namespace'] = md.namespace ?? '';
  g['workflow.uid'] = md.uid ?? '';
  g['workflow.serviceAccountName'] = spec.serviceAccountName ?? '';
  g['workflow.mainEntrypoint'] = spec.entrypoint ?? '';
  g['workflow.priority'] = String(spec.priority ?? 0);
  Object.assign(g, creationVars(md.creationTimestamp ?? startedAt));
  for (const [k, v] of Object.entries(md.labels ?? {})) g[`workflow.labels.${k}`] = v;
  for (const [k, v] of Object.entries(md.annotations ?? {})) g[`workflow.annotations.${k}`] = v;
  g['workflow.labels'] = g['workflow.labels.json'] = JSON.stringify(md.labels ?? {});
  g['workflow.annotations'] = g['workflow.annotations.json'] = JSON.stringify(md.annotations ?? {});
  const scheduled = md.annotations?.['workflows.argoproj.io/scheduled-time'];
  if (scheduled) g['workflow.scheduledTime'] = scheduled;
  g['workflow.duration'] = String((now.getTime() - Date.parse(startedAt)) / 1000);
  g['workflow.status'] = 'Running';
  const wfParams: Parameter[] = [];
  try {
    for (const p of spec.arguments?.parameters ?? []) {
      const v = p.value ?? (p.valueFrom ? fromValueFrom(ctx, p) : undefined) ?? p.default;
      if (v === undefined) continue;
      g[`workflow.parameters.${p.name}`] = str(v);
      wfParams.push({ name: p.name, value: str(v) });
    }
  } catch (e) {
    return fail((e as Error).message, 'Error');
  }
  g['workflow.parameters'] = JSON.stringify(wfParams);
  g['workflow.parameters.json'] ??= JSON.stringify(wfParams); // [{name, value}…] as upstream
  // spec.workflowMetadata (the workflow's own, a WorkflowTemplate's, workflowDefaults') is in the variables too, as
  // the workflow's labels will be: `{{workflow.labels.arg-name}}` of a template submitted from a WorkflowTemplate
  const wmd = withDefaultMetadata(workflowMetadata(spec, g), input.config?.workflowDefaults?.metadata, md);
  if (wmd) {
    const labels = { ...(md.labels ?? {}), ...(wmd.labels ?? {}) };
    const annotations = { ...(md.annotations ?? {}), ...(wmd.annotations ?? {}) };
    for (const [k, v] of Object.entries(labels)) g[`workflow.labels.${k}`] = v;
    for (const [k, v] of Object.entries(annotations)) g[`workflow.annotations.${k}`] = v;
    g['workflow.labels'] = g['workflow.labels.json'] = JSON.stringify(labels);
    g['workflow.annotations'] = g['workflow.annotations.json'] = JSON.stringify(annotations);
  }
  for (const p of status.outputs?.parameters ?? []) {
    ctx.globalOutputs.push(p);
    g[`workflow.outputs.parameters.${p.name}`] = str(p.value);
  }
  for (const a of status.outputs?.artifacts ?? []) {
    ctx.globalArtifacts.push(a);
    g[`workflow.outputs.artifacts.${a.name}`] = JSON.stringify(a);
  }

  // shutdown and deadline
  if (spec.shutdown === 'Terminate' || spec.shutdown === 'Stop') {
    ctx.stopping = { message: `Stopped with strategy '${spec.shutdown}'`, allowExit: spec.shutdown === 'Stop' };
  } else if (spec.activeDeadlineSeconds !== undefined) {
    const end = Date.parse(startedAt) + Number(spec.activeDeadlineSeconds) * 1000;
    if (now.getTime() >= end) ctx.stopping = { message: 'Step exceeded its deadline', allowExit: true };
    else ctx.requeue((end - now.getTime()) / 1000);
  }

  const scope = { key: `local/${ctx.name}`, templates: spec.templates ?? [] };
  const entry = executeTemplate(ctx, ctx.name, { template: spec.entrypoint }, spec.arguments, { scope, depth: 0 });
  let phase: WorkflowPhase = 'Running';
  let message: string | undefined;
  const entryError = ctx.execErrors.get(ctx.name);
  const entryStatus = entry && isFulfilled(entry) ? (entry.phase === 'Error' ? 'Error' : entry.phase === 'Failed' ? 'Failed' : 'Succeeded') : 'Running';
  const hooksDone = entryError !== undefined || (ctx.stopping && !ctx.stopping.allowExit) ? true
    : runExpressionHooks(ctx, { name: ctx.name, id: ctx.name, displayName: ctx.name }, spec.hooks, { ...g, 'workflow.status': entryStatus }, undefined, { scope, depth: 0 });
  if (entryError !== undefined) {
    // the entrypoint could not be executed: the workflow ends in Error at once, with no exit handler (as upstream)
    phase = 'Error';
    message = `error in entry template execution: ${entryError}`;
  } else if (entry && isFulfilled(entry) && hooksDone) {
    const entryPhase: WorkflowPhase = entry.phase === 'Error' ? 'Error' : entry.phase === 'Failed' ? 'Failed' : 'Succeeded';
    let exitDone = true;
    let exitNode: NodeStatus | undefined;
    const exit = spec.hooks?.exit ?? (spec.onExit ? { template: spec.onExit } : undefined);
    if (exit && !(ctx.stopping && !ctx.stopping.allowExit)) {
      g['workflow.status'] = entryPhase;
      g['workflow.failures'] = JSON.stringify(failures(nodes));
      ctx.inExitHandler = true;
      exitNode = executeTemplate(ctx, `${ctx.name}.onExit`, exit, exit.arguments, { scope, depth: 0, displayName: `${ctx.name}.onExit` });
      flagNode(exitNode, 'hooked');
      ctx.inExitHandler = false;
      exitDone = !!exitNode && isFulfilled(exitNode);
    }
    if (exitDone) {
      phase = entryPhase;
      message = entry.message || undefined;
      const exitError = ctx.execErrors.get(`${ctx.name}.onExit`);
      if (exitError !== undefined) {
        phase = 'Error';
        message = `error in exit template execution: ${exitError}`;
      } else if (phase === 'Succeeded' && exitNode && (exitNode.phase === 'Failed' || exitNode.phase === 'Error')) {
        phase = exitNode.phase;
        message = exitNode.message;
      }
      if (ctx.stopping && phase !== 'Succeeded') message = ctx.stopping.message;
    }
  }
  const finished = TERMINAL.has(phase);
  if (finished) ctx.stopDaemons();
  // podGC
  const gc = spec.podGC?.strategy;
  for (const n of Object.values(nodes)) {
    if (n.type !== 'Pod' || !isFulfilled(n) || n.phase === 'Skipped' || n.phase === 'Omitted') continue;
    const del = (gc === 'OnPodCompletion' && ctx.newlyFulfilled.has(n.id)) || (gc === 'OnPodSuccess' && ctx.newlyFulfilled.has(n.id) && n.phase === 'Succeeded')
      || (finished && gc === 'OnWorkflowCompletion') || (finished && gc === 'OnWorkflowSuccess' && phase === 'Succeeded');
    if (del) ctx.podsToDelete.add(ctx.podName(n.name, n.templateName ?? n.templateRef?.template));
  }
  if (ctx.stopping && !finished) ctx.requeue(1);
  nodeProgress(nodes);
  const podRunning = Object.values(nodes).some((n) => n.type === 'Pod' && n.phase === 'Running');
  const conditions: Condition[] = [{ type: 'PodRunning', status: podRunning ? 'True' : 'False' }];
  if (finished) conditions.push({ type: 'Completed', status: 'True' });
  const p = plan({
    ...(wmd ? { metadata: wmd } : {}),
    conditions,
    podsToCreate: ctx.podsToCreate,
    podsToDelete: [...ctx.podsToDelete],
    phase,
    startedAt,
    finishedAt: finished ? isoSeconds(now) : undefined,
    storedTemplates: Object.keys(ctx.storedTemplates).length ? ctx.storedTemplates : undefined,
    outputs: ctx.globalOutputs.length || ctx.globalArtifacts.length
      ? { ...(ctx.globalOutputs.length ? { parameters: ctx.globalOutputs } : {}), ...(ctx.globalArtifacts.length ? { artifacts: ctx.globalArtifacts } : {}) }
      : undefined,
    requeueAfter: finished ? undefined : ctx.requeueAfter,
    events: events(status.phase, phase, message, beforePhases, nodes),
    storedWorkflowTemplateSpec: wf.spec.workflowTemplateRef ? (status.storedWorkflowTemplateSpec ?? resolverFn(wf.spec.workflowTemplateRef.name, !!wf.spec.workflowTemplateRef.clusterScope)?.spec) : undefined,
  });
  if (message !== undefined) p.message = message;
  else delete p.message;
  if (input.estimates && status.estimatedDuration === undefined) p.estimatedDuration = input.estimates.workflow;
  // template-level locks: a node holds its locks until it is fulfilled; waiting nodes are looked at again
  const holding = finished ? [] : ctx.locksHeld.filter((l) => !isFulfilled(nodes[l.nodeId]));
  const waiting = finished ? [] : ctx.locksWaited;
  if (holding.length || waiting.length || ctx.acquireLock) p.locks = { holding, waiting };
  if (waiting.length && !finished) p.requeueAfter = Math.min(p.requeueAfter ?? 2, 2);
  // the workflow's own metrics (spec.metrics): when it finishes in this pass; realtime gauges while it runs
  if (spec.metrics && (finished ? !TERMINAL.has(status.phase ?? '') : phase === 'Running')) {
    const duration = String((Date.parse(p.finishedAt ?? now.toISOString()) - Date.parse(startedAt)) / 1000);
    const r = evaluateMetrics(spec.metrics, { ...g, 'workflow.status': phase, 'workflow.duration': duration, status: phase, duration }, { startedAt, finishedAt: p.finishedAt }, !finished);
    ctx.metrics.push(...r.emit);
    ctx.metricErrors.push(...r.errors.map((e) => `workflow: ${e}`));
  }
  if (ctx.metrics.length) p.metrics = ctx.metrics;
  if (ctx.metricErrors.length) p.metricErrors = ctx.metricErrors;
  return p;
}

/**
 * `spec.workflowMetadata` as the workflow's own labels and annotations: `labels` and `annotations` as given,
 * `labelsFrom: {KEY: {expression}}` evaluated (expr) over the workflow's variables. An expression that cannot be
 * evaluated sets no label.
 */
export function workflowMetadata(spec: WorkflowSpec, globals: Scope): Plan['metadata'] {
  const md = spec.workflowMetadata as { labels?: Record<string, unknown>; annotations?: Record<string, unknown>; labelsFrom?: Record<string, { expression?: string }> } | undefined;
  if (!md || typeof md !== 'object') return undefined;
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(md.labels ?? {})) labels[k] = String(v);
  for (const [k, f] of Object.entries(md.labelsFrom ?? {})) {
    if (!f?.expression) continue;
    try {
      labels[k] = str(toPlain(evaluateArgo(f.expression, exprEnv(globals))));
    } catch {
      /* unresolvable: no label */
    }
  }
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(md.annotations ?? {})) annotations[k] = String(v);
  return labelsAndAnnotations(labels, annotations);
}

/**
 * The labels and annotations of workflowDefaults' `metadata` (controller ConfigMap) under the workflow's own and
 * its `workflowMetadata`'s: a default applies where the workflow has no such key.
 */
function withDefaultMetadata(own: Plan['metadata'], defaults: Record<string, unknown> | undefined, md: Workflow['metadata']): Plan['metadata'] {
  const d = defaults as { labels?: Record<string, unknown>; annotations?: Record<string, unknown> } | undefined;
  if (!d?.labels && !d?.annotations) return own;
  const pick = (from: Record<string, unknown> | undefined, has: Record<string, string> | undefined) =>
    Object.fromEntries(Object.entries(from ?? {}).filter(([k]) => !(has && k in has)).map(([k, v]) => [k, String(v)]));
  const labels = { ...pick(d.labels, md.labels), ...(own?.labels ?? {}) };
  const annotations = { ...pick(d.annotations, md.annotations), ...(own?.annotations ?? {}) };
  return labelsAndAnnotations(labels, annotations) ?? own;
}

/** `{labels, annotations}` with the empty ones left out; undefined when both are empty. */
function labelsAndAnnotations(labels: Record<string, string>, annotations: Record<string, string>): Plan['metadata'] {
  const hasL = Object.keys(labels).length > 0;
  const hasA = Object.keys(annotations).length > 0;
  if (!hasL && !hasA) return undefined;
  return { ...(hasL ? { labels } : {}), ...(hasA ? { annotations } : {}) };
}

/**
 * The nodes a pass may change: each node's own fields and its `children` list are copied; the values below them
 * (inputs, outputs, …) are shared with the input, as a pass replaces those and never changes them in place.
 * (A deep copy of a 200-node status was most of a pass's garbage.)
 */
function copyNodes(nodes: Record<string, NodeStatus> | undefined): Record<string, NodeStatus> {
  const out: Record<string, NodeStatus> = {};
  for (const id in nodes) {
    const n = nodes[id]!;
    out[id] = n.children ? { ...n, children: [...n.children] } : { ...n };
  }
  return out;
}

function failures(nodes: Record<string, NodeStatus>): unknown[] {
  return Object.values(nodes).filter((n) => (n.phase === 'Failed' || n.phase === 'Error') && isPodType(n)).map((n) => ({
    displayName: n.displayName, message: n.message ?? '', templateName: n.templateName ?? '', phase: n.phase, podName: n.id, finishedAt: n.finishedAt ?? '',
  }));
}

export function progressOf(nodes: Record<string, NodeStatus>): string {
  let done = 0;
  let total = 0;
  for (const n of Object.values(nodes)) {
    if (!countsInProgress(n)) continue;
    const [d, t] = leafProgress(n);
    done += d;
    total += t;
  }
  return `${done}/${total}`;
}

function isoSeconds(d: Date): string {
  return new Date(Math.floor(d.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Applies a plan to a workflow's status (what the reconciler writes). */
export function applyPlan(wf: Workflow, p: Plan): Workflow {
  const status = { ...(wf.status ?? {}), phase: p.phase, nodes: p.nodes, progress: p.progress };
  if (p.startedAt) status.startedAt = p.startedAt;
  if (p.finishedAt) status.finishedAt = p.finishedAt;
  if (p.message !== undefined) status.message = p.message;
  else delete status.message;
  if (p.outputs) status.outputs = p.outputs;
  if (p.storedTemplates) status.storedTemplates = p.storedTemplates;
  if (p.storedWorkflowTemplateSpec) status.storedWorkflowTemplateSpec = p.storedWorkflowTemplateSpec;
  if (p.conditions) status.conditions = p.conditions;
  if (p.estimatedDuration !== undefined) status.estimatedDuration = p.estimatedDuration;
  // the workflow's resource use: its pods' (each counted once: a Pod node's own figure)
  const used = addResourcesDurations(Object.values(p.nodes).map((n) => (n.type === 'Pod' ? n.resourcesDuration : undefined)));
  if (used) status.resourcesDuration = used;
  return { ...wf, status };
}

/** `workflow.creationTimestamp` and its strftime forms (`.Y`, `.m`, `.d`, `.H`, `.M`, `.S`, `.s`, `.RFC3339` …), in UTC. */
export function creationVars(ts: string): Record<string, string> {
  // the same few timestamps are formatted at every reconcile of their workflows: kept (read-only, copied by the caller)
  let v = creationCache.get(ts);
  if (!v) {
    if (creationCache.size >= 2048) creationCache.clear();
    creationCache.set(ts, (v = formatCreation(ts)));
  }
  return v;
}
const creationCache = new Map<string, Readonly<Record<string, string>>>();

function formatCreation(ts: string): Record<string, string> {
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return { 'workflow.creationTimestamp': ts };
  const p2 = (n: number) => String(n).padStart(2, '0');
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
  const iso = d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const h = d.getUTCHours();
  const doy = Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86400000) + 1;
  const f: Record<string, string> = {
    Y: String(d.getUTCFullYear()), y: p2(d.getUTCFullYear() % 100), m: p2(d.getUTCMonth() + 1), d: p2(d.getUTCDate()), e: String(d.getUTCDate()).padStart(2, ' '),
    H: p2(h), I: p2(h % 12 || 12), M: p2(d.getUTCMinutes()), S: p2(d.getUTCSeconds()), p: h < 12 ? 'AM' : 'PM',
    b: mon[d.getUTCMonth()]!, B: months[d.getUTCMonth()]!, a: days[d.getUTCDay()]!.slice(0, 3), A: days[d.getUTCDay()]!, j: String(doy).padStart(3, '0'),
    s: String(Math.floor(d.getTime() / 1000)), RFC3339: iso,
  };
  const out: Record<string, string> = { 'workflow.creationTimestamp': iso };
  for (const [k, v] of Object.entries(f)) out[`workflow.creationTimestamp.${k}`] = v;
  return out;
}

function events(prevPhase: WorkflowPhase | undefined, phase: WorkflowPhase, message: string | undefined, before: Map<string, string>, nodes: Record<string, NodeStatus>): Plan['events'] {
  const out: Plan['events'] = [];
  if (phase === 'Running' && prevPhase !== 'Running') out.push({ type: 'Normal', reason: 'WorkflowRunning', message: 'Workflow Running' });
  for (const n of Object.values(nodes)) {
    const was = before.get(n.id);
    if (was === n.phase || n.type === 'StepGroup' || n.type === 'TaskGroup' || n.phase === 'Pending' || n.phase === 'Skipped' || n.phase === 'Omitted') continue;
    const warn = n.phase === 'Failed' || n.phase === 'Error';
    const reason = `WorkflowNode${n.phase === 'Error' ? 'Error' : n.phase}`;
    out.push({ type: warn ? 'Warning' : 'Normal', reason, nodeId: n.id, nodeName: n.name, nodeType: n.type, message: `${n.phase} node ${n.name}${warn && n.message ? `: ${n.message}` : ''}` });
  }
  if (phase === 'Succeeded' && prevPhase !== phase) out.push({ type: 'Normal', reason: 'WorkflowSucceeded', message: 'Workflow completed' });
  if ((phase === 'Failed' || phase === 'Error') && prevPhase !== phase) out.push({ type: 'Warning', reason: 'WorkflowFailed', message: message ?? phase });
  return out;
}

/** Deep merge where `over` wins: maps merge key by key, lists and scalars replace (Argo's defaults merge). */
export function mergeDefaults<T>(base: T | undefined, over: T): T {
  if (base === undefined || base === null) return over;
  if (over === undefined) return base;
  if (typeof base !== 'object' || typeof over !== 'object' || Array.isArray(base) || Array.isArray(over) || over === null) return over;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over as Record<string, unknown>)) out[k] = mergeDefaults(out[k], v);
  return out as T;
}

/** `workflowDefaults` (controller ConfigMap) under the workflow's spec, then `templateDefaults` under every template. */
export function withDefaults(spec: WorkflowSpec, defaults: WorkflowSpec | undefined): WorkflowSpec {
  const merged = defaults ? mergeDefaults(defaults, spec) : spec;
  if (defaults?.templates && spec.templates) merged.templates = spec.templates; // templates are the workflow's own
  const td = merged.templateDefaults as Template | undefined;
  if (!td) return merged;
  const kinds = ['container', 'script', 'resource', 'suspend', 'steps', 'dag', 'data', 'http', 'containerSet', 'plugin'];
  // kind-specific defaults (e.g. `container`) only reach templates of that kind
  return { ...merged, templates: (merged.templates ?? []).map((t) => mergeDefaults(Object.fromEntries(Object.entries(td).filter(([k]) => !kinds.includes(k) || k in t)) as Template, t)) };
}

/**
 * The leaves progress counts (upstream's progress.md: a workflow's progress is the sum of its leaf nodes): pods and
 * suspend nodes, 1/1 once Succeeded.
 */
const countsInProgress = (n: NodeStatus) => isPodType(n) || n.type === 'Suspend';

/** Progress of steps/dag/group nodes: the leaves inside their boundary (N succeeded / M). */
function nodeProgress(nodes: Record<string, NodeStatus>): void {
  const counts = new Map<string, [number, number]>();
  for (const n of Object.values(nodes)) {
    if (!countsInProgress(n)) continue;
    const [ok, t] = leafProgress(n);
    const seen = new Set<string>();
    for (let b = n.boundaryID; b && nodes[b] && !seen.has(b); b = nodes[b]!.boundaryID) {
      seen.add(b);
      const c = counts.get(b) ?? [0, 0];
      counts.set(b, [c[0] + ok, c[1] + t]);
    }
  }
  for (const [id, [done, total]] of counts) nodes[id]!.progress = `${done}/${total}`;
}
