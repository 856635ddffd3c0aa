/**
 * Small whole objects of a video on the filesystem (the served head of a seekable WebM, the
 * poster). `writeSmallObject`: written to a temp name, fsynced, renamed into place, directory
 * fsynced — a reader sees the old object or the new one, never a torn one, and a completed write
 * survives a crash. `writeOnceObject`: for an object written once before anything refers to it
 * (the served head, recorded as seekable only after this resolves): no rename, and the file's and
 * the directory's flushes run together — one flush of latency on the stop-to-link path, not two.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ApiError } from '../../shared/errors.ts';

export async function writeSmallObject(path: string, bytes: Buffer): Promise<void> {
  const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

export async function readSmallObject(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export async function readRequiredObject(path: string): Promise<Buffer> {
  const b = await readSmallObject(path);
  if (b === null) throw new ApiError('not_found');
  return b;
}

export async function writeOnceObject(path: string, bytes: Buffer): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.writeFile(bytes);
    const dir = await open(dirname(path), 'r');
    try {
      await Promise.all([fh.datasync(), dir.sync()]);
    } finally {
      await dir.close();
    }
  } finally {
    await fh.close();
  }
}
