/** A token bucket (like golang.org/x/time/rate): `qps` tokens a second, at most `burst` saved up. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly qps: number,
    readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = this.now();
  }

  /** Takes a token now (possibly one not yet refilled) and returns how long to wait for it, in ms. */
  reserve(): number {
    if (!(this.qps > 0) || this.qps === Infinity) return 0;
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.qps);
    this.last = t;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }

  /** Resolves when a token is available. */
  async take(): Promise<void> {
    const ms = this.reserve();
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
  }
}
