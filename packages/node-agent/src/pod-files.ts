/**
 * A pod's files on the node: the state file a restarted agent reads, the pod directories, and
 * their removal.
 */
import { lstatSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { PodState } from './pod-types.js';

export function readState(dir: string): PodState | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

export function listPodDirs(dataDir: string): string[] {
  const base = join(dataDir, 'pods');
  try {
    return readdirSync(base)
      .map((d) => join(base, d))
      .filter((d) => {
        try {
          return lstatSync(d).isDirectory();
        } catch {
          return false;
        }
      });
  } catch {
    return [];
  }
}

/** Everything a pod left on disk: its directory and its entries in the shared directories. */
export function removePodFiles(dataDir: string, uid: string): void {
  rmSync(join(dataDir, 'pods', uid), { recursive: true, force: true });
  for (const d of ['tmp', 'volumes', 'logs']) {
    let entries: string[] = [];
    try {
      entries = readdirSync(join(dataDir, d));
    } catch {
      continue;
    }
    for (const e of entries) if (e.startsWith(`${uid}-`)) rmSync(join(dataDir, d, e), { recursive: true, force: true });
  }
}
