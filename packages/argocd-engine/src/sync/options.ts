/** Sync options, as Argo CD documents them (`syncPolicy.syncOptions`, the operation's, and the per-resource annotation). */
import { ANNOTATIONS, type KubeObject } from '../types.js';

export type PropagationPolicy = 'foreground' | 'background' | 'orphan';

export interface SyncOptions {
  createNamespace: boolean;
  /** false with `Prune=false` (per resource: never prune it) */
  prune: boolean;
  /** `Prune=confirm`: pruning this resource needs a confirmation */
  pruneConfirm: boolean;
  pruneLast: boolean;
  validate: boolean;
  applyOutOfSyncOnly: boolean;
  serverSideApply: boolean;
  replace: boolean;
  force: boolean;
  prunePropagationPolicy: PropagationPolicy;
  respectIgnoreDifferences: boolean;
  failOnSharedResource: boolean;
  /** false with `Delete=false`: keep the resource when the app is deleted */
  delete: boolean;
  deleteConfirm: boolean;
  skipDryRunOnMissingResource: boolean;
}

export const DEFAULT_SYNC_OPTIONS: Readonly<SyncOptions> = Object.freeze({
  createNamespace: false,
  prune: true,
  pruneConfirm: false,
  pruneLast: false,
  validate: true,
  applyOutOfSyncOnly: false,
  serverSideApply: false,
  replace: false,
  force: false,
  prunePropagationPolicy: 'foreground',
  respectIgnoreDifferences: false,
  failOnSharedResource: false,
  delete: true,
  deleteConfirm: false,
  skipDryRunOnMissingResource: false,
});

export interface ParsedSyncOptions {
  options: SyncOptions;
  /** options that were not understood, each naming the option */
  errors: string[];
}

function boolValue(v: string): boolean | undefined {
  if (v === 'true') return true;
  if (v === 'false') return false;
  return undefined;
}

/**
 * Parses sync option lists; later lists win (app `syncPolicy.syncOptions`, then the operation's,
 * then the resource's `argocd.argoproj.io/sync-options` annotation). A string is split on commas.
 */
export function parseSyncOptions(...lists: (string[] | string | undefined | null)[]): ParsedSyncOptions {
  const o: SyncOptions = { ...DEFAULT_SYNC_OPTIONS };
  const errors: string[] = [];
  for (const list of lists) {
    if (!list) continue;
    const items = typeof list === 'string' ? list.split(',') : list;
    for (const raw of items) {
      const item = String(raw).trim();
      if (!item) continue;
      const eq = item.indexOf('=');
      const key = eq < 0 ? item : item.slice(0, eq);
      const val = eq < 0 ? '' : item.slice(eq + 1);
      const b = boolValue(val);
      const bad = () => errors.push(`invalid sync option ${JSON.stringify(item)}`);
      switch (key) {
        case 'CreateNamespace': b === undefined ? bad() : (o.createNamespace = b); break;
        case 'Prune':
          if (val === 'confirm') o.pruneConfirm = true;
          else if (b === undefined) bad();
          else o.prune = b;
          break;
        case 'PruneLast': b === undefined ? bad() : (o.pruneLast = b); break;
        case 'Validate': b === undefined ? bad() : (o.validate = b); break;
        case 'ApplyOutOfSyncOnly': b === undefined ? bad() : (o.applyOutOfSyncOnly = b); break;
        case 'ServerSideApply': b === undefined ? bad() : (o.serverSideApply = b); break;
        case 'Replace': b === undefined ? bad() : (o.replace = b); break;
        case 'Force': b === undefined ? bad() : (o.force = b); break;
        case 'RespectIgnoreDifferences': b === undefined ? bad() : (o.respectIgnoreDifferences = b); break;
        case 'FailOnSharedResource': b === undefined ? bad() : (o.failOnSharedResource = b); break;
        case 'SkipDryRunOnMissingResource': b === undefined ? bad() : (o.skipDryRunOnMissingResource = b); break;
        case 'Delete':
          if (val === 'confirm') o.deleteConfirm = true;
          else if (b === undefined) bad();
          else o.delete = b;
          break;
        case 'PrunePropagationPolicy':
          if (val === 'foreground' || val === 'background' || val === 'orphan') o.prunePropagationPolicy = val;
          else bad();
          break;
        default:
          errors.push(`unknown sync option ${JSON.stringify(item)}`);
      }
    }
  }
  return { options: o, errors };
}

/** The per-resource `argocd.argoproj.io/sync-options` annotation as a list. */
export function resourceSyncOptions(obj: KubeObject | null | undefined): string[] {
  const raw = obj?.metadata?.annotations?.[ANNOTATIONS.syncOptions];
  return raw ? raw.split(',').map((s) => s.trim()).filter(Boolean) : [];
}
