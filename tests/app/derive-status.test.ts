import { describe, expect, it } from 'vitest';
import { deriveStatus } from '../../src/app/status/derive-status.ts';
import type { RecordingProgress } from '../../src/shared/progress.ts';

function progress(over: Partial<RecordingProgress>): RecordingProgress {
  return {
    recordingId: 'r', title: null, phase: 'uploading', uploaded: 3, totalQueued: 4, pending: 1, uploading: 0, failed: 0,
    percentage: 75, waiting: 0, nextTryAt: null, bytesUploaded: 0, bytesQueued: 0, hasSession: true, retry: null, videoId: null, shareUrl: null, missing: null, lastError: null,
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
  it('failed chunks that need the user offer "Retry upload" and say what happened in the catalogue\'s words', () => {
    const words = 'Your storage on the server is full. Delete recordings in the Library, then press Retry.';
    const s = deriveStatus(progress({ phase: 'incomplete', failed: 1, lastError: { code: 'user_quota_exceeded', message: words, at: 0 } }), idle);
    expect(s).toMatchObject({ kind: 'failed', canRetry: true, retryLabel: 'Retry upload', label: 'Upload failed' });
    expect(s.detail).toContain(words);
    expect(deriveStatus(progress({ phase: 'incomplete', missing: [2] }), idle)).toMatchObject({ kind: 'failed', canRetry: true });
  });

  it('chunks waiting for the server say so, with the next try counting down and "Retry now"', () => {
    const p = progress({ phase: 'waiting-server', failed: 2, waiting: 2, nextTryAt: 100_000 });
    const s = deriveStatus(p, { ...idle, now: 60_000 });
    expect(s).toMatchObject({ kind: 'waiting-server', tone: 'warn', label: 'Waiting for the server', countdown: 'next try in 40 s', canRetry: true, retryLabel: 'Retry now' });
    expect(s.detail).toMatch(/^2 chunks not on the server yet; 4 chunks saved on this device\. They are sent by themselves/);
    expect(deriveStatus(p, { ...idle, now: 99_500 }).countdown).toBe('next try in 1 s');
    expect(deriveStatus(p, { ...idle, now: 100_000 }).countdown).toBe('trying now');
    // While recording, the wait is still what the user must know.
    expect(deriveStatus(p, { recorder: 'recording', online: true, now: 60_000 }).kind).toBe('waiting-server');
    // A chunk that needs the user outranks the ones that will go by themselves.
    expect(deriveStatus(progress({ phase: 'waiting-server', failed: 3, waiting: 2 }), idle).kind).toBe('failed');
  });

  it('says truthfully, in a browser without Background Sync, that uploads go on only while the app is open', () => {
    const without = deriveStatus(progress({ phase: 'uploading' }), { ...idle, backgroundSync: false });
    expect(without.detail).toMatch(/only while the app is open/);
    expect(deriveStatus(progress({ phase: 'uploading' }), { ...idle, backgroundSync: true }).detail).not.toMatch(/while the app is open/);
  });
  it('auth-required outranks failures', () => {
    expect(deriveStatus(progress({ phase: 'auth-required', failed: 2 }), idle)).toMatchObject({ kind: 'auth-required', label: 'Sign-in required' });
  });
  it('while recording: "Uploading as you record · N of M chunks on the server", no percentage', () => {
    const s = deriveStatus(progress({ phase: 'recording', uploaded: 3, totalQueued: 4 }), { recorder: 'recording', online: true });
    expect(s).toMatchObject({ kind: 'recording', showPercent: false, detail: 'Uploading as you record · 3 of 4 chunks on the server.' });
    expect(deriveStatus(null, { recorder: 'recording', online: true }).detail).toBe('Uploading as you record.');
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
