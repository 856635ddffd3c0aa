/**
 * How many chunk-body bytes may be held in memory at once, in total and per user. In-order
 * chunks are gathered in memory for the one-write fast path (chunk-ingest.ts); without a bound,
 * N slow or paused uploads held N × the chunk limit (10 paused 15 MiB bodies took the server
 * from 160 to 297 MB). A body that does not fit is streamed to a temp file instead, which costs
 * a write and a read-back but no memory, so the cap never refuses an upload.
 *
 * Per process on purpose: this bounds this process's memory, unlike quotas, which are counted
 * in the database for every node.
 */
export class MemoryBudget {
  private total = 0;
  private readonly perUser = new Map<string, number>();

  constructor(
    private readonly totalBytes: number,
    private readonly userBytes: number,
  ) {}

  /** Reserves `bytes` for one body of `userId`; the returned function releases them (idempotent), null if over a cap. */
  tryReserve(userId: string, bytes: number): (() => void) | null {
    const held = this.perUser.get(userId) ?? 0;
    if (this.total + bytes > this.totalBytes || held + bytes > this.userBytes) return null;
    this.total += bytes;
    this.perUser.set(userId, held + bytes);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total -= bytes;
      const left = (this.perUser.get(userId) ?? 0) - bytes;
      if (left > 0) this.perUser.set(userId, left);
      else this.perUser.delete(userId);
    };
  }

  /** Bytes reserved now (observability and tests). */
  get reservedBytes(): number {
    return this.total;
  }
}
