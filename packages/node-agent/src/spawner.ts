/**
 * Process creation off the agent's event loop.
 *
 * Starting a process from Node blocks the calling thread until the child has exec'd, and the fork
 * before it costs in proportion to the caller's memory: on a small VM a spawn from the agent
 * (~150 MB) took 10 ms idle and 30 ms under load. A burst of pods (three shims, a network set-up
 * and tear-down each) kept the agent's event loop blocked for seconds at a time — and with it
 * every connection it relays (pods reach the API server through the agent), so a controller's
 * Lease renewal got no answer within its renew deadline and the controller restarted.
 *
 * The agent therefore asks a small helper process (spawner-main.ts: a few MB of heap, nothing
 * else to do) to start processes for it, over an IPC channel: the fork is cheaper there and
 * blocks only the helper. `runProcess` gives the child's pid and, later, its exit (with its
 * output when asked). Without a helper (tests, or when it cannot start) processes are started
 * in this process, with the same interface.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { getPriority, setPriority } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findTool } from './tools.js';

export interface SpawnRequest {
  file: string;
  args: string[];
  cwd?: string;
  env?: Record<string, string>;
  /** its own session and process group (setsid) */
  detached?: boolean;
  /** written to its stdin, which is then closed (stdin is /dev/null without it) */
  input?: string;
  /** keep stdout and stderr (the first 64 KiB of each); otherwise they go to /dev/null */
  capture?: boolean;
  /** false: the caller's process may exit while this one runs (a container); default true */
  hold?: boolean;
  /**
   * CPU priority (nice, 1–19) of the process and its descendants. The agent's helper for that
   * level, which runs at it, starts the process (no `nice` program in front: one exec fewer per
   * container); started here without a helper, `nice -n N` is put in front.
   */
  nice?: number;
}

export interface SpawnExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Spawned {
  pid: number;
  /** settles when the process has exited; rejects when the helper was lost first (the process may live on) */
  exited: Promise<SpawnExit>;
}

/** The helper died while the process ran: its exit can no longer be reported. */
export class SpawnerLost extends Error {}

const CAPTURE_MAX = 64 * 1024;
const HELPER = join(dirname(fileURLToPath(import.meta.url)), 'spawner-main.js');

/** Messages to the helper and back. */
export type ToSpawner = { t: 'spawn'; id: number; req: SpawnRequest };
export type FromSpawner =
  | { t: 'pid'; id: number; pid: number }
  | { t: 'error'; id: number; message: string; code?: string }
  | ({ t: 'exit'; id: number } & SpawnExit);

/** Starts a process in this process (what the helper itself does, and the fallback). */
export function spawnHere(req: SpawnRequest, onExit: (e: SpawnExit) => void): { child: ChildProcess; started: Promise<void> } {
  // a priority other than this process's own (children inherit it): `nice` in front
  const nice = req.nice !== undefined && req.nice !== ownNice ? findNice() : undefined;
  const [file, args] = nice ? [nice, ['-n', String(req.nice! - ownNice), req.file, ...req.args]] : [req.file, req.args];
  const child = spawn(file, args, {
    cwd: req.cwd,
    env: req.env,
    detached: !!req.detached,
    stdio: [req.input === undefined ? 'ignore' : 'pipe', req.capture ? 'pipe' : 'ignore', req.capture ? 'pipe' : 'ignore'],
  });
  let stdout = '';
  let stderr = '';
  if (req.capture) {
    child.stdout!.on('data', (d: Buffer) => {
      if (stdout.length < CAPTURE_MAX) stdout += d.toString('utf8');
    });
    child.stderr!.on('data', (d: Buffer) => {
      if (stderr.length < CAPTURE_MAX) stderr += d.toString('utf8');
    });
  }
  if (req.input !== undefined) {
    child.stdin!.on('error', () => {}); // EPIPE: it exited without reading its input
    child.stdin!.end(req.input);
  }
  const started = new Promise<void>((resolve, reject) => {
    if (child.pid) resolve();
    child.once('spawn', () => resolve());
    child.once('error', reject);
  });
  started.catch(() => {});
  child.on('error', () => {});
  // 'close': the exit, and the pipes read to their end
  child.on('close', (code, signal) => onExit({ code, signal, stdout: stdout.slice(0, CAPTURE_MAX), stderr: stderr.slice(0, CAPTURE_MAX) }));
  if (req.hold === false) child.unref();
  return { child, started };
}

/** This process's CPU priority: a helper runs at the level it serves (set at its start). */
let ownNice = (() => {
  try {
    return getPriority();
  } catch {
    return 0;
  }
})();

/** Lowers this process's CPU priority to `n` (its main thread's, which forks the children, and so theirs). */
export function setOwnNice(n: number): void {
  setPriority(n);
  ownNice = n;
}

let nicePath: string | null | undefined;
function findNice(): string | undefined {
  if (nicePath === undefined) nicePath = findTool('nice') ?? null;
  return nicePath ?? undefined;
}

/** The agent's side: a helper process per CPU priority asked for, each started on first use and again after it died. */
export class Spawner {
  /** '' = the agent's own priority */
  private readonly helpers = new Map<string, Helper>();
  private stopped = false;
  private failed = false;

  constructor(private readonly log: (m: string) => void = () => {}) {}

  run(req: SpawnRequest): Promise<Spawned> {
    if (this.stopped || this.failed) return spawnLocal(req);
    const key = req.nice === undefined || req.nice === ownNice ? '' : String(req.nice);
    let h = this.helpers.get(key);
    if (!h) this.helpers.set(key, (h = new Helper(key ? Number(key) : undefined, this.log, () => (this.failed = true))));
    return h.run(req) ?? spawnLocal(req);
  }

  /** Stops the helpers (the processes they started live on: they are detached, or end with their work). */
  stop(): void {
    this.stopped = true;
    for (const h of this.helpers.values()) h.stop();
    this.helpers.clear();
  }
}

/** One helper process. */
class Helper {
  private proc?: ChildProcess;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (s: Spawned) => void; reject: (e: Error) => void; hold: boolean }>();
  private readonly running = new Map<number, { resolve: (e: SpawnExit) => void; reject: (e: Error) => void; hold: boolean }>();
  /** running processes started with hold (their exit is awaited) */
  private held = 0;

  constructor(
    /** the CPU priority it runs at (undefined: the agent's) */
    private readonly nice: number | undefined,
    private readonly log: (m: string) => void,
    private readonly onFailed: () => void,
  ) {}

  /** undefined: no helper could be started (the caller starts the process itself) */
  run(req: SpawnRequest): Promise<Spawned> | undefined {
    const h = this.ensure();
    if (!h) return undefined;
    const id = this.nextId++;
    return new Promise<Spawned>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, hold: req.hold !== false });
      this.updateRef();
      h.send({ t: 'spawn', id, req } satisfies ToSpawner);
    });
  }

  /** The channel keeps this process alive while an answer is awaited (not for processes started with hold: false). */
  private updateRef(): void {
    const ch = this.proc?.channel as { ref?: () => void; unref?: () => void } | undefined;
    if (!ch) return;
    const busy = this.waiting.size > 0 || this.held > 0;
    if (busy) ch.ref?.();
    else ch.unref?.();
  }

  private ensure(): ChildProcess | undefined {
    if (this.proc?.connected) return this.proc;
    let h: ChildProcess;
    const what = this.nice === undefined ? 'process helper' : `process helper (nice ${this.nice})`;
    try {
      // a small heap: the fork's cost follows the helper's memory
      h = spawn(process.execPath, ['--max-semi-space-size=1', '--max-old-space-size=64', HELPER, ...(this.nice === undefined ? [] : [`--nice=${this.nice}`])], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    } catch (e) {
      this.onFailed();
      this.log(`${what}: cannot start it (${(e as Error).message}): processes are started by the agent itself`);
      return undefined;
    }
    h.on('error', (e) => {
      if (this.proc !== h) return;
      this.onFailed();
      this.log(`${what}: ${e.message}: processes are started by the agent itself`);
      this.lost(h);
    });
    h.on('message', (m: FromSpawner) => this.onMessage(m));
    // the channel closes first (and the exit event of an unreferenced process may never come); at stop() proc is already unset
    h.on('disconnect', () => {
      if (this.proc !== h) return;
      this.log(`${what} exited; started again on the next request`);
      this.lost(h);
    });
    h.unref();
    (h.channel as { unref?: () => void } | undefined)?.unref?.();
    this.proc = h;
    return h;
  }

  private lost(h: ChildProcess): void {
    if (this.proc === h) this.proc = undefined;
    const err = new SpawnerLost('the process helper exited');
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
    for (const r of this.running.values()) r.reject(err);
    this.running.clear();
    this.held = 0;
  }

  private onMessage(m: FromSpawner): void {
    if (m.t === 'pid') {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (!w) return;
      const hold = w.hold;
      if (hold) this.held++;
      const exited = new Promise<SpawnExit>((resolve, reject) => this.running.set(m.id, { resolve, reject, hold }));
      exited.catch(() => {});
      w.resolve({ pid: m.pid, exited });
    } else if (m.t === 'error') {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      w?.reject(Object.assign(new Error(m.message), { code: m.code }));
    } else if (m.t === 'exit') {
      const r = this.running.get(m.id);
      this.running.delete(m.id);
      if (r?.hold) this.held--;
      r?.resolve({ code: m.code, signal: m.signal, stdout: m.stdout, stderr: m.stderr });
    }
    this.updateRef();
  }

  stop(): void {
    const h = this.proc;
    this.proc = undefined;
    if (h?.connected) h.disconnect();
  }
}

function spawnLocal(req: SpawnRequest): Promise<Spawned> {
  let resolveExit!: (e: SpawnExit) => void;
  const exited = new Promise<SpawnExit>((r) => (resolveExit = r));
  const s = spawnHere(req, (e) => resolveExit(e));
  return s.started.then(() => ({ pid: s.child.pid!, exited }));
}

let current: Spawner | undefined;

/** Makes `runProcess` go through this helper (the agent sets it at start). */
export function useSpawner(s: Spawner): void {
  current = s;
}

/** Undoes `useSpawner(s)` (at the agent's stop) unless another helper was set since. */
export function releaseSpawner(s: Spawner): void {
  if (current === s) current = undefined;
}

/** Starts a process: through the helper when the agent has one, else here. Rejects when it cannot start. */
export function runProcess(req: SpawnRequest): Promise<Spawned> {
  return current ? current.run(req) : spawnLocal(req);
}

/** Runs a process to its end: its exit code, signal and (with capture) output. */
export async function runToEnd(req: SpawnRequest): Promise<SpawnExit> {
  const s = await runProcess(req);
  return s.exited;
}
