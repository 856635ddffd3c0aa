/**
 * The review panel against the server's rename and poster endpoints (PATCH /api/v1/videos/:id,
 * PUT /api/v1/videos/:id/poster): a title typed after Stop is saved on the server, and the poster
 * frame taken about a second into the recording is uploaded as a JPEG within the size limit.
 * Needs the server side of those routes (built on another branch): before that merge the PATCH
 * answers 404 and the panel says so in words, which app-flow.test.ts covers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Response } from 'playwright-core';
import { ROUTES } from '../../src/shared/api.ts';
import { startE2e, waitForVideo, type E2eEnv } from '../support/e2e-fixtures.ts';
import { APP_PERMISSIONS } from '../support/browser.ts';
import { readOutbox, recordChunks, waitForController, waitForRecorder } from '../app/browser-helpers.ts';

let env: E2eEnv;

beforeAll(async () => {
  env = await startE2e();
});
afterAll(async () => {
  await env?.close();
});

describe('review panel ↔ server', () => {
  it('saves the typed title on the server and uploads the poster frame', async () => {
    const context = await env.browser!.newContext({ permissions: APP_PERMISSIONS });
    try {
      const page = await context.newPage();
      const posters: { status: number; type: string | null }[] = [];
      page.on('response', (r: Response) => {
        if (r.request().method() === 'PUT' && /\/poster$/.test(r.url())) posters.push({ status: r.status(), type: r.request().headers()['content-type'] ?? null });
      });
      await page.goto(`${env.server.url}/#token=${encodeURIComponent(env.token)}`);
      await waitForRecorder(page);
      await waitForController(page);
      await recordChunks(page, 2);
      await page.getByRole('button', { name: 'Stop recording' }).click();
      await page.getByRole('textbox', { name: 'Link to this recording' }).waitFor({ timeout: 30_000 });

      await page.getByLabel('Title').fill('Quarterly demo');
      await page.getByRole('button', { name: 'Save title' }).click();
      await page.getByText('Title saved.').waitFor({ timeout: 15_000 });
      const [local] = await readOutbox(page);
      const video = await waitForVideo(env.server, env.token, local!.id, (v) => v.title === 'Quarterly demo');
      expect(video.title).toBe('Quarterly demo');

      await expect.poll(() => posters.length, { timeout: 20_000 }).toBeGreaterThan(0);
      expect(posters[0]!.status).toBeGreaterThanOrEqual(200);
      expect(posters[0]!.status).toBeLessThan(300);
      expect(posters[0]!.type).toBe('image/jpeg');
      // What the server stored: a real JPEG frame (magic bytes), within the 512 KiB the API accepts.
      const stored = await fetch(`${env.server.url}${ROUTES.poster(video.videoId)}`, { headers: { authorization: `Bearer ${env.token}` } });
      expect(stored.status).toBe(200);
      const jpeg = Buffer.from(await stored.arrayBuffer());
      expect([...jpeg.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
      expect(jpeg.length).toBeGreaterThan(1000);
      expect(jpeg.length).toBeLessThanOrEqual(512 * 1024);
    } finally {
      await context.close();
    }
  });
});
