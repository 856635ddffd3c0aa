/**
 * SmallObjects on S3: `small/<videoId>/<name>`. A PutObject replaces an object atomically (a
 * reader gets the old or the new one, never a mix) and is durable when it answers.
 */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ApiError } from '../../../shared/errors.ts';
import { isServerId } from '../../ids.ts';
import type { SmallObjectName, SmallObjects } from '../ports.ts';
import { checkBucket, s3call, type S3Target } from './s3-target.ts';

const NAMES: readonly SmallObjectName[] = ['head', 'poster'];

function key(videoId: string, name: SmallObjectName): string {
  if (!isServerId(videoId)) throw new TypeError('invalid video id for an object key');
  if (!NAMES.includes(name)) throw new TypeError('invalid small object name');
  return `small/${videoId}/${name}`;
}

export class S3SmallObjects implements SmallObjects {
  constructor(private readonly s3: S3Target) {}

  async init(): Promise<void> {
    await checkBucket(this.s3);
  }

  async put(videoId: string, name: SmallObjectName, bytes: Buffer): Promise<void> {
    await s3call(this.s3.client.send(new PutObjectCommand({ Bucket: this.s3.bucket, Key: key(videoId, name), Body: bytes, ContentLength: bytes.length })));
  }

  async get(videoId: string, name: SmallObjectName): Promise<Buffer | null> {
    try {
      const out = await s3call(this.s3.client.send(new GetObjectCommand({ Bucket: this.s3.bucket, Key: key(videoId, name) })));
      const bytes = await s3call(out.Body!.transformToByteArray());
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'not_found') return null;
      throw err;
    }
  }

  /** The names are known: two DeleteObject calls, no listing. */
  async deleteAll(videoId: string): Promise<void> {
    await Promise.all(NAMES.map((n) => s3call(this.s3.client.send(new DeleteObjectCommand({ Bucket: this.s3.bucket, Key: key(videoId, n) })))));
  }

  async close(): Promise<void> {
    this.s3.release?.();
  }
}
