/**
 * Open file handles of the videos being appended to: the in-order fast path writes
 * every chunk of a recording to the same assembled file and journal, so keeping them open saves
 * two opens, two closes and a stat per chunk. Least recently used entries are closed beyond
 * MAX_APPENDERS; FsBlobStore drops an entry before any other path changes the file (slow-path
 * append, truncate, delete) and after a failed append, so `size` is always the file's length.
 * Callers pair `get` with `put` (appends of one video are serialised by its lock).
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

export interface Appender {
  data: FileHandle;
  journal: FileHandle;
  /** Length of the assembled file as written through `data`. */
  size: number;
  /** Appends in progress with these handles: such an entry is never evicted (closed) under them. */
  users: number;
}

/** Videos whose append handles stay open (2 fds each). */
const MAX_APPENDERS = 32;

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

export class AppenderCache {
  private readonly entries = new Map<string, Appender>();

  /** The video's handles, opened when missing (the data file without O_APPEND: writes are positional). */
  async get(videoId: string, dataPath: string, journalPath: string): Promise<Appender> {
    const cached = this.entries.get(videoId);
    if (cached) {
      this.entries.delete(videoId);
      this.entries.set(videoId, cached);
      cached.users++;
      return cached;
    }
    const data = await open(dataPath, constants.O_WRONLY | constants.O_CREAT);
    let journal: FileHandle | null = null;
    try {
      journal = await open(journalPath, 'a');
      const app: Appender = { data, journal, size: (await data.stat()).size, users: 1 };
      this.entries.set(videoId, app);
      if (this.entries.size > MAX_APPENDERS) {
        const idle = [...this.entries].find(([, a]) => a.users === 0);
        if (idle) await this.release(idle[0]);
      }
      return app;
    } catch (err) {
      await Promise.allSettled([data.close(), journal?.close()]);
      throw err;
    }
  }

  /** The append that `get` served is over. */
  put(app: Appender): void {
    app.users--;
  }

  async release(videoId: string): Promise<void> {
    const app = this.entries.get(videoId);
    if (!app) return;
    this.entries.delete(videoId);
    await Promise.allSettled([app.data.close(), app.journal.close()]);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((id) => this.release(id)));
  }
}
