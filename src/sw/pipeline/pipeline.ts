/**
 * The upload pipeline: drains the outbox to the server. Pure policy over injected ports, so the
 * service worker, the page's fallback and the Node tests run this same code.
 *
 * One drain at a time, run by its host (src/sw/upload-host.ts, whose DrainScheduler is the one
 * place drain requests are coalesced); a request that arrives while a drain runs `nudge()`s it,
 * so a sleeping drain looks at the outbox again at once. A drain works until nothing can progress
 * now, sleeping through backoffs itself — up to `maxDrainMs` in all, so that the event a worker
 * keeps alive with `waitUntil(drain())` ends before the browser's limit (Chromium cuts a sync
 * event at 3 min, any event at 5 min) — and returns `nextWakeAt` for the rest. Chunk state lives
 * in the outbox, never only here, so a new pipeline after a crash resumes exactly where the old
 * one stopped.
 */
import type { RecordingRecord } from '../../shared/outbox/schema.ts';
import type { Settings } from '../../shared/settings.ts';
import type { ProgressSnapshot } from '../../shared/progress.ts';
import type { DrainOutcome, PipelinePorts } from './ports.ts';
import { buildSnapshot } from './progress.ts';
import { SessionOps } from './session-ops.ts';
import { ChunkUploader } from './chunk-uploader.ts';
import { FailureHandler } from './failure-handler.ts';
import { TokenBucket } from './token-bucket.ts';
import { UploadState } from './upload-state.ts';

export type { DrainOutcome } from './ports.ts';

/** Default for `maxDrainMs`: under Chromium's 3-minute limit for a sync event. */
export const MAX_DRAIN_MS = 150_000;

export interface PipelineOptions {
  /** A drain sleeps through backoffs only while they end within this long of its start. */
  maxDrainMs?: number;
}

export class UploadPipeline {
  private readonly ports: PipelinePorts;
  private readonly maxDrainMs: number;
  private readonly state: UploadState;
  private readonly ops: SessionOps;
  private readonly failures: FailureHandler;
  private running = false;
  /** Set by nudge(): the running drain must look again before it sleeps or returns. */
  private kick = false;
  /** Set when an upload settles; read by the drain loop so no freed slot goes unnoticed. */
  private slotFreed = false;
  private readonly abort = new AbortController();
  private wake: AbortController | null = null;
  private readonly listeners = new Set<(s: ProgressSnapshot) => void>();
  private emitChain: Promise<void> = Promise.resolve();
  private emitQueued = false;
  private readonly unsubscribe: () => void;

  constructor(ports: PipelinePorts, opts: PipelineOptions = {}) {
    this.ports = ports;
    this.maxDrainMs = opts.maxDrainMs ?? MAX_DRAIN_MS;
    this.state = new UploadState(ports.logger);
    const random = ports.random ?? Math.random;
    this.failures = new FailureHandler(ports, this.state, random, (id, session, code) => this.ops.sessionLost(id, session, code));
    this.ops = new SessionOps({
      ports,
      state: this.state,
      signal: this.abort.signal,
      failures: () => this.failures,
      emit: () => this.emit(),
      onServerAnswered: () => this.onServerAnswered(),
    });
    this.unsubscribe = ports.connectivity.onChange((online) => this.onConnectivity(online));
  }

  /** Works until nothing can progress now (or maxDrainMs). Not re-entrant: callers coalesce. */
  async drain(reason: string): Promise<DrainOutcome> {
    if (this.running) throw new Error('drain() while a drain runs: request it through the host, or nudge()');
    this.running = true;
    try {
      return await this.drainOnce(reason);
    } finally {
      this.running = false;
      this.emit();
      await this.emitChain;
    }
  }

  /** New work may exist: a sleeping drain wakes and looks again; a busy one looks again before it ends. */
  nudge(): void {
    this.kick = true;
    this.wake?.abort();
  }

  /**
   * The user's Retry (of one recording, or all): failed chunks — those waiting for the server and
   * those that needed the user — back to pending with attempts reset, operations forgotten.
   */
  async retry(recordingId?: string): Promise<void> {
    this.state.retryPressed(recordingId);
    const n = await this.ports.outbox.resetFailed(recordingId);
    this.ops.forget(recordingId);
    this.state.forget(recordingId);
    this.ports.logger.info({ recordingId: recordingId ?? null, chunks: n }, 'retry-requested');
    this.emit();
    this.nudge();
  }

  /**
   * A wake-up that suggests the server may answer again (start, online, sync, a 2xx): everything
   * waiting for it — backed-off chunks, exhausted ones, init/finalize — is due now, except what the
   * server itself asked to wait (Retry-After), which stays due when it asked. Answers that need the
   * user stay failed.
   */
  async wakeAll(why: string): Promise<void> {
    const now = this.ports.clock.now();
    const { rearmed, waiting } = await this.ports.outbox.rearmWaiting(now);
    this.state.allDue(now, waiting);
    this.ops.allDue(now);
    if (rearmed > 0) this.ports.logger.info({ why, chunks: rearmed }, 're-armed');
    this.emit();
    this.nudge();
  }

  async snapshot(): Promise<ProgressSnapshot> {
    const { outbox, clock, connectivity } = this.ports;
    const recs = await outbox.listRecordings();
    const recordings = await Promise.all(recs.map(async (rec) => ({ rec, counts: await outbox.chunkCounts(rec.id) })));
    return buildSnapshot({
      at: clock.now(),
      online: connectivity.isOnline(),
      active: this.running,
      recordings,
      state: this.state,
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
    this.state.stopped = true;
    this.abort.abort(new Error('pipeline stopped'));
    this.wake?.abort();
    this.unsubscribe();
  }

  private emit(): void {
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

  private get holding(): boolean {
    return this.state.stopped || this.state.authHeld || !this.ports.connectivity.isOnline();
  }

  /** Any 2xx after failures: the server is back, so nothing should sit out its backoff. */
  private async onServerAnswered(): Promise<void> {
    const s = this.state;
    const somethingWaits = s.retries.size > 0 || s.opWaiting.size > 0 || [...s.waiting.values()].some((w) => w.size > 0) || this.ops.earliestWake() !== null;
    if (somethingWaits) await this.wakeAll('server-answered');
  }

  // ---- the drain loop ------------------------------------------------------------------

  private async drainOnce(reason: string): Promise<DrainOutcome> {
    const { outbox, clock, logger } = this.ports;
    this.kick = false;
    if (this.state.stopped) return this.outcome(null, null);
    logger.debug({ reason }, 'drain-start');
    const deadline = clock.now() + this.maxDrainMs;
    // No upload of ours is in flight between drains, so anything `uploading` is a dead run's.
    const stale = await outbox.resetStaleUploading();
    if (stale > 0) logger.info({ chunks: stale }, 'stale-uploads-reset');
    const settings = await outbox.getSettings();
    const uploader = new ChunkUploader({
      ports: this.ports,
      state: this.state,
      failures: this.failures,
      settings,
      bucket: TokenBucket.fromKbps(clock, settings.bandwidthCapKbps),
      signal: this.abort.signal,
      onConfirmed: async (recordingId) => {
        this.ops.confirmed(recordingId);
        this.emit();
        await this.onServerAnswered();
      },
    });
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
        const wakeAt = earliest(await outbox.earliestBackoff(), this.ops.earliestWake());
        if (wakeAt === null) break;
        if (wakeAt > deadline) {
          nextWakeAt = wakeAt;
          break;
        }
        this.emit();
        await this.sleepUntil(wakeAt);
      }
    } finally {
      await Promise.allSettled(inflight.values());
    }
    const blocked = this.state.stopped ? null : this.state.authHeld ? 'auth' : this.ports.connectivity.isOnline() ? null : 'offline';
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
          this.emit();
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
    if (this.state.stopped) return true;
    if (!this.ports.connectivity.isOnline()) {
      this.state.holdOffline();
      return true;
    }
    if (this.state.authHeld) {
      const token = await this.ports.outbox.getToken();
      if (token === this.state.authBlockedToken) return true;
      this.state.authBlockedToken = undefined;
      this.ports.logger.info({}, 'auth-resumed');
    }
    return false;
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
    let work = (await outbox.earliestBackoff()) !== null || this.ops.earliestWake() !== null;
    for (const rec of await outbox.listActiveRecordings()) {
      const c = await outbox.chunkCounts(rec.id);
      failed += c.failed;
      if (c.pending + c.uploading > 0 || this.ops.needsWork(rec, c)) work = true;
    }
    return { done: !work, blocked, nextWakeAt, failed };
  }

  private onConnectivity(online: boolean): void {
    if (this.state.stopped) return;
    if (!online) {
      this.state.holdOffline();
      this.wake?.abort();
      this.emit();
      return;
    }
    // The host turns `online` into wakeAll + a drain; here the state and a sleeping drain learn it.
    this.ports.logger.info({}, 'connectivity-restored');
    this.state.offlineSeen = false;
    this.nudge();
  }
}

function earliest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}
