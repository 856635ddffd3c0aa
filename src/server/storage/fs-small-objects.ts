/**
 * Small whole objects of a video on the filesystem (the served head of a seekable WebM, the
 * poster): written to a temp name, fsynced, renamed into place, directory fsynced — so a reader
 * sees the old object or the new one, never a torn one, and a completed write survives a crash.
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
