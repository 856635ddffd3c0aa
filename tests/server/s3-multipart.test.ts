import { randomBytes } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { planParts, type PartSpan } from '../../src/server/storage/s3/part-planner.ts';
import { createS3Client } from '../../src/server/storage/s3/client.ts';
import { toCatalogueError } from '../../src/server/storage/s3/errors.ts';
import { useS3 } from '../support/s3.ts';

const { s3 } = useS3();
const CHUNK = 625_000;
const MiB = 1024 * 1024;

async function getBytes(client: S3Client, bucket: string, key: string, range?: string): Promise<Buffer> {
  const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(range ? { Range: range } : {}) }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

async function startUpload(key: string): Promise<string> {
  const { client, bucket } = s3();
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: 'video/webm' }));
  return UploadId!;
}

async function uploadPart(key: string, uploadId: string, partNumber: number, body: Buffer): Promise<string> {
  const { client, bucket } = s3();
  const { ETag } = await client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body }));
  return ETag!;
}

async function complete(key: string, uploadId: string, parts: { partNumber: number; etag: string }[]): Promise<void> {
  const { client, bucket } = s3();
  await client.send(
    new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      UploadId: uploadId,
      MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
    }),
  );
}

/**
 * A recording's life on S3 as the next session will build it: each chunk stored as its own
 * object on arrival (idempotent, any node), in-order runs compacted into parts the planner picks
 * (read back from the chunk objects, so any node can do it), part ETags kept beside the plan
 * (the database's job later), and a finalize that sends only what is left.
 */
async function recordOnS3(videoId: string, chunks: Buffer[], opts: { holdFirstPart: boolean; minPartBytes?: number }) {
  const { client, bucket } = s3();
  const key = `videos/${videoId}.webm`;
  const uploadId = await startUpload(key);
  const stored: (PartSpan & { etag: string })[] = [];
  let partBytesSent = 0;
  const sendParts = async (plan: PartSpan[]) => {
    for (const p of plan) {
      const body = Buffer.concat(
        await Promise.all(Array.from({ length: p.end - p.first }, (_, i) => getBytes(client, bucket, `chunks/${videoId}/${p.first + i}`))),
      );
      stored.push({ ...p, etag: await uploadPart(key, uploadId, p.partNumber, body) });
      partBytesSent += body.length;
    }
  };
  const sizes: number[] = [];
  for (const [i, chunk] of chunks.entries()) {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: `chunks/${videoId}/${i}`, Body: chunk }));
    sizes.push(chunk.length);
    await sendParts(planParts({ sizes, stored, final: false, ...opts }));
  }
  const partsBeforeFinalize = stored.map((p) => p.partNumber);
  await sendParts(planParts({ sizes, stored, final: true, ...opts }));
  await complete(key, uploadId, [...stored].sort((a, b) => a.partNumber - b.partNumber));
  return { key, partsBeforeFinalize, partBytesSent, partCount: stored.length };
}

describe('S3 multipart from chunk objects (s3rver with S3’s CompleteMultipartUpload checks)', () => {
  it('compacts 625 KB chunks into parts, completes, and serves exact bytes and ranges', async () => {
    const { client, bucket } = s3();
    const chunks = Array.from({ length: 20 }, () => randomBytes(CHUNK));
    const whole = Buffer.concat(chunks);
    const r = await recordOnS3('v1', chunks, { holdFirstPart: true });
    // 9 chunks reach 5 MiB: part 1 [0,9) held for the header, part 2 [9,18) sent while recording,
    // the 2-chunk tail is part 3, sent at finalize with part 1.
    expect(r.partsBeforeFinalize).toEqual([2]);
    expect(r.partCount).toBe(3);
    expect(r.partBytesSent).toBe(whole.length);
    expect((await getBytes(client, bucket, r.key)).equals(whole)).toBe(true);
    const boundary = 9 * CHUNK; // where part 1 ends and part 2 begins
    for (const [from, to] of [
      [0, 99],
      [boundary - 10, boundary + 9],
      [2 * boundary - 1, 2 * boundary],
      [whole.length - 7, whole.length - 1],
    ] as const) {
      expect((await getBytes(client, bucket, r.key, `bytes=${from}-${to}`)).equals(whole.subarray(from, to + 1))).toBe(true);
    }
  });

  it('sends parts as soon as they are full when part 1 is not held', async () => {
    const chunks = Array.from({ length: 19 }, () => randomBytes(CHUNK));
    const r = await recordOnS3('v2', chunks, { holdFirstPart: false });
    expect(r.partsBeforeFinalize).toEqual([1, 2]);
    expect((await getBytes(s3().client, s3().bucket, r.key)).equals(Buffer.concat(chunks))).toBe(true);
  });

  it('a planner that cuts parts under 5 MiB is refused at completion, as AWS S3 would', async () => {
    const chunks = Array.from({ length: 6 }, () => randomBytes(CHUNK));
    const err = await recordOnS3('v3', chunks, { holdFirstPart: false, minPartBytes: 1 * MiB }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'EntityTooSmall' });
  });

  it('refuses parts out of order and parts whose ETag does not match', async () => {
    const key = 'videos/v4.webm';
    const uploadId = await startUpload(key);
    const a = await uploadPart(key, uploadId, 1, randomBytes(5 * MiB));
    const b = await uploadPart(key, uploadId, 2, randomBytes(10));
    await expect(complete(key, uploadId, [{ partNumber: 2, etag: b }, { partNumber: 1, etag: a }])).rejects.toMatchObject({ name: 'InvalidPartOrder' });
    await expect(complete(key, uploadId, [{ partNumber: 1, etag: b }, { partNumber: 2, etag: b }])).rejects.toMatchObject({ name: 'InvalidPart' });
    await complete(key, uploadId, [{ partNumber: 1, etag: a }, { partNumber: 2, etag: b }]);
  });

  it('maps a missing object to not_found', async () => {
    const err = await getBytes(s3().client, s3().bucket, 'chunks/nope/0').catch((e: unknown) => toCatalogueError(e));
    expect(err).toMatchObject({ code: 'not_found' });
  });

  it('maps an unreachable object store to service_unavailable', async () => {
    const client = createS3Client({ ...s3().settings, endpoint: 'http://127.0.0.1:1' });
    const err = await getBytes(client, s3().bucket, 'chunks/v/0').catch((e: unknown) => toCatalogueError(e));
    client.destroy();
    expect(err).toMatchObject({ code: 'service_unavailable', details: { retryAfterSec: 1 } });
  });
});
