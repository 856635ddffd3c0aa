/**
 * A storage-quota refusal in real Chromium: the user's quota is nearly used up by an earlier
 * video, so the server answers the new recording's chunks `413 user_quota_exceeded`. The app
 * says the upload failed, in words, and keeps every chunk in the outbox; once space is freed
 * (the old video deleted) "Retry upload" completes it with the recorded bytes.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startE2e, expectServerCopy, findVideo, type E2eEnv } from '../support/e2e-fixtures.ts';
import { readOutbox, statusKind, waitForController, waitForRecorder, waitForSavedChunks } from '../app/browser-helpers.ts';
import { client, makeChunks, uploadAll } from '../server/helpers.ts';

/** Room for the short recording once the filler is gone, none while it is there. */
const QUOTA = 4 * 1024 * 1024;
let env: E2eEnv | null = null;
afterAll(async () => {
  await env?.close();
});

describe('storage quota in the app', () => {
  it('shows the refusal, keeps the chunks, and uploads on Retry once space is freed', async () => {
    env = await startE2e({ env: { OUTBOX_USER_QUOTA_BYTES: String(QUOTA) } });
    const api = client(env.server.url, env.token);
    const filler = (await api.init()).json.sessionId as string;
    // The filler uses the whole quota (the server refuses only above it): no chunk fits, however
    // small a loaded machine's first chunk comes out.
    await uploadAll(api, filler, makeChunks(1, QUOTA));

    const page = await env.context.newPage();
    await page.goto(`${env.server.url}/#token=${encodeURIComponent(env.token)}`);
    await waitForRecorder(page);
    await waitForController(page);
    await page.getByRole('button', { name: 'Start recording' }).click();
    await page.getByRole('button', { name: 'Stop recording' }).waitFor();
    await waitForSavedChunks(page, 1);
    await page.getByRole('button', { name: 'Stop recording' }).click();
    await page.getByRole('button', { name: 'Start recording' }).waitFor();

    await expect.poll(() => statusKind(page), { timeout: 30_000 }).toBe('failed');
    const status = page.locator('upload-status');
    await status.getByText('Upload failed').waitFor();
    await status.getByText('Nothing is lost').waitFor();
    // The words say what happened and what to do, not only that it failed.
    await status.getByText('Your storage on the server is full', { exact: false }).waitFor();
    const [rec] = await readOutbox(page);
    expect(rec!.state).not.toBe('complete');
    expect(rec!.chunkCount).toBeGreaterThan(0);
    expect(rec!.withData).toBe(rec!.chunkCount);
    expect(rec!.chunkHashesOk).toBe(rec!.chunkCount);
    const held = await findVideo(env.server, env.token, rec!.id);
    expect(held?.receivedChunks ?? 0).toBe(0);

    // Free the space, then Retry: everything recorded reaches the server.
    expect((await api.remove(filler)).status).toBe(204);
    await status.getByRole('button', { name: 'Retry upload' }).click();
    await expect.poll(() => statusKind(page), { timeout: 30_000 }).toBe('complete');
    const video = await expectServerCopy(env, { recordingId: rec!.id, count: rec!.chunkCount, bytes: rec!.bytes, sha256: rec!.sha256 });
    expect(video.bytes).toBe(rec!.bytes);
  });
});
