/**
 * OutputWriter on S3: one multipart upload per video, published as the object `videos/<videoId>`.
 * Segments are parts cut by part-planner.ts (each ≥ 5 MiB but the last), numbered on from the
 * recorded prefix; a part's ETag is its receipt, which ingest records in the database. Nothing is
 * read back from the store to decide anything: `complete` lists exactly the recorded receipts
 * (never ListParts — tusd#204, where a listing picked up a part that was not meant to be in the
 * file), so a part uploaded but never recorded is simply left out. No part is held back: the
 * seekable head is a separate small object written after completion (ports.ts).
 */
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { ApiError } from '../../../shared/errors.ts';
import { isServerId } from '../../ids.ts';
import type { ByteRange, OutputHandle, OutputWriter, SegmentPlan, SegmentReceipt } from '../ports.ts';
import { MAX_PARTS, MIN_PART_BYTES, PartPlanError, partition } from './part-planner.ts';
import { checkBucket, oneBuffer, s3call, type S3Target } from './s3-target.ts';

function outputKey(videoId: string): string {
  if (!isServerId(videoId)) throw new TypeError('invalid video id for an output key');
  return `videos/${videoId}`;
}

function isCode(err: unknown, code: string): boolean {
  return err instanceof ApiError && err.code === code;
}

function uploadIdOf(h: OutputHandle): string {
  if (!h.uploadId) throw new TypeError(`output of ${h.videoId} has no multipart upload id`);
  return h.uploadId;
}

export class S3OutputWriter implements OutputWriter {
  constructor(
    private readonly s3: S3Target,
    /** S3's minimum part size; tests of the planner alone may lower it, S3 itself never does. */
    private readonly minPartBytes = MIN_PART_BYTES,
  ) {}

  async init(): Promise<void> {
    await checkBucket(this.s3);
  }

  async begin(videoId: string): Promise<OutputHandle> {
    const out = await s3call(this.s3.client.send(new CreateMultipartUploadCommand({ Bucket: this.s3.bucket, Key: outputKey(videoId), ContentType: 'video/webm' })));
    if (!out.UploadId) throw new Error('CreateMultipartUpload answered without an UploadId');
    return { videoId, uploadId: out.UploadId };
  }

  /**
   * The recorded prefix ends on a part boundary (parts are recorded whole, in order), and the
   * planner's partition depends only on the sizes from a boundary on, so planning the sizes
   * after the prefix gives the same parts as planning everything from the start.
   */
  plan(prefix: { chunks: number; bytes: number; segments: number }, sizes: readonly number[], final: boolean): SegmentPlan[] {
    let offset = prefix.bytes;
    const parts = partition(sizes, final, this.minPartBytes).map((p) => {
      const seg = { number: prefix.segments + p.partNumber, first: prefix.chunks + p.first, end: prefix.chunks + p.end, offset, bytes: p.bytes };
      offset += p.bytes;
      return seg;
    });
    const last = parts.at(-1);
    if (last && last.number > MAX_PARTS) throw new PartPlanError(`part ${last.number} exceeds S3's limit of ${MAX_PARTS}`);
    return parts;
  }

  async write(h: OutputHandle, seg: SegmentPlan, bytes: readonly Buffer[]): Promise<SegmentReceipt> {
    const body = oneBuffer(bytes);
    if (body.length !== seg.bytes) throw new TypeError(`segment ${seg.number} is planned as ${seg.bytes} bytes, ${body.length} given`);
    const out = await s3call(
      this.s3.client.send(
        new UploadPartCommand({ Bucket: this.s3.bucket, Key: outputKey(h.videoId), UploadId: uploadIdOf(h), PartNumber: seg.number, Body: body, ContentLength: body.length }),
      ),
    );
    if (!out.ETag) throw new Error(`UploadPart ${seg.number} answered without an ETag`);
    return { ...seg, etag: out.ETag };
  }

  /**
   * CompleteMultipartUpload from the recorded receipts: one request whatever the length. Done
   * already (another node, or this one before a lost answer): S3 answers NoSuchUpload, and the
   * object with the recorded size is the proof it was published. No segment: S3 cannot complete
   * an upload with zero parts, so an empty object is put and the upload aborted.
   */
  async complete(h: OutputHandle, receipts: readonly SegmentReceipt[], size: number): Promise<void> {
    const Key = outputKey(h.videoId);
    if (receipts.length === 0) {
      if (size !== 0) throw new TypeError(`no receipts for an output of ${size} bytes`);
      await s3call(this.s3.client.send(new PutObjectCommand({ Bucket: this.s3.bucket, Key, Body: Buffer.alloc(0), ContentLength: 0 })));
      if (h.uploadId) await this.abort(h);
      return;
    }
    const Parts = [...receipts].sort((a, b) => a.number - b.number).map((r) => ({ PartNumber: r.number, ETag: r.etag ?? undefined }));
    try {
      await s3call(this.s3.client.send(new CompleteMultipartUploadCommand({ Bucket: this.s3.bucket, Key, UploadId: uploadIdOf(h), MultipartUpload: { Parts } })));
    } catch (err) {
      if (!isCode(err, 'not_found')) throw err;
      const head = await s3call(this.s3.client.send(new HeadObjectCommand({ Bucket: this.s3.bucket, Key }))).catch((e: unknown) =>
        isCode(e, 'not_found') ? null : Promise.reject(e),
      );
      if (head?.ContentLength !== size) throw err;
    }
  }

  async abort(h: OutputHandle): Promise<void> {
    if (!h.uploadId) return;
    try {
      await s3call(this.s3.client.send(new AbortMultipartUploadCommand({ Bucket: this.s3.bucket, Key: outputKey(h.videoId), UploadId: h.uploadId })));
    } catch (err) {
      if (!isCode(err, 'not_found')) throw err;
    }
  }

  /** One GetObject: its answer's headers arrive before any byte, so absence rejects first. */
  async open(videoId: string, range?: ByteRange): Promise<{ size: number; body: Readable }> {
    if (range && range.start > range.end) throw new ApiError('range_not_satisfiable');
    let out;
    try {
      out = await s3call(
        this.s3.client.send(new GetObjectCommand({ Bucket: this.s3.bucket, Key: outputKey(videoId), ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) })),
      );
    } catch (err) {
      if ((err as { name?: string }).name === 'InvalidRange' || (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 416) {
        throw new ApiError('range_not_satisfiable');
      }
      throw err;
    }
    const total = out.ContentRange ? Number(/\/(\d+)$/.exec(out.ContentRange)?.[1]) : out.ContentLength;
    if (total === undefined || !Number.isSafeInteger(total)) throw new Error(`GetObject of ${videoId} answered without a size`);
    return { size: total, body: out.Body as Readable };
  }

  async delete(videoId: string): Promise<void> {
    await s3call(this.s3.client.send(new DeleteObjectCommand({ Bucket: this.s3.bucket, Key: outputKey(videoId) })));
  }

  async close(): Promise<void> {
    this.s3.release?.();
  }
}
