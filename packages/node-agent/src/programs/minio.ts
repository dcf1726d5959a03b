/**
 * The `minio/minio` image on Flotilla: `minio server DIR [--address :9000] [--console-address
 * :9001]` serves the S3 API from DIR (see s3/), with MinIO's health endpoints
 * (`/minio/health/live|ready|cluster`). Credentials: MINIO_ROOT_USER/MINIO_ROOT_PASSWORD, else
 * MINIO_ACCESS_KEY/MINIO_SECRET_KEY (also as `_FILE` variants), else minioadmin/minioadmin.
 */
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { handleS3 } from './s3/server.js';
import { Store } from './s3/store.js';

export interface MinioConfig {
  dir: string;
  host: string;
  port: number;
  consolePort?: number;
  accessKey: string;
  secretKey: string;
  region: string;
}

function hostPort(v: string, listen: string): { host: string; port: number } {
  const i = v.lastIndexOf(':');
  const host = i > 0 ? v.slice(0, i).replace(/^\[|\]$/g, '') : listen;
  const port = Number(i >= 0 ? v.slice(i + 1) : v);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid address "${v}": expected [HOST]:PORT`);
  return { host, port };
}

/** The server's configuration from `minio` arguments and environment (pure). */
export function minioConfig(argv: string[], env: Record<string, string | undefined>, readFile: (p: string) => string = (p) => readFileSync(p, 'utf8').trim()): MinioConfig {
  let a = [...argv];
  if (a[0] === 'minio') a = a.slice(1);
  if (a[0] !== 'server') throw new Error(`only "minio server DIR" is supported here (got: minio ${a.join(' ')})`);
  a = a.slice(1);
  const listen = env.FLOTILLA_LISTEN_IP || '0.0.0.0';
  let address = env.MINIO_ADDRESS || ':9000';
  let consoleAddress = env.MINIO_CONSOLE_ADDRESS;
  const dirs: string[] = [];
  for (let i = 0; i < a.length; i++) {
    const [flag, inline] = a[i].startsWith('--') && a[i].includes('=') ? [a[i].slice(0, a[i].indexOf('=')), a[i].slice(a[i].indexOf('=') + 1)] : [a[i], undefined];
    const value = () => inline ?? a[++i] ?? '';
    if (flag === '--address') address = value();
    else if (flag === '--console-address') consoleAddress = value();
    else if (['--certs-dir', '-S', '--config-dir', '-C', '--ftp', '--sftp'].includes(flag)) value();
    else if (flag === '--quiet' || flag === '--anonymous' || flag === '--json') continue;
    else if (flag.startsWith('-')) throw new Error(`unknown flag ${flag}`);
    else dirs.push(a[i]);
  }
  if (dirs.length !== 1) throw new Error(`exactly one directory is supported here (got ${dirs.length ? dirs.join(' ') : 'none'})`);
  const fromEnv = (name: string) => env[name] ?? (env[`${name}_FILE`] ? readFile(env[`${name}_FILE`]!) : undefined);
  const accessKey = fromEnv('MINIO_ROOT_USER') ?? fromEnv('MINIO_ACCESS_KEY') ?? 'minioadmin';
  const secretKey = fromEnv('MINIO_ROOT_PASSWORD') ?? fromEnv('MINIO_SECRET_KEY') ?? 'minioadmin';
  if (accessKey.length < 3) throw new Error('MINIO_ROOT_USER length should be at least 3');
  if (secretKey.length < 8) throw new Error('MINIO_ROOT_PASSWORD length should be at least 8');
  const main = hostPort(address, listen);
  return {
    dir: dirs[0],
    ...main,
    consolePort: consoleAddress ? hostPort(consoleAddress, listen).port : undefined,
    accessKey,
    secretKey,
    region: env.MINIO_REGION || env.MINIO_REGION_NAME || 'us-east-1',
  };
}

function listen(s: Server, port: number, host: string): Promise<void> {
  return new Promise((res, rej) => {
    s.once('error', rej);
    s.listen(port, host, () => res());
  });
}

async function main(): Promise<void> {
  let cfg: MinioConfig;
  try {
    cfg = minioConfig(process.argv.slice(2), process.env);
  } catch (e) {
    process.stderr.write(`ERROR ${(e as Error).message}\n`);
    process.exit(1);
  }
  const store = new Store(cfg.dir);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path.startsWith('/minio/health/')) {
      const ok = ['/minio/health/live', '/minio/health/ready', '/minio/health/cluster', '/minio/health/cluster/read'].includes(path);
      res.writeHead(ok ? 200 : 404, { 'content-length': 0 });
      return void res.end();
    }
    void handleS3({ store, accessKey: cfg.accessKey, secretKey: cfg.secretKey, region: cfg.region }, req, res);
  });
  await listen(server, cfg.port, cfg.host);
  process.stdout.write(`S3-API: http://${cfg.host}:${cfg.port}\nRootUser: ${cfg.accessKey}\nStorage: ${cfg.dir}\n`);
  if (cfg.consolePort !== undefined) {
    const consoleServer = createServer((_req, res) => {
      const body = '<!doctype html><title>MinIO Console</title><p>The console is not available on Flotilla; use the S3 API on its own port.</p>';
      res.writeHead(200, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    await listen(consoleServer, cfg.consolePort, cfg.host);
    process.stdout.write(`Console: http://${cfg.host}:${cfg.consolePort}\n`);
  }
  const stop = () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) void main().catch((e) => {
  process.stderr.write(`ERROR ${(e as Error).message}\n`);
  process.exit(1);
});
