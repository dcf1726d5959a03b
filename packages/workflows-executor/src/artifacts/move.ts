import { cpSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';

/** Moves `src` to `dest` (rename, or copy across file systems). */
export function move(src: string, dest: string): void {
  mkdirSync(dirname(dest), { recursive: true });
  rmSync(dest, { recursive: true, force: true });
  try {
    renameSync(src, dest);
  } catch {
    cpSync(src, dest, { recursive: true, preserveTimestamps: true });
    rmSync(src, { recursive: true, force: true });
  }
}
