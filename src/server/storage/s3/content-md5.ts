/**
 * Content-MD5 on DeleteObjects. S3 requires an integrity header on DeleteObjects; since 3.729 the
 * SDK sends a CRC32 flexible checksum there instead of Content-MD5, even with
 * `requestChecksumCalculation: 'WHEN_REQUIRED'` (aws-sdk-js-v3#6819, #6920). Servers older than
 * flexible checksums refuse it: OpenStack Swift 2.30's s3api answers 400 "Missing required header
 * for this request: Content-MD5" (seen with bench/lib/swift.ts), as do older MinIO and Ceph. The
 * SDK's documented fallback (its supplemental docs, PR 6932) is a middleware that puts
 * Content-MD5 in place of the checksum headers before signing; AWS accepts either.
 */
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';

/** The checksum headers the SDK adds (x-amz-checksum-crc32, x-amz-sdk-checksum-algorithm, …). */
const CHECKSUM_HEADER = /^x-amz-(sdk-)?checksum-/i;

/** The parts of a finalizeRequest middleware this uses (the SDK's types live in @smithy/types, not a dependency of ours). */
type Args = { request: unknown; input: unknown };
type Middleware = Parameters<S3Client['middlewareStack']['addRelativeTo']>[0];

export function addContentMd5ToDeleteObjects(client: S3Client): void {
  const md5 = (next: (args: Args) => Promise<unknown>, context: { commandName?: string }) => async (args: Args) => {
    const request = args.request as { headers?: Record<string, string>; body?: unknown };
    const body = request?.body;
    if (context.commandName === 'DeleteObjectsCommand' && request.headers && (typeof body === 'string' || body instanceof Uint8Array)) {
      for (const name of Object.keys(request.headers)) if (CHECKSUM_HEADER.test(name)) delete request.headers[name];
      request.headers['content-md5'] = createHash('md5').update(body).digest('base64');
    }
    return next(args);
  };
  client.middlewareStack.addRelativeTo(
    md5 as unknown as Middleware,
    // Before signing, so the header is signed; after the build step that adds the checksum.
    { relation: 'before', toMiddleware: 'httpSigningMiddleware', name: 'contentMd5ToDeleteObjects', override: true },
  );
}
