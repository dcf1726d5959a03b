/**
 * Work done in batches: what is added while a batch runs goes into the next one, so a burst costs a
 * few runs (a few processes), not one each. `run` settles each item itself; it should not throw (a
 * throw is dropped, and the next batch runs).
 */
export class Batches<T> {
  private pending: T[] = [];
  private running = false;

  constructor(
    private readonly run: (batch: T[]) => Promise<void>,
    /** at most this many items a run */
    private readonly max = Infinity,
  ) {}

  add(item: T): void {
    this.pending.push(item);
    if (!this.running) void this.drain();
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.pending.length) await this.run(this.pending.splice(0, this.max)).catch(() => {});
    } finally {
      this.running = false;
    }
  }
}
