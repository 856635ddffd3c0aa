/**
 * Disk full: the whole data directory (SQLite and blobs) lives on a 2 MiB
 * tmpfs that also holds a ballast file. Chunks are uploaded until the disk is full:
 * every answer is 201 or 507 `insufficient_storage` (never 500), a refused chunk leaves nothing
 * behind (no temp file, no chunk file, status unchanged), and once the ballast is removed
 * (space returns) the rest uploads and the video completes with the right SHA-256.
 *
 * Mounting needs root; where `mount` fails, the same scenario runs with an injected ENOSPC
 * raised by the request body mid-stream, which drives the blob store's real clean-up path.
 * tests/server/limits.test.ts already covers an ENOSPC thrown before any byte is written.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/app.ts';
import { loadConfig } from '../../src/server/config.ts';
import { blobRoot } from '../../src/server/paths.ts';
import type { StageOptions, StagedChunk } from '../../src/server/storage/blob-store.ts';
import { FsBlobStore } from '../../src/server/storage/fs-blob-store.ts';
import { addUser } from '../../src/server/users.ts';
import { fromRanges } from '../../src/shared/ranges.ts';
import { recordReliabilityCase } from '../support/reliability-report.ts';
import { client, makeChunks, sha256, type Client } from '../server/helpers.ts';
import type { FastifyInstance } from 'fastify';

const CHUNK = 96 * 1024;
const N = 12;

/** Used only where tmpfs cannot be mounted: runs out of "space" once `full` is set. */
class InjectedFullStore extends FsBlobStore {
  full = false;
  override stageChunk(videoId: string, index: number, body: Readable, opts: StageOptions): Promise<StagedChunk> {
    if (!this.full) return super.stageChunk(videoId, index, body, opts);
    let seen = 0;
    const failing = new Transform({
      transform(buf: Buffer, _enc, cb) {
        seen += buf.length;
        if (seen > 1024) cb(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
        else cb(null, buf);
      },
    });
    body.pipe(failing);
    return super.stageChunk(videoId, index, failing, opts);
  }
}

let mountDir: string;
let mounted = false;
let injected: InjectedFullStore | null = null;
let app: FastifyInstance;
let c: Client;
const ballast = () => join(mountDir, 'ballast');

beforeAll(async () => {
  mountDir = mkdtempSync(join(tmpdir(), 'outbox-faults-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountDir], { stdio: 'pipe' });
    mounted = true;
    writeFileSync(ballast(), Buffer.alloc(1200 * 1024, 1));
  } catch {
    mounted = false;
  }
  const dataDir = join(mountDir, 'data');
  const config = loadConfig({ LOG_LEVEL: process.env.FAULT_LOG_LEVEL ?? 'silent', OUTBOX_DATA_DIR: dataDir, OUTBOX_STATIC_DIR: join(mountDir, 'no-build') });
  if (!mounted) injected = new InjectedFullStore(blobRoot(dataDir));
  app = buildServer(config, injected ? { blobStore: injected } : {});
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { token } = await addUser(app.outbox.repo, 'full', Date.now());
  c = client(`http://127.0.0.1:${(app.server.address() as { port: number }).port}`, token);
});

afterAll(async () => {
  await app?.close();
  if (mounted) execFileSync('umount', [mountDir]);
  rmSync(mountDir, { recursive: true, force: true });
});

describe('disk full', () => {
  it('answers 507, keeps nothing half-written, and recovers when space returns', async () => {
    const started = Date.now();
    const chunks = makeChunks(N, CHUNK);
    const id = (await c.init()).json.sessionId as string;
    const videoDir = join(mountDir, 'data', 'blobs', 'videos', id);
    const tmpDir = join(mountDir, 'data', 'blobs', 'tmp');

    let refusedAt = -1;
    const answers: number[] = [];
    for (let i = 0; i < N; i++) {
      if (injected && i === 4) injected.full = true;
      const before = (await c.status(id)).json;
      const a = await c.chunk(id, i, chunks[i]!);
      answers.push(a.status);
      if (a.status === 201) continue;
      expect({ status: a.status, code: a.json?.error?.code }).toEqual({ status: 507, code: 'insufficient_storage' });
      // Nothing half-written kept: no temp, no chunk file for this index, status unchanged.
      expect(readdirSync(tmpDir)).toEqual([]);
      expect(existsSync(join(videoDir, `${i}.chunk`))).toBe(false);
      const after = (await c.status(id)).json;
      expect(after.chunks).toEqual(before.chunks);
      expect(after.bytes).toBe(before.bytes);
      // Full stays full: a retry is refused the same way, never a 500.
      expect((await c.chunk(id, i, chunks[i]!)).status).toBe(507);
      refusedAt = i;
      break;
    }
    expect(refusedAt, `no 507 after ${answers.join(',')}`).toBeGreaterThan(0);
    expect(answers.every((s) => s === 201 || s === 507)).toBe(true);

    // Space returns.
    if (mounted) rmSync(ballast());
    if (injected) injected.full = false;
    const held = new Set(fromRanges((await c.status(id)).json.chunks));
    for (let i = 0; i < N; i++) {
      if (held.has(i)) continue;
      const a = await c.chunk(id, i, chunks[i]!);
      expect(a.status, JSON.stringify(a.json)).toBe(201);
    }
    const whole = Buffer.concat(chunks);
    const fin = await c.finalize({ sessionId: id, totalChunks: N });
    expect(fin.json).toMatchObject({ status: 'complete', size: whole.length, sha256: sha256(whole) });
    const file = (await c.file(id)).bytes;
    expect(file.equals(whole)).toBe(true);
    expect(readdirSync(tmpDir)).toEqual([]);

    recordReliabilityCase({
      case: 'server-disk-full',
      fault: mounted ? 'data dir on a 2 MiB tmpfs filled during uploads, then space freed' : 'injected ENOSPC mid-body (tmpfs mount unavailable), then cleared',
      bytesRecorded: whole.length,
      bytesStored: file.length,
      chunks: N,
      duplicatesStored: file.length > whole.length ? 1 : 0,
      sha256Match: sha256(file) === sha256(whole),
      durationMs: Date.now() - started,
      notes: `first 507 at chunk ${refusedAt} of ${N} (${CHUNK / 1024} KiB each); no temp or chunk file left; status unchanged`,
    });
  });
});
