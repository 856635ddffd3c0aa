/**
 * Page ↔ worker messages are checked on arrival (src/shared/messages.ts, zod/mini): malformed ones
 * are dropped, and a progress snapshot from a worker of an older build still parses with the
 * defaults of the fields it lacked.
 */
import { describe, expect, it } from 'vitest';
import { checkPageMessage as parsePageMessage } from '../../src/shared/checks/checks.ts';
import { parseWorkerMessage } from '../../src/shared/messages.ts';
import { DEFAULT_SETTINGS, Settings } from '../../src/shared/settings.ts';

const ID = '6f1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b';

describe('page → worker messages', () => {
  it('accepts the known shapes and drops anything else', () => {
    expect(parsePageMessage({ type: 'outbox/chunk-added', recordingId: ID, index: 3 })).toEqual({ type: 'outbox/chunk-added', recordingId: ID, index: 3 });
    expect(parsePageMessage({ type: 'pipeline/retry' })).toEqual({ type: 'pipeline/retry' });
    for (const bad of [
      { type: 'outbox/chunk-added', recordingId: 'not-a-uuid', index: 3 },
      { type: 'outbox/chunk-added', recordingId: ID, index: -1 },
      { type: 'outbox/chunk-added', recordingId: ID, index: 1.5 },
      { type: 'outbox/recording-stopped', recordingId: ID },
      { type: 'pipeline/unknown' },
      'pipeline/drain',
      null,
    ]) {
      expect(parsePageMessage(bad), JSON.stringify(bad)).toBeNull();
    }
  });
});

describe('worker → page messages', () => {
  const recording = {
    recordingId: ID,
    title: null,
    phase: 'uploading',
    uploaded: 1,
    totalQueued: 2,
    pending: 1,
    uploading: 0,
    failed: 0,
    percentage: 50,
    bytesUploaded: 10,
    bytesQueued: 20,
    hasSession: true,
    retry: null,
    shareUrl: null,
    missing: null,
    lastError: null,
  };
  const overall = { uploaded: 1, totalQueued: 2, failed: 0, pending: 1, percentage: 50, isOnline: true, hasSession: true, isUploading: true, authRequired: false };

  it('fills the defaults an older worker did not send', () => {
    const m = parseWorkerMessage({ type: 'pipeline/progress', snapshot: { at: 1, overall, recordings: [recording] } });
    expect(m?.type).toBe('pipeline/progress');
    const r = m?.type === 'pipeline/progress' ? m.snapshot.recordings[0] : null;
    expect(r).toMatchObject({ waiting: 0, nextTryAt: null, videoId: null, phase: 'uploading' });
  });

  it('drops a snapshot with an unknown phase or a missing count', () => {
    expect(parseWorkerMessage({ type: 'pipeline/progress', snapshot: { at: 1, overall, recordings: [{ ...recording, phase: 'lost' }] } })).toBeNull();
    const { uploaded: _, ...noUploaded } = overall;
    expect(parseWorkerMessage({ type: 'pipeline/progress', snapshot: { at: 1, overall: noUploaded, recordings: [] } })).toBeNull();
  });
});

describe('settings', () => {
  it('has its defaults and bounds', () => {
    expect(DEFAULT_SETTINGS).toEqual({ concurrency: 2, maxAttempts: 5, backoffBaseMs: 1000, jitterRatio: 0.1, bandwidthCapKbps: 0, chunkMs: 2000, keepLocalCopy: true });
    expect(Settings.safeParse({ concurrency: 5 }).success).toBe(false);
    expect(Settings.safeParse({ jitterRatio: 0.6 }).success).toBe(false);
    expect(Settings.safeParse({ chunkMs: 499 }).success).toBe(false);
    expect(Settings.safeParse({ concurrency: 4, chunkMs: 10_000 }).success).toBe(true);
  });
});
