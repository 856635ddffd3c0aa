/**
 * What every S3 store of a node talks to: the node's one client (one connection pool) and the
 * bucket, with each call's failure translated to the catalogue where it arises (errors.ts), so
 * ingest never sees an S3 error name.
 */
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { ApiError } from '../../../shared/errors.ts';
import { toCatalogueError } from './errors.ts';

export interface S3Target {
  client: S3Client;
  bucket: string;
  /** Called by each store's close(); the last one may destroy a client the stores own. */
  release?: () => void;
}

/** Awaits an S3 call, rethrowing its failure as the catalogue's (not_found, 503, 507) or as is. */
export async function s3call<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    throw toCatalogueError(err);
  }
}

/** Three stores share one client: it is destroyed when the last of them closes. */
export function sharedTarget(client: S3Client, bucket: string, users: number): () => S3Target {
  let open = users;
  const release = () => {
    if (--open === 0) client.destroy();
  };
  return () => ({ client, bucket, release });
}

/** One Buffer for a request body: a single buffer as is, several concatenated once. */
export function oneBuffer(bufs: readonly Buffer[]): Buffer {
  return bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs);
}

/**
 * Start-up check of the bucket (HeadBucket). A missing bucket is a configuration error for the
 * operator, said in words, not a 404; unreachable stays 503 (the node can retry starting).
 */
export async function checkBucket(s3: S3Target): Promise<void> {
  try {
    await s3call(s3.client.send(new HeadBucketCommand({ Bucket: s3.bucket })));
  } catch (err) {
    if (err instanceof ApiError && err.code === 'not_found') throw new Error(`S3 bucket ${JSON.stringify(s3.bucket)} does not exist (OUTBOX_S3_BUCKET)`, { cause: err });
    throw err;
  }
}
