/**
 * Failed-login rate limiting as Argo CD documents it: per user, at most
 * ARGOCD_SESSION_FAILURE_MAX_FAIL_COUNT (5) failures within ARGOCD_SESSION_FAILURE_WINDOW_SECONDS
 * (300); past that the user is locked out until the window ends. At most
 * ARGOCD_SESSION_MAX_CACHE_SIZE (1000) users are tracked; ARGOCD_MAX_CONCURRENT_LOGIN_REQUESTS_COUNT
 * (50) bounds concurrent logins.
 */
export interface LimiterOptions {
  maxFailCount: number;
  windowSeconds: number;
  maxCacheSize: number;
  maxConcurrent: number;
}

export function limiterOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): LimiterOptions {
  const n = (k: string, d: number) => {
    const v = env[k];
    return v !== undefined && /^\d+$/.test(v.trim()) ? Number(v) : d;
  };
  return {
    maxFailCount: n('ARGOCD_SESSION_FAILURE_MAX_FAIL_COUNT', 5),
    windowSeconds: n('ARGOCD_SESSION_FAILURE_WINDOW_SECONDS', 300),
    maxCacheSize: n('ARGOCD_SESSION_MAX_CACHE_SIZE', 1000),
    maxConcurrent: n('ARGOCD_MAX_CONCURRENT_LOGIN_REQUESTS_COUNT', 50),
  };
}

export class LoginLimiter {
  private readonly failures = new Map<string, { count: number; last: number }>();
  private active = 0;
  constructor(
    readonly opts: LimiterOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** seconds until `user` may try again (0 = now) */
  lockedFor(user: string): number {
    const f = this.failures.get(user);
    if (!f || this.opts.maxFailCount <= 0) return 0;
    const age = (this.now() - f.last) / 1000;
    if (age >= this.opts.windowSeconds) {
      this.failures.delete(user);
      return 0;
    }
    return f.count >= this.opts.maxFailCount ? Math.ceil(this.opts.windowSeconds - age) : 0;
  }

  fail(user: string): number {
    const f = this.failures.get(user);
    const now = this.now();
    const count = f && (now - f.last) / 1000 < this.opts.windowSeconds ? f.count + 1 : 1;
    this.failures.delete(user);
    if (this.failures.size >= this.opts.maxCacheSize) {
      // evict the oldest entry (Map keeps insertion order)
      const first = this.failures.keys().next().value;
      if (first !== undefined) this.failures.delete(first);
    }
    this.failures.set(user, { count, last: now });
    return count;
  }

  success(user: string): void {
    this.failures.delete(user);
  }

  failCount(user: string): number {
    return this.failures.get(user)?.count ?? 0;
  }

  /** a login slot; false when too many logins are in flight */
  enter(): boolean {
    if (this.opts.maxConcurrent > 0 && this.active >= this.opts.maxConcurrent) return false;
    this.active++;
    return true;
  }

  leave(): void {
    this.active = Math.max(0, this.active - 1);
  }
}
