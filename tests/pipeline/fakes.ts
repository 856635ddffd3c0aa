/**
 * Fakes for the pipeline's ports: a virtual clock, a switchable connectivity, a recording
 * logger, and a scripted in-memory server behind the Transport port that models API v1
 * (idempotent init, verified chunks with duplicate/conflict answers, finalize) and counts
 * concurrency and writes so tests can assert on them.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { randomBytes } from 'node:crypto';
import type { ChunkResponse, FinalizeRequest, FinalizeResponse, InitRequest, VideoStatus } from '../../src/shared/api.ts';
import { chunksDigestHex } from '../../src/shared/chunks-digest.ts';
import { sha256Hex } from '../../src/shared/digest.ts';
import type { Logger } from '../../src/shared/log.ts';
import type { OutboxDatabase } from '../../src/shared/outbox/schema.ts';
import { openOutbox, type Outbox } from '../../src/shared/outbox/store.ts';
import { toRanges } from '../../src/shared/ranges.ts';
import type { ChunkPut, Clock, Connectivity, Transport } from '../../src/sw/pipeline/ports.ts';
import { TransportError } from '../../src/sw/pipeline/transport-error.ts';

export const T0 = 1_700_000_000_000;

/** A fresh, empty IndexedDB per test (fake-indexeddb); reuse the factory to "restart". */
export function freshOutbox(factory: IDBFactory = new IDBFactory(), now?: () => number): Promise<Outbox> {
  return openOutbox({ indexedDB: factory, ...(now ? { now } : {}) });
}

export { IDBFactory };

/**
 * Virtual time. `auto` mode: sleep() advances time at once (the pipeline only sleeps when it
 * has nothing in flight, so this is exact). Manual mode: sleepers wait for advance().
 */
export class FakeClock implements Clock {
  t = T0;
  readonly sleeps: number[] = [];
  private sleepers: { at: number; resolve: () => void }[] = [];
  constructor(public auto = true) {}
  now(): number {
    return this.t;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.auto) {
      this.t += ms;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const s = { at: this.t + ms, resolve };
      this.sleepers.push(s);
      signal?.addEventListener('abort', () => {
        this.sleepers = this.sleepers.filter((x) => x !== s);
        reject(signal.reason);
      });
    });
  }
  advance(ms: number): void {
    this.t += ms;
    const due = this.sleepers.filter((s) => s.at <= this.t);
    this.sleepers = this.sleepers.filter((s) => s.at > this.t);
    for (const s of due) s.resolve();
  }
  get waiting(): number {
    return this.sleepers.length;
  }
}

export class FakeConnectivity implements Connectivity {
  private listeners = new Set<(online: boolean) => void>();
  constructor(public online = true) {}
  isOnline(): boolean {
    return this.online;
  }
  onChange(listener: (online: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  set(online: boolean): void {
    this.online = online;
    for (const l of this.listeners) l(online);
  }
}

export interface LogEntry {
  level: string;
  event: string;
  fields: Record<string, unknown>;
}

export function recordingLogger(): Logger & { entries: LogEntry[]; events(name: string): LogEntry[] } {
  const entries: LogEntry[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, event: string) => void entries.push({ level, event, fields });
  return {
    entries,
    events: (name) => entries.filter((e) => e.event === name),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  };
}

/** What the scripted server does with one request instead of (or around) its normal answer. */
export type Fault =
  | { kind: 'http'; status: number; code?: string; retryAfterMs?: number }
  /** No answer, nothing stored. */
  | { kind: 'network' }
  /** Stored, then the answer is lost on the way back. */
  | { kind: 'lost' }
  /** Stored, answered 2xx with a different SHA-256. */
  | { kind: 'wrong-sha' }
  /** Waits until the request is aborted. */
  | { kind: 'hang' };

interface Session {
  status: VideoStatus;
  chunks: Map<number, Uint8Array>;
}

const serverId = () => randomBytes(16).toString('base64url');

export class FakeServer implements Transport {
  readonly sessions = new Map<string, Session>();
  /** New (non-duplicate) writes per `${recordingId}#${index}`. */
  readonly writes = new Map<string, number>();
  readonly calls: { op: string; index?: number }[] = [];
  /** Chunk uploads in flight now / at most (init and finalize are not chunk uploads). */
  inFlight = 0;
  maxInFlight = 0;
  /** When set, every request waits for release() before being processed. */
  gated = false;
  private gate: (() => void)[] = [];
  acceptToken: string | null = null;
  getToken: () => Promise<string | null> = async () => null;
  onInit: (req: InitRequest) => Fault | undefined = () => undefined;
  onChunk: (req: ChunkPut, nth: number) => Fault | undefined = () => undefined;
  onFinalize: (req: FinalizeRequest) => Fault | undefined = () => undefined;
  /**
   * How completion is answered. 'chunks-digest' (this server): finalize sends `chunksDigest` and
   * `sha256: null`, the status has both. 'sha256' (a server before the chunks digest): finalize and
   * status send the recording's SHA-256 only. 'none': neither, until `digestsKnown` is set.
   */
  digests: 'chunks-digest' | 'sha256' | 'none' = 'chunks-digest';

  release(n = 1): number {
    const take = this.gate.splice(0, n);
    for (const r of take) r();
    return take.length;
  }
  get waitingAtGate(): number {
    return this.gate.length;
  }

  private async enter<T>(op: string, fault: Fault | undefined, signal: AbortSignal | undefined, work: () => Promise<T>, index?: number): Promise<T> {
    this.calls.push({ op, ...(index !== undefined ? { index } : {}) });
    const counted = op === 'chunk';
    if (counted) this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((r) => setTimeout(r, 0));
      if (this.gated) await new Promise<void>((r) => this.gate.push(r));
      if (signal?.aborted) throw new TransportError('aborted');
      if (this.acceptToken !== null && (await this.getToken()) !== this.acceptToken) {
        throw new TransportError('http', { status: 401, code: 'unauthorized' });
      }
      if (fault?.kind === 'hang') {
        await new Promise((_, reject) => signal?.addEventListener('abort', () => reject(new TransportError('aborted'))));
      }
      if (fault?.kind === 'network') throw new TransportError('network');
      if (fault?.kind === 'http') {
        throw new TransportError('http', { status: fault.status, code: fault.code ?? null, retryAfterMs: fault.retryAfterMs ?? null });
      }
      const result = await work();
      if (fault?.kind === 'lost') throw new TransportError('network', { message: 'answer lost' });
      return result;
    } finally {
      if (counted) this.inFlight--;
    }
  }

  init(req: InitRequest, signal?: AbortSignal): Promise<VideoStatus> {
    return this.enter('init', this.onInit(req), signal, async () => {
      const existing = this.sessions.get(req.recordingId);
      if (existing) return this.videoStatusOf(existing);
      const id = serverId();
      const at = new Date(T0).toISOString();
      const status: VideoStatus = {
        videoId: id, sessionId: id, recordingId: req.recordingId, title: req.title ?? null, mimeType: req.mimeType,
        state: 'open', createdAt: at, updatedAt: at, completedAt: null, totalChunks: null, chunks: [],
        receivedChunks: 0, assembledChunks: 0, bytes: 0, sha256: null, missing: [], partial: false,
        shareUrl: `/s/${id}`, videoUrl: null,
      };
      const s = { status, chunks: new Map<number, Uint8Array>() };
      this.sessions.set(req.recordingId, s);
      return this.videoStatusOf(s);
    });
  }

  putChunk(req: ChunkPut, signal?: AbortSignal): Promise<ChunkResponse> {
    const nth = this.calls.filter((c) => c.op === 'chunk' && c.index === req.index).length + 1;
    const fault = this.onChunk(req, nth);
    return this.enter('chunk', fault, signal, async () => {
      const s = this.bySession(req.sessionId);
      const bytes = new Uint8Array(req.data.slice(0));
      const sha = await sha256Hex(bytes);
      if (sha !== req.sha256) throw new TransportError('http', { status: 400, code: 'digest_mismatch' });
      const held = s.chunks.get(req.index);
      if (held) {
        if ((await sha256Hex(held)) !== sha) throw new TransportError('http', { status: 409, code: 'chunk_conflict' });
        return { index: req.index, size: bytes.length, sha256: fault?.kind === 'wrong-sha' ? '0'.repeat(64) : sha, duplicate: true };
      }
      s.chunks.set(req.index, bytes);
      const key = `${s.status.recordingId}#${req.index}`;
      this.writes.set(key, (this.writes.get(key) ?? 0) + 1);
      return { index: req.index, size: bytes.length, sha256: fault?.kind === 'wrong-sha' ? 'f'.repeat(64) : sha, duplicate: false };
    }, req.index);
  }

  finalize(req: FinalizeRequest, signal?: AbortSignal): Promise<FinalizeResponse> {
    return this.enter('finalize', this.onFinalize(req), signal, async () => {
      const s = this.bySession(req.sessionId);
      const missing: number[] = [];
      for (let i = 0; i < req.totalChunks; i++) if (!s.chunks.has(i)) missing.push(i);
      s.status.totalChunks = req.totalChunks;
      if (missing.length > 0) {
        return { status: 'incomplete', videoId: s.status.videoId, totalChunks: req.totalChunks, receivedChunks: s.chunks.size, missing: toRanges(missing) };
      }
      const parts = [...Array(req.totalChunks).keys()].map((i) => s.chunks.get(i)!);
      const all = Buffer.concat(parts);
      s.status.state = 'complete';
      s.status.videoUrl = `/api/v1/videos/${s.status.videoId}/file`;
      s.status.bytes = all.length;
      // The status learns the recorded SHA-256 "after completion"; finalize answers before it.
      s.status.sha256 = this.digests === 'none' ? null : await sha256Hex(all);
      s.status.chunksDigest = this.digests === 'chunks-digest' ? await chunksDigestHex(await Promise.all(parts.map((p) => sha256Hex(p)))) : null;
      const base = {
        status: 'complete' as const, videoId: s.status.videoId, videoUrl: s.status.videoUrl, shareUrl: s.status.shareUrl,
        size: all.length, totalChunks: req.totalChunks, partial: false, missing: [],
      };
      if (this.digests === 'sha256') return { ...base, sha256: s.status.sha256 };
      return { ...base, sha256: null, ...(s.status.chunksDigest ? { chunksDigest: s.status.chunksDigest } : {}) };
    });
  }

  status(videoId: string, signal?: AbortSignal): Promise<VideoStatus> {
    return this.enter('status', undefined, signal, async () => this.videoStatusOf(this.bySession(videoId)));
  }

  /** A server in 'none' mode learns its digests: later status answers carry them. */
  async digestsKnown(recordingId: string): Promise<void> {
    const s = this.sessions.get(recordingId)!;
    const parts = [...Array(s.status.totalChunks!).keys()].map((i) => s.chunks.get(i)!);
    s.status.sha256 = await sha256Hex(Buffer.concat(parts));
    s.status.chunksDigest = await chunksDigestHex(await Promise.all(parts.map((p) => sha256Hex(p))));
  }

  /** Simulates the server dropping a session (expiry or a wiped store). */
  forget(recordingId: string): void {
    this.sessions.delete(recordingId);
  }

  assembled(recordingId: string): Uint8Array | null {
    const s = this.sessions.get(recordingId);
    if (!s || s.status.state !== 'complete') return null;
    return Buffer.concat([...Array(s.status.totalChunks!).keys()].map((i) => s.chunks.get(i)!));
  }

  private bySession(sessionId: string): Session {
    for (const s of this.sessions.values()) if (s.status.sessionId === sessionId) return s;
    throw new TransportError('http', { status: 404, code: 'not_found' });
  }

  private videoStatusOf(s: Session): VideoStatus {
    return { ...s.status, chunks: toRanges(s.chunks.keys()), receivedChunks: s.chunks.size };
  }
}

/** Deterministic chunk bytes: index-dependent, so a mix-up shows in the SHA-256. */
export function chunkBytes(index: number, size = 1000): ArrayBuffer {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (index * 31 + i * 7) & 0xff;
  return b.buffer;
}

/** The chunks digest of chunkBytes(0..n-1): what both ends must agree on. */
export async function expectedChunksDigest(n: number, size?: number): Promise<string> {
  return chunksDigestHex(await Promise.all([...Array(n).keys()].map((i) => sha256Hex(chunkBytes(i, size)))));
}

/** Changes a byte of a chunk held in the outbox and leaves its stored SHA-256 as it was: storage corruption. */
export async function corruptLocalChunk(outbox: Outbox, recordingId: string, index: number): Promise<void> {
  const db = (outbox as unknown as { db: OutboxDatabase }).db;
  const c = (await db.get('chunks', [recordingId, index]))!;
  const bytes = new Uint8Array(c.data!.slice(0));
  bytes[0]! ^= 0xff;
  await db.put('chunks', { ...c, data: bytes.buffer });
}

export async function recordInto(outbox: Outbox, id: string, n: number, opts: { stop?: boolean; size?: number } = {}): Promise<void> {
  await outbox.createRecording({ id, mimeType: 'video/webm' });
  for (let i = 0; i < n; i++) await outbox.addChunk(id, i, chunkBytes(i, opts.size));
  if (opts.stop !== false) await outbox.stopRecording(id, n);
}
