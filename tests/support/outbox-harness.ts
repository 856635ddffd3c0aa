/**
 * The outbox harness of the browser tests (re-exported by e2e-fixtures.ts). dist/ must ship
 * nothing test-only, so the tests bring their own code: on first use, Vite's build API bundles
 * src/shared/outbox/store.ts and src/app/upload/client.ts (the very modules the app uses) into one
 * IIFE that defines `globalThis.__outboxHarness`; it is evaluated in an app page with
 * `page.evaluate`, so it runs on the app's origin and opens the app's IndexedDB (contexts need
 * `bypassCSP`, see startE2e). Chunks are then written exactly as the recorder writes them
 * (outbox.addChunk, then notify) and the worker is told through the real UploadClient.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { build, type Rolldown } from 'vite';

const ROOT = resolve(import.meta.dirname, '../..');

interface HarnessModule {
  openOutbox: typeof import('../../src/shared/outbox/store.ts').openOutbox;
  createUploadClient: typeof import('../../src/app/upload/client.ts').createUploadClient;
}
type Outbox = Awaited<ReturnType<HarnessModule['openOutbox']>>;
type UploadClient = ReturnType<HarnessModule['createUploadClient']>;
interface Harness {
  outbox(): Promise<Outbox>;
  /** The page's UploadClient, started; `host` is what start() resolved with. */
  client(): Promise<UploadClient>;
  host: string | null;
}
declare global {
  // eslint-disable-next-line no-var
  var __outboxHarnessModule: HarnessModule | undefined;
  // eslint-disable-next-line no-var
  var __outboxHarness: Harness | undefined;
}

let harnessSource: Promise<string> | null = null;

/** Bundles the harness once per test process (Vite's build API, IIFE, nothing written to dist). */
function harnessCode(): Promise<string> {
  harnessSource ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outbox-harness-'));
    try {
      const entry = join(dir, 'entry.ts');
      writeFileSync(
        entry,
        `export { openOutbox } from ${JSON.stringify(join(ROOT, 'src/shared/outbox/store.ts'))};\n` +
          `export { createUploadClient } from ${JSON.stringify(join(ROOT, 'src/app/upload/client.ts'))};\n`,
      );
      const result = await build({
        configFile: false,
        root: ROOT,
        logLevel: 'silent',
        build: {
          write: false,
          minify: false,
          sourcemap: false,
          lib: { entry, formats: ['iife'], name: '__outboxHarnessModule', fileName: 'harness' },
        },
      });
      const outputs = (Array.isArray(result) ? result : [result]) as Rolldown.RolldownOutput[];
      const chunk = outputs.flatMap((o) => o.output).find((o) => o.type === 'chunk');
      if (!chunk || chunk.type !== 'chunk') throw new Error('harness bundle produced no chunk');
      return chunk.code;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  })();
  return harnessSource;
}

export async function installHarness(page: Page): Promise<void> {
  const code = await harnessCode();
  await page.evaluate(code);
  await page.evaluate(() => {
    const mod = globalThis.__outboxHarnessModule!;
    let outbox: Promise<Outbox> | null = null;
    let client: Promise<UploadClient> | null = null;
    const harness: Harness = {
      host: null,
      outbox: () => (outbox ??= mod.openOutbox()),
      client: () =>
        (client ??= (async () => {
          const c = mod.createUploadClient(await (outbox ??= mod.openOutbox()));
          harness.host = await c.start();
          return c;
        })()),
    };
    globalThis.__outboxHarness = harness;
  });
}

export interface WrittenRecording {
  recordingId: string;
  count: number;
  bytes: number;
  /** SHA-256 (hex) of the chunks concatenated in index order, computed in the page. */
  sha256: string;
}

/**
 * Writes `count` synthetic chunks of `size` random bytes into the outbox, announcing each to the
 * worker after its write committed (as the recorder does), then stops the recording.
 */
export async function writeRecording(
  page: Page,
  opts: { count: number; size: number; stop?: boolean; notify?: boolean },
): Promise<WrittenRecording> {
  return page.evaluate(async ({ count, size, stop, notify }) => {
    const h = globalThis.__outboxHarness!;
    const outbox = await h.outbox();
    const client = notify ? await h.client() : null;
    const recordingId = crypto.randomUUID();
    await outbox.createRecording({ id: recordingId, mimeType: 'video/webm', title: 'e2e' });
    const all = new Uint8Array(count * size);
    for (let i = 0; i < count; i++) {
      const chunk = new Uint8Array(size);
      // getRandomValues fills at most 65 536 bytes per call.
      for (let o = 0; o < size; o += 65_536) crypto.getRandomValues(chunk.subarray(o, Math.min(size, o + 65_536)));
      all.set(chunk, i * size);
      await outbox.addChunk(recordingId, i, chunk.buffer);
      client?.notifyChunkAdded(recordingId, i);
    }
    if (stop) {
      await outbox.stopRecording(recordingId, count);
      client?.notifyStopped(recordingId, count);
    }
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', all));
    const sha256 = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
    return { recordingId, count, bytes: all.byteLength, sha256 };
  }, { stop: true, notify: true, ...opts });
}

/** Chunk states of one recording in the outbox, counted. */
export async function chunkStates(page: Page, recordingId: string): Promise<Record<string, number>> {
  return page.evaluate(async (id) => {
    const outbox = await globalThis.__outboxHarness!.outbox();
    const counts: Record<string, number> = {};
    for (const c of await outbox.listChunks(id)) counts[c.state] = (counts[c.state] ?? 0) + 1;
    return counts;
  }, recordingId);
}

