/**
 * argocd-server's command line as upstream's: flags, then `ARGOCD_SERVER_*` environment variables
 * (which upstream's install.yaml fills from argocd-cmd-params-cm: `server.insecure`, `server.basehref`,
 * `server.rootpath`, …), then defaults.
 */
import type { ServerOptions } from './context.js';
import { DEFAULT_OPTIONS } from './server.js';

export const USAGE = `Usage: argocd-server [flags]

The API server is a gRPC/REST server which exposes the API consumed by the Web UI, CLI, and CI/CD systems.

Flags:
      --address string            Listen on given address (default "0.0.0.0")
      --port int                  Listen on given port (default 8080)
      --metrics-address string    Listen for metrics on given address (default "0.0.0.0")
      --metrics-port int          Start metrics on given port (default 8083)
      --insecure                  Run server without TLS
      --repo-server string        Repo server address (default "argocd-repo-server:8081")
      --dex-server string         Dex server address (default "argocd-dex-server:5556"; http unless given as https://…)
      --redis string              Redis server hostname and port (e.g. argocd-redis:6379)
      --basehref string           Value for base href in index.html. Used if Argo CD is running behind reverse proxy under subpath different from / (default "/")
      --rootpath string           Used if Argo CD is running behind reverse proxy under subpath different from /
      --staticassets string       Directory path that contains additional static assets
      --enable-proxy-extension    Enable Proxy Extension feature (serve /extensions/<name>/… as configured in argocd-cm extension.config)
      --loglevel string           Set the logging level. One of: debug|info|warn|error (default "info")
      --logformat string          Set the logging format. One of: text|json (default "text")
  -n, --namespace string          Namespace (default: the pod's, else "argocd")
      --kubeconfig string         Path to a kube config. Only required if out-of-cluster
  -h, --help                      help for argocd-server
`;

export class UsageError extends Error {}

/** The environment variable of each flag (upstream's ARGOCD_SERVER_* names). */
const ENV: Record<string, string> = {
  insecure: 'ARGOCD_SERVER_INSECURE',
  basehref: 'ARGOCD_SERVER_BASEHREF',
  rootpath: 'ARGOCD_SERVER_ROOTPATH',
  staticassets: 'ARGOCD_SERVER_STATIC_ASSETS',
  'repo-server': 'ARGOCD_SERVER_REPO_SERVER',
  redis: 'REDIS_SERVER',
  'dex-server': 'ARGOCD_SERVER_DEX_SERVER',
  loglevel: 'ARGOCD_SERVER_LOGLEVEL',
  logformat: 'ARGOCD_SERVER_LOGFORMAT',
  address: 'ARGOCD_SERVER_LISTEN_ADDRESS',
  'metrics-address': 'ARGOCD_SERVER_METRICS_LISTEN_ADDRESS',
  'enable-proxy-extension': 'ARGOCD_SERVER_ENABLE_PROXY_EXTENSION',
};

const BOOL = new Set(['insecure', 'help', 'h', 'disable-auth', 'enable-gzip', 'x-frame-options', 'dex-server-plaintext', 'repo-server-plaintext', 'repo-server-strict-tls', 'redis-use-tls', 'redis-insecure-skip-tls-verify', 'otlp-insecure', 'enable-proxy-extension', 'hydrator-enabled', 'api-content-types', 'sso-debug']);

export interface ParsedArgs {
  opts: Partial<ServerOptions>;
  kubeconfig?: string;
  help: boolean;
  /** flags we accept for compatibility and ignore */
  ignored: string[];
}

function parseBool(v: string, what: string): boolean {
  const s = v.trim().toLowerCase();
  if (s === 'true' || s === '1' || s === 't') return true;
  if (s === 'false' || s === '0' || s === 'f' || s === '') return false;
  throw new UsageError(`invalid boolean value "${v}" for ${what}`);
}

function parseInt10(v: string, what: string): number {
  if (!/^\d+$/.test(v.trim())) throw new UsageError(`invalid argument "${v}" for "${what}" flag: want an integer`);
  return Number(v);
}

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ParsedArgs {
  const flags = new Map<string, string>();
  const ignored: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-')) {
      if (a === 'argocd-server') continue;
      throw new UsageError(`unknown command "${a}" for "argocd-server"`);
    }
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    let value: string;
    if (eq >= 0) value = body.slice(eq + 1);
    else if (BOOL.has(name)) value = 'true';
    else {
      if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: ${a}`);
      value = argv[++i];
    }
    flags.set(name === 'n' ? 'namespace' : name === 'h' ? 'help' : name, value);
  }
  const get = (name: string): string | undefined => flags.get(name) ?? (ENV[name] ? env[ENV[name]] || undefined : undefined);
  const opts: Partial<ServerOptions> = {};
  const known = new Set(['help', 'namespace', 'kubeconfig', ...Object.keys(ENV)]);
  for (const k of flags.keys()) if (!known.has(k)) ignored.push(k);
  const v = (n: string) => get(n);
  if (v('insecure') !== undefined) opts.insecure = parseBool(v('insecure')!, '--insecure');
  if (v('enable-proxy-extension') !== undefined) opts.enableProxyExtension = parseBool(v('enable-proxy-extension')!, '--enable-proxy-extension');
  // --port/--metrics-port only from the flags: the Services argocd-server and argocd-server-metrics give every
  // pod ARGOCD_SERVER_PORT / ARGOCD_SERVER_METRICS_PORT=tcp://… (Kubernetes service links)
  if (flags.get('port') !== undefined) opts.port = parseInt10(flags.get('port')!, 'port');
  if (flags.get('metrics-port') !== undefined) opts.metricsPort = parseInt10(flags.get('metrics-port')!, 'metrics-port');
  if (v('address') !== undefined) opts.address = v('address');
  if (v('metrics-address') !== undefined) opts.metricsAddress = v('metrics-address');
  if (v('repo-server') !== undefined) opts.repoServer = v('repo-server');
  else if (env.ARGOCD_REPO_SERVER) opts.repoServer = env.ARGOCD_REPO_SERVER;
  if (v('redis') !== undefined) opts.redis = v('redis');
  if (v('dex-server') !== undefined) opts.dexServer = v('dex-server');
  if (v('basehref') !== undefined) opts.basehref = v('basehref');
  if (v('rootpath') !== undefined) opts.rootpath = v('rootpath');
  if (v('staticassets') !== undefined) opts.staticassets = v('staticassets');
  const lvl = v('loglevel');
  if (lvl !== undefined) {
    if (!['debug', 'info', 'warn', 'error'].includes(lvl)) throw new UsageError(`--loglevel: want one of debug|info|warn|error, got "${lvl}"`);
    opts.loglevel = lvl as ServerOptions['loglevel'];
  }
  const fmt = v('logformat');
  if (fmt !== undefined) {
    if (fmt !== 'json' && fmt !== 'text') throw new UsageError(`--logformat: want text or json, got "${fmt}"`);
    opts.logformat = fmt;
  }
  if (flags.get('namespace')) opts.namespace = flags.get('namespace');
  // basehref defaults to rootpath when only rootpath is set (as upstream serves the UI under it)
  if (opts.rootpath && opts.basehref === undefined) opts.basehref = `/${opts.rootpath.replace(/^\/+|\/+$/g, '')}/`;
  return { opts: { ...opts }, kubeconfig: flags.get('kubeconfig'), help: flags.has('help'), ignored };
}

export { DEFAULT_OPTIONS };
