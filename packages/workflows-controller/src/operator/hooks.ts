// Exit handlers of a step/task (`onExit`, `hooks.exit`) and expression hooks.
import type { NodeStatus, WorkflowStep } from '../types.js';
import type { Ctx, TemplateScope } from './context.js';
import { executeTemplate } from './execute.js';
import { isFulfilled } from './model.js';
import { type Scope, substituteDeep } from './vars.js';

/** Runs the exit handler of a fulfilled step/task; true when there is none or it is done. */
export function runExitHook(ctx: Ctx, child: NodeStatus, step: WorkflowStep, scope: Scope, boundaryID: string, o: { scope: TemplateScope; depth: number }): boolean {
  const exit = step.hooks?.exit ?? (step.onExit ? { template: step.onExit } : undefined);
  if (!exit) return true;
  const name = `${child.name}.onExit`;
  const sc: Scope = { ...scope, [`steps.status`]: child.phase, 'tasks.status': child.phase };
  const prev = ctx.inExitHandler;
  ctx.inExitHandler = true;
  const n = executeTemplate(ctx, name, exit, substituteDeep(exit.arguments, sc), { displayName: `${child.displayName}.onExit`, boundaryID, parentId: child.id, scope: o.scope, depth: o.depth, extra: sc });
  ctx.inExitHandler = prev;
  return !!n && isFulfilled(n);
}
