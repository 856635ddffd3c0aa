/**
 * The Library: local and server recordings merged; offline it lists this device's recordings and
 * says so; deleting a copy the server does not hold complete warns first; play from the device
 * and from the server; download the .webm; remove the local copy, then delete on the server.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Locator } from 'playwright-core';
import { e2ePerFile } from '../support/app-page.ts';
import { findVideo } from '../support/e2e-fixtures.ts';
import { readOutbox, recordChunks, statusKind } from '../app/browser-helpers.ts';

const app = e2ePerFile({ recorderPage: true });

/** A take of `chunks` saved 2-second chunks (a condition on the outbox, not a sleep). */
async function record(chunks: number): Promise<void> {
  await app.page.getByRole('button', { name: 'Record', exact: true }).click();
  await recordChunks(app.page, chunks);
  await app.page.getByRole('button', { name: 'Stop recording' }).click();
  await app.page.getByRole('button', { name: 'Start recording' }).waitFor();
}

const item = (id: string): Locator => app.page.locator(`library-view li[data-recording-id="${id}"]`);

async function videoState(): Promise<{ src: string; readyState: number; error: number | null }> {
  return app.page.locator('library-view video').evaluate((v: HTMLVideoElement) => ({ src: v.currentSrc, readyState: v.readyState, error: v.error?.code ?? null }));
}

describe('library', () => {
  it('lists, warns, plays, downloads and deletes recordings', async () => {
    await record(2);
    await expect.poll(() => statusKind(app.page), { timeout: 30_000 }).toBe('complete');

    // A second recording made offline stays on this device only.
    await app.env.context.setOffline(true);
    await record(1);
    await app.page.getByRole('button', { name: 'Library' }).click();
    await app.page.getByText('Offline: showing the recordings on this device only.').waitFor();
    const [offlineRec, done] = await readOutbox(app.page);
    await item(offlineRec!.id).getByRole('button', { name: 'Delete…' }).click();
    await item(offlineRec!.id).getByText('The server does not hold this video complete yet').waitFor();
    expect(await item(offlineRec!.id).getByRole('button', { name: 'Delete anyway from this device' }).isVisible()).toBe(true);
    await item(offlineRec!.id).getByRole('button', { name: 'Cancel' }).click();
    await app.env.context.setOffline(false);
    await app.page.getByRole('button', { name: 'Refresh' }).first().click();
    await item(offlineRec!.id).getByText('On the server').waitFor({ timeout: 30_000 });

    // Play from the device (a blob: URL of the outbox's chunks) and from the server's share file.
    const row = item(done!.id);
    await row.getByRole('button', { name: 'Play from device' }).click();
    await expect.poll(async () => (await videoState()).readyState, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    expect((await videoState()).src).toMatch(/^blob:/);
    await row.getByRole('button', { name: 'Play from server' }).click();
    await expect.poll(async () => (await videoState()).readyState, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    expect((await videoState()).src).toMatch(/\/api\/v1\/shared\/[A-Za-z0-9_-]+\/file$/);
    await row.getByRole('button', { name: 'Close player' }).click();

    // Download: the exported file is exactly the recorded bytes.
    const [download] = await Promise.all([app.page.waitForEvent('download'), row.getByRole('button', { name: 'Download' }).click()]);
    expect(download.suggestedFilename()).toMatch(/\.webm$/);
    const path = await download.path();
    expect(createHash('sha256').update(readFileSync(path)).digest('hex')).toBe(done!.sha256);

    // The server holds it complete, so the local copy goes without a warning; then delete on the server.
    await row.getByRole('button', { name: 'Delete…' }).click();
    await row.getByText('can be removed safely').waitFor();
    await row.getByRole('button', { name: 'Remove from this device' }).click();
    await app.page.getByText('Removed from this device.').waitFor();
    expect((await readOutbox(app.page)).map((r) => r.id)).not.toContain(done!.id);
    await expect.poll(() => row.getByRole('button', { name: 'Play from device' }).count()).toBe(0);
    await row.getByText('on server').waitFor();
    await row.getByRole('button', { name: 'Delete…' }).click();
    await row.getByRole('button', { name: 'Delete from server' }).click();
    await app.page.getByText('Deleted from the server.').waitFor();
    await expect.poll(() => row.count()).toBe(0);
    expect(await findVideo(app.env.server, app.env.token, done!.id)).toBeNull();
  });
});
