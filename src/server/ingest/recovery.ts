/**
 * Start-up reconciliation after a crash (kill -9, power cut). Runs before the server listens.
 * Invariants it restores:
 *  - no staged temp object survives;
 *  - no bytes exist for a video the metadata does not know, or that expired;
 *  - an open video's assembled object is exactly `assembledBytes` long: a longer one was cut
 *    mid-append or appended but not recorded (kill -9 before the commit, or a power loss that
 *    dropped a `synchronous = NORMAL` commit): first re-adopt whatever the append journal
 *    verifies (readopt.ts), then truncate the rest;
 *  - a chunk record means the chunk's bytes are held: a record whose file is missing or has the
 *    wrong size (and is not yet assembled) is dropped, so the client sees it missing and re-sends;
 *  - a chunk file without a record (renamed, not recorded) or already assembled is deleted;
 *  - then assembly resumes and completes a video whose last chunk had landed.
 */
import type { IngestContext } from './context.ts';
import { advanceVideo } from './finalize.ts';
import { readoptAppends } from './readopt.ts';

export interface RecoveryReport {
  tempsRemoved: number;
  orphanVideos: number;
  truncated: number;
  readopted: number;
  droppedRecords: number;
  removedFiles: number;
}

export async function recover(ctx: IngestContext): Promise<RecoveryReport> {
  const report: RecoveryReport = { tempsRemoved: 0, orphanVideos: 0, truncated: 0, readopted: 0, droppedRecords: 0, removedFiles: 0 };
  await ctx.blobs.init();
  report.tempsRemoved = await ctx.blobs.removeLeftoverTemps();

  const known = new Set(await ctx.repo.allVideoIds());
  for (const id of await ctx.blobs.listVideos()) {
    if (!known.has(id)) {
      await ctx.blobs.deleteVideo(id);
      report.orphanVideos++;
    }
  }
  for (const video of await ctx.repo.listVideosByState('expired')) await ctx.blobs.deleteVideo(video.id);
  for (const video of await ctx.repo.listVideosByState('complete')) {
    for (const index of await ctx.blobs.listChunks(video.id)) {
      await ctx.blobs.deleteChunk(video.id, index);
      report.removedFiles++;
    }
  }

  for (const listed of await ctx.repo.listVideosByState('open')) {
    await ctx.locks.run(listed.id, async () => {
      const size = await ctx.blobs.assembledSize(listed.id);
      report.readopted += await readoptAppends(ctx, listed, size);
      const video = (await ctx.repo.getVideo(listed.id)) ?? listed;
      if (size > video.assembledBytes) {
        await ctx.blobs.truncateAssembled(video.id, video.assembledBytes);
        report.truncated++;
      } else if (size < video.assembledBytes) {
        ctx.log.error({ event: 'recovery/assembled-short', videoId: video.id, onDisk: size, recorded: video.assembledBytes });
      }
      const files = new Set(await ctx.blobs.listChunks(video.id));
      const records = await ctx.repo.listChunks(video.id);
      const recorded = new Set(records.map((r) => r.index));
      for (const r of records) {
        if (r.index < video.assembledChunks) continue;
        const onDisk = files.has(r.index) ? await ctx.blobs.chunkSize(video.id, r.index) : null;
        if (onDisk !== r.size) {
          await ctx.repo.deleteChunk(video.id, r.index);
          await ctx.blobs.deleteChunk(video.id, r.index);
          report.droppedRecords++;
        }
      }
      for (const index of files) {
        if (index < video.assembledChunks || !recorded.has(index)) {
          await ctx.blobs.deleteChunk(video.id, index);
          report.removedFiles++;
        }
      }
      const fresh = await ctx.repo.getVideo(video.id);
      if (fresh) await advanceVideo(ctx, fresh);
    });
  }
  ctx.log.info({ event: 'recovery/done', ...report });
  return report;
}
