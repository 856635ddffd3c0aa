/**
 * The Locker port: per-video mutual exclusion for the steps that must not interleave (assembly,
 * finalize, delete, expiry), on one node or across many.
 *
 * The promise, in words:
 * - `withLock(key, fn)` runs `fn` while holding the lock named `key`. While it runs, no other
 *   `fn` holding the same key runs anywhere the implementation reaches: this process for the
 *   in-process locker; every process connected to the same database for the PostgreSQL one.
 *   Different keys never wait for each other.
 * - The lock is released when `fn` settles, whichever way; `fn`'s value or error is passed
 *   through unchanged. If the holding process dies, a cross-process lock is released with it
 *   (the database closes its session), so a crashed node never blocks a video for good.
 * - `lost` aborts when exclusion can no longer be guaranteed while `fn` still runs (the
 *   connection that holds the lock dropped; another node may now enter). `fn` must not start a
 *   new write after that; a write already in flight is caught by the metadata store's
 *   conditional updates, which stay the last line of defence — a lock alone cannot fence a
 *   paused process (Kleppmann, "How to do distributed locking", 2016).
 * - Waiting has no deadline of its own; a backend that cannot be reached fails the call with a
 *   catalogue error (service_unavailable) instead of waiting forever.
 */
export interface Locker {
  withLock<T>(key: string, fn: (lost: AbortSignal) => Promise<T>): Promise<T>;
  /** Resolves when every `fn` started or queued in this process has finished (shutdown). */
  idle(): Promise<void>;
  /** Waits for `idle()`, then releases the backend's resources. */
  close(): Promise<void>;
}
