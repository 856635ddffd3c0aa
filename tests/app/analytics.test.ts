import { describe, expect, it } from 'vitest';
import { chunkStats, overallStats, percentile, recordingStats, stopToLinkMs } from '../../src/app/analytics/analytics.ts';
import type { OutboxChunk, RecordingRecord } from '../../src/shared/outbox/schema.ts';

function chunk(over: Partial<OutboxChunk>): OutboxChunk {
  return {
    recordingId: 'r', index: 0, data: null, size: 100, sha256: '0'.repeat(64), state: 'uploaded', attempts: 1,
    nextAttemptAt: null, lastError: null, createdAt: 0, uploadedAt: 1, uploadMs: 10, ...over,
  };
}

const rec = (over: Partial<RecordingRecord> = {}) => ({ id: 'r', title: 'T', stoppedAt: 1000, linkReadyAt: 1250, ...over }) as RecordingRecord;

describe('percentile (nearest rank)', () => {
  it('picks the ceil(p·n)-th smallest value', () => {
    const values = Array.from({ length: 20 }, (_, i) => 20 - i); // 20..1, unsorted
    expect(percentile(values, 95)).toBe(19);
    expect(percentile(values, 50)).toBe(10);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 95)).toBeNull();
  });
});

describe('chunk statistics', () => {
  it('counts bytes, retries, success rate and upload times', () => {
    const s = chunkStats([
      chunk({ index: 0, size: 100, attempts: 1, uploadMs: 10 }),
      chunk({ index: 1, size: 200, attempts: 3, uploadMs: 30 }),
      chunk({ index: 2, size: 50, attempts: 5, state: 'failed', uploadMs: null }),
      chunk({ index: 3, size: 0, attempts: 0, state: 'pending', uploadMs: null }),
    ]);
    expect(s).toEqual({
      chunks: 4,
      uploadedChunks: 2,
      failedChunks: 1,
      bytes: 350,
      attempts: 9,
      retries: 0 + 2 + 4 + 0,
      successRate: 2 / 9,
      meanUploadMs: 20,
      p95UploadMs: 30,
    });
  });
  it('has no rates or times before any attempt', () => {
    expect(chunkStats([chunk({ state: 'pending', attempts: 0, uploadMs: null })])).toMatchObject({ successRate: null, meanUploadMs: null, p95UploadMs: null });
  });
});

describe('stop → link', () => {
  it('is linkReadyAt − stoppedAt, or null until both exist', () => {
    expect(stopToLinkMs(rec())).toBe(250);
    expect(stopToLinkMs(rec({ linkReadyAt: null }))).toBeNull();
    expect(recordingStats(rec(), [chunk({})])).toMatchObject({ recordingId: 'r', stopToLinkMs: 250, chunks: 1 });
  });
  it('overall averages links and pools chunks', () => {
    const o = overallStats([
      { recording: rec(), chunks: [chunk({ uploadMs: 10 })] },
      { recording: rec({ id: 's', linkReadyAt: 1750 }), chunks: [chunk({ uploadMs: 30 })] },
      { recording: rec({ id: 't', linkReadyAt: null }), chunks: [] },
    ]);
    expect(o).toMatchObject({ recordings: 3, meanStopToLinkMs: 500, chunks: 2, meanUploadMs: 20, p95UploadMs: 30 });
  });
});
