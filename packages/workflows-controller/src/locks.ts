// The lock table of synchronization: who holds each mutex and semaphore — workflows (holder: the workflow key
// `ns/name`) and nodes (template-level; holder `ns/name/nodeId`) — and which workflows wait for one. This process's
// holders, plus what the cached workflows' status.synchronization records (a predecessor's, after a restart).
import { statusHolders, type Lock } from './sync.js';

type Wf = { metadata?: { namespace?: string; name?: string }; status?: Record<string, any> };
const TERMINAL = new Set(['Succeeded', 'Failed', 'Error']);

export class LockTable {
  /** lock name → holders this process admitted */
  private readonly locks = new Map<string, Set<string>>();
  /** lock name → workflow keys with a node waiting for it: reconciled again as soon as it is released */
  private readonly waiters = new Map<string, Set<string>>();

  constructor(
    private readonly workflows: () => Wf[],
    private readonly enqueue: (key: string) => void,
  ) {}

  private mine(lock: string): Set<string> {
    let s = this.locks.get(lock);
    if (!s) this.locks.set(lock, (s = new Set()));
    return s;
  }

  /** Records a holder (a workflow admitted under its workflow-level locks). */
  hold(lock: string, holder: string): void {
    this.mine(lock).add(holder);
  }

  /** Holders of a lock: this process's and those the cached statuses of unfinished workflows record. */
  holders(lock: string): Set<string> {
    const out = new Set(this.mine(lock));
    for (const w of this.workflows()) {
      if (TERMINAL.has(w.status?.phase) || !w.status?.synchronization) continue;
      const wk = `${w.metadata!.namespace}/${w.metadata!.name}`;
      for (const h of statusHolders(w.status)) if (h.lock === lock) out.add(h.holder === w.metadata!.name ? wk : `${wk}/${h.holder}`);
    }
    return out;
  }

  /** Takes (or confirms) a template-level lock for a node: synchronous, so no other pass takes it meanwhile. */
  acquire(lock: Lock, holder: string): { ok: boolean; held: number } {
    const h = this.holders(lock.name);
    if (h.has(holder)) {
      this.mine(lock.name).add(holder);
      return { ok: true, held: h.size };
    }
    if (h.size >= lock.limit) {
      let w = this.waiters.get(lock.name);
      if (!w) this.waiters.set(lock.name, (w = new Set()));
      w.add(holder.split('/').slice(0, 2).join('/'));
      return { ok: false, held: h.size };
    }
    this.mine(lock.name).add(holder);
    return { ok: true, held: h.size + 1 };
  }

  /** After a pass of workflow `key`: its nodes hold exactly `holding` (a finished node's locks go to the waiters). */
  keepNodeLocks(key: string, holding: { lock: string; nodeId: string }[]): void {
    const keep = new Set(holding.map((l) => `${l.lock}\n${key}/${l.nodeId}`));
    const prefix = `${key}/`;
    for (const [lock, hs] of this.locks) {
      for (const h of hs) {
        if (!h.startsWith(prefix) || keep.has(`${lock}\n${h}`)) continue;
        hs.delete(h);
        this.wake(lock);
      }
    }
  }

  /** A workflow finished or went away: everything it and its nodes held is released, and the waiters look again. */
  release(key: string): void {
    let released = false;
    const prefix = `${key}/`;
    for (const [lock, s] of this.locks) {
      let had = s.delete(key);
      for (const h of s) if (h.startsWith(prefix)) had = s.delete(h) || had;
      if (had) this.wake(lock);
      released = had || released;
    }
    // workflows waiting for a workflow-level lock look again at once
    if (released) for (const w of this.workflows()) if (w.status?.phase === 'Pending' && /^Waiting for .* lock/.test(w.status?.message ?? '')) this.enqueue(`${w.metadata!.namespace}/${w.metadata!.name}`);
  }

  private wake(lock: string): void {
    const w = this.waiters.get(lock);
    if (!w) return;
    this.waiters.delete(lock);
    for (const k of w) this.enqueue(k);
  }
}
