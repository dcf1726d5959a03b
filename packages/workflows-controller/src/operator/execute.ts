// executeTemplate: the idempotent walk of one node (Argo's model: every pass re-walks from the entrypoint and
// only fulfilled nodes short-circuit). Pod-like kinds, suspend, retries and input binding live here;
// steps.ts and dag.ts recurse back into executeTemplate.
import { evaluateArgo, toPlain } from '@flotilla/expr';
import type { Artifact, Arguments, Inputs, NodeStatus, NodeType, Outputs, Parameter, Template, TemplateRef, WorkflowStep } from '../types.js';
import { Ctx, OperateError, type TemplateScope } from './context.js';
import { workflowLocks } from '../sync.js';
import { attempts as attemptsOf, flagNode, isFulfilled, type NodeLock, type PodToCreate } from './model.js';
import { exprEnv, jsonOf, mentions, parseDuration, type Scope, str, substitute, substituteDeep } from './vars.js';
import { executeSteps } from './steps.js';
import { executeDAG } from './dag.js';
import { artifactLocation, assertResolved } from './fanout.js';
import { cacheKey, entry, lookup, memoOf } from '../memoize.js';
import { evaluateMetrics, nodeMetricScope } from './custom-metrics.js';

export interface ExecOpts {
  displayName?: string;
  boundaryID?: string;
  parentId?: string;
  scope: TemplateScope;
  depth: number;
  /** Set for the attempts under a Retry node. */
  retryChild?: boolean;
  /** Extra variables (e.g. `retries`) visible in the template. */
  extra?: Scope;
  /** The step's or task's `outputs.result` is referenced by its steps/DAG template: its pod captures it. */
  resultWanted?: boolean;
  /** A retry attempt's constraints: the hosts of the failed attempts to avoid (retryStrategy.affinity.nodeAntiAffinity),
   * and when backoff.maxDuration ends (epoch ms: the attempt's pod may not run past it). */
  retry?: { avoidHosts?: string[]; deadlineMs?: number };
}

/**
 * Whether a steps or DAG template references a step's or task's `outputs.result` (`{{steps.NAME.outputs.result}}`,
 * `steps['NAME'].outputs.result` in an expression …): only then does that node's pod capture its stdout as the
 * result, as upstream's controller decides per node (upstream's TestIncludeScriptResult).
 */
export function resultWanted(parent: Template, kind: 'steps' | 'tasks', name: string): boolean {
  let names = resultNames.get(parent);
  if (!names) resultNames.set(parent, (names = referencedResults(jsonOf(parent))));
  return names.has(`${kind}.${name}`);
}

const resultNames = new WeakMap<Template, Set<string>>();
// `steps.NAME.outputs.result`, `tasks['NAME'].outputs.result`, `steps[\"NAME\"].outputs.result` (as they appear in JSON)
const RESULT_REF = /\b(steps|tasks)(?:\.([^.\s{}'"\\[\]]+)|\[(?:'([^']+)'|\\"((?:[^"\\]|\\[^"])+)\\")\])\.outputs\.result\b/g;

/** The `kind.NAME` of every step or task whose `outputs.result` the JSON of a template references: one scan per
 * template, whatever its size (a scan per task made a 200-task DAG quadratic). */
export function referencedResults(json: string): Set<string> {
  const out = new Set<string>();
  for (const m of json.matchAll(RESULT_REF)) out.add(`${m[1]}.${m[2] ?? m[3] ?? m[4]}`);
  return out;
}

export type TemplateHolder = Pick<WorkflowStep, 'template' | 'templateRef' | 'inline'>;

export function templateKind(t: Template): PodToCreate['kind'] | 'steps' | 'dag' | 'suspend' | undefined {
  if (t.container) return 'container';
  if (t.script) return 'script';
  if (t.resource) return 'resource';
  if (t.steps) return 'steps';
  if (t.dag) return 'dag';
  if (t.suspend) return 'suspend';
  if (t.data) return 'data';
  if (t.http) return 'http';
  if (t.containerSet) return 'containerSet';
  if (t.plugin) return 'plugin';
  return undefined;
}

/** Finds the template a step/task/entrypoint names, in the caller's scope or through templateRef. */
export function resolveTemplate(ctx: Ctx, h: TemplateHolder, scope: TemplateScope): { tmpl: Template; scope: TemplateScope; ref?: TemplateRef } {
  if (h.inline) return { tmpl: h.inline, scope };
  if (h.templateRef) {
    const ref = h.templateRef;
    const kind = ref.clusterScope ? 'cluster' : 'namespaced';
    const key = `${kind}/${ref.name}/${ref.template}`;
    const wt = ctx.lookupWorkflowTemplate(ref.name, !!ref.clusterScope);
    const stored = ctx.storedTemplates[key];
    const tmpl = stored ?? wt?.spec.templates?.find((t) => t.name === ref.template);
    if (!wt && !stored) throw new OperateError(`${ref.clusterScope ? 'ClusterWorkflowTemplate' : 'WorkflowTemplate'} '${ref.name}' not found`);
    if (!tmpl) throw new OperateError(`template ${ref.template} not found in ${ref.clusterScope ? 'ClusterWorkflowTemplate' : 'WorkflowTemplate'} '${ref.name}'`);
    ctx.storedTemplates[key] = tmpl;
    const templates = wt?.spec.templates ?? [tmpl];
    return { tmpl, scope: { key: `${kind}/${ref.name}`, templates }, ref };
  }
  const name = h.template;
  if (!name) throw new OperateError('template name cannot be empty');
  const tmpl = scope.templates.find((t) => t.name === name);
  if (!tmpl) throw new OperateError(`template ${name} not found`);
  return { tmpl, scope };
}

/** Binds arguments to a template's inputs: argument, else the input's value/default/configMap; enum checked. */
export function bindInputs(ctx: Ctx, tmpl: Template, args: Arguments | undefined, outer: Scope | (() => Scope) = ctx.global): { inputs: Inputs; scope: Scope } {
  const scope: Scope = {};
  const params: Parameter[] = [];
  for (const p of tmpl.inputs?.parameters ?? []) {
    const a = args?.parameters?.find((x) => x.name === p.name);
    let v: unknown = a?.value ?? (a?.valueFrom ? fromValueFrom(ctx, a) : undefined);
    // a reference to the output of a step/task that did not run (Skipped) falls back to the input's default
    if (typeof v === 'string' && (p.default !== undefined || p.value !== undefined) && /\{\{\s*(steps|tasks)\./.test(v)) {
      try {
        assertResolved(v);
      } catch {
        v = undefined;
      }
    }
    if (v === undefined) v = p.value ?? (p.valueFrom ? fromValueFrom(ctx, p) : undefined) ?? p.default;
    if (v === undefined) throw new OperateError(`inputs.parameters.${p.name} was not supplied`);
    // a value may use globals, earlier inputs and expressions ({{=…}})
    const s = typeof v === 'string' && v.includes('{{') ? substitute(v, { ...(typeof outer === 'function' ? outer() : outer), ...scope }) : str(v);
    if (p.enum && p.enum.length && !p.enum.map(String).includes(s)) throw new OperateError(`inputs.parameters.${p.name} value '${s}' is not present in the enum list`);
    params.push({ name: p.name, value: s });
    scope[`inputs.parameters.${p.name}`] = s;
  }
  let outerScope: Scope | undefined;
  const artifacts = (tmpl.inputs?.artifacts ?? []).map((declared) => {
    // the template's own artifact location may use globals and the inputs' parameters (`key: "{{workflow.name}}/results"`)
    const art = mentions(declared, '{{') ? substituteDeep(declared, { ...(outerScope ??= typeof outer === 'function' ? outer() : outer), ...scope }) : declared;
    const a = args?.artifacts?.find((x) => x.name === art.name);
    if (!a) return art;
    const bound: Artifact = { ...art, ...a, path: art.path };
    // `from: "{{steps.X.outputs.artifacts.Y}}"` was substituted with the artifact's JSON: take its location
    for (const k of ['from', 'fromExpression'] as const) {
      const location = artifactLocation(bound[k]);
      if (!location) continue;
      Object.assign(bound, location);
      delete bound[k];
    }
    return bound;
  });
  for (const a of artifacts) {
    if (a.path) scope[`inputs.artifacts.${a.name}.path`] = a.path;
    // the artifact itself, for a `from:` that forwards it to a child (`from: "{{inputs.artifacts.seed}}"`)
    scope[`inputs.artifacts.${a.name}`] = JSON.stringify(a);
  }
  if (params.length) scope['inputs.parameters'] = JSON.stringify(params);
  const inputs: Inputs = {};
  if (params.length) inputs.parameters = params;
  if (artifacts.length) inputs.artifacts = artifacts;
  return { inputs, scope };
}

export function fromValueFrom(ctx: Ctx, p: Parameter): string | undefined {
  const vf = p.valueFrom!;
  if (vf.configMapKeyRef) {
    // the ConfigMap's name and key may be variables (`name: '{{ workflow.parameters.cm-name }}'`)
    const name = substitute(vf.configMapKeyRef.name, ctx.global);
    const key = substitute(vf.configMapKeyRef.key, ctx.global);
    const v = ctx.configMaps[name]?.[key];
    if (v === undefined && vf.default === undefined && !vf.configMapKeyRef.optional) {
      throw new OperateError(`unable to retrieve parameter ${p.name} from ConfigMap ${name} key ${key}`);
    }
    return v ?? vf.default;
  }
  if (vf.expression !== undefined) return str(toPlain(evaluateArgo(vf.expression, exprEnv(ctx.global))));
  return vf.default;
}

function errorNode(ctx: Ctx, nodeName: string, o: ExecOpts, message: string, templateName?: string): NodeStatus {
  ctx.execErrors.set(nodeName, message);
  const n = ctx.init(nodeName, 'Pod', { displayName: o.displayName, boundaryID: o.boundaryID, parentId: o.parentId, templateName, phase: 'Error', message });
  if (!isFulfilled(n)) ctx.finish(n, 'Error', message);
  return n;
}

/** Walks one node; undefined when it could not start yet (parallelism). */
export function executeTemplate(ctx: Ctx, nodeName: string, h: TemplateHolder, args: Arguments | undefined, o: ExecOpts): NodeStatus | undefined {
  const existing = ctx.get(nodeName);
  if (existing && (isFulfilled(existing) || ctx.walked.has(existing.id))) return existing;
  const maxDepth = ctx.config.maxDepth ?? 100;
  if (o.depth > maxDepth) return errorNode(ctx, nodeName, o, `Maximum recursion depth exceeded (${maxDepth} levels of nested templates)`, h.template);
  let resolved: ReturnType<typeof resolveTemplate>;
  let bound: ReturnType<typeof bindInputs>;
  try {
    resolved = resolveTemplate(ctx, h, o.scope);
    bound = bindInputs(ctx, resolved.tmpl, args, () => ({ ...ctx.global, ...(o.extra ?? {}) }));
  } catch (e) {
    return errorNode(ctx, nodeName, o, (e as Error).message, h.template ?? h.templateRef?.template);
  }
  const raw = resolved.tmpl;
  const kind = templateKind(raw);
  const common = { displayName: o.displayName, boundaryID: o.boundaryID, parentId: o.parentId, templateName: h.templateRef ? undefined : raw.name ?? h.template, templateRef: resolved.ref, scope: resolved.scope.key };
  const podLike = kind !== undefined && kind !== 'steps' && kind !== 'dag' && kind !== 'suspend';
  // a pod template with no `{{` substitutes nothing: its scope (the globals, hundreds of names in a large
  // workflow) is not built for it
  const scope: Scope = podLike && !mentions(raw, '{{') ? {} : { ...ctx.global, ...(o.extra ?? {}), ...bound.scope, 'node.name': nodeName };
  if (podLike) {
    scope['pod.name'] = ctx.podName(nodeName, common.templateName ?? resolved.ref?.template);
    for (const p of raw.outputs?.parameters ?? []) if (p.valueFrom?.path) scope[`outputs.parameters.${p.name}.path`] = p.valueFrom.path;
    for (const a of raw.outputs?.artifacts ?? []) if (a.path) scope[`outputs.artifacts.${a.name}.path`] = a.path;
  }
  if (!kind) return errorNode(ctx, nodeName, o, `template '${raw.name ?? ''}' must specify exactly one of container, script, resource, suspend, steps, dag, data, http, containerSet, plugin`);

  let tmpl: Template;
  try {
    // steps/dag bodies keep references to sibling outputs and items; those resolve per step/task. So do the
    // workflow's global outputs there: a step sees the latest one, set by an earlier step (of this pass too)
    const bodyScope = (kind === 'steps' || kind === 'dag') && (ctx.globalOutputs.length || ctx.globalArtifacts.length)
      ? Object.fromEntries(Object.entries(scope).filter(([k]) => !k.startsWith('workflow.outputs.')))
      : scope;
    tmpl = substituteDeep(raw, bodyScope);
  } catch (e) {
    return errorNode(ctx, nodeName, o, `${raw.name}: ${(e as Error).message}`);
  }

  // template-level synchronization: the node waits, Pending, until it holds its locks (a retry's attempts run under
  // their Retry node's)
  if (tmpl.synchronization && !o.retryChild) {
    const wait = takeLocks(ctx, nodeName, tmpl.synchronization);
    if (wait !== undefined) {
      const type: NodeType = kind === 'steps' ? 'Steps' : kind === 'dag' ? 'DAG' : kind === 'suspend' ? 'Suspend' : tmpl.retryStrategy ? 'Retry' : kind === 'http' ? 'HTTP' : 'Pod';
      const n = existing ?? ctx.init(nodeName, type, { ...common, phase: 'Pending' });
      if (!existing) setInputs(n, bound.inputs);
      n.message = wait;
      return n;
    }
    if (existing && isWaitingForLock(existing)) {
      // (a pod's node stops waiting when its pod is requested: parallelism may hold it back yet)
      if (!podLike || tmpl.retryStrategy) delete existing.message;
      else ctx.lockedNow.add(nodeName);
    }
  }

  if (tmpl.retryStrategy && !o.retryChild && kind !== 'suspend') return executeRetry(ctx, nodeName, h, args, o, tmpl, common);

  if (podLike && !existing && (o.retryChild || !tmpl.retryStrategy)) {
    try {
      const { outputs: _o, metrics: _m, ...body } = tmpl;
      assertResolved(JSON.stringify(body));
    } catch (e) {
      return errorNode(ctx, nodeName, o, (e as Error).message, common.templateName);
    }
  }
  // template activeDeadlineSeconds, or `timeout` (counted from the node's start, Pending included)
  const active = parseDuration(tmpl.activeDeadlineSeconds as string | number | undefined);
  const deadline = active ?? (podLike ? parseDuration(tmpl.timeout) : undefined);
  const childOpts = { scope: resolved.scope, depth: o.depth + 1 };
  let node: NodeStatus | undefined;
  // a memoized Steps or DAG template: a fresh cache entry answers it without running its children (a pod
  // template's cache is looked up where its pod would be created)
  let memoHit = false;
  const memo = (kind === 'steps' || kind === 'dag') && !existing && tmpl.memoize ? memoOf(tmpl) : undefined;
  if (memo) {
    const hit = lookup(memo, ctx.configMaps[memo.cacheName], new Date(ctx.nowMs));
    node = ctx.init(nodeName, kind === 'steps' ? 'Steps' : 'DAG', common);
    node.memoizationStatus = { hit: !!hit, key: memo.key, cacheName: memo.cacheName };
    if (hit) {
      setInputs(node, bound.inputs);
      if (hit.outputs && Object.keys(hit.outputs).length) node.outputs = hit.outputs;
      ctx.finish(node, 'Succeeded');
      memoHit = true;
    }
  }
  if (!memoHit) switch (kind) {
    case 'steps':
      node = ctx.init(nodeName, 'Steps', common);
      setInputs(node, bound.inputs);
      executeSteps(ctx, node, tmpl, scope, childOpts);
      break;
    case 'dag':
      node = ctx.init(nodeName, 'DAG', common);
      setInputs(node, bound.inputs);
      executeDAG(ctx, node, tmpl, scope, childOpts);
      break;
    case 'suspend':
      node = ctx.init(nodeName, 'Suspend', common);
      setInputs(node, bound.inputs);
      executeSuspend(ctx, node, tmpl);
      break;
    default:
      node = executePod(ctx, nodeName, tmpl, kind, bound.inputs, common, deadline, active !== undefined, !!o.resultWanted, o.retry);
      if (node && !isFulfilled(node)) ctx.walked.add(node.id);
  }
  // a memoized Steps or DAG template that succeeded in this pass: later nodes of the pass see its cache entry (the
  // controller writes it to the ConfigMap after the pass)
  const ms = node?.memoizationStatus as { hit?: boolean; key?: string; cacheName?: string } | undefined;
  if (node && ms && !ms.hit && ms.cacheName && ms.key !== undefined && node.phase === 'Succeeded' && (kind === 'steps' || kind === 'dag')) {
    ctx.configMaps[ms.cacheName] = { ...(ctx.configMaps[ms.cacheName] ?? {}), [cacheKey(ms.key)]: entry(node.id, node.outputs, new Date(ctx.nowMs)) };
  }
  if (node && isFulfilled(node)) {
    ctx.recordGlobalOutputs(tmpl.outputs?.parameters, node.outputs);
    ctx.recordGlobalArtifacts(tmpl.outputs?.artifacts, node.outputs);
  }
  // custom metrics: when the node is fulfilled in this pass (it was not when the pass began), and realtime gauges
  // while it runs
  if (node && tmpl.metrics && (isFulfilled(node) || node.startedAt)) {
    const ms = nodeMetricScope(node, { ...ctx.global, ...(o.extra ?? {}), ...bound.scope }, ctx.nowMs);
    const r = evaluateMetrics(tmpl.metrics, ms, node, !isFulfilled(node));
    ctx.metrics.push(...r.emit);
    ctx.metricErrors.push(...r.errors.map((e) => `node ${nodeName}: ${e}`));
  }
  return node;
}

function setInputs(n: NodeStatus, inputs: Inputs): void {
  if ((inputs.parameters?.length || inputs.artifacts?.length) && !n.inputs) n.inputs = inputs;
}

type Common = { displayName?: string; boundaryID?: string; parentId?: string; templateName?: string; templateRef?: TemplateRef; scope: string };

/** Whether a node waits for a template-level lock (upstream's message: "Waiting for <lock> lock. Lock status: …"). */
export function isWaitingForLock(n: NodeStatus): boolean {
  return n.phase === 'Pending' && !!n.message?.startsWith('Waiting for ') && n.message.includes(' lock. Lock status: ');
}

/** Takes a template's locks for a node, all or none: undefined when held, else why the node waits. */
function takeLocks(ctx: Ctx, nodeName: string, sync: unknown): string | undefined {
  const ns = ctx.wf.metadata.namespace ?? '';
  const r = workflowLocks(sync, ns, (cmNs, name) => (cmNs === ns && ctx.configMaps[name] ? { data: ctx.configMaps[name] } : undefined));
  if (r.error) return r.error;
  const nodeId = ctx.id(nodeName);
  const taken: NodeLock[] = [];
  for (const l of r.locks) {
    const got = ctx.acquireLock ? ctx.acquireLock(l, nodeId) : { ok: true, held: 1 };
    if (!got.ok) {
      // (what was taken before is not kept: the controller releases what no node holds after the pass)
      ctx.locksWaited.push({ lock: l.name, kind: l.kind, nodeId });
      return `Waiting for ${l.name} lock. Lock status: ${Math.max(0, l.limit - got.held)}/${l.limit}`;
    }
    taken.push({ lock: l.name, kind: l.kind, nodeId });
  }
  ctx.locksHeld.push(...taken);
  return undefined;
}

/**
 * How long after a template's activeDeadlineSeconds the controller ends a pod that has not ended itself: the pod's
 * own activeDeadlineSeconds ends it (its node then Failed with the pod's "Pod was active on the node longer than the
 * specified deadline", the pod kept, as upstream's); this is for a node agent that does not.
 */
const POD_DEADLINE_GRACE_S = 30;

function executePod(ctx: Ctx, nodeName: string, tmpl: Template, kind: PodToCreate['kind'], inputs: Inputs, common: Common, deadline: number | undefined, podEnforced = false, includeResult = false, retry?: ExecOpts['retry']): NodeStatus | undefined {
  let node = ctx.get(nodeName);
  // a node that waited for its lock and has it now: its pod is requested as a new node's is
  const lockedNow = !!node && ctx.lockedNow.has(nodeName) && !ctx.pods[node.id];
  if (!node || lockedNow) {
    if (ctx.stopping && !(ctx.inExitHandler && ctx.stopping.allowExit)) {
      const n = ctx.init(nodeName, kind === 'http' ? 'HTTP' : 'Pod', { ...common, phase: 'Failed', message: ctx.stopping.message });
      return n;
    }
    if (ctx.spec.suspend && !ctx.inExitHandler) return undefined; // a suspended workflow starts nothing new
    const limits = [ctx.spec.parallelism, ctx.config.parallelism].filter((x): x is number => typeof x === 'number' && x > 0);
    if (limits.some((l) => ctx.activePods >= l)) return undefined;
    if (node) delete node.message;
    node ??= ctx.init(nodeName, kind === 'http' ? 'HTTP' : kind === 'plugin' ? 'Plugin' : 'Pod', { ...common, phase: 'Pending' });
    node.progress = '0/1';
    setInputs(node, inputs);
    ctx.activePods++;
    const req: PodToCreate = { nodeId: node.id, nodeName, podName: ctx.podName(nodeName, common.templateName ?? common.templateRef?.template), kind, template: tmpl };
    if (common.templateName) req.templateName = common.templateName;
    if (common.templateRef) req.templateRef = common.templateRef;
    if (inputs.parameters || inputs.artifacts) req.inputs = inputs;
    if (includeResult) req.includeScriptOutput = true;
    const sa = tmpl.serviceAccountName ?? ctx.spec.serviceAccountName;
    if (sa) req.serviceAccountName = sa;
    if (deadline !== undefined) req.activeDeadlineSeconds = deadline;
    if (retry?.deadlineMs !== undefined) {
      const left = Math.max(1, Math.ceil((retry.deadlineMs - ctx.nowMs) / 1000));
      if (req.activeDeadlineSeconds === undefined || left < req.activeDeadlineSeconds) req.activeDeadlineSeconds = left;
    }
    if (retry?.avoidHosts?.length) {
      req.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'NotIn', values: retry.avoidHosts }] }] } } };
    }
    // the workflow's podSpecPatch is the workflow's, not the template's: its variables are the globals
    const wfPatch = ctx.spec.podSpecPatch;
    if (typeof wfPatch === 'string' && wfPatch.includes('{{')) req.podSpecPatch = substitute(wfPatch, { ...ctx.global, 'node.name': nodeName, 'pod.name': req.podName });
    ctx.podsToCreate.push(req);
    return node;
  }
  const obs = ctx.pods[node.id];
  const pod = ctx.podName(nodeName, node.templateName ?? node.templateRef?.template);
  if (ctx.stopping && !(ctx.inExitHandler && ctx.stopping.allowExit) && (!obs || obs.phase === 'Pending' || obs.phase === 'Running')) {
    ctx.podsToDelete.add(pod);
    return ctx.finish(node, 'Failed', ctx.stopping.message);
  }
  // a template's `timeout` is the controller's to enforce (Pending included); its activeDeadlineSeconds the pod's
  const limit = deadline === undefined ? undefined : deadline + (podEnforced ? POD_DEADLINE_GRACE_S : 0);
  if (limit !== undefined && node.startedAt && ctx.nowMs >= Date.parse(node.startedAt) + limit * 1000 && (!obs || obs.phase === 'Pending' || obs.phase === 'Running')) {
    ctx.podsToDelete.add(pod);
    return ctx.finish(node, 'Failed', 'Step exceeded its deadline');
  }
  if (limit !== undefined && node.startedAt) ctx.requeue((Date.parse(node.startedAt) + limit * 1000 - ctx.nowMs) / 1000);
  if (!obs) {
    if (ctx.observedAll && node.phase === 'Running') {
      ctx.activePods--;
      return ctx.finish(node, 'Error', 'pod deleted');
    }
    return node;
  }
  if (obs.hostNodeName) node.hostNodeName = obs.hostNodeName;
  if (obs.podIP) node.podIP = obs.podIP;
  if (obs.progress && /^\d+\/\d+$/.test(obs.progress)) node.progress = obs.progress;
  if (obs.phase === 'Pending' || obs.phase === 'Running') {
    if (obs.phase === 'Running') node.phase = 'Running';
    if (tmpl.daemon && obs.phase === 'Running') {
      node.daemoned = true;
      node.outputs = obs.outputs ?? node.outputs;
    }
    if (obs.message) node.message = obs.message;
    // (why it waited is gone once the pod runs)
    else if (node.message && /^(Unschedulable|[A-Z][A-Za-z]+BackOff)\b/.test(node.message)) delete node.message;
    return node;
  }
  const outputs: Outputs = { ...(obs.outputs ?? {}) };
  if (obs.exitCode !== undefined) outputs.exitCode = String(obs.exitCode);
  if (Object.keys(outputs).length) node.outputs = outputs;
  if (obs.resourcesDuration) node.resourcesDuration = obs.resourcesDuration;
  ctx.activePods--;
  if (obs.phase === 'Succeeded') return ctx.finish(node, 'Succeeded', obs.message ?? '');
  const msg = obs.message ?? (obs.exitCode !== undefined ? `Error (exit code ${obs.exitCode})` : obs.phase === 'Error' ? 'pod errored' : 'pod failed');
  return ctx.finish(node, obs.phase, msg);
}

function executeSuspend(ctx: Ctx, node: NodeStatus, tmpl: Template): void {
  if (isFulfilled(node)) return;
  if (ctx.stopping && !(ctx.inExitHandler && ctx.stopping.allowExit)) {
    ctx.finish(node, 'Failed', ctx.stopping.message);
    return;
  }
  const d = parseDuration(tmpl.suspend?.duration);
  if (d === undefined) return; // until resumed (the resume writes the node's phase)
  const until = Date.parse(node.startedAt ?? ctx.nowISO) + d * 1000;
  if (ctx.nowMs >= until) {
    // the duration is up and nobody resumed it with values: each output its default (or value); one to be supplied
    // with neither fails the node, as upstream's does
    if (!node.outputs) {
      const params = [];
      for (const p of tmpl.outputs?.parameters ?? []) {
        const v = p.valueFrom?.default ?? p.value;
        if (v === undefined && p.valueFrom?.supplied !== undefined) {
          ctx.finish(node, 'Failed', `raw output parameter '${p.name}' has not been set and does not have a default value`);
          return;
        }
        params.push({ name: p.name, value: str(v ?? '') });
      }
      if (params.length) node.outputs = { parameters: params };
    }
    ctx.finish(node, 'Succeeded');
  } else ctx.requeue((until - ctx.nowMs) / 1000);
}

function shouldRetry(policy: string | undefined, phase: string, daemoned = false): boolean {
  switch (policy ?? 'OnFailure') {
    case 'Always': return phase === 'Failed' || phase === 'Error';
    case 'OnError': return phase === 'Error';
    case 'OnTransientError': return phase === 'Error';
    // a daemon that was up and went away (its pod deleted: Error) is started again, as upstream's daemon retries
    default: return phase === 'Failed' || (daemoned && phase === 'Error');
  }
}

function executeRetry(ctx: Ctx, nodeName: string, h: TemplateHolder, args: Arguments | undefined, o: ExecOpts, tmpl: Template, common: Common, started = false): NodeStatus | undefined {
  const rs = tmpl.retryStrategy!;
  const node = ctx.init(nodeName, 'Retry', common);
  const children = attemptsOf(ctx.nodes, node);
  const limitRaw = rs.limit === undefined ? undefined : Number(rs.limit);
  if (limitRaw !== undefined && !Number.isFinite(limitRaw)) return ctx.finish(node, 'Error', `retryStrategy.limit: invalid value ${JSON.stringify(rs.limit)}`);
  const last = children.length ? ctx.nodes[children[children.length - 1]!] : undefined;
  const start = (n: number) => {
    const prev = n > 0 ? ctx.nodes[children[n - 1]!] : undefined;
    const lastRetry = {
      'lastRetry.exitCode': prev?.outputs?.exitCode ?? '', 'lastRetry.status': prev?.phase ?? '',
      'lastRetry.duration': prev ? String(durationSeconds(prev)) : '0', 'lastRetry.message': prev?.message ?? '',
    };
    const child = executeTemplate(ctx, `${nodeName}(${n})`, h, args, {
      ...o, retryChild: true, parentId: node.id, displayName: `${o.displayName ?? nodeName}(${n})`, extra: { ...(o.extra ?? {}), ...lastRetry, retries: String(n) },
      retry: attemptConstraints(ctx, rs, children, n),
    });
    flagNode(child, 'retried');
    // at most one new attempt per pass (an attempt that fails at once must not loop here)
    if (child && isFulfilled(child)) return executeRetry(ctx, nodeName, h, args, o, tmpl, common, true);
    return node;
  };
  if (!last) return start(0);
  if (!isFulfilled(last)) {
    // walk the running attempt again so its pod state is picked up
    const again = executeTemplate(ctx, last.name, h, args, { ...o, retryChild: true, parentId: node.id, displayName: last.displayName, extra: { ...(o.extra ?? {}), retries: String(children.length - 1) } });
    if (again?.podIP) node.podIP = again.podIP;
    if (again?.daemoned && again.phase === 'Running') {
      node.daemoned = true;
      if (again.outputs) node.outputs = again.outputs;
    }
    if (!again || !isFulfilled(again)) return node;
    return executeRetry(ctx, nodeName, h, args, o, tmpl, common, started);
  }
  if (last.phase === 'Succeeded' || last.phase === 'Skipped') {
    if (last.outputs) node.outputs = last.outputs;
    return ctx.finish(node, 'Succeeded');
  }
  const attempts = children.length;
  let retry = shouldRetry(rs.retryPolicy, last.phase, !!last.daemoned) && (limitRaw === undefined || attempts <= limitRaw) && !ctx.stopping;
  if (retry && rs.expression) {
    const env = exprEnv({ ...ctx.global, 'lastRetry.exitCode': last.outputs?.exitCode ?? '-1', 'lastRetry.status': last.phase, 'lastRetry.message': last.message ?? '', 'lastRetry.duration': String(durationSeconds(last)) });
    try {
      retry = evaluateArgo(rs.expression, env) === true;
    } catch (e) {
      return ctx.finish(node, 'Error', `retryStrategy.expression: ${(e as Error).message}`);
    }
  }
  if (!retry) {
    if (last.outputs) node.outputs = last.outputs;
    return ctx.finish(node, last.phase, limitRaw !== undefined && attempts > limitRaw ? 'No more retries left' : last.message);
  }
  const b = rs.backoff;
  if (b) {
    const base = parseDuration(b.duration) ?? 0;
    const factor = b.factor === undefined ? 1 : Number(b.factor);
    let wait = base * Math.pow(factor, attempts - 1);
    const cap = parseDuration(b.cap);
    if (cap !== undefined) wait = Math.min(wait, cap);
    const max = parseDuration(b.maxDuration);
    const first = ctx.nodes[children[0]!]?.startedAt ?? node.startedAt;
    if (max !== undefined && first && ctx.nowMs - Date.parse(first) >= max * 1000) {
      return ctx.finish(node, last.phase, 'Max duration limit exceeded');
    }
    const readyAt = Date.parse(last.finishedAt ?? ctx.nowISO) + wait * 1000;
    if (ctx.nowMs < readyAt) {
      node.message = `Backoff for ${fmtDuration(wait)}`;
      ctx.requeue((readyAt - ctx.nowMs) / 1000);
      return node;
    }
    delete node.message;
  }
  if (started) {
    ctx.requeue(1);
    return node;
  }
  return start(attempts);
}

/**
 * What a retry's attempt `n` must respect, as upstream's: the hosts of the earlier attempts when
 * `affinity.nodeAntiAffinity` is set (its pod may not run there), and from the second attempt on the end of
 * `backoff.maxDuration`, counted from the first attempt's start (its pod's activeDeadlineSeconds ends there).
 */
function attemptConstraints(ctx: Ctx, rs: NonNullable<Template['retryStrategy']>, children: string[], n: number): ExecOpts['retry'] {
  const out: NonNullable<ExecOpts['retry']> = {};
  const earlier = children.slice(0, n).map((id) => ctx.nodes[id]).filter((x): x is NodeStatus => !!x);
  const aff = (rs as { affinity?: { nodeAntiAffinity?: unknown } }).affinity;
  if (aff?.nodeAntiAffinity !== undefined) {
    const hosts = [...new Set(earlier.map((x) => x.hostNodeName).filter((x): x is string => !!x))];
    if (hosts.length) out.avoidHosts = hosts;
  }
  const max = parseDuration(rs.backoff?.maxDuration);
  const first = earlier[0]?.startedAt;
  if (max !== undefined && n > 0 && first) out.deadlineMs = Date.parse(first) + max * 1000;
  return out.avoidHosts || out.deadlineMs !== undefined ? out : undefined;
}

function durationSeconds(n: NodeStatus): number {
  if (!n.startedAt || !n.finishedAt) return 0;
  return (Date.parse(n.finishedAt) - Date.parse(n.startedAt)) / 1000;
}

function fmtDuration(s: number): string {
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return `${m}m${s - m * 60}s`;
}

