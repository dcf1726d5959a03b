/**
 * One test kit for every package (`@flotilla/kube-runtime/testkit`): a fresh API server (in this
 * process or as a process of its own), a whole `flotilla up` as a process, the real kubectl against
 * either, raw HTTPS requests, watch readers and wait-for helpers.
 *
 * The kit has no compile-time dependency on the API server (which may itself use kube-runtime): the
 * in-process server is loaded with a dynamic import at run time, or passed in by the caller
 * (`start`), and the process forms run the installed packages' entry points.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the kit needs of an API server (the embedded one's ApiServer has it). */
export interface ApiServerLike {
  url: string;
  port: number;
  caPem: string;
  token: string;
  writeKubeconfig(path?: string): string;
  close(): Promise<void>;
}

export type StartServer<S extends ApiServerLike> = (o: { dataDir: string; port: number }) => Promise<S>;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits until `fn` returns something truthy; the error names `what` and the last value or error. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 20_000, everyMs = 50): Promise<T> {
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)?.slice(0, 2000)}`);
    await sleep(everyMs);
  }
}

/** waitFor with the arguments in the other order. */
export function eventually<T>(fn: () => Promise<T> | T, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  return waitFor(what, fn as () => Promise<T>, timeoutMs);
}

export function writeTemp(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}
export interface KubectlOpts {
  input?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** Runs the real kubectl with an isolated HOME (its discovery cache) against a kubeconfig. */
export function kubectl(home: string, kubeconfig: string, args: string[], o: KubectlOpts = {}): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = spawn('kubectl', args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, KUBECONFIG: kubeconfig, ...(o.env ?? {}) }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 90_000);
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.on('error', () => {}); // EPIPE: the process exited without reading its input
    child.stdin.end(o.input ?? '');
  });
}

/** kubectl bound to one kubeconfig: `kubectl(args)` answers, `k(args)` must succeed and returns stdout. */
export function kubectlFor(home: string, kubeconfig: string) {
  const run = (args: string[], o?: KubectlOpts) => kubectl(home, kubeconfig, args, o);
  const k = async (args: string[], o?: KubectlOpts) => {
    const r = await run(args, o);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
    return r.stdout;
  };
  return { kubectl: run, k };
}

export interface RawResponse {
  status: number;
  body: any;
  text: string;
  headers: Record<string, unknown>;
}

/** One raw HTTPS request to an API server with a bearer token (bodies: JSON, text or Buffer). */
export function rawRequest(srv: { url: string; caPem: string; token: string }, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const u = new URL(path, srv.url);
    const data = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const r = request(
      u,
      {
        method,
        ca: srv.caPem,
        headers: { authorization: `Bearer ${srv.token}`, ...(data !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(data)) } : {}), ...headers },
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
    r.end(data);
  });
}

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

// --------------------------------------------------------------------------- an API server in-process

export interface TestCluster<S extends ApiServerLike = ApiServerLike> {
  server: S;
  dir: string;
  kubeconfig: string;
  kubectl(args: string[], opts?: KubectlOpts): Promise<KubectlResult>;
  /** kubectl that must succeed; returns stdout */
  k(args: string[], opts?: KubectlOpts): Promise<string>;
  req(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<RawResponse>;
  close(): Promise<void>;
}

// a variable specifier: loaded at run time, no project reference (the API server may use this package)
const APISERVER = '@flotilla/apiserver';

/** The embedded API server's startApiServer, loaded at run time. */
export async function embeddedApiServer(): Promise<StartServer<ApiServerLike & Record<string, any>>> {
  return ((await import(APISERVER)) as { startApiServer: StartServer<ApiServerLike & Record<string, any>> }).startApiServer;
}

/**
 * A fresh API server in a temp dir (in this process), its admin kubeconfig, and kubectl against it.
 * `start` is the server's start function (default: the embedded API server's).
 */
export async function startTestCluster<S extends ApiServerLike = ApiServerLike & Record<string, any>>(opts: { dir?: string; port?: number; start?: StartServer<S>; prefix?: string } = {}): Promise<TestCluster<S>> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), opts.prefix ?? 'flotilla-test-'));
  const start = opts.start ?? ((await embeddedApiServer()) as unknown as StartServer<S>);
  const server = await start({ dataDir: join(dir, 'data'), port: opts.port ?? 0 });
  const kubeconfig = server.writeKubeconfig(join(dir, 'kubeconfig'));
  const kc = kubectlFor(join(dir, 'home'), kubeconfig);
  return {
    server,
    dir,
    kubeconfig,
    ...kc,
    req: (method, path, body, headers) => rawRequest(server, method, path, body, headers),
    async close() {
      await server.close();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ----------------------------------------------------------------------- an API server as a process

export interface ServerProcess {
  proc: ChildProcess;
  url: string;
  port: number;
  token: string;
  caPem: string;
  kubeconfig: string;
  /** stops it (SIGTERM, then SIGKILL after 5 s) */
  stop(): Promise<void>;
}

const SERVER_SCRIPT = `
import { startApiServer } from '${APISERVER}';
const [dataDir, port, kubeconfig] = process.argv.slice(1);
const s = await startApiServer({ dataDir, port: Number(port) });
s.writeKubeconfig(kubeconfig);
process.stdout.write(JSON.stringify({ url: s.url, port: s.port, token: s.token }) + '\\n');
const stop = () => s.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
`;

/**
 * The embedded API server as a process of its own (on `dataDir`; `port` 0 picks one): kill it to test
 * what a client does when its server goes away, start it again on the same dir and port.
 */
export function startApiServerProcess(dataDir: string, opts: { port?: number; kubeconfig?: string; timeoutMs?: number } = {}): Promise<ServerProcess> {
  const kubeconfig = opts.kubeconfig ?? join(dataDir, 'kubeconfig');
  const cwd = fileURLToPath(new URL('..', import.meta.url));
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--input-type=module', '-e', SERVER_SCRIPT, dataDir, String(opts.port ?? 0), kubeconfig], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`API server process did not start in time:\n${err}`));
    }, opts.timeoutMs ?? 60_000);
    proc.stderr!.on('data', (d) => (err += d));
    proc.stdout!.on('data', (d) => {
      out += d;
      const i = out.indexOf('\n');
      if (i < 0) return;
      clearTimeout(timer);
      const info = JSON.parse(out.slice(0, i)) as { url: string; port: number; token: string };
      const caPem = readFileSync(join(dataDir, 'pki', 'ca.crt'), 'utf8');
      resolve({ proc, ...info, caPem, kubeconfig, stop: () => stopProcess(proc, 'SIGTERM').then(() => undefined) });
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`API server process exited (${code}):\n${err}`));
    });
  });
}

/** Sends a signal and resolves with the exit code (null when killed by a signal); SIGKILL after `graceMs`. */
export function stopProcess(proc: ChildProcess, sig: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<number | null> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve(proc.exitCode);
    proc.removeAllListeners('exit');
    const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    proc.once('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
    proc.kill(sig);
  });
}

// ---------------------------------------------------------------------------- flotilla up as a process

/** The CLI's entry point in this installation. */
export const FLOTILLA_MAIN = fileURLToPath(new URL('../../cli/dist/main.js', import.meta.url));

export interface Up {
  proc: ChildProcess;
  /** everything it printed so far (stdout and stderr) */
  output(): string;
  kubeconfig: string;
}

/** Starts `flotilla up --data-dir DIR --port 0 [args]`; resolves once it printed its KUBECONFIG line. */
/** the repository's ./flotilla launcher script */
export const FLOTILLA_LAUNCHER = fileURLToPath(new URL('../../../flotilla', import.meta.url));

export interface StartUpOpts {
  args?: string[];
  env?: Record<string, string>;
  /** through ./flotilla as a user runs it (it execs node, so the pid stays the same) */
  launcher?: boolean;
  /**
   * Argo components to install (`--components a,b`), e.g. `['argo-cd']`, or `'all'` (every
   * component with a manifest, as a plain `flotilla up`). Default: none (`--no-components`), so
   * test files that need no component stay fast. Ignored when `args` already has `--components`
   * or `--no-components`.
   */
  components?: string[] | 'all';
}

/** The component flags `startUp` adds: `--no-components` unless components are asked for. */
export function componentArgs(o: StartUpOpts): string[] {
  const args = o.args ?? [];
  if (args.some((a) => a === '--no-components' || a === '--components' || a.startsWith('--components='))) return [];
  if (o.components === 'all') return [];
  return o.components?.length ? ['--components', o.components.join(',')] : ['--no-components'];
}

export function startUp(dataDir: string, timeoutMs = 60_000, o: string[] | StartUpOpts = {}): Promise<Up> {
  const opts: StartUpOpts = Array.isArray(o) ? { args: o } : o;
  return new Promise((resolve, reject) => {
    const [cmd, first] = opts.launcher ? ['bash', FLOTILLA_LAUNCHER] : [process.execPath, FLOTILLA_MAIN];
    const proc = spawn(cmd, [first, 'up', '--data-dir', dataDir, '--port', '0', ...componentArgs(opts), ...(opts.args ?? [])], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...opts.env },
    });
    // a test process that ends without stopping it (a cancelled file, a failed before hook) must
    // not leave the cluster running: SIGTERM lets flotilla up stop its pods as on Ctrl-C
    const stopOnExit = () => {
      try {
        proc.kill('SIGTERM');
      } catch {
        /* already gone */
      }
    };
    process.once('exit', stopOnExit);
    proc.once('exit', () => process.off('exit', stopOnExit));
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`flotilla up did not start:\n${buf}`)), timeoutMs);
    const onData = (d: Buffer) => {
      buf += d.toString();
      const m = /export KUBECONFIG=(\S+)/.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, output: () => buf, kubeconfig: m[1] });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`flotilla up exited (${code}):\n${buf}`));
    });
  });
}

/** Sends a signal to `flotilla up` and resolves with the exit code. */
export function stopUp(u: Up, sig: NodeJS.Signals): Promise<number | null> {
  return stopProcess(u.proc, sig, 60_000);
}

/**
 * A loopback port whose connections never complete: a listener (in a stopped child process) with a
 * full accept queue, so the kernel drops further SYNs — what a blackholed route looks like to a
 * client. `close()` kills the child.
 */
export async function blackholedPort(): Promise<{ port: number; close(): void }> {
  const child = spawn(process.execPath, ['-e', "require('net').createServer().listen({ port: 0, host: '127.0.0.1', backlog: 1 }, function () { console.log(this.address().port) })"], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((r) => child.stdout!.once('data', (d) => r(Number(String(d)))));
  child.kill('SIGSTOP');
  const fill: Socket[] = [];
  for (let i = 0; i < 4; i++) fill.push(connect(port, '127.0.0.1').on('error', () => {}));
  await sleep(200);
  return {
    port,
    close() {
      for (const s of fill) s.destroy();
      child.kill('SIGKILL');
    },
  };
}

/**
 * What the pods matching `selector` in `ns` are doing, for a test's failure message: their list, each
 * one's recent events, its readiness answer where given (`probe`: a command run in the pod) and the last
 * lines of its log (and of its previous container, after a restart).
 */
export async function podDiagnostics(run: (args: string[], o?: KubectlOpts) => Promise<KubectlResult>, ns: string, selector: string, o: { probe?: string[]; tail?: number } = {}): Promise<string> {
  const out: string[] = [];
  const list = await run(['get', 'pods', '-n', ns, '-l', selector, '-o', 'wide'], { timeoutMs: 20_000 });
  out.push(`--- pods ${ns} ${selector}:\n${list.stdout}${list.stderr}`.trim());
  const names = await run(['get', 'pods', '-n', ns, '-l', selector, '-o', 'jsonpath={.items[*].metadata.name}'], { timeoutMs: 20_000 });
  for (const pod of names.stdout.split(/\s+/).filter(Boolean)) {
    const ev = await run(['get', 'events', '-n', ns, '--field-selector', `involvedObject.name=${pod}`, '-o', 'custom-columns=T:.lastTimestamp,R:.reason,M:.message', '--no-headers'], { timeoutMs: 20_000 });
    out.push(`--- ${pod}: events\n${ev.stdout.trim().split('\n').slice(-8).join('\n')}${ev.stderr}`);
    if (o.probe) {
      const p = await run(['exec', '-n', ns, pod, '--', ...o.probe], { timeoutMs: 20_000 });
      out.push(`--- ${pod}: ${o.probe.join(' ')} → ${p.code}: ${(p.stdout + p.stderr).trim().slice(0, 600)}`);
    }
    const logs = await run(['logs', '-n', ns, pod, '--all-containers', '--tail', String(o.tail ?? 15)], { timeoutMs: 20_000 });
    out.push(`--- ${pod}: log\n${(logs.stdout + logs.stderr).trim()}`);
    const prev = await run(['logs', '-n', ns, pod, '--all-containers', '--previous', '--tail', '8'], { timeoutMs: 20_000 });
    if (prev.code === 0 && prev.stdout.trim()) out.push(`--- ${pod}: previous container's log\n${prev.stdout.trim()}`);
  }
  return out.join('\n');
}

/** `kubectl wait …` that, when it times out, fails with what the pods matching `selector` were doing. */
export async function waitOrDiagnose(run: (args: string[], o?: KubectlOpts) => Promise<KubectlResult>, ns: string, waitArgs: string[], selector: string, o: { timeoutMs?: number; probe?: string[] } = {}): Promise<void> {
  const timeoutMs = o.timeoutMs ?? 120_000;
  const args = ['wait', '-n', ns, ...waitArgs, `--timeout=${Math.round(timeoutMs / 1000)}s`];
  const r = await run(args, { timeoutMs: timeoutMs + 15_000 });
  if (r.code === 0) return;
  const msg = `kubectl ${args.join(' ')} failed (${r.code}): ${(r.stderr + r.stdout).trim()}\n${await podDiagnostics(run, ns, selector, { probe: o.probe })}`;
  console.error(msg);
  throw new Error(msg);
}
