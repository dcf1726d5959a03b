// steps templates: groups run in order, the steps of a group in parallel.
import type { NodeStatus, Template, WorkflowStep } from '../types.js';
import type { Ctx, TemplateScope } from './context.js';
import { executeTemplate, resolveTemplate, resultWanted } from './execute.js';
import { addNodeVars, evalWhen, expand, resolveTemplateOutputs, skippedOutputs } from './fanout.js';
import { attempts, isDone, isFulfilled } from './model.js';
import { erroredHook, runStepHooks } from './hooks.js';
import { type Scope, substituteDeep } from './vars.js';

export function outbound(ctx: Ctx, n: NodeStatus | undefined): string[] {
  if (!n) return [];
  if (n.type === 'Retry') {
    const last = attempts(ctx.nodes, n).pop();
    return last ? outbound(ctx, ctx.nodes[last]) : [n.id];
  }
  if (n.type === 'TaskGroup') return (n.children ?? []).flatMap((c) => outbound(ctx, ctx.nodes[c]));
  if (n.outboundNodes?.length) return n.outboundNodes;
  return [n.id];
}

export function failedUnhandled(n: NodeStatus, step: WorkflowStep): boolean {
  if (n.phase === 'Failed') return !step.continueOn?.failed;
  if (n.phase === 'Error') return !step.continueOn?.error;
  return false;
}

export function executeSteps(ctx: Ctx, node: NodeStatus, tmpl: Template, scope: Scope, o: { scope: TemplateScope; depth: number }): void {
  if (isFulfilled(node)) return;
  const local: Scope = { ...scope };
  const groups = tmpl.steps ?? [];
  let lastGroupSteps: NodeStatus[] = [];
  for (let i = 0; i < groups.length; i++) {
    const gName = `${node.name}[${i}]`;
    // as upstream: the first group hangs off the steps node, each later group off the outbound nodes of the one before
    const fresh = !ctx.get(gName);
    const g = ctx.init(gName, 'StepGroup', { displayName: `[${i}]`, boundaryID: node.id, parentId: i === 0 ? node.id : undefined, templateName: node.templateName, scope: node.templateScope });
    if (fresh && i > 0) for (const id of lastGroupSteps.flatMap((s) => outbound(ctx, s))) ctx.link(id, g.id);
    let complete = true;
    let failed: NodeStatus | undefined;
    const groupSteps: NodeStatus[] = [];
    let running = 0;
    ctx.refreshGlobals(local);
    for (const step of groups[i] ?? []) {
      const base = `${gName}.${step.name}`;
      let ex: ReturnType<typeof expand>;
      try {
        ex = expand(step, base, local);
      } catch (e) {
        const msg = (e as Error).message;
        ctx.finish(g, 'Error', msg);
        ctx.finish(node, 'Error', msg);
        return;
      }
      const children: NodeStatus[] = [];
      if (ex.fannedOut && ex.items.length === 0) {
        const s = ctx.init(base, 'Skipped', { displayName: step.name, boundaryID: node.id, parentId: g.id, phase: 'Skipped', message: 'Skipped, empty params', templateName: step.template });
        children.push(s);
      }
      for (const it of ex.items) {
        const sc: Scope = it.item ? { ...local, ...it.item } : local;
        let child = ctx.get(it.name);
        if (!child || !isFulfilled(child)) {
          if (step.when !== undefined && !child) {
            let ok: boolean;
            try {
              ok = evalWhen(step.when, sc);
            } catch (e) {
              ctx.finish(g, 'Error', (e as Error).message);
              ctx.finish(node, 'Error', (e as Error).message);
              return;
            }
            if (!ok) {
              child = ctx.init(it.name, 'Skipped', { displayName: it.display, boundaryID: node.id, parentId: g.id, phase: 'Skipped', message: `when '${substituteDeep(step.when, sc)}' evaluated false`, templateName: step.template });
              child.outputs ??= skippedOutputs(tryResolve(ctx, step, o.scope));
            }
          }
          if (!child || !isFulfilled(child)) {
            if (tmpl.parallelism && !child && running >= tmpl.parallelism) { complete = false; continue; }
            child = executeTemplate(ctx, it.name, step, substituteDeep(step.arguments, sc), { displayName: it.display, boundaryID: node.id, parentId: g.id, scope: o.scope, depth: o.depth, extra: { ...(it.item ?? {}), 'steps.name': step.name }, resultWanted: resultWanted(tmpl, 'steps', step.name ?? '') });
          }
        }
        if (!child) { complete = false; continue; }
        children.push(child);
        if (!runStepHooks(ctx, child, step, 'steps', sc, node.id, o)) { complete = false; if (!isDone(child)) running++; continue; }
        if (!isDone(child)) { complete = false; running++; continue; }
        if (failedUnhandled(child, step)) failed ??= child;
        failed ??= erroredHook(ctx, child, step);
      }
      groupSteps.push(...children);
      addNodeVars(local, 'steps', step.name, children, ex.fannedOut);
    }
    if (!complete) return;
    if (failed) {
      const msg = failFastMessage(tmpl) ?? `child '${failed.id}' failed`;
      ctx.finish(g, 'Failed', msg);
      ctx.finish(node, 'Failed', msg);
      node.outboundNodes = groupSteps.flatMap((s) => outbound(ctx, s));
      return;
    }
    if (!isFulfilled(g)) ctx.finish(g, 'Succeeded');
    lastGroupSteps = groupSteps;
  }
  node.outboundNodes = lastGroupSteps.flatMap((s) => outbound(ctx, s));
  try {
    const outputs = resolveTemplateOutputs(tmpl, local);
    if (outputs) node.outputs = outputs;
  } catch (e) {
    ctx.finish(node, 'Failed', (e as Error).message);
    return;
  }
  ctx.finish(node, 'Succeeded');
}

/**
 * The message of a Steps or DAG template with `parallelism` and the template's own `failFast: true` that failed
 * because of a child, as upstream words it; undefined for other templates (they name the child).
 */
export function failFastMessage(tmpl: Template): string | undefined {
  return tmpl.failFast === true && tmpl.parallelism !== undefined ? 'template has failed or errored children and failFast enabled' : undefined;
}

export function tryResolve(ctx: Ctx, step: WorkflowStep, scope: TemplateScope): Template | undefined {
  try {
    return resolveTemplate(ctx, step, scope).tmpl;
  } catch {
    return undefined;
  }
}
