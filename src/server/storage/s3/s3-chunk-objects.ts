/**
 * ChunkObjects on S3: one object per chunk, `chunks/<videoId>/<index>-<sha256>`. A PutObject
 * is atomic and durable when it answers (S3's read-after-write consistency), so `put` is one
 * request; a body ingest holds in a file is streamed with its ContentLength (the SDK does not
 * retry a streamed body — its retry middleware refuses "non-retryable streaming requests" —
 * so a failure is a 503 the client retries).
 */
import { createReadStream } from 'node:fs';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { isServerId } from '../../ids.ts';
import type { ChunkBody, ChunkObjects, ChunkRef } from '../ports.ts';
import { checkBucket, oneBuffer, s3call, type S3Target } from './s3-target.ts';

const SHA256_HEX = /^[0-9a-f]{64}$/;

function videoPrefix(videoId: string): string {
  if (!isServerId(videoId)) throw new TypeError('invalid video id for a chunk key');
  return `chunks/${videoId}/`;
}

export function chunkKey(ref: ChunkRef): string {
  if (!Number.isSafeInteger(ref.index) || ref.index < 0) throw new TypeError('invalid chunk index for a chunk key');
  if (!SHA256_HEX.test(ref.sha256)) throw new TypeError('invalid SHA-256 for a chunk key');
  return `${videoPrefix(ref.videoId)}${ref.index}-${ref.sha256}`;
}

export class S3ChunkObjects implements ChunkObjects {
  constructor(private readonly s3: S3Target) {}

  async init(): Promise<void> {
    await checkBucket(this.s3);
  }

  async put(ref: ChunkRef, body: ChunkBody): Promise<void> {
    const Body = 'buffers' in body ? oneBuffer(body.buffers) : createReadStream(body.path);
    await s3call(this.s3.client.send(new PutObjectCommand({ Bucket: this.s3.bucket, Key: chunkKey(ref), Body, ContentLength: body.size })));
  }

  async get(ref: ChunkRef): Promise<Buffer[]> {
    const out = await s3call(this.s3.client.send(new GetObjectCommand({ Bucket: this.s3.bucket, Key: chunkKey(ref) })));
    const bytes = await s3call(out.Body!.transformToByteArray());
    return [Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)];
  }

  async delete(ref: ChunkRef): Promise<void> {
    await s3call(this.s3.client.send(new DeleteObjectCommand({ Bucket: this.s3.bucket, Key: chunkKey(ref) })));
  }

  /** ListObjectsV2 on the video's prefix, DeleteObjects by pages of up to 1000 keys (S3's limit). */
  async deleteAll(videoId: string): Promise<void> {
    const Prefix = videoPrefix(videoId);
    let ContinuationToken: string | undefined;
    do {
      const page = await s3call(this.s3.client.send(new ListObjectsV2Command({ Bucket: this.s3.bucket, Prefix, ContinuationToken })));
      const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
      if (keys.length > 0) {
        const res = await s3call(this.s3.client.send(new DeleteObjectsCommand({ Bucket: this.s3.bucket, Delete: { Objects: keys, Quiet: true } })));
        const failed = res.Errors?.[0];
        if (failed) throw new Error(`DeleteObjects failed for ${failed.Key}: ${failed.Code} ${failed.Message}`);
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  async close(): Promise<void> {
    this.s3.release?.();
  }
}
