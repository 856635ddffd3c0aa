/**
 * The policy around one UploadPipeline, in whichever context runs it (the service worker; a page
 * with no worker runs the same host without Background Sync): what wakes a drain, when to ask the
 * browser for a Background Sync, and what to tell the pages. Pure: the worker's globals
 * (registration.sync, BroadcastChannel, navigator.onLine, timers) come in as ports, so
 * tests/sw/upload-host.test.ts runs it with fakes.
 *
 * Rules (DESIGN.md "Browser tests" and "Lessons from peers"):
 * - Drain on start-up, `online`, every valid page message, and `sync`; a sync also gives failed
 *   chunks a new round of attempts.
 * - A drain that ends with work left while the browser is offline registers the sync tag, so the
 *   browser wakes the worker when connectivity returns, even after every tab closed.
 * - Online with work left (server unreachable or failing, long backoff, a drain that threw): a
 *   timer retries while the worker lives, and the tag is registered as a safety net for when the
 *   browser stops the worker with no page open. Chromium fires an online registration at once; that
 *   sync's drain, still failing, *rejects on purpose*, which puts the tag into Chromium's retry
 *   backoff (minutes, a few attempts): the only wake-up a stopped worker gets while the server is
 *   down. Never register while a sync event is firing: Chromium re-fires a tag re-registered during
 *   its own event at once (reregistered-while-firing), which would loop.
 * - A sync that ends offline, blocked on auth, done, or on its last chance resolves: offline, the
 *   tag is pending again and fires on reconnect; a rejected sync would instead sit out the backoff
 *   (DESIGN.md: neither an online toggle nor re-registering re-fires it soon).
 */
import type { PageToWorker, WorkerToPage } from '../shared/messages.ts';
import { parsePageMessage } from '../shared/messages.ts';
import type { ProgressSnapshot } from '../shared/progress.ts';
import type { Logger } from '../shared/log.ts';
import { DrainScheduler, type LockRunner } from './drain-scheduler.ts';
import type { DrainOutcome } from './pipeline/ports.ts';

/** Online but the server could not be reached and gave no backoff deadline: try again after this. */
export const UNREACHABLE_RETRY_MS = 30_000;

export type DrainResult = DrainOutcome;
/** What the host needs of UploadPipeline (src/sw/pipeline/pipeline.ts). */
export interface HostedPipeline {
  drain(reason: string): Promise<DrainResult>;
  retry(recordingId?: string): Promise<DrainResult>;
  snapshot(): Promise<ProgressSnapshot>;
  onProgress(cb: (s: ProgressSnapshot) => void): () => void;
}

export interface UploadHostPorts {
  pipeline: HostedPipeline;
  /** Registers the Background Sync tag; may reject (unsupported, permission denied). Null in a page. */
  registerSync: (() => Promise<void>) | null;
  publish(message: WorkerToPage): void;
  isOnline(): boolean;
  now(): number;
  /** setTimeout-like; returns a cancel function. */
  setTimer(ms: number, fn: () => void): () => void;
  locks: LockRunner | null;
  logger: Logger;
}

export class UploadHost {
  readonly #ports: UploadHostPorts;
  readonly #scheduler: DrainScheduler<DrainResult>;
  #pendingRetry: { recordingId?: string } | null = null;
  #cancelTimer: (() => void) | null = null;
  #phases = new Map<string, string>();
  #authRequired = false;
  #seeded: Promise<void> | null = null;
  #syncsFiring = 0;

  constructor(ports: UploadHostPorts) {
    this.#ports = ports;
    this.#scheduler = new DrainScheduler((reason) => this.#drainOnce(reason), ports.locks);
    ports.pipeline.onProgress((s) => this.#onSnapshot(s));
  }

  /**
   * Seeds the "already announced" state from the current snapshot (so a restarted worker does
   * not re-announce old completions), publishes it, then drains.
   */
  start(): Promise<void> {
    this.#seeded ??= this.#ports.pipeline.snapshot().then(
      (s) => {
        for (const r of s.recordings) this.#phases.set(r.recordingId, r.phase);
        this.#authRequired = s.overall.authRequired;
        this.#ports.publish({ type: 'pipeline/progress', snapshot: s });
      },
      (err: unknown) => this.#ports.logger.error({ err: String(err) }, 'snapshot-failed'),
    );
    return this.#seeded.then(() => this.drain('startup'));
  }

  /** A drain covering this request; never rejects (failures are logged and re-armed). */
  async drain(reason: string): Promise<void> {
    await this.#drainCycle(reason);
  }

  /** Drain, then re-arm; the outcome, or null when the drain threw. */
  async #drainCycle(reason: string): Promise<DrainResult | null> {
    await this.#seeded;
    try {
      const outcome = await this.#scheduler.request(reason);
      await this.#afterDrain(outcome, reason);
      return outcome;
    } catch (err) {
      this.#ports.logger.error({ reason, err: String(err) }, 'drain-failed');
      await this.#rearm(null, 'drain-failed');
      return null;
    }
  }

  /**
   * The `sync` event's work: failed chunks get a new round of attempts (an upload never gives up
   * while its cause can pass: a sync, a reconnect or the user's retry each start a round), then the drain. Rejects (SyncRetryWanted) only when
   * online with work left and more attempts to come, so that Chromium retries it later (rules above).
   */
  async onSync(tag: string, lastChance: boolean): Promise<void> {
    this.#ports.logger.info({ tag, lastChance, online: this.#ports.isOnline() }, 'sync-event');
    this.#pendingRetry = {};
    this.#syncsFiring++;
    let outcome: DrainResult | null;
    try {
      outcome = await this.#drainCycle(`sync:${tag}`);
    } finally {
      this.#syncsFiring--;
    }
    const workLeft = outcome === null || (!outcome.done && outcome.blocked !== 'auth');
    if (workLeft && this.#ports.isOnline() && !lastChance) {
      this.#ports.logger.info({ tag }, 'sync-retry-requested');
      throw new SyncRetryWanted();
    }
  }

  /** Handles one raw message from a page; returns the work to keep alive with waitUntil. */
  onMessage(data: unknown): Promise<void> {
    const msg = parsePageMessage(data);
    if (!msg) {
      this.#ports.logger.warn({ type: typeOf(data) }, 'message-rejected');
      return Promise.resolve();
    }
    return this.#handle(msg);
  }

  #handle(msg: PageToWorker): Promise<void> {
    switch (msg.type) {
      case 'pipeline/progress-request':
        return this.#ports.pipeline.snapshot().then(
          (snapshot) => this.#ports.publish({ type: 'pipeline/progress', snapshot }),
          (err: unknown) => this.#ports.logger.error({ err: String(err) }, 'snapshot-failed'),
        );
      case 'pipeline/retry':
        // A retry of everything absorbs a narrower one pending in the same coalesced drain.
        this.#pendingRetry = this.#pendingRetry && !this.#pendingRetry.recordingId ? this.#pendingRetry : msg.recordingId ? { recordingId: msg.recordingId } : {};
        return this.drain(msg.type);
      case 'auth/token-changed':
        this.#authRequired = false;
        return this.drain(msg.type);
      case 'outbox/chunk-added':
      case 'outbox/recording-stopped':
      case 'pipeline/drain':
      case 'settings/changed':
        return this.drain(msg.type);
    }
  }

  #drainOnce(reason: string): Promise<DrainResult> {
    const retry = this.#pendingRetry;
    this.#pendingRetry = null;
    if (!retry) return this.#ports.pipeline.drain(reason);
    this.#ports.logger.info({ reason, recordingId: retry.recordingId ?? null }, 'retry-failed-chunks');
    return this.#ports.pipeline.retry(retry.recordingId);
  }

  async #afterDrain(outcome: DrainResult, reason: string): Promise<void> {
    this.#ports.logger.info({ reason, ...outcome }, 'drain-ended');
    this.#cancelTimer?.();
    this.#cancelTimer = null;
    if (outcome.done) return;
    if (outcome.blocked === 'auth') {
      this.#announceAuth();
      return;
    }
    await this.#rearm(outcome.nextWakeAt, outcome.blocked ?? 'backoff');
  }

  /** Work is left: a sync if the browser is offline; online, a timer plus the sync safety net. */
  async #rearm(nextWakeAt: number | null, why: string): Promise<void> {
    if (!this.#ports.isOnline()) {
      await this.#registerSync(why);
      return;
    }
    const at = nextWakeAt ?? this.#ports.now() + UNREACHABLE_RETRY_MS;
    this.#cancelTimer?.();
    this.#cancelTimer = this.#ports.setTimer(Math.max(0, at - this.#ports.now()), () => void this.drain(`timer:${why}`));
    if (this.#syncsFiring === 0) await this.#registerSync(`online:${why}`);
  }

  async #registerSync(why: string): Promise<void> {
    if (!this.#ports.registerSync) return;
    try {
      await this.#ports.registerSync();
      this.#ports.logger.info({ why }, 'sync-registered');
    } catch (err) {
      // Unsupported (Firefox, Safari) or not permitted: the start-up/online/page drains remain.
      this.#ports.logger.warn({ why, err: String(err) }, 'sync-register-failed');
    }
  }

  #onSnapshot(s: ProgressSnapshot): void {
    this.#ports.publish({ type: 'pipeline/progress', snapshot: s });
    for (const r of s.recordings) {
      const before = this.#phases.get(r.recordingId);
      this.#phases.set(r.recordingId, r.phase);
      if (r.phase === 'complete' && before !== 'complete' && r.shareUrl) {
        this.#ports.publish({ type: 'recording/complete', recordingId: r.recordingId, shareUrl: r.shareUrl });
      }
    }
    if (s.overall.authRequired) this.#announceAuth();
    else this.#authRequired = false;
  }

  #announceAuth(): void {
    if (this.#authRequired) return;
    this.#authRequired = true;
    this.#ports.publish({ type: 'auth/required' });
  }
}

/** Rejects a sync event on purpose so that the browser schedules a retry of it. */
export class SyncRetryWanted extends Error {
  constructor() {
    super('uploads remain while online; asking the browser to retry this sync later');
    this.name = 'SyncRetryWanted';
  }
}

function typeOf(data: unknown): string {
  if (data && typeof data === 'object' && 'type' in data) return String((data as { type: unknown }).type).slice(0, 60);
  return typeof data;
}
