/**
 * One chunk upload: verify, store durably, record, assemble.
 *
 * A chunk is answered 2xx only after its verified bytes are on stable storage and the metadata
 * that says so is committed; the whole durability model is in docs/API.md "Durability and
 * recovery".
 *
 * Two paths, chosen when the request starts:
 *  - In order (the usual case: index within IN_MEMORY_WINDOW of the assembled prefix): the body
 *    is hashed and held in memory (≤ maxChunkBytes), checked against the RFC 9530
 *    Content-Digest, then — under the video's lock, if it is still the next chunk — written once
 *    into the assembled file with its journal record, flushed once, and recorded with the new
 *    prefix in one commit (Assembler.appendVerified). A digest mismatch writes nothing.
 *  - Otherwise (out of order, or the predecessor has not landed by the time the lock is held):
 *    the bytes go to a temp object, fsynced, renamed into place and recorded with a flushed
 *    commit; they are appended when the prefix reaches them. An in-order body that does not fit
 *    the in-memory budget (memory-budget.ts) takes this path too.
 *
 * Quotas (per user, per recording) are checked before a byte is read, with the declared
 * Content-Length, and again inside the commit's transaction with the real size (the database
 * counts, so concurrent uploads and other nodes see the same numbers): a refused chunk leaves
 * nothing stored.
 */
import type { Readable } from 'node:stream';
import type { ChunkResponse } from '../../shared/api.ts';
import { parseContentDigest } from '../../shared/digest.ts';
import { ApiError } from '../../shared/errors.ts';
import type { StagedChunk } from '../storage/blob-store.ts';
import type { ByteLimits, User, VideoRecord } from '../storage/metadata-repo.ts';
import type { IngestContext } from './context.ts';
import { advanceVideo } from './finalize.ts';
import { ownedVideo } from './videos.ts';

/**
 * A chunk this close ahead of the assembled prefix is held in memory: with a few uploads in
 * flight per recording, its predecessors usually land while its body streams. Memory is bounded
 * by the MemoryBudget (in total and per user), not by the number of requests.
 */
const IN_MEMORY_WINDOW = 4;

export interface ChunkUpload {
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

export async function ingestChunk(ctx: IngestContext, user: User, up: ChunkUpload): Promise<ChunkResult> {
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
  const hashOnly = held !== null || closed;
  const limits = byteLimits(ctx);
  if (!hashOnly) await checkQuota(ctx, user, video, limits, up.contentLength ?? 0);
  const ahead = up.index - video.assembledChunks;
  const releaseMemory =
    !hashOnly && ahead >= 0 && ahead < IN_MEMORY_WINDOW ? ctx.memory.tryReserve(user.id, up.contentLength ?? maxChunkBytes) : null;
  let staged: StagedChunk;
  try {
    // A chunk already held (or a closed session) needs only a comparison: hash, store nothing.
    staged = await ctx.blobs.stageChunk(video.id, up.index, up.body, {
      maxBytes: maxChunkBytes,
      hashOnly,
      inMemory: releaseMemory !== null,
      expectedBytes: up.contentLength,
      signal: up.signal,
    });
  } catch (err) {
    releaseMemory?.();
    throw err;
  }
  let committed = false;
  /** The staged memory is in use until this settles (the running hash reads it after the answer). */
  let inUse = null as Promise<unknown> | null;
  try {
    if (staged.sha256 !== digest.sha256) throw new ApiError('digest_mismatch', { index: up.index });
    const answer = (status: 200 | 201): ChunkResult => ({
      status,
      body: { index: up.index, size: staged.size, sha256: staged.sha256, duplicate: status === 200 },
    });
    if (held) {
      if (held.sha256 === staged.sha256) return answer(200);
      throw new ApiError(closed ? 'session_closed' : 'chunk_conflict', { index: up.index });
    }
    if (closed) throw new ApiError('session_closed');

    return await ctx.locks.run(video.id, async () => {
      // State may have moved while the body streamed (another upload, finalize, expiry, delete).
      const now = await ctx.repo.getVideo(video.id);
      if (!now) throw new ApiError('not_found');
      if (now.state === 'expired') throw new ApiError('session_expired');
      const raced = await ctx.repo.getChunk(video.id, up.index);
      if (raced) {
        if (raced.sha256 === staged.sha256) return answer(200);
        throw new ApiError(now.state === 'complete' ? 'session_closed' : 'chunk_conflict', { index: up.index });
      }
      if (now.state === 'complete') throw new ApiError('session_closed');
      if (now.totalChunks !== null && up.index >= now.totalChunks) {
        throw new ApiError('index_out_of_range', { totalChunks: now.totalChunks });
      }
      if (staged.bytes && now.assembledChunks === up.index) {
        // Fast path: bytes written once into the assembled file, recorded in one commit.
        const appended = await ctx.assembler.appendVerified(now, staged, limits);
        committed = true;
        inUse = appended.fed;
        ctx.log.debug({ event: 'chunk/appended', videoId: video.id, index: up.index, size: staged.size });
        await assembleQuietly(ctx, video.id, appended.video);
        return answer(201);
      }
      await ctx.blobs.commitChunk(staged);
      committed = true;
      try {
        await ctx.repo.insertChunk(video.id, { index: up.index, size: staged.size, sha256: staged.sha256 }, ctx.clock(), limits);
      } catch (err) {
        // Published but not recorded (disk full, database busy): the answer is an error, so the
        // bytes must not stay behind; recovery would only remove them at the next start.
        await ctx.blobs.deleteChunk(video.id, up.index).catch(() => {});
        throw err;
      }
      ctx.log.debug({ event: 'chunk/stored', videoId: video.id, index: up.index, size: staged.size });
      await assembleQuietly(ctx, video.id);
      return answer(201);
    });
  } finally {
    if (!committed) await discard(ctx, staged);
    const release = () => {
      staged.release?.();
      releaseMemory?.();
    };
    if (inUse) void inUse.finally(release);
    else release();
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

/**
 * The chunk is already durable and recorded; a failed append (e.g. disk full) must not turn its
 * 201 into an error. The next chunk, finalize or restart retries the append.
 */
async function assembleQuietly(ctx: IngestContext, videoId: string, current?: VideoRecord): Promise<void> {
  try {
    const video = current ?? (await ctx.repo.getVideo(videoId));
    if (video && video.state === 'open') await advanceVideo(ctx, video);
  } catch (err) {
    ctx.log.warn({ event: 'assembly/deferred', videoId, err });
  }
}

async function discard(ctx: IngestContext, staged: StagedChunk): Promise<void> {
  try {
    await ctx.blobs.discardStaged(staged);
  } catch (err) {
    ctx.log.warn({ event: 'chunk/discard-failed', videoId: staged.videoId, index: staged.index, err });
  }
}
