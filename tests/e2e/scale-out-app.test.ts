/**
 * The app in real Chromium against two server nodes on one PostgreSQL database and one S3 bucket
 * behind nginx (docs/SCALE-OUT.md): the app is served by the nodes through the proxy, whose URL
 * is every node's PUBLIC_URL; it records a few seconds (E2E_RECORD_SECONDS), stops, and the
 * recording completes. Checked by digests: the SHA-256 the server reports for the recorded bytes
 * equals the outbox's, and the file served at `/file` hashes to the `fileSha256` it reports
 * (seekable WebM: a rewritten head before the recorded clusters). The proxy's log shows that the
 * chunk uploads reached both nodes.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_PREFIX, ROUTES } from '../../src/shared/api.ts';
import { RECORD_SECONDS, progressValue, readOutbox, recordChunks, statusKind, waitForController, waitForRecorder } from '../app/browser-helpers.ts';
import { APP_PERMISSIONS, launchBrowser } from '../support/browser.ts';
import { expectServedRecording } from '../support/e2e-fixtures.ts';
import { usePostgres } from '../support/postgres.ts';
import { useS3 } from '../support/s3.ts';
import { startScaleOut, type ScaleOut } from '../support/scale-out.ts';

const { cluster } = usePostgres();
const { s3 } = useS3();
let lb: ScaleOut;
let token: string;
let browser: Browser;

beforeAll(async () => {
  lb = await startScaleOut({ nodes: 2, databaseUrl: await cluster().freshDatabase(), s3: s3() });
  [token] = (await lb.createUser('e2e-scale-out')) as [string];
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await lb?.stop();
});

describe('the app against two nodes behind nginx', () => {
  it('records, stops and completes; the served recording matches the outbox by its digests', async () => {
    const context = await browser.newContext({ permissions: APP_PERMISSIONS });
    try {
      const page = await context.newPage();
      await page.goto(`${lb.url}/#token=${encodeURIComponent(token)}`);
      await waitForRecorder(page);
      await waitForController(page);
      await recordChunks(page, Math.max(2, Math.floor(RECORD_SECONDS / 2)));
      await page.getByRole('button', { name: 'Stop recording' }).click();
      await expect.poll(() => statusKind(page), { timeout: 60_000 }).toBe('complete');
      expect(await progressValue(page)).toBe('100');
      // Links point at the proxy (PUBLIC_URL), never at a node.
      const shareUrl = await page.getByRole('textbox', { name: 'Share link' }).inputValue();
      expect(shareUrl).toMatch(new RegExp(`^${lb.url}/s/[A-Za-z0-9_-]+$`));

      const [local] = await readOutbox(page);
      expect(local!.state).toBe('complete');
      expect(local!.indices).toEqual([...Array(local!.chunkCount).keys()]);
      const { video } = await expectServedRecording(lb, token, local!.id, local!, 60_000);
      expect(video.seekable).toBe(true);
      expect(video.totalChunks).toBe(local!.chunkCount);

      // Round robin: the recording's API requests (init, chunks, finalize, status) reached both nodes.
      const api = lb.proxy.upstreamLog().filter((l) => l.uri.startsWith(API_PREFIX));
      expect(api.some((l) => l.method === 'POST' && l.uri.startsWith(ROUTES.chunk))).toBe(true);
      expect(new Set(api.map((l) => l.upstream))).toEqual(new Set(lb.nodes.map((n) => new URL(n.url).host)));
    } finally {
      await context.close();
    }
  });
});
