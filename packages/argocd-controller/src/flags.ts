/**
 * The command line of `argocd-application-controller` as upstream ships it: flags, their
 * environment variables (filled from `argocd-cmd-params-cm` / `argocd-cm` by the install manifest)
 * and defaults. Pure: `parseControllerArgs(argv, env)` → config or a usage error.
 */

export interface ControllerConfig {
  /** `--app-resync` seconds (= argocd-cm timeout.reconciliation), default 180; 0 disables periodic refresh */
  appResyncSeconds: number;
  appHardResyncSeconds: number;
  appResyncJitterSeconds: number;
  repoServer: string;
  repoServerTimeoutSeconds: number;
  repoServerPlaintext: boolean;
  statusProcessors: number;
  operationProcessors: number;
  kubectlParallelismLimit: number;
  metricsPort: number;
  /** 0 disables the health/metrics endpoint (tests) */
  metricsHost: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  logFormat: 'text' | 'json';
  redis?: string;
  /** the namespace of Argo CD itself (Applications, AppProjects, Secrets, argocd-cm) */
  namespace?: string;
  /** extra namespaces Applications may live in (`--application-namespaces`, globs) */
  applicationNamespaces: string[];
  selfHealTimeoutSeconds: number;
  syncTimeoutSeconds: number;
  replicas: number;
  /** this replica's shard (from the StatefulSet pod ordinal, ARGOCD_CONTROLLER_SHARD, or --shard) */
  shard: number;
  kubeconfig?: string;
  serverSideDiff: boolean;
  qps: number;
  burst: number;
  /** accepted upstream flags Flotilla does not act on */
  ignored: string[];
  help: boolean;
}

export class UsageError extends Error {}

type Kind = 'int' | 'string' | 'bool' | 'duration' | 'list';
interface FlagDef {
  key: keyof ControllerConfig;
  kind: Kind;
  env?: string[];
  def: unknown;
  help: string;
}

const F: Record<string, FlagDef> = {
  'app-resync': { key: 'appResyncSeconds', kind: 'int', env: ['ARGOCD_RECONCILIATION_TIMEOUT'], def: 180, help: 'Time period in seconds for application resync (timeout.reconciliation)' },
  'app-hard-resync': { key: 'appHardResyncSeconds', kind: 'int', env: ['ARGOCD_HARD_RECONCILIATION_TIMEOUT'], def: 0, help: 'Time period in seconds for application hard resync (0: never)' },
  'app-resync-jitter': { key: 'appResyncJitterSeconds', kind: 'int', env: ['ARGOCD_RECONCILIATION_JITTER'], def: 60, help: 'Maximum time period in seconds to add as a delay jitter for application resync' },
  'repo-server': { key: 'repoServer', kind: 'string', env: ['ARGOCD_APPLICATION_CONTROLLER_REPO_SERVER', 'ARGOCD_REPO_SERVER'], def: 'argocd-repo-server:8081', help: 'Repo server address' },
  'repo-server-timeout-seconds': { key: 'repoServerTimeoutSeconds', kind: 'int', env: ['ARGOCD_APPLICATION_CONTROLLER_REPO_SERVER_TIMEOUT_SECONDS'], def: 60, help: 'Repo server RPC call timeout seconds' },
  'repo-server-plaintext': { key: 'repoServerPlaintext', kind: 'bool', env: ['ARGOCD_APPLICATION_CONTROLLER_REPO_SERVER_PLAINTEXT'], def: true, help: 'Use a plaintext client (non-TLS) to connect to the repository server (Flotilla always does)' },
  'status-processors': { key: 'statusProcessors', kind: 'int', env: ['ARGOCD_APPLICATION_CONTROLLER_STATUS_PROCESSORS'], def: 20, help: 'Number of application status processors' },
  'operation-processors': { key: 'operationProcessors', kind: 'int', env: ['ARGOCD_APPLICATION_CONTROLLER_OPERATION_PROCESSORS'], def: 10, help: 'Number of application operation processors' },
  'kubectl-parallelism-limit': { key: 'kubectlParallelismLimit', kind: 'int', env: ['ARGOCD_APPLICATION_CONTROLLER_KUBECTL_PARALLELISM_LIMIT'], def: 20, help: 'Number of allowed concurrent apply operations (0: unlimited)' },
  'metrics-port': { key: 'metricsPort', kind: 'int', env: ['ARGOCD_APPLICATION_CONTROLLER_METRICS_PORT'], def: 8082, help: 'Start metrics server on given port' },
  'metrics-host': { key: 'metricsHost', kind: 'string', env: [], def: '0.0.0.0', help: 'Address the metrics server listens on' },
  loglevel: { key: 'logLevel', kind: 'string', env: ['ARGOCD_APPLICATION_CONTROLLER_LOGLEVEL'], def: 'info', help: 'Set the logging level. One of: debug|info|warn|error' },
  logformat: { key: 'logFormat', kind: 'string', env: ['ARGOCD_APPLICATION_CONTROLLER_LOGFORMAT'], def: 'text', help: 'Set the logging format. One of: text|json' },
  redis: { key: 'redis', kind: 'string', env: ['REDIS_SERVER'], def: undefined, help: 'Redis server hostname and port (e.g. argocd-redis:6379)' },
  namespace: { key: 'namespace', kind: 'string', env: ['ARGOCD_NAMESPACE', 'POD_NAMESPACE'], def: undefined, help: 'The namespace of Argo CD (default: the in-cluster namespace, else argocd)' },
  'application-namespaces': { key: 'applicationNamespaces', kind: 'list', env: ['ARGOCD_APPLICATION_NAMESPACES'], def: [], help: 'List of additional namespaces that applications are allowed to be reconciled from' },
  'self-heal-timeout-seconds': { key: 'selfHealTimeoutSeconds', kind: 'int', env: ['ARGOCD_APPLICATION_CONTROLLER_SELF_HEAL_TIMEOUT_SECONDS'], def: 5, help: 'Specifies timeout between application self heal attempts' },
  'sync-timeout': { key: 'syncTimeoutSeconds', kind: 'int', env: ['ARGOCD_APPLICATION_CONTROLLER_SYNC_TIMEOUT'], def: 0, help: 'Specifies the timeout after which a sync would be terminated. 0 means no timeout' },
  kubeconfig: { key: 'kubeconfig', kind: 'string', env: ['KUBECONFIG'], def: undefined, help: 'Path to a kube config. Only required if out-of-cluster' },
  'server-side-diff-enabled': { key: 'serverSideDiff', kind: 'bool', env: ['ARGOCD_APPLICATION_CONTROLLER_SERVER_SIDE_DIFF'], def: false, help: 'Feature flag to enable ServerSide diff' },
  'kube-api-qps': { key: 'qps', kind: 'int', env: ['ARGOCD_K8S_CLIENT_QPS'], def: 200, help: 'Kubernetes client QPS' },
  'kube-api-burst': { key: 'burst', kind: 'int', env: ['ARGOCD_K8S_CLIENT_BURST'], def: 400, help: 'Kubernetes client burst' },
};

/** Upstream flags that take a value and that Flotilla accepts without acting on them. */
const IGNORED_VALUE = new Set([
  'logformat-timestamp', 'gloglevel', 'metrics-cache-expiration', 'metrics-application-labels', 'metrics-application-conditions', 'metrics-cluster-labels',
  'redisdb', 'sentinel', 'sentinelmaster', 'redis-compress', 'redis-ca-certificate', 'redis-client-certificate', 'redis-client-key', 'redis-use-tls', 'redis-insecure-skip-tls-verify',
  'default-cache-expiration', 'otlp-address', 'otlp-insecure', 'otlp-headers', 'otlp-attrs', 'otlp-sample-ratio', 'sharding-method', 'repo-error-grace-period-seconds',
  'repo-server-strict-tls', 'repo-server-ca-cert-path', 'repo-server-client-cert-path', 'repo-server-client-cert-key-path', 'self-heal-backoff-timeout-seconds',
  'self-heal-backoff-factor', 'self-heal-backoff-cap-seconds', 'self-heal-backoff-cooldown-seconds', 'wq-basedelay-ns', 'wq-bucket-qps', 'wq-bucket-size',
  'wq-cooldown-ns', 'wq-maxdelay-ns', 'wq-backoff-factor', 'persist-resource-health', 'app-state-cache-expiration', 'hydrator-enabled', 'ignore-normalizer-jq-execution-timeout-seconds',
  'dynamic-cluster-distribution-enabled', 'server-side-diff-enabled', 'commit-server', 'hydration-processors', 'kubectl-parallelism-limit', 'k8sclient-retry-max',
  'k8sclient-retry-base-backoff', 'cluster', 'context', 'user', 'token', 'server', 'certificate-authority', 'client-certificate', 'client-key', 'insecure-skip-tls-verify',
  'request-timeout', 'as', 'as-group', 'as-uid', 'password', 'username', 'tls-server-name', 'proxy-url', 'disable-compression', 'loglevel-k8s',
]);

const BOOL_WORDS: Record<string, boolean> = { true: true, '1': true, yes: true, false: false, '0': false, no: false };

function convert(name: string, kind: Kind, raw: string, where: string): unknown {
  switch (kind) {
    case 'int': {
      const d = /^(\d+)(s|m|h)?$/.exec(raw.trim());
      if (!d) throw new UsageError(`${where}: invalid value ${JSON.stringify(raw)} for --${name}: expected a whole number`);
      return Number(d[1]) * (d[2] === 'm' ? 60 : d[2] === 'h' ? 3600 : 1);
    }
    case 'bool': {
      const b = BOOL_WORDS[raw.trim().toLowerCase()];
      if (b === undefined) throw new UsageError(`${where}: invalid value ${JSON.stringify(raw)} for --${name}: expected true or false`);
      return b;
    }
    case 'list':
      return raw.split(',').map((s) => s.trim()).filter(Boolean);
    default:
      return raw;
  }
}

/** The replica ordinal of a StatefulSet pod name (`argocd-application-controller-2` → 2). */
export function ordinalOf(hostname: string | undefined): number | undefined {
  const m = /-(\d+)$/.exec(hostname ?? '');
  return m ? Number(m[1]) : undefined;
}

export function parseControllerArgs(argv: string[], env: Record<string, string | undefined> = {}): ControllerConfig {
  const cfg: Record<string, unknown> = { ignored: [], help: false };
  for (const [name, d] of Object.entries(F)) {
    let v = d.def;
    for (const e of d.env ?? []) {
      const raw = env[e];
      if (raw !== undefined && raw !== '') {
        v = convert(name, d.kind, raw, `environment variable ${e}`);
        break;
      }
    }
    cfg[d.key] = v;
  }
  const ignored = cfg.ignored as string[];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help' || a === 'help') {
      cfg.help = true;
      continue;
    }
    // the upstream image runs the binary path as the first argument
    if (i === 0 && /(^|\/)argocd-application-controller$/.test(a)) continue;
    if (!a.startsWith('-')) throw new UsageError(`unexpected argument ${JSON.stringify(a)} (see --help)`);
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const def = F[name];
    if (def) {
      let raw: string | undefined = eq < 0 ? undefined : body.slice(eq + 1);
      if (raw === undefined) {
        if (def.kind === 'bool' && (argv[i + 1] === undefined || BOOL_WORDS[argv[i + 1]] === undefined)) raw = 'true';
        else if (argv[i + 1] === undefined) throw new UsageError(`flag needs an argument: --${name}`);
        else raw = argv[++i];
      }
      cfg[def.key] = convert(name, def.kind, raw, 'command line');
      continue;
    }
    if (IGNORED_VALUE.has(name)) {
      if (eq < 0 && argv[i + 1] !== undefined && !argv[i + 1].startsWith('-')) i++;
      ignored.push(name);
      continue;
    }
    if (/^[a-z][a-z0-9-]*$/.test(name)) {
      // unknown flags of newer upstream versions: accepted (boolean form) and logged
      ignored.push(name);
      continue;
    }
    throw new UsageError(`unknown flag: ${a}`);
  }
  const level = String(cfg.logLevel);
  if (!['debug', 'info', 'warn', 'error'].includes(level)) throw new UsageError(`invalid value ${JSON.stringify(level)} for --loglevel: one of debug|info|warn|error`);
  const replicas = Number(env.ARGOCD_CONTROLLER_REPLICAS ?? 1) || 1;
  const shard = env.ARGOCD_CONTROLLER_SHARD !== undefined && env.ARGOCD_CONTROLLER_SHARD !== '' ? Number(env.ARGOCD_CONTROLLER_SHARD) : (ordinalOf(env.HOSTNAME ?? env.POD_NAME) ?? 0);
  if (!Number.isInteger(shard) || shard < 0) throw new UsageError(`invalid shard ${JSON.stringify(env.ARGOCD_CONTROLLER_SHARD)}: expected a whole number`);
  cfg.replicas = replicas;
  cfg.shard = replicas > 1 ? shard % replicas : 0;
  return cfg as unknown as ControllerConfig;
}

export function helpText(): string {
  const lines = [
    'argocd-application-controller is a controller to operate on applications CRD',
    '',
    'Usage:',
    '  argocd-application-controller [flags]',
    '',
    'Flags:',
  ];
  for (const [name, d] of Object.entries(F)) {
    const env = d.env?.length ? ` (env ${d.env.join(', ')})` : '';
    const def = d.def === undefined || (Array.isArray(d.def) && !d.def.length) ? '' : ` (default ${JSON.stringify(d.def)})`;
    lines.push(`      --${name}${d.kind === 'bool' ? '' : ' ' + d.kind}`.padEnd(42) + d.help + def + env);
  }
  lines.push('  -h, --help'.padEnd(42) + 'help for argocd-application-controller');
  lines.push('', 'Other upstream flags (redis TLS, OTLP, sharding method, work-queue tuning, kube client overrides) are', 'accepted and logged as not acted on. ARGOCD_CONTROLLER_REPLICAS with the StatefulSet pod ordinal', '(or ARGOCD_CONTROLLER_SHARD) selects the clusters this replica manages.');
  return lines.join('\n') + '\n';
}
