/**
 * The repo server's Prometheus metrics, named as upstream's: `argocd_git_request_total` and
 * `argocd_git_request_duration_seconds` {repo, request_type: ls-remote|fetch},
 * `argocd_repo_pending_request_total` {repo}, `argocd_redis_request_total` {initiator, failed} and
 * `argocd_redis_request_duration_seconds` {initiator}. Registered on kube-runtime's registry (the
 * one `/metrics` on --metrics-port serves); repository URLs are redacted.
 */
import { createRequire } from 'node:module';
import { redact } from './credentials.js';
import type { RedisCache } from './redis-cache.js';
import type { RepoServer } from './repo-server.js';

interface Registry {
  registerMetric(m: unknown): void;
}

export interface RepoMetrics {
  pending(repo: string, delta: 1 | -1): void;
}

/** Wires the metrics to the server (git) and the cache (redis); returns the service's pending hook. */
export function registerRepoMetrics(registry: Registry, server: RepoServer, cache?: RedisCache): RepoMetrics {
  const prom = createRequire(import.meta.url)('prom-client') as typeof import('prom-client');
  const registers = [registry as never];
  const gitTotal = new prom.Counter({ name: 'argocd_git_request_total', help: 'Number of git requests performed by repo server', labelNames: ['repo', 'request_type'], registers });
  const gitDuration = new prom.Histogram({ name: 'argocd_git_request_duration_seconds', help: 'Git requests duration seconds.', labelNames: ['repo', 'request_type'], buckets: [0.1, 0.25, 0.5, 1, 2, 4, 10, 20], registers });
  const pending = new prom.Gauge({ name: 'argocd_repo_pending_request_total', help: 'Number of pending requests requiring repository lock', labelNames: ['repo'], registers });
  const redisTotal = new prom.Counter({ name: 'argocd_redis_request_total', help: 'Number of redis requests executed during application reconciliation.', labelNames: ['initiator', 'failed'], registers });
  const redisDuration = new prom.Histogram({ name: 'argocd_redis_request_duration_seconds', help: 'Redis requests duration seconds.', labelNames: ['initiator'], buckets: [0.01, 0.05, 0.1, 0.25, 1], registers });
  server.git.onRequest = (r) => {
    const labels = { repo: redact(r.repo), request_type: r.type };
    gitTotal.inc(labels);
    gitDuration.observe(labels, r.durationMs / 1000);
  };
  if (cache) {
    cache.onRequest = (r) => {
      redisTotal.inc({ initiator: 'argocd-repo-server', failed: String(r.failed) });
      redisDuration.observe({ initiator: 'argocd-repo-server' }, r.durationMs / 1000);
    };
  }
  return { pending: (repo, delta) => pending.inc({ repo: redact(repo) }, delta) };
}
