/**
 * The built app as a browser gets it (dist/, written by `vite build`, which `npm test` runs
 * before vitest): no code that compiles strings at run time, and a first visit (signed out) that
 * downloads the shell and the sign-in form, not the views behind it.
 *
 * The app's CSP has no 'unsafe-eval' in script-src, so `new Function` / `eval` fail there, and a
 * caught attempt still reports a `securitypolicyviolation` (Firefox logs one per page load).
 * Classic zod 4 probes for `new Function` to pick its JIT object parser; zod/mini never does.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

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
function firstVisit(): string[] {
  const html = readFileSync(join(DIST, 'index.html'), 'utf8');
  const entry = /<script[^>]+src="\/([^"]+\.js)"/.exec(html)?.[1];
  if (!entry) throw new Error('no entry script in dist/index.html');
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    // Static imports only (`import … from"./x.js"`, `import"./x.js"`); `import("./x.js")` is lazy.
    for (const [, spec] of code.matchAll(/(?:\bfrom|\bimport)\s*["'](\.{1,2}\/[^"']+\.js)["']/g)) visit(resolve(file, '..', spec!));
  };
  visit(join(DIST, entry));
  return [...seen];
}

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
});
