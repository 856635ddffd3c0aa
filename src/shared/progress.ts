/**
 * Upload progress as the pipeline reports it and the UI renders it.
 */
import * as z from 'zod/mini';

export const RecordingPhase = z.enum([
  'recording', // still capturing
  'waiting-network', // offline: nothing can be sent
  'uploading', // chunks in flight or queued
  'retrying', // backing off after a failure
  'waiting-server', // chunks (or init/finalize) spent their attempts; retried on their own at nextTryAt
  'finalizing', // every chunk confirmed, finalize in flight
  'incomplete', // finalize answered incomplete (chunks failed): user action or next sync needed
  'failed', // some chunks got an answer waiting cannot change; kept, until the user acts
  'auth-required', // 401: uploads held until a new token
  'complete', // server holds the whole video with a matching SHA-256
]);
export type RecordingPhase = z.infer<typeof RecordingPhase>;

export const RecordingProgress = z.object({
  recordingId: z.string(),
  title: z.nullable(z.string()),
  phase: RecordingPhase,
  /** Chunks confirmed by the server. */
  uploaded: z.int(),
  /** Chunks in the outbox for this recording so far (grows while recording). */
  totalQueued: z.int(),
  pending: z.int(),
  uploading: z.int(),
  /** Chunks shown failed: those in `waiting` plus those that need the user (lastError says why). */
  failed: z.int(),
  /** Of `failed`, chunks that spent their attempts and are retried on their own (capped backoff). */
  // Defaults: a snapshot from a worker of an older build (around an update) still parses.
  waiting: z._default(z.int(), 0),
  /** Earliest next try of anything of this recording that backs off (ms epoch), or null. */
  nextTryAt: z._default(z.nullable(z.number()), null),
  /** 0..100, uploaded / totalQueued. */
  percentage: z.number(),
  bytesUploaded: z.int(),
  bytesQueued: z.int(),
  hasSession: z.boolean(),
  /** Set while a chunk waits for its next attempt. */
  retry: z.nullable(z.object({ index: z.int(), attempt: z.int(), maxAttempts: z.int(), nextAttemptAt: z.number() })),
  /** The server's id for this recording once init succeeded (for rename, poster, status). */
  videoId: z._default(z.nullable(z.string()), null),
  shareUrl: z.nullable(z.string()),
  missing: z.nullable(z.array(z.int())),
  lastError: z.nullable(z.object({ code: z.string(), message: z.string(), at: z.number() })),
});
export type RecordingProgress = z.infer<typeof RecordingProgress>;

export const OverallProgress = z.object({
  uploaded: z.int(),
  totalQueued: z.int(),
  failed: z.int(),
  pending: z.int(),
  percentage: z.number(),
  isOnline: z.boolean(),
  hasSession: z.boolean(),
  isUploading: z.boolean(),
  authRequired: z.boolean(),
});
export type OverallProgress = z.infer<typeof OverallProgress>;

export const ProgressSnapshot = z.object({
  at: z.number(),
  overall: OverallProgress,
  recordings: z.array(RecordingProgress),
});
export type ProgressSnapshot = z.infer<typeof ProgressSnapshot>;

/** The seed's page-level shape, derived from a snapshot. */
export interface UploadProgress {
  uploaded: number;
  total: number;
  percentage: number;
  isOnline: boolean;
}

export function toUploadProgress(s: ProgressSnapshot): UploadProgress {
  const { uploaded, totalQueued, percentage, isOnline } = s.overall;
  return { uploaded, total: totalQueued, percentage, isOnline };
}
