/**
 * OUTBOX_PENDING_CHUNKS: where a node on S3 + PostgreSQL keeps the chunks that do not yet
 * complete a ≥ 5 MiB multipart part (storage/postgres/select-pending.ts decides from it).
 * - unset (`auto`): in PostgreSQL when both OUTBOX_DATABASE_URL and OUTBOX_S3_BUCKET are set
 *   (each ingested byte then reaches S3 once, in its part); otherwise in the byte store.
 * - `postgres`: in PostgreSQL; start-up fails unless both variables are set.
 * - `s3`: as objects of the byte store (one object per chunk, read back and sent again in its
 *   part: about 2× the bytes written to S3, nothing of the video's bytes in PostgreSQL).
 */
export type PendingChunksSetting = 'auto' | 'postgres' | 's3';

export function pendingChunks(env: NodeJS.ProcessEnv): PendingChunksSetting {
  const v = env.OUTBOX_PENDING_CHUNKS?.trim().toLowerCase() ?? '';
  if (v === '') return 'auto';
  if (v !== 'postgres' && v !== 's3') throw new Error(`OUTBOX_PENDING_CHUNKS must be postgres or s3, got ${JSON.stringify(v)}`);
  if (v === 'postgres' && (!env.OUTBOX_DATABASE_URL?.trim() || !env.OUTBOX_S3_BUCKET?.trim())) {
    throw new Error('OUTBOX_PENDING_CHUNKS=postgres needs OUTBOX_DATABASE_URL and OUTBOX_S3_BUCKET');
  }
  return v;
}
