/**
 * What the app says at start-up about a take a reload, crash or closed tab cut short: how much of
 * it was saved, measured from the recording's start to its last saved chunk (each chunk is
 * written when its timeslice ends, so that is the recorded time that is safe).
 */
import type { OutboxChunk, RecordingRecord } from '../../shared/outbox/schema.ts';

export interface InterruptedTake {
  recordingId: string;
  totalChunks: number;
  savedMs: number;
}

export function interruptedTake(rec: Pick<RecordingRecord, 'id' | 'createdAt'>, chunks: Pick<OutboxChunk, 'index' | 'createdAt'>[], totalChunks: number): InterruptedTake {
  const saved = chunks.filter((c) => c.index < totalChunks);
  const last = saved.reduce((m, c) => Math.max(m, c.createdAt), rec.createdAt);
  return { recordingId: rec.id, totalChunks, savedMs: Math.max(0, last - rec.createdAt) };
}
