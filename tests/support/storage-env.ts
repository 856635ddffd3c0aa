/**
 * The environment that points a server node at a shared PostgreSQL database and S3 bucket — the
 * variables of docs/SCALE-OUT.md — for tests (scale-out.ts) and the bench (bench/s3.ts).
 */
import type { TestS3 } from './s3.ts';

/** `s3` is s3rver (s3.ts) or, in the bench, Swift (bench/lib/swift.ts). `s3Endpoint` replaces the server's own endpoint (a counting proxy in front of it: s3-counter.ts). */
export function sharedStorageEnv(databaseUrl: string | undefined, s3: Pick<TestS3, 'bucket' | 'settings'> | undefined, s3Endpoint?: string): Record<string, string> {
  const env: Record<string, string> = {};
  if (databaseUrl) env.OUTBOX_DATABASE_URL = databaseUrl;
  if (s3) {
    env.OUTBOX_S3_BUCKET = s3.bucket;
    env.OUTBOX_S3_ENDPOINT = s3Endpoint ?? s3.settings.endpoint!;
    env.OUTBOX_S3_REGION = s3.settings.region;
    env.OUTBOX_S3_FORCE_PATH_STYLE = 'true';
    const creds = s3.settings.credentials as { accessKeyId: string; secretAccessKey: string };
    env.AWS_ACCESS_KEY_ID = creds.accessKeyId;
    env.AWS_SECRET_ACCESS_KEY = creds.secretAccessKey;
  }
  return env;
}
