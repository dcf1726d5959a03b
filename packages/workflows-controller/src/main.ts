/**
 * `workflow-controller`: upstream's flags (`--configmap`, `--executor-image`, `--namespaced`, `--managed-namespace`,
 * `--workflow-workers`, `--cron-workflow-workers`, `--qps`, `--burst`, `--loglevel`, `--kubeconfig`, `--help`), in-cluster
 * configuration, leader election on a Lease `workflow-controller` (LEADER_ELECTION_DISABLE=true turns it off),
 * Prometheus metrics and /healthz on :9090 (and /healthz on :6060 as upstream). Resolves with the exit code after
 * SIGTERM / SIGINT.
 */
import { existsSync, readFileSync } from 'node:fs';
import { EventRecorder, KubeClient, LeaderElector, levelEnabled, parseLevel, serveHealth, type HealthServer, type LogLevel } from '@flotilla/kube-runtime';
import { WorkflowController } from './controller.js';
import { CronController } from './cron.js';
import { ArtifactGCController } from './artifactgc.js';
import { DEFAULT_EXECUTOR_IMAGE } from './pod.js';
import { workflowMetrics } from './metrics.js';
import { parseDuration } from './operator/vars.js';

export interface ControllerFlags {
  help: boolean;
  configmap: string;
  executorImage?: string;
  namespaced: boolean;
  managedNamespace?: string;
  namespace?: string;
  workflowWorkers: number;
  cronWorkers: number;
  qps: number;
  burst: number;
  loglevel: string;
  kubeconfig?: string;
  metricsPort: number;
  healthPort: number;
  leaderElect: boolean;
  /** LEADER_ELECTION_LEASE_DURATION / _RENEW_DEADLINE / _RETRY_PERIOD (upstream's: 15s, 10s, 5s) */
  leaseDurationSeconds: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  ignored: string[];
}

export class UsageError extends Error {}

const SA_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export function helpText(): string {
  return `workflow-controller is the controller to operate on workflows

Usage:
  workflow-controller [flags]

Flags:
      --burst int                             Maximum burst for throttle. (default 30)
      --configmap string                      Name of K8s configmap to retrieve workflow controller configuration (default "workflow-controller-configmap")
      --cron-workflow-workers int             Number of cron workflow workers (default 8)
      --executor-image string                 Executor image to use (overrides value in configmap)
      --executor-image-pull-policy string     Executor imagePullPolicy to use (overrides value in configmap)
  -h, --help                                  help for workflow-controller
      --kubeconfig string                     Path to a kube config. Only required if out-of-cluster
      --loglevel string                       Set the logging level. One of: debug|info|warn|error (default "info")
      --managed-namespace string              namespace that workflow-controller watches, default to the installation namespace
      --namespaced                            run workflow-controller as namespaced mode
      --qps float32                           Queries per second (default 20)
      --workflow-workers int                  Number of workflow workers (default 32)

Environment:
  LEADER_ELECTION_DISABLE=true   run without leader election
  LEADER_ELECTION_IDENTITY       this replica's identity in the Lease (default: the host name)
  LEADER_ELECTION_LEASE_DURATION how long other replicas wait before taking an unrenewed Lease (default 15s)
  LEADER_ELECTION_RENEW_DEADLINE how long the leader retries renewing before it steps down (default 10s)
  LEADER_ELECTION_RETRY_PERIOD   the wait between renewals and attempts (default 5s)
`;
}

/** A Go duration from the environment, in seconds; a clear error names the variable. */
function envDuration(env: Record<string, string | undefined>, name: string, dflt: number): number {
  const v = env[name];
  if (v === undefined || v === '') return dflt;
  let secs: number | undefined;
  try {
    secs = parseDuration(v);
  } catch {
    secs = undefined;
  }
  if (secs === undefined || !(secs > 0)) throw new UsageError(`${name}=${JSON.stringify(v)} is not a positive duration (e.g. 15s, 1m)`);
  return secs;
}

export function parseFlags(argv: string[], env: Record<string, string | undefined> = process.env): ControllerFlags {
  const f: ControllerFlags = {
    help: false, configmap: 'workflow-controller-configmap', namespaced: false, workflowWorkers: 32, cronWorkers: 8, qps: 20, burst: 30,
    loglevel: 'info', metricsPort: 9090, healthPort: 6060, leaderElect: env.LEADER_ELECTION_DISABLE !== 'true', ignored: [],
    leaseDurationSeconds: envDuration(env, 'LEADER_ELECTION_LEASE_DURATION', 15),
    renewDeadlineMs: envDuration(env, 'LEADER_ELECTION_RENEW_DEADLINE', 10) * 1000,
    retryPeriodMs: envDuration(env, 'LEADER_ELECTION_RETRY_PERIOD', 5) * 1000,
  };
  if (f.renewDeadlineMs > f.leaseDurationSeconds * 1000) throw new UsageError(`LEADER_ELECTION_RENEW_DEADLINE (${f.renewDeadlineMs / 1000}s) must not be longer than LEADER_ELECTION_LEASE_DURATION (${f.leaseDurationSeconds}s)`);
  if (f.retryPeriodMs >= f.renewDeadlineMs) throw new UsageError(`LEADER_ELECTION_RETRY_PERIOD (${f.retryPeriodMs / 1000}s) must be shorter than LEADER_ELECTION_RENEW_DEADLINE (${f.renewDeadlineMs / 1000}s)`);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') { f.help = true; continue; }
    if (!a.startsWith('-')) throw new UsageError(`unknown command "${a}" for "workflow-controller"`);
    const [flag, inline] = a.replace(/^--?/, '').split(/=(.*)/s, 2) as [string, string | undefined];
    const val = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`flag needs an argument: --${flag}`);
      return v;
    };
    const int = (v: string) => {
      const n = Number(v);
      if (!Number.isFinite(n)) throw new UsageError(`invalid argument "${v}" for "--${flag}"`);
      return n;
    };
    switch (flag) {
      case 'configmap': f.configmap = val(); break;
      case 'executor-image': f.executorImage = val(); break;
      case 'namespaced': f.namespaced = inline === undefined ? true : inline === 'true'; break;
      case 'managed-namespace': f.managedNamespace = val(); break;
      case 'namespace': f.namespace = val(); break;
      case 'workflow-workers': f.workflowWorkers = int(val()); break;
      case 'cron-workflow-workers': f.cronWorkers = int(val()); break;
      case 'qps': f.qps = int(val()); break;
      case 'burst': f.burst = int(val()); break;
      case 'loglevel': f.loglevel = val(); if (!parseLevel(f.loglevel)) throw new UsageError(`invalid --loglevel ${JSON.stringify(f.loglevel)}: one of debug, info, warn, error`); break;
      case 'kubeconfig': f.kubeconfig = val(); break;
      case 'metrics-port': f.metricsPort = int(val()); break;
      case 'health-port': f.healthPort = int(val()); break;
      case 'leader-elect': f.leaderElect = inline === undefined ? true : inline === 'true'; break;
      case 'executor-image-pull-policy': case 'pod-workers': case 'pod-cleanup-workers': case 'log-format': case 'gloglevel': case 'instanceid': case 'workflow-ttl-workers': case 'container-runtime-executor': case 'burst-size': case 'v':
        if (inline === undefined && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('-')) i++;
        f.ignored.push(flag);
        break;
      default:
        throw new UsageError(`unknown flag: --${flag}`);
    }
  }
  return f;
}

export interface RunningWorkflowController {
  controller: WorkflowController;
  cron: CronController;
  stop(): Promise<void>;
}

/** Starts the controllers (no leader election): also used in-process by tests and benchmarks. */
export async function startWorkflowController(f: ControllerFlags, o: { client?: KubeClient; log?: (m: string, level?: LogLevel) => void; metrics?: boolean } = {}): Promise<RunningWorkflowController> {
  const log = o.log ?? leveledLog(f.loglevel);
  const client = o.client ?? new KubeClient(f.kubeconfig, { fieldManager: 'workflow-controller', userAgent: 'workflow-controller', qps: f.qps, burst: f.burst });
  const namespace = controllerNamespace(f);
  const managed = f.managedNamespace ?? (f.namespaced ? namespace : '');
  const events = new EventRecorder(client, { component: 'workflow-controller', log });
  const controller = new WorkflowController({ client, events, log, namespace, managedNamespace: managed, configMap: f.configmap, executorImage: f.executorImage, workers: f.workflowWorkers, metrics: o.metrics });
  const cron = new CronController({ client, events, log, informers: controller.informers, managedNamespace: managed, workers: f.cronWorkers, metrics: workflowMetrics(o.metrics !== false) });
  const artifactGC = new ArtifactGCController({ client, events, log, informers: controller.informers, managedNamespace: managed, executorImage: () => f.executorImage ?? controller.config.executor?.image ?? DEFAULT_EXECUTOR_IMAGE, workflowDefaults: () => controller.config.workflowDefaults as Record<string, any> | undefined });
  controller.informers.start();
  await controller.informers.waitForSync();
  controller.loadConfig();
  await Promise.all([controller.start(), cron.start(), artifactGC.start()]);
  log(`workflow-controller started (namespace ${namespace}, managing ${managed || 'all namespaces'}, executor ${f.executorImage ?? controller.config.executor?.image ?? 'quay.io/argoproj/argoexec:latest'})`);
  return {
    controller,
    cron,
    async stop() {
      await Promise.all([controller.stop(), cron.stop(), artifactGC.stop()]);
      await controller.informers.stop();
      await events.flush().catch(() => {});
      events.stop();
      if (!o.client) client.close();
    },
  };
}

/**
 * The controller's log, as upstream's (logrus text): `time="…" level=info msg="…"`. Lines below `--loglevel` are not
 * written (nor counted in argo_workflows_log_messages).
 */
export function leveledLog(min: string, counted?: (level: LogLevel) => void, write: (line: string) => void = (l) => void process.stderr.write(l)): (m: string, level?: LogLevel) => void {
  const floor = parseLevel(min) ?? 'info';
  return (m, level = 'info') => {
    if (!levelEnabled(level, floor)) return;
    counted?.(level);
    // (logrus spells the level `warning`)
    write(`time="${new Date().toISOString()}" level=${level === 'warn' ? 'warning' : level} msg=${JSON.stringify(m)}\n`);
  };
}

function controllerNamespace(f: ControllerFlags): string {
  return f.namespace ?? process.env.POD_NAMESPACE ?? (existsSync(SA_NAMESPACE) ? readFileSync(SA_NAMESPACE, 'utf8').trim() : 'argo');
}

export async function main(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  let f: ControllerFlags;
  try {
    f = parseFlags(argv, env);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`Error: ${e.message}\nRun 'workflow-controller --help' for usage.\n`);
      return 2;
    }
    throw e;
  }
  if (f.help) {
    process.stdout.write(helpText());
    return 0;
  }
  const metrics = workflowMetrics(true); // argo_workflows_log_messages and _k8s_request_total count from the start
  const log = leveledLog(f.loglevel, (l) => l !== 'debug' && metrics.logged(l === 'warn' ? 'warning' : l));
  if (f.ignored.length) log(`accepted upstream flags not acted on by Flotilla: ${f.ignored.map((x) => '--' + x).join(', ')}`);
  let running: RunningWorkflowController | undefined;
  let leading = false;
  const servers: HealthServer[] = [];
  const ready = () => (running ? running.controller.ready() || 'informers not synced' : leading ? 'starting' : true);
  try {
    if (f.metricsPort >= 0) servers.push(await serveHealth({ port: f.metricsPort, host: '0.0.0.0', readyz: { controller: ready } }));
    if (f.healthPort >= 0 && f.healthPort !== f.metricsPort) servers.push(await serveHealth({ port: f.healthPort, host: '0.0.0.0', processMetrics: false }));
  } catch (e) {
    log(`cannot serve metrics/health: ${(e as Error).message}`, 'error');
  }
  const client = new KubeClient(f.kubeconfig, { fieldManager: 'workflow-controller', userAgent: 'workflow-controller', qps: f.qps, burst: f.burst, onRequest: metrics.request });
  const run = async () => {
    leading = true;
    try {
      running = await startWorkflowController(f, { client, log });
    } catch (e) {
      log(`failed to start: ${(e as Error).message}`, 'error');
      process.exit(1);
    }
  };
  let elector: LeaderElector | undefined;
  if (f.leaderElect) {
    elector = new LeaderElector(client, { name: 'workflow-controller', namespace: controllerNamespace(f), identity: env.LEADER_ELECTION_IDENTITY || undefined, leaseDurationSeconds: f.leaseDurationSeconds, renewDeadlineMs: f.renewDeadlineMs, retryPeriodMs: f.retryPeriodMs }, {
      onStartedLeading: run,
      onStoppedLeading: () => {
        log('stopped leading: exiting');
        process.exit(0);
      },
      onNewLeader: (id) => log(`new leader: ${id}`),
      log,
    });
    elector.start();
  } else await run();
  return new Promise<number>((resolve) => {
    const stop = (sig: string) => {
      log(`${sig}: shutting down`);
      void (async () => {
        await running?.stop().catch(() => {});
        await elector?.stop().catch(() => {});
        await Promise.all(servers.map((s) => s.close()));
        client.close();
        resolve(0);
      })();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
