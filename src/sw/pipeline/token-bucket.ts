/**
 * Token bucket for the upload bandwidth cap (the seed's "bandwidth throttling"). Takers reserve
 * tokens up front and may drive the balance negative; each then sleeps until its reservation is
 * paid back, so concurrent uploads share the rate in arrival order and a chunk larger than the
 * burst still goes through (at the capped rate) instead of waiting forever.
 */
import type { Clock } from './ports.ts';

export class TokenBucket {
  private tokens: number;
  private last: number;

  /**
   * @param bytesPerSecond refill rate
   * @param burstBytes capacity (the balance never grows above it); defaults to one second's worth
   */
  constructor(
    private readonly clock: Clock,
    readonly bytesPerSecond: number,
    readonly burstBytes: number = bytesPerSecond,
  ) {
    if (!(bytesPerSecond > 0)) throw new RangeError('bytesPerSecond must be > 0');
    this.tokens = burstBytes;
    this.last = clock.now();
  }

  static fromKbps(clock: Clock, kbps: number): TokenBucket | null {
    return kbps > 0 ? new TokenBucket(clock, (kbps * 1000) / 8) : null;
  }

  /** Resolves when `bytes` may be sent; rejects if the signal aborts while waiting. */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    this.refill();
    this.tokens -= bytes;
    if (this.tokens >= 0) return;
    const waitMs = Math.ceil((-this.tokens / this.bytesPerSecond) * 1000);
    await this.clock.sleep(waitMs, signal);
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(this.burstBytes, this.tokens + (elapsed / 1000) * this.bytesPerSecond);
  }
}
