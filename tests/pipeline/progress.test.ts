import { describe, expect, it } from 'vitest';
import { toUploadProgress, type ProgressSnapshot } from '../../src/shared/progress.ts';
import { recordInto } from './fakes.ts';
import { REC_A, settle, setup, until } from './harness.ts';

describe('progress', () => {
  it('reports the right numbers at every step of an upload', async () => {
    const h = await setup({ settings: { concurrency: 1 } });
    await recordInto(h.outbox, REC_A, 4, { size: 100 });
    const seen: ProgressSnapshot[] = [];
    h.pipeline.onProgress((s) => seen.push(s));

    const before = await h.pipeline.snapshot();
    expect(before.overall).toMatchObject({ uploaded: 0, totalQueued: 4, pending: 4, failed: 0, percentage: 0, isOnline: true, hasSession: false, isUploading: false });
    expect(before.recordings[0]).toMatchObject({ phase: 'uploading', uploaded: 0, totalQueued: 4, bytesQueued: 400, bytesUploaded: 0, hasSession: false });

    h.server.gated = true;
    const run = h.pipeline.drain('test');
    // Wait on the next request reaching the server's gate, not on a number of timer rounds.
    const atGate = () => until(() => h.server.waitingAtGate === 1);
    await atGate();
    h.server.release(1); // init
    for (let k = 1; k <= 4; k++) {
      await atGate();
      const mid = await h.pipeline.snapshot();
      expect(mid.overall).toMatchObject({ uploaded: k - 1, totalQueued: 4, pending: 4 - k, percentage: (k - 1) * 25, hasSession: true, isUploading: true });
      expect(mid.recordings[0]).toMatchObject({ uploading: 1, bytesUploaded: (k - 1) * 100 });
      h.server.release(1);
    }
    await atGate();
    const finalizing = await h.pipeline.snapshot();
    expect(finalizing.recordings[0]).toMatchObject({ phase: 'finalizing', uploaded: 4, percentage: 100 });
    h.server.release(1); // finalize
    await run;
    const done = await h.pipeline.snapshot();
    expect(done.recordings[0]).toMatchObject({ phase: 'complete', uploaded: 4, percentage: 100, bytesUploaded: 400 });
    expect(done.recordings[0]!.shareUrl).toMatch(/^\/s\//);
    // A complete recording leaves the overall figures; nothing is queued any more.
    expect(done.overall).toMatchObject({ uploaded: 0, totalQueued: 0, percentage: 100, isUploading: false });
    expect(toUploadProgress(done)).toEqual({ uploaded: 0, total: 0, percentage: 100, isOnline: true });

    // Listeners saw every uploaded count from 0 to 4, never going backwards, ending complete.
    const counts = seen.map((s) => s.recordings[0]!.uploaded);
    expect(counts[0]).toBe(0);
    for (let i = 1; i < counts.length; i++) expect(counts[i]!).toBeGreaterThanOrEqual(counts[i - 1]!);
    expect(new Set(counts)).toEqual(new Set([0, 1, 2, 3, 4]));
    expect(seen.at(-1)!.recordings[0]!.phase).toBe('complete');
  });

  it('shows waiting-network offline, retrying during backoff, then waiting-server with the next try', async () => {
    const h = await setup({ online: false, settings: { maxAttempts: 2 } });
    await recordInto(h.outbox, REC_A, 1);
    await h.pipeline.drain('offline');
    let s = await h.pipeline.snapshot();
    expect(s.overall.isOnline).toBe(false);
    expect(s.recordings[0]!.phase).toBe('waiting-network');

    h.clock.auto = false;
    h.server.onChunk = (req) => (req.index === 0 ? { kind: 'http', status: 503, code: 'service_unavailable' } : undefined);
    h.net.set(true);
    const run = h.pipeline.drain('online');
    for (let i = 0; i < 50 && h.clock.waiting === 0; i++) await settle(2);
    s = await h.pipeline.snapshot();
    expect(s.recordings[0]).toMatchObject({ phase: 'retrying', retry: { index: 0, attempt: 1, maxAttempts: 2, nextAttemptAt: h.clock.now() + 1000 } });
    h.clock.advance(1000);
    for (let i = 0; i < 50 && !(h.clock.waiting > 0 && (await h.outbox.chunkCounts(REC_A)).failed === 1); i++) await settle(2);
    s = await h.pipeline.snapshot();
    // Attempts spent: shown failed, but waiting for the server with a next try 45 s away.
    expect(s.overall).toMatchObject({ failed: 1, uploaded: 0, totalQueued: 1, percentage: 0 });
    expect(s.recordings[0]).toMatchObject({ phase: 'waiting-server', failed: 1, waiting: 1, nextTryAt: h.clock.now() + 45_000, lastError: { code: 'service_unavailable' } });
    h.server.onChunk = () => undefined;
    h.clock.advance(45_000);
    await run;
    s = await h.pipeline.snapshot();
    expect(s.recordings[0]).toMatchObject({ phase: 'complete', failed: 0, waiting: 0, nextTryAt: null });
  });
});
