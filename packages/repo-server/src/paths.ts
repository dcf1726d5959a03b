import { lstat, readdir, readlink, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { RepoError } from './errors.js';

/**
 * Normalises a repository-relative path ("", ".", "a/b/", "./a") to "" or "a/b", refusing
 * absolute paths and anything that climbs out with "..". `what` names the path in errors.
 */
export function normalizeRepoPath(p: string | undefined, what: string): string {
  const raw = (p ?? '').trim();
  if (raw === '' || raw === '.' || raw === './') return '';
  if (raw.includes('\0')) throw new RepoError(`${what} ${JSON.stringify(raw)} contains a NUL byte`, { code: 'PathEscape' });
  if (raw.startsWith('/') || isAbsolute(raw) || /^[A-Za-z]:[\\/]/.test(raw)) {
    throw new RepoError(`${what} ${JSON.stringify(raw)} is absolute: paths must be relative to the repository root`, {
      code: 'PathEscape',
    });
  }
  const norm = posix.normalize(raw.replace(/\\/g, '/')).replace(/\/+$/, '');
  if (norm === '..' || norm.startsWith('../')) {
    throw new RepoError(`${what} ${JSON.stringify(raw)} points outside the repository`, { code: 'PathEscape' });
  }
  return norm === '.' ? '' : norm;
}

/** Whether `child` is `root` or lies beneath it (both absolute, already resolved). */
export function isWithin(root: string, child: string): boolean {
  const rel = relative(root, child);
  return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel));
}

/**
 * Resolves a repository-relative path under `root`, following symlinks, and refuses results that
 * land outside the repository. Returns the absolute path (which may not exist when `mustExist`
 * is false).
 */
export async function resolveInRepo(root: string, repoPath: string, what: string, mustExist = true): Promise<string> {
  const rel = normalizeRepoPath(repoPath, what);
  const abs = rel ? join(root, rel) : root;
  const realRoot = await realpath(root);
  let real: string;
  try {
    real = await realpath(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      // A dangling symlink whose target is outside still counts as an escape.
      const link = await readlink(abs).catch(() => undefined);
      if (link !== undefined && !isWithin(realRoot, resolve(dirname(abs), link))) {
        throw new RepoError(`${what} ${JSON.stringify(repoPath)} is a symlink pointing outside the repository`, {
          code: 'PathEscape',
          file: rel,
        });
      }
      if (mustExist) throw new RepoError(`${what} ${JSON.stringify(repoPath)} does not exist in the repository`, { code: 'PathNotFound', file: rel });
      return abs;
    }
    throw e;
  }
  if (!isWithin(realRoot, real)) {
    throw new RepoError(`${what} ${JSON.stringify(repoPath)} resolves through a symlink to a location outside the repository`, {
      code: 'PathEscape',
      file: rel,
    });
  }
  return abs;
}

/**
 * Lists symlinks under `root` whose target lies outside `root` (absolute targets always do), as
 * repository-relative paths. Argo CD refuses to render from such a repository.
 */
export async function findOutOfBoundsSymlinks(root: string): Promise<string[]> {
  const bad: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isSymbolicLink()) {
        const target = await readlink(p);
        if (isAbsolute(target) || !isWithin(root, resolve(dir, target))) bad.push(relative(root, p).split(sep).join('/'));
      } else if (e.isDirectory()) {
        await walk(p);
      }
    }
  };
  await walk(root);
  return bad.sort();
}

/** Size of a file (following symlinks), or -1 when it does not exist. */
export async function fileSize(p: string): Promise<number> {
  try {
    const st = await lstat(p);
    return st.size;
  } catch {
    return -1;
  }
}
