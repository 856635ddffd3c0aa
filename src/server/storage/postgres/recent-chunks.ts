/**
 * The chunk bytes this node put or read lately, by chunk key, bounded in bytes, oldest use
 * evicted first. PgChunkObjects answers `get` from here when it can: the chunk that completes an
 * S3 part reads its ~5 MiB of predecessors back, and PostgreSQL returns bytea as hex text that
 * node-postgres decodes as UTF-8 and then as hex (the largest item of a node's CPU profile on
 * S3 + PostgreSQL before this cache).
 *
 * Safe with many nodes because the key carries the SHA-256 (ports.ts: different bytes never
 * share a key): a hit is always the right bytes, whatever another node did meanwhile, so nothing
 * here decides anything — a miss just reads the row. Entries go when the caller deletes the
 * chunk, or by age. Behind a round-robin proxy a node holds the chunks it received, so the hit
 * rate is about 1/N of the reads with N nodes; on one node it is nearly all of them.
 */
export class RecentChunks {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;

  constructor(private readonly limitBytes: number) {}

  get(key: string): Buffer | undefined {
    const b = this.entries.get(key);
    if (b) {
      // Map keeps insertion order: re-inserting marks it as the latest use.
      this.entries.delete(key);
      this.entries.set(key, b);
    }
    return b;
  }

  set(key: string, b: Buffer): void {
    if (b.length > this.limitBytes) return;
    this.delete(key);
    this.entries.set(key, b);
    this.bytes += b.length;
    for (const [k, old] of this.entries) {
      if (this.bytes <= this.limitBytes) break;
      this.entries.delete(k);
      this.bytes -= old.length;
    }
  }

  delete(key: string): void {
    const b = this.entries.get(key);
    if (!b) return;
    this.entries.delete(key);
    this.bytes -= b.length;
  }

  /** Drops every entry whose key starts with `prefix`. */
  deletePrefix(prefix: string): void {
    for (const k of [...this.entries.keys()]) if (k.startsWith(prefix)) this.delete(k);
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }
}
