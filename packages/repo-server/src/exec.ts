import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Upper bound on stdout bytes; the process is killed when it is exceeded. */
  maxOutputBytes?: number;
  input?: string;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  overflowed: boolean;
  /** The executable could not be started (ENOENT, EACCES…). */
  spawnError?: Error;
}

const MAX_STDERR = 64 * 1024;

/** Runs a program without a shell, collecting bounded stdout/stderr, killing it on timeout. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const maxOut = opts.maxOutputBytes ?? 256 * 1024 * 1024;
    let child;
    try {
      child = spawn(cmd, args, {
        cwd: opts.cwd,
        env: opts.env ?? process.env,
        stdio: [opts.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'],
        detached: true, // own process group: a timeout kills the whole tree (e.g. ssh under git)
      });
    } catch (e) {
      resolve({ code: null, signal: null, stdout: '', stderr: '', timedOut: false, overflowed: false, spawnError: e as Error });
      return;
    }
    const out: Buffer[] = [];
    let outLen = 0;
    let err = '';
    let timedOut = false;
    let overflowed = false;
    let spawnError: Error | undefined;
    const kill = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        try {
          child.kill('SIGKILL');
        } catch {
          /* already gone */
        }
      }
    };
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          kill();
        }, opts.timeoutMs)
      : undefined;
    child.stdout!.on('data', (b: Buffer) => {
      if (overflowed) return;
      outLen += b.length;
      if (outLen > maxOut) {
        overflowed = true;
        kill();
        return;
      }
      out.push(b);
    });
    child.stderr!.on('data', (b: Buffer) => {
      if (err.length < MAX_STDERR) err += b.toString('utf8');
    });
    if (opts.input !== undefined) {
      child.stdin!.on('error', () => {});
      child.stdin!.end(opts.input);
    }
    child.on('error', (e) => {
      spawnError = e;
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: err,
        timedOut,
        overflowed,
        ...(spawnError ? { spawnError } : {}),
      });
    });
  });
}

const whichCache = new Map<string, string | undefined>();

/** Finds an executable on PATH (cached per process). */
export function which(name: string): string | undefined {
  if (name.includes('/')) {
    try {
      accessSync(name, constants.X_OK);
      return name;
    } catch {
      return undefined;
    }
  }
  const key = `${name}\0${process.env['PATH'] ?? ''}`;
  if (whichCache.has(key)) return whichCache.get(key);
  let found: string | undefined;
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      found = p;
      break;
    } catch {
      /* next */
    }
  }
  whichCache.set(key, found);
  return found;
}
