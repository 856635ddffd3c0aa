/**
 * Start-up work, before the server listens. Safe with several nodes running: nothing is deleted
 * because the database does not know it (another node may be writing it), and every step is one
 * a running node could take at any time too.
 *  - This node's receive directory (OUTBOX_DATA_DIR/tmp, node-local) is emptied: bodies a crash
 *    cut off mid-stream or left unverified. The stores clean their own temp space in `init()`.
 *  - Open videos whose held chunks continue the recorded prefix are advanced (and completed when
 *    the prefix reaches a known total): a crash between `chunks.put`/`insertChunk` and the
 *    advance, or between `output.write` and `recordSegment`, left exactly that. A partial
 *    completion cut short between its tail and its completion record is finished.
 *  - Complete videos still lacking the after-completion work are queued.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { catchUpAfterCompletion } from './after-completion.ts';
import { ingestTmpDir } from './chunk-ingest.ts';
import { advanceVideo, completePartially, isPartialInFlight } from './completion.ts';
import type { IngestContext } from './context.ts';

export interface StartUpReport {
  tempsRemoved: number;
  advanced: number;
  partialsFinished: number;
}

export async function startUp(ctx: IngestContext): Promise<StartUpReport> {
  await Promise.all([ctx.chunks.init(), ctx.output.init(), ctx.small.init()]);
  const report: StartUpReport = { tempsRemoved: await clearReceiveDir(ingestTmpDir(ctx.config.dataDir)), advanced: 0, partialsFinished: 0 };
  for (const listed of await ctx.repo.listVideosByState('open')) {
    try {
      await ctx.locker.withLock(listed.id, async (lost) => {
        const video = await ctx.repo.getVideo(listed.id);
        if (!video || video.state !== 'open') return;
        if (video.totalChunks !== null && isPartialInFlight(video, await ctx.repo.listChunks(video.id))) {
          await completePartially(ctx, video.id, lost);
          report.partialsFinished++;
          return;
        }
        const after = await advanceVideo(ctx, video.id, lost, { video });
        if (after && (after.assembledChunks !== video.assembledChunks || after.state !== video.state)) report.advanced++;
      });
    } catch (err) {
      // One video's store trouble must not keep the server from starting; the next chunk or
      // finalize of that video tries again.
      ctx.log.error({ event: 'start-up/advance-failed', videoId: listed.id, err });
    }
  }
  await catchUpAfterCompletion(ctx);
  ctx.log.info({ event: 'start-up/done', ...report });
  return report;
}

async function clearReceiveDir(dir: string): Promise<number> {
  await mkdir(dir, { recursive: true });
  const names = await readdir(dir);
  await Promise.all(names.map((n) => rm(join(dir, n), { force: true, recursive: true })));
  return names.length;
}
