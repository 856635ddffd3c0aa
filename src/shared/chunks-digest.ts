/**
 * The chunks digest: SHA-256 over the concatenation of the recording's chunk SHA-256s (32 raw
 * bytes each), in index order. Both ends compute it without reading a byte of media: the server
 * from its chunk rows (each chunk verified against its Content-Digest on arrival, on whichever
 * node took it), the client from its outbox. Equal digests prove the server holds exactly the
 * chunks the client recorded, in order — as strong as comparing a whole-file SHA-256 (a
 * collision in either would be a SHA-256 collision) but computable by any node at finalize in
 * O(chunks × 32 bytes), with no running hash kept in one process. docs/API.md "Which digest
 * proves what".
 */
import { bytesToHex, hexToBytes } from './digest.ts';

export async function chunksDigestHex(chunkSha256s: readonly string[]): Promise<string> {
  const all = new Uint8Array(chunkSha256s.length * 32);
  chunkSha256s.forEach((hex, i) => {
    const b = hexToBytes(hex);
    if (b.length !== 32) throw new TypeError(`chunk digest ${i} is not a SHA-256`);
    all.set(b, i * 32);
  });
  return bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-256', all)));
}
