/**
 * A take's recording time: wall time since Start minus the time spent paused, frozen when the
 * take ends (the review panel and the "0:34 saved" notice read the final value). The clock is
 * injected so the arithmetic is tested without a browser.
 */
export class ElapsedClock {
  private startedAt = 0;
  private pausedAt: number | null = null;
  private pausedTotal = 0;
  private frozen = 0;
  private running = false;

  constructor(private readonly now: () => number = () => performance.now()) {}

  start(): void {
    this.startedAt = this.now();
    this.pausedAt = null;
    this.pausedTotal = 0;
    this.running = true;
  }

  pause(): void {
    this.pausedAt = this.now();
  }

  resume(): void {
    if (this.pausedAt !== null) this.pausedTotal += this.now() - this.pausedAt;
    this.pausedAt = null;
  }

  /** Stops counting; `ms` keeps the final time until the next start. */
  freeze(): number {
    this.frozen = this.ms;
    this.running = false;
    return this.frozen;
  }

  get ms(): number {
    if (!this.running) return this.frozen;
    const now = this.now();
    const paused = this.pausedTotal + (this.pausedAt !== null ? now - this.pausedAt : 0);
    return Math.max(0, now - this.startedAt - paused);
  }
}
