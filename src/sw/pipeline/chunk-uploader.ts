/**
 * One chunk's upload: bandwidth cap, the request with its Content-Digest, the check of the
 * server's SHA-256, and the outbox transition for every outcome (policy.ts decides which).
 */
import type { ChunkRecord, RecordingRecord } from '../../shared/outbox/schema.ts';
import type { Settings } from '../../shared/settings.ts';
import type { OpsHost } from './session-ops.ts';
import { decideFailure } from './policy.ts';
import type { TokenBucket } from './token-bucket.ts';
import { TransportError } from './transport-error.ts';

export class ChunkUploader {
  constructor(
    private readonly host: OpsHost,
    private readonly settings: Settings,
    private readonly bucket: TokenBucket | null,
  ) {}

  /** Never rejects: every outcome ends in an outbox transition (or, on storage failure, a log). */
  async upload(rec: RecordingRecord, chunk: ChunkRecord): Promise<void> {
    const { outbox, transport, clock, logger } = this.host.ports;
    const sessionId = rec.sessionId;
    const where = { recordingId: rec.id, index: chunk.index };
    try {
      if (sessionId === null || chunk.data === null) throw new Error('claimed chunk without session or bytes');
      if (chunk.attempts === 0) logger.info({ ...where, size: chunk.size }, 'chunk-queued');
      if (this.bucket) await this.bucket.take(chunk.size, this.host.signal);
      const t0 = clock.now();
      const res = await transport.putChunk({ sessionId, index: chunk.index, data: chunk.data, sha256: chunk.sha256 }, this.host.signal);
      // A 2xx confirms only what the server hashed itself: its SHA-256 must be ours (RFC 9530
      // protects the request; this protects against a server or proxy that stored something else).
      if (res.sha256 !== chunk.sha256 || res.index !== chunk.index) {
        throw new TransportError('bad_response', { status: 200, code: 'digest_mismatch', message: 'answer SHA-256 differs from the local chunk' });
      }
      const at = clock.now();
      await outbox.markChunkUploaded(rec.id, chunk.index, { at, uploadMs: at - t0 });
      this.host.chunkConfirmed(rec.id, chunk.index);
      logger.info({ ...where, attempts: chunk.attempts + 1, uploadMs: at - t0, duplicate: res.duplicate }, 'chunk-uploaded');
    } catch (e) {
      try {
        await this.onFailure(rec, chunk, e);
      } catch (storageError) {
        // The chunk stays `uploading`; the next drain's stale reset puts it back to pending.
        logger.error({ ...where, err: String(storageError) }, 'outbox-write-failed');
      }
    } finally {
      this.host.emit();
    }
  }

  private async onFailure(rec: RecordingRecord, chunk: ChunkRecord, e: unknown): Promise<void> {
    const { outbox, clock, logger, connectivity } = this.host.ports;
    const where = { recordingId: rec.id, index: chunk.index };
    const attempts = chunk.attempts + 1;
    const maxAttempts = this.settings.maxAttempts;
    const code = e instanceof TransportError ? e.errorCode : 'client_error';
    const lastError = { code, message: e instanceof Error ? e.message : String(e), at: clock.now(), ...statusOf(e) };
    let action = decideFailure(e, { online: connectivity.isOnline(), attempts, settings: this.settings, random: this.host.random });
    if (action.kind === 'session-lost' && !(await this.host.sessionLost(rec.id, rec.sessionId, code))) {
      action = { kind: 'fail', code: 'session_lost' };
    }
    switch (action.kind) {
      case 'hold':
      case 'session-lost':
        await outbox.markChunkRetry(rec.id, chunk.index, { burn: false, nextAttemptAt: null, error: null });
        return;
      case 'hold-offline':
        await outbox.markChunkRetry(rec.id, chunk.index, { burn: false, nextAttemptAt: null, error: null });
        this.host.holdOffline();
        return;
      case 'hold-auth':
        await outbox.markChunkRetry(rec.id, chunk.index, { burn: false, nextAttemptAt: null, error: null });
        this.host.holdAuth(await outbox.getToken());
        return;
      case 'retry': {
        const nextAttemptAt = clock.now() + action.delayMs;
        await outbox.markChunkRetry(rec.id, chunk.index, { burn: true, nextAttemptAt, error: lastError });
        this.host.retries.set(rec.id, { index: chunk.index, attempt: attempts, maxAttempts, nextAttemptAt });
        logger.warn({ ...where, attempt: attempts, maxAttempts, delayMs: action.delayMs, code }, 'chunk-retry');
        return;
      }
      case 'fail': {
        const err = { ...lastError, code: action.code };
        await outbox.markChunkFailed(rec.id, chunk.index, err);
        this.host.setError(rec.id, err);
        if (this.host.retries.get(rec.id)?.index === chunk.index) this.host.retries.delete(rec.id);
        logger.error({ ...where, attempts, maxAttempts, code: action.code }, 'chunk-failed');
        return;
      }
    }
  }
}

function statusOf(e: unknown): { status?: number } {
  return e instanceof TransportError && e.status !== null ? { status: e.status } : {};
}
