/** file: watch a directory for a path (or pathRegexp) and report CREATE / WRITE / REMOVE / RENAME / CHMOD. */
import { watch, statSync, readdirSync, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { SourceContext, Source } from './common.js';

export type FileOp = 'CREATE' | 'WRITE' | 'REMOVE' | 'RENAME' | 'CHMOD';

interface Seen {
  mode: number;
  size: number;
  mtimeMs: number;
  ino: number;
}

const stat = (p: string): Seen | undefined => {
  try {
    const s = statSync(p);
    return { mode: s.mode, size: s.size, mtimeMs: s.mtimeMs, ino: s.ino };
  } catch {
    return undefined;
  }
};

/** What changed, from the state before and after an fs.watch notification. */
export function classify(kind: 'rename' | 'change', before: Seen | undefined, after: Seen | undefined, renamedAway: boolean): FileOp | undefined {
  if (!before && after) return 'CREATE';
  if (before && !after) return renamedAway ? 'RENAME' : 'REMOVE';
  if (!before || !after) return undefined;
  if (before.ino !== after.ino) return 'CREATE';
  if (before.mode !== after.mode) return 'CHMOD';
  if (kind === 'change' || before.size !== after.size || before.mtimeMs !== after.mtimeMs) return 'WRITE';
  return undefined;
}

export async function startFile(ctx: SourceContext, spec: any): Promise<Source> {
  const wp = spec.watchPathConfig ?? {};
  const dir: string = wp.directory;
  if (!dir) throw new Error('file: watchPathConfig.directory is required');
  const re = wp.pathRegexp ? new RegExp(wp.pathRegexp) : undefined;
  const wanted: string | undefined = spec.eventType ? String(spec.eventType).toUpperCase() : undefined;
  const matches = (name: string) => (re ? re.test(name) : wp.path ? name === wp.path : true);
  const known = new Map<string, Seen>();
  const inodes = new Map<number, string>();
  const look = (name: string) => {
    const s = stat(join(dir, name));
    if (s) {
      known.set(name, s);
      inodes.set(s.ino, name);
    }
  };
  // what exists now is not an event
  for (const n of readdirSync(dir)) look(n);
  let w: FSWatcher;
  try {
    w = watch(dir, { persistent: true });
  } catch (e) {
    throw new Error(`file: cannot watch ${dir}: ${(e as Error).message}`);
  }
  w.on('change', (kind, filename) => {
    const name = String(filename ?? '');
    if (!name) return;
    const before = known.get(name);
    const after = stat(join(dir, name));
    // a rename away: the inode now lives under another name in the directory
    let renamedAway = false;
    if (before && !after) {
      known.delete(name);
      inodes.delete(before.ino);
      renamedAway = pendingRename(dir, before.ino, name);
    }
    if (after) {
      known.set(name, after);
      inodes.set(after.ino, name);
    }
    const op = classify(kind as 'rename' | 'change', before, after, renamedAway);
    if (!op || !matches(name)) return;
    if (wanted && wanted !== op) return;
    void ctx.emit({ name: join(dir, name), op, metadata: spec.metadata }).catch((e) => ctx.log('error', `file: publishing failed: ${(e as Error).message}`));
  });
  w.on('error', (e) => ctx.log('error', `file: watch error: ${e.message}`));
  return { stop: async () => w.close() };
}

function pendingRename(dir: string, ino: number, old: string): boolean {
  try {
    for (const n of readdirSync(dir)) if (n !== old && stat(join(dir, n))?.ino === ino) return true;
  } catch {
    /* directory gone */
  }
  return false;
}
