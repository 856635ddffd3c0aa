/**
 * Shared fixtures for real-browser tests (vitest project "e2e"): a test server serving the built
 * dist/, Chromium with the app's permissions, the app opened and controlled by its worker, DevTools
 * helpers for service-worker events, and an *outbox harness* to write chunks from a page.
 *
 * The outbox harness: dist/ must ship nothing test-only, so the tests bring their own code. On
 * first use, Vite's build API bundles src/shared/outbox/store.ts and src/app/upload/client.ts
 * (the very modules the app uses) into one IIFE that defines `globalThis.__outboxHarness`; it is
 * evaluated in an app page with `page.evaluate`, so it runs on the app's origin and opens the
 * app's IndexedDB. Playwright's evaluate goes through the page's eval, which the server's CSP
 * forbids, so contexts are created with `bypassCSP` (see startE2e). Chunks are then written
 * exactly as the recorder writes them (outbox.addChunk, then notify) and the worker is told
 * through the real UploadClient (a second one beside the app's own; both reach the same worker).
 *
 * Token: until the app stores `#token=…` itself, openApp() stores it in the outbox through the
 * harness and posts `auth/token-changed`; doing both is harmless.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import { build, type Rolldown } from 'vite';
import { expect } from 'vitest';
import { ROUTES, type VideoStatus } from '../../src/shared/api.ts';
import { SYNC_TAG } from '../../src/shared/messages.ts';
import { APP_PERMISSIONS, CHROMIUM_ARGS, CHROMIUM_PATH, launchBrowser } from './browser.ts';
import { startTestServer, type TestServer } from './server-process.ts';

const ROOT = resolve(import.meta.dirname, '../..');
export const DIST = join(ROOT, 'dist');

// ---- server + browser ---------------------------------------------------------------------

export interface E2eEnv {
  server: TestServer;
  /** Null for a persistent profile (launchPersistentContext has no separate Browser). */
  browser: Browser | null;
  /** Replaced by relaunch(). */
  context: BrowserContext;
  /** Service-worker and page console lines (JSON log events included), for diagnostics. */
  console: string[];
  token: string;
  /** Stops the server (idempotent; close() then skips it). */
  stopServer(): Promise<void>;
  /** Persistent profile only: closes the browser and starts it again on the same profile. */
  relaunch(): Promise<BrowserContext>;
  close(): Promise<void>;
}

/**
 * A test server on dist/, a user, and Chromium: a fresh off-the-record context, or with
 * `persistent` a temporary profile directory that relaunch() reopens (browser-restart tests).
 */
export async function startE2e(
  opts: {
    env?: Record<string, string>;
    bypassCSP?: boolean;
    persistent?: boolean;
    serviceWorkers?: 'allow' | 'block';
    /** Defaults to the built dist/; a copy lets a test change the build under a running app. */
    staticDir?: string;
  } = {},
): Promise<E2eEnv> {
  const server = await startTestServer({ staticDir: opts.staticDir ?? DIST, ...(opts.env ? { env: opts.env } : {}) });
  const token = await server.createUser(`e2e-${Math.random().toString(36).slice(2, 8)}`);
  const lines: string[] = [];
  const onConsole = (m: ConsoleMessage) => lines.push(m.text());
  // bypassCSP: Playwright runs page.evaluate(fn) through eval inside the page, which the server's
  // CSP (no 'unsafe-eval') refuses. Pass false in a test that checks the app under its real CSP
  // (it then cannot use the outbox harness). The service worker's own CSP is unaffected.
  const bypassCSP = opts.bypassCSP ?? true;
  let browser: Browser | null = null;
  const profileDir = opts.persistent ? mkdtempSync(join(tmpdir(), 'outbox-profile-')) : null;
  // browser.ts's launchPersistent() takes no context options; bypassCSP is needed here too.
  const launchProfile = (dir: string) =>
    chromium.launchPersistentContext(dir, { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true, permissions: APP_PERMISSIONS, bypassCSP });
  let context: BrowserContext;
  if (profileDir) {
    context = await launchProfile(profileDir);
  } else {
    browser = await launchBrowser();
    // Browser.grantPermissions denies every permission not listed: background-sync must be there.
    // serviceWorkers 'block' makes registration fail: the app then runs its page fallback.
    context = await browser.newContext({ permissions: APP_PERMISSIONS, bypassCSP, serviceWorkers: opts.serviceWorkers ?? 'allow' });
  }
  context.on('console', onConsole);
  let stopped: Promise<void> | null = null;
  const stopServer = () => (stopped ??= server.stop());
  const env: E2eEnv = {
    server,
    browser,
    context,
    console: lines,
    token,
    stopServer,
    relaunch: async () => {
      if (!profileDir) throw new Error('relaunch() needs startE2e({ persistent: true })');
      await env.context.close();
      env.context = await launchProfile(profileDir);
      // Attached after launch: console lines of a sync fired during start-up may be missed.
      env.context.on('console', onConsole);
      return env.context;
    },
    close: async () => {
      await env.context.close().catch(() => {});
      await browser?.close().catch(() => {});
      if (profileDir) rmSync(profileDir, { recursive: true, force: true });
      await stopServer();
    },
  };
  return env;
}

/** Parsed JSON log events seen on the console (page and service worker). */
export function logEvents(lines: string[], event?: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    try {
      const e = JSON.parse(line) as Record<string, unknown>;
      if (!event || e.event === event) out.push(e);
    } catch {
      // not one of our log lines
    }
  }
  return out;
}

// ---- the app in a page --------------------------------------------------------------------

/**
 * Opens the app at `origin` with `#token=…`, installs the harness, stores the token, and (unless
 * `controlled: false`, for contexts that block service workers) waits until the worker controls it.
 */
export async function openApp(context: BrowserContext, origin: string, token: string, opts: { controlled?: boolean } = {}): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${origin}/#token=${encodeURIComponent(token)}`);
  await withTimeout(installHarness(page), 20_000, 'installHarness');
  const storeToken = page.evaluate(async (t) => {
    const h = globalThis.__outboxHarness!;
    const outbox = await h.outbox();
    if ((await outbox.getToken()) !== t) await outbox.setToken(t);
    const client = await h.client();
    client.tokenChanged();
  }, token);
  // page.evaluate has no timeout of its own: a stuck IndexedDB open or registration would
  // otherwise surface only as the 180 s test timeout.
  await withTimeout(storeToken, 15_000, 'store token and start the UploadClient');
  if (opts.controlled ?? true) await waitForController(page);
  return page;
}

export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function waitForController(page: Page, timeoutMs = 15_000): Promise<void> {
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: timeoutMs });
}

// ---- the outbox harness -------------------------------------------------------------------

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

// ---- DevTools: service-worker events ------------------------------------------------------

/**
 * Fires a real `sync` event at the origin's worker (starting it if stopped). Must go through a
 * *page* session (DESIGN.md "Browser tests"), so it opens an about:blank page in the context and
 * closes it again. A dispatch while the context is offline is silently dropped by Chromium.
 */
export async function dispatchSync(context: BrowserContext, origin: string, tag: string = SYNC_TAG): Promise<void> {
  await withBlankSession(context, async (cdp) => {
    const registrationId = await new Promise<string>((resolveId, reject) => {
      const timer = setTimeout(() => reject(new Error(`no service-worker registration for ${origin}`)), 10_000);
      cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => {
        const reg = e.registrations.find((r) => !r.isDeleted && r.scopeURL.startsWith(origin));
        if (reg) {
          clearTimeout(timer);
          resolveId(reg.registrationId);
        }
      });
      cdp.send('ServiceWorker.enable').catch(reject);
    });
    await cdp.send('ServiceWorker.dispatchSyncEvent', { origin, registrationId, tag, lastChance: false });
  });
}

/** Stops every running service worker of the context (state must then come from IndexedDB). */
export async function stopAllWorkers(context: BrowserContext): Promise<void> {
  await withBlankSession(context, async (cdp) => {
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.stopAllWorkers');
  });
}

/**
 * The running status of the origin's newest worker version as DevTools reports it ('stopped',
 * 'starting', 'running' or 'stopping'), or null when it has none. Poll it to wait for a stop.
 */
export async function workerRunningStatus(context: BrowserContext, origin: string): Promise<string | null> {
  let status: string | null = null;
  await withBlankSession(context, async (cdp) => {
    status = await new Promise<string | null>((resolveStatus, reject) => {
      const timer = setTimeout(() => resolveStatus(null), 5_000);
      cdp.on('ServiceWorker.workerVersionUpdated', (e) => {
        const mine = e.versions.filter((v) => v.scriptURL.startsWith(origin) && v.status !== 'redundant');
        const newest = mine.sort((a, b) => Number(b.versionId) - Number(a.versionId))[0];
        if (newest) {
          clearTimeout(timer);
          resolveStatus(newest.runningStatus);
        }
      });
      cdp.send('ServiceWorker.enable').catch(reject);
    });
  });
  return status;
}

async function withBlankSession(
  context: BrowserContext,
  fn: (cdp: Awaited<ReturnType<BrowserContext['newCDPSession']>>) => Promise<void>,
): Promise<void> {
  const page = await context.newPage();
  try {
    const cdp = await context.newCDPSession(page);
    try {
      await fn(cdp);
    } finally {
      await cdp.detach().catch(() => {});
    }
  } finally {
    await page.close();
  }
}

// ---- the server's view --------------------------------------------------------------------

export async function findVideo(server: TestServer, token: string, recordingId: string): Promise<VideoStatus | null> {
  const res = await fetch(`${server.url}${ROUTES.list}`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`list videos: HTTP ${res.status}`);
  const body = (await res.json()) as { videos: VideoStatus[] };
  return body.videos.find((v) => v.recordingId === recordingId) ?? null;
}

/** Polls the server until the recording's video satisfies `done`; returns it. */
export async function waitForVideo(
  server: TestServer,
  token: string,
  recordingId: string,
  done: (v: VideoStatus) => boolean = (v) => v.state === 'complete',
  timeoutMs = 20_000,
): Promise<VideoStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: VideoStatus | null = null;
  while (Date.now() < deadline) {
    last = await findVideo(server, token, recordingId);
    if (last && done(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`video ${recordingId} not done after ${timeoutMs} ms; last status: ${JSON.stringify(last)}`);
}

/** SHA-256 (hex) and size of the assembled file as the server serves it. */
export async function downloadSha256(server: TestServer, token: string, videoId: string): Promise<{ sha256: string; size: number }> {
  const res = await fetch(`${server.url}${ROUTES.file(videoId)}`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`download: HTTP ${res.status}`);
  const buf = Buffer.from(await res.arrayBuffer());
  return { sha256: createHash('sha256').update(buf).digest('hex'), size: buf.length };
}

/**
 * The server holds every index exactly once, nothing is missing, and both the SHA-256 it
 * reports and the file it serves equal the local concatenation.
 */
export async function expectServerCopy(env: E2eEnv, rec: WrittenRecording, timeoutMs = 20_000): Promise<VideoStatus> {
  const video = await waitForVideo(env.server, env.token, rec.recordingId, undefined, timeoutMs);
  expect(video.chunks).toEqual([[0, rec.count - 1]]);
  expect(video.receivedChunks).toBe(rec.count);
  expect(video.missing).toEqual([]);
  expect(video.sha256).toBe(rec.sha256);
  expect(await downloadSha256(env.server, env.token, video.videoId)).toEqual({ sha256: rec.sha256, size: rec.bytes });
  return video;
}
