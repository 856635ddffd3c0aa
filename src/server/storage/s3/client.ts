/**
 * The S3 client every S3 component of a node shares (one connection pool per node).
 *
 * `requestChecksumCalculation: 'WHEN_REQUIRED'`: since 3.729 the SDK adds CRC32 flexible
 * checksums (with aws-chunked trailers) to every upload by default (aws-sdk-js-v3 PR 6750),
 * which many S3-compatible servers (s3rver among them) reject or store with the trailer in the
 * bytes; WHEN_REQUIRED sends a checksum only where the operation demands one. `forcePathStyle`: `endpoint/bucket/key` URLs, which every compatible
 * server accepts, rather than `bucket.endpoint` hosts that need wildcard DNS.
 * DeleteObjects carries Content-MD5 (content-md5.ts). Credentials come from the SDK's default chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, …)
 * unless given.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { addContentMd5ToDeleteObjects } from './content-md5.ts';

export interface S3Settings {
  /** e.g. http://127.0.0.1:9000; omit for AWS itself. */
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Sockets per node to the object store; default 50 (the SDK's own default). */
  maxSockets?: number;
  /** Attempts per call, retries included; default 3 (the SDK's own default). */
  maxAttempts?: number;
}

export function createS3Client(s: S3Settings): S3Client {
  const client = new S3Client({
    region: s.region,
    forcePathStyle: s.forcePathStyle,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(s.endpoint ? { endpoint: s.endpoint } : {}),
    ...(s.credentials ? { credentials: s.credentials } : {}),
    ...(s.maxAttempts ? { maxAttempts: s.maxAttempts } : {}),
    ...(s.maxSockets ? { requestHandler: { httpsAgent: { maxSockets: s.maxSockets }, httpAgent: { maxSockets: s.maxSockets } } } : {}),
  });
  addContentMd5ToDeleteObjects(client);
  return client;
}
