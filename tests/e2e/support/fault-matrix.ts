/**
 * Shared helpers for the real-browser fault matrix (tests/e2e/fault-*.test.ts):
 * a server (in-process, or a real child process for kill -9), the fault proxy in front of it, and
 * Chromium loading the app *from the proxy's origin*, so the page and its service worker both talk
 * to the server only through the proxy. Every case ends in verifyCase(): the server's video
 * complete, its SHA-256 equal to the chunks the page recorded (read back from the outbox in
 * IndexedDB), every index held once, the UI saying "Complete" at 100 % — and one record written to
 * test-results/reliability/ through recordReliabilityCase() (`npm run report` publishes it).
 *
 * Durations scale with FAULT_SCALE (1 = CI, short; ~6 = the issue's 60 s recording / 30 s offline).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { afterEach, expect } from 'vitest';
import type { VideoStatus } from '../../../src/shared/api.ts';
import { progressValue, readOutbox, statusKind, type LocalRecording } from '../../app/browser-helpers.ts';
import { countMediaRecorders, openRecorderPage, recorderCounts } from '../../support/app-page.ts';
import { afterCompletionDone, downloadSha256, findVideo, logEvents, startE2e, waitForVideo, type E2eEnv } from '../../support/e2e-fixtures.ts';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.ts';
import { recordReliabilityCase, storedDuplicates } from '../../support/reliability-report.ts';

/** The app's upload status, read as in the app's own browser tests. */
export { progressValue, statusKind };

export const FAULT_SCALE = Math.max(0.5, Number(process.env.FAULT_SCALE ?? 1));
/** Seed of the proxy's random failures, so a failing flaky-network run can be replayed. */
export const FAULT_SEED = Number(process.env.FAULT_SEED ?? 42);
/** `seconds` of the CI run, scaled, in milliseconds. */
export const scaled = (seconds: number): number => Math.round(seconds * FAULT_SCALE * 1000);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- environment --------------------------------------------------------------------------

/** startE2e's environment under the app's real CSP, with the fault proxy in front of the server. */
export interface FaultEnv extends E2eEnv {
  proxy: FaultProxy;
  /** The proxy's origin: the app, its worker and its API calls all live here. */
  origin: string;
  /** Persistent profile only: SIGKILLs the browser process (no clean shutdown). */
  killBrowser(): Promise<void>;
}

export async function startFaultEnv(opts: { serverProcess?: boolean; persistent?: boolean } = {}): Promise<FaultEnv> {
  const e2e = await startE2e({
    ...opts,
    bypassCSP: false,
    prepareContext: async (context) => void (await context.addInitScript(countMediaRecorders)),
  });
  const proxy = await startFaultProxy({ target: e2e.server.url, seed: FAULT_SEED });
  const closeE2e = e2e.close;
  return Object.assign(e2e, {
    proxy,
    origin: proxy.url,
    killBrowser: async () => {
      if (!e2e.profileDir) throw new Error('killBrowser() needs a persistent profile');
      const pid = browserPid(e2e.profileDir);
      process.kill(pid, 'SIGKILL');
      await waitGone(pid);
      await e2e.context.close().catch(() => {}); // the connection is already dead
    },
    close: async () => {
      await proxy.close();
      await closeE2e();
    },
  });
}

/**
 * One fault environment per test, closed after it whatever happened: call the returned function
 * in the test instead of startFaultEnv (the file then needs no teardown of its own).
 */
export function faultEnvPerTest(): (opts?: { serverProcess?: boolean; persistent?: boolean }) => Promise<FaultEnv> {
  let current: FaultEnv | null = null;
  afterEach(async () => {
    await current?.close();
    current = null;
  });
  return async (opts) => (current = await startFaultEnv(opts));
}

/**
 * faultEnvPerTest plus the start of every case: the recorder opened from the proxy's origin, and
 * the case's start time (after the page is ready, before the recording).
 */
export function faultCasePerTest(): (opts?: { serverProcess?: boolean; persistent?: boolean }) => Promise<{ env: FaultEnv; page: Page; startedAt: number }> {
  const startEnv = faultEnvPerTest();
  return async (opts) => {
    const env = await startEnv(opts);
    const page = await openRecorder(env);
    return { env, page, startedAt: Date.now() };
  };
}

/** The main Chromium process of a profile: the one whose parent is not itself on that profile. */
function browserPid(profileDir: string): number {
  const onProfile = new Map<number, number>(); // pid → ppid
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (!cmd.includes(`--user-data-dir=${profileDir}`)) continue;
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${name}/status`, 'utf8'))![1]);
      onProfile.set(Number(name), ppid);
    } catch {
      // process gone meanwhile
    }
  }
  const mains = [...onProfile].filter(([, ppid]) => !onProfile.has(ppid)).map(([pid]) => pid);
  if (mains.length !== 1) throw new Error(`expected one browser process on ${profileDir}, found ${JSON.stringify(mains)}`);
  return mains[0]!;
}

async function waitGone(pid: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(50);
  }
  // A zombie until Playwright reaps it counts as gone for our purpose: check its state.
  const state = execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim();
  if (!state.startsWith('Z')) throw new Error(`browser ${pid} still alive after SIGKILL (${state})`);
}

/** Chunks with bytes MediaRecorder emitted, counted outside the app (app-page.ts's init script). */
export const chunksEmitted = async (page: Page): Promise<number> => (await recorderCounts(page)).chunks;

// ---- driving the app ----------------------------------------------------------------------

/** Opens the app from the proxy's origin with the token in the fragment; waits for recorder + worker. */
export const openRecorder = (env: FaultEnv, context: BrowserContext = env.context, token = env.token): Promise<Page> => openRecorderPage(context, env.origin, token, 20_000);

/** Clicks "Start recording" and returns the new recording's id once the outbox has it. */
export async function startRecording(page: Page): Promise<string> {
  const before = new Set((await readOutbox(page)).map((r) => r.id));
  await page.getByRole('button', { name: 'Start recording' }).click();
  // Bounds, not clocks: a loaded 2-core machine may take tens of seconds to start a MediaRecorder.
  await page.getByRole('button', { name: 'Stop recording' }).waitFor({ timeout: 45_000 });
  let id: string | undefined;
  await expect
    .poll(async () => (id = (await readOutbox(page)).find((r) => !before.has(r.id))?.id), { timeout: 10_000 })
    .toBeDefined();
  return id!;
}

export async function stopRecording(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Stop recording' }).click();
  await page.getByRole('button', { name: 'Start recording' }).waitFor({ timeout: 45_000 });
}

// ---- the outbox, read straight from IndexedDB ---------------------------------------------

export async function localRecording(page: Page, id: string): Promise<LocalRecording> {
  const rec = (await readOutbox(page)).find((r) => r.id === id);
  if (!rec) throw new Error(`recording ${id} not in the outbox`);
  return rec;
}

/** Chunks recorded but not yet confirmed by the server. */
export const waitingChunks = (r: LocalRecording) => (r.chunkStates.pending ?? 0) + (r.chunkStates.uploading ?? 0) + (r.chunkStates.failed ?? 0);

// ---- what the pipeline logged (service-worker console, JSON lines) ---------------------

export interface PipelineLog {
  /** Chunk attempts that failed and were scheduled again. */
  chunkRetries: number;
  /** init/finalize/status attempts that failed and were scheduled again. */
  opRetries: number;
  /** Confirmed chunks the server answered `duplicate: true` (a re-send of bytes it already held). */
  duplicateAnswers: number;
  /** `chunk-uploaded` events per "recordingId#index". */
  confirmations: Map<string, number>;
}

export function pipelineLog(env: FaultEnv, recordingIds: readonly string[]): PipelineLog {
  const out: PipelineLog = { chunkRetries: 0, opRetries: 0, duplicateAnswers: 0, confirmations: new Map() };
  for (const e of logEvents(env.console)) {
    if (!recordingIds.includes(e.recordingId as string)) continue;
    if (e.event === 'chunk-retry') out.chunkRetries++;
    else if (e.event === 'op-retry') out.opRetries++;
    else if (e.event === 'chunk-uploaded') {
      const key = `${e.recordingId}#${e.index}`;
      out.confirmations.set(key, (out.confirmations.get(key) ?? 0) + 1);
      if (e.duplicate === true) out.duplicateAnswers++;
    }
  }
  return out;
}

// ---- the server's view (e2e-fixtures' helpers, on this environment's server and token) -------

export const serverVideo = (env: FaultEnv, recordingId: string, token = env.token): Promise<VideoStatus | null> => findVideo(env.server, token, recordingId);

/** Polls the server until the recording's video is complete on it. */
export const waitServerComplete = (env: FaultEnv, recordingId: string, timeoutMs: number, token = env.token): Promise<VideoStatus> =>
  waitForVideo(env.server, token, recordingId, undefined, timeoutMs);

/** Polls `ok` for up to `ms`; never throws. */
async function settle(ok: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await ok().catch(() => false)) return;
    await sleep(200);
  }
}

// ---- the end of every case ----------------------------------------------------------------

export interface CaseResult {
  case: string;
  fault: string;
  startedAt: number;
  /** A page on the app's origin, for reading the outbox. */
  page: Page;
  recordingIds: string[];
  /** Pages whose upload-status shows one recording each: must say Complete at 100 %. */
  uiPages?: Page[];
  /** Check the Library of `page` instead (cases where no recorder page survived): "On the server". */
  library?: boolean;
  token?: string;
  notes?: string;
  timeoutMs?: number;
}

/**
 * Waits for every recording to complete on the server, compares it with the outbox, records the
 * case's record (also when it fails, so the report shows the truth), then asserts.
 */
export async function verifyCase(env: FaultEnv, c: CaseResult): Promise<void> {
  const token = c.token ?? env.token;
  const rows: Array<{ local: LocalRecording; video: VideoStatus | null; file: { sha256: string; size: number } | null }> = [];
  let waitError: unknown = null;
  for (const id of c.recordingIds) {
    try {
      await waitServerComplete(env, id, c.timeoutMs ?? 60_000, token);
    } catch (e) {
      waitError ??= e;
    }
  }
  // The worker hears "complete" from finalize a moment after the server stored it: let the
  // outbox and the UI catch up (without throwing: the assertions below say what is wrong).
  await settle(async () => (await readOutbox(c.page)).filter((r) => c.recordingIds.includes(r.id)).every((r) => r.state === 'complete'));
  for (const p of c.uiPages ?? []) await settle(async () => (await statusKind(p)) === 'complete' && (await progressValue(p)) === '100');
  for (const id of c.recordingIds) {
    const local = await localRecording(c.page, id);
    const video = await serverVideo(env, id, token);
    // The served file hashes to `fileSha256` (a seekable WebM serves a rewritten head before the
    // recorded clusters, docs/API.md "Which digest proves what"); `sha256` is the recorded bytes'.
    // Both are filled in by the after-completion job, a moment after completion.
    const served = video?.state === 'complete' ? await waitForVideo(env.server, token, id, afterCompletionDone).catch(() => video) : null;
    const file = served ? await downloadSha256(env.server, token, served.videoId) : null;
    rows.push({ local, video: served ?? video, file });
  }
  const ui = await Promise.all((c.uiPages ?? []).map(async (p) => ({ kind: await statusKind(p), pct: await progressValue(p) })));
  const badges: string[] = [];
  if (c.library) {
    await c.page.getByRole('button', { name: 'Library' }).click();
    for (const id of c.recordingIds) {
      const badge = c.page.locator(`library-view li[data-recording-id="${id}"] .badge`);
      await settle(async () => (await badge.innerText({ timeout: 2000 })) === 'On the server');
      badges.push(await badge.innerText({ timeout: 2000 }).catch(() => 'missing'));
    }
  }
  const durationMs = Date.now() - c.startedAt;
  const log = pipelineLog(env, c.recordingIds);
  const logNote = `pipeline: ${log.chunkRetries} chunk + ${log.opRetries} init/finalize retries, ${log.duplicateAnswers} re-sent chunks answered "duplicate"`;
  const sha256Match = rows.every((r) => r.file !== null && r.file.sha256 === r.video!.fileSha256 && r.video!.sha256 === r.local.sha256);
  recordReliabilityCase({
    case: c.case,
    fault: c.fault,
    bytesRecorded: rows.reduce((n, r) => n + r.local.bytes, 0),
    bytesStored: rows.reduce((n, r) => n + (r.video?.bytes ?? 0), 0),
    chunks: rows.reduce((n, r) => n + r.local.indices.length, 0),
    duplicatesStored: rows.reduce((n, r) => n + (r.video ? storedDuplicates(r.video, r.local.bytes) : 0), 0),
    sha256Match,
    durationMs,
    notes: [c.notes, logNote, `UI: ${[...ui.map((u) => `${u.kind} ${u.pct} %`), ...badges.map((b) => `library "${b}"`)].join(', ')}`].filter(Boolean).join('; '),
    env: { FAULT_SCALE: String(FAULT_SCALE), FAULT_SEED: String(FAULT_SEED) },
  });
  console.info(`[fault] ${c.case}: ${rows.map((r) => `${r.local.indices.length} chunks / ${r.local.bytes} B`).join(', ')} in ${durationMs} ms; ${[c.notes, logNote].filter(Boolean).join('; ')}`);

  if (waitError) throw waitError;
  for (const { local, video, file } of rows) {
    const n = local.indices.length;
    expect(n).toBeGreaterThan(0);
    // The outbox: a gap-free recording, closed with its real chunk count, every chunk's bytes intact.
    expect(local.indices).toEqual([...Array(n).keys()]);
    expect(local.totalChunks).toBe(n);
    expect(local.withData).toBe(n);
    expect(local.chunkHashesOk).toBe(n);
    expect(local.localChunksDigest).toBe(local.chunksDigest);
    expect(local.chunkStates).toEqual({ uploaded: n });
    expect(local.state).toBe('complete');
    // The server: complete, every index once, the same bytes.
    expect(video!.state).toBe('complete');
    expect(video!.totalChunks).toBe(n);
    expect(video!.receivedChunks).toBe(n);
    expect(video!.chunks).toEqual([[0, n - 1]]);
    expect(video!.missing).toEqual([]);
    expect(video!.partial).toBe(false);
    expect(video!.bytes).toBe(local.bytes);
    expect(video!.sha256).toBe(local.sha256);
    // The served file is what the server says it serves; byte-identical unless made seekable.
    expect(file!.sha256).toBe(video!.fileSha256);
    if (video!.seekable) expect(video!.durationMs).toBeGreaterThan(0);
    else expect(file).toEqual({ sha256: local.sha256, size: local.bytes });
  }
  for (const u of ui) expect(u).toEqual({ kind: 'complete', pct: '100' });
  for (const b of badges) expect(b).toBe('On the server');
}
