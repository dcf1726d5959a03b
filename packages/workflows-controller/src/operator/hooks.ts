// Exit handlers of a step/task (`onExit`, `hooks.exit`) and expression hooks.
import { evaluateArgo } from '@flotilla/expr';
import type { LifecycleHooks, NodeStatus, WorkflowStep } from '../types.js';
import type { Ctx, TemplateScope } from './context.js';
import { executeTemplate } from './execute.js';
import { addNodeVars } from './fanout.js';
import { flagNode, isDone, isFulfilled } from './model.js';
import { exprEnv, type Scope, substituteDeep } from './vars.js';

/** Runs the exit handler of a fulfilled step/task; true when there is none or it is done. */
export function runExitHook(ctx: Ctx, child: NodeStatus, step: WorkflowStep, scope: Scope, boundaryID: string, o: { scope: TemplateScope; depth: number }): boolean {
  const exit = step.hooks?.exit ?? (step.onExit ? { template: step.onExit } : undefined);
  if (!exit) return true;
  const name = `${child.name}.onExit`;
  // terminated (not stopped): exit handlers do not run, and no node is made for them
  if (ctx.stopping && !ctx.stopping.allowExit && !ctx.get(name)) return true;
  const sc: Scope = { ...scope, [`steps.status`]: child.phase, 'tasks.status': child.phase };
  const prev = ctx.inExitHandler;
  ctx.inExitHandler = true;
  const n = executeTemplate(ctx, name, exit, substituteDeep(exit.arguments, sc), { displayName: `${child.displayName}.onExit`, boundaryID, parentId: child.id, scope: o.scope, depth: o.depth, extra: sc });
  ctx.inExitHandler = prev;
  flagNode(n, 'hooked');
  return !!n && isFulfilled(n);
}

/**
 * Lifecycle hooks with an `expression` (any name but `exit`): once the expression (expr language) is true the hook's
 * template runs as `<owner>.hooks.<name>`, once. Returns false while a started hook is unfinished.
 * For a step/task the expression sees `steps.<name>.status` / `tasks.<name>.status`; for the workflow, `workflow.status`.
 */
export function runExpressionHooks(ctx: Ctx, owner: { name: string; id: string; displayName: string }, hooks: LifecycleHooks | undefined, scope: Scope, boundaryID: string | undefined, o: { scope: TemplateScope; depth: number }): boolean {
  let done = true;
  for (const [hookName, hook] of Object.entries(hooks ?? {})) {
    if (hookName === 'exit' || !hook.expression) continue;
    const name = `${owner.name}.hooks.${hookName}`;
    let node = ctx.get(name);
    if (!node && ctx.stopping && !ctx.stopping.allowExit) continue; // terminated: no hook starts
    if (!node) {
      let fire: unknown;
      try {
        fire = evaluateArgo(hook.expression, exprEnv(scope));
      } catch {
        fire = false; // variables not known yet (e.g. the step has not started)
      }
      if (fire !== true) continue;
    }
    if (node && isFulfilled(node)) continue;
    node = executeTemplate(ctx, name, hook, substituteDeep(hook.arguments, scope), { displayName: `${owner.displayName}.hooks.${hookName}`, boundaryID, parentId: owner.id, scope: o.scope, depth: o.depth, extra: scope });
    flagNode(node, 'hooked');
    if (!node || !isFulfilled(node)) done = false;
  }
  return done;
}

/** The step/task hooks of a child node: exit handler when it is done, expression hooks on every pass. */
export function runStepHooks(ctx: Ctx, child: NodeStatus, step: WorkflowStep, prefix: 'steps' | 'tasks', scope: Scope, boundaryID: string, o: { scope: TemplateScope; depth: number }): boolean {
  if (!step.hooks && !step.onExit) return true;
  const sc: Scope = { ...scope, [`${prefix}.${step.name}.status`]: child.phase };
  // a finished step's own variables (`steps.<name>.outputs.artifacts.x` …) are there for its hooks' arguments
  if (isFulfilled(child)) addNodeVars(sc, prefix, step.name, [child], false);
  const hooksDone = runExpressionHooks(ctx, child, step.hooks, sc, boundaryID, o);
  if (!isDone(child)) return hooksDone;
  return runExitHook(ctx, child, step, sc, boundaryID, o) && hooksDone;
}

/**
 * A step's or task's hook that ended `Error` (it could not run: its pod could not start, it timed out Pending…).
 * Such a hook fails the Steps or DAG template, `continueOn` or not; a hook that ended `Failed` is ignored.
 */
export function erroredHook(ctx: Ctx, child: NodeStatus, step: WorkflowStep): NodeStatus | undefined {
  if (!step.hooks && !step.onExit) return undefined;
  const names = Object.entries(step.hooks ?? {}).filter(([k, h]) => k !== 'exit' && h.expression).map(([k]) => `${child.name}.hooks.${k}`);
  if (step.hooks?.exit || step.onExit) names.push(`${child.name}.onExit`);
  for (const n of names) {
    const h = ctx.get(n);
    if (h?.phase === 'Error') return h;
  }
  return undefined;
}
