/**
 * `npm run bench [-- --quick] [-- --only=ingest,finalize,s3,memory,client,drain,bundle,compression] [-- --profile]`
 * (`--only=swift`: opt-in, never in a full run; it needs Debian's Swift packages, bench/swift.ts)
 * Runs each measurement in turn on this machine, prints one Markdown table and writes
 * bench/results.json (a fixed shape that later runs are compared against) and bench/results.detail.json (every figure);
 * a partial run (--only) writes bench/.work/results.json instead, unless --out= says where.
 * Quick: < 2 min on an idle 2-core machine; full: ~10 min. Servers run as child processes with
 * their data under bench/.work (the same disk for all).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { benchBundle } from './bundle.ts';
import { benchClientCost } from './client-cost.ts';
import { benchCompression } from './compression.ts';
import { benchComposite, type CompositeCostResult } from './composite.ts';
import { benchDrain } from './drain.ts';
import { benchFinalize } from './finalize.ts';
import { benchIngest } from './ingest.ts';
import { parseArgs } from './lib/args.ts';
import { toMarkdown, toResultsJson, type Measurements } from './lib/report.ts';
import { benchMemory } from './memory.ts';
import { benchS3 } from './s3.ts';
import { benchSwift } from './swift.ts';

const args = parseArgs(process.argv.slice(2));
const q = args.quick;
const workDir = resolve('bench/.work', `run-${process.pid}`);
rmSync(workDir, { recursive: true, force: true });
mkdirSync(workDir, { recursive: true });
const log = (line: string) => process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(0)}s] ${line}\n`);
const t0 = performance.now();
const m: Measurements = {};
let composite: CompositeCostResult | null = null;

try {
  if (args.only.has('ingest')) {
    m.ingest = await benchIngest({
      workDir: join(workDir, 'ingest'),
      concurrencies: [2, 8, 32],
      chunksPerRun: q ? (c) => Math.max(32, c * 3) : (c) => Math.max(480, c * 16),
      rounds: q ? 1 : 5,
      log,
    });
  }
  if (args.only.has('finalize')) {
    const fin = await benchFinalize({
      workDir,
      lengths: [30, 300, 1800],
      chunkBytes: 4096,
      samples: q ? (n) => (n <= 30 ? 3 : 1) : (n) => (n <= 30 ? 10 : n <= 300 ? 3 : 2),
      parallel: 8,
      log,
    });
    m.finalize = fin.rows;
    if (fin.indexing) m.webmIndexing = fin.indexing;
  }
  if (args.only.has('s3')) {
    m.s3 = await benchS3({
      workDir: join(workDir, 's3'),
      concurrencies: [2, 8],
      chunksPerRun: q ? (c) => Math.max(32, c * 3) : (c) => Math.max(240, c * 16),
      rounds: q ? 1 : 3,
      lengths: [30, 300, 1800],
      samples: q ? (n) => (n <= 30 ? 3 : 1) : (n) => (n <= 30 ? 5 : n <= 300 ? 3 : 2),
      log,
    });
  }
  if (args.only.has('swift')) {
    m.swift = await benchSwift({
      workDir: join(workDir, 'swift'),
      lengths: [30, 300, 1800],
      samples: q ? (n) => (n <= 30 ? 3 : 1) : (n) => (n <= 30 ? 5 : n <= 300 ? 3 : 2),
      compareS3rver: true,
      log,
    });
  }
  if (args.only.has('memory')) {
    m.memory = await benchMemory({ workDir, recordingBytes: q ? 64e6 : 2e9, log });
    log(`memory: ${JSON.stringify(m.memory)}`);
  }
  if (args.only.has('client')) {
    m.client = await benchClientCost({ durationMs: q ? 10_000 : 60_000, intervalMs: 250 });
    log(`client: ${JSON.stringify(m.client)}`);
  }
  if (args.only.has('drain')) {
    m.drain = await benchDrain({ workDir, chunks: q ? 8 : 30, capBytesPerSec: 1_250_000, latencyMs: 50 });
    log(`drain: ${JSON.stringify(m.drain)}`);
  }
  if (args.only.has('bundle')) m.bundle = await benchBundle({ workDir });
  if (args.only.has('compression')) m.compression = await benchCompression({ seconds: q ? 6 : 20, log });
  if (args.only.has('composite')) {
    composite = await benchComposite({ durationMs: q ? 5_000 : 20_000 });
    log(`composite: ${JSON.stringify(composite)}`);
  }
} finally {
  rmSync(workDir, { recursive: true, force: true, maxRetries: 3 });
}

const meta = {
  date: new Date().toISOString(),
  quick: q,
  node: process.version,
  cpus: cpus().length,
  memGiB: Math.round(totalmem() / 2 ** 30),
  seconds: Math.round((performance.now() - t0) / 1000),
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
};
writeFileSync(args.out, `${JSON.stringify(toResultsJson(m), null, 2)}\n`);
writeFileSync(args.out.replace(/\.json$/, '.detail.json'), `${JSON.stringify({ meta, ...m, ...(composite ? { composite } : {}) }, null, 2)}\n`);
console.log(`\n## Benchmark results (${meta.quick ? 'quick' : 'full'}; Node ${meta.node}, ${meta.cpus} cores, ${meta.memGiB} GiB; ${meta.seconds} s)\n`);
console.log(toMarkdown(m));
if (composite) {
  const c = composite;
  console.log('| Screen + camera composition | baseline (screen only) | worker (Chromium path) | main thread (fallback) |\n|---|---|---|---|');
  console.log(`| main-thread ms per composited frame | — | ${c.worker.mainThreadMsPerFrame} | ${c.main.mainThreadMsPerFrame} |`);
  console.log(`| drawing ms per frame (where it ran) | — | ${c.worker.drawMsPerFrame} | ${c.main.drawMsPerFrame} |`);
  console.log(`| long tasks while recording | ${c.baseline.longTasks} | ${c.worker.longTasks} | ${c.main.longTasks} |`);
  console.log(`| event-loop lag p95 (ratio to baseline) | ${c.baseline.lagP95} ms (1) | ${c.worker.lagP95} ms (${c.workerLagRatio}) | ${c.main.lagP95} ms (${c.mainLagRatio}) |\n`);
}
console.log(`Wrote ${args.out}`);
