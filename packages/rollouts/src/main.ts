/**
 * `rollouts-controller` (upstream image quay.io/argoproj/argo-rollouts): upstream's flags where
 * they apply (`--kubeconfig`, `--namespace`, `--metricsport` 8090, `--healthzPort` 8080,
 * `--loglevel`, `--logformat`, `--leader-elect`, `--rollout-threads`, `--analysis-threads`; others
 * accepted and logged), in-cluster configuration, /metrics on the metrics port, /healthz on the
 * healthz port. Resolves with the exit code after SIGTERM / SIGINT.
 */
import { EventRecorder, InformerFactory, KubeClient, LeaderElector, serveHealth, type HealthServer } from '@flotilla/kube-runtime';
import { AnalysisRunController } from './analysis/controller.js';
import { RolloutController } from './controller.js';
import { ExperimentController } from './experiment/controller.js';
import { rolloutMetrics } from './metrics.js';
import { rolloutsNotifications } from '@flotilla/notifications/rollouts';

export interface Config {
  kubeconfig?: string;
  namespace?: string;
  metricsPort: number;
  healthzPort: number;
  host: string;
  logLevel: string;
  logFormat: 'text' | 'json';
  leaderElect: boolean;
  rolloutThreads: number;
  analysisThreads: number;
  ignored: string[];
  help?: boolean;
}

const KNOWN_VALUE_FLAGS = new Set(['kubeconfig', 'namespace', 'metricsport', 'metrics-port', 'healthzPort', 'healthz-port', 'loglevel', 'logformat', 'rollout-threads', 'analysis-threads', 'experiment-threads', 'service-threads', 'ingress-threads', 'instance-id', 'metrics-host']);

export function parseArgs(argv: string[]): Config {
  const cfg: Config = { metricsPort: 8090, healthzPort: 8080, host: '0.0.0.0', logLevel: 'info', logFormat: 'text', leaderElect: false, rolloutThreads: 10, analysisThreads: 30, ignored: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') {
      cfg.help = true;
      continue;
    }
    const m = /^--?([^=]+)(?:=(.*))?$/.exec(a);
    if (!m) continue;
    const name = m[1];
    const val = () => m[2] ?? argv[++i] ?? '';
    if (!KNOWN_VALUE_FLAGS.has(name)) {
      if (name === 'leader-elect') cfg.leaderElect = m[2] === undefined ? true : m[2] === 'true';
      else cfg.ignored.push(name);
      continue;
    }
    const v = val();
    switch (name) {
      case 'kubeconfig':
        cfg.kubeconfig = v;
        break;
      case 'namespace':
        cfg.namespace = v || undefined;
        break;
      case 'metricsport':
      case 'metrics-port':
        cfg.metricsPort = Number(v);
        break;
      case 'healthzPort':
      case 'healthz-port':
        cfg.healthzPort = Number(v);
        break;
      case 'metrics-host':
        cfg.host = v;
        break;
      case 'loglevel':
        cfg.logLevel = v;
        break;
      case 'logformat':
        cfg.logFormat = v === 'json' ? 'json' : 'text';
        break;
      case 'rollout-threads':
        cfg.rolloutThreads = Number(v) || 10;
        break;
      case 'analysis-threads':
        cfg.analysisThreads = Number(v) || 30;
        break;
      default:
        cfg.ignored.push(name);
    }
  }
  return cfg;
}

export function makeLog(cfg: Pick<Config, 'logFormat'>, out: (s: string) => void = (s) => process.stderr.write(s)) {
  return (msg: string) => {
    const level = /fail|error|cannot|refused/i.test(msg) ? 'warning' : 'info';
    const time = new Date().toISOString();
    out(cfg.logFormat === 'json' ? JSON.stringify({ level, msg, time }) + '\n' : `time="${time}" level=${level} msg=${JSON.stringify(msg)}\n`);
  };
}

export interface Running {
  rollouts: RolloutController;
  analysis: AnalysisRunController;
  experiments: ExperimentController;
  metrics?: HealthServer;
  healthz?: HealthServer;
  stop(): Promise<void>;
}

/** Starts the controllers (also used in-process by tests and benchmarks). */
export async function startControllers(cfg: Config, o: { client?: KubeClient; log?: (m: string) => void } = {}): Promise<Running> {
  const log = o.log ?? makeLog(cfg);
  // 15 s per request (not the client's 60 s): in a pod, a request on a kept-alive connection through
  // the kubernetes Service was seen to get no answer now and then, which held a rollout for a minute
  const client = o.client ?? new KubeClient(cfg.kubeconfig, { fieldManager: 'argo-rollouts', userAgent: 'argo-rollouts', qps: 100, burst: 200, timeoutMs: 15_000 });
  const informers = new InformerFactory(client, { namespace: cfg.namespace, log });
  // Events on a client of their own: best-effort background posts (one or more per step) must not take
  // the QPS budget the reconciles' reads and status writes wait on (50 pauses ending at once)
  const eventClient = o.client ?? new KubeClient(cfg.kubeconfig, { fieldManager: 'argo-rollouts', userAgent: 'argo-rollouts', qps: 50, burst: 100, timeoutMs: 15_000 });
  const events = new EventRecorder(eventClient, { component: 'rollouts-controller', log });
  const ctx = { client, informers, log, events };
  const metricsOn = cfg.metricsPort >= 0;
  const m = rolloutMetrics(metricsOn);
  const rollouts = new RolloutController(ctx, {
    workers: cfg.rolloutThreads,
    onPlan: (ro, _plan, seconds) => {
      m.reconciled(ro, seconds);
      m.setRollouts(rollouts.rollouts.list());
    },
  });
  const analysis = new AnalysisRunController(ctx, { workers: Math.min(cfg.analysisThreads, 10), onRun: () => m.setRuns(analysis.runs.list()) });
  const experiments = new ExperimentController(ctx, { workers: 4 });
  // notifications (argo-rollouts-notification-configmap): the shared engine, @flotilla/notifications
  const notifications = rolloutsNotifications(client, { watchNamespace: cfg.namespace, log });
  // a standby replica (leader election, not leading) is ready, as workflow-controller's: else a Deployment
  // of two replicas never becomes available and its rolling updates stall
  let started = !cfg.leaderElect;
  const ready = () => (started ? rollouts.ready() || 'informers not synced' : true);
  let metrics: HealthServer | undefined;
  let healthz: HealthServer | undefined;
  if (metricsOn) metrics = await serveHealth({ port: cfg.metricsPort, host: cfg.host, readyz: { informers: ready } });
  if (cfg.healthzPort >= 0 && cfg.healthzPort !== cfg.metricsPort) healthz = await serveHealth({ port: cfg.healthzPort, host: cfg.host, readyz: { informers: ready } });
  const run = async () => {
    started = true;
    informers.start();
    await Promise.all([rollouts.start(), analysis.start(), experiments.start(), notifications.start()]);
    log(`controller started (metrics on ${metrics?.url ?? 'none'}, healthz on ${healthz?.url ?? metrics?.url ?? 'none'})`);
  };
  let elector: LeaderElector | undefined;
  if (cfg.leaderElect) {
    elector = new LeaderElector(client, { name: 'argo-rollouts-controller-lock', namespace: cfg.namespace ?? 'argo-rollouts' }, { onStartedLeading: () => void run(), onStoppedLeading: () => process.exit(0) });
    elector.start();
  } else await run();
  return {
    rollouts,
    analysis,
    experiments,
    metrics,
    healthz,
    async stop() {
      await rollouts.stop();
      await analysis.stop();
      await experiments.stop();
      await notifications.stop();
      await informers.stop();
      await events.flush().catch(() => {});
      events.stop();
      await metrics?.close();
      await healthz?.close();
      if (!o.client) client.close();
      if (!o.client) eventClient.close();
    },
  };
}

export async function main(argv: string[]): Promise<number> {
  const cfg = parseArgs(argv);
  if (cfg.help) {
    process.stdout.write(`rollouts-controller: Argo Rollouts' controller (Flotilla)\n\nFlags:\n  --kubeconfig string      kubeconfig file (default: in-cluster)\n  --namespace string       watch one namespace only (default: all)\n  --metricsport int        metrics port (default 8090)\n  --healthzPort int        healthz port (default 8080)\n  --loglevel string        log level (default "info")\n  --logformat string       text or json (default "text")\n  --leader-elect           use leader election\n  --rollout-threads int    rollout workers (default 10)\n  --analysis-threads int   analysis workers (default 30)\n`);
    return 0;
  }
  const log = makeLog(cfg);
  if (cfg.ignored.length) log(`accepted upstream flags not acted on by Flotilla: ${[...new Set(cfg.ignored)].map((f) => '--' + f).join(', ')}`);
  log(`argo-rollouts starting (namespace ${cfg.namespace ?? 'all'}, metrics :${cfg.metricsPort}, healthz :${cfg.healthzPort})`);
  let running: Running;
  try {
    running = await startControllers(cfg, { log });
  } catch (e) {
    log(`failed to start: ${(e as Error).message}`);
    return 1;
  }
  return new Promise<number>((resolve) => {
    const stop = (sig: string) => {
      log(`${sig}: shutting down`);
      running.stop().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
