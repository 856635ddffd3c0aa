/**
 * Numbers MediaRecorder chunks and writes them to the outbox strictly in order.
 *
 * `dataavailable` events are synchronous but the write (Blob → ArrayBuffer → IndexedDB) is not,
 * so each write is appended to one promise chain: index n+1 is never written before n has
 * committed, which keeps indices gap-free even if a write is slow. The index is assigned when
 * the event arrives, and a zero-byte chunk is written like any other (an honest record of what
 * the recorder produced, never skipped).
 *
 * After a failed write (typically `quota_exceeded`) nothing more is written — a later index
 * would leave a gap — and `total` stays at the number of chunks actually saved.
 */

export interface ChunkSink {
  /** Persist the chunk; resolves after the write committed. */
  write(index: number, data: ArrayBuffer): Promise<void>;
  /** Called after the write committed (e.g. to wake the uploader). */
  written?(index: number): void;
  /** Called once, with the first failed write's error. */
  failed?(error: unknown, index: number): void;
}

export class ChunkSequencer {
  private nextIndex = 0;
  private saved = 0;
  private chain: Promise<void> = Promise.resolve();
  private error: unknown = null;

  constructor(private readonly sink: ChunkSink) {}

  /** Queue a chunk; returns the index it was given. */
  push(chunk: Blob): number {
    const index = this.nextIndex++;
    this.chain = this.chain.then(async () => {
      if (this.error !== null) return;
      try {
        const data = await chunk.arrayBuffer();
        await this.sink.write(index, data);
      } catch (e) {
        this.error = e ?? new Error('chunk write failed');
        this.sink.failed?.(e, index);
        return;
      }
      this.saved = index + 1;
      this.sink.written?.(index);
    });
    return index;
  }

  /** Number of chunks saved without a gap (valid once `flush()` resolved). */
  get total(): number {
    return this.saved;
  }

  /** The first write error, or null. */
  get failure(): unknown {
    return this.error;
  }

  /** Resolves after every queued write finished; returns how many chunks were saved. */
  async flush(): Promise<number> {
    let seen: Promise<void>;
    do {
      seen = this.chain;
      await seen;
    } while (seen !== this.chain);
    return this.saved;
  }
}
