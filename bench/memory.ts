/**
 * Server memory while one large recording streams in (625 KiB chunks, 2 in flight like the
 * pipeline): RSS of our server's process before (started and warmed), at its peak (sampled
 * every 50 ms and the kernel's VmHWM), and after finalize plus a short idle.
 */
import { join } from 'node:path';
import { makeChunkPool } from './lib/chunks.ts';
import { readRss } from './lib/child.ts';
import { round, sleep } from './lib/stats.ts';
import { startOurs } from './lib/targets.ts';

export interface MemoryResult {
  recordingBytes: number;
  chunks: number;
  beforeMb: number;
  peakMb: number;
  afterMb: number;
  seconds: number;
}

const MiB = 1024 * 1024;

export async function benchMemory(opts: { workDir: string; recordingBytes: number; log?: (line: string) => void }): Promise<MemoryResult> {
  const target = await startOurs(join(opts.workDir, 'ours-memory'));
  const pool = makeChunkPool(8);
  const chunkBytes = pool[0]!.bytes.length;
  const chunks = Math.max(2, Math.round(opts.recordingBytes / chunkBytes));
  try {
    const warm = await target.newRecording();
    for (let i = 0; i < 4; i++) await warm.put(i, pool[i]!, i === 3);
    await warm.finish(4);
    await sleep(500);
    const before = readRss(target.pid).rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, readRss(target.pid).rss);
    }, 50);
    const started = performance.now();
    const rec = await target.newRecording();
    let next = 0;
    await Promise.all(
      [0, 1].map(async () => {
        while (next < chunks) {
          const i = next++;
          await rec.put(i, pool[i % pool.length]!, i === chunks - 1);
          if (i % 500 === 499) opts.log?.(`memory: ${i + 1}/${chunks} chunks`);
        }
      }),
    );
    await rec.finish(chunks);
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    await sleep(1000);
    const end = readRss(target.pid);
    return {
      recordingBytes: chunks * chunkBytes,
      chunks,
      beforeMb: round(before / MiB),
      peakMb: round(peak / MiB),
      afterMb: round(end.rss / MiB),
      seconds: round(seconds),
    };
  } finally {
    await target.stop();
  }
}
