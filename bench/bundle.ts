/**
 * What a first visit downloads: the app's entry script with everything it imports statically
 * (the lazy chunks — views, the page fallback — come later or never), and the service worker,
 * built fresh into bench/.work with the project's own Vite config, raw and as served (the gzip
 * and brotli copies the build writes for @fastify/static's preCompressed). Sizes, not timings:
 * no baseline needed. Budgets: 35 KB gzipped for the page, 20 KB for the worker (KB = 1000 B).
 */
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { build } from 'vite';

export const BUNDLE_BUDGET_GZIP = { app: 35_000, worker: 20_000 } as const;

export interface BundleFile {
  file: string;
  raw: number;
  gzip: number;
  brotli: number;
}

export interface BundleResult {
  /** The entry script and its static imports, summed (`file` lists them). */
  app: BundleFile;
  /** Each file of `app`, entry first. */
  appFiles: BundleFile[];
  worker: BundleFile;
  budgetGzip: typeof BUNDLE_BUDGET_GZIP;
}

function sizes(dir: string, file: string): BundleFile {
  const path = join(dir, file);
  const size = (p: string) => (existsSync(p) ? statSync(p).size : Number.NaN);
  return { file, raw: size(path), gzip: size(`${path}.gz`), brotli: size(`${path}.br`) };
}

/** The entry and every script it imports statically (`import"./x.js"`, `from"./x.js"`); `import()` is lazy. */
export function firstVisitScripts(outDir: string): string[] {
  const entry = /<script[^>]+src="\/([^"]+\.js)"/.exec(readFileSync(join(outDir, 'index.html'), 'utf8'))?.[1];
  if (!entry) throw new Error('no entry script in the built index.html');
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(join(outDir, file), 'utf8');
    for (const [, spec] of code.matchAll(/(?:\bfrom|\bimport)\s*["'](\.{1,2}\/[^"']+\.js)["']/g)) {
      visit(relative(outDir, resolve(outDir, file, '..', spec!)));
    }
  };
  visit(entry);
  return [...seen];
}

export async function benchBundle(opts: { workDir: string }): Promise<BundleResult> {
  const outDir = join(opts.workDir, 'dist');
  try {
    await build({ logLevel: 'silent', build: { outDir, emptyOutDir: true } });
    const appFiles = firstVisitScripts(outDir).map((f) => sizes(outDir, f));
    const sum = (k: 'raw' | 'gzip' | 'brotli') => appFiles.reduce((s, f) => s + f[k], 0);
    return {
      app: { file: appFiles.map((f) => f.file).join(' + '), raw: sum('raw'), gzip: sum('gzip'), brotli: sum('brotli') },
      appFiles,
      worker: sizes(outDir, 'sw.js'),
      budgetGzip: BUNDLE_BUDGET_GZIP,
    };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}
