/**
 * The data directory holds every Secret (state.db and its WAL), the CA and ServiceAccount keys,
 * the admin token, component tokens and kubeconfigs: it is made 0700 and the files the server
 * keeps in it 0600, and the modes of an existing directory are corrected on every start
 * (docs/security.md, "Files at rest").
 */
import { chmodSync, closeSync, lstatSync, mkdirSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Directories of the server's own whose every file is a secret (keys, tokens, kubeconfigs). */
const PRIVATE_SUBDIRS = ['pki', 'identities'];

/**
 * Makes `dir` (created if missing) 0700, its top-level files and everything in `pki/` and
 * `identities/` 0600 (directories 0700). Other subdirectories (the node's pods, volumes, the
 * CLI's launchers) keep their modes: the 0700 data dir already keeps other users out of them.
 * Symbolic links are left alone. Returns the paths whose mode was changed.
 */
export function secureDataDir(dir: string): string[] {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const fixed: string[] = [];
  const want = (path: string, mode: number) => {
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st || st.isSymbolicLink() || (st.mode & 0o777) === mode) return;
    chmodSync(path, mode);
    fixed.push(path);
  };
  const walk = (d: string, all: boolean) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isFile()) want(p, 0o600);
      else if (e.isDirectory() && (all || PRIVATE_SUBDIRS.includes(e.name))) {
        want(p, 0o700);
        walk(p, true);
      }
    }
  };
  want(dir, 0o700);
  walk(dir, false);
  return fixed;
}

/** Creates `file` empty with mode 0600 if it does not exist (SQLite gives its -wal and -shm the database file's mode). */
export function touchPrivate(file: string): void {
  closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
}
