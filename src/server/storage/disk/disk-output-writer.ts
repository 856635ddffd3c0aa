/**
 * OutputWriter on the local filesystem: one file per video, `<root>/videos/<videoId>`, written
 * in place. A segment is one chunk written at its recorded offset and flushed (fdatasync covers
 * the data and the file size); the first write of a file also flushes the directory so its name
 * survives a crash. Bytes past the recorded prefix (a write that failed or was never recorded)
 * are garbage: the next segment overwrites them and `complete` cuts the file to the prefix.
 * There is no separate "published" state on disk: the file is the output.
 */
import { constants } from 'node:fs';
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ApiError } from '../../../shared/errors.ts';
import { isServerId } from '../../ids.ts';
import type { ByteRange, OutputHandle, OutputWriter, SegmentPlan, SegmentReceipt } from '../ports.ts';
import { fsyncDir, isMissing, translateFsError, writeAllAt } from './fs-io.ts';
import { HandleCache } from './handle-cache.ts';

export class DiskOutputWriter implements OutputWriter {
  private readonly videosDir: string;
  private readonly handles: HandleCache;
  /** Files whose directory entry is known to be flushed. */
  private readonly durableNames = new Set<string>();

  /** `openHandles`: outputs whose write handle stays open between segments (0: none). */
  constructor(root: string, openHandles = 32) {
    this.videosDir = join(root, 'videos');
    this.handles = new HandleCache(openHandles);
  }

  async init(): Promise<void> {
    await mkdir(this.videosDir, { recursive: true });
  }

  private path(videoId: string): string {
    if (!isServerId(videoId)) throw new TypeError('invalid video id for an output path');
    return join(this.videosDir, videoId);
  }

  async begin(videoId: string): Promise<OutputHandle> {
    this.path(videoId);
    return { videoId, uploadId: null };
  }

  /** One segment per chunk: every verified chunk can be written as soon as it is next. */
  plan(prefix: { chunks: number; bytes: number; segments: number }, sizes: readonly number[], _final = false): SegmentPlan[] {
    let offset = prefix.bytes;
    return sizes.map((bytes, i) => {
      const seg = { number: prefix.segments + 1 + i, first: prefix.chunks + i, end: prefix.chunks + i + 1, offset, bytes };
      offset += bytes;
      return seg;
    });
  }

  async write(h: OutputHandle, seg: SegmentPlan, bytes: readonly Buffer[]): Promise<SegmentReceipt> {
    const n = bytes.reduce((sum, b) => sum + b.length, 0);
    if (n !== seg.bytes) throw new TypeError(`segment ${seg.number} is planned as ${seg.bytes} bytes, ${n} given`);
    await this.withHandle(h.videoId, async (fh) => {
      try {
        await writeAllAt(fh, bytes, seg.offset);
        await fh.datasync();
      } catch (err) {
        // Give back what a failed write took (ENOSPC: nothing half-written is kept).
        if (((await fh.stat().catch(() => null))?.size ?? 0) > seg.offset) await fh.truncate(seg.offset).catch(() => {});
        throw err;
      }
    });
    return { ...seg, etag: null };
  }

  async complete(h: OutputHandle, _receipts: readonly SegmentReceipt[], size: number): Promise<void> {
    await this.withHandle(h.videoId, async (fh) => {
      await fh.truncate(size);
      await fh.sync();
    });
    await this.handles.drop(h.videoId);
  }

  /**
   * Runs `fn` with the video's cached write handle; the first use of a new file flushes the
   * directory too, alongside. Any failure drops the handle (the next call reopens) and is
   * translated (ENOSPC → insufficient_storage).
   */
  private async withHandle(videoId: string, fn: (fh: FileHandle) => Promise<void>): Promise<void> {
    const path = this.path(videoId);
    let acquired: Awaited<ReturnType<HandleCache['acquire']>> | null = null;
    try {
      acquired = await this.handles.acquire(videoId, path);
      const flushName = !this.durableNames.has(videoId);
      await Promise.all([fn(acquired.fh), flushName ? fsyncDir(this.videosDir) : null]);
      if (flushName) this.durableNames.add(videoId);
    } catch (err) {
      await this.handles.drop(videoId);
      throw translateFsError(err);
    } finally {
      if (acquired) this.handles.release(acquired.fh);
    }
  }

  async abort(h: OutputHandle): Promise<void> {
    await this.delete(h.videoId);
  }

  async open(videoId: string, range?: ByteRange): Promise<{ size: number; body: Readable }> {
    let fh;
    try {
      fh = await open(this.path(videoId), constants.O_RDONLY);
    } catch (err) {
      if (isMissing(err)) throw new ApiError('not_found');
      throw err;
    }
    try {
      const { size } = await fh.stat();
      if (!range) return { size, body: fh.createReadStream({ autoClose: true }) };
      if (range.start > range.end || range.start >= size) throw new ApiError('range_not_satisfiable', { size });
      return { size, body: fh.createReadStream({ start: range.start, end: Math.min(range.end, size - 1), autoClose: true }) };
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  async delete(videoId: string): Promise<void> {
    const path = this.path(videoId);
    await this.handles.drop(videoId);
    this.durableNames.delete(videoId);
    await rm(path, { force: true });
  }

  async close(): Promise<void> {
    await this.handles.closeAll();
  }
}
