/**
 * Builds the ProgressSnapshot (src/shared/progress.ts) from the outbox's counts and the
 * pipeline's in-memory facts (UploadState: backoff news, waits, auth hold, finalize in flight).
 * Pure.
 */
import type { ProgressSnapshot, RecordingPhase, RecordingProgress } from '../../shared/progress.ts';
import type { RecordingRecord } from '../../shared/outbox/schema.ts';
import type { ChunkCounts } from '../../shared/outbox/queue.ts';
import type { UploadState } from './upload-state.ts';

export interface RetryInfo {
  index: number;
  attempt: number;
  maxAttempts: number;
  nextAttemptAt: number;
}

export interface ProgressInput {
  at: number;
  online: boolean;
  /** A drain is running (requests may be in flight). */
  active: boolean;
  recordings: { rec: RecordingRecord; counts: ChunkCounts }[];
  state: Pick<UploadState, 'authHeld' | 'retries' | 'finalizing' | 'errors' | 'waitingOf'>;
}

const pct = (done: number, total: number) => (total === 0 ? 100 : Math.round((done / total) * 10000) / 100);

function phaseOf(i: ProgressInput, rec: RecordingRecord, c: ChunkCounts, waiting: number, opWaits: boolean, failedOp: boolean): RecordingPhase {
  if (rec.state === 'complete') return 'complete';
  if (i.state.finalizing.has(rec.id)) return 'finalizing';
  const work = c.pending + c.uploading;
  if (i.state.authHeld) return 'auth-required';
  if (!i.online && (work > 0 || rec.sessionId === null || rec.state !== 'recording')) return 'waiting-network';
  if (c.failed > waiting && work === 0) return rec.missing && rec.missing.length > 0 ? 'incomplete' : 'failed';
  if (waiting > 0 || opWaits) return 'waiting-server';
  if (i.state.retries.has(rec.id)) return 'retrying';
  if (work > 0) return 'uploading';
  if (rec.state === 'recording') return 'recording';
  if (c.failed > 0) return rec.missing && rec.missing.length > 0 ? 'incomplete' : 'failed';
  if (rec.missing && rec.missing.length > 0) return 'incomplete';
  // Every chunk is on the server, but an operation on the whole recording failed for good (a
  // completion check that did not match, a session the server discarded): say so, not "finishing".
  if (failedOp) return 'failed';
  return 'finalizing';
}

export function buildSnapshot(i: ProgressInput): ProgressSnapshot {
  const recordings: RecordingProgress[] = i.recordings.map(({ rec, counts: c }) => {
    const totalQueued = c.pending + c.uploading + c.uploaded + c.failed;
    const stored = i.state.errors.get(rec.id) ?? rec.lastError;
    const err = stored ? { code: stored.code, message: stored.message, at: stored.at } : null;
    const w = i.state.waitingOf(rec.id);
    // Chunks left failed by an earlier run are re-armed at start-up; until then count none as waiting.
    const waiting = Math.min(w.count, c.failed);
    const opWaits = w.opWaiting;
    return {
      recordingId: rec.id,
      title: rec.title,
      phase: phaseOf(i, rec, c, waiting, opWaits, stored !== undefined && stored !== null),
      uploaded: c.uploaded,
      totalQueued,
      pending: c.pending,
      uploading: c.uploading,
      failed: c.failed,
      percentage: pct(c.uploaded, totalQueued),
      bytesUploaded: rec.uploadedBytes ?? 0,
      bytesQueued: rec.totalBytes ?? 0,
      hasSession: rec.sessionId !== null,
      waiting,
      nextTryAt: rec.state === 'complete' ? null : w.nextTryAt,
      retry: i.state.retries.get(rec.id) ?? null,
      videoId: rec.videoId ?? rec.sessionId,
      shareUrl: rec.shareUrl,
      missing: rec.missing,
      lastError: err,
    };
  });
  // Overall figures cover the recordings still in the outbox's care (not yet complete).
  const open = recordings.filter((r) => r.phase !== 'complete');
  const sum = (f: (r: RecordingProgress) => number) => open.reduce((n, r) => n + f(r), 0);
  const uploaded = sum((r) => r.uploaded);
  const totalQueued = sum((r) => r.totalQueued);
  return {
    at: i.at,
    overall: {
      uploaded,
      totalQueued,
      failed: sum((r) => r.failed),
      pending: sum((r) => r.pending),
      percentage: pct(uploaded, totalQueued),
      isOnline: i.online,
      hasSession: open.length > 0 && open.every((r) => r.hasSession),
      isUploading: i.active && open.some((r) => r.uploading > 0 || r.phase === 'finalizing'),
      authRequired: i.state.authHeld,
    },
    recordings,
  };
}
