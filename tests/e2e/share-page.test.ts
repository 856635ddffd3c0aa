/**
 * The share page in real Chromium, on a real recording from the app: the player knows the
 * duration (finite, within 0.5 s of the frames ffprobe finds), a seek to the middle fires
 * `seeked` near its target, the poster and the Open Graph / Twitter tags are there. Also takes
 * the share page's and the library's screenshots (1280/360 px, light/dark) into
 * $SCREENSHOTS_DIR (default test-results/screenshots, git-ignored; docs/screenshots only when
 * asked: SCREENSHOTS_DIR=docs/screenshots).
 *
 * OUTBOX_E2E_RECORD_SECONDS sets the recording's length (default 4; the 60 s run is
 * OUTBOX_E2E_RECORD_SECONDS=60).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, type VideoStatus } from '../../src/shared/api.ts';
import { readOutbox, sleep, statusKind, waitForController, waitForRecorder } from '../app/browser-helpers.ts';
import { startE2e, waitForVideo, type E2eEnv } from '../support/e2e-fixtures.ts';

const run = promisify(execFile);
const SECONDS = Number(process.env.SHARE_RECORD_SECONDS ?? 4);
const SHOTS = resolve(process.env.SCREENSHOTS_DIR ?? resolve(import.meta.dirname, '../../test-results/screenshots'));
const tmp = mkdtempSync(join(tmpdir(), 'outbox-share-e2e-'));
let env: E2eEnv;
let app: Page;
let video: VideoStatus;
let truthSeconds: number;

beforeAll(async () => {
  env = await startE2e();
  app = await env.context.newPage();
  await app.setViewportSize({ width: 1280, height: 800 });
  await app.goto(`${env.server.url}/#token=${encodeURIComponent(env.token)}`);
  await waitForRecorder(app);
  await waitForController(app);
  await app.getByRole('button', { name: 'Record', exact: true }).click();
  await app.getByRole('button', { name: 'Start recording' }).click();
  await app.getByRole('button', { name: 'Stop recording' }).waitFor();
  await sleep(SECONDS * 1000); // the recording's own length, not a wait for a condition
  await app.getByRole('button', { name: 'Stop recording' }).click();
  for (let i = 0; (await statusKind(app)) !== 'complete'; i++) {
    if (i > 600) throw new Error('the recording never completed');
    await app.waitForTimeout(100); // polling a condition, bounded
  }
  const [rec] = await readOutbox(app);
  video = await waitForVideo(env.server, env.token, rec!.id, (v) => v.state === 'complete' && !!v.fileSha256);

  // The truth: the end of the last frame ffprobe finds in the served file (not our Duration).
  const served = join(tmp, 'served.webm');
  const res = await fetch(video.videoUrl!, { headers: { authorization: `Bearer ${env.token}` } });
  writeFileSync(served, Buffer.from(await res.arrayBuffer()));
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'packet=pts_time,duration_time', '-of', 'csv=p=0', served]);
  truthSeconds = Math.max(...stdout.trim().split('\n').map((l) => l.split(',').map(Number)).map(([pts, dur]) => pts! + (Number.isFinite(dur) ? dur! : 0)));

  // A poster grabbed from the recording, as the recorder does from its preview.
  const poster = join(tmp, 'poster.jpg');
  await run('ffmpeg', ['-v', 'error', '-y', '-ss', '1', '-i', served, '-frames:v', '1', '-q:v', '5', poster]);
  const put = await fetch(env.server.url + ROUTES.poster(video.videoId), {
    method: 'PUT', headers: { authorization: `Bearer ${env.token}`, 'content-type': 'image/jpeg' }, body: readFileSync(poster),
  });
  expect(put.status).toBe(200);
  video = (await put.json()) as VideoStatus;
});
afterAll(async () => {
  await env?.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  for (const colorScheme of ['light', 'dark'] as const) {
    for (const width of [1280, 360]) {
      await page.emulateMedia({ colorScheme });
      await page.setViewportSize({ width, height: width === 360 ? 780 : 800 });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `${name} ${colorScheme} ${width}px scrolls sideways`).toBeLessThanOrEqual(0);
      await page.screenshot({ path: join(SHOTS, `${name}-${colorScheme}-${width}.png`) });
    }
  }
}

describe('share page', () => {
  it('plays a seekable recording: finite duration, a seek to the middle, poster, OG tags', async () => {
    expect(video).toMatchObject({ seekable: true });
    expect(Math.abs(video.durationMs! / 1000 - truthSeconds)).toBeLessThan(0.5);
    const page = await env.context.newPage();
    await page.goto(video.shareUrl);
    const v = page.locator('video');
    await expect.poll(() => v.evaluate((el: HTMLVideoElement) => el.readyState), { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    const duration = await v.evaluate((el: HTMLVideoElement) => el.duration);
    expect(Number.isFinite(duration)).toBe(true);
    expect(Math.abs(duration - truthSeconds)).toBeLessThan(0.5);

    const target = duration / 2;
    const landed = await v.evaluate(
      (el: HTMLVideoElement, t: number) =>
        new Promise<number | null>((done) => {
          const timer = setTimeout(() => done(null), 10_000);
          el.addEventListener('seeked', () => (clearTimeout(timer), done(el.currentTime)), { once: true });
          el.currentTime = t;
        }),
      target,
    );
    expect(landed, 'seeked fired').not.toBeNull();
    expect(Math.abs(landed! - target)).toBeLessThan(2);

    const meta = (p: string) => page.locator(`meta[property="${p}"], meta[name="${p}"]`).getAttribute('content');
    expect(await meta('og:title')).toBe(video.title ?? 'Recording');
    expect(await meta('og:video')).toBe(video.shareUrl.replace(/\/s\/.*/, ROUTES.sharedFile(video.shareUrl.split('/').at(-1)!)));
    expect(await meta('og:image')).toBe(video.posterUrl);
    expect(await meta('og:duration')).toBe(String(Math.round(video.durationMs! / 1000)));
    expect(await meta('twitter:card')).toBe('summary_large_image');
    expect(await v.getAttribute('poster')).toBe(video.posterUrl);
    const poster = await fetch(video.posterUrl!);
    expect([poster.status, poster.headers.get('content-type')]).toEqual([200, 'image/jpeg']);
    await page.getByRole('link', { name: 'Download' }).waitFor();

    await v.evaluate((el: HTMLVideoElement) => el.pause());
    await shoot(page, 'share-page');
    await page.close();
  });

  it('shows the library with thumbnail, title and duration, and renames', async () => {
    await app.getByRole('button', { name: 'Library' }).click();
    const row = app.locator(`library-view li[data-recording-id="${video.recordingId}"]`);
    await row.getByLabel('Duration').waitFor({ timeout: 15_000 });
    expect(await row.getByLabel('Duration').textContent()).toMatch(/^0:0\d$|^\d+:\d\d$/);
    const img = row.locator('.poster img');
    await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await img.getAttribute('src')).toBe(video.posterUrl);

    await row.getByRole('button', { name: 'Rename' }).click();
    await row.getByLabel('New title').fill('Team sync — roadmap');
    await row.getByRole('button', { name: 'Save' }).click();
    await row.locator('.title', { hasText: 'Team sync — roadmap' }).waitFor({ timeout: 10_000 });
    const st = await (await fetch(env.server.url + ROUTES.video(video.videoId), { headers: { authorization: `Bearer ${env.token}` } })).json();
    expect(st.title).toBe('Team sync — roadmap');

    await row.getByRole('button', { name: 'Rename' }).click();
    await row.getByLabel('New title').fill('evil\u202Etxt.exe');
    await row.getByRole('button', { name: 'Save' }).click();
    await row.getByRole('alert').waitFor({ timeout: 10_000 });
    expect(await row.getByRole('alert').textContent()).toContain('without control or text-direction characters');
    await row.getByRole('button', { name: 'Cancel' }).click();
    await shoot(app, 'library-thumbnails');
  });
});
