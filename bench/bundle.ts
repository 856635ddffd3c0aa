/**
 * What a first visit downloads: the app's entry script and the service worker, built fresh into
 * bench/.work with the project's own Vite config, raw and as served (the gzip and brotli copies the
 * build writes for @fastify/static's preCompressed). Sizes, not timings: no baseline needed.
 */
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';

export interface BundleFile {
  file: string;
  raw: number;
  gzip: number;
  brotli: number;
}

export interface BundleResult {
  app: BundleFile;
  worker: BundleFile;
}

function sizes(dir: string, file: string): BundleFile {
  const path = join(dir, file);
  const size = (p: string) => (existsSync(p) ? statSync(p).size : Number.NaN);
  return { file, raw: size(path), gzip: size(`${path}.gz`), brotli: size(`${path}.br`) };
}

export async function benchBundle(opts: { workDir: string }): Promise<BundleResult> {
  const outDir = join(opts.workDir, 'dist');
  try {
    await build({ logLevel: 'silent', build: { outDir, emptyOutDir: true } });
    const entry = /<script[^>]+src="\/([^"]+\.js)"/.exec(readFileSync(join(outDir, 'index.html'), 'utf8'))?.[1];
    if (!entry) throw new Error('no entry script in the built index.html');
    return { app: sizes(outDir, entry), worker: sizes(outDir, 'sw.js') };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}
