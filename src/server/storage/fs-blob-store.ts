/**
 * BlobStore on the local filesystem.
 *
 *   <root>/tmp/<random>.part              staged chunks (removed at start-up if left by a crash)
 *   <root>/videos/<videoId>/<index>.chunk published chunks, until appended
 *   <root>/videos/<videoId>/assembled     the video, growing by whole chunks in index order
 *
 * Durability: a staged chunk is fsynced before it is renamed into place and the directory is
 * fsynced after the rename (POSIX rename is atomic, but only a directory fsync makes the new
 * name survive a power cut). Appends are fsynced before the caller records them, so the
 * metadata never claims bytes the disk does not have; a crash between the two leaves the file
 * longer than recorded, which start-up recovery truncates.
 *
 * Paths are built only from a validated ServerId and a non-negative integer index.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, truncate, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ApiError } from '../../shared/errors.ts';
import { isServerId } from '../ids.ts';
import type { BlobStore, ByteRange, StageOptions, StagedChunk } from './blob-store.ts';

const NO_SPACE = new Set(['ENOSPC', 'EDQUOT']);

/** Translates the filesystem's "disk full" once, where it arises (STYLE.md "Errors"). */
function translate(err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code && NO_SPACE.has(code)) return new ApiError('insufficient_storage');
  return err;
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export class FsBlobStore implements BlobStore {
  private readonly tmpDir: string;
  private readonly videosDir: string;

  constructor(root: string) {
    this.tmpDir = join(root, 'tmp');
    this.videosDir = join(root, 'videos');
  }

  async init(): Promise<void> {
    await mkdir(this.tmpDir, { recursive: true });
    await mkdir(this.videosDir, { recursive: true });
  }

  private videoDir(videoId: string): string {
    if (!isServerId(videoId)) throw new TypeError('invalid video id for a blob path');
    return join(this.videosDir, videoId);
  }

  private chunkPath(videoId: string, index: number): string {
    if (!Number.isSafeInteger(index) || index < 0) throw new TypeError('invalid chunk index for a blob path');
    return join(this.videoDir(videoId), `${index}.chunk`);
  }

  private assembledPath(videoId: string): string {
    return join(this.videoDir(videoId), 'assembled');
  }

  async stageChunk(videoId: string, index: number, body: Readable, opts: StageOptions): Promise<StagedChunk> {
    this.chunkPath(videoId, index);
    const hash = createHash('sha256');
    const tempKey = opts.hashOnly ? null : `${randomBytes(12).toString('hex')}.part`;
    const tempPath = tempKey ? join(this.tmpDir, tempKey) : null;
    let fh: FileHandle | null = null;
    let size = 0;
    try {
      if (tempPath) fh = await open(tempPath, 'wx');
      const file = fh;
      await new Promise<void>((resolve, reject) => {
        let settled = false;
        const finish = (err?: unknown) => {
          if (settled) return;
          settled = true;
          body.off('data', onData);
          body.off('end', onEnd);
          body.off('error', finish);
          body.off('close', onClose);
          opts.signal?.removeEventListener('abort', onAbort);
          if (err) {
            // Discard whatever else the client sends; the reply closes the connection.
            body.resume();
            reject(err);
          } else resolve();
        };
        const onData = (buf: Buffer) => {
          size += buf.length;
          if (size > opts.maxBytes) return finish(new ApiError('chunk_too_large', { maxBytes: opts.maxBytes }));
          hash.update(buf);
          if (file) {
            body.pause();
            file.write(buf).then(() => settled || body.resume(), finish);
          }
        };
        // The stream is paused while a write is pending, so 'end' only follows the last write.
        const onEnd = () => finish();
        const onClose = () => finish(new ApiError('request_timeout', { reason: 'client closed the body early' }));
        const onAbort = () => finish(new ApiError('request_timeout', { reason: 'body timeout' }));
        if (opts.signal?.aborted) return onAbort();
        body.on('data', onData);
        body.once('end', onEnd);
        body.once('error', finish);
        body.once('close', onClose);
        opts.signal?.addEventListener('abort', onAbort, { once: true });
        body.resume();
      });
      if (fh) {
        await fh.sync();
        await fh.close();
        fh = null;
      }
    } catch (err) {
      if (fh) await fh.close().catch(() => {});
      if (tempPath) await unlink(tempPath).catch(() => {});
      throw translate(err);
    }
    return { videoId, index, size, sha256: hash.digest('hex'), tempKey };
  }

  async commitChunk(staged: StagedChunk): Promise<void> {
    if (!staged.tempKey) throw new TypeError('a hash-only staging cannot be committed');
    const dir = this.videoDir(staged.videoId);
    const created = await mkdir(dir, { recursive: true });
    if (created) await fsyncDir(this.videosDir);
    await rename(join(this.tmpDir, staged.tempKey), this.chunkPath(staged.videoId, staged.index));
    await fsyncDir(dir);
  }

  async discardStaged(staged: StagedChunk): Promise<void> {
    if (staged.tempKey) await unlink(join(this.tmpDir, staged.tempKey)).catch((e) => (isMissing(e) ? undefined : Promise.reject(e)));
  }

  async hasChunk(videoId: string, index: number): Promise<boolean> {
    return (await this.chunkSize(videoId, index)) !== null;
  }

  async chunkSize(videoId: string, index: number): Promise<number | null> {
    try {
      return (await stat(this.chunkPath(videoId, index))).size;
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async listChunks(videoId: string): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(this.videoDir(videoId));
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
    return names.flatMap((n) => (/^(0|[1-9]\d*)\.chunk$/.test(n) ? [Number(n.slice(0, -6))] : []));
  }

  async deleteChunk(videoId: string, index: number): Promise<void> {
    await rm(this.chunkPath(videoId, index), { force: true });
  }

  async appendChunkToAssembled(videoId: string, index: number, onBytes: (buf: Buffer) => void): Promise<number> {
    const src = this.chunkPath(videoId, index);
    const dest = this.assembledPath(videoId);
    await mkdir(this.videoDir(videoId), { recursive: true });
    const fh = await open(dest, 'a');
    let before = -1;
    try {
      before = (await fh.stat()).size;
      let appended = 0;
      for await (const buf of createReadStream(src) as AsyncIterable<Buffer>) {
        await fh.write(buf);
        onBytes(buf);
        appended += buf.length;
      }
      await fh.sync();
      return appended;
    } catch (err) {
      if (before >= 0) await fh.truncate(before).catch(() => {});
      throw translate(err);
    } finally {
      await fh.close();
    }
  }

  async assembledSize(videoId: string): Promise<number> {
    try {
      return (await stat(this.assembledPath(videoId))).size;
    } catch (err) {
      if (isMissing(err)) return 0;
      throw err;
    }
  }

  async truncateAssembled(videoId: string, size: number): Promise<void> {
    try {
      await truncate(this.assembledPath(videoId), size);
    } catch (err) {
      if (isMissing(err) && size === 0) return;
      throw err;
    }
  }

  readAssembled(videoId: string, range?: ByteRange): Readable {
    const path = this.assembledPath(videoId);
    return range ? createReadStream(path, { start: range.start, end: range.end }) : createReadStream(path);
  }

  async deleteVideo(videoId: string): Promise<void> {
    await rm(this.videoDir(videoId), { recursive: true, force: true });
  }

  async listVideos(): Promise<string[]> {
    try {
      return (await readdir(this.videosDir)).filter((n) => isServerId(n));
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
  }

  async removeLeftoverTemps(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.tmpDir);
    } catch (err) {
      if (isMissing(err)) return 0;
      throw err;
    }
    await Promise.all(names.map((n) => rm(join(this.tmpDir, n), { force: true, recursive: true })));
    return names.length;
  }
}
