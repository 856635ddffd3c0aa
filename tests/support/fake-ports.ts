/**
 * In-memory stand-ins for the storage ports (src/server/storage/ports.ts) and the few metadata
 * methods the after-completion job uses, for unit tests of ingest modules without a server.
 * They keep the ports' promises that matter here: `open` rejects `not_found` before any byte,
 * ranges are inclusive, `put` replaces whole. Faults are injected per call (`failReads`).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { ApiError } from '../../src/shared/errors.ts';
import type { IndexRange } from '../../src/shared/ranges.ts';
import type { ChunkRecord, MediaLayout, VideoRecord } from '../../src/server/storage/metadata-repo.ts';
import type { ByteRange, SmallObjectName } from '../../src/server/storage/ports.ts';
import type { AfterCompletionContext } from '../../src/server/ingest/after-completion.ts';
import { InlineSha256 } from '../../src/server/hashing/inline-sha256.ts';
import { InProcessLocker } from '../../src/server/storage/in-process/in-process-locker.ts';

export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Yields `bytes` in pieces of `piece` bytes (as a store's stream would). */
function pieces(bytes: Buffer, piece: number, failAfter: number | null): Readable {
  async function* gen(): AsyncGenerator<Buffer> {
    for (let at = 0; at < bytes.length; at += piece) {
      if (failAfter !== null && at >= failAfter) throw new Error('store read failed (injected)');
      yield bytes.subarray(at, Math.min(at + piece, bytes.length));
    }
  }
  return Readable.from(gen(), { objectMode: false });
}

export class FakeOutput {
  readonly objects = new Map<string, Buffer>();
  opens = 0;
  /** The next n reads fail after `failAfter` bytes (a store or node dying mid-read). */
  failReads = { count: 0, failAfter: 0 };
  /** When set, each open waits for it (to hold jobs in flight). */
  gate: Promise<void> | null = null;
  inFlight = 0;
  maxInFlight = 0;

  async open(videoId: string, range?: ByteRange): Promise<{ size: number; body: Readable }> {
    this.opens++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.gate) await this.gate;
      const whole = this.objects.get(videoId);
      if (!whole) throw new ApiError('not_found');
      const bytes = range ? whole.subarray(range.start, range.end + 1) : whole;
      let failAfter: number | null = null;
      if (this.failReads.count > 0) {
        this.failReads.count--;
        failAfter = this.failReads.failAfter;
      }
      return { size: whole.length, body: pieces(bytes, 16 * 1024, failAfter) };
    } finally {
      this.inFlight--;
    }
  }
}

export class FakeSmall {
  readonly objects = new Map<string, Buffer>();
  puts = 0;
  async put(videoId: string, name: SmallObjectName, bytes: Buffer): Promise<void> {
    this.puts++;
    this.objects.set(`${videoId}/${name}`, Buffer.from(bytes));
  }
  async get(videoId: string, name: SmallObjectName): Promise<Buffer | null> {
    return this.objects.get(`${videoId}/${name}`) ?? null;
  }
  async deleteAll(videoId: string): Promise<void> {
    for (const k of [...this.objects.keys()]) if (k.startsWith(`${videoId}/`)) this.objects.delete(k);
  }
}

export class FakeRepo {
  readonly videos = new Map<string, VideoRecord>();
  readonly chunks = new Map<string, ChunkRecord[]>();
  readonly writes: string[] = [];

  async getVideo(id: string): Promise<VideoRecord | null> {
    const v = this.videos.get(id);
    return v ? structuredClone(v) : null;
  }
  async listChunks(id: string): Promise<ChunkRecord[]> {
    return structuredClone(this.chunks.get(id) ?? []);
  }
  async setMediaLayout(id: string, m: MediaLayout): Promise<void> {
    this.writes.push(`layout ${id}`);
    const v = this.videos.get(id);
    if (v) Object.assign(v, { durationMs: m.durationMs, seekable: m.seekable, servedHead: m.servedHead });
  }
  async setFileSha256(id: string, hex: string): Promise<void> {
    this.writes.push(`file ${id}`);
    const v = this.videos.get(id);
    if (v) v.fileSha256 = hex;
  }
  async setRecordedSha256(id: string, hex: string): Promise<void> {
    this.writes.push(`recorded ${id}`);
    const v = this.videos.get(id);
    if (v && v.sha256 === null) v.sha256 = hex;
  }
  async listCompletedPending(limit: number): Promise<string[]> {
    return [...this.videos.values()]
      .filter((v) => v.state === 'complete' && (v.sha256 === null || v.fileSha256 === null || v.seekable === null))
      .sort((a, b) => a.completedAt! - b.completedAt!)
      .slice(0, limit)
      .map((v) => v.id);
  }
}

let seq = 0;

/**
 * Records a complete video whose output is `chunks` in index order, the indices in `gaps` skipped
 * (a partial completion), as completion leaves it now: no digests, no layout.
 */
export function addCompleteVideo(
  repo: FakeRepo,
  output: FakeOutput,
  chunks: readonly Buffer[],
  opts: { mimeType?: string; gaps?: IndexRange[] } = {},
): { id: string; recorded: Buffer } {
  const id = `v${String(++seq).padStart(21, '0')}`;
  const gaps = opts.gaps ?? [];
  const skipped = (i: number) => gaps.some(([a, b]) => i >= a && i <= b);
  const held = chunks.map((bytes, index) => ({ bytes, index })).filter((c) => !skipped(c.index));
  const recorded = Buffer.concat(held.map((c) => c.bytes));
  output.objects.set(id, recorded);
  repo.chunks.set(id, held.map((c) => ({ index: c.index, size: c.bytes.length, sha256: sha256(c.bytes) })));
  repo.videos.set(id, {
    id, userId: 'u1', recordingId: `r-${id}`, shareId: `s-${id}`, title: null,
    mimeType: opts.mimeType ?? 'video/webm;codecs=vp8,opus', state: 'complete',
    createdAt: seq, updatedAt: seq, completedAt: seq, totalChunks: chunks.length,
    assembledChunks: chunks.length, assembledBytes: recorded.length, sha256: null,
    partial: gaps.length > 0, gaps, storedBytes: recorded.length, durationMs: null, seekable: null,
    servedHead: null, fileSha256: null, posterAt: null,
    outputSegments: held.length, outputUploadId: null, chunksDigest: null,
  });
  return { id, recorded };
}

/** A job context over the fakes; `logs` collects every log line's object. */
export function fakeAfterContext(): AfterCompletionContext & { repo: FakeRepo; output: FakeOutput; small: FakeSmall; logs: Record<string, unknown>[] } {
  const logs: Record<string, unknown>[] = [];
  const stream = { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) };
  const log = pino({ level: 'info' }, stream) as unknown as FastifyBaseLogger;
  return { repo: new FakeRepo(), output: new FakeOutput(), small: new FakeSmall(), locker: new InProcessLocker(), sha256: new InlineSha256(), log, logs };
}

/** Polls `cond` (a condition, never a clock), yielding to the event loop between tries. */
export async function until(cond: () => boolean | Promise<boolean>, what: string, tries = 100_000): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await cond()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`never happened: ${what}`);
}
