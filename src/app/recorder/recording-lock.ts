/**
 * A Web Lock held by the tab that is recording a given recording. After a crash or a closed tab
 * the outbox still says `recording`; at start-up any such recording whose lock is free has no
 * recorder left, so it is closed as `interrupted` with the chunks actually saved and handed to
 * the uploader — nothing recorded before the crash is lost or left unfinalized.
 */
import type { Logger } from '../../shared/log.ts';
import type { AppOutbox } from '../services.ts';
import type { UploadClient } from '../upload/types.ts';
import { interruptedTake, type InterruptedTake } from './interrupted.ts';

export const recordingLockName = (id: string) => `outbox-recorder/recording/${id}`;

/** Holds the lock until `until` settles. Resolves once the lock is held (immediately without Web Locks). */
export function holdRecordingLock(id: string, until: Promise<unknown>): Promise<void> {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (!locks) return Promise.resolve();
  return new Promise((held) => {
    void locks.request(recordingLockName(id), () => {
      held();
      return until.catch(() => {});
    });
  });
}

/** Closes orphaned recordings; returns those that kept at least one chunk (for the "interrupted" notice). */
export async function closeOrphanedRecordings(
  outbox: Pick<AppOutbox, 'listRecordings' | 'listChunks' | 'stopRecording' | 'deleteRecording'>,
  upload: Pick<UploadClient, 'notifyStopped'>,
  logger: Logger,
): Promise<InterruptedTake[]> {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (!locks) return [];
  const closed: InterruptedTake[] = [];
  for (const rec of await outbox.listRecordings()) {
    if (rec.state !== 'recording') continue;
    await locks.request(recordingLockName(rec.id), { ifAvailable: true }, async (lock) => {
      if (!lock) return; // another tab is still recording it
      const chunks = await outbox.listChunks(rec.id);
      const indices = new Set(chunks.map((c) => c.index));
      let total = 0;
      while (indices.has(total)) total++;
      if (total === 0) {
        await outbox.deleteRecording(rec.id, { force: true });
      } else {
        await outbox.stopRecording(rec.id, total, 'interrupted');
        upload.notifyStopped(rec.id, total);
        closed.push(interruptedTake(rec, chunks, total));
      }
      logger.warn({ recordingId: rec.id, totalChunks: total }, 'recorder.orphan_closed');
    });
  }
  return closed;
}
