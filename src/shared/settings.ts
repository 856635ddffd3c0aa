/**
 * User settings, stored in the outbox so the service worker reads the same values the page saved.
 */
import { z } from 'zod';

export const Settings = z.object({
  /** Chunk uploads in flight at once, over all recordings. */
  concurrency: z.number().int().min(1).max(4).default(2),
  /** Attempts per chunk before it is marked failed (kept, retried on the next sync or by the user). */
  maxAttempts: z.number().int().min(1).max(10).default(5),
  /** First backoff delay; later ones double: 1, 2, 4, 8, 16 s by default. */
  backoffBaseMs: z.number().int().min(100).max(60_000).default(1000),
  /** ± fraction of random jitter added to each backoff delay. */
  jitterRatio: z.number().min(0).max(0.5).default(0.1),
  /** Upload bandwidth cap in kilobits per second; 0 means no cap. */
  bandwidthCapKbps: z.number().int().min(0).max(1_000_000).default(0),
  /** MediaRecorder timeslice. */
  chunkMs: z.number().int().min(500).max(10_000).default(2000),
  /** Keep the local copy of a recording after the server confirmed it complete. */
  keepLocalCopy: z.boolean().default(true),
});
export type Settings = z.infer<typeof Settings>;

export const DEFAULT_SETTINGS: Settings = Settings.parse({});

/** Backoff delay before attempt `attempt + 1` after `attempt` failures (1-based), without jitter. */
export function backoffDelayMs(settings: Pick<Settings, 'backoffBaseMs'>, failedAttempts: number): number {
  return settings.backoffBaseMs * 2 ** Math.max(0, failedAttempts - 1);
}
