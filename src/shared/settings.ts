/**
 * User settings, stored in the outbox so the service worker reads the same values the page saved.
 */
import * as z from 'zod/mini';

export const Settings = z.object({
  /** Chunk uploads in flight at once, over all recordings. */
  concurrency: z._default(z.int().check(z.minimum(1), z.maximum(4)), 2),
  /** Attempts per chunk before it is marked failed (kept, retried on the next sync or by the user). */
  maxAttempts: z._default(z.int().check(z.minimum(1), z.maximum(10)), 5),
  /** First backoff delay; later ones double: 1, 2, 4, 8, 16 s by default. */
  backoffBaseMs: z._default(z.int().check(z.minimum(100), z.maximum(60_000)), 1000),
  /** ± fraction of random jitter added to each backoff delay. */
  jitterRatio: z._default(z.number().check(z.minimum(0), z.maximum(0.5)), 0.1),
  /** Upload bandwidth cap in kilobits per second; 0 means no cap. */
  bandwidthCapKbps: z._default(z.int().check(z.minimum(0), z.maximum(1_000_000)), 0),
  /** MediaRecorder timeslice. */
  chunkMs: z._default(z.int().check(z.minimum(500), z.maximum(10_000)), 2000),
  /** Keep the local copy of a recording after the server confirmed it complete. */
  keepLocalCopy: z._default(z.boolean(), true),
});
export type Settings = z.infer<typeof Settings>;

export const DEFAULT_SETTINGS: Settings = /* @__PURE__ */ Settings.parse({});

