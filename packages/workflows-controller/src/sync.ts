// Workflow-level synchronization (pure): `spec.synchronization` semaphores (a ConfigMap key holds the limit) and
// mutexes, in both the old single (`semaphore`, `mutex`) and the v3.6 list forms. Lock names as upstream:
// `<ns>/ConfigMap/<name>/<key>` and `<ns>/Mutex/<name>`; holders are recorded in status.synchronization.
export interface Lock { name: string; limit: number; kind: 'semaphore' | 'mutex' }

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

/** The locks a workflow's status says it holds. */
export function heldLocks(status: Record<string, any> | undefined): string[] {
  const s = status?.synchronization;
  if (!s) return [];
  return [
    ...((s.semaphore?.holding ?? []) as { semaphore?: string }[]).map((h) => h.semaphore ?? ''),
    ...((s.mutex?.holding ?? []) as { mutex?: string }[]).map((h) => h.mutex ?? ''),
  ].filter(Boolean);
}

/** status.synchronization for a workflow holding `locks`. */
export function holdingStatus(locks: Lock[], wfName: string): Record<string, unknown> | undefined {
  if (!locks.length) return undefined;
  const sems = locks.filter((l) => l.kind === 'semaphore').map((l) => ({ semaphore: l.name, holders: [wfName] }));
  const mutexes = locks.filter((l) => l.kind === 'mutex').map((l) => ({ mutex: l.name, holder: wfName }));
  return { ...(sems.length ? { semaphore: { holding: sems } } : {}), ...(mutexes.length ? { mutex: { holding: mutexes } } : {}) };
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
