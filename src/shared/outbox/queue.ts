/**
 * Queue semantics of the outbox for the upload pipeline: claim the next chunks, confirm,
 * back off, fail, re-queue, record server state, complete and release. Each operation is one
 * readwrite transaction that also keeps the recording's byte totals right, so a crash between
 * two operations never leaves the outbox inconsistent.
 */
import type { IDBPTransaction, StoreNames } from 'idb';
import { OutboxError, translateStorageError } from './errors.ts';
import type { CompletionCheck, OutboxChunk, ChunkState, LastError, OutboxDatabase, OutboxSchema, RecordingRecord } from './schema.ts';

type Stores = StoreNames<OutboxSchema>;
type WriteTx<S extends Stores[]> = IDBPTransaction<OutboxSchema, S, 'readwrite'>;

export type ChunkCounts = Record<ChunkState, number>;

/** A chunk waiting for the server: failed (shown so) or pending in backoff, and when it is due. */
export interface ChunkWait {
  recordingId: string;
  index: number;
  failed: boolean;
  at: number;
}

/** Server-side facts the pipeline records on a recording (never its local capture state). */
export type RecordingPatch = Partial<
  Pick<
    RecordingRecord,
    | 'sessionId'
    | 'videoId'
    | 'shareUrl'
    | 'videoUrl'
    | 'serverChunks'
    | 'missing'
    | 'finalizedAt'
    | 'lastError'
    | 'localSha256'
    | 'localChunksDigest'
  >
>;

export class OutboxQueue {
  constructor(
    protected readonly db: OutboxDatabase,
    protected readonly now: () => number,
  ) {}

  /** Runs `fn` in one readwrite transaction and resolves after commit; storage errors become typed. */
  protected async write<S extends Stores[], T>(
    stores: S,
    fn: (tx: WriteTx<S>) => Promise<T>,
    details?: Record<string, unknown>,
  ): Promise<T> {
    let tx: WriteTx<S> | undefined;
    try {
      tx = this.db.transaction(stores, 'readwrite');
      const result = await fn(tx);
      await tx.done;
      return result;
    } catch (e) {
      if (tx) {
        // Roll back whatever `fn` wrote before it threw; the transaction may already be over.
        tx.done.catch(() => {});
        try {
          tx.abort();
        } catch {
          // already committed or aborted
        }
      }
      throw translateStorageError(e, details);
    }
  }

  async patchRecording(id: string, patch: RecordingPatch): Promise<RecordingRecord> {
    return this.write(['recordings'], async (tx) => {
      const rec = await tx.objectStore('recordings').get(id);
      if (!rec) throw new OutboxError('recording_not_found', { recordingId: id });
      const next = { ...rec, ...patch, updatedAt: this.now() };
      await tx.objectStore('recordings').put(next);
      return next;
    });
  }

  /** Recordings the pipeline still has work for (not complete), oldest first. */
  async listActiveRecordings(): Promise<RecordingRecord[]> {
    return (await this.db.getAllFromIndex('recordings', 'by-createdAt')).filter((r) => r.state !== 'complete');
  }

  async chunkCounts(recordingId: string): Promise<ChunkCounts> {
    const tx = this.db.transaction('chunks');
    const idx = tx.store.index('by-recording-state');
    const [pending, uploading, uploaded, failed] = await Promise.all(
      (['pending', 'uploading', 'uploaded', 'failed'] as const).map((s) => idx.count([recordingId, s])),
    );
    await tx.done;
    return { pending: pending!, uploading: uploading!, uploaded: uploaded!, failed: failed! };
  }

  /**
   * Chunks left `uploading` by a run that died (crash, stopped worker) go back to pending
   * without burning an attempt: their request's fate is unknown, and a re-send is harmless
   * (the server answers a duplicate with its SHA-256). Call only when no upload is in flight.
   */
  async resetStaleUploading(): Promise<number> {
    return this.write(['chunks'], async (tx) => {
      let n = 0;
      const store = tx.objectStore('chunks');
      for (let c = await store.index('by-state').openCursor('uploading'); c; c = await c.continue()) {
        await c.update({ ...c.value, state: 'pending' });
        n++;
      }
      return n;
    });
  }

  /**
   * Claims up to `limit` chunks of one recording whose backoff has elapsed, marking them
   * `uploading` in the same transaction: pending ones in index order, then failed ones that wait
   * for the server (a failed chunk with a `nextAttemptAt`; one without needs the user). Returns
   * them with their bytes.
   */
  async claimReadyChunks(recordingId: string, limit: number, now: number): Promise<OutboxChunk[]> {
    if (limit <= 0) return [];
    return this.write(['chunks'], async (tx) => {
      const out: OutboxChunk[] = [];
      const idx = tx.objectStore('chunks').index('by-recording-state');
      for (const state of ['pending', 'failed'] as const) {
        for (let c = await idx.openCursor([recordingId, state]); c && out.length < limit; c = await c.continue()) {
          if (c.value.data === null) continue;
          const due = c.value.nextAttemptAt === null ? state === 'pending' : c.value.nextAttemptAt <= now;
          if (!due) continue;
          const claimed: OutboxChunk = { ...c.value, state: 'uploading' };
          await c.update(claimed);
          out.push(claimed);
        }
      }
      return out;
    });
  }

  /** Earliest backoff deadline among pending chunks and failed ones waiting for the server, or null. */
  async earliestBackoff(): Promise<number | null> {
    let min: number | null = null;
    const tx = this.db.transaction('chunks');
    for (const state of ['pending', 'failed'] as const) {
      for (let c = await tx.store.index('by-state').openCursor(state); c; c = await c.continue()) {
        const t = c.value.nextAttemptAt;
        if (t !== null && c.value.data !== null && (min === null || t < min)) min = t;
      }
    }
    await tx.done;
    return min;
  }

  /**
   * Every chunk that waits for the server — pending in backoff, or failed with a next attempt —
   * becomes due at `now` (a wake-up: the server answered again, online, sync, start-up), or at the
   * time the server asked for with Retry-After if that is later. Failed chunks without a next
   * attempt need the user and are left alone. Returns how many were moved and when each waiting
   * chunk is due now.
   */
  async rearmWaiting(now: number): Promise<{ rearmed: number; waiting: ChunkWait[] }> {
    return this.write(['chunks'], async (tx) => {
      let rearmed = 0;
      const waiting: ChunkWait[] = [];
      const byState = tx.objectStore('chunks').index('by-state');
      for (const state of ['pending', 'failed'] as const) {
        for (let c = await byState.openCursor(state); c; c = await c.continue()) {
          const t = c.value.nextAttemptAt;
          if (t === null || c.value.data === null) continue;
          const due = Math.max(now, c.value.notBefore ?? 0);
          if (t > due) {
            await c.update({ ...c.value, nextAttemptAt: due });
            rearmed++;
          }
          waiting.push({ recordingId: c.value.recordingId, index: c.value.index, failed: state === 'failed', at: Math.min(t, due) });
        }
      }
      return { rearmed, waiting };
    });
  }

  /** Confirms a chunk after a 2xx whose SHA-256 matched; the bytes stay until the video is complete. */
  async markChunkUploaded(recordingId: string, index: number, info: { at: number; uploadMs: number }): Promise<void> {
    await this.updateChunk(recordingId, index, (c) => ({
      ...c,
      state: 'uploaded',
      attempts: c.attempts + 1,
      nextAttemptAt: null,
      notBefore: null,
      lastError: null,
      uploadedAt: info.at,
      uploadMs: info.uploadMs,
    }));
  }

  /**
   * Back to pending. `burn` counts the attempt (a real failure) or not (offline, 401, aborted);
   * `resetAttempts` starts the count again (the user's Retry). `nextAttemptAt` is the backoff
   * deadline, or null to be eligible at once; `notBefore` the server's Retry-After deadline.
   */
  async markChunkRetry(
    recordingId: string,
    index: number,
    opts: { burn: boolean; nextAttemptAt: number | null; error: LastError | null; notBefore?: number | null; resetAttempts?: boolean },
  ): Promise<OutboxChunk | null> {
    return this.updateChunk(recordingId, index, (c) => ({
      ...c,
      state: 'pending',
      attempts: opts.resetAttempts ? 0 : c.attempts + (opts.burn ? 1 : 0),
      nextAttemptAt: opts.nextAttemptAt,
      notBefore: opts.notBefore ?? null,
      lastError: opts.error ?? c.lastError,
    }));
  }

  /**
   * Failed, and kept (never dropped). With `nextAttemptAt` the chunk spent its attempts but waits
   * for the server and is claimed again then; without, it waits for the user's Retry.
   */
  async markChunkFailed(
    recordingId: string,
    index: number,
    error: LastError,
    opts: { burn?: boolean; nextAttemptAt?: number | null; notBefore?: number | null } = {},
  ): Promise<void> {
    await this.updateChunk(recordingId, index, (c) => ({
      ...c,
      state: 'failed',
      attempts: c.attempts + (opts.burn === false ? 0 : 1),
      nextAttemptAt: opts.nextAttemptAt ?? null,
      notBefore: opts.notBefore ?? null,
      lastError: error,
    }));
  }

  /** Failed chunks (of one recording, or all) back to pending with attempts reset. */
  async resetFailed(recordingId?: string): Promise<number> {
    return this.write(['chunks'], async (tx) => {
      let n = 0;
      const store = tx.objectStore('chunks');
      for (let c = await store.index('by-state').openCursor('failed'); c; c = await c.continue()) {
        if (recordingId !== undefined && c.value.recordingId !== recordingId) continue;
        if (c.value.data === null) continue;
        await c.update({ ...c.value, state: 'pending', attempts: 0, nextAttemptAt: null, notBefore: null });
        n++;
      }
      return n;
    });
  }

  /**
   * Uploaded chunks the server no longer holds (its finalize listed them missing, or the session
   * was lost) go back to pending, if their bytes are still here. `indices` null means all.
   */
  async requeueUploaded(recordingId: string, indices: readonly number[] | null): Promise<number[]> {
    return this.write(['recordings', 'chunks'], async (tx) => {
      const wanted = indices === null ? null : new Set(indices);
      const requeued: number[] = [];
      let bytes = 0;
      const idx = tx.objectStore('chunks').index('by-recording-state');
      for (let c = await idx.openCursor([recordingId, 'uploaded']); c; c = await c.continue()) {
        if ((wanted && !wanted.has(c.value.index)) || c.value.data === null) continue;
        await c.update({ ...c.value, state: 'pending', nextAttemptAt: null, uploadedAt: null });
        requeued.push(c.value.index);
        bytes += c.value.size;
      }
      const rec = await tx.objectStore('recordings').get(recordingId);
      if (rec && bytes > 0) {
        await tx.objectStore('recordings').put({ ...rec, uploadedBytes: Math.max(0, (rec.uploadedBytes ?? 0) - bytes), updatedAt: this.now() });
      }
      return requeued;
    });
  }

  /**
   * The server reported the video complete with a digest equal to the local one (`check`): the
   * recording is complete; its chunk bytes are released unless the user keeps a local copy.
   */
  async completeRecording(
    id: string,
    result: { check: CompletionCheck; serverSize: number; shareUrl: string; videoUrl: string; at: number; release: boolean },
  ): Promise<RecordingRecord> {
    return this.write(['recordings', 'chunks'], async (tx) => {
      const rec = await tx.objectStore('recordings').get(id);
      if (!rec) throw new OutboxError('recording_not_found', { recordingId: id });
      // The server's digest equals the local one, which proves every chunk is held, including
      // any whose own answer was lost or failed: they count as uploaded now.
      let localBytes = rec.localBytes;
      const store = tx.objectStore('chunks');
      for (let c = await store.index('by-recording').openCursor(id); c; c = await c.continue()) {
        const v = c.value;
        const settled = v.state === 'uploaded' ? v : { ...v, state: 'uploaded' as const, nextAttemptAt: null, uploadedAt: result.at };
        const next = result.release ? { ...settled, data: null } : settled;
        if (next !== v) await c.update(next);
      }
      if (result.release) localBytes = 0;
      const next: RecordingRecord = {
        ...rec,
        state: 'complete',
        completionCheck: result.check,
        serverSize: result.serverSize,
        shareUrl: result.shareUrl,
        videoUrl: result.videoUrl,
        missing: null,
        finalizedAt: result.at,
        linkReadyAt: rec.linkReadyAt ?? result.at,
        localBytes,
        uploadedBytes: rec.totalBytes ?? rec.uploadedBytes,
        localCopy: result.release ? 'released' : 'kept',
        lastError: null,
        updatedAt: this.now(),
      };
      await tx.objectStore('recordings').put(next);
      return next;
    });
  }

  /** Read-modify-write of one chunk that keeps the recording's uploadedBytes in step. */
  private async updateChunk(
    recordingId: string,
    index: number,
    change: (c: OutboxChunk) => OutboxChunk,
  ): Promise<OutboxChunk | null> {
    return this.write(['recordings', 'chunks'], async (tx) => {
      const chunks = tx.objectStore('chunks');
      const before = await chunks.get([recordingId, index]);
      if (!before) return null;
      const after = change(before);
      await chunks.put(after);
      const delta = (after.state === 'uploaded' ? after.size : 0) - (before.state === 'uploaded' ? before.size : 0);
      if (delta !== 0) {
        const rec = await tx.objectStore('recordings').get(recordingId);
        if (rec) {
          await tx.objectStore('recordings').put({ ...rec, uploadedBytes: Math.max(0, (rec.uploadedBytes ?? 0) + delta), updatedAt: this.now() });
        }
      }
      return after;
    });
  }
}
