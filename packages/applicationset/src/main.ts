/**
 * `argocd-applicationset-controller` (the Deployment's command): flags and environment as
 * upstream (flags.ts), in-cluster configuration, /metrics on --metrics-addr and /healthz /readyz on
 * --probe-addr, leader election on a Lease (`58ac56fa.applicationsets.argoproj.io`, as upstream)
 * when enabled. Resolves with the exit code after SIGTERM / SIGINT.
 */
import { existsSync, readFileSync } from 'node:fs';
import { EventRecorder, KubeClient, LeaderElector, serveHealth, type HealthServer } from '@flotilla/kube-runtime';
import { AppSetController } from './controller.js';
import { helpText, parseAppSetArgs, splitAddr, UsageError, type AppSetConfig } from './flags.js';
import { serveWebhook } from './webhook.js';

const LEVELS = { debug: 0, info: 1, warn: 2, error: 3 } as const;
const SA_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export function makeLogger(cfg: Pick<AppSetConfig, 'logLevel' | 'logFormat'>, out: (s: string) => void = (s) => process.stderr.write(s)) {
  const min = LEVELS[cfg.logLevel] ?? 1;
  return (level: keyof typeof LEVELS, msg: string) => {
    if (LEVELS[level] < min) return;
    const time = new Date().toISOString();
    out(cfg.logFormat === 'json' ? JSON.stringify({ level, msg, time }) + '\n' : `time="${time}" level=${level} msg=${JSON.stringify(msg)}\n`);
  };
}

export interface RunningAppSetController {
  controller: AppSetController;
  health?: HealthServer;
  /** the webhook's URL (`http://host:port/api/webhook`) */
  webhookURL?: string;
  stop(): Promise<void>;
}

/** Starts the controller (also used in-process by tests and the benchmark). */
export async function startAppSetController(cfg: AppSetConfig, o: { client?: KubeClient; log?: (m: string) => void; health?: boolean; webhook?: boolean } = {}): Promise<RunningAppSetController> {
  const logger = makeLogger(cfg);
  const log = o.log ?? ((m: string) => logger(/fail|error|cannot|refused/i.test(m) ? 'warn' : 'info', m));
  const namespace = cfg.namespace ?? (existsSync(SA_NAMESPACE) ? readFileSync(SA_NAMESPACE, 'utf8').trim() : 'argocd');
  const client = o.client ?? new KubeClient(cfg.kubeconfig, { fieldManager: 'argocd-applicationset-controller', userAgent: 'argocd-applicationset-controller', qps: 200, burst: 400 });
  const events = new EventRecorder(client, { component: 'applicationset-controller', log });
  const controller = new AppSetController({
    client,
    namespace,
    applicationSetNamespaces: cfg.applicationSetNamespaces,
    events,
    log,
    policy: cfg.policy,
    enablePolicyOverride: cfg.enablePolicyOverride,
    progressiveSyncs: cfg.progressiveSyncs,
    dryRun: cfg.dryRun,
    workers: cfg.concurrentReconciliations,
    requeueAfterMs: cfg.requeueAfterMs,
    maxResourcesStatusCount: cfg.maxResourcesStatusCount,
    enableScmProviders: cfg.enableScmProviders,
    allowedScmProviders: cfg.allowedScmProviders,
  });
  let health: HealthServer | undefined;
  let metricsSrv: HealthServer | undefined;
  if (o.health !== false) {
    const probe = splitAddr(cfg.probeAddr);
    health = await serveHealth({ port: probe.port, host: probe.host, readyz: { informers: () => controller.ready() || 'informers not synced' } });
    const m = splitAddr(cfg.metricsAddr);
    if (m.port !== probe.port || m.port === 0) metricsSrv = await serveHealth({ port: m.port, host: m.host });
  }
  let elector: LeaderElector | undefined;
  if (cfg.leaderElect) {
    await new Promise<void>((resolve) => {
      elector = new LeaderElector(client, { name: '58ac56fa.applicationsets.argoproj.io', namespace }, { onStartedLeading: async () => { await controller.start(); resolve(); }, onStoppedLeading: () => process.exit(0), log });
      elector.start();
    });
  } else await controller.start();
  let webhook: import('node:http').Server | undefined;
  let webhookURL: string | undefined;
  if (o.webhook ?? o.health !== false) {
    const w = splitAddr(cfg.webhookAddr);
    webhook = await serveWebhook(w.host, w.port, () => controller.argocdSecret(), (ev) => controller.onWebhook(ev), log);
    const a = webhook.address() as { port: number };
    webhookURL = `http://${w.host === '0.0.0.0' ? '127.0.0.1' : w.host}:${a.port}/api/webhook`;
  }
  log(`applicationset controller started (namespace ${namespace}${health ? `, health on ${health.url}` : ''})`);
  return {
    controller,
    health,
    webhookURL,
    async stop() {
      webhook?.closeAllConnections();
      await new Promise<void>((r) => (webhook ? webhook.close(() => r()) : r()));
      await elector?.stop();
      await controller.stop();
      await events.flush().catch(() => {});
      events.stop();
      await health?.close();
      await metricsSrv?.close();
      if (!o.client) client.close();
    },
  };
}

export async function main(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  let cfg: AppSetConfig;
  try {
    cfg = parseAppSetArgs(argv, env);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`argocd-applicationset-controller: ${e.message}\n`);
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
  log('info', `argocd-applicationset-controller starting (policy ${cfg.policy}${cfg.enablePolicyOverride ? ', sets may override' : ''}, ${cfg.concurrentReconciliations} workers, regeneration every ${cfg.requeueAfterMs / 1000}s)`);
  let running: RunningAppSetController;
  try {
    running = await startAppSetController(cfg);
  } catch (e) {
    log('error', `failed to start: ${(e as Error).message}`);
    return 1;
  }
  return new Promise<number>((resolve) => {
    const stop = (sig: string) => {
      log('info', `${sig}: shutting down`);
      running.stop().then(() => resolve(0), () => resolve(1));
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
