/**
 * Prometheus metrics of the runtime (prom-client), in one registry per process that a component
 * serves on /metrics (see health.ts) next to its own metrics. Names follow client-go and
 * controller-runtime, so existing dashboards and alerts apply.
 *
 * prom-client (~13 MB of a process's memory) is loaded by `enableMetrics()` — which `healthHandler`
 * and `serveHealth` call — so a component that serves no metrics does not pay for it; until then the
 * runtime's measurements are no-ops. Enable metrics before starting the work to be measured.
 */
import { createRequire } from 'node:module';
import type { Registry } from 'prom-client';

type Labels = Record<string, string>;
interface CounterLike {
  inc(labels: Labels, value?: number): void;
}
interface GaugeLike {
  set(labels: Labels, value: number): void;
}
interface HistogramLike {
  observe(labels: Labels, value: number): void;
}

const noop = { inc() {}, set() {}, observe() {} };

export const metrics: {
  workqueueDepth: GaugeLike;
  workqueueAdds: CounterLike;
  workqueueRetries: CounterLike;
  reconcileTotal: CounterLike;
  reconcileErrors: CounterLike;
  reconcileTime: HistogramLike;
  requestLatency: HistogramLike;
  requests: CounterLike;
  rateLimiterWait: HistogramLike;
  leaderElectionMaster: GaugeLike;
} = {
  workqueueDepth: noop,
  workqueueAdds: noop,
  workqueueRetries: noop,
  reconcileTotal: noop,
  reconcileErrors: noop,
  reconcileTime: noop,
  requestLatency: noop,
  requests: noop,
  rateLimiterWait: noop,
  leaderElectionMaster: noop,
};

let reg: Registry | undefined;
let defaults = false;

/** Loads prom-client and starts measuring (once); returns the process's registry. */
export function enableMetrics(): Registry {
  if (reg) return reg;
  const prom = createRequire(import.meta.url)('prom-client') as typeof import('prom-client');
  const r = new prom.Registry();
  const registers = [r];
  // the children of each label set are kept: prom-client hashes the labels object on every call otherwise
  // (a workflow controller's queue and client metrics are updated thousands of times a minute)
  const childOf = <C>(labels: (l: Labels) => C) => {
    const children = new Map<string, C>();
    return (l: Labels): C => {
      const k = Object.values(l).join('\u0000');
      let c = children.get(k);
      if (!c) children.set(k, (c = labels(l)));
      return c;
    };
  };
  const counter = (name: string, help: string, labelNames: string[]): CounterLike => {
    const m = new prom.Counter({ name, help, labelNames, registers });
    const child = childOf((l) => m.labels(l));
    return { inc: (l, v) => child(l).inc(v ?? 1) };
  };
  const gauge = (name: string, help: string, labelNames: string[]): GaugeLike => {
    const m = new prom.Gauge({ name, help, labelNames, registers });
    const child = childOf((l) => m.labels(l));
    return { set: (l, v) => child(l).set(v) };
  };
  const histogram = (name: string, help: string, labelNames: string[], buckets: number[]): HistogramLike => {
    const m = new prom.Histogram({ name, help, labelNames, buckets, registers });
    const child = childOf((l) => m.labels(l));
    return { observe: (l, v) => child(l).observe(v) };
  };
  Object.assign(metrics, {
    workqueueDepth: gauge('workqueue_depth', 'Current depth of the work queue', ['name']),
    workqueueAdds: counter('workqueue_adds_total', 'Total number of adds handled by the work queue', ['name']),
    workqueueRetries: counter('workqueue_retries_total', 'Total number of retries (rate-limited adds) handled by the work queue', ['name']),
    reconcileTotal: counter('controller_runtime_reconcile_total', 'Total number of reconciliations per controller', ['controller', 'result']),
    reconcileErrors: counter('controller_runtime_reconcile_errors_total', 'Total number of reconciliation errors per controller', ['controller']),
    reconcileTime: histogram('controller_runtime_reconcile_time_seconds', 'Length of time per reconciliation per controller', ['controller'], [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]),
    requestLatency: histogram('rest_client_request_duration_seconds', 'Request latency in seconds, by verb and host', ['verb', 'host'], [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]),
    requests: counter('rest_client_requests_total', 'Number of HTTP requests, by status code, method and host', ['code', 'method', 'host']),
    rateLimiterWait: histogram('rest_client_rate_limiter_duration_seconds', 'Client-side rate limiter latency in seconds, by verb', ['verb'], [0.001, 0.01, 0.1, 0.5, 1, 5, 10, 30]),
    leaderElectionMaster: gauge('leader_election_master_status', '1 while this process holds the lease', ['name']),
  });
  reg = r;
  return r;
}

/** Adds the process metrics (CPU, memory, GC, event loop lag) to the registry, once. */
export function collectProcessMetrics(): void {
  const r = enableMetrics();
  if (defaults) return;
  defaults = true;
  (createRequire(import.meta.url)('prom-client') as typeof import('prom-client')).collectDefaultMetrics({ register: r });
}
