/**
 * Where browser tests write screenshots: SCREENSHOTS_DIR, else test-results/screenshots (ignored
 * by git), so a test run never changes tracked files. `npm run screenshots` points it at
 * docs/screenshots to refresh the pictures the docs show, on purpose.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

export function screenshotsDir(): string {
  const dir = resolve(ROOT, process.env.SCREENSHOTS_DIR ?? 'test-results/screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}
