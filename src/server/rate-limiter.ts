/**
 * Fixed-window request counter per key with an injected clock. Used for the per-user request
 * rate and for failed authentications per client address and per presented credential.
 * Windows of idle keys are pruned lazily, and at most `maxKeys` are tracked at once, so the map
 * cannot grow without bound under a spray of keys (a new key beyond that is not counted).
 */
export interface RateDecision {
  ok: boolean;
  /** Seconds until the current window ends (for Retry-After). */
  retryAfterSec: number;
}

export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  private lastPrune = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly clock: () => number,
    private readonly maxKeys = 100_000,
  ) {}

  hit(key: string): RateDecision {
    const now = this.clock();
    this.prune(now);
    let w = this.windows.get(key);
    if (!w && this.windows.size >= this.maxKeys) return { ok: true, retryAfterSec: 0 };
    if (!w || now - w.start >= this.windowMs) {
      w = { start: now, count: 0 };
      this.windows.set(key, w);
    }
    w.count++;
    const retryAfterSec = Math.max(1, Math.ceil((w.start + this.windowMs - now) / 1000));
    return { ok: w.count <= this.limit, retryAfterSec };
  }

  private prune(now: number): void {
    if (now - this.lastPrune < this.windowMs) return;
    this.lastPrune = now;
    for (const [k, w] of this.windows) if (now - w.start >= this.windowMs) this.windows.delete(k);
  }
}
