// dag templates: tasks start when their `depends` / `dependencies` are decided; fan-out through TaskGroup nodes.
import type { DAGTask, NodeStatus, Template } from '../types.js';
import type { Ctx, TemplateScope } from './context.js';
import { dependenciesToDepends, type DependNode, dependsTasks, type DependResult, evalDepends, parseDepends } from './depends.js';
import { executeTemplate, resultWanted } from './execute.js';
import { addNodeVars, evalWhen, expand, resolveTemplateOutputs, skippedOutputs } from './fanout.js';
import { erroredHook, runStepHooks } from './hooks.js';
import { isDone, isFulfilled } from './model.js';
import { failFastMessage, failedUnhandled, outbound, tryResolve } from './steps.js';
import { mentions, type Scope, substituteDeep } from './vars.js';

export function taskDepends(t: DAGTask): DependNode | undefined {
  const src = t.depends ?? (t.dependencies?.length ? dependenciesToDepends(t.dependencies) : undefined);
  return src ? parseDepends(src) : undefined;
}

function testResult(n: NodeStatus | undefined, task: DAGTask | undefined, r: DependResult, ctx: Ctx): boolean {
  if (!n) return false;
  const kids = n.type === 'TaskGroup' ? (n.children ?? []).map((c) => ctx.nodes[c]!).filter(Boolean) : [n];
  switch (r) {
    case 'Succeeded': return n.phase === 'Succeeded' || (!!task && (n.phase === 'Failed' || n.phase === 'Error') && !failedUnhandled(n, task));
    case 'Failed': return n.phase === 'Failed';
    case 'Errored': return n.phase === 'Error';
    case 'Skipped': return n.phase === 'Skipped';
    case 'Omitted': return n.phase === 'Omitted';
    case 'Daemoned': return !!n.daemoned;
    case 'Completed': return n.phase === 'Succeeded' || n.phase === 'Failed';
    case 'AnySucceeded': return kids.some((k) => k.phase === 'Succeeded');
    case 'AllFailed': return kids.length > 0 && kids.every((k) => k.phase === 'Failed');
  }
}

export function executeDAG(ctx: Ctx, node: NodeStatus, tmpl: Template, scope: Scope, o: { scope: TemplateScope; depth: number }): void {
  if (isFulfilled(node)) return;
  const dag = tmpl.dag!;
  const tasks = dag.tasks ?? [];
  const byName = new Map(tasks.map((t) => [t.name, t]));
  const deps = new Map<string, DependNode | undefined>();
  try {
    for (const t of tasks) deps.set(t.name, taskDepends(t));
  } catch (e) {
    ctx.finish(node, 'Error', (e as Error).message);
    return;
  }
  // target tasks and their ancestors
  let wanted = tasks.map((t) => t.name);
  const target = dag.target ? String(dag.target).split(/[\s,]+/).filter(Boolean) : undefined;
  if (target?.length) {
    const keep = new Set<string>();
    const visit = (n: string) => {
      if (keep.has(n) || !byName.has(n)) return;
      keep.add(n);
      const d = deps.get(n);
      if (d) for (const x of dependsTasks(d)) visit(x);
    };
    target.forEach(visit);
    wanted = wanted.filter((n) => keep.has(n));
  }
  const depNamesOf = new Map<string, string[]>();
  for (const t of tasks) { const d = deps.get(t.name); depNamesOf.set(t.name, d ? [...dependsTasks(d)] : []); }
  const handled = new Set<string>(); // tasks whose failure a dependent's `depends` expects
  for (const t of tasks) {
    const d = deps.get(t.name);
    if (t.depends && d) collectExplicit(d, handled);
  }
  const local: Scope = { ...scope };
  const names = new Map<string, string>();
  const nameOf = (t: string) => {
    let n = names.get(t);
    if (n === undefined) names.set(t, (n = `${node.name}.${t}`));
    return n;
  };
  const failFast = dag.failFast ?? tmpl.failFast ?? true;
  // variables of finished tasks (`tasks.A.outputs.result` …) for their dependents and the outputs
  const added = new Set<string>();
  // (a DAG whose tasks, hooks and outputs never name `tasks.…` needs none: a wide DAG skips hundreds of names a pass)
  const needVars = mentions(tmpl, 'tasks.') || mentions(tmpl, 'tasks[');
  const addVars = (tn: string) => {
    if (!needVars || added.has(tn)) return;
    const n = ctx.get(nameOf(tn));
    if (!n || !isDone(n)) return;
    // a daemoned task's variables (its ip) are there while it runs, and set again once it ends
    if (isFulfilled(n)) added.add(tn);
    const kids = n.type === 'TaskGroup' ? (n.children ?? []).map((c) => ctx.nodes[c]!).filter(Boolean) : [n];
    addNodeVars(local, 'tasks', tn, kids, n.type === 'TaskGroup');
  };
  const addTaskVars = () => wanted.forEach(addVars);
  let progressed = true;
  let guard = 0;
  let running = 0;
  // a finished task's exit hook (`hooks.exit`, `onExit`) still running: the DAG is not done until it is
  let hooksPending = false;
  const hasHooks = (t: DAGTask) => !!(t.hooks || t.onExit);
  while (progressed && guard++ <= tasks.length + 1) {
    progressed = false;
    running = 0;
    hooksPending = false;
    addTaskVars();
    const failedNow = wanted.some((t) => { const n = ctx.get(nameOf(t)); return !!n && isFulfilled(n) && failedUnhandled(n, byName.get(t)!) && !handled.has(t); });
    for (const tn of wanted) {
      const task = byName.get(tn)!;
      const name = nameOf(tn);
      const existing = ctx.get(name);
      // a fulfilled task is walked again only for its hooks (nothing else of it runs); a daemoned one is walked
      // (its pod may fail, and its retryStrategy start another)
      const wasDone = !!existing && isDone(existing);
      if (wasDone && isFulfilled(existing) && !hasHooks(task)) continue;
      const d = deps.get(tn);
      const depNames = depNamesOf.get(tn)!;
      if (depNames.some((x) => !isDone(ctx.get(nameOf(x))))) continue;
      if (!existing && failFast && failedNow) continue;
      if (!existing && d && !evalDepends(d, (x, r) => testResult(ctx.get(nameOf(x)), byName.get(x), r, ctx))) {
        ctx.init(name, 'Skipped', { displayName: tn, boundaryID: node.id, parentId: node.id, phase: 'Omitted', message: 'omitted: depends condition not met', templateName: task.template });
        progressed = true;
        continue;
      }
      const parentIds = depNames.length ? depNames.flatMap((x) => outbound(ctx, ctx.get(nameOf(x)))) : [node.id];
      ctx.refreshGlobals(local);
      const sc: Scope = local;
      let ex: ReturnType<typeof expand>;
      try {
        ex = expand(task, name, sc);
      } catch (e) {
        ctx.finish(node, 'Error', (e as Error).message);
        return;
      }
      let group: NodeStatus | undefined;
      if (ex.fannedOut) {
        group = ctx.init(name, ex.items.length ? 'TaskGroup' : 'Skipped', { displayName: tn, boundaryID: node.id, phase: ex.items.length ? 'Running' : 'Skipped', message: ex.items.length ? undefined : 'Skipped, empty params', templateName: task.template });
        for (const p of parentIds) ctx.link(p, group.id);
        if (!ex.items.length) { progressed = true; continue; }
      }
      let complete = true;
      let failed: NodeStatus | undefined;
      for (const it of ex.items) {
        const isc: Scope = it.item ? { ...sc, ...it.item } : sc;
        let child = ctx.get(it.name);
        if (!child && task.when !== undefined) {
          let ok: boolean;
          try {
            ok = evalWhen(task.when, isc);
          } catch (e) {
            ctx.finish(node, 'Error', (e as Error).message);
            return;
          }
          if (!ok) {
            child = ctx.init(it.name, 'Skipped', { displayName: it.display, boundaryID: node.id, phase: 'Skipped', message: `when '${substituteDeep(task.when, isc)}' evaluated false`, templateName: task.template });
            child.outputs ??= skippedOutputs(tryResolve(ctx, task, o.scope));
          }
        }
        if (!child || !isFulfilled(child)) {
          if (tmpl.parallelism && !child && running >= tmpl.parallelism) { complete = false; continue; }
          child = executeTemplate(ctx, it.name, task, substituteDeep(task.arguments, isc), { displayName: it.display, boundaryID: node.id, scope: o.scope, depth: o.depth, extra: { ...(it.item ?? {}), 'tasks.name': task.name }, resultWanted: resultWanted(tmpl, 'tasks', task.name) });
        }
        if (!child) { complete = false; continue; }
        for (const p of group ? [group.id] : parentIds) ctx.link(p, child.id);
        if (!runStepHooks(ctx, child, task, 'tasks', isc, node.id, o)) {
          complete = false;
          if (!isDone(child)) running++;
          else hooksPending = true;
          continue;
        }
        if (!isDone(child)) { complete = false; running++; continue; }
        if (failedUnhandled(child, task)) failed ??= child;
      }
      if (wasDone) continue;
      if (group && complete) {
        ctx.finish(group, failed ? 'Failed' : 'Succeeded', failed ? `child '${failed.id}' failed` : undefined);
      }
      if (complete) {
        progressed = true;
        addVars(tn);
      }
    }
  }
  addTaskVars();
  const states = wanted.map((t) => ctx.get(nameOf(t)));
  const failedTask = wanted.find((t) => { const n = ctx.get(nameOf(t)); return !!n && isFulfilled(n) && failedUnhandled(n, byName.get(t)!) && !handled.has(t); });
  const allDone = states.every((n) => n && isDone(n));
  const noneRunning = states.every((n) => !n || isDone(n));
  if (!allDone && !(failedTask && failFast && noneRunning)) return;
  if (hooksPending) return;
  // leaves: tasks no other task depends on
  const dependedOn = new Set<string>();
  for (const t of wanted) { const d = deps.get(t); if (d) for (const x of dependsTasks(d)) dependedOn.add(x); }
  node.outboundNodes = wanted.filter((t) => !dependedOn.has(t)).flatMap((t) => outbound(ctx, ctx.get(nameOf(t))));
  if (failedTask) {
    ctx.finish(node, 'Failed', failFastMessage(tmpl) ?? `child '${ctx.id(nameOf(failedTask))}' failed`);
    return;
  }
  // a task's hook that ended Error fails the DAG (continueOn does not cover it)
  for (const t of wanted) {
    const n = ctx.get(nameOf(t));
    if (!n) continue;
    // an expanded task's hooks are its items'
    const items = n.type === 'TaskGroup' ? (n.children ?? []).map((id) => ctx.nodes[id]).filter((x): x is NodeStatus => !!x) : [n];
    const h = items.map((x) => erroredHook(ctx, x, byName.get(t)!)).find(Boolean);
    if (h) {
      ctx.finish(node, 'Failed', `child '${h.id}' failed`);
      return;
    }
  }
  try {
    const outputs = resolveTemplateOutputs(tmpl, local);
    if (outputs) node.outputs = outputs;
  } catch (e) {
    ctx.finish(node, 'Failed', (e as Error).message);
    return;
  }
  ctx.finish(node, 'Succeeded');
}

function collectExplicit(n: DependNode, out: Set<string>): void {
  if (n.kind === 'ref') { if (n.result && n.result !== 'Succeeded') out.add(n.task); }
  else if (n.kind === 'not') collectExplicit(n.x, out);
  else { collectExplicit(n.a, out); collectExplicit(n.b, out); }
}
