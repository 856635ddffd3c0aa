/**
 * One chunk's upload: bandwidth cap, the request with its Content-Digest, the check of the
 * server's SHA-256, and the outbox transition for every outcome (the FailureHandler decides
 * which).
 */
import { sha256Hex } from '../../shared/digest.ts';
import type { OutboxChunk, RecordingRecord } from '../../shared/outbox/schema.ts';
import type { Settings } from '../../shared/settings.ts';
import type { FailureHandler } from './failure-handler.ts';
import type { PipelinePorts } from './ports.ts';
import type { TokenBucket } from './token-bucket.ts';
import { TransportError } from './transport-error.ts';
import type { UploadState } from './upload-state.ts';

export interface ChunkUploaderDeps {
  ports: PipelinePorts;
  state: UploadState;
  failures: FailureHandler;
  settings: Settings;
  bucket: TokenBucket | null;
  signal: AbortSignal;
  /** The server confirmed a chunk of this recording (re-arms whatever waits). */
  onConfirmed(recordingId: string): Promise<void>;
}

export class ChunkUploader {
  constructor(private readonly d: ChunkUploaderDeps) {}

  /** Never rejects: every outcome ends in an outbox transition (or, on storage failure, a log). */
  async upload(rec: RecordingRecord, chunk: OutboxChunk): Promise<void> {
    const { outbox, transport, clock, logger } = this.d.ports;
    const sessionId = rec.sessionId;
    const where = { recordingId: rec.id, index: chunk.index };
    const press = this.d.state.pressMark(rec.id);
    try {
      if (sessionId === null || chunk.data === null) throw new Error('claimed chunk without session or bytes');
      if (chunk.attempts === 0) logger.info({ ...where, size: chunk.size }, 'chunk-queued');
      if (this.d.bucket) await this.d.bucket.take(chunk.size, this.d.signal);
      const t0 = clock.now();
      const res = await transport.putChunk({ sessionId, index: chunk.index, data: chunk.data, sha256: chunk.sha256 }, this.d.signal);
      // A 2xx confirms only what the server hashed itself: its SHA-256 must be ours (RFC 9530
      // protects the request; this protects against a server or proxy that stored something else).
      if (res.sha256 !== chunk.sha256 || res.index !== chunk.index) {
        throw new TransportError('bad_response', { status: 200, code: 'digest_mismatch', message: 'answer SHA-256 differs from the local chunk' });
      }
      const at = clock.now();
      await outbox.markChunkUploaded(rec.id, chunk.index, { at, uploadMs: at - t0 });
      this.d.state.chunkSettled(rec.id, chunk.index);
      logger.info({ ...where, attempts: chunk.attempts + 1, uploadMs: at - t0, duplicate: res.duplicate }, 'chunk-uploaded');
    } catch (e) {
      try {
        await this.onFailure(rec, chunk, e, press);
      } catch (storageError) {
        // The chunk stays `uploading`; the next drain's stale reset puts it back to pending.
        logger.error({ ...where, err: String(storageError) }, 'outbox-write-failed');
      }
      return;
    }
    // Outside the try: the chunk is confirmed and marked; what follows (re-arming the others,
    // finalize) failing must not send a confirmed chunk back through the failure path.
    try {
      await this.d.onConfirmed(rec.id);
    } catch (e) {
      logger.error({ ...where, err: String(e) }, 'after-confirm-failed');
    }
  }

  private async onFailure(rec: RecordingRecord, chunk: OutboxChunk, e: unknown, press: number): Promise<void> {
    const { outbox, logger } = this.d.ports;
    const attempts = chunk.attempts + 1;
    const r = await this.d.failures.resolve(
      e,
      { op: 'chunk', recordingId: rec.id, sessionId: rec.sessionId, index: chunk.index, attempts, localCorrupt: await this.corruptLocally(chunk, e) },
      this.d.settings,
    );
    if (r.kind !== 'hold' && this.d.state.pressMark(rec.id) !== press) {
      // The user pressed Retry while this try was in flight: their press found nothing failed to
      // reset, so it applies now — one more try at once, attempts counted afresh, any wait dropped.
      await outbox.markChunkRetry(rec.id, chunk.index, { burn: false, resetAttempts: true, nextAttemptAt: null, error: r.error });
      this.d.state.chunkSettled(rec.id, chunk.index);
      this.d.state.setError(rec.id, null);
      logger.info({ recordingId: rec.id, index: chunk.index }, 'retry-pressed-in-flight');
      return;
    }
    switch (r.kind) {
      case 'hold':
        await outbox.markChunkRetry(rec.id, chunk.index, { burn: false, nextAttemptAt: null, error: null });
        return;
      case 'retry': {
        const info = { index: chunk.index, attempt: attempts, maxAttempts: this.d.settings.maxAttempts, nextAttemptAt: r.nextAttemptAt };
        // Exhausted chunks are stored as failed *with* a next attempt: shown failed, never given up.
        const { nextAttemptAt, notBefore } = r;
        if (r.exhausted) await outbox.markChunkFailed(rec.id, chunk.index, r.error, { nextAttemptAt, notBefore });
        else await outbox.markChunkRetry(rec.id, chunk.index, { burn: true, nextAttemptAt, notBefore, error: r.error });
        this.d.state.chunkWaits(rec.id, info, r.exhausted);
        return;
      }
      case 'fail':
        await outbox.markChunkFailed(rec.id, chunk.index, r.error, { nextAttemptAt: null });
        this.d.state.chunkSettled(rec.id, chunk.index);
        return;
    }
  }

  /**
   * The server said the body did not match its Content-Digest. Either it was garbled on the way
   * (waiting helps) or the bytes kept here changed since they were hashed at capture (storage
   * corruption: re-sending can never succeed). Only re-hashing the local copy tells which.
   */
  private async corruptLocally(chunk: OutboxChunk, e: unknown): Promise<boolean> {
    if (!(e instanceof TransportError) || e.kind !== 'http' || e.code !== 'digest_mismatch' || chunk.data === null) return false;
    return (await sha256Hex(chunk.data)) !== chunk.sha256;
  }
}
