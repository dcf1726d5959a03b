/** Small file helpers shared by the commands (kept free of heavy imports: the emissary starts fast). */
import { chmodSync, closeSync, constants, mkdirSync, openSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Writes a file atomically (temp + rename) with a mode. */
export function writeAtomic(path: string, content: string | Buffer, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

/** The FIFO beside a container's `exitcode` on which `wait` (argoexec.sh, a pod with nothing to report) blocks. */
export const EXITED_FIFO = '.exited';

/**
 * Writes a container's exit code (`path`: its `exitcode` file), then wakes a `wait` blocked on the FIFO beside
 * it with a line: opened read-write and non-blocking, so with no reader the line is dropped and nothing waits.
 */
export function writeExitCode(path: string, code: string | number): void {
  writeAtomic(path, String(code));
  const fifo = join(dirname(path), EXITED_FIFO);
  try {
    if (!statSync(fifo).isFIFO()) return;
    const fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
    try {
      writeSync(fd, '\n');
    } finally {
      closeSync(fd);
    }
  } catch {
    // no FIFO (no `wait` blocks on it): nothing to wake
  }
}
