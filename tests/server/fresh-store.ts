/**
 * The per-test store of a contract suite: `fresh()` makes one with the implementation's factory,
 * and an afterEach hook (registered in the calling describe) cleans it up after the test.
 */
import { afterEach } from 'vitest';

export type StoreFactory<S> = () => Promise<{ store: S; cleanup(): Promise<void> }>;

/** Call inside the suite's describe; use the returned function in each test. */
export function freshPerTest<S>(makeStore: StoreFactory<S>): () => Promise<S> {
  let cleanup: (() => Promise<void>) | null = null;
  afterEach(async () => {
    await cleanup?.();
    cleanup = null;
  });
  return async () => {
    const made = await makeStore();
    cleanup = made.cleanup;
    return made.store;
  };
}
