/**
 * The work that follows a completion, off the stop-to-link path: the recorded bytes' SHA-256,
 * the media layout (a seekable WebM's Duration and Cues in a served head, seekable.ts) and the
 * served file's SHA-256. Completion records only the chunks digest (src/shared/chunks-digest.ts),
 * which any node computes from the chunk rows; this job reads the output once through the ports
 * (`OutputWriter.open`), so any node can do it, and a node that dies half-way leaves it to the
 * next catch-up.
 *
 * - Idempotent: every result is a pure function of the recorded bytes, so two nodes that both
 *   run it record equal values. It runs under the lock `after:<id>` and re-reads the video first,
 *   so a second run finds the work done and stops.
 * - Order of writes: head object → media layout → served digest → recorded digest. The recorded
 *   digest goes last, so a video whose `sha256` is set has everything else set too, and the
 *   pending list (`listCompletedPending`) keeps a video until the last write landed. A digest is
 *   recorded only from a read that covered exactly the recorded length: a failure records
 *   nothing wrong, it is logged and retried by the next catch-up.
 * - Bounded: at most CONCURRENCY jobs run at once per node (each reads the whole recording), and
 *   `closeAfterCompletion` waits for them at shutdown.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Sha256Service } from '../hashing/sha256-service.ts';
import type { MediaLayout, MetadataRepo, VideoRecord } from '../storage/metadata-repo.ts';
import type { Locker, OutputLedger, OutputWriter, SmallObjects } from '../storage/ports.ts';
import { ClusterIndexer, type IndexOutcome } from '../webm/cluster-indexer.ts';
import { AS_RECORDED, decideLayout, indexedLength, mayIndex } from './seekable.ts';
import { digestStream, servedDigest } from './served-digest.ts';

/** What the job uses of the ingest context (IngestContext has all of it). */
export interface AfterCompletionContext {
  repo: Pick<MetadataRepo, 'getVideo' | 'listChunks' | 'setMediaLayout' | 'setFileSha256'> & Pick<OutputLedger, 'setRecordedSha256' | 'listCompletedPending'>;
  output: Pick<OutputWriter, 'open'>;
  small: Pick<SmallObjects, 'get' | 'put' | 'deleteAll'>;
  locker: Pick<Locker, 'withLock'>;
  sha256: Sha256Service;
  log: FastifyBaseLogger;
}

/** Jobs running at once per node: each streams a whole recording through the hash worker. */
const CONCURRENCY = 2;
/** Videos listed per catch-up sweep (oldest completion first). */
const CATCH_UP_BATCH = 1000;
/** How often a node looks for work a failed or dead job left (any node's). */
const CATCH_UP_EVERY_MS = 60_000;

interface Runner {
  /** Ids waiting, in order. */
  queue: string[];
  /** Ids waiting or running: a video is never run twice at once on this node. */
  known: Set<string>;
  running: number;
  closed: boolean;
  timer: NodeJS.Timeout | null;
  idle: (() => void)[];
}

const runners = new WeakMap<AfterCompletionContext, Runner>();

function runnerOf(ctx: AfterCompletionContext): Runner {
  let r = runners.get(ctx);
  if (!r) runners.set(ctx, (r = { queue: [], known: new Set(), running: 0, closed: false, timer: null, idle: [] }));
  return r;
}

/** Queues the after-completion work for a video that just completed (returns at once). */
export function scheduleAfterCompletion(ctx: AfterCompletionContext, videoId: string): void {
  const r = runnerOf(ctx);
  if (r.closed || r.known.has(videoId)) return;
  r.known.add(videoId);
  r.queue.push(videoId);
  pump(ctx, r);
}

/**
 * At start-up: queues every complete video still lacking it (repo.listCompletedPending), then
 * again every minute, so work a failed job or a dead node left is picked up by a live one.
 */
export async function catchUpAfterCompletion(ctx: AfterCompletionContext): Promise<void> {
  const r = runnerOf(ctx);
  if (r.closed) return;
  if (r.timer === null) {
    r.timer = setInterval(() => void sweep(ctx, r), CATCH_UP_EVERY_MS);
    r.timer.unref();
  }
  await sweep(ctx, r);
}

/** At shutdown: nothing new starts; resolves when running jobs have finished. */
export async function closeAfterCompletion(ctx: AfterCompletionContext): Promise<void> {
  const r = runnerOf(ctx);
  r.closed = true;
  if (r.timer !== null) clearInterval(r.timer);
  r.timer = null;
  for (const id of r.queue) r.known.delete(id);
  r.queue = [];
  if (r.running > 0) await new Promise<void>((resolve) => r.idle.push(resolve));
}

async function sweep(ctx: AfterCompletionContext, r: Runner): Promise<void> {
  if (r.closed) return;
  try {
    const ids = await ctx.repo.listCompletedPending(CATCH_UP_BATCH);
    for (const id of ids) scheduleAfterCompletion(ctx, id);
    if (ids.length > 0) ctx.log.info({ event: 'after/catch-up', videos: ids.length });
  } catch (err) {
    ctx.log.warn({ event: 'after/catch-up-failed', err });
  }
}

function pump(ctx: AfterCompletionContext, r: Runner): void {
  while (!r.closed && r.running < CONCURRENCY && r.queue.length > 0) {
    const id = r.queue.shift()!;
    r.running++;
    runAfterCompletion(ctx, id)
      .catch((err: unknown) => ctx.log.warn({ event: 'after/failed', videoId: id, err }))
      .finally(() => {
        r.running--;
        r.known.delete(id);
        pump(ctx, r);
        if (r.running === 0) for (const resolve of r.idle.splice(0)) resolve();
      });
  }
}

/** The job for one video, under its lock. Exported for tests; callers use scheduleAfterCompletion. */
export function runAfterCompletion(ctx: AfterCompletionContext, videoId: string): Promise<void> {
  return ctx.locker.withLock(`after:${videoId}`, async (lost) => {
    const video = await ctx.repo.getVideo(videoId);
    if (!video || video.state !== 'complete') return;
    if (video.sha256 !== null && video.seekable !== null && video.fileSha256 !== null) return;
    const started = performance.now();
    const guard = () => {
      if (lost.aborted) throw new Error(`lock after:${videoId} lost`);
    };

    let layout: MediaLayout | null = video.seekable === null ? null : { durationMs: video.durationMs, seekable: video.seekable, servedHead: video.servedHead };
    // Completed before this job existed (digest known, layout never decided): served as
    // recorded, and stays so — its published digest remains the served file's.
    if (layout === null && video.sha256 !== null) layout = AS_RECORDED;

    let recorded = video.sha256;
    let outcome: IndexOutcome | null = null;
    if (recorded === null) ({ recorded, outcome } = await readRecorded(ctx, video, layout === null && mayIndex(video)));

    let head: Buffer | null = null;
    let wroteHead = false;
    if (video.seekable === null) {
      const decision = layout === null ? decideLayout(video, outcome, ctx.log) : { layout, head: null };
      if (decision.head) {
        guard();
        await ctx.small.put(videoId, 'head', decision.head);
        wroteHead = true;
      }
      guard();
      await ctx.repo.setMediaLayout(videoId, decision.layout);
      layout = decision.layout;
      head = decision.head;
    } else if (video.fileSha256 === null && layout?.seekable) {
      head = await ctx.small.get(videoId, 'head');
    }

    if (video.fileSha256 === null) {
      const file = await servedDigest(ctx, video, layout!, head, recorded);
      guard();
      await ctx.repo.setFileSha256(videoId, file);
    }
    if (video.sha256 === null) {
      guard();
      await ctx.repo.setRecordedSha256(videoId, recorded);
    }
    // Deleted or expired while we worked: the head written above would be an orphan.
    if (wroteHead && (await ctx.repo.getVideo(videoId))?.state !== 'complete') await ctx.small.deleteAll(videoId);
    ctx.log.info({ event: 'after/recorded', videoId, seekable: layout!.seekable, bytes: video.assembledBytes, ms: Math.round(performance.now() - started) });
  });
}

/**
 * One read of the recorded bytes: their SHA-256 and, when asked, the WebM index of the bytes
 * before the first gap (indexedLength). Refuses a read that is not exactly the recorded length.
 */
async function readRecorded(ctx: AfterCompletionContext, video: VideoRecord, index: boolean): Promise<{ recorded: string; outcome: IndexOutcome | null }> {
  const indexer = index ? new ClusterIndexer() : null;
  const limit = indexer ? indexedLength(video, await ctx.repo.listChunks(video.id)) : 0;
  let fed = 0;
  const tap = indexer
    ? (buf: Buffer) => {
        if (fed >= limit) return;
        const part = fed + buf.length > limit ? buf.subarray(0, limit - fed) : buf;
        indexer.feed(part);
        fed += part.length;
      }
    : undefined;
  const { size, body } = await ctx.output.open(video.id);
  if (size !== video.assembledBytes) {
    body.destroy();
    throw new Error(`output of ${video.id} is ${size} bytes, recorded ${video.assembledBytes}`);
  }
  const { hex, bytes } = await digestStream(ctx.sha256, `after:${video.id}:recorded`, body, tap);
  if (bytes !== video.assembledBytes) throw new Error(`output of ${video.id} read ${bytes} bytes, recorded ${video.assembledBytes}`);
  if (!indexer) return { recorded: hex, outcome: null };
  // Past the first gap the bytes start mid-cluster: the index covers the prefix only.
  if (video.gaps.length > 0) indexer.stopAtGap();
  return { recorded: hex, outcome: indexer.finish() };
}
