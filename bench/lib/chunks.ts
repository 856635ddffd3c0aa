/**
 * Synthetic chunks: random bytes (incompressible, like video), hashed once up front so the
 * client spends no CPU on hashing while a server is being measured.
 */
import { createHash, randomBytes } from 'node:crypto';
import { formatContentDigest } from '../../src/shared/digest.ts';

/** The seed's chunk size: 625 KiB (a 2 s MediaRecorder slice from a real camera). */
export const CHUNK_BYTES = 625 * 1024;

export interface Chunk {
  bytes: Buffer;
  sha256: string;
  contentDigest: string;
}

export function makeChunk(size: number): Chunk {
  const bytes = randomBytes(size);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { bytes, sha256, contentDigest: formatContentDigest(sha256) };
}

/** A small pool of distinct chunks; chunk i of any recording is pool[i % pool.length]. */
export function makeChunkPool(count: number, size = CHUNK_BYTES): Chunk[] {
  return Array.from({ length: count }, () => makeChunk(size));
}
