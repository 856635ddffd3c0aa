import { describe, expect, it } from 'vitest';
import { deriveStatus } from '../../src/app/status/derive-status.ts';
import type { RecordingProgress } from '../../src/shared/progress.ts';

function progress(over: Partial<RecordingProgress>): RecordingProgress {
  return {
    recordingId: 'r', title: null, phase: 'uploading', uploaded: 3, totalQueued: 4, pending: 1, uploading: 0, failed: 0,
    percentage: 75, bytesUploaded: 0, bytesQueued: 0, hasSession: true, retry: null, videoId: null, shareUrl: null, missing: null, lastError: null,
    ...over,
  };
}

const idle = { recorder: null, online: true } as const;

describe('deriveStatus', () => {
  it('shows uploaded / total and a floored percentage', () => {
    const s = deriveStatus(progress({ uploaded: 2, totalQueued: 3 }), idle);
    expect(s).toMatchObject({ kind: 'uploading', uploaded: 2, total: 3, percent: 66, canRetry: false });
  });
  it('complete reaches 100 % and exposes the share link', () => {
    const s = deriveStatus(progress({ phase: 'complete', uploaded: 4, shareUrl: 'http://h/s/x' }), idle);
    expect(s).toMatchObject({ kind: 'complete', percent: 100, shareUrl: 'http://h/s/x', label: 'Complete' });
  });
  it('offline wins over recording: waiting for network', () => {
    const s = deriveStatus(progress({ phase: 'recording' }), { recorder: 'recording', online: false });
    expect(s).toMatchObject({ kind: 'waiting-network', label: 'Waiting for network' });
    expect(deriveStatus(progress({ phase: 'waiting-network' }), idle).kind).toBe('waiting-network');
  });
  it('names the retry attempt', () => {
    const s = deriveStatus(progress({ phase: 'retrying', retry: { index: 2, attempt: 3, maxAttempts: 5, nextAttemptAt: 0 } }), idle);
    expect(s).toMatchObject({ kind: 'retrying', label: 'Retrying (attempt 3/5)' });
  });
  it('failed chunks offer Retry', () => {
    expect(deriveStatus(progress({ phase: 'failed', failed: 1 }), idle)).toMatchObject({ kind: 'failed', canRetry: true });
    expect(deriveStatus(progress({ phase: 'incomplete', missing: [2] }), idle)).toMatchObject({ kind: 'failed', canRetry: true });
  });
  it('auth-required outranks failures', () => {
    expect(deriveStatus(progress({ phase: 'auth-required', failed: 2 }), idle)).toMatchObject({ kind: 'auth-required', label: 'Sign-in required' });
  });
  it('reflects the recorder: recording and paused', () => {
    expect(deriveStatus(progress({ phase: 'recording' }), { recorder: 'recording', online: true }).kind).toBe('recording');
    expect(deriveStatus(progress({ phase: 'recording' }), { recorder: 'paused', online: true }).kind).toBe('paused');
    expect(deriveStatus(null, { recorder: 'recording', online: true })).toMatchObject({ kind: 'recording', total: 0, percent: 0 });
  });
  it('is idle without progress', () => {
    expect(deriveStatus(null, idle).kind).toBe('idle');
  });
});
