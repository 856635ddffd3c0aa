/**
 * A request body gathered into one contiguous buffer in shared memory. Contiguous,
 * because the chunk's digest is taken in one call and the bytes are written with one write;
 * shared (SharedArrayBuffer), because the digest and the video's running hash are computed in a
 * worker thread that then reads the same memory instead of a copy (hashing/worker-sha256.ts).
 *
 * The buffers are pooled: a fresh 1 MiB allocation is zero-filled and page-faulted in on first
 * touch, which the CPU profile showed costing more than the SHA-256 it was meant to move off
 * the event loop. A buffer goes back to the pool when its owner calls `release()`, after every
 * use of the bytes has been awaited (ingest/chunk-ingest.ts).
 */
import { Buffer } from 'node:buffer';

/** Smallest pooled capacity; capacities are powers of two from here. */
const MIN_CAPACITY = 64 * 1024;
/** Free buffers kept per capacity (C=8 in flight needs about 8 + a few being hashed). */
const MAX_FREE_PER_CAPACITY = 16;

export class SharedBodyPool {
  private readonly free = new Map<number, SharedArrayBuffer[]>();

  acquire(minBytes: number): SharedArrayBuffer {
    const capacity = capacityFor(minBytes);
    return this.free.get(capacity)?.pop() ?? new SharedArrayBuffer(capacity);
  }

  release(sab: SharedArrayBuffer): void {
    const list = this.free.get(sab.byteLength) ?? [];
    if (list.length >= MAX_FREE_PER_CAPACITY) return;
    list.push(sab);
    this.free.set(sab.byteLength, list);
  }

  /** Free buffers held (for tests and observability). */
  get freeCount(): number {
    let n = 0;
    for (const list of this.free.values()) n += list.length;
    return n;
  }
}

function capacityFor(bytes: number): number {
  let c = MIN_CAPACITY;
  while (c < bytes) c *= 2;
  return c;
}

export class SharedBody {
  private sab: SharedArrayBuffer | null;
  private buf: Buffer;
  private length = 0;

  /** `expectedBytes`: the declared Content-Length, if any; the buffer grows beyond it if needed. */
  constructor(
    private readonly pool: SharedBodyPool,
    expectedBytes: number | undefined,
  ) {
    this.sab = pool.acquire(expectedBytes ?? MIN_CAPACITY);
    this.buf = Buffer.from(this.sab);
  }

  /** Appends a piece; the caller enforces the size limit before calling. */
  push(piece: Buffer): void {
    if (!this.sab) throw new Error('SharedBody used after release');
    const need = this.length + piece.length;
    if (need > this.buf.length) {
      const grown = this.pool.acquire(need);
      const view = Buffer.from(grown);
      this.buf.copy(view, 0, 0, this.length);
      this.pool.release(this.sab);
      this.sab = grown;
      this.buf = view;
    }
    piece.copy(this.buf, this.length);
    this.length = need;
  }

  /** The bytes so far: a view into the shared buffer, valid until `release()`. */
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  /** Returns the memory to the pool; idempotent. */
  release(): void {
    if (this.sab) this.pool.release(this.sab);
    this.sab = null;
  }
}
