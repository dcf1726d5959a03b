/** Sync status from comparisons, as Argo CD reports it per resource and per app. */
import type { SyncStatusCode } from '../types.js';
import type { ResourceDiff } from './types.js';

/** A resource is Synced when the comparison found no difference. */
export function resourceSyncStatus(d: Pick<ResourceDiff, 'modified'>): SyncStatusCode {
  return d.modified ? 'OutOfSync' : 'Synced';
}

/** The resource exists only live (it requires pruning). */
export function requiresPruning(d: Pick<ResourceDiff, 'mode'>): boolean {
  return d.mode === 'prune';
}

/**
 * The app is OutOfSync when any resource is, except extraneous ones marked IgnoreExtraneous
 * (hooks are not compared at all: leave them out of `diffs`).
 */
export function appSyncStatus(diffs: Iterable<Pick<ResourceDiff, 'modified' | 'mode' | 'ignoreExtraneous'>>): SyncStatusCode {
  for (const d of diffs) {
    if (!d.modified) continue;
    if (d.mode === 'prune' && d.ignoreExtraneous) continue;
    return 'OutOfSync';
  }
  return 'Synced';
}
