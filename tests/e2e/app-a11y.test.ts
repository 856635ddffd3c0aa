/**
 * axe-core (npm, injected into the page) finds no violation of impact moderate or above on any
 * view — Record (ready, and the review panel after a take), Library, Settings with the upload
 * history — in light and in dark.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { AxeResults } from 'axe-core';
import { startE2e, type E2eEnv } from '../support/e2e-fixtures.ts';
import { recordChunks, statusKind, waitForController, waitForRecorder } from '../app/browser-helpers.ts';

const AXE_PATH = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const SERIOUS = new Set(['moderate', 'serious', 'critical']);

let env: E2eEnv;
let page: Page;

beforeAll(async () => {
  env = await startE2e();
  page = await env.context.newPage();
  await page.goto(`${env.server.url}/#token=${encodeURIComponent(env.token)}`);
  await waitForRecorder(page);
  await waitForController(page);
  await page.addScriptTag({ path: AXE_PATH });
});
afterAll(async () => {
  await env?.close();
});

/** Violations of impact moderate or above, as "rule: target" lines (readable in a failure). */
async function audit(): Promise<string[]> {
  const results = (await page.evaluate(() => (globalThis as unknown as { axe: { run(ctx: Document): Promise<unknown> } }).axe.run(document))) as AxeResults;
  return results.violations
    .filter((v) => SERIOUS.has(v.impact ?? ''))
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${JSON.stringify(n.target)} ${n.failureSummary ?? ''}`));
}

async function auditBothSchemes(view: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    expect(await audit(), `${view} in ${colorScheme}`).toEqual([]);
  }
}

describe('accessibility (axe-core)', () => {
  it('no moderate, serious or critical violation on any view, light and dark', async () => {
    await page.getByRole('radio', { name: 'Screen + camera' }).check();
    await auditBothSchemes('record (screen + camera, ready)');
    await page.getByRole('radio', { name: 'Camera', exact: true }).check();
    await recordChunks(page, 1);
    await auditBothSchemes('record (recording)');
    await page.getByRole('button', { name: 'Stop recording' }).click();
    await page.getByRole('textbox', { name: 'Link to this recording' }).waitFor({ timeout: 30_000 });
    await expect.poll(() => statusKind(page), { timeout: 30_000 }).toBe('complete');
    await auditBothSchemes('record (review panel)');
    await page.getByRole('button', { name: 'Library' }).click();
    await page.locator('library-view li').first().waitFor();
    await auditBothSchemes('library');
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('table').waitFor();
    await auditBothSchemes('settings');
  });
});
