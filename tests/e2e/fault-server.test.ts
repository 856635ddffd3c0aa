/**
 * Fault matrix, server side: the server process `kill -9`ed mid-upload and restarted
 * later on the same data directory and port (the proxy's port, the app's origin, never moves),
 * and the user's token revoked mid-upload (uploads held, the UI asks to sign in, a new token
 * resumes them). Durations scale with FAULT_SCALE (see support/fault-matrix.ts).
 */
import { describe, expect, it } from 'vitest';
import { databaseFile } from '../../src/server/paths.ts';
import { SqliteMetadataRepo } from '../../src/server/storage/sqlite-metadata-repo.ts';
import { rotateToken } from '../../src/server/users.ts';
import { chunksEmitted, faultCasePerTest, localRecording, pipelineLog, scaled, serverVideo, sleep, startRecording, statusKind, stopRecording, verifyCase, type FaultEnv } from './support/fault-matrix.ts';

const startCase = faultCasePerTest();

/** Revokes the user's tokens and returns a new one (what `npm run user` does). */
async function rotate(e: FaultEnv): Promise<string> {
  const repo = new SqliteMetadataRepo(databaseFile(e.server.dataDir));
  try {
    return await rotateToken(repo, e.user, Date.now());
  } finally {
    await repo.close();
  }
}

describe('fault matrix: server', () => {
  it('server crash: kill -9 mid-upload, restarted later on the same data dir and port', async () => {
    const { env, page, startedAt } = await startCase({ serverProcess: true });
    const proc = env.process!;
    // A capped link keeps a chunk upload in flight nearly all the time, so the kill lands mid-body.
    env.proxy.set({ bandwidthBps: 80_000 });
    const id = await startRecording(page);
    await expect.poll(async () => (await serverVideo(env, id))?.receivedChunks ?? 0, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
    await proc.kill('SIGKILL');
    const killedAt = Date.now();
    const downMs = scaled(2);
    await sleep(downMs);
    // Recording goes on while the server is down; its chunks wait in the outbox.
    expect(await page.getByRole('button', { name: 'Stop recording' }).isEnabled()).toBe(true);
    await proc.restart();
    const down = Date.now() - killedAt;
    await sleep(scaled(2));
    await stopRecording(page);
    const emitted = await chunksEmitted(page);
    env.proxy.set({ bandwidthBps: null });
    await verifyCase(env, {
      case: 'server-crash',
      fault: `server kill -9 mid-upload, restarted ${(down / 1000).toFixed(1)} s later on the same data dir and port`,
      startedAt,
      page,
      recordingIds: [id],
      uiPages: [page],
      notes: `${emitted} chunks emitted by MediaRecorder`,
    });
    expect((await localRecording(page, id)).indices.length).toBe(emitted);
    // The kill hit the uploader: requests failed and were retried after the restart.
    const log = pipelineLog(env, [id]);
    expect(log.chunkRetries + log.opRetries).toBeGreaterThan(0);
  });

  it('token expiry: token revoked mid-upload, uploads held, UI asks to sign in, a new token resumes', async () => {
    const { env, page, startedAt } = await startCase();
    const id = await startRecording(page);
    await expect.poll(async () => (await serverVideo(env, id))?.receivedChunks ?? 0, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
    const fresh = await rotate(env);

    await page.getByRole('heading', { name: 'Sign in again to keep uploading' }).waitFor({ timeout: 20_000 });
    await expect.poll(() => statusKind(page)).toBe('auth-required');
    // Recording is not interrupted by the refusal; uploads are held.
    expect(await page.getByRole('button', { name: 'Stop recording' }).isEnabled()).toBe(true);
    const heldAt = (await serverVideo(env, id, fresh))!.receivedChunks;
    await sleep(scaled(4));
    await stopRecording(page);
    const held = await localRecording(page, id);
    expect((await serverVideo(env, id, fresh))!.receivedChunks).toBe(heldAt);
    expect(held.chunkStates.uploaded ?? 0).toBeLessThan(held.indices.length);

    await page.getByLabel('Sign-in link or token').fill(fresh);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await verifyCase(env, {
      case: 'token-expiry',
      fault: `token revoked mid-upload (${heldAt}/${held.indices.length} chunks on the server), new token entered in the app`,
      startedAt,
      page,
      recordingIds: [id],
      uiPages: [page],
      token: fresh,
    });
    expect(await page.getByRole('heading', { name: 'Sign in again to keep uploading' }).count()).toBe(0);
  });
});
