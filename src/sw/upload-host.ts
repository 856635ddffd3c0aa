/**
 * The policy around one UploadPipeline, in whichever context runs it (the service worker; a page
 * with no worker runs the same host without Background Sync): what wakes a drain, when to ask the
 * browser for a Background Sync, and what to tell the pages. Pure: the worker's globals
 * (registration.sync, BroadcastChannel, navigator.onLine, timers) come in as ports, so
 * tests/sw/upload-host.test.ts runs it with fakes.
 *
 * Rules (DESIGN.md "Browser tests" and "Lessons from peers"):
 * - Drain on start-up, `online`, every valid page message, `sync` and `periodicsync`. Start-up,
 *   `online`, the syncs and a timer first make everything that waits for the server due at once
 *   (`wakeAll`); answers that need the user stay failed until the user's Retry.
 * - A drain keeps the context alive while it sleeps through backoffs (its event's `waitUntil`),
 *   up to the pipeline's maxDrainMs; a server that is down for a minute is waited out inside it.
 * - A drain that ends with work left while the browser is offline registers the sync tag, so the
 *   browser wakes the worker when connectivity returns, even after every tab closed.
 * - Online with work left (server unreachable or failing, long backoff, a drain that threw): a
 *   timer wakes it while the context lives, and the tag is registered as a safety net for when the
 *   browser stops the worker with no page open. Chromium fires an online registration at once; that
 *   sync's drain, still failing, *rejects on purpose*, which puts the tag into Chromium's retry
 *   backoff (minutes, a few attempts): the only wake-up a stopped worker gets while the server is
 *   down. Never register while a sync event is firing: Chromium re-fires a tag re-registered during
 *   its own event at once (reregistered-while-firing), which would loop.
 * - A sync that ends offline, blocked on auth, done, or on its last chance resolves: offline, the
 *   tag is pending again and fires on reconnect; a rejected sync would instead sit out the backoff
 *   (DESIGN.md: neither an online toggle nor re-registering re-fires it soon).
 * - While recordings are unfinished, a Periodic Background Sync tag is registered where the
 *   browser grants one (an installed app in Chromium), and unregistered once all are done.
 */
import type { PageToWorker, WorkerToPage } from '../shared/messages.ts';
import { checkPageMessage } from '../shared/checks/checks.ts';
import type { ProgressSnapshot } from '../shared/progress.ts';
import type { Logger } from '../shared/log.ts';
import { DrainScheduler, type LockRunner } from './drain-scheduler.ts';
import type { DrainOutcome } from './pipeline/ports.ts';

/** Online but the drain threw and gave no backoff deadline: try again after this. */
export const UNREACHABLE_RETRY_MS = 30_000;

/** What the host needs of UploadPipeline (src/sw/pipeline/pipeline.ts). */
export interface HostedPipeline {
  drain(reason: string): Promise<DrainOutcome>;
  nudge(): void;
  retry(recordingId?: string): Promise<void>;
  wakeAll(why: string): Promise<void>;
  snapshot(): Promise<ProgressSnapshot>;
  onProgress(cb: (s: ProgressSnapshot) => void): () => void;
}

export interface UploadHostPorts {
  pipeline: HostedPipeline;
  /** Registers the Background Sync tag; may reject (unsupported, permission denied). Null in a page. */
  registerSync: (() => Promise<void>) | null;
  /** Periodic Background Sync, where the browser offers it; null elsewhere and in a page. */
  periodicSync: { register(): Promise<void>; unregister(): Promise<void> } | null;
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
  readonly #scheduler: DrainScheduler<DrainOutcome>;
  #cancelTimer: (() => void) | null = null;
  #phases = new Map<string, string>();
  #authRequired = false;
  #seeded: Promise<void> | null = null;
  #started: Promise<void> | null = null;
  #syncsFiring = 0;
  /** Whether our periodic tag is registered (null: unknown, as after a worker start). */
  #periodic: boolean | null = null;

  constructor(ports: UploadHostPorts) {
    this.#ports = ports;
    this.#scheduler = new DrainScheduler((reason) => ports.pipeline.drain(reason), ports.locks, () => ports.pipeline.nudge());
    ports.pipeline.onProgress((s) => this.#onSnapshot(s));
  }

  /**
   * Seeds the "already announced" state from the current snapshot (so a restarted worker does
   * not re-announce old completions), publishes it, then wakes everything that waits and drains.
   */
  start(): Promise<void> {
    // Idempotent: the worker calls it once opened, and workbox's Queue again where Sync is missing.
    if (this.#started) return this.#started;
    this.#seeded ??= this.#ports.pipeline.snapshot().then(
      (s) => {
        for (const r of s.recordings) this.#phases.set(r.recordingId, r.phase);
        this.#authRequired = s.overall.authRequired;
        this.#ports.publish({ type: 'pipeline/progress', snapshot: s });
      },
      (err: unknown) => this.#ports.logger.error({ err: String(err) }, 'snapshot-failed'),
    );
    this.#started = this.#seeded.then(() => this.wake('startup'));
    return this.#started;
  }

  /** A drain covering this request; never rejects (failures are logged and re-armed). */
  async drain(reason: string): Promise<void> {
    await this.#drainCycle(reason);
  }

  /**
   * A wake-up that suggests the server may be reachable again (start-up, `online`, a periodic
   * sync): whatever waits for the server is due now, then a drain. Never rejects.
   */
  async wake(reason: string): Promise<void> {
    await this.#wakeAll(reason);
    await this.#drainCycle(reason);
  }

  async #wakeAll(reason: string): Promise<void> {
    await this.#seeded;
    try {
      await this.#ports.pipeline.wakeAll(reason);
    } catch (err) {
      this.#ports.logger.error({ reason, err: String(err) }, 'wake-failed');
    }
  }

  /** Drain, then re-arm; the outcome, or null when the drain threw. */
  async #drainCycle(reason: string): Promise<DrainOutcome | null> {
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
   * The `sync` event's work: whatever waits for the server is due now, then the drain. Rejects
   * (SyncRetryWanted) only when online with work left and more attempts to come, so that the
   * browser retries it later (rules above).
   */
  async onSync(tag: string, lastChance = false): Promise<void> {
    this.#ports.logger.info({ tag, lastChance, online: this.#ports.isOnline() }, 'sync-event');
    this.#syncsFiring++;
    let outcome: DrainOutcome | null;
    try {
      await this.#wakeAll(`sync:${tag}`);
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
    const msg = checkPageMessage(data);
    if (!msg) {
      this.#ports.logger.warn({ type: typeOf(data) }, 'message-rejected');
      return Promise.resolve();
    }
    return this.#handle(msg);
  }

  async #handle(msg: PageToWorker): Promise<void> {
    switch (msg.type) {
      case 'pipeline/progress-request':
        return this.#ports.pipeline.snapshot().then(
          (snapshot) => this.#ports.publish({ type: 'pipeline/progress', snapshot }),
          (err: unknown) => this.#ports.logger.error({ err: String(err) }, 'snapshot-failed'),
        );
      case 'pipeline/retry':
        await this.#seeded;
        try {
          this.#ports.logger.info({ recordingId: msg.recordingId ?? null }, 'retry-failed-chunks');
          await this.#ports.pipeline.retry(msg.recordingId);
        } catch (err) {
          this.#ports.logger.error({ err: String(err) }, 'retry-failed');
        }
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

  async #afterDrain(outcome: DrainOutcome, reason: string): Promise<void> {
    this.#ports.logger.info({ reason, ...outcome }, 'drain-ended');
    this.#cancelTimer?.();
    this.#cancelTimer = null;
    await this.#periodicSync(!outcome.done);
    if (outcome.done) return;
    if (outcome.blocked === 'auth') {
      this.#announceAuth();
      return;
    }
    await this.#rearm(outcome.nextWakeAt, outcome.blocked ?? 'backoff');
  }

  /** One more wake-up while recordings are unfinished, where the browser grants it. */
  async #periodicSync(want: boolean): Promise<void> {
    const periodic = this.#ports.periodicSync;
    if (!periodic || this.#periodic === want) return;
    try {
      await (want ? periodic.register() : periodic.unregister());
      this.#periodic = want;
      this.#ports.logger.info({ registered: want }, 'periodic-sync');
    } catch (err) {
      // Not installed, or not granted: the other wake-ups remain. Do not ask again this life.
      this.#periodic = want;
      this.#ports.logger.info({ want, err: String(err) }, 'periodic-sync-unavailable');
    }
  }
  /** Work is left: a sync if the browser is offline; online, a timer plus the sync safety net. */
  async #rearm(nextWakeAt: number | null, why: string): Promise<void> {
    if (!this.#ports.isOnline()) {
      await this.#registerSync(why);
      return;
    }
    const at = nextWakeAt ?? this.#ports.now() + UNREACHABLE_RETRY_MS;
    this.#cancelTimer?.();
    this.#cancelTimer = this.#ports.setTimer(Math.max(0, at - this.#ports.now()), () => void this.wake(`timer:${why}`));
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
