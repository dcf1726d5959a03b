/**
 * Prometheus metrics of the runtime (prom-client), in one registry per process that a component
 * serves on /metrics (see health.ts) next to its own metrics. Names follow client-go and
 * controller-runtime, so existing dashboards and alerts apply.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
let defaults = false;

/** Adds the process metrics (CPU, memory, event loop lag…) to the registry, once. */
export function collectProcessMetrics(): void {
  if (defaults) return;
  defaults = true;
  collectDefaultMetrics({ register: registry });
}

export const metrics = {
  workqueueDepth: new Gauge({ name: 'workqueue_depth', help: 'Current depth of the work queue', labelNames: ['name'], registers: [registry] }),
  workqueueAdds: new Counter({ name: 'workqueue_adds_total', help: 'Total number of adds handled by the work queue', labelNames: ['name'], registers: [registry] }),
  workqueueRetries: new Counter({ name: 'workqueue_retries_total', help: 'Total number of retries (rate-limited adds) handled by the work queue', labelNames: ['name'], registers: [registry] }),
  reconcileTotal: new Counter({ name: 'controller_runtime_reconcile_total', help: 'Total number of reconciliations per controller', labelNames: ['controller', 'result'], registers: [registry] }),
  reconcileErrors: new Counter({ name: 'controller_runtime_reconcile_errors_total', help: 'Total number of reconciliation errors per controller', labelNames: ['controller'], registers: [registry] }),
  reconcileTime: new Histogram({
    name: 'controller_runtime_reconcile_time_seconds',
    help: 'Length of time per reconciliation per controller',
    labelNames: ['controller'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  }),
  requestLatency: new Histogram({
    name: 'rest_client_request_duration_seconds',
    help: 'Request latency in seconds, by verb and host',
    labelNames: ['verb', 'host'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  }),
  requests: new Counter({ name: 'rest_client_requests_total', help: 'Number of HTTP requests, by status code, method and host', labelNames: ['code', 'method', 'host'], registers: [registry] }),
  rateLimiterWait: new Histogram({
    name: 'rest_client_rate_limiter_duration_seconds',
    help: 'Client-side rate limiter latency in seconds, by verb',
    labelNames: ['verb'],
    buckets: [0.001, 0.01, 0.1, 0.5, 1, 5, 10, 30],
    registers: [registry],
  }),
  leaderElectionMaster: new Gauge({ name: 'leader_election_master_status', help: '1 while this process holds the lease', labelNames: ['name'], registers: [registry] }),
};
