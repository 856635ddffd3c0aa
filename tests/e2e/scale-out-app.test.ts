/**
 * The app in real Chromium against two server nodes on one PostgreSQL database and one S3 bucket
 * behind nginx (docs/SCALE-OUT.md): the app is served by the nodes through the proxy, whose URL
 * is every node's PUBLIC_URL; it records a few seconds (E2E_RECORD_SECONDS), stops, and the
 * recording completes. Checked by digests: the SHA-256 the server reports for the recorded bytes
 * equals the outbox's, and the file served at `/file` hashes to the `fileSha256` it reports
 * (seekable WebM: a rewritten head before the recorded clusters). The proxy sends even chunks to
 * one node and odd chunks to the other, and its log shows both took some.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../src/shared/api.ts';
import { chunksDigestHex } from '../../src/shared/chunks-digest.ts';
import { OUTBOX_DB_NAME } from '../../src/shared/outbox/schema.ts';
import { RECORD_SECONDS, progressValue, readOutbox, recordChunks, statusKind, waitForController, waitForRecorder } from '../app/browser-helpers.ts';
import { APP_PERMISSIONS, launchBrowser } from '../support/browser.ts';
import { expectServedRecording } from '../support/e2e-fixtures.ts';
import { usePostgres } from '../support/postgres.ts';
import { useS3 } from '../support/s3.ts';
import { startScaleOut, type ScaleOut } from '../support/scale-out.ts';

/** The SHA-256 the outbox stored beside each chunk of the recording, in index order. */
function outboxChunkDigests(page: Page, recordingId: string): Promise<string[]> {
  return page.evaluate(
    async ([dbName, id]) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const req = indexedDB.open(dbName);
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
      const chunks = await new Promise<{ recordingId: string; index: number; sha256: string }[]>((resolve, reject) => {
        const req = db.transaction('chunks').objectStore('chunks').getAll();
        req.onsuccess = () => resolve(req.result as { recordingId: string; index: number; sha256: string }[]);
        req.onerror = () => reject(req.error);
      });
      db.close();
      return chunks.filter((c) => c.recordingId === id).sort((a, b) => a.index - b.index).map((c) => c.sha256);
    },
    [OUTBOX_DB_NAME, recordingId] as const,
  );
}

const { cluster } = usePostgres();
const { s3 } = useS3();
let lb: ScaleOut;
let token: string;
let browser: Browser;

beforeAll(async () => {
  // Chunks alternate between the two nodes by index parity (round robin would let other requests
  // interleave so that one recording's chunks could all land on one node).
  lb = await startScaleOut({ nodes: 2, databaseUrl: await cluster().freshDatabase(), s3: s3(), proxy: { chunksByIndexParity: true } });
  [token] = (await lb.createUser('e2e-scale-out')) as [string];
  browser = await launchBrowser();
});
// A node that crashed is hidden by nginx (it tries the next one), so the test says so itself.
afterEach(() => {
  expect(lb.unexpectedExits()).toEqual([]);
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
      // The chunks digest any node computed from its rows = the one over the outbox's chunk digests.
      expect(video.chunksDigest).toBe(await chunksDigestHex(await outboxChunkDigests(page, local!.id)));
      expect(video.totalChunks).toBe(local!.chunkCount);

      // The recording's chunk uploads reached both nodes, each answered 2xx by the node it reached.
      const log = lb.proxy.upstreamLog();
      const chunkPosts = log.filter((l) => l.method === 'POST' && l.uri.startsWith(ROUTES.chunk));
      expect(chunkPosts.length, JSON.stringify(log)).toBeGreaterThanOrEqual(local!.chunkCount);
      expect(new Set(chunkPosts.filter((l) => l.status < 300).map((l) => l.upstream)), JSON.stringify(log)).toEqual(new Set(lb.nodes.map((n) => new URL(n.url).host)));
    } finally {
      await context.close();
    }
  });
});
