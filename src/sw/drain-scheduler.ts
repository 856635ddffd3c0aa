/**
 * The one place drain requests are coalesced; runs each drain under the pipeline Web Lock.
 *
 * Every page message, `online` event and sync event asks for a drain. Running one drain per
 * request would queue dozens of no-op drains behind a long one (a 2 s recording posts a message
 * per chunk). Instead: while a drain runs, further requests nudge it (a drain sleeping through a
 * backoff looks at the outbox again at once) and mark the scheduler dirty, and one more drain
 * follows, so a request is always covered by a drain that *started* after it (the chunk it
 * announced is seen). The returned promise settles when that covering drain ended, so callers can
 * hand it to `event.waitUntil`.
 *
 * The lock (PIPELINE_LOCK) is shared by the worker and by pages that run the pipeline themselves
 * (no service worker), so two contexts never upload at once (DESIGN.md "Data flow").
 */
import { PIPELINE_LOCK } from '../shared/messages.ts';

/** The subset of the Web Locks API we use (present in windows and workers). */
export interface LockRunner {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

export class DrainScheduler<Outcome> {
  #running: Promise<Outcome> | null = null;
  #dirty = false;
  #reasons: string[] = [];

  constructor(
    private readonly drain: (reason: string) => Promise<Outcome>,
    private readonly locks: LockRunner | null,
    /** Tells the running drain that new work may exist. */
    private readonly nudge: () => void = () => {},
  ) {}

  /** Resolves with the outcome of the drain that covers this request; rejects if it threw. */
  request(reason: string): Promise<Outcome> {
    this.#reasons.push(reason);
    if (this.#running) {
      this.#dirty = true;
      this.nudge();
      return this.#running;
    }
    const run = this.#loop().finally(() => {
      this.#running = null;
    });
    this.#running = run;
    return run;
  }

  get busy(): boolean {
    return this.#running !== null;
  }

  async #loop(): Promise<Outcome> {
    let outcome: Outcome;
    do {
      this.#dirty = false;
      const reason = [...new Set(this.#reasons)].join(',');
      this.#reasons = [];
      outcome = await this.#underLock(() => this.drain(reason));
    } while (this.#dirty);
    return outcome;
  }

  #underLock(fn: () => Promise<Outcome>): Promise<Outcome> {
    // Without Web Locks (Safari < 15.4) there is no cross-tab exclusion to be had; the server's
    // idempotent chunk writes keep a double upload harmless (same bytes → success, no change).
    return this.locks ? this.locks.request(PIPELINE_LOCK, fn) : fn();
  }
}

/** `navigator.locks` where it exists, adapted to LockRunner. */
export function browserLocks(): LockRunner | null {
  const locks = (globalThis.navigator as Navigator | WorkerNavigator | undefined)?.locks;
  if (!locks) return null;
  return { request: (name, callback) => locks.request(name, () => callback()) as Promise<never> };
}
