/**
 * An S3-protocol server for tests: npm s3rver 3.7.1 on 127.0.0.1, a free port, a temp directory,
 * one bucket. It speaks Create/UploadPart/Complete/Get/Put/List with @aws-sdk/client-s3 but not
 * ListParts, Abort or UploadPartCopy (docs/SCALE-OUT.md).
 *
 * s3rver accepts what AWS S3 refuses at CompleteMultipartUpload, so `strictComplete` adds S3's
 * checks inside the server, for every client that talks to it (a node process as well as the
 * test): parts listed in ascending order (InvalidPartOrder), each one uploaded with that ETag
 * (InvalidPart), every part but the last at least 5 MiB (EntityTooSmall)
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html).
 * A part planner bug therefore fails here as it would on AWS. Completing an upload that no
 * longer exists (completed or aborted) is NoSuchUpload, as on AWS.
 */
import { createReadStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import S3Error from 's3rver/lib/models/error.js';
import { afterAll, beforeAll } from 'vitest';
import { createS3Client, type S3Settings } from '../../src/server/storage/s3/client.ts';

export const S3_MIN_PART_BYTES = 5 * 1024 * 1024;

export interface TestS3 {
  bucket: string;
  /** Settings for createS3Client (s3rver's fixed credentials). */
  settings: S3Settings;
  /** A client the test may use; destroyed by stop(). */
  client: S3Client;
  /**
   * The bucket's multipart uploads neither completed nor aborted, read from s3rver's directory
   * (s3rver has no ListMultipartUploads): what an expiry must leave without its video's.
   */
  openUploads(bucket: string): Promise<{ uploadId: string; key: string }[]>;
  stop(): Promise<void>;
}

function strictComplete(server: S3rver): void {
  const store = server.store;
  const original = store.putObjectMultipart.bind(store);
  store.putObjectMultipart = async (bucket, uploadId, parts) => {
    const dir = join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId);
    if (!existsSync(dir)) throw noSuchUpload(uploadId);
    if (parts.some((p, i) => i > 0 && p.number <= parts[i - 1]!.number)) {
      throw new S3Error('InvalidPartOrder', 'The list of parts was not in ascending order.');
    }
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const file = join(dir, String(part.number));
      const [md5, size] = await Promise.all([
        readFile(`${file}.md5`, 'utf8').catch(() => null),
        stat(file).then((s) => s.size, () => null),
      ]);
      if (md5 === null || size === null || md5 !== part.etag) {
        throw new S3Error('InvalidPart', 'One or more of the specified parts could not be found or its ETag did not match.');
      }
      if (i < parts.length - 1 && size < S3_MIN_PART_BYTES) {
        throw new S3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.', {
          PartNumber: part.number,
          ProposedSize: size,
          MinSizeAllowed: S3_MIN_PART_BYTES,
        });
      }
    }
    return original(bucket, uploadId, parts);
  };
}

function noSuchUpload(uploadId: string): S3Error {
  return new S3Error('NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', {
    UploadId: uploadId,
  });
}

/**
 * AbortMultipartUpload (DELETE /bucket/key?uploadId=…), which s3rver answers MethodNotAllowed:
 * removes the upload's directory as s3rver's own completion does; 204, or NoSuchUpload
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html).
 */
function abortMultipartUpload(server: S3rver): void {
  server.middleware.unshift(async (ctx, next) => {
    const uploadId = ctx.query.uploadId;
    if (ctx.method !== 'DELETE' || typeof uploadId !== 'string') return next();
    const bucket = ctx.path.split('/')[1] ?? '';
    if (!/^[A-Za-z0-9._-]+$/.test(uploadId)) throw noSuchUpload(uploadId);
    const dir = join(server.store.getResourcePath(bucket, undefined, 'uploads'), uploadId);
    if (!existsSync(dir)) throw noSuchUpload(uploadId);
    await rm(dir, { recursive: true, force: true });
    ctx.status = 204;
  });
}

/**
 * s3rver reads `Range: bytes=0-0` as "from 0 to the end" (its `end || Infinity`); S3 answers
 * the first byte (RFC 9110 §14.1.2), which players send to probe a file.
 */
function firstByteRange(server: S3rver): void {
  const store = server.store;
  const original = store.getObject.bind(store);
  store.getObject = async (bucket, key, options) => {
    if (options?.end !== 0 || (options.start ?? 0) !== 0) return original(bucket, key, options);
    const object = await original(bucket, key, { start: 0 });
    if (object?.content) {
      object.content.destroy();
      object.content = createReadStream(store.getResourcePath(bucket, key, 'object'), { start: 0, end: 0 });
      object.range = { start: 0, end: 0 };
    }
    return object;
  };
}

export async function startS3(bucket = 'outbox-test'): Promise<TestS3> {
  const directory = mkdtempSync(join(tmpdir(), 'outbox-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  strictComplete(server);
  abortMultipartUpload(server);
  firstByteRange(server);
  let address;
  try {
    address = await server.run();
  } catch (err) {
    rmSync(directory, { recursive: true, force: true });
    throw err;
  }
  const settings: S3Settings = {
    endpoint: `http://127.0.0.1:${address.port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  };
  const client = createS3Client(settings);
  return {
    bucket,
    settings,
    client,
    async openUploads(name) {
      const dir = server.store.getResourcePath(name, undefined, 'uploads');
      const ids = await readdir(dir).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? [] : Promise.reject(err)));
      return Promise.all(ids.map(async (uploadId) => ({ uploadId, key: await readFile(join(dir, uploadId, 'key'), 'utf8') })));
    },
    async stop() {
      client.destroy();
      server.httpServer?.closeAllConnections();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** One S3 server for the calling test file; `s3()` is valid inside tests and hooks. */
export function useS3(): { s3: () => TestS3 } {
  let s3: TestS3 | null = null;
  beforeAll(async () => {
    s3 = await startS3();
  });
  afterAll(async () => {
    await s3?.stop();
    s3 = null;
  });
  return {
    s3: () => {
      if (!s3) throw new Error('useS3: the server is not running (called outside a test?)');
      return s3;
    },
  };
}
