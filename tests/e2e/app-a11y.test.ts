/**
 * axe-core (npm, injected into the page) finds no violation of impact moderate or above on any
 * view — Record (ready, and the review panel after a take), Library, Settings with the upload
 * history — in light and in dark.
 */
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AxeResults } from 'axe-core';
import { e2ePerFile } from '../support/app-page.ts';
import { recordChunks, statusKind } from '../app/browser-helpers.ts';

const AXE_PATH = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const SERIOUS = new Set(['moderate', 'serious', 'critical']);

const app = e2ePerFile({ recorderPage: true });
beforeAll(async () => {
  await app.page.addScriptTag({ path: AXE_PATH });
});

/** Violations of impact moderate or above, as "rule: target" lines (readable in a failure). */
async function audit(): Promise<string[]> {
  const results = (await app.page.evaluate(() => (globalThis as unknown as { axe: { run(ctx: Document): Promise<unknown> } }).axe.run(document))) as AxeResults;
  return results.violations
    .filter((v) => SERIOUS.has(v.impact ?? ''))
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${JSON.stringify(n.target)} ${n.failureSummary ?? ''}`));
}

async function auditBothSchemes(view: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await app.page.emulateMedia({ colorScheme });
    expect(await audit(), `${view} in ${colorScheme}`).toEqual([]);
  }
}

describe('accessibility (axe-core)', () => {
  it('no moderate, serious or critical violation on any view, light and dark', async () => {
    await app.page.getByRole('radio', { name: 'Screen + camera' }).check();
    await auditBothSchemes('record (screen + camera, ready)');
    await app.page.getByRole('radio', { name: 'Camera', exact: true }).check();
    await recordChunks(app.page, 1);
    await auditBothSchemes('record (recording)');
    await app.page.getByRole('button', { name: 'Stop recording' }).click();
    await app.page.getByRole('textbox', { name: 'Link to this recording' }).waitFor({ timeout: 30_000 });
    await expect.poll(() => statusKind(app.page), { timeout: 30_000 }).toBe('complete');
    await auditBothSchemes('record (review panel)');
    await app.page.getByRole('button', { name: 'Library' }).click();
    await app.page.locator('library-view li').first().waitFor();
    await auditBothSchemes('library');
    await app.page.getByRole('button', { name: 'Settings' }).click();
    await app.page.getByRole('table').waitFor();
    await auditBothSchemes('settings');
  });
});
