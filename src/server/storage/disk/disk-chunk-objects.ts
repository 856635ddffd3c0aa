/**
 * ChunkObjects on the local filesystem: one file per chunk,
 * `<root>/chunks/<videoId>/<index>-<sha256>`, staged in `<root>/tmp/chunks`, fsynced, renamed
 * into place, the video's directory fsynced (atomic-file.ts). A body ingest already wrote to a
 * file is renamed in when it is on the same filesystem (no copy); otherwise it is copied.
 *
 * Paths are built only from a validated ServerId, a non-negative integer index and a hex SHA-256.
 */
import { copyFile, mkdir, open, readFile, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiError } from '../../../shared/errors.ts';
import { isServerId } from '../../ids.ts';
import type { ChunkBody, ChunkObjects, ChunkRef } from '../ports.ts';
import { tempName, writeFileAtomically } from './atomic-file.ts';
import { clearTempDir, DurableDirs, fsyncDir, isMissing, translateFsError } from './fs-io.ts';

const SHA256_HEX = /^[0-9a-f]{64}$/;

export class DiskChunkObjects implements ChunkObjects {
  private readonly chunksDir: string;
  private readonly tmpDir: string;
  private readonly dirs: DurableDirs;

  constructor(root: string) {
    this.chunksDir = join(root, 'chunks');
    this.tmpDir = join(root, 'tmp', 'chunks');
    this.dirs = new DurableDirs(this.chunksDir);
  }

  async init(): Promise<void> {
    await mkdir(this.chunksDir, { recursive: true });
    await mkdir(this.tmpDir, { recursive: true });
    await clearTempDir(this.tmpDir);
  }

  private fileName(ref: ChunkRef): string {
    if (!isServerId(ref.videoId)) throw new TypeError('invalid video id for a chunk path');
    if (!Number.isSafeInteger(ref.index) || ref.index < 0) throw new TypeError('invalid chunk index for a chunk path');
    if (!SHA256_HEX.test(ref.sha256)) throw new TypeError('invalid SHA-256 for a chunk path');
    return `${ref.index}-${ref.sha256}`;
  }

  async put(ref: ChunkRef, body: ChunkBody): Promise<void> {
    const name = this.fileName(ref);
    await this.dirs.writeInto(ref.videoId, (dir) =>
      'buffers' in body ? writeFileAtomically(join(dir, name), body.buffers, this.tmpDir) : this.moveIn(body.path, join(dir, name), dir),
    );
  }

  /**
   * Ingest's verified temp file becomes the chunk: its bytes are already on stable storage
   * (ChunkBody's promise), so only the rename needs flushing — by the directory's fsync, which
   * is what makes a new name durable (fsync(2)); a second fsync of the file would add nothing.
   * Across filesystems (EXDEV) it is copied via our temp dir, and that new file is flushed.
   */
  private async moveIn(src: string, target: string, dir: string): Promise<void> {
    try {
      await rename(src, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw translateFsError(err);
      const tmp = tempName(this.tmpDir);
      try {
        await copyFile(src, tmp);
        const fh = await open(tmp, 'r');
        try {
          await fh.sync();
        } finally {
          await fh.close();
        }
        await rename(tmp, target);
      } catch (copyErr) {
        await unlink(tmp).catch(() => {});
        throw translateFsError(copyErr);
      }
    }
    await fsyncDir(dir);
  }

  async get(ref: ChunkRef): Promise<Buffer[]> {
    try {
      return [await readFile(join(this.chunksDir, ref.videoId, this.fileName(ref)))];
    } catch (err) {
      if (isMissing(err)) throw new ApiError('not_found');
      throw err;
    }
  }

  async delete(ref: ChunkRef): Promise<void> {
    await rm(join(this.chunksDir, ref.videoId, this.fileName(ref)), { force: true });
  }

  async deleteAll(videoId: string): Promise<void> {
    if (!isServerId(videoId)) throw new TypeError('invalid video id for a chunk path');
    this.dirs.forget(videoId);
    await rm(join(this.chunksDir, videoId), { recursive: true, force: true });
  }

  async close(): Promise<void> {}
}
