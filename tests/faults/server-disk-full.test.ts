/**
 * Disk full: the whole data directory (SQLite, chunk objects, outputs) lives on a 2 MiB
 * tmpfs that also holds a ballast file. Chunks are uploaded until the disk is full:
 * every answer is 201 or 507 `insufficient_storage` (never 500), a refused chunk leaves nothing
 * behind (no temp file, no chunk object, status unchanged), and once the ballast is removed
 * (space returns) the rest uploads and the video completes byte-identical.
 *
 * Mounting needs root; where `mount` fails, the same scenario runs with stores that answer
 * `insufficient_storage` once `full` is set (what each store maps ENOSPC to; the stores' own
 * clean-up on ENOSPC is tests/server/disk-full.test.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/app.ts';
import { loadConfig } from '../../src/server/config.ts';
import type { ServerDeps } from '../../src/server/app.ts';
import { addUser } from '../../src/server/users.ts';
import { ApiError } from '../../src/shared/errors.ts';
import { fromRanges } from '../../src/shared/ranges.ts';
import { recordReliabilityCase } from '../support/reliability-report.ts';
import { diskStores, intercept } from '../support/stores.ts';
import { chunksDigestOf, client, makeChunks, sha256, type Client } from '../server/helpers.ts';
import type { FastifyInstance } from 'fastify';

const CHUNK = 96 * 1024;
const N = 12;

/** Used only where tmpfs cannot be mounted: the stores run out of "space" while `full` is set. */
const injected = { full: false };

async function injectedFullStores(dataDir: string): Promise<ServerDeps> {
  const stores = await diskStores(dataDir);
  const refuse = () => Promise.reject(new ApiError('insufficient_storage'));
  return {
    stores: {
      ...stores,
      chunks: intercept(stores.chunks, { put: (ref, body) => (injected.full ? refuse() : stores.chunks.put(ref, body)) }),
      output: intercept(stores.output, { write: (h, seg, bytes) => (injected.full ? refuse() : stores.output.write(h, seg, bytes)) }),
    },
  };
}

let mountDir: string;
let mounted = false;
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
  app = buildServer(config, mounted ? {} : await injectedFullStores(dataDir));
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
    const tmpDir = join(mountDir, 'data', 'tmp', 'incoming');

    let refusedAt = -1;
    const answers: number[] = [];
    for (let i = 0; i < N; i++) {
      if (!mounted && i === 4) injected.full = true;
      const before = (await c.status(id)).json;
      const a = await c.chunk(id, i, chunks[i]!);
      answers.push(a.status);
      if (a.status === 201) continue;
      expect({ status: a.status, code: a.json?.error?.code }).toEqual({ status: 507, code: 'insufficient_storage' });
      // Nothing half-written kept: no temp, no chunk object for this index, status unchanged.
      expect(readdirSync(tmpDir)).toEqual([]);
      await expect(app.outbox.ctx.chunks.get({ videoId: id, index: i, sha256: sha256(chunks[i]!) })).rejects.toMatchObject({ code: 'not_found' });
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
    injected.full = false;
    const held = new Set(fromRanges((await c.status(id)).json.chunks));
    for (let i = 0; i < N; i++) {
      if (held.has(i)) continue;
      const a = await c.chunk(id, i, chunks[i]!);
      expect(a.status, JSON.stringify(a.json)).toBe(201);
    }
    const whole = Buffer.concat(chunks);
    const fin = await c.finalize({ sessionId: id, totalChunks: N });
    expect(fin.json).toMatchObject({ status: 'complete', size: whole.length, chunksDigest: await chunksDigestOf(chunks) });
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
      notes: `first 507 at chunk ${refusedAt} of ${N} (${CHUNK / 1024} KiB each); no temp file or chunk object left; status unchanged`,
    });
  });
});
