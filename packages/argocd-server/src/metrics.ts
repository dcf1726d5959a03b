/** argocd-server's own metrics, in the process registry kube-runtime serves on --metrics-port. */
import { createRequire } from 'node:module';
import { enableMetrics } from '@flotilla/kube-runtime';
import { Code } from './http.js';

const CODE_NAMES = Object.fromEntries(Object.entries(Code).map(([k, v]) => [v, k])) as Record<number, string>;

interface CounterLike {
  inc(labels: Record<string, string>, v?: number): void;
}

let handled: CounterLike | undefined;
let logins: CounterLike | undefined;
let webhooks: CounterLike | undefined;

function init(): void {
  if (handled) return;
  const registers = [enableMetrics()];
  const prom = createRequire(import.meta.url)('prom-client') as typeof import('prom-client');
  // the names upstream's gRPC server exports, labelled by service (the API family) and method (the route)
  handled = new prom.Counter({ name: 'grpc_server_handled_total', help: 'Total number of API calls completed, by code, service and method', labelNames: ['grpc_code', 'grpc_method', 'grpc_service', 'grpc_type'], registers });
  logins = new prom.Counter({ name: 'argocd_login_request_total', help: 'Local account logins, by result', labelNames: ['status'], registers });
  webhooks = new prom.Counter({ name: 'argocd_webhook_requests_total', help: 'Git webhook deliveries, by provider and result', labelNames: ['provider', 'result'], registers });
}

/** One API call done: `route` like `GET /api/v1/applications/{name}`. */
export function observeCall(route: string, code: number, type: 'unary' | 'server_stream' = 'unary'): void {
  init();
  const path = route.split(' ')[1] ?? route;
  const service = path.split('/')[3] ?? 'unknown';
  handled!.inc({ grpc_code: CODE_NAMES[code] ?? String(code), grpc_method: route, grpc_service: service, grpc_type: type });
}

export function observeLogin(ok: boolean): void {
  init();
  logins!.inc({ status: ok ? 'success' : 'failure' });
}

export function observeWebhook(provider: string, result: string): void {
  init();
  webhooks!.inc({ provider, result });
}
