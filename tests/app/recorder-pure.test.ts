/**
 * The recorder's pure pieces: bubble geometry, default titles, routes, shortcuts, the tab title,
 * the interrupted take's saved time, the countdown, and TakeSync's rules (poster and title wait
 * for the server's id; the link is copied once; failures become words).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BUBBLE_SIZE, bubbleCircle, clampPlacement, cornerPlacement, nextCorner } from '../../src/app/recorder/bubble.ts';
import { defaultTitle } from '../../src/app/recorder/default-title.ts';
import { hasToken, hashFor, viewFromHash } from '../../src/app/router.ts';
import { shortcutFor } from '../../src/app/recorder/shortcuts.ts';
import { recordingTitle } from '../../src/app/recording-title.ts';
import { interruptedTake } from '../../src/app/recorder/interrupted.ts';
import { runCountdown } from '../../src/app/recorder/countdown.ts';
import { TakeSync } from '../../src/app/recorder/take-sync.ts';
import { ElapsedClock } from '../../src/app/recorder/elapsed-clock.ts';
import { TakeShelf } from '../../src/app/recorder/take-shelf.ts';
import { OfflineError } from '../../src/app/api-client.ts';
import { ApiError } from '../../src/shared/errors.ts';
import type { ProgressSnapshot, RecordingProgress } from '../../src/shared/progress.ts';

describe('bubble geometry', () => {
  it('puts a bottom-right bubble fully inside the frame, sized from the shorter side', () => {
    const c = bubbleCircle(1280, 720, cornerPlacement(1280, 720, 'bottom-right'));
    expect(c.r).toBeCloseTo((720 * BUBBLE_SIZE) / 2);
    expect(c.cx + c.r).toBeLessThan(1280);
    expect(c.cy + c.r).toBeLessThan(720);
    expect(c.cx).toBeGreaterThan(1280 / 2);
  });
  it('clamps a placement dragged past the edge', () => {
    const p = clampPlacement(1600, 900, { x: 1.4, y: -0.2 });
    const c = bubbleCircle(1600, 900, p);
    expect(c.cx + c.r).toBeCloseTo(1600);
    expect(c.cy - c.r).toBeCloseTo(0);
  });
  it('cycles corners clockwise from wherever the bubble is', () => {
    expect(nextCorner(cornerPlacement(16, 9, 'bottom-right'))).toBe('bottom-left');
    expect(nextCorner(cornerPlacement(16, 9, 'top-right'))).toBe('bottom-right');
  });
});

describe('default title', () => {
  it('says what and when', () => {
    const at = new Date(2026, 11, 1, 14, 5);
    expect(defaultTitle('screen', at)).toBe('Screen recording — 1 Dec 2026, 14:05');
    expect(defaultTitle('camera', at)).toBe('Camera recording — 1 Dec 2026, 14:05');
    expect(defaultTitle('screen+camera', new Date(2027, 0, 9, 9, 0))).toBe('Screen + camera recording — 9 Jan 2027, 09:00');
  });
});

describe('routes', () => {
  it('maps hashes to views, with the old analytics address opening settings', () => {
    expect(viewFromHash('')).toBe('recorder');
    expect(viewFromHash('#/library')).toBe('library');
    expect(viewFromHash('#/settings/')).toBe('settings');
    expect(viewFromHash('#/analytics')).toBe('settings');
    expect(viewFromHash('#/nope')).toBe('recorder');
    expect(hashFor('library')).toBe('#/library');
  });
  it('recognises a sign-in fragment', () => {
    expect(hasToken('#token=abc')).toBe(true);
    expect(hasToken('#a=1&token=abc')).toBe(true);
    expect(hasToken('#/library')).toBe(false);
  });
});

describe('shortcuts', () => {
  const key = (code: string, mods: Partial<Record<'altKey' | 'shiftKey' | 'ctrlKey' | 'metaKey', boolean>> = {}, k = '') => ({ code, key: k, altKey: false, shiftKey: false, ctrlKey: false, metaKey: false, ...mods });
  it('matches Alt+Shift+R / P by physical key and Escape', () => {
    expect(shortcutFor(key('KeyR', { altKey: true, shiftKey: true }, '‰'))).toBe('start-stop');
    expect(shortcutFor(key('KeyP', { altKey: true, shiftKey: true }))).toBe('pause-resume');
    expect(shortcutFor(key('Escape', {}, 'Escape'))).toBe('cancel');
  });
  it('ignores plain letters (typing a title) and browser combinations', () => {
    expect(shortcutFor(key('KeyR', {}, 'r'))).toBeNull();
    expect(shortcutFor(key('KeyR', { altKey: true, shiftKey: true, ctrlKey: true }))).toBeNull();
  });
});

describe('tab title', () => {
  it('shows ● REC with the clock while recording, else the view', () => {
    expect(recordingTitle({ phase: 'recording', elapsedMs: 12_400, countdown: 0 }, 'Library')).toBe('● REC 0:12 — Outbox Recorder');
    expect(recordingTitle({ phase: 'paused', elapsedMs: 61_000, countdown: 0 }, 'Record')).toBe('❚❚ PAUSED 1:01 — Outbox Recorder');
    expect(recordingTitle({ phase: 'countdown', elapsedMs: 0, countdown: 2 }, 'Record')).toBe('Starting in 2… — Outbox Recorder');
    expect(recordingTitle({ phase: 'idle', elapsedMs: 9000, countdown: 0 }, 'Settings')).toBe('Settings — Outbox Recorder');
  });
});

describe('interrupted take', () => {
  it('counts the time up to the last chunk actually kept', () => {
    const t = interruptedTake({ id: 'r', createdAt: 1000 }, [{ index: 0, createdAt: 3000 }, { index: 1, createdAt: 35_000 }, { index: 5, createdAt: 99_000 }], 2);
    expect(t).toEqual({ recordingId: 'r', totalChunks: 2, savedMs: 34_000 });
  });
});

describe('countdown', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());
  it('ticks 3, 2, 1 then resolves', async () => {
    const ticks: number[] = [];
    const done = runCountdown(3, (n) => ticks.push(n), new AbortController().signal);
    await vi.advanceTimersByTimeAsync(3000);
    await done;
    expect(ticks).toEqual([3, 2, 1]);
  });
  it('rejects with AbortError when cancelled, and ticks no more', async () => {
    const ticks: number[] = [];
    const ac = new AbortController();
    const done = runCountdown(3, (n) => ticks.push(n), ac.signal);
    const caught = done.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1000);
    ac.abort();
    await vi.advanceTimersByTimeAsync(5000);
    expect(((await caught) as DOMException).name).toBe('AbortError');
    expect(ticks).toEqual([3, 2]);
  });
});

describe('TakeSync', () => {
  function progress(p: Partial<RecordingProgress>): ProgressSnapshot {
    const rec = { recordingId: 'r1', title: null, phase: 'uploading', uploaded: 0, totalQueued: 1, pending: 0, uploading: 0, failed: 0, percentage: 0, bytesUploaded: 0, bytesQueued: 0, hasSession: true, retry: null, videoId: null, shareUrl: null, missing: null, lastError: null, ...p } as RecordingProgress;
    return { at: 0, overall: { uploaded: 0, totalQueued: 0, failed: 0, pending: 0, percentage: 0, isOnline: true, hasSession: true, isUploading: false, authRequired: false }, recordings: [rec] };
  }
  function setup(api: { renameVideo?: (id: string, t: string) => Promise<unknown>; uploadPoster?: (id: string, b: Blob) => Promise<void> } = {}) {
    let listener: ((s: ProgressSnapshot) => void) | null = null;
    const calls: string[] = [];
    const copied: string[] = [];
    const sync = new TakeSync('r1', {
      api: {
        renameVideo: (id, t) => (calls.push(`rename ${id} ${t}`), (api.renameVideo?.(id, t) ?? Promise.resolve({})) as never),
        uploadPoster: (id, b) => (calls.push(`poster ${id} ${b.size}`), api.uploadPoster?.(id, b) ?? Promise.resolve()),
      },
      upload: { latest: null, onProgress: (l) => ((listener = l), () => (listener = null)) },
      copyText: async (t) => void copied.push(t),
      onChange: () => {},
    });
    return { sync, calls, copied, feed: (p: Partial<RecordingProgress>) => listener?.(progress(p)) };
  }
  const flush = () => new Promise((r) => setTimeout(r, 0));

  it('holds the poster and a typed title until the server id is known, then sends both', async () => {
    const { sync, calls, feed } = setup();
    sync.setPoster(new Blob([new Uint8Array(2048)], { type: 'image/jpeg' }));
    await sync.saveTitle('Demo');
    expect(sync.title.kind).toBe('pending');
    expect(calls).toEqual([]);
    feed({ videoId: 'v9' });
    await flush();
    expect(calls.sort()).toEqual(['poster v9 2048', 'rename v9 Demo']);
    expect(sync.title.kind).toBe('saved');
    expect(sync.poster).toBe('sent');
  });

  it('copies the link once, only after stop', async () => {
    const { sync, copied, feed } = setup();
    feed({ videoId: 'v1', shareUrl: 'http://x/s/abc' });
    await flush();
    expect(copied).toEqual([]);
    sync.stopped();
    await flush();
    feed({ videoId: 'v1', shareUrl: 'http://x/s/abc', phase: 'complete' });
    await flush();
    expect(copied).toEqual(['http://x/s/abc']);
    expect(sync.copy).toBe('copied');
  });

  it('retired with nothing left to send: stops listening to progress at once', async () => {
    const { sync, feed, copied } = setup();
    expect(sync.listening).toBe(true);
    sync.stopped();
    sync.retire();
    expect(sync.listening).toBe(false);
    feed({ videoId: 'v1', shareUrl: 'http://x/s/abc' });
    await flush();
    expect(sync.videoId).toBeNull();
    expect(copied).toEqual([]);
  });

  it('retired with a title and a poster waiting for the server id: sends both, then stops listening', async () => {
    const { sync, calls, feed, copied } = setup();
    sync.stopped();
    sync.setPoster(new Blob([new Uint8Array(10)], { type: 'image/jpeg' }));
    await sync.saveTitle('Later');
    sync.retire();
    expect(sync.listening).toBe(true);
    feed({ videoId: 'v3', shareUrl: 'http://x/s/def' });
    await flush();
    expect(calls.sort()).toEqual(['poster v3 10', 'rename v3 Later']);
    expect(sync.listening).toBe(false);
    expect(copied).toEqual([]); // a retired take no longer writes to the clipboard
  });

  it('says in words why a title was not saved', async () => {
    const offline = setup({ renameVideo: () => Promise.reject(new OfflineError()) });
    offline.feed({ videoId: 'v1' });
    await offline.sync.saveTitle('A');
    expect(offline.sync.title).toEqual({ kind: 'error', message: expect.stringContaining('cannot be reached') });
    const missing = setup({ renameVideo: () => Promise.reject(new ApiError('not_found')) });
    missing.feed({ videoId: 'v1' });
    await missing.sync.saveTitle('A');
    expect(missing.sync.title).toEqual({ kind: 'error', message: expect.stringContaining('does not offer renaming') });
  });
});

describe('ElapsedClock', () => {
  it('counts recording time without pauses and keeps the final time once frozen', () => {
    let t = 1000;
    const c = new ElapsedClock(() => t);
    expect(c.ms).toBe(0);
    c.start();
    t += 5000;
    c.pause();
    t += 3000;
    expect(c.ms).toBe(5000);
    c.resume();
    t += 2000;
    expect(c.ms).toBe(7000);
    expect(c.freeze()).toBe(7000);
    t += 9000;
    expect(c.ms).toBe(7000);
  });
});

describe('TakeShelf', () => {
  const sync = (id: string) => {
    const s = { recordingId: id, stopped: vi.fn(), retire: vi.fn() };
    return s as unknown as TakeSync & { stopped: ReturnType<typeof vi.fn>; retire: ReturnType<typeof vi.fn> };
  };
  it('retires the sync of a take that leaves the screen, and of a recording replaced before it ended', () => {
    const shelf = new TakeShelf();
    const a = sync('a');
    shelf.recordingStarted(a);
    expect(shelf.takeRecordingSync('other')).toBeNull();
    expect(shelf.takeRecordingSync('a')).toBe(a);
    shelf.show({ recordingId: 'a', title: 'A', localUrl: null, elapsedMs: 1, sync: a });
    expect(a.stopped).toHaveBeenCalledOnce();
    expect(a.retire).not.toHaveBeenCalled();
    const b = sync('b');
    shelf.recordingStarted(b); // a new recording closes the review panel
    expect(shelf.take).toBeNull();
    expect(a.retire).toHaveBeenCalledOnce();
    const c = sync('c');
    shelf.recordingStarted(c); // b never ended here (its take is not shown): retired too
    expect(b.retire).toHaveBeenCalledOnce();
    shelf.dispose();
    expect(c.retire).toHaveBeenCalledOnce();
  });
});

describe('account usage (Settings)', () => {
  it('says usage against limits, null meaning unlimited', async () => {
    const { usageLines } = await import('../../src/app/settings/account-usage.ts');
    expect(usageLines({ usage: { bytes: 1_500_000, openSessions: 1 }, limits: { userBytes: 10_000_000, openSessions: null, recordingBytes: 2_000_000_000 } })).toEqual([
      'Storage on the server: 1.5 MB of 10.0 MB',
      'Recordings uploading now: 1 of unlimited',
      'Largest recording: 2.0 GB',
    ]);
  });
  it('says nothing for a server without the fields, or with malformed ones', async () => {
    const { usageLines } = await import('../../src/app/settings/account-usage.ts');
    expect(usageLines({ userId: 'u', name: 'n' })).toEqual([]);
    expect(usageLines({ usage: { bytes: 'lots' }, limits: 7 })).toEqual([]);
    expect(usageLines(null)).toEqual([]);
  });
});
