/**
 * Upload analytics from the outbox's own records (pure; the view renders the result).
 *
 * - success rate: successful upload requests / all upload attempts (a chunk's `attempts`
 *   counts every request made for it, the successful one included);
 * - retries: Σ max(0, attempts − 1) over chunks — requests beyond the first;
 * - mean / p95 chunk upload time over chunks with a recorded `uploadMs` (nearest-rank p95);
 * - stop → link: `linkReadyAt − stoppedAt`, the wait the user actually sees after Stop.
 */
import type { OutboxChunk, RecordingRecord } from '../../shared/outbox/schema.ts';

export interface UploadStats {
  chunks: number;
  uploadedChunks: number;
  failedChunks: number;
  bytes: number;
  attempts: number;
  retries: number;
  /** 0..1, or null before any attempt. */
  successRate: number | null;
  meanUploadMs: number | null;
  p95UploadMs: number | null;
}

export interface RecordingStats extends UploadStats {
  recordingId: string;
  title: string | null;
  createdAt: number;
  stopToLinkMs: number | null;
}

export interface OverallStats extends UploadStats {
  recordings: number;
  /** Mean stop → link over recordings that have a link. */
  meanStopToLinkMs: number | null;
}

/** Nearest-rank percentile (p in 0..100) of unsorted values; null when empty. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? null;
}

export function mean(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  return values.reduce((a, b) => a + b, 0) / values.length;
}

export function chunkStats(chunks: readonly OutboxChunk[]): UploadStats {
  let bytes = 0;
  let attempts = 0;
  let retries = 0;
  let uploadedChunks = 0;
  let failedChunks = 0;
  const times: number[] = [];
  for (const c of chunks) {
    bytes += c.size;
    attempts += c.attempts;
    retries += Math.max(0, c.attempts - 1);
    if (c.state === 'uploaded') uploadedChunks++;
    if (c.state === 'failed') failedChunks++;
    if (c.state === 'uploaded' && c.uploadMs !== null) times.push(c.uploadMs);
  }
  return {
    chunks: chunks.length,
    uploadedChunks,
    failedChunks,
    bytes,
    attempts,
    retries,
    // Only finished chunks' successes count against all attempts made so far.
    successRate: attempts === 0 ? null : uploadedChunks / attempts,
    meanUploadMs: mean(times),
    p95UploadMs: percentile(times, 95),
  };
}

export function stopToLinkMs(rec: Pick<RecordingRecord, 'stoppedAt' | 'linkReadyAt'>): number | null {
  if (rec.stoppedAt === null || rec.linkReadyAt === null) return null;
  return Math.max(0, rec.linkReadyAt - rec.stoppedAt);
}

export function recordingStats(rec: RecordingRecord, chunks: readonly OutboxChunk[]): RecordingStats {
  return { recordingId: rec.id, title: rec.title, createdAt: rec.createdAt, stopToLinkMs: stopToLinkMs(rec), ...chunkStats(chunks) };
}

export function overallStats(items: readonly { recording: RecordingRecord; chunks: readonly OutboxChunk[] }[]): OverallStats {
  const all = items.flatMap((i) => i.chunks);
  const links = items.map((i) => stopToLinkMs(i.recording)).filter((v): v is number => v !== null);
  return { recordings: items.length, meanStopToLinkMs: mean(links), ...chunkStats(all) };
}
