/**
 * One chunk upload: receive while hashing, verify, then either write it straight into the output
 * (in order) or store it as a chunk object until the prefix reaches it.
 *
 * A chunk is answered 2xx only after its verified bytes are durable in a store and the row that
 * says so is committed (docs/API.md "Durability and recovery"). The metadata repository is the
 * truth; stores only store, so every step below is ordered so that a crash leaves at worst bytes
 * no row refers to (garbage the sweeper or a rewrite removes), never a row without bytes.
 *
 *  - Fast path (the usual case: the chunk is the next one of the output and its body fit the
 *    in-memory budget): under the video's lock, if the OutputWriter plans exactly this chunk as
 *    the next segment (disk does; S3 gathers ≥ 5 MiB parts), the bytes are written once into the
 *    output and the chunk row is recorded with the new prefix in one compare-and-set
 *    (recordSegment). No chunk object, no read-back.
 *  - Stored path (out of order, an S3 part still gathering, or a body too big for memory): the
 *    chunk object is put durably, then its row inserted; the prefix advances when it can
 *    (segment-assembly.ts). A row lost to a race with different bytes → our object is deleted, 409.
 *
 * Quotas (per user, per recording) are checked before a byte is read, with the declared
 * Content-Length, and again inside the row's transaction with the real size (the database
 * counts, so concurrent uploads and other nodes see the same numbers): a refused chunk leaves
 * nothing counted, and its object is deleted.
 */
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ChunkResponse } from '../../shared/api.ts';
import { parseContentDigest } from '../../shared/digest.ts';
import { ApiError } from '../../shared/errors.ts';
import type { ByteLimits, User, VideoRecord } from '../storage/metadata-repo.ts';
import type { ChunkRef } from '../storage/ports.ts';
import { receiveBody, type BodyMode, type ReceivedBody } from './chunk-body.ts';
import { advanceVideo, finishPartialInFlight } from './completion.ts';
import type { IngestContext } from './context.ts';
import { outputHandle, prefixOf } from './segment-assembly.ts';
import { ownedVideo } from './videos.ts';

/**
 * A chunk this close ahead of the recorded prefix is held in memory: with a few uploads in
 * flight per recording, its predecessors usually land while its body streams. Memory is bounded
 * by the MemoryBudget (in total and per user), not by the number of requests.
 */
const IN_MEMORY_WINDOW = 4;

/** Where bodies not held in memory are received (node-local, beside the stores' own temp dirs; cleared at start-up). */
export const ingestTmpDir = (dataDir: string) => join(dataDir, 'tmp', 'incoming');

/** A chunk upload as the route hands it over. */
export interface IncomingChunk {
  sessionId: string;
  index: number;
  contentDigest: string | undefined;
  /** Declared Content-Length, when the client sent one. */
  contentLength: number | undefined;
  body: Readable;
  signal: AbortSignal;
}

export interface ChunkResult {
  status: 200 | 201;
  body: ChunkResponse;
}

export async function ingestChunk(ctx: IngestContext, user: User, up: IncomingChunk): Promise<ChunkResult> {
  const { maxChunkBytes, maxChunkIndex } = ctx.config;
  if (up.index > maxChunkIndex) throw new ApiError('index_out_of_range', { maxIndex: maxChunkIndex });
  // RFC 9530 §2: the digest covers the content as sent; without one we cannot verify, so refuse.
  const digest = parseContentDigest(up.contentDigest);
  if (!digest.ok) throw new ApiError(digest.reason === 'missing' ? 'digest_missing' : 'digest_invalid');
  if (up.contentLength !== undefined && up.contentLength > maxChunkBytes) {
    throw new ApiError('chunk_too_large', { maxBytes: maxChunkBytes });
  }
  const video = await ownedVideo(ctx, user, up.sessionId);
  if (video.state === 'expired') throw new ApiError('session_expired');
  if (video.totalChunks !== null && up.index >= video.totalChunks) {
    throw new ApiError('index_out_of_range', { totalChunks: video.totalChunks });
  }
  const held = await ctx.repo.getChunk(video.id, up.index);
  const closed = video.state === 'complete';
  // A chunk already held (or a closed session) needs only a comparison: hash, store nothing.
  const hashOnly = held !== null || closed;
  const limits = byteLimits(ctx);
  if (!hashOnly) await checkQuota(ctx, user, video, limits, up.contentLength ?? 0);
  const ahead = up.index - video.assembledChunks;
  const releaseMemory =
    !hashOnly && ahead >= 0 && ahead < IN_MEMORY_WINDOW ? ctx.memory.tryReserve(user.id, up.contentLength ?? maxChunkBytes) : null;
  const mode: BodyMode = hashOnly ? 'hash-only' : releaseMemory ? 'memory' : 'file';
  let received: ReceivedBody;
  try {
    received = await receiveBody(up.body, { mode, maxBytes: maxChunkBytes, tmpDir: ingestTmpDir(ctx.config.dataDir), signal: up.signal });
  } catch (err) {
    releaseMemory?.();
    throw err;
  }
  try {
    if (received.sha256 !== digest.sha256) throw new ApiError('digest_mismatch', { index: up.index });
    if (held) {
      if (held.sha256 === received.sha256) return answer(up.index, received, 200);
      throw new ApiError(closed ? 'session_closed' : 'chunk_conflict', { index: up.index });
    }
    if (closed) throw new ApiError('session_closed');
    return answer(up.index, received, await storeChunk(ctx, video.id, up.index, received, limits));
  } finally {
    await received.discard();
    releaseMemory?.();
  }
}

function answer(index: number, received: ReceivedBody, status: 200 | 201): ChunkResult {
  return { status, body: { index, size: received.size, sha256: received.sha256, duplicate: status === 200 } };
}

/** Verified bytes to keep: written into the output (fast path) or stored; 200 when a race made it a duplicate. */
async function storeChunk(ctx: IngestContext, videoId: string, index: number, received: ReceivedBody, limits: ByteLimits): Promise<200 | 201> {
  const ref: ChunkRef = { videoId, index, sha256: received.sha256 };
  const body = received.body!;
  const inMemory = 'buffers' in body ? body.buffers : null;
  if (inMemory) {
    const fast = await ctx.locker.withLock(videoId, async (lost) => {
      const { video, duplicate } = await recheck(ctx, ref, lost);
      if (duplicate) return 200;
      return (await writeIntoOutput(ctx, video, ref, inMemory, limits, lost)) ? 201 : null;
    });
    if (fast !== null) return fast;
  }

  await ctx.chunks.put(ref, body);
  return ctx.locker.withLock(videoId, async (lost) => {
    let stored = false;
    try {
      const { video, duplicate } = await recheck(ctx, ref, lost);
      if (duplicate) return 200;
      stored = await ctx.repo.insertChunk(videoId, { index, size: received.size, sha256: ref.sha256 }, ctx.clock(), limits);
      if (!stored) {
        // Recorded meanwhile by a request that did not take this lock (another node's insert).
        const row = await ctx.repo.getChunk(videoId, index);
        if (row?.sha256 === ref.sha256) return 200;
        throw new ApiError('chunk_conflict', { index });
      }
    } finally {
      if (!stored) await dropOwnObject(ctx, ref);
    }
    ctx.log.debug({ event: 'chunk/stored', videoId, index, size: received.size });
    await advanceQuietly(ctx, videoId, lost, inMemory ? new Map([[index, inMemory]]) : undefined);
    return 201;
  });
}

/**
 * The state may have moved while the body streamed (another upload, finalize, expiry, delete):
 * checked again under the lock. `duplicate`: the same bytes were recorded meanwhile.
 * A partial completion that a dead node cut short is finished here, before any path writes a
 * row below its prefix (completion.ts finishPartialInFlight), and the chunk is refused.
 */
async function recheck(ctx: IngestContext, ref: ChunkRef, lost: AbortSignal): Promise<{ video: VideoRecord; duplicate: boolean }> {
  const video = await ctx.repo.getVideo(ref.videoId);
  if (!video) throw new ApiError('not_found');
  if (video.state === 'expired') throw new ApiError('session_expired');
  const raced = await ctx.repo.getChunk(ref.videoId, ref.index);
  if (raced) {
    if (raced.sha256 === ref.sha256) return { video, duplicate: true };
    throw new ApiError(video.state === 'complete' ? 'session_closed' : 'chunk_conflict', { index: ref.index });
  }
  if (video.state === 'complete') throw new ApiError('session_closed');
  if (video.totalChunks !== null && ref.index >= video.totalChunks) {
    throw new ApiError('index_out_of_range', { totalChunks: video.totalChunks });
  }
  if (await finishPartialInFlight(ctx, video, lost)) throw new ApiError('session_closed');
  return { video, duplicate: false };
}

/**
 * The fast path, under the lock: false when the chunk is not the next segment on its own
 * (not at the prefix, or the writer gathers larger segments), or another writer moved the
 * prefix — the caller stores it instead.
 */
async function writeIntoOutput(
  ctx: IngestContext,
  video: VideoRecord,
  ref: ChunkRef,
  bytes: readonly Buffer[],
  limits: ByteLimits,
  lost: AbortSignal,
): Promise<boolean> {
  if (video.assembledChunks !== ref.index || lost.aborted) return false;
  const size = bytes.reduce((n, b) => n + b.length, 0);
  const [seg, ...more] = ctx.output.plan(prefixOf(video), [size], false);
  if (!seg || more.length > 0 || seg.first !== ref.index || seg.end !== ref.index + 1) return false;
  const handle = await outputHandle(ctx, video);
  if (!handle) return false;
  const receipt = await ctx.output.write(handle, seg, bytes);
  const now = ctx.clock();
  if (!(await ctx.repo.recordSegment(video.id, receipt, ref.index, now, { index: ref.index, size, sha256: ref.sha256, limits }))) return false;
  ctx.log.debug({ event: 'chunk/appended', videoId: video.id, index: ref.index, size });
  const after: VideoRecord = {
    ...video,
    assembledChunks: seg.end,
    assembledBytes: seg.offset + seg.bytes,
    outputSegments: video.outputSegments + 1,
    storedBytes: video.storedBytes + size,
    updatedAt: Math.max(video.updatedAt, now),
  };
  // Chunks stored ahead of this one (out of order) continue the prefix now.
  await advanceQuietly(ctx, video.id, lost, undefined, after);
  return true;
}

/**
 * The chunk is durable and recorded; a failed advance (e.g. the output's disk is full) must not
 * turn its 201 into an error. The next chunk, finalize or a restart advances again.
 */
async function advanceQuietly(
  ctx: IngestContext,
  videoId: string,
  lost: AbortSignal,
  inHand?: ReadonlyMap<number, readonly Buffer[]>,
  video?: VideoRecord,
): Promise<void> {
  try {
    await advanceVideo(ctx, videoId, lost, { inHand, video });
  } catch (err) {
    ctx.log.warn({ event: 'assembly/deferred', videoId, err });
  }
}

/** Deletes our chunk object unless a row now refers to the same bytes (same key). */
async function dropOwnObject(ctx: IngestContext, ref: ChunkRef): Promise<void> {
  try {
    if ((await ctx.repo.getChunk(ref.videoId, ref.index))?.sha256 !== ref.sha256) await ctx.chunks.delete(ref);
  } catch (err) {
    ctx.log.warn({ event: 'chunk/discard-failed', videoId: ref.videoId, index: ref.index, err });
  }
}

function byteLimits(ctx: IngestContext): ByteLimits {
  return { userBytes: ctx.config.userQuotaBytes, recordingBytes: ctx.config.maxRecordingBytes };
}

/** Refuses, before the body is read, a chunk whose declared size would take a quota over its limit. */
async function checkQuota(ctx: IngestContext, user: User, video: VideoRecord, limits: ByteLimits, incoming: number): Promise<void> {
  if (limits.recordingBytes !== null && video.storedBytes + incoming > limits.recordingBytes) {
    throw new ApiError('recording_too_large', { limitBytes: limits.recordingBytes });
  }
  if (limits.userBytes === null) return;
  const usage = await ctx.repo.usage(user.id);
  if (usage.bytes + incoming > limits.userBytes) throw new ApiError('user_quota_exceeded', { limitBytes: limits.userBytes, usedBytes: usage.bytes });
}
