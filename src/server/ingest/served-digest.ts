/**
 * Computes the SHA-256 of the served file after completion, off the stop-to-link path: the
 * finalize answer carries the recorded digest at once, `fileSha256` follows a few seconds later.
 * Hashing runs on the Sha256Service (a worker thread in production) under a key of its own.
 * A file served as recorded needs neither hashing nor a record: its digest is the recorded one
 * (video-status.ts `servedDigestOf`).
 */
import type { VideoRecord } from '../storage/metadata-repo.ts';
import type { IngestContext } from './context.ts';
import { openServed, servedSize } from './served-file.ts';

const running = new WeakMap<IngestContext, Set<string>>();
const pending = new WeakMap<IngestContext, Set<NodeJS.Timeout>>();
const closed = new WeakSet<IngestContext>();

/** Schedules the served digest after `delayMs` (the finalize answer goes out first). */
export function scheduleServedDigestLater(ctx: IngestContext, video: VideoRecord, delayMs: number): void {
  if (closed.has(ctx)) return;
  let timers = pending.get(ctx);
  if (!timers) pending.set(ctx, (timers = new Set()));
  const set = timers;
  const timer = setTimeout(() => {
    set.delete(timer);
    void scheduleServedDigest(ctx, video);
  }, delayMs);
  timer.unref();
  set.add(timer);
}

/** At shutdown: nothing new starts (a restart catches up, `catchUpServedDigests`). */
export function stopServedDigests(ctx: IngestContext): void {
  closed.add(ctx);
  for (const t of pending.get(ctx) ?? []) clearTimeout(t);
  pending.delete(ctx);
}

export function scheduleServedDigest(ctx: IngestContext, video: VideoRecord): Promise<void> {
  let set = running.get(ctx);
  if (!set) running.set(ctx, (set = new Set()));
  if (closed.has(ctx) || video.state !== 'complete' || !video.seekable || video.fileSha256 !== null || set.has(video.id)) return Promise.resolve();
  const ids = set;
  ids.add(video.id);
  return computeAndRecord(ctx, video)
    .catch((err: unknown) => ctx.log.warn({ event: 'served-digest/failed', videoId: video.id, err }))
    .finally(() => ids.delete(video.id));
}

async function computeAndRecord(ctx: IngestContext, video: VideoRecord): Promise<void> {
  let hex = video.sha256!;
  if (video.servedHead) {
    const { sha256 } = ctx;
    const key = `${video.id}:served`;
    sha256.reset(key);
    try {
      const size = servedSize(video);
      if (size > 0) for await (const buf of await openServed(ctx, video, { start: 0, end: size - 1 })) await sha256.update(key, buf as Buffer);
      const peeked = await sha256.peek(key);
      if (peeked === null) throw new Error('served hash lost');
      hex = peeked;
    } finally {
      sha256.drop(key);
    }
  }
  await ctx.repo.setFileSha256(video.id, hex);
  ctx.log.info({ event: 'served-digest/recorded', videoId: video.id, seekable: video.seekable });
}

/** At start-up: complete videos whose served digest was not recorded before a restart. */
export async function catchUpServedDigests(ctx: IngestContext): Promise<void> {
  for (const v of await ctx.repo.listVideosByState('complete')) void scheduleServedDigest(ctx, v);
}
