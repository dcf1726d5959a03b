// Admission under the controller's `parallelism` and `namespaceParallelism` (pure; the controller keeps one).
// A workflow that cannot run yet is parked, not polled: when a slot frees, `next` names the best parked ones
// (higher `spec.priority` first, then the older), and only those are reconciled again. Holding 5,000 workflows
// then costs nothing per second, and the running ones are not starved of workers or API requests.

export interface Candidate {
  key: string;
  ns: string;
  priority: number;
  /** metadata.creationTimestamp (RFC 3339, compares as a string) */
  created: string;
}

export interface Limits {
  parallelism?: number;
  namespaceParallelism?: number;
  /** a namespace's own limit (its `workflows.argoproj.io/parallelism-limit` label), over namespaceParallelism */
  namespaceLimit?: (ns: string) => number | undefined;
}

/** upstream's message, for the controller's and a namespace's limit alike */
export const POSTPONED = 'Workflow processing has been postponed because too many workflows are already running';
export const POSTPONED_NS = POSTPONED;

/** The limit of running workflows in namespace `ns` (undefined: none). */
export function limitIn(limits: Limits, ns: string): number | undefined {
  return limits.namespaceLimit?.(ns) ?? (limits.namespaceParallelism || undefined);
}

/** a ranks before b: higher priority, then older, then by key (a total order, so every controller agrees) */
export function ranksBefore(a: Candidate, b: Candidate): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  if (a.created !== b.created) return a.created < b.created;
  return a.key < b.key;
}

const nsOf = (key: string) => key.slice(0, key.indexOf('/'));

export class Admission {
  private readonly parked = new Map<string, Candidate>();

  get size(): number {
    return this.parked.size;
  }

  has(key: string): boolean {
    return this.parked.has(key);
  }

  /** Forgets a workflow (admitted, finished or deleted). */
  drop(key: string): void {
    this.parked.delete(key);
  }

  /**
   * Decides for one workflow: undefined admits it (and unparks it), a message holds it (and parks it).
   * `running` are the workflows admitted already (this one is not counted). A free slot goes to this workflow
   * only when fewer parked workflows that could take a slot rank before it than there are free slots.
   */
  decide(c: Candidate, running: Iterable<string>, limits: Limits): string | undefined {
    const { parallelism } = limits;
    if (!parallelism && limitIn(limits, c.ns) === undefined) {
      this.parked.delete(c.key);
      return undefined;
    }
    const counts = runningCounts(running, c.key);
    const freeAll = parallelism ? parallelism - counts.all : Infinity;
    const freeIn = (ns: string) => {
      const l = limitIn(limits, ns);
      return l === undefined ? Infinity : l - (counts.byNs.get(ns) ?? 0);
    };
    let held: string | undefined;
    if (freeAll <= 0) held = POSTPONED;
    else if (freeIn(c.ns) <= 0) held = POSTPONED_NS;
    else {
      let beforeAll = 0;
      let beforeNs = 0;
      for (const p of this.parked.values()) {
        if (p.key === c.key || !ranksBefore(p, c) || freeIn(p.ns) <= 0) continue;
        beforeAll++;
        if (p.ns === c.ns) beforeNs++;
      }
      if (beforeAll >= freeAll) held = POSTPONED;
      else if (beforeNs >= freeIn(c.ns)) held = POSTPONED_NS;
    }
    if (held) this.parked.set(c.key, c);
    else this.parked.delete(c.key);
    return held;
  }

  /** The parked workflows to reconcile now: the best ones, as many as the free slots take. */
  next(running: Iterable<string>, limits: Limits): string[] {
    if (!this.parked.size) return [];
    const { parallelism } = limits;
    if (!parallelism && !limits.namespaceParallelism && !limits.namespaceLimit) return [...this.parked.keys()];
    const counts = runningCounts(running);
    let freeAll = parallelism ? parallelism - counts.all : Infinity;
    if (freeAll <= 0) return [];
    const usedNs = new Map(counts.byNs);
    const out: string[] = [];
    for (const p of [...this.parked.values()].sort((a, b) => (ranksBefore(a, b) ? -1 : 1))) {
      if (freeAll <= 0) break;
      const n = usedNs.get(p.ns) ?? 0;
      const l = limitIn(limits, p.ns);
      if (l !== undefined && n >= l) continue;
      usedNs.set(p.ns, n + 1);
      freeAll--;
      out.push(p.key);
    }
    return out;
  }
}

function runningCounts(running: Iterable<string>, except?: string): { all: number; byNs: Map<string, number> } {
  let all = 0;
  const byNs = new Map<string, number>();
  for (const k of running) {
    if (k === except) continue;
    all++;
    const ns = nsOf(k);
    byNs.set(ns, (byNs.get(ns) ?? 0) + 1);
  }
  return { all, byNs };
}
