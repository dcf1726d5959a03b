/**
 * The controller-manager's own metrics (prom-client, kube-runtime's registry, served on :7777 next
 * to the runtime's workqueue/reconcile metrics). The event metrics upstream names
 * (argo_events_events_sent_total, argo_events_action_triggered_total…) belong to the
 * EventSource/Sensor pods (@flotilla/events-runtime).
 */
import { createRequire } from 'node:module';
import { enableMetrics } from '@flotilla/kube-runtime';

type L = Record<string, string>;
export interface ControllerMetrics {
  reconciled: { inc(l: L): void };
  admission: { inc(l: L): void };
}

const noop: ControllerMetrics = { reconciled: { inc() {} }, admission: { inc() {} } };
let current: ControllerMetrics = noop;

export function controllerMetrics(): ControllerMetrics {
  return current;
}

/** Registers the metrics (once). */
export function enableControllerMetrics(): ControllerMetrics {
  if (current !== noop) return current;
  const registers = [enableMetrics()];
  const prom = createRequire(import.meta.url)('prom-client') as typeof import('prom-client');
  current = {
    reconciled: new prom.Counter({ name: 'argo_events_controller_reconciled_total', help: 'Objects reconciled by the controller-manager, by kind.', labelNames: ['kind'], registers }),
    admission: new prom.Counter({ name: 'argo_events_webhook_admission_total', help: 'Admission reviews answered by the validating webhook, by kind and result.', labelNames: ['kind', 'allowed'], registers }),
  };
  return current;
}
