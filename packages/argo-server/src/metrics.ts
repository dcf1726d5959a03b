/**
 * argo-server's Prometheus metrics, served at `/metrics` on the server's own port to an authenticated caller:
 * - the API calls as upstream's gRPC server counts them (`grpc_server_started_total`, `grpc_server_handled_total`,
 *   `grpc_server_handling_seconds` with `grpc_service`, `grpc_method`, `grpc_type`, `grpc_code`): the service is
 *   upstream's name for the API family (e.g. `workflow.WorkflowService`), the method the route template
 *   (`GET /api/v1/workflows/{namespace}`);
 * - the scrapes themselves, as Go's promhttp handler counts them (`promhttp_metric_handler_requests_in_flight`,
 *   `promhttp_metric_handler_requests_total{code}`, codes 200, 500 and 503 from the start);
 * - the process (`process_cpu_seconds_total`, `process_resident_memory_bytes`, …) and the Kubernetes client's
 *   (`rest_client_requests_total`, …) from kube-runtime's registry, which these are added to.
 * prom-client is the one kube-runtime loads (its dependency), so the process has one registry.
 */
import { createRequire } from 'node:module';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { collectProcessMetrics, enableMetrics } from '@flotilla/kube-runtime';
import { Code } from './http.js';

const CODE_NAMES = Object.fromEntries(Object.entries(Code).map(([k, v]) => [v, k])) as Record<number, string>;

/** Whether a route is one of upstream's server streams (watches, logs). */
export function isStream(route: string): boolean {
  return /^GET \/api\/v1\/(workflow-events|stream)\b|\/log$|\/logs$/.test(route);
}

/** Upstream's gRPC service of an API path (`/api/v1/<family>/…`). */
export function serviceOf(path: string): string {
  const family = path.split('/')[3] ?? '';
  switch (family) {
    case 'workflows': case 'workflow-events': case 'stream': return path.startsWith('/api/v1/stream/event-sources') ? 'eventsource.EventSourceService' : path.startsWith('/api/v1/stream/sensors') ? 'sensor.SensorService' : 'workflow.WorkflowService';
    case 'workflow-templates': return 'workflowtemplate.WorkflowTemplateService';
    case 'cluster-workflow-templates': return 'clusterworkflowtemplate.ClusterWorkflowTemplateService';
    case 'cron-workflows': return 'cronworkflow.CronWorkflowService';
    case 'archived-workflows': case 'archived-workflows-label-keys': case 'archived-workflows-label-values': return 'workflowarchive.ArchivedWorkflowService';
    case 'info': case 'version': case 'userinfo': return 'info.InfoService';
    case 'events': return 'event.EventService';
    case 'workflow-event-bindings': return 'event.EventService';
    case 'event-sources': case 'event-sources-logs': return 'eventsource.EventSourceService';
    case 'sensors': case 'sensors-logs': return 'sensor.SensorService';
    default: return family || 'unknown';
  }
}

export class ServerMetrics {
  private readonly reg: Registry;
  private readonly started: Counter;
  private readonly handled: Counter;
  private readonly seconds: Histogram;
  private readonly inFlight: Gauge;
  private readonly scrapes: Counter;

  constructor() {
    this.reg = enableMetrics();
    collectProcessMetrics();
    const prom = createRequire(createRequire(import.meta.url).resolve('@flotilla/kube-runtime'))('prom-client') as typeof import('prom-client');
    const registers = [this.reg];
    // one process may start several servers (tests): the metrics are made once and shared
    const get = <T>(name: string, make: () => T): T => (this.reg.getSingleMetric(name) as T | undefined) ?? make();
    const grpc = ['grpc_method', 'grpc_service', 'grpc_type'];
    this.started = get('grpc_server_started_total', () => new prom.Counter({ name: 'grpc_server_started_total', help: 'Total number of RPCs started on the server.', labelNames: grpc, registers }));
    this.handled = get('grpc_server_handled_total', () => new prom.Counter({ name: 'grpc_server_handled_total', help: 'Total number of RPCs completed on the server, regardless of success or failure.', labelNames: ['grpc_code', ...grpc], registers }));
    this.seconds = get('grpc_server_handling_seconds', () => new prom.Histogram({ name: 'grpc_server_handling_seconds', help: 'Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.', labelNames: grpc, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers }));
    this.inFlight = get('promhttp_metric_handler_requests_in_flight', () => new prom.Gauge({ name: 'promhttp_metric_handler_requests_in_flight', help: 'Current number of scrapes being served.', registers }));
    this.scrapes = get('promhttp_metric_handler_requests_total', () => {
      const c = new prom.Counter({ name: 'promhttp_metric_handler_requests_total', help: 'Total number of scrapes by HTTP status code.', labelNames: ['code'], registers });
      for (const code of ['200', '500', '503']) c.inc({ code }, 0);
      return c;
    });
  }

  /** An API call begins (`route`: `GET /api/v1/workflows/{namespace}`); the function returned ends it with its gRPC code. */
  begin(route: string, path: string): (code: number) => void {
    const t0 = process.hrtime.bigint();
    const labels = { grpc_method: route, grpc_service: serviceOf(path), grpc_type: isStream(route) ? 'server_stream' : 'unary' };
    this.started.inc(labels);
    return (code) => {
      this.handled.inc({ ...labels, grpc_code: CODE_NAMES[code] ?? String(code) });
      this.seconds.observe(labels, Number(process.hrtime.bigint() - t0) / 1e9);
    };
  }

  /** Serves the registry in Prometheus' text format. */
  async serve(_req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight.inc();
    let code = 200;
    try {
      let text: string;
      try {
        text = await this.reg.metrics();
      } catch (e) {
        code = 500;
        text = `error gathering metrics: ${(e as Error).message}\n`;
      }
      res.writeHead(code, { 'content-type': code === 200 ? this.reg.contentType : 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    } finally {
      this.inFlight.dec();
      this.scrapes.inc({ code: String(code) });
    }
  }
}
