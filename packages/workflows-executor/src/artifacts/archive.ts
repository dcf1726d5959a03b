/**
 * Archive strategies: tar+gzip (the default; `tar.compressionLevel`) and none (files as they are);
 * unpacking what was downloaded: a tarball is extracted (its single top entry becomes the
 * artifact's path), a plain gzip is decompressed, anything else is kept as is; `mode` and
 * `recurseMode` applied afterwards.
 */
import { chmodSync, closeSync, cpSync, createReadStream, createWriteStream, mkdirSync, mkdtempSync, openSync, readSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { constants as zc, createGunzip, gunzipSync } from 'node:zlib';
import { move } from './move.js';
import type { Artifact } from './types.js';

/** Archives `src` (file or directory) into `dest` per the artifact's strategy. */
export async function archive(src: string, dest: string, a: Pick<Artifact, 'archive'>): Promise<void> {
  mkdirSync(dirname(dest), { recursive: true });
  rmSync(dest, { recursive: true, force: true });
  if (a.archive?.none) {
    cpSync(src, dest, { recursive: true, preserveTimestamps: true });
    return;
  }
  if (a.archive?.zip) throw new Error('the zip archive strategy is not supported here (tar and none are)');
  const level = a.archive?.tar?.compressionLevel;
  const { create } = await import('tar');
  await create({ gzip: level !== undefined ? { level } : true, file: dest, cwd: dirname(src), portable: true }, [basename(src)]);
}

export type Kind = 'tar.gz' | 'gzip' | 'tar' | 'plain';

/** What a file is, from its first bytes (pure). */
export function detect(head: Buffer): Kind {
  const isTar = (b: Buffer) => b.length >= 262 && b.subarray(257, 262).toString('latin1') === 'ustar';
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    try {
      const inner = gunzipSync(head, { finishFlush: zc.Z_SYNC_FLUSH });
      return isTar(inner) ? 'tar.gz' : 'gzip';
    } catch {
      return 'gzip';
    }
  }
  return isTar(head) ? 'tar' : 'plain';
}

export { move };

function readHead(file: string, n = 4096): Buffer {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(n);
    const got = readSync(fd, b, 0, n, 0);
    return b.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/**
 * Places a downloaded file at `dest`: with archive none as is; otherwise a tarball is extracted
 * (one top-level entry becomes `dest`, several make `dest` a directory of them), a gzip is
 * decompressed, anything else is kept.
 */
export async function unpack(file: string, dest: string, a: Pick<Artifact, 'archive'>): Promise<void> {
  const kind = a.archive?.none || !statSync(file).isFile() ? 'plain' : detect(readHead(file));
  if (kind === 'plain') return move(file, dest);
  if (kind === 'gzip') {
    mkdirSync(dirname(dest), { recursive: true });
    await pipeline(createReadStream(file), createGunzip(), createWriteStream(dest));
    rmSync(file, { force: true });
    return;
  }
  const tmp = mkdtempSync(join(dirname(file), '.unpack-'));
  try {
    const { extract } = await import('tar');
    await extract({ file, cwd: tmp, gzip: kind === 'tar.gz' ? true : undefined } as Parameters<typeof extract>[0]);
    const entries = readdirSync(tmp);
    move(entries.length === 1 ? join(tmp, entries[0]) : tmp, dest);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(file, { force: true });
  }
}

/** Applies `mode` to the artifact's path (and everything under it with `recurseMode`). */
export function applyMode(path: string, mode: number | undefined, recurse: boolean | undefined): void {
  if (mode === undefined) return;
  if (recurse && statSync(path).isDirectory()) {
    for (const e of readdirSync(path, { withFileTypes: true })) {
      const p = join(path, e.name);
      if (e.isDirectory()) applyMode(p, mode, true);
      else if (e.isFile()) chmodSync(p, mode);
    }
  }
  chmodSync(path, mode);
}
