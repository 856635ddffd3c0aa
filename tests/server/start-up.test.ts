/**
 * What a crash leaves and who repairs it. The metadata is the truth: bytes a store holds past
 * the recorded prefix are rewritten by the next advance (the plan is the same, so the segment is
 * identical), never adopted or deleted by guessing. A node's death between `output.write` and
 * `recordSegment` is simulated by an OutputWriter that writes the segment and then throws.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildServer, type ServerDeps } from '../../src/server/app.ts';
import { loadConfig } from '../../src/server/config.ts';
import { openMetadataRepo } from '../../src/server/storage/open-metadata.ts';
import type { SegmentPlan } from '../../src/server/storage/ports.ts';
import { addUser } from '../../src/server/users.ts';
import { chunksDigestHex } from '../../src/shared/chunks-digest.ts';
import { diskStores, intercept } from '../support/stores.ts';
import { client, makeChunks, sha256, uploadAll, type Client } from './helpers.ts';

const dirs: string[] = [];
const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'outbox-start-up-'));
  dirs.push(d);
  return d;
}

async function serve(dataDir: string, deps: ServerDeps = {}): Promise<{ app: FastifyInstance; url: string }> {
  const app = buildServer(loadConfig({ LOG_LEVEL: 'silent', OUTBOX_DATA_DIR: dataDir }), deps);
  apps.push(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` };
}

async function stop(app: FastifyInstance): Promise<void> {
  apps.splice(apps.indexOf(app), 1);
  await app.close();
}

/** Disk stores whose output "dies" right after writing the segment that starts at `dieAt` (once). */
async function dyingAfterWrite(dataDir: string, dieAt: number) {
  const stores = await diskStores(dataDir);
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

async function expectComplete(c: Client, id: string, chunks: Buffer[]): Promise<void> {
  const fin = await c.finalize({ sessionId: id, totalChunks: chunks.length });
  expect(fin.json).toMatchObject({ status: 'complete', partial: false, chunksDigest: await chunksDigestHex(chunks.map((b) => sha256(b))) });
  const file = await c.file(id);
  expect(file.bytes.equals(Buffer.concat(chunks))).toBe(true);
}

describe('a node that died between output.write and recordSegment', () => {
  it('leaves a prefix the next advance continues by rewriting the identical segment', async () => {
    const dataDir = tempDir();
    const { stores, writes } = await dyingAfterWrite(dataDir, 3);
    const { app, url } = await serve(dataDir, { stores });
    const c = client(url, (await addUser(app.outbox.repo, 'die', Date.now())).token);
    const id = (await c.init()).json.sessionId as string;
    const chunks = makeChunks(6, 3000);
    // 3 is stored out of order; 2 lands in order and advances into 3, whose write "dies".
    await uploadAll(c, id, chunks, [0, 1, 3, 2]);
    const st = (await c.status(id)).json;
    expect(st.chunks).toEqual([[0, 3]]);
    expect(st.assembledChunks).toBe(3); // 3's bytes are in the output file, unrecorded
    const first = writes.find((s) => s.first === 3)!;

    // The next chunk's advance writes 3 again, at the same place, then 4.
    await uploadAll(c, id, chunks, [4]);
    expect(writes.filter((s) => s.first === 3)).toEqual([first, first]);
    expect((await c.status(id)).json.assembledChunks).toBe(5);
    await uploadAll(c, id, chunks, [5]);
    await expectComplete(c, id, chunks);
  });

  it('is repaired at start-up when no request comes (kill, restart)', async () => {
    const dataDir = tempDir();
    const dying = await dyingAfterWrite(dataDir, 2);
    const before = await serve(dataDir, { stores: dying.stores });
    const token = (await addUser(before.app.outbox.repo, 'restart', Date.now())).token;
    let c = client(before.url, token);
    const id = (await c.init()).json.sessionId as string;
    const chunks = makeChunks(4, 2000);
    await uploadAll(c, id, chunks, [0, 2, 3, 1]);
    expect((await c.status(id)).json.assembledChunks).toBe(2);
    await stop(before.app);

    const after = await serve(dataDir);
    c = client(after.url, token);
    // Start-up advanced the held run 2..3 before the server listened.
    expect((await c.status(id)).json).toMatchObject({ state: 'open', assembledChunks: 4, chunks: [[0, 3]] });
    await expectComplete(c, id, chunks);
  });
});

describe('start-up', () => {
  it("empties this node's receive directory and leaves what the database does not know alone", async () => {
    const dataDir = tempDir();
    mkdirSync(join(dataDir, 'tmp', 'incoming'), { recursive: true });
    writeFileSync(join(dataDir, 'tmp', 'incoming', 'abc.part'), 'half-received');
    // Another node's (or a later) object: start-up never deletes by "the database does not know it".
    const stranger = { videoId: 'QQQQQQQQQQQQQQQQQQQQQQ', index: 0, sha256: sha256(Buffer.from('other node')) };
    const stores = await diskStores(dataDir);
    await stores.chunks.init();
    await stores.chunks.put(stranger, { size: 10, buffers: [Buffer.from('other node')] });
    const { app } = await serve(dataDir);
    expect(existsSync(join(dataDir, 'tmp', 'incoming', 'abc.part'))).toBe(false);
    expect(Buffer.concat(await app.outbox.ctx.chunks.get(stranger)).toString()).toBe('other node');
  });

  it('finishes a partial completion a crash cut short between its tail and its completion record', async () => {
    const dataDir = tempDir();
    const cfg = loadConfig({ LOG_LEVEL: 'silent', OUTBOX_DATA_DIR: dataDir });
    const repo = await openMetadataRepo(cfg, pino({ level: 'silent' }));
    let failed = false;
    const failing = intercept(repo, {
      completeIf: async (...args: Parameters<typeof repo.completeIf>) => {
        if (failed) return repo.completeIf(...args);
        failed = true;
        throw new Error('simulated node death before the completion record');
      },
    });
    const before = await serve(dataDir, { repo: failing });
    const token = (await addUser(repo, 'partial', Date.now())).token;
    let c = client(before.url, token);
    const id = (await c.init()).json.sessionId as string;
    const chunks = makeChunks(6, 1500);
    await uploadAll(c, id, chunks, [0, 2, 3, 5]);
    expect((await c.finalize({ sessionId: id, totalChunks: 6, allowPartial: true })).status).toBe(500);
    await stop(before.app);

    const after = await serve(dataDir);
    c = client(after.url, token);
    const kept = [chunks[0]!, chunks[2]!, chunks[3]!, chunks[5]!];
    const st = (await c.status(id)).json;
    expect(st).toMatchObject({ state: 'complete', partial: true, missing: [[1, 1], [4, 4]], chunksDigest: await chunksDigestHex(kept.map((b) => sha256(b))) });
    expect((await c.file(id)).bytes.equals(Buffer.concat(kept))).toBe(true);
  });
});
