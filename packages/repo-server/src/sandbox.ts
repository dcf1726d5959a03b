/**
 * A small pool of render worker processes (sandbox-child.js). Each request gets a whole worker;
 * a request that runs over its time budget gets its worker killed (SIGKILL) and a Timeout error,
 * and the pool starts a fresh worker for the next request. Idle workers do not keep the parent
 * process alive.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { RepoError, type RepoErrorCode } from './errors.js';

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  timer: NodeJS.Timeout | undefined;
}

export interface WorkerError {
  message: string;
  name?: string;
  code?: string;
  file?: string;
  line?: number;
}

/** The error a worker reported, carried back to the caller. */
export class WorkerFailure extends Error {
  constructor(readonly detail: WorkerError) {
    super(detail.message);
  }
}

type Refable = { ref?: () => void; unref?: () => void };

class Worker {
  readonly child: ChildProcess;
  dead = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(script: URL, memoryMb: number) {
    this.child = fork(script, [], {
      execArgv: [`--max-old-space-size=${memoryMb}`],
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      serialization: 'json',
    });
    this.child.on('message', (m: { id: number; ok: boolean; result?: unknown; error?: WorkerError }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (p.timer) clearTimeout(p.timer);
      if (m.ok) p.resolve(m.result);
      else p.reject(new WorkerFailure(m.error ?? { message: 'unknown worker error' }));
    });
    this.child.on('exit', (code, signal) => {
      this.dead = true;
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        if (p.timer) clearTimeout(p.timer);
        p.reject(new RepoError(`render worker exited unexpectedly (${signal ?? `code ${code}`})`, { code: 'RenderFailed' }));
      }
    });
    this.child.on('error', () => {
      this.dead = true;
    });
  }

  setRef(on: boolean): void {
    const ch = this.child.channel as Refable | null | undefined;
    if (on) {
      this.child.ref();
      ch?.ref?.();
    } else {
      this.child.unref();
      ch?.unref?.();
    }
  }

  call(kind: string, payload: unknown, timeoutMs: number, what: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.pending.delete(id);
              this.kill();
              reject(new RepoError(`${what} timed out after ${timeoutMs} ms`, { code: 'Timeout' }));
            }, timeoutMs)
          : undefined;
      this.pending.set(id, { resolve, reject, timer });
      try {
        this.child.send({ id, kind, payload });
      } catch (e) {
        this.pending.delete(id);
        if (timer) clearTimeout(timer);
        reject(new RepoError(`render worker unavailable: ${(e as Error).message}`, { code: 'RenderFailed' }));
      }
    });
  }

  kill(): void {
    this.dead = true;
    try {
      this.child.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
}

export class Sandbox {
  private readonly idle: Worker[] = [];
  private readonly all = new Set<Worker>();
  private readonly waiters: ((w: Worker) => void)[] = [];
  private closed = false;
  private readonly script = new URL('./sandbox-child.js', import.meta.url);

  constructor(
    private readonly maxWorkers = Math.max(1, Math.min(4, availableParallelism())),
    private readonly memoryMb = 1024,
  ) {}

  async call<T>(kind: 'jsonnet' | 'helm', payload: unknown, timeoutMs: number, what: string): Promise<T> {
    if (this.closed) throw new RepoError('repo server is closed', { code: 'RenderFailed' });
    const w = await this.acquire();
    try {
      return (await w.call(kind, payload, timeoutMs, what)) as T;
    } finally {
      this.release(w);
    }
  }

  private acquire(): Promise<Worker> {
    while (this.idle.length) {
      const w = this.idle.pop()!;
      if (!w.dead) {
        w.setRef(true);
        return Promise.resolve(w);
      }
      this.all.delete(w);
    }
    for (const w of this.all) if (w.dead) this.all.delete(w);
    if (this.all.size < this.maxWorkers) {
      const w = new Worker(this.script, this.memoryMb);
      this.all.add(w);
      return Promise.resolve(w);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(w: Worker): void {
    if (w.dead || this.closed) {
      this.all.delete(w);
      w.kill();
      const next = this.waiters.shift();
      if (next && !this.closed) {
        const fresh = new Worker(this.script, this.memoryMb);
        this.all.add(fresh);
        next(fresh);
      }
      return;
    }
    const next = this.waiters.shift();
    if (next) {
      next(w);
      return;
    }
    w.setRef(false);
    this.idle.push(w);
  }

  close(): void {
    this.closed = true;
    for (const w of this.all) w.kill();
    this.all.clear();
    this.idle.length = 0;
  }
}

/** Turns a worker's error into a RepoError with the given context. */
export function workerError(e: unknown, context: string, fallbackCode: RepoErrorCode = 'RenderFailed'): unknown {
  if (e instanceof WorkerFailure) {
    const code = (e.detail.code === 'TooLarge' || e.detail.code === 'ToolUnavailable' ? e.detail.code : fallbackCode) as RepoErrorCode;
    return new RepoError(`${context}: ${e.detail.message}`, {
      code,
      ...(e.detail.file ? { file: e.detail.file } : {}),
      ...(e.detail.line ? { line: e.detail.line } : {}),
    });
  }
  return e;
}
