/**
 * What a crash leaves and who repairs it. The metadata is the truth: bytes a store holds past
 * the recorded prefix are rewritten by the next advance (the plan is the same, so the segment is
 * identical), never adopted or deleted by guessing. A node's death between `output.write` and
 * `recordSegment` is simulated by an OutputWriter that writes the segment and then throws.
 *
 * On both backends (OUTBOX_TEST_BACKEND). A segment is one chunk on disk and a multipart part of
 * at least 5 MiB on S3, so there one chunk of each scenario is 5 MiB (`BIG`) and the segment that
 * dies is the part that reaches it; `layout` gives each backend's sizes and expected prefixes.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerDeps } from '../../src/server/app.ts';
import { openMetadataRepo } from '../../src/server/storage/open-metadata.ts';
import type { SegmentPlan } from '../../src/server/storage/ports.ts';
import { MIN_PART_BYTES } from '../../src/server/storage/s3/part-planner.ts';
import { chunksDigestHex } from '../../src/shared/chunks-digest.ts';
import { startTestServer, tempDataDir, testServerConfig, type InProcessTestServer } from '../support/server-process.ts';
import { diskLayout, intercept, testStores } from '../support/stores.ts';
import { testBackend } from '../support/test-backend.ts';
import { client, sha256, uploadAll, type Client } from './helpers.ts';

const onS3 = testBackend() === 'pg-s3';
const BIG = onS3 ? MIN_PART_BYTES : 3000;

const dirs: string[] = [];
const servers: InProcessTestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = tempDataDir();
  dirs.push(d);
  return d;
}

async function serve(dataDir: string, deps: ServerDeps = {}): Promise<InProcessTestServer> {
  const server = await startTestServer({ dataDir, env: { LOG_LEVEL: 'silent' }, deps });
  servers.push(server);
  return server;
}

async function stop(server: InProcessTestServer): Promise<void> {
  servers.splice(servers.indexOf(server), 1);
  await server.stop();
}

/** Stores whose output "dies" right after writing the segment that starts at `dieAt` (once). */
async function dyingAfterWrite(dataDir: string, dieAt: number) {
  const stores = await testStores(dataDir);
  const writes: SegmentPlan[] = [];
  let died = false;
  const output = intercept(stores.output, {
    write: async (h, seg, bytes) => {
      const receipt = await stores.output.write(h, seg, bytes);
      writes.push(seg);
      if (seg.first === dieAt && !died) {
        died = true;
        throw new Error('simulated node death after output.write, before recordSegment');
      }
      return receipt;
    },
  });
  return { stores: { ...stores, output }, writes };
}

/** Chunks of the given sizes (random bytes). */
const chunksOf = (sizes: number[]) => sizes.map((n) => randomBytes(n));

async function expectComplete(c: Client, id: string, chunks: Buffer[]): Promise<void> {
  const fin = await c.finalize({ sessionId: id, totalChunks: chunks.length });
  expect(fin.json).toMatchObject({ status: 'complete', partial: false, chunksDigest: await chunksDigestHex(chunks.map((b) => sha256(b))) });
  const file = await c.file(id);
  expect(file.bytes.equals(Buffer.concat(chunks))).toBe(true);
}

describe('a node that died between output.write and recordSegment', () => {
  it('leaves a prefix the next advance continues by rewriting the identical segment', async () => {
    // Disk: 3 is stored out of order; 2 lands in order and advances into 3, whose write "dies".
    // S3: chunks 0..2 are small, so the first part is 0..3 (it reaches 5 MiB at 3); it dies.
    const layout = onS3
      ? { sizes: [3000, 3000, 3000, BIG, 3000, 3000], dieAt: 0, afterDeath: 0, afterNext: 4 }
      : { sizes: Array<number>(6).fill(BIG), dieAt: 3, afterDeath: 3, afterNext: 5 };
    const dataDir = tempDir();
    const { stores, writes } = await dyingAfterWrite(dataDir, layout.dieAt);
    const server = await serve(dataDir, { stores });
    const c = client(server.url, await server.createUser('die'));
    const id = (await c.init()).json.sessionId as string;
    const chunks = chunksOf(layout.sizes);
    await uploadAll(c, id, chunks, [0, 1, 3, 2]);
    const st = (await c.status(id)).json;
    expect(st.chunks).toEqual([[0, 3]]);
    expect(st.assembledChunks).toBe(layout.afterDeath); // the dead segment's bytes are in the output, unrecorded
    const first = writes.find((s) => s.first === layout.dieAt)!;
    expect(first.end).toBe(4);

    // The next chunk's advance writes the dead segment again, identical, at the same place.
    await uploadAll(c, id, chunks, [4]);
    expect(writes.filter((s) => s.first === layout.dieAt)).toEqual([first, first]);
    expect((await c.status(id)).json.assembledChunks).toBe(layout.afterNext);
    await uploadAll(c, id, chunks, [5]);
    await expectComplete(c, id, chunks);
  });

  it('is repaired at start-up when no request comes (kill, restart)', async () => {
    // Disk: 2..3 held, 1 lands and advances into 2, whose write "dies". S3: 1 is 5 MiB, so the
    // first part is 0..1 and it dies when 1 lands.
    const layout = onS3
      ? { sizes: [2000, BIG, 2000, 2000], dieAt: 0, afterDeath: 0, afterRestart: 2 }
      : { sizes: Array<number>(4).fill(2000), dieAt: 2, afterDeath: 2, afterRestart: 4 };
    const dataDir = tempDir();
    const dying = await dyingAfterWrite(dataDir, layout.dieAt);
    const before = await serve(dataDir, { stores: dying.stores });
    const token = await before.createUser('restart');
    let c = client(before.url, token);
    const id = (await c.init()).json.sessionId as string;
    const chunks = chunksOf(layout.sizes);
    await uploadAll(c, id, chunks, [0, 2, 3, 1]);
    expect(dying.writes.at(-1)?.first).toBe(layout.dieAt); // the last write was the one that died
    expect((await c.status(id)).json.assembledChunks).toBe(layout.afterDeath);
    await stop(before);

    const after = await serve(dataDir);
    c = client(after.url, token);
    // Start-up advanced the held run before the server listened.
    expect((await c.status(id)).json).toMatchObject({ state: 'open', assembledChunks: layout.afterRestart, chunks: [[0, 3]] });
    await expectComplete(c, id, chunks);
  });
});

describe('start-up', () => {
  it("empties this node's receive directory and leaves what the database does not know alone", async () => {
    const dataDir = tempDir();
    const { receiveDir } = diskLayout(dataDir);
    mkdirSync(receiveDir, { recursive: true });
    writeFileSync(join(receiveDir, 'abc.part'), 'half-received');
    // Another node's (or a later) object: start-up never deletes by "the database does not know it".
    const stranger = { videoId: 'QQQQQQQQQQQQQQQQQQQQQQ', index: 0, sha256: sha256(Buffer.from('other node')) };
    const stores = await testStores(dataDir);
    try {
      await stores.chunks.put(stranger, { size: 10, buffers: [Buffer.from('other node')] });
    } finally {
      await Promise.all([stores.chunks.close(), stores.output.close(), stores.small.close()]);
    }
    const server = await serve(dataDir);
    expect(existsSync(join(receiveDir, 'abc.part'))).toBe(false);
    expect(Buffer.concat(await server.app.outbox.ctx.chunks.get(stranger)).toString()).toBe('other node');
  });

  it('finishes a partial completion a crash cut short between its tail and its completion record', async () => {
    const dataDir = tempDir();
    const repo = await openMetadataRepo(await testServerConfig(dataDir, { LOG_LEVEL: 'silent' }), pino({ level: 'silent' }));
    let failed = false;
    const failing = intercept(repo, {
      completeIf: async (...args: Parameters<typeof repo.completeIf>) => {
        if (failed) return repo.completeIf(...args);
        failed = true;
        throw new Error('simulated node death before the completion record');
      },
    });
    const before = await serve(dataDir, { repo: failing });
    const token = await before.createUser('partial');
    let c = client(before.url, token);
    const id = (await c.init()).json.sessionId as string;
    const chunks = chunksOf(Array<number>(6).fill(1500));
    await uploadAll(c, id, chunks, [0, 2, 3, 5]);
    expect((await c.finalize({ sessionId: id, totalChunks: 6, allowPartial: true })).status).toBe(500);
    await stop(before);

    const after = await serve(dataDir);
    c = client(after.url, token);
    const kept = [chunks[0]!, chunks[2]!, chunks[3]!, chunks[5]!];
    const st = (await c.status(id)).json;
    expect(st).toMatchObject({ state: 'complete', partial: true, missing: [[1, 1], [4, 4]], chunksDigest: await chunksDigestHex(kept.map((b) => sha256(b))) });
    expect((await c.file(id)).bytes.equals(Buffer.concat(kept))).toBe(true);
  });
});
