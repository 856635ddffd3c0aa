import { describe, expect, it } from 'vitest';
import { extensionFor, pickMimeType } from '../../src/app/recorder/mime.ts';
import { parseTokenInput, takeTokenFromHash } from '../../src/app/auth/token.ts';
import { localDeleteNeedsWarning, mergeLibrary, shareIdOf } from '../../src/app/library/library-model.ts';
import { parseSettingsForm, toFormValues } from '../../src/app/settings/settings-form.ts';
import { DEFAULT_SETTINGS } from '../../src/shared/settings.ts';
import { formatBytes, formatClock } from '../../src/app/format.ts';
import type { RecordingRecord } from '../../src/shared/outbox/schema.ts';
import type { VideoStatus } from '../../src/shared/api.ts';

describe('pickMimeType', () => {
  it('prefers vp9, then vp8, then plain webm, then mp4', () => {
    const only = (...ok: string[]) => (t: string) => ok.includes(t);
    expect(pickMimeType(only('video/webm;codecs=vp9,opus', 'video/webm'))).toBe('video/webm;codecs=vp9,opus');
    expect(pickMimeType(only('video/webm;codecs=vp8,opus', 'video/mp4'))).toBe('video/webm;codecs=vp8,opus');
    expect(pickMimeType(only('video/webm', 'video/mp4'))).toBe('video/webm');
    expect(pickMimeType(only('video/mp4'))).toBe('video/mp4');
    expect(pickMimeType(only())).toBeNull();
  });
  it('treats a throwing isTypeSupported as unsupported', () => {
    expect(pickMimeType((t) => {
      if (t.includes('vp9')) throw new Error('bad codec string');
      return t === 'video/webm';
    })).toBe('video/webm');
  });
  it('maps types to export extensions', () => {
    expect(extensionFor('video/webm;codecs=vp9,opus')).toBe('webm');
    expect(extensionFor('video/mp4')).toBe('mp4');
  });
});

describe('sign-in token', () => {
  it('takes the token out of the fragment and keeps the rest', () => {
    expect(takeTokenFromHash('#token=abc123')).toEqual({ token: 'abc123', rest: '' });
    expect(takeTokenFromHash('#view=library&token=abc')).toEqual({ token: 'abc', rest: '#view=library' });
    expect(takeTokenFromHash('#view=library')).toEqual({ token: null, rest: '#view=library' });
    expect(takeTokenFromHash('')).toEqual({ token: null, rest: '' });
  });
  it('accepts a pasted link or a bare token', () => {
    expect(parseTokenInput('  http://localhost:8080/#token=tok_9 ')).toBe('tok_9');
    expect(parseTokenInput('tok_9')).toBe('tok_9');
    expect(parseTokenInput('http://localhost:8080/')).toBeNull();
    expect(parseTokenInput('two words')).toBeNull();
    expect(parseTokenInput('   ')).toBeNull();
  });
});

function localRec(over: Partial<RecordingRecord>): RecordingRecord {
  return {
    id: 'r', state: 'stopped', mimeType: 'video/webm', title: 'Local', createdAt: 1000, updatedAt: 1000, stoppedAt: null,
    totalChunks: null, sessionId: null, videoId: null, shareUrl: null, videoUrl: null, serverChunks: null, completionCheck: null, localChunksDigest: null,
    serverSize: null, localSha256: null, missing: null, finalizedAt: null, linkReadyAt: null, localBytes: 10, localCopy: 'kept',
    lastError: null, ...over,
  };
}

function serverVideo(over: Partial<VideoStatus>): VideoStatus {
  return {
    videoId: 'AAAAAAAAAAAAAAAAAAAAAA', sessionId: 'AAAAAAAAAAAAAAAAAAAAAA', recordingId: 'r', title: 'Server', mimeType: 'video/webm',
    state: 'open', createdAt: new Date(500).toISOString(), updatedAt: '', completedAt: null, totalChunks: null, chunks: [],
    receivedChunks: 0, assembledChunks: 0, bytes: 99, sha256: null, missing: [], partial: false,
    shareUrl: 'http://h/s/SHARE_id-1', videoUrl: null, ...over,
  };
}

describe('library merge', () => {
  it('matches local and server entries by recording id, newest first', () => {
    const items = mergeLibrary(
      [localRec({ id: 'a', createdAt: 3000 }), localRec({ id: 'b', createdAt: 2000 })],
      [serverVideo({ recordingId: 'b', state: 'complete' }), serverVideo({ recordingId: 'c' })],
    );
    expect(items.map((i) => [i.id, i.state])).toEqual([
      ['a', 'uploading'],
      ['b', 'on-server'],
      ['c', 'incomplete-on-server'],
    ]);
    expect(items[1]?.serverFileUrl).toBe('/api/v1/shared/SHARE_id-1/file');
    expect(items[0]?.serverFileUrl).toBeNull();
  });
  it('works offline from the local list alone', () => {
    const items = mergeLibrary([localRec({ id: 'a', state: 'complete', shareUrl: 'http://h/s/x1' })], null);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ state: 'on-server', hasLocalBytes: true, shareUrl: 'http://h/s/x1' });
  });
  it('warns before deleting a local copy the server does not hold complete', () => {
    const [open] = mergeLibrary([localRec({ id: 'a' })], [serverVideo({ recordingId: 'a' })]);
    const [done] = mergeLibrary([localRec({ id: 'a' })], [serverVideo({ recordingId: 'a', state: 'complete' })]);
    expect(localDeleteNeedsWarning(open!)).toBe(true);
    expect(localDeleteNeedsWarning(done!)).toBe(false);
  });
  it('extracts share ids', () => {
    expect(shareIdOf('http://localhost:1/s/Abc_-9')).toBe('Abc_-9');
    expect(shareIdOf('http://localhost:1/x')).toBeNull();
    expect(shareIdOf(null)).toBeNull();
  });
});

describe('settings form', () => {
  it('round-trips the defaults', () => {
    const r = parseSettingsForm(toFormValues(DEFAULT_SETTINGS), DEFAULT_SETTINGS);
    expect(r).toEqual({ ok: true, value: DEFAULT_SETTINGS });
  });
  it('converts seconds to chunkMs', () => {
    const r = parseSettingsForm({ ...toFormValues(DEFAULT_SETTINGS), chunkSeconds: '1.5' }, DEFAULT_SETTINGS);
    expect(r.ok && r.value.chunkMs).toBe(1500);
  });
  it('reports each invalid field', () => {
    const r = parseSettingsForm(
      { ...toFormValues(DEFAULT_SETTINGS), concurrency: '5', maxAttempts: '', chunkSeconds: '0.1', bandwidthCapKbps: '1.5' },
      DEFAULT_SETTINGS,
    );
    expect(r.ok).toBe(false);
    if (!r.ok) expect(Object.keys(r.errors).sort()).toEqual(['bandwidthCapKbps', 'chunkMs', 'concurrency', 'maxAttempts']);
  });
});

describe('format', () => {
  it('formats sizes and clocks', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1_250_000)).toBe('1.3 MB');
    expect(formatClock(75_000)).toBe('1:15');
    expect(formatClock(3_723_000)).toBe('1:02:03');
  });
});
