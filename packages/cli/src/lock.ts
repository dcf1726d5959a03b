/**
 * One `flotilla up` per data dir: `<data-dir>/up.lock` names the running process (pid, its start
 * time, port, API URL). It is created atomically (link(2) fails when it exists), released on exit,
 * and taken over when its process is gone (kill -9, a crash) or the pid was reused by another one.
 * `flotilla down` and `flotilla status` read it to find the cluster of a data dir.
 */
import { existsSync, linkSync, readFileSync, readdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const LOCK_FILE = 'up.lock';

export interface LockInfo {
  pid: number;
  /** the process's start time (/proc/<pid>/stat field 22) — tells a reused pid from the holder */
  startTime?: string;
  /** the API server's port (0 while starting with --port 0) */
  port: number;
  host: string;
  url?: string;
  kubeconfig?: string;
  /** starting: the API server is not up yet; ready: the cluster and components answer */
  state: 'starting' | 'up' | 'ready';
  /** the components this up installed: their Deployments (namespace/name), or why the install failed */
  components?: { name: string; namespace: string; manifest?: string; deployments: string[]; error?: string }[];
  startedAt: string;
}

/** The start time of a process, or undefined when /proc cannot tell. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) is in parentheses and may hold spaces: fields after the last ')'
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether the process that wrote the lock still runs (and is that process, not a reused pid). */
export function holderAlive(info: Pick<LockInfo, 'pid' | 'startTime'>): boolean {
  if (!Number.isInteger(info.pid) || info.pid <= 0) return false;
  try {
    process.kill(info.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    // an exited process its parent has not reaped yet is a zombie: gone
    const stat = readFileSync(`/proc/${info.pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
  } catch {
    /* no /proc: kill(0) decides */
  }
  const now = processStartTime(info.pid);
  return !(info.startTime && now && now !== info.startTime);
}

export function readLock(dataDir: string): LockInfo | undefined {
  try {
    const v = JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8'));
    return v && typeof v === 'object' && typeof v.pid === 'number' ? (v as LockInfo) : undefined;
  } catch {
    return undefined;
  }
}

/** The lock of the data dir's running `flotilla up`, if one runs. */
export function runningUp(dataDir: string): LockInfo | undefined {
  const l = readLock(dataDir);
  return l && holderAlive(l) ? l : undefined;
}

export class LockHeldError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockInfo,
  ) {
    super(
      `another 'flotilla up' is running for data dir ${dataDir} (pid ${holder.pid}, ${holder.port ? `port ${holder.port}` : 'port not bound yet: it is starting'}): ` +
        `stop it with 'flotilla down --data-dir ${dataDir}', or use another --data-dir`,
    );
  }
}

export interface DataDirLock {
  info: LockInfo;
  /** rewrites the lock's content (port, state, components), atomically */
  update(patch: Partial<LockInfo>): void;
  release(): void;
}

/**
 * Takes the data dir's lock (the directory must exist) or throws LockHeldError naming the running
 * one. A lock whose process is gone is taken over. Released by release() or when the process exits.
 */
export function acquireLock(dataDir: string, init: { port: number; host: string }): DataDirLock {
  const path = join(dataDir, LOCK_FILE);
  const info: LockInfo = { pid: process.pid, startTime: processStartTime(process.pid), port: init.port, host: init.host, state: 'starting', startedAt: new Date().toISOString() };
  const tmp = `${path}.${process.pid}`;
  writeFileSync(tmp, JSON.stringify(info), { mode: 0o600 });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(tmp, path);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 5) throw e;
      }
      const held = readLock(dataDir);
      if (held && holderAlive(held)) throw new LockHeldError(dataDir, held);
      if (!held && attempt === 0) {
        // written but not yet readable by a starting holder (or garbage): look again once
        const raw = (() => {
          try {
            return readFileSync(path, 'utf8');
          } catch {
            return '';
          }
        })();
        if (raw === '') continue;
      }
      // stale: move it aside (rename is atomic; a racing taker that loses finds ours on its retry)
      const aside = `${path}.stale.${process.pid}`;
      try {
        renameSync(path, aside);
        // a racing taker may have put its fresh lock there meanwhile: put a live one back
        const moved = (() => {
          try {
            return JSON.parse(readFileSync(aside, 'utf8')) as LockInfo;
          } catch {
            return undefined;
          }
        })();
        if (moved && holderAlive(moved)) {
          try {
            linkSync(aside, path);
          } catch {
            /* someone else holds it now: the next attempt sees it */
          }
        }
        rmSync(aside, { force: true });
      } catch {
        /* another taker moved it first */
      }
    }
  } finally {
    rmSync(tmp, { force: true });
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    // only our own lock: never remove one a later holder wrote
    if (readLock(dataDir)?.pid === process.pid) {
      try {
        unlinkSync(path);
      } catch {
        /* gone */
      }
    }
  };
  process.on('exit', release);
  return {
    info,
    update(patch) {
      Object.assign(info, patch);
      const t = `${path}.${process.pid}.tmp`;
      writeFileSync(t, JSON.stringify(info), { mode: 0o600 });
      renameSync(t, path);
    },
    release,
  };
}

/**
 * What a start creates in a data dir, so that a failed first start (port busy) can remove it all:
 * a data dir that had no database before is "fresh"; on failure the entries that were not there
 * before go, and the directory too when this start created it.
 */
export function snapshotDataDir(dataDir: string): { fresh: boolean; undo(): void } {
  const existed = existsSync(dataDir);
  const before = new Set(existed ? readdirSync(dataDir) : []);
  const fresh = !before.has('state.db');
  return {
    fresh,
    undo() {
      if (!fresh || !existsSync(dataDir)) return;
      for (const e of readdirSync(dataDir)) if (!before.has(e)) rmSync(join(dataDir, e), { recursive: true, force: true });
      if (!existed && readdirSync(dataDir).length === 0) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
