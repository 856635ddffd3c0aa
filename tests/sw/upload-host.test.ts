import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/shared/log.ts';
import type { WorkerToPage } from '../../src/shared/messages.ts';
import type { ProgressSnapshot, RecordingProgress } from '../../src/shared/progress.ts';
import { SyncRetryWanted, UploadHost, type HostedPipeline } from '../../src/sw/upload-host.ts';
import type { DrainOutcome } from '../../src/sw/pipeline/ports.ts';

const REC = '0b7c6a9e-3f7b-4a53-9d7e-2f0f6c1b5a11';
const DONE: DrainOutcome = { done: true, blocked: null, nextWakeAt: null, failed: 0 };

function snapshot(recordings: Array<Partial<RecordingProgress>> = [], authRequired = false): ProgressSnapshot {
  return {
    at: Date.now(),
    overall: { uploaded: 0, totalQueued: 0, failed: 0, pending: 0, percentage: 0, isOnline: true, hasSession: false, isUploading: false, authRequired },
    recordings: recordings.map((r) => ({
      recordingId: REC, title: null, phase: 'uploading', uploaded: 0, totalQueued: 0, pending: 0, uploading: 0, failed: 0,
      percentage: 0, waiting: 0, nextTryAt: null, bytesUploaded: 0, bytesQueued: 0, hasSession: true, retry: null, videoId: null, shareUrl: null, missing: null, lastError: null,
      ...r,
    })),
  };
}

function makeHost(opts: { outcomes?: DrainOutcome[]; online?: boolean; initial?: ProgressSnapshot; syncRejects?: boolean; periodic?: boolean } = {}) {
  const outcomes = [...(opts.outcomes ?? [])];
  const calls: string[] = [];
  const published: WorkerToPage[] = [];
  const timers: Array<{ ms: number; fn: () => void }> = [];
  let syncs = 0;
  let progressCb: ((s: ProgressSnapshot) => void) | null = null;
  const pipeline: HostedPipeline = {
    drain: async (reason) => (calls.push(`drain:${reason}`), outcomes.shift() ?? DONE),
    retry: async (id) => void calls.push(`retry:${id ?? '*'}`),
    wakeAll: async (why) => void calls.push(`wake:${why}`),
    nudge: () => void calls.push('nudge'),
    snapshot: async () => opts.initial ?? snapshot(),
    onProgress: (cb) => ((progressCb = cb), () => {}),
  };
  const host = new UploadHost({
    pipeline,
    registerSync: async () => {
      syncs++;
      if (opts.syncRejects) throw new DOMException('denied', 'NotAllowedError');
    },
    periodicSync: opts.periodic
      ? { register: async () => void calls.push('periodic:register'), unregister: async () => void calls.push('periodic:unregister') }
      : null,
    publish: (m) => published.push(m),
    isOnline: () => opts.online ?? true,
    now: () => 1000,
    setTimer: (ms, fn) => (timers.push({ ms, fn }), () => {}),
    locks: null,
    logger: silentLogger,
  });
  return { host, calls, published, timers, syncs: () => syncs, emit: (s: ProgressSnapshot) => progressCb?.(s) };
}

describe('UploadHost', () => {
  it('publishes a first snapshot, wakes whatever waits for the server, and drains on start-up', async () => {
    const h = makeHost();
    await h.host.start();
    expect(h.published.map((m) => m.type)).toEqual(['pipeline/progress']);
    expect(h.calls).toEqual(['wake:startup', 'drain:startup']);
  });

  it('wakes whatever waits and drains on `online`', async () => {
    const h = makeHost();
    await h.host.wake('online');
    expect(h.calls).toEqual(['wake:online', 'drain:online']);
  });

  it('drains on every valid page message and ignores invalid ones', async () => {
    const h = makeHost();
    await h.host.onMessage({ type: 'outbox/chunk-added', recordingId: REC, index: 3 });
    await h.host.onMessage({ type: 'outbox/chunk-added', recordingId: 'not-a-uuid', index: 3 });
    await h.host.onMessage({ type: 'settings/changed' });
    await h.host.onMessage('garbage');
    expect(h.calls).toEqual(['drain:outbox/chunk-added', 'drain:settings/changed']);
  });

  it('routes a retry message to pipeline.retry for that recording, then drains', async () => {
    const h = makeHost();
    await h.host.onMessage({ type: 'pipeline/retry', recordingId: REC });
    expect(h.calls).toEqual([`retry:${REC}`, 'drain:pipeline/retry']);
  });

  it('answers a progress request with a snapshot and no drain', async () => {
    const h = makeHost();
    await h.host.onMessage({ type: 'pipeline/progress-request' });
    expect(h.published.map((m) => m.type)).toEqual(['pipeline/progress']);
    expect(h.calls).toEqual([]);
  });

  it('registers Background Sync when a drain ends blocked offline', async () => {
    const h = makeHost({ outcomes: [{ done: false, blocked: 'offline', nextWakeAt: null, failed: 0 }], online: false });
    await h.host.drain('test');
    expect(h.syncs()).toBe(1);
  });

  it('does not register sync when the drain finished', async () => {
    const h = makeHost();
    await h.host.drain('test');
    expect(h.syncs()).toBe(0);
  });

  it('on a sync event wakes whatever waits for the server (not the user-action failures) and drains', async () => {
    const h = makeHost();
    await h.host.onSync('outbox-upload', false);
    expect(h.calls).toEqual(['wake:sync:outbox-upload', 'drain:sync:outbox-upload']);
  });

  it('registers a periodic sync while work is left and unregisters it when all is done', async () => {
    const left: DrainOutcome = { done: false, blocked: null, nextWakeAt: 9000, failed: 1 };
    const h = makeHost({ outcomes: [left, left, DONE, DONE], periodic: true });
    for (const r of ['a', 'b', 'c', 'd']) await h.host.drain(r);
    expect(h.calls.filter((c) => c.startsWith('periodic'))).toEqual(['periodic:register', 'periodic:unregister']);
  });

  it('resolves the sync handler even when uploads fail and sync registration is refused', async () => {
    const h = makeHost({ outcomes: [{ done: false, blocked: 'offline', nextWakeAt: null, failed: 3 }], online: false, syncRejects: true });
    await expect(h.host.onSync('outbox-upload', false)).resolves.toBeUndefined();
    expect(h.syncs()).toBe(1);
  });

  it('re-arms a timer for a long backoff while online (the sync is only the safety net)', async () => {
    const h = makeHost({ outcomes: [{ done: false, blocked: null, nextWakeAt: 9000, failed: 0 }] });
    await h.host.drain('test');
    expect(h.syncs()).toBe(1);
    expect(h.timers.map((t) => t.ms)).toEqual([8000]);
    h.timers[0]!.fn();
    await new Promise((r) => setTimeout(r, 0));
    expect(h.calls).toEqual(['drain:test', 'wake:timer:backoff', 'drain:timer:backoff']);
  });

  it('announces auth/required once per episode and again after a new token', async () => {
    const blocked: DrainOutcome = { done: false, blocked: 'auth', nextWakeAt: null, failed: 0 };
    const h = makeHost({ outcomes: [blocked, blocked, blocked] });
    await h.host.drain('a');
    await h.host.drain('b');
    await h.host.onMessage({ type: 'auth/token-changed' });
    expect(h.published.filter((m) => m.type === 'auth/required')).toHaveLength(2);
    expect(h.syncs()).toBe(0);
  });

  it('announces recording/complete on the transition to complete only', async () => {
    const h = makeHost({ initial: snapshot([{ recordingId: '11111111-1111-4111-8111-111111111111', phase: 'complete', shareUrl: 'http://x/s/old' }]) });
    await h.host.start();
    h.emit(snapshot([{ recordingId: '11111111-1111-4111-8111-111111111111', phase: 'complete', shareUrl: 'http://x/s/old' }, { phase: 'finalizing' }]));
    h.emit(snapshot([{ phase: 'complete', shareUrl: 'http://x/s/abc' }]));
    h.emit(snapshot([{ phase: 'complete', shareUrl: 'http://x/s/abc' }]));
    const completes = h.published.filter((m) => m.type === 'recording/complete');
    expect(completes).toEqual([{ type: 'recording/complete', recordingId: REC, shareUrl: 'http://x/s/abc' }]);
  });

  it('online with the server unreachable, a sync rejects so the browser retries it, and does not re-register itself', async () => {
    // navigator.onLine true but the server unreachable: the pipeline reports offline.
    const h = makeHost({ outcomes: [{ done: false, blocked: 'offline', nextWakeAt: null, failed: 0 }], online: true });
    await expect(h.host.onSync('outbox-upload', false)).rejects.toThrow(SyncRetryWanted);
    // Re-registering during the event would make Chromium fire it again at once (a loop).
    expect(h.syncs()).toBe(0);
    expect(h.timers.map((t) => t.ms)).toEqual([30_000]);
  });

  it('resolves a sync on its last chance, when done, or when blocked on auth', async () => {
    const stuck: DrainOutcome = { done: false, blocked: 'offline', nextWakeAt: null, failed: 0 };
    await expect(makeHost({ outcomes: [stuck] }).host.onSync('outbox-upload', true)).resolves.toBeUndefined();
    await expect(makeHost({ outcomes: [DONE] }).host.onSync('outbox-upload', false)).resolves.toBeUndefined();
    const auth: DrainOutcome = { done: false, blocked: 'auth', nextWakeAt: null, failed: 0 };
    await expect(makeHost({ outcomes: [auth] }).host.onSync('outbox-upload', false)).resolves.toBeUndefined();
  });

  it('online with work left outside a sync, registers the tag as a safety net beside the timer', async () => {
    const h = makeHost({ outcomes: [{ done: false, blocked: 'offline', nextWakeAt: null, failed: 2 }], online: true });
    await h.host.drain('outbox/chunk-added');
    expect(h.timers.map((t) => t.ms)).toEqual([30_000]);
    expect(h.syncs()).toBe(1);
  });

  it('survives a drain that throws: no rejection, a timer when online, a sync when offline', async () => {
    for (const online of [true, false]) {
      const timers: number[] = [];
      let syncs = 0;
      const host = new UploadHost({
        pipeline: {
          drain: async () => { throw new Error('idb gone'); }, retry: async () => {}, wakeAll: async () => {}, nudge: () => {},
          snapshot: async () => snapshot(), onProgress: () => () => {},
        },
        registerSync: async () => { syncs++; },
        periodicSync: null,
        publish: () => {}, isOnline: () => online, now: () => 0, setTimer: (ms) => (timers.push(ms), () => {}), locks: null, logger: silentLogger,
      });
      await expect(host.drain('x')).resolves.toBeUndefined();
      expect({ online, syncs, timers }).toEqual(online ? { online, syncs: 1, timers: [30_000] } : { online, syncs: 1, timers: [] });
    }
  });
});
