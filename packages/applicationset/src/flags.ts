/**
 * The command line of `argocd-applicationset-controller` as upstream ships it: flags, the
 * environment variables the install manifest fills from argocd-cmd-params-cm, defaults. Pure.
 */

export class UsageError extends Error {}

export interface AppSetConfig {
  metricsAddr: string;
  probeAddr: string;
  webhookAddr: string;
  leaderElect: boolean;
  namespace?: string;
  repoServer: string;
  policy: 'sync' | 'create-only' | 'create-update' | 'create-delete';
  enablePolicyOverride: boolean;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  logFormat: 'text' | 'json';
  dryRun: boolean;
  progressiveSyncs: boolean;
  applicationSetNamespaces: string[];
  concurrentReconciliations: number;
  kubeconfig?: string;
  requeueAfterMs: number;
  maxResourcesStatusCount: number;
  allowedScmProviders: string[];
  enableScmProviders: boolean;
  ignored: string[];
  help: boolean;
}

type Kind = 'string' | 'bool' | 'int' | 'list' | 'duration';
interface Def {
  key?: keyof AppSetConfig;
  kind: Kind;
  env?: string;
  def?: unknown;
  help: string;
}
const E = (s: string) => `ARGOCD_APPLICATIONSET_CONTROLLER_${s}`;

const F: Record<string, Def> = {
  'metrics-addr': { key: 'metricsAddr', kind: 'string', def: ':8080', help: 'The address the metric endpoint binds to' },
  'probe-addr': { key: 'probeAddr', kind: 'string', def: ':8081', help: 'The address the probe endpoint binds to' },
  'webhook-addr': { key: 'webhookAddr', kind: 'string', def: ':7000', help: 'The address the webhook endpoint (/api/webhook: GitHub, GitLab, Gitea, Bitbucket Server push and pull request events) binds to' },
  'enable-leader-election': { key: 'leaderElect', kind: 'bool', env: E('ENABLE_LEADER_ELECTION'), def: false, help: 'Enable leader election for controller manager' },
  namespace: { key: 'namespace', kind: 'string', env: 'NAMESPACE', help: "Argo CD's namespace (default: the pod's)" },
  'argocd-repo-server': { key: 'repoServer', kind: 'string', env: E('REPO_SERVER'), def: 'argocd-repo-server:8081', help: 'Argo CD repo server address (Flotilla reads Git directly)' },
  policy: { key: 'policy', kind: 'string', env: E('POLICY'), def: 'sync', help: 'Modify how application is synced between the generator and the cluster: sync, create-only, create-update, create-delete' },
  'enable-policy-override': { key: 'enablePolicyOverride', kind: 'bool', env: E('ENABLE_POLICY_OVERRIDE'), def: true, help: "For security reason if 'policy' is set, it is not possible to override it at applicationSet level; allow it" },
  loglevel: { key: 'logLevel', kind: 'string', env: E('LOGLEVEL'), def: 'info', help: 'Set the logging level: debug, info, warn or error' },
  logformat: { key: 'logFormat', kind: 'string', env: E('LOGFORMAT'), def: 'text', help: 'Set the logging format: text or json' },
  debug: { kind: 'bool', env: E('DEBUG'), help: 'Print debug logs (same as --loglevel debug)' },
  'dry-run': { key: 'dryRun', kind: 'bool', env: E('DRY_RUN'), def: false, help: 'Enable dry run mode: no Application is written' },
  'enable-progressive-syncs': { key: 'progressiveSyncs', kind: 'bool', env: E('ENABLE_PROGRESSIVE_SYNCS'), def: false, help: 'Enable use of the experimental progressive syncs feature (strategy RollingSync)' },
  'applicationset-namespaces': { key: 'applicationSetNamespaces', kind: 'list', env: E('NAMESPACES'), def: [], help: "Argo CD applicationset namespaces (globs) besides Argo CD's own" },
  'concurrent-reconciliations': { key: 'concurrentReconciliations', kind: 'int', env: E('CONCURRENT_RECONCILIATIONS'), def: 10, help: 'Max concurrent reconciliations limit for the controller' },
  kubeconfig: { key: 'kubeconfig', kind: 'string', help: 'Path to a kubeconfig (default: in-cluster)' },
  'requeue-after': { key: 'requeueAfterMs', kind: 'duration', env: E('REQUEUE_AFTER'), def: 180_000, help: 'Time between regenerations of sets with git, plugin or decision generators' },
  'allowed-scm-providers': { key: 'allowedScmProviders', kind: 'list', env: E('ALLOWED_SCM_PROVIDERS'), def: [], help: 'The list of allowed custom SCM provider API URLs (empty: all)' },
  'enable-scm-providers': { key: 'enableScmProviders', kind: 'bool', env: E('ENABLE_SCM_PROVIDERS'), def: true, help: 'Enable retrieving information from SCM providers, used by the SCM and PR generators' },
  'max-resources-status-count': { key: 'maxResourcesStatusCount', kind: 'int', env: E('MAX_RESOURCES_STATUS_COUNT'), def: 0, help: 'Max number of resources stored in appset status (0: all)' },
};
const IGNORED = ['enable-new-git-file-globbing', 'enable-git-submodule', 'tokenref-strict-mode', 'repo-server-plaintext', 'repo-server-strict-tls', 'repo-server-timeout-seconds', 'scm-root-ca-path', 'enable-github-api-metrics', 'webhook-parallelism-limit', 'global-preserved-annotations', 'global-preserved-labels', 'logformat-timestamp', 'kube-api-qps', 'kube-api-burst'];

/** Go duration (`3m`, `90s`, `1h30m`) or seconds → ms. */
export function parseDuration(s: string, where: string): number {
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let used = 0;
  for (const m of s.matchAll(re)) {
    total += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms'];
    used += m[0].length;
  }
  if (!used || used !== s.length) throw new UsageError(`${where}: "${s}" is not a duration (e.g. 3m, 30s)`);
  return total;
}

function convert(kind: Kind, v: string, where: string): unknown {
  switch (kind) {
    case 'bool':
      if (!/^(true|false|1|0)$/i.test(v)) throw new UsageError(`${where}: "${v}" is not a boolean`);
      return /^(true|1)$/i.test(v);
    case 'int':
      if (!/^-?\d+$/.test(v)) throw new UsageError(`${where}: "${v}" is not an integer`);
      return Number(v);
    case 'list':
      return v.split(',').map((x) => x.trim()).filter(Boolean);
    case 'duration':
      return parseDuration(v, where);
    default:
      return v;
  }
}

export function parseAppSetArgs(argv: string[], env: Record<string, string | undefined> = {}): AppSetConfig {
  const cfg: Record<string, unknown> = { ignored: [], help: false };
  let debug = false;
  for (const [name, d] of Object.entries(F)) {
    if (d.key && d.def !== undefined) cfg[d.key] = d.def;
    const ev = d.env ? env[d.env] : undefined;
    if (ev !== undefined && ev !== '') {
      const v = convert(d.kind, ev, `$${d.env}`);
      if (d.key) cfg[d.key] = v;
      else if (name === 'debug') debug = v as boolean;
    }
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') {
      cfg.help = true;
      continue;
    }
    const m = /^--?([a-z0-9-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new UsageError(`unexpected argument "${a}"`);
    const [, name, inline] = m;
    const d = F[name!];
    if (!d) {
      if (IGNORED.includes(name!)) {
        (cfg.ignored as string[]).push(name!);
        if (inline === undefined && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('-')) i++;
        continue;
      }
      throw new UsageError(`unknown flag: --${name}`);
    }
    let v = inline;
    if (v === undefined) {
      if (d.kind === 'bool') v = 'true';
      else if (argv[i + 1] === undefined) throw new UsageError(`flag needs an argument: --${name}`);
      else v = argv[++i]!;
    }
    const val = convert(d.kind, v, `--${name}`);
    if (d.key) cfg[d.key] = val;
    else if (name === 'debug') debug = val as boolean;
  }
  if (debug) cfg.logLevel = 'debug';
  if (!['sync', 'create-only', 'create-update', 'create-delete'].includes(cfg.policy as string)) throw new UsageError(`--policy: unknown policy "${cfg.policy}" (sync, create-only, create-update, create-delete)`);
  if (!['debug', 'info', 'warn', 'error'].includes(cfg.logLevel as string)) throw new UsageError(`--loglevel: unknown level "${cfg.logLevel}"`);
  if (!['text', 'json'].includes(cfg.logFormat as string)) throw new UsageError(`--logformat: unknown format "${cfg.logFormat}"`);
  return cfg as unknown as AppSetConfig;
}

export function helpText(): string {
  const lines = Object.entries(F).map(([n, d]) => `      --${n.padEnd(30)} ${d.help}${d.def !== undefined && d.def !== '' ? ` (default ${JSON.stringify(d.def)})` : ''}${d.env ? ` [$${d.env}]` : ''}`);
  return `Starts Argo CD ApplicationSet controller\n\nUsage:\n  argocd-applicationset-controller [flags]\n\nFlags:\n${lines.join('\n')}\n`;
}

/** `:8080` / `0.0.0.0:8080` / `127.0.0.1:0` → host and port. */
export function splitAddr(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  const host = i <= 0 ? '0.0.0.0' : addr.slice(0, i);
  const port = Number(addr.slice(i + 1));
  if (!Number.isInteger(port) || port < 0) throw new UsageError(`address "${addr}" has no valid port`);
  return { host, port };
}
