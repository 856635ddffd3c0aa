/**
 * Shared fixtures for real-browser tests (vitest project "e2e"): a test server serving the built
 * dist/, Chromium with the app's permissions, the app opened and controlled by its worker, DevTools
 * helpers for service-worker events (devtools.ts), and an *outbox harness* to write chunks from a
 * page (outbox-harness.ts); both are re-exported here. The fault matrix
 * (tests/e2e/support/fault-matrix.ts) builds on startE2e; app-page.ts opens the recorder page and
 * gives test files their per-file and per-test lifecycles.
 *
 * Playwright's evaluate goes through the page's eval, which the server's CSP forbids, so contexts
 * are created with `bypassCSP` by default (see startE2e).
 *
 * Token: until the app stores `#token=…` itself, openApp() stores it in the outbox through the
 * harness and posts `auth/token-changed`; doing both is harmless.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { ROUTES, type VideoStatus } from '../../src/shared/api.ts';
import { chunksDigestHex } from '../../src/shared/chunks-digest.ts';
import { APP_PERMISSIONS, CHROMIUM_ARGS, CHROMIUM_PATH, launchBrowser } from './browser.ts';
import { installHarness, type WrittenRecording } from './outbox-harness.ts';
import { startServerProcess, startTestServer, type ServerProcess, type TestServer } from './server-process.ts';

export { dispatchSync, stopAllWorkers, workerRunningStatus } from './devtools.ts';
export { chunkStates, installHarness, writeRecording, type WrittenRecording } from './outbox-harness.ts';

const ROOT = resolve(import.meta.dirname, '../..');
export const DIST = join(ROOT, 'dist');

// ---- server + browser ---------------------------------------------------------------------

export interface E2eEnv {
  server: TestServer;
  /** Set when started with `serverProcess: true` (the same server as `server`, for kill -9 / restart). */
  process: ServerProcess | null;
  /** Null for a persistent profile (launchPersistentContext has no separate Browser). */
  browser: Browser | null;
  /** Replaced by relaunch(). */
  context: BrowserContext;
  /** Service-worker and page console lines (JSON log events included), for diagnostics. */
  console: string[];
  token: string;
  /** The name of the user `token` belongs to. */
  user: string;
  /** Persistent profile only: its directory (null otherwise). */
  profileDir: string | null;
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
    /** The real server entry as a child process (startServerProcess) instead of in-process. */
    serverProcess?: boolean;
    /** Runs on every context before use, the relaunched ones too (init scripts, listeners). */
    prepareContext?: (context: BrowserContext) => Promise<void>;
  } = {},
): Promise<E2eEnv> {
  const proc = opts.serverProcess ? await startServerProcess({ env: { OUTBOX_STATIC_DIR: opts.staticDir ?? DIST, ...opts.env } }) : null;
  const server: TestServer = proc ?? (await startTestServer({ staticDir: opts.staticDir ?? DIST, ...(opts.env ? { env: opts.env } : {}) }));
  const user = `e2e-${Math.random().toString(36).slice(2, 8)}`;
  const token = await server.createUser(user);
  const lines: string[] = [];
  const onConsole = (m: ConsoleMessage) => lines.push(m.text());
  const prepare = async (context: BrowserContext): Promise<BrowserContext> => {
    context.on('console', onConsole);
    await opts.prepareContext?.(context);
    return context;
  };
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
    context = await prepare(await launchProfile(profileDir));
  } else {
    browser = await launchBrowser();
    // Browser.grantPermissions denies every permission not listed: background-sync must be there.
    // serviceWorkers 'block' makes registration fail: the app then runs its page fallback.
    context = await prepare(await browser.newContext({ permissions: APP_PERMISSIONS, bypassCSP, serviceWorkers: opts.serviceWorkers ?? 'allow' }));
  }
  let stopped: Promise<void> | null = null;
  const stopServer = () => (stopped ??= server.stop());
  const env: E2eEnv = {
    server,
    process: proc,
    browser,
    context,
    console: lines,
    token,
    user,
    profileDir,
    stopServer,
    relaunch: async () => {
      if (!profileDir) throw new Error('relaunch() needs startE2e({ persistent: true })');
      await env.context.close().catch(() => {}); // already dead after a browser kill
      // Prepared after launch: console lines of a sync fired during start-up may be missed.
      env.context = await prepare(await launchProfile(profileDir));
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

/** SHA-256 (hex) and size of the file as the server serves it at `/file`. */
export async function downloadSha256(server: { url: string }, token: string, videoId: string): Promise<{ sha256: string; size: number }> {
  const res = await fetch(`${server.url}${ROUTES.file(videoId)}`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`download: HTTP ${res.status}`);
  const buf = Buffer.from(await res.arrayBuffer());
  return { sha256: createHash('sha256').update(buf).digest('hex'), size: buf.length };
}

/**
 * A complete video against the recording the client holds (docs/API.md "Which digest proves
 * what"). Waits until the after-completion job filled `sha256` and `fileSha256` (null for a
 * moment after completion), then: `sha256` is the server's digest of the recorded bytes and must
 * equal the local one; the file served at `/file` hashes to `fileSha256`; `chunksDigest` (known at
 * completion) equals the digest over the local chunks' SHA-256s when the caller has them. A
 * recording served as received is byte-identical to the local one; a seekable WebM serves a
 * rewritten head before the recorded clusters (tests/server/seekable-webm.test.ts proves that
 * layout byte by byte), so it must have a duration.
 */
export async function expectServedRecording(
  server: { url: string },
  token: string,
  recordingId: string,
  local: { sha256: string; bytes: number; chunkSha256s?: readonly string[] },
  timeoutMs = 20_000,
): Promise<{ video: VideoStatus; file: { sha256: string; size: number } }> {
  const video = await waitForVideo(server as TestServer, token, recordingId, afterCompletionDone, timeoutMs);
  expect(video.sha256).toBe(local.sha256);
  expect(video.recordedSha256).toBe(local.sha256);
  expect(video.chunksDigest).toMatch(/^[0-9a-f]{64}$/);
  if (local.chunkSha256s) expect(video.chunksDigest).toBe(await chunksDigestHex(local.chunkSha256s));
  const file = await downloadSha256(server, token, video.videoId);
  expect(file.sha256).toBe(video.fileSha256);
  if (video.seekable) expect(video.durationMs).toBeGreaterThan(0);
  else expect(file).toEqual({ sha256: local.sha256, size: local.bytes });
  return { video, file };
}

/** Complete, and the after-completion job recorded both digests (docs/API.md). */
export function afterCompletionDone(v: VideoStatus): boolean {
  return v.state === 'complete' && typeof v.sha256 === 'string' && typeof v.fileSha256 === 'string';
}

/**
 * The server holds every index exactly once, nothing is missing, and both the SHA-256 it
 * reports and the file it serves match the local concatenation.
 */
export async function expectServerCopy(env: E2eEnv, rec: WrittenRecording, timeoutMs = 20_000): Promise<VideoStatus> {
  const video = await waitForVideo(env.server, env.token, rec.recordingId, undefined, timeoutMs);
  expect(video.chunks).toEqual([[0, rec.count - 1]]);
  expect(video.receivedChunks).toBe(rec.count);
  expect(video.missing).toEqual([]);
  await expectServedRecording(env.server, env.token, rec.recordingId, { sha256: rec.sha256, bytes: rec.bytes }, timeoutMs);
  return video;
}
