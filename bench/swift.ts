/**
 * Stop-to-link on S3 + PostgreSQL with OpenStack Swift (s3api) as the object store, and the same
 * lengths on s3rver in the same run: `npm run bench -- --only=swift [--quick]` (opt-in: it needs
 * Debian's Swift packages and memcached, bench/lib/swift.ts; never run by the CI). Figures and
 * how to read them: docs/PERFORMANCE.md "On OpenStack Swift (s3api)".
 *
 * Why: finalize leaves only the tail to send, so stop-to-link should not grow with the
 * recording — but s3rver's CompleteMultipartUpload copies every part into the object (a cost
 * that grows with the bytes, 138–189 ms at 1800 chunks in docs/PERFORMANCE.md), where AWS S3
 * completes from part metadata. Swift's s3api completes by writing an SLO manifest that
 * references the parts, so on Swift the ratio 1800/30 shows ours without that copy.
 *
 * Exactly bench/s3.ts's finalize measurement (benchFinalize: WebM chunks, 8 uploads at once, a
 * quiet node between samples, per-step medians from the node's info log), each store behind the
 * same counting proxy (tests/support/s3-counter.ts) as bench/s3.ts, each target on a fresh
 * database of one durable PostgreSQL cluster. Swift first, then s3rver.
 */
import type { S3Settings } from '../src/server/storage/s3/client.ts';
import { startPgCluster } from '../tests/support/pg-cluster.ts';
import { startS3Counter } from '../tests/support/s3-counter.ts';
import { startS3 } from '../tests/support/s3.ts';
import { sharedStorageEnv } from '../tests/support/storage-env.ts';
import { benchFinalizeOnStore, type FinalizeRow } from './finalize.ts';
import { round } from './lib/stats.ts';
import { startSwift } from './lib/swift.ts';

export interface SwiftStoreRun {
  store: 'swift' | 's3rver';
  finalize: FinalizeRow[];
  /** p50 of the longest over the shortest length. */
  ratio: number | null;
  /** Parts listed per CompleteMultipartUpload (the counting proxy), by output key count: min–max. */
  partsPerComplete: [number, number] | null;
}

export interface SwiftResult {
  runs: SwiftStoreRun[];
}

export interface SwiftBenchOptions {
  workDir: string;
  lengths: number[];
  samples: (length: number) => number;
  /** Also run the lengths on s3rver (same run, same cluster). */
  compareS3rver: boolean;
  log?: (line: string) => void;
}

type Store = { bucket: string; settings: S3Settings; stop(): Promise<void> };

export async function benchSwift(opts: SwiftBenchOptions): Promise<SwiftResult> {
  const cluster = await startPgCluster({ durable: true });
  const runs: SwiftStoreRun[] = [];
  try {
    const stores: [SwiftStoreRun['store'], () => Promise<Store>][] = [['swift', () => startSwift('outbox-bench')]];
    if (opts.compareS3rver) stores.push(['s3rver', () => startS3('outbox-bench')]);
    for (const [name, start] of stores) {
      const store = await start();
      const counter = await startS3Counter(store.settings.endpoint!);
      try {
        const env = sharedStorageEnv(await cluster.freshDatabase(), store, counter.endpoint);
        const fin = await benchFinalizeOnStore({ label: name, workDir: opts.workDir, lengths: opts.lengths, samples: opts.samples, log: opts.log, env: () => env });
        const parts = counter.counts().completions.map((c) => c.parts);
        const first = fin.rows[0];
        const last = fin.rows[fin.rows.length - 1];
        const run: SwiftStoreRun = {
          store: name,
          finalize: fin.rows,
          ratio: first && last && first !== last && first.p50ms > 0 ? round(last.p50ms / first.p50ms, 2) : null,
          partsPerComplete: parts.length > 0 ? [Math.min(...parts), Math.max(...parts)] : null,
        };
        if (!fin.rows.every((r) => r.complete)) throw new Error(`${name}: a finalize answer was not complete with the chunks digest of the chunks sent`);
        opts.log?.(`${name}: stop-to-link p50 ${fin.rows.map((r) => `${r.chunks}: ${r.p50ms} ms`).join(', ')}; ${last?.chunks}/${first?.chunks} = ${run.ratio}; parts per Complete ${JSON.stringify(run.partsPerComplete)}`);
        runs.push(run);
      } finally {
        await counter.stop();
        await store.stop();
      }
    }
    return { runs };
  } finally {
    await cluster.stop();
  }
}

export function swiftMarkdown(r: SwiftResult): string[] {
  const lines = ['### Stop-to-link on S3 + PostgreSQL: Swift s3api beside s3rver (last chunk\'s 2xx → finalize complete)', ''];
  lines.push('| store | chunks | samples | p50 ms | p95 ms | not-WebM baseline p50 ms | CompleteMultipartUpload ms (median) |', '|---|---|---|---|---|---|---|');
  for (const run of r.runs) {
    for (const f of run.finalize) lines.push(`| ${run.store} | ${f.chunks} | ${f.samples} | ${f.p50ms} | ${f.p95ms} | ${f.baselineP50ms} | ${f.steps?.completeCallMs ?? '–'} |`);
  }
  lines.push('');
  for (const run of r.runs) lines.push(`${run.store}: ratio longest/shortest (p50) **${run.ratio ?? '–'}**; parts per CompleteMultipartUpload ${run.partsPerComplete?.join('–') ?? '–'}.`, '');
  return lines;
}
