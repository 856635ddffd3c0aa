/**
 * Cost of the screen + camera composition in real Chromium (fake screen and camera), against a
 * same-run baseline that records the screen alone: main-thread long tasks and event-loop lag
 * while recording, and the drawing time per composited frame — in the worker (the app's path
 * in Chromium) and on the main thread (the fallback for browsers without
 * MediaStreamTrackProcessor). The page and the compositor's worker are bundled with esbuild from
 * the app's own modules and served from 127.0.0.1.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { launchBrowser } from '../tests/support/browser.ts';
import type { VariantResult } from './composite/page.ts';
import { percentile, round } from './lib/stats.ts';

export interface CompositeVariantFigures {
  longTasks: number;
  longTaskMs: number;
  lagP50: number;
  lagP95: number;
  /** Composited frames per second actually drawn (null for the baseline). */
  fps: number | null;
  /** Drawing time per frame where it ran, and the part of it on the main thread. */
  drawMsPerFrame: number | null;
  mainThreadMsPerFrame: number | null;
}

export interface CompositeCostResult {
  durationMs: number;
  baseline: CompositeVariantFigures;
  worker: CompositeVariantFigures;
  main: CompositeVariantFigures;
  /** Event-loop lag p95 relative to the baseline's (1 = no worse). */
  workerLagRatio: number;
  mainLagRatio: number;
}

async function bundle(entry: string): Promise<string> {
  const out = await build({ entryPoints: [entry], bundle: true, write: false, format: 'esm', platform: 'browser', target: 'es2022', minify: true });
  return out.outputFiles[0]!.text;
}

function figures(r: VariantResult): CompositeVariantFigures {
  const s = r.stats;
  return {
    longTasks: r.longTasks,
    longTaskMs: round(r.longTaskMs),
    lagP50: round(percentile(r.lagMs, 50), 2),
    lagP95: round(percentile(r.lagMs, 95), 2),
    fps: s ? round((s.frames / r.durationMs) * 1000, 1) : null,
    drawMsPerFrame: s && s.frames ? round(s.drawMs / s.frames, 3) : null,
    mainThreadMsPerFrame: s && s.frames ? round(s.mainThreadMs / s.frames, 3) : null,
  };
}

export async function benchComposite(opts: { durationMs: number }): Promise<CompositeCostResult> {
  const files: Record<string, [string, string]> = {
    '/': ['text/html', '<!doctype html><meta charset="utf-8"><title>bench</title><script type="module" src="/page.js"></script>'],
    '/page.js': ['text/javascript', await bundle('bench/composite/page.ts')],
    '/compositor-worker.js': ['text/javascript', await bundle('src/app/recorder/compositor-worker.ts')],
  };
  const server = createServer((req, res) => {
    const f = files[req.url ?? ''];
    if (!f) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': f[0], 'cache-control': 'no-store' }).end(f[1]);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await launchBrowser();
  try {
    const page = await (await browser.newContext({ permissions: ['camera'] })).newPage();
    await page.goto(`${origin}/`);
    page.on('console', (m) => process.stderr.write(`[composite page] ${m.text()}\n`));
    page.on('crash', () => process.stderr.write('[composite page] crashed\n'));
    await page.waitForFunction(() => 'runCompositeBench' in globalThis);
    const results = await page.evaluate(
      (ms) => (globalThis as unknown as { runCompositeBench(ms: number): Promise<VariantResult[]> }).runCompositeBench(ms),
      opts.durationMs,
    );
    const [baseline, worker, main] = results.map(figures) as [CompositeVariantFigures, CompositeVariantFigures, CompositeVariantFigures];
    const ratio = (x: number) => round(x / Math.max(baseline.lagP95, 0.01), 2);
    return { durationMs: opts.durationMs, baseline, worker, main, workerLagRatio: ratio(worker.lagP95), mainLagRatio: ratio(main.lagP95) };
  } finally {
    await browser.close();
    server.close();
  }
}

// `node --import tsx bench/composite.ts [seconds]` runs it alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  const seconds = Number(process.argv[2] ?? 10);
  console.log(JSON.stringify(await benchComposite({ durationMs: seconds * 1000 }), null, 2));
}
