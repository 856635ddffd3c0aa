/**
 * The outbox: recordings and their chunks, durable in IndexedDB, shared by the page (which
 * records into it) and the upload pipeline (which drains it). Every method is one transaction
 * and resolves only after it committed, so a chunk is durable before it is announced.
 * Queue operations for the pipeline live in queue.ts; this class exposes both.
 */
import { chunksDigestHex } from '../chunks-digest.ts';
import { sha256Hex } from '../digest.ts';
import { checkSettings } from '../checks/checks.ts';
import type { Settings } from '../settings.ts';
import { OutboxError } from './errors.ts';
import { openOutboxDatabase, type OpenOptions } from './open.ts';
import { OutboxQueue } from './queue.ts';
import type { OutboxChunk, OutboxDatabase, RecordingRecord } from './schema.ts';

export type { OutboxChunk, RecordingRecord } from './schema.ts';

export interface OutboxOptions extends OpenOptions {
  /** Wall clock for createdAt/updatedAt; injected so tests are deterministic. */
  now?: () => number;
}

export async function openOutbox(opts: OutboxOptions = {}): Promise<Outbox> {
  const db = await openOutboxDatabase(opts);
  return new Outbox(db, opts.now ?? Date.now);
}

export class Outbox extends OutboxQueue {
  constructor(db: OutboxDatabase, now: () => number) {
    super(db, now);
  }

  // ---- page side: recording ------------------------------------------------------------

  async createRecording(input: { id: string; mimeType: string; title?: string | null }): Promise<RecordingRecord> {
    const at = this.now();
    const rec: RecordingRecord = {
      id: input.id,
      state: 'recording',
      mimeType: input.mimeType,
      title: input.title ?? null,
      createdAt: at,
      updatedAt: at,
      stoppedAt: null,
      totalChunks: null,
      sessionId: null,
      videoId: null,
      shareUrl: null,
      videoUrl: null,
      serverChunks: null,
      completionCheck: null,
      serverSize: null,
      localChunksDigest: null,
      localSha256: null,
      missing: null,
      finalizedAt: null,
      linkReadyAt: null,
      localBytes: 0,
      localCopy: 'kept',
      lastError: null,
      totalBytes: 0,
      uploadedBytes: 0,
    };
    await this.write(['recordings'], async (tx) => {
      const store = tx.objectStore('recordings');
      if (await store.get(input.id)) throw new OutboxError('recording_exists', { recordingId: input.id });
      await store.add(rec);
    });
    return rec;
  }

  /**
   * Hashes the bytes, then writes the chunk and the recording's byte totals in one transaction;
   * resolves after commit. A zero-byte chunk is stored as such (MediaRecorder can emit one).
   * The same index again is a no-op with identical bytes and `chunk_exists` otherwise.
   * QuotaExceededError surfaces as `quota_exceeded` so the recorder can stop cleanly.
   */
  async addChunk(recordingId: string, index: number, data: ArrayBuffer): Promise<OutboxChunk> {
    if (!Number.isInteger(index) || index < 0) throw new OutboxError('invalid_argument', { index });
    const sha256 = await sha256Hex(data);
    const chunk: OutboxChunk = {
      recordingId,
      index,
      data,
      size: data.byteLength,
      sha256,
      state: 'pending',
      attempts: 0,
      nextAttemptAt: null,
      lastError: null,
      createdAt: this.now(),
      uploadedAt: null,
      uploadMs: null,
    };
    return this.write(['recordings', 'chunks'], async (tx) => {
      const rec = await tx.objectStore('recordings').get(recordingId);
      if (!rec) throw new OutboxError('recording_not_found', { recordingId });
      const late = rec.state !== 'recording' && rec.state !== 'complete' && rec.totalChunks !== null && index < rec.totalChunks;
      if (rec.state !== 'recording' && !late) throw new OutboxError('recording_not_open', { recordingId, state: rec.state });
      const existing = await tx.objectStore('chunks').get([recordingId, index]);
      if (existing) {
        if (existing.sha256 === sha256) return existing;
        throw new OutboxError('chunk_exists', { recordingId, index });
      }
      await tx.objectStore('chunks').add(chunk);
      await tx.objectStore('recordings').put({
        ...rec,
        totalBytes: (rec.totalBytes ?? 0) + chunk.size,
        localBytes: rec.localBytes + chunk.size,
        updatedAt: this.now(),
      });
      return chunk;
    }, { recordingId, index });
  }

  /**
   * Records the end of capture and the local chunks digest (kept, to check the server's against
   * before any local byte is released). The digest is null while chunks below totalChunks are missing.
   */
  async stopRecording(
    recordingId: string,
    totalChunks: number,
    state: 'stopped' | 'interrupted' = 'stopped',
  ): Promise<RecordingRecord> {
    if (!Number.isInteger(totalChunks) || totalChunks < 0) throw new OutboxError('invalid_argument', { totalChunks });
    await this.write(['recordings'], async (tx) => {
      const rec = await tx.objectStore('recordings').get(recordingId);
      if (!rec) throw new OutboxError('recording_not_found', { recordingId });
      if (rec.state === 'complete') throw new OutboxError('recording_not_open', { recordingId, state: rec.state });
      const at = this.now();
      await tx.objectStore('recordings').put({ ...rec, state, totalChunks, stoppedAt: rec.stoppedAt ?? at, updatedAt: at });
    });
    const localChunksDigest = await this.computeLocalChunksDigest(recordingId, totalChunks);
    return this.patchRecording(recordingId, { localChunksDigest });
  }

  /**
   * The chunks digest (src/shared/chunks-digest.ts) of chunks 0..total-1 as held here. Each
   * chunk's bytes are hashed again rather than trusting the SHA-256 stored beside them at capture:
   * a local copy that changed since (storage corruption) then no longer matches what the server
   * verified, and its completion is refused (`assembled_mismatch`), as the whole-recording SHA-256
   * refused it before. A chunk already released (a completed recording) contributes its stored
   * SHA-256. Each chunk is one-shot hashed with WebCrypto, read in its own transaction (an
   * IndexedDB transaction auto-commits while an `await` waits on anything but IDB), so one chunk
   * is in memory at a time. Null while an index is missing.
   */
  async computeLocalChunksDigest(recordingId: string, totalChunks: number): Promise<string | null> {
    const digests: string[] = [];
    for (let index = 0; index < totalChunks; index++) {
      const chunk = await this.db.get('chunks', [recordingId, index]);
      if (!chunk) return null;
      digests.push(chunk.data === null ? chunk.sha256 : await sha256Hex(chunk.data));
    }
    return chunksDigestHex(digests);
  }

  /**
   * SHA-256 of chunks 0..total-1 concatenated (for a server that sends no chunks digest), streamed
   * one chunk at a time inside one read transaction (the hash is synchronous, so the cursor never
   * waits on anything but IDB). The incremental hash is loaded here, not with the outbox: only this
   * fallback needs it, and a first visit of the app should not download it (docs/PERFORMANCE.md).
   */
  async computeLocalSha256(recordingId: string, totalChunks: number): Promise<string | null> {
    const { Sha256Stream } = await import('./sha256-stream.ts');
    const hash = new Sha256Stream();
    let expected = 0;
    const tx = this.db.transaction('chunks');
    for (let c = await tx.store.index('by-recording').openCursor(recordingId); c; c = await c.continue()) {
      if (c.value.index >= totalChunks) break;
      if (c.value.index !== expected || c.value.data === null) return null;
      hash.update(c.value.data);
      expected++;
    }
    await tx.done;
    return expected === totalChunks ? hash.digestHex() : null;
  }

  async getRecording(id: string): Promise<RecordingRecord | undefined> {
    return this.db.get('recordings', id);
  }

  /** Newest first. */
  async listRecordings(): Promise<RecordingRecord[]> {
    return (await this.db.getAllFromIndex('recordings', 'by-createdAt')).reverse();
  }

  /** In index order. */
  async listChunks(recordingId: string): Promise<OutboxChunk[]> {
    return this.db.getAllFromIndex('chunks', 'by-recording', recordingId);
  }

  /** The locally held bytes concatenated, for playback or export; null once released. */
  async recordingBlob(id: string): Promise<Blob | null> {
    const rec = await this.getRecording(id);
    if (!rec) throw new OutboxError('recording_not_found', { recordingId: id });
    const chunks = await this.listChunks(id);
    const parts: ArrayBuffer[] = [];
    for (const c of chunks) {
      if (c.data === null) return null;
      parts.push(c.data);
    }
    return new Blob(parts, { type: rec.mimeType });
  }

  /**
   * Deleting a recording the server has not confirmed complete would lose the video, so it is
   * refused (`not_uploaded`) unless forced.
   */
  async deleteRecording(id: string, opts: { force?: boolean } = {}): Promise<void> {
    await this.write(['recordings', 'chunks'], async (tx) => {
      const rec = await tx.objectStore('recordings').get(id);
      if (!rec) return;
      if (rec.state !== 'complete' && !opts.force) throw new OutboxError('not_uploaded', { recordingId: id, state: rec.state });
      const chunks = tx.objectStore('chunks');
      for (let c = await chunks.index('by-recording').openKeyCursor(id); c; c = await c.continue()) {
        await chunks.delete(c.primaryKey);
      }
      await tx.objectStore('recordings').delete(id);
    });
  }

  // ---- settings and token ------------------------------------------------------------------

  /** The stored settings with defaults for what is absent; all defaults if they do not match the contract. */
  async getSettings(): Promise<Settings> {
    const raw = await this.db.get('kv', 'settings');
    return checkSettings(raw ?? {}) ?? checkSettings({})!;
  }

  /** Throws `invalid_argument` (and stores nothing) when the result would not match the contract. */
  async saveSettings(patch: Partial<Settings>): Promise<Settings> {
    const next = checkSettings({ ...(await this.getSettings()), ...patch });
    if (next === null) throw new OutboxError('invalid_argument', { settings: Object.keys(patch) });
    await this.write(['kv'], (tx) => tx.objectStore('kv').put(next, 'settings'));
    return next;
  }

  async getToken(): Promise<string | null> {
    const t = await this.db.get('kv', 'token');
    return typeof t === 'string' ? t : null;
  }

  async setToken(token: string | null): Promise<void> {
    await this.write(['kv'], (tx) => tx.objectStore('kv').put(token, 'token'));
  }

  close(): void {
    this.db.close();
  }
}
