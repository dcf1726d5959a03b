/**
 * `argocd-dex` (the program upstream's argocd-dex-server runs as `/shared/argocd-dex rundex`):
 *   rundex     reads argocd-cm, argocd-secret and the Secrets labelled part-of=argocd through the API,
 *              generates Dex's configuration as Argo CD does and serves the broker on :5556 under the
 *              issuer's path (`<url>/api/dex`); any change of those objects reconfigures it in place.
 *              Health and metrics on :5558 (Dex's telemetry port).
 *   gendexcfg  prints the generated configuration (or writes it to -o FILE).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { InformerFactory, KubeClient, R, serveHealth, type HealthServer, type Informer } from '@flotilla/kube-runtime';
import YAML from 'yaml';
import { Broker } from './broker.js';
import { brokerConfig, generateDexConfig, secretValues } from './config.js';
import type { Logger } from './connector.js';

const USAGE = `argocd-dex: Argo CD's identity broker (Dex's job)

Usage:
  argocd-dex rundex [flags]
  argocd-dex gendexcfg [-o FILE] [flags]

Flags:
      --kubeconfig string    kubeconfig file (default: in-cluster, then $KUBECONFIG)
  -n, --namespace string     namespace of argocd-cm / argocd-secret (default: the pod's, else argocd)
      --loglevel string      debug, info, warn, error (default "info")
      --logformat string     text or json (default "text")
      --disable-tls          serve plain HTTP (always the case in this build; accepted for compatibility)
      --address string       listen address (default "0.0.0.0")
      --port int             HTTP port (default 5556)
      --metrics-port int     health and metrics port (default 5558; -1 disables)
  -o, --out string           gendexcfg: write the configuration to this file
`;

class UsageError extends Error {}

interface Opts {
  cmd: string;
  kubeconfig?: string;
  namespace?: string;
  loglevel: string;
  logformat: string;
  address: string;
  port: number;
  metricsPort: number;
  out?: string;
  help: boolean;
}

export function parseArgs(argv: string[], env: Record<string, string | undefined> = process.env): Opts {
  const o: Opts = { cmd: '', loglevel: env.ARGOCD_DEX_SERVER_LOGLEVEL ?? 'info', logformat: env.ARGOCD_DEX_SERVER_LOGFORMAT ?? 'text', address: '0.0.0.0', port: 5556, metricsPort: 5558, help: false };
  const args = [...argv];
  while (args.length) {
    let a = args.shift()!;
    let val: string | undefined;
    const eq = a.indexOf('=');
    if (a.startsWith('-') && eq > 0) {
      val = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const take = () => {
      const v = val ?? args.shift();
      if (v === undefined) throw new UsageError(`flag ${a} needs a value`);
      return v;
    };
    const int = () => {
      const v = take();
      if (!/^-?\d+$/.test(v)) throw new UsageError(`flag ${a}: "${v}" is not a number`);
      return Number(v);
    };
    switch (a) {
      case '-h':
      case '--help':
        o.help = true;
        break;
      case '--kubeconfig':
        o.kubeconfig = take();
        break;
      case '-n':
      case '--namespace':
        o.namespace = take();
        break;
      case '--loglevel':
        o.loglevel = take();
        break;
      case '--logformat':
        o.logformat = take();
        break;
      case '--disable-tls':
        if (val !== undefined && !/^(true|false)$/.test(val)) throw new UsageError(`flag --disable-tls: "${val}" is not true or false`);
        break;
      case '--address':
        o.address = take();
        break;
      case '--port':
        o.port = int();
        break;
      case '--metrics-port':
        o.metricsPort = int();
        break;
      case '-o':
      case '--out':
        o.out = take();
        break;
      default:
        if (a.startsWith('-')) throw new UsageError(`unknown flag ${a}`);
        if (o.cmd) throw new UsageError(`unexpected argument "${a}"`);
        o.cmd = a;
    }
  }
  if (!['debug', 'info', 'warn', 'error'].includes(o.loglevel)) throw new UsageError(`--loglevel: "${o.loglevel}" is not one of debug, info, warn, error`);
  if (!['text', 'json'].includes(o.logformat)) throw new UsageError(`--logformat: "${o.logformat}" is not text or json`);
  return o;
}

const LEVELS = { debug: 0, info: 1, warn: 2, error: 3 } as const;

export function makeLogger(level: string, format: string, out: (s: string) => void = (s) => process.stderr.write(s)): Logger {
  const min = LEVELS[level as keyof typeof LEVELS] ?? 1;
  return (lvl, msg, fields = {}) => {
    if (LEVELS[lvl] < min) return;
    const time = new Date().toISOString();
    if (format === 'json') out(JSON.stringify({ level: lvl, msg, time, ...fields }) + '\n');
    else out(`time="${time}" level=${lvl} msg=${JSON.stringify(msg)}${Object.entries(fields).map(([k, v]) => ` ${k}=${JSON.stringify(v)}`).join('')}\n`);
  };
}

const SA_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';
const PART_OF = 'app.kubernetes.io/part-of';

function decode(data: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

/** argocd-cm + secret values from the informers' caches */
export function readSettings(cms: Informer, secrets: Informer, ns: string): { cm: Record<string, string>; secrets: Record<string, string> } {
  const cm = ((cms.get(ns, 'argocd-cm') as any)?.data ?? {}) as Record<string, string>;
  const argo = decode((secrets.get(ns, 'argocd-secret') as any)?.data);
  const others: Record<string, Record<string, string>> = {};
  for (const s of secrets.list(ns) as any[]) {
    if (s.metadata?.name === 'argocd-secret' || s.metadata?.labels?.[PART_OF] !== 'argocd') continue;
    others[s.metadata.name] = decode(s.data);
  }
  return { cm, secrets: secretValues(argo, others) };
}

export interface RunningDex {
  server: Server;
  url: string;
  broker(): Broker | undefined;
  /** resolves after the next (re)configuration attempt */
  reconciled(): Promise<void>;
  stop(): Promise<void>;
}

/** rundex: informers on ConfigMaps and Secrets of the namespace → the broker, reconfigured on change. */
export async function runDex(client: KubeClient, o: { namespace: string; address: string; port: number; metricsPort: number; log: Logger }): Promise<RunningDex> {
  const { log, namespace } = o;
  const informers = new InformerFactory(client, { namespace, log: (m) => log('warn', m) });
  const cms = informers.for(R.configmaps);
  const secrets = informers.for(R.secrets);
  let broker: Broker | undefined;
  let lastYAML = '';
  let status = 'not configured yet';
  let running: Promise<void> = Promise.resolve();
  let waiters: (() => void)[] = [];
  const reconcile = async () => {
    const { cm, secrets: sv } = readSettings(cms, secrets, namespace);
    try {
      const dex = generateDexConfig(cm, sv, { warn: (m) => log('warn', m) });
      if (!dex) {
        if (status !== 'unconfigured') log('info', 'dex is not configured (argocd-cm needs url and dex.config); waiting for a change');
        status = 'unconfigured';
        return;
      }
      const text = YAML.stringify(dex);
      if (text === lastYAML && broker) return;
      const cfg = brokerConfig(dex);
      if (broker) await broker.configure(cfg);
      else broker = await Broker.create(cfg, { log });
      lastYAML = text;
      status = 'ok';
      log('info', `broker configured: issuer ${cfg.issuer}, connectors ${cfg.connectors.map((c) => `${c.id} (${c.type})`).join(', ') || 'none'}`);
    } catch (e) {
      status = (e as Error).message;
      log('error', `cannot use the Dex configuration: ${status}`);
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const kick = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      running = running.then(reconcile).then(() => {
        const w = waiters;
        waiters = [];
        for (const f of w) f();
      });
    }, 100);
  };
  const relevant = (obj: any) => obj?.metadata?.name === 'argocd-cm' || obj?.metadata?.name === 'argocd-secret' || obj?.metadata?.labels?.[PART_OF] === 'argocd';
  for (const inf of [cms, secrets]) inf.on({ add: (x) => relevant(x) && kick(), update: (a, b) => (relevant(a) || relevant(b)) && a !== b && kick(), delete: (x) => relevant(x) && kick() });
  informers.start();
  await informers.waitForSync();
  const first = new Promise<void>((r) => waiters.push(r));
  kick();
  await first;
  // the browser sends Argo CD's argocd.token-N cookies here too (same host): take headers up to 1 MiB as Dex (Go) does
  const server = createServer({ maxHeaderSize: 1 << 20 }, (req, res) => {
    if (broker) return broker.handle(req, res);
    if ((req.url ?? '').endsWith('/healthz')) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return void res.end('Health check passed (broker not configured)');
    }
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`Dex is not configured: ${status}\n`);
  });
  await new Promise<void>((r, j) => server.once('error', j).listen(o.port, o.address, r));
  const port = (server.address() as { port: number }).port;
  let health: HealthServer | undefined;
  if (o.metricsPort >= 0) health = await serveHealth({ port: o.metricsPort, host: o.address, readyz: { informers: () => cms.hasSynced && secrets.hasSynced } });
  log('info', `argocd-dex listening on ${o.address}:${port}${health ? ` (health and metrics on ${health.url})` : ''}`);
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    broker: () => broker,
    reconciled: () => new Promise<void>((r) => waiters.push(r)),
    async stop() {
      clearTimeout(timer);
      await informers.stop();
      broker?.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await health?.close();
    },
  };
}

export async function main(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  let o: Opts;
  try {
    o = parseArgs(argv, env);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`argocd-dex: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  if (o.help || !o.cmd) {
    process.stdout.write(USAGE);
    return o.help ? 0 : 2;
  }
  if (o.cmd !== 'rundex' && o.cmd !== 'gendexcfg') {
    process.stderr.write(`argocd-dex: unknown command "${o.cmd}"\n\n${USAGE}`);
    return 2;
  }
  const log = makeLogger(o.loglevel, o.logformat);
  const namespace = o.namespace ?? (existsSync(SA_NAMESPACE) ? readFileSync(SA_NAMESPACE, 'utf8').trim() : 'argocd');
  let client: KubeClient;
  try {
    client = new KubeClient(o.kubeconfig, { fieldManager: 'argocd-dex', userAgent: 'argocd-dex' });
  } catch (e) {
    process.stderr.write(`argocd-dex: ${(e as Error).message}\n`);
    return 1;
  }
  if (o.cmd === 'gendexcfg') {
    const informers = new InformerFactory(client, { namespace });
    const cms = informers.for(R.configmaps);
    const secrets = informers.for(R.secrets);
    informers.start();
    try {
      await informers.waitForSync();
      const { cm, secrets: sv } = readSettings(cms, secrets, namespace);
      const dex = generateDexConfig(cm, sv, { warn: (m) => log('warn', m) });
      if (!dex) {
        process.stderr.write('argocd-dex: dex is not configured (argocd-cm needs url and dex.config)\n');
        return 0;
      }
      const text = YAML.stringify(dex);
      if (o.out) writeFileSync(o.out, text, { mode: 0o600 });
      else process.stdout.write(text);
      return 0;
    } catch (e) {
      process.stderr.write(`argocd-dex: ${(e as Error).message}\n`);
      return 1;
    } finally {
      await informers.stop();
      client.close();
    }
  }
  let dex: RunningDex;
  try {
    dex = await runDex(client, { namespace, address: o.address, port: o.port, metricsPort: o.metricsPort, log });
  } catch (e) {
    process.stderr.write(`argocd-dex: ${(e as Error).message}\n`);
    return 1;
  }
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await dex.stop();
  client.close();
  return 0;
}
