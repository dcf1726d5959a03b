/**
 * `argocd-application-controller` (the StatefulSet's command): flags and environment as upstream
 * (flags.ts), in-cluster configuration, argocd-repo-server over HTTP, /metrics and /healthz on
 * --metrics-port (8082). Resolves with the exit code after SIGTERM / SIGINT.
 */
import { existsSync, readFileSync } from 'node:fs';
import { EventRecorder, KubeClient, serveHealth, type HealthServer } from '@flotilla/kube-runtime';
import { RepoClient } from '@flotilla/repo-server/client';
import { AppController } from './controller.js';
import { helpText, parseControllerArgs, UsageError, type ControllerConfig } from './flags.js';
import type { RepoAPI } from './repo.js';

const LEVELS = { debug: 0, info: 1, warn: 2, error: 3 } as const;

export function makeLogger(cfg: Pick<ControllerConfig, 'logLevel' | 'logFormat'>, out: (s: string) => void = (s) => process.stderr.write(s)) {
  const min = LEVELS[cfg.logLevel] ?? 1;
  return (level: keyof typeof LEVELS, msg: string) => {
    if (LEVELS[level] < min) return;
    const time = new Date().toISOString();
    out(cfg.logFormat === 'json' ? JSON.stringify({ level, msg, time }) + '\n' : `time="${time}" level=${level} msg=${JSON.stringify(msg)}\n`);
  };
}

const SA_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export interface RunningController {
  controller: AppController;
  health?: HealthServer;
  stop(): Promise<void>;
}

/** Starts the controller from a parsed configuration (also used in-process by tests and benchmarks). */
export async function startController(cfg: ControllerConfig, o: { repo?: RepoAPI; client?: KubeClient; log?: (msg: string) => void; metrics?: boolean } = {}): Promise<RunningController> {
  const logger = makeLogger(cfg);
  const log = o.log ?? ((m: string) => logger(/fail|error|cannot|refused/i.test(m) ? 'warn' : 'info', m));
  const namespace = cfg.namespace ?? (existsSync(SA_NAMESPACE) ? readFileSync(SA_NAMESPACE, 'utf8').trim() : 'argocd');
  const mk = () => new KubeClient(cfg.kubeconfig, { fieldManager: 'argocd-controller', userAgent: 'argocd-application-controller', qps: cfg.qps, burst: cfg.burst });
  const client = o.client ?? mk();
  const repo = o.repo ?? new RepoClient(cfg.repoServer, { timeoutMs: cfg.repoServerTimeoutSeconds * 1000 });
  const events = new EventRecorder(client, { component: 'argocd-application-controller', log });
  const controller = new AppController({
    client,
    inClusterClient: mk,
    namespace,
    applicationNamespaces: cfg.applicationNamespaces,
    repo,
    events,
    log,
    resyncSeconds: cfg.appResyncSeconds,
    jitterSeconds: cfg.appResyncJitterSeconds,
    selfHealTimeoutSeconds: cfg.selfHealTimeoutSeconds,
    statusProcessors: cfg.statusProcessors,
    operationProcessors: cfg.operationProcessors,
    kubectlParallelism: cfg.kubectlParallelismLimit,
    replicas: cfg.replicas,
    shard: cfg.shard,
    metrics: o.metrics !== false,
    qps: cfg.qps,
    burst: cfg.burst,
  });
  let health: HealthServer | undefined;
  if (cfg.metricsPort >= 0 && o.metrics !== false) {
    health = await serveHealth({ port: cfg.metricsPort, host: cfg.metricsHost, readyz: { informers: () => controller.ready() || 'informers not synced' } });
  }
  await controller.start();
  log(`controller started${health ? ` (metrics and health on ${health.url})` : ''}`);
  return {
    controller,
    health,
    async stop() {
      await controller.stop();
      await events.flush().catch(() => {});
      events.stop();
      await health?.close();
      if (!o.client) client.close();
    },
  };
}

export async function main(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  let cfg: ControllerConfig;
  try {
    cfg = parseControllerArgs(argv, env);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`argocd-application-controller: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (cfg.help) {
    process.stdout.write(helpText());
    return 0;
  }
  const log = makeLogger(cfg);
  if (cfg.ignored.length) log('info', `accepted upstream flags not acted on by Flotilla: ${[...new Set(cfg.ignored)].map((f) => '--' + f).join(', ')}`);
  if (cfg.redis) log('info', `redis ${cfg.redis}: the controller keeps its caches in memory (the repo server uses Redis)`);
  log('info', `argocd-application-controller starting (repo server ${cfg.repoServer}, status processors ${cfg.statusProcessors}, operation processors ${cfg.operationProcessors}, resync ${cfg.appResyncSeconds}s, shard ${cfg.shard}/${cfg.replicas})`);
  let running: RunningController;
  try {
    running = await startController(cfg);
  } catch (e) {
    log('error', `failed to start: ${(e as Error).message}`);
    return 1;
  }
  return new Promise<number>((resolve) => {
    const stop = (sig: string) => {
      log('info', `${sig}: shutting down`);
      running.stop().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
