/**
 * `argo-events controller`: the controller-manager. Flags as upstream's (`--namespaced`,
 * `--managed-namespace`), plus kube-runtime's `--leader-elect…` and `--kubeconfig`; env
 * ARGO_EVENTS_IMAGE (the image of EventSource/Sensor pods), NAMESPACE; the controller config at
 * /etc/argo-events/controller-config.yaml (JetStream defaults and versions). Health on :8081
 * (/healthz, /readyz), metrics on :7777.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { EventRecorder, KubeClient, LeaderElector, leaderElectionFromArgs, serveHealth, type HealthServer } from '@flotilla/kube-runtime';
import { ControllerManager, type ManagerOptions } from './controllers.js';
import type { BusDefaults } from './eventbus.js';
import { enableControllerMetrics } from './metrics.js';
import type { AnyObj } from './util.js';

export const CONFIG_FILE = '/etc/argo-events/controller-config.yaml';
export const DEFAULT_IMAGE = 'quay.io/argoproj/argo-events:latest';

export function log(msg: string, level = /fail|error|cannot|refused|invalid/i.test(msg) ? 'warn' : 'info'): void {
  process.stderr.write(`time="${new Date().toISOString()}" level=${level} msg=${JSON.stringify(msg)}\n`);
}

/** JetStream defaults of the controller config (argo-events-controller-config's controller-config.yaml). */
export function busDefaultsFrom(text: string): BusDefaults {
  const c = (parse(text) ?? {}) as AnyObj;
  const js = c.eventBus?.jetstream ?? {};
  const versions: Record<string, string> = {};
  for (const v of js.versions ?? []) if (v?.version && v?.natsImage) versions[String(v.version)] = String(v.natsImage);
  return { jsSettings: js.settings ?? '', jsStreamConfig: js.streamConfig ?? '', jsVersions: versions };
}

export interface ControllerArgs {
  namespaced: boolean;
  managedNamespace?: string;
  kubeconfig?: string;
  healthPort: number;
  metricsPort: number;
  configFile: string;
}

export function parseArgs(argv: string[]): ControllerArgs {
  const a: ControllerArgs = { namespaced: false, healthPort: 8081, metricsPort: 7777, configFile: CONFIG_FILE };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const val = () => inline ?? argv[++i] ?? '';
    if (flag === '--namespaced') a.namespaced = inline === undefined || inline === 'true';
    else if (flag === '--managed-namespace') a.managedNamespace = val();
    else if (flag === '--kubeconfig') a.kubeconfig = val();
    else if (flag === '--health-port') a.healthPort = Number(val());
    else if (flag === '--metrics-port') a.metricsPort = Number(val());
    else if (flag === '--config') a.configFile = val();
    else if (flag.startsWith('--leader-elect')) {
      if (inline === undefined && flag !== '--leader-elect') i++;
    } else throw new Error(`unknown flag ${argv[i]}`);
  }
  return a;
}

export interface RunningManager {
  manager: ControllerManager;
  stop(): Promise<void>;
}

/** Starts the controllers (also used in-process by tests). */
export async function startManager(o: Omit<ManagerOptions, 'events' | 'log'> & { log?: (m: string) => void }): Promise<RunningManager> {
  const lg = o.log ?? log;
  const events = new EventRecorder(o.client, { component: 'argo-events-controller', log: lg });
  const manager = new ControllerManager({ ...o, events, log: lg });
  await manager.start();
  return {
    manager,
    async stop() {
      await manager.stop();
      await events.flush().catch(() => {});
      events.stop();
    },
  };
}

export async function runController(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let args: ControllerArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`argo-events controller: ${(e as Error).message}\n`);
    return 2;
  }
  const ownNs = env.NAMESPACE ?? 'argo-events';
  const namespace = args.managedNamespace ?? (args.namespaced ? ownNs : undefined);
  let busDefaults: BusDefaults = {};
  if (existsSync(args.configFile)) {
    try {
      busDefaults = busDefaultsFrom(readFileSync(args.configFile, 'utf8'));
    } catch (e) {
      log(`controller config ${args.configFile} does not parse: ${(e as Error).message}`, 'error');
      return 1;
    }
  }
  const image = env.ARGO_EVENTS_IMAGE || DEFAULT_IMAGE;
  enableControllerMetrics();
  const client = new KubeClient(args.kubeconfig, { fieldManager: 'argo-events-controller', userAgent: 'argo-events-controller', qps: 50, burst: 100 });
  let running: RunningManager | undefined;
  const le = leaderElectionFromArgs(argv);
  let leading = false;
  // a standby replica (leader election, not leading) is ready, as workflow-controller's
  const health: HealthServer = await serveHealth({ port: args.healthPort, host: '0.0.0.0', readyz: { informers: () => (running ? running.manager.synced() || 'informers not synced' : le && !leading ? true : 'not started') } });
  const metricsSrv: HealthServer | undefined = args.metricsPort > 0 ? await serveHealth({ port: args.metricsPort, host: '0.0.0.0' }) : undefined;
  log(`argo-events controller-manager starting (image ${image}, ${namespace ? `namespace ${namespace}` : 'all namespaces'}, health ${health.url}, metrics on :${args.metricsPort})`);
  const start = async () => {
    running = await startManager({ client, image, namespace, busDefaults });
    log('controllers started: eventbus-controller, eventsource-controller, sensor-controller');
  };
  let elector: LeaderElector | undefined;
  try {
    if (le) {
      const onStartedLeading = () => {
        leading = true;
        void start();
      };
      elector = new LeaderElector(client, { namespace: ownNs, ...le, name: le.name ?? 'argo-events-controller' }, { onStartedLeading, onStoppedLeading: () => process.exit(0) });
      elector.start();
    } else await start();
  } catch (e) {
    log(`failed to start: ${(e as Error).message}`, 'error');
    return 1;
  }
  return new Promise<number>((resolve) => {
    const stop = (sig: string) => {
      log(`${sig}: shutting down`);
      Promise.resolve()
        .then(async () => {
          await running?.stop();
          await elector?.stop?.();
          await health.close();
          await metricsSrv?.close();
          client.close();
        })
        .then(
          () => resolve(0),
          () => resolve(1),
        );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
