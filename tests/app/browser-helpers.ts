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
  /** SHA-256 (hex) of the chunks' bytes concatenated in index order. */
  sha256: string;
  bytes: number;
}

/** Reads every recording and its chunks from the app's IndexedDB and hashes them in the page. */
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
    type Rec = { id: string; state: string; totalChunks: number | null; createdAt: number };
    type Chunk = { recordingId: string; index: number; data: ArrayBuffer | null; state: string };
    const recs = (await all<Rec>('recordings')).sort((a, b) => b.createdAt - a.createdAt);
    const chunks = await all<Chunk>('chunks');
    db.close();
    const out = [];
    for (const r of recs) {
      const mine = chunks.filter((c) => c.recordingId === r.id).sort((a, b) => a.index - b.index);
      const parts = mine.map((c) => new Uint8Array(c.data ?? new ArrayBuffer(0)));
      const total = parts.reduce((n, p) => n + p.byteLength, 0);
      const joined = new Uint8Array(total);
      let o = 0;
      for (const p of parts) {
        joined.set(p, o);
        o += p.byteLength;
      }
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', joined));
      const chunkStates: Record<string, number> = {};
      for (const c of mine) chunkStates[c.state] = (chunkStates[c.state] ?? 0) + 1;
      out.push({
        id: r.id,
        state: r.state,
        totalChunks: r.totalChunks,
        chunkCount: mine.length,
        indices: mine.map((c) => c.index),
        chunkStates,
        sha256: [...digest].map((b) => b.toString(16).padStart(2, '0')).join(''),
        bytes: total,
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
