/**
 * Open write handles of the outputs being written: the in-order path writes every chunk of a
 * recording to the same file, so keeping it open saves an open and a close per chunk (measured:
 * docs/PERFORMANCE.md "Disk stores"). Least recently used idle handles are closed beyond `max`;
 * a handle in use is never closed under its user. Callers pair `acquire` with `release`.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

interface Entry {
  fh: FileHandle;
  users: number;
  /** Dropped while in use: closed by the last release. */
  dropped: boolean;
}

function closeQuietly(fh: FileHandle): Promise<void> {
  return fh.close().catch(() => {});
}

export class HandleCache {
  private readonly entries = new Map<string, Entry>();
  private readonly byHandle = new Map<FileHandle, Entry>();

  constructor(private readonly max = 32) {}

  /** The file's write handle (created when missing; `created` says so), opened when not cached. */
  async acquire(key: string, path: string): Promise<{ fh: FileHandle; created: boolean }> {
    const cached = this.entries.get(key);
    if (cached) {
      this.entries.delete(key);
      this.entries.set(key, cached);
      cached.users++;
      return { fh: cached.fh, created: false };
    }
    let created = false;
    let fh: FileHandle;
    try {
      fh = await open(path, constants.O_WRONLY);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      fh = await open(path, constants.O_WRONLY | constants.O_CREAT);
      created = true;
    }
    // Another caller may have opened it meanwhile: keep one handle.
    const raced = this.entries.get(key);
    if (raced) {
      raced.users++;
      await closeQuietly(fh);
      return { fh: raced.fh, created };
    }
    const entry: Entry = { fh, users: 1, dropped: false };
    this.entries.set(key, entry);
    this.byHandle.set(fh, entry);
    await this.evict();
    return { fh, created };
  }

  release(fh: FileHandle): void {
    const e = this.byHandle.get(fh);
    if (!e) return;
    e.users--;
    if (e.dropped && e.users === 0) {
      this.byHandle.delete(fh);
      void closeQuietly(fh);
    } else if (e.users === 0 && this.entries.size > this.max) void this.evict();
  }

  /** Closes the key's handle (now, or when its last user releases it). */
  async drop(key: string): Promise<void> {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    if (e.users > 0) {
      e.dropped = true;
      return;
    }
    this.byHandle.delete(e.fh);
    await closeQuietly(e.fh);
  }

  private async evict(): Promise<void> {
    while (this.entries.size > this.max) {
      const idle = [...this.entries].find(([, e]) => e.users === 0);
      if (!idle) return;
      await this.drop(idle[0]);
    }
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((k) => this.drop(k)));
  }
}
