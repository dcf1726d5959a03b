/** Test helpers: a fresh API server in a temp dir, the real kubectl against it, raw HTTPS requests. */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer, type ApiServer } from './server.js';

export interface TestCluster {
  server: ApiServer;
  dir: string;
  kubeconfig: string;
  kubectl(args: string[], opts?: { input?: string; env?: Record<string, string>; timeoutMs?: number }): Promise<{ code: number; stdout: string; stderr: string }>;
  /** kubectl that must succeed; returns stdout */
  k(args: string[], opts?: { input?: string; env?: Record<string, string> }): Promise<string>;
  req(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; text: string; headers: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function startTestCluster(opts: { dir?: string; port?: number } = {}): Promise<TestCluster> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'flotilla-test-'));
  const server = await startApiServer({ dataDir: join(dir, 'data'), port: opts.port ?? 0 });
  const kubeconfig = server.writeKubeconfig(join(dir, 'kubeconfig'));
  const home = join(dir, 'home');
  const kubectl: TestCluster['kubectl'] = (args, o = {}) =>
    new Promise((resolve) => {
      const child = spawn('kubectl', args, {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, KUBECONFIG: kubeconfig, ...(o.env ?? {}) },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const t = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
      child.on('close', (code) => {
        clearTimeout(t);
        resolve({ code: code ?? -1, stdout, stderr });
      });
      child.stdin.end(o.input ?? '');
    });
  const k: TestCluster['k'] = async (args, o) => {
    const r = await kubectl(args, o);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
    return r.stdout;
  };
  const req: TestCluster['req'] = (method, path, body, headers = {}) =>
    new Promise((resolve, reject) => {
      const u = new URL(path, server.url);
      const data = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
      const r = request(
        u,
        {
          method,
          ca: server.caPem,
          headers: {
            authorization: `Bearer ${server.token}`,
            ...(data !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(data)) } : {}),
            ...headers,
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d) => (text += d));
          res.on('end', () => {
            let parsed: unknown;
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = undefined;
            }
            resolve({ status: res.statusCode ?? 0, body: parsed, text, headers: res.headers });
          });
        },
      );
      r.on('error', reject);
      if (data !== undefined) r.write(data);
      r.end();
    });
  return {
    server,
    dir,
    kubeconfig,
    kubectl,
    k,
    req,
    async close() {
      await server.close();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function writeTemp(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function eventually<T>(fn: () => Promise<T> | T, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const start = Date.now();
  let last: unknown;
  while (Date.now() - start < timeoutMs) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

export { execFile };

/** Reads a watch stream (newline-delimited JSON events) until `n` events arrived or the time is up. */
export function readWatch(url: string, ca: string, token: string, n: number, timeoutMs = 5000): Promise<any[]> {
  return new Promise((resolve) => {
    const events: any[] = [];
    let buf = '';
    const r = request(new URL(url), { ca, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (d) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (line.trim()) events.push(JSON.parse(line));
          if (events.length >= n) {
            r.destroy();
            resolve(events);
          }
        }
      });
      res.on('end', () => resolve(events));
    });
    r.on('error', () => resolve(events));
    r.end();
    setTimeout(() => {
      r.destroy();
      resolve(events);
    }, timeoutMs);
  });
}
