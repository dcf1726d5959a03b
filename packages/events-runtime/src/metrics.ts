/** Prometheus metrics on :7777 (METRICS_PORT overrides; 0 = any free port) with upstream's names. */
import { createServer, type Server } from 'node:http';
import client from 'prom-client';

export class Metrics {
  readonly registry = new client.Registry();
  readonly running = new client.Gauge({ name: 'argo_events_event_service_running_total', help: 'How many configured events in the event source are actively running', labelNames: ['namespace', 'event_source_name'], registers: [this.registry] });
  readonly sent = new client.Counter({ name: 'argo_events_events_sent_total', help: 'How many events have been sent successfully', labelNames: ['namespace', 'event_source_name', 'event_name'], registers: [this.registry] });
  readonly sentFailed = new client.Counter({ name: 'argo_events_events_sent_failed_total', help: 'How many events failed to send', labelNames: ['namespace', 'event_source_name', 'event_name'], registers: [this.registry] });
  readonly processingFailed = new client.Counter({ name: 'argo_events_events_processing_failed_total', help: 'How many events failed to process (bad input, filtered errors)', labelNames: ['namespace', 'event_source_name', 'event_name'], registers: [this.registry] });
  readonly processingDuration = new client.Summary({ name: 'argo_events_event_processing_duration_milliseconds', help: 'Event processing duration in milliseconds', labelNames: ['namespace', 'event_source_name', 'event_name'], registers: [this.registry] });
  readonly triggered = new client.Counter({ name: 'argo_events_action_triggered_total', help: 'How many actions have been triggered successfully', labelNames: ['namespace', 'sensor_name', 'trigger_name'], registers: [this.registry] });
  readonly actionFailed = new client.Counter({ name: 'argo_events_action_failed_total', help: 'How many actions failed', labelNames: ['namespace', 'sensor_name', 'trigger_name'], registers: [this.registry] });
  readonly actionRetriesFailed = new client.Counter({ name: 'argo_events_action_retries_failed_total', help: 'How many actions failed after the retries have been exhausted', labelNames: ['namespace', 'sensor_name', 'trigger_name'], registers: [this.registry] });
  readonly actionDuration = new client.Summary({ name: 'argo_events_action_duration_milliseconds', help: 'Action triggering duration in milliseconds', labelNames: ['namespace', 'sensor_name', 'trigger_name'], registers: [this.registry] });
  private server?: Server;

  /** Serves /metrics and /healthz; returns the port (undefined when it could not listen). */
  async serve(port = Number(process.env.METRICS_PORT ?? 7777), healthy: () => boolean = () => true): Promise<number | undefined> {
    const srv = createServer((req, res) => {
      if (req.url?.startsWith('/metrics')) {
        void this.registry.metrics().then((text) => {
          res.writeHead(200, { 'content-type': this.registry.contentType });
          res.end(text);
        });
      } else if (req.url?.startsWith('/healthz') || req.url?.startsWith('/readyz')) {
        const ok = healthy();
        res.writeHead(ok ? 200 : 503).end(ok ? 'ok' : 'event bus not connected');
      } else res.writeHead(404).end();
    });
    this.server = srv;
    return new Promise((resolve) => {
      srv.once('error', () => resolve(undefined));
      srv.listen(port, () => resolve((srv.address() as { port: number }).port));
    });
  }
  close() {
    this.server?.close();
  }
}
