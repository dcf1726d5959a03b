/**
 * Test support: a real API server (in-process, `startTestCluster`) with Argo Workflows' CRDs (a minimal schema
 * written here, as upstream's quick-start-minimal has them: spec/status preserved), namespace `argo`, and
 * argo-server started against it; real HTTP(S) requests. `startPostgres` runs Debian's PostgreSQL on a free
 * loopback port (as the `postgres` user when the tests run as root).
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync, chownSync } from 'node:fs';
import { join } from 'node:path';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { KubeClient } from '@flotilla/kube-runtime';
import { startTestCluster, stopProcess, type TestCluster } from '@flotilla/kube-runtime/testkit';
import { startServer, type ArgoServer } from './server.js';
import type { ServerOptions } from './context.js';
import { newLogger } from './log.js';

const crd = (plural: string, kind: string, scope: 'Namespaced' | 'Cluster', shortNames: string[] = []) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${plural}.argoproj.io` },
  spec: {
    group: 'argoproj.io',
    names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase(), shortNames },
    scope,
    versions: [{
      name: 'v1alpha1', served: true, storage: true,
      schema: { openAPIV3Schema: { type: 'object', properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } },
    }],
  },
});

export const CRDS = [
  crd('workflows', 'Workflow', 'Namespaced', ['wf']),
  crd('workflowtemplates', 'WorkflowTemplate', 'Namespaced', ['wftmpl']),
  crd('clusterworkflowtemplates', 'ClusterWorkflowTemplate', 'Cluster', ['cwft']),
  crd('cronworkflows', 'CronWorkflow', 'Namespaced', ['cwf']),
  crd('workfloweventbindings', 'WorkflowEventBinding', 'Namespaced', ['wfeb']),
  crd('workflowtaskresults', 'WorkflowTaskResult', 'Namespaced'),
  // Argo Events' (the EventSource / Sensor services)
  crd('eventsources', 'EventSource', 'Namespaced', ['es']),
  crd('sensors', 'Sensor', 'Namespaced'),
];

export interface Resp {
  status: number;
  body: any;
  text: string;
  headers: Record<string, string | string[] | undefined>;
}

export function call(base: string, method: string, path: string, o: { body?: unknown; token?: string; headers?: Record<string, string> } = {}): Promise<Resp> {
  const u = new URL(path, base);
  const data = o.body === undefined ? undefined : JSON.stringify(o.body);
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (data !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(data));
  }
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  const req = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const r = req(u, { method, headers, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: any;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, body, text, headers: res.headers });
      });
    });
    r.on('error', reject);
    r.end(data);
  });
}

/**
 * Reads a newline-delimited stream until `until(lines)` is true or the time is up; returns the parsed lines.
 * An answer of Content-Type text/event-stream is read as server-sent events (each `data:` a line).
 */
export function readStream(base: string, path: string, until: (lines: any[]) => boolean, o: { token?: string; timeoutMs?: number; onOpen?: () => void; headers?: Record<string, string> } = {}): Promise<{ status: number; lines: any[]; contentType?: string; raw: string }> {
  const u = new URL(path, base);
  const req = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const lines: any[] = [];
    let status = 0;
    let contentType: string | undefined;
    let raw = '';
    const r = req(u, { method: 'GET', headers: { ...(o.headers ?? {}), ...(o.token ? { authorization: `Bearer ${o.token}` } : {}) }, rejectUnauthorized: false }, (res) => {
      status = res.statusCode ?? 0;
      contentType = res.headers['content-type'];
      const sse = /text\/event-stream/.test(contentType ?? '');
      const parse = (l: string) => {
        if (!sse) return lines.push(JSON.parse(l));
        if (l.startsWith('data:')) lines.push(JSON.parse(l.slice(5)));
      };
      let buf = '';
      res.setEncoding('utf8');
      o.onOpen?.();
      res.on('data', (d: string) => {
        buf += d;
        raw += d;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const l = buf.slice(0, i).trim();
          buf = buf.slice(i + 1);
          if (l) parse(l);
        }
        if (until(lines)) {
          clearTimeout(t);
          r.destroy();
          resolve({ status, lines, contentType, raw });
        }
      });
      res.on('end', () => {
        if (buf.trim()) parse(buf.trim());
        clearTimeout(t);
        resolve({ status, lines, contentType, raw });
      });
    });
    const t = setTimeout(() => {
      r.destroy();
      resolve({ status, lines, contentType, raw });
    }, o.timeoutMs ?? 10_000);
    r.on('error', (e) => (lines.length || status ? undefined : reject(e)));
    r.end();
  });
}

export interface Env {
  cluster: TestCluster;
  client: KubeClient;
  server: ArgoServer;
  base: string;
  logs: string[];
  call(method: string, path: string, o?: { body?: unknown; token?: string; headers?: Record<string, string> }): Promise<Resp>;
  apply(obj: unknown): Promise<void>;
  restart(o?: Partial<ServerOptions>): Promise<void>;
  close(): Promise<void>;
}

export async function startEnv(o: Partial<ServerOptions> & { setup?: (c: TestCluster) => Promise<void> } = {}): Promise<Env> {
  const cluster = await startTestCluster({ prefix: 'argo-server-' });
  try {
    const apply = async (obj: unknown) => {
      const f = join(cluster.dir, `obj-${Math.random().toString(36).slice(2)}.json`);
      writeFileSync(f, JSON.stringify(obj));
      await cluster.k(['apply', '-f', f]);
    };
    await apply({ apiVersion: 'v1', kind: 'List', items: CRDS });
    await cluster.k(['create', 'namespace', 'argo']);
    await cluster.k(['wait', '--for=condition=Established', ...CRDS.map((c) => `crd/${c.metadata.name}`), '--timeout=60s']);
    await o.setup?.(cluster);
    const client = new KubeClient(cluster.kubeconfig, { fieldManager: 'argo-server', qps: 500, burst: 1000 });
    const logs: string[] = [];
    const log = newLogger('debug', (l) => logs.push(l));
    const { setup: _s, ...so } = o;
    const start = (extra: Partial<ServerOptions> = {}) => startServer(client, { namespace: 'argo', port: 0, address: '127.0.0.1', authModes: ['server', 'client'], ...so, ...extra, log });
    const env: Env = {
      cluster,
      client,
      server: await start(),
      base: '',
      logs,
      call: (method, path, oo) => call(env.base, method, path, oo),
      apply,
      async restart(extra = {}) {
        await env.server.close();
        env.server = await start(extra);
        env.base = env.server.url;
      },
      async close() {
        await env.server.close();
        client.close();
        await cluster.close();
      },
    };
    env.base = env.server.url;
    return env;
  } catch (e) {
    await cluster.close();
    throw e;
  }
}

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

/** Debian's PostgreSQL binaries, or the reason there are none. */
export function postgresBin(): { bin?: string; reason?: string } {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return { reason: `PostgreSQL is not installed (${root} missing; scripts/system-deps.sh installs postgresql)` };
  const v = readdirSync(root).filter((x) => existsSync(join(root, x, 'bin', 'postgres')) && existsSync(join(root, x, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a))[0];
  if (!v) return { reason: `no postgres/initdb under ${root}/*/bin` };
  if (process.getuid?.() === 0 && spawnSync('id', ['-u', 'postgres']).status !== 0) return { reason: 'running as root and there is no "postgres" user to run the server as' };
  return { bin: join(root, v, 'bin') };
}

export interface Postgres {
  port: number;
  user: string;
  password: string;
  stop(): Promise<void>;
}

/** A fresh PostgreSQL cluster in `dir`, password auth on loopback, on a free port. */
export async function startPostgres(dir: string): Promise<Postgres> {
  const { bin, reason } = postgresBin();
  if (!bin) throw new Error(reason);
  const data = join(dir, 'pgdata');
  const sock = join(dir, 'pgsock');
  mkdirSync(data, { recursive: true });
  mkdirSync(sock, { recursive: true });
  let ids: { uid?: number; gid?: number } = {};
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    ids = { uid, gid };
    for (const p of [dir, data, sock]) chownSync(p, uid, gid);
  }
  const user = 'argo';
  const password = 'argo-pw-1';
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, password);
  if (ids.uid !== undefined) chownSync(pwfile, ids.uid, ids.gid!);
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', user, '--pwfile', pwfile, '-A', 'scram-sha-256', '--encoding=UTF8', '--locale=C', '-N'], { ...ids, encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  const port = await freePort();
  const proc: ChildProcess = spawn(join(bin, 'postgres'), ['-D', data, '-k', sock, '-h', '127.0.0.1', '-p', String(port), '-c', 'fsync=off', '-c', 'shared_buffers=16MB', '-c', 'max_connections=40'], { ...ids, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const end = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`postgres exited (${proc.exitCode}): ${out}`);
    if (/ready to accept connections/.test(out)) break;
    if (Date.now() > end) {
      proc.kill('SIGKILL');
      throw new Error(`postgres did not start: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { port, user, password, stop: async () => void (await stopProcess(proc, 'SIGINT')) };
}
