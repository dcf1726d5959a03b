/** `argo server`'s command line (upstream's flags; unknown-to-us flags of upstream accepted and reported as unused). */
import { DEFAULT_OPTIONS, type AuthMode, type ServerOptions } from './context.js';

export const USAGE = `Start the Argo Server

Usage:
  argo server [flags]

Examples:

See https://argo-workflows.readthedocs.io/en/latest/argo-server/

Flags:
      --auth-mode stringArray             API server authentication mode. Any 1 or more length permutation of: client,server,sso (default [client])
      --basehref string                   Value for base href in index.html. Used if the server is running behind reverse proxy under subpath different from /. Defaults to the environment variable BASE_HREF. (default "/")
      --base-href string                  Same as --basehref
      --configmap string                  Name of K8s configmap to retrieve workflow controller configuration (default "workflow-controller-configmap")
  -h, --help                              help for server
      --managed-namespace string          namespace that watches, default to the installation namespace
      --namespaced                        run as namespaced mode
  -p, --port int                          Port to listen on (default 2746)
      --address string                    Address to listen on (default "0.0.0.0")
  -e, --secure                            Whether or not we should listen on TLS. (default true)
      --tls-certificate-secret-name string   The name of a Kubernetes secret that contains the server certificates
      --archive-completed                 Archive completed workflows the controller has not archived (default true)
      --access-control-allow-origin string   Set Access-Control-Allow-Origin header in HTTP responses.
      --x-frame-options string            Set X-Frame-Options header in HTTP responses. (default "DENY")
      --hsts                              Whether or not we should add a HTTP Secure Transport Security header. This only has effect if secure is enabled. (default true)
      --api-rate-limit uint               Set limit per IP for api ratelimiter (default 1000)

Global Flags:
      --instanceid string              submit with a specific controller's instance id label. Default to the ARGO_INSTANCEID environment variable.
      --kubeconfig string              Path to a kube config. Only required if out-of-cluster
      --loglevel string                Set the logging level. One of: debug|info|warn|error (default "info")
      --log-format string              The formatter to use for logs. One of: text|json (default "text")
  -n, --namespace string               If present, the namespace scope for this CLI request
`;

export class UsageError extends Error {}

const BOOL = new Set(['namespaced', 'secure', 'e', 'help', 'h', 'archive-completed', 'hsts', 'browser', 'b', 'event-async-dispatch', 'insecure-skip-tls-verify', 'gloglevel-ignored']);
const KNOWN = new Set(['api-rate-limit', 'access-control-allow-origin', 'x-frame-options', 'hsts', 'auth-mode', 'basehref', 'base-href', 'configmap', 'help', 'managed-namespace', 'namespaced', 'port', 'address', 'secure', 'tls-certificate-secret-name', 'archive-completed', 'instanceid', 'kubeconfig', 'loglevel', 'log-format', 'namespace']);

export interface Parsed {
  opts: Partial<ServerOptions>;
  kubeconfig?: string;
  help: boolean;
  ignored: string[];
}

function bool(v: string, what: string): boolean {
  const s = v.trim().toLowerCase();
  if (['true', '1', 't'].includes(s)) return true;
  if (['false', '0', 'f'].includes(s)) return false;
  throw new UsageError(`invalid argument "${v}" for "${what}" flag: strconv.ParseBool: parsing "${v}": invalid syntax`);
}

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): Parsed {
  const flags = new Map<string, string[]>();
  const ignored: string[] = [];
  const short: Record<string, string> = { n: 'namespace', p: 'port', e: 'secure', h: 'help', b: 'browser' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === 'server' && i === 0) continue;
    if (!a.startsWith('-')) throw new UsageError(`unknown command "${a}" for "argo server"`);
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    let name = eq >= 0 ? body.slice(0, eq) : body;
    name = short[name] ?? name;
    let value: string;
    if (eq >= 0) value = body.slice(eq + 1);
    else if (BOOL.has(name)) value = 'true';
    else {
      if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: ${a}`);
      value = argv[++i]!;
    }
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  for (const k of flags.keys()) if (!KNOWN.has(k)) ignored.push(k);
  const last = (k: string) => flags.get(k)?.at(-1);
  const opts: Partial<ServerOptions> = {};
  const modes = (flags.get('auth-mode') ?? []).flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
  if (modes.length) {
    for (const m of modes) if (!['server', 'client', 'sso'].includes(m)) throw new UsageError(`invalid mode "${m}": --auth-mode takes client, server or sso`);
    opts.authModes = [...new Set(modes)] as AuthMode[];
  }
  const base = last('base-href') ?? last('basehref') ?? env.BASE_HREF;
  if (base) opts.baseHref = base;
  if (last('configmap')) opts.configMap = last('configmap');
  if (last('managed-namespace')) opts.managedNamespace = last('managed-namespace');
  if (last('namespaced') !== undefined) opts.namespaced = bool(last('namespaced')!, 'namespaced');
  if (last('port') !== undefined) {
    if (!/^\d+$/.test(last('port')!)) throw new UsageError(`invalid argument "${last('port')}" for "-p, --port" flag: want an integer`);
    opts.port = Number(last('port'));
  }
  if (last('address')) opts.address = last('address');
  if (last('secure') !== undefined) opts.secure = bool(last('secure')!, 'secure');
  if (last('tls-certificate-secret-name')) opts.tlsCertificateSecretName = last('tls-certificate-secret-name');
  if (last('archive-completed') !== undefined) opts.archiveCompleted = bool(last('archive-completed')!, 'archive-completed');
  if (last('access-control-allow-origin')) opts.accessControlAllowOrigin = last('access-control-allow-origin');
  if (last('x-frame-options') !== undefined) opts.xFrameOptions = last('x-frame-options');
  if (last('hsts') !== undefined) opts.hsts = bool(last('hsts')!, 'hsts');
  if (last('api-rate-limit') !== undefined) {
    if (!/^\d+$/.test(last('api-rate-limit')!)) throw new UsageError(`invalid argument "${last('api-rate-limit')}" for "--api-rate-limit" flag: want a non-negative integer`);
    opts.apiRateLimit = Number(last('api-rate-limit'));
  }
  const inst = last('instanceid') ?? env.ARGO_INSTANCEID;
  if (inst) opts.instanceId = inst;
  const lvl = last('loglevel');
  if (lvl) {
    if (!['debug', 'info', 'warn', 'error'].includes(lvl)) throw new UsageError(`--loglevel: want one of debug|info|warn|error, got "${lvl}"`);
    opts.loglevel = lvl as ServerOptions['loglevel'];
  }
  const fmt = last('log-format');
  if (fmt) {
    if (fmt !== 'text' && fmt !== 'json') throw new UsageError(`--log-format: want text or json, got "${fmt}"`);
    opts.logformat = fmt;
  }
  if (last('namespace')) opts.namespace = last('namespace');
  return { opts, kubeconfig: last('kubeconfig'), help: flags.has('help'), ignored };
}

export { DEFAULT_OPTIONS };
