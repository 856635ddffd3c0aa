/**
 * The built app as a browser gets it (dist/, written by `vite build`, which `npm test` runs
 * before vitest): no code that compiles strings at run time, a first visit (signed out) that
 * downloads the shell and the sign-in form, not the views behind it, and byte budgets (gzip, as
 * built: deterministic, not timing).
 *
 * The app's CSP has no 'unsafe-eval' in script-src, so `new Function` / `eval` fail there, and a
 * caught attempt still reports a `securitypolicyviolation` (Firefox logs one per page load).
 * Classic zod 4 probes for `new Function` to pick its JIT object parser; zod/mini never does.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLE_BUDGET_GZIP, firstVisitScripts } from '../../bench/bundle.ts';

const DIST = resolve(import.meta.dirname, '../../dist');

/** Every way the bundles could reach the Function constructor or eval, minified or not. */
const EVAL_PATTERNS: Array<[string, RegExp]> = [
  ['new Function(', /\bnew\s+Function\s*\(/],
  ['Function(…) called', /(?<![\w$.])Function\s*\(/],
  // A minifier turns `const F = Function; new F(…)` (zod's probe) into `e=Function,`.
  ['Function taken as a value', /[=(,:?]\s*Function\s*[,;)}\]]/],
  ['eval(', /(?<![\w$.])eval\s*\(/],
];

function scripts(): string[] {
  if (!existsSync(join(DIST, 'index.html'))) throw new Error('dist/ is missing: run `npx vite build` first (npm test does)');
  return readdirSync(DIST, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.js'))
    .map((e) => join(e.parentPath, e.name));
}

/** The entry script and everything it imports statically: what a first visit must download. */
const firstVisit = () => firstVisitScripts(DIST).map((f) => join(DIST, f));

/** The gzip copy the build wrote (what @fastify/static serves to a client without brotli). */
const gzipBytes = (file: string) => statSync(`${file}.gz`).size;

/**
 * Gzipped bytes a first visit may download: the page's 35 KB is the budget; the worker's
 * 20 KB is not reached while it keeps workbox and the incremental SHA-256 (docs/PERFORMANCE.md
 * "What a first visit downloads"), so this holds it at what was reached, against regressions.
 */
const BUDGET_GZIP = { app: BUNDLE_BUDGET_GZIP.app, worker: 30_000 } as const;

describe('built bundles (dist/)', () => {
  it('contain no eval and no Function constructor (CSP without unsafe-eval)', () => {
    const files = scripts();
    expect(files.map((f) => relative(DIST, f))).toContain('sw.js');
    const found: string[] = [];
    for (const file of files) {
      const code = readFileSync(file, 'utf8');
      for (const [what, re] of EVAL_PATTERNS) {
        const m = re.exec(code);
        if (m) found.push(`${relative(DIST, file)}: ${what} at …${code.slice(Math.max(0, m.index - 60), m.index + 40)}…`);
      }
    }
    expect(found).toEqual([]);
  });

  it('load the views (recorder, library, settings) only once the app is shown', () => {
    const first = firstVisit().map((f) => relative(DIST, f));
    expect(first.length).toBeGreaterThan(0);
    expect(first.filter((f) => /(recorder|library|settings)-view/.test(f))).toEqual([]);
    // Each exists as its own chunk, loaded by import() from the shell.
    const all = scripts().map((f) => relative(DIST, f));
    for (const view of ['recorder', 'library', 'settings']) expect(all.some((f) => new RegExp(`${view}-view-.*\\.js$`).test(f)), view).toBe(true);
  });

  it(`stay within ${BUDGET_GZIP.app} B (page, first visit) and ${BUDGET_GZIP.worker} B (worker) gzipped`, () => {
    const app = firstVisit().reduce((sum, f) => sum + gzipBytes(f), 0);
    const worker = gzipBytes(join(DIST, 'sw.js'));
    expect({ app: app <= BUDGET_GZIP.app, worker: worker <= BUDGET_GZIP.worker }, `app ${app} B, worker ${worker} B`).toEqual({ app: true, worker: true });
  });

  it('leave zod out of the worker and the incremental SHA-256 out of the first visit', () => {
    // zod's schemas carry a `_zod` record with a `def`; the compiled checks (src/shared/checks) do not.
    expect(readFileSync(join(DIST, 'sw.js'), 'utf8')).not.toMatch(/_zod\.def|\$ZodType/);
    const first = firstVisit().map((f) => readFileSync(f, 'utf8')).join('\n');
    // @noble/hashes' SHA-256 round constants begin 0x428a2f98 (1116352408).
    expect(first).not.toMatch(/1116352408|0x428a2f98/i);
    // …and they are in their own chunk, loaded only when the legacy whole-recording check runs.
    const lazy = scripts().filter((f) => /sha256-stream-.*\.js$/.test(f));
    expect(lazy).toHaveLength(1);
    expect(readFileSync(lazy[0]!, 'utf8')).toMatch(/1116352408|0x428a2f98/i);
  });
});
