/**
 * Re-adoption of appends whose metadata commit was lost to a power cut (why that can happen:
 * docs/API.md "Durability and recovery"). Here the tail beyond the recorded length is
 * taken back chunk by chunk: a journal record is adopted only when it continues the recorded
 * prefix exactly (index, offset) and the bytes on disk hash to its SHA-256. What does not verify
 * is left for recovery to truncate. Runs under the video's lock, before the truncation.
 */
import { createHash } from 'node:crypto';
import type { BlobStore } from '../storage/blob-store.ts';
import type { VideoRecord } from '../storage/metadata-repo.ts';
import type { IngestContext } from './context.ts';

async function hashRange(blobs: BlobStore, videoId: string, start: number, size: number): Promise<string> {
  const hash = createHash('sha256');
  if (size > 0) {
    for await (const buf of blobs.readAssembled(videoId, { start, end: start + size - 1 }) as AsyncIterable<Buffer>) hash.update(buf);
  }
  return hash.digest('hex');
}

/** Returns how many chunks were re-adopted (0 when the file is not longer than recorded). */
export async function readoptAppends(ctx: IngestContext, video: VideoRecord, fileSize: number): Promise<number> {
  if (fileSize <= video.assembledBytes) return 0;
  let chunks = video.assembledChunks;
  let bytes = video.assembledBytes;
  let adopted = 0;
  for (const r of await ctx.blobs.readAppendJournal(video.id)) {
    if (video.totalChunks !== null && chunks >= video.totalChunks) break;
    // Records of failed appends (cut back, then retried) are skipped: the retry's record follows.
    if (r.index !== chunks || r.offset !== bytes || bytes + r.size > fileSize) continue;
    if ((await hashRange(ctx.blobs, video.id, bytes, r.size)) !== r.sha256) continue;
    const held = await ctx.repo.getChunk(video.id, chunks);
    // A held record for this index with other bytes cannot have been appended: stop trusting.
    if (held && (held.sha256 !== r.sha256 || held.size !== r.size)) break;
    const now = ctx.clock();
    if (held) await ctx.repo.setAssembled(video.id, chunks + 1, bytes + r.size, now);
    else await ctx.repo.insertAssembledChunk(video.id, { index: chunks, size: r.size, sha256: r.sha256 }, bytes + r.size, now);
    chunks++;
    bytes += r.size;
    adopted++;
  }
  if (adopted > 0) ctx.log.warn({ event: 'recovery/readopted', videoId: video.id, chunks: adopted, assembledChunks: chunks, assembledBytes: bytes });
  return adopted;
}
