/**
 * A work queue of object keys, with the guarantees controllers rely on:
 * a key is queued at most once, never processed by two workers at the same time (a key added while
 * it is processed is processed again afterwards), delayed adds, and per-key exponential backoff.
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; t: NodeJS.Timeout }>();
  private waiters: (() => void)[] = [];
  private shuttingDown = false;
  private workers: Promise<void>[] = [];

  constructor(
    private readonly baseDelayMs = 5,
    private readonly maxDelayMs = 30_000,
  ) {}

  add(key: string): void {
    if (this.shuttingDown) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    const w = this.waiters.shift();
    w?.();
  }

  /** Adds the key after `ms` (an earlier pending delayed add wins). */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = Date.now() + ms;
    const cur = this.timers.get(key);
    if (cur && cur.at <= at) return;
    if (cur) clearTimeout(cur.t);
    const t = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    this.timers.set(key, { at, t });
  }

  /** Re-adds the key with exponential backoff (per key, reset by forget). */
  addRateLimited(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const delay = Math.min(this.baseDelayMs * 2 ** n, this.maxDelayMs);
    this.addAfter(key, delay);
    return delay;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  get length(): number {
    return this.queue.length;
  }

  private async next(): Promise<string | undefined> {
    while (!this.queue.length) {
      if (this.shuttingDown) return undefined;
      await new Promise<void>((r) => this.waiters.push(r));
    }
    const key = this.queue.shift()!;
    this.queued.delete(key);
    this.processing.add(key);
    return key;
  }

  private done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  /** Starts `n` workers calling `fn` for each key. */
  start(n: number, fn: (key: string) => Promise<void>): void {
    for (let i = 0; i < n; i++) {
      this.workers.push(
        (async () => {
          for (;;) {
            const key = await this.next();
            if (key === undefined) return;
            try {
              await fn(key);
            } catch {
              // fn handles its own errors; never let a worker die
            } finally {
              this.done(key);
            }
          }
        })(),
      );
    }
  }

  /** Stops accepting keys, cancels delayed adds and waits for in-flight work. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    for (const { t } of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.queue.length = 0;
    this.queued.clear();
    for (const w of this.waiters.splice(0)) w();
    await Promise.all(this.workers);
  }
}
