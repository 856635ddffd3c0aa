/**
 * Locker for a single node: the server's KeyedMutex behind the port. Exclusion holds within this
 * process only, which is all the embedded default (one process owns its data directory) needs.
 * The lock cannot be lost while held, so `lost` never aborts.
 */
import { KeyedMutex } from '../../keyed-mutex.ts';
import type { Locker } from '../locker.ts';

const NEVER_LOST = new AbortController().signal;

export class InProcessLocker implements Locker {
  private readonly mutex = new KeyedMutex();

  withLock<T>(key: string, fn: (lost: AbortSignal) => Promise<T>): Promise<T> {
    return this.mutex.run(key, () => fn(NEVER_LOST));
  }

  idle(): Promise<void> {
    return this.mutex.idle();
  }

  async close(): Promise<void> {
    await this.idle();
  }
}
