/**
 * `argocd-notifications` (the argocd-notifications-controller Deployment's command): upstream's flags
 * and environment, in-cluster configuration, Applications (and AppProjects' subscriptions) in Argo
 * CD's namespace (plus --application-namespaces), argocd-notifications-cm / argocd-notifications-secret,
 * /metrics and /healthz on --metrics-port (9001). Resolves with the exit code after SIGTERM / SIGINT.
 */
import { existsSync, readFileSync } from 'node:fs';
import { KubeClient, serveHealth, type HealthServer, type Resource } from '@flotilla/kube-runtime';
import { NotificationsController, type NotificationsOptions } from './controller.js';
import { notificationMetrics } from './metrics.js';
import { argocdVars } from './argocd-vars.js';

export const APPLICATIONS: Resource = { group: 'argoproj.io', version: 'v1alpha1', plural: 'applications', kind: 'Application', namespaced: true };
export const APPPROJECTS: Resource = { group: 'argoproj.io', version: 'v1alpha1', plural: 'appprojects', kind: 'AppProject', namespaced: true };

export interface NotifFlags {
  kubeconfig?: string;
  namespace?: string;
  processorsCount: number;
  appLabelSelector?: string;
  logLevel: string;
  logFormat: string;
  metricsPort: number;
  configMapName: string;
  secretName: string;
  applicationNamespaces: string[];
  help: boolean;
  ignored: string[];
}

export class UsageError extends Error {}

type Kind = 'string' | 'int' | 'bool' | 'list';
const FLAGS: Record<string, { key: keyof NotifFlags; kind: Kind; env?: string; help: string }> = {
  kubeconfig: { key: 'kubeconfig', kind: 'string', env: 'KUBECONFIG', help: 'Path to a kube config. Only required if out-of-cluster' },
  namespace: { key: 'namespace', kind: 'string', env: 'ARGOCD_NAMESPACE', help: "Namespace of argocd-notifications-cm (default: the pod's namespace)" },
  'processors-count': { key: 'processorsCount', kind: 'int', env: 'ARGOCD_NOTIFICATION_CONTROLLER_PROCESSORS_COUNT', help: 'Processors count.' },
  'app-label-selector': { key: 'appLabelSelector', kind: 'string', help: 'App label selector.' },
  loglevel: { key: 'logLevel', kind: 'string', env: 'ARGOCD_NOTIFICATIONS_CONTROLLER_LOGLEVEL', help: 'Set the logging level. One of: debug|info|warn|error' },
  logformat: { key: 'logFormat', kind: 'string', env: 'ARGOCD_NOTIFICATIONS_CONTROLLER_LOGFORMAT', help: 'Set the logging format. One of: text|json' },
  'metrics-port': { key: 'metricsPort', kind: 'int', help: 'Metrics port' },
  'config-map-name': { key: 'configMapName', kind: 'string', help: 'Set notifications ConfigMap name' },
  'secret-name': { key: 'secretName', kind: 'string', help: 'Set notifications Secret name' },
  'application-namespaces': { key: 'applicationNamespaces', kind: 'list', env: 'ARGOCD_APPLICATION_NAMESPACES', help: 'List of additional namespaces that this controller should send notifications for' },
};
/** upstream flags accepted and not acted on (repo server: Flotilla's templates do not read from Git) */
const IGNORED = new Set(['argocd-repo-server', 'argocd-repo-server-plaintext', 'argocd-repo-server-strict-tls', 'self-service-notification-enabled', 'logformat-timestamp']);

export function parseFlags(argv: string[], env: Record<string, string | undefined> = {}): NotifFlags {
  const f: NotifFlags = { processorsCount: 1, logLevel: 'info', logFormat: 'text', metricsPort: 9001, configMapName: 'argocd-notifications-cm', secretName: 'argocd-notifications-secret', applicationNamespaces: [], help: false, ignored: [] };
  const set = (name: string, raw: string, where: string) => {
    const d = FLAGS[name]!;
    const r = f as unknown as Record<string, unknown>;
    if (d.kind === 'int') {
      if (!/^\d+$/.test(raw.trim())) throw new UsageError(`${where}: invalid value ${JSON.stringify(raw)} for --${name}: expected a whole number`);
      r[d.key] = Number(raw);
    } else if (d.kind === 'list') r[d.key] = raw.split(',').map((s) => s.trim()).filter(Boolean);
    else r[d.key] = raw;
  };
  for (const [name, d] of Object.entries(FLAGS)) if (d.env && env[d.env]) set(name, env[d.env]!, `environment variable ${d.env}`);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') {
      f.help = true;
      continue;
    }
    if (i === 0 && /(^|\/)argocd-notifications$/.test(a)) continue;
    if (a === 'controller' && i <= 1) continue;
    if (!a.startsWith('-')) throw new UsageError(`unexpected argument ${JSON.stringify(a)} (see --help)`);
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    if (FLAGS[name]) {
      const raw = eq < 0 ? argv[++i] : body.slice(eq + 1);
      if (raw === undefined) throw new UsageError(`flag needs an argument: --${name}`);
      set(name, raw, 'command line');
    } else if (IGNORED.has(name)) {
      if (eq < 0 && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('-')) i++;
      f.ignored.push(name);
    } else throw new UsageError(`unknown flag: ${a}`);
  }
  if (!['debug', 'info', 'warn', 'error'].includes(f.logLevel)) throw new UsageError(`invalid value ${JSON.stringify(f.logLevel)} for --loglevel: one of debug|info|warn|error`);
  if (f.processorsCount < 1) throw new UsageError('--processors-count: must be at least 1');
  return f;
}

export function helpText(): string {
  return ['Starts Argo CD Notifications controller', '', 'Usage:', '  argocd-notifications [flags]', '', 'Flags:', ...Object.entries(FLAGS).map(([n, d]) => `      --${n.padEnd(26)} ${d.help}`), ''].join('\n');
}

const LEVELS = { debug: 0, info: 1, warn: 2, error: 3 } as const;
export function makeLogger(f: Pick<NotifFlags, 'logLevel' | 'logFormat'>, out: (s: string) => void = (s) => process.stderr.write(s)) {
  const min = LEVELS[f.logLevel as keyof typeof LEVELS] ?? 1;
  return (level: keyof typeof LEVELS, msg: string) => {
    if (LEVELS[level] < min) return;
    const time = new Date().toISOString();
    out(f.logFormat === 'json' ? JSON.stringify({ level, msg, time }) + '\n' : `time="${time}" level=${level} msg=${JSON.stringify(msg)}\n`);
  };
}

const SA_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** Argo CD's controller options (also used in-process by tests and the benchmark). */
export function argocdOptions(f: NotifFlags, client: KubeClient, log: NotificationsOptions['log']): NotificationsOptions {
  const namespace = f.namespace ?? (existsSync(SA_NAMESPACE) ? readFileSync(SA_NAMESPACE, 'utf8').trim() : 'argocd');
  return {
    client,
    namespace,
    resource: APPLICATIONS,
    objectNamespaces: f.applicationNamespaces.includes('*') ? [''] : [namespace, ...f.applicationNamespaces],
    varName: 'app',
    vars: argocdVars,
    configMapName: f.configMapName,
    secretName: f.secretName,
    project: { resource: APPPROJECTS, nameOf: (o) => ((o as { spec?: { project?: string } }).spec?.project || 'default') },
    defaultContext: { argocdUrl: 'https://localhost:4000' },
    since: (o) => {
      const t = Date.parse((o as { status?: { operationState?: { startedAt?: string } } }).status?.operationState?.startedAt ?? '');
      return Number.isNaN(t) ? undefined : Math.floor(t / 1000);
    },
    labelSelector: f.appLabelSelector,
    workers: f.processorsCount,
    log,
  };
}

export async function main(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  let f: NotifFlags;
  try {
    f = parseFlags(argv, env);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`argocd-notifications: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (f.help) {
    process.stdout.write(helpText());
    return 0;
  }
  const log = makeLogger(f);
  if (f.ignored.length) log('info', `accepted upstream flags not acted on by Flotilla: ${f.ignored.map((n) => '--' + n).join(', ')}`);
  const client = new KubeClient(f.kubeconfig, { fieldManager: 'argocd-notifications', userAgent: 'argocd-notifications-controller' });
  const ctl = new NotificationsController({ ...argocdOptions(f, client, log), observe: notificationMetrics() });
  let health: HealthServer | undefined;
  try {
    health = await serveHealth({ port: f.metricsPort, host: '0.0.0.0', readyz: { informers: () => ctl.ready() || 'informers not synced' } });
    await ctl.start();
  } catch (e) {
    log('error', `failed to start: ${(e as Error).message}`);
    await health?.close();
    client.close();
    return 1;
  }
  log('info', `argocd-notifications-controller started (namespace ${ctl.opts.namespace}, ConfigMap ${f.configMapName}, Secret ${f.secretName}, metrics on ${health.url})`);
  return new Promise<number>((resolve) => {
    const stop = (sig: string) => {
      log('info', `${sig}: shutting down`);
      Promise.all([ctl.stop(), health?.close()]).then(
        () => {
          client.close();
          resolve(0);
        },
        () => resolve(1),
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
