/**
 * BlobStore on the local filesystem.
 *
 *   <root>/tmp/<random>.part              staged chunks (removed at start-up if left by a crash)
 *   <root>/videos/<videoId>/<index>.chunk published chunks, until appended
 *   <root>/videos/<videoId>/assembled     the video, growing by whole chunks in index order
 *   <root>/journals/<videoId>.log         append journal: one record per append (append-journal.ts)
 *   <root>/videos/<videoId>/head          served head of a seekable WebM (fs-small-objects.ts)
 *   <root>/videos/<videoId>/poster.jpg    poster frame
 *
 * The durability model (what is flushed before a 2xx, and what recovery re-adopts or
 * truncates) is told once, in docs/API.md "Durability and recovery". Here: the in-order fast
 * path (`appendToAssembled`) fdatasyncs bytes and journal record in parallel — one data flush
 * per chunk instead of temp file + rename + read-back + second flush; a staged chunk is fsynced
 * before its rename and the directory after it (POSIX rename is atomic, but only a directory
 * fsync makes the new name survive a power cut); new directory entries (a video's directory,
 * its assembled file and journal) are made durable by fsyncing the parent on creation.
 *
 * Paths are built only from a validated ServerId and a non-negative integer index.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat, truncate, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ApiError } from '../../shared/errors.ts';
import { isServerId } from '../ids.ts';
import { decodeRecords, encodeRecord } from './append-journal.ts';
import { AppenderCache, writeAllAt, type Appender } from './appender-cache.ts';
import type { AppendRecord, BlobStore, ByteRange, StageOptions, StagedChunk } from './blob-store.ts';
import { InlineSha256 } from '../hashing/inline-sha256.ts';
import type { Sha256Service } from '../hashing/sha256-service.ts';
import { SharedBody, SharedBodyPool } from './shared-body.ts';
import { readRequiredObject, readSmallObject, writeOnceObject, writeSmallObject } from './fs-small-objects.ts';

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
  private readonly journalsDir: string;
  /** Video directories known to exist durably (saves a mkdir per append). */
  private readonly knownDirs = new Set<string>();
  /**
   * Open handles of recently appended videos (assembled file, journal, and the assembled file's
   * length as written through them), least recently used first. Saves two opens, two closes and
   * a stat per in-order chunk; every other path that changes the file drops the entry first.
   */
  private readonly appenders = new AppenderCache();
  /** Memory of chunks staged in memory, reused (shared-body.ts). */
  private readonly bodies = new SharedBodyPool();

  constructor(
    root: string,
    private readonly sha256: Sha256Service = new InlineSha256(),
  ) {
    this.tmpDir = join(root, 'tmp');
    this.videosDir = join(root, 'videos');
    this.journalsDir = join(root, 'journals');
  }

  async init(): Promise<void> {
    await mkdir(this.tmpDir, { recursive: true });
    await mkdir(this.videosDir, { recursive: true });
    await mkdir(this.journalsDir, { recursive: true });
  }

  private journalPath(videoId: string): string {
    if (!isServerId(videoId)) throw new TypeError('invalid video id for a blob path');
    return join(this.journalsDir, `${videoId}.log`);
  }

  /** Creates the video's directory, durably, once. */
  private async ensureVideoDir(videoId: string): Promise<string> {
    const dir = this.videoDir(videoId);
    if (this.knownDirs.has(videoId)) return dir;
    const created = await mkdir(dir, { recursive: true });
    if (created) await fsyncDir(this.videosDir);
    this.knownDirs.add(videoId);
    return dir;
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
    const keep = opts.inMemory && !opts.hashOnly ? new SharedBody(this.bodies, opts.expectedBytes) : null;
    // In memory, the bytes are hashed in one go by the Sha256Service (off the event loop, see
    // hashing/sha256-service.ts); a streamed body is hashed here as it passes.
    const hash = keep ? null : createHash('sha256');
    const tempKey = opts.hashOnly || keep ? null : `${randomBytes(12).toString('hex')}.part`;
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
          if (keep) keep.push(buf);
          else hash!.update(buf);
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
        // The connection may have died while the temp file was opening: its 'close' is past and
        // no 'end' will come, so waiting would keep the temp file until the body timeout.
        if (body.destroyed) return onClose();
        body.resume();
      });
      if (fh) {
        await fh.sync();
        await fh.close();
        fh = null;
      }
    } catch (err) {
      keep?.release();
      if (fh) await fh.close().catch(() => {});
      if (tempPath) await unlink(tempPath).catch(() => {});
      throw translate(err);
    }
    if (!keep) return { videoId, index, size, sha256: hash!.digest('hex'), tempKey };
    const bytes = keep.bytes();
    return { videoId, index, size, sha256: await this.sha256.digest(bytes), tempKey, bytes: [bytes], release: () => keep.release() };
  }

  async commitChunk(staged: StagedChunk): Promise<void> {
    if (staged.bytes) return this.commitFromMemory(staged, staged.bytes);
    if (!staged.tempKey) throw new TypeError('a hash-only staging cannot be committed');
    const dir = await this.ensureVideoDir(staged.videoId);
    await rename(join(this.tmpDir, staged.tempKey), this.chunkPath(staged.videoId, staged.index));
    await fsyncDir(dir);
  }

  /** A chunk staged in memory that turned out not to be next: publish it like a staged file. */
  private async commitFromMemory(staged: StagedChunk, bytes: readonly Buffer[]): Promise<void> {
    const tempPath = join(this.tmpDir, `${randomBytes(12).toString('hex')}.part`);
    try {
      const fh = await open(tempPath, 'wx');
      try {
        await writeAllAt(fh, bytes, 0);
        await fh.sync();
      } finally {
        await fh.close();
      }
      const dir = await this.ensureVideoDir(staged.videoId);
      await rename(tempPath, this.chunkPath(staged.videoId, staged.index));
      await fsyncDir(dir);
    } catch (err) {
      await unlink(tempPath).catch(() => {});
      throw translate(err);
    }
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
    const dir = await this.ensureVideoDir(videoId);
    await this.releaseAppender(videoId);
    const fh = await open(this.assembledPath(videoId), 'a');
    const journal = await open(this.journalPath(videoId), 'a').catch(async (err: unknown) => {
      await fh.close();
      throw err;
    });
    let before = -1;
    try {
      before = (await fh.stat()).size;
      // The journal needs the chunk's own SHA-256: a second hash, but only on this rare path.
      const own = createHash('sha256');
      let appended = 0;
      for await (const buf of createReadStream(src) as AsyncIterable<Buffer>) {
        await fh.write(buf);
        onBytes(buf);
        own.update(buf);
        appended += buf.length;
      }
      await this.syncWithJournal(dir, fh, journal, { index, offset: before, size: appended, sha256: own.digest('hex') });
      return appended;
    } catch (err) {
      if (before >= 0) await fh.truncate(before).catch(() => {});
      throw translate(err);
    } finally {
      await Promise.allSettled([fh.close(), journal.close()]);
    }
  }

  async appendToAssembled(videoId: string, index: number, bytes: readonly Buffer[], at: number, sha256: string): Promise<void> {
    const dir = await this.ensureVideoDir(videoId);
    let app: Appender | null = null;
    let written = false;
    try {
      app = await this.appenders.get(videoId, this.assembledPath(videoId), this.journalPath(videoId));
      if (app.size < at) throw new Error(`assembled file of ${videoId} has ${app.size} bytes, ${at} recorded`);
      // Bytes go exactly at the recorded end, whatever an earlier failure left beyond it.
      if (app.size > at) await app.data.truncate(at);
      app.size = at;
      written = true;
      await writeAllAt(app.data, bytes, at);
      const n = bytes.reduce((sum, b) => sum + b.length, 0);
      await this.syncWithJournal(dir, app.data, app.journal, { index, offset: at, size: n, sha256 });
      app.size = at + n;
    } catch (err) {
      if (app && written) await app.data.truncate(at).catch(() => {});
      if (app) this.appenders.put(app);
      app = null;
      await this.releaseAppender(videoId);
      throw translate(err);
    } finally {
      if (app) this.appenders.put(app);
    }
  }

  private releaseAppender(videoId: string): Promise<void> {
    return this.appenders.release(videoId);
  }

  async close(): Promise<void> {
    await this.appenders.closeAll();
  }

  /**
   * Appends the journal record and flushes it and the assembled file, in parallel (two files,
   * two flushes, overlapping on the disk queue). fdatasync suffices: it covers the file size.
   * The first append of a video also makes the new names durable (directory fsyncs). A record
   * left by a failed append is harmless: recovery only adopts records whose bytes verify.
   */
  private async syncWithJournal(dir: string, data: FileHandle, journal: FileHandle, record: AppendRecord): Promise<void> {
    await journal.write(encodeRecord(record));
    await Promise.all([data.datasync(), journal.datasync(), ...(record.offset === 0 ? [fsyncDir(dir), fsyncDir(this.journalsDir)] : [])]);
  }

  async readAppendJournal(videoId: string): Promise<AppendRecord[]> {
    try {
      return decodeRecords(await readFile(this.journalPath(videoId)));
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
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
    await this.releaseAppender(videoId);
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
    this.knownDirs.delete(videoId);
    await this.releaseAppender(videoId);
    await rm(this.videoDir(videoId), { recursive: true, force: true });
    await rm(this.journalPath(videoId), { force: true });
  }

  async listVideos(): Promise<string[]> {
    const names = async (dir: string): Promise<string[]> => {
      try {
        return await readdir(dir);
      } catch (err) {
        if (isMissing(err)) return [];
        throw err;
      }
    };
    const journals = (await names(this.journalsDir)).flatMap((n) => (n.endsWith('.log') ? [n.slice(0, -4)] : []));
    return [...new Set([...(await names(this.videosDir)), ...journals])].filter((n) => isServerId(n));
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

  async writeServedHead(videoId: string, head: Buffer): Promise<void> {
    await writeOnceObject(join(await this.ensureVideoDir(videoId), 'head'), head).catch((err: unknown) => Promise.reject(translate(err)));
  }

  readServedHead(videoId: string): Promise<Buffer> {
    return readRequiredObject(join(this.videoDir(videoId), 'head'));
  }

  async writePoster(videoId: string, bytes: Buffer): Promise<void> {
    await writeSmallObject(join(await this.ensureVideoDir(videoId), 'poster.jpg'), bytes).catch((err: unknown) => Promise.reject(translate(err)));
  }

  readPoster(videoId: string): Promise<Buffer | null> {
    return readSmallObject(join(this.videoDir(videoId), 'poster.jpg'));
  }
}
