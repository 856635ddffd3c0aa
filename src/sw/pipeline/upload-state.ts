/**
 * The pipeline's in-memory facts, with one owner: holds (offline, auth), the per-recording
 * retry/wait news and errors that progress shows, and which recordings are finalizing. The
 * session operations and the chunk uploader *report* into it through these methods; the
 * pipeline reads it to decide whether to go on and to build progress. Everything here is
 * rebuilt after a restart (the outbox holds the truth; a start re-arms every waiting item).
 */
import type { LastError } from '../../shared/outbox/schema.ts';
import type { Logger } from '../../shared/log.ts';
import type { ChunkWait } from '../../shared/outbox/queue.ts';
import type { RetryInfo } from './progress.ts';

export class UploadState {
  /** The token that was answered 401; uploads hold until the outbox holds a different one. */
  authBlockedToken: string | null | undefined = undefined;
  offlineSeen = false;
  stopped = false;
  /** Latest backoff news per recording (the chunk or operation that waits). */
  readonly retries = new Map<string, RetryInfo>();
  /** Per recording: index → retry deadline of chunks shown failed that will be retried on their own. */
  readonly waiting = new Map<string, Map<number, number>>();
  /** Per recording: deadline of an init/finalize that spent its attempts and keeps retrying. */
  readonly opWaiting = new Map<string, number>();
  readonly finalizing = new Set<string>();
  readonly errors = new Map<string, LastError>();
  private pressSeq = 0;
  private pressAll = 0;
  private readonly presses = new Map<string, number>();

  constructor(private readonly logger: Logger) {}

  holdAuth(token: string | null): void {
    if (this.authBlockedToken === undefined) this.logger.warn({}, 'auth-required');
    this.authBlockedToken = token;
  }

  holdOffline(): void {
    if (!this.offlineSeen) this.logger.info({}, 'offline');
    this.offlineSeen = true;
  }

  get authHeld(): boolean {
    return this.authBlockedToken !== undefined;
  }

  /** A chunk will be tried again at `info.nextAttemptAt`; `exhausted` ones show as failed. */
  chunkWaits(recordingId: string, info: RetryInfo, exhausted: boolean): void {
    this.retries.set(recordingId, info);
    const waiting = this.waiting.get(recordingId) ?? new Map<number, number>();
    if (exhausted) waiting.set(info.index, info.nextAttemptAt);
    else waiting.delete(info.index);
    this.waiting.set(recordingId, waiting);
  }

  chunkSettled(recordingId: string, index: number): void {
    if (this.retries.get(recordingId)?.index === index) this.retries.delete(recordingId);
    this.waiting.get(recordingId)?.delete(index);
  }

  /**
   * Something reached the server, or a wake-up came: every waiting item is due now, or when the
   * outbox says (`chunks`: a chunk the server asked to wait with Retry-After stays due then).
   */
  allDue(now: number, chunks: readonly ChunkWait[] = []): void {
    const at = new Map(chunks.map((c) => [`${c.recordingId}#${c.index}`, c.at]));
    for (const [id, w] of this.waiting) for (const k of w.keys()) w.set(k, at.get(`${id}#${k}`) ?? now);
    for (const c of chunks) {
      if (!c.failed) continue;
      const w = this.waiting.get(c.recordingId) ?? new Map<number, number>();
      this.waiting.set(c.recordingId, w.set(c.index, c.at));
    }
    for (const [id, r] of this.retries) this.retries.set(id, { ...r, nextAttemptAt: at.get(`${id}#${r.index}`) ?? now });
    for (const id of this.opWaiting.keys()) this.opWaiting.set(id, now);
  }

  /** The user pressed Retry (for one recording, or all). */
  retryPressed(recordingId?: string): void {
    this.pressSeq++;
    if (recordingId === undefined) this.pressAll = this.pressSeq;
    else this.presses.set(recordingId, this.pressSeq);
  }

  /**
   * A mark that changes whenever Retry is pressed for this recording: a request that fails with a
   * different mark than it started with was in flight during the press, and is tried again at once
   * (the press would otherwise find nothing failed to reset, and be lost).
   */
  pressMark(recordingId: string): number {
    return Math.max(this.pressAll, this.presses.get(recordingId) ?? 0);
  }

  setError(recordingId: string, err: LastError | null): void {
    if (err) this.errors.set(recordingId, err);
    else this.errors.delete(recordingId);
  }

  /** The user pressed Retry (or the recording completed): forget its waits and errors. */
  forget(recordingId?: string): void {
    for (const m of [this.retries, this.waiting, this.opWaiting, this.errors] as Map<string, unknown>[]) {
      if (recordingId === undefined) m.clear();
      else m.delete(recordingId);
    }
  }

  /** Chunks shown failed that retry on their own, and the earliest next try of this recording. */
  waitingOf(recordingId: string): { count: number; nextTryAt: number | null; opWaiting: boolean } {
    const w = this.waiting.get(recordingId);
    let next: number | null = this.opWaiting.get(recordingId) ?? null;
    const r = this.retries.get(recordingId);
    if (r && (next === null || r.nextAttemptAt < next)) next = r.nextAttemptAt;
    for (const t of w?.values() ?? []) if (next === null || t < next) next = t;
    return { count: w?.size ?? 0, nextTryAt: next, opWaiting: this.opWaiting.has(recordingId) };
  }
}
