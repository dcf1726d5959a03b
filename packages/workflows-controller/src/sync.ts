// Synchronization (pure), of workflows and of templates: `synchronization` semaphores (a ConfigMap key holds the limit) and
// mutexes, in both the old single (`semaphore`, `mutex`) and the v3.6 list forms. Lock names as upstream:
// `<ns>/ConfigMap/<name>/<key>` and `<ns>/Mutex/<name>`; holders are recorded in status.synchronization.
export interface Lock { name: string; limit: number; kind: 'semaphore' | 'mutex' }
type NodeLock = { lock: string; kind: 'semaphore' | 'mutex'; nodeId: string };

type Sync = {
  semaphore?: SemRef; semaphores?: SemRef[];
  mutex?: MutexRef; mutexes?: MutexRef[];
};
type SemRef = { configMapKeyRef?: { name?: string; key?: string }; namespace?: string; database?: unknown };
type MutexRef = { name?: string; namespace?: string; database?: boolean };

/** The locks a workflow needs, or why they cannot be known (the workflow waits, Pending, with that message). */
export function workflowLocks(sync: unknown, ns: string, getConfigMap: (ns: string, name: string) => { data?: Record<string, string> } | undefined): { locks: Lock[]; error?: string } {
  const s = (sync ?? {}) as Sync;
  const locks: Lock[] = [];
  for (const sem of [...(s.semaphores ?? []), ...(s.semaphore ? [s.semaphore] : [])]) {
    if (sem.database) return { locks, error: 'database semaphores need the persistence database (not supported by this controller)' };
    const ref = sem.configMapKeyRef;
    if (!ref?.name || !ref.key) return { locks, error: 'synchronization.semaphore: configMapKeyRef needs name and key' };
    const cmNs = sem.namespace ?? ns;
    const cm = getConfigMap(cmNs, ref.name);
    const raw = cm?.data?.[ref.key];
    const limit = Number(raw);
    if (!cm) return { locks, error: `failed to get semaphore limit: configmap ${cmNs}/${ref.name} not found` };
    if (raw === undefined || !Number.isInteger(limit) || limit < 0) return { locks, error: `failed to get semaphore limit: key ${ref.key} of configmap ${cmNs}/${ref.name} is not a number (${JSON.stringify(raw ?? null)})` };
    locks.push({ name: `${cmNs}/ConfigMap/${ref.name}/${ref.key}`, limit, kind: 'semaphore' });
  }
  for (const m of [...(s.mutexes ?? []), ...(s.mutex ? [s.mutex] : [])]) {
    if (m.database) return { locks, error: 'database mutexes need the persistence database (not supported by this controller)' };
    if (!m.name) return { locks, error: 'synchronization.mutex: name is required' };
    locks.push({ name: `${m.namespace ?? ns}/Mutex/${m.name}`, limit: 1, kind: 'mutex' });
  }
  return { locks };
}

/**
 * The locks a workflow's status says are held, each with its holder: the workflow itself (holder: its name) or one
 * of its nodes (holder: the node's id, template-level synchronization).
 */
export function statusHolders(status: Record<string, any> | undefined): { lock: string; holder: string }[] {
  const s = status?.synchronization;
  if (!s) return [];
  const out: { lock: string; holder: string }[] = [];
  for (const h of (s.semaphore?.holding ?? []) as { semaphore?: string; holders?: string[] }[]) for (const x of h.holders ?? []) if (h.semaphore) out.push({ lock: h.semaphore, holder: x });
  for (const h of (s.mutex?.holding ?? []) as { mutex?: string; holder?: string }[]) if (h.mutex && h.holder) out.push({ lock: h.mutex, holder: h.holder });
  return out;
}

/** The locks a workflow's status says the workflow itself holds (workflow-level synchronization). */
export function heldLocks(status: Record<string, any> | undefined, wfName: string): string[] {
  return statusHolders(status).filter((h) => h.holder === wfName).map((h) => h.lock);
}

/**
 * status.synchronization as upstream's: the workflow's own `locks` (holder: its name), the locks its nodes hold and
 * those they wait for (holder: the node id).
 */
export function holdingStatus(locks: Lock[], wfName: string, nodes: { holding: NodeLock[]; waiting: NodeLock[] } = { holding: [], waiting: [] }): Record<string, unknown> | undefined {
  const held = [...locks.map((l) => ({ lock: l.name, kind: l.kind, holder: wfName })), ...nodes.holding.map((l) => ({ lock: l.lock, kind: l.kind, holder: l.nodeId }))];
  const waited = nodes.waiting.map((l) => ({ lock: l.lock, kind: l.kind, holder: l.nodeId }));
  const sems = (xs: typeof held) => {
    const by = new Map<string, string[]>();
    for (const x of xs) if (x.kind === 'semaphore') by.set(x.lock, [...(by.get(x.lock) ?? []), x.holder]);
    return [...by].map(([semaphore, holders]) => ({ semaphore, holders }));
  };
  const mutexes = (xs: typeof held) => xs.filter((x) => x.kind === 'mutex').map((x) => ({ mutex: x.lock, holder: x.holder }));
  const part = (h: unknown[], w: unknown[]) => (h.length || w.length ? { ...(h.length ? { holding: h } : {}), ...(w.length ? { waiting: w } : {}) } : undefined);
  const sem = part(sems(held), sems(waited));
  const mx = part(mutexes(held), mutexes(waited));
  if (!sem && !mx) return undefined;
  return { ...(sem ? { semaphore: sem } : {}), ...(mx ? { mutex: mx } : {}) };
}

/** The first lock that is full (holders other than `self` at or above its limit), or undefined (all free). */
export function blockedBy(locks: Lock[], holders: (lock: string) => Set<string>, self: string): { lock: Lock; held: number } | undefined {
  for (const l of locks) {
    const h = new Set(holders(l.name));
    h.delete(self);
    if (h.size >= l.limit) return { lock: l, held: h.size };
  }
  return undefined;
}
