/**
 * Client cost in real Chromium (this machine's Debian build through playwright-core): per
 * 625 KiB chunk, the outbox write (the real addChunk: SHA-256 + one IndexedDB transaction), a
 * separate SHA-256 (WebCrypto), and the page → service worker postMessage round trip; plus the
 * number of long tasks on the main thread while chunks are written at a fixed cadence.
 * The page is bundled with esbuild (vite's own dependency) and served from 127.0.0.1 (a secure
 * context, so service workers and IndexedDB work).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { launchBrowser } from '../tests/support/browser.ts';
import type { ClientRunOptions, ClientRunResult } from './client/page.ts';
import { CHUNK_BYTES } from './lib/chunks.ts';
import { percentile, round } from './lib/stats.ts';

export interface ClientCostResult {
  chunks: number;
  durationMs: number;
  intervalMs: number;
  writeP50: number;
  writeP95: number;
  hashP50: number;
  hashP95: number;
  handoffP50: number;
  handoffP95: number;
  longTasks: number;
  longestTaskMs: number;
}

async function bundle(entry: string): Promise<string> {
  const out = await build({ entryPoints: [entry], bundle: true, write: false, format: 'esm', platform: 'browser', target: 'es2022', minify: true });
  return out.outputFiles[0]!.text;
}

export async function benchClientCost(opts: { durationMs: number; intervalMs: number }): Promise<ClientCostResult> {
  const files: Record<string, [string, string]> = {
    '/': ['text/html', '<!doctype html><meta charset="utf-8"><title>bench</title><script type="module" src="/page.js"></script>'],
    '/page.js': ['text/javascript', await bundle('bench/client/page.ts')],
    '/sw.js': ['text/javascript', await bundle('bench/client/sw.ts')],
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
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => 'runClientBench' in globalThis);
    const runOpts: ClientRunOptions = { durationMs: opts.durationMs, intervalMs: opts.intervalMs, chunkBytes: CHUNK_BYTES };
    const r = await page.evaluate(
      (o) => (globalThis as unknown as { runClientBench(o: ClientRunOptions): Promise<ClientRunResult> }).runClientBench(o),
      runOpts,
    );
    return {
      chunks: r.chunks,
      durationMs: opts.durationMs,
      intervalMs: opts.intervalMs,
      writeP50: round(percentile(r.writeMs, 50), 2),
      writeP95: round(percentile(r.writeMs, 95), 2),
      hashP50: round(percentile(r.hashMs, 50), 2),
      hashP95: round(percentile(r.hashMs, 95), 2),
      handoffP50: round(percentile(r.handoffMs, 50), 2),
      handoffP95: round(percentile(r.handoffMs, 95), 2),
      longTasks: r.longTasks,
      longestTaskMs: round(Math.max(0, ...r.longTaskMs)),
    };
  } finally {
    await browser.close();
    server.close();
  }
}
