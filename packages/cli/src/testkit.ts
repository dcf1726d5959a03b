/** Test helpers: `flotilla up` as its own process, and the real kubectl against it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));
/** the repository's ./flotilla launcher script */
export const LAUNCHER = fileURLToPath(new URL('../../../flotilla', import.meta.url));

export interface Up {
  proc: ChildProcess;
  /** everything it printed so far (stdout and stderr) */
  output(): string;
  kubeconfig: string;
}

/**
 * Starts `flotilla up --data-dir DIR --port 0 [args]`; resolves once it printed its KUBECONFIG line
 * (after the components are installed).
 */
export function startUp(dataDir: string, timeoutMs = 60_000, opts: { args?: string[]; env?: Record<string, string>; launcher?: boolean } = {}): Promise<Up> {
  return new Promise((resolve, reject) => {
    // launcher: through ./flotilla as a user runs it (it execs node, so the pid stays the same)
    const [cmd, first] = opts.launcher ? ['bash', LAUNCHER] : [process.execPath, MAIN];
    const proc = spawn(cmd, [first, 'up', '--data-dir', dataDir, '--port', '0', ...(opts.args ?? [])], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...opts.env },
    });
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

/** Sends a signal and resolves with the exit code (null when killed by a signal). */
export function stopUp(u: Up, sig: NodeJS.Signals): Promise<number | null> {
  return new Promise((resolve) => {
    if (u.proc.exitCode !== null) return resolve(u.proc.exitCode);
    u.proc.removeAllListeners('exit');
    u.proc.once('exit', (code) => resolve(code));
    u.proc.kill(sig);
  });
}

/** Runs the real kubectl with an isolated HOME (its discovery cache) against a kubeconfig. */
export function kubectl(home: string, kubeconfig: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn('kubectl', args, { env: { PATH: process.env.PATH!, HOME: home, KUBECONFIG: kubeconfig } });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => c.kill('SIGKILL'), opts.timeoutMs ?? 90_000);
    c.on('close', (code) => {
      clearTimeout(t);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    c.stdin.end(opts.input ?? '');
  });
}

/** Runs `flotilla ARGS` to its end (asynchronously: a `flotilla up` child of the test keeps being served). */
export function flotilla(args: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    c.stdout!.on('data', (d) => (stdout += d));
    c.stderr!.on('data', (d) => (stderr += d));
    const t = setTimeout(() => c.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    c.on('close', (code) => {
      clearTimeout(t);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Polls fn until it returns a truthy value; throws naming `what` (and the last value or error) after timeoutMs. */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined | false | null>, timeoutMs = 60_000): Promise<T> {
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
