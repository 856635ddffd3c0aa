/**
 * Sha256Service in one worker thread (sha256-worker.mjs), started on first use.
 *
 * Messages go main → worker as `{op, id?, key?, bytes?}`; `digest`, `update` and `peek` are
 * answered `{id, hex}` (an update's answer says its bytes were read). A port delivers in order,
 * so a `peek` answers after every earlier `update`. Bytes backed by a
 * SharedArrayBuffer (how ingest stages in-order chunks, see fs-blob-store.ts) are shared, not
 * copied; other bytes are copied once into a buffer that is transferred.
 *
 * If the worker dies, pending digests are computed on this thread instead (the caller still
 * has the bytes), pending peeks answer null and every running hash is lost — a fresh worker
 * starts on the next call and reports them as unknown, so callers rebuild them from disk
 * (Sha256Service "broken"). A worker that fails before it ever ran (its file missing from a
 * bundle, no threads allowed) would fail the same way each time, so the service then hashes on
 * this thread for the rest of its life instead.
 *
 * The worker is never referenced (`unref`), so the service never keeps a process alive; the
 * server's listening socket does that while requests are pending.
 */
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { InlineSha256 } from './inline-sha256.ts';
import type { Sha256Service } from './sha256-service.ts';

interface Pending {
  resolve(hex: string | null): void;
  /** The answer if the worker dies first. */
  fallback(): string | null;
}

export class WorkerSha256 implements Sha256Service {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Set once a worker failed before it ran: from then on everything is hashed here. */
  private inline: InlineSha256 | null = null;

  private readonly onWorkerError: (err: unknown) => void;
  private readonly workerUrl: URL;

  constructor(opts: { onWorkerError?: (err: unknown) => void; workerUrl?: URL } = {}) {
    this.onWorkerError = opts.onWorkerError ?? (() => {});
    this.workerUrl = opts.workerUrl ?? new URL('./sha256-worker.mjs', import.meta.url);
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.workerUrl);
    // 'online' fires before the module loads, so the worker says when it is ready itself.
    let ran = false;
    worker.on('error', (err) => {
      if (!ran) this.inline ??= new InlineSha256();
      this.onWorkerError(err);
    });
    worker.unref();
    worker.on('message', (msg: { id: number; hex: string | null } | { ready: true }) => {
      if ('ready' in msg) {
        ran = true;
        return;
      }
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      p.resolve(msg.hex);
    });
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = null;
      const lost = [...this.pending.values()];
      this.pending.clear();
      for (const p of lost) p.resolve(p.fallback());
    });
    this.worker = worker;
    return worker;
  }

  private request(msg: Record<string, unknown>, fallback: () => string | null, transfer: ArrayBuffer[] = []): Promise<string | null> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, { resolve, fallback });
      worker.postMessage({ ...msg, id }, transfer);
    });
  }

  async digest(bytes: Uint8Array): Promise<string> {
    if (this.inline) return this.inline.digest(bytes);
    const { view, transfer } = shareable(bytes);
    const hex = await this.request({ op: 'digest', bytes: view }, () => createHash('sha256').update(bytes).digest('hex'), transfer);
    return hex!;
  }

  reset(key: string): void {
    if (this.inline) return this.inline.reset(key);
    this.start().postMessage({ op: 'reset', key });
  }

  async update(key: string, bytes: Uint8Array): Promise<void> {
    if (this.inline) return this.inline.update(key, bytes);
    const { view, transfer } = shareable(bytes);
    await this.request({ op: 'update', key, bytes: view }, () => null, transfer);
  }

  peek(key: string): Promise<string | null> {
    if (this.inline) return this.inline.peek(key);
    return this.request({ op: 'peek', key }, () => null);
  }

  drop(key: string): void {
    this.inline?.drop(key);
    this.worker?.postMessage({ op: 'drop', key });
  }

  async close(): Promise<void> {
    await this.inline?.close();
    const worker = this.worker;
    if (worker) await worker.terminate();
  }
}

/** Shared memory travels as is; anything else is copied once into a transferable buffer. */
function shareable(bytes: Uint8Array): { view: Uint8Array; transfer: ArrayBuffer[] } {
  if (bytes.buffer instanceof SharedArrayBuffer) return { view: bytes, transfer: [] };
  const copy = new Uint8Array(bytes);
  return { view: copy, transfer: [copy.buffer] };
}
