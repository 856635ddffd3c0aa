/**
 * Would compressing chunks before upload pay? Records real WebM in Chromium (this machine's
 * Debian build, the app's own codec choice `video/webm;codecs=vp9,opus`, 2 s timeslices) from two
 * sources — the fake camera, and a screen-like canvas (text on white, a moving cursor, scrolling
 * now and then: what screen recordings mostly are) — then, per chunk:
 *  - in the page, what a client could do: CompressionStream gzip / deflate-raw, and brotli / zstd
 *    where the browser has them (Chromium 156 does not: reported as unsupported), timed;
 *  - in Node, the ratios the best codecs would reach: gzip (zlib level 6), brotli (quality 5 and
 *    11) and zstd (level 3 and 19; @bokuweb/zstd-wasm, Node 20's zlib has no zstd), with the CPU
 *    time each took.
 * The ratio is compressed / raw bytes: 1.00 means nothing saved.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { compress as zstdCompress, init as zstdInit } from '@bokuweb/zstd-wasm';
import { APP_PERMISSIONS, launchBrowser } from '../tests/support/browser.ts';
import { round } from './lib/stats.ts';

export type Source = 'camera' | 'screen';

/** One codec over every chunk of one source: compressed/raw bytes and ms per chunk (mean; browser: wall time in the page, node: CPU time). */
export interface CodecRow {
  source: Source;
  codec: string;
  where: 'browser' | 'node';
  ratio: number | null;
  msPerChunk: number | null;
}

export interface CompressionResult {
  chunks: Record<Source, number>;
  bytes: Record<Source, number>;
  rows: CodecRow[];
}

interface PageChunk {
  base64: string;
  browser: Record<string, { size: number; ms: number } | null>;
}

/** Runs in the page: records `seconds` of `source`, then compresses each chunk with CompressionStream. */
async function recordInPage(o: { source: Source; seconds: number; chunkMs: number }): Promise<PageChunk[]> {
  let stream: MediaStream;
  let timer: ReturnType<typeof setInterval> | undefined;
  if (o.source === 'camera') {
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720 }, audio: true });
  } else {
    const canvas = document.createElement('canvas');
    canvas.width = 1280;
    canvas.height = 720;
    const ctx = canvas.getContext('2d')!;
    let frame = 0;
    const draw = () => {
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, 1280, 720);
      ctx.fillStyle = '#222';
      ctx.font = '15px monospace';
      const scroll = Math.floor(frame / 60);
      for (let i = 0; i < 38; i++) ctx.fillText(`${String(i + scroll).padStart(4)}  const value${i + scroll} = await compute(input, { retries: ${i % 7} }); // step ${i + scroll}`, 16, 20 + i * 18);
      ctx.fillRect(120 + ((frame * 6) % 900), 640, 10, 18);
      frame++;
    };
    draw();
    timer = setInterval(draw, 33);
    stream = (canvas as HTMLCanvasElement & { captureStream(fps: number): MediaStream }).captureStream(30);
  }
  const recorder = new MediaRecorder(stream, { mimeType: 'video/webm;codecs=vp9,opus' });
  const blobs: Blob[] = [];
  recorder.ondataavailable = (e) => {
    if (e.data.size > 0) blobs.push(e.data);
  };
  const stopped = new Promise((r) => (recorder.onstop = r));
  recorder.start(o.chunkMs);
  // The recording itself: its length is the point, not a wait for something.
  await new Promise((r) => setTimeout(r, o.seconds * 1000));
  recorder.stop();
  await stopped;
  clearInterval(timer);
  for (const t of stream.getTracks()) t.stop();

  const out: PageChunk[] = [];
  for (const blob of blobs) {
    const browser: PageChunk['browser'] = {};
    for (const format of ['gzip', 'deflate-raw', 'brotli', 'zstd']) {
      try {
        const t0 = performance.now();
        const compressed = await new Response(blob.stream().pipeThrough(new CompressionStream(format as CompressionFormat))).arrayBuffer();
        browser[format] = { size: compressed.byteLength, ms: performance.now() - t0 };
      } catch {
        browser[format] = null; // this browser has no such CompressionStream format
      }
    }
    const base64 = await new Promise<string>((ok) => {
      const reader = new FileReader();
      reader.onload = () => ok(String(reader.result).replace(/^data:[^,]*,/, ''));
      reader.readAsDataURL(blob);
    });
    out.push({ base64, browser });
  }
  return out;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** CPU time (user + system) of this process spent in `fn`, in ms. */
function cpuMs<T>(fn: () => T): [T, number] {
  const before = process.cpuUsage();
  const result = fn();
  const used = process.cpuUsage(before);
  return [result, (used.user + used.system) / 1000];
}

const NODE_CODECS: Array<[string, (b: Buffer) => Uint8Array]> = [
  ['gzip-6', (b) => gzipSync(b, { level: 6 })],
  ['brotli-5', (b) => brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 5 } })],
  ['brotli-11', (b) => brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } })],
  ['zstd-3', (b) => zstdCompress(b, 3)],
  ['zstd-19', (b) => zstdCompress(b, 19)],
];

export async function benchCompression(opts: { seconds: number; chunkMs?: number; log?: (line: string) => void }): Promise<CompressionResult> {
  await zstdInit();
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>compression bench</title>'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await launchBrowser();
  const result: CompressionResult = { chunks: { camera: 0, screen: 0 }, bytes: { camera: 0, screen: 0 }, rows: [] };
  try {
    for (const source of ['camera', 'screen'] as const) {
      const context = await browser.newContext({ permissions: APP_PERMISSIONS });
      // tsx (esbuild keepNames) wraps recordInPage's inner functions in __name(); the page has none.
      await context.addInitScript('globalThis.__name = (f) => f;');
      const page = await context.newPage();
      await page.goto(origin);
      const chunks = await page.evaluate(recordInPage, { source, seconds: opts.seconds, chunkMs: opts.chunkMs ?? 2000 });
      await page.context().close();
      const raw = chunks.map((c) => Buffer.from(c.base64, 'base64'));
      const total = raw.reduce((n, b) => n + b.length, 0);
      result.chunks[source] = raw.length;
      result.bytes[source] = total;
      opts.log?.(`compression: ${source}: ${raw.length} chunks, ${total} bytes`);
      for (const format of Object.keys(chunks[0]?.browser ?? {})) {
        const per = chunks.map((c) => c.browser[format]);
        const ok = per.every((p) => p !== null);
        result.rows.push({
          source,
          codec: `CompressionStream ${format}`,
          where: 'browser',
          ratio: ok ? round(per.reduce((n, p) => n + p!.size, 0) / total, 4) : null,
          msPerChunk: ok ? round(mean(per.map((p) => p!.ms)), 2) : null,
        });
      }
      for (const [codec, fn] of NODE_CODECS) {
        let size = 0;
        const times: number[] = [];
        for (const b of raw) {
          const [out, ms] = cpuMs(() => fn(b));
          size += out.length;
          times.push(ms);
        }
        result.rows.push({ source, codec, where: 'node', ratio: round(size / total, 4), msPerChunk: round(mean(times), 2) });
      }
    }
  } finally {
    await browser.close();
    server.close();
  }
  return result;
}
