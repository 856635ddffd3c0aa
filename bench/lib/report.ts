/**
 * Turns the measurements into results.json (a fixed shape that later runs are compared against) and one Markdown table
 * (printed, and pasted into docs/PERFORMANCE.md).
 */
import type { BundleResult } from '../bundle.ts';
import type { ClientCostResult } from '../client-cost.ts';
import type { CompressionResult } from '../compression.ts';
import type { DrainResult } from '../drain.ts';
import type { FinalizeRow, IndexCost } from '../finalize.ts';
import type { IngestRow } from '../ingest.ts';
import type { MemoryResult } from '../memory.ts';
import type { S3Result } from '../s3.ts';
import { swiftMarkdown, type SwiftResult } from '../swift.ts';
import { round } from './stats.ts';

export interface Measurements {
  ingest?: IngestRow[];
  finalize?: FinalizeRow[];
  /** Server CPU the WebM cluster index adds per chunk, against SHA-256 of the same bytes. */
  webmIndexing?: IndexCost;
  memory?: MemoryResult;
  client?: ClientCostResult;
  drain?: DrainResult;
  bundle?: BundleResult;
  compression?: CompressionResult;
  /** Ours on S3 + PostgreSQL beside ours on disk + SQLite (bench/s3.ts). */
  s3?: S3Result;
  /** Stop-to-link with Swift s3api as the object store, beside s3rver (bench/swift.ts; opt-in). */
  swift?: SwiftResult;
}

type Json = Record<string, unknown>;

export function toResultsJson(m: Measurements): Json {
  const out: Json = {};
  if (m.ingest) {
    const ingest: Json = {};
    for (const c of [...new Set(m.ingest.map((r) => r.concurrency))]) {
      const get = (t: string) => m.ingest!.find((r) => r.concurrency === c && r.target === t)?.mbps ?? null;
      const cpu = (t: string) => m.ingest!.find((r) => r.concurrency === c && r.target === t)?.cpuMsPerChunk ?? null;
      ingest[`c${c}`] = {
        ours_mbps: get('ours'),
        tus_mbps: get('tus'),
        raw_mbps: get('raw'),
        ours_cpu_ms_per_chunk: cpu('ours'),
        tus_cpu_ms_per_chunk: cpu('tus'),
        raw_cpu_ms_per_chunk: cpu('raw'),
      };
    }
    out.ingest = ingest;
  }
  if (m.s3) {
    const s3 = m.s3;
    const get = (t: string, c: number) => s3.ingest.find((r) => r.target === t && r.concurrency === c) ?? null;
    const fin = Object.fromEntries(s3.finalize.map((r) => [String(r.chunks), { p50: r.p50ms, p95: r.p95ms }]));
    const first = s3.finalize[0];
    const last = s3.finalize[s3.finalize.length - 1];
    out.s3 = {
      ingest: Object.fromEntries(
        [...new Set(s3.ingest.map((r) => r.concurrency))].map((c) => [
          `c${c}`,
          { disk_mbps: get('ours', c)?.mbps ?? null, s3_mbps: get('ours-s3', c)?.mbps ?? null, s3_cpu_ms_per_chunk: get('ours-s3', c)?.cpuMsPerChunk ?? null },
        ]),
      ),
      store_bytes_written_per_byte: s3.traffic.writtenPerIngested,
      store_requests_per_chunk: s3.traffic.requestsPerChunk,
      tus_part_bytes_written_per_byte: s3.tus.writtenPerIngested,
      finalize_ms: fin,
      finalize_ratio: first && last ? round(last.p50ms / first.p50ms, 2) : null,
    };
  }
  if (m.finalize) out.finalize_ms = Object.fromEntries(m.finalize.map((r) => [String(r.chunks), { p50: r.p50ms, p95: r.p95ms }]));
  if (m.memory) out.rss_mb = { before: m.memory.beforeMb, peak: m.memory.peakMb, after: m.memory.afterMb };
  if (m.client) {
    out.client_ms = { write_p50: m.client.writeP50, write_p95: m.client.writeP95, hash_p50: m.client.hashP50, hash_p95: m.client.hashP95 };
    out.long_tasks = m.client.longTasks;
  }
  if (m.drain) out.drain_ratio = m.drain.ratio;
  if (m.bundle) out.bundle_bytes = { app: m.bundle.app, worker: m.bundle.worker, budget_gzip: m.bundle.budgetGzip };
  if (m.compression) {
    out.chunk_compression_ratio = Object.fromEntries(m.compression.rows.filter((r) => r.ratio !== null).map((r) => [`${r.source} ${r.codec}`, r.ratio]));
  }
  return out;
}

const ratio = (a: number | undefined, b: number | undefined) => (a && b ? round(a / b, 2).toFixed(2) : '–');

export function toMarkdown(m: Measurements): string {
  const lines: string[] = [];
  if (m.ingest) {
    lines.push('### Ingest (625 KiB chunks, MB = 10^6 bytes)', '');
    lines.push(
      '| C | target | MB/s | req/s | p50 ms | p95 ms | chunks | server CPU ms/chunk | machine busy | ours/tus | ours/raw |',
      '|---|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const c of [...new Set(m.ingest.map((r) => r.concurrency))]) {
      const rows = m.ingest.filter((r) => r.concurrency === c);
      const mb = (t: string) => rows.find((r) => r.target === t)?.mbps;
      for (const r of rows) {
        const ratios = r.target === 'ours' ? `| ${ratio(mb('ours'), mb('tus'))} | ${ratio(mb('ours'), mb('raw'))} |` : '| | |';
        lines.push(`| ${c} | ${r.target} | ${r.mbps} | ${r.reqps} | ${r.p50ms} | ${r.p95ms} | ${r.chunks} | ${r.cpuMsPerChunk} | ${Math.round(r.machineBusy * 100)} % ${ratios}`);
      }
    }
    lines.push('');
  }
  if (m.finalize) {
    lines.push(`### Stop-to-link (last chunk's 2xx → finalize complete; ${m.finalize[0]?.chunkBytes ?? '?'}-byte chunks)`, '');
    lines.push('| chunks | samples | p50 ms | p95 ms | not-WebM baseline p50 ms |', '|---|---|---|---|---|');
    for (const r of m.finalize) lines.push(`| ${r.chunks} | ${r.samples} | ${r.p50ms} | ${r.p95ms} | ${r.baselineP50ms} |`);
    if (m.webmIndexing) {
      const w = m.webmIndexing;
      lines.push('', `WebM indexing adds ${w.indexUsPerChunk} µs of server CPU per 2 s chunk (SHA-256 of the same bytes: ${w.sha256UsPerChunk} µs; ×${w.ratio}).`);
    }
    const first = m.finalize[0];
    const last = m.finalize[m.finalize.length - 1];
    if (first && last && first !== last) lines.push('', `Ratio ${last.chunks}/${first.chunks} (p50): ${ratio(last.p50ms, first.p50ms)}`);
    lines.push('');
  }
  if (m.s3) lines.push(...s3Markdown(m.s3));
  if (m.swift) lines.push(...swiftMarkdown(m.swift));
  if (m.memory) {
    const mm = m.memory;
    lines.push(`### Server memory (one ${round(mm.recordingBytes / 1e9, 2)} GB recording, ${mm.chunks} chunks, ${mm.seconds} s)`, '');
    lines.push('| RSS before | RSS peak | RSS after | growth (peak − before) |', '|---|---|---|---|');
    lines.push(`| ${mm.beforeMb} MiB | ${mm.peakMb} MiB | ${mm.afterMb} MiB | ${round(mm.peakMb - mm.beforeMb)} MiB |`, '');
  }
  if (m.client) {
    const c = m.client;
    lines.push(`### Client cost in Chromium (${c.chunks} chunks of 625 KiB, one every ${c.intervalMs} ms for ${c.durationMs / 1000} s)`, '');
    lines.push('| step | p50 ms | p95 ms |', '|---|---|---|');
    lines.push(`| outbox write (addChunk: SHA-256 + IndexedDB tx) | ${c.writeP50} | ${c.writeP95} |`);
    lines.push(`| SHA-256 alone (WebCrypto) | ${c.hashP50} | ${c.hashP95} |`);
    lines.push(`| page → worker postMessage round trip | ${c.handoffP50} | ${c.handoffP95} |`);
    lines.push('', `Long tasks on the main thread: ${c.longTasks} (longest ${c.longestTaskMs} ms)`, '');
  }
  if (m.drain) {
    const d = m.drain;
    lines.push('### Drain after reconnect (real UploadPipeline through the fault proxy)', '');
    lines.push('| chunks | bytes | cap | added latency | drain s | ideal s | ratio |', '|---|---|---|---|---|---|---|');
    lines.push(`| ${d.chunks} | ${round(d.bytes / 1e6, 1)} MB | ${round(d.capBytesPerSec / 1e6, 2)} MB/s | ${d.latencyMs} ms each way | ${d.seconds} | ${d.idealSeconds} | ${d.ratio} |`, '');
  }
  if (m.bundle) {
    const b = m.bundle;
    const kb = (n: number) => `${round(n / 1024, 1)} KiB`;
    const met = (f: { gzip: number }, budget: number) => `${round(budget / 1000, 0)} KB: ${f.gzip <= budget ? 'yes' : '**no**'}`;
    lines.push('### What a first visit downloads (fresh build; gzip level 9 and brotli 11, as served)', '');
    lines.push('| file | raw | gzip | brotli | gzip budget met? |', '|---|---|---|---|---|');
    lines.push(`| app, first visit (entry + static imports) | ${kb(b.app.raw)} | ${kb(b.app.gzip)} | ${kb(b.app.brotli)} | ${met(b.app, b.budgetGzip.app)} |`);
    for (const f of b.appFiles) lines.push(`| · ${f.file} | ${kb(f.raw)} | ${kb(f.gzip)} | ${kb(f.brotli)} | |`);
    lines.push(`| worker (${b.worker.file}) | ${kb(b.worker.raw)} | ${kb(b.worker.gzip)} | ${kb(b.worker.brotli)} | ${met(b.worker, b.budgetGzip.worker)} |`);
    lines.push('');
  }
  if (m.compression) {
    const c = m.compression;
    lines.push(`### Chunk compression on recorded WebM (VP9/Opus, 2 s chunks; camera ${c.chunks.camera} chunks, screen-like ${c.chunks.screen})`, '');
    lines.push('| source | codec | where | compressed / raw | ms per chunk (browser: wall time in the page; node: CPU) |', '|---|---|---|---|---|');
    for (const r of c.rows) lines.push(`| ${r.source} | ${r.codec} | ${r.where} | ${r.ratio ?? 'unsupported'} | ${r.msPerChunk ?? '–'} |`);
    lines.push('');
  }
  return lines.join('\n');
}

function s3Markdown(s3: S3Result): string[] {
  const lines = ['### S3 + PostgreSQL beside disk + SQLite (same run, same client; 625 KiB chunks in order)', ''];
  lines.push('| C | target | MB/s | p50 ms | p95 ms | chunks | node CPU ms/chunk | s3/disk |', '|---|---|---|---|---|---|---|---|');
  for (const c of [...new Set(s3.ingest.map((r) => r.concurrency))]) {
    const rows = s3.ingest.filter((r) => r.concurrency === c);
    const disk = rows.find((r) => r.target === 'ours')?.mbps;
    for (const r of rows) lines.push(`| ${c} | ${r.target === 'ours' ? 'disk + SQLite' : 'S3 + PostgreSQL'} | ${r.mbps} | ${r.p50ms} | ${r.p95ms} | ${r.chunks} | ${r.cpuMsPerChunk} | ${r.target === 'ours' ? '' : ratio(r.mbps, disk)} |`);
  }
  const t = s3.traffic;
  const req = Object.entries(t.requests).filter(([, n]) => n > 0).map(([op, n]) => `${op} ${n}`).join(', ');
  lines.push(
    '',
    `Object store, over ${t.chunks} chunks (${round(t.ingestedBytes / 1e6, 1)} MB ingested): ${round(t.writtenBytes / 1e6, 1)} MB written = **${t.writtenPerIngested}× per byte ingested**, ${t.readPerIngested}× read back; **${t.requestsPerChunk} requests per chunk** (${req}).`,
    '',
    `tus \`.part\` scheme at this chunk size (arithmetic, not run — @tus/s3-store needs ListParts): ${s3.tus.chunksPerPart} chunks of ${s3.tus.chunkBytes} B per ${round(s3.tus.minPartBytes / 2 ** 20, 0)} MiB part; PATCH k < ${s3.tus.chunksPerPart} re-uploads a \`.part\` of k chunks, so (1 + … + ${s3.tus.chunksPerPart - 1}) = ${(s3.tus.chunksPerPart * (s3.tus.chunksPerPart - 1)) / 2} chunks of extra writes per ${s3.tus.chunksPerPart} ingested: ${s3.tus.extraWrittenPerIngested}× extra, ${s3.tus.writtenPerIngested}× written in all, ${s3.tus.readPerIngested}× read back.`,
    '',
  );
  lines.push('Stop-to-link on S3 + PostgreSQL (last chunk\'s 2xx → finalize complete):', '', '| chunks | samples | p50 ms | p95 ms | not-WebM baseline p50 ms |', '|---|---|---|---|---|');
  for (const r of s3.finalize) lines.push(`| ${r.chunks} | ${r.samples} | ${r.p50ms} | ${r.p95ms} | ${r.baselineP50ms} |`);
  const first = s3.finalize[0];
  const last = s3.finalize[s3.finalize.length - 1];
  if (first && last && first !== last) lines.push('', `Ratio ${last.chunks}/${first.chunks} (p50): ${ratio(last.p50ms, first.p50ms)}`);
  lines.push('');
  return lines;
}
