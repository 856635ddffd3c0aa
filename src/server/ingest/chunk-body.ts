/**
 * Receives one chunk's body: counts it against the chunk limit and hashes it as it streams
 * (node:crypto, one pass — the only time ingest reads these bytes on the CPU), keeping it
 *  - nowhere (`hash-only`: a re-sent chunk or a closed session needs only the comparison),
 *  - in memory (`memory`: the pieces as the socket delivered them, no copy; bounded by the
 *    MemoryBudget), or
 *  - in a node-local temp file (`file`: fsynced before the caller may hand it to a store, which
 *    may move it — disk renames it on the same filesystem, S3 streams it).
 * Nothing is verified here: the caller compares `sha256` with the Content-Digest and throws the
 * body away on a mismatch (`discard`).
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ApiError } from '../../shared/errors.ts';
import type { ChunkBody } from '../storage/ports.ts';

export type BodyMode = 'hash-only' | 'memory' | 'file';

export interface ReceivedBody {
  size: number;
  /** Lowercase hex SHA-256 of the bytes as received. */
  sha256: string;
  /** The bytes (null when only hashed). */
  body: ChunkBody | null;
  /** Removes the temp file if a store did not move it; memory is simply dropped. Never throws. */
  discard(): Promise<void>;
}

export interface ReceiveOptions {
  mode: BodyMode;
  /** Refuse with `chunk_too_large` once more than this many bytes arrived. */
  maxBytes: number;
  /** Node-local directory for `file` bodies (OUTBOX_DATA_DIR/tmp). */
  tmpDir: string;
  signal?: AbortSignal;
}

const NO_SPACE = new Set(['ENOSPC', 'EDQUOT']);

function translate(err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code && NO_SPACE.has(code) ? new ApiError('insufficient_storage') : err;
}

async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => {});
}

export async function receiveBody(body: Readable, opts: ReceiveOptions): Promise<ReceivedBody> {
  const hash = createHash('sha256');
  const pieces: Buffer[] | null = opts.mode === 'memory' ? [] : null;
  const path = opts.mode === 'file' ? join(opts.tmpDir, `${randomBytes(12).toString('hex')}.part`) : null;
  let fh: FileHandle | null = null;
  let size = 0;
  try {
    if (path) fh = await open(path, 'wx');
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
        hash.update(buf);
        if (pieces) pieces.push(buf);
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
      // Durable before any store sees it: a store that renames it publishes these bytes.
      await fh.sync();
      await fh.close();
      fh = null;
    }
  } catch (err) {
    if (fh) await fh.close().catch(() => {});
    if (path) await removeQuietly(path);
    throw translate(err);
  }
  const sha256 = hash.digest('hex');
  if (pieces) return { size, sha256, body: { size, buffers: pieces }, discard: async () => {} };
  if (path) return { size, sha256, body: { size, path }, discard: () => removeQuietly(path) };
  return { size, sha256, body: null, discard: async () => {} };
}
