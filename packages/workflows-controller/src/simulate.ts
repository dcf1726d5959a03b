// simulate(): drives operate() to a terminal phase with a function standing in for the pods — the tables and
// the examples conformance test use it; `argo submit --dry-run`-like tools can too. Pure: time is simulated.
import { applyPlan, operate } from './operator/operate.js';
import type { OperateInput, Plan, PodObservation, PodToCreate } from './operator/model.js';
import type { Workflow } from './types.js';

export interface SimulateOptions extends Omit<OperateInput, 'workflow' | 'pods' | 'now'> {
  /** The final state of each pod (called once per pod); default: Succeeded with no outputs. */
  run?: (pod: PodToCreate, wf: Workflow) => PodObservation;
  /** Resume suspended nodes without a duration (as `argo resume` would). */
  resume?: boolean;
  start?: Date;
  maxSteps?: number;
  /** Called after every pass with what it was given (the pods as observed then) and what it decided. */
  onPass?: (input: OperateInput, plan: Plan) => void;
}

export interface SimulateResult { workflow: Workflow; plans: Plan[]; pods: PodToCreate[]; now: Date }

export function simulate(wf: Workflow, opts: SimulateOptions = {}): SimulateResult {
  let now = opts.start ?? new Date('2026-01-01T00:00:00Z');
  const pods: Record<string, PodObservation> = {};
  const created: PodToCreate[] = [];
  const plans: Plan[] = [];
  let cur = wf;
  const max = opts.maxSteps ?? 500;
  for (let i = 0; i < max; i++) {
    const input: OperateInput = { ...opts, workflow: cur, pods, now };
    const plan = operate(input);
    opts.onPass?.(input, plan);
    plans.push(plan);
    cur = applyPlan(cur, plan);
    if (plan.phase === 'Succeeded' || plan.phase === 'Failed' || plan.phase === 'Error') break;
    for (const p of plan.podsToCreate) {
      created.push(p);
      pods[p.nodeId] = { hostNodeName: 'flotilla', podIP: `10.0.0.${(created.length % 250) + 1}`, startedAt: now.toISOString(), finishedAt: new Date(now.getTime() + 1000).toISOString(), ...(opts.run ? opts.run(p, cur) : { phase: 'Succeeded' }) };
    }
    let resumed = false;
    if (opts.resume) {
      for (const n of Object.values(cur.status!.nodes ?? {})) {
        if (n.type === 'Suspend' && n.phase === 'Running') { n.phase = 'Succeeded'; n.finishedAt = now.toISOString(); resumed = true; }
      }
    }
    if (!plan.podsToCreate.length && !resumed) now = new Date(now.getTime() + 1000 * (plan.requeueAfter ?? 1));
  }
  return { workflow: cur, plans, pods: created, now };
}
