/**
 * The recorder app in a page, on top of startE2e (e2e-fixtures.ts): opened signed in from a
 * `#token=…` link and controlled by its worker, in the environment's own context or in a fresh one
 * per test, with MediaRecorder counted by an init script; and lifecycles that register their own
 * vitest hooks, so a test file has no setup or teardown of its own. The fault matrix
 * (tests/e2e/support/fault-matrix.ts) opens its pages and counts its chunks through these too.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { APP_PERMISSIONS } from './browser.ts';
import { startE2e, waitForController, type E2eEnv } from './e2e-fixtures.ts';

/** Opens the app at `origin` with the token in the fragment; waits for the recorder and the worker. */
export async function openRecorderPage(context: BrowserContext, origin: string, token: string, timeoutMs = 15_000): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${origin}/#token=${encodeURIComponent(token)}`);
  await page.getByRole('button', { name: 'Start recording' }).waitFor({ state: 'visible', timeout: timeoutMs });
  await waitForController(page, timeoutMs);
  return page;
}

export interface RecorderCounts {
  /** MediaRecorders the page constructed (a cancelled countdown must construct none). */
  recorders: number;
  /** `dataavailable` events, empty ones included (the app stores every one). */
  dataEvents: number;
  /** `dataavailable` events carrying bytes. */
  chunks: number;
}

/**
 * Init script: counts what MediaRecorder did, independently of the app, to prove no chunk was
 * lost between the recorder and the outbox. Serialized into the page: self-contained.
 */
export function countMediaRecorders(): void {
  const Native = window.MediaRecorder;
  const counts: RecorderCounts = { recorders: 0, dataEvents: 0, chunks: 0 };
  (window as unknown as { __recorderCounts: RecorderCounts }).__recorderCounts = counts;
  window.MediaRecorder = class extends Native {
    constructor(...args: ConstructorParameters<typeof MediaRecorder>) {
      super(...args);
      counts.recorders++;
      this.addEventListener('dataavailable', (e) => {
        counts.dataEvents++;
        if ((e as BlobEvent).data.size > 0) counts.chunks++;
      });
    }
  };
}

export const recorderCounts = (page: Page): Promise<RecorderCounts> =>
  page.evaluate(() => (window as unknown as { __recorderCounts: RecorderCounts }).__recorderCounts);

export interface E2eFile {
  /** Set before the file's first test. */
  readonly env: E2eEnv;
  /** With `recorderPage: true`: a recorder page on `env.context`, opened before the first test. */
  readonly page: Page;
}

/** One startE2e environment for the whole file (beforeAll), closed after its last test. */
export function e2ePerFile(opts: NonNullable<Parameters<typeof startE2e>[0]> & { recorderPage?: boolean } = {}): E2eFile {
  const { recorderPage, ...e2eOpts } = opts;
  let env: E2eEnv | null = null;
  let page: Page | null = null;
  beforeAll(async () => {
    env = await startE2e(e2eOpts);
    if (recorderPage) page = await openRecorderPage(env.context, env.server.url, env.token);
  });
  afterAll(async () => {
    await env?.close();
  });
  return {
    get env() {
      if (!env) throw new Error('e2ePerFile: the environment is not started (used outside a test?)');
      return env;
    },
    get page() {
      if (!page) throw new Error('e2ePerFile: no recorder page (pass recorderPage: true)');
      return page;
    },
  };
}

/**
 * Per test: a fresh context on the file's browser (the app's permissions, MediaRecorder counted,
 * console lines into env.console; Playwright's default viewport unless given) with the recorder
 * opened in it; closed after the test.
 */
export function freshRecorderPerTest(file: E2eFile): (viewport?: { width: number; height: number }) => Promise<{ context: BrowserContext; page: Page }> {
  const open: BrowserContext[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close().catch(() => {})));
  });
  return async (viewport) => {
    const { env } = file;
    if (!env.browser) throw new Error('freshRecorderPerTest needs a browser (startE2e without persistent)');
    const context = await env.browser.newContext({ permissions: APP_PERMISSIONS, ...(viewport ? { viewport } : {}) });
    open.push(context);
    context.on('console', (m) => env.console.push(m.text()));
    await context.addInitScript(countMediaRecorders);
    return { context, page: await openRecorderPage(context, env.server.url, env.token) };
  };
}
