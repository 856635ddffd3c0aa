/**
 * SHA-256 as a service the ingest path calls instead of hashing on the event loop.
 *
 * The CPU profile of a C=8 ingest showed the event loop ~97 % busy, a third of it in
 * `Hash.update`: every chunk byte passes through two digests — the chunk's own (to verify its
 * Content-Digest) and the video's running SHA-256. Hashing in a worker thread gives that time
 * back to the event loop, which is what bounds throughput on a 2-core machine (the other core
 * had ~25 % idle). `WorkerSha256` is the production implementation, `InlineSha256` the
 * same-thread one; both pass tests/server/sha256-service.contract.ts.
 *
 * Running hashes are keyed (one per video). Calls are ordered per service: a `peek` sees every
 * `update` called before it, whether or not that update's promise was awaited yet. A running hash this service does not hold — never
 * `reset`, or lost when a worker died — is *broken*: updates to it are ignored and `peek`
 * answers null, so the caller rebuilds it from the stored bytes instead of trusting a hash of
 * part of the video.
 */
export interface Sha256Service {
  /** Lowercase hex SHA-256 of `bytes`. */
  digest(bytes: Uint8Array): Promise<string>;
  /** Starts (or restarts) the running hash `key` from empty. */
  reset(key: string): void;
  /**
   * Feeds `bytes` to the running hash `key`; resolves once they have been read, after which the
   * caller may reuse their memory (not before).
   */
  update(key: string, bytes: Uint8Array): Promise<void>;
  /** Hex digest of the running hash `key` so far; null if it is unknown or broken. */
  peek(key: string): Promise<string | null>;
  /** Forgets the running hash `key`. */
  drop(key: string): void;
  close(): Promise<void>;
}
