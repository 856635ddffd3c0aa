/**
 * Stop-to-link latency: for recordings of 30, 300 and 1800 chunks (1, 10 and 60 minutes of 2 s
 * chunks), the time from the last chunk's 2xx to finalize's `complete` answer with the URL.
 * Chunks go up 2 at a time in index order, as the upload pipeline sends them. Chunk size is a
 * parameter (small by default to keep the run short); incremental assembly means finalize should
 * only append the tail, so the figure should not grow with the recording's length.
 */
import { join } from 'node:path';
import { makeChunkPool } from './lib/chunks.ts';
import { percentile, round } from './lib/stats.ts';
import { startOurs } from './lib/targets.ts';

export interface FinalizeRow {
  chunks: number;
  chunkBytes: number;
  samples: number;
  p50ms: number;
  p95ms: number;
}

export interface FinalizeOptions {
  workDir: string;
  lengths: number[];
  chunkBytes: number;
  /** Recordings measured per length. */
  samples: (length: number) => number;
  parallel?: number;
  log?: (line: string) => void;
}

export async function benchFinalize(opts: FinalizeOptions): Promise<FinalizeRow[]> {
  const target = await startOurs(join(opts.workDir, 'ours-finalize'));
  const pool = makeChunkPool(16, opts.chunkBytes);
  const parallel = opts.parallel ?? 2;
  try {
    // Warm-up: one short recording.
    const warm = await target.newRecording();
    for (let i = 0; i < 4; i++) await warm.put(i, pool[i]!, i === 3);
    await warm.finish(4);

    // Upload every sample recording except its last chunk, all at once (this part is not
    // measured); then, one recording at a time on a quiet server, send the last chunk and time
    // from its 2xx to finalize's answer.
    const recordings = await Promise.all(
      opts.lengths.flatMap((length) =>
        Array.from({ length: opts.samples(length) }, async () => {
          const rec = await target.newRecording();
          let next = 0;
          await Promise.all(
            Array.from({ length: parallel }, async () => {
              while (next < length - 1) {
                const i = next++;
                await rec.put(i, pool[i % pool.length]!, false);
              }
            }),
          );
          return { length, rec };
        }),
      ),
    );
    const rows: FinalizeRow[] = [];
    for (const length of opts.lengths) {
      const times: number[] = [];
      for (const { rec } of recordings.filter((r) => r.length === length)) {
        await rec.put(length - 1, pool[(length - 1) % pool.length]!, true);
        const lastConfirmed = performance.now();
        await rec.finish(length);
        times.push(performance.now() - lastConfirmed);
      }
      const row = { chunks: length, chunkBytes: opts.chunkBytes, samples: times.length, p50ms: round(percentile(times, 50), 2), p95ms: round(percentile(times, 95), 2) };
      opts.log?.(`finalize ${length} chunks: p50 ${row.p50ms} ms, p95 ${row.p95ms} ms (n=${row.samples})`);
      rows.push(row);
    }
    return rows;
  } finally {
    await target.stop();
  }
}
