/**
 * Helpers for the app's browser tests: drive the real UI (roles and accessible names; Playwright's
 * locators pierce the components' open shadow roots) and read the outbox the page wrote, straight
 * from IndexedDB, so the tests check the app rather than a harness.
 */
import type { Page } from 'playwright-core';
import { OUTBOX_DB_NAME } from '../../src/shared/outbox/schema.ts';

/** Recording length for the browser tests: E2E_RECORD_SECONDS, small by default to keep CI short. */
export const RECORD_SECONDS = Number(process.env.E2E_RECORD_SECONDS ?? 6);

export interface LocalRecording {
  id: string;
  state: string;
  totalChunks: number | null;
  chunkCount: number;
  indices: number[];
  chunkStates: Record<string, number>;
  /** Chunks whose bytes are still held locally. */
  withData: number;
  /** Chunks whose bytes hash to the SHA-256 stored beside them (computed when written). */
  chunkHashesOk: number;
  bytes: number;
  /** SHA-256 (hex) of the chunks' bytes concatenated in index order. */
  sha256: string;
  /** SHA-256 (hex) over the chunks' own SHA-256s of these bytes, in index order: the chunks digest. */
  chunksDigest: string;
  /** What the outbox stored as the recording's local chunks digest at stop. */
  localChunksDigest: string | null;
}

/**
 * Reads every recording and its chunks from the app's IndexedDB and hashes them in the page —
 * independently of the outbox module, so a bug there cannot vouch for itself. Newest first.
 */
export async function readOutbox(page: Page): Promise<LocalRecording[]> {
  return page.evaluate(async (dbName) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(dbName);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const all = <T>(store: string) =>
      new Promise<T[]>((resolve, reject) => {
        const req = db.transaction(store).objectStore(store).getAll();
        req.onsuccess = () => resolve(req.result as T[]);
        req.onerror = () => reject(req.error);
      });
    const hex = (b: ArrayBuffer) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');
    type Rec = { id: string; state: string; totalChunks: number | null; createdAt: number; localChunksDigest: string | null };
    type Chunk = { recordingId: string; index: number; data: ArrayBuffer | null; state: string; sha256: string };
    const recs = (await all<Rec>('recordings')).sort((a, b) => b.createdAt - a.createdAt);
    const chunks = await all<Chunk>('chunks');
    db.close();
    const out = [];
    for (const r of recs) {
      const mine = chunks.filter((c) => c.recordingId === r.id).sort((a, b) => a.index - b.index);
      const parts = mine.map((c) => new Uint8Array(c.data ?? new ArrayBuffer(0)));
      const joined = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
      let o = 0;
      let chunkHashesOk = 0;
      const chunkDigests = new Uint8Array(parts.length * 32);
      for (const [i, p] of parts.entries()) {
        joined.set(p, o);
        o += p.byteLength;
        const d = new Uint8Array(await crypto.subtle.digest('SHA-256', p));
        chunkDigests.set(d, i * 32);
        if (mine[i]!.data && hex(d.buffer) === mine[i]!.sha256) chunkHashesOk++;
      }
      const chunkStates: Record<string, number> = {};
      for (const c of mine) chunkStates[c.state] = (chunkStates[c.state] ?? 0) + 1;
      out.push({
        id: r.id,
        state: r.state,
        totalChunks: r.totalChunks,
        chunkCount: mine.length,
        indices: mine.map((c) => c.index),
        chunkStates,
        withData: mine.filter((c) => c.data !== null).length,
        chunkHashesOk,
        bytes: joined.byteLength,
        sha256: hex(await crypto.subtle.digest('SHA-256', joined)),
        chunksDigest: hex(await crypto.subtle.digest('SHA-256', chunkDigests)),
        localChunksDigest: r.localChunksDigest,
      });
    }
    return out;
  }, OUTBOX_DB_NAME);
}

/** The upload status indicator's current kind (data-status), e.g. "recording", "complete". */
export function statusKind(page: Page): Promise<string | null> {
  return page.locator('upload-status [role="status"][data-status]').first().getAttribute('data-status');
}

export function progressValue(page: Page): Promise<string | null> {
  return page.getByRole('progressbar', { name: 'Upload progress' }).first().getAttribute('aria-valuenow');
}

/** Waits until the app shows the recorder (signed in). */
export async function waitForRecorder(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Start recording' }).waitFor({ state: 'visible', timeout: 15_000 });
}

export async function waitForController(page: Page): Promise<void> {
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 15_000 });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until the newest recording in the outbox has at least `n` chunks saved — a condition on
 * what the recorder produced, instead of sleeping for "long enough".
 */
export async function waitForSavedChunks(page: Page, n: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const count = await savedChunks(page);
    if (count >= n) return;
    if (Date.now() > deadline) throw new Error(`waitForSavedChunks: ${count} of ${n} chunks after ${timeoutMs} ms`);
    await page.waitForTimeout(200); // polling interval of a condition wait, not a fixed sleep
  }
}

/** Chunks saved so far for the newest recording in the outbox (0 without one). */
export function savedChunks(page: Page): Promise<number> {
  return page.evaluate(async (dbName) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(dbName);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    try {
      const recs = await new Promise<{ id: string; createdAt: number }[]>((resolve, reject) => {
        const req = db.transaction('recordings').objectStore('recordings').getAll();
        req.onsuccess = () => resolve(req.result as { id: string; createdAt: number }[]);
        req.onerror = () => reject(req.error);
      });
      const newest = recs.sort((a, b) => b.createdAt - a.createdAt)[0];
      if (!newest) return 0;
      return await new Promise<number>((resolve, reject) => {
        const req = db.transaction('chunks').objectStore('chunks').index('by-recording').count(newest.id);
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
    } finally {
      db.close();
    }
  }, OUTBOX_DB_NAME);
}

/** Clicks Start, waits out the 3-2-1 countdown (until Stop appears) and for `chunks` saved chunks. */
export async function recordChunks(page: Page, chunks: number): Promise<void> {
  await page.getByRole('button', { name: 'Start recording' }).click();
  await page.getByRole('button', { name: 'Stop recording' }).waitFor({ timeout: 20_000 });
  if (chunks > 0) await waitForSavedChunks(page, chunks);
}

/** The element that has focus, looking through open shadow roots: its id and tag. */
export function deepActiveElement(page: Page): Promise<{ id: string; tag: string; value: string | null } | null> {
  return page.evaluate(() => {
    let a: Element | null = document.activeElement;
    while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement;
    return a ? { id: a.id, tag: a.tagName.toLowerCase(), value: a instanceof HTMLInputElement ? a.value : null } : null;
  });
}
