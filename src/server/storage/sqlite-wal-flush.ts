/**
 * Makes SQLite WAL commits durable off the event loop, with group commit.
 *
 * Why not `synchronous = FULL`: better-sqlite3 runs every statement on the event loop, so FULL's
 * fsync at each commit would stall every request for a disk flush (milliseconds per chunk on a
 * busy disk). The connection runs `synchronous = NORMAL` (a WAL commit is consistent after a
 * crash, not necessarily durable — https://www.sqlite.org/pragma.html#pragma_synchronous), and a
 * write that must be durable waits for `flush()`: an fdatasync(2) of the `-wal` file on the libuv
 * threadpool. fsync acts on the file, not the descriptor, so our own read-only handle makes every
 * frame SQLite wrote so far durable; the WAL is one sequential log, so it also covers every
 * earlier NORMAL commit. The server's connection keeps the WAL in place (it is removed only when
 * the last connection closes), so the handle stays valid.
 *
 * Group commit (hand-rolled: SQLite has no asynchronous flush and no library adds one): callers
 * that commit while a flush is running share the next one, so N concurrent durable writes cost
 * at most two fdatasyncs, not N. A flush already running may have started before a caller's
 * commit reached the file, hence "the next one", never the running one.
 */
import { open, type FileHandle } from 'node:fs/promises';

export class WalFlusher {
  private handle: Promise<FileHandle> | null = null;
  private running: Promise<void> | null = null;
  private next: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  /** `walFile` null: an in-memory database, where nothing is to flush. */
  constructor(
    private readonly walFile: string | null,
    private readonly laterDelayMs: number,
  ) {}

  /** Resolves once every commit made before this call is on stable storage. */
  flush(): Promise<void> {
    if (this.walFile === null) return Promise.resolve();
    if (!this.running) {
      const run = this.sync().finally(() => {
        this.running = null;
      });
      this.running = run;
      return run;
    }
    this.next ??= this.running
      .catch(() => {})
      .then(() => {
        this.next = null;
        return this.flush();
      });
    return this.next;
  }

  /**
   * After a NORMAL commit nobody waits for: flush within `laterDelayMs`, once for many commits.
   * Without it the next durable write paid for every commit since the last flush (a flush that
   * grew with the recording).
   */
  flushLater(): void {
    if (this.timer || this.walFile === null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      // A failure here is not lost: the next durable write flushes (and reports) again.
      this.flush().catch(() => {});
    }, this.laterDelayMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
    const h = this.handle;
    this.handle = null;
    if (h) await h.then((fh) => fh.close()).catch(() => {});
  }

  private async sync(): Promise<void> {
    this.handle ??= open(this.walFile!, 'r');
    try {
      await (await this.handle).datasync();
    } catch (err) {
      this.handle = null;
      throw err;
    }
  }
}
