/**
 * One pass over one object: for each subscribed trigger, evaluate its conditions; each triggered
 * condition not yet notified to a destination renders its templates for that destination's service
 * and is sent; the state records what was delivered (a failed delivery is retried on the next pass).
 * The sender is injected (services.ts in production), so this stays free of I/O of its own.
 */
import type { NotifConfig } from './config.js';
import { subscriptionsOf, type Destination } from './subscriptions.js';
import { evaluateTrigger, type ConditionResult } from './triggers.js';
import { renderTemplate, type Notification } from './templates.js';
import { isNotified, setNotified, type NotifiedState } from './state.js';

export interface Delivery {
  trigger: string;
  template: string;
  destination: Destination;
  serviceType: string;
  notification: Notification;
}

export type Sender = (d: Delivery) => Promise<void>;

export interface PassResult {
  /** deliveries that were sent */
  sent: Delivery[];
  /** problems: unknown trigger/service/template, evaluation and delivery errors (with what and where) */
  errors: string[];
  /** whether the state changed (the annotation must be written) */
  changed: boolean;
}

export interface PassInput {
  cfg: NotifConfig;
  /** the object (its annotations and labels carry subscriptions) */
  obj: { metadata?: { annotations?: Record<string, string>; labels?: Record<string, string>; name?: string; namespace?: string } };
  /** the AppProject (its annotations subscribe too) */
  project?: { metadata?: { annotations?: Record<string, string> } };
  /** template and trigger variables: `{app}` or `{rollout}` */
  vars: Record<string, unknown>;
  state: NotifiedState;
  send: Sender;
  /**
   * unix seconds: keys recorded before it are forgotten (not `oncePer` ones) — Argo CD passes the
   * current operation's startedAt, so a new sync notifies again even when its Running phase was
   * never seen (a sync that completes between two observations)
   */
  since?: number;
  /** counts trigger evaluations and deliveries (metrics) */
  observe?: { triggerEvaluated(trigger: string, triggered: boolean): void; delivered(template: string, service: string, ok: boolean): void };
}

export async function processObject(input: PassInput): Promise<PassResult> {
  const { cfg, vars, state } = input;
  const res: PassResult = { sent: [], errors: [], changed: false };
  if (input.since !== undefined) {
    for (const [k, at] of Object.entries(state)) {
      if (k.startsWith('[') && at < input.since) {
        delete state[k];
        res.changed = true;
      }
    }
  }
  let subs;
  try {
    subs = subscriptionsOf(cfg, input.obj, input.project);
  } catch (e) {
    res.errors.push((e as Error).message);
    return res;
  }
  const work: Promise<void>[] = [];
  for (const [trigger, dests] of subs) {
    const conds = cfg.triggers.get(trigger);
    if (!conds) {
      res.errors.push(`trigger "${trigger}" is not defined (no trigger.${trigger} in the ConfigMap)`);
      continue;
    }
    const results = evaluateTrigger(conds, vars);
    input.observe?.triggerEvaluated(trigger, results.some((r) => r.triggered));
    for (const r of results) {
      if (r.error) res.errors.push(`trigger.${trigger}${r.key.slice(0, r.key.indexOf('.'))}: ${r.error}`);
      for (const d of dests) {
        if (!r.triggered) {
          if (setNotified(state, trigger, r, d, false)) res.changed = true;
          continue;
        }
        if (isNotified(state, trigger, r, d)) continue;
        work.push(deliver(input, trigger, r, d, res));
      }
    }
  }
  await Promise.all(work);
  return res;
}

async function deliver(input: PassInput, trigger: string, r: ConditionResult, d: Destination, res: PassResult): Promise<void> {
  const svc = input.cfg.services.get(d.service);
  if (!svc) {
    res.errors.push(`service "${d.service}" is not configured (no service.${d.service} or service.<type>.${d.service} in the ConfigMap)`);
    return;
  }
  const deliveries: Delivery[] = [];
  for (const t of r.templates) {
    const spec = input.cfg.templates.get(t);
    if (!spec) {
      res.errors.push(`trigger.${trigger}: template "${t}" is not defined (no template.${t} in the ConfigMap)`);
      return;
    }
    try {
      deliveries.push({ trigger, template: t, destination: d, serviceType: svc.type, notification: renderTemplate(t, spec, input.vars, input.cfg.context, svc.type) });
    } catch (e) {
      res.errors.push((e as Error).message);
      return;
    }
  }
  try {
    for (const dl of deliveries) {
      try {
        await input.send(dl);
      } catch (e) {
        input.observe?.delivered(dl.template, d.service, false);
        throw e;
      }
      input.observe?.delivered(dl.template, d.service, true);
      res.sent.push(dl);
    }
  } catch (e) {
    res.errors.push(`sending ${trigger} to ${d.service}${d.recipient ? ':' + d.recipient : ''}: ${(e as Error).message}`);
    return;
  }
  // recorded no earlier than `since`: a clock behind the operation's cannot make it notify again
  if (setNotified(input.state, trigger, r, d, true, Math.max(Math.floor(Date.now() / 1000), input.since ?? 0))) res.changed = true;
}
