/**
 * A rate-limited work queue of keys (client-go's workqueue): a key is queued at most once (dedupe),
 * never processed by two workers at the same time (a key added while it is processed is processed
 * again afterwards), delayed adds, and rate-limited adds whose delay is the larger of a per-key
 * exponential back-off and a global token bucket (controller-runtime's default rate limiter).
 */
import { TokenBucket } from './ratelimit.js';
import { metrics } from './metrics.js';

export interface QueueOptions {
  /** metric label (workqueue_* metrics); unnamed queues are not measured */
  name?: string;
  /** first per-key retry delay (default 5 ms), doubled at each failure */
  baseDelayMs?: number;
  /** the per-key delay's cap (default 1000 s, as client-go; the built-in controllers use 30 s) */
  maxDelayMs?: number;
  /** global bucket over all rate-limited adds: qps (default 10) and burst (default 100) */
  qps?: number;
  burst?: number;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private head = 0;
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; t: NodeJS.Timeout }>();
  private waiters: (() => void)[] = [];
  private shuttingDown = false;
  private workers: Promise<void>[] = [];
  private readonly bucket: TokenBucket;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  readonly name: string | undefined;

  constructor(opts: QueueOptions = {}) {
    this.name = opts.name;
    this.baseDelayMs = opts.baseDelayMs ?? 5;
    this.maxDelayMs = opts.maxDelayMs ?? 1_000_000;
    this.bucket = new TokenBucket(opts.qps ?? 10, opts.burst ?? 100);
  }

  add(key: string): void {
    if (this.shuttingDown) return;
    if (this.name) metrics.workqueueAdds.inc({ name: this.name });
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.depthChanged();
    const w = this.waiters.shift();
    w?.();
  }

  private depthChanged(): void {
    if (this.name) metrics.workqueueDepth.set({ name: this.name }, this.length);
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

  /** The delay a rate-limited add of `key` gets now (and counts the failure). */
  when(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const perKey = Math.min(this.baseDelayMs * 2 ** n, this.maxDelayMs);
    return Math.max(perKey, this.bucket.reserve());
  }

  /** Re-adds the key after its back-off (per key, reset by forget); returns the delay. */
  addRateLimited(key: string): number {
    if (this.name) metrics.workqueueRetries.inc({ name: this.name });
    const delay = this.when(key);
    this.addAfter(key, delay);
    return delay;
  }

  /** How many times the key failed since it was last forgotten. */
  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  get length(): number {
    return this.queue.length - this.head;
  }

  /** keys taken by a worker and not yet done (the workers busy now) */
  get busy(): number {
    return this.processing.size;
  }

  /** The next key (waits for one); undefined once shut down. Call done(key) after processing it. */
  async get(): Promise<string | undefined> {
    while (!this.length) {
      if (this.shuttingDown) return undefined;
      await new Promise<void>((r) => this.waiters.push(r));
    }
    const key = this.queue[this.head++]!;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.queued.delete(key);
    this.processing.add(key);
    this.depthChanged();
    return key;
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  /** Starts `n` workers calling `fn` for each key. */
  start(n: number, fn: (key: string) => Promise<void>): void {
    for (let i = 0; i < n; i++) {
      this.workers.push(
        (async () => {
          for (;;) {
            const key = await this.get();
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
    this.head = 0;
    this.queued.clear();
    this.depthChanged();
    for (const w of this.waiters.splice(0)) w();
    await Promise.all(this.workers);
  }
}
