/**
 * The ClusterRole aggregation controller: a ClusterRole with an `aggregationRule` gets as `rules`
 * the rules of every ClusterRole its `clusterRoleSelectors` select (in name order, duplicates
 * dropped), kept current as labelled ClusterRoles come, change and go.
 */
import { labelSelectorRequirements, matchLabels, type KubeObject } from '@flotilla/apimachinery';
import { clone } from '../json-int.js';
import type { Objects } from '../objects.js';
import type { Store, StoreEvent } from '../store.js';
import { CLUSTER_ROLES } from './authorizer.js';

/** The rules an aggregated ClusterRole should have, given all ClusterRoles (pure). */
export function aggregatedRules(role: KubeObject, all: KubeObject[]): unknown[] {
  const selectors = ((role as any).aggregationRule?.clusterRoleSelectors ?? []) as any[];
  const out: unknown[] = [];
  const seen = new Set<string>();
  const sorted = [...all].sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : a.metadata!.name! > b.metadata!.name! ? 1 : 0));
  for (const sel of selectors) {
    let reqs;
    try {
      reqs = labelSelectorRequirements(sel ?? {});
    } catch {
      continue;
    }
    for (const other of sorted) {
      if (other.metadata?.name === role.metadata?.name) continue;
      if (!matchLabels(reqs, other.metadata?.labels)) continue;
      for (const r of ((other as any).rules ?? []) as unknown[]) {
        const k = JSON.stringify(r);
        if (seen.has(k)) continue;
        seen.add(k);
        out.push(clone(r as any));
      }
    }
  }
  return out;
}

export class Aggregator {
  private scheduled = false;
  private stopped = false;
  private unsub?: () => void;

  constructor(
    private readonly store: Store,
    private readonly objects: Objects,
  ) {}

  start(): void {
    this.unsub = this.store.subscribe((ev: StoreEvent) => {
      if (ev.res === CLUSTER_ROLES) this.schedule();
    });
    this.sync();
  }

  stop(): void {
    this.stopped = true;
    this.unsub?.();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.stopped) return;
      try {
        this.sync();
      } catch (e) {
        process.stderr.write(`apiserver: ClusterRole aggregation: ${(e as Error).message}\n`);
      }
    });
  }

  /** One pass over every aggregated ClusterRole (writes only those whose rules change). */
  sync(): void {
    const all = this.store.list(CLUSTER_ROLES).map((so) => so.obj);
    for (const role of all) {
      if (!(role as any).aggregationRule) continue;
      const rules = aggregatedRules(role, all);
      if (JSON.stringify(rules) === JSON.stringify((role as any).rules ?? [])) continue;
      const next = clone(role);
      (next as any).rules = rules;
      this.objects.putInternal(CLUSTER_ROLES, '', role.metadata!.name!, next);
    }
  }
}
