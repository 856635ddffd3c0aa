/**
 * Per-recording server operations: init (deferred while offline; idempotent by recordingId),
 * finalize (repeated when its answer was lost; idempotent on the server), recovery of a lost
 * session, and the completion check: local bytes are released only when the server's chunks
 * digest equals the one computed here from the local chunks (docs/API.md "Which digest proves
 * what"); from a server that sends none, its SHA-256 of the recording is compared instead; when
 * the server sent neither yet, the video's status is asked again (with backoff) until it does —
 * a recording is never called complete unchecked.
 *
 * Choice on init's `chunks` (what the server already holds): it is recorded, but no local chunk
 * is marked uploaded from it, because a range carries no SHA-256. A pending chunk is simply
 * re-sent; the server answers a duplicate with its own SHA-256, which we verify. A lost answer
 * therefore costs one chunk of bandwidth, never an unverified confirmation.
 */
import { USER_ACTION_FAILURES } from '../../shared/errors.ts';
import { countInRanges } from '../../shared/ranges.ts';
import type { ChunkCounts } from '../../shared/outbox/queue.ts';
import type { CompletionCheck, LastError, RecordingRecord } from '../../shared/outbox/schema.ts';
import type { Settings } from '../../shared/settings.ts';
import { OUTBOX_ERRORS } from '../../shared/outbox/errors.ts';
import type { FailureHandler } from './failure-handler.ts';
import { completionOf, digestsToCompare, type ServerCompletion } from './completion-check.ts';
import { missingIndices } from './missing.ts';
import { jitteredDelayMs } from './policy.ts';
import type { PipelinePorts } from './ports.ts';
import type { UploadState } from './upload-state.ts';

export interface SessionOpsDeps {
  ports: PipelinePorts;
  state: UploadState;
  signal: AbortSignal;
  /** Late-bound: the handler itself calls back into sessionLost(). */
  failures: () => FailureHandler;
  /** Progress changed. */
  emit(): void;
  /** An operation got a 2xx: the server is back, whatever waits may go now. */
  onServerAnswered(): Promise<void>;
}

interface Backoff {
  attempts: number;
  nextAt: number;
  /** The server's Retry-After deadline: wake-ups do not bring the next try before it. */
  notBefore: number | null;
}

export class SessionOps {
  private readonly backoff = new Map<string, Backoff>();
  /** Operations that failed with an answer waiting cannot change; cleared by the user's Retry. */
  private readonly givenUp = new Set<string>();
  /** Confirmed-chunk counter per recording; finalize repeats only when it moved. */
  private readonly confirmations = new Map<string, number>();
  private readonly finalizedAt = new Map<string, number>();
  private readonly reinited = new Set<string>();
  private readonly lossChain = new Map<string, Promise<boolean>>();
  /** Complete on the server, but with no digest to check yet: recordingId → status polls made. */
  private readonly unchecked = new Map<string, number>();

  constructor(private readonly d: SessionOpsDeps) {}

  /** After the user's Retry: forget finalize memos, backoffs and re-init guards (one recording or all). */
  forget(recordingId?: string): void {
    const hit = (key: string) => recordingId === undefined || key.endsWith(`:${recordingId}`) || key === recordingId;
    for (const m of [this.backoff, this.finalizedAt]) for (const k of [...m.keys()]) if (hit(k)) m.delete(k);
    for (const s of [this.givenUp, this.reinited]) for (const k of [...s]) if (hit(k)) s.delete(k);
  }

  /** A wake-up (start, online, sync, a 2xx): every backed-off operation is due now, or at its Retry-After. */
  allDue(now: number): void {
    for (const [key, b] of this.backoff) {
      b.nextAt = Math.min(b.nextAt, Math.max(now, b.notBefore ?? 0));
      const recordingId = key.slice(key.indexOf(':') + 1);
      if (this.d.state.opWaiting.has(recordingId)) this.d.state.opWaiting.set(recordingId, b.nextAt);
    }
  }

  confirmed(recordingId: string): void {
    this.confirmations.set(recordingId, (this.confirmations.get(recordingId) ?? 0) + 1);
  }

  earliestWake(): number | null {
    let min: number | null = null;
    for (const [key, b] of this.backoff) if (!this.givenUp.has(key) && (min === null || b.nextAt < min)) min = b.nextAt;
    return min;
  }

  /** Whether this recording still has init or finalize work this pipeline could do. */
  needsWork(rec: RecordingRecord, c: ChunkCounts): boolean {
    if (rec.sessionId === null) return !this.givenUp.has(`init:${rec.id}`);
    if (this.unchecked.has(rec.id)) return !this.givenUp.has(`status:${rec.id}`);
    return this.finalizeDue(rec, c);
  }

  async init(rec: RecordingRecord, settings: Settings): Promise<boolean> {
    const key = `init:${rec.id}`;
    if (!this.ready(key)) return false;
    const { outbox, transport, logger } = this.d.ports;
    const press = this.d.state.pressMark(rec.id);
    try {
      const st = await transport.init(
        {
          recordingId: rec.id,
          mimeType: rec.mimeType,
          startedAt: new Date(rec.createdAt).toISOString(),
          ...(rec.title ? { title: rec.title } : {}),
        },
        this.d.signal,
      );
      await this.answered(key, rec.id);
      if (st.state === 'expired') {
        // Same recordingId, same (expired) session: the server will not take these chunks again.
        await this.failLoudly(key, rec.id, 'session_expired', USER_ACTION_FAILURES.session_expired);
        return false;
      }
      await outbox.patchRecording(rec.id, {
        sessionId: st.sessionId,
        videoId: st.videoId,
        shareUrl: st.shareUrl,
        videoUrl: st.videoUrl,
        serverChunks: st.chunks,
        lastError: null,
      });
      logger.info({ recordingId: rec.id, sessionId: st.sessionId, serverHolds: countInRanges(st.chunks) }, 'session-init');
      if (st.state === 'complete') await this.complete(rec.id, completionOf(st), settings);
      this.d.emit();
      return true;
    } catch (e) {
      await this.failed(key, rec.id, rec.sessionId, e, settings, press);
      return false;
    }
  }

  /** Finalizes when the recording is stopped and none of its chunks is pending or in flight. */
  async maybeFinalize(recordingId: string, settings: Settings, inflight: ReadonlyMap<string, unknown>): Promise<boolean> {
    const { outbox, transport, logger, clock } = this.d.ports;
    const rec = await outbox.getRecording(recordingId);
    if (!rec || [...inflight.keys()].some((k) => k.startsWith(`${recordingId}#`))) return false;
    if (this.unchecked.has(rec.id)) return this.recheck(rec, settings);
    const counts = await outbox.chunkCounts(recordingId);
    if (!this.finalizeDue(rec, counts)) return false;
    const key = `finalize:${rec.id}`;
    if (!this.ready(key)) return false;
    if (rec.totalChunks === 0) {
      // Nothing was captured; the API has nothing to finalize (totalChunks ≥ 1).
      this.finalizedAt.set(rec.id, this.confirmations.get(rec.id) ?? 0);
      logger.warn({ recordingId }, 'empty-recording');
      return false;
    }
    this.d.state.finalizing.add(rec.id);
    this.d.emit();
    const press = this.d.state.pressMark(rec.id);
    try {
      const res = await transport.finalize(
        { sessionId: rec.sessionId!, totalChunks: rec.totalChunks!, uploadedChunks: counts.uploaded },
        this.d.signal,
      );
      await this.answered(key, rec.id);
      if (res.status === 'complete') {
        const { chunksDigest, sha256, size, shareUrl, videoUrl } = res;
        await this.complete(rec.id, { chunksDigest: chunksDigest ?? null, sha256, size, shareUrl, videoUrl }, settings);
      } else {
        this.finalizedAt.set(rec.id, this.confirmations.get(rec.id) ?? 0);
        const missing = missingIndices(res);
        await outbox.patchRecording(rec.id, { missing });
        const requeued = await outbox.requeueUploaded(rec.id, missing);
        logger.info(
          { recordingId, status: 'incomplete', received: res.receivedChunks, total: res.totalChunks, missing: missing.length, requeued: requeued.length, at: clock.now() },
          'finalize-result',
        );
      }
    } catch (e) {
      await this.failed(key, rec.id, rec.sessionId, e, settings, press);
    } finally {
      this.d.state.finalizing.delete(rec.id);
      this.d.emit();
    }
    return true;
  }

  /**
   * The server no longer knows the session (404/410). The chunks are all still local (bytes are
   * released only after completion), so: forget the session, re-queue every confirmed chunk and
   * let init create a new one. Once per recording per run; a second loss fails loudly.
   */
  sessionLost(recordingId: string, sessionIdUsed: string | null, code: string): Promise<boolean> {
    // Serialized per recording: sibling requests of the same lost session must see the first
    // one's recovery (session cleared), not race it and count as a second loss.
    const prev = this.lossChain.get(recordingId) ?? Promise.resolve(true);
    const next = prev.catch(() => true).then(() => this.recoverSession(recordingId, sessionIdUsed, code));
    this.lossChain.set(recordingId, next);
    return next;
  }

  private async recoverSession(recordingId: string, sessionIdUsed: string | null, code: string): Promise<boolean> {
    const { outbox, logger } = this.d.ports;
    const rec = await outbox.getRecording(recordingId);
    if (!rec) return false;
    if (rec.sessionId !== sessionIdUsed) return true; // already recovered by a sibling request
    if (this.reinited.has(recordingId)) {
      await this.failLoudly(`init:${recordingId}`, recordingId, 'session_lost', USER_ACTION_FAILURES.session_lost);
      return false;
    }
    this.reinited.add(recordingId);
    this.unchecked.delete(recordingId);
    this.backoff.delete(`status:${recordingId}`);
    await outbox.patchRecording(recordingId, { sessionId: null, videoId: null, serverChunks: null });
    const requeued = await outbox.requeueUploaded(recordingId, null);
    this.finalizedAt.delete(recordingId);
    logger.warn({ recordingId, code, requeued: requeued.length }, 'session-lost');
    return true;
  }

  private finalizeDue(rec: RecordingRecord, c: ChunkCounts): boolean {
    if (rec.state !== 'stopped' && rec.state !== 'interrupted') return false;
    if (rec.totalChunks === null || rec.sessionId === null || c.pending + c.uploading > 0) return false;
    if (this.givenUp.has(`finalize:${rec.id}`) || this.unchecked.has(rec.id)) return false;
    const memo = this.finalizedAt.get(rec.id);
    return memo === undefined || memo !== (this.confirmations.get(rec.id) ?? 0);
  }

  /** Asks for the status of a video the server called complete without a digest we could check. */
  private async recheck(rec: RecordingRecord, settings: Settings): Promise<boolean> {
    const key = `status:${rec.id}`;
    if (!this.ready(key) || rec.videoId === null) return false;
    const press = this.d.state.pressMark(rec.id);
    try {
      const st = await this.d.ports.transport.status(rec.videoId, this.d.signal);
      this.d.state.opWaiting.delete(rec.id);
      if (st.state === 'complete') {
        await this.complete(rec.id, completionOf(st), settings);
      } else {
        // The server no longer calls it complete (it cannot un-complete today): finalize again.
        this.unchecked.delete(rec.id);
        this.backoff.delete(key);
      }
    } catch (e) {
      await this.failed(key, rec.id, rec.sessionId, e, settings, press);
    }
    return true;
  }

  private async complete(recordingId: string, server: ServerCompletion, settings: Settings): Promise<void> {
    const { outbox, logger, clock } = this.d.ports;
    const rec = await outbox.getRecording(recordingId);
    if (!rec) return;
    const check = await digestsToCompare(this.d.ports.outbox, rec, server);
    if (check === null) {
      await this.awaitCheckable(recordingId, settings);
      return;
    }
    this.unchecked.delete(recordingId);
    this.backoff.delete(`status:${recordingId}`);
    if (check.local !== null && check.local === check.digest) {
      const release = !settings.keepLocalCopy;
      const verified: CompletionCheck = { by: check.by, digest: check.digest };
      await outbox.completeRecording(recordingId, { check: verified, serverSize: server.size, shareUrl: server.shareUrl, videoUrl: server.videoUrl, at: clock.now(), release });
      this.d.state.setError(recordingId, null);
      this.d.state.retries.delete(recordingId);
      logger.info({ recordingId, status: 'complete', size: server.size, checkedBy: check.by, digest: check.digest, released: release }, 'finalize-result');
      return;
    }
    // Never release or call complete a video whose bytes differ from what was recorded.
    this.finalizedAt.set(recordingId, this.confirmations.get(recordingId) ?? 0);
    const err = { code: 'assembled_mismatch', message: OUTBOX_ERRORS.assembled_mismatch, at: clock.now() };
    await outbox.patchRecording(recordingId, { lastError: err });
    this.d.state.setError(recordingId, err);
    logger.error({ recordingId, status: 'mismatch', checkedBy: check.by, serverDigest: check.digest, localDigest: check.local }, 'finalize-result');
  }

  /** Complete on the server, nothing to check yet: keep every local byte and ask again later. */
  private async awaitCheckable(recordingId: string, settings: Settings): Promise<void> {
    const polls = (this.unchecked.get(recordingId) ?? 0) + 1;
    this.unchecked.set(recordingId, polls);
    const nextAt = this.d.ports.clock.now() + jitteredDelayMs({ settings, random: this.d.ports.random ?? Math.random }, polls);
    this.backoff.set(`status:${recordingId}`, { attempts: 0, nextAt, notBefore: null });
    this.d.ports.logger.info({ recordingId, polls, nextAt }, 'completion-unchecked');
  }

  private ready(key: string): boolean {
    if (this.givenUp.has(key)) return false;
    const b = this.backoff.get(key);
    return !b || b.nextAt <= this.d.ports.clock.now();
  }

  private async answered(key: string, recordingId: string): Promise<void> {
    const waited = this.backoff.has(key);
    this.backoff.delete(key);
    this.d.state.opWaiting.delete(recordingId);
    if (waited) await this.d.onServerAnswered();
  }

  /** `press`: the user's Retry mark when the request started (UploadState.pressMark). */
  private async failed(key: string, recordingId: string, sessionId: string | null, e: unknown, settings: Settings, press: number): Promise<void> {
    const attempts = (this.backoff.get(key)?.attempts ?? 0) + 1;
    const op = key.startsWith('init:') ? 'init' : key.startsWith('status:') ? 'status' : 'finalize';
    const r = await this.d.failures().resolve(e, { op, recordingId, sessionId, attempts }, settings);
    if (r.kind === 'hold') return;
    if (this.d.state.pressMark(recordingId) !== press) {
      // Retry was pressed while this request was in flight: one more try at once, counted afresh.
      this.backoff.delete(key);
      this.givenUp.delete(key);
      this.d.state.opWaiting.delete(recordingId);
      this.d.state.setError(recordingId, null);
      this.d.ports.logger.info({ recordingId, op }, 'retry-pressed-in-flight');
      return;
    }
    if (r.kind === 'fail') {
      await this.giveUp(key, recordingId, r.error);
      return;
    }
    this.backoff.set(key, { attempts, nextAt: r.nextAttemptAt, notBefore: r.notBefore });
    if (r.exhausted) this.d.state.opWaiting.set(recordingId, r.nextAttemptAt);
  }

  private async failLoudly(key: string, recordingId: string, code: string, message: string): Promise<void> {
    await this.giveUp(key, recordingId, { code, message, at: this.d.ports.clock.now() });
    this.d.ports.logger.error({ recordingId, op: key.split(':')[0], code }, 'op-failed');
  }

  /** Until the user's Retry: the operation waits no more, and the recording says why. */
  private async giveUp(key: string, recordingId: string, err: LastError): Promise<void> {
    this.givenUp.add(key);
    this.backoff.delete(key);
    this.d.state.opWaiting.delete(recordingId);
    await this.d.ports.outbox.patchRecording(recordingId, { lastError: err });
    this.d.state.setError(recordingId, err);
  }
}

