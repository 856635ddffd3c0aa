/**
 * The filesystem primitives the disk stores share: the errno → catalogue translation (once,
 * where it arises — STYLE.md "Errors"), directory fsync, positional vectored writes, and
 * clearing a store's own temp directory.
 */
import { mkdir, open, readdir, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiError } from '../../../shared/errors.ts';

const NO_SPACE = new Set(['ENOSPC', 'EDQUOT']);

/** Disk full / over quota → 507 `insufficient_storage`; anything else unchanged. */
export function translateFsError(err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code && NO_SPACE.has(code)) {
    const api = new ApiError('insufficient_storage');
    Object.defineProperty(api, 'cause', { value: err, enumerable: false });
    return api;
  }
  return err;
}

export function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

/**
 * POSIX rename and create are atomic, but only an fsync of the directory makes the new name
 * survive a power cut (fsync(2): "does not necessarily ensure that the entry in the directory
 * containing the file has also reached disk").
 */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** writev takes at most IOV_MAX (1024 on Linux) buffers per call. */
const IOV_BATCH = 512;

/** Writes every buffer at `position` on, whatever partial writes the kernel makes. */
export async function writeAllAt(fh: FileHandle, bufs: readonly Buffer[], position: number): Promise<void> {
  let pos = position;
  for (let i = 0; i < bufs.length; i += IOV_BATCH) {
    const batch = bufs.slice(i, i + IOV_BATCH);
    const want = batch.reduce((n, b) => n + b.length, 0);
    const done = (await fh.writev(batch, pos)).bytesWritten;
    if (done < want) {
      // Rare on regular files; finish byte-exactly with plain writes.
      const rest = Buffer.concat(batch).subarray(done);
      for (let off = 0; off < rest.length; ) off += (await fh.write(rest, off, rest.length - off, pos + done + off)).bytesWritten;
    }
    pos += want;
  }
}

/**
 * Empties a store's own temp directory: only this node's store writes there (it lives under
 * this node's data directory), so anything in it at start-up was left by a crash.
 */
export async function clearTempDir(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if (isMissing(err)) return;
    throw err;
  }
  await Promise.all(names.map((n) => rm(join(dir, n), { force: true, recursive: true })));
}

/**
 * Per-video directories known to exist durably: created once (the parent fsynced so the new
 * name survives a crash), then remembered, which saves a mkdir per write.
 */
export class DurableDirs {
  private readonly known = new Set<string>();

  constructor(private readonly parent: string) {}

  async ensure(name: string): Promise<string> {
    const dir = join(this.parent, name);
    if (this.known.has(name)) return dir;
    const created = await mkdir(dir, { recursive: true });
    if (created) await fsyncDir(this.parent);
    this.known.add(name);
    return dir;
  }

  forget(name: string): void {
    this.known.delete(name);
  }

  /**
   * Runs `write` into the directory; if the directory vanished meanwhile (a deleteAll of the
   * same video — the sweeper racing a late write), it is created again and `write` retried once.
   */
  async writeInto<T>(name: string, write: (dir: string) => Promise<T>): Promise<T> {
    try {
      return await write(await this.ensure(name));
    } catch (err) {
      if (!isMissing(err)) throw translateFsError(err);
      this.forget(name);
      try {
        return await write(await this.ensure(name));
      } catch (again) {
        throw translateFsError(again);
      }
    }
  }
}
