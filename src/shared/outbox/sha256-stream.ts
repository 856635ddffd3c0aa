/**
 * Incremental SHA-256 over many chunks. WebCrypto's `digest` only hashes one buffer held whole in
 * memory, and a 2-hour recording is gigabytes; this hashes the concatenation of the outbox's
 * chunks one chunk at a time, synchronously (so it can run inside an IndexedDB cursor without the
 * transaction auto-committing). The hashing itself is @noble/hashes (audited, maintained), not ours.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '../digest.ts';

export class Sha256Stream {
  private readonly hash = sha256.create();

  update(data: ArrayBuffer | Uint8Array): this {
    this.hash.update(data instanceof Uint8Array ? data : new Uint8Array(data));
    return this;
  }

  digestHex(): string {
    return bytesToHex(this.hash.digest());
  }
}
