/**
 * No give-up after a long outage, in real Chromium: the server process is killed -9 while the
 * user records and comes back OUTAGE_S seconds later (default 40 s: longer than the 31 s the
 * five attempts 1+2+4+8+16 s used to last, so the old code leaves the video `open` for ever;
 * the 60 s is OUTAGE_S=60). Recording stops during the outage, so no new chunk's
 * success can re-arm the waiting ones: only the capped backoff (45 s ± 10 %) brings them back.
 * The video must then complete byte-identical within RECOVERY_S (60 s) of the server's return,
 * with no click — once with the recorder tab open, once with every tab closed during the outage.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ROUTES } from '../../src/shared/api.ts';
import {
  localRecording,
  openRecorder,
  pipelineLog,
  serverVideo,
  startFaultEnv,
  startRecording,
  statusKind,
  stopRecording,
  waitServerComplete,
  type FaultEnv,
} from './support/fault-matrix.ts';
import { expectServedRecording, logEvents } from '../support/e2e-fixtures.ts';
import { readOutbox } from '../app/browser-helpers.ts';

const OUTAGE_MS = Number(process.env.OUTAGE_S ?? 40) * 1000;
const RECOVERY_MS = Number(process.env.RECOVERY_S ?? 60) * 1000;
const TEST_TIMEOUT = OUTAGE_MS + RECOVERY_MS + 120_000;

let env: FaultEnv | null = null;
afterEach(async () => {
  await env?.close();
  env = null;
});

const until = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms - Date.now())));

/** Starts recording, waits for a chunk on the server, kills the server, records on, stops. */
async function recordThroughOutage(e: FaultEnv) {
  const page = await openRecorder(e);
  const id = await startRecording(page);
  await expect.poll(async () => (await serverVideo(e, id))?.receivedChunks ?? 0, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
  await e.process!.kill('SIGKILL');
  const killedAt = Date.now();
  // Recording goes on into the outage; its chunks wait in the outbox.
  await until(killedAt + 8000);
  await stopRecording(page);
  return { page, id, killedAt };
}

describe('long server outage (kill -9 for OUTAGE_S), real Chromium', () => {
  it(
    'completes byte-identical within 60 s of the server\'s return with no click; the UI says it waits and when it tries next',
    async () => {
      env = await startFaultEnv({ serverProcess: true });
      const { page, id, killedAt } = await recordThroughOutage(env);

      // The attempts run out during the outage: shown as waiting for the server, never given up.
      await expect.poll(() => statusKind(page), { timeout: OUTAGE_MS }).toBe('waiting-server');
      const countdown = await page.getByTestId('next-try').innerText();
      expect(countdown).toMatch(/^— (next try in \d+ s|trying now)$/);
      expect(await page.getByRole('button', { name: 'Retry now' }).isVisible()).toBe(true);
      const during = (await readOutbox(page)).find((r) => r.id === id)!;
      expect(during.chunkStates.failed ?? 0).toBeGreaterThan(0);

      await until(killedAt + OUTAGE_MS);
      await env.process!.restart();
      const backAt = Date.now();
      const video = await waitServerComplete(env, id, RECOVERY_MS);
      const recoveredMs = Date.now() - backAt;

      const local = await localRecording(page, id);
      // sha256 follows completion; this waits for it and checks it against the outbox.
      await expectServedRecording(env.server, env.token, id, local);
      expect(video.receivedChunks).toBe(local.indices.length);
      expect(video.chunks).toEqual([[0, local.indices.length - 1]]);
      await expect.poll(() => statusKind(page), { timeout: 15_000 }).toBe('complete');
      const log = pipelineLog(env, [id]);
      const exhausted = logEvents(env.console, 'chunk-retry').filter((e) => e.recordingId === id && e.exhausted === true).length;
      expect(exhausted).toBeGreaterThan(0);
      console.info(
        `[outage] tab open: ${local.indices.length} chunks / ${local.bytes} B; server down ${((backAt - killedAt) / 1000).toFixed(1)} s; ` +
          `complete ${(recoveredMs / 1000).toFixed(1)} s after its return; ${log.chunkRetries} chunk retries (${exhausted} after the 5 attempts), ${log.opRetries} op retries; no click`,
      );
    },
    TEST_TIMEOUT,
  );

  it(
    'completes with every tab closed during the outage (the worker keeps its drain alive and retries on its own)',
    async () => {
      env = await startFaultEnv({ serverProcess: true });
      const { page, id, killedAt } = await recordThroughOutage(env);
      const local = await localRecording(page, id);
      await page.close();
      expect(env.context.pages()).toHaveLength(0);

      await until(killedAt + OUTAGE_MS);
      const mark = env.console.length;
      await env.process!.restart();
      const backAt = Date.now();
      const video = await waitServerComplete(env, id, RECOVERY_MS);
      const recoveredMs = Date.now() - backAt;
      // sha256 follows completion; this waits for it and checks it against the outbox.
      await expectServedRecording(env.server, env.token, id, local);
      expect(video.chunks).toEqual([[0, local.indices.length - 1]]);
      expect(env.context.pages()).toHaveLength(0);

      // What woke the upload after the return: the reasons of the drains and syncs the worker logged.
      const since = env.console.slice(mark);
      const wakes = [
        ...logEvents(env.console, 'sync-event').map((e) => `sync:${String(e.tag)}`),
        ...logEvents(since, 're-armed').map((e) => `re-armed:${String(e.why)}`),
        ...logEvents(since, 'drain-ended').map((e) => `drain-ended:${String(e.reason)}`),
      ];
      console.info(
        `[outage] every tab closed: ${local.indices.length} chunks; server down ${((backAt - killedAt) / 1000).toFixed(1)} s; ` +
          `complete ${(recoveredMs / 1000).toFixed(1)} s after its return with no page open; worker events: ${[...new Set(wakes)].join(', ') || 'none logged'}`,
      );
    },
    TEST_TIMEOUT,
  );
});
