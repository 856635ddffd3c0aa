/**
 * Fault matrix, network faults: the browser offline in the middle of a recording, a
 * flaky link (random resets + latency) for a whole recording, and a link slower than the
 * recording's bitrate. Real Chromium, fake camera, the app loaded through the fault proxy.
 * Durations scale with FAULT_SCALE (see support/fault-matrix.ts).
 */
import { describe, expect, it } from 'vitest';
import { chunksEmitted, faultCasePerTest, localRecording, scaled, serverVideo, sleep, startRecording, statusKind, stopRecording, verifyCase, waitServerComplete, waitingChunks } from './support/fault-matrix.ts';

const startCase = faultCasePerTest();

describe('fault matrix: network', () => {
  it('offline: the browser goes offline in the middle of a recording, then comes back', async () => {
    const { env, page, startedAt } = await startCase();
    const id = await startRecording(page);
    await sleep(scaled(2.5));
    await env.context.setOffline(true);
    await expect.poll(() => statusKind(page)).toBe('waiting-network');
    const offlineMs = scaled(5);
    await sleep(offlineMs);
    // Recording went on and its chunks wait in the outbox; the UI says why.
    const during = await localRecording(page, id);
    expect(waitingChunks(during)).toBeGreaterThanOrEqual(2);
    expect(await statusKind(page)).toBe('waiting-network');
    const heldBefore = (await serverVideo(env, id))?.receivedChunks ?? 0;
    expect(heldBefore).toBeLessThan(during.indices.length);
    await env.context.setOffline(false);
    await sleep(scaled(2.5));
    await stopRecording(page);
    const emitted = await chunksEmitted(page);
    await verifyCase(env, {
      case: 'browser-offline',
      fault: `browser offline ${offlineMs / 1000} s in the middle of a ${(Date.now() - startedAt) / 1000 | 0} s recording`,
      startedAt,
      page,
      recordingIds: [id],
      uiPages: [page],
      notes: `${waitingChunks(during)} chunks waiting while offline; ${emitted} emitted by MediaRecorder`,
    });
    expect((await localRecording(page, id)).indices.length).toBe(emitted);
  });

  it('flaky network: 10 % random resets + 300 ms latency for a whole recording', async () => {
    const { env, page, startedAt } = await startCase();
    // A CI-length recording makes only ~10 requests, some of them the page's own, so 10 % random
    // resets may never touch an upload. One reset is therefore made certain: the first connection
    // to carry 50 KB of request body (only chunk uploads are that big) is cut part-way. Then the
    // random resets take over: each cuts either the request part-way or the response after the
    // server did the work, so the client re-sends chunks the server already holds.
    env.proxy.set({ resetAfterBytes: 50_000, latencyMs: 300 });
    const id = await startRecording(page);
    await expect.poll(() => env.proxy.stats().resets, { timeout: 20_000, interval: 50 }).toBeGreaterThan(0);
    env.proxy.set({ resetAfterBytes: null, failRate: 0.1, failWindowBytes: 250_000 });
    await sleep(Math.max(0, scaled(10) - (Date.now() - startedAt)));
    await stopRecording(page);
    const emitted = await chunksEmitted(page);
    await verifyCase(env, {
      case: 'flaky-network',
      fault: 'one chunk upload cut at 50 KB, then 10 % of requests reset (mid-request or losing the response) + 300 ms latency, whole recording and upload',
      startedAt,
      page,
      recordingIds: [id],
      uiPages: [page],
      timeoutMs: 90_000,
      notes: `${env.proxy.stats().resets} connections reset by the proxy; ${emitted} chunks emitted`,
    });
    // The fault was injected. Whether the worker saw it is Chromium's call: a request reset on a
    // *reused* keep-alive connection before any response byte is re-sent by the network stack
    // itself (so the pipeline logs no retry); the notes give the retries the pipeline did see.
    expect(env.proxy.stats().resets).toBeGreaterThan(0);
    expect((await localRecording(page, id)).indices.length).toBe(emitted);
  });

  it('slow link: bandwidth below the recording bitrate; the backlog grows, then drains after stop', async () => {
    const { env, page, startedAt } = await startCase();
    // The fake camera records ~80-100 KB/s; 30 KB/s is well below.
    const capBps = 30_000;
    env.proxy.set({ bandwidthBps: capBps });
    const id = await startRecording(page);
    await sleep(scaled(3));
    const early = waitingChunks(await localRecording(page, id));
    await sleep(scaled(6));
    await stopRecording(page);
    const atStop = await localRecording(page, id);
    // The backlog grew while recording, and the UI shows the upload still going.
    expect(waitingChunks(atStop)).toBeGreaterThan(early);
    expect(waitingChunks(atStop)).toBeGreaterThanOrEqual(2);
    expect(['uploading', 'finalizing']).toContain(await statusKind(page));
    const stoppedAt = Date.now();
    await waitServerComplete(env, id, 120_000);
    const drainedMs = Date.now() - stoppedAt;
    await verifyCase(env, {
      case: 'slow-link',
      fault: `proxy bandwidth capped at ${capBps / 1000} KB/s, below the recording bitrate`,
      startedAt,
      page,
      recordingIds: [id],
      uiPages: [page],
      timeoutMs: 120_000,
      notes: `backlog ${early} → ${waitingChunks(atStop)} of ${atStop.indices.length} chunks (${atStop.bytes} B) at stop; server complete ${(drainedMs / 1000).toFixed(1)} s after stop`,
    });
  });
});
