/**
 * The upload pipeline: drains the outbox to the server. Pure policy over injected ports, so the
 * service worker, the page's fallback and the Node tests run this same code.
 *
 * One drain at a time: concurrent drain() calls coalesce into the running one (and make it look
 * again before it returns). A drain works until nothing can progress *now*: it sleeps through
 * short backoffs itself (≤ MAX_INLINE_WAIT_MS) so a worker's `waitUntil(drain())` finishes the
 * job, and returns `nextWakeAt` for longer ones. Chunk state lives in the outbox, never only
 * here, so a new pipeline after a crash resumes exactly where the old one stopped.
 */
import type { LastError, RecordingRecord } from '../../shared/outbox/schema.ts';
import type { Settings } from '../../shared/settings.ts';
import type { ProgressSnapshot } from '../../shared/progress.ts';
import type { DrainOutcome, PipelinePorts } from './ports.ts';
import { buildSnapshot, type RetryInfo } from './progress.ts';
import { SessionOps, type OpsHost } from './session-ops.ts';
import { ChunkUploader } from './chunk-uploader.ts';
import { TokenBucket } from './token-bucket.ts';

export type { DrainOutcome } from './ports.ts';

/** Backoffs up to this long are waited out inside drain(); longer ones end it with nextWakeAt. */
export const MAX_INLINE_WAIT_MS = 30_000;

export class UploadPipeline implements OpsHost {
  readonly ports: PipelinePorts;
  readonly random: () => number;
  private running: Promise<DrainOutcome> | null = null;
  private kick = false;
  /** Set when an upload settles; read by the drain loop so no freed slot goes unnoticed. */
  private slotFreed = false;
  private stopped = false;
  private readonly abort = new AbortController();
  private wake: AbortController | null = null;
  /** The token that was answered 401; uploads hold until the outbox holds a different one. */
  private authBlockedToken: string | null | undefined = undefined;
  private offlineSeen = false;
  private readonly listeners = new Set<(s: ProgressSnapshot) => void>();
  private emitChain: Promise<void> = Promise.resolve();
  private emitQueued = false;
  readonly retries = new Map<string, RetryInfo>();
  readonly finalizing = new Set<string>();
  readonly errors = new Map<string, { code: string; message: string; at: number }>();
  private readonly unsubscribe: () => void;
  private readonly ops: SessionOps;

  constructor(ports: PipelinePorts) {
    this.ports = ports;
    this.random = ports.random ?? Math.random;
    this.ops = new SessionOps(this);
    this.unsubscribe = ports.connectivity.onChange((online) => this.onConnectivity(online));
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Works until nothing can progress now. Concurrent calls coalesce into the running drain. */
  drain(reason: string): Promise<DrainOutcome> {
    if (this.running) {
      this.kick = true;
      this.wake?.abort();
      return this.running;
    }
    const run = this.run(reason);
    this.running = run;
    return run;
  }

  /** Failed chunks (of one recording, or all) back to pending with attempts reset; then drains. */
  async retry(recordingId?: string): Promise<DrainOutcome> {
    const n = await this.ports.outbox.resetFailed(recordingId);
    this.ops.forget(recordingId);
    this.ports.logger.info({ recordingId: recordingId ?? null, chunks: n }, 'retry-requested');
    this.emit();
    return this.drain('retry');
  }

  async snapshot(): Promise<ProgressSnapshot> {
    const { outbox, clock, connectivity } = this.ports;
    const recs = await outbox.listRecordings();
    const recordings = await Promise.all(recs.map(async (rec) => ({ rec, counts: await outbox.chunkCounts(rec.id) })));
    return buildSnapshot({
      at: clock.now(),
      online: connectivity.isOnline(),
      authRequired: this.authBlockedToken !== undefined,
      active: this.running !== null,
      recordings,
      retries: this.retries,
      finalizing: this.finalizing,
      errors: this.errors,
    });
  }

  onProgress(listener: (s: ProgressSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Aborts in-flight requests and ends the running drain; their chunks go back to pending
   * without an attempt burned. Terminal: a stopped pipeline does no more work (make a new one).
   */
  stop(): void {
    this.stopped = true;
    this.abort.abort(new Error('pipeline stopped'));
    this.wake?.abort();
    this.unsubscribe();
  }

  // ---- OpsHost ---------------------------------------------------------------------------

  emit(): void {
    if (this.listeners.size === 0 || this.emitQueued) return;
    this.emitQueued = true;
    this.emitChain = this.emitChain.then(async () => {
      this.emitQueued = false;
      try {
        const s = await this.snapshot();
        for (const l of this.listeners) l(s);
      } catch (e) {
        this.ports.logger.warn({ err: String(e) }, 'progress-failed');
      }
    });
  }

  holdAuth(token: string | null): void {
    if (this.authBlockedToken === undefined) this.ports.logger.warn({}, 'auth-required');
    this.authBlockedToken = token;
  }

  holdOffline(): void {
    if (!this.offlineSeen) this.ports.logger.info({}, 'offline');
    this.offlineSeen = true;
  }

  get holding(): boolean {
    return this.stopped || this.authBlockedToken !== undefined || !this.ports.connectivity.isOnline();
  }

  chunkConfirmed(recordingId: string, index: number): void {
    this.ops.confirmed(recordingId);
    if (this.retries.get(recordingId)?.index === index) this.retries.delete(recordingId);
  }

  sessionLost(recordingId: string, sessionIdUsed: string | null, code: string): Promise<boolean> {
    return this.ops.sessionLost(recordingId, sessionIdUsed, code);
  }

  setError(recordingId: string, err: LastError | null): void {
    if (err) this.errors.set(recordingId, err);
    else this.errors.delete(recordingId);
  }

  // ---- the drain loop ------------------------------------------------------------------

  private async run(reason: string): Promise<DrainOutcome> {
    try {
      for (;;) {
        const outcome = await this.drainOnce(reason);
        // A drain() that arrived after our last look must not be answered with stale news.
        if (this.kick && !this.stopped && outcome.blocked === null) {
          reason = 'coalesced';
          continue;
        }
        this.running = null;
        this.emit();
        await this.emitChain;
        return outcome;
      }
    } catch (e) {
      this.running = null;
      throw e;
    }
  }

  private async drainOnce(reason: string): Promise<DrainOutcome> {
    const { outbox, clock, logger } = this.ports;
    this.kick = false;
    if (this.stopped) return this.outcome(null, null);
    logger.debug({ reason }, 'drain-start');
    // No upload of ours is in flight between drains, so anything `uploading` is a dead run's.
    const stale = await outbox.resetStaleUploading();
    if (stale > 0) logger.info({ chunks: stale }, 'stale-uploads-reset');
    this.ops.newDrain();
    const settings = await outbox.getSettings();
    const uploader = new ChunkUploader(this, settings, TokenBucket.fromKbps(clock, settings.bandwidthCapKbps));
    const inflight = new Map<string, Promise<void>>();
    let nextWakeAt: number | null = null;
    this.emit();
    try {
      for (;;) {
        this.kick = false;
        if (await this.checkHold()) break;
        let progressed = false;
        const recs = await outbox.listActiveRecordings();
        for (const rec of recs) {
          if (this.holding) break;
          if (rec.sessionId === null && (await this.ops.init(rec, settings))) progressed = true;
        }
        if (this.holding) continue;
        this.slotFreed = false;
        progressed = (await this.fill(recs, settings, uploader, inflight)) || progressed;
        for (const rec of recs) {
          if (this.holding) break;
          if (await this.ops.maybeFinalize(rec.id, settings, inflight)) progressed = true;
        }
        if (inflight.size > 0) {
          // An upload that finished while we were filling or finalizing freed a slot the race
          // below would not notice: refill first, or one slow request would hold the pipeline at 1.
          if (!this.slotFreed) await Promise.race(inflight.values());
          continue;
        }
        if (progressed || this.kick) continue;
        const wakeAt = this.earliest(await outbox.earliestBackoff(), this.ops.earliestWake());
        if (wakeAt === null) break;
        if (wakeAt - clock.now() > MAX_INLINE_WAIT_MS) {
          nextWakeAt = wakeAt;
          break;
        }
        await this.sleepUntil(wakeAt);
      }
    } finally {
      await Promise.allSettled(inflight.values());
    }
    const blocked = this.stopped ? null : this.authBlockedToken !== undefined ? 'auth' : this.ports.connectivity.isOnline() ? null : 'offline';
    return this.outcome(blocked, blocked ? null : nextWakeAt);
  }

  /** Starts uploads up to the concurrency limit: oldest recording first, index order. */
  private async fill(
    recs: RecordingRecord[],
    settings: Settings,
    uploader: ChunkUploader,
    inflight: Map<string, Promise<void>>,
  ): Promise<boolean> {
    let started = false;
    for (const rec of recs) {
      const free = settings.concurrency - inflight.size;
      if (free <= 0 || this.holding) break;
      if (rec.sessionId === null) continue;
      const claimed = await this.ports.outbox.claimReadyChunks(rec.id, free, this.ports.clock.now());
      for (const chunk of claimed) {
        const key = `${rec.id}#${chunk.index}`;
        const p = uploader.upload(rec, chunk).finally(() => {
          inflight.delete(key);
          this.slotFreed = true;
        });
        inflight.set(key, p);
        started = true;
      }
      if (claimed.length > 0) this.emit();
    }
    return started;
  }

  /** True when the drain must stop now (stopped, offline, or auth held with the same token). */
  private async checkHold(): Promise<boolean> {
    if (this.stopped) return true;
    if (!this.ports.connectivity.isOnline()) {
      this.holdOffline();
      return true;
    }
    if (this.authBlockedToken !== undefined) {
      const token = await this.ports.outbox.getToken();
      if (token === this.authBlockedToken) return true;
      this.authBlockedToken = undefined;
      this.ports.logger.info({}, 'auth-resumed');
    }
    return false;
  }

  private earliest(a: number | null, b: number | null): number | null {
    if (a === null) return b;
    if (b === null) return a;
    return Math.min(a, b);
  }

  private async sleepUntil(at: number): Promise<void> {
    this.wake = new AbortController();
    try {
      await this.ports.clock.sleep(Math.max(0, at - this.ports.clock.now()), AbortSignal.any([this.wake.signal, this.abort.signal]));
    } catch {
      // Woken early: new work, connectivity change or stop. The loop looks again.
    } finally {
      this.wake = null;
    }
  }

  private async outcome(blocked: DrainOutcome['blocked'], nextWakeAt: number | null): Promise<DrainOutcome> {
    const { outbox } = this.ports;
    let failed = 0;
    let work = false;
    for (const rec of await outbox.listActiveRecordings()) {
      const c = await outbox.chunkCounts(rec.id);
      failed += c.failed;
      if (c.pending + c.uploading > 0 || this.ops.needsWork(rec, c)) work = true;
    }
    return { done: !work, blocked, nextWakeAt, failed };
  }

  private onConnectivity(online: boolean): void {
    if (this.stopped) return;
    if (!online) {
      this.holdOffline();
      this.wake?.abort();
      this.emit();
      return;
    }
    this.ports.logger.info({}, 'connectivity-restored');
    this.offlineSeen = false;
    // Failed chunks get new attempts on reconnect, not only by the user's hand: the cause of
    // their failure may have been the lost connection.
    this.retry().catch((e) => this.ports.logger.error({ err: String(e) }, 'drain-failed'));
  }
}
