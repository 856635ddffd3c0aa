/**
 * Fault matrix, network faults (issue 6): the browser offline in the middle of a recording, a
 * flaky link (random resets + latency) for a whole recording, and a link slower than the
 * recording's bitrate. Real Chromium, fake camera, the app loaded through the fault proxy.
 * Durations scale with FAULT_SCALE (see support/fault-matrix.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  chunksEmitted,
  localRecording,
  openRecorder,
  scaled,
  serverVideo,
  sleep,
  startFaultEnv,
  startRecording,
  statusKind,
  stopRecording,
  verifyCase,
  waitingChunks,
  type FaultEnv,
} from './support/fault-matrix.ts';

let env: FaultEnv | null = null;
afterEach(async () => {
  await env?.close();
  env = null;
});

describe('fault matrix: network', () => {
  it('offline: the browser goes offline in the middle of a recording, then comes back', async () => {
    env = await startFaultEnv();
    const page = await openRecorder(env);
    const startedAt = Date.now();
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
});
