/**
 * Expires open sessions with no activity for `sessionTtlMs`, and those older than
 * `sessionMaxAgeMs` however active (a client trickling chunks could otherwise keep a session,
 * and its quota, open for ever), and removes their bytes (DESIGN.md "Abandoned sessions expire"):
 * an S3 output's multipart upload is aborted and its chunk objects deleted. The record stays, in
 * state `expired`, so a late client gets 410 `session_expired` instead of a puzzling 404.
 * Any node may sweep: each video is expired under its lock, after a re-read.
 */
import type { IngestContext } from './context.ts';
import { removeVideoBytes } from './video-removal.ts';

export async function sweepExpired(ctx: IngestContext): Promise<number> {
  const now = ctx.clock();
  const cutoff = now - ctx.config.sessionTtlMs;
  const bornBefore = now - ctx.config.sessionMaxAgeMs;
  const idle = await ctx.repo.listIdleOpenVideos(cutoff, bornBefore);
  let expired = 0;
  for (const candidate of idle) {
    await ctx.locker.withLock(candidate.id, async () => {
      const video = await ctx.repo.getVideo(candidate.id);
      if (!video || video.state !== 'open' || (video.updatedAt >= cutoff && video.createdAt >= bornBefore)) return;
      await removeVideoBytes(ctx, video);
      await ctx.repo.expireVideo(video.id, ctx.clock());
      expired++;
      ctx.log.info({ event: 'video/expired', videoId: video.id, idleMs: ctx.clock() - video.updatedAt, ageMs: ctx.clock() - video.createdAt });
    });
  }
  // Late puts that lost a race with a delete or a completion on another node (ports.ts).
  const orphans = (await ctx.chunks.deleteOrphans?.()) ?? 0;
  if (orphans > 0) ctx.log.info({ event: 'sweep/orphan-chunks', removed: orphans });
  return expired;
}

/** Runs the sweep every `sweepIntervalMs`; returns a stop function. The timer never holds the process open. */
export function startSweeper(ctx: IngestContext): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweepExpired(ctx)
      .catch((err) => ctx.log.error({ event: 'sweep/failed', err }))
      .finally(() => (running = false));
  }, ctx.config.sweepIntervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
