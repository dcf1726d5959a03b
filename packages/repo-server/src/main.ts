/**
 * `argocd-repo-server` (`flotilla argocd-repo-server …`, `@flotilla/repo-server/main`): the repo
 * server service on :8081 and its health/metrics endpoint on :8084, configured like upstream's
 * (flags, and the `ARGOCD_REPO_SERVER_*` / `REDIS_*` environment that upstream's manifest fills
 * from argocd-cmd-params-cm). Flags of upstream's that have no meaning here are accepted and
 * logged as ignored.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '@flotilla/apimachinery';
import { SECRET_TYPE_LABEL } from './credentials.js';
import { registerRepoMetrics } from './metrics.js';
import { RedisCache } from './redis-cache.js';
import { RepoServer } from './repo-server.js';
import { CredentialStore, RepoService } from './service.js';

type Kind = 'string' | 'int' | 'bool' | 'duration' | 'size' | 'list';
interface Flag {
  name: string;
  kind: Kind;
  env?: string;
  def?: string;
  help: string;
  /** accepted for upstream compatibility, without effect here (logged when set) */
  ignored?: string;
}

const FLAGS: Flag[] = [
  { name: 'port', kind: 'int', def: '8081', help: 'Listen on given port for incoming connections' },
  { name: 'address', kind: 'string', env: 'ARGOCD_REPO_SERVER_LISTEN_ADDRESS', def: '0.0.0.0', help: 'Listen on given address for incoming connections' },
  { name: 'metrics-port', kind: 'int', def: '8084', help: 'Start metrics server (/metrics, /healthz) on given port' },
  { name: 'metrics-address', kind: 'string', env: 'ARGOCD_REPO_SERVER_LISTEN_METRICS_ADDRESS', def: '0.0.0.0', help: 'Listen on given address for metrics' },
  { name: 'redis', kind: 'string', env: 'REDIS_SERVER', help: 'Redis server hostname and port (e.g. argocd-redis:6379); in a cluster the default is argocd-redis:6379, elsewhere none (no shared cache)' },
  { name: 'redisdb', kind: 'int', env: 'REDISDB', def: '0', help: 'Redis database' },
  { name: 'redis-compress', kind: 'string', env: 'REDIS_COMPRESSION', def: 'gzip', help: 'Compression of data sent to Redis: gzip or none' },
  { name: 'repo-cache-expiration', kind: 'duration', env: 'ARGOCD_REPO_CACHE_EXPIRATION', def: '24h', help: 'Cache expiration for rendered manifests' },
  { name: 'default-cache-expiration', kind: 'duration', env: 'ARGOCD_DEFAULT_CACHE_EXPIRATION', def: '24h', help: 'Cache expiration default' },
  { name: 'revision-cache-expiration', kind: 'duration', def: '0s', help: 'How long resolved branch/tag revisions are reused (0: ask the Git server every time, so a refresh sees a new commit at once)' },
  { name: 'parallelismlimit', kind: 'int', env: 'ARGOCD_REPO_SERVER_PARALLELISM_LIMIT', def: '0', help: 'Limit on number of concurrent manifests generate requests. Any value less than 1 means no limit' },
  { name: 'loglevel', kind: 'string', env: 'ARGOCD_REPO_SERVER_LOGLEVEL', def: 'info', help: 'Set the logging level. One of: debug|info|warn|error' },
  { name: 'logformat', kind: 'string', env: 'ARGOCD_REPO_SERVER_LOGFORMAT', def: 'json', help: 'Set the logging format. One of: json|text' },
  { name: 'max-combined-directory-manifests-size', kind: 'size', env: 'ARGOCD_REPO_SERVER_MAX_COMBINED_DIRECTORY_MANIFESTS_SIZE', def: '10M', help: 'Max size of one manifest file / render output' },
  { name: 'git-request-timeout', kind: 'duration', env: 'ARGOCD_GIT_REQUEST_TIMEOUT', def: '120s', help: 'Time budget of one git command' },
  // Flotilla's own
  { name: 'cache-dir', kind: 'string', env: 'ARGOCD_REPO_SERVER_CACHE_DIR', help: 'Directory of the Git and render caches (default: <tmp>/argocd-repo-server)' },
  { name: 'namespace', kind: 'string', env: 'ARGOCD_NAMESPACE', help: "Namespace whose repository Secrets are read (default: the pod's namespace)" },
  // upstream's, without effect here
  ...['disable-tls', 'allow-oob-symlinks', 'include-hidden-directories', 'disable-helm-manifest-max-extracted-size', 'disable-oci-manifest-max-extracted-size', 'enable-builtin-git-config', 'otlp-insecure', 'plugin-use-manifest-generate-paths', 'redis-use-tls', 'redis-insecure-skip-tls-verify'].map(
    (name): Flag => ({ name, kind: 'bool', help: '(accepted; no effect in Flotilla)', ignored: 'no effect in Flotilla' }),
  ),
  ...['tlsminversion', 'tlsmaxversion', 'tlsciphers', 'otlp-address', 'otlp-headers', 'otlp-attrs', 'helm-manifest-max-extracted-size', 'helm-registry-max-index-size', 'oci-manifest-max-extracted-size', 'oci-layer-media-types', 'streamed-manifest-max-tar-size', 'streamed-manifest-max-extracted-size', 'revision-cache-lock-timeout', 'plugin-tar-exclude', 'sentinel', 'sentinelmaster', 'redis-ca-certificate', 'redis-client-certificate', 'redis-client-key', 'redis-credentials-provider', 'redis-azure-client-id', 'redis-azure-scope', 'client-ca-path'].map(
    (name): Flag => ({ name, kind: 'string', help: '(accepted; no effect in Flotilla)', ignored: 'no effect in Flotilla' }),
  ),
];

export const HELP = `Run ArgoCD Repository Server (Flotilla)

The repository server keeps a local cache of Git repositories and renders applications'
manifests (plain YAML/JSON, Jsonnet, Kustomize, Helm) for the application controller and the API
server: HTTP/JSON on --port (POST /api/generateManifests, resolveRevision, listRefs,
testRepository, revisionMetadata, appDetails, listApps; GET /healthz), metrics and health on
--metrics-port. Credentials come from the repository / repo-creds Secrets of its namespace.

Usage:
  argocd-repo-server [flags]

Flags:
${FLAGS.filter((f) => !f.ignored)
  .map((f) => `      --${f.name}${f.kind === 'bool' ? '' : ` ${f.kind === 'int' ? 'int' : f.kind === 'duration' ? 'duration' : 'string'}`}`.padEnd(52) + f.help + (f.def ? ` (default "${f.def}")` : '') + (f.env ? ` [$${f.env}]` : ''))
  .join('\n')}
  -h, --help                                        help for argocd-repo-server

Accepted for compatibility with upstream's manifests, without effect:
  ${FLAGS.filter((f) => f.ignored)
    .map((f) => `--${f.name}`)
    .join(' ')}
`;

export interface RepoServerConfig {
  values: Record<string, string>;
  /** flags given that have no effect here */
  ignored: string[];
}

/** Parses flags (`--f v`, `--f=v`, booleans) over env over defaults; throws naming a bad flag. */
export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): RepoServerConfig {
  const byName = new Map(FLAGS.map((f) => [f.name, f]));
  const values: Record<string, string> = {};
  const ignored: string[] = [];
  for (const f of FLAGS) {
    const e = f.env ? env[f.env] : undefined;
    if (e !== undefined && e !== '') values[f.name] = e;
    else if (f.def !== undefined) values[f.name] = f.def;
  }
  const args = [...argv];
  // upstream's manifest runs the program by path as the first argument
  if (args[0] && /(^|\/)argocd-repo-server$/.test(args[0])) args.shift();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) throw new Error(`argocd-repo-server: unexpected argument "${a}" (see --help)`);
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const f = byName.get(name);
    if (!f) throw new Error(`argocd-repo-server: unknown flag --${name} (see --help)`);
    let v: string;
    if (eq >= 0) v = a.slice(eq + 1);
    else if (f.kind === 'bool') v = args[i + 1] === 'true' || args[i + 1] === 'false' ? args[++i]! : 'true';
    else {
      if (i + 1 >= args.length) throw new Error(`argocd-repo-server: flag --${name} needs a value`);
      v = args[++i]!;
    }
    if (f.ignored) ignored.push(`--${name}`);
    if (f.kind === 'list' && values[name] && byName.get(name)) values[name] = `${values[name]},${v}`;
    else values[name] = v;
  }
  for (const f of FLAGS) {
    const v = values[f.name];
    if (v === undefined || f.ignored) continue;
    if (f.kind === 'int' && !/^-?\d+$/.test(v)) throw new Error(`argocd-repo-server: --${f.name} must be an integer (got "${v}")`);
    if (f.kind === 'duration') parseDuration(v, `--${f.name}`);
    if (f.kind === 'size') parseSize(v, `--${f.name}`);
  }
  if (!['debug', 'info', 'warn', 'error'].includes(values['loglevel']!)) throw new Error(`argocd-repo-server: --loglevel must be one of debug|info|warn|error (got "${values['loglevel']}")`);
  if (!['json', 'text'].includes(values['logformat']!)) throw new Error(`argocd-repo-server: --logformat must be json or text (got "${values['logformat']}")`);
  if (!['gzip', 'none'].includes(values['redis-compress']!)) throw new Error(`argocd-repo-server: --redis-compress must be gzip or none (got "${values['redis-compress']}")`);
  return { values, ignored };
}

/** Go durations: `24h`, `1h30m`, `90s`, `500ms`, or a plain number of seconds → milliseconds. */
export function parseDuration(s: string, what = 'duration'): number {
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let seen = '';
  for (const m of s.matchAll(re)) {
    total += Number(m[1]) * { h: 3_600_000, m: 60_000, s: 1000, ms: 1 }[m[2] as 'h' | 'm' | 's' | 'ms'];
    seen += m[0];
  }
  if (!s || seen !== s) throw new Error(`argocd-repo-server: ${what} "${s}" is not a duration like 24h, 3m or 90s`);
  return total;
}

/** `10M`, `1G`, `512K`, `1Mi`, bytes → bytes. */
export function parseSize(s: string, what = 'size'): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]i?)?B?$/i.exec(s.trim());
  if (!m) throw new Error(`argocd-repo-server: ${what} "${s}" is not a size like 10M`);
  const unit = (m[2] ?? '').toUpperCase().replace('I', '');
  const mult = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[unit as '' | 'K' | 'M' | 'G' | 'T'];
  return Math.round(Number(m[1]) * mult);
}

const LEVELS = { debug: 0, info: 1, warn: 2, error: 3 } as const;
export type Level = keyof typeof LEVELS;

/** logrus-style lines: `time="…" level=info msg="…"` (text) or `{"level","msg","time"}` (json). */
export function makeLogger(level: string, format: string, write: (line: string) => void = (l) => process.stderr.write(l)): (lvl: Level, msg: string) => void {
  const min = LEVELS[level as Level] ?? 1;
  return (lvl, msg) => {
    if (LEVELS[lvl] < min) return;
    const time = new Date().toISOString();
    write(format === 'text' ? `time="${time}" level=${lvl} msg=${JSON.stringify(msg)}\n` : `${JSON.stringify({ level: lvl, msg, time })}\n`);
  };
}

const SA_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

function podNamespace(flag: string | undefined): string {
  if (flag) return flag;
  try {
    return readFileSync(SA_NAMESPACE, 'utf8').trim() || 'argocd';
  } catch {
    return process.env['POD_NAMESPACE'] || 'argocd';
  }
}

/** Runs the service until SIGTERM/SIGINT; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }
  let cfg: RepoServerConfig;
  try {
    cfg = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  const v = cfg.values;
  const log = makeLogger(v['loglevel']!, v['logformat']!);
  for (const f of cfg.ignored) log('info', `flag ${f} is accepted for compatibility and has no effect in Flotilla`);

  const cacheDir = v['cache-dir'] || join(tmpdir(), 'argocd-repo-server');
  const maxSize = parseSize(v['max-combined-directory-manifests-size']!);
  const credentials = new CredentialStore();
  const server = new RepoServer({
    cacheDir,
    credentials: credentials.lookup,
    gitTimeoutMs: parseDuration(v['git-request-timeout']!),
    revisionCacheTtlMs: parseDuration(v['revision-cache-expiration']!),
    maxFileBytes: maxSize,
  });

  // repository credentials: Secrets of our namespace, through an informer
  const namespace = podNamespace(v['namespace']);
  let informersSynced = () => true;
  let stopInformers = () => {};
  try {
    const { KubeClient, Informer, R } = await import('@flotilla/kube-runtime');
    const client = new KubeClient(undefined, { fieldManager: 'argocd-repo-server', qps: 50, burst: 100 });
    const kubeLog = (m: string) => log('warn', m);
    const secrets = new Informer(client, R.secrets, { namespace, labelSelector: SECRET_TYPE_LABEL, log: kubeLog });
    const knownHosts = new Informer(client, R.configmaps, { namespace, fieldSelector: 'metadata.name=argocd-ssh-known-hosts-cm', log: kubeLog });
    credentials.setSource(() => [...(knownHosts.list() as KubeObject[]).map((o) => ({ ...o, kind: 'ConfigMap' })), ...(secrets.list() as KubeObject[]).map((o) => ({ ...o, kind: 'Secret' }))]);
    secrets.start();
    knownHosts.start();
    informersSynced = () => secrets.hasSynced;
    stopInformers = () => {
      secrets.stop();
      knownHosts.stop();
    };
    log('info', `reading repository credentials from Secrets labelled ${SECRET_TYPE_LABEL} in namespace ${namespace} (${client.server.origin})`);
  } catch (e) {
    log('warn', `no Kubernetes API access (${(e as Error).message.split('\n')[0]}): repository Secrets are not read; public repositories and credentials sent with requests still work`);
  }

  // the shared cache
  const inCluster = !!process.env['KUBERNETES_SERVICE_HOST'];
  const redisAddr = v['redis'] || (inCluster ? 'argocd-redis:6379' : '');
  const cache = redisAddr
    ? new RedisCache({
        address: redisAddr,
        password: process.env['REDIS_PASSWORD'] || undefined,
        username: process.env['REDIS_USERNAME'] || undefined,
        db: Number(v['redisdb']),
        keyPrefix: process.env['ARGOCD_REDIS_KEY_PREFIX'] || undefined,
        ttlSeconds: Math.round(parseDuration(v['repo-cache-expiration']!) / 1000),
        compression: v['redis-compress'] as 'gzip' | 'none',
        log: (m) => log('info', m),
      })
    : undefined;
  if (!cache) log('info', 'no Redis configured (--redis / REDIS_SERVER): rendered manifests are cached in memory only');

  const { enableMetrics } = await import('@flotilla/kube-runtime');
  const metrics = registerRepoMetrics(enableMetrics(), server, cache);
  const service = new RepoService({ server, credentials, cache, parallelism: Number(v['parallelismlimit']), ready: informersSynced, log: (m) => log('error', m), onPending: metrics.pending });
  let http: Awaited<ReturnType<RepoService['listen']>>;
  let health: { close(): Promise<void> } | undefined;
  try {
    http = await service.listen(Number(v['port']), v['address']);
    const { serveHealth } = await import('@flotilla/kube-runtime');
    health = await serveHealth({ port: Number(v['metrics-port']), host: v['metrics-address'], readyz: { listening: () => true } });
  } catch (e) {
    log('error', `cannot listen: ${(e as Error).message}`);
    server.close();
    await cache?.close();
    stopInformers();
    return 1;
  }
  log('info', `argocd-repo-server is listening on ${v['address']}:${http.port} (metrics and health on ${v['metrics-address']}:${v['metrics-port']}), cache ${cacheDir}`);

  return new Promise<number>((resolve) => {
    const stop = (sig: string) => {
      log('info', `${sig}: shutting down`);
      void Promise.allSettled([http.close(), health?.close(), cache?.close()]).then(() => {
        stopInformers();
        server.close();
        resolve(0);
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
