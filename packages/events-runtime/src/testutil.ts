/** Test helpers: free ports, a real nats-server / redis-server on loopback, the services as processes. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const RUN_JS = fileURLToPath(new URL('./run.js', import.meta.url));

export const has = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function waitPort(port: number, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const c = createConnection({ port, host: '127.0.0.1' }, () => (c.destroy(), r(true)));
      c.once('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`port ${port} did not open`);
    await sleep(50);
  }
}

export async function until<T>(what: string, fn: () => T | undefined | false | null | Promise<T | undefined | false | null>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export interface Proc {
  proc: ChildProcess;
  out: string[];
  port?: number;
  stop(): Promise<void>;
}

function track(proc: ChildProcess): Proc {
  const out: string[] = [];
  const onData = (b: Buffer) => out.push(...b.toString('utf8').split('\n').filter(Boolean));
  proc.stdout?.on('data', onData);
  proc.stderr?.on('data', onData);
  return {
    proc,
    out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
        proc.once('exit', () => (clearTimeout(t), resolve()));
        proc.kill('SIGTERM');
      }),
  };
}

/** nats-server on a free loopback port: token auth, or JetStream with user/password. */
export async function startNatsServer(o: { token?: string; jetstream?: boolean; user?: string; pass?: string; port?: number; storeDir?: string } = {}): Promise<Proc & { port: number; url: string }> {
  const port = o.port ?? (await freePort());
  const args = ['-a', '127.0.0.1', '-p', String(port)];
  if (o.token) args.push('--auth', o.token);
  if (o.user) args.push('--user', o.user, '--pass', o.pass ?? '');
  if (o.jetstream) args.push('-js', '-sd', o.storeDir ?? mkdtempSync(join(tmpdir(), 'nats-js-')));
  const p = track(spawn('nats-server', args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  await waitPort(port);
  return { ...p, port, url: `nats://127.0.0.1:${port}` };
}

export async function startRedis(): Promise<Proc & { port: number }> {
  const port = await freePort();
  const p = track(spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] }));
  await waitPort(port);
  return { ...p, port };
}

export const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64');

/** Bus secret files as the pod mounts them: <dir>/<secret>/<key>. */
export function writeSecrets(files: Record<string, Record<string, string>>): string {
  const dir = mkdtempSync(join(tmpdir(), 'events-secrets-'));
  for (const [name, keys] of Object.entries(files)) {
    mkdirSync(join(dir, name), { recursive: true });
    for (const [k, v] of Object.entries(keys)) writeFileSync(join(dir, name, k), v);
  }
  return dir;
}

export function startService(kind: 'eventsource-service' | 'sensor-service', env: Record<string, string>): Proc {
  return track(spawn(process.execPath, [RUN_JS, kind], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** An HTTP receiver for http triggers: every request's method, path and JSON body. */
export async function startReceiver(status = 200): Promise<{ port: number; got: { method: string; path: string; body: any; headers: IncomingMessage['headers'] }[]; close(): void; status: number }> {
  const r = { port: 0, got: [] as { method: string; path: string; body: any; headers: IncomingMessage['headers'] }[], status, close: () => srv.close() };
  const srv = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        /* text */
      }
      r.got.push({ method: req.method ?? '', path: req.url ?? '', body, headers: req.headers });
      res.writeHead(r.status).end('ok');
    });
  });
  await new Promise<void>((res) => srv.listen(0, '127.0.0.1', () => res()));
  r.port = (srv.address() as { port: number }).port;
  return r;
}

/** RabbitMQ in the foreground on free ports, its data in a temp dir (the node's own epmd). */
export async function startRabbit(): Promise<Proc & { port: number; url: string }> {
  const port = await freePort();
  const dist = await freePort();
  const epmd = await freePort();
  const base = mkdtempSync(join(tmpdir(), 'rabbit-'));
  const bin = has('/usr/lib/rabbitmq/bin/rabbitmq-server') ? '/usr/lib/rabbitmq/bin/rabbitmq-server' : 'rabbitmq-server';
  const env = {
    ...process.env,
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(dist),
    ERL_EPMD_PORT: String(epmd),
    RABBITMQ_NODENAME: `test${port}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_MNESIA_BASE: join(base, 'mnesia'),
    RABBITMQ_LOG_BASE: join(base, 'log'),
    RABBITMQ_CONFIG_FILE: join(base, 'rabbitmq'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(base, 'enabled_plugins'),
    RABBITMQ_PID_FILE: join(base, 'pid'),
    HOME: base,
  };
  writeFileSync(join(base, 'enabled_plugins'), '[].');
  writeFileSync(join(base, 'rabbitmq.conf'), 'loopback_users = none\n');
  const p = track(spawn(bin, [], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true }));
  await waitPort(port, 60_000);
  return {
    ...p,
    port,
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    stop: async () => {
      try {
        process.kill(-p.proc.pid!, 'SIGTERM');
      } catch {
        /* gone */
      }
      await Promise.race([new Promise((r) => p.proc.once('exit', r)), sleep(10_000)]);
      try {
        process.kill(-p.proc.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
      // the node's own port mapper (epmd daemonizes itself)
      spawnSync('epmd', ['-port', String(epmd), '-kill'], { stdio: 'ignore' });
    },
  };
}
