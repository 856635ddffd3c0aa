/**
 * The outbox's IndexedDB schema: database name, version, stores and upgrades. The only module
 * that knows them (Workbox's QueueDb plays this role for its queue). Page and worker share it.
 *
 * Chunk bytes are stored as ArrayBuffer, not Blob: Safari's IndexedDB has lost or refused Blobs
 * in several releases (WebKit bug 156347 and the private-mode Blob errors), and fake-indexeddb's
 * structured clone in Node does not carry Blobs; Chromium wraps large values as blob files on
 * disk anyway, so nothing is gained by Blob here.
 */
import type { DBSchema, IDBPDatabase, IDBPTransaction, StoreNames } from 'idb';
import type { Settings } from '../settings.ts';
import type { IndexRange } from '../ranges.ts';

export const OUTBOX_DB_NAME = 'outbox-recorder';
/**
 * v2 (additive): chunks index `by-recording-state` for cheap per-recording counts.
 * v3: a recording says which digest proved its completion (`completionCheck`, replacing
 * `serverSha256`) and keeps its local chunks digest (`localChunksDigest`).
 */
export const OUTBOX_DB_VERSION = 3;

export type RecordingState =
  /** MediaRecorder is still producing chunks. */
  | 'recording'
  /** Stopped; totalChunks known; uploads/finalize pending. */
  | 'stopped'
  /** The server reported the assembled video complete with a matching SHA-256. */
  | 'complete'
  /** The recording ended abnormally (e.g. quota) — still uploaded and finalized with what was saved. */
  | 'interrupted';

/**
 * What proved that the server holds exactly what was recorded, before any local byte was
 * released: the chunks digest (src/shared/chunks-digest.ts), or — from a server that sends none —
 * the SHA-256 of the whole recording. `digest` is the value both ends computed (equal).
 */
export interface CompletionCheck {
  by: 'chunks-digest' | 'sha256';
  digest: string;
}

export interface LastError {
  code: string;
  message: string;
  at: number;
  /** HTTP status, when the error came from the server. */
  status?: number;
}

export interface RecordingRecord {
  /** Client UUID; the init idempotency key. */
  id: string;
  state: RecordingState;
  mimeType: string;
  title: string | null;
  createdAt: number;
  updatedAt: number;
  stoppedAt: number | null;
  /** Set when recording stops. */
  totalChunks: number | null;
  /** Set once init succeeded (deferred while offline). */
  sessionId: string | null;
  videoId: string | null;
  shareUrl: string | null;
  videoUrl: string | null;
  /** Chunk indices the server reported holding at the last status/finalize. */
  serverChunks: IndexRange[] | null;
  /** v3: the digest that proved completion (null until complete). */
  completionCheck: CompletionCheck | null;
  /** Size of the recorded bytes as the server reported at completion. */
  serverSize: number | null;
  /**
   * v3: chunks digest of the local copy — each chunk's bytes hashed again when the recording
   * stopped, so a local copy that changed since capture no longer matches the server's.
   */
  localChunksDigest: string | null;
  /** SHA-256 of the concatenated local chunks; computed only to check a server that sends no chunks digest. */
  localSha256: string | null;
  /** Missing indices from the last *incomplete* finalize answer. */
  missing: number[] | null;
  finalizedAt: number | null;
  /** When the share link became available after stop (for stop-to-link analytics). */
  linkReadyAt: number | null;
  /** Bytes of chunk data still held locally. */
  localBytes: number;
  /** Whether chunk bytes are still kept locally after completion. */
  localCopy: 'kept' | 'released';
  lastError: LastError | null;
  /** v2: sum of the sizes of every chunk added (grows while recording); absent on v1 rows until backfilled. */
  totalBytes?: number;
  /** v2: sum of the sizes of the chunks the server confirmed with a matching SHA-256. */
  uploadedBytes?: number;
}

export type ChunkState = 'pending' | 'uploading' | 'uploaded' | 'failed';

export interface OutboxChunk {
  recordingId: string;
  index: number;
  /** Chunk bytes; null once released after the server confirmed the whole recording. */
  data: ArrayBuffer | null;
  size: number;
  /** Lowercase hex SHA-256 computed on the client before the chunk was announced. */
  sha256: string;
  state: ChunkState;
  attempts: number;
  /**
   * Earliest time (ms epoch) of the next attempt while backing off. On a `failed` chunk: set when
   * it spent its attempts but waits for the server (retried then, on its own); null when it got
   * an answer waiting cannot change and waits for the user's Retry.
   */
  nextAttemptAt: number | null;
  /**
   * The earliest next attempt the server asked for (its Retry-After, RFC 9110 §10.2.3): wake-ups
   * (a 2xx, online, sync, start-up) do not bring the attempt before it; the user's Retry does.
   * Absent on chunks written before it existed (no schema change: nothing indexes it).
   */
  notBefore?: number | null;
  lastError: LastError | null;
  createdAt: number;
  uploadedAt: number | null;
  /** Duration of the successful request, for analytics. */
  uploadMs: number | null;
}

export interface KvValues {
  settings: Settings;
  /** Bearer token for the API; page and worker both read it. */
  token: string | null;
}
export type KvKey = keyof KvValues;

export interface OutboxSchema extends DBSchema {
  recordings: {
    key: string;
    value: RecordingRecord;
    indexes: { 'by-createdAt': number };
  };
  chunks: {
    key: [string, number];
    value: OutboxChunk;
    indexes: {
      'by-recording': string;
      /** [state, recordingCreatedAt-independent] lookup of pending/failed chunks. */
      'by-state': ChunkState;
      /** v2: [recordingId, state], so counts and "next pending of this recording" never load other chunks' bytes. */
      'by-recording-state': [string, ChunkState];
    };
  };
  kv: {
    key: KvKey;
    value: KvValues[KvKey];
  };
}

export type OutboxDatabase = IDBPDatabase<OutboxSchema>;

/**
 * Upgrades step by step and never deletes a store (Workbox's QueueDb drops and recreates its
 * store on upgrade, which would lose queued recordings). A new version adds one more
 * `if (oldVersion < N) {…}` step after the last one; every earlier step stays as it is.
 */
export function upgradeOutbox(
  db: IDBPDatabase<OutboxSchema>,
  oldVersion: number,
  _newVersion: number | null,
  tx: IDBPTransaction<OutboxSchema, StoreNames<OutboxSchema>[], 'versionchange'>,
): void {
  // Data rewrites run one after another (two cursors over one store would overwrite each other's
  // updates). IDB requests issued here keep the versionchange transaction alive until they finish;
  // a failed request aborts the upgrade, so openDB rejects.
  let rewrites = Promise.resolve();
  if (oldVersion < 1) {
    const recordings = db.createObjectStore('recordings', { keyPath: 'id' });
    recordings.createIndex('by-createdAt', 'createdAt');
    const chunks = db.createObjectStore('chunks', { keyPath: ['recordingId', 'index'] });
    chunks.createIndex('by-recording', 'recordingId');
    chunks.createIndex('by-state', 'state');
    db.createObjectStore('kv');
  }
  if (oldVersion < 2) {
    // Additive: a new index and two aggregate fields, backfilled from the chunks already held.
    const chunks = tx.objectStore('chunks');
    chunks.createIndex('by-recording-state', ['recordingId', 'state']);
    if (oldVersion >= 1) rewrites = rewrites.then(() => backfillByteTotals(tx));
  }
  if (oldVersion >= 1 && oldVersion < 3) {
    // A rename: `serverSha256` (always the whole recording's SHA-256 before v3) becomes the
    // completion check it was; the local chunks digest is computed when next needed.
    rewrites = rewrites.then(() => renameCompletionFields(tx));
  }
  rewrites.catch(() => {
    // The failed request has already aborted the upgrade; nothing to add.
  });
}

async function renameCompletionFields(
  tx: IDBPTransaction<OutboxSchema, StoreNames<OutboxSchema>[], 'versionchange'>,
): Promise<void> {
  for (let c = await tx.objectStore('recordings').openCursor(); c; c = await c.continue()) {
    const { serverSha256, ...rest } = c.value as RecordingRecord & { serverSha256?: string | null };
    await c.update({
      ...rest,
      completionCheck: rest.completionCheck ?? (serverSha256 ? { by: 'sha256', digest: serverSha256 } : null),
      localChunksDigest: rest.localChunksDigest ?? null,
    });
  }
}

async function backfillByteTotals(
  tx: IDBPTransaction<OutboxSchema, StoreNames<OutboxSchema>[], 'versionchange'>,
): Promise<void> {
  const totals = new Map<string, { total: number; uploaded: number }>();
  for (let c = await tx.objectStore('chunks').openCursor(); c; c = await c.continue()) {
    const t = totals.get(c.value.recordingId) ?? { total: 0, uploaded: 0 };
    t.total += c.value.size;
    if (c.value.state === 'uploaded') t.uploaded += c.value.size;
    totals.set(c.value.recordingId, t);
  }
  for (let c = await tx.objectStore('recordings').openCursor(); c; c = await c.continue()) {
    const t = totals.get(c.value.id) ?? { total: 0, uploaded: 0 };
    await c.update({ ...c.value, totalBytes: t.total, uploadedBytes: t.uploaded });
  }
}
