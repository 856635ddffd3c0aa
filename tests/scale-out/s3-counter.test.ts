/**
 * The counting proxy the multi-node test and the S3 bench read their object-store figures from
 * (tests/support/s3-counter.ts): requests pass through unchanged (signatures still verify) and
 * are counted by operation, with the bytes written and the parts of each completion.
 */
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand, PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../src/server/storage/s3/client.ts';
import { startS3Counter, type S3Counter } from '../support/s3-counter.ts';
import { S3_MIN_PART_BYTES, useS3 } from '../support/s3.ts';

const { s3 } = useS3();
let counter: S3Counter;
beforeAll(async () => {
  counter = await startS3Counter(s3().settings.endpoint!);
});
afterAll(() => counter?.stop());

describe('S3 counting proxy', () => {
  it('counts operations, bytes written and read, and the parts of a completion', async () => {
    const client = createS3Client({ ...s3().settings, endpoint: counter.endpoint });
    const Bucket = s3().bucket;
    try {
      await client.send(new PutObjectCommand({ Bucket, Key: 'chunks/v/0-x', Body: Buffer.alloc(1000, 1) }));
      const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket, Key: 'videos/v.webm' }));
      const parts = [];
      for (const [n, size] of [[1, S3_MIN_PART_BYTES], [2, 10]] as const) {
        const { ETag } = await client.send(new UploadPartCommand({ Bucket, Key: 'videos/v.webm', UploadId, PartNumber: n, Body: Buffer.alloc(size, n) }));
        parts.push({ ETag, PartNumber: n });
      }
      await client.send(new CompleteMultipartUploadCommand({ Bucket, Key: 'videos/v.webm', UploadId, MultipartUpload: { Parts: parts } }));
      const got = await client.send(new GetObjectCommand({ Bucket, Key: 'videos/v.webm' }));
      expect((await got.Body!.transformToByteArray()).length).toBe(S3_MIN_PART_BYTES + 10);
    } finally {
      client.destroy();
    }
    const c = counter.counts();
    expect(c.requests).toMatchObject({ PutObject: 1, CreateMultipartUpload: 1, UploadPart: 2, CompleteMultipartUpload: 1, GetObject: 1 });
    expect(c.bytesWritten).toBe(1000 + S3_MIN_PART_BYTES + 10);
    expect(c.bytesRead).toBe(S3_MIN_PART_BYTES + 10);
    expect(c.completions).toEqual([{ key: 'videos/v.webm', parts: 2 }]);
  });
});
