/**
 * Whole-file replacement on the filesystem: written to a temp name in the store's temp
 * directory (same filesystem), fsynced, renamed into place, the target directory fsynced. A
 * reader sees the old file or the new one, never a torn one, and a resolved write survives a
 * crash. On failure the temp file is removed: nothing half-written is kept.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fsyncDir, translateFsError, writeAllAt } from './fs-io.ts';

export function tempName(tmpDir: string): string {
  return join(tmpDir, `${randomBytes(12).toString('hex')}.tmp`);
}

export async function writeFileAtomically(path: string, bytes: readonly Buffer[], tmpDir: string): Promise<void> {
  const tmp = tempName(tmpDir);
  try {
    const fh = await open(tmp, 'wx');
    try {
      await writeAllAt(fh, bytes, 0);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    await fsyncDir(dirname(path));
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw translateFsError(err);
  }
}

/** The file's bytes; null when absent. */
export async function readFileOrNull(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
