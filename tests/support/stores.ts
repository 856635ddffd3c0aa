/**
 * The stores a server opens (storage/select-stores.ts), for tests that wrap one to count or break
 * calls: `intercept(store, { write: … })` answers the given methods itself and passes every other
 * call to the real store. Pass the result to `buildServer(config, { stores })`.
 */
import pino from 'pino';
import { loadConfig } from '../../src/server/config.ts';
import type { ChunkObjects, OutputWriter, SmallObjects } from '../../src/server/storage/ports.ts';
import { openStores } from '../../src/server/storage/select-stores.ts';

export interface Stores {
  chunks: ChunkObjects;
  output: OutputWriter;
  small: SmallObjects;
}

/** The embedded default's stores (disk) under `dataDir`, as the server would open them. */
export function diskStores(dataDir: string): Promise<Stores> {
  return openStores(loadConfig({ LOG_LEVEL: 'silent', OUTBOX_DATA_DIR: dataDir }), pino({ level: 'silent' }));
}

/** `base` with the methods in `over` replaced; `over`'s functions may call `base` themselves. */
export function intercept<T extends object>(base: T, over: Partial<T>): T {
  return new Proxy(base, {
    get(target, prop) {
      if (Object.prototype.hasOwnProperty.call(over, prop)) return (over as Record<PropertyKey, unknown>)[prop];
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
