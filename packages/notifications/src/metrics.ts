/**
 * Upstream's notifications metrics in kube-runtime's registry (served on --metrics-port):
 * `argocd_notifications_deliveries_total{template, notifier, succeeded}` and
 * `argocd_notifications_trigger_eval_total{name, triggered}`.
 */
import { createRequire } from 'node:module';
import { enableMetrics } from '@flotilla/kube-runtime';

export interface Observer {
  triggerEvaluated(trigger: string, triggered: boolean): void;
  delivered(template: string, service: string, ok: boolean): void;
}

export function notificationMetrics(prefix = 'argocd_notifications'): Observer {
  const registers = [enableMetrics()];
  const prom = createRequire(import.meta.url)('prom-client') as typeof import('prom-client');
  const existing = (name: string) => registers[0]!.getSingleMetric(name) as import('prom-client').Counter | undefined;
  const counter = (name: string, help: string, labelNames: string[]) => existing(name) ?? new prom.Counter({ name, help, labelNames, registers });
  const deliveries = counter(`${prefix}_deliveries_total`, 'Number of delivered notifications.', ['template', 'notifier', 'succeeded']);
  const evals = counter(`${prefix}_trigger_eval_total`, 'Number of trigger evaluations.', ['name', 'triggered']);
  return {
    triggerEvaluated: (name, triggered) => evals.inc({ name, triggered: String(triggered) }),
    delivered: (template, notifier, ok) => deliveries.inc({ template, notifier, succeeded: String(ok) }),
  };
}
